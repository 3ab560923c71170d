"""Readers for OD tables as statistical offices publish them."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.data.regions import match_kazakhstan
from migflows.data.validation import check_option
from migflows.errors import (
    DroppedRowsWarning,
    InvalidOptionError,
    NonNumericError,
    RegionCodeError,
    format_values,
)

Source = str | PathLike[str] | pd.DataFrame
TOTAL_LABEL = re.compile(
    r"^\s*(total|all regions|итого|всего|республика казахстан|republic of kazakhstan|"
    r"kazakhstan|казахстан)\b",
    re.IGNORECASE,
)
ZERO_MARKS = ("-", "–", "—")
NA_MARKS = ("…", "...", "x", "X", "", "n/a", "NA")


def read_od_matrix(
    source: Source | Mapping[int, Source],
    *,
    year: int | None = None,
    layout: Literal["matrix", "long"] = "matrix",
    sheet: str | int | None = 0,
    region_names: Literal["kazakhstan"] | Mapping[str, str] | None = None,
    totals: Literal["drop", "error"] = "drop",
    zero_marks: Sequence[str] = ZERO_MARKS,
    na_marks: Sequence[str] = NA_MARKS,
    origin: str = "origin",
    destination: str = "destination",
    year_column: str = "year",
    flow: str = "flow",
    **panel_options: Any,
) -> FlowPanel:
    """Read an origin × destination matrix (or a long table) into a :class:`FlowPanel`.

    Parameters
    ----------
    source : path, DataFrame, or mapping of year to path/DataFrame
        CSV or Excel (``.xlsx``/``.xls``) file, or a frame already read. In the matrix
        layout the first column holds origins and the header row destinations. A mapping
        ``{2021: "od2021.xlsx", 2023: ...}`` reads one matrix per year. An Excel file with
        ``sheet=None`` reads every sheet whose name is a year.
    year : int, optional
        The year of a single matrix (required for one matrix unless ``sheet=None``).
    layout : {"matrix", "long"}
        ``"long"`` reads a table with ``origin``, ``destination``, ``year_column`` and
        ``flow`` columns instead.
    sheet : str, int or None
        Excel sheet (name or position); None reads all year-named sheets.
    region_names : "kazakhstan", mapping, or None
        Translate labels to region keys: ``"kazakhstan"`` recognises the English, Russian
        and Kazakh spellings of BNS tables (:func:`migflows.data.regions.match_kazakhstan`);
        a mapping translates explicitly (labels not in it raise); None keeps labels.
    totals : {"drop", "error"}
        Rows/columns labelled as totals ("Total", "Итого", "Республика Казахстан", …) are
        dropped (reported in a :class:`~migflows.errors.DroppedRowsWarning`) or refused.
    zero_marks, na_marks : sequence of str
        Cell marks meaning zero (BNS uses "-") and not available ("…", "x"). Blank diagonal
        cells are expected and ignored; other missing cells raise unless
        ``missing="drop"`` is passed through ``panel_options``.
    origin, destination, year_column, flow : str
        Column names for ``layout="long"``.
    **panel_options
        Passed to :meth:`FlowPanel.from_frame` (``regions=``, ``coords=``, ``distances=``,
        ``self_flows=``, ``missing=``, ``fill_zeros=`` …). Diagonal cells default to
        ``self_flows="keep"`` (they are intra-regional moves, kept in ``panel.intra``);
        zero or blank diagonals are simply ignored.

    Returns
    -------
    FlowPanel

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"": ["Akmola", "г. Астана", "Итого"], "Akmola": ["", "1 200", 1300],
    ...                   "Astana city": [5400, "-", 5400]})
    >>> p = read_od_matrix(m, year=2023, region_names="kazakhstan")  # doctest: +SKIP
    >>> p.flows  # doctest: +SKIP
    """
    check_option("layout", layout, ("matrix", "long"))
    check_option("totals", totals, ("drop", "error"))
    if layout == "long":
        frame = source if isinstance(source, pd.DataFrame) else _read_table(source, sheet)
        if not isinstance(frame, pd.DataFrame):
            raise InvalidOptionError("layout='long' reads one table; pass a path or DataFrame.")
        if region_names is not None:
            frame = frame.copy()
            for col in (origin, destination):
                if col in frame:
                    frame[col] = frame[col].map(_translator(frame[col].astype(str), region_names))
        return FlowPanel.from_frame(
            frame,
            origin=origin,
            destination=destination,
            year=year_column,
            flow=flow,
            **panel_options,
        )

    matrices = _collect_matrices(source, year, sheet)
    longs, dropped_labels = [], set()
    for yr, mat in matrices.items():
        long, dropped = _matrix_to_long(mat, yr, totals, zero_marks, na_marks)
        longs.append(long)
        dropped_labels |= dropped
    if dropped_labels:
        warnings.warn(
            f"Dropped total row/column label(s) {format_values(sorted(dropped_labels))} from "
            f"the matrix (totals='drop').",
            DroppedRowsWarning,
            stacklevel=2,
        )
    table = pd.concat(longs, ignore_index=True)
    if region_names is not None:
        labels = pd.concat([table["origin"], table["destination"]]).astype(str)
        mapping = _translator(labels, region_names)
        table["origin"] = table["origin"].map(mapping)
        table["destination"] = table["destination"].map(mapping)
    diag = table["origin"] == table["destination"]
    empty_diag = diag & (table["flow"].isna() | (table["flow"] == 0))
    table = table[~empty_diag]
    panel_options.setdefault("self_flows", "keep")
    return FlowPanel.from_frame(table, **panel_options)


def _translator(labels: pd.Series, region_names: str | Mapping[str, str]) -> dict[str, str]:
    unique = list(dict.fromkeys(labels))
    if isinstance(region_names, str):
        if region_names != "kazakhstan":
            raise InvalidOptionError(
                f"region_names={region_names!r} is not known; use 'kazakhstan' or a mapping."
            )
        return match_kazakhstan(unique)
    missing = [lab for lab in unique if lab not in region_names]
    if missing:
        raise RegionCodeError(
            f"{len(missing)} label(s) are not in region_names: {format_values(missing)}. Add "
            f"them to the mapping."
        )
    return {lab: str(region_names[lab]) for lab in unique}


def _read_table(path: Source | Mapping[int, Source], sheet: str | int | None) -> Any:
    if isinstance(path, pd.DataFrame):
        return path
    if isinstance(path, Mapping):
        raise InvalidOptionError("A mapping of years is read one entry at a time.")
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"No file at {p}; check the path.")
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(p, sheet_name=sheet, dtype=object)
    return pd.read_csv(p, dtype=object, keep_default_na=False, sep=None, engine="python")


def _collect_matrices(
    source: Source | Mapping[int, Source], year: int | None, sheet: str | int | None
) -> dict[int, pd.DataFrame]:
    if isinstance(source, Mapping):
        return {int(y): _one_frame(_read_table(s, sheet), y) for y, s in source.items()}
    read = _read_table(source, sheet)
    if isinstance(read, dict):  # every sheet of a workbook
        out = {}
        for name, frame in read.items():
            if re.fullmatch(r"\s*\d{4}\s*", str(name)):
                out[int(str(name))] = frame
        if not out:
            raise InvalidOptionError(
                f"sheet=None reads sheets named by year, but the sheets are "
                f"{format_values(list(read))}; pass sheet= and year=."
            )
        return out
    if year is None:
        raise InvalidOptionError(
            "A single matrix needs year=; e.g. read_od_matrix('od.csv', year=2023)."
        )
    return {int(year): _one_frame(read, year)}


def _one_frame(frame: Any, year: object) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidOptionError(f"The matrix for {year} is not a table.")
    return frame


def _matrix_to_long(
    mat: pd.DataFrame, year: int, totals: str, zero_marks: Sequence[str], na_marks: Sequence[str]
) -> tuple[pd.DataFrame, set[str]]:
    frame = mat.copy()
    frame = frame.set_index(frame.columns[0])
    frame.index = frame.index.map(lambda s: str(s).strip())
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.loc[
        [i not in ("", "nan") for i in frame.index],
        [not c.startswith("Unnamed") and c != "" for c in frame.columns],
    ]
    total_rows = [i for i in frame.index if TOTAL_LABEL.match(i)]
    total_cols = [c for c in frame.columns if TOTAL_LABEL.match(c)]
    if (total_rows or total_cols) and totals == "error":
        raise RegionCodeError(
            f"The {year} matrix has total row/column label(s) "
            f"{format_values(total_rows + total_cols)}; pass totals='drop'."
        )
    frame = frame.drop(index=total_rows, columns=total_cols)
    values = frame.map(lambda x: _cell(x, zero_marks, na_marks))
    bad = values.map(lambda x: isinstance(x, str))
    if bad.to_numpy().any():
        cells = [(r, c, values.iat[r, c]) for r, c in zip(*np.nonzero(bad.to_numpy()), strict=True)]
        shown = [(frame.index[r], frame.columns[c], v) for r, c, v in cells]
        raise NonNumericError(
            f"The {year} matrix has {len(shown)} cell(s) that are not numbers: "
            f"{format_values(shown)}. Add their marks to zero_marks or na_marks, or clean them."
        )
    stacked = cast(pd.Series, values.astype(float).stack(future_stack=True))
    long = stacked.reset_index()
    long.columns = ["origin", "destination", "flow"]
    long["year"] = int(year)
    # Missing off-diagonal cells are refused (or dropped) by FlowPanel.from_frame(missing=...).
    return long, set(total_rows) | set(total_cols)


def _cell(x: object, zero_marks: Sequence[str], na_marks: Sequence[str]) -> object:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return np.nan
    if isinstance(x, int | float | np.integer | np.floating):
        return float(x)
    s = str(x).strip()
    if s in zero_marks:
        return 0.0
    if s in na_marks:
        return np.nan
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", s)
    if re.fullmatch(r"\d{1,3}(,\d{3})+", cleaned):
        cleaned = cleaned.replace(",", "")
    cleaned = cleaned.replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return s
