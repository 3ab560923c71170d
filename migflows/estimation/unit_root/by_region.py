"""Single-series unit-root tests unit by unit: :func:`adf_by_region`, :func:`kpss_by_region`.

statsmodels' ``adfuller`` and ``kpss`` run on each region's series (unbalanced panels are
fine); :func:`region_table` gives the region-year series of a FlowPanel that they read.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.stattools import adfuller, kpss

from migflows.data.panel import FlowPanel
from migflows.errors import InvalidOptionError, PanelStructureError
from migflows.estimation.unit_root.inputs import TREND_ALIASES, TRENDS, check_choice, prepare_panel
from migflows.estimation.unit_root.mackinnon1996 import mackinnon1996_pvalue
from migflows.estimation.unit_root.statistics import PVALUE_METHODS, URCA_TREND

__all__ = ["adf_by_region", "kpss_by_region", "region_table"]


def region_table(panel: FlowPanel, variable: str) -> pd.DataFrame:
    """The region-year series ``variable`` of a FlowPanel, indexed by (region, year).

    Region attributes come from ``panel.regions`` (the panel's regions only, every year
    with data); other names are looked up in :func:`migflows.data.rates.region_rates`.

    Examples
    --------
    >>> import migflows
    >>> t = region_table(migflows.load_kazakhstan(), "unemployment")
    >>> list(t.index.names), t.columns.tolist()
    (['region', 'year'], ['unemployment'])
    """
    regions = panel.regions
    if regions is not None and variable in regions.columns:
        keep = regions.index.get_level_values("region").isin(panel.region_keys)
        return regions.loc[keep, [variable]].dropna()
    from migflows.data.rates import region_rates

    rates = region_rates(panel)
    if variable not in rates.columns:
        from migflows.errors import UnknownVariableError

        raise UnknownVariableError(
            f"{variable!r} is neither a region attribute nor a rate of region_rates() "
            f"(e.g. 'net_rate', 'out_rate', 'log_rel_wage')."
        )
    return rates[[variable]].dropna()


def adf_by_region(
    data: pd.DataFrame | FlowPanel,
    variable: str,
    *,
    entity: str | None = None,
    time: str | None = None,
    trend: Literal["none", "c", "ct"] = "c",
    lags: int | Literal["aic", "bic", "t-stat"] = "aic",
    max_lags: int | None = None,
    pvalues: Literal["mackinnon1994", "mackinnon1996"] = "mackinnon1994",
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
    pvalues : {"mackinnon1994", "mackinnon1996"}, default "mackinnon1994"
        MacKinnon's (1994) p-values as statsmodels' ``adfuller`` (default), or MacKinnon's
        (1996) asymptotic ones as ``urca::punitroot(N = Inf)``
        (:mod:`~migflows.estimation.unit_root.mackinnon1996`).

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
    if isinstance(data, FlowPanel):
        data = region_table(data, variable)
    trend_key = check_choice(trend, "trend", TRENDS, TREND_ALIASES)
    pvalue_key = check_choice(pvalues, "pvalues", PVALUE_METHODS, {})
    regression = {"none": "n", "c": "c", "ct": "ct"}[trend_key]
    panel = prepare_panel(data, variable, entity, time, min_units=1)
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
                panel.entity_name: e,
                "statistic": stat,
                "pvalue": pval,
                "lags": used,
                "nobs": nobs,
                "crit_1%": crit["1%"],
                "crit_5%": crit["5%"],
                "crit_10%": crit["10%"],
            }
        )
    out = pd.DataFrame(rows).set_index(panel.entity_name)
    if pvalue_key == "mackinnon1996":
        urca_trend = URCA_TREND[trend_key]
        out["pvalue"] = mackinnon1996_pvalue(out["statistic"].to_numpy(float), urca_trend)
    return out


def kpss_by_region(
    data: pd.DataFrame | FlowPanel,
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
    if isinstance(data, FlowPanel):
        data = region_table(data, variable)
    trend_key = check_choice(trend, "trend", ("c", "ct"), {"intercept": "c", "trend": "ct"})
    if nlags not in ("auto", "legacy") and (
        isinstance(nlags, bool) or not isinstance(nlags, int) or nlags < 0
    ):
        raise InvalidOptionError(
            f"nlags={nlags!r} is not allowed; use 'auto', 'legacy' or a whole number >= 0."
        )
    panel = prepare_panel(data, variable, entity, time, min_units=1)
    rows = []
    for e, s in zip(panel.entities, panel.series, strict=True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InterpolationWarning)
            stat, pval, used, crit = kpss(s, regression=trend_key, nlags=nlags)
        bounded = any(issubclass(w.category, InterpolationWarning) for w in caught)
        rows.append(
            {
                panel.entity_name: e,
                "statistic": stat,
                "pvalue": pval,
                "pvalue_bounded": bounded,
                "lags": used,
                "crit_1%": crit["1%"],
                "crit_5%": crit["5%"],
                "crit_10%": crit["10%"],
            }
        )
    return pd.DataFrame(rows).set_index(panel.entity_name)
