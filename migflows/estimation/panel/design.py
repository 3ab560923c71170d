"""Build the estimation sample of a panel regression from a formula and panel data.

:func:`build_panel_design` turns ``data`` (a :class:`~migflows.data.panel.FlowPanel` or a long
DataFrame) and a parsed fixest-style formula into the dependent variable, the regressors and
the weights on an ``(entity, time)`` index, ready for linearmodels. It

* reads a FlowPanel through :func:`~migflows.data.rates.region_rates` (``level="region"``) or
  :func:`~migflows.data.rates.pair_rates` (``level="pair"``, entity = ordered pair);
* evaluates the terms with the shared evaluator of :mod:`migflows.models.terms` (the same
  semantics as gravity and the Bayesian model): columns (or index levels), ``log(x)``,
  ``log1p(x)``, ``exp(x)``, ``sqrt(x)``, ``lag(x, k)``, ``diff(x, k)`` and
  ``i(factor, var, ref=...)`` (columns named ``factor::level:var`` as fixest does), also on
  the dependent variable (``log(gsp) ~ ...``); only the look-up (:class:`PanelTerms`:
  columns and index levels, lags within the entity) is panel-specific;
* drops rows with missing values, or where a function is undefined (``log`` of ``x <= 0``),
  with a :class:`~migflows.errors.DroppedRowsWarning` that counts them by variable, and
  keeps them in :attr:`PanelDesign.dropped`;
* checks what linearmodels would fail on or silently get wrong: unknown variables, lags
  longer than the panel, non-positive weights, regressors absorbed by the effects and
  collinear regressors (named).

Lags are calendar lags when the time identifier is an integer (``lag(x, 1)`` in 2015 is the
value of 2014, missing when 2014 is not in the data, as ``plm::lag``); otherwise they shift by
position within each entity.

Examples
--------
>>> import pandas as pd
>>> from migflows.models.formula import parse_formula
>>> df = pd.DataFrame({"id": [1, 1, 1, 2, 2, 2], "t": [1, 2, 3] * 2,
...                    "y": [1.0, 2.0, 2.5, 0.5, 1.5, 3.0], "x": [0.1, 0.4, 0.2, 0.3, 0.9, 0.8]})
>>> d = build_panel_design(parse_formula("y ~ lag(x, 1) | entity"), df, entity="id", time="t",
...                        estimator="fe", warn=False)
>>> list(d.exog.columns), d.nobs, len(d.dropped)
(['lag(x, 1)'], 4, 2)
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.data.rates import add_periods, pair_rates, region_rates
from migflows.errors import (
    DataValidationError,
    DroppedRowsWarning,
    EstimationError,
    FixedEffectError,
    InputTypeError,
    InvalidOptionError,
    MissingColumnError,
    PanelStructureError,
    UnknownVariableError,
    format_values,
)
from migflows.estimation.core.demean import demean
from migflows.estimation.core.identification import find_absorbed, identify, reference_ss
from migflows.models.formula import Call, Formula
from migflows.models.terms import (
    calendar_shift,
    drop_reasons,
    evaluate_term,
    evaluate_terms,
    lag_terms,
    parse_depvar,
    to_numeric,
    undefined_note,
)

__all__ = ["INTERCEPT", "PanelDesign", "PanelTerms", "build_panel_design"]

INTERCEPT = "Intercept"
ENTITY_ALIASES = ("entity", "individual", "id")
TIME_ALIASES = ("time", "period_id")


@dataclass(frozen=True)
class PanelDesign:
    """Estimation sample of a panel regression (everything on an (entity, time) index).

    Attributes
    ----------
    dependent : Series
    exog : DataFrame
        Regressors in formula order (plus ``Intercept`` first where the estimator has one).
    weights : Series or None
    frame : DataFrame
        The data rows of the estimation sample (every column, for clustering and predict).
    dropped : DataFrame
        Rows dropped for missing values: the index of the row and ``reason`` (the variables
        that were missing).
    entity, time : str
        Names of the entity and time index levels.
    entity_effects, time_effects : bool
    depvar : str
    lags : dict
        ``{term: (variable, k)}`` for each ``lag`` term.
    """

    dependent: pd.Series
    exog: pd.DataFrame
    weights: pd.Series | None
    frame: pd.DataFrame
    dropped: pd.DataFrame
    entity: str
    time: str
    entity_effects: bool
    time_effects: bool
    depvar: str
    lags: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def nobs(self) -> int:
        """Observations in the estimation sample."""
        return len(self.dependent)

    @property
    def lagged_dependent(self) -> list[str]:
        """Terms that are lags of the dependent variable."""
        return [t for t, (v, _) in self.lags.items() if v == self.depvar]


# ---------------------------------------------------------------------------------------------
# Data to an (entity, time)-indexed frame
def to_panel_frame(
    data: FlowPanel | pd.DataFrame,
    *,
    entity: str | None,
    time: str | None,
    level: str,
    periods: Mapping[str, tuple[int, int]] | None,
    rates_options: Mapping[str, Any],
) -> tuple[pd.DataFrame, list[Any] | None]:
    """Return a sorted (entity, time)-indexed copy of the data and the years to keep.

    For a FlowPanel the frame holds every attribute year (so that lags reach back before the
    flow years) and the second element lists the flow years the regression uses.
    """
    if isinstance(data, FlowPanel):
        if level not in ("region", "pair"):
            raise InvalidOptionError(f"level={level!r} is not allowed; use 'region' or 'pair'.")
        if entity is not None or time is not None:
            raise InvalidOptionError(
                "entity= and time= are for DataFrames; a FlowPanel's entity is the region "
                "(level='region') or the ordered pair (level='pair') and its time is the year."
            )
        if level == "region":
            frame = region_rates(data, periods=periods, years="all", **rates_options)
            frame.index = frame.index.set_names(["region", "year"])
        else:
            frame = pair_rates(data, periods=periods, **rates_options)
            frame = frame.assign(pair=frame["origin"].astype(str) + "->" + frame["destination"])
            frame = frame.set_index(["pair", "year"])
        return frame.sort_index(), list(data.years)
    if level != "region":
        raise InvalidOptionError(
            f"level={level!r} applies to FlowPanel data; a DataFrame is used as it is (its "
            "entity and time identify the rows)."
        )
    if not isinstance(data, pd.DataFrame):
        raise InputTypeError(
            f"data must be a FlowPanel or a pandas DataFrame, got {type(data).__name__}."
        )
    if (entity is None) != (time is None):
        raise InvalidOptionError(
            "give both entity= and time= (the columns identifying the unit and the period), "
            "or neither when data has an (entity, time) MultiIndex."
        )
    if entity is not None and time is not None:
        missing = [c for c in (entity, time) if c not in data.columns]
        if missing:
            raise MissingColumnError(
                f"entity/time column(s) {format_values(missing)} not in data; available: "
                f"{format_values(map(str, data.columns), limit=12)}."
            )
        frame = data.set_index([entity, time])
    else:
        if not isinstance(data.index, pd.MultiIndex) or data.index.nlevels != 2:
            raise PanelStructureError(
                "data needs an (entity, time) MultiIndex, or name the columns with "
                "entity='region', time='year'."
            )
        frame = data.copy()
        names = [
            n if n is not None else d
            for n, d in zip(frame.index.names, ("entity", "time"), strict=True)
        ]
        frame.index = frame.index.set_names(names)
    if frame.index.duplicated().any():
        dup = frame.index[frame.index.duplicated()].unique()
        raise PanelStructureError(
            f"{len(dup)} (entity, time) pairs appear more than once, e.g. "
            f"{format_values(list(dup), limit=3)}; a panel has one row per entity and period."
        )
    if periods:
        frame = add_periods(frame, periods, year=str(frame.index.names[1]))
    return frame.sort_index(), None


# ---------------------------------------------------------------------------------------------
# Terms: evaluated by the shared evaluator (migflows.models.terms); only the look-up is ours
class PanelTerms:
    """:class:`~migflows.models.terms.TermData` over an (entity, time)-indexed frame.

    Names are columns or index levels; lags are calendar lags within the entity for integer
    time (missing where the earlier period is not in the data), positional otherwise.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def column(self, name: str) -> pd.Series:
        """The column or index level ``name`` (UnknownVariableError with suggestions)."""
        frame = self.frame
        if name in frame.columns:
            return frame[name]
        if name in frame.index.names:
            return pd.Series(frame.index.get_level_values(name), index=frame.index, name=name)
        available = [str(c) for c in frame.columns] + [str(n) for n in frame.index.names]
        close = difflib.get_close_matches(name, available, n=3)
        hint = f" Did you mean {format_values(close)}?" if close else ""
        raise UnknownVariableError(
            f"The formula names {name!r}, which is not a column of the data.{hint} Available: "
            f"{format_values(available, limit=15)}."
        )

    def factor(self, name: str) -> pd.Series:
        """The factor of ``i(name, ...)``: a column or an index level."""
        return self.column(name)

    def shifted(self, name: str, k: int) -> pd.Series:
        """``name`` ``k`` periods earlier within each entity."""
        index = self.frame.index
        values = to_numeric(self.column(name), name)
        return calendar_shift(values, index.get_level_values(0), index.get_level_values(1), k)


