"""Data frames for reading in Jupyter: numbers without scientific notation, counts as integers.

pandas picks one float format per column, so a table whose columns mix magnitudes (the
transposed :meth:`FlowPanel.indices <migflows.FlowPanel.indices>`: 1.17 next to 16,203,274)
falls back to ``1.620327e+07``. :func:`styled` returns a pandas ``Styler`` that formats each
cell by its own size (:func:`fmt_auto`) and, when asked, relabels headers through the report's
label map; the frame itself is not changed.

Examples
--------
>>> import migflows
>>> ix = migflows.load_kazakhstan(years=[2023]).indices(["intensity"]).T
>>> print(styled(ix).to_string().splitlines()[4])  # doctest: +NORMALIZE_WHITESPACE
intensity_flow_total 472,227
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from migflows.errors import InputTypeError, InvalidOptionError
from migflows.reports.labels import label

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

__all__ = ["fmt_auto", "styled"]

DASH = "–"


def fmt_auto(value: Any, digits: int = 3) -> str:
    """One number in a form that fits its size: ``472,227``, ``391.5``, ``1.172``, ``0.0451``.

    Whole numbers get thousands separators and no decimals; other numbers keep ``digits``
    significant digits (one decimal at least, unless it rounds to zero), never scientific
    notation above 1e-4; values
    closer to zero are written as ``<0.0001`` (a p-value of 8e-81 reads as ``<0.0001``).

    Examples
    --------
    >>> [fmt_auto(v) for v in (472227.0, 391.5287, 1.172238, 0.04509, -1.0571, 8.5e-81, 563.97)]
    ['472,227', '391.5', '1.17', '0.0451', '-1.06', '<0.0001', '564']
    """
    if value is None or value is pd.NA:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return DASH
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    if abs(x) < 1e-4:
        return "<0.0001" if x > 0 else ">-0.0001"
    decimals = max(1, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    # 563.97 to three digits is 564, not "564.0" (which would read as a count stored as float)
    return text.split(".")[0] if set(text.split(".")[1]) == {"0"} else text


def styled(frame: pd.DataFrame, *, digits: int = 3, relabel: bool = False) -> Styler:
    """``frame`` as a pandas Styler with every number formatted by :func:`fmt_auto`.

    Parameters
    ----------
    frame : DataFrame
        Not modified.
    digits : int, default 3
        Significant digits of numbers that are not whole.
    relabel : bool, default False
        Show headers and index labels through the label map (``net_rate`` -> "net
        migration rate (per 1,000)", region keys -> names).

    Returns
    -------
    pandas.io.formats.style.Styler
        Renders as HTML in Jupyter; ``.to_string()`` gives the text.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputTypeError(f"styled() needs a DataFrame, got {type(frame).__name__}.")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 12:
        raise InvalidOptionError(f"digits={digits!r} must be a whole number from 1 to 12.")
    style = frame.style.format(lambda v: fmt_auto(v, digits))
    if relabel:
        style = style.format_index(label, axis=0).format_index(label, axis=1)
    return style
