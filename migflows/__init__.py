"""migflows: econometrics of migration flows.

Validated origin–destination panels (:class:`FlowPanel`), an embedded Kazakhstan dataset,
descriptive migration indices, gravity and panel models, Bayesian gravity, and forecasts
of regional migration balances.

Examples
--------
>>> import migflows
>>> kz = migflows.load_kazakhstan()
>>> kz.years
[2010, 2015, 2020, 2021, 2023, 2024]
"""

from migflows import errors, presets
from migflows.data import (
    Crosswalk,
    FlowPanel,
    kazakhstan_regions,
    load_kazakhstan,
    read_od_matrix,
)
from migflows.estimation.gravity import gravity
from migflows.estimation.unit_root import adf_by_region, kpss_by_region, unit_root

__version__ = "0.1.0"

__all__ = [
    "Crosswalk",
    "FlowPanel",
    "__version__",
    "adf_by_region",
    "errors",
    "gravity",
    "kazakhstan_regions",
    "kpss_by_region",
    "load_kazakhstan",
    "presets",
    "read_od_matrix",
    "unit_root",
]
