"""Negative binomial and gamma PML gravity models (and PPML through migflows.gravity) against R.

References
----------
tests/fixtures/gravity_r/: ``export_kz.py`` writes the Kazakhstan data (2020, 2021, 2023) as
migflows computes the covariates; ``make_gravity_fixtures.R`` (R 4.2.2, MASS 7.3-58.2,
sandwich 3.0-2; versions in r_versions.txt) fits ``glm(poisson)``, ``MASS::glm.nb`` and
``glm(Gamma(link = "log"))`` with the fixed effects as factor dummies and stores coefficients,
standard errors under nine covariance conventions, theta, log likelihoods, deviances and the
number of coefficients ``p``. Further references: statsmodels' discrete ``NegativeBinomial``
(joint Newton MLE, a different algorithm from ours), and the estimating equations themselves.

Small-sample conventions (R → migflows), each asserted through ``covariance.df_k`` and
``covariance.factors`` next to the comparison instead of a looser tolerance:

* ``summary()`` (Poisson, NB: dispersion 1, no factor) = ``"iid"`` with
  ``SmallSampleCorrection.none()``; Gamma's Pearson dispersion ``/(n - p)`` = ``"iid"`` with
  ``K = p``.
* ``vcovHC(HC0)`` = ``"hetero"`` with no correction; ``vcovHC(HC1)`` multiplies by
  ``n / (n - p)`` = ``"hetero"`` with ``K = p``.
* ``vcovCL(type = "HC1")`` multiplies by ``(n - 1)/(n - p) * G/(G - 1)`` = ``CRV1`` with
  ``k_fixef="full"`` (fixest's default leaves out fixed effects nested in the cluster:
  asserted separately as a ratio); ``type = "HC0"`` keeps only ``G/(G - 1)``; two-way uses
  each term's own ``G`` (``G_df="conventional"``).
* ``K = p`` needs the redundant dummy count of R's rank: fixest's "one per extra fixed effect"
  for ``orig + dest + year``; for ``orig^year + dest^year`` there is one per year (three
  connected components), ``redundant="pairwise"``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import FIXTURES

import migflows
from migflows.errors import (
    ConvergenceError,
    EstimationError,
    FixedEffectError,
    InvalidOptionError,
    NegativeFlowError,
    SeparationWarning,
)
from migflows.estimation.core.covariance import SmallSampleCorrection as SSC
from migflows.estimation.gravity.glm import MAX_DUMMIES, nb2_theta_ml

R_DIR = FIXTURES / "gravity_r"
SPECS = {
    "regional": "flow ~ log_dist + log_wage_ratio + unemp_diff | orig + dest + year",
    "regional_grp": (
        "flow ~ log_dist + log_wage_ratio + log_grp_pc_ratio + unemp_diff | orig + dest + year"
    ),
    "multilateral": "flow ~ log_dist | orig^year + dest^year",
}
# how R's rank counts redundant dummies, per model (see the module docstring)
REDUNDANT = {"regional": "fixest", "regional_grp": "fixest", "multilateral": "pairwise"}
CASES = [(m, e) for m in SPECS for e in ("ppml", "negbin", "gpml")]
GLM_CASES = [(m, e) for m in SPECS for e in ("negbin", "gpml")]


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan(years=[2020, 2021, 2023])


@pytest.fixture(scope="module")
def r_coef() -> pd.DataFrame:
    return pd.read_csv(R_DIR / "r_coefficients.csv")


@pytest.fixture(scope="module")
def r_stats() -> pd.DataFrame:
    return pd.read_csv(R_DIR / "r_stats.csv")


@pytest.fixture(scope="module")
def fits(kz: migflows.FlowPanel) -> dict:
    out = {}
    with warnings.catch_warnings():
        # regional_grp drops the 380 rows of 2023 (no GRP per capita) with a warning
        warnings.simplefilter("ignore")
        for model, estimator in CASES:
            out[model, estimator] = migflows.gravity(SPECS[model], kz, estimator=estimator)
    return out


@pytest.fixture(scope="module")
def dummy_fits(kz: migflows.FlowPanel) -> dict:
    """The same NB and gamma models with the statsmodels dummies engine."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model, estimator in GLM_CASES:
            out[model, estimator] = migflows.gravity(
                SPECS[model], kz, estimator=estimator, engine="dummies"
            )
    return out


