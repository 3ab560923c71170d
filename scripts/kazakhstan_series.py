"""Annual region-year series 2000-2024 for the embedded Kazakhstan dataset (``region_series.csv``).

Called by ``scripts/build_kazakhstan_data.py``; kept apart so that the OD/attribute build and
this long annual panel can change independently. Every row carries its source, quality,
territory and, for net migration, the break flag of the source (census rebasing, boundary
changes): ``migflows.load_kazakhstan_regions`` excludes flagged years from rates by default.

Series (variable, unit, source folder under ``shared/data/external``):

* ``net_migration`` persons, all flows (inter-regional + international), derived by
  demographic balance ``P(t+1) - P(t) - natural increase(t)`` (equals BNS «Сальдо миграции»);
* ``births``, ``deaths``, ``natural_increase`` persons;
* ``labour_force``, ``employees`` thousand persons (LFS, annual);
* ``cpi_index`` regional consumer price index, annual average, chained here to 2000 = 100;
* ``subsistence_min`` KZT per person per month (a regional price level);
* ``grp_pc`` thousand KZT per person, 2000-2007 only (2008 on is in ``region_attributes``);
* ``housing_price`` KZT per m2, sale price of new housing in the regional centre, end of year.

Region keys follow the build's convention: South Kazakhstan (incl. Shymkent) is
``south_kazakhstan`` in the years each source publishes it; the 2022 parents (Almaty region,
East Kazakhstan, Karaganda) cover their old territory before 2022 (``territory`` says so).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SERIES_FOLDERS = {
    "net": "kz_net_migration_derived_bns_2000_2022",
    "vital": "kz_births_deaths_natural_increase_bns_2000_2024",
    "lfs": "kz_employees_labour_force_by_region_bns_2001_2024",
    "cpi": "kz_regional_cpi_subsistence_min_bns_1993_2024",
    "grp0": "kz_grp_per_capita_bns_2000_2007_kazdata",
    "housing": "kz_housing_prices_household_expenditure_bns_2001_2023",
}
SERIES_COLUMNS = [
    "region", "year", "variable", "value", "unit", "source", "quality", "territory", "flag",
]  # fmt: skip
SERIES_UNITS = {
    "net_migration": "persons",
    "births": "persons",
    "deaths": "persons",
    "natural_increase": "persons",
    "labour_force": "thousand persons",
    "employees": "thousand persons",
    "unemployment": "percent of labour force",
    "cpi_index": "index, 2000 = 100 (annual average)",
    "subsistence_min": "KZT per person per month",
    "grp_pc": "thousand KZT per person",
    "housing_price": "KZT per m2 (new housing, regional centre, end of year)",
}
CPI_BASE_YEAR = 2000
FIRST_YEAR = 2000
OLD_TERRITORY = {
    "south_kazakhstan": "shymkent_city+turkistan",
    "almaty_region": "almaty_region+zhetisu",
    "east_kazakhstan": "abai+east_kazakhstan",
    "karaganda": "karaganda+ulytau",
}
NEW_PARTS_YEAR = 2022  # Abai, Zhetisu, Ulytau split off on 8 June 2022 (tables from 2022)
BREAK_FLAGS = {
    "BREAK_census_2009_rebasing": "census_2009",
    "BREAK_census_2021_rebasing": "census_2021",
    "BREAK_boundary_2014_Almaty_region_to_city_transfer": "boundary_almaty_2014",
    "BREAK_boundary_SKO_split_Turkistan_Shymkent": "boundary_south_kazakhstan_split",
}
# regional centre (city, Russian) -> region it stands for, with the years it was that centre
HOUSING_CENTRES: dict[str, tuple[str, int, int]] = {
    "Актау": ("mangystau", 0, 9999),
    "Актобе": ("aktobe", 0, 9999),
    "Алматы": ("almaty_city", 0, 9999),
    "Астана": ("astana_city", 0, 9999),
    "Атырау": ("atyrau", 0, 9999),
    "Жезказган": ("ulytau", 2022, 9999),
    "Караганда": ("karaganda", 0, 9999),
    "Кокшетау": ("akmola", 0, 9999),
    "Конаев": ("almaty_region", 2022, 9999),
    "Костанай": ("kostanay", 0, 9999),
    "Кызылорда": ("kyzylorda", 0, 9999),
    "Павлодар": ("pavlodar", 0, 9999),
    "Петропавловск": ("north_kazakhstan", 0, 9999),
    "Семей": ("abai", 2022, 9999),
    "Талдыкорган": ("almaty_region", 0, 2021),
    "Тараз": ("zhambyl", 0, 9999),
    "Туркестан": ("turkistan", 2018, 9999),
    "Уральск": ("west_kazakhstan", 0, 9999),
    "Усть-Каменогорск": ("east_kazakhstan", 0, 9999),
}
HOUSING_SHYMKENT = "Шымкент"  # centre of South Kazakhstan until 2017, a region of its own after


def _south(frame: pd.DataFrame, key: str, last_year: int) -> pd.DataFrame:
    """Rename the source's South Kazakhstan key to ``south_kazakhstan`` up to ``last_year``."""
    frame = frame.copy()
    sk = (frame["region"] == key) & (frame["year"] <= last_year)
    frame.loc[sk, "region"] = "south_kazakhstan"
    frame.loc[(frame["region"] == key), "region"] = "turkistan"
    return frame


