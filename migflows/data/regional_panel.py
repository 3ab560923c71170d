"""The Kazakhstan region-year panel 2000-2022: net migration, prices, incomes, labour market.

:func:`load_kazakhstan_regions` joins the embedded annual series (``region_series.csv``: net
migration, births, deaths, labour force, employees, regional CPI, subsistence minimum, GRP per
capita 2000-2007, housing prices) with the region attributes (population, per-capita cash
income, unemployment) and derives what the An-Becker-Cheng study needs: the net migration rate
per 1,000, real income and its ratio to the (population-weighted) national mean or to the
other regions, the relative price level, the unemployment gap, an uncertainty measure and
period indicators. Net migration is *total* net migration (inter-regional and international;
arrivals and departures separately were not published before 2022), and income is per-capita
cash income (average wages by region before 2013 were not found): both are stated next to the
results of the study.

Break years (census rebasing 2008 and 2021, the 2014 transfer of territory from Almaty region
to Almaty city, the 2016-2017 split of South Kazakhstan) are flagged in ``break_flag``; their
rates are set to missing by default with a :class:`~migflows.errors.DataQualityWarning` that
counts them, and the excluded cells are in ``frame.attrs["excluded_breaks"]`` as
``(region, year, flag, net_migration)`` tuples.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from migflows.errors import (
    DataQualityWarning,
    DataValidationError,
    InvalidOptionError,
    format_values,
)

__all__ = [
    "ABC_PERIODS",
    "REGIONS_2017",
    "kazakhstan_series",
    "load_kazakhstan_regions",
]

#: The 16 regions of 2000-2017 (South Kazakhstan still including Shymkent, the 2022 parents
#: Almaty region, East Kazakhstan and Karaganda in their old territory).
REGIONS_2017: tuple[str, ...] = (
    "akmola", "aktobe", "almaty_city", "almaty_region", "astana_city", "atyrau",
    "east_kazakhstan", "karaganda", "kostanay", "kyzylorda", "mangystau", "north_kazakhstan",
    "pavlodar", "south_kazakhstan", "west_kazakhstan", "zhambyl",
)  # fmt: skip
#: Boom and crisis of An, Becker & Cheng; 2008 is a break year (2009 census rebasing) and left out.
ABC_PERIODS: dict[str, tuple[int, int]] = {"boom": (2000, 2007), "crisis": (2009, 2014)}
OLD_TERRITORY = {
    "south_kazakhstan": "shymkent_city+turkistan",
    "almaty_region": "almaty_region+zhetisu",
    "east_kazakhstan": "abai+east_kazakhstan",
    "karaganda": "karaganda+ulytau",
}
SPLIT_YEAR = 2022
ATTRIBUTES = ("population", "income_pc", "unemployment")
SERIES = (
    "net_migration", "births", "deaths", "natural_increase", "labour_force", "employees",
    "cpi_index", "subsistence_min", "grp_pc", "housing_price",
)  # fmt: skip


@cache
def _csv(name: str) -> pd.DataFrame:
    path = resources.files("migflows.data.datasets").joinpath(f"kazakhstan/{name}.csv")
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=False, na_values=[""])


def kazakhstan_series() -> pd.DataFrame:
    """The annual region-year series as stored (a copy), one row per value.

    Returns
    -------
    DataFrame
        ``region, year, variable, value, unit, source, quality, territory, flag``
        (``flag`` names the break of a net-migration value, empty otherwise).

    Examples
    --------
    >>> s = kazakhstan_series()
    >>> sorted(s["variable"].unique())[:3]
    ['births', 'cpi_index', 'deaths']
    """
    out = _csv("region_series").copy()
    out["flag"] = out["flag"].fillna("")
    return out


def _territory(region: pd.Series, year: pd.Series) -> pd.Series:
    """The territory a 2000-2017-boundary unit covers in ``year``."""
    del year  # the 2017 units keep their territory in every year (later years drop out)
    old = region.isin(list(OLD_TERRITORY))
    return region.where(~old, region.map(OLD_TERRITORY))


def _long() -> pd.DataFrame:
    attrs = _csv("region_attributes")
    attrs = attrs[attrs["variable"].isin(ATTRIBUTES)].assign(flag="")
    series = kazakhstan_series()
    both = pd.concat([attrs, series], ignore_index=True)
    both = both[both["region"].isin(REGIONS_2017)]
    keep = both["territory"] == _territory(both["region"], both["year"])
    return both[keep]


def _weighted_mean(x: pd.Series, w: pd.Series, relative_to: str) -> pd.Series:
    """Per year: the w-weighted mean of x over regions (``national``) or over the others."""
    ok = x.notna() & w.notna()
    xw = (x * w).where(ok, 0.0)
    ww = w.where(ok, 0.0)
    years = x.index.get_level_values("year")
    tot_xw = xw.groupby(years).transform("sum")
    tot_w = ww.groupby(years).transform("sum")
    if relative_to == "others":
        tot_xw, tot_w = tot_xw - xw, tot_w - ww
    out = tot_xw / tot_w.where(tot_w > 0)
    return out.where(x.notna())


def load_kazakhstan_regions(
    years: Iterable[int] | None = None,
    *,
    window: int = 3,
    relative_to: Literal["national", "others"] = "national",
    periods: Mapping[str, tuple[int, int]] | None = None,
    include_breaks: bool = False,
) -> pd.DataFrame:
    """The region-year panel 2000-2022 on the 16 regions of 2000-2017, with derived variables.

    Parameters
    ----------
    years : iterable of int, optional
        Keep these years (default all, 2000-2022). Net migration of ``t`` needs the population
        of 1 January ``t + 1``.
    window : int, default 3
        Years in the uncertainty window (see ``uncertainty`` below).
    relative_to : {"national", "others"}, default "national"
        Denominator of the relative income, price level and unemployment gap: the
        population-weighted (labour-force-weighted for unemployment) mean of all 16 regions,
        or of the other 15 regions.
    periods : mapping, optional
        Period labels; default :data:`ABC_PERIODS` (boom 2000-2007, crisis 2009-2014).
        Years outside every period get a missing ``period``.
    include_breaks : bool, default False
        Keep the net migration rate of flagged break years (census rebasing 2008 and 2021,
        Almaty 2014, South Kazakhstan 2016-2017). By default it is set to missing, with a
        warning that counts the cells.

    Returns
    -------
    DataFrame
        Indexed by ``(region, year)``. Stored series: ``population`` (1 January),
        ``net_migration``, ``births``, ``deaths``, ``natural_increase``, ``labour_force``,
        ``employees``, ``cpi_index``, ``subsistence_min``, ``grp_pc``, ``housing_price``,
        ``income_pc`` (nominal per-capita cash income, KZT per month), ``unemployment`` (%),
        ``break_flag``. Derived:

        * ``population_mid`` mean of 1 January ``t`` and ``t + 1``;
        * ``net_rate`` = 1000 x net migration / ``population_mid`` (missing in break years);
        * ``real_income`` = ``income_pc`` / ``cpi_index`` x 100 (KZT of the region's 2000
          prices), ``rel_income`` = real income / its weighted mean, ``log_rel_income``;
        * ``rel_price_level`` = subsistence minimum / its weighted mean (a price *level*: the
          chained CPI only measures changes);
        * ``unemployment_gap`` = unemployment - its labour-force-weighted mean (points);
        * ``income_growth`` = change of log real income; ``uncertainty`` = root mean square of
          the region's real income growth minus the national one over the last ``window``
          years (shorter at the start: 2001 uses one year, 2002 two), i.e. the volatility of
          relative income growth; ``income_volatility`` = standard deviation of the region's
          own real income growth over ``window`` years (at least two);
        * ``period`` and one 0/1 column per period label (``boom``, ``crisis``).

        An, Becker & Cheng's own uncertainty measure is not stated in the sources available
        to us; ours is the one above.

    Raises
    ------
    InvalidOptionError
        ``window`` below 1, an unknown ``relative_to``, years outside 2000-2022.

    Warns
    -----
    DataQualityWarning
        Rates of break years set to missing (counts by break).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kz = load_kazakhstan_regions(years=range(2000, 2015))
    >>> kz.index.get_level_values("region").nunique(), int(kz["net_rate"].notna().sum())
    (16, 222)
    """
    if not isinstance(window, int) or window < 1:
        raise InvalidOptionError(f"window={window!r} must be a whole number of years, at least 1.")
    if relative_to not in ("national", "others"):
        raise InvalidOptionError(
            f"relative_to={relative_to!r} is not allowed; use 'national' or 'others'."
        )
    periods = _check_periods(ABC_PERIODS if periods is None else periods)
    long = _long()
    dup = long.duplicated(["region", "year", "variable"])
    if dup.any():  # the build guarantees one value per cell; a second would be averaged away
        first = long[dup].iloc[0]
        raise DataValidationError(
            f"{int(dup.sum())} duplicate region-year values in the embedded series (first: "
            f"{first['variable']} {first['region']} {first['year']}); rebuild the dataset with "
            "scripts/build_kazakhstan_data.py."
        )
    wide = long.pivot_table(index=["region", "year"], columns="variable", values="value")
    wide = wide.reindex(columns=[*ATTRIBUTES, *SERIES])
    flags = long[long["flag"] != ""].set_index(["region", "year"])["flag"]
    wide["break_flag"] = flags.reindex(wide.index).fillna("")
    available = sorted(set(wide.index.get_level_values("year")))
    if years is not None:
        wanted = _check_years(years)
        outside = [y for y in wanted if y < 2000 or y > 2022]
        if outside:
            raise InvalidOptionError(
                f"years {format_values(outside)} are outside the panel's 2000-2022; net "
                "migration needs the population of the next 1 January (last: 2023)."
            )
    else:
        wanted = [y for y in available if y <= 2022]
    frame = wide.sort_index()
    pop = frame["population"]
    nxt = pop.groupby(level="region").shift(-1)
    year = frame.index.get_level_values("year").to_numpy()
    consecutive = pd.Series(year, index=frame.index).groupby(level="region").shift(-1) == year + 1
    frame["population_mid"] = ((pop + nxt) / 2).where(consecutive)
    frame["net_rate"] = 1000.0 * frame["net_migration"] / frame["population_mid"]
    in_sample = frame.index.get_level_values("year").isin(wanted)
    flagged = (frame["break_flag"] != "") & in_sample & frame["net_rate"].notna()
    excluded = frame.loc[flagged, ["net_migration", "net_rate", "break_flag"]].copy()
    if flagged.any() and not include_breaks:
        frame.loc[flagged, "net_rate"] = np.nan
        counts = excluded["break_flag"].value_counts().sort_index()
        warnings.warn(
            f"{int(flagged.sum())} region-year net migration rates fall in break years and are "
            "set to missing ("
            + ", ".join(f"{k}: {v}" for k, v in counts.items())
            + "); pass include_breaks=True to keep them; they are listed in "
            "frame.attrs['excluded_breaks'].",
            DataQualityWarning,
            stacklevel=2,
        )
    frame["real_income"] = frame["income_pc"] / frame["cpi_index"] * 100.0
    frame["rel_income"] = frame["real_income"] / _weighted_mean(
        frame["real_income"], pop, relative_to
    )
    frame["log_rel_income"] = np.log(frame["rel_income"])
    frame["rel_price_level"] = frame["subsistence_min"] / _weighted_mean(
        frame["subsistence_min"], pop, relative_to
    )
    # labour-force weights; a year where a region lacks it is weighted by population instead
    lf_years = frame["labour_force"].notna().groupby(level="year").transform("all")
    lf = frame["labour_force"].where(lf_years, pop)
    frame["unemployment_gap"] = frame["unemployment"] - _weighted_mean(
        frame["unemployment"], lf, relative_to
    )
    log_real = np.log(frame["real_income"])
    step = pd.Series(year, index=frame.index).groupby(level="region").diff() == 1
    growth = log_real.groupby(level="region").diff().where(step)
    frame["income_growth"] = growth
    national = np.log(_weighted_mean(frame["real_income"], pop, "national"))
    national_growth = national.groupby(level="region").diff().where(step)
    rel_sq = (growth - national_growth) ** 2
    frame["uncertainty"] = np.sqrt(
        rel_sq.groupby(level="region").transform(lambda s: s.rolling(window, min_periods=1).mean())
    ).where(growth.notna())
    frame["income_volatility"] = growth.groupby(level="region").transform(
        lambda s: s.rolling(window, min_periods=2).std()
    )
    labels = pd.Series(pd.NA, index=frame.index, dtype="object")
    for name, (lo, hi) in periods.items():
        inside = (year >= lo) & (year <= hi)
        labels[inside] = name
        frame[name] = inside.astype(int)
    frame["period"] = labels
    out = frame[in_sample].copy()
    # plain tuples: a DataFrame in ``attrs`` breaks pandas' concat/merge of the frame
    out.attrs["excluded_breaks"] = tuple(
        (str(r), int(y), str(f), float(n))
        for (r, y), f, n in zip(
            excluded.index, excluded["break_flag"], excluded["net_migration"], strict=True
        )
    )
    out.attrs["relative_to"] = relative_to
    out.attrs["window"] = window
    return out


def _check_years(years: Iterable[int]) -> list[int]:
    values = [years] if isinstance(years, int | str) else list(years)
    try:
        out = sorted({int(y) for y in values if float(y) == int(y)})
    except (TypeError, ValueError):
        out = []
    if len(out) != len({str(v) for v in values}) or not out:
        raise InvalidOptionError(
            f"years={years!r} must be whole years (e.g. range(2000, 2015)); got "
            f"{format_values(values)}."
        )
    return out


def _check_periods(periods: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    if not isinstance(periods, Mapping) or not periods:
        raise InvalidOptionError(
            f"periods={periods!r} must map a label to (first year, last year), e.g. "
            "{'boom': (2000, 2007), 'crisis': (2009, 2014)}."
        )
    out: dict[str, tuple[int, int]] = {}
    for name, bounds in periods.items():
        try:
            lo, hi = (int(b) for b in bounds)
        except (TypeError, ValueError):
            lo, hi = 1, 0
        if lo > hi:
            raise InvalidOptionError(
                f"periods[{name!r}]={bounds!r} must be (first year, last year) with the first "
                "not after the last."
            )
        out[str(name)] = (lo, hi)
    spans = sorted((lo, hi, name) for name, (lo, hi) in out.items())
    for (lo1, hi1, n1), (lo2, _hi2, n2) in itertools.pairwise(spans):
        if lo2 <= hi1:  # a year in two periods would be labelled by the later one only
            raise InvalidOptionError(
                f"periods {n1!r} ({lo1}-{hi1}) and {n2!r} (from {lo2}) overlap; each year "
                "belongs to at most one period."
            )
    return out
