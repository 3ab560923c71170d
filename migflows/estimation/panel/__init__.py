"""Linear panel regressions of migration rates (FE/RE/FD/between/pooled via linearmodels)."""

from migflows.estimation.panel.api import panel
from migflows.estimation.panel.phtest import hausman
from migflows.estimation.panel.results import PanelResults, TestStatistic

__all__ = ["PanelResults", "TestStatistic", "hausman", "panel"]
