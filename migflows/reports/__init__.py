"""Reports layer: plots, the self-contained HTML report and the ``migflows`` CLI.

Reports only read data and results; they never estimate. Model families add their own
report sections through :func:`migflows.reports.sections.register_section`.

Examples
--------
>>> from migflows.reports import available_sections
>>> "flows" in available_sections()
True
"""

from migflows.reports.html import build_report
from migflows.reports.plots import (
    attractiveness_plot,
    flow_map,
    national_totals_plot,
    net_balance_plot,
    od_heatmap,
)
from migflows.reports.sections import (
    ReportContext,
    Section,
    SectionSkipped,
    available_sections,
    register_section,
)

__all__ = [
    "ReportContext",
    "Section",
    "SectionSkipped",
    "attractiveness_plot",
    "available_sections",
    "build_report",
    "flow_map",
    "national_totals_plot",
    "net_balance_plot",
    "od_heatmap",
    "register_section",
]