def _ref(r_coef: pd.DataFrame, model: str, estimator: str) -> pd.DataFrame:
    sel = r_coef[(r_coef["model"] == model) & (r_coef["estimator"] == estimator)]
    return sel.set_index("term")


def _stat(r_stats: pd.DataFrame, model: str, estimator: str) -> pd.Series:
    sel = r_stats[(r_stats["model"] == model) & (r_stats["estimator"] == estimator)]
    return sel.iloc[0]


@pytest.mark.parametrize(("model", "estimator"), GLM_CASES)
def test_dummies_engine_matches_r_and_the_demeaning_engine(
    dummy_fits, fits, r_coef, r_stats, model, estimator
):
    res = dummy_fits[model, estimator]
    ref = _ref(r_coef, model, estimator)
    np.testing.assert_allclose(res.params.to_numpy(), ref["estimate"].to_numpy(), atol=1e-6)
    _se_close(res.vcov("hetero", ssc=SSC.none()).std_errors, ref["se_hc0"])
    _se_close(res.vcov({"CRV1": "pair"}, ssc=SSC(k_adj=False)).std_errors, ref["se_cl_pair_hc0"])
    assert res.stats["n_params"] == _stat(r_stats, model, estimator)["ncoef"]
    other = fits[model, estimator]
    np.testing.assert_allclose(res.params.to_numpy(), other.params.to_numpy(), atol=1e-8)
    for key in ("loglik", "deviance", "theta", "dispersion"):
        if key in res.stats:
            assert res.stats[key] == pytest.approx(other.stats[key], rel=1e-9), key


def _se_close(ours: pd.Series, theirs: pd.Series) -> None:
    np.testing.assert_allclose(ours.to_numpy(), theirs.loc[ours.index].to_numpy(), rtol=1e-4)


# ---------------------------------------------------------------------------- R references
@pytest.mark.parametrize(("model", "estimator"), CASES)
def test_coefficients_match_r(fits, r_coef, r_stats, model, estimator):
    res = fits[model, estimator]
    ref = _ref(r_coef, model, estimator)
    assert list(res.params.index) == list(ref.index)
    np.testing.assert_allclose(res.params.to_numpy(), ref["estimate"].to_numpy(), atol=1e-6)
    assert res.nobs == _stat(r_stats, model, estimator)["nobs"]


@pytest.mark.parametrize(("model", "estimator"), CASES)
def test_iid_and_hetero_standard_errors_match_r(fits, r_coef, r_stats, model, estimator):
    res = fits[model, estimator]
    ref = _ref(r_coef, model, estimator)
    st = _stat(r_stats, model, estimator)
    n, p = int(st["nobs"]), int(st["ncoef"])
    k_is_p = SSC(redundant=REDUNDANT[model])

    hc0 = res.vcov("hetero", ssc=SSC.none())
    _se_close(hc0.std_errors, ref["se_hc0"])

    hc1 = res.vcov("hetero", ssc=k_is_p)
    assert hc1.covariance.df_k == p  # K counts slopes + fixed-effect levels as R's rank does
    assert hc1.covariance.factors[0] == pytest.approx(n / (n - p), rel=1e-14)
    _se_close(hc1.std_errors, ref["se_hc1"])

    if estimator == "gpml":
        # R: Pearson dispersion / (n - p); ours: Pearson / (n - 1) times (n - 1)/(n - K), K = p
        iid = res.vcov("iid", ssc=k_is_p)
        assert iid.covariance.df_k == p
        assert res.stats["dispersion"] == pytest.approx(st["dispersion"], rel=1e-7)
    else:
        iid = res.vcov("iid", ssc=SSC.none())  # summary(): dispersion 1, no factor
    _se_close(iid.std_errors, ref["se_iid"])


