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
from migflows.reports.model_plots import coef_plot, fit_plot
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
from migflows.reports.tables import RegressionTable, regression_table, table

__all__ = [
    "RegressionTable",
    "ReportContext",
    "Section",
    "SectionSkipped",
    "attractiveness_plot",
    "available_sections",
    "build_report",
    "coef_plot",
    "fit_plot",
    "flow_map",
    "national_totals_plot",
    "net_balance_plot",
    "od_heatmap",
    "register_section",
    "regression_table",
    "table",
]
