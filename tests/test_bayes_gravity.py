"""migflows.estimation.bayes.api: model construction, results plumbing, seeded fits.

References: the Poisson MLE with dummy fixed effects (statsmodels GLM, independent of
migflows) and PPML from ``migflows.gravity`` on the same simulated data; the true slopes
of the simulation; scipy's Poisson log pmf for the registered log likelihood. The posterior
itself has no closed form, so the comparisons carry Monte Carlo tolerances written next to
each assertion.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pymc
import pytest
import statsmodels.api as sm
from arviz_base import from_dict
from scipy import stats

import migflows
from migflows.errors import (
    FixedEffectError,
    FormulaSyntaxError,
    InvalidOptionError,
    MigflowsWarning,
    ModelSpecificationError,
    NegativeFlowError,
    UnknownVariableError,
)
from migflows.estimation.bayes.api import DEFAULT_PRIORS, BayesGravityModel, bayes_gravity
from migflows.estimation.bayes.results import BayesGravityResults
from migflows.reports.comparison import compare
from migflows.reports.tables import table

TRUE = {"x1": 0.5, "log_d": -1.2}
FORMULA = "flow ~ x1 + log_d | orig + dest + year"


def simulate(n_regions: int = 8, n_years: int = 3, seed: int = 7) -> pd.DataFrame:
    """A small OD panel with known slopes, origin/destination/year effects and Poisson flows."""
    rng = np.random.default_rng(seed)
    regions = [f"r{i}" for i in range(n_regions)]
    o, d, t = (
        a.ravel()
        for a in np.meshgrid(
            np.arange(n_regions), np.arange(n_regions), np.arange(n_years), indexing="ij"
        )
    )
    keep = o != d
    o, d, t = o[keep], d[keep], t[keep]
    xy = rng.uniform(0, 10, size=(n_regions, 2))
    dist = np.hypot(*(xy[o] - xy[d]).T) + 0.5
    x1 = rng.normal(size=o.size)
    eta = (
        4.0
        + TRUE["x1"] * x1
        + TRUE["log_d"] * np.log(dist)
        + rng.normal(0, 0.6, n_regions)[o]
        + rng.normal(0, 0.6, n_regions)[d]
        + np.array([0.0, 0.15, 0.3, 0.1])[t]
    )
    return pd.DataFrame(
        {
            "origin": np.array(regions)[o],
            "destination": np.array(regions)[d],
            "year": 2020 + t,
            "flow": rng.poisson(np.exp(eta)),
            "x1": x1,
            "log_d": np.log(dist),
        }
    )


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return simulate()


# ---------------------------------------------------------------------- model construction
def test_model_structure(df: pd.DataFrame) -> None:
    m = bayes_gravity(FORMULA, df, sample=False)
    assert isinstance(m, BayesGravityModel)
    assert m.pooled == ("orig", "dest") and m.fixed == ("year",)
    coords = m.coords
    assert list(coords) == ["obs", "coef", "orig", "dest", "year"]
    assert coords["coef"] == ["x1", "log_d"]
    assert coords["orig"] == [f"r{i}" for i in range(8)] and coords["year"] == [
        "2020",
        "2021",
        "2022",
    ]
    assert len(coords["obs"]) == len(df) == m.nobs == 168
    free = [v.name for v in m.model.free_RVs]
    # sampled in the coordinates shifted by the within split (reparam.py); the effects of the
    # model as written are deterministics
    assert free == [
        "beta_std",
        "intercept_c",
        "orig_sigma",
        "orig_shifted",
        "dest_sigma",
        "dest_shifted",
        "year_shifted",
    ]
    assert m.parameterizations == {"orig": "centered", "dest": "centered"}  # large counts
    dims = m.model.named_vars_to_dims
    assert dims["X"] == ("obs", "coef") and dims["beta"] == ("coef",)
    assert dims["orig_effect"] == ("orig",) and dims["flow"] == ("obs",)
    assert m.model["X"].get_value().shape == (168, 2)
    np.testing.assert_allclose(m.model["X"].get_value(), m.train.Xw)
    # standardized regressors: mean 0, sd 1 (ddof 0); the scaling is kept
    X = m.train.X
    np.testing.assert_allclose(X.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(0), 1, rtol=1e-12)
    np.testing.assert_allclose(m.x_scale["log_d"], df["log_d"].std(ddof=0), rtol=1e-12)
    # index data map every row to its level
    codes = m.model["dest_idx"].get_value()
    assert (np.array(m.levels["dest"])[codes] == df["destination"].to_numpy()).all()
    ip = m.model.initial_point()
    assert ip["orig_shifted_zerosum__"].shape == (7,)  # zero-sum: L - 1 free values
    assert m.model.observed_RVs[0].name == "flow"


def test_model_variants(df: pd.DataFrame) -> None:
    fixed = bayes_gravity(FORMULA, df, group_effects=(), family="negbin", sample=False)
    assert fixed.pooled == () and "orig_sigma" not in fixed.model.named_vars
    assert "alpha" in fixed.model.named_vars
    nc = bayes_gravity(FORMULA, df, parameterization="noncentered", sample=False)
    assert {"orig_z", "dest_z"} <= set(nc.model.named_vars)
    assert nc.model.named_vars_to_dims["orig_effect"] == ("orig",)
    rs = bayes_gravity(FORMULA, df, random_slopes={"x1": "origin"}, sample=False)
    assert rs.random_slope == ("x1", "orig")
    assert rs.model.named_vars_to_dims["slope"] == ("orig",)
    assert {"slope_sigma", "slope_dev"} <= set(rs.model.named_vars)
    # no effects: the intercept is a reported parameter
    plain = bayes_gravity("flow ~ x1 + log_d", df, sample=False)
    assert plain.effects == () and plain.intercept_in_params
    # no intercept: regressors are scaled but not centred (centring would add an intercept)
    noint = bayes_gravity("flow ~ 0 + x1 + log_d", df, sample=False)
    assert not noint.has_intercept and "Intercept" not in noint.model.named_vars
    assert (noint.x_mean == 0).all()
    np.testing.assert_allclose(
        noint.model["X"].get_value()[:, 1], df["log_d"] / noint.x_scale["log_d"]
    )
    # a formula without dest: the default pooling skips it
    od = bayes_gravity("flow ~ x1 | orig + year", df, sample=False)
    assert od.pooled == ("orig",)
    # pooled interaction effects get a dim without '^'
    oy = bayes_gravity(
        "flow ~ x1 + log_d | orig^year + dest",
        df,
        sample=False,
        group_effects=("orig^year", "dest"),
    )
    assert "orig_year" in oy.coords and len(oy.coords["orig_year"]) == 24
    # offset
    off = bayes_gravity(FORMULA, df.assign(lo=0.1), offset="lo", sample=False)
    assert off.model["offset"].get_value().shape == (168,)


def test_priors_reach_the_model(df: pd.DataFrame) -> None:
    m = bayes_gravity(FORMULA, df, priors={"coef": {"x1": 0.5}, "fixed": 7.0}, sample=False)
    assert m.priors["fixed"] == 7.0 and m.priors["group_sd"] == DEFAULT_PRIORS["group_sd"]
    # the log density of beta_std at 0 is that of Normal(0, (0.5, 2.5))
    logp = m.model.compile_logp(vars=[m.model["beta_std"]], sum=False)
    point = m.model.initial_point()
    point["beta_std"] = np.zeros(2)
    expected = stats.norm.logpdf(0, scale=[0.5, 2.5])
    np.testing.assert_allclose(logp(point)[0], expected, rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"family": "gamma"}, InvalidOptionError, "family='gamma' is not available"),
        ({"group_effects": ("pair",)}, FixedEffectError, "group_effects names 'pair'"),
        ({"priors": {"beta": 1.0}}, InvalidOptionError, "Unknown prior 'beta'"),
        ({"priors": {"coef": -1.0}}, InvalidOptionError, "must be a positive number"),
        ({"parameterization": "ncp"}, InvalidOptionError, "parameterization='ncp'"),
        ({"random_slopes": {"x9": "orig"}}, UnknownVariableError, "names 'x9'"),
        ({"random_slopes": {"x1": "pair"}}, FixedEffectError, "groups 'x1' by 'pair'"),
        (
            {"random_slopes": {"x1": "orig", "log_d": "dest"}},
            ModelSpecificationError,
            "takes one regressor, got 2",
        ),
    ],
)
def test_bad_options(df: pd.DataFrame, kwargs: dict, err: type, match: str) -> None:
    with pytest.raises(err, match=match):
        bayes_gravity(FORMULA, df, sample=False, **kwargs)


def test_bad_data(df: pd.DataFrame) -> None:
    with pytest.raises(ModelSpecificationError, match=r"2 value.*not whole numbers"):
        bayes_gravity(
            FORMULA, df.assign(flow=df["flow"] + np.r_[0.5, 0.25, [0] * 166]), sample=False
        )
    with pytest.raises(NegativeFlowError, match=r"1 value.*negative"):
        bayes_gravity(FORMULA, df.assign(flow=np.r_[-1, df["flow"].iloc[1:]]), sample=False)
    with pytest.raises(ModelSpecificationError, match="'c' are constant"):
        bayes_gravity("flow ~ x1 + c | orig + dest", df.assign(c=2.0), sample=False)
    # a region attribute under a *fixed* origin effect is absorbed; pooled, it is not
    attr = df["origin"].map({f"r{i}": float(i) for i in range(8)})
    with pytest.raises(FixedEffectError, match="'a' are absorbed by the fixed effects 'orig'"):
        bayes_gravity(
            "flow ~ x1 + a | orig + dest", df.assign(a=attr), group_effects=(), sample=False
        )
    bayes_gravity("flow ~ x1 + a | orig + dest", df.assign(a=attr), sample=False)
    with pytest.raises(ModelSpecificationError, match="'x2' is collinear with 'x1', 'log_d'"):
        bayes_gravity(
            "flow ~ x1 + log_d + x2 | orig + dest", df.assign(x2=df.x1 - 2 * df.log_d), sample=False
        )
    with pytest.raises(FixedEffectError, match="Effect 'year' has a single level"):
        bayes_gravity(FORMULA, df[df["year"] == 2020], sample=False)
    with pytest.raises(FormulaSyntaxError):
        bayes_gravity("flow ~ | orig", df, sample=False)
    with pytest.raises(InvalidOptionError, match="random_seed='a'"):
        bayes_gravity(FORMULA, df, random_seed="a", progress=False)  # type: ignore[call-overload]
    with pytest.raises(InvalidOptionError, match="draws=0"):
        bayes_gravity(FORMULA, df, draws=0)


# ---------------------------------------------------------------------- mocked sampler
def fake_posterior(m: BayesGravityModel, chains: int = 2, draws: int = 200, seed: int = 0):
    """A synthetic DataTree with every sampled and deterministic variable of ``m``."""
    rng = np.random.default_rng(seed)
    shape = (chains, draws)
    k = len(m.coef_names)
    b_std = np.array([0.4, -0.9]) + 0.03 * rng.standard_normal((*shape, k))
    a = 3.5 + 0.02 * rng.standard_normal(shape)
    split = m.split
    a_s = a if split is None else a + b_std @ split.const  # the sampled (shifted) intercept
    post: dict[str, np.ndarray] = {"beta_std": b_std, "intercept_c": a_s}
    post["beta"] = b_std / m.x_scale.to_numpy()
    post["Intercept"] = a - (b_std * (m.x_mean / m.x_scale).to_numpy()).sum(-1)
    dims: dict[str, list[str]] = {"beta_std": ["coef"], "beta": ["coef"]}
    for e in m.effects:
        dim = m.dims[e]
        u = rng.normal(0, 0.5, (*shape, len(m.levels[e])))
        post[f"{dim}_effect"] = u - u.mean(-1, keepdims=True)
        dims[f"{dim}_effect"] = [dim]
        if split is not None:
            post[f"{dim}_shifted"] = post[f"{dim}_effect"] + b_std @ split.blocks[e]
            dims[f"{dim}_shifted"] = [dim]
        if e in m.pooled:
            post[f"{dim}_sigma"] = np.abs(0.5 + 0.05 * rng.standard_normal(shape))
    if m.random_slope is not None:
        x, g = m.random_slope
        v = rng.normal(0, 0.2, (*shape, len(m.levels[g])))
        post["slope_dev"] = v - v.mean(-1, keepdims=True)
        post["slope_sigma"] = np.abs(0.2 + 0.02 * rng.standard_normal(shape))
        j = m.coef_names.index(x)
        post["slope"] = (b_std[..., j : j + 1] + post["slope_dev"]) / m.x_scale[x]
        dims["slope_dev"] = dims["slope"] = [m.dims[g]]
        if m.parameterizations["slope"] == "noncentered":  # the sampled variable
            post["slope_dev_z"] = post["slope_dev"] / post["slope_sigma"][..., None]
            dims["slope_dev_z"] = [m.dims[g]]
    coords = {"coef": m.coef_names, **{m.dims[e]: m.levels[e] for e in m.effects}}
    if m.random_slope is not None:
        coords[m.dims[m.random_slope[1]]] = m.levels[m.random_slope[1]]
    div = np.zeros(shape, dtype=bool)
    div[0, :3] = True
    return from_dict(
        {"posterior": post, "sample_stats": {"diverging": div}}, dims=dims, coords=coords
    )


@pytest.fixture(scope="module")
def mocked(df: pd.DataFrame) -> tuple[BayesGravityResults, dict]:
    m = bayes_gravity(FORMULA, df, sample=False)
    calls: dict = {}

    def fake_sample(**kwargs):
        calls.update(kwargs)
        return fake_posterior(m)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pymc, "sample", fake_sample)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MigflowsWarning)  # the fake has divergences
            res = m.fit(draws=200, tune=50, chains=2, random_seed=3, progress=False)
    return res, calls


def test_fit_passes_settings_to_pymc(mocked: tuple[BayesGravityResults, dict]) -> None:
    res, calls = mocked
    assert calls["draws"] == 200 and calls["tune"] == 50 and calls["chains"] == 2
    assert calls["target_accept"] == 0.9 and calls["progressbar"] is False
    seed = int(np.random.default_rng(3).integers(2**31 - 1, size=2)[0])
    assert calls["random_seed"] == seed  # randomness only from random_seed
    assert "mu" not in calls["var_names"] and "beta" in calls["var_names"]
    assert calls["nuts_sampler"] == res.sampler == "nutpie"  # installed: the default
    assert calls["cores"] == min(2, os.cpu_count() or 1)  # one core per chain
    # log-likelihood and posterior predictive draws are computed when first needed
    assert not {"log_likelihood", "posterior_predictive"} & set(res.idata.children)
    assert {"posterior", "log_likelihood", "posterior_predictive"} <= set(res.idata_full.children)


def test_results_vocabulary(mocked: tuple[BayesGravityResults, dict]) -> None:
    res, _ = mocked
    beta = res.idata["posterior"]["beta"].to_numpy().reshape(-1, 2)
    assert list(res.params.index) == ["x1", "log_d"] and res.params.name == "params"
    np.testing.assert_allclose(res.params, beta.mean(0), rtol=1e-12)
    np.testing.assert_allclose(res.std_errors, beta.std(0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(res.cov, np.cov(beta.T), rtol=1e-10)
    ci = res.conf_int(0.9)
    np.testing.assert_allclose(ci["lower"], np.quantile(beta, 0.05, axis=0), rtol=1e-12)
    np.testing.assert_allclose(ci["upper"], np.quantile(beta, 0.95, axis=0), rtol=1e-12)
    # HDI: the shortest interval holding floor(0.9 S) + 1 sorted draws
    hdi = res.conf_int(0.9, hdi=True)
    for j, name in enumerate(res.params.index):
        s = np.sort(beta[:, j])
        m = int(np.floor(0.9 * len(s)))
        i = int(np.argmin(s[m:] - s[: len(s) - m]))
        assert hdi.loc[name].tolist() == pytest.approx([s[i], s[i + m]], rel=1e-12)
    assert res.tstats.isna().all() and res.tstats.name == "tstats"
    assert res.pvalues.isna().all() and res.pvalues.name == "pvalues"
    assert res.nobs == 168 and res.formula == FORMULA
    assert res.fixed_effects == ("orig", "dest", "year") and res.group_effects == ("orig", "dest")
    st = res.stats
    assert st["divergences"] == 3 and st["chains"] == 2 and st["draws"] == 200
    # no log-likelihood stored at the fit: no LOO in the stats (res.loo() computes it)
    assert "elpd_loo" not in st and st["sigma_orig"] == pytest.approx(
        float(res.idata["posterior"]["orig_sigma"].mean()), rel=1e-12
    )
    frame = res.to_frame()
    assert list(frame.columns[:4]) == ["params", "std_errors", "lower", "upper"]
    assert "r_hat" in frame and "ess_bulk" in frame
    assert set(res.effects) == {"orig", "dest", "year"}
    assert res.effects["orig"]["mean"].sum() == pytest.approx(0, abs=1e-12)
    assert "orig_effect[r0]" in res.diagnostics().index
    assert "Bayesian gravity (poisson)" in str(res) and "<table>" in res._repr_html_()
    with pytest.raises(AttributeError, match="immutable"):
        res.x = 1  # type: ignore[attr-defined]
    with pytest.raises(InvalidOptionError, match=r"level=1\.5"):
        res.conf_int(1.5)


def test_tables_accept_results(mocked: tuple[BayesGravityResults, dict], df) -> None:
    res, _ = mocked
    ppml = migflows.gravity(FORMULA, df)
    cells = table({"Bayes": res, "PPML": ppml})
    assert cells.loc["x1", "Bayes"] == f"{res.params['x1']:.3f}"  # no stars without p-values
    assert cells.loc["Std. errors", "Bayes"] == "posterior sd"
    assert cells.loc["FE: orig", "Bayes"] == "pooled"  # partially pooled, not absorbed
    both = compare({"Bayes": res, "PPML": ppml})
    assert both.loc["log_d", ("Bayes", "estimate")] == res.params["log_d"]


def _manual_mu(res: BayesGravityResults, rows: pd.DataFrame) -> np.ndarray:
    """exp(eta) averaged over the posterior, computed with numpy from the draws."""
    return _manual_mu_draws(res, rows).mean(0)


def _manual_mu_draws(res: BayesGravityResults, rows: pd.DataFrame) -> np.ndarray:
    """exp(eta) at every posterior draw (slopes, intercept and effects; no random slope)."""
    m = res.model
    post = res.idata["posterior"]
    b = post["beta"].to_numpy().reshape(-1, 2)
    a = post["Intercept"].to_numpy().reshape(-1)
    eta = a[:, None] + b @ rows[["x1", "log_d"]].to_numpy(dtype=float).T
    keys = {"orig": "origin", "dest": "destination", "year": "year"}
    for e, col in keys.items():
        u = post[f"{e}_effect"].to_numpy().reshape(-1, len(m.levels[e]))
        pos = pd.Index(m.levels[e]).get_indexer(rows[col].astype(str))
        eta = eta + u[:, pos]
    return np.exp(eta)


def test_predict_with_set_data(mocked: tuple[BayesGravityResults, dict], df) -> None:
    res, _ = mocked
    inside = res.predict()
    np.testing.assert_allclose(inside, _manual_mu(res, df), rtol=1e-10)
    rows = df.iloc[[5, 150, 17]].copy()
    rows.loc[rows.index[1], "x1"] = np.nan  # unpredictable row -> NaN, kept in place
    new = res.predict(rows)
    assert np.isnan(new.iloc[1])
    np.testing.assert_allclose(new.iloc[[0, 2]], _manual_mu(res, rows.iloc[[0, 2]]), rtol=1e-10)
    # the model's data are restored after predicting
    np.testing.assert_allclose(res.model.model["X"].get_value(), res.model.train.Xw)
    assert res.model.model["dest_idx"].get_value().shape == (168,)
    draws = res.predict(rows, kind="draws", random_seed=5)
    assert draws.dims == ("chain", "draw", "obs") and draws.shape == (2, 200, 3)
    assert np.isnan(draws[:, :, 1]).all()
    again = res.predict(rows, kind="draws", random_seed=5)
    np.testing.assert_array_equal(draws.to_numpy(), again.to_numpy())
    other = df.iloc[:2].assign(destination="nowhere")
    with pytest.raises(FixedEffectError, match=r"1 level.*'dest'.*'nowhere'"):
        res.predict(other)
    with pytest.raises(InvalidOptionError, match="kind='link'"):
        res.predict(kind="link")  # type: ignore[arg-type]


def test_random_slope_prediction(df: pd.DataFrame) -> None:
    m = bayes_gravity(FORMULA, df, random_slopes={"x1": "orig"}, sample=False)
    res = BayesGravityResults(m, fake_posterior(m, draws=50))
    post = res.idata["posterior"]
    dev = post["slope_dev"].to_numpy().reshape(100, -1)  # standardized scale
    xs = (df["x1"].to_numpy() - m.x_mean["x1"]) / m.x_scale["x1"]
    extra = dev[:, m.train.codes["orig"]] * xs
    base = np.log(_manual_mu_draws(res, df))
    expected = np.exp(base + extra).mean(0)
    np.testing.assert_allclose(res.predict(), expected, rtol=1e-10)
    rows = df.iloc[[9, 2]]
    np.testing.assert_allclose(res.predict(rows), expected[[9, 2]], rtol=1e-10)
    assert res.stats["sigma_slope"] == pytest.approx(float(post["slope_sigma"].mean()))


def test_log_likelihood_registered(mocked: tuple[BayesGravityResults, dict], df) -> None:
    res, _ = mocked
    ll = res.idata_full["log_likelihood"]["flow"].to_numpy()
    post = res.idata["posterior"]
    mu = np.exp(
        post["Intercept"].to_numpy()[..., None]
        + post["beta"].to_numpy() @ df[["x1", "log_d"]].to_numpy().T
        + post["orig_effect"].to_numpy()[..., res.model.train.codes["orig"]]
        + post["dest_effect"].to_numpy()[..., res.model.train.codes["dest"]]
        + post["year_effect"].to_numpy()[..., res.model.train.codes["year"]]
    )
    np.testing.assert_allclose(ll, stats.poisson.logpmf(df["flow"].to_numpy(), mu), rtol=1e-8)


# ---------------------------------------------------------------------- seeded real fits
SETTINGS = {"draws": 300, "tune": 300, "chains": 2, "cores": 1, "progress": False}


@pytest.fixture(scope="module")
def pooled(df: pd.DataFrame) -> BayesGravityResults:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MigflowsWarning)
        return bayes_gravity(FORMULA, df, random_seed=11, **SETTINGS)


@pytest.fixture(scope="module")
def fixed(df: pd.DataFrame) -> BayesGravityResults:
    # every effect fixed, near-flat priors: the posterior is close to the Poisson likelihood
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MigflowsWarning)
        return bayes_gravity(
            FORMULA,
            df,
            group_effects=(),
            priors={"coef": 10.0, "fixed": 10.0, "intercept": 10.0},
            random_seed=12,
            **SETTINGS,
        )


def _poisson_mle(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Poisson MLE with dummy fixed effects (statsmodels GLM) and its model-based SEs."""
    dummies = pd.get_dummies(df[["origin", "destination", "year"]].astype(str), drop_first=True)
    X = sm.add_constant(pd.concat([df[["x1", "log_d"]], dummies.astype(float)], axis=1))
    fit = sm.GLM(df["flow"], X, family=sm.families.Poisson()).fit(tol=1e-12)
    return fit.params[["x1", "log_d"]], fit.bse[["x1", "log_d"]]


