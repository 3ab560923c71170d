"""The gravity estimator registry: the engine seam of :func:`migflows.gravity`.

:func:`migflows.gravity` parses the call into a frozen :class:`GravitySpec` and dispatches
through this registry: no ``if/elif`` on estimator names anywhere — the CLI's
``migflows fit gravity --estimator`` choices and the forecast method's estimator check read
:data:`ESTIMATORS` (a live view of the registry). An estimator is one function
``fit(spec, design, data) -> GravityResults`` registered with :func:`register_estimator`,
together with the options it accepts; unknown options are refused with
:class:`~migflows.errors.InvalidOptionError` listing the allowed ones *before* the design is
built or anything is fitted.

Built in (registered by :mod:`migflows.estimation.gravity.engines`): ``ppml``, ``ols``,
``negbin``, ``gpml``.

Examples
--------
Register a toy estimator — Poisson without fixed effects by statsmodels — and use it through
:func:`migflows.gravity`:

>>> import numpy as np
>>> import statsmodels.api as sm
>>> import migflows
>>> from migflows.estimation.core.results import SandwichPieces
>>> from migflows.estimation.gravity.results import GravityFit, GravityResults
>>> def fit_toy(spec, design, data):
...     X = design.X.to_numpy(dtype=float)
...     glm = sm.GLM(design.y.to_numpy(dtype=float), X, family=sm.families.Poisson()).fit()
...     mu = np.asarray(glm.fittedvalues)
...     pieces = SandwichPieces(hessian=(X * mu[:, None]).T @ X,
...                             scores=X * (design.y.to_numpy() - mu)[:, None], nobs=len(mu),
...                             clusters=design.clusters)
...     fit = GravityFit(spec.estimator, design, mu, np.log(mu), np.zeros(len(mu)),
...                      design.dropped, (), {"iterations": 0}, data, spec.periods)
...     return GravityResults.from_pieces(list(design.X.columns), np.asarray(glm.params),
...                                       pieces, spec.vcov, model="Toy Poisson",
...                                       depvar=spec.formula.depvar, fit=fit)
>>> entry = register_estimator("toy", fit_toy, options={"note": None},
...                            description="Poisson without fixed effects (statsmodels)")
>>> "toy" in ESTIMATORS
True
>>> kz = migflows.load_kazakhstan(years=[2021])
>>> res = migflows.gravity("flow ~ 1 + log_dist", kz, estimator="toy")
>>> res.estimator, round(float(res.params["log_dist"]), 3)
('toy', -1.417)
>>> migflows.gravity("flow ~ 1 + log_dist", kz, estimator="toy", bogus=1)
Traceback (most recent call last):
...
migflows.errors.InvalidOptionError: Unknown option(s) 'bogus' for estimator='toy'; allowed: 'note'.
>>> unregister_estimator("toy")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, overload

from migflows.errors import InvalidOptionError, format_values

if TYPE_CHECKING:
    import pandas as pd

    from migflows.data.panel import FlowPanel
    from migflows.estimation.gravity.results import GravityResults
    from migflows.models.design import Design
    from migflows.models.formula import Formula

__all__ = [
    "ESTIMATORS",
    "EstimatorEntry",
    "GravitySpec",
    "estimator_names",
    "get_estimator",
    "register_estimator",
    "unregister_estimator",
    "validate_options",
]


@dataclass(frozen=True, eq=False)
class GravitySpec:
    """Everything :func:`migflows.gravity` was asked for, parsed and validated (frozen).

    Attributes
    ----------
    formula : Formula
        The parsed formula.
    estimator : str
        Registry name.
    vcov : object
        The covariance request, parsed by the covariance registry.
    weights, offset : str, array or None
        As given (a column name or values).
    periods : mapping or None
        Periods of ``i(period, x)`` terms.
    absorbed : {"raise", "drop"}
    zeros : {"drop", "log1p"}
        Log-OLS's treatment of zero flows.
    ssc : SmallSampleCorrection or None
    options : mapping
        Estimator options, defaults filled in (read-only).
    """

    formula: Formula
    estimator: str
    vcov: Any
    weights: Any = None
    offset: Any = None
    periods: Mapping[str, tuple[int, int]] | None = None
    absorbed: Literal["raise", "drop"] = "raise"
    zeros: Literal["drop", "log1p"] = "drop"
    ssc: Any = None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def weights_name(self) -> str | None:
        """The weights column, ``"<values>"`` for values, or None."""
        return _name(self.weights)

    @property
    def offset_name(self) -> str | None:
        """The offset column, ``"<values>"`` for values, or None."""
        return _name(self.offset)


def _name(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return "<values>"


FitFunction = Callable[["GravitySpec", "Design", "FlowPanel | pd.DataFrame"], "GravityResults"]
DesignOptions = Callable[["GravitySpec"], Mapping[str, Any]]


@dataclass(frozen=True)
class EstimatorEntry:
    """One registered estimator.

    Attributes
    ----------
    name : str
    fit : callable
        ``fit(spec, design, data) -> GravityResults``.
    options : mapping
        Accepted options and their defaults.
    description : str
        One line, shown by the CLI's help.
    link : {"log", "identity"}
        ``"log"`` when fitted values are expected flows (forecastable, counterfactuals).
    design_options : callable, optional
        ``design_options(spec) -> dict`` of extra :func:`~migflows.models.design.build_design`
        arguments (log-OLS: the dependent-variable transform).
    """

    name: str
    fit: FitFunction
    options: Mapping[str, Any]
    description: str = ""
    link: Literal["log", "identity"] = "log"
    design_options: DesignOptions | None = None


_REGISTRY: dict[str, EstimatorEntry] = {}


def register_estimator(
    name: str,
    fit: FitFunction,
    *,
    options: Mapping[str, Any] | None = None,
    description: str = "",
    link: Literal["log", "identity"] = "log",
    design_options: DesignOptions | None = None,
    replace: bool = False,
) -> EstimatorEntry:
    """Register a gravity estimator under ``name`` (see the module example).

    Parameters
    ----------
    name : str
        What users pass as ``estimator=`` (and ``--estimator`` on the CLI).
    fit : callable
        ``fit(spec, design, data) -> GravityResults``; ``spec.options`` holds the validated
        options with defaults filled in.
    options : mapping, optional
        Accepted option names and their defaults; anything else is refused before fitting.
    description : str
        One line for help texts.
    link : {"log", "identity"}, default "log"
    design_options : callable, optional
        Extra design-builder arguments from the spec.
    replace : bool, default False
        Allow re-registering an existing name.

    Returns
    -------
    EstimatorEntry

    Raises
    ------
    InvalidOptionError
        ``name`` is taken (and ``replace`` is false) or not a non-empty string.
    """
    if not isinstance(name, str) or not name:
        raise InvalidOptionError(f"an estimator name must be a non-empty string, got {name!r}.")
    if name in _REGISTRY and not replace:
        raise InvalidOptionError(
            f"estimator {name!r} is already registered; pass replace=True to replace it."
        )
    if link not in ("log", "identity"):
        raise InvalidOptionError(f"link={link!r} is not allowed; use 'log' or 'identity'.")
    entry = EstimatorEntry(
        name, fit, MappingProxyType(dict(options or {})), description, link, design_options
    )
    _REGISTRY[name] = entry
    return entry


def unregister_estimator(name: str) -> None:
    """Remove an estimator (for tests and examples)."""
    get_estimator(name)
    del _REGISTRY[name]


def get_estimator(name: str) -> EstimatorEntry:
    """The registered estimator ``name``.

    Raises
    ------
    InvalidOptionError
        Unknown name; the message lists the registered ones.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise InvalidOptionError(
            f"estimator={name!r} is not available; use one of {format_values(list(_REGISTRY))}."
        ) from None


