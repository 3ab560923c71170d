"""Panel unit-root and stationarity tests, and per-region ADF / KPSS.

:func:`unit_root` runs the first-generation panel tests of Im-Pesaran-Shin, Levin-Lin-Chu,
Maddala-Wu and Choi (built on per-unit ADF regressions), Hadri's stationarity test, and
Pesaran's (2007) CIPS test, which allows for a common factor across units.
:func:`adf_by_region` and :func:`kpss_by_region` run statsmodels' single-series tests
unit by unit and return a tidy table.

The panel statistics are written by hand (in :mod:`.unit_root_core`): no maintained Python
package provides them, and the one that does (panelbox) rejected true unit roots far too
often in a size check, so it is neither wrapped nor copied. They re-implement R
``plm::purtest`` / ``plm::cipstest`` (plm 2.6-2) and are tested against them; the per-unit
p-values are MacKinnon's (1994) response surfaces, as in statsmodels' ``adfuller`` (plm
uses the same unless the R package ``urca`` is installed, in which case it switches to
MacKinnon 1996; pass ``p.approx = "MacKinnon1994"`` to plm to compare).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.stattools import adfuller, kpss

from migflows.errors import (
    InvalidOptionError,
    MigflowsWarning,
    MissingColumnError,
    MissingValueError,
    NonNumericError,
    PanelStructureError,
    format_values,
)
from migflows.estimation import unit_root_core as core
from migflows.estimation import unit_root_tables as tables
from migflows.estimation.unit_root_result import UnitRootResult

__all__ = ["UnitRootResult", "adf_by_region", "kpss_by_region", "unit_root"]

TESTS = ("ips", "llc", "madwu", "choi", "hadri", "cips")
_TEST_ALIASES = {"levinlin": "llc", "fisher": "madwu", "maddala-wu": "madwu"}
TRENDS = ("none", "c", "ct")
_TREND_ALIASES = {"n": "none", "nc": "none", "intercept": "c", "trend": "ct"}
LAG_METHODS = ("aic", "bic", "hall")
_LAG_ALIASES = {"sic": "bic"}
IPS_STATS = ("wtbar", "ztbar", "tbar")
CHOI_STATS = ("invnormal", "logit", "pm")
DEFAULT_MAX_LAGS = 10  # plm::purtest's default pmax

_UNIT_ROOT_H0 = "all series have a unit root"
_HYPOTHESES = {
    "ips": (_UNIT_ROOT_H0, "some series are stationary"),
    "llc": (_UNIT_ROOT_H0, "all series are stationary, with a common autoregressive coefficient"),
    "madwu": (_UNIT_ROOT_H0, "at least one series is stationary"),
    "choi": (_UNIT_ROOT_H0, "at least one series is stationary"),
    "hadri": ("all series are stationary", "at least one series has a unit root"),
    "cips": (_UNIT_ROOT_H0, "some series are stationary (common factor allowed)"),
}


# ---------------------------------------------------------------------------
# Input handling
@dataclass(frozen=True)
class _Panel:
    variable: str
    entities: list[Any]
    series: list[np.ndarray]
    times: list[np.ndarray]
    all_times: np.ndarray
    balanced: bool

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(s) for s in self.series])

    def wide(self) -> np.ndarray:
        return np.vstack(self.series).astype(float)


def _option(value: object, name: str, allowed: Sequence[str], aliases: Mapping[str, str]) -> str:
    if isinstance(value, str):
        key = value.lower()
        key = aliases.get(key, key)
        if key in allowed:
            return key
    raise InvalidOptionError(
        f"{name}={value!r} is not supported; allowed: {', '.join(repr(a) for a in allowed)}"
    )


def _column_or_level(data: pd.DataFrame, name: str, role: str) -> pd.Index:
    if name in data.columns:
        return pd.Index(data[name])
    if name in (data.index.names or []):
        return pd.Index(data.index.get_level_values(name))
    raise MissingColumnError(
        f"{role} column {name!r} is not in the data; columns: "
        f"{format_values(list(map(str, data.columns)), limit=12)}"
    )


def _prepare(data: pd.DataFrame, variable: str, entity: str | None, time: str | None) -> _Panel:
    if not isinstance(data, pd.DataFrame):
        raise PanelStructureError(
            f"data must be a pandas DataFrame with an (entity, time) MultiIndex or entity/time "
            f"columns, got {type(data).__name__}"
        )
    if (entity is None) != (time is None):
        raise InvalidOptionError(
            "give both entity= and time= (column names), or neither and an (entity, time) "
            "MultiIndex"
        )
    if entity is None or time is None:
        if not isinstance(data.index, pd.MultiIndex) or data.index.nlevels != 2:
            raise PanelStructureError(
                "data has no (entity, time) MultiIndex; pass entity= and time= naming the "
                "columns that identify units and periods"
            )
        ent = pd.Index(data.index.get_level_values(0))
        tim = pd.Index(data.index.get_level_values(1))
    else:
        ent = _column_or_level(data, entity, "entity")
        tim = _column_or_level(data, time, "time")
    values = data[variable] if variable in data.columns else None
    columns = data.columns
    if values is None:
        raise MissingColumnError(
            f"variable {variable!r} is not in the data; columns: "
            f"{format_values(list(map(str, columns)), limit=12)}"
        )
    if isinstance(values, pd.DataFrame):
        raise PanelStructureError(f"column name {variable!r} is duplicated in the data")
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
        shown = format_values(bad.unique()) if len(bad) else f"dtype {values.dtype}"
        raise NonNumericError(
            f"variable {variable!r} must be numeric; found {shown}. Convert it with "
            "pd.to_numeric or pick a numeric column."
        )
    arr = values.to_numpy(dtype=float)
    if ent.hasnans or tim.hasnans:
        raise MissingValueError(
            "the entity or time identifiers hold missing values; fill or drop them"
        )
    bad_mask = ~np.isfinite(arr)
    if bad_mask.any():
        pairs = list(zip(ent[bad_mask], tim[bad_mask], strict=True))
        raise MissingValueError(
            f"variable {variable!r} has {int(bad_mask.sum())} missing or infinite value(s) at "
            f"(entity, time) {format_values(pairs)}; the tests need complete series: "
            "impute them or drop the affected units"
        )
    # Vectorised from here: entity codes and time positions, then one split.
    e_codes, e_labels = pd.factorize(ent, sort=True)
    t_codes, t_labels = pd.factorize(tim, sort=True)
    all_times = np.asarray(t_labels)
    order = np.lexsort((t_codes, e_codes))
    e_sorted, t_sorted, v_sorted = e_codes[order], t_codes[order], arr[order]
    same_unit = e_sorted[1:] == e_sorted[:-1]
    step = np.diff(t_sorted)
    dup = same_unit & (step == 0)
    if dup.any():
        at = np.flatnonzero(dup)
        pairs = [(e_labels[e_sorted[k]], all_times[t_sorted[k]]) for k in at]
        raise PanelStructureError(
            f"{len(pairs)} (entity, time) pair(s) appear more than once: {format_values(pairs)}; "
            "aggregate or de-duplicate first"
        )
    if pd.api.types.is_integer_dtype(all_times.dtype):
        # integer periods (years) must be consecutive integers, even if no unit has the gap
        step = np.diff(all_times[t_sorted])
    gap = same_unit & (step != 1)
    starts = np.r_[0, np.flatnonzero(~same_unit) + 1]
    entities = list(e_labels)
    if gap.any():
        gaps: list[tuple[Any, list[Any]]] = []
        for unit in np.unique(e_sorted[1:][gap]):
            t_vals = all_times[t_sorted[e_sorted == unit]]
            if pd.api.types.is_integer_dtype(all_times.dtype):
                full = np.arange(t_vals[0], t_vals[-1] + 1)
            else:
                lo, hi = np.searchsorted(all_times, [t_vals[0], t_vals[-1]])
                full = all_times[lo : hi + 1]
            gaps.append((entities[unit], sorted(set(full.tolist()) - set(t_vals.tolist()))))
        shown = "; ".join(f"{e!r} lacks {format_values(m)}" for e, m in gaps[:5])
        more = f" (and {len(gaps) - 5} more units)" if len(gaps) > 5 else ""
        raise PanelStructureError(
            f"{len(gaps)} unit(s) have gaps inside their series: {shown}{more}; the ADF "
            "regressions need consecutive periods: fill the gaps or shorten the series"
        )
    if len(entities) < 2:
        raise PanelStructureError(
            f"a panel test needs at least 2 units, the data have {len(entities)}; use "
            "adf_by_region / kpss_by_region for single series"
        )
    spread = np.maximum.reduceat(v_sorted, starts) - np.minimum.reduceat(v_sorted, starts)
    if (spread == 0).any():
        constant = [entities[k] for k in np.flatnonzero(spread == 0)]
        raise PanelStructureError(
            f"{len(constant)} unit(s) have a constant {variable!r}: {format_values(constant)}; "
            "a constant series has no unit-root test: drop these units"
        )
    series = np.split(v_sorted, starts[1:])
    times = [all_times[t] for t in np.split(t_sorted, starts[1:])]
    counts = np.diff(np.r_[starts, len(v_sorted)])
    balanced = bool((counts == len(all_times)).all())
    return _Panel(variable, entities, series, times, all_times, balanced)


def _require_balanced(panel: _Panel, what: str) -> None:
    if panel.balanced:
        return
    lines = []
    for e, t in zip(panel.entities, panel.times, strict=True):
        missing = sorted(set(panel.all_times.tolist()) - set(t.tolist()))
        if missing:
            lines.append(f"{e!r} lacks {format_values(missing)}")
    shown = "; ".join(lines[:5]) + (f" (and {len(lines) - 5} more units)" if len(lines) > 5 else "")
    raise PanelStructureError(
        f"{what} needs a balanced panel (every unit observed in the same periods); "
        f"{len(lines)} unit(s) are not: {shown}. Restrict the data to common periods or "
        "use test='ips', 'madwu' or 'choi', which accept unbalanced panels"
    )


def _min_periods(lags: int, n_det: int, test: str) -> int:
    """Fewest periods for which a regression with ``lags`` lags keeps >= 1 residual df."""
    if test == "cips":
        return 3 * lags + n_det + 5
    return 2 * lags + n_det + 3


def _resolve_lags(
    panel: _Panel,
    lags: int | str | Sequence[int] | Mapping[Any, int],
    max_lags: int | None,
    trend: str,
    test: str,
) -> tuple[np.ndarray | None, str, int | None, tuple[str, ...]]:
    """Turn the lag argument into per-unit orders, or a selection method and max order."""
    n_det = core._N_DET[trend]
    shortest = int(panel.lengths.min())
    short_unit = panel.entities[int(np.argmin(panel.lengths))]
    notes: tuple[str, ...] = ()
    if isinstance(lags, str):
        method = _option(lags, "lags", LAG_METHODS, _LAG_ALIASES)
        if test == "cips":
            raise InvalidOptionError(
                f"test='cips' takes a fixed lag order (as plm::cipstest; the tabulated critical "
                f"values assume one), got lags={lags!r}: pass lags=<int>, e.g. lags=1"
            )
        if max_lags is None:
            feasible = (shortest - n_det - 3) // 2
            if feasible < 0:
                raise PanelStructureError(
                    f"unit {short_unit!r} has {shortest} periods; even a regression without lags "
                    f"needs {_min_periods(0, n_det, test)}"
                )
            max_lags = min(DEFAULT_MAX_LAGS, feasible)
            if max_lags < DEFAULT_MAX_LAGS:
                note = (
                    f"max_lags lowered from plm's default {DEFAULT_MAX_LAGS} to {max_lags} "
                    f"because the shortest series ({short_unit!r}) has {shortest} periods"
                )
                warnings.warn(note, MigflowsWarning, stacklevel=3)
                notes = (note,)
        elif (
            isinstance(max_lags, bool) or not isinstance(max_lags, int | np.integer) or max_lags < 0
        ):
            raise InvalidOptionError(f"max_lags must be a non-negative integer, got {max_lags!r}")
        needed = _min_periods(int(max_lags), n_det, test)
        if shortest < needed:
            raise PanelStructureError(
                f"max_lags={max_lags} with trend={trend!r} needs at least {needed} periods per "
                f"unit, but {short_unit!r} has {shortest}; lower max_lags"
            )
        return None, method, int(max_lags), notes
    if isinstance(lags, Mapping):
        missing = [e for e in panel.entities if e not in lags]
        if missing:
            raise InvalidOptionError(
                f"lags mapping has no entry for unit(s) {format_values(missing)}"
            )
        orders = np.array([lags[e] for e in panel.entities])
    elif isinstance(lags, int | np.integer) and not isinstance(lags, bool):
        orders = np.full(len(panel.entities), int(lags))
    elif isinstance(lags, Sequence) and not isinstance(lags, str):
        if len(lags) != len(panel.entities):
            raise InvalidOptionError(
                f"lags has {len(lags)} entries but the panel has {len(panel.entities)} units"
            )
        orders = np.asarray(lags)
    else:
        raise InvalidOptionError(
            f"lags={lags!r} is not supported; give an integer, one integer per unit, or one of "
            f"{', '.join(repr(m) for m in LAG_METHODS)}"
        )
    if not np.issubdtype(orders.dtype, np.integer) or (orders < 0).any():
        raise InvalidOptionError(f"lag orders must be non-negative integers, got {orders.tolist()}")
    if test == "cips" and len(set(orders.tolist())) > 1:
        raise InvalidOptionError("test='cips' uses one lag order for all units; pass lags=<int>")
    need = np.array([_min_periods(int(p), n_det, test) for p in orders])
    short = panel.lengths < need
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise PanelStructureError(
            f"lags={int(orders[i])} with trend={trend!r} needs at least {need[i]} periods per "
            f"unit, but {short.sum()} unit(s) have fewer (e.g. {panel.entities[i]!r}: "
            f"{panel.lengths[i]}); lower the lag order"
        )
    return orders.astype(int), "fixed", None, notes


def _crit(values: np.ndarray) -> Mapping[str, float]:
    return MappingProxyType({k: float(v) for k, v in zip(("1%", "5%", "10%"), values, strict=True)})


# ---------------------------------------------------------------------------
# Public API
def unit_root(
    data: pd.DataFrame,
    variable: str,
    test: Literal["ips", "llc", "madwu", "choi", "hadri", "cips"] = "ips",
    *,
    entity: str | None = None,
    time: str | None = None,
    trend: Literal["none", "c", "ct"] = "c",
    lags: int | str | Sequence[int] | Mapping[Any, int] = "aic",
    max_lags: int | None = None,
    ips_stat: Literal["wtbar", "ztbar", "tbar"] = "wtbar",
    choi_stat: Literal["invnormal", "logit", "pm"] = "invnormal",
    heteroskedastic: bool = True,
    dfcor: bool = True,
    fixed_t: bool = True,
    bandwidth: int | None = None,
    llc_lrv: Literal["llc2002", "plm"] = "llc2002",
    pvalue_extrapolation: Literal["flat", "polynomial"] = "flat",
    truncated: bool = False,
) -> UnitRootResult:
    """Panel unit-root (or, for Hadri, stationarity) test.

    Parameters
    ----------
    data : DataFrame
        Long panel with an (entity, time) MultiIndex, or with entity and time columns
        named by ``entity=`` and ``time=``. Never modified.
    variable : str
        Numeric column to test.
    test : {"ips", "llc", "madwu", "choi", "hadri", "cips"}, default "ips"
        Im-Pesaran-Shin (2003); Levin-Lin-Chu (2002); Maddala-Wu (1999) Fisher test on
        the per-unit ADF p-values; Choi (2001) inverse-normal, logit or modified-P
        combination; Hadri (2000) LM test whose null is stationarity; Pesaran (2007)
        CIPS, robust to a common factor. ``"levinlin"`` is accepted for ``"llc"``.
    entity, time : str, optional
        Column names of the unit and period identifiers (both or neither).
    trend : {"none", "c", "ct"}, default "c"
        Deterministic terms in each unit's regression: none, intercept, intercept and
        linear trend. IPS and Hadri need ``"c"`` or ``"ct"``.
    lags : int, sequence, mapping or {"aic", "bic", "hall"}, default "aic"
        ADF lag order: one integer for all units, one per unit (sequence in sorted unit
        order, or mapping unit -> order), or chosen per unit by AIC, BIC (``"sic"``
        accepted) or Hall's general-to-specific t rule, exactly as ``plm::purtest``.
        CIPS needs one integer. Ignored by Hadri.
    max_lags : int, optional
        Largest order tried by the selection. Default plm's ``pmax = 10``, lowered (with
        a warning) when the shortest series is too short for it.
    ips_stat : {"wtbar", "ztbar", "tbar"}, default "wtbar"
        IPS statistic: W_tbar with the IPS (2003) Table 3 moments, Z_tbar with Table 1
        moments, or t-bar itself with Table 2 critical values (balanced panels and
        ``lags=0`` only; no p-value).
    choi_stat : {"invnormal", "logit", "pm"}, default "invnormal"
        Which Choi statistic is ``statistic``; all three are in ``extra``.
    heteroskedastic : bool, default True
        Hadri: allow a different error variance in each unit (plm's ``Hcons``).
    dfcor : bool, default True
        Residual variances of the ADF (and Hadri) regressions divide by ``n - k``, the
        usual t-statistic for which the IPS moments and MacKinnon p-values were computed.
        ``False`` divides by ``n``, plm's default: with T = 25 that inflates |t| enough
        for IPS to reject a true unit root 11-33% of the time at 5% (N = 20-40), and
        Hadri 6-17% (our Monte Carlo); pass ``False`` only to reproduce plm.
    fixed_t : bool, default True
        Lag selection compares all candidate orders on the same observations (plm's
        ``fixedT``).
    bandwidth : int, optional
        LLC: Bartlett bandwidth of the long-run variance; default ``round(3.21 T^(1/3))``.
    llc_lrv : {"llc2002", "plm"}, default "llc2002"
        LLC long-run variance of Δy: as in Levin-Lin-Chu (demeaned only with a trend), or
        as plm 2.6 (demeaned with an intercept, detrended with a trend), which makes the
        test reject true unit roots 30-90% of the time in short panels; ``"plm"`` (with
        ``dfcor=False``) reproduces ``plm::purtest(test = "levinlin")``.
    pvalue_extrapolation : {"flat", "polynomial"}, default "flat"
        Per-unit MacKinnon (1994) p-values beyond the range of the response surface:
        held at its turning points (monotone in t, never 0), or the
        polynomial evaluated anyway, as plm does (its p-values then turn back: t = -50
        gets p = 1). Matters only for |t| far out (t < -18.8 or t > 2.74 with an
        intercept; t < -16.2 or t > 0.70 with a trend), e.g. positive t's of trending
        series.
    truncated : bool, default False
        CIPS: truncate the individual CADF t's (Pesaran's CIPS*).

    Returns
    -------
    UnitRootResult
        Statistic, p-value, critical values where tabulated, hypotheses, and a per-unit
        ``details`` table.

    Raises
    ------
    PanelStructureError
        Unbalanced panel where the test needs balance, gaps, too few periods for the
        lags, constant series, fewer than two units.
    MissingValueError, NonNumericError, MissingColumnError, InvalidOptionError
        Bad input.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> idx = pd.MultiIndex.from_product([[f"r{i}" for i in range(10)], range(2000, 2030)])
    >>> df = pd.DataFrame({"y": rng.normal(size=300).reshape(10, 30).cumsum(1).ravel()}, index=idx)
    >>> res = unit_root(df, "y", test="ips", lags=1)
    >>> res.statistic_name, res.n_entities, bool(res.pvalue > 0.01)
    ('W_tbar', 10, True)
    """
    test_key = _option(test, "test", TESTS, _TEST_ALIASES)
    trend_key = cast(core.Deterministic, _option(trend, "trend", TRENDS, _TREND_ALIASES))
    ips_key = _option(ips_stat, "ips_stat", IPS_STATS, {})
    choi_key = _option(choi_stat, "choi_stat", CHOI_STATS, {})
    extrapolation = cast(
        core.Extrapolation,
        _option(pvalue_extrapolation, "pvalue_extrapolation", ("flat", "polynomial"), {}),
    )
    llc_rule = cast(Literal["llc2002", "plm"], _option(llc_lrv, "llc_lrv", ("llc2002", "plm"), {}))
    panel = _prepare(data, variable, entity, time)
    h0, h1 = _HYPOTHESES[test_key]
    if test_key == "hadri" and trend_key == "ct":
        h0 = "all series are trend-stationary"
    common = {
        "null_hypothesis": h0,
        "alternative_hypothesis": h1,
        "trend": trend_key,
        "n_entities": len(panel.entities),
        "n_periods": len(panel.all_times),
        "variable": variable,
    }
    index = pd.Index(panel.entities, name="entity")

    if test_key == "hadri":
        return _run_hadri(panel, trend_key, heteroskedastic, dfcor, index, common)
    if test_key == "ips" and trend_key == "none":
        raise InvalidOptionError("the IPS test needs trend='c' or 'ct' (its moments assume them)")
    if test_key == "llc":
        _require_balanced(panel, "the Levin-Lin-Chu test")
    if test_key == "cips":
        _require_balanced(panel, "the CIPS test")
    if test_key == "ips" and ips_key == "tbar":
        _require_balanced(panel, "the IPS t-bar statistic")

    orders, lag_method, max_used, notes = _resolve_lags(panel, lags, max_lags, trend_key, test_key)
    labels = panel.entities
    if test_key == "cips":
        assert orders is not None
        return _run_cips(panel, int(orders[0]), trend_key, truncated, index, common)
    if orders is None:
        assert max_used is not None
        orders = core.select_lags(
            panel.series,
            labels,
            trend_key,
            cast(core.LagMethod, lag_method),
            max_used,
            dfcor=dfcor,
            fixed_t=fixed_t,
        )
    adf = core.adf_units(
        panel.series,
        labels,
        orders,
        trend_key,
        dfcor=dfcor,
        auxiliary=test_key == "llc",
        extrapolation=extrapolation,
    )
    details = pd.DataFrame(
        {
            "lags": adf.lags,
            "nobs": adf.nobs,
            "rho": adf.rho,
            "tstat": adf.tstat,
            "pvalue": adf.pvalue,
        },
        index=index,
    )
    base: dict[str, Any] = dict(
        common, lag_method=lag_method, max_lags=max_used, nobs=int(adf.nobs.sum())
    )

    if test_key == "ips":
        return _finish_ips(panel, adf, trend_key, ips_key, details, base, notes)
    if test_key == "llc":
        t_len = int(panel.lengths[0])
        mu, sig = tables.llc_adjustment(t_len, trend_key)
        if not tables.LLC_T[0] <= t_len <= tables.LLC_T[-1]:
            notes += (
                f"T = {t_len} lies outside LLC's Table 2 (25-500): the nearest tabulated "
                "adjustments were used, as plm does",
            )
        llc = core.llc_statistic(
            panel.wide(),
            adf,
            trend_key,
            dfcor=dfcor,
            bandwidth=bandwidth,
            mu=mu,
            sigma_adj=sig,
            lrv_rule=llc_rule,
        )
        details["sigma2_st"] = llc.sigma2_st
        details["sigma2_lt"] = llc.sigma2_lt
        llc_extra = {"rho": llc.rho, "t_rho": llc.tstat, "mu_star": mu, "sigma_star": sig}
        return UnitRootResult(
            test="llc",
            statistic_name="z",
            statistic=llc.statistic,
            pvalue=llc.pvalue,
            critical_values=None,
            details=details,
            extra=MappingProxyType(llc_extra),
            notes=notes,
            **base,
        )
    fisher = core.fisher_statistics(adf.score)
    extra: dict[str, float] = {}
    for key, (stat, pval, df) in fisher.items():
        extra[f"{key}_statistic"] = stat
        extra[f"{key}_pvalue"] = pval
        if df is not None:
            extra[f"{key}_df"] = df
    key = "madwu" if test_key == "madwu" else choi_key
    names = {"madwu": "P", "invnormal": "Z", "logit": "L*", "pm": "Pm"}
    stat, pval, _ = fisher[key]
    return UnitRootResult(
        test=test_key,
        statistic_name=names[key],
        statistic=stat,
        pvalue=pval,
        critical_values=None,
        details=details,
        extra=MappingProxyType(extra),
        notes=notes,
        **base,
    )


def _finish_ips(
    panel: _Panel,
    adf: core.AdfUnits,
    trend: core.Deterministic,
    ips_stat: str,
    details: pd.DataFrame,
    base: dict[str, Any],
    notes: tuple[str, ...],
) -> UnitRootResult:
    n = len(panel.entities)
    tbar = float(np.mean(adf.tstat))
    periods = adf.periods - adf.lags - 1
    extra = {"tbar": tbar}
    if ips_stat == "tbar":
        if (adf.lags > 0).any():
            raise InvalidOptionError(
                "the IPS t-bar statistic is tabulated for Dickey-Fuller regressions without lags: "
                "pass lags=0, or use ips_stat='wtbar'"
            )
        crit = tables.ips_tbar_critical_values(n, int(periods[0]), trend)
        return UnitRootResult(
            test="ips",
            statistic_name="tbar",
            statistic=tbar,
            pvalue=float("nan"),
            critical_values=_crit(crit),
            details=details,
            extra=MappingProxyType(extra),
            notes=notes,
            **base,
        )
    if ips_stat == "wtbar":
        if (adf.lags > 8).any():
            notes += ("IPS moments are tabulated up to 8 lags; units with more use the 8-lag row",)
        means, variances = tables.ips_wtbar_moments(periods, adf.lags, trend)
        grid = tables.IPS_WTBAR_T
        name = "W_tbar"
    else:
        means, variances = tables.ips_ztbar_moments(periods)
        grid = tables.IPS_ZTBAR_T
        name = "Z_tbar"
    missing = np.isnan(means) | np.isnan(variances)
    if missing.any():
        bad = [
            f"{panel.entities[i]!r} (lags {adf.lags[i]}, T {periods[i]})"
            for i in np.flatnonzero(missing)
        ]
        raise PanelStructureError(
            f"IPS (2003) Table 3 has no moments for {len(bad)} unit(s): {', '.join(bad[:5])}; "
            "too many lags for so few periods: lower max_lags or lags"
        )
    if (periods < grid[0]).any() or (periods > grid[-1]).any():
        notes += (
            f"regression lengths outside IPS's tabulated {int(grid[0])}-{int(grid[-1])}: "
            "the nearest tabulated moments were used, as plm does",
        )
    details["E_t"] = means
    details["Var_t"] = variances
    stat = float(np.sqrt(n) * (tbar - means.mean()) / np.sqrt(variances.mean()))
    from scipy.stats import norm

    return UnitRootResult(
        test="ips",
        statistic_name=name,
        statistic=stat,
        pvalue=float(norm.cdf(stat)),
        critical_values=None,
        details=details,
        extra=MappingProxyType(extra),
        notes=notes,
        **base,
    )


def _run_hadri(
    panel: _Panel,
    trend: core.Deterministic,
    heteroskedastic: bool,
    dfcor: bool,
    index: pd.Index,
    common: dict[str, Any],
) -> UnitRootResult:
    if trend == "none":
        raise InvalidOptionError("the Hadri test needs trend='c' or 'ct'")
    _require_balanced(panel, "the Hadri test")
    wide = panel.wide()
    res = core.hadri_statistic(
        wide,
        trend,
        heteroskedastic=heteroskedastic,
        dfcor=dfcor,
        moments=tables.HADRI_MOMENTS[trend],
    )
    details = pd.DataFrame({"lm": res.lm_units, "sigma2": res.sigma2_units}, index=index)
    return UnitRootResult(
        test="hadri",
        statistic_name="z",
        statistic=res.statistic,
        pvalue=res.pvalue,
        critical_values=None,
        lag_method="none",
        max_lags=None,
        nobs=int(wide.size),
        details=details,
        extra=MappingProxyType({"lm": res.lm}),
        **common,
    )


def _run_cips(
    panel: _Panel,
    lags: int,
    trend: core.Deterministic,
    truncated: bool,
    index: pd.Index,
    common: dict[str, Any],
) -> UnitRootResult:
    tstats, rows = core.cadf_tstats(panel.wide(), lags, trend, panel.entities)
    used = tstats
    if truncated:
        lo, hi = tables.CIPS_TRUNCATION_BOUNDS[trend]
        used = np.clip(tstats, lo, hi)
    stat = float(np.mean(used))
    n = len(panel.entities)
    crit, clamped = tables.cips_critical_values(n, rows, trend, truncated=truncated)
    pval, bound = tables.cips_pvalue(stat, crit)
    notes: tuple[str, ...] = ()
    if clamped:
        notes += (
            f"N = {n} or T = {rows} lies outside Pesaran's (2007) tables (10-200): critical "
            "values are taken at the nearest edge",
        )
    if bound is not None:
        side = "below 0.01" if bound == "below" else "above 0.10"
        notes += (f"the p-value is {side}, beyond the tabulated critical values",)
    details = pd.DataFrame({"lags": lags, "nobs": rows, "cadf_t": tstats}, index=index)
    if truncated:
        details["cadf_t_truncated"] = used
    return UnitRootResult(
        test="cips",
        statistic_name="CIPS*" if truncated else "CIPS",
        statistic=stat,
        pvalue=pval,
        critical_values=_crit(crit),
        lag_method="fixed",
        max_lags=None,
        nobs=rows * n,
        details=details,
        notes=notes,
        pvalue_bound=bound,
        **common,
    )


# ---------------------------------------------------------------------------
# Single-series tests per region (statsmodels)
def adf_by_region(
    data: pd.DataFrame,
    variable: str,
    *,
    entity: str | None = None,
    time: str | None = None,
    trend: Literal["none", "c", "ct"] = "c",
    lags: int | Literal["aic", "bic", "t-stat"] = "aic",
    max_lags: int | None = None,
) -> pd.DataFrame:
    """Augmented Dickey-Fuller test for each unit's series (statsmodels ``adfuller``).

    Parameters
    ----------
    data, variable, entity, time
        As in :func:`unit_root`; unbalanced panels are fine.
    trend : {"none", "c", "ct"}, default "c"
        Deterministic terms.
    lags : int or {"aic", "bic", "t-stat"}, default "aic"
        Fixed lag order, or statsmodels' automatic selection up to ``max_lags``.
    max_lags : int, optional
        Passed to ``adfuller(maxlag=...)`` (default ``12 (T/100)^{1/4}``).

    Returns
    -------
    DataFrame
        One row per unit: ``statistic``, ``pvalue`` (MacKinnon), ``lags``, ``nobs``,
        ``crit_1%``, ``crit_5%``, ``crit_10%``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> idx = pd.MultiIndex.from_product([["a", "b"], range(1990, 2030)])
    >>> df = pd.DataFrame({"y": rng.normal(size=80)}, index=idx)
    >>> adf_by_region(df, "y", lags=0)["pvalue"].lt(0.05).all()
    np.True_
    """
    trend_key = _option(trend, "trend", TRENDS, _TREND_ALIASES)
    regression = {"none": "n", "c": "c", "ct": "ct"}[trend_key]
    panel = _prepare(data, variable, entity, time)
    if isinstance(lags, str):
        autolag = {"aic": "AIC", "bic": "BIC", "sic": "BIC", "t-stat": "t-stat"}.get(lags.lower())
        if autolag is None:
            raise InvalidOptionError(
                f"lags={lags!r} is not supported; allowed: an integer, 'aic', 'bic', 't-stat'"
            )
        maxlag = max_lags
    elif isinstance(lags, int | np.integer) and not isinstance(lags, bool) and lags >= 0:
        autolag, maxlag = None, int(lags)
    else:
        raise InvalidOptionError(
            f"lags must be a non-negative integer or 'aic'/'bic', got {lags!r}"
        )
    rows = []
    for e, s in zip(panel.entities, panel.series, strict=True):
        try:
            with warnings.catch_warnings():
                # statsmodels 0.15 announces a result object; we read the tuple either way
                warnings.simplefilter("ignore", FutureWarning)
                stat, pval, used, nobs, crit, *_ = adfuller(
                    s, maxlag=maxlag, regression=regression, autolag=autolag
                )
        except ValueError as err:
            raise PanelStructureError(
                f"ADF for unit {e!r} ({len(s)} periods) failed: {err}; lower lags/max_lags"
            ) from err
        rows.append(
            {
                "entity": e,
                "statistic": stat,
                "pvalue": pval,
                "lags": used,
                "nobs": nobs,
                "crit_1%": crit["1%"],
                "crit_5%": crit["5%"],
                "crit_10%": crit["10%"],
            }
        )
    return pd.DataFrame(rows).set_index("entity")


def kpss_by_region(
    data: pd.DataFrame,
    variable: str,
    *,
    entity: str | None = None,
    time: str | None = None,
    trend: Literal["c", "ct"] = "c",
    nlags: int | Literal["auto", "legacy"] = "auto",
) -> pd.DataFrame:
    """KPSS stationarity test for each unit's series (statsmodels ``kpss``).

    Parameters
    ----------
    data, variable, entity, time
        As in :func:`unit_root`.
    trend : {"c", "ct"}, default "c"
        Level or trend stationarity under the null.
    nlags : int or {"auto", "legacy"}, default "auto"
        Bandwidth of the long-run variance, passed to ``kpss``.

    Returns
    -------
    DataFrame
        One row per unit: ``statistic``, ``pvalue`` (interpolated in KPSS's table and so
        bounded to 0.01-0.10; ``pvalue_bounded`` flags those), ``lags``, critical values.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> idx = pd.MultiIndex.from_product([["a", "b"], range(1990, 2030)])
    >>> df = pd.DataFrame({"y": rng.normal(size=80)}, index=idx)
    >>> list(kpss_by_region(df, "y").columns[:3])
    ['statistic', 'pvalue', 'pvalue_bounded']
    """
    trend_key = _option(trend, "trend", ("c", "ct"), {"intercept": "c", "trend": "ct"})
    panel = _prepare(data, variable, entity, time)
    rows = []
    for e, s in zip(panel.entities, panel.series, strict=True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InterpolationWarning)
            stat, pval, used, crit = kpss(s, regression=trend_key, nlags=nlags)
        bounded = any(issubclass(w.category, InterpolationWarning) for w in caught)
        rows.append(
            {
                "entity": e,
                "statistic": stat,
                "pvalue": pval,
                "pvalue_bounded": bounded,
                "lags": used,
                "crit_1%": crit["1%"],
                "crit_5%": crit["5%"],
                "crit_10%": crit["10%"],
            }
        )
    return pd.DataFrame(rows).set_index("entity")
