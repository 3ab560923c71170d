"""Every problem of a raw long flow table at once, before validation stops at the first.

:meth:`FlowPanel.from_frame` refuses a table at its first violation, with a message that says
how to fix it; that is right for code, but someone checking a file wants the whole list.
:func:`audit_flows` scans the raw columns and returns one row per kind of problem (with the
count, examples and the option that handles it), including what validation accepts but a
planner should know: fractional flows and origin-destination cells absent from a year.

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({"origin": ["a", "a", "b", "b"], "destination": ["b", "b", "a", "a"],
...                     "year": [2020, 2020, 2020, 2021], "flow": [3, 2.5, None, 4]})
>>> audit_flows(raw)["problem"].tolist()
['missing flow', 'fractional flow', 'duplicate row', 'missing OD cell']
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from migflows.errors import format_values

__all__ = ["AUDIT_COLUMNS", "audit_flows"]

AUDIT_COLUMNS = ("problem", "severity", "rows", "examples", "fix")


def _examples(frame: pd.DataFrame, cols: Iterable[str], limit: int = 3) -> str:
    rows = [tuple(r) for r in frame[list(cols)].head(limit).itertuples(index=False)]
    text = format_values(rows, limit=limit)
    return text if len(frame) <= limit else f"{text} …"


def audit_flows(
    frame: pd.DataFrame,
    *,
    origin: str = "origin",
    destination: str = "destination",
    year: str = "year",
    flow: str = "flow",
) -> pd.DataFrame:
    """List every problem of a long flow table, one row per kind.

    Parameters
    ----------
    frame : DataFrame
        The table as read from the file (not modified).
    origin, destination, year, flow : str
        Column names.

    Returns
    -------
    DataFrame
        Columns ``problem``, ``severity`` (``"error"``: the panel cannot be built as is;
        ``"warning"``: it can, but the numbers deserve a look), ``rows`` (how many),
        ``examples`` and ``fix`` (the option of :meth:`FlowPanel.from_frame` that handles it,
        or what to do). Empty when nothing was found.
    """
    found: list[tuple[str, str, int, str, str]] = []
    cols = [origin, destination, year, flow]
    absent = [c for c in cols if c not in frame.columns]
    if absent:
        found.append((
            "missing column", "error", len(absent), format_values(absent),
            f"name the columns (origin=, destination=, year=, flow=); the file has "
            f"{format_values(list(map(str, frame.columns)))}",
        ))  # fmt: skip
        return pd.DataFrame(found, columns=list(AUDIT_COLUMNS))
    keys = [origin, destination, year]
    raw = frame[cols]
    values = pd.to_numeric(raw[flow], errors="coerce")
    text = values.isna() & raw[flow].notna()
    if text.any():
        found.append((
            "non-numeric flow", "error", int(text.sum()),
            format_values(raw.loc[text, flow].astype(str).unique(), limit=3),
            "correct the cells (numbers only, no thousands separators)",
        ))  # fmt: skip
    nan = raw[flow].isna()
    if nan.any():
        found.append((
            "missing flow", "error", int(nan.sum()), _examples(raw[nan], keys),
            "fill them (0 if no one moved) or missing='drop'",
        ))  # fmt: skip
    neg = values < 0
    if neg.any():
        found.append((
            "negative flow", "error", int(neg.sum()), _examples(raw[neg], cols),
            "flows count persons: correct the cells (net balances belong elsewhere)",
        ))  # fmt: skip
    frac = values.notna() & (values != np.round(values))
    if frac.any():
        found.append((
            "fractional flow", "warning", int(frac.sum()), _examples(raw[frac], cols),
            "flows count persons: check whether the table holds estimates or thousands",
        ))  # fmt: skip
    years = pd.to_numeric(raw[year], errors="coerce")
    bad_year = years.isna() | (years != np.round(years))
    if bad_year.any():
        found.append((
            "invalid year", "error", int(bad_year.sum()),
            format_values(raw.loc[bad_year, year].astype(str).unique(), limit=3),
            "years must be whole numbers",
        ))  # fmt: skip
    blank = raw[origin].isna() | raw[destination].isna()
    blank |= raw[origin].astype(str).str.strip().eq("") | raw[destination].astype(
        str
    ).str.strip().eq("")
    if blank.any():
        found.append((
            "blank region", "error", int(blank.sum()), _examples(raw[blank], keys),
            "fill the origin and destination of every row",
        ))  # fmt: skip
    labelled = raw[~blank]
    self_rows = labelled[origin].astype(str) == labelled[destination].astype(str)
    if self_rows.any():
        found.append((
            "self-flow", "error", int(self_rows.sum()), _examples(labelled[self_rows], keys),
            "self_flows='keep' (intra-regional moves) or self_flows='drop'",
        ))  # fmt: skip
    dup = labelled.duplicated(keys, keep=False)
    if dup.any():
        found.append((
            "duplicate row", "error", int(dup.sum()),
            _examples(labelled[dup].drop_duplicates(keys), keys),
            "remove the repeats or duplicates='sum'",
        ))  # fmt: skip
    cells = labelled[~self_rows].drop_duplicates(keys)
    missing_cells = []
    for y, sub in cells.groupby(year, sort=True):
        regions = sorted(set(sub[origin].astype(str)) | set(sub[destination].astype(str)))
        have = set(zip(sub[origin].astype(str), sub[destination].astype(str), strict=True))
        missing_cells += [
            (o, d, y) for o in regions for d in regions if o != d and (o, d) not in have
        ]
    if missing_cells:
        found.append((
            "missing OD cell", "warning", len(missing_cells),
            format_values(missing_cells[:3], limit=3) + (" …" if len(missing_cells) > 3 else ""),
            "add the rows (0 if no one moved) or fill_zeros=True to read absent pairs as "
            "zero flows",
        ))  # fmt: skip
    return pd.DataFrame(found, columns=list(AUDIT_COLUMNS))
