"""Documented model presets: specifications in the spirit of published studies.

Each preset is a function that runs a complete, documented specification on whatever panel the
user has (the embedded Kazakhstan data by default) and says which of its elements follow the
study and which are our choices. The module imports nothing heavy at import time: the
estimators are imported inside the functions.

Panel (rate-regression) presets
-------------------------------
:func:`an_becker_cheng`
    An, Becker & Cheng (2016): migration rates on wage gaps, unemployment and relative
    uncertainty, boom versus crisis, WLS, stationarity pre-tests.

Gravity presets live in :mod:`migflows.studies.gravity`; :mod:`migflows.presets` exposes
both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from migflows.data.panel import FlowPanel
    from migflows.studies.abc_models import ABCResult

__all__ = ["KAZAKHSTAN_PERIODS", "PAPER_PERIODS", "an_becker_cheng"]

#: The boom and crisis periods of An, Becker & Cheng (2016).
PAPER_PERIODS: dict[str, tuple[int, int]] = {"boom": (2000, 2007), "crisis": (2008, 2014)}
#: The split used on the embedded Kazakhstan data (its flow years are 2010, 2015, 2020, 2021,
#: 2023 and 2024; the paper's periods end before the first of them could have a wage).
KAZAKHSTAN_PERIODS: dict[str, tuple[int, int]] = {"early": (2010, 2015), "late": (2020, 2024)}


# =============================================================================================
# Panel presets
def an_becker_cheng(
    data: FlowPanel | None = None,
    *,
    periods: Mapping[str, tuple[int, int]] | None = None,
    level: Literal["pair", "region"] = "pair",
    dependent: str | None = None,
    regressors: Sequence[str] | None = None,
    weights: str | None = None,
    window: int | None = None,
    vcov: str | Mapping[str, Any] | None = None,
    tests: Sequence[str] = ("ips", "hadri"),
    unit_root_options: Mapping[str, Any] | None = None,
    by_period: bool = True,
) -> ABCResult:
    """Migration rates on wage gaps, unemployment and uncertainty, by period (An-Becker-Cheng).

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

    On the embedded data (``data=None``) the paper's periods cannot be used: flows are
    observed in 2010, 2015, 2020, 2021, 2023 and 2024 only and wages from 2013, so the default
    split is ``early`` 2010-2015 against ``late`` 2020-2024 (:data:`KAZAKHSTAN_PERIODS`) and
    the uncertainty window is 2 years (3 would leave no 2015 value). The early period's
    slopes then rest on 2015 alone. Compare *signs and changes* with the paper, not levels:
    different years, regions (the 2022 boundaries) and measures.

    Parameters
    ----------
    data : FlowPanel, optional
        Default: :func:`migflows.load_kazakhstan`. Needs population, wage and unemployment
        attributes.
    periods : mapping, optional
        ``{"boom": (2000, 2007), "crisis": (2008, 2014)}`` (:data:`PAPER_PERIODS`) for data
        covering them; default :data:`KAZAKHSTAN_PERIODS` for the embedded data, otherwise
        :data:`PAPER_PERIODS`. The first and last periods are differenced.
    level : {"pair", "region"}, default "pair"
        Pairwise rates (entity = ordered pair) or regional net migration rates.
    dependent, regressors, weights : optional
        Override the defaults (``log_rate``; ``log_wage_ratio``, ``unemp_diff``,
        ``wage_uncertainty_diff``; ``pop_o`` at pair level; ``net_rate``; ``log_rel_wage``,
        ``unemployment``, ``wage_uncertainty``; ``population`` at region level).
    window : int, optional
        Years in the uncertainty window (default 2 on the embedded data, else 3).
    vcov : str or dict, optional
        Default ``{"cluster": "origin+destination"}`` (pair) / ``{"cluster": "entity"}``.
    tests : sequence of str, default ("ips", "hadri")
        Tests of :func:`migflows.estimation.unit_root.api.unit_root`.
    unit_root_options : mapping, optional
        Passed to ``unit_root`` (``lags``, ``max_lags``, ``trend``...).
    by_period : bool, default True
        Also fit one model per period.

    Returns
    -------
    ABCResult
        ``model``, ``by_period``, ``comparison`` (estimates per period and their
        difference), ``table()``, ``directions()`` (the paper's reported boom-to-crisis
        changes, as signs, next to ours), ``unit_roots``, ``specification`` (paper vs
        ours), ``notes``.

    Examples
    --------
    >>> from migflows.studies.an_becker_cheng import an_becker_cheng
    >>> res = an_becker_cheng()  # doctest: +SKIP
    >>> print(res.table())  # doctest: +SKIP
    """
    import migflows
    from migflows.studies.abc_models import run_abc

    embedded = data is None
    panel_data = migflows.load_kazakhstan() if data is None else data
    if periods is None:
        periods = KAZAKHSTAN_PERIODS if embedded else PAPER_PERIODS
    if window is None:
        window = 2 if embedded else 3
    return run_abc(
        panel_data,
        periods=periods,
        level=level,
        dependent=dependent,
        regressors=regressors,
        weights=weights,
        window=window,
        vcov=vcov,
        tests=tests,
        unit_root_options=unit_root_options,
        by_period=by_period,
    )