# ---------------------------------------------------------------------------------------------
# Checks
def longest_run(frame: pd.DataFrame) -> int:
    """Longest run of consecutive integer periods within an entity (1 for non-integer time)."""
    time = frame.index.get_level_values(1)
    if not pd.api.types.is_integer_dtype(time):
        return int(frame.groupby(level=0).size().max())
    best = 1
    for _, t in pd.Series(time, index=frame.index).groupby(level=0):
        v = np.sort(t.to_numpy())
        starts = np.flatnonzero(np.diff(v) != 1)
        edges = np.concatenate([[-1], starts, [len(v) - 1]])
        best = max(best, int(np.diff(edges).max()))
    return best


def _check_lags(
    frame: pd.DataFrame, lags: Mapping[str, tuple[str, int]], columns: pd.DataFrame
) -> None:
    run = longest_run(frame)
    time = frame.index.get_level_values(1)
    for term, (_var, k) in lags.items():
        if columns[term].notna().any():
            continue
        raise PanelStructureError(
            f"{term} needs observations {k} period(s) apart within an entity, i.e. at least "
            f"{k + 1} consecutive periods; the data have periods "
            f"{format_values(sorted(pd.unique(time)), limit=12)} and the longest run of "
            f"consecutive periods is {run}. Use a shorter lag or data with more periods."
        )