def test_fit_converges(pooled: BayesGravityResults, fixed: BayesGravityResults) -> None:
    for res in (pooled, fixed):
        assert res.stats["rhat_max"] < 1.05
        assert res.stats["divergences"] == 0
        assert res.stats["ess_bulk_min"] > 100


def test_recovers_true_slopes(pooled: BayesGravityResults) -> None:
    # seeded figures: x1 0.4892 (sd 0.0230), log_d -1.1561 (sd 0.0689); truth 0.5, -1.2
    z = (pooled.params - pd.Series(TRUE)) / pooled.std_errors
    assert (z.abs() < 3).all(), z


def test_agrees_with_poisson_mle(
    fixed: BayesGravityResults, pooled: BayesGravityResults, df: pd.DataFrame
) -> None:
    mle, se = _poisson_mle(df)
    ppml = migflows.gravity(FORMULA, df, vcov="iid")
    np.testing.assert_allclose(ppml.params, mle, rtol=1e-6)
    # Flat priors: posterior mean = MLE up to O(1/n) and Monte Carlo error (MCSE is about
    # sd / sqrt(ESS) ~ 0.05 sd here); 0.2 posterior sd is four MCSEs. Seeded figures:
    # posterior x1 0.48943, log_d -1.15751; MLE 0.48962, -1.15532 (0.01 and 0.03 sd apart).
    assert ((fixed.params - mle).abs() / fixed.std_errors < 0.2).all()
    # Bernstein-von Mises: posterior sd ~ inverse-Fisher SE; the sd of 600 draws is itself
    # uncertain by ~3.5 % (1 / sqrt(2 ESS)), so allow 10 %. Seeded ratios: 0.999, 1.010.
    np.testing.assert_allclose(fixed.std_errors, se, rtol=0.10)
    # Pooled origin/destination effects shrink the effects a little towards zero; with
    # ~40 large counts per region the shrinkage moves the slopes by well under 0.5 sd
    # (seeded: 0.02 and 0.01 sd).
    assert ((pooled.params - ppml.params).abs() / pooled.std_errors < 0.5).all()