@pytest.mark.parametrize(("model", "estimator"), CASES)
def test_clustered_standard_errors_match_r(fits, r_coef, r_stats, model, estimator):
    res = fits[model, estimator]
    ref = _ref(r_coef, model, estimator)
    st = _stat(r_stats, model, estimator)
    n, p = int(st["nobs"]), int(st["ncoef"])
    full = SSC(k_fixef="full", redundant=REDUNDANT[model])
    g_only = SSC(k_adj=False, k_fixef="none")
    for var, col in (("pair", "pair"), ("orig", "orig")):
        hc1 = res.vcov({"CRV1": var}, ssc=full)
        g = hc1.covariance.n_clusters[0]
        assert hc1.covariance.df_k == p
        assert hc1.covariance.factors[0] == pytest.approx((n - 1) / (n - p) * g / (g - 1))
        _se_close(hc1.std_errors, ref[f"se_cl_{col}_hc1"])
        hc0 = res.vcov({"CRV1": var}, ssc=g_only)
        assert hc0.covariance.factors[0] == pytest.approx(g / (g - 1))
        _se_close(hc0.std_errors, ref[f"se_cl_{col}_hc0"])
    two = res.vcov({"CRV1": "orig+dest"}, ssc=SSC(**{**_fields(full), "G_df": "conventional"}))
    _se_close(two.std_errors, ref["se_cl_od_hc1"])


def _fields(ssc: SSC) -> dict:
    return {f: getattr(ssc, f) for f in ("k_adj", "k_fixef", "redundant", "G_adj", "G_df")}


def test_fixest_default_cluster_by_origin_differs_from_r_by_the_nested_levels(fits, r_coef):
    # fixest/pyfixest leave the 20 origin levels (nested in the origin clusters) out of K,
    # counting one back: K = 3 + (20 + 20 + 3 - 2) - 20 + 1 = 25 instead of R's p = 44.
    res = fits["regional", "negbin"]
    ref = _ref(r_coef, "regional", "negbin")
    ours = res.vcov({"CRV1": "orig"})
    n = res.nobs
    assert ours.covariance.df_k == 25
    expected = ref["se_cl_orig_hc1"] * np.sqrt((n - 44) / (n - 25))
    _se_close(ours.std_errors, expected)


@pytest.mark.parametrize("model", list(SPECS))
def test_negbin_theta_and_likelihood_match_glm_nb(fits, r_stats, model):
    res = fits[model, "negbin"]
    st = _stat(r_stats, model, "negbin")
    assert res.stats["theta"] == pytest.approx(st["theta"], rel=1e-7)
    assert res.stats["alpha"] == pytest.approx(1 / st["theta"], rel=1e-7)
    # MASS's SE.theta comes from theta.ml's last Newton iterate (accuracy eps^0.25 in the
    # step); measured differences are below 1e-6 relative
    assert res.stats["theta_se"] == pytest.approx(st["theta_se"], rel=1e-5)
    assert res.stats["alpha_se"] == pytest.approx(st["theta_se"] / st["theta"] ** 2, rel=1e-5)
    assert res.stats["loglik"] == pytest.approx(st["loglik"], abs=1e-6)
    assert res.stats["deviance"] == pytest.approx(st["deviance"], rel=1e-9)
    # AIC of glm.nb: -2 loglik + 2 (p + 1), theta counted
    assert res.stats["aic"] == pytest.approx(-2 * st["loglik"] + 2 * (st["ncoef"] + 1))
    assert res.stats["n_params"] == st["ncoef"]