def _rows(
    frame: pd.DataFrame, variable: str, source: str, quality: str = "official"
) -> pd.DataFrame:
    out = frame[frame["region"] != "kazakhstan_total"].dropna(subset=["value"]).copy()
    out = out[out["year"] >= FIRST_YEAR]
    out["variable"] = variable
    out["unit"] = SERIES_UNITS[variable]
    out["source"] = source
    out["quality"] = quality
    territory = out["region"].copy()
    old = out["region"].isin(OLD_TERRITORY) & (
        (out["region"] == "south_kazakhstan") | (out["year"] < NEW_PARTS_YEAR)
    )
    territory[old] = out.loc[old, "region"].map(OLD_TERRITORY)
    out["territory"] = territory
    if "flag" not in out:
        out["flag"] = ""
    return out[SERIES_COLUMNS]


def read_net_migration(ext: Path) -> pd.DataFrame:
    raw = pd.read_csv(ext / SERIES_FOLDERS["net"] / "net_migration_derived_tidy.csv")
    unknown = sorted(set(raw["flag"]) - set(BREAK_FLAGS) - {"ok"})
    if unknown:
        raise ValueError(f"net migration: unknown break flags {unknown}")
    frame = pd.DataFrame(
        {
            "region": raw["region_key"].replace("turkistan_or_south_kaz", "turkistan_src"),
            "year": raw["year"].astype(int),
            "value": raw["net_migration_total_derived"].astype(float),
            "flag": raw["flag"].map(BREAK_FLAGS).fillna(""),
        }
    )
    frame = _south(frame, "turkistan_src", 2016)  # the population table's boundary
    return _rows(frame, "net_migration", "bns_net_migration_derived")


def read_vital(ext: Path) -> pd.DataFrame:
    raw = pd.read_csv(ext / SERIES_FOLDERS["vital"] / "births_deaths_natural_increase_tidy.csv")
    parts = []
    for variable in ("births", "deaths", "natural_increase"):
        frame = pd.DataFrame(
            {"region": raw["region_key"], "year": raw["year"].astype(int), "value": raw[variable]}
        )
        frame = _south(frame, "turkistan_or_south_kaz", 2016)
        # 2000-2016 South Kazakhstan = national total minus the 15 other regions (PROVENANCE)
        quality = np.where(frame["region"] == "south_kazakhstan", "estimated", "official")
        for q in ("official", "estimated"):
            parts.append(_rows(frame[quality == q], variable, "bns_vital", q))
    return pd.concat(parts, ignore_index=True)


def read_lfs(ext: Path) -> pd.DataFrame:
    """Annual LFS series; South Kazakhstan 2010-2017, published by quarter only, estimated.

    The estimate is the mean of the four quarters (the rule the build uses for the 2023
    unemployment rate, which reproduces the published annual rate within 0.1 point in 133 of
    141 region-years). Unemployment itself is in ``region_attributes``; only these estimates
    are added here.
    """
    parts = []
    for variable, stem, col, decimals in (
        ("labour_force", "labour_force", "labour_force_thousand", 3),
        ("employees", "employees", "employees_thousand", 3),
        ("unemployment", "unemployment_rate", "unemployment_rate_pct", 1),
    ):
        raw = pd.read_csv(ext / SERIES_FOLDERS["lfs"] / f"{stem}_by_region_2001_2024_tidy.csv")
        raw = raw.assign(annual=raw["period"].astype(str).str.startswith("year"))
        frame = pd.DataFrame(
            {
                "region": raw["region_key"].replace("south_kazakhstan_pre2018", "south_kazakhstan"),
                "year": raw["year"].astype(int),
                "value": raw[col],
                "annual": raw["annual"],
            }
        )
        # 2010-2017 Turkistan/Shymkent rows are BNS re-estimates inside South Kazakhstan: not added
        split = frame["region"].isin(["turkistan", "shymkent_city"]) & (frame["year"] < 2018)
        frame = frame[~split]
        annual = frame[frame["annual"]].dropna(subset=["value"])
        quarters = frame[~frame["annual"] & (frame["region"] == "south_kazakhstan")]
        est = quarters.groupby("year")["value"].agg(["mean", "count"])
        est = est[
            (est["count"] == 4)
            & ~est.index.isin(annual.loc[annual["region"] == "south_kazakhstan", "year"])
        ]
        est = pd.DataFrame(
            {"region": "south_kazakhstan", "year": est.index, "value": est["mean"].round(decimals)}
        )
        if variable != "unemployment":
            parts.append(_rows(annual, variable, "bns_lfs"))
        parts.append(_rows(est, variable, "bns_lfs", "estimated"))
    return pd.concat(parts, ignore_index=True)


