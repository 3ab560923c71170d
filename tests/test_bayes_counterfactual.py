"""BayesGravityResults.counterfactual: posterior of the change in flows and balances.

Reference: the expected flows of every posterior draw computed by numpy from the draws
themselves (``Intercept + x @ beta + effects``, the model as written, independent of the
PyMC graph and of the within-split it samples), and the counterfactual as that baseline
times ``exp(beta_wage * dlog_wage_ratio)`` with ``dlog_wage_ratio = +-log 1.10`` for flows
into/out of the changed region (``log_wage_ratio = log(w_d / w_o)``). The posterior is a
synthetic one (``fake_posterior``), so the reference is exact: tolerances are float ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_bayes_gravity import fake_posterior

import migflows
from migflows.errors import (
    InvalidOptionError,
    MissingRegionError,
    ModelSpecificationError,
    UnknownVariableError,
)
from migflows.estimation.bayes.api import bayes_gravity
from migflows.estimation.bayes.results import BayesGravityResults

FORMULA = "flow ~ log_wage_ratio + log_dist | orig + dest + year"


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan(years=[2020, 2021])


@pytest.fixture(scope="module")
def res(kz) -> BayesGravityResults:
    m = bayes_gravity(FORMULA, kz, family="negbin", sample=False)
    idata = fake_posterior(m, draws=60, seed=4)
    post = idata["posterior"].to_dataset()
    # the NB2 dispersion is sampled too; mu does not depend on it
    post["alpha"] = post["Intercept"] * 0 + 0.2
    idata["posterior"] = post
    return BayesGravityResults(m, idata)


def _mu_draws(res: BayesGravityResults) -> np.ndarray:
    """exp(Intercept + X beta + orig + dest + year effects), (S, n), from the draws."""
    m, post = res.model, res.idata["posterior"]
    flat = {v: post[v].to_numpy().reshape(-1, *post[v].shape[2:]) for v in post.data_vars}
    keys = m.design.keys.reset_index(drop=True)
    X = m.design.X[["log_wage_ratio", "log_dist"]].to_numpy()
    eta = flat["Intercept"][:, None] + flat["beta"] @ X.T
    for e, col in (("orig", "origin"), ("dest", "destination"), ("year", "year")):
        pos = pd.Index(m.levels[e]).get_indexer(keys[col].astype(str))
        eta += flat[f"{m.dims[e]}_effect"][:, pos]
    return np.exp(eta)


def test_counterfactual_matches_the_draws(res: BayesGravityResults, kz) -> None:
    before = kz.regions.copy()
    cf = res.counterfactual({"wage": {"turkistan": 1.10}}, level=0.8)
    pd.testing.assert_frame_equal(kz.regions, before)  # the user's panel is not changed
    keys = res.model.design.keys.reset_index(drop=True)
    base = _mu_draws(res)
    beta_w = res.idata["posterior"]["beta"].sel(coef="log_wage_ratio").to_numpy().reshape(-1)
    d = np.log(1.10) * (
        (keys["destination"] == "turkistan").to_numpy().astype(float)
        - (keys["origin"] == "turkistan").to_numpy()
    )
    delta = base * np.expm1(beta_w[:, None] * d[None, :])
    f = cf.flows
    np.testing.assert_allclose(f["baseline"], base.mean(0), rtol=1e-9)
    np.testing.assert_allclose(f["change"], delta.mean(0), rtol=1e-9, atol=1e-9)
    lo, hi = np.quantile(delta, [0.1, 0.9], axis=0)
    np.testing.assert_allclose(f["change_lower"], lo, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(f["change_upper"], hi, rtol=1e-9, atol=1e-9)
    assert (f.loc[d == 0, "change"] == 0).all()  # pairs without Turkistan do not move
    # Turkistan's arrivals in 2021: per draw the sum of its incoming changes
    rows = ((keys["destination"] == "turkistan") & (keys["year"] == 2021)).to_numpy()
    arr = delta[:, rows].sum(1)
    b = cf.balances
    assert b.loc[("turkistan", 2021), "arrivals_change"] == pytest.approx(arr.mean(), rel=1e-9)
    assert b.loc[("turkistan", 2021), "arrivals_change_lower"] == pytest.approx(
        np.quantile(arr, 0.1), rel=1e-9
    )
    assert b.loc[("turkistan", 2021), "arrivals_change_prob_positive"] == pytest.approx(
        (arr > 0).mean()
    )
    # departures of Abai in 2020: only its flow to Turkistan changes
    rows = ((keys["origin"] == "abai") & (keys["year"] == 2020)).to_numpy()
    dep = delta[:, rows].sum(1)
    assert b.loc[("abai", 2020), "departures_change"] == pytest.approx(dep.mean(), rel=1e-9)
    base_dep = base[:, rows].sum(1).mean()
    assert b.loc[("abai", 2020), "departures_baseline"] == pytest.approx(base_dep, rel=1e-9)
    assert b.loc[("abai", 2020), "departures_counterfactual"] == pytest.approx(
        base_dep + dep.mean(), rel=1e-9
    )
    # net changes sum to zero over the regions in every draw and every year
    net = cf.draws.sel(balance="net").sum("region").to_numpy()
    assert net.shape == (120, 2)
    np.testing.assert_allclose(net, 0.0, atol=1e-8 * float(np.abs(delta).sum(1).max()))
    np.testing.assert_allclose(b["net_change"].groupby(level="year").sum(), 0.0, atol=1e-8)
    # arrivals - departures = net in every draw
    dr = cf.draws
    np.testing.assert_allclose(
        dr.sel(balance="arrivals") - dr.sel(balance="departures"), dr.sel(balance="net")
    )
    with pytest.raises(ValueError, match="read-only"):
        cf.draws.values[0, 0, 0, 0] = 1.0


def test_counterfactual_by_year_and_same_interface_as_ppml(res, kz) -> None:
    cf = res.counterfactual({"wage": {"turkistan": {2021: 1.10}}})
    f = cf.flows
    assert (f.loc[f["year"] == 2020, "change"] == 0).all()
    assert (f.loc[(f["year"] == 2021) & (f["destination"] == "turkistan"), "change"] != 0).all()
    ppml = migflows.gravity(FORMULA, kz).counterfactual({"wage": {"turkistan": {2021: 1.10}}})
    # the same tables: PPML's columns are all there, with the same keys in the same order
    assert set(ppml.flows.columns) <= set(f.columns)
    assert set(ppml.balances.columns) <= set(cf.balances.columns)
    assert list(ppml.balances.index) == list(cf.balances.index)
    assert "counterfactual balances" in cf._repr_html_().lower()
    for name in ("flows", "balances"):  # read-only: writing to a copy never changes it
        table = getattr(cf, name)
        first = float(table.select_dtypes("number").iloc[0, -1])
        table.iloc[0, -1] = 99.0
        assert float(getattr(cf, name).select_dtypes("number").iloc[0, -1]) == first


@pytest.mark.parametrize(
    ("changes", "kwargs", "err", "match"),
    [
        ({"wage": {"atlantis": 1.1}}, {}, MissingRegionError, "atlantis"),
        ({"salary": {"abai": 1.1}}, {}, UnknownVariableError, "salary"),
        ({"wage": {"abai": -2}}, {}, InvalidOptionError, "greater than 0"),
        ({"wage": {"abai": {1999: 1.1}}}, {}, InvalidOptionError, "1999"),
        ({}, {}, InvalidOptionError, "non-empty mapping"),
        ({"population": {"abai": 1.1}}, {}, ModelSpecificationError, "No regressor"),
        ({"wage": {"abai": 1.1}}, {"level": 1.5}, InvalidOptionError, "level=1.5"),
    ],
)
def test_counterfactual_bad_input(res, changes, kwargs, err, match) -> None:
    with pytest.raises(err, match=match):
        res.counterfactual(changes, **kwargs)


def test_counterfactual_needs_a_panel() -> None:
    from test_bayes_gravity import simulate

    df = simulate()
    m = bayes_gravity("flow ~ x1 + log_d | orig + dest + year", df, sample=False)
    res = BayesGravityResults(m, fake_posterior(m, draws=20))
    with pytest.raises(ModelSpecificationError, match="FlowPanel"):
        res.counterfactual({"wage": {"r1": 1.1}})
