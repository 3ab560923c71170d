"""Panel unit-root and stationarity tests (IPS, LLC, Maddala-Wu, Choi, Hadri, CIPS) and
per-region ADF / KPSS.
"""

from migflows.estimation.unit_root.api import (
    UnitRootResult,
    adf_by_region,
    kpss_by_region,
    region_table,
    unit_root,
)

__all__ = ["UnitRootResult", "adf_by_region", "kpss_by_region", "region_table", "unit_root"]
