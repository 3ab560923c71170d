"""One evaluator for formula terms, shared by the gravity, panel and Bayesian designs.

Every family reads its data through a small :class:`TermData` adapter (how to find a column,
a factor and a value ``k`` periods earlier) and evaluates its terms here, so a term means
the same thing everywhere:

``x``
    The column, as float. Booleans become 0/1; a column holding text raises
    :class:`~migflows.errors.NonNumericError` (write ``i(x)`` for dummies).
``log(x)``, ``log1p(x)``, ``exp(x)``, ``sqrt(x)``
    Elementwise. Where the function is undefined (``log`` of ``x <= 0``, ``log1p`` of
    ``x <= -1``, ``sqrt`` of ``x < 0``, ``exp`` overflowing) the value is missing and the
    rows are counted in :attr:`Evaluated.undefined`; the design builders drop them with a
    :class:`~migflows.errors.DroppedRowsWarning` naming the term and the count.
``lag(x, k)``, ``diff(x, k)``
    ``k`` (default 1) *calendar* periods earlier within the unit (the pair for gravity, the
    entity for panels): ``lag(x, 1)`` in 2015 is the value of 2014, missing when 2014 is
    not observed, never the previous available row (as ``plm::lag`` and fixest's panel lags).
``i(factor, var, ref=...)``
    One dummy (or slope of ``var``) per level of ``factor``, named ``factor::level[:var]`` as
    fixest does; a missing factor value makes the row missing; a ``ref`` level that the
    factor does not have raises :class:`~migflows.errors.UnknownVariableError` listing the
    levels.

Missing values stay missing (NaN); dropping them is the design builders' job, which warn
with counts and keep the dropped rows in ``.dropped``.

Examples
--------
>>> import pandas as pd
>>> from migflows.models.formula import parse_formula
>>> df = pd.DataFrame({"x": [1.0, 0.0, 4.0], "g": ["a", "b", "a"]})
>>> data = FrameTerms(df)
>>> out = evaluate_terms(parse_formula("y ~ log(x) + i(g, x, ref=b)").terms, data)
>>> out.frame.round(3).to_dict("list")
{'log(x)': [0.0, nan, 1.386], 'g::a:x': [1.0, 0.0, 4.0]}
>>> {k: int(v.sum()) for k, v in out.undefined.items()}
{'log(x)': 1}
"""

from __future__ import annotations

import contextlib
import difflib
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from migflows.errors import (
    FormulaSyntaxError,
    MissingColumnError,
    NonNumericError,
    UnknownVariableError,
    format_values,
)
from migflows.models.formula import Call, Interaction, Term, Variable, parse_formula

__all__ = [
    "DOMAINS",
    "FUNCTIONS",
    "SHIFTS",
    "Evaluated",
    "FrameTerms",
    "TermData",
    "calendar_shift",
    "drop_reasons",
    "evaluate_term",
    "evaluate_terms",
    "lag_terms",
    "parse_depvar",
    "shift_order",
    "to_numeric",
    "undefined_note",
]

FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "log": np.log,
    "log1p": np.log1p,
    "exp": np.exp,
    "sqrt": np.sqrt,
}
"""Elementwise functions allowed in formulas (``log(x)`` ...)."""

DOMAINS: dict[str, str] = {
    "log": "x <= 0",
    "log1p": "x <= -1",
    "exp": "exp(x) overflows",
    "sqrt": "x < 0",
}
"""Where each function of :data:`FUNCTIONS` is undefined (for messages)."""

SHIFTS = ("lag", "diff")
"""Functions that read earlier periods within the unit."""


class TermData(Protocol):
    """What the evaluator needs from the data (one adapter per family).

    Every Series returned is aligned with the rows being evaluated (same index).
    """

    def column(self, name: str) -> pd.Series:
        """The column (or derived covariate) ``name``; UnknownVariableError if none."""
        ...

    def factor(self, name: str) -> pd.Series:
        """The factor of ``i(name, ...)`` (a column, or a key such as ``orig``)."""
        ...

    def shifted(self, name: str, k: int) -> pd.Series:
        """``name`` ``k`` calendar periods earlier within the unit (NaN where not observed)."""
        ...


@dataclass(frozen=True)
class Evaluated:
    """Evaluated terms: the columns and, per term, the rows where a function is undefined.

    Attributes
    ----------
    frame : DataFrame
        One column per (expanded) term, missing values as NaN.
    undefined : dict of str to ndarray of bool
        Term name -> rows whose value is missing because the function is undefined there
        (``log`` of a non-positive value, ...); only terms with at least one such row.
    """

    frame: pd.DataFrame
    undefined: dict[str, np.ndarray] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
