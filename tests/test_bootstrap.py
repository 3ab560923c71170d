"""Few-cluster inference: wild cluster bootstrap (OLS) and score bootstrap (PPML).

References: ``tests/fixtures/inference/wildboottest_reference.json`` (wildboottest, exact
enumeration of the 2**10 Rademacher sign patterns; script next to it) and a Monte Carlo of
rejection rates at 20 clusters (marked slow).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import migflows
from migflows.errors import DroppedRowsWarning, InvalidOptionError, SeparationWarning
from migflows.estimation.core.bootstrap import (
    bootstrap_weights,
    score_bootstrap,
    wild_cluster_bootstrap,
)
from migflows.estimation.core.cluster_adjusted import LinearPieces
from migflows.estimation.core.covariance import sandwich
from migflows.estimation.core.demean import demean
from migflows.estimation.gravity.ppml import fit_ppml

FIX = Path(__file__).resolve().parent / "fixtures"
WB = json.loads((FIX / "inference" / "wildboottest_reference.json").read_text())


@pytest.fixture(scope="module")
def ten_origins() -> pd.DataFrame:
    df = pd.read_csv(FIX / "ppml" / "gravity_panel.csv")
    return df[df["orig"].isin([f"r{i:02d}" for i in range(10)])].reset_index(drop=True)


@pytest.fixture(scope="module")
def ols10(ten_origins):
    with pytest.warns(DroppedRowsWarning):
        return migflows.gravity(
            "flow ~ log_dist + log_wage_ratio + unemp_diff + contig | orig + dest + year",
            ten_origins,
            estimator="ols",
            vcov={"CRV1": "orig"},
        )


def test_weights():
    w = bootstrap_weights(3, 10, random_seed=0)  # 2**3 <= 10: all sign patterns
    assert w.shape == (3, 8) and len({tuple(c) for c in w.T}) == 8
    w = bootstrap_weights(30, 5000, "webb", random_seed=1)
    assert abs(w.mean()) < 0.02 and abs((w**2).mean() - 1) < 0.02
    with pytest.raises(InvalidOptionError, match="weights='mammen' is not allowed"):
        bootstrap_weights(3, 10, "mammen")


@pytest.mark.parametrize("param", ["log_dist", "log_wage_ratio"])
def test_wcr_matches_wildboottest_exactly(ols10, param):
    ref = WB["tests"][param]
    assert ols10.nobs == WB["nobs"]
    boot = ols10.wild_bootstrap(param, reps=9999)
    assert boot.method == "WCR" and boot.reps == 2**10
    # wildboottest's small-sample factor counts every dummy column (N - 1)/(N - k_dummies);
    # fixest's (ours) drops the origin effects nested in the origin clusters
    n, k_dummies = ols10.nobs, WB["k_columns"]
    scale = np.sqrt((n - k_dummies) / (n - ols10.covariance.df_k))
    assert boot.stat * scale == pytest.approx(ref["tstat"], rel=1e-6)  # FE demeaned to 1e-12
    assert boot.stat == pytest.approx(float(ols10.tstats[param]), rel=1e-10)
    assert boot.pval == pytest.approx(ref["pvalue"], abs=1e-12)


def test_wcr_interval_inverts_the_test(ols10):
    boot = ols10.wild_bootstrap("log_dist", reps=1999, random_seed=3, level=0.9)
    assert boot.lower < boot.estimate < boot.upper
    for edge, side in ((boot.lower, -1), (boot.upper, 1)):
        outside = ols10.wild_bootstrap(f"log_dist = {edge + side * 1e-4}", reps=1999, random_seed=3)
        inside = ols10.wild_bootstrap(f"log_dist = {edge - side * 1e-4}", reps=1999, random_seed=3)
        assert outside.pval <= 0.1 <= inside.pval
    again = ols10.wild_bootstrap("log_dist", reps=1999, random_seed=3, level=0.9)
    assert again.pval == boot.pval and again.lower == boot.lower  # random_seed reproduces


def test_bootstrap_argument_errors(ols10):
    with pytest.raises(InvalidOptionError, match="one restriction at a time"):
        ols10.wild_bootstrap("log_dist = 0, contig = 0")
    with pytest.raises(InvalidOptionError, match="reps=10"):
        ols10.wild_bootstrap("log_dist", reps=10)
    hetero = ols10.vcov("hetero")
    with pytest.raises(InvalidOptionError, match="not clustered; pass cluster='orig'"):
        hetero.wild_bootstrap("log_dist")
    two = hetero.wild_bootstrap("log_dist", cluster="orig+dest", reps=999, random_seed=1)
    assert two.clusters == ("orig", "dest") and two.n_clusters[0] == 10


def test_two_way_statistic_is_the_two_way_t(ols10):
    res = ols10.vcov({"CRV1": "orig+dest"})
    boot = res.wild_bootstrap("contig", reps=999, random_seed=2)
    assert boot.stat == pytest.approx(float(res.tstats["contig"]), rel=1e-10)


def test_ppml_restricted_score_bootstrap(ten_origins):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        res = migflows.gravity(
            "flow ~ log_dist + contig | orig + dest + year",
            ten_origins,
            vcov={"CRV1": "orig"},
        )
    boot = res.wild_bootstrap("log_dist = -1", reps=999, random_seed=5)
    assert boot.method == "score (restricted)" and boot.reps == 999
    assert boot.stat == pytest.approx(
        (float(res.params["log_dist"]) + 1) / float(res.std_errors["log_dist"]), rel=1e-10
    )
    assert boot.lower < boot.estimate < boot.upper


# ----------------------------------------------------------------------- Monte Carlo
G, T = 20, 2
_o, _d, _t = (
    a.ravel() for a in np.meshgrid(np.arange(G), np.arange(G), np.arange(T), indexing="ij")
)
_keep = _o != _d
ORIG, DEST, YEAR = _o[_keep], _d[_keep], _t[_keep]
FE = np.column_stack([DEST, YEAR])


def _crv1_t(Xt: np.ndarray, u: np.ndarray, hessian: np.ndarray, k_fe: int) -> float:
    S = np.zeros((G, Xt.shape[1]))
    np.add.at(S, ORIG, Xt * u[:, None])
    Hi = np.linalg.inv(hessian)
    n = len(u)
    V = Hi @ S.T @ S @ Hi * G / (G - 1) * (n - 1) / (n - Xt.shape[1] - k_fe)
    return float(np.sqrt(V[0, 0]))


def _cr3_se(Xt: np.ndarray, u: np.ndarray) -> float:
    cov = sandwich(
        Xt.T @ Xt,
        Xt * u[:, None],
        {"CR3": "orig"},
        nobs=len(u),
        k=Xt.shape[1],
        fe_codes=FE,
        clusters=pd.DataFrame({"orig": ORIG}),
        linear=LinearPieces(Xt, u),
    )
    return float(np.sqrt(cov.cov[0, 0]))


def rejection_rates(replications: int, seed: int = 20261201) -> pd.Series:
    """Share of 5 % rejections of a true null at 20 origin clusters, by method.

    Design: 20 regions, all ordered pairs, 2 years; destination and year fixed effects;
    the regressor and the error have origin-level components whose scale varies across
    origins (lognormal, sd 0.5), so a few clusters carry most of the information — the
    setting where CRV1 with t(G-1) critical values over-rejects.
    """
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys(
        ["OLS CRV1", "OLS CR3", "OLS WCR", "PPML CRV1", "PPML score (restricted)"], 0
    )
    crit = stats.t.ppf(0.975, G - 1)
    r = np.array([1.0])
    for _ in range(replications):
        scale = rng.lognormal(0, 0.5, G)
        x = scale[ORIG] * rng.normal(size=G)[ORIG] + 0.3 * rng.normal(size=len(ORIG))
        y = scale[ORIG] * rng.normal(size=G)[ORIG] + rng.normal(size=len(ORIG))
        both = demean(np.column_stack([y, x]), FE, tol=1e-12).x
        yt, Xt = both[:, 0], both[:, 1:]
        H = Xt.T @ Xt
        b = np.linalg.solve(H, Xt.T @ yt)
        u = yt - Xt @ b
        hits["OLS CRV1"] += abs(b[0]) / _crv1_t(Xt, u, H, G + T - 1) > crit
        hits["OLS CR3"] += abs(b[0]) / _cr3_se(Xt, u) > crit
        wcr = wild_cluster_bootstrap(
            Xt, yt, ORIG[:, None], r, 0.0, reps=399, random_seed=rng, interval=False, fe_codes=FE
        )
        hits["OLS WCR"] += wcr.pval < 0.05
        # Poisson flows with an origin-level gamma shock: the regressor has no effect
        shock = rng.gamma(2.0, 0.5, G)[ORIG] * np.exp(0.5 * rng.normal(size=G))[ORIG]
        flows = rng.poisson(np.exp(1.0) * shock).astype(float)
        fit = fit_ppml(flows, x[:, None], FE, separation=(), drop_singletons=False, tol=1e-10)
        u_p = fit.y - fit.mu
        hits["PPML CRV1"] += (
            abs(fit.coef[0]) / _crv1_t(fit.X_demeaned, u_p, fit.hessian, G + T - 1) > crit
        )

        def refit(q0: float, flows=flows, x=x) -> tuple[np.ndarray, np.ndarray]:
            f0 = fit_ppml(
                flows, None, FE, offset=q0 * x, separation=(), drop_singletons=False, tol=1e-10
            )
            xt = demean(x[:, None], FE, weights=f0.mu, tol=1e-12).x
            return (xt * f0.mu[:, None]).T @ xt, xt * (flows - f0.mu)[:, None]

        score = score_bootstrap(
            fit.hessian,
            fit.scores,
            fit.coef,
            ORIG[:, None],
            r,
            0.0,
            reps=399,
            random_seed=rng,
            interval=False,
            restricted_fit=refit,
        )
        hits["PPML score (restricted)"] += score.pval < 0.05
    return pd.Series({k: v / replications for k, v in hits.items()}, name="rejection at 5 %")


@pytest.mark.slow
def test_rejection_rates_at_20_clusters():
    rates = rejection_rates(1000)
    print("\n" + rates.to_string())
    # 1000 replications: a Monte Carlo standard error of 0.7 points at 5 %
    for method in ("OLS WCR", "PPML score (restricted)"):
        assert 0.03 <= rates[method] <= 0.07, rates
    for method in ("OLS CRV1", "PPML CRV1"):
        assert rates[method] > 0.07, rates


# ----------------------------------------------------------------------- CR2 / CR3 vs R
R_REF = pd.read_csv(FIX / "inference" / "r_reference.csv", keep_default_na=False)


def _r(quantity: str) -> pd.Series:
    rows = R_REF[R_REF["quantity"] == quantity]
    return pd.Series(rows["value"].to_numpy(float), index=rows["term"].to_numpy())


@pytest.fixture(scope="module")
def positive() -> pd.DataFrame:
    return pd.read_csv(FIX / "ppml" / "gravity_panel.csv")


@pytest.mark.parametrize(
    ("fe", "kind", "quantity"),
    [
        ("orig + dest + year", "CR2", "se_CR2_odt"),
        ("dest + year", "CR2", "se_CR2_dt"),
        ("dest + year", "CR3", "se_CR3_dt"),
    ],
)
def test_cr2_cr3_match_clubsandwich(positive, fe, kind, quantity):
    with pytest.warns(DroppedRowsWarning):
        res = migflows.gravity(
            f"flow ~ log_dist + log_wage_ratio + contig | {fe}",
            positive,
            estimator="ols",
        )
    ref = _r(quantity)
    adjusted = res.vcov({kind: "orig"})
    assert adjusted.covariance.kind == kind and adjusted.df_t == 17
    # 1e-6: the fixed-effect blocks of the hat matrix come from iterative demeaning (1e-12)
    np.testing.assert_allclose(adjusted.std_errors[ref.index], ref.to_numpy(), rtol=1e-6)
    assert res.vcov({"bell-mccaffrey": "orig"}).vcov_type == "CR2 (orig)"


def test_cr2_refuses_ppml_and_three_way(positive):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        res = migflows.gravity("flow ~ log_dist | orig + dest", positive)
    with pytest.raises(InvalidOptionError, match="applies to least squares only"):
        res.vcov({"CR2": "orig"})
    with pytest.raises(InvalidOptionError, match="give one or two distinct cluster variables"):
        res.vcov({"CR3": "orig+dest+year"})


def test_wald_with_crv1_matches_car_linear_hypothesis(positive):
    from migflows.estimation.core.covariance import SmallSampleCorrection

    with pytest.warns(DroppedRowsWarning):
        res = migflows.gravity(
            "flow ~ log_dist + log_wage_ratio + contig | orig + dest + year",
            positive,
            estimator="ols",
            vcov={"CRV1": "orig"},
            ssc=SmallSampleCorrection(k_fixef="full", redundant="pairwise"),
        )
    test = res.wald_test(formula="log_dist = -1, contig = 0", distribution="chi2")
    # sandwich::vcovCL(type = "HC1") counts every dummy in K, as k_fixef="full" does
    assert test.stat == pytest.approx(float(_r("wald_chisq_CRV1").iloc[0]), rel=1e-6)
