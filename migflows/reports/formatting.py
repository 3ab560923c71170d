"""HTML building blocks for report sections: escaped text, formatted tables, embedded figures.

Formatting lives here and only here: estimators and indices return plain numbers; sections
turn them into text with these helpers. Every piece of text is escaped with
:func:`html.escape`; figures are embedded as base64 PNG, so a report is one file.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from migflows.reports.labels import label, relabel_text

__all__ = [
    "esc",
    "figure_html",
    "fmt_number",
    "frame_html",
    "items_html",
    "kv_html",
    "note_html",
    "para",
]

DASH = "–"


def esc(value: Any) -> str:
    """Escape any value for HTML text or attribute context."""
    return html.escape(str(value), quote=True)


def para(*texts: str) -> str:
    """One ``<p>`` per text, escaped."""
    return "".join(f"<p>{esc(t)}</p>" for t in texts)


def note_html(text: str, kind: str = "note") -> str:
    """A highlighted box (``kind`` is ``note``, ``warn`` or ``error``) holding escaped text."""
    if kind not in ("note", "warn", "error"):
        kind = "note"
    return f'<div class="box {kind}">{esc(text)}</div>'


def items_html(items: Iterable[str]) -> str:
    """An unordered list of escaped items (empty string when there are none)."""
    rows = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f"<ul>{rows}</ul>" if rows else ""


def fmt_number(value: Any, decimals: int = 0, *, percent: bool = False) -> str:
    """Format a number with thousands separators; NaN as an en dash, infinity as ∞.

    Examples
    --------
    >>> fmt_number(472227.0)
    '472,227'
    >>> fmt_number(0.1234, 1, percent=True)
    '12.3%'
    >>> fmt_number(-0.00004, 3)
    '0.000'
    """
    if value is None or value is pd.NA:
        return DASH
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return DASH
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    text = f"{100 * x:,.{decimals}f}%" if percent else f"{x:,.{decimals}f}"
    # a value that rounds to zero is written without a sign ("-0.000" reads as an error)
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def frame_html(
    frame: pd.DataFrame,
    *,
    decimals: int | Mapping[Any, int] = 2,
    percent: Sequence[Any] = (),
    labels: Mapping[Any, str] | None = None,
    index: bool = True,
    caption: str | None = None,
    highlight: Callable[[Any], bool] | None = None,
    relabel_values: bool = False,
) -> str:
    """Render a DataFrame as an HTML table with thousands separators.

    Parameters
    ----------
    frame : DataFrame
        Not modified.
    decimals : int or mapping, default 2
        Decimals for float columns (integer-valued columns get none); a mapping sets them
        per column (unlisted columns use 2, or 0 when integer-valued).
    percent : sequence
        Columns holding shares, shown as percents.
    labels : mapping, optional
        Display names for columns; the other headers and the index labels go through the
        report's label map (:func:`migflows.reports.labels.label`: variable names with
        units, region names instead of keys).
    index : bool, default True
        Show the index.
    caption : str, optional
        Table caption (escaped).
    highlight : callable, optional
        Called with each index label; rows where it returns True are highlighted.
    relabel_values : bool, default False
        Also relabel the text cells (variable names and region keys inside them, e.g. a
        table of tests whose ``term`` column holds ``log_rel_income``).

    Returns
    -------
    str
        An escaped ``<table>`` inside a scrollable wrapper.
    """
    table = _relabel(frame.copy())
    if relabel_values:
        for column in table.columns:
            if pd.api.types.is_object_dtype(table[column]) or pd.api.types.is_string_dtype(
                table[column]
            ):
                table[column] = table[column].map(
                    lambda v: relabel_text(v) if isinstance(v, str) else v
                )
    # One header row: the column-axis name (e.g. "year") joins the index name in the corner.
    if index and table.index.nlevels == 1 and table.columns.nlevels == 1:
        names = [n for n in (table.index.name, table.columns.name) if n is not None]
        table.index.name = None
        table.columns.name = " \\ ".join(map(str, names)) if names else None
    formatters: dict[Any, Callable[[Any], str]] = {}
    text_columns: list[int] = []
    for position, column in enumerate(table.columns):
        series = table[column]
        if pd.api.types.is_bool_dtype(series):
            formatters[column] = lambda v: fmt_number(v)
        elif not pd.api.types.is_numeric_dtype(series) and not _numeric_text(series):
            text_columns.append(position)
        if pd.api.types.is_bool_dtype(series):
            pass
        elif pd.api.types.is_numeric_dtype(series):
            finite = series[pd.notna(series) & series.abs().ne(float("inf"))]
            whole = bool(len(finite)) and bool((finite.astype(float) % 1 == 0).all())
            if isinstance(decimals, Mapping):
                d = decimals.get(column, 0 if whole else 2)
            else:
                d = 0 if whole and column not in percent else decimals
            formatters[column] = _formatter(d, column in percent)
    labels = labels or {}
    rename = {c: labels.get(c, c if isinstance(c, tuple) else str(label(c))) for c in table.columns}
    if rename:
        formatters = {rename[c]: f for c, f in formatters.items()}
        table = table.rename(columns=rename)
    body = table.to_html(
        formatters=cast(Any, formatters),
        na_rep=DASH,
        escape=True,
        index=index,
        border=0,
        classes="tbl",
        justify="right",
        # Repeat outer index labels when columns are aligned by position (nth-child rules).
        sparsify=not text_columns,
    )
    if highlight is not None:
        body = _highlight_rows(body, list(table.index), highlight)
    head = f"<div class='caption'>{esc(caption)}</div>" if caption else ""
    style = ""
    if text_columns:
        # Text columns read better left-aligned and wrapped; scope the rule to this table.
        global _TABLE_COUNTER
        _TABLE_COUNTER += 1
        ident = f"t{_TABLE_COUNTER}"
        offset = table.index.nlevels if index else 0
        rules = ",".join(
            f"#{ident} td:nth-child({offset + p + 1}),#{ident} thead th:nth-child({offset + p + 1})"
            for p in text_columns
        )
        style = f"<style>{rules}{{text-align:left;white-space:normal;min-width:90px}}</style>"
        body = body.replace("<table ", f"<table id='{ident}' ", 1)
    return f"{head}{style}<div class='tblwrap'>{body}</div>"


_TABLE_COUNTER = 0


def _relabel(table: pd.DataFrame) -> pd.DataFrame:
    """Index labels and axis names through the label map (column labels are done later)."""

    def names(axis: pd.Index) -> list[Any]:
        return [label(n) for n in axis.names]

    def textual(axis: pd.Index) -> bool:
        return pd.api.types.is_object_dtype(axis) or pd.api.types.is_string_dtype(axis)

    def levels(axis: pd.MultiIndex) -> list[Any]:
        return [list(lvl.map(label)) if textual(lvl) else list(lvl) for lvl in axis.levels]

    if isinstance(table.index, pd.MultiIndex):
        table.index = table.index.set_levels(levels(table.index))
    elif textual(table.index):
        table.index = table.index.map(label)
    if isinstance(table.columns, pd.MultiIndex):
        table.columns = table.columns.set_levels(levels(table.columns))
    table.index.names = names(table.index)
    table.columns.names = names(table.columns)
    return table


_NUMBER_TEXT = re.compile(r"^\s*(-?[\d,]+(\.\d+)?%?|[–∞-]|-∞)?\s*$")


def _numeric_text(series: pd.Series) -> bool:
    """True when a text column holds numbers already formatted (keep them right-aligned)."""
    values = series.dropna().astype(str)
    return bool(len(values)) and bool(values.map(lambda v: bool(_NUMBER_TEXT.match(v))).all())


def _formatter(decimals: int, percent: bool) -> Callable[[Any], str]:
    def fmt(value: Any) -> str:
        return fmt_number(value, decimals, percent=percent)

    return fmt


def _highlight_rows(body: str, index: list[Any], highlight: Callable[[Any], bool]) -> str:
    # pandas writes one "<tr>" per body row, in index order, after the header's </thead>.
    head, sep, rest = body.partition("<tbody>")
    if not sep:
        return body
    parts = rest.split("<tr>")
    for i, row_label in enumerate(index, start=1):
        if i < len(parts) and highlight(row_label):
            parts[i] = "<tr class='flag'>" + parts[i]
        elif i < len(parts):
            parts[i] = "<tr>" + parts[i]
    return head + sep + parts[0] + "".join(parts[1:])


def kv_html(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column key/value table of escaped text."""
    cells = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f"<div class='tblwrap'><table class='tbl kv'>{cells}</table></div>"


def figure_html(fig: Figure, *, alt: str, caption: str | None = None, dpi: int = 100) -> str:
    """Embed a figure as a base64 PNG ``<img>`` (no external file) with an optional caption."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f"<figure><img alt='{esc(alt)}' src='data:image/png;base64,{data}'>{cap}</figure>"
