"""One covariance vocabulary for every estimator family: the registry and its parser.

A covariance *kind* is registered once under a canonical name (``"iid"``, ``"hetero"``,
``"CRV1"``, ``"driscoll_kraay"``) with the aliases other libraries use for it and the
families that support it; each family supplies the function that computes it
(:func:`implement_covariance`). :func:`parse_covariance` turns what a user writes — fixest
(``"iid"``, ``"hetero"``, ``{"CRV1": "pair"}``), linearmodels (``"unadjusted"``,
``"robust"``, ``{"clustered": ...}``, ``"kernel"``), statsmodels (``"nonrobust"``, ``"HC0"``,
``"HC1"``, ``{"cluster": ...}``) or plm/sandwich (``"white1"``, ``"arellano"``,
``"vcovHC"``, ``"vcovSCC"``) — into a frozen :class:`CovarianceSpec` *before* anything is
fitted, and refuses anything else with :class:`~migflows.errors.InvalidOptionError` listing
the names the family allows.

============================  ====================================  ========================
canonical name                aliases                               families
============================  ====================================  ========================
``"iid"``                     classical, unadjusted, homoskedastic, gravity, sim, panel
                              conventional, nonrobust
``"hetero"``                  HC1, HC0 (no small-sample factor),    gravity, sim, panel
                              robust, heteroskedastic, white,
                              white1
``{"CRV1": vars}``            cluster, clustered; arellano /        gravity, sim, panel
                              vcovHC (plm: by entity, panel only)
``{"driscoll_kraay": L}``     DK, SCC, vcovSCC, kernel              panel
============================  ====================================  ========================

Cluster variables ``origin`` / ``destination`` and ``orig`` / ``dest`` name the same thing
everywhere (:func:`resolve_clusters`).

Hand-written because no library offers a cross-library vocabulary of covariance names; the
shape (small registry of named kinds, aliases, unknown names listed with the allowed ones)
follows linearmodels' ``CovarianceManager``.

Examples
--------
>>> parse_covariance({"cluster": "origin+destination"}, family="gravity")
CovarianceSpec(kind='CRV1', clusters=('origin', 'destination'), options=())
>>> str(parse_covariance("robust", family="panel"))
'hetero'
>>> parse_covariance("unadjusted", family="sim").label == "iid"
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migflows.errors import InvalidOptionError, MissingColumnError, format_values

__all__ = [
    "CLUSTER_SYNONYMS",
    "CovarianceKind",
    "CovarianceLabel",
    "CovarianceSpec",
    "covariance_kinds",
    "covariance_method",
    "implement_covariance",
    "parse_covariance",
    "register_covariance",
    "resolve_clusters",
    "unregister_covariance",
]

#: Cluster names that mean the same variable (both directions are accepted).
CLUSTER_SYNONYMS: Mapping[str, str] = {
    "orig": "origin",
    "origin": "orig",
    "dest": "destination",
    "destination": "dest",
}


def _canonical_cluster(name: str) -> str:
    return {"orig": "origin", "dest": "destination"}.get(name, name)


def _format_option(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True, slots=True)
class CovarianceSpec:
    """A validated covariance request: canonical kind, cluster variables and options.

    Attributes
    ----------
    kind : str
        Canonical name from the registry (``"iid"``, ``"hetero"``, ``"CRV1"`` …).
    clusters : tuple of str
        Cluster variables as the user wrote them (empty unless clustered).
    options : tuple of (name, value)
        Further settings, e.g. ``(("bandwidth", 2.0),)`` for Driscoll-Kraay.

    Examples
    --------
    >>> spec = CovarianceSpec("CRV1", ("orig", "dest"))
    >>> str(spec), spec.option("bandwidth")
    ('CRV1 (orig & dest)', None)
    """

    kind: str
    clusters: tuple[str, ...] = ()
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        """The value of option ``name`` (``default`` when not set)."""
        return dict(self.options).get(name, default)

    @property
    def label(self) -> CovarianceLabel:
        """Display label such as ``'CRV1 (pair)'`` (see :class:`CovarianceLabel`)."""
        return CovarianceLabel(self)

    def __str__(self) -> str:
        return str(self.label)


@dataclass(frozen=True)
class CovarianceKind:
    """A registered covariance kind (see :func:`register_covariance`).

    Attributes
    ----------
    name, label : str
        Canonical name and display label (``"driscoll_kraay"``, ``"Driscoll-Kraay"``).
    families : tuple of str
        Estimator families that support it.
    aliases : mapping
        Alias (as registered; matched case-insensitively) to the settings it implies
        (``{"clusters": ("entity",)}``, or a ``"families"`` restriction).
    clustered : bool
        Takes one or more cluster variables (``{"CRV1": "pair"}``).
    max_clusters : int
        At most this many cluster variables.
    argument : str or None
        Name of the option the dict value sets (``{"driscoll_kraay": 3}`` sets ``bandwidth``).
    check : callable or None
        Validates that value (raises :class:`InvalidOptionError`), returns it normalised.
    doc : str
        One line for error messages and docs.
    """

    name: str
    label: str
    families: tuple[str, ...]
    aliases: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    clustered: bool = False
    max_clusters: int = 2
    argument: str | None = None
    check: Callable[[Any], Any] | None = field(default=None, repr=False)
    doc: str = ""

    def usage(self) -> str:
        """How to request it, e.g. ``{'CRV1': 'var'} or {'CRV1': 'var1+var2'}``."""
        if self.clustered:
            two = f" or {{{self.name!r}: 'var1+var2'}}" if self.max_clusters > 1 else ""
            return f"{{{self.name!r}: 'var'}}{two}"
        if self.argument:
            return f"{self.name!r} or {{{self.name!r}: {self.argument}}}"
        return repr(self.name)


_KINDS: dict[str, CovarianceKind] = {}
_LOOKUP: dict[str, str] = {}  # lower-case alias, name or label -> canonical name
_METHODS: dict[tuple[str, str], Callable[..., Any]] = {}


def register_covariance(
    name: str,
    *,
    families: Sequence[str],
    aliases: Sequence[str] | Mapping[str, Mapping[str, Any]] = (),
    label: str | None = None,
    clustered: bool = False,
    max_clusters: int = 2,
    argument: str | None = None,
    check: Callable[[Any], Any] | None = None,
    compute: Callable[..., Any] | Mapping[str, Callable[..., Any]] | None = None,
    doc: str = "",
    replace: bool = False,
) -> CovarianceKind:
    """Register a covariance kind under a canonical name (no ``if/elif`` to edit).

    Parameters
    ----------
    name : str
        Canonical name, shown in labels and ``res.covariance.kind``.
    families : sequence of str
        Families that accept it (``"gravity"``, ``"sim"``, ``"panel"``); asked for in another
        family, :func:`parse_covariance` says which families have it.
    aliases : sequence of str or mapping
        Other names for it (matched case-insensitively). A mapping gives settings an alias
        implies: ``{"arellano": {"clusters": ("entity",), "families": ("panel",)}}``,
        ``{"HC0": {"small_sample": False}}``.
    label : str, optional
        Display label (default ``name``).
    clustered : bool, default False
        Whether it takes cluster variables (``{name: "a+b"}``), at most ``max_clusters``.
    argument : str, optional
        For non-clustered kinds: the option a dict value sets (``{name: value}``), validated
        by ``check``.
    compute : callable or mapping, optional
        The function computing it, for every family in ``families`` or as a mapping
        ``{family: function}``. For ``"gravity"`` and ``"sim"`` it is called as
        ``compute(inputs, spec)`` with a
        :class:`~migflows.estimation.core.covariance.SandwichInputs` and the
        :class:`CovarianceSpec`, and returns a
        :class:`~migflows.estimation.core.covariance.CovarianceEstimate`. For ``"panel"``:
        ``compute(spec, design)`` with a ``PanelDesign`` returns a
        :class:`~migflows.estimation.panel.covariance.LinearmodelsCovariance` (the options of
        linearmodels' ``fit``). A family can also add its function later with
        :func:`implement_covariance`.
    doc : str
        One line describing it.
    replace : bool, default False
        Replace an existing kind of that name (otherwise a clash raises).

    Returns
    -------
    CovarianceKind

    Raises
    ------
    InvalidOptionError
        The name or an alias is taken by another kind.

    Examples
    --------
    A heteroskedasticity-robust covariance without any small-sample factor, for gravity:

    >>> import numpy as np
    >>> from migflows.estimation.core.covariance import CovarianceEstimate, sandwich
    >>> def raw_hetero(inputs, spec):
    ...     meat = inputs.scores.T @ inputs.scores
    ...     cov = inputs.bread @ meat @ inputs.bread
    ...     return CovarianceEstimate(cov, spec.kind, (), (), inputs.k, inputs.nobs - inputs.k,
    ...                               (1.0,), inputs.ssc)
    >>> _ = register_covariance("hetero_raw", families=("gravity",), aliases=("sandwich0",),
    ...                         compute=raw_hetero, doc="HC0 without any factor")
    >>> sandwich(np.eye(1), np.ones((4, 1)), "sandwich0", nobs=4, k=1).cov
    array([[4.]])
    >>> unregister_covariance("hetero_raw")
    """
    if name in _KINDS and not replace:
        raise InvalidOptionError(
            f"a covariance named {name!r} is already registered; pass replace=True to replace it"
        )
    if name in _KINDS:
        unregister_covariance(name)
    implied = (
        {str(a): dict(v) for a, v in aliases.items()}
        if isinstance(aliases, Mapping)
        else {str(a): {} for a in aliases}
    )
    keys = {name.lower(), (label or name).lower(), *(a.lower() for a in implied)}
    taken = {k: _LOOKUP[k] for k in keys if k in _LOOKUP and _LOOKUP[k] != name}
    if taken:
        raise InvalidOptionError(
            f"covariance {name!r}: name(s) {format_values(taken)} already belong to "
            f"{format_values(sorted(set(taken.values())))}; choose other aliases"
        )
    kind = CovarianceKind(
        name=name,
        label=label or name,
        families=tuple(families),
        aliases=implied,
        clustered=clustered,
        max_clusters=max_clusters,
        argument=argument,
        check=check,
        doc=doc,
    )
    _KINDS[name] = kind
    for key in keys:
        _LOOKUP[key] = name
    if compute is not None:
        methods = compute if isinstance(compute, Mapping) else dict.fromkeys(families, compute)
        for family, fn in methods.items():
            implement_covariance(name, family, fn)
    return kind


def implement_covariance(name: str, family: str, compute: Callable[..., Any]) -> None:
    """Give family ``family`` its function for the registered covariance ``name``.

    Parameters
    ----------
    name : str
        Canonical name of a registered kind that lists ``family``.
    family : str
    compute : callable
        See :func:`register_covariance`.

    Examples
    --------
    >>> covariance_method("iid", "gravity").__name__
    'iid_sandwich'
    """
    kind = _KINDS.get(name)
    if kind is None or family not in kind.families:
        raise InvalidOptionError(
            f"covariance {name!r} is not registered for family {family!r}; register it with "
            f"register_covariance({name!r}, families=[..., {family!r}])"
        )
    _METHODS[(name, family)] = compute


def unregister_covariance(name: str) -> None:
    """Remove a registered kind, its aliases and its family functions (e.g. after a test)."""
    kind = _KINDS.pop(name, None)
    if kind is None:
        return
    for alias in [k for k, v in _LOOKUP.items() if v == name]:
        del _LOOKUP[alias]
    for method in [k for k in _METHODS if k[0] == name]:
        del _METHODS[method]


def covariance_kinds(family: str | None = None) -> tuple[CovarianceKind, ...]:
    """The registered kinds (those ``family`` supports, when given).

    Examples
    --------
    >>> [k.name for k in covariance_kinds("panel")]
    ['iid', 'hetero', 'CRV1', 'driscoll_kraay']
    """
    return tuple(k for k in _KINDS.values() if family is None or family in k.families)


def covariance_method(kind: str, family: str) -> Callable[..., Any]:
    """The function that computes ``kind`` in ``family`` (see :func:`register_covariance`)."""
    try:
        return _METHODS[(kind, family)]
    except KeyError:
        raise InvalidOptionError(
            f"covariance {kind!r} has no implementation for {family!r}; add one with "
            f"implement_covariance({kind!r}, {family!r}, function)"
        ) from None


def allowed_help(family: str) -> str:
    """The names ``family`` accepts with their aliases, for error messages."""
    parts = []
    for kind in covariance_kinds(family):
        names = [
            a
            for a, implied in kind.aliases.items()
            if family in implied.get("families", kind.families)
        ]
        also = f" (also {format_values(names, limit=12)})" if names else ""
        parts.append(kind.usage() + also)
    return "use " + "; ".join(parts)


def _cluster_names(value: Any, spelled: str) -> tuple[str, ...]:
    if isinstance(value, str):
        names = tuple(v.strip() for v in re.split(r"[+^&]", value) if v.strip())
    elif isinstance(value, Iterable) and not isinstance(value, Mapping):
        names = tuple(str(v).strip() for v in value)
    else:
        raise InvalidOptionError(
            f"vcov={spelled}: cluster variables must be a name such as 'pair', 'orig+dest' or "
            f"a list of names, not {value!r}"
        )
    return names


def parse_covariance(vcov: Any, family: str = "gravity") -> CovarianceSpec:
    """Validate a covariance request for an estimator family (before any fitting).

    Parameters
    ----------
    vcov : str, dict or CovarianceSpec
        A kind's name or alias (``"iid"``, ``"robust"``, ``"HC1"``, ``"unadjusted"`` …), or
        a one-item dict ``{kind: value}``: cluster variables for a clustered kind
        (``{"CRV1": "pair"}``, ``{"cluster": "orig+dest"}``, ``{"CRV1": ["orig", "dest"]}``),
        the argument of others (``{"driscoll_kraay": 2}``).
    family : str, default "gravity"
        ``"gravity"``, ``"sim"`` or ``"panel"`` (any family that registered kinds).

    Returns
    -------
    CovarianceSpec

    Raises
    ------
    InvalidOptionError
        Unknown name (the allowed names and aliases for ``family`` are listed), a kind the
        family does not support (the families that do are named), clustering without
        variables, too many or repeated cluster variables, a bad argument.

    Examples
    --------
    >>> parse_covariance({"CRV1": ["orig", "dest"]}).clusters
    ('orig', 'dest')
    >>> parse_covariance({"DK": 2}, family="panel")
    CovarianceSpec(kind='driscoll_kraay', clusters=(), options=(('bandwidth', 2),))
    >>> parse_covariance("vcovSCC", family="gravity")
    Traceback (most recent call last):
    ...
    migflows.errors.InvalidOptionError: vcov='vcovSCC' (Driscoll-Kraay) is available for panel only, not for gravity; ...
    """  # noqa: E501
    if isinstance(vcov, CovarianceSpec):
        kind = _KINDS.get(vcov.kind)
        if kind is None or family not in kind.families:
            spelled, name, value, implied = repr(str(vcov)), vcov.kind, None, {}
        else:
            return vcov
    elif isinstance(vcov, str):
        spelled, name, value = repr(vcov), vcov, None
    elif isinstance(vcov, Mapping) and len(vcov) == 1:
        (name, value), *_ = vcov.items()
        spelled = repr(dict(vcov))
    else:
        raise InvalidOptionError(
            f"vcov={vcov!r} is not allowed for {family}; {allowed_help(family)}"
        )
    canonical = _LOOKUP.get(str(name).strip().lower())
    if canonical is None:
        raise InvalidOptionError(
            f"vcov={spelled} is not allowed for {family}; {allowed_help(family)}"
        )
    kind = _KINDS[canonical]
    key = str(name).strip().lower()
    implied = dict(next((v for a, v in kind.aliases.items() if a.lower() == key), {}))
    supported = implied.pop("families", kind.families)
    if family not in supported:
        raise InvalidOptionError(
            f"vcov={spelled} ({kind.label}) is available for {' and '.join(supported)} only, "
            f"not for {family}; {allowed_help(family)}"
        )
    clusters: tuple[str, ...] = tuple(implied.pop("clusters", ()))
    options = dict(implied)
    if kind.clustered:
        if value is not None:
            clusters = _cluster_names(value, spelled)
        if not clusters:
            raise InvalidOptionError(
                f"vcov={spelled} is not allowed (clustering needs a variable: "
                f"{kind.usage()}); {allowed_help(family)}"
            )
        distinct = {_canonical_cluster(c) for c in clusters}
        if not 1 <= len(clusters) <= kind.max_clusters or len(distinct) != len(clusters):
            most = {1: "one", 2: "one or two"}.get(kind.max_clusters, f"1 to {kind.max_clusters}")
            raise InvalidOptionError(
                f"vcov={spelled}: give {most} distinct cluster "
                f"{'variable' if kind.max_clusters == 1 else 'variables'} "
                f"(got {format_values(clusters)})"
            )
    elif value is not None or (isinstance(vcov, Mapping) and kind.argument):
        if not kind.argument:
            raise InvalidOptionError(
                f"vcov={spelled}: {kind.name!r} takes no argument; write vcov={kind.name!r}"
            )
        value = kind.check(value) if kind.check else value
        if value is not None:
            options[kind.argument] = value
    return CovarianceSpec(kind.name, clusters, tuple(sorted(options.items())))


def resolve_clusters(names: Sequence[str], available: Iterable[str]) -> tuple[str, ...]:
    """Map requested cluster names to available columns (``origin`` is ``orig`` and back).

    Parameters
    ----------
    names : sequence of str
        As in :attr:`CovarianceSpec.clusters`.
    available : iterable of str
        Cluster variables the estimation sample has.

    Returns
    -------
    tuple of str
        The available column for each name, in order.

    Raises
    ------
    MissingColumnError
        A name (or its synonym) is not available; the available ones are listed.

    Examples
    --------
    >>> resolve_clusters(("origin", "dest"), ["orig", "dest", "pair"])
    ('orig', 'dest')
    """
    pool = list(available)
    out, missing = [], []
    for name in names:
        if name in pool:
            out.append(name)
        elif CLUSTER_SYNONYMS.get(name) in pool:
            out.append(CLUSTER_SYNONYMS[name])
        else:
            missing.append(name)
    if missing:
        raise MissingColumnError(
            f"cannot cluster by {missing}: the result only keeps cluster variables {pool}; "
            "refit with the variable available"
        )
    return tuple(out)


class CovarianceLabel(str):
    """A covariance label (``'CRV1 (pair)'``) that knows which covariance it names.

    It is the plain string of the canonical names, and it compares equal to the same
    covariance written with any registered alias — ``'clustered (entity)'`` equals
    ``'CRV1 (entity)'``, ``'unadjusted'`` equals ``'iid'``, ``'CRV1 (origin)'`` equals
    ``'CRV1 (orig)'`` — so labels from every family and library line up.

    Examples
    --------
    >>> label = CovarianceSpec("CRV1", ("origin", "destination")).label
    >>> label, label == "clustered (orig & dest)", label == "hetero"
    ('CRV1 (origin & destination)', True, False)
    """

    _key: tuple[str, tuple[str, ...], str]

    def __new__(cls, spec: CovarianceSpec) -> CovarianceLabel:
        """The label of ``spec`` (its kind's label, clusters or argument in parentheses)."""
        kind = _KINDS.get(spec.kind)
        head = kind.label if kind else spec.kind
        inner = [" & ".join(spec.clusters)] if spec.clusters else []
        argument = kind.argument if kind else None
        for key, value in spec.options:
            inner.append(
                f"{key} {_format_option(value)}"
                if key == argument
                else f"{key}={_format_option(value)}"
            )
        text = f"{head} ({', '.join(inner)})" if inner else head
        self = super().__new__(cls, text)
        rest = ", ".join(inner[1:] if spec.clusters else inner)
        self._key = (spec.kind, tuple(_canonical_cluster(c) for c in spec.clusters), rest)
        return self

    @staticmethod
    def _parse(text: str) -> tuple[str, tuple[str, ...], str] | None:
        match = re.fullmatch(r"\s*([^()]+?)\s*(?:\((.*)\))?\s*", text)
        if match is None:
            return None
        canonical = _LOOKUP.get(match.group(1).lower())
        if canonical is None:
            return None
        inner = [p.strip() for p in (match.group(2) or "").split(",") if p.strip()]
        if _KINDS[canonical].clustered and inner:
            clusters = tuple(
                _canonical_cluster(c.strip()) for c in re.split(r"[&+^]", inner[0]) if c.strip()
            )
            return canonical, clusters, ", ".join(inner[1:])
        return canonical, (), ", ".join(inner)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CovarianceLabel):
            return self._key == other._key
        if isinstance(other, str):
            return str.__eq__(self, other) or self._parse(other) == self._key
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__
