"""Uncertainty of predicted flows, balances and counterfactual changes (delta method, simulation).

References: statsmodels ``GLM(...).get_prediction().se_mean`` with dummy fixed effects
(``tests/fixtures/inference/python_reference.json``, script ``make_inference_reference.py``); the
joint covariance's slope block against the result's own covariance; and the accounting
identity that national net migration is zero.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import InvalidOptionError, SeparationWarning
from migflows.estimation.core.covariance import SmallSampleCorrection

FIX = Path(__file__).resolve().parent / "fixtures"
REF = json.loads((FIX / "inference" / "python_reference.json").read_text())


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    df = pd.read_csv(FIX / "ppml" / "gravity_panel.csv")
    keep = [f"r{i:02d}" for i in range(6)]
    sel = df["orig"].isin(keep) & df["dest"].isin(keep) & (df["year"] <= 2012)
    return df[sel].reset_index(drop=True)


@pytest.mark.parametrize(("vcov", "key"), [("iid", "iid"), ("HC0", "HC0")])
def test_prediction_se_matches_statsmodels_glm(small, vcov, key):
    ref = REF["statsmodels_glm_predict"]
    res = migflows.gravity(
        ref["formula"], small, vcov=vcov, ssc=SmallSampleCorrection.none(), tol=1e-12
    )
    assert res.nobs == len(ref[key]["mean"])  # same rows, same order
    pred = res.predict(se=True)
    # 1e-8: IRLS converged to 1e-12 in both libraries; the rest is linear algebra
    np.testing.assert_allclose(pred["fitted"], ref[key]["mean"], rtol=1e-8)
    np.testing.assert_allclose(pred["std_error"], ref[key]["se_mean"], rtol=1e-8)
    assert (pred["lower"] < pred["fitted"]).all() and (pred["fitted"] < pred["upper"]).all()


@pytest.fixture(scope="module")
def kz():
    return migflows.load_kazakhstan(years=[2020, 2021])


@pytest.mark.parametrize("vcov", ["hetero", {"CRV1": "orig"}, {"CRV1": "orig+dest"}])
def test_joint_covariance_slope_block_is_the_results_covariance(kz, vcov):
    res = migflows.gravity("flow ~ log_wage_ratio + log_dist | orig + dest + year", kz, vcov=vcov)
    full = res._joint
    k = len(res.params)
    np.testing.assert_allclose(full.cov[:k, :k], res.cov.to_numpy(), rtol=1e-8)
    # theta reproduces the linear predictor
    np.testing.assert_allclose(np.exp(full.Z @ full.theta), res.predict(), rtol=1e-9)


def test_balances_delta_and_simulation(kz):
    res = migflows.gravity("flow ~ log_wage_ratio + log_dist | orig + dest + year", kz)
    delta = res.predicted_balances()
    sim = res.predicted_balances(method="simulation", n_sims=4000, random_seed=3)
    assert np.isclose(delta["arrivals"].sum(), float(res.predict().sum()))
    for year in (2020, 2021):
        assert abs(delta.xs(year, level="year")["net"].sum()) < 1e-6
    # the two methods agree to Monte Carlo accuracy (4000 draws: ~2 % on a standard error)
    ratio = sim["arrivals_se"] / delta["arrivals_se"]
    assert 0.9 < ratio.median() < 1.1
    ratio_net = sim["net_se"] / delta["net_se"]
    assert 0.85 < ratio_net.median() < 1.15
    assert (sim["net_lower"] <= sim["net"] + 1e-9).mean() > 0.95
    again = res.predicted_balances(method="simulation", n_sims=4000, random_seed=3)
    pd.testing.assert_frame_equal(sim, again)


def test_counterfactual_intervals_sum_to_zero_national_change(kz):
    res = migflows.gravity("flow ~ log_wage_ratio + log_dist | orig + dest + year", kz)
    changes = {"wage": {"turkistan": 1.10}}
    out = res.counterfactual_uncertainty(changes)
    cf = res.counterfactual(changes).balances
    np.testing.assert_allclose(
        out["net"].to_numpy(), cf["net_change"].reindex(out.index).to_numpy(), atol=1e-8
    )
    for year in (2020, 2021):
        assert abs(out.xs(year, level="year")["net"].sum()) < 1e-8
    turk = out.xs("turkistan", level="region")
    assert (turk["arrivals_lower"] < turk["arrivals"]).all()
    assert (turk["arrivals"] < turk["arrivals_upper"]).all()
    sim = res.counterfactual_uncertainty(changes, method="simulation", n_sims=3000, random_seed=1)
    # every draw has zero national net change, so the simulated national totals do too
    assert 0.85 < (sim["net_se"] / out["net_se"]).loc["turkistan"].median() < 1.15


def test_prediction_se_errors(small, kz):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        res = migflows.gravity("flow ~ log_dist | orig + dest", small)
    with pytest.raises(
        InvalidOptionError, match="se=True gives standard errors of the fitted flows"
    ):
        res.predict(small, se=True, kind="link")
    # new data with the levels of the fit: the same rows give the in-sample errors
    np.testing.assert_allclose(
        res.predict(small, se=True)["std_error"].to_numpy()[res._fit.design.keys.index],
        res.predict(se=True)["std_error"],
        rtol=1e-8,
    )
    with pytest.raises(InvalidOptionError, match="need the flows' keys origin"):
        res.predicted_balances()
    res_kz = migflows.gravity("flow ~ log_dist | orig + dest", kz)
    with pytest.raises(InvalidOptionError, match="method='bootstrap' is not allowed"):
        res_kz.predicted_balances(method="bootstrap")


def test_elasticity_standard_errors(kz):
    res = migflows.gravity(
        "flow ~ log_wage_ratio + log_dist + unemp_diff | orig + dest + year",
        kz,
        vcov={"CRV1": "orig"},
    )
    el = res.elasticities()
    np.testing.assert_allclose(el["std_error"], res.std_errors, rtol=1e-12)
    b, se = float(res.params["unemp_diff"]), float(res.std_errors["unemp_diff"])
    row = el.loc["unemp_diff"]
    assert row["percent_effect_se"] == pytest.approx(100 * np.exp(b) * se, rel=1e-12)
    lo, hi = res.conf_int().loc["unemp_diff"]
    assert row["percent_effect_lower"] == pytest.approx(100 * np.expm1(lo), rel=1e-12)
    assert row["percent_effect_upper"] == pytest.approx(100 * np.expm1(hi), rel=1e-12)
    # a logged regressor: the percent effect of a 10% rise, 100 (1.1^b - 1), by the delta
    # method 100 ln(1.1) 1.1^b se; no NaN anywhere
    b, se = float(res.params["log_dist"]), float(res.std_errors["log_dist"])
    row = el.loc["log_dist"]
    assert row["change"] == "+10%" and el.loc["unemp_diff", "change"] == "+1"
    assert row["percent_effect"] == pytest.approx(100 * (1.1**b - 1), rel=1e-12)
    assert row["percent_effect_se"] == pytest.approx(100 * np.log(1.1) * 1.1**b * se, rel=1e-12)
    lo, hi = res.conf_int().loc["log_dist"]
    assert row["percent_effect_lower"] == pytest.approx(100 * (1.1**lo - 1), rel=1e-12)
    assert not el.drop(columns=["kind", "change"]).isna().any().any()
    # unemp_diff is a destination-origin difference: its mean over all pairs is 0
    assert el.loc["unemp_diff", "elasticity_at_mean"] == 0.0
