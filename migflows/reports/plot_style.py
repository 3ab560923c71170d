"""Shared look of every migflows figure: rc style, colours, region labels, year checks.

The figure modules (:mod:`migflows.reports.plots`, :mod:`migflows.reports.flow_map_plot`,
:mod:`migflows.reports.model_plots`) draw with these so that all figures match.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from migflows.errors import InputTypeError, InvalidOptionError, format_values

if TYPE_CHECKING:
    from migflows.data.panel import FlowPanel

__all__ = [
    "FLAGGED",
    "NEGATIVE",
    "NEUTRAL",
    "POSITIVE",
    "STYLE",
    "THOUSANDS",
    "check_year",
    "check_years",
    "new_figure",
    "plot_style",
    "region_labels",
]

#: Matplotlib rc settings shared by every migflows figure.
STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
}

POSITIVE = "#2166ac"
NEGATIVE = "#b2182b"
NEUTRAL = "#4d4d4d"
FLAGGED = "#bbbbbb"

THOUSANDS = FuncFormatter(lambda x, _pos: f"{x:,.0f}")


def plot_style() -> contextlib.AbstractContextManager[None]:
    """Context manager applying :data:`STYLE` while a figure is drawn."""
    return mpl.rc_context(cast(Any, STYLE))


def region_labels(panel: FlowPanel) -> dict[str, str]:
    """Short display labels for the regions of a panel.

    English names from the coordinate table without the word "Region" ("Akmola",
    "Astana city"); a name that would be ambiguous keeps a short suffix ("Almaty reg." next
    to "Almaty city"). Regions without a name show their key with spaces.

    Examples
    --------
    >>> import migflows
    >>> labels = region_labels(migflows.load_kazakhstan())
    >>> labels["almaty_region"], labels["astana_city"]
    ('Almaty reg.', 'Astana city')
    """
    coords = panel.coords
    names: dict[str, str] = {}
    for key in panel.region_keys:
        name = None
        if coords is not None and "name_en" in coords.columns and key in coords.index:
            value = coords.loc[key, "name_en"]
            name = str(value) if isinstance(value, str) and value.strip() else None
        names[key] = name if name is not None else key.replace("_", " ")
    short = {k: v.replace(" Region", "").replace(" (city)", " city") for k, v in names.items()}
    out = {}
    for key, label in short.items():
        clash = any(o != label and o.startswith(label + " ") for o in short.values())
        out[key] = f"{label} reg." if clash and names[key].endswith(" Region") else label
    return out


def new_figure(size: tuple[float, float], ax: Axes | None) -> tuple[Figure, Axes]:
    """A new pyplot-free figure of ``size`` inches, or the figure of ``ax`` when given."""
    if ax is not None:
        fig = ax.figure
        if not isinstance(fig, Figure):  # a SubFigure: draw into its parent figure
            fig = fig.figure
        return cast(Figure, fig), ax
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)  # a renderer for text extents (label placement), no pyplot state
    return fig, fig.add_subplot()


def check_panel(panel: object) -> None:
    """Refuse anything but a :class:`~migflows.FlowPanel` with a named error."""
    from migflows.data.panel import FlowPanel

    if not isinstance(panel, FlowPanel):
        raise InputTypeError(
            f"panel must be a migflows.FlowPanel (e.g. migflows.FlowPanel.from_frame(df)), got "
            f"{type(panel).__name__}."
        )


def check_year(panel: FlowPanel, year: int) -> int:
    """``year`` as int if the panel has flows in it; a named error listing the years if not."""
    check_panel(panel)
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise InvalidOptionError(f"year={year!r} must be a whole year; available: {panel.years}.")
    if int(year) not in panel.years:
        raise InvalidOptionError(f"year={year!r} has no flows; available: {panel.years}.")
    return int(year)


def check_years(panel: FlowPanel, years: Iterable[int] | None) -> list[int]:
    """Validated years (all of the panel's when None), each with flows."""
    check_panel(panel)
    if years is None:
        return panel.years
    chosen = sorted({int(y) for y in years})
    absent = [y for y in chosen if y not in panel.years]
    if absent or not chosen:
        raise InvalidOptionError(
            f"years {format_values(absent) or '(none)'} have no flows; available: {panel.years}."
        )
    return chosen