@pytest.mark.parametrize("model", list(SPECS))
def test_gpml_and_ppml_fit_statistics_match_r(fits, r_stats, model):
    gp = fits[model, "gpml"]
    st = _stat(r_stats, model, "gpml")
    assert gp.stats["deviance"] == pytest.approx(st["deviance"], rel=1e-9)
    assert gp.stats["loglik"] == pytest.approx(st["loglik"], abs=1e-6)
    assert gp.stats["n_params"] == st["ncoef"]
    pp = fits[model, "ppml"]
    st = _stat(r_stats, model, "ppml")
    assert pp.stats["loglik"] == pytest.approx(st["loglik"], rel=1e-10)
    assert pp.stats["deviance"] == pytest.approx(st["deviance"], rel=1e-9)


def test_regional_grp_records_the_rows_without_grp(fits):
    res = fits["regional_grp", "negbin"]
    assert len(res.dropped) == 380
    assert set(res.dropped["year"]) == {2023}
    assert set(res.dropped["reason"]) == {"missing value"}


# ---------------------------------------------------------------------------- synthetic data
def _panel(seed: int, theta: float = 2.5, regions: int = 8, zero_origin: bool = False):
    rng = np.random.default_rng(seed)
    keys = [f"r{i}" for i in range(regions)]
    rows = [(o, d, t) for t in (2019, 2020) for o in keys for d in keys if o != d]
    df = pd.DataFrame(rows, columns=["origin", "destination", "year"])
    df["log_dist"] = rng.normal(5, 0.6, len(df))
    df["x"] = rng.normal(size=len(df))
    push = dict(zip(keys, rng.normal(size=regions), strict=True))
    mu = np.exp(2 - 0.8 * (df["log_dist"] - 5) + 0.3 * df["x"] + df["origin"].map(push))
    df["flow"] = rng.negative_binomial(theta, theta / (theta + mu)).astype(float)
    if zero_origin:
        df.loc[(df["origin"] == "r0") & (df["year"] == 2020), "flow"] = 0.0
    return df


def _dummy_matrix(df: pd.DataFrame) -> pd.DataFrame:
    X = pd.get_dummies(df[["origin", "destination"]], drop_first=True, dtype=float)
    X["y2020"] = (df["year"] == 2020).astype(float)
    X.insert(0, "const", 1.0)
    X["log_dist"] = df["log_dist"]
    X["x"] = df["x"]
    return X


def test_negbin_matches_statsmodels_joint_newton_mle():
    # statsmodels' discrete NegativeBinomial maximises the likelihood jointly in
    # (coefficients, alpha) by Newton; ours alternates GLM fits and theta like glm.nb
    df = _panel(3)
    res = migflows.gravity("flow ~ log_dist + x | orig + dest + year", df, estimator="negbin")
    X = _dummy_matrix(df)
    start = sm.GLM(df["flow"], X, family=sm.families.Poisson()).fit().params.to_numpy()
    ref = sm.NegativeBinomial(df["flow"], X, loglike_method="nb2").fit(
        start_params=np.r_[start, 0.1], method="newton", maxiter=200, tol=1e-14, disp=0
    )
    np.testing.assert_allclose(
        res.params.to_numpy(), ref.params[["log_dist", "x"]].to_numpy(), atol=1e-6
    )
    assert res.stats["alpha"] == pytest.approx(ref.params["alpha"], rel=1e-6)
    assert res.stats["loglik"] == pytest.approx(ref.llf, abs=1e-6)


def test_frequency_weights_equal_duplicated_rows():
    df = _panel(4)
    w = np.where(np.arange(len(df)) % 3 == 0, 2.0, 1.0)
    weighted = migflows.gravity(
        "flow ~ log_dist + x | orig + dest", df, estimator="negbin", weights=w
    )
    doubled = pd.concat([df, df[w == 2.0]], ignore_index=True)
    dup = migflows.gravity("flow ~ log_dist + x | orig + dest", doubled, estimator="negbin")
    np.testing.assert_allclose(weighted.params.to_numpy(), dup.params.to_numpy(), atol=1e-8)
    assert weighted.stats["theta"] == pytest.approx(dup.stats["theta"], rel=1e-8)


