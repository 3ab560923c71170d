"""The report's inference study (migflows/studies/report_inference.py) against direct calls.

The report shows what these return (``tests/test_reports.py`` checks the rows appear); here
each number is the one the documented call on the study's results gives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.studies.report_inference import BOOTSTRAP_REPS
from migflows.studies.report_models import ReportModels, stream_seed


@pytest.fixture(scope="module")
def models() -> ReportModels:
    return ReportModels(migflows.load_kazakhstan(), fast=True)


def test_gravity_rows_are_the_documented_tests(models):
    rows = models.inference.gravity.tests
    seed = stream_seed(0, "inference")
    regional = models.gravity.models["PPML regional"]
    boot = rows["Bootstrap p [95% CI], log_wage_ratio = 0 (origin clusters)"]["PPML regional"]
    again = regional.wild_bootstrap(
        "log_wage_ratio = 0", cluster="orig", reps=BOOTSTRAP_REPS, random_seed=seed, progress=False
    )
    assert (boot.pval, boot.lower, boot.upper) == (again.pval, again.lower, again.upper)
    assert boot.method == "score (restricted)" and boot.n_clusters == (20,)
    ols = rows["Bootstrap p [95% CI], log_wage_ratio = 0 (origin clusters)"]["OLS regional"]
    assert ols.method == "WCR" and ols.lower < ols.estimate < ols.upper
    wald = rows["Wald: region-year gaps = 0"]["PPML regional"]
    direct = regional.wald_test(formula="log_wage_ratio = 0, log_grp_pc_ratio = 0, unemp_diff = 0")
    assert wald.stat == pytest.approx(direct.stat, rel=1e-12) and wald.df == 3


def test_period_rows_and_iv_check(models):
    inf = models.inference.periods
    abc = models.an_becker_cheng_2000_2014
    table = inf.bootstrap
    assert list(table.index) == ["log_rel_income", "unemployment_gap", "uncertainty"]
    clustered = abc.tests.xs("CRV1 (entity)", level="covariance")
    np.testing.assert_allclose(
        table["Wald p (region clusters)"], clustered.loc[table.index, "pvalue"], rtol=1e-10
    )
    b = abc.model_clustered.params
    diff = b["period::crisis:uncertainty"] - b["period::boom:uncertainty"]
    assert table.loc["uncertainty", "difference"] == pytest.approx(float(diff), rel=1e-12)
    assert ((table["bootstrap p"] > 0) & (table["bootstrap p"] < 1)).all()
    assert (table["bootstrap lower"] < table["difference"]).all()
    assert inf.iv is not None and inf.iv_stats == ("First-stage F (log_rel_income)",)
    f = float(inf.iv.first_stage["f.stat"]["log_rel_income"])
    assert inf.iv.stats["First-stage F (log_rel_income)"] == pytest.approx(f, abs=1e-3)
    assert isinstance(inf.iv.params, pd.Series) and "log_rel_income" in inf.iv.params.index