def test_real_predictions_and_loo(pooled: BayesGravityResults, df: pd.DataFrame) -> None:
    fitted = pooled.fitted
    # The Poisson likelihood with an intercept matches total flows at the MLE; the posterior
    # mean of the total is within a fraction of a percent of it.
    assert fitted["fitted"].sum() == pytest.approx(df["flow"].sum(), rel=5e-3)
    sub = pooled.predict(df.iloc[[3, 40, 100]])
    np.testing.assert_allclose(sub, pooled.predict().iloc[[3, 40, 100]], rtol=1e-10)
    loo = pooled.loo()
    ll = pooled.idata_full["log_likelihood"]["flow"].to_numpy().reshape(-1, len(df))
    lppd = float(np.sum(np.log(np.mean(np.exp(ll), axis=0))))
    assert float(loo.elpd) == pytest.approx(lppd - float(loo.p), rel=1e-9)
    assert 5 < float(loo.p) < 40  # ~ 2 slopes + 23 effect/intercept parameters


def test_plots_return_figures(pooled: BayesGravityResults) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = pooled.plot_trace()
    assert isinstance(fig, Figure)
    fig2 = pooled.plot_ppc(num_samples=20)
    assert isinstance(fig2, Figure)
    plt.close("all")


# ---------------------------------------------------------------------- reparameterisation
def _transformed(model: pymc.Model, values: dict, copied: dict) -> dict:
    """Value-variable point of ``model`` from untransformed values (log__ values copied)."""
    import pytensor.tensor as pt

    point = {}
    for vv in model.value_vars:
        rv = model.values_to_rvs[vv]
        if vv.name.endswith("_log__"):
            point[vv.name] = copied[vv.name]
            continue
        tr = model.rvs_to_transforms.get(rv)
        x = np.asarray(values[rv.name], dtype=float)
        point[vv.name] = x if tr is None else tr.forward(pt.as_tensor(x)).eval()
    return point


