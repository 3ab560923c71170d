"""Result object of the panel unit-root tests."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from migflows.estimation.core.readonly import ReadOnlyResults
from migflows.estimation.core.results import SummaryTable

__all__ = ["UnitRootResult"]

TEST_TITLES = {
    "ips": "Im-Pesaran-Shin panel unit-root test",
    "llc": "Levin-Lin-Chu panel unit-root test",
    "madwu": "Maddala-Wu (Fisher ADF) panel unit-root test",
    "choi": "Choi panel unit-root test",
    "hadri": "Hadri panel stationarity test",
    "cips": "Pesaran CIPS panel unit-root test (cross-sectionally augmented)",
}
TREND_TITLES = {
    "none": "none",
    "c": "individual intercepts",
    "ct": "individual intercepts and trends",
}


@dataclass(frozen=True, eq=False)
class UnitRootResult(ReadOnlyResults):
    """Outcome of :func:`migflows.unit_root` (immutable).

    Attributes
    ----------
    test : str
        ``"ips"``, ``"llc"``, ``"madwu"``, ``"choi"``, ``"hadri"`` or ``"cips"``.
    statistic_name : str
        Which statistic ``statistic`` is (``"W_tbar"``, ``"Z_tbar"``, ``"tbar"``,
        ``"z"``, ``"P"``, ``"Z"``, ``"L*"``, ``"Pm"``, ``"CIPS"``, ``"CIPS*"``).
    statistic, pvalue : float
        The test statistic and its p-value (NaN for IPS t-bar, which has only critical
        values; for CIPS the p-value is interpolated in the 1%-10% range and
        ``pvalue_bound`` says when it lies beyond).
    critical_values : mapping or None
        ``{"1%": ., "5%": ., "10%": .}`` where the distribution is tabulated.
    null_hypothesis, alternative_hypothesis : str
        The hypotheses in words.
    trend : str
        Deterministic terms: ``"none"``, ``"c"`` or ``"ct"``.
    lag_method : str
        ``"fixed"``, ``"aic"``, ``"bic"`` or ``"hall"`` (``"none"`` for Hadri).
    max_lags : int or None
        Largest lag order considered by the selection.
    nobs : int
        Observations used, summed over units (regression rows; N·T for Hadri).
    n_entities, n_periods : int
        Number of units and of distinct periods in the panel.
    details : DataFrame
        One row per unit. ADF-based tests: ``lags``, ``nobs`` (regression rows), ``rho``
        (coefficient of the lagged level), ``tstat`` and ``pvalue`` (MacKinnon 1994);
        IPS adds the moments ``E_t`` / ``Var_t``, LLC the short- and long-run variances
        ``sigma2_st`` / ``sigma2_lt``. Hadri: ``lm`` and ``sigma2``. CIPS: ``lags``,
        ``nobs``, ``cadf_t`` (and ``cadf_t_truncated``).
    extra : mapping
        Further statistics (e.g. the other Choi statistics, degrees of freedom).
    notes : tuple of str
        Caveats (table extrapolation, bounded p-value, lowered max_lags, ...).
    variable : str
        The tested column.
    pvalue_bound : str or None
        ``"below"`` when the true p-value is below the reported one, ``"above"`` when
        above (CIPS outside its tabulated range), else None.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from migflows.estimation.unit_root.api import unit_root
    >>> idx = pd.MultiIndex.from_product([list("abcdef"), range(1990, 2020)])
    >>> y = np.random.default_rng(4).normal(size=(6, 30)).cumsum(1).ravel()
    >>> res = unit_root(pd.DataFrame({"y": y}, index=idx), "y", "madwu", lags=0)
    >>> res.to_frame()[["test", "statistic_name", "n_entities"]]
        test statistic_name  n_entities
    0  madwu              P           6
    """

    test: str
    statistic_name: str
    statistic: float
    pvalue: float
    critical_values: Mapping[str, float] | None
    null_hypothesis: str
    alternative_hypothesis: str
    trend: str
    lag_method: str
    max_lags: int | None
    nobs: int
    n_entities: int
    n_periods: int
    details: pd.DataFrame
    variable: str = ""
    extra: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    notes: tuple[str, ...] = ()
    pvalue_bound: str | None = None

    @property
    def lags(self) -> pd.Series:
        """Lag order used for each unit (empty for Hadri)."""
        if "lags" not in self.details:
            return pd.Series(dtype=int, name="lags")
        return self.details["lags"].copy()

    def to_frame(self) -> pd.DataFrame:
        """One-row table: test, statistic, p-value, critical values, sizes."""
        row: dict[str, object] = {
            "test": self.test,
            "variable": self.variable,
            "statistic_name": self.statistic_name,
            "statistic": self.statistic,
            "pvalue": self.pvalue,
        }
        for level in ("1%", "5%", "10%"):
            row[f"crit_{level}"] = (
                self.critical_values[level] if self.critical_values is not None else np.nan
            )
        row.update(
            trend=self.trend,
            lag_method=self.lag_method,
            n_entities=self.n_entities,
            n_periods=self.n_periods,
            nobs=self.nobs,
        )
        return pd.DataFrame([row])

    def _header_lines(self) -> list[tuple[str, str]]:
        pval = "n/a (see critical values)" if np.isnan(self.pvalue) else f"{self.pvalue:.4f}"
        if self.pvalue_bound == "below":
            pval = f"< {self.pvalue:.2f}"
        elif self.pvalue_bound == "above":
            pval = f"> {self.pvalue:.2f}"
        lines = [
            ("Variable", self.variable),
            ("Deterministic terms", TREND_TITLES.get(self.trend, self.trend)),
            ("Statistic", f"{self.statistic_name} = {self.statistic:.4f}"),
            ("P-value", pval),
        ]
        if self.critical_values is not None:
            crit = ", ".join(f"{k}: {v:.3f}" for k, v in self.critical_values.items())
            lines.append(("Critical values", crit))
        if self.test != "hadri":
            lags = self.details["lags"] if "lags" in self.details else pd.Series(dtype=int)
            span = f"{int(lags.min())}-{int(lags.max())}" if len(lags) else "-"
            how = "fixed" if self.lag_method == "fixed" else f"{self.lag_method.upper()}"
            if self.max_lags is not None and self.lag_method != "fixed":
                how += f", max {self.max_lags}"
            lines.append(("Lags", f"{span} ({how})"))
        lines += [
            ("Units x periods", f"{self.n_entities} x {self.n_periods}"),
            ("Observations", str(self.nobs)),
            ("H0", self.null_hypothesis),
            ("H1", self.alternative_hypothesis),
        ]
        lines += [("Note", note) for note in self.notes]
        return lines

    @property
    def summary(self) -> SummaryTable:
        """The test, statistic, p-value and settings, with the per-unit details as its table.

        The results' one summary type (``print(res.summary)``; renders in Jupyter; reads
        like :attr:`details`). ``str(res)`` gives the same facts as formatted text.
        """
        title = TEST_TITLES.get(self.test, self.test)
        return SummaryTable(title, tuple(self._header_lines()), self.details)

    def _text(self) -> str:
        """Plain-text summary: the test, statistic, p-value and per-unit details."""
        title = TEST_TITLES.get(self.test, self.test)
        lines = [title, "=" * len(title)]
        width = max(len(k) for k, _ in self._header_lines())
        lines += [f"{k.ljust(width)}  {v}" for k, v in self._header_lines()]
        lines += ["", "Per-unit details", self.details.to_string(float_format=lambda x: f"{x:.4f}")]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._text()

    def __repr__(self) -> str:
        return (
            f"UnitRootResult(test={self.test!r}, {self.statistic_name}={self.statistic:.4f}, "
            f"pvalue={self.pvalue:.4g}, n_entities={self.n_entities})"
        )

    def _repr_html_(self) -> str:
        title = html.escape(TEST_TITLES.get(self.test, self.test))
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._header_lines()
        )
        details = self.details.to_html(float_format=lambda x: f"{x:.4f}")
        return (
            f"<div><strong>{title}</strong><table>{rows}</table>"
            f"<details><summary>Per-unit details</summary>{details}</details></div>"
        )