def chain_index(pct_prev: pd.Series, base_year: int = CPI_BASE_YEAR) -> pd.Series:
    """Chain a year-on-year index (% of the previous year, by year) to ``base_year`` = 100.

    The first year is the start of the chain (its own index refers to a year not in the
    series); a series that starts after ``base_year`` is based on its first year.
    """
    growth = pct_prev.sort_index().astype(float) / 100.0
    growth.iloc[0] = 1.0
    level = growth.cumprod()
    base = base_year if base_year in level.index else int(level.index.min())
    return 100.0 * level / level.loc[base]


def read_cpi(ext: Path) -> pd.DataFrame:
    raw = pd.read_csv(ext / SERIES_FOLDERS["cpi"] / "cpi_by_region_tidy.csv")
    raw = raw[(raw["group"] == "total") & (raw["measure"] == "annual_avg_over_prev_year")]
    frame = pd.DataFrame(
        {
            "region": raw["region_key"],
            "year": raw["year"].astype(int),
            "value": raw["index_pct_prev"],
        }
    )
    frame = _south(frame, "turkistan_or_south_kaz", 2017)  # table footnote: SKO 1993-2017
    parts = []
    for region, g in frame.dropna(subset=["value"]).groupby("region"):
        level = chain_index(g.set_index("year")["value"])
        parts.append(pd.DataFrame({"region": region, "year": level.index, "value": level.round(4)}))
    return _rows(pd.concat(parts, ignore_index=True), "cpi_index", "bns_cpi")


def read_subsistence(ext: Path) -> pd.DataFrame:
    raw = pd.read_csv(ext / SERIES_FOLDERS["cpi"] / "subsistence_minimum_by_region_tidy.csv")
    frame = pd.DataFrame(
        {
            "region": raw["region_key"],
            "year": raw["year"].astype(int),
            "value": raw["subsistence_min_tenge_per_month_avg"],
        }
    )
    frame = _south(frame, "turkistan_or_south_kaz", 2017)  # table footnote: SKO 1997-2018
    frame = frame[~((frame["region"] == "shymkent_city") & (frame["year"] < 2018))]
    return _rows(frame, "subsistence_min", "bns_subsistence_min")


def read_grp_early(ext: Path) -> pd.DataFrame:
    raw = pd.read_csv(ext / SERIES_FOLDERS["grp0"] / "grp_per_capita_2000_2024_kazdata_tidy.csv")
    raw = raw[raw["year"] <= 2007]  # 2008 on: the BNS workbook in region_attributes
    frame = pd.DataFrame(
        {
            "region": raw["region_key"],
            "year": raw["year"].astype(int),
            "value": raw["grp_per_capita_thousand_kzt"],
        }
    )
    return _rows(frame, "grp_pc", "kazdata_grp")


def read_housing(ext: Path) -> pd.DataFrame:
    raw = pd.read_csv(ext / SERIES_FOLDERS["housing"] / "housing_prices_tidy.csv")
    raw = raw[raw["series"] == "new_housing_sale_price"]
    rows = []
    for city, year, value in zip(
        raw["city_ru"], raw["year"].astype(int), raw["tenge_per_m2_end_of_period"], strict=True
    ):
        if city == HOUSING_SHYMKENT:
            region = "south_kazakhstan" if year <= 2017 else "shymkent_city"
        elif city in HOUSING_CENTRES:
            region, lo, hi = HOUSING_CENTRES[city]
            if not lo <= year <= hi:
                continue
        elif city == "Республика Казахстан":
            continue
        else:
            raise ValueError(f"housing prices: city {city!r} has no region in HOUSING_CENTRES")
        rows.append((region, year, value))
    frame = pd.DataFrame(rows, columns=["region", "year", "value"])
    return _rows(frame, "housing_price", "bns_housing_prices")


