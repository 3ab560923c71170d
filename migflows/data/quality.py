"""Data-quality checks for OD panels.

Transcribed OD tables go wrong in recognisable ways. Kazakhstan's 2022 table, for example,
has 128 of 190 region pairs with exactly the same count in both directions (other years:
at most a dozen), several pairs that look swapped, and net balances that contradict the
independent arrivals/departures statistics. :func:`check_quality` measures, per year:

``symmetric_share``
    Share of unordered pairs {i, j} with both flows positive and ``F(i,j) == F(j,i)``.
    Flagged above ``max_symmetric_share`` (default 0.2).
``net_mismatch``
    When the region table has ``arrivals_all`` and ``departures_all`` (all registered moves,
    intra-regional included, so their difference is the net internal balance), the largest
    absolute difference between that net and the OD net balance, relative to the region's
    gross OD migration; and the number of regions whose net balance has the opposite sign.
    Flagged above ``max_net_mismatch`` (default 0.05) or with any sign contradiction.
``total_change``
    Annualised relative change of the national total since the previous year in the panel
    (a partial year shows up as a drop); flagged beyond ``max_total_change`` (default 0.5).
    A partial year is often not detectable from the flows alone: Kazakhstan's 2025 table
    (about two thirds of 2024) is marked partial by its source metadata, not by this check.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migflows.errors import DataQualityWarning

if TYPE_CHECKING:
    from migflows.data.panel import FlowPanel


@dataclass(frozen=True)
class QualityReport:
    """Per-year quality measures with a ``flagged`` column and the reasons.

    Attributes
    ----------
    table : DataFrame
        Indexed by year: ``total``, ``pairs``, ``symmetric_pairs``, ``symmetric_share``,
        ``net_mismatch``, ``sign_contradictions``, ``total_change``, ``flagged``, ``reasons``.
    """

    table: pd.DataFrame

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        # read-only from outside: the table is handed out as a (copy-on-write) copy
        return value.copy(deep=False) if name == "table" else value

    @property
    def flagged_years(self) -> list[int]:
        """Years with at least one flagged check."""
        return [int(y) for y in self.table.index[self.table["flagged"]]]

    @property
    def ok(self) -> bool:
        """True when no year is flagged."""
        return not self.flagged_years

    def to_frame(self) -> pd.DataFrame:
        """The per-year table (a copy)."""
        return self.table.copy()

    def __str__(self) -> str:
        return "Data-quality report\n" + self.table.to_string()

    def _repr_html_(self) -> str:
        return "<b>Data-quality report</b>" + self.table.to_html(float_format="{:.3f}".format)


def check_quality(
    panel: FlowPanel,
    *,
    warn: bool = True,
    max_symmetric_share: float = 0.2,
    max_net_mismatch: float = 0.05,
    max_total_change: float = 0.5,
) -> QualityReport:
    """Check an OD panel for symptoms of corrupt or partial years.

    Parameters
    ----------
    panel : FlowPanel
        The panel to check.
    warn : bool, default True
        Emit a :class:`~migflows.errors.DataQualityWarning` naming the flagged years.
    max_symmetric_share, max_net_mismatch, max_total_change : float
        Thresholds (see the module docstring).

    Returns
    -------
    QualityReport

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(include_flagged=True)  # doctest: +SKIP
    >>> kz.check_quality(warn=False).flagged_years  # doctest: +SKIP
    [2022]
    """
    flows = panel.flows
    rows = []
    regions = panel.regions
    ad_table = None
    if regions is not None and {"arrivals_all", "departures_all"} <= set(regions.columns):
        ad_table = regions
    prev_total: tuple[int, float] | None = None
    for year in panel.years:
        f = flows[flows["year"] == year]
        fwd = f.set_index(["origin", "destination"])["flow"]
        rev = f.set_index(["destination", "origin"])["flow"].rename_axis(["origin", "destination"])
        both = pd.concat([fwd.rename("a"), rev.rename("b")], axis=1, join="inner")
        both = both[[o < d for o, d in both.index]]
        positive = both[(both["a"] > 0) & (both["b"] > 0)]
        sym = int((positive["a"] == positive["b"]).sum())
        share = sym / len(both) if len(both) else np.nan
        total = float(f["flow"].sum())
        change = np.nan
        if prev_total:
            # Annualised, because OD years may be irregular (2015 -> 2020 spans five years).
            change = (total / prev_total[1]) ** (1 / (year - prev_total[0])) - 1
        prev_total = (year, total) if total > 0 else None
        mismatch, contra = np.nan, 0
        if ad_table is not None and year in set(ad_table.index.get_level_values("year")):
            inflow = f.groupby("destination")["flow"].sum()
            outflow = f.groupby("origin")["flow"].sum()
            od_net = inflow.sub(outflow, fill_value=0)
            gross = inflow.add(outflow, fill_value=0)
            ad = ad_table.xs(year, level="year")
            ad_net = (ad["arrivals_all"] - ad["departures_all"]).reindex(od_net.index)
            ok = ad_net.notna()
            if ok.any():
                diff = (od_net[ok] - ad_net[ok]).abs() / gross[ok]
                mismatch = float(diff.max())
                contra = int(((np.sign(od_net[ok]) * np.sign(ad_net[ok])) < 0).sum())
        reasons = []
        if share > max_symmetric_share:
            reasons.append(f"{sym} of {len(both)} pairs have identical flows both ways")
        if mismatch > max_net_mismatch or contra:
            reasons.append(
                f"OD net balances contradict arrivals-departures (max gap {mismatch:.0%} of "
                f"gross; {contra} opposite signs)"
            )
        if abs(change) > max_total_change:
            reasons.append(
                f"national total changed by {change:+.0%} a year since the previous year"
            )
        rows.append(
            {
                "year": year,
                "total": total,
                "pairs": len(both),
                "symmetric_pairs": sym,
                "symmetric_share": share,
                "net_mismatch": mismatch,
                "sign_contradictions": contra,
                "total_change": change,
                "flagged": bool(reasons),
                "reasons": "; ".join(reasons),
            }
        )
    table = pd.DataFrame(rows).set_index("year")
    report = QualityReport(table)
    if warn and not report.ok:
        detail = " | ".join(f"{y}: {table.loc[y, 'reasons']!s}" for y in report.flagged_years)
        warnings.warn(
            f"Data-quality checks flag {len(report.flagged_years)} year(s): {detail}. Inspect "
            f"panel.check_quality().table and consider excluding them.",
            DataQualityWarning,
            stacklevel=3,
        )
    return report
