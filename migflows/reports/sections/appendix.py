"""The methods and caveats appendix: general notes plus what each section contributes."""

from __future__ import annotations

from migflows.reports.formatting import esc, items_html
from migflows.reports.references import REFERENCES as ALL_REFERENCES
from migflows.reports.references import references_for
from migflows.reports.sections import ReportContext, get_section, register_section

#: Every reference the report may list (texts); the appendix lists those its sections cite.
REFERENCES = tuple(r.text for r in ALL_REFERENCES)


@register_section
class MethodsSection:
    """Methods and caveats; collects ``methods(ctx)`` from every other section shown."""

    name = "methods"
    title = "Methods and caveats"
    order = 1000

    def render(self, ctx: ReportContext) -> str:
        """General caveats, each section's methods notes, and references."""
        parts = [
            f"<h3>{esc('Data caveats')}</h3>",
            items_html(self._caveats(ctx)),
        ]
        # the sections in the report (a skipped one brings no notes and no references)
        names = [n for n in ctx.sections if n in ctx.shown] if ctx.shown else ctx.sections
        for name in names:
            if name == self.name:
                continue
            section = get_section(name)
            notes = getattr(section, "methods", None)
            if notes is None:
                continue
            body = notes(ctx)
            if body:
                parts.append(f"<h3>{esc(section.title)}</h3>{body}")
        parts.append(f"<h3>{esc('References')}</h3>")
        parts.append(items_html(r.text for r in references_for(names)))
        return "".join(parts)

    @staticmethod
    def _caveats(ctx: ReportContext) -> list[str]:
        items = [
            "Registered moves only: moves that are not registered with the authorities are "
            "missing, and registration practice can change between years.",
            "Figures are descriptive; nothing in the data sections is a causal estimate.",
        ]
        if ctx.dataset == "kazakhstan":
            items += [
                "Boundaries are those of 2022 (20 regions). Abai, Zhetisu and Ulytau were split "
                "off East Kazakhstan, Almaty region and Karaganda in 2022, and South Kazakhstan "
                "became Turkistan and Shymkent in 2018. Every year is given on the 20 current "
                "regions (the datasheet says how earlier years were mapped); compare these "
                "regions across the split dates with care (panel.harmonize aggregates to "
                "earlier boundaries).",
                "The 2022 origin–destination table is corrupt and the 2025 table covers part of "
                "the year; both are excluded from the default panel.",
                "Population is taken on 1 January of the year. Region attributes do not cover "
                "every flow year (see the coverage table); rates and indices that need them are "
                "left blank where they are missing.",
                "OD years are irregular (2010, 2015, 2020, 2021, 2023, 2024): changes between "
                "shown years span different lengths of time.",
            ]
        return items
