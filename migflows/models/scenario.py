"""Scenarios for covariate-driven forecasts: :class:`Scenario`.

A scenario says how the drivers of migration differ from the baseline in the forecast
years: wages (multiplicative factors by region and year, 1 = baseline), population
projections (levels by region and year), and shocks to chosen origin–destination flows
(multiplicative factors, e.g. a resettlement programme that doubles moves from the
disposal to the settlement regions). It is validated when it is built and checked against
a panel's regions and the forecast years when a method uses it.

Only covariate-driven methods (the ``gravity`` method) use scenarios; methods that
extrapolate the series themselves (``naive``, ``drift``, ``ets``, ``arima``, ``bayes_ar``,
``ensemble``) raise :class:`~migflows.errors.ModelSpecificationError` when given one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from migflows.errors import (
    DataValidationError,
    DuplicateKeyError,
    InputTypeError,
    MissingColumnError,
    MissingRegionError,
    MissingValueError,
    NonNumericError,
    YearRangeError,
    format_values,
)

__all__ = ["Scenario"]

VALID_YEARS = (1900, 2100)


@dataclass(frozen=True, eq=False)
class Scenario:
    """Covariate paths for forecasts (immutable, validated on construction).

    Parameters
    ----------
    name : str
        Label used in outputs and messages.
    wages : Series or DataFrame, optional
        Multiplicative wage factors relative to the baseline path (1.0 = unchanged, 1.1 =
        10% higher): a Series indexed by (region, year), a long frame with columns
        ``region``, ``year`` and ``factor``, or a wide frame (regions × years). Regions and
        years not given keep factor 1. Must be positive and finite.
    population : Series or DataFrame, optional
        Projected population (persons) by region and year, same shapes as ``wages`` (long
        value column ``population``). Must be positive and finite.
    shocks : DataFrame, optional
        Columns ``origin``, ``destination``, ``factor`` and optionally ``year`` (absent or
        NaN: every forecast year): the predicted flow of the pair is multiplied by
        ``factor`` (>= 0; 0 closes the corridor). Origin and destination must differ.
    description : str
        Free text.

    Raises
    ------
    MissingColumnError, NonNumericError, MissingValueError, DuplicateKeyError,
    YearRangeError, DataValidationError
        With the offending keys and values.

    Examples
    --------
    >>> import pandas as pd
    >>> from migflows.models.scenario import Scenario
    >>> wages = pd.DataFrame({"region": ["turkistan", "turkistan"], "year": [2025, 2026],
    ...                       "factor": [1.05, 1.10]})
    >>> shocks = pd.DataFrame({"origin": ["turkistan"], "destination": ["north_kazakhstan"],
    ...                        "factor": [2.0]})
    >>> s = Scenario("south converges", wages=wages, shocks=shocks)
    >>> s.wage_factors(["turkistan", "almaty_city"], [2025, 2026]).loc["turkistan", 2026]
    np.float64(1.1)
    """

    name: str = "scenario"
    wages: pd.Series | pd.DataFrame | None = None
    population: pd.Series | pd.DataFrame | None = None
    shocks: pd.DataFrame | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise DataValidationError(
                f"Scenario name must be a non-empty string, got {self.name!r}."
            )
        if self.wages is not None:
            object.__setattr__(self, "wages", _region_year(self.wages, "wages", "factor"))
        if self.population is not None:
            object.__setattr__(
                self, "population", _region_year(self.population, "population", "population")
            )
        if self.shocks is not None:
            object.__setattr__(self, "shocks", _shocks(self.shocks))
        if self.wages is None and self.population is None and self.shocks is None:
            raise DataValidationError(
                f"Scenario {self.name!r} changes nothing: give wages, population or shocks."
            )

    # ----------------------------------------------------------------- checks
    @property
    def regions(self) -> list[str]:
        """Every region the scenario mentions."""
        keys: set[str] = set()
        for s in (self.wages, self.population):
            if s is not None:
                keys |= set(s.index.get_level_values("region"))
        if self.shocks is not None:
            keys |= set(self.shocks["origin"]) | set(self.shocks["destination"])
        return sorted(keys)

    @property
    def years(self) -> list[int]:
        """Every year the scenario mentions (shocks without a year apply to all)."""
        yrs: set[int] = set()
        for s in (self.wages, self.population):
            if s is not None:
                yrs |= {int(y) for y in s.index.get_level_values("year")}
        if self.shocks is not None:
            yrs |= {int(y) for y in self.shocks["year"].dropna()}
        return sorted(yrs)

    def check(self, regions: Iterable[str], years: Iterable[int]) -> None:
        """Check the scenario against a panel's regions and the forecast years.

        Raises
        ------
        MissingRegionError
            Regions the panel does not have.
        YearRangeError
            Years outside the forecast years.
        """
        known = set(regions)
        unknown = sorted(set(self.regions) - known)
        if unknown:
            raise MissingRegionError(
                f"Scenario {self.name!r} names {len(unknown)} region(s) the data do not have: "
                f"{format_values(unknown)}. Use the panel's region keys."
            )
        allowed = {int(y) for y in years}
        outside = sorted(set(self.years) - allowed)
        if outside:
            raise YearRangeError(
                f"Scenario {self.name!r} has year(s) {format_values(outside)} outside the "
                f"forecast years {format_values(sorted(allowed), limit=10)}."
            )
        if self.population is not None:
            idx = pd.MultiIndex.from_product([sorted(known), sorted(allowed)])
            absent = idx.difference(pd.MultiIndex.from_tuples(list(self.population.index)))
            if len(absent) and len(absent) < len(idx):
                raise MissingValueError(
                    f"Scenario {self.name!r}: the population projection lacks {len(absent)} "
                    f"region-year(s), e.g. {format_values(absent)}; give every region and year."
                )

    # ----------------------------------------------------------------- paths
    def wage_factors(self, regions: Sequence[str], years: Sequence[int]) -> pd.DataFrame:
        """Wage factors as regions × years (1.0 where the scenario says nothing)."""
        out = pd.DataFrame(1.0, index=pd.Index(list(regions), name="region"), columns=list(years))
        if self.wages is not None:
            wide = self.wages.unstack("year")
            rows = wide.index.intersection(out.index)
            cols = wide.columns.intersection(out.columns)
            out.loc[rows, cols] = wide.loc[rows, cols].fillna(1.0)
        out.columns.name = "year"
        return out

    def population_path(self, regions: Sequence[str], years: Sequence[int]) -> pd.DataFrame | None:
        """Projected population as regions × years (NaN where not given), or None."""
        if self.population is None:
            return None
        wide = cast(pd.Series, self.population).unstack("year")
        out = wide.reindex(index=list(regions), columns=list(years))
        return out.rename_axis(index="region", columns="year")

    def shock_factors(self, years: Sequence[int]) -> pd.DataFrame:
        """Shocks expanded to one row per origin, destination and forecast year."""
        cols = ["origin", "destination", "year", "factor"]
        if self.shocks is None:
            return pd.DataFrame(columns=cols)
        rows = []
        for origin, dest, factor, year in self.shocks.to_numpy().tolist():
            for y in [int(year)] if year == year else list(years):  # NaN year: every year
                rows.append((origin, dest, y, float(factor)))
        out = pd.DataFrame(rows, columns=cols)
        if out.duplicated(["origin", "destination", "year"]).any():
            dup = out.loc[
                out.duplicated(["origin", "destination", "year"]), ["origin", "destination", "year"]
            ]
            raise DuplicateKeyError(
                f"Scenario {self.name!r}: shocks overlap for "
                f"{format_values(map(tuple, dup.to_numpy()))}."
            )
        return out

    def __repr__(self) -> str:
        parts = [f"Scenario({self.name!r}"]
        if self.wages is not None:
            parts.append(f"wages: {len(self.wages)} region-years")
        if self.population is not None:
            parts.append(f"population: {len(self.population)} region-years")
        if self.shocks is not None:
            parts.append(f"shocks: {len(self.shocks)} pair(s)")
        return ", ".join(parts) + ")"


# ----------------------------------------------------------------------------- validation


def _region_year(values: pd.Series | pd.DataFrame, what: str, column: str) -> pd.Series:
    if isinstance(values, pd.Series):
        series = values.copy()
        if not isinstance(series.index, pd.MultiIndex) or series.index.nlevels != 2:
            raise MissingColumnError(f"Scenario {what}: a Series needs a (region, year) index.")
    elif isinstance(values, pd.DataFrame):
        if {"region", "year"} <= set(values.columns):
            if column not in values.columns:
                raise MissingColumnError(
                    f"Scenario {what}: the long table needs a {column!r} column; has "
                    f"{format_values(map(str, values.columns))}."
                )
            series = values.set_index(["region", "year"])[column].copy()
        else:  # wide: regions × years
            wide = values.rename_axis(index="region", columns="year")
            series = cast(pd.Series, wide.stack(future_stack=True))
    else:
        raise InputTypeError(
            f"Scenario {what} must be a Series or DataFrame, got {type(values).__name__}."
        )
    series.index = series.index.set_names(["region", "year"])
    years = series.index.get_level_values("year")
    try:
        years_int = np.asarray(years, dtype=float)
    except (TypeError, ValueError) as err:
        raise YearRangeError(
            f"Scenario {what}: years must be integers, got {format_values(years.unique())}."
        ) from err
    bad_years = sorted(
        {y for y in years_int if y != int(y) or not VALID_YEARS[0] <= y <= VALID_YEARS[1]}
    )
    if bad_years:
        raise YearRangeError(
            f"Scenario {what}: year(s) {format_values(bad_years)} are not integers in "
            f"{VALID_YEARS}."
        )
    series.index = pd.MultiIndex.from_arrays(
        [series.index.get_level_values("region").map(str), years_int.astype(int)],
        names=["region", "year"],
    )
    if not pd.api.types.is_numeric_dtype(series):
        raise NonNumericError(f"Scenario {what}: values must be numeric, got dtype {series.dtype}.")
    series = series.astype(float)
    if series.index.duplicated().any():
        dup = series.index[series.index.duplicated()].unique()
        raise DuplicateKeyError(f"Scenario {what}: (region, year) repeated: {format_values(dup)}.")
    if series.isna().any():
        raise MissingValueError(
            f"Scenario {what}: {int(series.isna().sum())} missing value(s) at "
            f"{format_values(series.index[series.isna()])}; drop the rows to keep the baseline."
        )
    bad = series[~np.isfinite(series) | (series <= 0)]
    if len(bad):
        raise DataValidationError(
            f"Scenario {what}: values must be positive and finite; {len(bad)} are not: "
            f"{format_values(zip(bad.index, bad.to_numpy(), strict=True))}."
        )
    return series.sort_index().rename(column)


def _shocks(frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputTypeError(f"Scenario shocks must be a DataFrame, got {type(frame).__name__}.")
    need = ["origin", "destination", "factor"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"Scenario shocks need columns {format_values(need)}; missing {format_values(missing)}."
        )
    out = frame[[*need, *(["year"] if "year" in frame.columns else [])]].copy()
    if "year" not in out.columns:
        out["year"] = np.nan
    out["origin"] = out["origin"].map(str)
    out["destination"] = out["destination"].map(str)
    if not pd.api.types.is_numeric_dtype(out["factor"]):
        raise NonNumericError(
            f"Scenario shocks: 'factor' must be numeric, got {out['factor'].dtype}."
        )
    if out["factor"].isna().any():
        raise MissingValueError("Scenario shocks: 'factor' has missing values.")
    bad = out[~np.isfinite(out["factor"]) | (out["factor"] < 0)]
    if len(bad):
        raise DataValidationError(
            f"Scenario shocks: factors must be finite and >= 0; {len(bad)} are not: "
            f"{format_values(bad['factor'].tolist())}."
        )
    self_pairs = out[out["origin"] == out["destination"]]
    if len(self_pairs):
        raise DataValidationError(
            "Scenario shocks: origin equals destination for "
            f"{format_values(self_pairs['origin'].tolist())}."
        )
    yrs = out["year"].dropna()
    bad_y = sorted(
        {float(y) for y in yrs if float(y) != int(y) or not VALID_YEARS[0] <= y <= VALID_YEARS[1]}
    )
    if bad_y:
        raise YearRangeError(
            f"Scenario shocks: year(s) {format_values(bad_y)} are not valid years."
        )
    key = out[["origin", "destination", "year"]].astype(str)
    if key.duplicated().any():
        raise DuplicateKeyError(
            f"Scenario shocks: repeated (origin, destination, year) "
            f"{format_values(map(tuple, key[key.duplicated()].to_numpy()))}."
        )
    return out.reset_index(drop=True)
