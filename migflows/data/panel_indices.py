"""System-level indices of a FlowPanel by year (the body of :meth:`FlowPanel.indices`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from migflows.data import indices as ix
from migflows.data import validation as v
from migflows.errors import MissingValueError

if TYPE_CHECKING:
    from migflows.data.panel import FlowPanel

__all__ = ["system_indices"]

INDEX_FAMILIES = ("intensity", "impact", "connectivity", "distance")


def system_indices(panel: FlowPanel, which: Iterable[str] = INDEX_FAMILIES) -> pd.DataFrame:
    """Migration indices per year for the families in ``which`` (see FlowPanel.indices).

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2023])
    >>> list(system_indices(kz, ["connectivity"]).index)
    [2023]
    """
    flows = panel.flows
    wanted = list(which)
    default = wanted == ["intensity", "impact", "connectivity", "distance"]
    allowed = ("intensity", "impact", "connectivity", "distance")
    for name in wanted:
        v.check_option("which", name, allowed)
    pop = panel.population()
    parts = []
    for name in wanted:
        if name in ("intensity", "impact") and pop is None:
            if default:
                continue
            raise MissingValueError(
                f"The {name} indices need population; build the panel with a regions table "
                f"that has a 'population' column."
            )
        if name == "distance" and panel.distances is None:
            if default:
                continue
            raise MissingValueError(
                "The distance indices need distances; pass distances= or coords=."
            )
        if name in ("intensity", "impact") and pop is not None:
            # Only years where every region has a population; the others stay NaN.
            covered = panel.complete_years("population")
            sub = flows[flows["year"].isin(covered)]
            func = ix.index_intensity if name == "intensity" else ix.index_impact
            table = func(sub, pop) if len(sub) else pd.DataFrame(index=pd.Index([], name="year"))
            if isinstance(table, pd.DataFrame):
                table = table.reindex(panel.years)
        elif name == "connectivity":
            table = ix.index_connectivity(flows)
        elif panel.distances is not None:
            table = ix.index_distance(flows, panel.distances)
        frame = table.to_frame().T if isinstance(table, pd.Series) else table
        parts.append(frame.add_prefix(f"{name}_"))
    return pd.concat(parts, axis=1)