def to_numeric(values: pd.Series, name: str) -> pd.Series:
    """``values`` as float (booleans as 0/1); NonNumericError naming ``name`` for text.

    Object columns holding only numbers (and missing values) are accepted; strings are not
    numbers.

    Examples
    --------
    >>> to_numeric(pd.Series([True, False]), "flag").tolist()
    [1.0, 0.0]
    >>> try:
    ...     to_numeric(pd.Series(["a", "b"]), "name")
    ... except NonNumericError as err:
    ...     print(str(err).split(";")[1])
     for one dummy per category write i(name), for category-specific slopes i(name, x).
    """
    s = pd.Series(values)
    if s.dtype == bool or pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype(np.float64)
    obj = s.astype(object)
    is_number = obj.map(lambda v: isinstance(v, numbers.Number) and not isinstance(v, str)).astype(
        bool
    )
    bad = ~is_number & obj.notna()
    if bad.any():
        raise NonNumericError(
            f"{name!r} is not numeric (dtype {s.dtype}, {int(bad.sum())} value(s) such as "
            f"{format_values(pd.unique(obj[bad]), limit=3)}); for one dummy per category write "
            f"i({name}), for category-specific slopes i({name}, x)."
        )
    return pd.to_numeric(obj, errors="coerce").astype(np.float64)


def shift_order(call: Call) -> int:
    """The order ``k`` of ``lag(x, k)`` / ``diff(x, k)`` (default 1, also ``k=``)."""
    args = call.args[1:2] or (dict(call.kwargs).get("k", 1),)
    value = args[0]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FormulaSyntaxError(f"{call}: the order must be a positive integer, got {value!r}.")
    return value


def lag_terms(terms: Iterable[Term]) -> dict[str, tuple[str, int]]:
    """``{term: (variable, k)}`` for each ``lag``/``diff`` term."""
    return {
        str(t): (str(t.args[0]), shift_order(t))
        for t in terms
        if isinstance(t, Call) and t.function in SHIFTS
    }


def parse_depvar(depvar: str) -> Term:
    """The dependent variable of a parsed formula as a term (``"log(flow)"`` -> a Call)."""
    return parse_formula(f"y__ ~ {depvar}").terms[0] if "(" in depvar else Variable(depvar)


def calendar_shift(values: pd.Series, unit: ArrayLike, time: ArrayLike, k: int) -> pd.Series:
    """``values`` ``k`` periods earlier within each unit, in calendar time.

    With integer time the value at ``(unit, time - k)``, missing when that period is not in
    the data (gaps stay gaps); otherwise the row ``k`` places earlier within the unit (rows
    in time order).

    Examples
    --------
    >>> v = pd.Series([1.0, 2.0, 3.0])
    >>> calendar_shift(v, ["a", "a", "a"], [2010, 2011, 2015], 1).tolist()
    [nan, 1.0, nan]
    """
    unit_arr = np.asarray(unit, dtype=object)
    time_arr = np.asarray(time)
    if pd.api.types.is_integer_dtype(time_arr.dtype):
        table = pd.Series(values.to_numpy(), index=pd.MultiIndex.from_arrays([unit_arr, time_arr]))
        if table.index.has_duplicates:
            dup = table.index[table.index.duplicated()].unique()
            raise FormulaSyntaxError(
                f"lag/diff need one row per unit and period; {len(dup)} repeat, e.g. "
                f"{format_values(list(dup), limit=3)}."
            )
        target = pd.MultiIndex.from_arrays([unit_arr, time_arr - k])
        return pd.Series(table.reindex(target).to_numpy(), index=values.index)
    order = np.lexsort((np.arange(len(time_arr)), time_arr))
    shifted = pd.Series(values.to_numpy()[order]).groupby(unit_arr[order], sort=False).shift(k)
    out = np.empty(len(values), dtype=np.float64)
    out[order] = shifted.to_numpy(dtype=np.float64)
    return pd.Series(out, index=values.index)


def undefined_note(undefined: Mapping[str, np.ndarray], calls: Mapping[str, str]) -> str:
    """``"; log(x) is undefined where x <= 0 in 2 row(s)"`` for a drop warning."""
    parts = [
        f"{term} is undefined where {DOMAINS.get(calls.get(term, ''), 'the function is')} "
        f"in {int(mask.sum())} row(s)"
        for term, mask in undefined.items()
        if mask.any()
    ]
    return "; " + "; ".join(parts) if parts else ""


