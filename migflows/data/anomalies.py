"""Anomalies in a panel's totals and balances, found by rules (the report words them).

Two rules, each applied to the data at hand, nothing listed in advance:

- :func:`national_jumps`: a year whose national inter-regional total changed, per year
  elapsed since the previous observed year, by at least ``min_change`` (25 %) and by at
  least ``ratio`` (3) times the series' median absolute annual change.
- :func:`lone_sign_flips`: a region among the ``top`` (5) with the largest typical net balance
  whose balance has one sign in every observed year but one (at least ``min_years`` (4) years
  observed).

Examples
--------
>>> import migflows
>>> kz = migflows.load_kazakhstan()
>>> national_jumps(kz)[["previous", "total", "annual_change"]].round(3)
      previous   total  annual_change
year
2024    472227  689497           0.46
>>> flips = lone_sign_flips(kz)
>>> [int(v) for v in flips.loc["astana_city", ["year", "net", "typical"]]]
[2015, -2463, 33127]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from migflows.errors import InvalidOptionError

if TYPE_CHECKING:
    from migflows.data.panel import FlowPanel

__all__ = ["lone_sign_flips", "national_jumps"]


def national_jumps(
    panel: FlowPanel, *, min_change: float = 0.25, ratio: float = 3.0
) -> pd.DataFrame:
    """Years whose national total jumped (see the module docstring).

    Returns
    -------
    DataFrame
        Indexed by year: ``previous_year``, ``previous`` and ``total`` (persons),
        ``annual_change`` (geometric, per year elapsed) and ``typical_change`` (median
        absolute annual change of the series). Empty when no year qualifies.
    """
    if not min_change > 0 or not ratio > 0:
        raise InvalidOptionError(
            f"min_change={min_change!r} and ratio={ratio!r} must be positive numbers."
        )
    totals = panel.flows.groupby("year")["flow"].sum().astype(float).sort_index()
    years = totals.index.to_numpy()
    rows = []
    if len(totals) >= 3:
        gaps = np.diff(years)
        change = (totals.to_numpy()[1:] / totals.to_numpy()[:-1]) ** (1 / gaps) - 1
        typical = float(np.median(np.abs(change)))
        for i, c in enumerate(change):
            if np.isfinite(c) and abs(c) >= max(min_change, ratio * typical):
                rows.append(
                    {
                        "year": int(years[i + 1]),
                        "previous_year": int(years[i]),
                        "previous": round(float(totals.iloc[i])),
                        "total": round(float(totals.iloc[i + 1])),
                        "annual_change": float(c),
                        "typical_change": typical,
                    }
                )
    columns = ["year", "previous_year", "previous", "total", "annual_change", "typical_change"]
    return pd.DataFrame(rows, columns=columns).set_index("year")


def lone_sign_flips(panel: FlowPanel, *, top: int = 5, min_years: int = 4) -> pd.DataFrame:
    """Large regions whose net balance flips sign in a single year.

    Returns
    -------
    DataFrame
        Indexed by region: ``year`` of the flip, ``net`` that year (persons), ``typical``
        (median net balance of the other years), ``low`` and ``high`` (their range), and
        ``flips_that_year`` (how many regions, large or not, flip alone in that year).
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InvalidOptionError(f"top={top!r} must be a positive whole number.")
    net = panel.balances()["net"].unstack("year").astype(float)
    net = net.dropna(axis=1, how="all")
    columns = ["year", "net", "typical", "low", "high", "flips_that_year"]
    if net.shape[1] < min_years:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="region"))
    sign = pd.DataFrame(np.sign(net), index=net.index, columns=net.columns)
    lone: dict[str, int] = {}
    for region, row in sign.iterrows():
        values = row.dropna()
        counts = values.value_counts()
        if len(values) >= min_years and len(counts) == 2 and counts.min() == 1:
            odd = counts.idxmin()
            lone[str(region)] = int(values.index[values == odd][0])
    per_year = pd.Series(list(lone.values()), dtype=int).value_counts()
    size = net.abs().median(axis=1).sort_values(ascending=False)
    large = list(size.index[:top])
    rows = []
    for region in large:
        if region not in lone:
            continue
        year = lone[region]
        others = net.loc[region].drop(year).dropna()
        rows.append(
            {
                "region": region,
                "year": year,
                "net": round(float(net.loc[region, year])),
                "typical": float(others.median()),
                "low": float(others.min()),
                "high": float(others.max()),
                "flips_that_year": int(per_year.get(year, 0)),
            }
        )
    return pd.DataFrame(rows, columns=["region", *columns]).set_index("region")
