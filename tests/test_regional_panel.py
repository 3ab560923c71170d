"""The annual region-year series (region_series.csv) and ``load_kazakhstan_regions``.

National sums are checked against the official national figures in ../shared/data/external
(``external()`` skips when absent); derived variables against hand computations.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import external

import migflows
from migflows.data.regional_panel import REGIONS_2017, kazakhstan_series, load_kazakhstan_regions
from migflows.errors import DataQualityWarning, InvalidOptionError

NET = "kz_net_migration_derived_bns_2000_2022"
VITAL = "kz_births_deaths_natural_increase_bns_2000_2024"
CPI = "kz_regional_cpi_subsistence_min_bns_1993_2024"


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    return kazakhstan_series()


@pytest.fixture(scope="module")
def panel_2014() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_kazakhstan_regions(years=range(2000, 2015))


def _values(series: pd.DataFrame, variable: str) -> pd.Series:
    s = series[series["variable"] == variable]
    return s.set_index(["region", "year"])["value"]


def test_net_migration_sums_to_the_official_national_balance(series: pd.DataFrame) -> None:
    official = pd.read_csv(external(NET) / "national_migration_balance_bns_2000_2024.csv")
    official = official.set_index("year")["net_migration_all_flows_total"]
    net = series[series["variable"] == "net_migration"]
    total = net.groupby("year")["value"].sum()
    # breaks: census years 2008 and 2021, South Kazakhstan split 2016-2017 (the 2016 balance
    # of South Kazakhstan ends in Turkistan without Shymkent); the 2014 Almaty transfer is
    # internal and cancels. The PROVENANCE records 2012 as the one other year where the
    # demographic balance differs from the published total (by 3 persons).
    for year in [*range(2000, 2008), *range(2009, 2016), *range(2018, 2021), 2022]:
        tol = 3 if year == 2012 else 0
        assert abs(total[year] - official[year]) <= tol, year
    assert total[2008] - official[2008] > 200_000  # the rebasing jump the flag warns about
    # flagged: 16 regions in 2008, South Kazakhstan 2016 + Turkistan and Shymkent 2017, 17 in 2021
    assert (net.loc[net["year"].isin([2008, 2016, 2017, 2021]), "flag"] != "").sum() == 16 + 3 + 17


def test_births_and_deaths_add_up_to_the_national_totals(series: pd.DataFrame) -> None:
    src = pd.read_csv(external(VITAL) / "births_deaths_natural_increase_tidy.csv")
    national = src[src["region_key"] == "kazakhstan_total"].set_index("year")
    for variable in ("births", "deaths", "natural_increase"):
        total = series[series["variable"] == variable].groupby("year")["value"].sum()
        pd.testing.assert_series_equal(
            total.loc[2000:2024], national[variable].astype(float).loc[2000:2024],
            check_names=False,
        )  # fmt: skip
    # natural increase = births - deaths in every row
    b, d, n = (_values(series, v) for v in ("births", "deaths", "natural_increase"))
    assert ((b - d) == n).all()


def test_break_flags(series: pd.DataFrame) -> None:
    net = series[series["variable"] == "net_migration"].set_index(["region", "year"])
    flag = net["flag"]
    assert (flag.xs(2008, level="year") == "census_2009").all()
    assert flag.xs(2008, level="year").size == 16
    assert flag[("almaty_city", 2014)] == flag[("almaty_region", 2014)] == "boundary_almaty_2014"
    assert flag[("south_kazakhstan", 2016)] == "boundary_south_kazakhstan_split"
    assert (flag.xs(2021, level="year") == "census_2021").all()
    assert (flag != "").sum() == 38
    boom_crisis = flag[flag.index.get_level_values("year").isin(range(2000, 2015))]
    assert sorted(boom_crisis[boom_crisis != ""].index.get_level_values("year").unique()) == [
        2008, 2014,
    ]  # fmt: skip


def test_cpi_is_chained_to_2000(series: pd.DataFrame) -> None:
    ref = pd.read_csv(external(CPI) / "cpi_total_chained_level_derived.csv")
    ref = ref[(ref["measure_chained"] == "annual_avg_over_prev_year") & (ref["base_year"] == 2000)]
    ref = ref[ref["region_key"] != "kazakhstan_total"]
    ref["region_key"] = ref["region_key"].replace("turkistan_or_south_kaz", "south_kazakhstan")
    ref = ref[~((ref["region_key"] == "south_kazakhstan") & (ref["year"] > 2017))]
    ref = ref[ref["year"] >= 2000].set_index(["region_key", "year"])["cpi_level"]
    ours = _values(series, "cpi_index").reindex(ref.index)
    # the reference file is rounded to 3 decimals
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), atol=6e-4)
    assert _values(series, "cpi_index")[("almaty_city", 2000)] == 100.0


def test_every_value_has_source_quality_territory(series: pd.DataFrame) -> None:
    sources = migflows.data.kazakhstan_tables()["sources"]
    assert set(series["source"]) <= set(sources["source"])
    assert series[["unit", "source", "quality", "territory"]].notna().all().all()
    sk = series[series["region"] == "south_kazakhstan"]
    assert (sk["territory"] == "shymkent_city+turkistan").all()
    old = series[(series["region"] == "almaty_region") & (series["year"] < 2022)]
    assert (old["territory"] == "almaty_region+zhetisu").all()


def test_panel_coverage_2000_2014(panel_2014: pd.DataFrame) -> None:
    assert sorted(panel_2014.index.get_level_values("region").unique()) == sorted(REGIONS_2017)
    used = panel_2014[
        ["net_rate", "log_rel_income", "unemployment_gap", "uncertainty", "population_mid"]
    ].dropna()
    used = used[used.index.get_level_values("year") != 2008]
    years = sorted(used.index.get_level_values("year").unique())
    assert years == [*range(2001, 2008), *range(2009, 2015)]  # 13 usable years
    assert len(used) == 16 * 13 - 2  # Almaty city and region 2014 are breaks


def test_net_rate_matches_the_source(panel_2014: pd.DataFrame) -> None:
    src = pd.read_csv(external(NET) / "net_migration_derived_tidy.csv")
    src["region_key"] = src["region_key"].replace("turkistan_or_south_kaz", "south_kazakhstan")
    src = src[src["flag"] == "ok"].set_index(["region_key", "year"])
    ref = src["net_migration_rate_per_1000_midyear"]
    ours = panel_2014["net_rate"].dropna()
    ref = ref.reindex(ours.index)
    # the source rounds the rate to 3 decimals
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), atol=5.01e-4)


def test_derived_variables_by_hand(panel_2014: pd.DataFrame) -> None:
    p = panel_2014
    one = p.loc[("pavlodar", 2005)]
    assert one["real_income"] == pytest.approx(one["income_pc"] / one["cpi_index"] * 100, rel=1e-12)
    year = p.xs(2005, level="year")
    w = year["population"]
    mean = (year["real_income"] * w).sum() / w.sum()
    assert one["rel_income"] == pytest.approx(one["real_income"] / mean, rel=1e-12)
    lf = year["labour_force"]
    gap = one["unemployment"] - (year["unemployment"] * lf).sum() / lf.sum()
    assert one["unemployment_gap"] == pytest.approx(gap, rel=1e-12)
    # uncertainty: RMS of (regional - national) real income growth over 3 years
    nat = (
        p["real_income"].mul(p["population"]).groupby(level="year").sum()
        / p["population"].groupby(level="year").sum()
    )
    g = np.log(p.loc["pavlodar", "real_income"]).diff()
    dev = g - np.log(nat).diff()
    expected = np.sqrt((dev.loc[2003:2005] ** 2).mean())
    assert one["uncertainty"] == pytest.approx(expected, rel=1e-12)
    assert p.loc[("pavlodar", 2001), "uncertainty"] == pytest.approx(abs(dev.loc[2001]), rel=1e-12)
    assert one["period"] == "boom" and one["boom"] == 1 and one["crisis"] == 0
    assert pd.isna(p.loc[("pavlodar", 2008), "period"])


def test_relative_to_others() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        p = load_kazakhstan_regions(years=[2010], relative_to="others")
    year = p.xs(2010, level="year")
    others = year.drop(index="atyrau")
    mean = (others["real_income"] * others["population"]).sum() / others["population"].sum()
    assert year.loc["atyrau", "rel_income"] == pytest.approx(
        year.loc["atyrau", "real_income"] / mean, rel=1e-12
    )


def test_break_years_warn_and_are_exposed() -> None:
    with pytest.warns(DataQualityWarning, match=r"18 region-year net migration rates fall in"):
        p = load_kazakhstan_regions(years=range(2000, 2015))
    assert p.loc[("almaty_city", 2014), "break_flag"] == "boundary_almaty_2014"
    assert np.isnan(p.loc[("almaty_city", 2014), "net_rate"])
    excluded = p.attrs["excluded_breaks"]
    assert len(excluded) == 18
    assert ("almaty_city", 2014, "boundary_almaty_2014", 115_922.0) in excluded
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        kept = load_kazakhstan_regions(years=range(2000, 2015), include_breaks=True)
    assert kept.loc[("almaty_city", 2014), "net_rate"] == pytest.approx(73.640, abs=5e-4)


def test_bad_options_are_named() -> None:
    with pytest.raises(InvalidOptionError, match="window=0 must be"):
        load_kazakhstan_regions(window=0)
    with pytest.raises(InvalidOptionError, match="relative_to='world'"):
        load_kazakhstan_regions(relative_to="world")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="years 1999 are outside"):
        load_kazakhstan_regions(years=[1999, 2000])


def test_public_name() -> None:
    assert migflows.load_kazakhstan_regions is load_kazakhstan_regions
    assert callable(migflows.data.kazakhstan_regions)  # the region registry is still there