def estimator_names(*, link: Literal["log", "identity"] | None = None) -> tuple[str, ...]:
    """Registered names, in registration order (only those with ``link`` when given)."""
    return tuple(n for n, e in _REGISTRY.items() if link is None or e.link == link)


def validate_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of estimator ``name`` with defaults filled in; unknown names refused.

    Raises
    ------
    InvalidOptionError
        Unknown option(s), listing the allowed ones.
    """
    entry = get_estimator(name)
    unknown = sorted(set(options) - set(entry.options))
    if unknown:
        allowed = format_values(sorted(entry.options), limit=20) or "none"
        raise InvalidOptionError(
            f"Unknown option(s) {format_values(unknown)} for estimator={name!r}; "
            f"allowed: {allowed}."
        )
    return {**entry.options, **options}


class EstimatorNames(Sequence[str]):
    """A live, read-only view of the registered estimator names (a tuple-like sequence)."""

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        """The name(s) at ``index``."""
        return estimator_names()[index]

    def __len__(self) -> int:
        """How many estimators are registered."""
        return len(_REGISTRY)

    def __iter__(self) -> Iterator[str]:
        """The names, in registration order."""
        return iter(estimator_names())

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is registered."""
        return name in _REGISTRY

    def __repr__(self) -> str:
        return repr(estimator_names())


ESTIMATORS = EstimatorNames()
"""The registered estimator names (live: includes estimators registered later)."""