def test_all_zero_fixed_effect_group_is_dropped_and_reported():
    df = _panel(5, zero_origin=True)
    formula = "flow ~ log_dist + x | orig^year + dest"
    for estimator in ("negbin", "gpml"):
        with pytest.warns(SeparationWarning, match="7 separated_fe"):
            res = migflows.gravity(formula, df, estimator=estimator)
        assert len(res.dropped) == 7
        assert set(res.dropped["reason"]) == {"separated_fe"}
        assert set(res.dropped["origin"]) == {"r0"}
        kept = df[~((df["origin"] == "r0") & (df["year"] == 2020))]
        clean = migflows.gravity(formula, kept, estimator=estimator)
        np.testing.assert_allclose(res.params.to_numpy(), clean.params.to_numpy(), atol=1e-10)
        assert res.nobs == len(kept)


def test_gpml_keeps_zero_flows_and_solves_its_estimating_equations():
    df = _panel(6, theta=0.8)
    assert (df["flow"] == 0).sum() > 20
    res = migflows.gravity("flow ~ log_dist + x | orig + dest + year", df, estimator="gpml")
    assert res.nobs == len(df)
    assert res.stats["zeros"] == int((df["flow"] == 0).sum())
    assert np.isnan(res.stats["deviance"]) and np.isnan(res.stats["loglik"])
    f = res.fitted
    u = (f["observed"] - f["fitted"]) / f["fitted"]
    X = _dummy_matrix(df).to_numpy()
    # sum (y - mu)/mu x = 0 for every column: slopes, origin, destination and year dummies
    assert np.max(np.abs(X.T @ u.to_numpy())) < 1e-7


def test_singletons_kept_by_default_and_dropped_on_request():
    df = _panel(7)
    df["grp"] = np.where(np.arange(len(df)) == 0, "lonely", "rest")
    formula = "flow ~ log_dist + x | grp + orig"
    res = migflows.gravity(formula, df, estimator="negbin")
    assert res.nobs == len(df)
    with pytest.warns(SeparationWarning, match="1 singleton"):
        res2 = migflows.gravity(formula, df, estimator="negbin", drop_singletons=True)
    assert res2.nobs == len(df) - 1
    assert list(res2.dropped["reason"]) == ["singleton"]


def test_results_vocabulary_prediction_and_fixed_effects(fits, kz):
    res = fits["multilateral", "negbin"]
    assert res.estimator == "negbin"
    pred = res.predict()
    np.testing.assert_allclose(pred.to_numpy(), res.fitted["fitted"].to_numpy(), rtol=1e-12)
    again = res.predict(kz)  # from the data: regressors and estimated fixed effects
    np.testing.assert_allclose(again.to_numpy(), pred.to_numpy(), rtol=1e-8)
    assert "Dispersion α (NB2)" in str(res.summary)
    assert res.vcov("iid").vcov_type == "iid"
    frame = res.to_frame()
    assert list(frame.columns[:4]) == ["params", "std_errors", "tstats", "pvalues"]


def test_offset_absorbed_by_origin_year_effects_changes_nothing(kz):
    base = migflows.gravity("flow ~ log_dist | orig^year + dest^year", kz, estimator="gpml")
    off = migflows.gravity(
        "flow ~ log_dist | orig^year + dest^year", kz, estimator="gpml", offset="log_pop_o"
    )
    np.testing.assert_allclose(off.params.to_numpy(), base.params.to_numpy(), atol=1e-8)


def test_fixed_theta_reproduces_the_estimated_fit(fits, kz):
    est = fits["regional", "negbin"]
    fixed = migflows.gravity(SPECS["regional"], kz, estimator="negbin", theta=est.stats["theta"])
    np.testing.assert_allclose(fixed.params.to_numpy(), est.params.to_numpy(), atol=1e-8)
    assert fixed.stats["theta_fixed"] and np.isnan(fixed.stats["theta_se"])


