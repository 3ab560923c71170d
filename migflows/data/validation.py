"""Validation of user tables at the public boundary.

Each check raises a named exception from :mod:`migflows.errors` whose message names the
column, the first offending values and their count, and says how to fix the input.
Internals trust the validated frames these functions return.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Literal, cast

import numpy as np
import pandas as pd

from migflows.errors import (
    DroppedRowsWarning,
    DuplicateFlowError,
    DuplicateKeyError,
    InputTypeError,
    InvalidDistanceError,
    InvalidOptionError,
    MissingColumnError,
    MissingRegionError,
    MissingValueError,
    NegativeFlowError,
    NonNumericError,
    RegionCodeError,
    SelfFlowError,
    YearRangeError,
    format_values,
)

SelfFlows = Literal["error", "drop", "keep"]
Duplicates = Literal["error", "sum"]
Missing = Literal["error", "drop"]

FLOW_COLUMNS = ["origin", "destination", "year", "flow"]


def integer_counts(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` as int64 when all its values are whole numbers.

    Counts of persons are stored as floats (a user's table may hold fractional or missing
    flows, and the estimators compute in floats); the tables a user reads show them as
    integers (``161``, not ``161.0``). A column with a fraction or a missing value stays
    float. ``frame`` is changed in place and returned (pass a copy).

    Examples
    --------
    >>> df = pd.DataFrame({"flow": [161.0, 47.0], "rate": [0.5, 1.0], "x": [1.5, 2.0]})
    >>> integer_counts(df, ["flow", "x", "absent"]).dtypes.tolist()
    [dtype('int64'), dtype('float64'), dtype('float64')]
    """
    for column in columns:
        if column not in frame.columns or not pd.api.types.is_float_dtype(frame[column]):
            continue
        values = frame[column].to_numpy()
        whole = len(values) and np.isfinite(values).all() and (values == np.round(values)).all()
        if whole and np.abs(values).max() < 2**53:
            frame[column] = values.astype(np.int64)
    return frame