def _transform(
    design_x: pd.DataFrame,
    estimator: str,
    entity_effects: bool,
    time_effects: bool,
    weights: pd.Series | None,
) -> np.ndarray:
    """The regressors as the estimator sees them (for the rank check)."""
    x = design_x.to_numpy(dtype=np.float64)
    w = None if weights is None else weights.to_numpy(dtype=np.float64)
    if estimator == "fe" and (entity_effects or time_effects):
        levels = [lv for lv, on in ((0, entity_effects), (1, time_effects)) if on]
        if len(levels) == 1:  # one-way: a (weighted) group mean is exact, no iteration needed
            ww = np.ones(len(x)) if w is None else w
            wx = pd.DataFrame(x * ww[:, None], index=design_x.index)
            sums = wx.groupby(level=levels[0]).transform("sum").to_numpy()
            wsum = pd.Series(ww, index=design_x.index).groupby(level=levels[0]).transform("sum")
            x = x - sums / wsum.to_numpy()[:, None]
        else:
            codes = [pd.factorize(design_x.index.get_level_values(lv))[0] for lv in levels]
            x = demean(x, np.column_stack(codes), w).x
    elif estimator == "fd":
        x = design_x.groupby(level=0).diff().dropna().to_numpy(dtype=np.float64)
    elif estimator == "between":
        x = design_x.groupby(level=0).mean().to_numpy(dtype=np.float64)
    if w is not None and estimator in ("fe", "pooled", "re"):
        x = x * np.sqrt(w)[:, None]
    return x


def _check_rank(x: np.ndarray, names: Sequence[str], where: str, scale: np.ndarray) -> None:
    """Raise naming each regressor that is a linear combination of earlier ones (formula order).

    The shared identification check (:func:`migflows.estimation.core.identification.identify`,
    one tolerance for every family) on the regressors as the estimator sees them (``x``:
    demeaned, differenced or entity means); ``scale`` holds each regressor's sum of squares
    before the transformation (:func:`~migflows.estimation.core.identification.reference_ss`):
    a column left with a negligible share of it was absorbed.
    """
    ident = identify(x, names=[str(n) for n in names], Xt=x, scale=scale)
    if ident.identified:
        return
    problems = [
        f"{n!r} is a linear combination of {format_values(p, limit=6)}{where}"
        if p
        else f"{n!r} has no variation left{where}"
        for n, p in ident.collinear.items()
    ]
    raise ident.error(
        "The design matrix is singular: " + "; ".join(problems) + ". Drop one of the "
        "collinear regressors (or an i() level with ref=...)."
    )


