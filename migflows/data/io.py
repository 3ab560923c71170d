"""Readers for OD tables as statistical offices publish them."""

from __future__ import annotations

import io
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
    InputFileError,
    InvalidOptionError,
    NonNumericError,
    RegionCodeError,
    YearRangeError,
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
        frame = source if isinstance(source, pd.DataFrame) else read_table(source, sheet)
        if not isinstance(source, pd.DataFrame) and isinstance(frame, pd.DataFrame):
            frame = _infer_numbers(frame, (year_column, flow))
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
    _check_same_regions(table)
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


def read_table(path: Source | Mapping[int, Source], sheet: str | int | None = 0) -> Any:
    """Read a CSV (dialect and encoding sniffed) or Excel file as text cells.

    Refuses an absent, empty or corrupt file, or an unknown sheet, with
    :class:`~migflows.errors.InputFileError` naming the file; a DataFrame is returned as is.
    """
    if isinstance(path, pd.DataFrame):
        return path
    if isinstance(path, Mapping):
        raise InvalidOptionError("A mapping of years is read one entry at a time.")
    if not isinstance(path, str | PathLike):
        raise InvalidOptionError(
            f"source must be a path, a DataFrame or a mapping of year to those, got "
            f"{type(path).__name__}."
        )
    p = Path(path)
    if not p.is_file():
        what = "a directory" if p.is_dir() else "no file"
        raise InputFileError(f"{p} is {what}; pass the path of a CSV or Excel file.")
    if p.stat().st_size == 0:
        raise InputFileError(f"{p} is empty (0 bytes); export the table again.")
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return _read_excel(p, sheet)
    return read_csv_sniffed(p)


def _infer_numbers(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        if col in out.columns and isinstance(out[col], pd.Series):
            converted = pd.to_numeric(out[col], errors="coerce")
            if not (converted.isna() & (out[col].astype(str).str.strip() != "")).any():
                out[col] = converted
    return out


def _read_excel(p: Path, sheet: str | int | None) -> Any:
    try:
        book = pd.ExcelFile(p)
    except Exception as err:  # openpyxl/xlrd raise many types for a broken workbook
        raise InputFileError(
            f"{p} cannot be read as an Excel workbook ({type(err).__name__}: {err}). Open it "
            f"in a spreadsheet program and save it again as .xlsx, or export it as CSV."
        ) from None
    with book:
        names = list(book.sheet_names)
        if isinstance(sheet, str) and sheet not in names:
            raise InputFileError(
                f"{p} has no sheet named {sheet!r}; its sheets are {format_values(names)}."
            )
        if isinstance(sheet, int) and not 0 <= sheet < len(names):
            raise InputFileError(
                f"{p} has {len(names)} sheet(s); sheet={sheet} is out of range "
                f"(sheets: {format_values(names)})."
            )
        read = pd.read_excel(book, sheet_name=sheet, dtype=object, header=None)
    frames = read if isinstance(read, dict) else {sheet: read}
    out = {name: _header_first_row(frame, p) for name, frame in frames.items()}
    return out if isinstance(read, dict) else out[sheet]


def read_csv_sniffed(p: Path) -> pd.DataFrame:
    r"""Read a CSV as statistical offices write it: any of ``, ; tab |``, UTF-8 (BOM) or cp1251.

    The encoding is tried in the order UTF-8 (with or without BOM), then cp1251 (Cyrillic
    Windows exports); the delimiter is sniffed from the first lines. The first row becomes
    the header as written (repeated labels are kept, not renamed to ``b.1``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "od.csv"
    >>> _ = f.write_bytes("\ufeff;a;b\na;;1\nb;2;\n".encode("utf-8"))
    >>> read_csv_sniffed(f).columns.tolist()
    ['', 'a', 'b']
    """
    raw = p.read_bytes()
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes almost any byte string
        raise InputFileError(f"{p} is neither UTF-8 nor cp1251 text; save it as UTF-8 CSV.")
    if "\x00" in text:
        raise InputFileError(
            f"{p} holds binary data, not CSV text; if it is a workbook give it an .xlsx name."
        )
    lines = [ln for ln in text.splitlines() if ln.strip()][:20]
    if not lines:
        raise InputFileError(f"{p} holds no rows; export the table again.")
    counts = {d: min(ln.count(d) for ln in lines) for d in (";", "\t", "|", ",")}
    sep = max(counts, key=lambda d: (counts[d], d != ","))
    if counts[sep] == 0:
        sep = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=object, keep_default_na=False, sep=sep, header=None
        )
    except pd.errors.ParserError as err:
        raise InputFileError(
            f"{p} is not a regular table with delimiter {sep!r}: {err}. Check that every row "
            f"has the same number of cells."
        ) from None
    return _header_first_row(frame, p)


