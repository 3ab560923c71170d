"""The flow map: the largest flows of a year as arrows between admin centres.

Examples
--------
>>> import migflows
>>> from migflows.reports.flow_map_plot import flow_map
>>> fig = flow_map(migflows.load_kazakhstan(), 2023, top=20)
>>> len(fig.axes) >= 1
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from migflows.data.boundaries import Boundaries, boundaries_for, require
from migflows.data.indices import balances
from migflows.errors import InvalidOptionError, MissingRegionError, format_values

if TYPE_CHECKING:
    from migflows.data.panel import FlowPanel

from migflows.reports.maps import draw_outlines
from migflows.reports.plot_style import (
    NEUTRAL,
    check_year,
    new_figure,
    plot_style,
    region_labels,
)

__all__ = ["flow_map"]


def flow_map(
    panel: FlowPanel,
    year: int,
    *,
    top: int = 40,
    ax: Axes | None = None,
    net: bool = True,
    labels: bool = True,
    curvature: float = 0.18,
    zoom: bool = True,
    outlines: Boundaries | bool = True,
) -> Figure:
    """Map the largest flows of one year as arrows between admin centres, over the regions.

    Parameters
    ----------
    panel : FlowPanel
        A panel with admin-centre coordinates (``panel.coords``).
    year : int
        Year to draw.
    top : int, default 40
        Number of largest origin–destination flows drawn; arrow widths are proportional to
        the flow.
    ax : Axes, optional
        Draw into this axes instead of a new figure.
    net : bool, default True
        Colour the region markers by the year's net migration balance (blue gains, red
        losses); otherwise plain grey markers.
    labels : bool, default True
        Label the regions; labels are placed to avoid each other and the markers.
    curvature : float, default 0.18
        Bend of the arrows, so that the two directions of a pair stay apart.
    zoom : bool, default True
        Magnify, in insets in a strip below the map, groups of regions less than 250 km
        apart that exchange a thick flow (at least a quarter of the largest drawn), whose
        arrows are too short to read at country scale; inset arrows carry their counts.
    outlines : Boundaries or bool, default True
        Region outlines drawn under the arrows: ``True`` uses the shipped Kazakhstan
        boundaries when they cover the panel's regions (2022 or 2017 version) and draws none
        otherwise; pass :func:`migflows.data.boundaries.read_boundaries` for other
        countries, or ``False`` for none.

    Returns
    -------
    Figure

    Raises
    ------
    MissingRegionError
        The panel has no coordinates, or some regions lack them.
    InvalidOptionError
        ``year`` has no flows or ``top`` is not a positive integer.

    Examples
    --------
    >>> import migflows
    >>> fig = flow_map(migflows.load_kazakhstan(), 2024, top=10)
    >>> fig.axes[0].get_title()
    'Top 10 inter-regional flows, 2024'
    """
    year = check_year(panel, year)
    if int(top) < 1:
        raise InvalidOptionError(f"top={top!r} must be a positive integer.")
    coords = panel.coords
    keys = panel.region_keys
    if coords is None:
        raise MissingRegionError(
            "flow_map needs admin-centre coordinates but the panel has none; pass coords= "
            "(region, lat, lon) to FlowPanel.from_frame."
        )
    absent = [k for k in keys if k not in coords.index]
    if absent:
        raise MissingRegionError(
            f"{len(absent)} region(s) have no coordinates for the flow map: "
            f"{format_values(absent)}. Add their lat/lon to coords."
        )
    lon = coords.loc[keys, "lon"].astype(float)
    lat = coords.loc[keys, "lat"].astype(float)
    flows = panel.flows
    flows = flows[flows["year"] == year]
    chosen = flows.nlargest(int(top), "flow").sort_values("flow")
    bal = balances(flows)["net"].xs(year, level="year").reindex(keys).fillna(0.0)
    bound = max(float(bal.abs().max()), 1.0)
    # Symmetric log scale: a few large gains must not wash out every loss.
    norm = SymLogNorm(linthresh=max(bound / 50.0, 1.0), vmin=-bound, vmax=bound)
    fmax = float(chosen["flow"].max()) if len(chosen) else 1.0
    names = region_labels(panel)
    with plot_style():
        groups = _zoom_groups(chosen, lon, lat, fmax) if zoom else []
        fig, ax = new_figure((11.0, 8.6 if groups else 7.2), ax)
        ax.set_aspect(1.0 / math.cos(math.radians(float(lat.mean()))))
        shapes = _outlines(outlines, keys)
        if shapes is not None:
            draw_outlines(ax, shapes)
            x0, y0, x1, y1 = shapes.bounds()
            ax.set_xlim(x0 - 0.5, x1 + 0.5)
            bottom, upper = y0 - 0.5, y1 + 0.5
        else:
            ax.set_xlim(float(lon.min()) - 2.0, float(lon.max()) + 2.0)
            bottom, upper = float(lat.min()) - 1.2, float(lat.max()) + 1.2
        if groups:  # room below the map for the magnified insets
            bottom -= _STRIP * (upper - bottom)
        ax.set_ylim(bottom, upper)
        _draw_arrows(ax, chosen, lon, lat, fmax, curvature)
        points = _draw_markers(ax, lon, lat, bal if net else None, norm)
        if net:
            bar = fig.colorbar(points, ax=ax, shrink=0.6, pad=0.01)
            ticks = _symmetric_ticks(bound)
            bar.set_ticks(ticks, labels=[f"{t:,.0f}" for t in ticks])
            bar.set_label(f"net migration balance {year} (persons)")
        if labels:
            _place_labels(fig, ax, lon, lat, names)
        if len(chosen):
            samples = sorted({fmax, fmax / 2, fmax / 8})
            handles = [
                Line2D([], [], color=_ARROW_CMAP(0.35 + 0.6 * s / fmax), lw=0.4 + 6.0 * s / fmax)
                for s in samples
            ]
            ax.legend(handles, [f"{s:,.0f}" for s in samples], title="persons", loc="upper left")
        if groups:
            _zoom_insets(ax, groups, chosen, lon, lat, bal if net else None, norm, fmax, names)
        ax.set_xlabel("longitude (°E)")
        ax.set_ylabel("latitude (°N)")
        ax.set_title(f"Top {len(chosen)} inter-regional flows, {year}")
    return fig


_ARROW_CMAP = mpl.colormaps["Greys"]


def _outlines(outlines: Boundaries | bool, keys: list[str]) -> Boundaries | None:
    if outlines is False:
        return None
    if outlines is True:
        return boundaries_for(keys)
    require(outlines, keys)
    return outlines


def _draw_arrows(
    ax: Axes,
    chosen: pd.DataFrame,
    lon: pd.Series,
    lat: pd.Series,
    fmax: float,
    curvature: float,
) -> None:
    for origin, destination, flow in zip(
        chosen["origin"], chosen["destination"], chosen["flow"], strict=True
    ):
        share = float(flow) / fmax if fmax > 0 else 0.0
        ax.add_patch(
            FancyArrowPatch(
                (float(lon[origin]), float(lat[origin])),
                (float(lon[destination]), float(lat[destination])),
                arrowstyle="-|>",
                mutation_scale=6 + 10 * share,
                connectionstyle=f"arc3,rad={curvature}",
                linewidth=0.4 + 6.0 * share,
                color=_ARROW_CMAP(0.35 + 0.6 * share),
                alpha=0.75,
                shrinkA=4,
                shrinkB=5,
                zorder=2,
            )
        )


def _draw_markers(
    ax: Axes, lon: pd.Series, lat: pd.Series, net: pd.Series | None, norm: SymLogNorm
) -> Any:
    if net is None:
        return ax.scatter(lon, lat, s=40, color=NEUTRAL, zorder=3)
    return ax.scatter(
        lon,
        lat,
        c=net.reindex(lon.index).to_numpy(),
        cmap="RdBu",
        norm=norm,
        s=70,
        edgecolors="#333333",
        linewidths=0.6,
        zorder=3,
    )


_NEAR_KM = 250.0  # flows shorter than this ...
_THICK = 0.25  # ... and at least this share of the largest drawn flow get a magnified inset
_STRIP = 0.32  # height of the strip added below the map for insets (share of the lat range)


def _zoom_groups(
    chosen: pd.DataFrame, lon: pd.Series, lat: pd.Series, fmax: float
) -> list[list[str]]:
    """Groups of regions joined by thick flows too short to read at country scale."""
    # Union-find by hand: a handful of pairs, no need for a graph library.
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.get(k, k) != k:
            k = parent[k]
        return k

    weight: dict[tuple[str, str], float] = {}
    for o, d, f in zip(chosen["origin"], chosen["destination"], chosen["flow"], strict=True):
        dx = (lon[o] - lon[d]) * math.cos(math.radians((lat[o] + lat[d]) / 2))
        km = math.hypot(dx, lat[o] - lat[d]) * 111.2
        if km < _NEAR_KM and f >= _THICK * fmax:
            parent[find(o)] = find(d)
            weight[(o, d)] = float(f)
    groups: dict[str, list[str]] = {}
    for k in parent:
        groups.setdefault(find(k), []).append(k)
    total = {r: sum(f for (o, _d), f in weight.items() if find(o) == r) for r in groups}
    ranked = sorted(groups, key=lambda r: -total[r])
    return [sorted(groups[r]) for r in ranked[:3]]


def _zoom_insets(
    ax: Axes,
    groups: list[list[str]],
    chosen: pd.DataFrame,
    lon: pd.Series,
    lat: pd.Series,
    net: pd.Series | None,
    norm: SymLogNorm,
    fmax: float,
    names: Mapping[str, str],
) -> None:
    """Draw one inset per group in the strip below the map, under the group's position."""
    x0, x1 = ax.get_xlim()
    box = ax.get_window_extent()
    aspect = float(ax.get_aspect())
    height = _STRIP / (1 + _STRIP) * 0.9
    width = 0.22
    placed: list[float] = []
    for members in sorted(groups, key=lambda m: float(lon[m].mean())):
        centre = (float(lon[members].mean()) - x0) / (x1 - x0)
        left = min(max(centre - width / 2, 0.01), 0.99 - width)
        if placed and left < placed[-1] + 0.01:
            left = placed[-1] + 0.01
        if left + width > 0.995:
            break
        placed.append(left + width)
        inset = ax.inset_axes((left, 0.015, width, height))
        cx, cy = lon[members], lat[members]
        span = float(max(cx.max() - cx.min(), cy.max() - cy.min()))
        pad = max(0.25, 0.35 * span)
        xs = (float(cx.min()) - pad, float(cx.max()) + pad)
        ys = (float(cy.min()) - pad, float(cy.max()) + pad)
        # Widen the window along one axis so that its shape matches the inset box at the
        # map's aspect (then set_aspect keeps both limits instead of overriding one).
        ratio = (height * box.height) / (width * box.width) / aspect  # wanted dy / dx
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        if dy / dx < ratio:
            grow = (ratio * dx - dy) / 2
            ys = (ys[0] - grow, ys[1] + grow)
        else:
            grow = (dy / ratio - dx) / 2
            xs = (xs[0] - grow, xs[1] + grow)
        inset.set_xlim(*xs)
        inset.set_ylim(*ys)
        inset.set_aspect(aspect, adjustable="box")
        inside = chosen[chosen["origin"].isin(members) & chosen["destination"].isin(members)]
        _draw_arrows(inset, inside, lon, lat, fmax, 0.3)
        _draw_markers(inset, cx, cy, net, norm)
        for k in members:
            inset.annotate(
                names.get(k, k),
                (float(lon[k]), float(lat[k])),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=7.5,
                path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
            )
        for o, d, f in zip(inside["origin"], inside["destination"], inside["flow"], strict=True):
            # Label each arrow with its count, on the side the arc bulges to.
            mx, my = (lon[o] + lon[d]) / 2, (lat[o] + lat[d]) / 2
            nx, ny = lat[d] - lat[o], -(lon[d] - lon[o])
            inset.annotate(
                f"{f:,.0f}",
                (float(mx + 0.3 * nx), float(my + 0.3 * ny)),
                ha="center",
                va="center",
                fontsize=7,
                color="#333333",
                path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
            )
        inset.set_xticks([])
        inset.set_yticks([])
        for spine in inset.spines.values():
            spine.set_visible(True)
            spine.set_color("#999999")
        ax.indicate_inset_zoom(inset, edgecolor="#999999", alpha=0.6)