def check_option(name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise :class:`InvalidOptionError` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise InvalidOptionError(
            f"{name}={value!r} is not allowed; use one of {format_values(allowed, limit=20)}."
        )


def require_columns(frame: pd.DataFrame, columns: dict[str, str], table: str) -> None:
    """Check that every column named by the user exists in ``frame``.

    ``columns`` maps the argument name (``origin=``) to the column it names.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputTypeError(f"{table} must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = {arg: col for arg, col in columns.items() if col not in frame.columns}
    if missing:
        detail = ", ".join(f"{arg}={col!r}" for arg, col in missing.items())
        raise MissingColumnError(
            f"The {table} table has no column named by {detail}. Available columns: "
            f"{format_values(map(str, frame.columns), limit=12)}. Pass the right names, e.g. "
            f"FlowPanel.from_frame(df, origin='from', destination='to', year='year', flow='n')."
        )


def to_numeric(series: pd.Series, column: str, table: str) -> pd.Series:
    """Convert to float, raising :class:`NonNumericError` for values that are not numbers."""
    if pd.api.types.is_bool_dtype(series):
        raise NonNumericError(
            f"Column {column!r} of the {table} table is boolean; it must hold numbers."
        )
    converted = pd.to_numeric(series, errors="coerce")
    bad = converted.isna() & series.notna()
    if bad.any():
        values = series[bad]
        raise NonNumericError(
            f"Column {column!r} of the {table} table holds {int(bad.sum())} value(s) that are not "
            f"numbers: {format_values(values.unique())}. Clean them (e.g. remove thousands "
            f"separators or footnote marks) or convert with pandas.to_numeric before building."
        )
    return converted.astype("float64")


def to_years(series: pd.Series, column: str, table: str, valid: tuple[int, int]) -> pd.Series:
    """Convert a year column to int64, checking integrality and the allowed range."""
    numeric = to_numeric(series, column, table)
    if numeric.isna().any():
        raise MissingValueError(
            f"Column {column!r} of the {table} table has {int(numeric.isna().sum())} missing "
            f"year(s); every row needs a year."
        )
    frac = numeric[numeric != np.round(numeric)]
    if len(frac):
        raise YearRangeError(
            f"Column {column!r} of the {table} table holds {len(frac)} non-integer year(s): "
            f"{format_values(frac.unique())}. Years must be whole numbers such as 2021."
        )
    lo, hi = valid
    out = numeric[(numeric < lo) | (numeric > hi)]
    if len(out):
        raise YearRangeError(
            f"Column {column!r} of the {table} table holds {len(out)} year(s) outside "
            f"{lo}–{hi}: {format_values(sorted(out.astype(int).unique()))}. Fix the years or "
            f"widen the range with valid_years=(first, last)."
        )
    return numeric.astype("int64")


def to_keys(series: pd.Series, column: str, table: str) -> pd.Series:
    """Convert region codes to strings, refusing missing, empty and ambiguous codes.

    Whole-number codes are written without a decimal part (``1`` and ``1.0`` are the same
    code ``'1'``); a column that mixes a number and a text spelling of the same code (``1``
    and ``'1'``) is refused rather than merged silently. Any Unicode key stays as given.
    """
    if series.isna().any():
        raise MissingValueError(
            f"Column {column!r} of the {table} table has {int(series.isna().sum())} missing "
            f"region code(s) (rows {format_values(series.index[series.isna()])}). Every row "
            f"needs a region code."
        )
    values = series.to_numpy(dtype=object)
    is_num = np.array(
        [isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)
         for x in values],
        dtype=bool,
    )  # fmt: skip
    text = np.array([_key_text(x) for x in values], dtype=object)
    if is_num.any() and not is_num.all():
        num_keys, str_keys = set(text[is_num]), set(text[~is_num])
        both = sorted(num_keys & {str(k).strip() for k in str_keys})
        if both:
            raise RegionCodeError(
                f"Column {column!r} of the {table} table holds {len(both)} region code(s) both "
                f"as a number and as text: {format_values(both)}. Convert the column to one "
                f"type first (e.g. df[{column!r}].astype(str))."
            )
    blank = np.array([str(x).strip() == "" for x in text], dtype=bool)
    if blank.any():
        raise RegionCodeError(
            f"Column {column!r} of the {table} table has {int(blank.sum())} empty region "
            f"code(s) (rows {format_values(series.index[blank])}). Every row needs a "
            f"non-empty region code."
        )
    return pd.Series(text, index=series.index, dtype=object).astype(str)


def _key_text(value: object) -> str:
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    return str(value)


def _canonical(key: str) -> str:
    # Letters and digits of every script count (Cyrillic, Kazakh ...); case, spaces,
    # punctuation and underscores do not.
    return re.sub(r"[\W_]+", "", key.casefold())


def check_code_consistency(keys: pd.Index | Sequence[str], table: str) -> None:
    """Refuse region codes that differ only by case, spaces or punctuation.

    ``'Astana'`` next to ``'astana '`` is almost always one region spelt two ways; keeping both
    would split its flows silently.
    """
    groups: dict[str, set[str]] = {}
    for key in keys:
        groups.setdefault(_canonical(str(key)), set()).add(str(key))
    clashes = [tuple(sorted(v)) for v in groups.values() if len(v) > 1]
    if clashes:
        raise RegionCodeError(
            f"The {table} table spells {len(clashes)} region(s) in more than one way: "
            f"{format_values(clashes)}. Map them to one code each (e.g. with "
            f"df.replace({{'origin': mapping, 'destination': mapping}})) before building."
        )


def validate_flows(
    frame: pd.DataFrame,
    *,
    origin: str,
    destination: str,
    year: str,
    flow: str,
    self_flows: SelfFlows,
    duplicates: Duplicates,
    missing: Missing,
    valid_years: tuple[int, int],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Validate a long flow table.

    Returns
    -------
    flows : DataFrame
        Canonical columns ``origin, destination, year, flow``, sorted, off-diagonal.
    intra : DataFrame
        Rows with origin == destination when ``self_flows="keep"`` (else empty).
    dropped : DataFrame
        Rows removed under a documented option, with the original columns and a ``reason``.
    """
    check_option("self_flows", self_flows, ("error", "drop", "keep"))
    check_option("duplicates", duplicates, ("error", "sum"))
    check_option("missing", missing, ("error", "drop"))
    require_columns(
        frame,
        {"origin": origin, "destination": destination, "year": year, "flow": flow},
        "flows",
    )
    if len({origin, destination, year, flow}) < 4:
        raise InvalidOptionError(
            f"origin, destination, year and flow must name four different columns; got "
            f"{origin!r}, {destination!r}, {year!r}, {flow!r}."
        )
    if len(frame) == 0:
        raise MissingValueError("The flows table is empty; there is nothing to build a panel from.")
    dropped: list[pd.DataFrame] = []
    raw = frame[[origin, destination, year, flow]]
    values = to_numeric(raw[flow], flow, "flows")
    nan_rows = values.isna()
    if nan_rows.any():
        if missing == "error":
            raise MissingValueError(
                f"Column {flow!r} has {int(nan_rows.sum())} missing flow(s), e.g. at "
                f"{format_values(_row_keys(raw[nan_rows], origin, destination, year))}. "
                f"Fill them (0 if no one moved) or pass missing='drop' to drop them with a warning."
            )
        dropped.append(raw[nan_rows].assign(reason="missing flow"))
    inf = np.isinf(values)
    if inf.any():
        raise NonNumericError(
            f"Column {flow!r} has {int(inf.sum())} infinite flow(s) at "
            f"{format_values(_row_keys(raw[inf], origin, destination, year))}. Flows count "
            f"persons and must be finite; fix or drop those rows."
        )
    neg = values < 0
    if neg.any():
        raise NegativeFlowError(
            f"Column {flow!r} has {int(neg.sum())} negative flow(s): "
            f"{format_values(values[neg].unique())} at "
            f"{format_values(_row_keys(raw[neg], origin, destination, year))}. Flows count "
            f"persons and must be zero or positive; net balances belong in the region table."
        )
    keep = ~nan_rows
    out = pd.DataFrame(
        {
            "origin": to_keys(raw[origin], origin, "flows"),
            "destination": to_keys(raw[destination], destination, "flows"),
            "year": to_years(raw[year], year, "flows", valid_years),
            "flow": values,
        }
    )[keep.to_numpy()]
    check_code_consistency(pd.Index(out["origin"]).union(pd.Index(out["destination"])), "flows")

    self_rows = out["origin"] == out["destination"]
    intra = out[self_rows].reset_index(drop=True)
    if self_rows.any():
        if self_flows == "error":
            regions = sorted(out.loc[self_rows, "origin"].unique())
            raise SelfFlowError(
                f"{int(self_rows.sum())} row(s) have origin equal to destination (regions "
                f"{format_values(regions)}). Inter-regional models need off-diagonal flows: pass "
                f"self_flows='keep' to keep them apart as intra-regional moves (panel.intra) or "
                f"self_flows='drop' to drop them with a warning."
            )
        if self_flows == "drop":
            dropped.append(raw[keep.to_numpy()][self_rows.to_numpy()].assign(reason="self-flow"))
            intra = intra.iloc[0:0]
        out = out[~self_rows]

    dup = out.duplicated(["origin", "destination", "year"], keep=False)
    if dup.any():
        if duplicates == "error":
            keys = out.loc[dup, ["origin", "destination", "year"]].drop_duplicates()
            raise DuplicateFlowError(
                f"{int(dup.sum())} rows repeat {len(keys)} (origin, destination, year) "
                f"combination(s): {format_values(map(tuple, keys.to_numpy()))}. Remove the "
                f"duplicates, or pass duplicates='sum' to add them up (with a warning)."
            )
        warnings.warn(
            f"{int(dup.sum())} rows repeat "
            f"{int(out[dup].groupby(['origin', 'destination', 'year']).ngroups)} "
            f"(origin, destination, year) combinations; their flows were summed "
            f"(duplicates='sum').",
            DroppedRowsWarning,
            stacklevel=3,
        )
        out = out.groupby(["origin", "destination", "year"], sort=False)["flow"].sum().reset_index()
    dropped_frame = (
        pd.concat(dropped, ignore_index=True)
        if dropped
        else pd.DataFrame(columns=[origin, destination, year, flow, "reason"])
    )
    if len(dropped_frame):
        counts = dropped_frame["reason"].value_counts()
        detail = ", ".join(f"{n} {reason}" for reason, n in counts.items())
        warnings.warn(
            f"Dropped {len(dropped_frame)} flow row(s) ({detail}); see panel.dropped.",
            DroppedRowsWarning,
            stacklevel=3,
        )
    out = out.sort_values(["year", "origin", "destination"], kind="stable").reset_index(drop=True)
    return out, intra, dropped_frame


def _row_keys(frame: pd.DataFrame, origin: str, destination: str, year: str) -> list[tuple]:
    return [tuple(r) for r in frame[[origin, destination, year]].itertuples(index=False)]


def validate_regions(
    frame: pd.DataFrame,
    *,
    region: str,
    year: str,
    valid_years: tuple[int, int],
) -> pd.DataFrame:
    """Validate a region-year attribute table; return it indexed by (region, year), numeric."""
    if isinstance(frame.index, pd.MultiIndex) and region not in frame.columns:
        frame = frame.reset_index()
    require_columns(frame, {"region": region, "year": year}, "regions")
    keys = pd.DataFrame(
        {
            "region": to_keys(frame[region], region, "regions"),
            "year": to_years(frame[year], year, "regions", valid_years),
        }
    )
    check_code_consistency(pd.Index(keys["region"].unique()), "regions")
    dup = keys.duplicated(keep=False)
    if dup.any():
        pairs = keys[dup].drop_duplicates()
        raise DuplicateKeyError(
            f"The regions table repeats {len(pairs)} (region, year) combination(s): "
            f"{format_values(map(tuple, pairs.to_numpy()))}. Keep one row per region and year."
        )
    attrs = {}
    for col in frame.columns:
        if col in (region, year):
            continue
        attrs[str(col)] = to_numeric(frame[col], str(col), "regions").to_numpy()
    out = pd.DataFrame(attrs, index=pd.MultiIndex.from_frame(keys))
    return out.sort_index()


def validate_coords(frame: pd.DataFrame, *, region: str = "region") -> pd.DataFrame:
    """Validate coordinates (``lat``, ``lon`` in degrees); return them indexed by region."""
    if region not in frame.columns and frame.index.name == region:
        frame = frame.reset_index()
    require_columns(frame, {"region": region, "lat": "lat", "lon": "lon"}, "coords")
    keys = to_keys(frame[region], region, "coords")
    if keys.duplicated().any():
        raise DuplicateKeyError(
            f"The coords table repeats region(s) {format_values(keys[keys.duplicated()].unique())};"
            f" give one admin centre per region."
        )
    lat = to_numeric(frame["lat"], "lat", "coords")
    lon = to_numeric(frame["lon"], "lon", "coords")
    bad = lat.isna() | lon.isna() | (lat.abs() > 90) | (lon.abs() > 180)
    if bad.any():
        raise InvalidDistanceError(
            f"{int(bad.sum())} region(s) have missing or impossible coordinates "
            f"(lat must be within ±90, lon within ±180): {format_values(keys[bad])}."
        )
    extra = frame.drop(columns=[region, "lat", "lon"]).set_axis(keys.to_numpy(), axis=0)
    out = pd.DataFrame({"lat": lat.to_numpy(), "lon": lon.to_numpy()}, index=keys.to_numpy())
    out = out.join(extra)
    out.index.name = "region"
    return out.sort_index()


def check_distinct_coords(coords: pd.DataFrame) -> None:
    """Refuse two regions at identical coordinates (their distance would be 0)."""
    same = coords[["lat", "lon"]].duplicated(keep=False)
    if same.any():
        raise InvalidDistanceError(
            f"{int(same.sum())} region(s) share identical coordinates: "
            f"{format_values(coords.index[same.to_numpy()])}. Distinct regions need distinct "
            f"admin centres (their distance would be 0 and log(distance) undefined)."
        )


def validate_distances(frame: pd.DataFrame, regions: Sequence[str]) -> pd.DataFrame:
    """Validate a pairwise distance table (long or square); return it long.

    The result has columns ``origin, destination, distance``.

    A square table (index = origins, columns = destinations) is accepted. Where only one
    direction of a pair is given, the other is taken to be equal (distances are symmetric).
    """
    if {"origin", "destination", "distance"}.issubset(frame.columns):
        long = frame[["origin", "destination", "distance"]].copy()
    else:
        square = frame.copy()
        square.index = square.index.astype(str)
        square.columns = square.columns.astype(str)
        stacked = cast(pd.Series, square.stack())
        long = stacked.rename_axis(["origin", "destination"]).reset_index(name="distance")
    long["origin"] = to_keys(long["origin"], "origin", "distances")
    long["destination"] = to_keys(long["destination"], "destination", "distances")
    long["distance"] = to_numeric(long["distance"], "distance", "distances")
    long = long[long["origin"] != long["destination"]]
    if long.duplicated(["origin", "destination"]).any():
        dups = long.loc[long.duplicated(["origin", "destination"]), ["origin", "destination"]]
        raise DuplicateKeyError(
            f"The distances table repeats {len(dups)} pair(s): "
            f"{format_values(map(tuple, dups.to_numpy()))}. Give one distance per pair."
        )
    bad = ~np.isfinite(long["distance"]) | (long["distance"] <= 0)
    if bad.any():
        rows = long[bad]
        raise InvalidDistanceError(
            f"{int(bad.sum())} distance(s) are zero, negative or missing for distinct regions: "
            f"{format_values([(o, d, v) for o, d, v in rows.itertuples(index=False)])}. "
            f"Distances must be positive (km); log(distance) is undefined otherwise."
        )
    reverse = long.rename(columns={"origin": "destination", "destination": "origin"})
    both = pd.concat([long, reverse], ignore_index=True).drop_duplicates(
        ["origin", "destination"], keep="first"
    )
    need = pd.MultiIndex.from_tuples(
        [(o, d) for o in regions for d in regions if o != d], names=["origin", "destination"]
    )
    have = pd.MultiIndex.from_frame(both[["origin", "destination"]])
    lacking = need.difference(have)
    if len(lacking):
        raise MissingRegionError(
            f"The distances table lacks {len(lacking)} pair(s) of regions present in the flows: "
            f"{format_values(list(lacking))}. Provide them, or pass coords= (lat/lon) so "
            f"great-circle distances are computed."
        )
    return both.sort_values(["origin", "destination"]).reset_index(drop=True)
