"""What a FlowPanel computes from its own views: indices, balances, coverage, summary.

The bodies of :meth:`FlowPanel.indices`, :meth:`~FlowPanel.balances`,
:meth:`~FlowPanel.coverage` and its repr, kept here so that the class stays a short facade.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from migflows.data import indices as ix
from migflows.data import validation as v
from migflows.errors import MissingValueError

if TYPE_CHECKING:
    from migflows.data.panel import FlowPanel

__all__ = ["attribute_coverage", "panel_balances", "summary_rows", "system_indices"]

INDEX_FAMILIES = ("intensity", "impact", "connectivity", "distance")
#: Columns of the balances that count persons (shown as integers when whole).
BALANCE_COUNTS = ("arrivals", "departures", "net", "gross", "intra", "population")


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
    counts = ["intensity_flow_total", "intensity_population_total", "intensity_n_regions"]
    return v.integer_counts(pd.concat(parts, axis=1), counts)


def summary_rows(panel: FlowPanel) -> list[tuple[str, str]]:
    """The facts a FlowPanel's repr shows: regions, years, observations, totals, gaps."""
    flows = panel.flows
    zeros = float((flows["flow"] == 0).mean()) if panel.nobs else 0.0
    rows = [
        ("regions", str(len(panel.region_keys))),
        ("years", ", ".join(map(str, panel.years))),
        (
            "observations",
            f"{panel.nobs:,}" + (" (balanced)" if panel.is_balanced else " (unbalanced)"),
        ),
        ("total flow", f"{flows['flow'].sum():,.0f}"),
        ("zero flows", f"{zeros:.1%}"),
        ("attributes", ", ".join(panel.attributes) or "none"),
        ("distances", "yes" if panel.distances is not None else "no"),
    ]
    if len(panel.intra):
        rows.append(("intra-regional rows", f"{len(panel.intra):,}"))
    if len(panel.dropped):
        rows.append(("dropped rows", f"{len(panel.dropped):,} (see .dropped)"))
    if "boundaries" in panel.meta:
        rows.append(("boundaries", str(panel.meta["boundaries"])))
    return rows


def panel_balances(panel: FlowPanel) -> pd.DataFrame:
    """Balances by region and year, intra-regional moves included (see FlowPanel.balances).

    Rates need population; years without it for every region get NaN rates.
    """
    flows = pd.concat([panel.flows, panel.intra], ignore_index=True)
    pop = panel.population()
    if pop is None:
        return v.integer_counts(ix.balances(flows), BALANCE_COUNTS)
    covered = set(panel.complete_years("population"))
    parts = [
        ix.balances(sub, pop) if year in covered else ix.balances(sub)
        for year, sub in flows.groupby("year")
    ]
    return v.integer_counts(pd.concat(parts).sort_index(), BALANCE_COUNTS)


def attribute_coverage(panel: FlowPanel) -> pd.DataFrame:
    """Share of regions with a value, by attribute (rows) and flow year (columns)."""
    regions = panel.regions
    if regions is None:
        return pd.DataFrame(index=pd.Index([], name="attribute"))
    idx = pd.MultiIndex.from_product([panel.region_keys, panel.years], names=["region", "year"])
    share = regions.reindex(idx).notna().groupby(level="year").mean().T
    share.index.name = "attribute"
    share.columns.name = "year"
    return share
