"""Linear hypotheses (Wald tests, linear combinations) on every regression results class.

References: ``tests/fixtures/inference/python_reference.json``, made by
``tests/fixtures/inference/make_inference_reference.py`` (pyfixest ``fepois(...).wald_test``,
statsmodels ``OLS.wald_test``/``t_test``, linearmodels ``PanelOLS.wald_test``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import (
    DroppedRowsWarning,
    FormulaSyntaxError,
    InvalidOptionError,
    SeparationWarning,
    UnknownVariableError,
)
from migflows.estimation.core.hypothesis import restriction_matrix

FIX = Path(__file__).resolve().parent / "fixtures"
REF = json.loads((FIX / "inference" / "python_reference.json").read_text())


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = pd.read_csv(FIX / "ppml" / "gravity_panel.csv")
    df["pair"] = df["orig"] + "_" + df["dest"]
    return df


@pytest.fixture(scope="module")
def ppml(panel):
    ref = REF["pyfixest"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        return migflows.gravity(ref["formula"], panel, tol=1e-12)


# ------------------------------------------------------------------------- restriction text
def test_restriction_text_forms():
    names = ["log(wage_o)", "log_dist", "i(year)[2020]", "a"]
    R, q = restriction_matrix("log_dist = -1, 2*a - i(year)[2020] = 0.5", names)
    np.testing.assert_array_equal(R, [[0, 1, 0, 0], [0, 0, -1, 2]])
    np.testing.assert_array_equal(q, [-1, 0.5])
    R, q = restriction_matrix(["log(wage_o) * 3 + 1 = a"], names)
    np.testing.assert_array_equal(R, [[3, 0, 0, -1]])
    np.testing.assert_array_equal(q, [-1])
    R, q = restriction_matrix(np.array([[1.0, 0, 0, 0]]), names, [2.0])
    assert q.tolist() == [2.0]


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("log_km = -1", UnknownVariableError, "'log_km' is not a parameter; the parameters are"),
        ("a = 1 = 2", FormulaSyntaxError, "more than one '='"),
        ("a - a = 0", FormulaSyntaxError, "involves no parameter"),
        ("a b = 0", FormulaSyntaxError, "expected '\\+' or '-'"),
        ("", FormulaSyntaxError, "empty"),
    ],
)
def test_restriction_errors_name_the_problem(text, error, match):
    with pytest.raises(error, match=match):
        restriction_matrix(text, ["a", "b"])


# ------------------------------------------------------------------------- PPML vs pyfixest
@pytest.mark.parametrize("vname", ["hetero", "crv1_orig", "crv1_orig_dest"])
def test_ppml_wald_and_combination_match_pyfixest(ppml, vname):
    ref = REF["pyfixest"]["vcov"][vname]
    res = ppml.vcov(ref["vcov"])
    test = res.wald_test(formula="log_dist = -1, contig = 0")
    # the statistic depends on the covariance, whose SEs agree with pyfixest to ~1e-6
    assert test.stat == pytest.approx(ref["wald_stat"], rel=1e-5)
    assert test.pval == pytest.approx(ref["wald_pvalue"], rel=1e-4)
    assert test.df == 2 and test.distribution == "chi2"
    assert test.covariance == str(res.vcov_type)
    assert test.null == "log_dist = -1, contig = 0"
    combo = res.t_test("log_dist + contig = 0")
    assert combo["estimate"].iloc[0] == pytest.approx(ref["combo_estimate"], rel=1e-6)
    assert combo["std_error"].iloc[0] == pytest.approx(ref["combo_se"], rel=1e-4)
    # the same test given as a matrix
    names = list(res.params.index)
    R = pd.DataFrame([[1.0, 0.0], [0.0, 1.0]], columns=["log_dist", "contig"])
    again = res.wald_test(R, [-1.0, 0.0])
    assert again.stat == pytest.approx(test.stat, rel=1e-12)
    assert again.R.shape == (2, len(names))


def test_wald_equals_squared_t_for_one_restriction(ppml):
    test = ppml.wald_test(formula="contig = 0")
    assert test.stat == pytest.approx(float(ppml.tstats["contig"]) ** 2, rel=1e-12)
    assert test.pval == pytest.approx(float(ppml.pvalues["contig"]), rel=1e-10)
    ci = ppml.t_test("contig")
    np.testing.assert_allclose(
        ci[["lower", "upper"]].to_numpy()[0], ppml.conf_int().loc["contig"].to_numpy(), rtol=1e-12
    )


def test_wald_test_argument_errors(ppml):
    with pytest.raises(InvalidOptionError, match=r"either restriction= .* or formula="):
        ppml.wald_test()
    with pytest.raises(InvalidOptionError, match="linearly dependent"):
        ppml.wald_test(formula="contig = 0, 2*contig = 0")
    with pytest.raises(InvalidOptionError, match="value= goes with a matrix"):
        ppml.wald_test("contig = 0", [1.0])


# ------------------------------------------------------------------------- OLS vs statsmodels
def test_ols_wald_and_t_test_match_statsmodels(panel):
    ref = REF["statsmodels_ols"]["cov"]["HC1"]
    with pytest.warns(DroppedRowsWarning):
        res = migflows.gravity(
            "flow ~ log_dist + log_wage_ratio + unemp_diff + contig | year",
            panel,
            estimator="ols",
            vcov="hetero",
        )
    test = res.wald_test(formula="log_dist = -1, contig = 0")
    assert test.distribution == "F"
    assert test.df_denom == ref["wald_df_denom"]
    assert test.stat == pytest.approx(ref["wald_F"], rel=1e-8)
    assert test.pval == pytest.approx(ref["wald_pvalue"], rel=1e-6)
    t = res.t_test("log_dist + contig = 0").iloc[0]
    assert t["estimate"] == pytest.approx(ref["t_estimate"], rel=1e-8)
    assert t["std_error"] == pytest.approx(ref["t_se"], rel=1e-8)
    assert t["pvalue"] == pytest.approx(ref["t_pvalue"], rel=1e-6)
    assert t["lower"] == pytest.approx(ref["t_lower"], rel=1e-8)
    assert t["upper"] == pytest.approx(ref["t_upper"], rel=1e-8)


def test_clustered_ols_wald_matches_pyfixest_feols(panel):
    ref = REF["pyfixest_feols"]
    with pytest.warns(DroppedRowsWarning):
        res = migflows.gravity(
            "flow ~ log_dist + log_wage_ratio + unemp_diff + contig | orig + dest + year",
            panel,
            estimator="ols",
            vcov=ref["vcov"],
        )
    test = res.wald_test(formula="log_dist = -1, contig = 0", distribution="chi2")
    # 1e-6: both libraries demean the fixed effects iteratively to ~1e-8
    assert test.stat == pytest.approx(ref["wald_stat"], rel=1e-6)
    assert test.pval == pytest.approx(ref["wald_pvalue"], rel=1e-6)
    combo = res.t_test("log_dist + contig").iloc[0]
    assert combo["estimate"] == pytest.approx(ref["combo_estimate"], rel=1e-6)
    assert combo["std_error"] == pytest.approx(ref["combo_se"], rel=1e-6)


# ------------------------------------------------------------------------- panel vs linearmodels
def test_panel_wald_matches_linearmodels(panel):
    pos = panel[panel["flow"] > 0].copy()
    pos["log_flow"] = np.log(pos["flow"])
    res = migflows.panel(
        "log_flow ~ log_wage_ratio + unemp_diff + pair_shock | entity",
        pos,
        entity="pair",
        time="year",
        vcov={"CRV1": "entity"},
    )
    restriction = "log_wage_ratio = 1, unemp_diff = 0"
    # linearmodels' own Wald test of the fit the result wraps (same covariance, other code)
    ref = res.linearmodels.wald_test(formula=restriction)
    test = res.wald_test(formula=restriction, distribution="chi2")
    assert test.stat == pytest.approx(float(ref.stat), rel=1e-10)
    assert test.pval == pytest.approx(float(ref.pval), rel=1e-8)
    assert test.df == int(ref.df)
    one = res.t_test("log_wage_ratio - 1").iloc[0]
    assert one["estimate"] == pytest.approx(float(res.params["log_wage_ratio"]) - 1, rel=1e-12)
    assert one["std_error"] == pytest.approx(float(res.std_errors["log_wage_ratio"]), rel=1e-12)


# ------------------------------------------------------------------------- posterior versions
def test_posterior_wald_and_t_test():
    from arviz_base import from_dict

    from migflows.estimation.bayes.api import bayes_gravity
    from migflows.estimation.bayes.results import BayesGravityResults

    kz = migflows.load_kazakhstan(years=[2021])
    model = bayes_gravity("flow ~ log_dist + log_wage_ratio | orig + dest", kz, sample=False)
    rng = np.random.default_rng(0)
    beta = np.stack(
        [-1.2 + 0.05 * rng.standard_normal((4, 1000)), 0.5 + 0.2 * rng.standard_normal((4, 1000))],
        axis=-1,
    )
    idata = from_dict(
        {"posterior": {"beta": beta}},
        dims={"beta": ["coef"]},
        coords={"coef": ["log_dist", "log_wage_ratio"]},
    )
    res = BayesGravityResults(model, idata)
    flat = beta.reshape(-1, 2)
    combo = flat[:, 0] + flat[:, 1]
    out = res.t_test("log_dist + log_wage_ratio = 0").iloc[0]
    assert out["estimate"] == pytest.approx(combo.mean(), rel=1e-12)
    assert out["std_error"] == pytest.approx(combo.std(ddof=1), rel=1e-12)
    assert out["lower"] == pytest.approx(np.quantile(combo, 0.025), rel=1e-12)
    assert out["prob_positive"] == pytest.approx((combo > 0).mean(), abs=1e-12)
    far = res.wald_test(formula="log_dist = 0, log_wage_ratio = 0")
    near = res.wald_test(formula="log_dist = -1.2, log_wage_ratio = 0.5")
    assert far.covariance == "posterior" and far.df == 2
    assert far.pval == 0.0 and near.pval > 0.9  # tail probability of the null value
    d = flat.mean(axis=0) - [0.0, 0.0]
    assert far.stat == pytest.approx(float(d @ np.linalg.solve(np.cov(flat.T), d)), rel=1e-10)


# ------------------------------------------------------------------------- tables
def test_table_shows_wald_bootstrap_and_first_stage_rows():
    kz = migflows.load_kazakhstan(years=[2020, 2021])
    reg = migflows.gravity(
        "flow ~ log_wage_ratio + log_dist | orig + dest + year", kz, vcov={"CRV1": "orig"}
    )
    wald = reg.wald_test(formula="log_dist = -1")
    boot = reg.wild_bootstrap("log_dist = -1", reps=199, random_seed=1)
    out = migflows.reports.table(
        {"PPML": reg, "again": reg},
        tests={"Wald: log_dist = -1": {"PPML": wald}, "Bootstrap p [95% CI]": {"PPML": boot}},
    )
    assert out.loc["Wald: log_dist = -1", "PPML"] == f"{wald.stat:.3f} (p = {wald.pval:.3f})"
    assert out.loc["Bootstrap p [95% CI]", "PPML"] == (
        f"p = {boot.pval:.3f} [{boot.lower:.3f}, {boot.upper:.3f}]"
    )
    assert out.loc["Wald: log_dist = -1", "again"] == ""
    with pytest.raises(InvalidOptionError, match="names model\\(s\\) \\['other'\\]"):
        migflows.reports.table({"PPML": reg}, tests={"row": {"other": wald}})
    df = pd.read_csv(FIX / "inference" / "iv_panel.csv")
    iv = migflows.panel("y ~ w | entity | x ~ z1 + z2", df, entity="region", time="year")
    shown = migflows.reports.table({"IV": iv}, stats=("nobs", "First-stage F (x)"))
    assert shown.loc["First-stage F (x)", "IV"] == f"{iv.first_stage.loc['x', 'f.stat']:.3f}"
