"""Report sections about the data: overview (sources, coverage) and quality checks."""

from __future__ import annotations

import warnings

import pandas as pd

from migflows.data.kazakhstan import kazakhstan_tables, load_kazakhstan
from migflows.data.panel import FlowPanel
from migflows.data.quality import QualityReport
from migflows.reports.formatting import (
    esc,
    fmt_number,
    frame_html,
    items_html,
    kv_html,
    note_html,
    para,
)
from migflows.reports.labels import label
from migflows.reports.plots import region_labels
from migflows.reports.sections import ReportContext, register_section

DATASHEET = "migflows/data/datasets/kazakhstan/DATASHEET.md"


def kazakhstan_all_years(ctx: ReportContext) -> FlowPanel:
    """The embedded panel with every year, flagged ones included (shared, warnings silenced)."""

    def load() -> FlowPanel:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_kazakhstan(include_flagged=True)

    return ctx.cached("kazakhstan_all_years", load)


def kazakhstan_quality_labels() -> pd.Series:
    """The source quality label of each year of the embedded flows (``ok``/``corrupt``/...)."""
    flows = kazakhstan_tables()["flows"]
    labels = flows.groupby("year")["quality"].agg(lambda q: "/".join(sorted(set(map(str, q)))))
    labels.index = labels.index.astype(int)
    return labels


@register_section
class OverviewSection:
    """Where the data come from, what they cover, and the regions."""

    name = "overview"
    title = "Data overview"
    order = 10

    def render(self, ctx: ReportContext) -> str:
        """Summary table, coverage of region attributes, regions and sources."""
        panel = ctx.panel
        meta = panel.meta
        flows = panel.flows
        zeros = float((flows["flow"] == 0).mean()) if len(flows) else 0.0
        rows = [
            ("source", str(meta.get("source", "user data"))),
            ("boundaries", str(meta.get("boundaries", "as given"))),
            ("years", ", ".join(map(str, panel.years))),
            ("regions", str(len(panel.region_keys))),
            (
                "observations (origin, destination, year)",
                f"{panel.nobs:,} ({'balanced' if panel.is_balanced else 'unbalanced'})",
            ),
            ("total inter-regional flow", f"{flows['flow'].sum():,.0f} persons"),
            ("zero flows", f"{zeros:.1%}"),
            ("region attributes", ", ".join(str(label(a)) for a in panel.attributes) or "none"),
            ("distances", "great-circle km" if panel.distances is not None else "none"),
        ]
        if len(panel.dropped):
            rows.append(("rows dropped on reading", f"{len(panel.dropped):,} (see panel.dropped)"))
        if len(panel.intra):
            rows.append(("intra-regional rows (kept apart)", f"{len(panel.intra):,}"))
        parts = [kv_html(rows)]
        if ctx.dataset == "kazakhstan":
            parts.append(
                para(
                    "The embedded dataset holds the registered inter-regional moves between "
                    "Kazakhstan's 20 current regions (17 oblasts and the cities of Astana, "
                    "Almaty and Shymkent), published by the Bureau of National Statistics "
                    "(BNS). Years whose origin–destination table is corrupt or partial are "
                    "left out of the default panel (see the quality checks below).",
                    f"Every source, transformation and caveat is documented in the datasheet "
                    f"({DATASHEET}); the curated tables are built by "
                    f"scripts/build_kazakhstan_data.py.",
                )
            )
            sources = kazakhstan_tables()["sources"]
            keep = [c for c in ("source", "title", "publisher", "licence") if c in sources]
            parts.append(
                frame_html(sources[keep], index=False, caption="Sources of the embedded data")
            )
        coverage = panel.coverage()
        if len(coverage):
            parts.append(
                frame_html(
                    coverage,
                    decimals=0,
                    percent=list(coverage.columns),
                    caption="Coverage of region attributes: share of regions with a value, "
                    "by flow year",
                )
            )
        coords = panel.coords
        if coords is not None:
            labels = region_labels(panel)
            table = coords.loc[[k for k in panel.region_keys if k in coords.index]].copy()
            table.insert(0, "label", [labels[k] for k in table.index])
            parts.append(
                frame_html(
                    table,
                    decimals={"lat": 3, "lon": 3},
                    caption="Regions and the admin centres used for distances and maps",
                )
            )
        return "".join(parts)

    def methods(self, ctx: ReportContext) -> str:
        """What a flow is in this report."""
        return para(
            "A flow is the number of persons registered as moving from one region to another "
            "during a calendar year. Moves within a region are not flows; they are kept apart. "
            "Distances are great-circle distances between admin centres."
        )