def test_theta_ml_recovers_the_simulated_dispersion():
    rng = np.random.default_rng(11)
    mu = rng.uniform(1, 50, 20_000)
    y = rng.negative_binomial(4.0, 4.0 / (4.0 + mu)).astype(float)
    theta, se = nb2_theta_ml(y, mu)
    assert abs(theta - 4.0) < 3 * se
    assert 0 < se < 0.2


# ---------------------------------------------------------------------------- errors
def test_unknown_option_is_named():
    df = _panel(8)
    with pytest.raises(InvalidOptionError, match=r"Unknown option\(s\) 'fixef_tol'.*negbin"):
        migflows.gravity("flow ~ log_dist | orig", df, estimator="negbin", fixef_tol=1e-8)
    with pytest.raises(InvalidOptionError, match=r"Unknown option\(s\) 'theta'.*gpml"):
        migflows.gravity("flow ~ log_dist | orig", df, estimator="gpml", theta=2.0)
    with pytest.raises(InvalidOptionError, match="separation="):
        migflows.gravity("flow ~ log_dist | orig", df, estimator="gpml", separation=("x",))
    with pytest.raises(InvalidOptionError, match="theta=-1"):
        migflows.gravity("flow ~ log_dist | orig", df, estimator="negbin", theta=-1)


def test_too_many_dummies_refused_with_a_pointer_to_demeaning_and_ppml(kz):
    formula = "flow ~ log_dist | orig^year + dest^year"
    with pytest.raises(
        FixedEffectError, match=r"max_dummies=50 levels.*120.*engine='demean'.*estimator='ppml'"
    ):
        migflows.gravity(formula, kz, estimator="negbin", engine="dummies", max_dummies=50)
    assert MAX_DUMMIES == 2000
    # the default engine partials the fixed effects out and has no such limit
    res = migflows.gravity(formula, kz, estimator="negbin", max_dummies=50)
    assert res.stats["n_params"] == 118
    with pytest.raises(InvalidOptionError, match="engine='sparse'"):
        migflows.gravity(formula, kz, estimator="gpml", engine="sparse")


def test_non_convergence_raises(kz):
    for engine in ("demean", "dummies"):
        with pytest.raises(ConvergenceError, match=r"did not converge in maxiter=1 IRLS"):
            migflows.gravity(
                "flow ~ log_dist | orig + dest", kz, estimator="gpml", maxiter=1, engine=engine
            )
    with pytest.raises(ConvergenceError, match=r"alternation .* outer_maxiter=1"):
        migflows.gravity("flow ~ log_dist | orig + dest", kz, estimator="negbin", outer_maxiter=1)


def test_no_overdispersion_raises_and_suggests_ppml():
    df = _panel(9)
    rng = np.random.default_rng(9)
    # underdispersed counts: the NB likelihood keeps rising as theta -> infinity
    df["flow"] = np.round(np.exp(2 - 0.8 * (df["log_dist"] - 5))) + rng.integers(0, 2, len(df))
    with pytest.raises(ConvergenceError, match=r"no overdispersion.*estimator='ppml'"):
        migflows.gravity("flow ~ log_dist | orig + dest", df, estimator="negbin")


def test_collinear_regressor_dropped_or_raised():
    df = _panel(10)
    df["x2"] = 2 * df["x"]
    from migflows.estimation.gravity.ppml import CollinearityWarning

    with pytest.warns(CollinearityWarning, match="'x2'"):
        res = migflows.gravity("flow ~ x + x2 | orig + dest", df, estimator="gpml")
    assert res.collinear == ("x2",)
    with pytest.raises(FixedEffectError, match="'x2' are collinear"):
        migflows.gravity("flow ~ x + x2 | orig + dest", df, estimator="negbin", collinear="raise")


