"""The embedded Kazakhstan panel as users load it, checked against the published sources."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import external

import migflows
from migflows.errors import DataQualityWarning, InvalidOptionError

# National totals of inter-regional moves, BNS OD table (PROVENANCE.md of the source folder).
PUBLISHED_TOTALS = {
    2010: 189_941,
    2015: 233_503,
    2020: 356_613,
    2021: 330_739,
    2023: 472_227,
    2024: 689_497,
}


def test_default_years_and_totals() -> None:
    kz = migflows.load_kazakhstan()
    assert kz.years == [2010, 2015, 2020, 2021, 2023, 2024]
    assert len(kz.region_keys) == 20 and kz.is_balanced
    totals = kz.flows.groupby("year")["flow"].sum().astype(int).to_dict()
    assert totals == PUBLISHED_TOTALS
    assert kz.meta["boundaries"] == "kazakhstan-2022"
    assert set(kz.attributes) >= {"population", "wage", "grp_pc", "unemployment", "income_pc"}


def test_totals_against_source_file() -> None:
    src = pd.read_csv(external("kz_od_migration_bns_islambekov") / "Internal_migration.csv")
    with pytest.warns(DataQualityWarning):
        kz = migflows.load_kazakhstan(include_flagged=True)
    ours = kz.flows.groupby("year")["flow"].sum()
    theirs = src.groupby("Year")["N"].sum()
    pd.testing.assert_series_equal(
        ours.astype(int), theirs.astype(int), check_names=False, check_index_type=False
    )


@pytest.mark.parametrize("region", ["astana_city", "turkistan"])
def test_net_balance_2023_matches_arrivals_departures(region: str) -> None:
    folder = external("kz_internal_migration_arrivals_departures_kanatislambekov")
    ad = pd.read_csv(folder / "internal_migration_2023.csv")
    names = migflows.data.match_kazakhstan(ad["region"])
    ad = ad.assign(key=ad["region"].map(names)).set_index("key")
    kz = migflows.load_kazakhstan(years=[2023])
    f = kz.flows
    net = (
        f.loc[f["destination"] == region, "flow"].sum() - f.loc[f["origin"] == region, "flow"].sum()
    )
    # The arrivals/departures file counts intra-regional moves on both sides, so its net equals
    # the OD net; its source rounds independently: PROVENANCE reports agreement within ±2.
    assert abs(net - ad.loc[region, "net"]) <= 2
    assert abs(net - (ad.loc[region, "arrivals"] - ad.loc[region, "departures"])) <= 2
    expected = {"astana_city": 1, "turkistan": -1}[region]
    assert np.sign(net) == expected


def test_flagged_years_warn_and_quality_check_finds_2022() -> None:
    with pytest.warns(DataQualityWarning, match=r"2022 \(corrupt\)"):
        kz = migflows.load_kazakhstan(years=[2021, 2022, 2023])
    report = kz.check_quality(warn=False)
    assert report.flagged_years == [2022]
    row = report.table.loc[2022]
    # 64 of the 190 unordered pairs, i.e. 128 of 380 ordered cells, have N(i,j) == N(j,i); the
    # source's PROVENANCE.md reports "128 of 190 pairs", mixing the two counts.
    assert row["symmetric_pairs"] == 64 and row["pairs"] == 190
    assert report.table.loc[2021, "symmetric_share"] < 0.07
    assert report.table.loc[2023, "net_mismatch"] < 0.01  # OD net agrees with arrivals-departures
    assert row["sign_contradictions"] > 0
    with pytest.warns(DataQualityWarning, match="2022"):
        kz.check_quality()


def test_loader_options() -> None:
    with pytest.raises(
        InvalidOptionError, match=r"years 1999 are not in the embedded Kazakhstan data"
    ):
        migflows.load_kazakhstan(years=[1999])
    with pytest.raises(InvalidOptionError, match="attributes 'gdp'"):
        migflows.load_kazakhstan(attributes=["gdp"])
    small = migflows.load_kazakhstan(years=[2023], attributes=["population"])
    assert small.attributes == ["population"]
    old = migflows.load_kazakhstan(years=[2015], boundaries="2017")
    assert len(old.region_keys) == 16


def test_covariates_on_embedded_data() -> None:
    kz = migflows.load_kazakhstan(years=[2020, 2021])
    X = kz.covariates(["log_dist", "log_pop_o", "log_pop_d", "log_wage_ratio", "unemp_diff"])
    assert X.shape == (760, 5)
    assert not X.isna().any().any()
    f = kz.flows
    i = int(
        np.flatnonzero(
            (f["origin"] == "turkistan") & (f["destination"] == "astana_city") & (f["year"] == 2021)
        )[0]
    )
    wage = kz.regions["wage"]
    assert X.iloc[i]["log_wage_ratio"] == pytest.approx(
        np.log(wage[("astana_city", 2021)] / wage[("turkistan", 2021)])
    )
    # seed thesis Table 3: 2021 wages Astana 344,691 and Turkistan 195,302 tenge
    assert wage[("astana_city", 2021)] == 344_691 and wage[("turkistan", 2021)] == 195_302
    d = kz.distances.set_index(["origin", "destination"])["distance"]
    assert d[("astana_city", "almaty_city")] == pytest.approx(972.7, abs=0.05)  # GeoNames centres


def test_registry_and_matching() -> None:
    reg = migflows.kazakhstan_regions()
    assert reg.loc["shymkent_city", "admin_centre"] == "Shymkent"
    assert reg.loc["astana_city", "name_ru"] == "г. Астана"
    names = migflows.data.match_kazakhstan(
        ["ЮЖНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ", "Г.АЛМАТЫ", "Almaty city", "Jetisu", "Ulutay"]
    )
    assert list(names.values()) == [
        "south_kazakhstan",
        "almaty_city",
        "almaty_city",
        "zhetisu",
        "ulytau",
    ]
    with pytest.raises(migflows.errors.RegionCodeError, match="'Atlantis'"):
        migflows.data.match_kazakhstan(["Atlantis"])


def test_balances_and_indices_from_panel() -> None:
    kz = migflows.load_kazakhstan()
    b = kz.balances()
    assert b.loc[("astana_city", 2023), "net"] == 50_078  # = arrivals_all - departures_all (BNS)
    assert b.loc[("turkistan", 2023), "net"] == -23_111
    assert b.groupby(level="year")["net"].sum().abs().max() == 0  # internal: nets sum to zero
    pop = kz.regions["population"]
    assert b.loc[("astana_city", 2023), "net_rate"] == pytest.approx(
        1000 * 50_078 / pop[("astana_city", 2023)]
    )
    assert np.isnan(b.loc[("astana_city", 2024), "net_rate"])  # no 2024 population in the data
    ix = kz.indices()
    assert ix.loc[2010, "distance_decay"] == pytest.approx(-1.06, abs=0.005)  # PROVENANCE: -1.06
    assert np.isnan(ix.loc[2024, "impact_effectiveness"])
    with pytest.raises(InvalidOptionError, match="which='flows'"):
        kz.indices(["flows"])  # type: ignore[list-item]


def test_korea_indices_through_flowpanel() -> None:
    korea = pd.read_csv(external("korea_migest") / "korea_gravity.csv")
    k20 = korea[korea["year"] == 2020]
    regions = (
        k20.groupby("dest", as_index=False)["dest_pop"].first().rename(columns={"dest": "region"})
    )
    regions = regions.assign(year=2020, population=regions["dest_pop"] * 1e6)[
        ["region", "year", "population"]
    ]
    panel = migflows.FlowPanel.from_frame(
        k20, origin="orig", destination="dest", regions=regions, self_flows="keep"
    )
    ix = panel.indices(["intensity", "impact", "connectivity"])
    # migest 2.0.5 reference pages (printed to 3 significant digits)
    assert ix.loc[2020, "intensity_cmp"] == pytest.approx(4.89, abs=0.005)
    assert ix.loc[2020, "intensity_courgeau_k"] == pytest.approx(0.863, abs=0.0005)
    assert ix.loc[2020, "impact_effectiveness"] == pytest.approx(7.67, abs=0.005)
    assert ix.loc[2020, "connectivity_gini_total"] == pytest.approx(0.709, abs=0.0005)
    assert len(panel.intra) == 17  # diagonal kept apart as intra-provincial moves
