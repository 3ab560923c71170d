"""Turn a parsed formula and a FlowPanel (or a DataFrame) into estimation arrays.

:func:`build_design` evaluates every term of a fixest-style
:class:`~migflows.models.formula.Formula`
on the data, builds the fixed-effect codes and the candidate cluster variables, and drops rows
with missing values *with a warning and a record* (:attr:`Design.dropped`), never silently.

Names understood in formulas on a FlowPanel
-------------------------------------------
* the flow: ``flow``; derived covariates of :mod:`migflows.data.covariates` (``log_dist``,
  ``log_pop_o``, ``log_wage_ratio``, ``unemp_diff``, ``lag(x, k)`` …) and pair variables;
* calls ``log(x)``, ``log1p(x)``, ``exp(x)``, ``sqrt(x)``, ``lag(x, k)``, ``diff(x, k)`` of
  any of those, with the semantics of :mod:`migflows.models.terms` (shared with the panel and
  Bayesian designs): rows where a function is undefined (``log`` of ``x <= 0``) and rows
  with a missing value are dropped with a warning naming the variable and the count, and
  kept in :attr:`Design.dropped`; lags are calendar lags within the pair;
* ``i(factor, var, ref=...)`` with ``factor`` = ``year``, ``orig``/``dest`` or ``period``
  (with ``periods={"boom": (2000, 2007), ...}``) — columns named ``factor::level:var`` as
  fixest does;
* fixed effects ``orig`` (alias ``origin``), ``dest`` (``destination``), ``year``, ``pair``
  (the ordered pair) and interactions such as ``orig^year``, ``dest^year``, ``orig^dest``.

On a DataFrame every name is a column (calls and ``i()`` as above; ``lag``/``diff`` need
``origin``, ``destination`` and ``year`` columns).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.data.rates import add_periods
from migflows.errors import (
    DroppedRowsWarning,
    FixedEffectError,
    InvalidOptionError,
    MissingColumnError,
    UnknownVariableError,
    format_values,
)
from migflows.models.formula import Call, Formula, Term
from migflows.models.terms import (
    FUNCTIONS,
    Evaluated,
    FrameTerms,
    drop_reasons,
    evaluate_term,
    evaluate_terms,
    parse_depvar,
    to_numeric,
    undefined_note,
)

FE_ALIASES: dict[str, str] = {
    "orig": "origin",
    "origin": "origin",
    "o": "origin",
    "dest": "destination",
    "destination": "destination",
    "d": "destination",
    "year": "year",
    "pair": "pair",
}
"""Fixed-effect names on a FlowPanel and the key column each stands for."""

CALLS: dict[str, Callable[[np.ndarray], np.ndarray]] = FUNCTIONS
"""Elementwise formula functions (the shared :data:`migflows.models.terms.FUNCTIONS`)."""


@dataclass(frozen=True)
class Design:
    """Estimation arrays on the kept rows.

    Attributes
    ----------
    formula : Formula
    y : Series
        Dependent variable.
    X : DataFrame
        Regressors, one column per (expanded) term.
    fe : DataFrame
        One integer-coded column per fixed effect (``"orig^year"``); empty without.
    fe_labels : DataFrame
        The same fixed effects as text labels (``"astana_city|2021"``), for prediction.
    keys : DataFrame
        ``origin, destination, year`` of the kept rows (FlowPanel data) or the kept index.
    clusters : DataFrame
        Candidate cluster variables (codes): ``orig``, ``dest``, ``pair``, ``year`` and every
        fixed effect.
    weights, offset : Series or None
    rows : ndarray of int
        Positions of the kept rows in the data (``panel.flows`` order).
    dropped : DataFrame
        Rows left out and why (``reason``), with their keys.
    """

    formula: Formula
    y: pd.Series
    X: pd.DataFrame
    fe: pd.DataFrame
    keys: pd.DataFrame
    clusters: pd.DataFrame
    weights: pd.Series | None
    offset: pd.Series | None
    rows: np.ndarray
    dropped: pd.DataFrame = field(repr=False)
    fe_labels: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    offset_name: str | None = None

    @property
    def nobs(self) -> int:
        """Kept observations."""
        return len(self.y)


class _Source:
    """Column look-up on a FlowPanel or a DataFrame."""

    def __init__(
        self, data: FlowPanel | pd.DataFrame, periods: Mapping[str, tuple[int, int]] | None
    ):
        self.panel = data if isinstance(data, FlowPanel) else None
        self.frame = None if isinstance(data, FlowPanel) else data.reset_index(drop=True)
        self.index = data.flows.index if isinstance(data, FlowPanel) else data.index
        self.periods = periods
        if self.panel is not None:
            self.keys = self.panel.flows[["origin", "destination", "year"]]
        else:
            assert self.frame is not None
            cols = [c for c in ("origin", "destination", "year") if c in self.frame.columns]
            self.keys = self.frame[cols]
        self.n = len(self.keys)

    def column(self, name: str) -> pd.Series:
        """The column or derived covariate ``name``, on positions ``0 .. n-1``."""
        return self._column(name).reset_index(drop=True)

    def _column(self, name: str) -> pd.Series:
        if self.panel is not None:
            if name in ("origin", "destination", "year"):
                return self.keys[name]
            if name == "flow":
                return self.panel.flows["flow"]
            if name == "period":
                return self._period()
            return self.panel.covariates([name])[name]
        assert self.frame is not None
        if name == "period" and name not in self.frame.columns and self.periods:
            return self._period()
        return FrameTerms(self.frame).column(name)

    def factor(self, name: str) -> pd.Series:
        """The factor of ``i(name, ...)``: a fixed-effect key (``orig``) or a column."""
        values = self.fe_key(name) if name in FE_ALIASES else self.column(name)
        return pd.Series(np.asarray(values), index=range(self.n))

    def shifted(self, name: str, k: int) -> pd.Series:
        """``name`` ``k`` calendar years earlier for the same pair (NaN where not observed)."""
        if self.panel is not None:
            # the covariate grammar reads lags from the annual attribute table, so they
            # exist even in the years between irregular flow years
            out = self.panel.covariates([f"lag({name}, {k})"]).iloc[:, 0]
            return pd.Series(out.to_numpy(), index=range(self.n))
        assert self.frame is not None
        return FrameTerms(self.frame).shifted(name, k)

    def _period(self) -> pd.Series:
        if not self.periods:
            raise UnknownVariableError(
                "The formula uses 'period' but no periods were given; pass periods="
                "{'boom': (2000, 2007), 'crisis': (2008, 2014)}."
            )
        years = pd.DataFrame({"year": self.column("year").to_numpy()})
        return add_periods(years, self.periods)["period"].astype(object)

    def role_column(self, role: str) -> str:
        """The column holding ``role`` (origin, destination, year) under any of its spellings.

        On a DataFrame with ``orig``/``dest`` columns, ``| origin^year`` finds them too.
        """
        if self.frame is None or role in self.frame.columns:
            return role
        spellings = [a for a, canonical in FE_ALIASES.items() if canonical == role]
        return next((a for a in spellings if a in self.frame.columns), role)

    def fe_key(self, name: str) -> pd.Series:
        key = (
            FE_ALIASES.get(name)
            if self.panel is not None or (self.frame is not None and name not in self.frame.columns)
            else name
        )
        if key is None:
            if self.panel is not None:
                raise FixedEffectError(
                    f"Fixed effect {name!r} is not known on a FlowPanel; use orig, dest, year, "
                    f"pair or interactions such as orig^year."
                )
            key = name
        if key == "pair":
            o, d = self.role_column("origin"), self.role_column("destination")
            return self.column(o).astype(str) + "→" + self.column(d).astype(str)
        if key in ("origin", "destination", "year"):
            key = self.role_column(key)
        try:
            return self.column(key)
        except UnknownVariableError as err:
            raise FixedEffectError(f"Fixed effect {name!r} is not in the data; {err}") from None


def _numeric(values: pd.Series, name: str) -> pd.Series:
    return to_numeric(pd.Series(values).reset_index(drop=True), name)


def build_design(
    formula: Formula,
    data: FlowPanel | pd.DataFrame,
    *,
    weights: str | pd.Series | np.ndarray | None = None,
    offset: str | pd.Series | np.ndarray | None = None,
    periods: Mapping[str, tuple[int, int]] | None = None,
    depvar_transform: Callable[[pd.Series], tuple[pd.Series, pd.Series]] | None = None,
    extra_clusters: tuple[str, ...] = (),
) -> Design:
    """Evaluate ``formula`` on ``data`` and return the estimation arrays.

    Parameters
    ----------
    formula : Formula
        Parsed with :func:`migflows.models.formula.parse_formula`.
    data : FlowPanel or DataFrame
        The data; a DataFrame needs a column for every name.
    weights, offset : str, array or Series, optional
        A column/covariate name or values aligned with the data rows.
    periods : mapping, optional
        Periods for ``i(period, x)`` terms.
    depvar_transform : callable, optional
        Maps the dependent variable to ``(values, keep_mask)`` (e.g. log with zero rows
        marked for dropping by log-OLS); rows with ``keep_mask`` False are dropped with the
        reason ``"depvar transform"``.
    extra_clusters : tuple of str
        Further cluster variables to evaluate (columns or FE names).

    Returns
    -------
    Design

    Examples
    --------
    >>> import migflows
    >>> from migflows.models.formula import parse_formula
    >>> kz = migflows.load_kazakhstan(years=[2021])
    >>> d = build_design(parse_formula("flow ~ log_dist | orig + dest"), kz)
    >>> d.X.shape, list(d.fe.columns)
    ((380, 1), ['orig', 'dest'])
    """
    if not isinstance(data, (FlowPanel, pd.DataFrame)):
        raise InvalidOptionError(
            f"data must be a FlowPanel or a pandas DataFrame, got {type(data).__name__}."
        )
    src = _Source(data, periods)
    dep = evaluate_term(parse_depvar(formula.depvar), src)
    y = dep.frame.iloc[:, 0].rename(formula.depvar)
    reasons = pd.Series("", index=range(src.n), dtype=object)
    if depvar_transform is not None:
        y, keep = depvar_transform(y)
        reasons[~keep.to_numpy()] = "depvar transform"
    X, fe_cols, undefined = _evaluate_rhs(formula, src, strict_ref=True)
    undefined = {**dep.undefined, **undefined}
    w = _aligned(weights, src, "weights")
    off = _aligned(offset, src, "offset")
    missing = pd.concat(
        [
            y.isna().rename(formula.depvar),
            X.isna(),
            fe_cols.isna().add_prefix("FE "),
            *([] if w is None else [w.isna().rename("weights")]),
            *([] if off is None else [off.isna().rename("offset")]),
        ],
        axis=1,
    )
    miss_row = missing.any(axis=1).to_numpy()
    # "missing value", "undefined: log(x)" (a function undefined there, e.g. log of 0) or both
    why = drop_reasons(missing, undefined, lambda _cols: "missing value")
    fill = miss_row & (reasons == "").to_numpy()
    reasons[fill] = why[fill]
    keep_rows = (reasons == "").to_numpy()
    keys = src.keys.reset_index(drop=True)
    dropped = keys[~keep_rows].assign(
        row=np.flatnonzero(~keep_rows), reason=reasons[~keep_rows].to_numpy()
    )
    if (~keep_rows).any():
        counts = missing[miss_row].sum()
        detail = ", ".join(f"{c}: {int(k)}" for c, k in counts.items() if k)
        extra = f" (missing values by variable: {detail})" if detail else ""
        n_dep = int((reasons == "depvar transform").sum())
        dep_note = f"; {n_dep} by the dependent-variable transform" if n_dep else ""
        note = undefined_note(undefined, _functions(formula))
        warnings.warn(
            f"Dropped {int((~keep_rows).sum())} of {src.n} observations{extra}{note}{dep_note}; "
            f"see results.dropped.",
            DroppedRowsWarning,
            stacklevel=3,
        )
    if not keep_rows.any():
        raise UnknownVariableError(
            "No observation is left: every row has a missing value in some variable "
            f"({format_values([c for c in missing.columns if missing[c].all()])} are missing "
            f"everywhere). Check panel.coverage() and the years you selected."
        )
    rows = np.flatnonzero(keep_rows)
    fe = pd.DataFrame(
        {k: pd.factorize(v[keep_rows])[0] for k, v in fe_cols.items()},
        index=range(len(rows)),
    )
    fe_labels = fe_cols[keep_rows].reset_index(drop=True)
    clusters = _clusters(src, keep_rows, fe, extra_clusters)
    return Design(
        formula=formula,
        y=y[keep_rows].reset_index(drop=True),
        X=X[keep_rows].reset_index(drop=True),
        fe=fe,
        keys=keys[keep_rows].reset_index(drop=True),
        clusters=clusters,
        weights=None if w is None else w[keep_rows].reset_index(drop=True),
        offset=None if off is None else off[keep_rows].reset_index(drop=True),
        rows=rows,
        dropped=dropped.reset_index(drop=True),
        fe_labels=fe_labels,
        offset_name=offset if isinstance(offset, str) else None,
    )


def _functions(formula: Formula) -> dict[str, str]:
    terms: list[Term] = [*formula.terms, parse_depvar(formula.depvar)]
    return {str(t): t.function for t in terms if isinstance(t, Call)}


def _evaluate_rhs(
    formula: Formula, src: _Source, *, strict_ref: bool
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    evaluated: Evaluated = evaluate_terms(
        formula.terms, src, strict_ref=strict_ref, index=range(src.n)
    )
    X = evaluated.frame.set_axis(range(src.n))
    if not formula.fixed_effects and formula.intercept:
        X.insert(0, "Intercept", 1.0)
    fe_cols = {}
    for fe in formula.fixed_effects:
        parts = [np.asarray(src.fe_key(name)) for name in fe]
        fe_cols["^".join(fe)] = parts[0] if len(parts) == 1 else _interaction_labels(parts)
    fe_frame = pd.DataFrame(fe_cols, index=range(src.n))
    return X, fe_frame, evaluated.undefined


def _interaction_labels(parts: list[np.ndarray]) -> np.ndarray:
    """Labels ``"a|2021"`` of an interacted fixed effect, built once per distinct level.

    Rows are combined through integer codes; text is made only for the distinct levels
    (joining strings row by row costs seconds at a million rows). A missing part gives a
    missing label.
    """
    n = len(parts[0])
    combined = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    for part in parts:
        codes, uniques = pd.factorize(part)
        missing |= codes < 0
        combined = combined * (len(uniques) + 1) + (codes + 1)  # missing -> 0: no collision
    codes, _ = pd.factorize(combined)
    first = np.unique(codes, return_index=True)[1]
    texts = np.array(["|".join(str(p[r]) for p in parts) for r in first], dtype=object)
    labels = texts[codes]
    labels[missing] = None
    return labels


def evaluate_rhs(
    formula: Formula,
    data: FlowPanel | pd.DataFrame,
    *,
    periods: Mapping[str, tuple[int, int]] | None = None,
    offset: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series | None]:
    """Regressors, fixed-effect labels and offset of ``formula`` on every row of ``data``.

    No row is dropped (missing values stay NaN); used for prediction and counterfactuals.

    Examples
    --------
    >>> import migflows
    >>> from migflows.models.formula import parse_formula
    >>> X, fe, _ = evaluate_rhs(parse_formula("flow ~ log_dist | orig^year"),
    ...                         migflows.load_kazakhstan(years=[2021]))
    >>> X.shape, fe.iloc[0, 0]
    ((380, 1), 'abai|2021')
    """
    src = _Source(data, periods)
    X, fe_frame, _ = _evaluate_rhs(formula, src, strict_ref=False)
    off = _aligned(offset, src, "offset") if offset is not None else None
    return X, fe_frame, off


def _aligned(value: Any, src: _Source, name: str) -> pd.Series | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _numeric(src.column(value), value)
    if isinstance(value, pd.Series) and not value.index.equals(src.index):
        # A Series is matched by its index labels, never by position (pandas semantics).
        if value.index.has_duplicates or len(value) != src.n:
            raise InvalidOptionError(
                f"{name} is a Series with {len(value)} value(s) (index duplicated: "
                f"{bool(value.index.has_duplicates)}); it must have one value per observation "
                f"({src.n}), indexed like the data rows."
            )
        absent = src.index.difference(value.index)
        if len(absent):
            raise InvalidOptionError(
                f"{name} is a Series whose index lacks {len(absent)} row label(s) of the data: "
                f"{format_values(list(absent))}. Index it like the data (e.g. pass "
                f"df['w'] or values aligned by .to_numpy())."
            )
        value = value.reindex(src.index)
    arr = np.asarray(value)
    if arr.ndim == 1 and arr.dtype.kind not in "biuf":
        arr = _numeric(pd.Series(arr), name).to_numpy()
    if arr.shape != (src.n,):
        raise InvalidOptionError(
            f"{name} has shape {arr.shape}; it must have one value per observation ({src.n})."
        )
    arr = arr.astype(float)
    if np.isinf(arr).any():
        raise InvalidOptionError(
            f"{name} holds {int(np.isinf(arr).sum())} infinite value(s); give finite values."
        )
    if name == "weights" and (arr < 0).any():
        raise InvalidOptionError(
            f"weights hold {int((arr < 0).sum())} negative value(s), e.g. "
            f"{format_values(arr[arr < 0])}; weights must be zero or positive."
        )
    return pd.Series(arr, index=range(src.n))


def _clusters(
    src: _Source, keep: np.ndarray, fe: pd.DataFrame, extra: tuple[str, ...]
) -> pd.DataFrame:
    out = {}
    names = ["orig", "dest", "pair", "year"] if src.panel is not None else []
    if src.frame is not None:
        cols = set(src.frame.columns)
        names = [n for n in ("origin", "destination", "year") if n in cols]
        if {"origin", "destination"} <= cols or {"orig", "dest"} <= cols:
            names += ["orig", "dest", "pair"]
    for name in [*names, *extra]:
        try:
            values = src.fe_key(name)
        except (FixedEffectError, UnknownVariableError, MissingColumnError):
            continue
        out[name] = pd.factorize(np.asarray(values)[keep])[0]
    frame = pd.DataFrame(out, index=range(int(keep.sum())))
    for col in fe.columns:
        frame[col] = fe[col].to_numpy()
    return frame
