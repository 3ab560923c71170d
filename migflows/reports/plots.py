"""Figures for migration panels: flow map, OD heatmap, net balances, attractiveness.

Every function draws with matplotlib only, in one consistent style (:data:`STYLE`), and
returns the :class:`matplotlib.figure.Figure`; none calls ``plt.show``. Figures are created
with :class:`~matplotlib.figure.Figure` directly (not through pyplot), so building many of
them in a report leaks nothing; pass ``ax=`` to draw into an axes of your own figure.

Examples
--------
>>> import migflows
>>> from migflows.reports.plots import flow_map
>>> kz = migflows.load_kazakhstan()
>>> fig = flow_map(kz, 2023, top=20)
>>> len(fig.axes) >= 1
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from migflows.data.indices import balances
from migflows.errors import MissingRegionError

if TYPE_CHECKING:
    from migflows.data.panel import FlowPanel

from migflows.reports.flow_map_plot import flow_map
from migflows.reports.plot_style import (
    FLAGGED,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    STYLE,
    THOUSANDS,
    check_panel,
    check_year,
    check_years,
    new_figure,
    plot_style,
    region_labels,
)

__all__ = [
    "STYLE",
    "attractiveness_plot",
    "flow_map",
    "national_totals_plot",
    "net_balance_plot",
    "od_heatmap",
    "region_labels",
]


def od_heatmap(panel: FlowPanel, year: int, *, ax: Axes | None = None, log: bool = True) -> Figure:
    """Heatmap of the origin × destination matrix of one year.

    Parameters
    ----------
    panel : FlowPanel
        The panel.
    year : int
        Year to draw.
    ax : Axes, optional
        Draw into this axes.
    log : bool, default True
        Logarithmic colour scale (flows span several orders of magnitude).

    Returns
    -------
    Figure
        Rows are origins, columns destinations (sorted by label); the diagonal is blank.

    Examples
    --------
    >>> import migflows
    >>> fig = od_heatmap(migflows.load_kazakhstan(), 2023)
    >>> fig.axes[0].get_ylabel()
    'origin'
    """
    year = check_year(panel, year)
    labels = region_labels(panel)
    order = sorted(panel.region_keys, key=lambda k: labels[k].lower())
    matrix = panel.to_matrix(year).reindex(index=order, columns=order)
    values = matrix.to_numpy(dtype=float).copy()
    np.fill_diagonal(values, np.nan)
    n = len(order)
    with plot_style():
        fig, ax = new_figure((0.36 * n + 3.2, 0.36 * n + 1.8), ax)
        positive = values[np.isfinite(values) & (values > 0)]
        norm = None
        if log and positive.size:
            norm = LogNorm(vmin=max(float(positive.min()), 1.0), vmax=float(positive.max()))
            values = np.where(values > 0, values, np.nan)
        cmap = mpl.colormaps["YlGnBu"].with_extremes(bad="#f2f2f2")
        image = ax.imshow(values, cmap=cmap, norm=norm, aspect="equal", interpolation="nearest")
        ax.set_xticks(range(n), [labels[k] for k in order], rotation=90)
        ax.set_yticks(range(n), [labels[k] for k in order])
        ax.set_xlabel("destination")
        ax.set_ylabel("origin")
        ax.spines[:].set_visible(False)
        bar = fig.colorbar(image, ax=ax, shrink=0.7, pad=0.02)
        bar.set_label("persons" + (" (log scale)" if norm is not None else ""))
        ax.set_title(f"Origin–destination flows, {year}")
    return fig


def _balances(panel: FlowPanel, years: list[int], *, rate: bool) -> pd.DataFrame:
    flows = panel.flows
    flows = flows[flows["year"].isin(years)]
    if not rate:
        return balances(flows)
    population = panel.population()
    if population is None:
        raise MissingRegionError(
            "rate=True needs a 'population' attribute in panel.regions; the panel has none."
        )
    return balances(flows, population)


def net_balance_plot(
    panel: FlowPanel, *, years: Iterable[int] | None = None, rate: bool = False
) -> Figure:
    """Net migration balance by region, one small bar chart per year.

    Parameters
    ----------
    panel : FlowPanel
        The panel.
    years : iterable of int, optional
        Years to show (default all).
    rate : bool, default False
        Plot the net rate per 1,000 inhabitants instead of persons (needs population for
        every region-year shown).

    Returns
    -------
    Figure
        One axes per year with one horizontal bar per region (blue gains, red losses),
        regions ordered by the balance of the last year shown.

    Examples
    --------
    >>> import migflows
    >>> fig = net_balance_plot(migflows.load_kazakhstan(), years=[2021, 2023])
    >>> len(fig.axes)
    2
    """
    chosen = check_years(panel, years)
    column = "net_rate" if rate else "net"
    table = _balances(panel, chosen, rate=rate)[column].unstack("year")
    labels = region_labels(panel)
    table = table.loc[table[chosen[-1]].sort_values().index]
    limit = float(np.nanmax(np.abs(table.to_numpy()))) * 1.08 or 1.0
    n = len(table)
    with plot_style():
        fig = Figure(figsize=(1.9 * len(chosen) + 1.6, 0.24 * n + 1.4), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, len(chosen), sharey=True, squeeze=False)[0]
        ypos = np.arange(n)
        for ax, year in zip(axes, chosen, strict=True):
            values = table[year].to_numpy(dtype=float)
            colours = [POSITIVE if v >= 0 else NEGATIVE for v in np.nan_to_num(values)]
            ax.barh(ypos, values, color=colours, height=0.75)
            ax.axvline(0.0, color=NEUTRAL, linewidth=0.6)
            ax.set_xlim(-limit, limit)
            ax.set_title(str(year))
            ax.xaxis.set_major_formatter(THOUSANDS if not rate else FuncFormatter(_fmt1))
            ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(3, symmetric=True))
            ax.tick_params(axis="x", labelrotation=45)
            ax.grid(axis="x")
        axes[0].set_yticks(ypos, [labels[k] for k in table.index])
        fig.supxlabel("net balance per 1,000 inhabitants" if rate else "net balance (persons)")
        fig.suptitle("Net inter-regional migration by region and year", fontweight="bold")
    return fig


def _fmt1(x: float, _pos: int) -> str:
    return f"{x:,.1f}"


def attractiveness_plot(
    panel: FlowPanel, *, years: Iterable[int] | None = None, ax: Axes | None = None
) -> Figure:
    """Migration-attractiveness coefficient (arrivals / departures) by region and year.

    Parameters
    ----------
    panel : FlowPanel
        The panel.
    years : iterable of int, optional
        Years to show (default all).
    ax : Axes, optional
        Draw into this axes.

    Returns
    -------
    Figure
        A dot plot on a logarithmic axis, one row per region (ordered by the last year),
        one marker per year; the line at 1 separates gaining from losing regions.

    Examples
    --------
    >>> import migflows
    >>> fig = attractiveness_plot(migflows.load_kazakhstan())
    >>> fig.axes[0].get_xscale()
    'log'
    """
    chosen = check_years(panel, years)
    table = _balances(panel, chosen, rate=False)["attractiveness"].unstack("year")
    table = table.replace([np.inf, -np.inf], np.nan)
    table = table.loc[table[chosen[-1]].sort_values().index]
    labels = region_labels(panel)
    n = len(table)
    colours = mpl.colormaps["viridis"](np.linspace(0.0, 0.9, len(chosen)))
    with plot_style():
        fig, ax = new_figure((8.0, 0.27 * n + 1.6), ax)
        ypos = np.arange(n)
        ax.hlines(ypos, 0.1, 10.0, color="#eeeeee", linewidth=0.8, zorder=0)
        for colour, year in zip(colours, chosen, strict=True):
            ax.scatter(table[year], ypos, color=colour, s=22, label=str(year), zorder=3)
        ax.axvline(1.0, color=NEUTRAL, linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        finite = table.to_numpy(dtype=float)
        finite = finite[np.isfinite(finite) & (finite > 0)]
        if finite.size:
            ax.set_xlim(float(finite.min()) / 1.25, float(finite.max()) * 1.25)
        ax.xaxis.set_major_locator(
            mpl.ticker.FixedLocator([0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20])
        )
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:g}"))
        ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
        ax.set_yticks(ypos, [labels[k] for k in table.index])
        ax.set_xlabel("arrivals / departures (log scale; > 1: the region gains migrants)")
        ax.legend(title="year", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.set_title("Migration-attractiveness coefficient")
    return fig


def national_totals_plot(
    panel: FlowPanel, *, flagged: Mapping[int, str] | None = None, ax: Axes | None = None
) -> Figure:
    """National total of inter-regional flows by year as bars.

    Parameters
    ----------
    panel : FlowPanel
        The panel.
    flagged : mapping of year to str, optional
        Years to draw in grey with a note (e.g. ``{2022: "corrupt"}``).
    ax : Axes, optional
        Draw into this axes.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import migflows
    >>> fig = national_totals_plot(migflows.load_kazakhstan())
    >>> len(fig.axes[0].patches)
    6
    """
    check_panel(panel)
    flagged = dict(flagged or {})
    totals = panel.flows.groupby("year")["flow"].sum()
    totals.index = [int(str(y)) for y in totals.index]
    with plot_style():
        fig, ax = new_figure((7.5, 3.4), ax)
        xs = [str(y) for y in totals.index]
        colours = [FLAGGED if y in flagged else POSITIVE for y in totals.index]
        bars = ax.bar(xs, totals.to_numpy(dtype=float), color=colours, width=0.7)
        notes = [
            f"{v:,.0f}" + (f"\n({flagged[y]})" if y in flagged else "") for y, v in totals.items()
        ]
        ax.bar_label(bars, notes, fontsize=7, padding=2)
        ax.yaxis.set_major_formatter(THOUSANDS)
        ax.set_ylabel("persons")
        ax.margins(y=0.18)
        ax.grid(axis="y")
        if flagged:
            ax.legend(
                [Patch(color=POSITIVE), Patch(color=FLAGGED)],
                ["used", "excluded from the default panel"],
                loc="upper left",
            )
        ax.set_title("Inter-regional migration, national total")
    return fig
