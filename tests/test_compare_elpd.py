"""migflows.compare(..., by="elpd"): models ranked by expected log predictive density.

References: statsmodels (Poisson GLM and NB2 maximum likelihood with dummy fixed effects,
independent of migflows) for the log-likelihoods, parameter counts and AIC of the ML rows;
``arviz_stats.loo`` and ``arviz_stats.compare`` for the PSIS-LOO rows and the standard error
of a difference between two Bayesian fits (synthetic posteriors, so the figures are exact).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import migflows
from migflows.errors import IncomparableModelsError, InvalidOptionError, MigflowsWarning
from migflows.estimation.bayes.api import bayes_gravity
from migflows.estimation.bayes.results import BayesGravityResults

FORMULA = "flow ~ log_wage_ratio + log_dist | orig + dest + year"


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan(years=[2020, 2021])


@pytest.fixture(scope="module")
def ml(kz) -> dict:
    return {
        "PPML": migflows.gravity(FORMULA, kz),
        "NB2": migflows.gravity(FORMULA, kz, estimator="negbin"),
    }


def _frame(kz) -> pd.DataFrame:
    """The panel's flows with the two regressors as columns (a plain DataFrame)."""
    return pd.concat([kz.flows, kz.covariates(["log_wage_ratio", "log_dist"])], axis=1)


def _dummies(res, kz) -> tuple[np.ndarray, np.ndarray]:
    keys = ["origin", "destination", "year"]
    f = res.fitted[[*keys, "observed"]].merge(_frame(kz), on=keys, how="left")
    X = pd.get_dummies(f[keys].astype(str), drop_first=True).astype(float)
    X = sm.add_constant(pd.concat([f[["log_wage_ratio", "log_dist"]], X], axis=1))
    return f["observed"].to_numpy(), X.to_numpy(dtype=float)


def test_ml_rows_match_statsmodels(ml, kz) -> None:
    y, X = _dummies(ml["PPML"], kz)
    pois = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb = sm.NegativeBinomial(y, X, loglike_method="nb2").fit(
            start_params=np.append(pois.params, 0.3), method="bfgs", maxiter=5000, gtol=1e-9,
            disp=0,
        )  # fmt: skip
    table = migflows.compare(ml, by="elpd")
    assert table.index.tolist() == ["NB2", "PPML"]  # overdispersed flows: NB2 far ahead
    # the likelihood at the MLE (the optimisers' tolerance: 1e-8 relative)
    assert table.loc["PPML", "loglik"] == pytest.approx(pois.llf, rel=1e-8)
    assert table.loc["NB2", "loglik"] == pytest.approx(nb.llf, rel=1e-7)
    # K: the slopes, the fixed effects' rank, NB2's alpha; AIC as statsmodels counts it
    assert table.loc["PPML", "p"] == X.shape[1] == pois.df_model + 1
    assert table.loc["NB2", "p"] == X.shape[1] + 1
    assert table.loc["PPML", "aic"] == pytest.approx(pois.aic, rel=1e-8)
    assert table.loc["NB2", "aic"] == pytest.approx(nb.aic, rel=1e-7)
    np.testing.assert_allclose(table["elpd"], -table["aic"] / 2, rtol=1e-12)
    assert (table["method"] == "AIC").all()
    # the se of the difference from the pointwise log-likelihoods (statsmodels' own)
    from scipy import stats

    mu_p, mu_nb = pois.fittedvalues, nb.predict()
    a = 1 / nb.params[-1]
    d = stats.nbinom.logpmf(y, a, a / (a + mu_nb)) - stats.poisson.logpmf(y, mu_p)
    assert table.loc["PPML", "dse"] == pytest.approx(np.sqrt(len(d) * d.var(ddof=1)), rel=1e-5)
    assert table.loc["PPML", "elpd_diff"] == pytest.approx(d.sum() - 1, rel=1e-7)
    assert table.loc["NB2", ["elpd_diff", "dse"]].tolist() == [0.0, 0.0]


