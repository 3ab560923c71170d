"""The printable summary every results object shows: :class:`SummaryTable`.

A title, header facts and a table; ``str`` gives aligned text, ``_repr_html_`` the Jupyter
view. Numbers are written for reading (integers with separators, p-values as ``<0.001`` with
significance stars); the values themselves stay numbers in :attr:`SummaryTable.table`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migflows.errors import InputTypeError
from migflows.estimation.core.readonly import ReadOnlyResults

__all__ = ["SummaryTable"]


@dataclass(frozen=True)
class SummaryTable(ReadOnlyResults):
    """A plain summary: a title, header statistics and the main table.

    The one summary type of every results class (gravity, SIM, panel, Bayesian gravity,
    unit-root tests, forecasts, backtests), always reached as the attribute ``summary``.
    Building text stays deliberately simple; the reports layer does the formatting.

    For reading, a summary behaves like its :attr:`table` (``s["pvalues"]``, ``"x" in s``,
    ``s.loc[...]``, ``s.index``), and calling it (``res.summary()``, the statsmodels
    spelling) returns the summary itself, or, when the result offers regrouping
    (``Backtest.summary(by=...)``), a new summary built with those arguments.

    Examples
    --------
    >>> t = SummaryTable("PPML", (("Observations", 10),), pd.DataFrame({"params": [1.0]}, ["x"]))
    >>> print(str(t).splitlines()[0])
    PPML
    >>> t() is t, float(t["params"]["x"]), "params" in t
    (True, 1.0, True)
    """

    title: str
    header: tuple[tuple[str, Any], ...]
    table: pd.DataFrame
    rebuild: Callable[..., SummaryTable] | None = field(default=None, repr=False, compare=False)

    def __call__(self, *args: Any, **kwargs: Any) -> SummaryTable:
        """The summary itself, or one rebuilt with other arguments (where supported)."""
        if not args and not kwargs:
            return self
        if self.rebuild is None:
            raise InputTypeError(
                f"this summary takes no arguments (got {len(args)} positional, "
                f"{sorted(kwargs)} keyword); use it as res.summary"
            )
        return self.rebuild(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names a SummaryTable does not have: read them from the table
        # (never private or dunder names, so copying and pickling behave normally).
        if name.startswith("_") or name in {"title", "header", "table", "rebuild"}:
            raise AttributeError(name)
        try:
            return getattr(self.table, name)
        except AttributeError:
            raise AttributeError(
                f"'SummaryTable' object (and its table) has no attribute {name!r}"
            ) from None

    def __getitem__(self, key: Any) -> Any:
        return self.table[key]

    def __contains__(self, key: object) -> bool:
        return key in self.table

    def __iter__(self) -> Any:
        return iter(self.table)

    @property
    def header_dict(self) -> dict[str, Any]:
        """The header statistics as a dict (label -> value)."""
        return dict(self.header)

    def display_table(self) -> pd.DataFrame:
        """The table as text for reading, with significance stars; :attr:`table` keeps numbers.

        p-values as ``<0.001``, 4 significant digits with thousands separators, and stars
        after the p-values as ``etable`` writes them (*** p < 0.01, ** p < 0.05, * p < 0.1).

        Examples
        --------
        >>> t = SummaryTable("m", (), pd.DataFrame({"params": [-149993.356328],
        ...                                          "pvalues": [8.5364e-81]}, ["x"]))
        >>> t.display_table().loc["x"].tolist()
        ['-149,993', '<0.001', '***']
        """
        out = pd.DataFrame(index=self.table.index)
        for column in self.table.columns:
            values = self.table[column]
            name = str(column).lower()
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                out[column] = values.astype(str)
            elif name in _PVALUE_NAMES:
                out[column] = values.map(_fmt_p)
                out[""] = values.map(_stars)
            else:
                # rounding noise next to the column's scale (a bias of -5e-13 persons when the
                # others are thousands) reads as 0, not in scientific notation
                scale = float(values.abs().max()) if len(values) else 0.0
                out[column] = values.map(
                    lambda v, s=scale: "0" if s > 0 and abs(v) < 1e-9 * s else _fmt_value(v)
                )
        return out

    def __str__(self) -> str:
        lines = [self.title, "=" * max(len(self.title), 40)]
        lines += [f"{k + ':':<28}{_fmt_value(v)}" for k, v in self.header]
        lines.append("")
        lines.append(self.display_table().to_string())
        if any(str(c).lower() in _PVALUE_NAMES for c in self.table.columns):
            lines.append("*** p < 0.01, ** p < 0.05, * p < 0.1")
        return "\n".join(lines)

    def __repr__(self) -> str:  # the formatted table, not the dataclass fields
        return self.__str__()

    def _repr_html_(self) -> str:
        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td>{html.escape(str(_fmt_value(v)))}</td></tr>"
            for k, v in self.header
        )
        return (
            f"<div><strong>{html.escape(self.title)}</strong><table>{head}</table>"
            f"{self.display_table().to_html()}</div>"
        )


_PVALUE_NAMES = {"pvalues", "pvalue", "p-value", "p_value", "pval"}


def _fmt_p(p: Any) -> str:
    return "" if not np.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.3f}"


def _stars(p: Any) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def _fmt_value(v: Any) -> Any:
    """Numbers for reading: integers with separators, floats to 4 significant digits."""
    if isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.integer | np.floating):
        return v
    x = float(v)
    if not np.isfinite(x):
        return "–" if np.isnan(x) else str(x)
    if x.is_integer() and abs(x) >= 1:
        return f"{int(x):,}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    text = f"{x:.4g}"
    if "e" in text:  # below 1e-4: keep two digits in scientific form, else fixed notation
        text = f"{x:.2e}" if abs(x) < 1e-4 else f"{x:.6f}"
    return "0" if text.lstrip("-").strip("0.") == "" else text
