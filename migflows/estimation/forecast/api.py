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
see :func:`~migflows.estimation.forecast.methods.reconcile` for the rules.
"""

from __future__ import annotations

import inspect
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import (
    DataQualityWarning,
    InvalidOptionError,
    ModelSpecificationError,
    PanelStructureError,
    format_values,
)
from migflows.estimation.forecast import gravity as forecast_gravity
from migflows.estimation.forecast import methods as fm
from migflows.estimation.forecast.bayes_ar import bayes_ar
from migflows.estimation.forecast.data import Gaps, SeriesData, Target, describe, prepare
from migflows.estimation.forecast.results import Forecast, check_level
from migflows.models.scenario import Scenario

__all__ = ["METHODS", "MethodSpec", "forecast", "register_method"]

_STANDARD = {"data", "horizon", "n_sims", "rng", "progress", "gaps", "panel", "scenario"}


@dataclass(frozen=True)
class MethodSpec:
    """A forecasting method in the registry.

    Attributes
    ----------
    name : str
        Name passed as ``method=``.
    fit : callable
        ``fit(data: SeriesData, horizon, *, n_sims, rng, progress, gaps, **options)``
        returning a :class:`~migflows.estimation.forecast.methods.MethodResult`; methods
        with ``needs_panel`` also receive ``panel=`` and ``scenario=``.
    components : {"auto", "net"}
        ``"auto"``: arrivals and departures when available; ``"net"``: net only.
    min_years : int
        Fewest observed (for ``regular`` methods: annual) years it needs.
    regular : bool
        Needs a regular annual series (gaps handled by the ``gaps`` option).
    uses_scenario : bool
        Driven by covariate paths, so accepts a :class:`~migflows.Scenario`.
    needs_panel : bool
        Needs origin–destination flows (a FlowPanel), not a region-year table.
    description : str
        One line for listings.
    """

    name: str
    fit: Callable[..., fm.MethodResult] | None
    components: Literal["auto", "net"] = "auto"
    min_years: int = 2
    regular: bool = False
    uses_scenario: bool = False
    needs_panel: bool = False
    description: str = ""

    def options(self) -> list[str]:
        """Keyword options the method accepts (``**method_options``)."""
        fn = self.fit if self.fit is not None else _ensemble
        return [p for p in inspect.signature(fn).parameters if p not in _STANDARD]

    def enough_years(self, years: np.ndarray, gaps: str) -> bool:
        """Whether a training set with these observed years is long enough."""
        if len(years) == 0:
            return False
        n = len(years)
        if self.regular and gaps == "interpolate":
            n = int(years[-1] - years[0]) + 1
        return n >= self.min_years


METHODS: dict[str, MethodSpec] = {}


def register_method(spec: MethodSpec, *, replace: bool = False) -> None:
    """Add a forecasting method to the registry (how ``gravity`` plugs in).

    Parameters
    ----------
    spec : MethodSpec
        The method.
    replace : bool
        Allow overwriting a registered name.

    Examples
    --------
    >>> from migflows.estimation.forecast.api import METHODS
    >>> sorted(METHODS)[:3]
    ['arima', 'bayes_ar', 'drift']
    """
    if spec.name in METHODS and not replace:
        raise InvalidOptionError(f"method {spec.name!r} is already registered.")
    METHODS[spec.name] = spec


for _spec in (
    MethodSpec("naive", fm.naive, min_years=2, description="random walk"),
    MethodSpec("drift", fm.drift, min_years=3, description="random walk with drift"),
    MethodSpec("ets", fm.ets, min_years=4, regular=True, description="exponential smoothing"),
    MethodSpec("arima", fm.arima, min_years=4, regular=True, description="ARIMA"),
    MethodSpec(
        "bayes_ar",
        bayes_ar,
        components="net",
        min_years=3,
        description="hierarchical AR(1) of net migration rates (PyMC)",
    ),
    MethodSpec("ensemble", None, min_years=2, description="mixture of member forecasts"),
    MethodSpec(
        "gravity",
        forecast_gravity.gravity_method,
        min_years=2,
        uses_scenario=True,
        needs_panel=True,
        description="origin-destination flows from a fitted gravity model",
    ),
):
    register_method(_spec)


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
    random_seed: int | None = None,
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
    random_seed : int, optional
        Seed for every random step (each method draws from its own stream).
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
    spec = spec_for(method)
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


def spec_for(method: str) -> MethodSpec:
    if method not in METHODS:
        raise InvalidOptionError(
            f"method={method!r} is not a forecasting method; use one of "
            f"{format_values(sorted(METHODS), limit=20)}."
        )
    return METHODS[method]


def check_common(horizon: int, n_sims: int, level: Sequence[float]) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise InvalidOptionError(f"horizon={horizon!r} must be a positive integer (years).")
    if isinstance(n_sims, bool) or not isinstance(n_sims, int | np.integer) or n_sims < 10:
        raise InvalidOptionError(f"n_sims={n_sims!r} must be an integer of at least 10.")
    for lev in level:
        check_level(lev)
    return int(horizon)


def _check_scenario(spec: MethodSpec, scenario: Scenario | None) -> None:
    if scenario is None:
        return
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a migflows.Scenario, got {type(scenario).__name__}.")
    if not spec.uses_scenario:
        users = sorted(n for n, s in METHODS.items() if s.uses_scenario)
        where = f"use one of {format_values(users)}"
        raise ModelSpecificationError(
            f"method {spec.name!r} extrapolates the series themselves and is not driven by "
            f"covariates, so it cannot use scenario {scenario.name!r}; {where}."
        )


def check_options(spec: MethodSpec, options: Mapping[str, Any]) -> None:
    allowed = spec.options()
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidOptionError(
            f"method {spec.name!r} has no option(s) {format_values(unknown)}; allowed: "
            f"{format_values(allowed, limit=20) or 'none'}."
        )


def base_seed(random_seed: int | None) -> int:
    if random_seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
    return int(random_seed)


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
    point, clipped_p = fm.reconcile(result.point, series, coherent)
    draws, clipped_d = fm.reconcile(result.draws, series, coherent)
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


#: The ensemble's members when ``members=`` is not given.
ENSEMBLE_MEMBERS: tuple[str, ...] = ("naive", "drift", "ets", "arima")


def _ensemble(
    members: Sequence[str] = ENSEMBLE_MEMBERS,
    weights: Literal["equal", "backtest"] | Mapping[str, float] = "equal",
    member_options: Mapping[str, Mapping[str, Any]] | None = None,
    backtest_origins: int = 3,
) -> None:
    """Signature holder for the ensemble's options (see :func:`_ensemble_run`)."""


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
    members: Sequence[str] = ("naive", "drift", "ets", "arima"),
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
    members = list(members)
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
    elif weights == "backtest":
        from migflows.estimation.forecast.backtest import run_backtest

        bt = run_backtest(
            series,
            members,
            origins=backtest_origins,
            horizon=min(horizon, 3),
            levels=(0.8, 0.95),
            n_sims=min(n_sims, 300),
            seed=seed,
            progress=False,
            gaps=gaps,
            coherent=coherent,
            method_options=opts,
        )
        score = bt.summary().xs(series.net_name, level="variable")["crps_scaled"]
        w = np.array([1.0 / float(score[m]) for m in members])
    else:
        raise InvalidOptionError(
            f"ensemble weights={weights!r}; use 'equal', 'backtest' or a mapping member -> weight."
        )
    if not np.isfinite(w).all() or w.sum() <= 0:
        raise InvalidOptionError(f"ensemble weights {w.tolist()} do not give a distribution.")
    return w / w.sum()
