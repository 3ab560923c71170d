"""An–Becker–Cheng on the regional panel 2000–2014 and the period-difference Wald tests.

References: R (lm with region and year dummies, sandwich's vcovPL / vcovCL, car's
linearHypothesis) stored in tests/fixtures/abc_regions/ with the scripts that made them; and
linearmodels' ``PanelOLS`` fitted directly on boom and crisis copies of each regressor with its
own ``wald_test``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from linearmodels.panel import PanelOLS

import migflows
from migflows.data.regional_panel import load_kazakhstan_regions
from migflows.errors import InvalidOptionError, MissingColumnError
from migflows.studies.abc_regions import (
    PAPER_FINDINGS,
    ABCRegionsResult,
    abc_regions,
    period_difference_test,
)

X = ["log_rel_income", "unemployment_gap", "uncertainty"]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "abc_regions"
# fixture covariance -> the same covariance in migflows without small-sample factors
R_COVS = {"dk_HC0_lag2": {"driscoll_kraay": 2}, "cl_HC0": {"cluster": "entity"}}


@pytest.fixture(scope="module")
def abc() -> ABCRegionsResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return migflows.presets.an_becker_cheng()


def _reference(sample: pd.DataFrame, cov: dict[str, object]) -> object:
    exog = {}
    for p in ("boom", "crisis"):
        for x in X:
            exog[f"{p}_{x}"] = sample[x] * (sample["period"] == p)
    mod = PanelOLS(
        sample["net_rate"],
        pd.DataFrame(exog),
        weights=sample["population_mid"],
        entity_effects=True,
        time_effects=True,
    )
    return mod.fit(**cov)


def test_runs_on_16_regions_13_years(abc: ABCRegionsResult) -> None:
    assert (abc.model.nobs, abc.model.n_entities, abc.model.n_periods) == (206, 16, 13)
    assert abc.periods == {"boom": (2000, 2007), "crisis": (2009, 2014)}
    assert abc.coverage.loc["boom", "years"] == "2001-2007"
    assert abc.coverage.loc["crisis", "region_years"] == 16 * 6 - 2
    assert abc.model.vcov_type == "Driscoll-Kraay"
    assert abc.model_clustered.vcov_type == "CRV1 (entity)"
    assert set(abc.by_period) == {"boom", "crisis"}
    assert abc.by_period["boom"].nobs == 112


def test_interacted_model_matches_linearmodels(abc: ABCRegionsResult) -> None:
    ref = _reference(abc.data, {"cov_type": "kernel", "kernel": "bartlett"})
    for p in ("boom", "crisis"):
        for x in X:
            ours = f"period::{p}:{x}"
            assert abc.model.params[ours] == pytest.approx(ref.params[f"{p}_{x}"], rel=1e-6)
            assert abc.model.std_errors[ours] == pytest.approx(ref.std_errors[f"{p}_{x}"], rel=1e-4)


@pytest.mark.parametrize(
    ("cov", "kind"),
    [
        ({"cov_type": "kernel", "kernel": "bartlett"}, "Driscoll-Kraay"),
        ({"cov_type": "clustered", "cluster_entity": True}, "CRV1 (entity)"),
    ],
)
def test_period_difference_wald_matches_linearmodels(
    abc: ABCRegionsResult, cov: dict[str, object], kind: str
) -> None:
    ref = _reference(abc.data, cov)
    names = list(ref.params.index)
    res = abc.model if kind == "Driscoll-Kraay" else abc.model_clustered
    for x in ("log_rel_income", "uncertainty", "unemployment_gap"):
        r = np.zeros((1, len(names)))
        r[0, names.index(f"crisis_{x}")], r[0, names.index(f"boom_{x}")] = 1.0, -1.0
        expected = ref.wald_test(restriction=r, value=np.zeros(1))
        ours = period_difference_test(res, x)
        assert ours.statistic == pytest.approx(expected.stat, rel=1e-6)
        assert ours.pvalue == pytest.approx(expected.pval, rel=1e-6)
        assert ours.df == expected.df == 1
        row = abc.tests.loc[(kind, x)]
        assert row["wald"] == pytest.approx(expected.stat, rel=1e-6)
    # the joint test of both differences
    r = np.zeros((2, len(names)))
    for i, x in enumerate(("log_rel_income", "uncertainty")):
        r[i, names.index(f"crisis_{x}")], r[i, names.index(f"boom_{x}")] = 1.0, -1.0
    expected = ref.wald_test(restriction=r, value=np.zeros(2))
    joint = abc.tests.loc[(kind, "log_rel_income & uncertainty (joint)")]
    assert joint["wald"] == pytest.approx(expected.stat, rel=1e-6)
    assert joint["df"] == 2


def test_sample_is_the_fixture_sample(abc: ABCRegionsResult) -> None:
    d = pd.read_csv(FIXTURES / "abc_sample.csv").set_index(["region", "year"])
    ours = abc.data.sort_index()
    assert list(d.index) == list(ours.index)
    np.testing.assert_allclose(d["net_rate"], ours["net_rate"], rtol=1e-12)
    np.testing.assert_allclose(
        d["crisis_uncertainty"], ours["uncertainty"] * (ours["period"] == "crisis"), rtol=1e-12
    )


@pytest.mark.parametrize("r_cov", list(R_COVS))
def test_model_and_wald_tests_match_r(abc: ABCRegionsResult, r_cov: str) -> None:
    coefs = pd.read_csv(FIXTURES / "abc_coefficients.csv")
    coefs = coefs[coefs["cov"] == r_cov].set_index("term")
    walds = pd.read_csv(FIXTURES / "abc_wald.csv")
    walds = walds[walds["cov"] == r_cov].set_index("hypothesis")
    res = abc.model.vcov(R_COVS[r_cov], debiased=False, count_effects=False)
    for term, row in coefs.iterrows():
        period, x = str(term).split("_", 1)
        name = f"period::{period}:{x}"
        assert res.params[name] == pytest.approx(row["estimate"], rel=1e-6)
        assert res.std_errors[name] == pytest.approx(row["std_error"], rel=1e-4)
    for hyp, row in walds.iterrows():
        terms = ["log_rel_income", "uncertainty"] if hyp == "joint" else str(hyp)
        t = period_difference_test(res, terms)
        # the statistic is a ratio of covariance entries: the standard-error tolerance applies
        assert t.statistic == pytest.approx(row["chisq"], rel=1e-4)
        assert t.pvalue == pytest.approx(row["pvalue"], rel=1e-4)
        assert t.df == row["df"]


def test_difference_is_crisis_minus_boom(abc: ABCRegionsResult) -> None:
    t = period_difference_test(abc.model, "uncertainty")
    p = abc.model.params
    expected = p["period::crisis:uncertainty"] - p["period::boom:uncertainty"]
    assert t.estimate["uncertainty"] == pytest.approx(expected, rel=1e-12)
    assert abc.comparison.loc["uncertainty", ("difference", "estimate")] == pytest.approx(
        expected, rel=1e-12
    )
    assert "chi2(1)" in str(t)


def test_missing_coefficient_is_named(abc: ABCRegionsResult) -> None:
    with pytest.raises(MissingColumnError, match=r"'period::boom:wage' is not in the results"):
        period_difference_test(abc.model, "wage")


def test_findings_table(abc: ABCRegionsResult) -> None:
    f = abc.findings
    assert list(f.index) == list(PAPER_FINDINGS)
    assert list(f.columns) == ["paper", "measure", "ours", "expected_sign", "verdict"]
    # no number of the paper is stored: the paper column is qualitative
    assert not f["paper"].str.contains(r"\d").any()
    verdicts = ("holds", "does not hold", "sign as the paper")
    assert f.loc["conventional forces hold", "verdict"].startswith("income: ")
    assert all(v.startswith(verdicts) for v in f["verdict"].iloc[1:])
    # the verdicts follow the estimates
    unc = abc.tests.loc[("Driscoll-Kraay", "uncertainty")]
    expected = "holds" if unc["estimate"] > 0 and unc["pvalue"] < 0.05 else None
    if expected:
        assert f.loc["the crisis reduces the deterrent of relative uncertainty", "verdict"] == (
            expected
        )
    assert len(abc.caveats) == 4 and "Income, not wages" in abc.caveats[0]
    assert "Period-difference tests" in str(abc) and "Caveats:" in str(abc)
    assert "Income, not wages" in abc._repr_html_()


def test_unit_root_pretests_on_each_series(abc: ABCRegionsResult) -> None:
    ur = abc.unit_roots
    assert set(ur["variable"]) == {"net_rate", *X}
    assert set(ur["test"]) == {"ips", "hadri"}
    assert ur["pvalue"].between(0, 1).all()


def test_own_breaks_and_own_data() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = load_kazakhstan_regions()
        before = df.copy()
        res = migflows.presets.an_becker_cheng(
            df, periods={"before": (2001, 2007), "after": (2009, 2016)}
        )
    pd.testing.assert_frame_equal(df, before)  # nothing the user passes is mutated
    assert list(res.coverage.index) == ["before", "after"]
    assert res.coverage.loc["after", "years"] == "2009-2016"
    assert "period::after:uncertainty" in res.model.params.index


def test_options_are_checked() -> None:
    with pytest.raises(InvalidOptionError, match="vcov= applies to the OD-based version"):
        migflows.presets.an_becker_cheng(vcov="robust")
    with pytest.raises(InvalidOptionError, match="at least two periods"):
        abc_regions(periods={"all": (2000, 2014)})
    with pytest.raises(MissingColumnError, match="'net_rate' is not in data"):
        abc_regions(pd.DataFrame({"x": [1.0]}))


def test_report_section_reads_the_study(tmp_path: Path) -> None:
    from migflows.reports.html import build_report
    from migflows.studies.report_models import ReportModels

    kz = migflows.load_kazakhstan()
    results = ReportModels(kz)
    path = build_report(
        kz, tmp_path / "r.html", sections=["abc_2000_2014"], progress=False, results=results
    )
    page = path.read_text(encoding="utf-8")
    assert "An–Becker–Cheng on 2000–2014" in page
    assert "Wald tests of each period difference" in page
    assert "Income, not wages" in page and "Net, not in/out" in page
    assert "the crisis weakens the income-gap effect" in page
    assert "an_becker_cheng_2000_2014" in repr(results)  # the section asked the study
    other = build_report(
        kz, tmp_path / "o.html", sections=["abc_2000_2014"], progress=False, dataset="other"
    )
    assert "embedded Kazakhstan one" in other.read_text(encoding="utf-8")