def _header_first_row(frame: pd.DataFrame, p: Path) -> pd.DataFrame:
    if len(frame) == 0:
        raise InputFileError(f"{p} holds no rows; export the table again.")
    header = ["" if pd.isna(c) else str(c).strip() for c in frame.iloc[0]]
    body = frame.iloc[1:].reset_index(drop=True)
    body.columns = header
    return body


def _whole_year(year: object) -> int:
    try:
        value = float(year)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(year, bool) or not np.isfinite(value) or not value.is_integer():
        raise YearRangeError(f"year={year!r} is not a whole year; pass e.g. year=2023.")
    return int(value)


def _collect_matrices(
    source: Source | Mapping[int, Source], year: int | None, sheet: str | int | None
) -> dict[int, pd.DataFrame]:
    if isinstance(source, Mapping):
        return {_whole_year(y): _one_frame(read_table(s, sheet), y) for y, s in source.items()}
    read = read_table(source, sheet)
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
    return {_whole_year(year): _one_frame(read, year)}


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
    _check_square(frame, year)
    values = frame.map(lambda x: _cell(x, zero_marks, na_marks))
    bad = values.map(lambda x: isinstance(x, str))
    if bad.to_numpy().any():
        cells = [(r, c, values.iat[r, c]) for r, c in zip(*np.nonzero(bad.to_numpy()), strict=True)]
        shown = [(frame.index[r], frame.columns[c], v) for r, c, v in cells]
        raise NonNumericError(
            f"The {year} matrix has {len(shown)} cell(s) that are not numbers: "
            f"{format_values(shown)}. Add their marks to zero_marks or na_marks, or clean them "
            f"(a decimal comma such as '1,5' is refused: flows count persons)."
        )
    stacked = cast(pd.Series, values.astype(float).stack(future_stack=True))
    long = stacked.reset_index()
    long.columns = ["origin", "destination", "flow"]
    long["year"] = int(year)
    # Missing off-diagonal cells are refused (or dropped) by FlowPanel.from_frame(missing=...).
    return long, set(total_rows) | set(total_cols)


def _check_same_regions(table: pd.DataFrame) -> None:
    for year, part in table.groupby("year"):
        rows, cols = set(part["origin"]), set(part["destination"])
        only_rows, only_cols = sorted(rows - cols), sorted(cols - rows)
        if only_rows or only_cols:
            raise RegionCodeError(
                f"The {year} matrix is not square over the same regions: {len(rows)} row(s) "
                f"and {len(cols)} column(s); row label(s) {format_values(only_rows) or 'none'} "
                f"have no column and column label(s) {format_values(only_cols) or 'none'} have "
                f"no row. Fix the spelling so that rows and columns name the same regions."
            )


def _check_square(frame: pd.DataFrame, year: int) -> None:
    rows, cols = pd.Index(frame.index), pd.Index(frame.columns)
    for what, labels in (("row", rows), ("column", cols)):
        if labels.has_duplicates:
            raise RegionCodeError(
                f"The {year} matrix repeats {what} label(s) "
                f"{format_values(sorted(set(labels[labels.duplicated()])))}; each region must "
                f"appear once as a row (origin) and once as a column (destination)."
            )


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
    if re.fullmatch(r"-?\d*,\d+", cleaned):
        return s  # "1,5": a decimal comma in a count of persons is refused, not guessed
    try:
        return float(cleaned)
    except ValueError:
        return s
