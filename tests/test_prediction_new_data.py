"""``predict(data, se=True)`` for new rows and without a dense dummy matrix.

Reference: ``tests/fixtures/inference/prediction_reference.json``, made by
``tests/fixtures/inference/make_prediction_reference.py`` (statsmodels GLM Poisson / OLS with
dummy fixed effects, ``get_prediction(new).se_mean``). The structured computation is also
checked against the dense joint covariance on the estimation sample.
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
    InvalidOptionError,
    SeparationWarning,
    UnseenLevelError,
)
from migflows.estimation.core.covariance import SmallSampleCorrection
from migflows.estimation.gravity.prediction_se import structured_prediction_se

FIX = Path(__file__).resolve().parent / "fixtures" / "inference"
REF = json.loads((FIX / "prediction_reference.json").read_text())
REGIONS = [f"r{i:02d}" for i in range(8)]


def _split() -> tuple[pd.DataFrame, pd.DataFrame]:
    # the same split as the fixture script
    df = pd.read_csv(FIX.parent / "ppml" / "gravity_panel.csv")
    df = df[df["orig"].isin(REGIONS) & df["dest"].isin(REGIONS) & (df["year"] <= 2012)]
    held = (df["year"] == 2012) & (df["orig"] == "r00") & df["dest"].isin(["r01", "r02", "r03"])
    shifted = df[(df["year"] == 2012) & (df["orig"] == "r01")].assign(
        log_dist=lambda d: d["log_dist"] + 0.1
    )
    return df[~held].reset_index(drop=True), pd.concat([df[held], shifted]).reset_index(drop=True)


@pytest.mark.parametrize("estimator", ["ppml", "ols"])
@pytest.mark.parametrize(("vcov", "key"), [("HC0", "HC0"), ({"CRV1": "orig"}, "crv_orig")])
def test_new_data_prediction_se_matches_statsmodels(estimator, vcov, key):
    fit, new = _split()
    ref = REF[f"{estimator}:{key}"]
    assert new["log_dist"].round(10).tolist() == pytest.approx(REF["new_rows"]["log_dist"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)
        warnings.simplefilter("ignore", SeparationWarning)
        res = migflows.gravity(
            "flow ~ log_dist + contig | orig + dest + year",
            fit,
            estimator=estimator,
            vcov=vcov,
            ssc=SmallSampleCorrection.none(),
            **({"tol": 1e-12} if estimator == "ppml" else {}),
        )
    assert res.nobs == ref["nobs"]
    pred = res.predict(new, se=True)
    assert list(pred.columns) == ["fitted", "std_error", "lower", "upper"] and len(pred) == 10
    if estimator == "ppml":
        np.testing.assert_allclose(pred["fitted"], ref["mean"], rtol=1e-8)
        # 1e-7: both IRLS fits converge to 1e-12; the FE solves of the structured
        # computation to 1e-13 of the largest effect
        np.testing.assert_allclose(pred["std_error"], ref["se_mean"], rtol=1e-7)
    else:  # log-OLS: the linear predictor (log flow) and its standard error
        np.testing.assert_allclose(pred["fitted"], ref["mean"], rtol=1e-8)
        np.testing.assert_allclose(pred["std_error"], ref["se_mean"], rtol=1e-7)


def test_unseen_levels_are_refused():
    fit, new = _split()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        res = migflows.gravity("flow ~ log_dist + contig | orig + dest + year", fit)
    future = new.assign(year=2013)
    with pytest.raises(UnseenLevelError, match=r"10 row\(s\) have 1 level\(s\) of 'year'"):
        res.predict(future, se=True)
    assert res.predict(future).isna().all()  # without se: NaN, as documented


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "orig"}, {"CRV1": "orig+dest"}])
def test_structured_equals_dense_in_sample(vcov):
    kz = migflows.load_kazakhstan(years=[2020, 2021])
    res = migflows.gravity("flow ~ log_wage_ratio + log_dist | orig^year + dest", kz, vcov=vcov)
    dense = res.predict(se=True)["std_error"].to_numpy()
    design, f = res._fit.design, res._fit
    se = structured_prediction_se(
        design,
        res.params,
        res.cov.to_numpy(),
        res._pieces,
        res.covariance.spec,
        mu=f.mu,
        link=f.link,
        X_new=design.X[list(res.params.index)].to_numpy(float),
        codes_new=design.fe.to_numpy(),
    )
    ok = ~np.isnan(dense)  # two-way: some variances are negative (NaN in both)
    np.testing.assert_array_equal(np.isnan(se * f.mu), ~ok)
    np.testing.assert_allclose(se[ok] * f.mu[ok], dense[ok], rtol=1e-8)


@pytest.mark.slow
def test_prediction_se_beyond_the_dense_limit():
    # 5,775 fixed-effect levels (5,550 pair effects, 225 origin-years): more than the dense
    # limit of 5,000 dummy columns. Reference: the same variance from scipy's LSQR on the
    # sparse dummy design (min-norm weighted least squares of each cluster's score sum)
    from scipy import sparse
    from scipy.sparse.linalg import lsqr

    rng = np.random.default_rng(12)
    n_reg, years = 75, 3
    o, d, t = (a.ravel() for a in np.meshgrid(range(n_reg), range(n_reg), range(years)))
    keep = o != d
    o, d, t = o[keep], d[keep], t[keep]
    x = rng.normal(size=len(o))
    flow = rng.poisson(np.exp(1 + 0.3 * x + 0.2 * rng.normal(size=n_reg * n_reg)[o * n_reg + d]))
    df = pd.DataFrame({"orig": o, "dest": d, "year": t, "x": x, "flow": flow})
    df["pair"] = df["orig"].astype(str) + "_" + df["dest"].astype(str)
    df["origin"], df["destination"] = df["orig"].astype(str), df["dest"].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        res = migflows.gravity("flow ~ x | pair + orig^year", df, vcov={"CRV1": "year"})
    design, f = res._fit.design, res._fit
    codes = np.column_stack([pd.factorize(design.fe[c])[0] for c in design.fe.columns])
    assert int(codes.max(axis=0).sum()) + 2 > 5000
    pred = res.predict(se=True)
    assert len(pred) == res.nobs
    n = res.nobs
    Z = sparse.hstack(
        [sparse.csr_matrix(design.X[["x"]].to_numpy(float))]
        + [
            sparse.csr_matrix((np.ones(n), (np.arange(n), codes[:, j])))
            for j in range(codes.shape[1])
        ],
        format="csr",
    )
    W = f.mu
    root = sparse.diags(np.sqrt(W))
    psi = design.y.to_numpy(float) - f.mu
    groups = pd.factorize(res._pieces.clusters["year"])[0]
    var, slope = np.zeros(n), 0.0
    for g in np.unique(groups):
        r = np.where(groups == g, psi, 0.0) / W
        yg = lsqr(root @ Z, np.sqrt(W) * r, atol=1e-15, btol=1e-15, iter_lim=50_000)[0]
        var += (Z @ yg) ** 2
        slope += yg[0] ** 2
    se = f.mu * np.sqrt(var * float(res.cov.iloc[0, 0]) / slope)
    # 1e-6: LSQR's convergence on the sparse design
    np.testing.assert_allclose(pred["std_error"], se, rtol=1e-6)
    # balances beyond the dense limit: the delta method on the structure; simulation refused
    bal = res.predicted_balances()
    assert (bal["arrivals_se"] > 0).all() and abs(bal["net"].sum()) < 1e-6 * bal["arrivals"].sum()
    with pytest.raises(InvalidOptionError, match="use method='delta'"):
        res.predicted_balances(method="simulation")


@pytest.mark.parametrize("vcov", ["hetero", {"CRV1": "orig"}])
def test_structured_balances_equal_the_dense_delta_method(vcov):
    from migflows.estimation.gravity.prediction_se import structured_flow_uncertainty

    kz = migflows.load_kazakhstan(years=[2020, 2021])
    res = migflows.gravity("flow ~ log_wage_ratio + log_dist | orig + dest + year", kz, vcov=vcov)
    changes = {"wage": {"turkistan": 1.10}}
    shift = np.nan_to_num(res._counterfactual_shift(changes))
    for dense, s in (
        (res.predicted_balances(), None),
        (res.counterfactual_uncertainty(changes), shift),
    ):
        sparse_way = structured_flow_uncertainty(
            res._fit.design,
            res.params,
            res.cov.to_numpy(),
            res._pieces,
            res.covariance.spec,
            mu=res._fit.mu,
            keys=res._fit.design.keys,
            shift=s,
        )
        assert list(sparse_way.columns) == list(dense.columns)
        # net standard errors of a national total can be ~0: compare on an absolute scale
        scale = float(dense["arrivals_se"].max())
        np.testing.assert_allclose(sparse_way.to_numpy(), dense.to_numpy(), atol=1e-8 * scale)