@pytest.fixture(scope="module")
def bayes(kz) -> dict[str, BayesGravityResults]:
    """Seeded short real fits (a synthetic posterior far from the data breaks PSIS)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MigflowsWarning)
        settings = {"draws": 150, "tune": 150, "chains": 2, "random_seed": 5, "progress": False}
        return {
            f"bayes {fam}": bayes_gravity(FORMULA, kz, family=fam, **settings)
            for fam in ("poisson", "negbin")
        }


@pytest.mark.slow
def test_bayes_rows_match_arviz(bayes, ml) -> None:
    import arviz_stats as azs

    pois, nb = bayes["bayes poisson"], bayes["bayes negbin"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pareto k: the Poisson fit is badly misspecified
        table = migflows.compare({**bayes, **ml}, by="elpd")
        ref = azs.compare({"p": pois.idata_full, "nb": nb.idata_full}, round_to="none")
        loo = nb.loo()
    for name in bayes:
        assert table.loc[name, "method"] == "PSIS-LOO"
        assert np.isnan(table.loc[name, "aic"])
    assert table.loc["bayes negbin", "elpd"] == pytest.approx(float(loo.elpd), rel=1e-12)
    assert table.loc["bayes negbin", "se"] == pytest.approx(float(loo.se), rel=1e-9)
    assert table.loc["bayes negbin", "p"] == pytest.approx(float(loo.p), rel=1e-12)
    k = np.asarray(loo.pareto_k)
    assert table.loc["bayes negbin", "pareto_k_bad"] == int((k > loo.good_k).sum())
    # difference between the two Bayesian fits, as arviz computes it
    diff = table.loc["bayes poisson", "elpd"] - table.loc["bayes negbin", "elpd"]
    assert abs(diff) == pytest.approx(float(ref["elpd_diff"].abs().max()), rel=1e-9)
    d = np.asarray(pois.loo().elpd_i).ravel() - np.asarray(loo.elpd_i).ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the differences are to the best model: the Bayesian fits alone, so NB2's
        dse = migflows.compare(bayes, by="elpd").loc["bayes poisson", "dse"]
    assert dse == pytest.approx(np.sqrt(len(d) * d.var(ddof=1)), rel=1e-12)
    # arviz_stats.compare takes the population variance of the pointwise differences
    # (ddof 0); migflows the sample variance, as R's loo and Vehtari et al. (2017, eq. 24)
    n = len(d)
    assert float(ref["dse"].abs().max()) == pytest.approx(dse * np.sqrt((n - 1) / n), rel=1e-9)
    # ranks follow elpd; differences are to the best model and never negative
    assert table["elpd"].is_monotonic_decreasing and (table["elpd_diff"] >= 0).all()
    assert table["rank"].tolist() == list(range(4))


def test_refusals(kz, ml) -> None:
    ols = migflows.gravity(FORMULA, kz, estimator="ols")
    with pytest.raises(IncomparableModelsError, match=r"'OLS' \(ols\).*log-OLS.*backtest"):
        migflows.compare({"OLS": ols, **ml}, by="elpd")
    other = migflows.gravity(FORMULA, migflows.load_kazakhstan(years=[2020, 2021, 2022]))
    with pytest.raises(IncomparableModelsError, match=r"different observations \(760 and 1,140"):
        migflows.compare([ml["PPML"], other], by="elpd")
    with pytest.raises(InvalidOptionError, match="by='aic'"):
        migflows.compare(ml, by="aic")  # type: ignore[arg-type]
    # the default is the table of estimates, as before
    assert migflows.compare(ml).columns.nlevels == 2


def test_refuses_other_flows(kz, ml) -> None:
    df = _frame(kz)
    shifted = migflows.gravity(FORMULA, df.assign(flow=df["flow"] + 1))
    with pytest.raises(IncomparableModelsError, match="760 observed flow"):
        migflows.compare([ml["PPML"], shifted], by="elpd")


@pytest.mark.slow
def test_real_bayes_next_to_ml(bayes, ml) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MigflowsWarning)
        table = migflows.compare({"bayes": bayes["bayes negbin"], **ml}, by="elpd")
    # the NB2 likelihood wins over Poisson by thousands of log points, in both frameworks
    assert table.loc["PPML", "rank"] == 2
    assert table.loc["PPML", "elpd_diff"] > 1000
    # Bayesian NB2 with pooled effects (PSIS-LOO) and ML NB2 with fixed effects (-AIC / 2)
    # estimate the same ELPD, the second by an asymptotic approximation with 43 parameters
    # on 760 flows: seeded, they differ by 10.1 log points, 2.4 times the se of the
    # difference (4.2), against 87,600 for Poisson
    gap = abs(table.loc["bayes", "elpd"] - table.loc["NB2", "elpd"])
    assert gap < 4 * table.loc[["bayes", "NB2"], "dse"].max(), table
