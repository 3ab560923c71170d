"""Choropleth maps of a region-level value on the region boundaries.

Polygons are drawn as matplotlib patches from GeoJSON rings (:mod:`migflows.data.boundaries`)
so that no GIS library is needed at run time: a page-wide map of 20 simplified regions is a
few thousand points, which matplotlib draws directly.

Examples
--------
>>> import migflows
>>> from migflows.reports.maps import choropleth
>>> kz = migflows.load_kazakhstan()
>>> net = kz.balances()["net_rate"].xs(2023, level="year")
>>> fig = choropleth(net, title="Net migration rate, 2023", label="per 1,000 inhabitants")
>>> fig.axes[0].get_title()
'Net migration rate, 2023'
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from migflows.data.boundaries import Boundaries, boundaries_for, require
from migflows.errors import InvalidOptionError, MissingRegionError
from migflows.reports.plot_style import NEUTRAL, new_figure, plot_style

__all__ = ["choropleth", "draw_outlines", "label_positions", "outline_patches"]


def outline_patches(boundaries: Boundaries, keys: list[str]) -> list[PathPatch]:
    """One patch per region (all its polygons and holes in one path), in the order of keys."""
    patches = []
    for key in keys:
        verts: list[tuple[float, float]] = []
        codes: list[np.uint8] = []
        for poly in boundaries.polygons[key]:
            for ring in poly:
                verts.extend(ring)
                codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 2))
                codes.append(MplPath.CLOSEPOLY)
        patches.append(PathPatch(MplPath(verts, codes)))
    return patches


def draw_outlines(
    ax: Axes, boundaries: Boundaries, *, facecolor: str = "#f4f4f0", edgecolor: str = "#9a9a9a"
) -> None:
    """Draw every region outline of ``boundaries`` as a light background map."""
    keys = boundaries.regions
    coll = PatchCollection(
        outline_patches(boundaries, keys), facecolor=facecolor, edgecolor=edgecolor,
        linewidth=0.6, zorder=0,
    )  # fmt: skip
    ax.add_collection(coll)


def _ring_centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Area-weighted centroid and (absolute) area of a ring, by the shoelace formula."""
    xy = np.asarray(ring, dtype=float)
    x, y = xy[:, 0], xy[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = cross.sum() / 2.0
    if abs(area) < 1e-12:
        return float(x.mean()), float(y.mean()), 0.0
    cx = float(((x + np.roll(x, -1)) * cross).sum() / (6.0 * area))
    cy = float(((y + np.roll(y, -1)) * cross).sum() / (6.0 * area))
    return cx, cy, abs(float(area))


def label_positions(
    boundaries: Boundaries, keys: list[str]
) -> dict[str, tuple[tuple[float, float], tuple[float, float] | None]]:
    """Where to write each region's label: ``key -> (point, offset text position or None)``.

    Large regions are labelled at the centroid of their largest polygon (or at a point
    inside it when the centroid falls outside); regions too small to hold a label (cities)
    get their label pushed outwards from the map centre, with a leader line.
    """
    x0, y0, x1, y1 = boundaries.bounds()
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    out: dict[str, tuple[tuple[float, float], tuple[float, float] | None]] = {}
    for key in keys:
        ring = max((p[0] for p in boundaries.polygons[key]), key=lambda r: _ring_centroid(r)[2])
        cx, cy, area = _ring_centroid(ring)
        if not MplPath(ring).contains_point((cx, cy)):
            cx, cy = ring[len(ring) // 2]
        if area < 1.0:  # square degrees: a city
            dx, dy = cx - mx, cy - my
            norm = math.hypot(dx, dy) or 1.0
            out[key] = ((cx, cy), (cx + 2.6 * dx / norm, cy + 1.6 * dy / norm))
        else:
            out[key] = ((cx, cy), None)
    return out


def choropleth(
    values: pd.Series,
    *,
    boundaries: Boundaries | None = None,
    title: str | None = None,
    label: str = "",
    cmap: str | None = None,
    center: float | None = None,
    labels: Mapping[str, str] | None = None,
    annotate: bool = True,
    fmt: str = "{:,.1f}",
    ax: Axes | None = None,
) -> Figure:
    """Colour each region's polygon by a value (a net migration rate, an index).

    Parameters
    ----------
    values : Series
        Indexed by region key.
    boundaries : Boundaries, optional
        Outlines; by default the shipped Kazakhstan version that covers every key (2022 or
        2017). Other panels pass :func:`migflows.data.boundaries.read_boundaries`.
    title, label : str
        Map title and colour-bar label (say the unit).
    cmap : str, optional
        Colormap; a diverging one (``"RdBu"``) by default when ``center`` is given.
    center : float, optional
        The neutral value of a diverging scale (0 for a net rate, 1 for the attractiveness
        coefficient): colours then run symmetrically away from it.
    labels : mapping, optional
        Region key -> display name written on the map with the value.
    annotate : bool, default True
        Write each region's value on it.
    fmt : str, default ``"{:,.1f}"``
        Format of the written values.
    ax : Axes, optional
        Draw into this axes.

    Returns
    -------
    Figure

    Raises
    ------
    MissingRegionError
        Some regions of ``values`` have no polygon (or no shipped version covers them).
    InvalidOptionError
        ``values`` has no finite value.
    """
    vals = pd.Series(values, dtype=float)
    keys = [str(k) for k in vals.index]
    if boundaries is None:
        boundaries = boundaries_for(keys)
        if boundaries is None:
            raise MissingRegionError(
                "no shipped boundaries cover these regions (they are not Kazakhstan region "
                "keys); pass boundaries=read_boundaries(path, key=...) with your GeoJSON."
            )
    require(boundaries, keys)
    finite = vals[np.isfinite(vals)]
    if finite.empty:
        raise InvalidOptionError("values has no finite value to map.")
    lo, hi = float(finite.min()), float(finite.max())
    if center is not None:
        span = max(abs(hi - center), abs(center - lo), 1e-12)
        norm: Normalize = TwoSlopeNorm(center, center - span, center + span)
        cmap = cmap or "RdBu"
    else:
        norm = Normalize(lo, hi if hi > lo else lo + 1.0)
        cmap = cmap or "viridis"
    x0, y0, x1, y1 = boundaries.bounds()
    with plot_style():
        fig, ax = new_figure((10.0, 6.0), ax)
        present = [k for k in keys if np.isfinite(vals[k])]
        absent = [k for k in keys if k not in present]
        coll = PatchCollection(
            outline_patches(boundaries, present), cmap=cmap, norm=norm,
            edgecolor="white", linewidth=0.8,
        )  # fmt: skip
        coll.set_array(vals[present].to_numpy())
        ax.add_collection(coll)
        if absent:
            ax.add_collection(
                PatchCollection(
                    outline_patches(boundaries, absent),
                    facecolor="#dddddd",
                    hatch="//",
                    edgecolor="white",
                    linewidth=0.8,
                )
            )
        others = [k for k in boundaries.regions if k not in keys]
        if others:
            draw_outlines(ax, Boundaries({k: boundaries.polygons[k] for k in others}, ""))
        ax.set_xlim(x0 - 0.5, x1 + 0.5)
        ax.set_ylim(y0 - 0.5, y1 + 0.5)
        ax.set_aspect(1.0 / math.cos(math.radians((y0 + y1) / 2)))
        ax.set_axis_off()
        bar = fig.colorbar(coll, ax=ax, shrink=0.7, pad=0.01)
        bar.set_label(label)
        if annotate:
            for key, (point, offset) in label_positions(boundaries, keys).items():
                text = "n/a" if key in absent else fmt.format(vals[key])
                name = labels.get(key) if labels else None
                ax.annotate(
                    f"{name}\n{text}" if name else text, point, xytext=offset,
                    ha="center", va="center", fontsize=7, color="black",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.75},
                    arrowprops=None if offset is None else {"arrowstyle": "-", "lw": 0.6,
                                                            "color": NEUTRAL},
                )  # fmt: skip
        if title:
            ax.set_title(title)
        ax.text(
            0.0, -0.02, boundaries.source, transform=ax.transAxes, fontsize=7,
            color=NEUTRAL, va="top",
        )  # fmt: skip
    return fig