def test_negative_and_all_zero_outcomes_are_refused():
    df = _panel(12)
    bad = df.assign(flow=df["flow"] - 1e6)
    with pytest.raises(NegativeFlowError, match="negbin needs a non-negative outcome"):
        migflows.gravity("flow ~ log_dist | orig", bad, estimator="negbin")
    zero = df.assign(flow=0.0)
    with (
        pytest.raises(EstimationError, match="no observation with a positive flow"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", SeparationWarning)
        migflows.gravity("flow ~ log_dist | orig", zero, estimator="gpml")


def test_absorbed_regressor_dropped_on_request_and_counterfactual(fits, kz):
    from migflows.estimation.gravity.ppml import CollinearityWarning

    with pytest.warns(CollinearityWarning, match="'log_wage_ratio'"):
        res = migflows.gravity(
            "flow ~ log_dist + log_wage_ratio | orig^year + dest^year",
            kz,
            estimator="negbin",
            absorbed="drop",
        )
    assert res.collinear == ("log_wage_ratio",)
    assert list(res.params.index) == ["log_dist"]
    # partial-equilibrium counterfactual on a model that identifies the wage effect
    reg = fits["regional", "gpml"]
    cf = reg.counterfactual({"wage": {"turkistan": 1.10}})
    b = float(reg.params["log_wage_ratio"])
    into = cf.flows.query("destination == 'turkistan'")
    np.testing.assert_allclose(into["counterfactual"], into["baseline"] * 1.10**b, rtol=1e-10)
    out = cf.flows.query("origin == 'turkistan'")
    np.testing.assert_allclose(out["counterfactual"], out["baseline"] * 1.10 ** (-b), rtol=1e-10)


# ---------------------------------------------------------------------------- ppmlhdfe datasets
SEPARATION_DIR = FIXTURES / "ppml" / "separation"


def _separation_formula(df: pd.DataFrame) -> str:
    xs = [c for c in df.columns if c.startswith("x")]
    ids = [c for c in df.columns if c.startswith("id")]
    return "y ~ " + " + ".join(xs) + (" | " + " + ".join(ids) if ids else "")


@pytest.mark.parametrize(
    ("name", "estimator"),
    [("01", "negbin"), ("01", "gpml"), ("10", "negbin"), ("10", "gpml"), ("18", "gpml"),
     ("18", "negbin"), ("15", "negbin")],
)  # fmt: skip
def test_ppmlhdfe_separated_observations_are_dropped_for_negbin_and_gpml(name, estimator):
    # A zero is separated under a log link with y >= 0 for NB exactly as for Poisson (its
    # likelihood term -theta log(1 + mu / theta) rises as mu -> 0); the labelled datasets of
    # ppmlhdfe (tests/fixtures/ppml/separation) give the ground truth.
    df = pd.read_csv(SEPARATION_DIR / f"{name}.csv")
    formula = _separation_formula(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = migflows.gravity(formula, df, estimator=estimator, absorbed="drop")
        clean = migflows.gravity(
            formula, df[df["separated"] == 0], estimator=estimator, absorbed="drop"
        )
    assert len(res.dropped) == int(df["separated"].sum())
    assert set(res.dropped["reason"]) <= {"separated_fe", "separated_ir"}
    assert res.nobs == clean.nobs == int((df["separated"] == 0).sum())
    np.testing.assert_allclose(res.params.to_numpy(), clean.params.to_numpy(), atol=1e-8)


@pytest.mark.parametrize("name", ["05", "06", "15"])
def test_gpml_refuses_regressors_that_vary_only_among_zeros(name):
    df = pd.read_csv(SEPARATION_DIR / f"{name}.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(EstimationError, match=r"gamma PML is not identified: regressor"):
            migflows.gravity(_separation_formula(df), df, estimator="gpml", absorbed="drop")
