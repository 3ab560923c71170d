"""Rates and rate-regression regressors from a FlowPanel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.data.rates import add_periods, interact, pair_rates, region_rates, uncertainty
from migflows.errors import (
    InvalidOptionError,
    MissingValueError,
    PanelStructureError,
    UnknownVariableError,
)


def test_uncertainty_matches_direct_computation() -> None:
    kz = migflows.load_kazakhstan()
    wage = kz.regions["wage"]
    u = uncertainty(wage, window=3)
    s = wage.xs("astana_city").sort_index()
    growth = np.log(s.loc[2019:2021].to_numpy() / s.loc[2018:2020].to_numpy())
    assert u[("astana_city", 2021)] == pytest.approx(np.std(growth, ddof=1), rel=1e-12)
    # a gap in the years breaks the window instead of being bridged
    idx = pd.MultiIndex.from_tuples(
        [("a", 2000), ("a", 2001), ("a", 2003), ("a", 2004)], names=["region", "year"]
    )
    gappy = uncertainty(pd.Series([1.0, 2.0, 3.0, 4.0], index=idx), window=2)
    assert gappy.isna().all()
    with pytest.raises(InvalidOptionError, match="window=1 is too short"):
        uncertainty(wage, window=1)
    with pytest.raises(PanelStructureError, match=r"indexed by \(region, year\)"):
        uncertainty(pd.Series([1.0, 2.0]))


def test_region_rates_against_balances() -> None:
    kz = migflows.load_kazakhstan()
    r = region_rates(kz, periods={"early": (2010, 2015), "late": (2020, 2024)})
    pop = kz.regions["population"]
    f = kz.flows.query("year == 2021")
    out = f.loc[f["origin"] == "zhambyl", "flow"].sum()
    assert r.loc[("zhambyl", 2021), "out_rate"] == pytest.approx(
        1000 * out / pop[("zhambyl", 2021)]
    )
    wage = kz.regions["wage"].xs(2021, level="year")
    p21 = pop.xs(2021, level="year")
    national = (wage * p21).sum() / p21[wage.index].sum()
    assert r.loc[("zhambyl", 2021), "rel_wage"] == pytest.approx(wage["zhambyl"] / national)
    assert r.loc[("zhambyl", 2015), "period"] == "early" and r.loc[("zhambyl", 2021), "late"] == 1.0
    assert r.groupby(level="year")["net"].sum().abs().max() == 0


def test_pair_rates_and_interactions() -> None:
    kz = migflows.load_kazakhstan(years=[2020, 2021])
    pr = pair_rates(kz, periods={"covid": (2020, 2020)})
    row = pr[
        (pr["origin"] == "turkistan")
        & (pr["destination"] == "shymkent_city")
        & (pr["year"] == 2021)
    ].iloc[0]
    assert row["rate"] == pytest.approx(
        1000 * row["flow"] / kz.regions["population"][("turkistan", 2021)]
    )
    assert row["wage_uncertainty_diff"] == pytest.approx(
        row["wage_uncertainty_d"] - row["wage_uncertainty_o"]
    )
    assert pr["covid"].sum() == 380
    both = interact(pr, ["log_dist"], ["covid"])
    assert (both["log_dist:covid"] == both["log_dist"] * both["covid"]).all()
    with pytest.raises(UnknownVariableError, match="Cannot interact 'nope'"):
        interact(pr, ["nope"], ["covid"])


def test_period_and_population_errors() -> None:
    with pytest.raises(
        InvalidOptionError, match=r"Periods 'a' \(2000–2008\) and 'b' \(from 2005\) overlap"
    ):
        add_periods(pd.DataFrame({"year": [2001]}), {"a": (2000, 2008), "b": (2005, 2010)})
    with pytest.raises(InvalidOptionError, match="starts"):
        add_periods(pd.DataFrame({"year": [2001]}), {"a": (2009, 2008)})
    bare = migflows.FlowPanel.from_frame(
        pd.DataFrame({"origin": ["a"], "destination": ["b"], "year": [2020], "flow": [1]})
    )
    with pytest.raises(MissingValueError, match="need population"):
        region_rates(bare)


def test_unit_root_reads_a_flowpanel() -> None:
    from migflows.estimation.unit_root.api import region_table

    kz = migflows.load_kazakhstan()
    direct = migflows.unit_root(
        region_table(kz, "unemployment"), "unemployment", test="ips", lags=1
    )
    via_panel = migflows.unit_root(kz, "unemployment", test="ips", lags=1)
    assert via_panel.statistic == direct.statistic and via_panel.n_entities == 20
    with pytest.raises(PanelStructureError, match=r"gaps inside their series: 'abai' lacks 2011"):
        migflows.unit_root(kz, "net_rate")
    with pytest.raises(UnknownVariableError, match="neither a region attribute nor a rate"):
        migflows.unit_root(kz, "nope")


def test_single_series_tests_read_a_flowpanel() -> None:
    from migflows.estimation.unit_root.api import region_table

    kz = migflows.load_kazakhstan()
    table = region_table(kz, "unemployment")
    pd.testing.assert_frame_equal(
        migflows.adf_by_region(kz, "unemployment"), migflows.adf_by_region(table, "unemployment")
    )
    pd.testing.assert_frame_equal(
        migflows.kpss_by_region(kz, "unemployment"), migflows.kpss_by_region(table, "unemployment")
    )