@pytest.mark.parametrize("family", ["poisson", "negbin"])
def test_within_split_keeps_the_posterior(df: pd.DataFrame, family: str) -> None:
    # The sampled model (regressors centred within the effects, priors moved by Potentials)
    # and the model as written have the same joint log density at corresponding points:
    # a' = a + c b, u'_e = u_e + G_e b (Jacobian one). Independent of reparam.py's algebra:
    # the reference is PyMC's log density of the plain model.
    m = bayes_gravity(FORMULA, df, family=family, sample=False)
    plain, split = m.prior_model(), m.model
    assert "orig_effect" in {v.name for v in plain.free_RVs}
    rng = np.random.default_rng(0)
    start = {
        k: v + 0.3 * rng.standard_normal(np.shape(v)) for k, v in plain.initial_point().items()
    }
    fn = plain.compile_fn(
        plain.unobserved_value_vars, inputs=plain.value_vars, on_unused_input="ignore"
    )
    v = dict(zip([x.name for x in plain.unobserved_value_vars], fn(start), strict=True))
    b = v["beta_std"]
    new = {k: v[k] for k in ("beta_std", "orig_sigma", "dest_sigma", "alpha") if k in v}
    new["intercept_c"] = v["intercept_c"] + b @ m.split.const
    for e in m.effects:
        new[f"{m.dims[e]}_shifted"] = v[f"{m.dims[e]}_effect"] + b @ m.split.blocks[e]
    point = _transformed(split, new, start)
    assert split.compile_logp()(point) == pytest.approx(plain.compile_logp()(start), rel=1e-12)
    # and the deterministic effects of the split model are the plain model's effects
    outs = split.unobserved_value_vars
    fn2 = split.compile_fn(outs, inputs=split.value_vars, on_unused_input="ignore")
    w = dict(zip([x.name for x in outs], fn2(point), strict=True))
    for name in ("orig_effect", "dest_effect", "year_effect", "Intercept", "beta"):
        np.testing.assert_allclose(w[name], v[name], rtol=1e-10, atol=1e-12)
    # the split itself: X = const + sum_e G_e[level] + Xw, each G_e summing to zero
    rebuilt = m.split.const + sum(m.split.blocks[e][:, m.train.codes[e]].T for e in m.effects)
    np.testing.assert_allclose(rebuilt + m.train.Xw, m.train.X, atol=1e-12)
    assert all(abs(g.sum(axis=1)).max() < 1e-12 for g in m.split.blocks.values())


