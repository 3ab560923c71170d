"""Panel unit-root and stationarity tests, and per-region ADF / KPSS.

IPS, LLC, Maddala-Wu, Choi, Hadri and CIPS (:func:`unit_root`); statsmodels' single-series
tests unit by unit (:func:`adf_by_region`, :func:`kpss_by_region`).
"""

from migflows.estimation.unit_root.api import (
    UnitRootResult,
    adf_by_region,
    kpss_by_region,
    region_table,
    unit_root,
)

__all__ = ["UnitRootResult", "adf_by_region", "kpss_by_region", "region_table", "unit_root"]
