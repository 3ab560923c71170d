"""Descriptive measures of internal migration computed from a long flow table.

All functions are pure: they take a canonical long flow table (a DataFrame with columns
``origin``, ``destination``, ``year``, ``flow``; ``flow >= 0``; rows with
``origin == destination`` are intra-regional moves) and, where needed, a population Series
indexed by ``(region, year)``, and return new pandas objects without modifying their inputs.
Every measure uses only flows between different regions; :func:`balances` reports the
intra-regional moves in a separate column.

Region level
    :func:`balances` (arrivals, departures, net, gross, rates per 1,000, attractiveness,
    effectiveness; the one balances computation of the package), :func:`score_scale` and
    :func:`score_regions` (the five-level scale of Bokayev & Akhmetova 2024).
System level, one row per year (after the R package migest)
    :func:`index_intensity`, :func:`index_impact`, :func:`index_connectivity`,
    :func:`index_distance`.

Examples
--------
>>> import pandas as pd
>>> from migflows.data.indices import balances, index_impact
>>> flows = pd.DataFrame({"origin": ["a", "b"], "destination": ["b", "a"],
...                       "year": 2021, "flow": [30.0, 10.0]})
>>> balances(flows)["net"].tolist()
[-20.0, 20.0]
"""

from __future__ import annotations

from migflows.data.indices_region import (
    DEFAULT_POINTS,
    DEPRECATED_BALANCE_NAMES,
    LEVELS,
    BalancesFrame,
    balance_name,
    balances,
    score_regions,
    score_scale,
)
from migflows.data.indices_system import (
    index_connectivity,
    index_distance,
    index_impact,
    index_intensity,
)

__all__ = [
    "DEFAULT_POINTS",
    "DEPRECATED_BALANCE_NAMES",
    "LEVELS",
    "BalancesFrame",
    "balance_name",
    "balances",
    "index_connectivity",
    "index_distance",
    "index_impact",
    "index_intensity",
    "score_regions",
    "score_scale",
]