def build_series(ext: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    """All annual series, sorted, with the checks the build prints."""
    missing = [f for f in SERIES_FOLDERS.values() if not (ext / f).is_dir()]
    if missing:
        raise FileNotFoundError(f"source folder {ext / missing[0]} is absent")
    frame = pd.concat(
        [
            read_net_migration(ext),
            read_vital(ext),
            read_lfs(ext),
            read_cpi(ext),
            read_subsistence(ext),
            read_grp_early(ext),
            read_housing(ext),
        ],
        ignore_index=True,
    )
    frame["year"] = frame["year"].astype(int)
    frame["value"] = frame["value"].astype(float)
    frame = frame.sort_values(["variable", "region", "year"], ignore_index=True)
    dup = frame.duplicated(["region", "year", "variable"])
    if dup.any():
        raise ValueError(f"region_series: {int(dup.sum())} duplicate (region, year, variable) rows")
    net = frame[frame["variable"] == "net_migration"]
    checks: dict[str, object] = {
        "series_rows_by_variable": frame["variable"].value_counts().sort_index().to_dict(),
        "net_migration_flagged_cells": int((net["flag"] != "").sum()),
    }
    return frame[SERIES_COLUMNS], checks


KAZDATA = "https://github.com/armanbostybayev-maker/kaz-Data"
KAZDATA_COMMIT = "4d78fe70111243dd1d635fe216ee1122d329d1a4"
STATGOV = "https://github.com/Harakirigi/statGovParser"
STATGOV_COMMIT = "fe5777f98e76061e95bc3f3466c83f93f3cf84f0"
#: rows of sources.csv for the series above (columns as SOURCES_COLUMNS of the build)
SERIES_SOURCES = [
    (
        "bns_net_migration_derived",
        "Total net migration by region, derived by demographic balance",
        "derived from BNS population (start of year) and natural increase",
        KAZDATA,
        KAZDATA_COMMIT,
        "none stated; official BNS statistics",
        "P(1 Jan t+1) - P(1 Jan t) - natural increase(t); equals BNS net migration in all 147 "
        "checkable region-years; break years flagged (2008, 2021 census rebasing; 2014 Almaty "
        "transfer; 2016-2017 South Kazakhstan split)",
    ),
    (
        "bns_vital",
        "Births, deaths and natural increase by region (BNS elements 6548, 6550, 6547)",
        "Bureau of National Statistics via kaz-Data",
        KAZDATA,
        KAZDATA_COMMIT,
        "none stated; official BNS statistics",
        "apps/frontend/public/data/demography/*.json; South Kazakhstan 2000-2016 = national "
        "total minus the other 15 regions (quality estimated)",
    ),
    (
        "bns_lfs",
        "Labour force and employees by region, annual (LFS)",
        "Bureau of National Statistics via statGovParser",
        STATGOV,
        STATGOV_COMMIT,
        "none stated; official BNS statistics",
        "downloads/Dynamic table Labour_force.xlsx, Employees.xlsx; 2010-2017 Turkistan and "
        "Shymkent re-estimates not used (inside South Kazakhstan)",
    ),
    (
        "bns_cpi",
        "Consumer price index by region, annual average over previous year",
        "Bureau of National Statistics via statGovParser",
        STATGOV,
        STATGOV_COMMIT,
        "none stated; official BNS statistics",
        "downloads/Dynamic table Index_of_prices_..._by_region.xlsx, goods and services; chained "
        "here to 2000 = 100 (regions published later: their first year = 100)",
    ),
    (
        "bns_subsistence_min",
        "Average subsistence minimum per capita by region",
        "Bureau of National Statistics via statGovParser",
        STATGOV,
        STATGOV_COMMIT,
        "none stated; official BNS statistics",
        "downloads/Dynamic table The_average_subsistence_level_per_capita.xlsx; methodology "
        "changed 1 Jan 2006",
    ),
    (
        "kazdata_grp",
        "GRP per capita by region 2000-2007 (BNS element 5930)",
        "Bureau of National Statistics via kaz-Data",
        KAZDATA,
        KAZDATA_COMMIT,
        "none stated; official BNS statistics",
        "apps/frontend/public/data/economy/grp_per_capita.json; five x1000 parse errors "
        "corrected; South Kazakhstan missing",
    ),
    (
        "bns_housing_prices",
        "Average sale price of new housing in regional centres",
        "Bureau of National Statistics via open-data-kazakhstan",
        "https://github.com/open-data-kazakhstan/city-cost-of-living-index",
        "6ad05565c3385c45125375f447561784e1dd7c53",
        "ODC PDDL 1.0",
        "archive/avg_cost.xls, sheet Продажа нового жилья; a city price standing for its region",
    ),
]
