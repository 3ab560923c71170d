"""Input checks and matrix helpers shared by the descriptive migration indices.

The indices take a *canonical long flow table* (columns ``origin``, ``destination``, ``year``,
``flow``) and, where needed, a population :class:`pandas.Series` indexed by ``(region, year)``.
These helpers validate both at the public boundary (raising the named exceptions of
:mod:`migflows.errors`) and turn one year of flows into a square origin-destination matrix.
They never modify what the caller passed.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from migflows.errors import (
    DataValidationError,
    DuplicateFlowError,
    InputTypeError,
    MissingColumnError,
    MissingRegionError,
    MissingValueError,
    NegativeFlowError,
    NonNumericError,
    YearRangeError,
    format_values,
)

FLOW_COLUMNS = ("origin", "destination", "year", "flow")


def check_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Validate a canonical long flow table and return a clean copy of its four columns.

    Parameters
    ----------
    flows : DataFrame
        Columns ``origin``, ``destination``, ``year``, ``flow`` (other columns are ignored).
        Rows with ``origin == destination`` (intra-regional moves) are allowed.

    Returns
    -------
    DataFrame
        A new frame with exactly the four canonical columns, ``flow`` as float64.

    Raises
    ------
    MissingColumnError
        A canonical column is absent.
    NonNumericError, MissingValueError, NegativeFlowError, DuplicateFlowError
        Flows that are not numbers, an empty table, missing keys or flows, negative flows,
        or repeated ``(origin, destination, year)`` rows.
    """
    if not isinstance(flows, pd.DataFrame):
        raise InputTypeError(
            f"flows must be a pandas DataFrame with columns {', '.join(FLOW_COLUMNS)}; "
            f"got {type(flows).__name__}."
        )
    missing = [c for c in FLOW_COLUMNS if c not in flows.columns]
    if missing:
        raise MissingColumnError(
            f"The flows table lacks column(s) {format_values(missing)}; it has "
            f"{format_values(map(str, flows.columns), limit=12)}. Rename your columns, e.g. "
            f"flows.rename(columns={{'from': 'origin', 'to': 'destination', 'n': 'flow'}})."
        )
    if len(flows) == 0:
        raise MissingValueError("The flows table is empty; there is nothing to describe.")
    out = flows.loc[:, list(FLOW_COLUMNS)].copy()
    values = out["flow"]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise NonNumericError(
            f"Column 'flow' must hold numbers (persons); it has dtype {values.dtype}. Convert "
            f"it with pandas.to_numeric after removing separators or footnote marks."
        )
    for column in FLOW_COLUMNS:
        bad = out[column].isna()
        if bad.any():
            raise MissingValueError(
                f"Column {column!r} of the flows table has {int(bad.sum())} missing value(s) "
                f"(rows {format_values(out.index[bad])}). Fill them (a flow of 0 if no one "
                f"moved) or drop those rows before computing indices."
            )
    out["flow"] = values.astype("float64")
    negative = out["flow"] < 0
    if negative.any():
        rows = out.loc[negative, ["origin", "destination", "year"]]
        raise NegativeFlowError(
            f"Column 'flow' has {int(negative.sum())} negative flow(s): "
            f"{format_values(out.loc[negative, 'flow'].unique())} at "
            f"{format_values(map(tuple, rows.to_numpy()))}. Flows count persons and must be "
            f"zero or positive."
        )
    duplicated = out.duplicated(["origin", "destination", "year"], keep=False)
    if duplicated.any():
        keys = out.loc[duplicated, ["origin", "destination", "year"]].drop_duplicates()
        raise DuplicateFlowError(
            f"{int(duplicated.sum())} rows repeat {len(keys)} (origin, destination, year) "
            f"combination(s): {format_values(map(tuple, keys.to_numpy()))}. Keep one row per "
            f"combination, e.g. flows.groupby(['origin', 'destination', 'year'], "
            f"as_index=False)['flow'].sum()."
        )
    return out.reset_index(drop=True)


def check_population(population: pd.Series) -> pd.Series:
    """Validate a population Series indexed by ``(region, year)``; return a float copy.

    Raises
    ------
    DataValidationError
        Not a Series with a two-level ``(region, year)`` index, or repeated index entries.
    NonNumericError
        Values that are not numbers.
    """
    if not isinstance(population, pd.Series):
        raise InputTypeError(
            f"population must be a pandas Series indexed by (region, year); got "
            f"{type(population).__name__}. From a long table use "
            f"df.set_index(['region', 'year'])['population']."
        )
    names = list(population.index.names)
    if population.index.nlevels != 2 or names != ["region", "year"]:
        raise DataValidationError(
            f"population must be indexed by a MultiIndex named ('region', 'year'); its index "
            f"levels are named {tuple(names)}. Fix with "
            f"population.rename_axis(['region', 'year'])."
        )
    values = population
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise NonNumericError(
            f"population must hold numbers (persons); it has dtype {values.dtype}."
        )
    if population.index.duplicated().any():
        dups = population.index[population.index.duplicated()].unique()
        raise DataValidationError(
            f"population repeats {len(dups)} (region, year) entry(ies): "
            f"{format_values(list(dups))}. Keep one value per region and year."
        )
    return population.astype("float64").copy()


