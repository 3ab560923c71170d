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
MacKinnon 1996; pass ``p.approx = "MacKinnon1994"`` to plm to compare, or
``pvalues="mackinnon1996"`` here to get urca's, see
:mod:`~migflows.estimation.unit_root.mackinnon1996`).

Three defaults differ from plm's because plm's make the tests reject true unit roots far
too often in panels as short as regional migration data (T = 20-30; see the Monte Carlo
in tests/test_unit_root.py): the ADF residual variance is divided by ``n - k``
(``dfcor=True``), LLC's long-run variance follows Levin-Lin-Chu (``llc_lrv="llc2002"``),
and MacKinnon's p-value polynomials are held at their turning points
(``pvalue_extrapolation="flat"``). ``dfcor=False, llc_lrv="plm",
pvalue_extrapolation="polynomial"`` reproduces plm exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import (
    InvalidOptionError,
    PanelStructureError,
)
from migflows.estimation.unit_root import critical_values as tables
from migflows.estimation.unit_root import statistics as core
from migflows.estimation.unit_root.by_region import adf_by_region, kpss_by_region, region_table
from migflows.estimation.unit_root.inputs import (
    CHOI_STATS,
    HYPOTHESES,
    IPS_STATS,
    TEST_ALIASES,
    TESTS,
    TREND_ALIASES,
    TRENDS,
    PanelSeries,
    check_choice,
    critical_value,
    prepare_panel,
    require_balanced,
    resolve_lags,
)
from migflows.estimation.unit_root.results import UnitRootResult

__all__ = ["UnitRootResult", "adf_by_region", "kpss_by_region", "region_table", "unit_root"]


def unit_root(
    data: pd.DataFrame | FlowPanel,
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
    pvalues: Literal["mackinnon1994", "mackinnon1996"] = "mackinnon1994",
) -> UnitRootResult:
    """Panel unit-root (or, for Hadri, stationarity) test.

    Parameters
    ----------
    data : DataFrame or FlowPanel
        Long panel with an (entity, time) MultiIndex, or with entity and time columns
        named by ``entity=`` and ``time=``. Never modified. A FlowPanel is read by region
        and year: a region attribute (``"unemployment"``, ``"wage"``) over all its annual
        years, or a rate of :func:`migflows.data.rates.region_rates` (``"net_rate"``) over
        the flow years (which must then be consecutive).
    variable : str
        Numeric column to test.
    test : {"ips", "llc", "madwu", "choi", "hadri", "cips"}, default "ips"
        Im-Pesaran-Shin (2003); Levin-Lin-Chu (2002); Maddala-Wu (1999) Fisher test on
        the per-unit ADF p-values; Choi (2001) inverse-normal, logit or modified-P
        combination; Hadri (2000) LM test whose null is stationarity; Pesaran (2007)
        CIPS, robust to a common factor. plm's names ``"levinlin"``, ``"invnormal"``,
        ``"logit"`` and ``"pm"`` are accepted too.
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
        a warning) when the shortest series is too short for it: to the largest order
        whose regression keeps as many residual degrees of freedom as coefficients and,
        for IPS, whose moments are tabulated (4 for T = 20-25 with an intercept).
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
    pvalues : {"mackinnon1994", "mackinnon1996"}, default "mackinnon1994"
        Per-unit ADF p-values (``details["pvalue"]``, and so Maddala-Wu and Choi):
        MacKinnon's (1994) response-surface polynomials, as statsmodels' ``adfuller`` and
        plm without urca (the default), or MacKinnon's (1996) asymptotic tables as
        ``urca::punitroot(N = Inf)`` computes them, which plm uses by default when the R
        package urca is installed (:mod:`~migflows.estimation.unit_root.mackinnon1996`;
        ``pvalue_extrapolation`` does not apply to them). They differ by up to a few
        hundredths in the middle of the distribution.

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
    if isinstance(data, FlowPanel):
        data = region_table(data, variable)
    if isinstance(test, str) and test.lower() in CHOI_STATS:  # plm's names for Choi's tests
        test, choi_stat = "choi", test.lower()  # type: ignore[assignment]
    test_key = check_choice(test, "test", TESTS, TEST_ALIASES)
    trend_key = cast(core.Deterministic, check_choice(trend, "trend", TRENDS, TREND_ALIASES))
    ips_key = check_choice(ips_stat, "ips_stat", IPS_STATS, {})
    choi_key = check_choice(choi_stat, "choi_stat", CHOI_STATS, {})
    pvalue_key = cast(core.PvalueMethod, check_choice(pvalues, "pvalues", core.PVALUE_METHODS, {}))
    extrapolation = cast(
        core.Extrapolation,
        check_choice(pvalue_extrapolation, "pvalue_extrapolation", ("flat", "polynomial"), {}),
    )
    llc_rule = cast(
        Literal["llc2002", "plm"], check_choice(llc_lrv, "llc_lrv", ("llc2002", "plm"), {})
    )
    panel = prepare_panel(data, variable, entity, time)
    if trend_key != "none":
        panel = panel.centred()
    h0, h1 = HYPOTHESES[test_key]
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
    index = pd.Index(panel.entities, name=panel.entity_name)

    if test_key == "hadri":
        return _run_hadri(panel, trend_key, heteroskedastic, dfcor, index, common)
    if test_key == "ips" and trend_key == "none":
        raise InvalidOptionError("the IPS test needs trend='c' or 'ct' (its moments assume them)")
    if test_key == "llc":
        require_balanced(panel, "the Levin-Lin-Chu test")
    if test_key == "cips":
        require_balanced(panel, "the CIPS test")
    if test_key == "ips" and ips_key == "tbar":
        require_balanced(panel, "the IPS t-bar statistic")

    orders, lag_method, max_used, notes = resolve_lags(
        panel, lags, max_lags, trend_key, test_key, ips_key
    )
    if pvalue_key == "mackinnon1996" and test_key not in ("hadri", "cips"):
        notes = (
            *notes,
            "per-unit ADF p-values: MacKinnon (1996), asymptotic (as urca::punitroot, N = Inf)",
        )
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
        pvalues=pvalue_key,
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
    panel: PanelSeries,
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
            critical_values=critical_value(crit),
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
    panel: PanelSeries,
    trend: core.Deterministic,
    heteroskedastic: bool,
    dfcor: bool,
    index: pd.Index,
    common: dict[str, Any],
) -> UnitRootResult:
    if trend == "none":
        raise InvalidOptionError("the Hadri test needs trend='c' or 'ct'")
    require_balanced(panel, "the Hadri test")
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
    panel: PanelSeries,
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
        critical_values=critical_value(crit),
        lag_method="fixed",
        max_lags=None,
        nobs=rows * n,
        details=details,
        notes=notes,
        pvalue_bound=bound,
        **common,
    )
