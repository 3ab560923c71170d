"""presets.an_becker_cheng on the embedded Kazakhstan data.

The preset's numbers are checked against independent computations: linearmodels' PanelOLS
fitted directly on pair rates built here (period slopes, and the slope *differences* from a
re-parametrised regression whose coefficient is the difference itself), and unit_root called
directly on the same annual series. Nothing is compared with the paper's numbers (its data
are not public).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels.panel import PanelOLS

import migflows
from migflows.data.rates import add_periods, pair_rates, region_rates
from migflows.errors import EstimationError, InvalidOptionError
from migflows.estimation.unit_root.api import unit_root
from migflows.studies.abc_models import ABCResult
from migflows.studies.an_becker_cheng import KAZAKHSTAN_PERIODS, PAPER_PERIODS, an_becker_cheng

X = ["log_wage_ratio", "unemp_diff", "wage_uncertainty_diff"]


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan()


@pytest.fixture(scope="module")
def abc(kz: migflows.FlowPanel) -> ABCResult:
    # the OD-based version on the embedded flows (the default is now the regional 2000-2014 one)
    return an_becker_cheng(kz, periods=KAZAKHSTAN_PERIODS, window=2)


@pytest.fixture(scope="module")
def pairs(kz: migflows.FlowPanel) -> pd.DataFrame:
    """Pair-year data as the preset should use them (window 2, early/late periods)."""
    pr = add_periods(pair_rates(kz, window=2), KAZAKHSTAN_PERIODS)
    pr["pair"] = pr["origin"] + "->" + pr["destination"]
    pr = pr.set_index(["pair", "year"]).sort_index()
    cols = ["log_rate", "pop_o", *X]
    return pr[pr[cols].notna().all(axis=1) & pr["period"].notna()]


def _clusters(d: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"o": pd.factorize(d["origin"])[0], "d": pd.factorize(d["destination"])[0]},
        index=d.index,
    )


def test_defaults_on_embedded_data(abc: ABCResult) -> None:
    assert abc.periods == KAZAKHSTAN_PERIODS
    assert abc.model.formula == (
        "log_rate ~ i(period, log_wage_ratio) + i(period, unemp_diff) + "
        "i(period, wage_uncertainty_diff) | entity + time"
    )
    assert abc.model.vcov_type == "clustered (origin & destination)"
    assert abc.model.weights is not None and abc.model.weights.name == "pop_o"
    assert abc.model.n_entities == 380
    assert list(abc.model.periods) == [2015, 2020, 2021, 2023]
    # 2015 is the only early year with wages: no separate early model, and a note says so
    assert list(abc.by_period) == ["late"]
    assert any("No separate model for 'early'" in n and "(2015)" in n for n in abc.notes)


def test_period_slopes_match_linearmodels(abc: ABCResult, pairs: pd.DataFrame) -> None:
    late = (pairs["period"] == "late").to_numpy(dtype=float)
    exog = {}
    for p, dummy in (("early", 1 - late), ("late", late)):
        for x in X:
            exog[f"period::{p}:{x}"] = pairs[x] * dummy
    exog_df = pd.DataFrame(exog)[abc.model.params.index]
    lm = PanelOLS(
        pairs["log_rate"], exog_df, weights=pairs["pop_o"], entity_effects=True, time_effects=True
    ).fit(cov_type="clustered", clusters=_clusters(pairs))
    assert abc.model.nobs == lm.nobs == 1350
    np.testing.assert_allclose(abc.model.params, lm.params, rtol=1e-8)
    np.testing.assert_allclose(abc.model.std_errors, lm.std_errors, rtol=1e-8)
    for p in ("early", "late"):
        np.testing.assert_allclose(
            abc.comparison[(p, "estimate")], lm.params[[f"period::{p}:{x}" for x in X]], rtol=1e-8
        )


def test_differences_match_reparametrised_regression(abc: ABCResult, pairs: pd.DataFrame) -> None:
    # y = b_early x + (b_late - b_early) x*late: the second coefficient is the difference.
    late = (pairs["period"] == "late").to_numpy(dtype=float)
    exog = pd.DataFrame({**{x: pairs[x] for x in X}, **{f"{x}:late": pairs[x] * late for x in X}})
    lm = PanelOLS(
        pairs["log_rate"], exog, weights=pairs["pop_o"], entity_effects=True, time_effects=True
    ).fit(cov_type="clustered", clusters=_clusters(pairs))
    diff = abc.comparison["difference"]
    np.testing.assert_allclose(diff["estimate"], lm.params[[f"{x}:late" for x in X]], rtol=1e-8)
    np.testing.assert_allclose(
        diff["std_error"], lm.std_errors[[f"{x}:late" for x in X]], rtol=1e-8
    )
    np.testing.assert_allclose(diff["pvalue"], lm.pvalues[[f"{x}:late" for x in X]], rtol=1e-6)


def test_late_period_model_matches_linearmodels(abc: ABCResult, pairs: pd.DataFrame) -> None:
    sub = pairs[pairs["period"] == "late"]
    exog = pd.DataFrame({f"period::late:{x}": sub[x] for x in X})
    lm = PanelOLS(
        sub["log_rate"], exog, weights=sub["pop_o"], entity_effects=True, time_effects=True
    ).fit(cov_type="clustered", clusters=_clusters(sub))
    np.testing.assert_allclose(abc.by_period["late"].params, lm.params, rtol=1e-8)
    np.testing.assert_allclose(abc.by_period["late"].std_errors, lm.std_errors, rtol=1e-8)


def test_unit_root_pretests(abc: ABCResult, kz: migflows.FlowPanel) -> None:
    ur = abc.unit_roots.set_index(["variable", "test"])
    assert set(ur.index) == {
        (v, t)
        for v in ("log_rel_wage", "unemployment", "wage_uncertainty")
        for t in ("ips", "hadri")
    }
    # unemployment is complete 2001-2023 for all 20 regions: the preset's test is unit_root's
    annual = region_rates(kz, years="all", window=2)[["unemployment"]].dropna()
    for test in ("ips", "hadri"):
        direct = unit_root(annual, "unemployment", test)
        assert ur.loc[("unemployment", test), "statistic"] == pytest.approx(
            direct.statistic, rel=1e-12
        )
        assert ur.loc[("unemployment", test), "pvalue"] == pytest.approx(direct.pvalue, rel=1e-12)
    assert ur.loc[("unemployment", "ips"), "years"] == "2001-2023"
    assert ur.loc[("unemployment", "ips"), "null"] == "unit root"
    assert ur.loc[("unemployment", "hadri"), "null"] == "stationary"
    assert any("stationarity is not tested" in n for n in abc.notes)


def test_region_level_reports_untestable_dependent(kz: migflows.FlowPanel) -> None:
    with pytest.raises(
        EstimationError, match=r"'period::early:log_rel_wage', .* zero in every row"
    ):
        # with the 3-year uncertainty window (default for user data) 2015 has no uncertainty
        an_becker_cheng(kz, level="region", periods=KAZAKHSTAN_PERIODS, by_period=False)
    res = an_becker_cheng(kz, level="region", periods=KAZAKHSTAN_PERIODS, window=2, by_period=False)
    assert list(res.comparison.index) == ["log_rel_wage", "unemployment", "wage_uncertainty"]
    assert res.model.weights is not None and res.model.weights.name == "population"
    net = res.unit_roots.set_index(["variable", "test"]).loc[("net_rate", "ips")]
    assert str(net["note"]).startswith(
        "not tested: 'net_rate' has at most 2 consecutive year(s) per unit (years present: "
        "2010, 2015, 2020, 2021, 2023)"
    )
    assert np.isnan(net["statistic"])


def test_specification_says_what_follows_the_paper(abc: ABCResult) -> None:
    spec = abc.specification
    assert list(spec.index) == [
        "dependent variable",
        "wage / income gap",
        "unemployment",
        "uncertainty",
        "periods",
        "estimator",
        "standard errors",
        "stationarity pre-tests",
    ]
    assert spec.loc["periods", "paper"] == "boom 2000-2007 vs crisis 2008-2014"
    assert "the years are ours" in spec.loc["periods", "status"]
    assert spec.loc["standard errors", "status"] == "our choice"
    assert "2 years" in spec.loc["uncertainty", "status"]


def test_table_and_rendering(abc: ABCResult) -> None:
    t = abc.table()
    assert list(t.columns) == ["early", "late", "difference"]
    est = abc.comparison[("late", "estimate")].iloc[0]
    se = abc.comparison[("late", "std_error")].iloc[0]
    assert t.iloc[0]["late"].startswith(f"{est:.3f}") and f"({se:.3f})" in t.iloc[0]["late"]
    assert "Stationarity pre-tests" in str(abc) and "<table" in abc._repr_html_()


def test_directions_next_to_the_paper(abc: ABCResult) -> None:
    d = abc.directions()
    assert d.loc["log_wage_ratio", "paper_expected_change"] == "decrease"
    assert d.loc["wage_uncertainty_diff", "paper_expected_change"] == "increase"
    assert d.loc["unemp_diff", "paper_expected_change"] == ""
    diff = abc.comparison["difference"]
    for x in d.index:
        assert d.loc[x, "estimate"] == diff.loc[x, "estimate"]
        assert d.loc[x, "estimated_change"] == (
            "decrease" if diff.loc[x, "estimate"] < 0 else "increase"
        )
    assert d.loc["unemp_diff", "agrees"] is None


def test_errors(kz: migflows.FlowPanel) -> None:
    with pytest.raises(InvalidOptionError, match=r"period 'boom' \(2000-2007\) contains none"):
        an_becker_cheng(kz, periods=PAPER_PERIODS)
    with pytest.raises(InvalidOptionError, match="at least two periods"):
        an_becker_cheng(kz, periods={"all": (2010, 2024)})
    with pytest.raises(InvalidOptionError, match="level='district'"):
        an_becker_cheng(kz, level="district")  # type: ignore[arg-type]
