"""Documented model presets: specifications in the spirit of published studies.

Each preset is a function that runs a complete, documented specification on whatever panel the
user has (the embedded Kazakhstan data by default) and says which of its elements follow the
study and which are our choices. The module imports nothing heavy at import time: the
estimators are imported inside the functions.

Panel (rate-regression) presets
-------------------------------
:func:`an_becker_cheng`
    An, Becker & Cheng (2016): migration rates on wage gaps, unemployment and relative
    uncertainty, boom versus crisis, WLS, stationarity pre-tests. By default on the regional
    panel 2000-2014 (:mod:`migflows.studies.abc_regions`); on a FlowPanel, the OD-based
    version (:mod:`migflows.studies.abc_models`).

Gravity presets live in :mod:`migflows.studies.gravity`; :mod:`migflows.presets` exposes
both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from migflows.errors import InvalidOptionError

if TYPE_CHECKING:
    import pandas as pd

    from migflows.data.panel import FlowPanel
    from migflows.studies.abc_models import ABCResult
    from migflows.studies.abc_regions import ABCRegionsResult

__all__ = ["KAZAKHSTAN_PERIODS", "PAPER_PERIODS", "REAL_PERIODS", "an_becker_cheng"]

#: The boom and crisis periods of An, Becker & Cheng (2016).
PAPER_PERIODS: dict[str, tuple[int, int]] = {"boom": (2000, 2007), "crisis": (2008, 2014)}
#: The default on the regional panel: the paper's periods without the 2008 break year (the
#: 2009 census rebased the population, so 2008 net migration is not recoverable).
REAL_PERIODS: dict[str, tuple[int, int]] = {"boom": (2000, 2007), "crisis": (2009, 2014)}
#: The split used on the embedded Kazakhstan data (its flow years are 2010, 2015, 2020, 2021,
#: 2023 and 2024; the paper's periods end before the first of them could have a wage).
KAZAKHSTAN_PERIODS: dict[str, tuple[int, int]] = {"early": (2010, 2015), "late": (2020, 2024)}


# =============================================================================================
# Panel presets
@overload
def an_becker_cheng(
    data: None = ...,
    *,
    periods: Mapping[str, tuple[int, int]] | None = ...,
    level: Literal["pair", "region"] | None = ...,
    dependent: str | None = ...,
    regressors: Sequence[str] | None = ...,
    weights: str | None = ...,
    window: int | None = ...,
    vcov: str | Mapping[str, Any] | None = ...,
    tests: Sequence[str] = ...,
    unit_root_options: Mapping[str, Any] | None = ...,
    by_period: bool = ...,
) -> ABCRegionsResult: ...
@overload
def an_becker_cheng(
    data: pd.DataFrame,
    *,
    periods: Mapping[str, tuple[int, int]] | None = ...,
    level: Literal["pair", "region"] | None = ...,
    dependent: str | None = ...,
    regressors: Sequence[str] | None = ...,
    weights: str | None = ...,
    window: int | None = ...,
    vcov: str | Mapping[str, Any] | None = ...,
    tests: Sequence[str] = ...,
    unit_root_options: Mapping[str, Any] | None = ...,
    by_period: bool = ...,
) -> ABCRegionsResult: ...
@overload
def an_becker_cheng(
    data: FlowPanel,
    *,
    periods: Mapping[str, tuple[int, int]] | None = ...,
    level: Literal["pair", "region"] | None = ...,
    dependent: str | None = ...,
    regressors: Sequence[str] | None = ...,
    weights: str | None = ...,
    window: int | None = ...,
    vcov: str | Mapping[str, Any] | None = ...,
    tests: Sequence[str] = ...,
    unit_root_options: Mapping[str, Any] | None = ...,
    by_period: bool = ...,
) -> ABCResult: ...
def an_becker_cheng(
    data: FlowPanel | pd.DataFrame | None = None,
    *,
    periods: Mapping[str, tuple[int, int]] | None = None,
    level: Literal["pair", "region"] | None = None,
    dependent: str | None = None,
    regressors: Sequence[str] | None = None,
    weights: str | None = None,
    window: int | None = None,
    vcov: str | Mapping[str, Any] | None = None,
    tests: Sequence[str] = ("ips", "hadri"),
    unit_root_options: Mapping[str, Any] | None = None,
    by_period: bool = True,
) -> ABCResult | ABCRegionsResult:
    """Migration rates on income gaps, unemployment and uncertainty, boom vs crisis (ABC).

    **Default (``data=None``): the real period.** Net migration rates of the 16 regions of
    2000-2017 (:func:`migflows.data.regional_panel.load_kazakhstan_regions`), boom
    2000-2007 against crisis 2009-2014 (:data:`REAL_PERIODS`; 2008 is excluded as a break
    year: the 2009 census rebased the population), 16 regions x 13 usable years (unemployment
    starts in 2001), region and year effects, WLS by mid-year population, Driscoll-Kraay and
    region-clustered standard errors, panel unit-root pre-tests, the interacted and per-period
    models and a Wald test of each period difference; see
    :func:`migflows.studies.abc_regions.abc_regions` (``data`` may also be your own
    ``(region, year)`` DataFrame; ``periods`` your own breaks). It returns an
    :class:`~migflows.studies.abc_regions.ABCRegionsResult` with ``findings`` (the paper's
    three findings next to ours), ``tests``, ``caveats`` (income for wages, net for in/out,
    break years).

    **With a FlowPanel: the OD-based version** described below, on pair or region rates
    computed from the flows.

    An, Becker & Cheng (2016, "Economic crisis, income gaps, uncertainty, and inter-regional
    migration responses: Kazakhstan 2000-2014") study inter-regional migration rates in
    Kazakhstan as a function of relative wages and income gaps, unemployment and a measure of
    economic uncertainty; they contrast a boom (2000-2007) with a crisis period (2008-2014), in
    which, by their account, migrants respond less to wage gaps and are deterred less by
    relative uncertainty; they estimate by weighted least squares and test the series for
    stationarity first. Their OD data for 2000-2014 are not public.

    This preset reproduces that *design* (not their numbers) on any FlowPanel:

    * **follows the paper**: migration rates as the outcome; wage gaps, unemployment and
      relative uncertainty as regressors; slopes that differ between two periods; WLS;
      panel stationarity tests before regressing;
    * **our choices**: pairwise rates per 1,000 of the origin's population, in logs
      (``level="pair"``, default) or regional net rates (``level="region"``); the log wage
      ratio destination/origin, the unemployment difference destination - origin, and as
      uncertainty the standard deviation of annual log wage growth over ``window`` years,
      destination minus origin; weights = origin population; one model with period-specific
      slopes and pair + year effects (plus one model per period where the period has two or
      more years); standard errors clustered by origin and destination; IPS and Hadri tests
      on the annual region-level series.

    On the embedded OD flows (``migflows.load_kazakhstan()``) the paper's periods cannot be
    used: flows are observed in 2010, 2015, 2020, 2021, 2023 and 2024 only and wages from 2013,
    so pass ``periods=KAZAKHSTAN_PERIODS`` (``early`` 2010-2015 against ``late`` 2020-2024) and
    ``window=2`` (3 would leave no 2015 value). The early period's slopes then rest on 2015
    alone. Compare *signs and changes* with the paper, not levels: different years, regions
    (the 2022 boundaries) and measures.

    Parameters
    ----------
    data : FlowPanel or DataFrame, optional
        Default: the regional panel 2000-2014 (see above). A FlowPanel runs the OD-based
        version (needs population, wage and unemployment attributes); a ``(region, year)``
        DataFrame runs the regional version on your data.
    periods : mapping, optional
        Default :data:`REAL_PERIODS` for the regional version, :data:`PAPER_PERIODS` for a
        FlowPanel (:data:`KAZAKHSTAN_PERIODS` for the embedded flows). The first and last
        periods are differenced.
    level : {"pair", "region"}, default "pair"
        FlowPanel only: pairwise rates (entity = ordered pair) or regional net migration rates.
    dependent, regressors, weights : optional
        Override the defaults (``log_rate``; ``log_wage_ratio``, ``unemp_diff``,
        ``wage_uncertainty_diff``; ``pop_o`` at pair level; ``net_rate``; ``log_rel_wage``,
        ``unemployment``, ``wage_uncertainty``; ``population`` at region level).
    window : int, optional
        Years in the uncertainty window (default 3).
    vcov : str or dict, optional
        FlowPanel only. Default ``{"cluster": "origin+destination"}`` (pair) /
        ``{"cluster": "entity"}``.
    tests : sequence of str, default ("ips", "hadri")
        Tests of :func:`migflows.estimation.unit_root.api.unit_root`.
    unit_root_options : mapping, optional
        FlowPanel only. Passed to ``unit_root`` (``lags``, ``max_lags``, ``trend``...).
    by_period : bool, default True
        FlowPanel only: also fit one model per period (the regional version always does).

    Returns
    -------
    ABCRegionsResult or ABCResult
        Regional version: see :class:`~migflows.studies.abc_regions.ABCRegionsResult`.
        OD-based version: ``model``, ``by_period``, ``comparison`` (estimates per period and their
        difference), ``table()``, ``directions()`` (the paper's reported boom-to-crisis
        changes, as signs, next to ours), ``unit_roots``, ``specification`` (paper vs
        ours), ``notes``.

    Examples
    --------
    >>> import warnings
    >>> from migflows.studies.an_becker_cheng import an_becker_cheng
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = an_becker_cheng()
    >>> res.model.nobs, res.model.n_entities, res.model.n_periods
    (206, 16, 13)
    >>> res.findings["verdict"].size
    4
    """
    from migflows.data.panel import FlowPanel
    from migflows.studies.abc_models import run_abc

    if not isinstance(data, FlowPanel):
        from migflows.studies.abc_regions import REGRESSORS, abc_regions

        flow_only = {
            "level": level,
            "vcov": vcov,
            "unit_root_options": unit_root_options,
            "by_period": None if by_period else False,
        }
        given = [k for k, v in flow_only.items() if v is not None]
        if given:
            raise InvalidOptionError(
                f"{given[0]}= applies to the OD-based version (data=FlowPanel) only; the "
                "regional version fits Driscoll-Kraay and clustered errors and every period."
            )
        return abc_regions(
            data,
            periods=REAL_PERIODS if periods is None else periods,
            dependent=dependent or "net_rate",
            regressors=tuple(regressors or REGRESSORS),
            weights=weights or "population_mid",
            window=3 if window is None else window,
            tests=tests,
        )
    if periods is None:
        periods = PAPER_PERIODS
    return run_abc(
        data,
        periods=periods,
        level=level or "pair",
        dependent=dependent,
        regressors=regressors,
        weights=weights,
        window=3 if window is None else window,
        vcov=vcov,
        tests=tests,
        unit_root_options=unit_root_options,
        by_period=by_period,
    )