# ---------------------------------------------------------------------------------------------
def build_panel_design(
    formula: Formula,
    data: FlowPanel | pd.DataFrame,
    *,
    estimator: str,
    entity: str | None = None,
    time: str | None = None,
    level: str = "region",
    weights: str | None = None,
    periods: Mapping[str, tuple[int, int]] | None = None,
    rates_options: Mapping[str, Any] | None = None,
    warn: bool = True,
) -> PanelDesign:
    """Evaluate ``formula`` on ``data`` and return the checked estimation sample.

    Parameters
    ----------
    formula : Formula
        Parsed formula; its fixed-effect part may name ``entity`` / ``time`` (or the names of
        the index levels, e.g. ``region``, ``year``).
    data : FlowPanel or DataFrame
    estimator : {"fe", "re", "fd", "between", "pooled"}
    entity, time : str, optional
        Columns identifying unit and period of a DataFrame without an (entity, time) index.
    level : {"region", "pair"}
        How a FlowPanel is turned into a panel.
    weights : str, optional
        Column of strictly positive weights.
    periods : mapping, optional
        Period labels for ``i(period, x)`` (:func:`~migflows.data.rates.add_periods`).
    rates_options : mapping, optional
        Passed to ``region_rates`` / ``pair_rates`` (``window``, ``uncertainty_of``, ...).
    warn : bool, default True
        Emit the :class:`DroppedRowsWarning`.

    Returns
    -------
    PanelDesign
    """
    frame, keep_years = to_panel_frame(
        data,
        entity=entity,
        time=time,
        level=level,
        periods=periods,
        rates_options=rates_options or {},
    )
    entity_name, time_name = (str(n) for n in frame.index.names)
    entity_effects, time_effects = _effects(formula, estimator, entity_name, time_name)
    has_intercept = formula.intercept and estimator in ("re", "pooled", "between", "fd")
    drop_first = has_intercept or entity_effects or time_effects or estimator == "fd"

    data_terms = PanelTerms(frame)
    dep_term = parse_depvar(formula.depvar)
    dep_eval = evaluate_term(dep_term, data_terms)
    dep = dep_eval.frame.iloc[:, 0].rename(formula.depvar)
    evaluated = evaluate_terms(formula.terms, data_terms, drop_first=drop_first, index=frame.index)
    exog = evaluated.frame
    undefined = {**dep_eval.undefined, **evaluated.undefined}
    functions = {str(t): t.function for t in (dep_term, *formula.terms) if isinstance(t, Call)}
    lags = {t: v for t, v in lag_terms(formula.terms).items() if t.startswith("lag(")}
    w = None
    if weights is not None:
        w = to_numeric(data_terms.column(weights), weights).rename(weights)
    if keep_years is not None:  # FlowPanel: only the flow years are observations
        rows = frame.index.get_level_values(1).isin(keep_years)
        frame, dep, exog = frame[rows], dep[rows], exog[rows]
        w = None if w is None else w[rows]
        undefined = {t: m[rows] for t, m in undefined.items()}
    shifts = lag_terms(formula.terms)
    if shifts:
        _check_lags(frame, shifts, exog)

    columns = pd.concat(
        [dep.to_frame(), exog] + ([w.to_frame("__weights__")] if w is not None else []), axis=1
    )
    bad = ~np.isfinite(columns.to_numpy(dtype=np.float64))
    missing_rows = bad.any(axis=1)
    labels = [formula.depvar, *exog.columns] + ([weights] if w is not None else [])
    why = drop_reasons(pd.DataFrame(bad, columns=labels), undefined)
    dropped = pd.DataFrame({"reason": why[missing_rows]}, index=frame.index[missing_rows])
    if missing_rows.all():
        counts = pd.Series(bad.sum(axis=0), index=labels).sort_values(ascending=False)
        raise PanelStructureError(
            f"No row has all of the model's variables: every one of the {len(frame)} rows "
            f"misses a value (missing per variable: "
            f"{', '.join(f'{k} {v}' for k, v in counts.items() if v)}). Choose variables "
            "observed in the same periods."
        )
    if missing_rows.any() and warn:
        counts = pd.Series(bad[missing_rows].sum(axis=0), index=labels)
        detail = ", ".join(f"{k} ({v})" for k, v in counts.items() if v)
        note = undefined_note(undefined, functions)
        warnings.warn(
            f"Dropped {int(missing_rows.sum())} of {len(frame)} rows with missing values in: "
            f"{detail}{note}. They are listed in the result's .dropped.",
            DroppedRowsWarning,
            stacklevel=3,
        )
    keep = ~missing_rows
    frame, dep, exog = frame[keep], dep[keep], exog[keep]
    if w is not None:
        w = w[keep]
        nonpos = w[w <= 0]
        if len(nonpos):
            raise DataValidationError(
                f"weights {weights!r} must be strictly positive; {len(nonpos)} row(s) are <= 0, "
                f"e.g. {format_values(list(nonpos.index), limit=3)}. Drop those rows or use "
                "another weight."
            )
    _check_absorbed(exog, estimator, entity_effects, time_effects)
    if has_intercept and estimator == "fd":
        # plm's first-difference model keeps an intercept in the differenced equation: a
        # regressor whose difference between adjacent periods is 1, i.e. the position of the
        # period among the sample's periods (a linear trend in levels); linearmodels'
        # FirstDifferenceOLS refuses a constant, so the intercept is given to it this way
        period = frame.index.get_level_values(1)
        position = pd.Index(period.unique().sort_values()).get_indexer(period)
        exog.insert(0, INTERCEPT, np.asarray(position, dtype=np.float64))
    elif has_intercept:
        exog.insert(0, INTERCEPT, 1.0)
    if estimator == "fe" and not (entity_effects or time_effects):
        raise FixedEffectError("estimator='fe' needs entity and/or time effects.")
    where = {
        "fe": " after removing the "
        + " and ".join(n for n, on in (("entity", entity_effects), ("time", time_effects)) if on)
        + " effects",
        "fd": " after first-differencing",
        "between": " in the entity means",
    }.get(estimator, "")
    if exog.shape[1]:
        xt = _transform(exog, estimator, entity_effects, time_effects, w)
        raw = exog.groupby(level=0).mean() if estimator == "between" else exog
        scale = reference_ss(raw.to_numpy(dtype=np.float64))
        _check_rank(xt, [str(c) for c in exog.columns], where, scale)
    return PanelDesign(
        dependent=dep,
        exog=exog,
        weights=w,
        frame=frame,
        dropped=dropped,
        entity=entity_name,
        time=time_name,
        entity_effects=entity_effects,
        time_effects=time_effects,
        depvar=formula.depvar,
        lags=lags,
    )


