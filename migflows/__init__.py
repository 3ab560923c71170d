"""migflows: econometrics of migration flows.

Validated origin–destination panels (:class:`FlowPanel`), an embedded Kazakhstan dataset,
descriptive migration indices, gravity and panel models, panel unit-root tests, Bayesian
gravity, and forecasts of regional migration balances.

The public names below are imported lazily (on first use), so ``import migflows`` stays
quick when only the data layer is needed.

Examples
--------
>>> import migflows
>>> kz = migflows.load_kazakhstan()
>>> kz.years
[2010, 2015, 2020, 2021, 2023, 2024]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from migflows import errors

if TYPE_CHECKING:
    from migflows import presets, reports
    from migflows.data import (
        Crosswalk,
        FlowPanel,
        kazakhstan_regions,
        load_kazakhstan,
        load_kazakhstan_regions,
        read_od_matrix,
    )
    from migflows.estimation.bayes.api import bayes_gravity
    from migflows.estimation.forecast.api import forecast
    from migflows.estimation.forecast.backtest import backtest
    from migflows.estimation.gravity.api import gravity
    from migflows.estimation.gravity.sim import sim
    from migflows.estimation.panel.api import panel
    from migflows.estimation.panel.phtest import hausman
    from migflows.estimation.unit_root.api import adf_by_region, kpss_by_region, unit_root
    from migflows.models.scenario import Scenario
    from migflows.reports.comparison import compare

from migflows.version import __version__

# name -> (module, attribute or None for the module itself)
# Everything is lazy, the data layer included: `migflows --help` must not pay for pandas.
_LAZY: dict[str, tuple[str, str | None]] = {
    "Crosswalk": ("migflows.data", "Crosswalk"),
    "FlowPanel": ("migflows.data", "FlowPanel"),
    "kazakhstan_regions": ("migflows.data", "kazakhstan_regions"),
    "load_kazakhstan": ("migflows.data", "load_kazakhstan"),
    "load_kazakhstan_regions": ("migflows.data", "load_kazakhstan_regions"),
    "read_od_matrix": ("migflows.data", "read_od_matrix"),
    "gravity": ("migflows.estimation.gravity.api", "gravity"),
    "bayes_gravity": ("migflows.estimation.bayes.api", "bayes_gravity"),
    "panel": ("migflows.estimation.panel.api", "panel"),
    "hausman": ("migflows.estimation.panel.phtest", "hausman"),
    "sim": ("migflows.estimation.gravity.sim", "sim"),
    "forecast": ("migflows.estimation.forecast.api", "forecast"),
    "backtest": ("migflows.estimation.forecast.backtest", "backtest"),
    "Scenario": ("migflows.models.scenario", "Scenario"),
    "unit_root": ("migflows.estimation.unit_root.api", "unit_root"),
    "adf_by_region": ("migflows.estimation.unit_root.api", "adf_by_region"),
    "kpss_by_region": ("migflows.estimation.unit_root.api", "kpss_by_region"),
    "compare": ("migflows.reports.comparison", "compare"),
    "presets": ("migflows.presets", None),
    "reports": ("migflows.reports", None),
    "data": ("migflows.data", None),
    "models": ("migflows.models", None),
    "estimation": ("migflows.estimation", None),
    "studies": ("migflows.studies", None),
}

__all__ = [
    "Crosswalk",
    "FlowPanel",
    "Scenario",
    "__version__",
    "adf_by_region",
    "backtest",
    "bayes_gravity",
    "compare",
    "errors",
    "forecast",
    "gravity",
    "hausman",
    "kazakhstan_regions",
    "kpss_by_region",
    "load_kazakhstan",
    "load_kazakhstan_regions",
    "panel",
    "presets",
    "read_od_matrix",
    "reports",
    "sim",
    "unit_root",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'migflows' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
