"""Forecasts of regional migration balances: :func:`forecast` and the method registry.

Methods (see :data:`METHODS`):

``naive``
    Random walk, last value carried forward; innovation variance per calendar year.
``drift``
    Random walk with the average yearly change between the first and last observation.
``ets``
    statsmodels ``ETSModel`` per region on arrivals and departures (or net), default
    ETS(A,N,N) on logs.
``arima``
    statsmodels ``ARIMA`` per region and component, default AR(1) with constant on logs.
``bayes_ar``
    Hierarchical AR(1) of net migration rates with partially pooled region means (PyMC).
``ensemble``
    Mixture of the members' trajectories with equal or backtest-based weights.
``gravity``
    Origin–destination flows predicted by a fitted gravity model driven by covariate paths
    (carried forward, trended, or a :class:`~migflows.models.scenario.Scenario`); see
    :mod:`migflows.estimation.forecast.gravity`. Balances add up to zero by construction.

Horizons are calendar years after the last observed year. Gaps in the observed years
(Kazakhstan's OD years 2010, 2015, 2020, 2021, 2023, 2024): ``naive``, ``drift`` and
``bayes_ar`` model calendar time and use gaps as they are; ``ets`` and ``arima`` need a
regular annual series and raise :class:`~migflows.errors.PanelStructureError` naming the
missing years unless ``gaps="interpolate"`` (fill linearly on the modelling scale) or
``gaps="sequence"`` (treat observations as consecutive years) is passed. Both are
approximations that understate uncertainty: interpolated years look like smooth data (in
the Kazakhstan backtest, origins 2020/2021/2023, the 80% intervals of ``arima`` covered
63% and of ``ets`` 76%), and ``"sequence"`` treats a five-year step as one year.

Coherence: for internal migration of a complete set of regions (a FlowPanel, or a table
whose observed net balances sum to zero) every trajectory is rebalanced so that net
balances sum to zero nationally in every year, and arrivals/departures are non-negative;
see :func:`~migflows.estimation.forecast.coherence.reconcile` for the rules.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import (
    DataQualityWarning,
    InputTypeError,
    InvalidOptionError,
    MigflowsWarning,
    ModelSpecificationError,
    PanelStructureError,
    format_values,
)
from migflows.estimation.core.seeds import RandomSeed, pop_legacy_seed
from migflows.estimation.forecast import methods as fm
from migflows.estimation.forecast.coherence import reconcile
from migflows.estimation.forecast.data import Gaps, SeriesData, Target, describe, prepare
from migflows.estimation.forecast.registry import (
    ENSEMBLE_MEMBERS,
    METHODS,
    WEIGHT_SCHEMES,
    MethodSpec,
    base_seed,
    check_common,
    check_options,
    register_method,
    spec_for,
)
from migflows.estimation.forecast.results import Forecast
from migflows.models.scenario import Scenario

# METHODS, MethodSpec, register_method, spec_for, check_common, check_options, base_seed and
# ENSEMBLE_MEMBERS live in :mod:`migflows.estimation.forecast.registry`; re-exported here so
# that ``from migflows.estimation.forecast.api import METHODS, register_method`` keeps working.
__all__ = [
    "ENSEMBLE_MEMBERS",
    "METHODS",
    "MethodSpec",
    "base_seed",
    "check_common",
    "check_options",
    "forecast",
    "register_method",
    "run",
    "spec_for",
]


# ----------------------------------------------------------------------------- public API


def forecast(
    data: FlowPanel | pd.DataFrame,
    method: str = "ets",
    horizon: int = 3,
    *,
    scenario: Scenario | None = None,
    level: Sequence[float] = (0.8, 0.95),
    target: Target = "counts",
    n_sims: int = 1000,
    random_seed: RandomSeed = None,
    progress: bool = True,
    gaps: Gaps = "error",
    coherent: bool | None = None,
    **method_options: Any,
) -> Forecast:
    """Forecast regional arrivals, departures and net migration.

    Parameters
    ----------
    data : FlowPanel or DataFrame
        A panel (arrivals and departures are summed from its OD flows; population from its
        ``population`` attribute) or a region-year table indexed by (region, year) or with
        ``region``/``year`` columns and any of ``arrivals``, ``departures``, ``net``,
        ``in_rate``, ``out_rate``, ``net_rate`` (per 1,000) and ``population``.
    method : str
        One of :data:`METHODS` (``naive``, ``drift``, ``ets``, ``arima``, ``bayes_ar``,
        ``ensemble``).
    horizon : int
        Calendar years ahead of the last observed year.
    scenario : Scenario, optional
        Covariate paths; only for covariate-driven methods (``gravity``).
    level : sequence of float
        Interval levels reported by ``to_frame`` and drawn by ``plot``.
    target : {"counts", "rates"}
        Model persons or rates per 1,000 population.
    n_sims : int
        Simulated trajectories.
    random_seed : int, numpy Generator or None
        Seed for every random step (each method draws from its own stream derived from
        it); a Generator is drawn from once. ``seed=``, ``rng=`` and ``random_state=`` are
        deprecated aliases (FutureWarning).
    progress : bool
        Show progress bars while fitting or sampling.
    gaps : {"error", "interpolate", "sequence"}
        What ``ets``/``arima`` do with missing years (see the module docstring).
    coherent : bool, optional
        Rebalance to a national zero sum; default: when the observed net balances sum to
        zero (internal migration of all regions).
    **method_options
        Options of the method, e.g. ``trend="add"`` (ets), ``order=(0, 1, 1)`` (arima),
        ``draws=500`` (bayes_ar), ``members=[...]``/``weights="backtest"`` (ensemble).

    Returns
    -------
    Forecast

    Raises
    ------
    InvalidOptionError
        Unknown method (the message lists the allowed ones) or option.
    PanelStructureError
        Too few years, or gaps where the method needs an annual series.
    ModelSpecificationError
        A scenario passed to a method that is not driven by covariates.

    Examples
    --------
    >>> import migflows
    >>> from migflows.estimation.forecast.api import forecast
    >>> kz = migflows.load_kazakhstan(years=[2020, 2021, 2023, 2024])
    >>> fc = forecast(kz, "drift", horizon=2, n_sims=200, random_seed=1, progress=False)
    >>> bool(abs(fc.predicted_mean.sum().to_numpy()).max() < 1e-6)
    True
    """
    method_options = dict(method_options)
    random_seed = pop_legacy_seed(random_seed, method_options, function="forecast")
    spec = spec_for(method)
    if isinstance(level, int | float | np.number):  # level=0.95: one interval level
        level = (float(level),)
    horizon = check_common(horizon, n_sims, level)
    _check_scenario(spec, scenario)
    if spec.needs_panel and not isinstance(data, FlowPanel):
        raise ModelSpecificationError(
            f"method {method!r} needs origin–destination flows: pass a FlowPanel, not a table."
        )
    if gaps not in ("error", "interpolate", "sequence"):
        raise InvalidOptionError(
            f"gaps={gaps!r} is not allowed; use 'error', 'interpolate' or 'sequence'."
        )
    check_options(spec, method_options)
    series = prepare(data, target=target, components=spec.components)
    return run(
        spec,
        series,
        horizon,
        levels=tuple(float(x) for x in level),
        n_sims=n_sims,
        seed=base_seed(random_seed),
        progress=progress,
        gaps=gaps,
        coherent=coherent,
        options=method_options,
        panel=data if isinstance(data, FlowPanel) else None,
        scenario=scenario,
    )


# ----------------------------------------------------------------------------- internals


def _check_scenario(spec: MethodSpec, scenario: Scenario | None) -> None:
    if scenario is None:
        return
    if not isinstance(scenario, Scenario):
        raise InputTypeError(
            f"scenario must be a migflows.Scenario, got {type(scenario).__name__}."
        )
    if not spec.uses_scenario:
        users = sorted(n for n, s in METHODS.items() if s.uses_scenario)
        where = f"use one of {format_values(users)}"
        raise ModelSpecificationError(
            f"method {spec.name!r} extrapolates the series themselves and is not driven by "
            f"covariates, so it cannot use scenario {scenario.name!r}; {where}."
        )


def _rng_for(seed: int, method: str, options: Mapping[str, Any]) -> np.random.Generator:
    # One stream per (seed, method, options): a member forecast is identical inside an
    # ensemble and on its own, whatever order methods are run in.
    key = zlib.crc32(f"{method}|{sorted(options.items())!r}".encode())
    return np.random.default_rng([seed, key])


def run(
    spec: MethodSpec,
    series: SeriesData,
    horizon: int,
    *,
    levels: tuple[float, ...],
    n_sims: int,
    seed: int,
    progress: bool,
    gaps: Gaps,
    coherent: bool | None,
    options: Mapping[str, Any],
    panel: FlowPanel | None = None,
    scenario: Scenario | None = None,
    cache: dict[Any, Forecast] | None = None,
) -> Forecast:
    """Run a registered method on prepared data (used by :func:`forecast` and backtests)."""
    key = (spec.name, repr(sorted(options.items())), int(series.years[-1]))
    if cache is not None and key in cache:
        return cache[key]
    is_coherent = series.closed if coherent is None else bool(coherent)
    if is_coherent and series.target == "rates" and series.population is None:
        raise PanelStructureError(
            "coherent=True with rates needs population to weight regions; give a "
            "'population' column or pass coherent=False."
        )
    # Filled-in population matters only where it enters the model (rates, bayes_ar) or the
    # population-weighted rebalancing of net balances; otherwise it is just noted in info.
    for_model = series.target == "rates" or spec.components == "net"
    for_weights = is_coherent and not series.inout
    if series.notes and spec.fit is not None and (for_model or for_weights):
        warnings.warn(
            "; ".join(series.notes) + f" (used by method {spec.name!r})",
            DataQualityWarning,
            stacklevel=3,
        )
    if spec.components == "net" and series.inout:
        series = _net_only(series)
    if not spec.enough_years(series.years, gaps):
        if spec.regular:
            fm.check_regular_years(series, spec.name, spec.min_years, gaps)
        fm.check_years(series, spec.name, spec.min_years)  # raises with the message
    if spec.fit is None:
        fc = _ensemble_run(
            series,
            horizon,
            levels=levels,
            n_sims=n_sims,
            seed=seed,
            progress=progress,
            gaps=gaps,
            coherent=coherent,
            cache=cache,
            panel=panel,
            **options,
        )
    else:
        rng = _rng_for(seed, spec.name, options)
        extra: dict[str, Any] = {"panel": panel, "scenario": scenario} if spec.needs_panel else {}
        result = spec.fit(
            series,
            horizon,
            n_sims=n_sims,
            rng=rng,
            progress=progress,
            gaps=gaps,
            **extra,
            **options,
        )
        fc = _to_forecast(spec.name, series, result, horizon, levels, is_coherent, options)
    if cache is not None:
        cache[key] = fc
    return fc


def _net_only(series: SeriesData) -> SeriesData:
    from dataclasses import replace

    return replace(series, values=series.net()[..., None], components=(series.net_name,))


def _to_forecast(
    name: str,
    series: SeriesData,
    result: fm.MethodResult,
    horizon: int,
    levels: tuple[float, ...],
    coherent: bool,
    options: Mapping[str, Any],
) -> Forecast:
    point, clipped_p = reconcile(result.point, series, coherent)
    draws, clipped_d = reconcile(result.draws, series, coherent)
    if point.shape[-1] == 3:
        variables = (*series.components, series.net_name)
    else:
        variables = (series.net_name,)
    last = int(series.years[-1])
    info = dict(result.info)
    info.update(
        {
            "options": dict(options),
            "data": describe(series),
            "clipped_negative": clipped_d + clipped_p,
        }
    )
    info["notes"] = list(series.notes)
    return Forecast(
        method=name,
        target=series.target,
        regions=series.regions,
        years=tuple(range(last + 1, last + horizon + 1)),
        variables=variables,
        point=point,
        samples=draws,
        history=series.to_frame(),
        population=series.last_population(),
        coherent=coherent,
        levels=levels,
        info=info,
        flows=result.flows,
    )


# ----------------------------------------------------------------------------- ensemble


def _ensemble_run(
    series: SeriesData,
    horizon: int,
    *,
    levels: tuple[float, ...],
    n_sims: int,
    seed: int,
    progress: bool,
    gaps: Gaps,
    coherent: bool | None,
    cache: dict[Any, Forecast] | None,
    panel: FlowPanel | None = None,
    members: Sequence[str] = ENSEMBLE_MEMBERS,
    weights: Literal["equal", "backtest"] | Mapping[str, float] = "equal",
    member_options: Mapping[str, Mapping[str, Any]] | None = None,
    backtest_origins: int = 3,
) -> Forecast:
    """Mixture of member forecasts.

    Each trajectory is taken from one member chosen with probability equal to its weight,
    so intervals come from the mixture distribution; the point forecast is the weighted
    mean of the members' point forecasts. Both stay coherent because every member's are.
    ``weights="backtest"`` sets weights proportional to 1 / mean scaled CRPS of the net
    balance in a rolling-origin backtest on the training data (``backtest_origins``
    origins, horizon up to 3).
    """
    default_members = members is ENSEMBLE_MEMBERS
    members = list(members)
    years = np.asarray(series.years)
    if default_members and gaps == "error" and len(years) > 1 and (np.diff(years) != 1).any():
        # irregular years: the default mixture leaves out the members that need annual
        # series rather than failing, and says so (members named by the user still refuse)
        regular = [m for m in members if METHODS[m].regular]
        members = [m for m in members if not METHODS[m].regular]
        if regular:
            warnings.warn(
                f"ensemble: member(s) {format_values(regular)} need regular annual years and "
                f"were left out (the data have gaps between {int(years[0])} and "
                f"{int(years[-1])}); pass gaps='interpolate' or gaps='sequence' (CLI: --gaps "
                f"interpolate) to include them.",
                MigflowsWarning,
                stacklevel=4,
            )
    if not members or "ensemble" in members:
        raise InvalidOptionError(
            f"ensemble members={members!r}: give at least one method other than 'ensemble'."
        )
    for m in members:
        spec_for(m)
    opts = {m: dict((member_options or {}).get(m, {})) for m in members}
    for m in members:
        check_options(METHODS[m], opts[m])
        if METHODS[m].needs_panel and (panel is None or weights == "backtest"):
            why = "a FlowPanel" if panel is None else "equal or given weights"
            raise ModelSpecificationError(
                f"ensemble member {m!r} needs origin–destination flows; use it with {why} "
                f"(weights='backtest' re-runs members on series without the panel)."
            )
    w = _ensemble_weights(
        members, weights, series, horizon, n_sims, seed, gaps, coherent, opts, backtest_origins
    )
    fcs = [
        run(
            METHODS[m],
            series,
            horizon,
            levels=levels,
            n_sims=n_sims,
            seed=seed,
            progress=progress,
            gaps=gaps,
            coherent=coherent,
            options=opts[m],
            cache=cache,
            panel=panel,
        )
        for m in members
    ]
    common = [v for v in fcs[0].variables if all(v in f.variables for f in fcs)]
    idx = [[f.variables.index(v) for v in common] for f in fcs]
    point = sum(wi * f.point[..., ix] for wi, f, ix in zip(w, fcs, idx, strict=True))
    rng = _rng_for(seed, "ensemble", {"members": tuple(members)})
    choice = rng.choice(len(fcs), size=n_sims, p=w)
    draws = np.empty((n_sims, *fcs[0].point.shape[:2], len(common)))
    for j, (f, ix) in enumerate(zip(fcs, idx, strict=True)):
        sel = choice == j
        # member draw s for mixture draw s: members' draws are independent, so this is a
        # valid sample of the mixture without re-simulating.
        draws[sel] = f.samples[:n_sims][sel][..., ix]
    first = fcs[0]
    return Forecast(
        method="ensemble",
        target=first.target,
        regions=first.regions,
        years=first.years,
        variables=tuple(common),
        point=np.asarray(point),
        samples=draws,
        history=first.history[
            [c for c in first.history.columns if c in common or c == "population"]
        ],
        population=first.population,
        coherent=first.coherent,
        levels=levels,
        info={
            "members": members,
            "weights": dict(zip(members, w.tolist(), strict=True)),
            "notes": list(series.notes),
        },
    )


def _ensemble_weights(
    members: list[str],
    weights: Any,
    series: SeriesData,
    horizon: int,
    n_sims: int,
    seed: int,
    gaps: Gaps,
    coherent: bool | None,
    opts: dict[str, dict[str, Any]],
    backtest_origins: int,
) -> np.ndarray:
    if isinstance(weights, Mapping):
        missing = sorted(set(members) - set(weights))
        if missing or any(float(weights[m]) < 0 for m in members):
            raise InvalidOptionError(
                f"ensemble weights need a non-negative weight for every member; missing "
                f"{format_values(missing)}."
                if missing
                else "ensemble weights must be >= 0."
            )
        w = np.array([float(weights[m]) for m in members])
    elif weights == "equal":
        w = np.ones(len(members))
    elif isinstance(weights, str) and weights in WEIGHT_SCHEMES:
        # Data-driven weights ("backtest") are registered by the module that computes them,
        # so this module does not import the backtest module (which imports it).
        scheme = WEIGHT_SCHEMES[weights]
        w = np.asarray(
            scheme(
                series,
                members,
                horizon=horizon,
                n_sims=n_sims,
                seed=seed,
                gaps=gaps,
                coherent=coherent,
                member_options=opts,
                backtest_origins=backtest_origins,
            ),
            dtype=float,
        )
    else:
        schemes = ", ".join(repr(n) for n in ("equal", *sorted(WEIGHT_SCHEMES)))
        raise InvalidOptionError(
            f"ensemble weights={weights!r}; use {schemes} or a mapping member -> weight."
        )
    if not np.isfinite(w).all() or w.sum() <= 0:
        raise InvalidOptionError(f"ensemble weights {w.tolist()} do not give a distribution.")
    return w / w.sum()
