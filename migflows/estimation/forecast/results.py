"""The :class:`Forecast` result: point forecasts, simulated trajectories and intervals."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migflows.errors import InvalidOptionError, format_values
from migflows.estimation.core.readonly import ReadOnlyResults
from migflows.estimation.core.results import SummaryTable

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure

__all__ = ["Forecast"]

RATE_OF = {"arrivals": "in_rate", "departures": "out_rate", "net": "net_rate"}
COUNT_OF = {v: k for k, v in RATE_OF.items()}


def _readonly(arr: np.ndarray) -> np.ndarray:
    out = np.array(arr, dtype=float, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Forecast(ReadOnlyResults):
    """Forecasts of regional arrivals, departures and net migration (immutable).

    Returned by :func:`migflows.forecast`. Point forecasts and simulated trajectories are
    nationally coherent when ``coherent`` is True: in every year *and every draw* the net
    balances sum to zero. Intervals are quantiles of the (coherent) trajectories, never
    combined from per-region formulas.

    Attributes
    ----------
    method : str
        Forecasting method (``"naive"``, ``"drift"``, ``"ets"``, ``"arima"``, ``"bayes_ar"``,
        ``"ensemble"``).
    target : {"counts", "rates"}
        Units of the modelled variables (persons, or per 1,000 population).
    regions : tuple of str
        Region keys.
    years : tuple of int
        Forecast years (calendar years after the last observed one).
    variables : tuple of str
        ``("arrivals", "departures", "net")`` (or the ``*_rate`` names), or only the net.
    point : ndarray, shape (regions, years, variables)
        Point forecasts (read-only).
    samples : ndarray, shape (draws, regions, years, variables)
        Simulated trajectories (read-only); see :attr:`draws` for a labelled view.
    history : DataFrame
        Observed variables (and population) by (region, year).
    population : ndarray (regions,) or None
        Population assumed in the forecast years (last observed, carried forward).
    coherent : bool
        Whether the trajectories were rebalanced to a national zero sum.
    levels : tuple of float
        Interval levels shown by :meth:`to_frame` and :meth:`plot`.
    info : mapping
        Method details: specification, fits or posterior, diagnostics, notes.
    flows : DataFrame or None
        Origin–destination forecasts; None for the methods that do not model OD flows.
    """

    method: str
    target: str
    regions: tuple[str, ...]
    years: tuple[int, ...]
    variables: tuple[str, ...]
    point: np.ndarray
    samples: np.ndarray
    history: pd.DataFrame
    population: np.ndarray | None
    coherent: bool
    levels: tuple[float, ...] = (0.8, 0.95)
    info: Mapping[str, Any] = field(default_factory=dict)
    flows: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "point", _readonly(self.point))
        object.__setattr__(self, "samples", _readonly(self.samples))
        if self.population is not None:
            object.__setattr__(self, "population", _readonly(self.population))
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))
        object.__setattr__(self, "history", self.history.copy())

    # ----------------------------------------------------------------- basic views
    @property
    def net_name(self) -> str:
        """Name of the net variable (``net`` or ``net_rate``)."""
        return self.variables[-1]

    @property
    def n_sims(self) -> int:
        """Number of simulated trajectories."""
        return int(self.samples.shape[0])

    def _var(self, variable: str | None) -> int:
        name = self.net_name if variable is None else variable
        if name not in self.variables:
            raise InvalidOptionError(
                f"variable={name!r} is not forecast by method {self.method!r}; "
                f"available: {format_values(self.variables)}."
            )
        return self.variables.index(name)

    def _index(self) -> pd.MultiIndex:
        return pd.MultiIndex.from_product(
            [list(self.regions), list(self.years)], names=["region", "year"]
        )

    @property
    def predicted_mean(self) -> pd.DataFrame:
        """Point forecasts of the net balance: regions × forecast years."""
        j = self._var(None)
        return pd.DataFrame(
            self.point[:, :, j].copy(),
            index=pd.Index(self.regions, name="region"),
            columns=pd.Index(self.years, name="year"),
        )

    @property
    def draws(self) -> xr.DataArray:
        """Simulated trajectories as an ``xarray.DataArray`` (draw, region, year, variable)."""
        import xarray as xr

        return xr.DataArray(
            self.samples.copy(),
            dims=("draw", "region", "year", "variable"),
            coords={
                "draw": np.arange(self.n_sims),
                "region": list(self.regions),
                "year": list(self.years),
                "variable": list(self.variables),
            },
            name=self.method,
        )

    def quantiles(self, probs: Sequence[float], variable: str | None = None) -> np.ndarray:
        """Quantiles of the trajectories: array (len(probs), regions, years)."""
        j = self._var(variable)
        return np.quantile(self.samples[..., j], probs, axis=0)

    def conf_int(self, level: float = 0.95, variable: str | None = None) -> pd.DataFrame:
        """Equal-tailed interval from the trajectories.

        Parameters
        ----------
        level : float
            Coverage probability in (0, 1).
        variable : str, optional
            One of :attr:`variables`; the net balance by default.

        Returns
        -------
        DataFrame
            ``lower``, ``upper`` indexed by (region, year).
        """
        check_level(level)
        lo, hi = self.quantiles([(1 - level) / 2, (1 + level) / 2], variable)
        return pd.DataFrame({"lower": lo.reshape(-1), "upper": hi.reshape(-1)}, index=self._index())

    def summary_frame(self, alpha: float = 0.05, variable: str | None = None) -> pd.DataFrame:
        """Point forecast, trajectory mean and sd, and a ``1 - alpha`` interval.

        Columns follow statsmodels' ``summary_frame``: ``mean`` (the point forecast),
        ``mean_se`` (standard deviation of the trajectories), ``mean_ci_lower``,
        ``mean_ci_upper``; indexed by (region, year).
        """
        j = self._var(variable)
        ci = self.conf_int(1 - alpha, variable)
        return pd.DataFrame(
            {
                "mean": self.point[:, :, j].reshape(-1),
                "mean_se": self.samples[..., j].std(axis=0).reshape(-1),
                "mean_ci_lower": ci["lower"].to_numpy(),
                "mean_ci_upper": ci["upper"].to_numpy(),
            },
            index=self._index(),
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of every variable: point forecast, trajectory sd, interval bounds.

        One row per region, year and variable; ``lower_80``/``upper_80`` etc. for every
        level in :attr:`levels`.
        """
        parts = []
        for var in self.variables:
            j = self.variables.index(var)
            part = pd.DataFrame(
                {
                    "mean": self.point[:, :, j].reshape(-1),
                    "sd": self.samples[..., j].std(axis=0).reshape(-1),
                },
                index=self._index(),
            )
            for lev in self.levels:
                ci = self.conf_int(lev, var)
                pct = f"{round(lev * 100):d}"
                part[f"lower_{pct}"] = ci["lower"].to_numpy()
                part[f"upper_{pct}"] = ci["upper"].to_numpy()
            part.insert(0, "variable", var)
            parts.append(part)
        return pd.concat(parts).set_index("variable", append=True).sort_index()

    @property
    def balances(self) -> pd.DataFrame:
        """Point forecasts of arrivals, departures and net by (region, year).

        Counts and rates per 1,000 when population is known (rates use the population of
        the last observed year); NaN for variables the method does not forecast.
        """
        frame = pd.DataFrame(index=self._index())
        for var in self.variables:
            frame[var] = self.point[:, :, self.variables.index(var)].reshape(-1)
        counts = self.target == "counts"
        pop = None
        if self.population is not None:
            pop = np.repeat(self.population, len(self.years))
        for count, rate in RATE_OF.items():
            have, other = (count, rate) if counts else (rate, count)
            if have not in frame:
                frame[have] = np.nan
            if pop is not None:
                frame[other] = (
                    frame[have] * pop / 1000.0 if not counts else frame[have] / pop * 1000.0
                )
        if pop is not None:
            frame["population"] = pop
        order = ["arrivals", "departures", "net", "in_rate", "out_rate", "net_rate", "population"]
        return frame[[c for c in order if c in frame]]

    # ----------------------------------------------------------------- display
    @property
    def summary(self) -> SummaryTable:
        """The settings and the net balance's :meth:`summary_frame` at the widest level.

        The results' one summary type (it reads like its table); ``fc.summary(alpha=0.2,
        variable="arrivals")`` rebuilds it with other :meth:`summary_frame` arguments.
        """
        return self._summary(1 - max(self.levels))

    def _summary(self, alpha: float = 0.05, variable: str | None = None) -> SummaryTable:
        title = f"Forecast ({self.method})"
        table = self.summary_frame(alpha=alpha, variable=variable)
        header = (*self._summary_rows(), ("interval", f"{1 - alpha:.0%}"))
        return SummaryTable(title, tuple(header), table, rebuild=self._summary)

    def _summary_rows(self) -> list[tuple[str, str]]:
        rows = [
            ("method", self.method),
            ("target", self.target),
            ("regions", str(len(self.regions))),
            (
                "observed years",
                ", ".join(
                    str(y) for y in sorted(self.history.index.get_level_values("year").unique())
                ),
            ),
            ("forecast years", ", ".join(map(str, self.years))),
            ("variables", ", ".join(self.variables)),
            ("trajectories", f"{self.n_sims:,}"),
            ("coherent (national zero sum)", "yes" if self.coherent else "no"),
        ]
        notes = self.info.get("notes") or []
        if notes:
            rows.append(("notes", "; ".join(map(str, notes))))
        return rows

    def __repr__(self) -> str:
        head = "\n".join(f"  {k}: {v}" for k, v in self._summary_rows())
        table = self.predicted_mean.round(2)
        return f"Forecast\n{head}\nnet ({self.net_name}) point forecasts:\n{table}"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._summary_rows()
        )
        table = self.summary_frame(alpha=1 - max(self.levels)).round(2).to_html()
        return f"<div><strong>Forecast</strong><table>{rows}</table>{table}</div>"

    def plot(
        self,
        variable: str | None = None,
        *,
        regions: Sequence[str] | None = None,
        ncols: int = 4,
        history: bool = True,
        labels: Mapping[str, str] | None = None,
    ) -> Figure:
        """Fan chart per region (small multiples): history, point forecast, intervals.

        Parameters
        ----------
        variable : str, optional
            One of :attr:`variables`; the net balance by default.
        regions : sequence of str, optional
            Subset of regions to draw.
        ncols : int
            Panels per row.
        history : bool
            Draw the observed values.
        labels : mapping, optional
            Region key -> name for the panel titles (default: the keys).

        Returns
        -------
        matplotlib.figure.Figure
            With one legend (observed, forecast, the interval bands) and the unit on the
            y axes (persons per year).
        """
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        j = self._var(variable)
        name = self.variables[j]
        chosen = list(self.regions) if regions is None else list(regions)
        unknown = sorted(set(chosen) - set(self.regions))
        if unknown:
            raise InvalidOptionError(f"Unknown region(s) {format_values(unknown)}.")
        n = len(chosen)
        ncols = max(1, min(ncols, n))
        nrows = int(np.ceil(n / ncols))
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), squeeze=False, sharex=True
        )
        years = np.array(self.years)
        levels = sorted(self.levels, reverse=True)
        bands = self.quantiles([p for lev in levels for p in ((1 - lev) / 2, (1 + lev) / 2)], name)
        for ax, region in zip(axes.flat, chosen, strict=False):
            i = self.regions.index(region)
            if history and name in self.history.columns:
                obs = self.history.xs(region, level="region")[name]
                ax.plot(obs.index, obs.to_numpy(), color="black", lw=1, marker=".")
            for b, lev in enumerate(levels):
                ax.fill_between(
                    years,
                    bands[2 * b, i],
                    bands[2 * b + 1, i],
                    color="C0",
                    alpha=0.15 + 0.15 * b,
                    lw=0,
                    label=f"{lev:.0%}",
                )
            ax.plot(years, self.point[i, :, j], color="C0", lw=1.5)
            if name.startswith("net"):
                ax.axhline(0, color="grey", lw=0.5)
            ax.set_title(labels.get(region, region) if labels else region, fontsize=9)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        for row in axes:
            row[0].set_ylabel("persons per year", fontsize=7)
        what = {"net": "net migration balance", "arrivals": "arrivals", "departures": "departures"}
        fig.suptitle(f"{what.get(name, name)}: {self.method} forecast", fontsize=10)
        handles, names = axes.flat[0].get_legend_handles_labels()
        handles += [Line2D([], [], color="C0", lw=1.5)]
        names += ["forecast"]
        if history and name in self.history.columns:
            handles += [Line2D([], [], color="black", lw=1, marker=".")]
            names += ["observed"]
        names = [f"{x} interval" if x.endswith("%") else x for x in names]
        fig.tight_layout(rect=(0, 0, 1, 0.95))
        fig.legend(handles, names, loc="upper right", ncol=len(names), fontsize=7, frameon=False)
        return fig


def check_level(level: float) -> None:
    try:
        value = float(level)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(level, bool) or not 0 < value < 1:
        raise InvalidOptionError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95.")