def _symmetric_ticks(bound: float) -> list[float]:
    """0 and ±(1, 2, 5) × 10^k up to ``bound``, at most three magnitudes per side."""
    steps = [m * 10**k for k in range(0, 9) for m in (1, 2, 5) if m * 10**k <= bound]
    upper = steps[-1:] + [t for t in steps[:-1] if str(int(t))[0] == "1"][-2:]
    upper = sorted(set(upper))
    return [-t for t in reversed(upper)] + [0.0] + upper


# Candidate label offsets in points (dx, dy, horizontal alignment), nearest first.
_OFFSETS: list[tuple[int, int, Literal["left", "center", "right"]]] = [
    (6, 3, "left"),
    (-6, 3, "right"),
    (6, -11, "left"),
    (-6, -11, "right"),
    (0, 7, "center"),
    (0, -16, "center"),
    (10, 10, "left"),
    (-10, 10, "right"),
    (10, -19, "left"),
    (-10, -19, "right"),
    (0, 16, "center"),
    (0, -25, "center"),
]


def _overlap(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _place_labels(
    fig: Figure, ax: Axes, lon: pd.Series, lat: pd.Series, names: Mapping[str, str]
) -> None:
    # Greedy placement: each label takes the candidate offset that overlaps least with the
    # labels already placed and with every marker. adjustText would do this, but it is not a
    # dependency and twenty labels need nothing more.
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # settle the layout so data-to-pixel transforms are final
    renderer = canvas.get_renderer()
    marker_px = ax.transData.transform(np.column_stack([lon.to_numpy(), lat.to_numpy()]))
    radius = 6.0 * fig.dpi / 72.0
    markers = [
        mpl.transforms.Bbox.from_extents(x - radius, y - radius, x + radius, y + radius)
        for x, y in marker_px
    ]
    frame = ax.get_window_extent(renderer)
    placed: list[Any] = []
    order = sorted(lon.index, key=lambda k: (float(lat[k]), float(lon[k])), reverse=True)
    for key in order:
        text = ax.annotate(
            names.get(key, key),
            (float(lon[key]), float(lat[key])),
            xytext=(0, 0),
            textcoords="offset points",
            fontsize=8,
            zorder=4,
            annotation_clip=False,
            path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
        )
        text.set_in_layout(False)
        best: tuple[float, int] | None = None
        for i, (dx, dy, ha) in enumerate(_OFFSETS):
            text.set_position((dx, dy))
            text.set_horizontalalignment(ha)
            box = text.get_window_extent(renderer)
            cost = sum(_overlap(box, other) for other in placed)
            cost += sum(_overlap(box, m) for m in markers)
            outside = box.width * box.height - _overlap(box, frame)
            cost += 2.0 * outside + 0.01 * i  # prefer the nearest candidate on ties
            if best is None or cost < best[0]:
                best = (cost, i)
        assert best is not None
        dx, dy, ha = _OFFSETS[best[1]]
        text.set_position((dx, dy))
        text.set_horizontalalignment(ha)
        placed.append(text.get_window_extent(renderer))