def _effects(formula: Formula, estimator: str, entity: str, time: str) -> tuple[bool, bool]:
    entity_names = {*ENTITY_ALIASES, entity}
    time_names = {*TIME_ALIASES, time, "year"}
    ent = tim = False
    for fe in formula.fixed_effects:
        if len(fe) != 1 or fe[0] not in entity_names | time_names:
            raise FixedEffectError(
                f"'| {'^'.join(fe)}': panel regressions absorb entity and/or time effects only "
                f"(write '| entity', '| time' or '| entity + time'; here entity is {entity!r} "
                f"and time is {time!r}). For other fixed effects use a gravity model or "
                "dummies with i(factor)."
            )
        if fe[0] in entity_names:
            ent = True
        else:
            tim = True
    if estimator != "fe" and (ent or tim):
        hint = (
            " (the random-effects model treats the entity effect as random; for time dummies "
            f"add i({time}) to the regressors)"
            if estimator == "re"
            else f" (for time dummies add i({time}) to the regressors)"
        )
        raise FixedEffectError(
            f"estimator={estimator!r} does not absorb effects; drop the '| ...' part of the "
            f"formula{hint}, or use estimator='fe'."
        )
    if estimator == "fe" and not (ent or tim):
        ent = True  # plm's default: the within estimator with individual effects
    return ent, tim


def _check_absorbed(
    exog: pd.DataFrame, estimator: str, entity_effects: bool, time_effects: bool
) -> None:
    if exog.shape[1] == 0:
        return
    zero = [str(c) for c in exog.columns if not exog[c].abs().gt(0).any()]
    if zero:
        raise EstimationError(
            f"{format_values(zero, limit=10)} {'is' if len(zero) == 1 else 'are'} zero in every "
            f"row of the estimation sample ({len(exog)} rows), e.g. i(period, x) for a period "
            "without complete rows; drop the term or choose periods/variables with data."
        )
    checks = []
    if (estimator == "fe" and entity_effects) or estimator == "fd":
        label = "the entity effects" if estimator == "fe" else "first-differencing"
        checks.append((0, label, "entity"))
    if estimator == "fe" and time_effects:
        checks.append((1, "the time effects", "period"))
    for lvl, label, unit in checks:
        codes = pd.factorize(exog.index.get_level_values(lvl))[0].reshape(-1, 1)
        ident = find_absorbed(  # the shared check of every family (core.identification)
            exog.to_numpy(dtype=np.float64),
            codes,
            names=[str(c) for c in exog.columns],
            fe_names=["entity" if unit == "entity" else "time"],
        )
        absorbed = list(ident.absorbed)
        if absorbed:
            raise ident.error(
                f"{format_values(absorbed, limit=10)} {'is' if len(absorbed) == 1 else 'are'} "
                f"constant within every {unit} and absorbed by {label}; their coefficients "
                "are not identified. Drop them, or use estimator='re', 'pooled' or 'between'"
                + (" (or interact them with a time-varying variable)." if unit == "entity" else ".")
            )
