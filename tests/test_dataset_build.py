"""Tests of the embedded Kazakhstan dataset (committed CSVs) and of its build script.

The committed files are read with plain pandas. Figures are checked against the source tables in
../shared/data/external (through ``external()``, skipped when absent) or against published totals.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from conftest import ROOT, SHARED, external

DATA = ROOT / "migflows" / "data" / "datasets" / "kazakhstan"
SCRIPT = ROOT / "scripts" / "build_kazakhstan_data.py"
CSVS = ("flows", "region_attributes", "region_series", "regions", "boundaries", "sources")
CURRENT = {
    "abai", "akmola", "aktobe", "almaty_city", "almaty_region", "astana_city", "atyrau",
    "east_kazakhstan", "karaganda", "kostanay", "kyzylorda", "mangystau", "north_kazakhstan",
    "pavlodar", "shymkent_city", "turkistan", "ulytau", "west_kazakhstan", "zhambyl", "zhetisu",
}  # fmt: skip
SOURCE_FOLDERS = (
    "kz_od_migration_bns_islambekov",
    "kz_internal_migration_arrivals_departures_kanatislambekov",
    "kz_population_by_region_bns_2000_2023",
    "kz_grp_per_capita_bns_2008_2023",
    "kz_unemployment_rate_bns_2001_2023",
    "kz_income_per_capita_taldau_2000_2020",
    "kz_regional_panel_2013_2023_datathon",
    "kz_region_crosssection_2022_opendatakz",
    "kz_admin_centres_geonames",
    "kz_net_migration_derived_bns_2000_2022",
    "kz_births_deaths_natural_increase_bns_2000_2024",
    "kz_employees_labour_force_by_region_bns_2001_2024",
    "kz_regional_cpi_subsistence_min_bns_1993_2024",
    "kz_grp_per_capita_bns_2000_2007_kazdata",
    "kz_housing_prices_household_expenditure_bns_2001_2023",
)
# National OD totals published with the source (PROVENANCE.md of kz_od_migration_bns_islambekov).
OD_TOTALS = {
    2010: 189_941, 2015: 233_503, 2020: 356_613, 2021: 330_739, 2022: 370_572,
    2023: 472_227, 2024: 689_497, 2025: 458_948,
}  # fmt: skip


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv")


@pytest.fixture(scope="module")
def flows() -> pd.DataFrame:
    return _read("flows")


@pytest.fixture(scope="module")
def attrs() -> pd.DataFrame:
    return _read("region_attributes")


def _current(attrs: pd.DataFrame) -> pd.DataFrame:
    return attrs[attrs["territory"] == attrs["region"]]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_kazakhstan_data", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _net(flows: pd.DataFrame, year: int) -> pd.Series:
    sub = flows[flows["year"] == year]
    inflow = sub.groupby("destination")["flow"].sum()
    outflow = sub.groupby("origin")["flow"].sum()
    return inflow.sub(outflow, fill_value=0)


def _symmetric_pairs(frame: pd.DataFrame, o: str, d: str, n: str) -> int:
    """Unordered pairs {i, j} with N(i, j) == N(j, i)."""
    m = frame.set_index([o, d])[n].to_dict()
    return sum(1 for (i, j), v in m.items() if i < j and m.get((j, i)) == v)


# ----------------------------------------------------------------------------- build script
def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    for folder in SOURCE_FOLDERS:
        external(folder)
    out = tmp_path / "kz"
    cmd = [sys.executable, str(SCRIPT), "--shared", str(SHARED), "--out", str(out), "--quiet"]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, timeout=300)
    for name in CSVS:
        assert (out / f"{name}.csv").read_bytes() == (DATA / f"{name}.csv").read_bytes(), name


def test_missing_shared_names_the_folder(tmp_path: Path) -> None:
    module = _load_script()
    with pytest.raises(module.SharedDataMissingError, match="kz_od_migration_bns_islambekov"):
        module.main(["--shared", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    # every folder but one present: the message names exactly the missing one
    for folder in SOURCE_FOLDERS:
        if folder != "kz_income_per_capita_taldau_2000_2020":
            (tmp_path / "shared" / "data" / "external" / folder).mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"kz_income_per_capita_taldau_2000_2020 is absent"):
        module.resolve_external(tmp_path / "shared")
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- flows
def test_od_national_totals(flows: pd.DataFrame) -> None:
    assert flows.groupby("year")["flow"].sum().to_dict() == OD_TOTALS
    raw = pd.read_csv(external("kz_od_migration_bns_islambekov") / "Internal_migration.csv")
    assert raw.groupby("Year")["N"].sum().to_dict() == OD_TOTALS


def test_flows_structure(flows: pd.DataFrame) -> None:
    assert list(flows.columns) == ["origin", "destination", "year", "flow", "source", "quality"]
    assert (flows.groupby("year").size() == 380).all()
    assert not (flows["origin"] == flows["destination"]).any()
    assert not flows.duplicated(["origin", "destination", "year"]).any()
    assert set(flows["origin"]) == CURRENT and set(flows["destination"]) == CURRENT
    assert (flows["flow"] > 0).all()
    quality = flows.groupby("year")["quality"].agg(set).to_dict()
    assert quality == {
        y: {"corrupt" if y == 2022 else "partial" if y == 2025 else "ok"} for y in OD_TOTALS
    }


def test_2022_is_mostly_symmetric(flows: pd.DataFrame) -> None:
    # 64 of 190 unordered pairs (= 128 of 380 ordered cells) have N(i,j) == N(j,i) in 2022;
    # no other year has more than 6. PROVENANCE.md says "128 of 190 pairs": it counts cells.
    counts = {
        int(y): _symmetric_pairs(g, "origin", "destination", "flow")
        for y, g in flows.groupby("year")
    }
    assert counts[2022] == 64
    assert max(v for y, v in counts.items() if y != 2022) == 6
    raw = pd.read_csv(external("kz_od_migration_bns_islambekov") / "Internal_migration.csv")
    raw22 = raw[raw["Year"] == 2022]
    assert _symmetric_pairs(raw22, "region_emmigr", "region_immigr", "N") == 64


def test_net_balance_2023_matches_arrivals_departures(
    flows: pd.DataFrame, attrs: pd.DataFrame
) -> None:
    # The two tables are separate transcriptions of BNS statistics; for 2024 their net balances
    # differ by up to 2 persons in several regions, hence the tolerance of 2 persons.
    net = _net(flows, 2023)
    cur = _current(attrs)
    cur = cur[cur["year"] == 2023].pivot(index="region", columns="variable", values="value")
    folder = external("kz_internal_migration_arrivals_departures_kanatislambekov")
    src = pd.read_csv(folder / "internal_migration_2023.csv").set_index("region")
    for key, name, expected in (
        ("astana_city", "Astana city", 50_078),
        ("turkistan", "Turkistan", -23_111),
    ):
        balance = cur.loc[key, "arrivals_all"] - cur.loc[key, "departures_all"]
        assert abs(net[key] - balance) <= 2
        assert net[key] == expected
        assert src.loc[name, "arrivals"] - src.loc[name, "departures"] == balance


def test_arrivals_2024_are_sums_of_months(attrs: pd.DataFrame) -> None:
    folder = (
        external("kz_internal_migration_arrivals_departures_kanatislambekov") / "original_xlsx_2024"
    )
    arrived = pd.read_excel(folder / "arrived_2024.xlsx").set_index("Region")
    left = pd.read_excel(folder / "left_2024.xlsx").set_index("Region")
    cur = _current(attrs)
    cur = cur[cur["year"] == 2024].pivot(index="region", columns="variable", values="value")
    assert cur.loc["astana_city", "arrivals_all"] == arrived.loc["Astana city"].sum() == 271_695
    assert cur.loc["ulytau", "departures_all"] == left.loc["Ulutay"].sum()
    assert cur["arrivals_all"].sum() == arrived.to_numpy().sum() == 1_510_337


# ----------------------------------------------------------------------------- attributes
def test_population_adds_up_to_the_national_total(attrs: pd.DataFrame) -> None:
    folder = external("kz_population_by_region_bns_2000_2023")
    sheet = pd.read_excel(folder / "source_bns_population_by_region_2000_2023.xlsx", header=None)
    total = pd.Series(sheet.iloc[1, 1:].to_numpy(dtype=float), index=sheet.iloc[0, 1:].astype(int))
    assert sheet.iloc[1, 0].strip() == "Республика Казахстан"
    pop = attrs[attrs["variable"] == "population"]
    official = pop[pop["quality"] == "official"].groupby("year")["value"].sum()
    pd.testing.assert_series_equal(official, total, check_names=False)
    # the current-boundary series (official + estimated) adds up to the same totals
    current = _current(pop).groupby("year")["value"].sum()
    pd.testing.assert_series_equal(current, total, check_names=False)
    assert total[2023] == 19_766_807


def test_keys_are_valid_and_unique(attrs: pd.DataFrame, flows: pd.DataFrame) -> None:
    regions = _read("regions")
    assert set(regions["region"]) == CURRENT | {"south_kazakhstan"}
    assert set(attrs["region"]) <= set(regions["region"])
    assert not attrs.duplicated(["region", "year", "variable", "territory"]).any()
    assert not _current(attrs).duplicated(["region", "year", "variable"]).any()
    parts = {p for t in attrs["territory"] for p in t.split("+")}
    assert parts <= CURRENT
    assert set(attrs.loc[attrs["region"] == "south_kazakhstan", "territory"]) == {
        "shymkent_city+turkistan"
    }
    boundaries = _read("boundaries")
    assert set(boundaries["old_region"]) | set(boundaries["new_region"]) <= set(regions["region"])
    assert set(attrs["quality"]) == {"official", "estimated", "low_trust"}
    sources = _read("sources")
    assert set(attrs["source"]) | set(flows["source"]) <= set(sources["source"])
    # the first row of every (region, year, variable) group is the current-territory one
    first = attrs.groupby(["region", "year", "variable"], sort=False).head(1)
    assert (first["territory"] == first["region"]).sum() == len(_current(attrs))


def test_wages_2022(attrs: pd.DataFrame) -> None:
    wage = _current(attrs[attrs["variable"] == "wage"]).set_index(["region", "year"])
    assert wage.loc[("astana_city", 2022), "value"] == 406_920
    assert wage.loc[("atyrau", 2022), "value"] == 523_210
    assert wage.loc[("astana_city", 2022), "source"] == "thesis_ayupov_shadenov_2024"
    # the open-data 2022 cross-section (an independent BNS extract) has the same 20 figures
    folder = external("kz_region_crosssection_2022_opendatakz")
    cross = pd.read_csv(folder / "avg_salary_2022_by_occupation.csv").set_index("regions")
    assert cross.loc["Karaganda Region", "avg_salary"] == wage.loc[("karaganda", 2022), "value"]
    assert cross.loc["Ulytau Region", "avg_salary"] == wage.loc[("ulytau", 2022), "value"]
    assert cross.loc["Abay Region", "avg_salary"] == wage.loc[("abai", 2022), "value"]


def test_datathon_errors_are_fixed(attrs: pd.DataFrame) -> None:
    wage = attrs[attrs["variable"] == "wage"].set_index(["region", "year", "territory"])["value"]
    # Akmola 2014 and 2016 hold the same number in the datathon file: both masked
    assert ("akmola", 2014, "akmola") not in wage.index and (
        "akmola",
        2016,
        "akmola",
    ) not in wage.index
    # Karaganda/Ulytau rows were one year early in the datathon file: 2023 = its "2022" column
    assert wage[("karaganda", 2023, "karaganda")] == 338_450
    assert wage[("ulytau", 2023, "ulytau")] == 483_812
    # zeros for regions that did not exist became missing, not 0
    assert (attrs["value"] > 0).all()
    low = attrs[attrs["quality"] == "low_trust"]
    assert set(low["source"]) == {"datathon_xuzzu"} and set(low["variable"]) == {"wage"}


def test_estimates_follow_the_documented_rule(attrs: pd.DataFrame) -> None:
    pop = attrs[attrs["variable"] == "population"].set_index(["region", "year", "territory"])[
        "value"
    ]
    share = pop[("abai", 2022, "abai")] / (
        pop[("abai", 2022, "abai")] + pop[("east_kazakhstan", 2022, "east_kazakhstan")]
    )
    old = pop[("east_kazakhstan", 2015, "abai+east_kazakhstan")]
    assert old == 1_395_466  # BNS, 1 January 2015, old East Kazakhstan
    assert pop[("abai", 2015, "abai")] == round(old * share)
    assert pop[("abai", 2015, "abai")] + pop[("east_kazakhstan", 2015, "east_kazakhstan")] == old
    est = attrs[attrs["quality"] == "estimated"]
    assert (est["territory"] == est["region"]).all()
    # GRP per capita: population-weighted mean of the estimated parts reproduces the old value
    grp = attrs[attrs["variable"] == "grp_pc"].set_index(["region", "year", "territory"])["value"]
    w = pop[("shymkent_city", 2017, "shymkent_city")] / (
        pop[("shymkent_city", 2017, "shymkent_city")] + pop[("turkistan", 2017, "turkistan")]
    )
    mix = (
        w * grp[("shymkent_city", 2015, "shymkent_city")]
        + (1 - w) * grp[("turkistan", 2015, "turkistan")]
    )
    assert mix == pytest.approx(grp[("south_kazakhstan", 2015, "shymkent_city+turkistan")], abs=0.1)