def test_within_split_can_be_turned_off(df: pd.DataFrame) -> None:
    m = bayes_gravity(FORMULA, df, center_within=False, parameterization="noncentered",
                      sample=False)  # fmt: skip
    assert m.split is None and "orig_effect" in m.model.named_vars
    assert {"orig_z", "dest_z"} <= {v.name for v in m.model.free_RVs}
    np.testing.assert_allclose(m.model["X"].get_value(), m.train.X)


# ---------------------------------------------------------------------- pooled slopes
PERIODS = {"early": (2020, 2020), "late": (2021, 2022)}


def test_pooled_slope_by_period(df: pd.DataFrame) -> None:
    m = bayes_gravity(FORMULA, df, pooled_slopes={"x1": "period"}, periods=PERIODS, sample=False)
    assert m.random_slope == ("x1", "period")
    assert m.parameterizations["slope"] == "noncentered"  # always, for a few periods
    assert m.model.named_vars_to_dims["slope"] == ("period",)
    assert m.coords["period"] == ["early", "late"]
    expected = np.where(df["year"].to_numpy() == 2020, 0, 1)
    np.testing.assert_array_equal(m.model["period_idx"].get_value(), expected)
    assert {"slope_sigma", "slope_dev_z"} <= {v.name for v in m.model.free_RVs}
    # the posterior of the difference: numbers from the draws, by numpy
    res = BayesGravityResults(m, fake_posterior(m, draws=100))
    slope = res.idata["posterior"]["slope"].to_numpy().reshape(-1, 2)
    diff = slope[:, 1] - slope[:, 0]
    table = res.slope_differences(0.9)
    row = table.loc["late - early"]
    assert row["mean"] == pytest.approx(diff.mean(), rel=1e-12)
    assert row["sd"] == pytest.approx(diff.std(ddof=1), rel=1e-12)
    assert row["prob_positive"] == pytest.approx((diff > 0).mean(), rel=1e-12)
    assert row["lower"] == pytest.approx(np.quantile(diff, 0.05), rel=1e-12)
    assert res.stats["sigma_slope"] > 0  # the hyper-parameter is reported
    # predictions on new rows recompute the period of each row
    rows = df.iloc[[0, 1, 2]]
    np.testing.assert_allclose(res.predict(rows), res.predict().iloc[[0, 1, 2]], rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"pooled_slopes": {"x1": "period"}}, ModelSpecificationError, "at least two periods"),
        (
            {"pooled_slopes": {"x1": "period"}, "periods": {"a": (2020, 2020), "b": (2021, 2021)}},
            ModelSpecificationError,
            r"56 flow\(s\) fall in no period \(years 2022\)",
        ),
        ({"pooled_slopes": {"x9": "period"}, "periods": PERIODS}, UnknownVariableError, "'x9'"),
        (
            {"pooled_slopes": {"x1": "orig"}, "random_slopes": {"x1": "orig"}},
            ModelSpecificationError,
            "not both",
        ),
        ({"sampler": "stan"}, InvalidOptionError, "sampler='stan' is not known"),
    ],
)
def test_bad_slope_and_sampler_options(df: pd.DataFrame, kwargs: dict, err, match: str) -> None:
    sample = "sampler" in kwargs
    with pytest.raises(err, match=match):
        bayes_gravity(FORMULA, df, sample=sample, progress=False, **kwargs)


