"""Rolling-origin evaluation of forecasting methods: :func:`backtest` and :class:`Backtest`.

For every origin (a year ``o`` that ends a training set) each method is fitted on the
observations up to ``o`` and its forecasts for the calendar years ``o+1 … o+horizon`` are
scored against the observed values of those years that exist (irregular year sets are
scored where they are observed: from Kazakhstan's origin 2021 with horizon 3, the years
2023 and 2024 at horizons 2 and 3).

Scores per method, variable, region and horizon:

``mase``
    Mean absolute error scaled by the in-sample naive one-step error of the training
    series at that origin, i.e. the mean absolute difference between consecutive
    observations (consecutive *observed* years when there are gaps).
``bias``, ``rmse``, ``mae``
    Of forecast minus actual, in target units. With coherent forecasts the net balance's
    bias averaged over all regions is zero by construction; read it per region.
``coverage_80``, ``coverage_95`` (one per level)
    Share of actual values inside the equal-tailed intervals of the trajectories.
``crps``, ``crps_scaled``
    Continuous ranked probability score of the trajectories, ``E|X - y| - E|X - X'| / 2``
    computed exactly for the empirical distribution of the draws; scaled like MASE.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import InvalidOptionError, MigflowsWarning, PanelStructureError, format_values
from migflows.estimation.core.readonly import ReadOnlyResults
from migflows.estimation.core.results import SummaryTable
from migflows.estimation.core.seeds import RandomSeed, pop_legacy_seed
from migflows.estimation.forecast.api import run
from migflows.estimation.forecast.data import Gaps, SeriesData, Target, prepare
from migflows.estimation.forecast.registry import (
    ENSEMBLE_MEMBERS,
    METHODS,
    base_seed,
    check_common,
    check_options,
    register_weights,
    spec_for,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Backtest", "backtest", "crps_draws"]

DEFAULT_METHODS = ("naive", "drift", "ets", "arima")


def crps_draws(draws: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """CRPS of an ensemble of draws (energy form, exact for the empirical distribution).

    Parameters
    ----------
    draws : ndarray, shape (n_draws, ...)
        Samples of the forecast distribution.
    actual : ndarray, shape (...)
        Observed values.

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> float(crps_draws(np.array([0.0, 1.0]), np.array(0.0)))
    0.25
    """
    x = np.sort(np.asarray(draws, dtype=float), axis=0)
    s = x.shape[0]
    term1 = np.mean(np.abs(x - actual[None]), axis=0)
    # E|X - X'| over all ordered pairs = (2 / s^2) * sum_i (2i - s - 1) x_(i)
    w = (2.0 * np.arange(1, s + 1) - s - 1).reshape((-1,) + (1,) * (x.ndim - 1))
    spread = 2.0 * np.sum(w * x, axis=0) / s**2
    return term1 - 0.5 * spread


@dataclass(frozen=True, eq=False)
class Backtest(ReadOnlyResults):
    """Results of :func:`backtest` (immutable).

    Attributes
    ----------
    errors : DataFrame
        One row per method, variable, region, origin and target year: actual, point,
        error, scaled error, interval hits and CRPS.
    origins : tuple of int
        Forecast origins used.
    horizon : int
        Calendar years ahead.
    levels : tuple of float
        Interval levels scored.
    info : dict
        Settings and notes (e.g. origins that could not be used).
    """

    errors: pd.DataFrame
    origins: tuple[int, ...]
    horizon: int
    levels: tuple[float, ...]
    info: dict[str, Any] = field(default_factory=dict)

    def _cov_cols(self) -> list[str]:
        return [f"coverage_{round(lev * 100):d}" for lev in self.levels]

    def _aggregate(self, by: list[str]) -> pd.DataFrame:
        e = self.errors
        g = e.assign(
            abs_scaled=e["scaled_error"].abs(),
            abs_error=e["error"].abs(),
            sq_error=e["error"] ** 2,
        ).groupby(by, sort=True)
        out = pd.DataFrame(
            {
                "n": g.size(),
                "mase": g["abs_scaled"].mean(),
                "bias": g["error"].mean(),
                "rmse": np.sqrt(g["sq_error"].mean()),
                "mae": g["abs_error"].mean(),
            }
        )
        for col in self._cov_cols():
            out[col] = g[f"hit_{col.split('_')[1]}"].mean()
        out["crps"] = g["crps"].mean()
        out["crps_scaled"] = g["crps_scaled"].mean()
        return out

    @property
    def table(self) -> pd.DataFrame:
        """Scores per method, variable, region and horizon."""
        return self._aggregate(["method", "variable", "region", "horizon"])

    @property
    def summary(self) -> SummaryTable:
        """Scores by method and variable (over regions and horizons), with the settings.

        The results' one summary type; it reads like its table (``bt.summary["mase"]``).
        ``bt.summary(by=("method", "horizon"))`` regroups (see :meth:`scores`).

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan()
        >>> bt = migflows.backtest(kz, ["naive"], origins=1, horizon=1, n_sims=50,
        ...                        random_seed=0, progress=False)
        >>> bt.summary.title, list(bt.summary(by=["horizon"]).index)
        ('Backtest', [1])
        """
        return self._summary(("method", "variable"))

    def _summary(self, by: Sequence[str] = ("method", "variable")) -> SummaryTable:
        header = (
            ("Origins", ", ".join(str(o) for o in self.origins)),
            ("Horizon (years)", self.horizon),
            ("Interval levels", ", ".join(f"{lev:g}" for lev in self.levels)),
            ("Methods", ", ".join(self.info.get("methods", []))),
            ("Grouped by", ", ".join(by)),
        )
        return SummaryTable("Backtest", header, self.scores(by), rebuild=self._summary)

    def scores(self, by: Sequence[str] = ("method", "variable")) -> pd.DataFrame:
        """Scores aggregated over the other dimensions (default: over regions and horizons).

        Parameters
        ----------
        by : sequence of str
            Any of ``method``, ``variable``, ``region``, ``horizon``, ``origin``.
        """
        allowed = {"method", "variable", "region", "horizon", "origin"}
        bad = sorted(set(by) - allowed)
        if bad:
            raise InvalidOptionError(
                f"by={list(by)!r}: unknown {format_values(bad)}; "
                f"use {format_values(sorted(allowed))}."
            )
        return self._aggregate(list(by))

    def __repr__(self) -> str:
        return (
            f"Backtest(origins={list(self.origins)}, horizon={self.horizon})\n"
            f"{self.scores().round(3)}"
        )

    def _repr_html_(self) -> str:
        head = f"<strong>Backtest</strong> origins {list(self.origins)}, horizon {self.horizon}"
        return f"<div>{head}{self.scores().round(3).to_html()}</div>"

    def plot(self, variable: str | None = None) -> Figure:
        """MASE, scaled CRPS, bias and interval coverage by horizon, one line per method."""
        import matplotlib.pyplot as plt

        s = self.scores(by=("method", "variable", "horizon")).reset_index()
        nets = [v for v in ("net", "net_rate") if v in set(s["variable"])]
        var = variable or (nets[0] if nets else str(s["variable"].iloc[0]))
        s = s[s["variable"] == var]
        metrics = ["mase", "crps_scaled", "bias", *self._cov_cols()]
        fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 2.8), squeeze=False)
        for ax, metric in zip(axes[0], metrics, strict=True):
            for method, part in s.groupby("method"):
                ax.plot(part["horizon"], part[metric], marker="o", label=str(method))
            if metric.startswith("coverage"):
                ax.axhline(int(metric.split("_")[1]) / 100, color="grey", ls="--", lw=0.8)
            ax.set_title(metric, fontsize=9)
            ax.set_xlabel("horizon (years)", fontsize=8)
        axes[0][0].legend(fontsize=7)
        fig.suptitle(f"backtest of {var}, origins {list(self.origins)}", fontsize=10)
        fig.tight_layout()
        return fig


def backtest(
    data: FlowPanel | pd.DataFrame,
    methods: Sequence[str] = DEFAULT_METHODS,
    *,
    origins: int | Sequence[int] = 5,
    horizon: int = 3,
    level: Sequence[float] = (0.8, 0.95),
    target: Target = "counts",
    n_sims: int = 500,
    random_seed: RandomSeed = None,
    progress: bool = True,
    gaps: Gaps = "error",
    coherent: bool | None = None,
    method_options: Mapping[str, Mapping[str, Any]] | None = None,
    **deprecated: Any,
) -> Backtest:
    """Rolling-origin evaluation of forecasting methods.

    Parameters
    ----------
    data : FlowPanel or DataFrame
        As for :func:`migflows.forecast`.
    methods : sequence of str
        Registered methods to compare.
    origins : int or sequence of int
        An int takes the latest that many usable origins (observed years with enough
        training years for every method and at least one observed year within
        ``horizon``); a sequence names them (each must be usable, else
        :class:`PanelStructureError`).
    horizon : int
        Calendar years ahead.
    level : sequence of float
        Interval levels whose empirical coverage is reported.
    target : {"counts", "rates"}
        Units to model and score in.
    n_sims : int
        Trajectories per forecast.
    random_seed : int, numpy Generator or None
        Seed (each method and origin draws from its own stream derived from it); ``seed=``,
        ``rng=`` and ``random_state=`` are deprecated aliases (FutureWarning).
    progress : bool
        Progress bar over origins.
    gaps : {"error", "interpolate", "sequence"}
        What ``ets``/``arima`` do with missing years.
    coherent : bool, optional
        As for :func:`migflows.forecast`.
    method_options : mapping, optional
        ``{method: {option: value}}``.

    Returns
    -------
    Backtest

    Examples
    --------
    >>> import migflows
    >>> from migflows.estimation.forecast.backtest import backtest
    >>> kz = migflows.load_kazakhstan()
    >>> bt = backtest(kz, ["naive", "drift"], origins=2, horizon=3, n_sims=100,
    ...               random_seed=0, progress=False)
    >>> bt.origins
    (2021, 2023)
    """
    random_seed = pop_legacy_seed(random_seed, deprecated, function="backtest")
    if deprecated:
        raise InvalidOptionError(
            f"backtest() has no argument(s) {format_values(sorted(deprecated))}; method "
            "options go in method_options={method: {option: value}}."
        )
    methods = list(methods)
    if not methods:
        raise InvalidOptionError("methods is empty; give at least one method, e.g. ['naive'].")
    specs = [spec_for(m) for m in methods]
    check_common(horizon, n_sims, level)
    opts = {m: dict((method_options or {}).get(m, {})) for m in methods}
    unknown = sorted(set(method_options or {}) - set(methods))
    if unknown:
        raise InvalidOptionError(
            f"method_options names method(s) not in methods: {format_values(unknown)}."
        )
    for spec in specs:
        check_options(spec, opts[spec.name])
        if spec.needs_panel and not isinstance(data, FlowPanel):
            raise InvalidOptionError(f"method {spec.name!r} needs a FlowPanel.")
    comps = "auto" if any(s.components == "auto" for s in specs) else "net"
    series = prepare(data, target=target, components=comps)  # type: ignore[arg-type]
    return run_backtest(
        series,
        methods,
        origins=origins,
        horizon=int(horizon),
        levels=tuple(float(x) for x in level),
        n_sims=n_sims,
        seed=base_seed(random_seed),
        progress=progress,
        gaps=gaps,
        coherent=coherent,
        method_options=opts,
        panel=data if isinstance(data, FlowPanel) else None,
    )


def _usable(
    series: SeriesData,
    methods: list[str],
    horizon: int,
    gaps: str,
    method_options: Mapping[str, Mapping[str, Any]],
) -> dict[int, str]:
    """Reason each observed year cannot be an origin ('' when it can)."""
    default_members = ENSEMBLE_MEMBERS
    needed: list[str] = []
    for m in methods:
        if METHODS[m].fit is None:
            needed.extend(method_options.get(m, {}).get("members", default_members))
        else:
            needed.append(m)
    methods = list(dict.fromkeys(needed))
    reasons: dict[int, str] = {}
    years = series.years
    for o in years[:-1]:
        o = int(o)
        train = years[years <= o]
        short = [m for m in methods if not _enough(m, train, gaps)]
        ahead = years[(years > o) & (years <= o + horizon)]
        missing = sorted(set(range(int(train[0]), o + 1)) - {int(y) for y in train})
        irregular = [m for m in methods if METHODS[m].regular and gaps == "error" and missing]
        if irregular:
            reasons[o] = (
                f"{format_values(irregular)} need(s) a regular annual series but the years "
                f"{format_values(missing, limit=6)} are missing (pass gaps='interpolate' or "
                "gaps='sequence')"
            )
        elif short:
            reasons[o] = f"too few training years for {format_values(short)}"
        elif len(ahead) == 0:
            reasons[o] = f"no observed year within {horizon} year(s) after it"
        else:
            reasons[o] = ""
    reasons[int(years[-1])] = "nothing observed after it"
    return reasons


def _enough(method: str, train: np.ndarray, gaps: str) -> bool:
    return METHODS[method].enough_years(train, gaps)


def run_backtest(
    series: SeriesData,
    methods: list[str],
    *,
    origins: int | Sequence[int],
    horizon: int,
    levels: tuple[float, ...],
    n_sims: int,
    seed: int,
    progress: bool,
    gaps: Gaps,
    coherent: bool | None,
    method_options: Mapping[str, Mapping[str, Any]],
    panel: FlowPanel | None = None,
) -> Backtest:
    """Backtest on prepared data (used by :func:`backtest` and backtest-weighted ensembles).

    Methods that need origin–destination flows (``needs_panel``) get ``panel`` cut to the
    years up to each origin.
    """
    reasons = _usable(series, methods, horizon, gaps, method_options)
    usable = [o for o, r in reasons.items() if not r]
    if isinstance(origins, int | np.integer) and not isinstance(origins, bool):
        if origins < 1:
            raise InvalidOptionError(f"origins={origins!r} must be a positive integer or years.")
        chosen = usable[-int(origins) :]
        if not chosen:
            raise PanelStructureError(
                f"No usable backtest origin among the observed years "
                f"{format_values([int(y) for y in series.years], limit=12)}: "
                + "; ".join(f"{o}: {r}" for o, r in reasons.items())
                + ". Shorten the horizon, drop demanding methods or add years."
            )
        if len(chosen) < origins:
            warnings.warn(
                f"only {len(chosen)} usable origin(s) {chosen} instead of {origins} "
                f"(the others: " + "; ".join(f"{o}: {r}" for o, r in reasons.items() if r) + ")",
                MigflowsWarning,
                stacklevel=3,
            )
    else:
        chosen = sorted(int(o) for o in cast(Sequence[int], origins))
        bad = {o: reasons.get(o, "not an observed year") for o in chosen if reasons.get(o, "x")}
        if bad:
            raise PanelStructureError(
                "Unusable backtest origin(s): "
                + "; ".join(f"{o}: {r}" for o, r in bad.items())
                + f". Usable: {format_values(usable, limit=12) or 'none'}."
            )
    rows: list[pd.DataFrame] = []
    iterator: Any = chosen
    if progress:
        from migflows.data.progress import progress_bar

        iterator = progress_bar(chosen, desc="backtest origins")
    for origin in iterator:
        train = series.until(origin)
        scale = _naive_scale(train)
        ahead = [int(y) for y in series.years if origin < y <= origin + horizon]
        cache: dict[Any, Any] = {}
        for m in methods:
            cut = None
            if panel is not None and METHODS[m].needs_panel:
                cut = panel.select(years=[y for y in panel.years if y <= origin])
            fc = run(
                METHODS[m],
                train,
                horizon,
                levels=levels,
                n_sims=n_sims,
                seed=seed + origin,
                progress=False,
                gaps=gaps,
                coherent=coherent,
                options=method_options.get(m, {}),
                cache=cache,
                panel=cut,
            )
            rows.append(_score(fc, series, origin, ahead, scale, levels))
    errors = pd.concat(rows, ignore_index=True)
    return Backtest(
        errors=errors,
        origins=tuple(chosen),
        horizon=horizon,
        levels=levels,
        info={
            "methods": methods,
            "n_sims": n_sims,
            "gaps": gaps,
            "unused_origins": {o: r for o, r in reasons.items() if r},
            "method_options": {k: dict(v) for k, v in method_options.items()},
        },
    )


def _naive_scale(train: SeriesData) -> dict[str, np.ndarray]:
    """Mean absolute difference of consecutive observations per variable and region."""
    obs = train.with_net()
    diffs = np.abs(np.diff(obs, axis=1)).mean(axis=1)  # (R, V)
    with np.errstate(invalid="ignore"):
        diffs = np.where(diffs > 0, diffs, np.nan)
    return {v: diffs[:, j] for j, v in enumerate(train.variables)}


def _score(
    fc: Any,
    series: SeriesData,
    origin: int,
    ahead: list[int],
    scale: dict[str, np.ndarray],
    levels: tuple[float, ...],
) -> pd.DataFrame:
    actual_all = series.with_net()
    parts = []
    for var in fc.variables:
        if var not in series.variables:
            continue
        j_obs = series.variables.index(var)
        j = fc.variables.index(var)
        for year in ahead:
            h = year - origin
            t_obs = int(np.flatnonzero(series.years == year)[0])
            actual = actual_all[:, t_obs, j_obs]
            point = fc.point[:, h - 1, j]
            draws = fc.samples[:, :, h - 1, j]
            err = point - actual
            frame = pd.DataFrame(
                {
                    "method": fc.method,
                    "variable": var,
                    "region": list(fc.regions),
                    "origin": origin,
                    "year": year,
                    "horizon": h,
                    "actual": actual,
                    "point": point,
                    "error": err,
                    "scaled_error": err / scale[var],
                }
            )
            for lev in levels:
                lo, hi = np.quantile(draws, [(1 - lev) / 2, (1 + lev) / 2], axis=0)
                frame[f"hit_{round(lev * 100):d}"] = ((actual >= lo) & (actual <= hi)).astype(float)
            crps = crps_draws(draws, actual)
            frame["crps"] = crps
            frame["crps_scaled"] = crps / scale[var]
            parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def backtest_weights(
    series: SeriesData,
    members: list[str],
    *,
    horizon: int,
    n_sims: int,
    seed: int,
    gaps: Gaps,
    coherent: bool | None,
    member_options: Mapping[str, Mapping[str, Any]],
    backtest_origins: int,
) -> np.ndarray:
    """Ensemble weights ``1 / mean scaled CRPS`` of the net balance (``weights="backtest"``).

    A rolling-origin backtest on the training data with ``backtest_origins`` origins and a
    horizon of at most 3 years; registered in
    :data:`~migflows.estimation.forecast.registry.WEIGHT_SCHEMES`.
    """
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
        method_options=member_options,
    )
    score = bt.scores().xs(series.net_name, level="variable")["crps_scaled"]
    return np.array([1.0 / float(score[m]) for m in members])


register_weights("backtest", backtest_weights)