def population_for(population: pd.Series, pairs: pd.MultiIndex, *, purpose: str) -> np.ndarray:
    """Return the populations of the ``(region, year)`` ``pairs``, checking they exist and are > 0.

    Raises
    ------
    MissingRegionError
        Some pairs have no population.
    MissingValueError
        Some of the needed populations are NaN.
    DataValidationError
        Some of the needed populations are zero or negative.
    """
    positions = population.index.get_indexer(pairs)
    absent = positions < 0
    if absent.any():
        lacking = list(pairs[absent])
        raise MissingRegionError(
            f"population lacks {len(lacking)} (region, year) pair(s) that appear in the flows, "
            f"needed for {purpose}: {format_values(lacking)}. Add them, or drop those regions "
            f"from the flows."
        )
    values = population.to_numpy(dtype="float64")[positions]
    if np.isnan(values).any():
        bad = list(pairs[np.isnan(values)])
        raise MissingValueError(
            f"population is missing (NaN) for {len(bad)} (region, year) pair(s) needed for "
            f"{purpose}: {format_values(bad)}."
        )
    if (values <= 0).any():
        bad = list(pairs[values <= 0])
        raise DataValidationError(
            f"population must be positive; it is zero or negative for {len(bad)} "
            f"(region, year) pair(s) needed for {purpose}: {format_values(bad)}."
        )
    return values


def region_year_pairs(regions: pd.Index, year: Hashable) -> pd.MultiIndex:
    """The ``(region, year)`` pairs of one year's regions."""
    return pd.MultiIndex.from_arrays([regions, [year] * len(regions)], names=["region", "year"])


@dataclass(frozen=True)
class YearMatrix:
    """One year of flows as a square origin-destination matrix.

    Attributes
    ----------
    year : hashable
        The year.
    regions : Index
        Regions present in that year's rows (as origin or destination), sorted when sortable.
    matrix : ndarray
        ``matrix[i, j]`` is the flow from ``regions[i]`` to ``regions[j]``; pairs without a row
        are 0; the diagonal holds intra-regional moves (0 when not given).
    """

    year: Hashable
    regions: pd.Index
    matrix: np.ndarray

    @property
    def off_diagonal(self) -> np.ndarray:
        """Copy of the matrix with the diagonal (intra-regional moves) set to zero."""
        m = self.matrix.copy()
        np.fill_diagonal(m, 0.0)
        return m


def _sorted_index(values: pd.Index) -> pd.Index:
    try:
        return values.sort_values()
    except TypeError:  # mixed label types: keep the order of appearance
        return values


def year_matrices(flows: pd.DataFrame) -> Iterator[YearMatrix]:
    """Yield one :class:`YearMatrix` per year of a validated flow table, in year order."""
    for year, rows in flows.groupby("year", sort=True):
        regions = _sorted_index(
            pd.Index(pd.concat([rows["origin"], rows["destination"]], ignore_index=True).unique())
        )
        n = len(regions)
        matrix = np.zeros((n, n))
        i = regions.get_indexer(pd.Index(rows["origin"]))
        j = regions.get_indexer(pd.Index(rows["destination"]))
        matrix[i, j] = rows["flow"].to_numpy()
        yield YearMatrix(year=year, regions=regions, matrix=matrix)


def restrict_year(flows: pd.DataFrame, year: Hashable | None) -> pd.DataFrame:
    """Keep the rows of ``year`` (all rows when ``year`` is None), refusing an absent year."""
    if year is None:
        return flows
    keep = flows["year"] == year
    if not keep.any():
        raise YearRangeError(
            f"year={year!r} is not in the flows; available years: "
            f"{format_values(sorted(flows['year'].unique()), limit=10)}."
        )
    return flows[keep]


def by_year(
    rows: dict[Hashable, dict[str, float]], year: Hashable | None
) -> pd.DataFrame | pd.Series:
    """Assemble per-year results: a DataFrame by year, or one Series when ``year`` is set."""
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "year"
    frame.columns.name = "measure"
    if year is None:
        return frame
    row = frame.iloc[0]
    row.name = year
    return row
