"""Reports layer: plots, the self-contained HTML report and the ``migflows`` CLI.

Reports only read data and results; they never estimate. Model families add their own
report sections through :func:`migflows.reports.sections.register_section`.

Examples
--------
>>> from migflows.reports import available_sections
>>> "flows" in available_sections()
True
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migflows.reports.display import styled
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

# Imported on first use, so that the CLI (migflows.reports.cli) starts without matplotlib,
# pandas or statsmodels: name -> module.
_LAZY: dict[str, str] = {
    "build_report": "migflows.reports.html",
    "styled": "migflows.reports.display",
    "coef_plot": "migflows.reports.model_plots",
    "fit_plot": "migflows.reports.model_plots",
    "attractiveness_plot": "migflows.reports.plots",
    "flow_map": "migflows.reports.plots",
    "national_totals_plot": "migflows.reports.plots",
    "net_balance_plot": "migflows.reports.plots",
    "od_heatmap": "migflows.reports.plots",
    "ReportContext": "migflows.reports.sections",
    "Section": "migflows.reports.sections",
    "SectionSkipped": "migflows.reports.sections",
    "available_sections": "migflows.reports.sections",
    "register_section": "migflows.reports.sections",
    "RegressionTable": "migflows.reports.tables",
    "regression_table": "migflows.reports.tables",
    "table": "migflows.reports.tables",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'migflows.reports' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
    "styled",
    "table",
]