def drop_reasons(
    missing: pd.DataFrame,
    undefined: Mapping[str, np.ndarray],
    missing_label: Callable[[list[str]], str] = lambda cols: "missing: " + ", ".join(cols),
) -> np.ndarray:
    """Why each row is dropped: ``"missing: x"``, ``"undefined: log(x)"``, both or ``""``.

    Parameters
    ----------
    missing : DataFrame of bool
        One column per variable (named as in the warning), True where the value is missing.
    undefined : mapping
        :attr:`Evaluated.undefined`: term -> rows where its function is undefined.
    missing_label : callable
        Text for the variables truly missing in a row (gravity says ``"missing value"``).

    Examples
    --------
    >>> m = pd.DataFrame({"z": [False, True, True], "log(x)": [True, False, True]})
    >>> drop_reasons(m, {"log(x)": np.array([True, False, False])}).tolist()
    ['undefined: log(x)', 'missing: z', 'missing: z, log(x)']
    """
    values = missing.to_numpy(dtype=bool)
    undef = np.zeros_like(values)
    labels = [str(c) for c in missing.columns]
    for term, mask in undefined.items():
        if term in labels:
            undef[:, labels.index(term)] = np.asarray(mask, dtype=bool)
    truly = values & ~undef
    out = np.full(len(values), "", dtype=object)
    for r in np.flatnonzero(values.any(axis=1)):
        parts = []
        cols = [labels[j] for j in np.flatnonzero(truly[r])]
        if cols:
            parts.append(missing_label(cols))
        terms = [labels[j] for j in np.flatnonzero(undef[r])]
        if terms:
            parts.append("undefined: " + ", ".join(terms))
        out[r] = "; ".join(parts)
    return out


# ---------------------------------------------------------------------------------------------
def _apply(call: Call, data: TermData) -> tuple[pd.Series, np.ndarray | None]:
    name = str(call.args[0])
    if call.function in SHIFTS:
        k = shift_order(call)
        earlier = to_numeric(data.shifted(name, k), name)
        if call.function == "lag":
            return earlier, None
        return to_numeric(data.column(name), name) - earlier, None
    func = FUNCTIONS.get(call.function)
    if func is None:
        supported = ", ".join(f"{f}()" for f in (*FUNCTIONS, *SHIFTS))
        raise FormulaSyntaxError(
            f"{call}: unknown function {call.function!r}; supported: {supported}. Create "
            "other transformations as columns."
        )
    if len(call.args) != 1 or call.kwargs:
        raise FormulaSyntaxError(f"{call}: {call.function}() takes one variable, e.g. log(x).")
    inner = to_numeric(data.column(name), name)
    arr = inner.to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = func(arr)
    undefined = np.isfinite(arr) & ~np.isfinite(out)
    out = np.where(undefined, np.nan, out)
    return pd.Series(out, index=inner.index), undefined


def _same_level(level: Any, ref: Any) -> bool:
    return bool(level == ref) or str(level) == str(ref)


def _interaction(
    term: Interaction, data: TermData, drop_first: bool, strict_ref: bool
) -> pd.DataFrame:
    factor = data.factor(term.factor)
    if isinstance(factor.dtype, pd.CategoricalDtype):
        levels = [lv for lv in factor.cat.categories if (factor == lv).any()]
    else:
        levels = list(pd.unique(factor.dropna()))
        with contextlib.suppress(TypeError):  # mixed types: keep the order of appearance
            levels = sorted(levels)
    unknown = [r for r in term.ref if not any(_same_level(lv, r) for lv in levels)]
    if unknown and strict_ref:
        close = difflib.get_close_matches(str(unknown[0]), [str(lv) for lv in levels], n=3)
        hint = f" Did you mean {format_values(close)}?" if close else ""
        raise UnknownVariableError(
            f"{term}: ref level(s) {format_values(unknown)} are not levels of {term.factor!r}; "
            f"its levels are {format_values(levels, limit=12)}.{hint}"
        )
    keep = [lv for lv in levels if not any(_same_level(lv, r) for r in term.ref)]
    if term.var is None and not term.ref and drop_first and keep:
        keep = keep[1:]  # all dummies would sum to the intercept / the absorbed effects
    var = None if term.var is None else to_numeric(data.column(term.var), term.var).to_numpy()
    missing = factor.isna().to_numpy()
    out = {}
    for lv in keep:
        dummy = (factor == lv).to_numpy(dtype=bool).astype(np.float64)
        dummy[missing] = np.nan
        name = f"{term.factor}::{lv}" + ("" if term.var is None else f":{term.var}")
        out[name] = dummy if var is None else dummy * var
    return pd.DataFrame(out, index=factor.index)