def quality_table(report: QualityReport) -> pd.DataFrame:
    """The displayed columns of a quality report."""
    table = report.to_frame()
    keep = [
        "total",
        "symmetric_pairs",
        "pairs",
        "symmetric_share",
        "net_mismatch",
        "sign_contradictions",
        "total_change",
        "flagged",
        "reasons",
    ]
    return table[[c for c in keep if c in table.columns]]


_QUALITY_LABELS = {
    "total": "national total",
    "symmetric_pairs": "identical both ways",
    "pairs": "pairs",
    "symmetric_share": "share identical",
    "net_mismatch": "max net gap (of gross)",
    "sign_contradictions": "opposite-sign nets",
    "total_change": "total change per year",
    "flagged": "flagged",
    "reasons": "why",
}


@register_section
class QualitySection:
    """Data-quality checks; on the embedded data also why 2022 and 2025 are excluded."""

    name = "quality"
    title = "Quality checks"
    order = 20

    def render(self, ctx: ReportContext) -> str:
        """The check_quality table of the panel (and of all embedded years)."""
        report = ctx.cached("quality", lambda: ctx.panel.check_quality(warn=False))
        parts = [
            para(
                "Transcribed origin–destination tables fail in recognisable ways. For each "
                "year the checks measure: the share of region pairs with exactly the same "
                "count in both directions (rare in genuine data); the largest gap between the "
                "net balances implied by the table and the independent arrivals/departures "
                "statistics (when the panel has them), with the number of regions whose two "
                "balances have opposite signs; and the yearly change of the national total."
            ),
            frame_html(
                quality_table(report),
                decimals={"symmetric_share": 1, "net_mismatch": 1, "total_change": 1},
                percent=["symmetric_share", "net_mismatch", "total_change"],
                labels=_QUALITY_LABELS,
                caption="Checks on the panel used in this report",
                highlight=lambda y: bool(report.table.loc[y, "flagged"]),
            ),
        ]
        if report.ok:
            parts.append(note_html("No year of the panel used in this report is flagged."))
        else:
            parts.append(
                note_html(
                    "Flagged years in this panel: "
                    + "; ".join(
                        f"{y}: {report.table.loc[y, 'reasons']!s}" for y in report.flagged_years
                    )
                    + ". Consider excluding them before fitting models.",
                    "warn",
                )
            )
        if ctx.dataset == "kazakhstan":
            parts.append(self._embedded(ctx))
        return "".join(parts)

    def _embedded(self, ctx: ReportContext) -> str:
        everything = kazakhstan_all_years(ctx)
        report = ctx.cached("quality_all_years", lambda: everything.check_quality(warn=False))
        labels = kazakhstan_quality_labels()
        table = quality_table(report)
        table.insert(0, "source label", labels.reindex(table.index).fillna("ok"))
        excluded = [int(y) for y in labels.index if labels[y] != "ok"]
        used = set(ctx.panel.years)
        explain = []
        for year in sorted(set(excluded) | set(report.flagged_years)):
            row = report.table.loc[year]
            label = labels.get(year, "ok")
            why = str(row["reasons"]) or "no automatic check flags it"
            text = f"{year} (source label: {label}): {why}"
            if label == "partial":
                text += (
                    f"; the table covers part of the year only, so its national total "
                    f"({fmt_number(row['total'])}) is not comparable with full years "
                    f"({fmt_number(row['total_change'], 0, percent=True)} a year against the "
                    f"previous year)"
                )
            text += "; used in this report." if year in used else "; excluded by default."
            explain.append(text)
        return (
            f"<h3>{esc('All embedded years, flagged ones included')}</h3>"
            + para(
                "The same checks on every year of the embedded data show why two years are "
                "left out of the default panel (load_kazakhstan(include_flagged=True) loads "
                "them, with a warning):"
            )
            + items_html(explain)
            + frame_html(
                table,
                decimals={"symmetric_share": 1, "net_mismatch": 1, "total_change": 1},
                percent=["symmetric_share", "net_mismatch", "total_change"],
                labels=_QUALITY_LABELS,
                caption="Checks on all embedded years (grey rows: flagged or labelled "
                "corrupt/partial by the source metadata)",
                highlight=lambda y: int(y) in excluded or bool(report.table.loc[y, "flagged"]),
            )
        )

    def methods(self, ctx: ReportContext) -> str:
        """Thresholds of the checks."""
        return para(
            "A year is flagged when more than 20% of region pairs have identical counts both "
            "ways, when an OD net balance differs from the arrivals-minus-departures balance "
            "by more than 5% of the region's gross migration or has the opposite sign, or "
            "when the national total changes by more than 50% a year. A partial year is often "
            "not detectable from the flows alone; the embedded data mark it in their metadata."
        )
