"""Descriptive report sections: flows, regional balances, migration indices."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from migflows.data.anomalies import lone_sign_flips, national_jumps
from migflows.data.indices import (
    index_connectivity,
    index_distance,
    index_impact,
    index_intensity,
    score_regions,
)
from migflows.data.indices_region import Direction
from migflows.data.panel import FlowPanel
from migflows.reports.formatting import (
    esc,
    figure_html,
    fmt_number,
    frame_html,
    items_html,
    note_html,
    para,
)
from migflows.reports.interpret import describe_flips, describe_jumps
from migflows.reports.maps import choropleth
from migflows.reports.plots import (
    attractiveness_plot,
    flow_map,
    national_totals_plot,
    net_balance_plot,
    od_heatmap,
    region_labels,
)
from migflows.reports.sections import ReportContext, register_section
from migflows.reports.sections.overview import kazakhstan_all_years, kazakhstan_quality_labels

TOP_CORRIDORS = 15
MAP_ARROWS = 40


def _shared_balances(ctx: ReportContext) -> pd.DataFrame:
    return ctx.cached("balances", lambda: ctx.panel.balances())


def _by_label(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    out = frame.rename(index=labels)
    out.index.name = "region"
    return out


@register_section
class FlowsSection:
    """National totals, top corridors, OD heatmap and flow map."""

    name = "flows"
    title = "Flows"
    order = 30

    def render(self, ctx: ReportContext) -> str:
        """Totals by year, the largest corridors, heatmap and map of the latest year."""
        panel = ctx.panel
        flows = panel.flows
        labels = region_labels(panel)
        latest = panel.years[-1]
        grouped = flows.groupby("year")["flow"]
        totals = pd.DataFrame(
            {"total": grouped.sum(), "positive": grouped.apply(lambda f: int((f > 0).sum()))}
        )
        totals["change"] = totals["total"].pct_change()
        biggest = flows.loc[flows.groupby("year")["flow"].idxmax()].set_index("year")
        totals["largest corridor"] = [
            f"{labels[o]} → {labels[d]} ({fmt_number(f)})"
            for o, d, f in biggest[["origin", "destination", "flow"]].itertuples(index=False)
        ]
        parts = [
            frame_html(
                totals,
                decimals={"change": 1},
                percent=["change"],
                labels={
                    "total": "national total (persons)",
                    "positive": "pairs with a flow",
                    "change": "change since previous year shown",
                },
                caption="Inter-regional migration by year",
            )
        ]
        plot_panel, flagged = panel, None
        if ctx.dataset == "kazakhstan":
            everything = kazakhstan_all_years(ctx)
            quality = kazakhstan_quality_labels()
            flagged = {int(str(y)): str(q) for y, q in quality.items() if q != "ok"}
            shown = (set(panel.years) | set(flagged)) & set(everything.years)
            plot_panel = everything.select(years=sorted(shown))
        parts.append(
            figure_html(
                national_totals_plot(plot_panel, flagged=flagged),
                alt="National total of inter-regional migration by year",
            )
        )
        parts.append(items_html(describe_jumps(national_jumps(panel))))
        parts.append(self._corridors(panel, latest, labels))
        parts.append(
            figure_html(
                od_heatmap(panel, latest),
                alt=f"Origin-destination heatmap {latest}",
                caption="Rows are origins, columns destinations; colour on a log scale.",
            )
        )
        if panel.coords is None:
            parts.append(note_html("No coordinates in the panel: the flow map is left out."))
        else:
            shapes = ctx.map_boundaries()
            base = (
                f"over the region outlines ({shapes.source})"
                if shapes is not None
                else "on longitude/latitude (no region outlines for this panel)"
            )
            parts.append(
                figure_html(
                    flow_map(panel, latest, top=MAP_ARROWS, outlines=shapes or False),
                    alt=f"Flow map {latest}",
                    caption=f"The {MAP_ARROWS} largest flows of {latest} between admin centres "
                    f"(arrow width proportional to the flow); markers coloured by the net "
                    f"balance; drawn {base}.",
                )
            )
        return "".join(parts)

    @staticmethod
    def _corridors(panel: FlowPanel, year: int, labels: dict[str, str]) -> str:
        flows = panel.flows
        now = flows[flows["year"] == year]
        top = now.nlargest(TOP_CORRIDORS, "flow").copy()
        top["share"] = top["flow"] / now["flow"].sum()
        columns: dict[str, Any] = {
            "origin": top["origin"].map(labels),
            "destination": top["destination"].map(labels),
            f"flow {year}": top["flow"],
            "share of total": top["share"],
        }
        earlier = [y for y in panel.years if y < year]
        if earlier:
            prev = flows[flows["year"] == earlier[-1]].set_index(["origin", "destination"])["flow"]
            columns[f"flow {earlier[-1]}"] = [
                prev.get((o, d), np.nan)
                for o, d in zip(top["origin"], top["destination"], strict=True)
            ]
        distances = panel.distances
        if distances is not None:
            dist = distances.set_index(["origin", "destination"])["distance"]
            columns["distance (km)"] = [
                dist.get((o, d), np.nan)
                for o, d in zip(top["origin"], top["destination"], strict=True)
            ]
        table = pd.DataFrame(columns).reset_index(drop=True)
        table.index = table.index + 1
        return frame_html(
            table,
            decimals={"share of total": 1, "distance (km)": 0},
            percent=["share of total"],
            caption=f"The {TOP_CORRIDORS} largest corridors in {year}",
        )

    def methods(self, ctx: ReportContext) -> str:
        """Map caveat."""
        text = (
            "The flow map draws slightly curved arrows between admin centres; it shows who "
            "moves where, not the route taken."
        )
        shapes = ctx.map_boundaries()
        if shapes is not None and shapes.source.startswith("Boundaries: Natural Earth"):
            text += (
                " The region outlines of the maps are Natural Earth's admin-1 polygons (public "
                "domain), simplified; the four regions created in 2018 and 2022 (Shymkent, "
                "Abai, Zhetisu, Ulytau) are cut out of their parents schematically, to their "
                "official areas."
            )
        return para(text)


def _region_map(
    ctx: ReportContext,
    values: pd.Series,
    labels: dict[str, str],
    *,
    title: str,
    label: str,
    caption: str,
    center: float | None = None,
    fmt: str = "{:,.1f}",
) -> str:
    """A choropleth of one value per region, or a note when the panel has no outlines."""
    shapes = ctx.map_boundaries()
    if shapes is None:
        return note_html(
            f"No region boundaries for this panel: the map '{title}' is left out (pass "
            "boundaries= to build_report, or --boundaries to migflows report)."
        )
    fig = choropleth(
        values, boundaries=shapes, title=title, label=label, center=center, labels=labels,
        fmt=fmt,
    )  # fmt: skip
    return figure_html(fig, alt=title, caption=caption)


def _rate_map(ctx: ReportContext, rate: pd.DataFrame, labels: dict[str, str]) -> str:
    year = int(rate.columns[-1])
    values = rate[year]
    gaining = [labels[k] for k in values.index if values[k] > 0]
    return _region_map(
        ctx, values, labels, center=0.0,
        title=f"Net migration rate, {year}", label="net migrants per 1,000 inhabitants",
        caption=f"Net internal migration per 1,000 inhabitants in {year} (the last year with "
        f"population). Gaining: {', '.join(gaining) or 'none'}; every other region lost "
        "population to internal migration.",
    )  # fmt: skip


@register_section
class BalancesSection:
    """Arrivals, departures and net balances by region and year."""

    name = "balances"
    title = "Balances by region and year"
    order = 40

    def render(self, ctx: ReportContext) -> str:
        """Net balance and net rate tables, the latest year in detail, and the plot."""
        panel = ctx.panel
        table = _shared_balances(ctx)
        labels = region_labels(panel)
        latest = panel.years[-1]
        net = _descending(table["net"].unstack("year"), latest)
        parts = [
            para(
                "Net balance = arrivals from other regions minus departures to other regions "
                "(persons); it sums to zero over the regions in every year."
            ),
            frame_html(_by_label(net, labels), caption="Net migration balance (persons)"),
            items_html(describe_flips(lone_sign_flips(panel), labels)),
        ]
        if "net_rate" in table.columns and table["net_rate"].notna().any():
            rate = table["net_rate"].unstack("year").reindex(net.index)
            rate = rate.dropna(axis=1, how="all")
            missing = [y for y in panel.years if y not in rate.columns]
            caption = "Net migration per 1,000 inhabitants (population on 1 January)"
            if missing:
                caption += f"; no population for {', '.join(map(str, missing))}"
            parts.append(frame_html(_by_label(rate, labels), decimals=1, caption=caption))
            parts.append(_rate_map(ctx, rate, labels))
        columns = ["arrivals", "departures", "net", "gross", "effectiveness", "attractiveness"]
        detail = pd.DataFrame(table.xs(latest, level="year")[columns]).reindex(net.index)
        parts.append(
            frame_html(
                _by_label(detail, labels),
                decimals={"effectiveness": 1, "attractiveness": 2},
                labels={"effectiveness": "effectiveness (%)"},
                caption=f"Arrivals, departures and turnover in {latest}",
            )
        )
        parts.append(figure_html(net_balance_plot(panel), alt="Net balance by region and year"))
        return "".join(parts)


# Socio-economic indicators scored on the Bokayev-Akhmetova scale and their direction.
SCORED: dict[str, Direction] = {
    "grp_pc": "higher",
    "wage": "higher",
    "income_pc": "higher",
    "unemployment": "lower",
}
SCORED_LABELS = {
    "grp_pc": "GRP per capita",
    "wage": "average wage",
    "income_pc": "income per capita",
    "unemployment": "unemployment (lower is better)",
}


def scoring_year(panel: FlowPanel) -> tuple[int, list[str]] | None:
    """The year (up to the last flow year) with the most complete scored indicators.

    Ties go to the latest year; at least two indicators are needed (None otherwise).
    """
    regions = panel.regions
    if regions is None:
        return None
    present = [c for c in SCORED if c in regions.columns]
    keys = panel.region_keys
    best: tuple[int, int, list[str]] | None = None
    for year in sorted(set(regions.index.get_level_values("year"))):
        if year > panel.years[-1]:
            continue
        sub = regions.xs(year, level="year").reindex(keys)
        complete = [c for c in present if sub[c].notna().all()]
        if len(complete) >= 2 and (best is None or len(complete) >= best[0]):
            best = (len(complete), int(year), complete)
    return None if best is None else (best[1], best[2])


@register_section
class IndicesSection:
    """Attractiveness coefficient, the Bokayev-Akhmetova scale, migest summary indices."""

    name = "indices"
    title = "Descriptive indices"
    order = 50

    def render(self, ctx: ReportContext) -> str:
        """Three sub-sections; each one that lacks data says so."""
        return self._attractiveness(ctx) + self._scale(ctx) + self._system(ctx)

    def _attractiveness(self, ctx: ReportContext) -> str:
        panel = ctx.panel
        labels = region_labels(panel)
        latest = panel.years[-1]
        coef = _shared_balances(ctx)["attractiveness"].unstack("year")
        coef = _descending(coef, latest)
        gaining = int((coef[latest] > 1).sum())
        return (
            f"<h3>{esc('Migration-attractiveness coefficient')}</h3>"
            + para(
                f"Arrivals divided by departures (Bokayev & Akhmetova 2024): above 1 the region "
                f"gains migrants from the rest of the country. In {latest}, {gaining} of "
                f"{len(coef)} regions are above 1."
            )
            + frame_html(_by_label(coef, labels), decimals=2, caption="Arrivals / departures")
            + figure_html(attractiveness_plot(panel), alt="Attractiveness coefficient")
            + _region_map(
                ctx,
                coef[latest],
                labels,
                center=1.0,
                fmt="{:.2f}",
                title=f"Migration-attractiveness coefficient, {latest}",
                label="arrivals / departures (1 = balanced)",
                caption="Blue regions receive more migrants from the rest of the country than "
                "they send (coefficient above 1), red ones send more.",
            )
        )

    def _scale(self, ctx: ReportContext) -> str:
        panel = ctx.panel
        head = f"<h3>{esc('Socio-economic scale (Bokayev & Akhmetova)')}</h3>"
        found = scoring_year(panel)
        if found is None:
            return head + note_html(
                "The panel lacks two complete socio-economic indicators (GRP per capita, "
                "wage, income per capita, unemployment) in any year: the scale is left out."
            )
        year, indicators = found
        regions = panel.regions
        assert regions is not None
        labels = region_labels(panel)
        values = pd.DataFrame(regions.xs(year, level="year").reindex(panel.region_keys)[indicators])
        directions: dict[Hashable, Direction] = {c: SCORED[c] for c in indicators}
        detail = score_regions(values, indicators, direction=directions, detail=True)
        total = score_regions(values, indicators, direction=directions)
        table = pd.DataFrame(index=values.index)
        for column in indicators:
            one = detail.xs(column, level=1)
            table[f"{SCORED_LABELS[column]}: % of mean"] = one["percent_of_reference"]
            table[f"{SCORED_LABELS[column]}: level"] = one["level"].astype(str)
            table[f"{SCORED_LABELS[column]}: points"] = one["points"]
        table["total points"] = total["total"]
        coef = _shared_balances(ctx)["attractiveness"].unstack("year")
        latest = panel.years[-1]
        table[f"attractiveness {latest}"] = coef[latest]
        if year in coef.columns and year != latest:
            table[f"attractiveness {year}"] = coef[year]
        table = table.sort_values("total points", ascending=False)
        decimals = {c: 0 for c in table.columns if c.endswith("% of mean")}
        decimals.update({c: 1 for c in table.columns if c.endswith("points")})
        decimals.update({c: 2 for c in table.columns if c.startswith("attractiveness")})
        return (
            head
            + para(
                f"Each indicator of {year} (the latest year, up to {latest}, with the most "
                f"indicators complete for every region) is expressed as a percent of the "
                f"unweighted mean over regions and classed as very low (below 70%), low "
                f"(70-95%), medium (95-105%), high (105-150%) or very high (150% and above), "
                f"worth -2, -1, 0.5, 1 and 2 points; for unemployment the points are "
                f"mirrored. The last columns show the attractiveness coefficient for comparison."
            )
            + frame_html(
                _by_label(table, labels),
                decimals=decimals,
                caption=f"Bokayev–Akhmetova scale, {year}",
            )
        )

    def _system(self, ctx: ReportContext) -> str:
        panel = ctx.panel
        flows = panel.flows
        head = f"<h3>{esc('Summary indices of the migration system (migest)')}</h3>"
        blocks: list[tuple[str, pd.DataFrame, dict[str, tuple[str, int]]]] = []
        pop_years = panel.complete_years("population") if panel.population() is not None else []
        population = panel.population()
        if pop_years and population is not None:
            sub = flows[flows["year"].isin(pop_years)]
            blocks.append(
                (
                    "intensity",
                    _frame(index_intensity(sub, population)),
                    {
                        "cmp": ("crude migration probability (%)", 3),
                        "courgeau_k": ("Courgeau's k", 3),
                    },
                )
            )
            blocks.append(
                (
                    "impact",
                    _frame(index_impact(sub, population)),
                    {
                        "effectiveness": ("migration effectiveness index (%)", 2),
                        "anmr": ("aggregate net migration rate (%)", 3),
                    },
                )
            )
        blocks.append(
            (
                "connectivity",
                _frame(index_connectivity(flows)),
                {
                    "connectivity": ("connectivity (share of pairs with a flow)", 3),
                    "inequality_equal": ("inequality vs equal flows", 3),
                    "inequality_sim": ("inequality vs independence model", 3),
                    "gini_total": ("Gini of all flows", 3),
                    "mwg_mean": ("migration-weighted Gini (mean)", 4),
                    "acv": ("aggregated coefficient of variation", 3),
                },
            )
        )
        distances = panel.distances
        if distances is not None:
            blocks.append(
                (
                    "distance",
                    _frame(index_distance(flows, distances)),
                    {
                        "mean": ("mean migration distance (km)", 0),
                        "median": ("median migration distance (km)", 0),
                        "decay": ("distance decay (Poisson coefficient)", 3),
                    },
                )
            )
        rows = []
        for group, frame, measures in blocks:
            for column, (label, decimals) in measures.items():
                if column not in frame.columns:
                    continue
                values = frame[column].reindex(panel.years)
                rows.append(
                    pd.Series(
                        [fmt_number(v, decimals) for v in values],
                        index=[str(y) for y in panel.years],
                        name=(group, label),
                    )
                )
        table = pd.DataFrame(rows)
        table.index = pd.MultiIndex.from_tuples(table.index, names=["group", "measure"])
        note = ""
        missing = [y for y in panel.years if y not in pop_years]
        if missing:
            note = para(
                f"Intensity and impact need the population of every region; it is missing for "
                f"{', '.join(map(str, missing))}."
            )
        return (
            head
            + para(
                "System-wide indices of Bell et al. (2002) as computed by the R package migest "
                "(flows between different regions only)."
            )
            + note
            + frame_html(table, caption="Summary indices by year")
        )

    def methods(self, ctx: ReportContext) -> str:
        """Definitions of the indices."""
        return para(
            "Attractiveness coefficient: arrivals / departures of a region. Crude migration "
            "probability: inter-regional moves per 100 inhabitants; Courgeau's k divides it by "
            "ln(n²) to compare zonings with n regions. Migration effectiveness: 100 × the sum "
            "of absolute net balances over the sum of gross migration. Aggregate net migration "
            "rate: half the sum of absolute net balances per 100 inhabitants. Gini and "
            "coefficient-of-variation measures describe how unevenly flows spread over pairs; "
            "distance decay is the log-distance coefficient of a Poisson model with origin and "
            "destination effects. The Bokayev–Akhmetova bands are closed below and open above "
            "(the paper prints 70-94%, 95-104%, 105-149%).",
        )


def _descending(frame: pd.DataFrame, column: Any) -> pd.DataFrame:
    return frame.loc[frame[column].sort_values(ascending=False).index]


def _frame(result: pd.DataFrame | pd.Series) -> pd.DataFrame:
    return result if isinstance(result, pd.DataFrame) else result.to_frame().T