def evaluate_term(
    term: Term | str, data: TermData, *, drop_first: bool = False, strict_ref: bool = True
) -> Evaluated:
    """Evaluate one term on ``data`` (see the module docstring for the semantics).

    Parameters
    ----------
    term : Term or str
        A parsed term (a plain string is a column name).
    data : TermData
        The family's adapter.
    drop_first : bool, default False
        For ``i(factor)`` without ``var`` and without ``ref``: leave out the first level
        (the estimator has an intercept or absorbs effects).
    strict_ref : bool, default True
        Raise for a ``ref`` level the factor does not have; False for new data (prediction
        years need not contain the reference level).

    Returns
    -------
    Evaluated
    """
    if isinstance(term, str):
        term = Variable(term)
    if isinstance(term, Variable):
        values = to_numeric(data.column(term.name), term.name).rename(term.name)
        return Evaluated(values.to_frame())
    if isinstance(term, Call):
        values, undefined = _apply(term, data)
        name = str(term)
        bad = {name: undefined} if undefined is not None and undefined.any() else {}
        return Evaluated(values.rename(name).to_frame(), bad)
    return Evaluated(_interaction(term, data, drop_first, strict_ref))


def evaluate_terms(
    terms: Iterable[Term],
    data: TermData,
    *,
    drop_first: bool = False,
    strict_ref: bool = True,
    index: Any = None,
) -> Evaluated:
    """Evaluate several terms into one frame (formula order); duplicate columns raise.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, 2.0]})
    >>> evaluate_terms([Variable("x")], FrameTerms(df)).frame.columns.tolist()
    ['x']
    """
    parts = [evaluate_term(t, data, drop_first=drop_first, strict_ref=strict_ref) for t in terms]
    if not parts:
        return Evaluated(pd.DataFrame(index=index))
    frame = pd.concat([p.frame for p in parts], axis=1)
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()].unique()
        raise FormulaSyntaxError(f"regressor(s) {format_values(list(dup))} appear twice.")
    undefined: dict[str, np.ndarray] = {}
    for p in parts:
        undefined.update(p.undefined)
    return Evaluated(frame, undefined)


class FrameTerms:
    """:class:`TermData` over a plain DataFrame (every name is a column).

    ``unit`` and ``time`` name the columns identifying the unit and the calendar period for
    ``lag``/``diff``; by default the unit is the ``origin``-``destination`` pair and the time
    is ``year``.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        unit: tuple[str, ...] = ("origin", "destination"),
        time: str = "year",
        extra: Mapping[str, Callable[[], pd.Series]] | None = None,
    ) -> None:
        self.frame = frame
        self.unit = unit
        self.time = time
        self.extra = dict(extra or {})

    def column(self, name: str) -> pd.Series:
        """The column ``name`` (UnknownVariableError listing the columns if absent)."""
        if name in self.frame.columns:
            return self.frame[name]
        if name in self.extra:
            return self.extra[name]()
        columns = [str(c) for c in self.frame.columns]
        close = difflib.get_close_matches(name, columns, n=3)
        hint = f" Did you mean {format_values(close)}?" if close else ""
        raise UnknownVariableError(
            f"Unknown variable {name!r}: not a column of the data.{hint} (columns: "
            f"{format_values(columns, limit=15)})."
        )

    def factor(self, name: str) -> pd.Series:
        """The column ``name``."""
        return self.column(name)

    def shifted(self, name: str, k: int) -> pd.Series:
        """``name`` ``k`` calendar periods earlier within the unit."""
        needed = [*self.unit, self.time]
        missing = [c for c in needed if c not in self.frame.columns]
        if missing:
            raise MissingColumnError(
                f"lag({name}, {k}) and diff({name}, {k}) need the unit and period of each row: "
                f"column(s) {format_values(missing)} are not in the data (columns: "
                f"{format_values(list(map(str, self.frame.columns)), limit=12)}). Pass a "
                "FlowPanel or add origin, destination and year columns."
            )
        unit = pd.factorize(pd.MultiIndex.from_frame(self.frame[list(self.unit)]))[0]
        return calendar_shift(to_numeric(self.column(name), name), unit, self.frame[self.time], k)