def test_pooled_slope_by_origin_is_random_slopes(df: pd.DataFrame) -> None:
    m = bayes_gravity(FORMULA, df, pooled_slopes={"x1": "origin"}, sample=False)
    assert m.random_slope == ("x1", "orig")


def test_gates_and_warning_name_parameter_and_fix(mocked) -> None:
    res, _ = mocked
    g = res.gates
    assert list(g.index) == ["r_hat", "ess_bulk", "ess_tail", "divergences"]
    assert g.loc["divergences", "value"] == 3 and not g.loc["divergences", "passed"]
    from migflows.errors import ConvergenceWarning
    from migflows.estimation.bayes.sampling import warn_gates

    with pytest.warns(ConvergenceWarning, match=r"3 divergent transition\(s\).*target_accept"):
        warn_gates(g)
    bad = g.copy()
    bad.loc["r_hat", ["value", "parameter", "passed"]] = [1.05, "beta[x1]", False]
    with pytest.warns(ConvergenceWarning, match=r"R-hat 1\.050 at beta\[x1\]"):
        warn_gates(bad)


def test_coverage_and_balances_from_draws(mocked, df: pd.DataFrame) -> None:
    res, _ = mocked
    pp = res.idata_full["posterior_predictive"]["flow"].to_numpy().reshape(-1, len(df))
    cov = res.ppc_coverage((0.5,))
    lo, hi = np.quantile(pp, [0.25, 0.75], axis=0)
    y = df["flow"].to_numpy()
    assert cov.loc[("all", "all"), "50%"] == pytest.approx(((y >= lo) & (y <= hi)).mean())
    r0 = (df["origin"] == "r0").to_numpy()
    assert cov.loc[("origin", "r0"), "50%"] == pytest.approx(((y >= lo) & (y <= hi))[r0].mean())
    b = res.balances(level=0.9)
    # arrivals of r1 in 2021 in each draw, by numpy
    rows = ((df["destination"] == "r1") & (df["year"] == 2021)).to_numpy()
    assert b.loc[("r1", 2021), "arrivals_mean"] == pytest.approx(pp[:, rows].sum(1).mean())
    np.testing.assert_allclose(b["net_mean"].groupby(level="year").sum(), 0, atol=1e-9)
    prior = res.prior_predictive(draws=20, random_seed=1)
    assert list(prior.index) == ["observed", "prior predictive"]
    assert prior.loc["observed", "50%"] == pytest.approx(np.median(y))
