"""The gravity forecasting method: OD flows from a fitted gravity model, scenarios, coverage."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import ModelSpecificationError


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan()


def _forecast(panel, **kw):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return migflows.forecast(
            panel, method="gravity", horizon=3, random_seed=3, n_sims=300, progress=False, **kw
        )


def test_point_flows_equal_the_fitted_model(kz) -> None:
    fc = _forecast(kz)
    formula = fc.info["formula"]
    assert (
        formula == "flow ~ log_wage_ratio + unemp_diff + log_pop_o + log_pop_d | orig^dest + year"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = migflows.gravity(formula, kz, vcov="hetero", absorbed="drop")
    # Covariates carried forward from 2023 (the last year with every attribute) and the 2023
    # year effect carried forward: the 2025 point forecast is the fitted 2023 flow.
    fitted = res.fitted.query("year == 2023").set_index(["origin", "destination"])["fitted"]
    f25 = fc.flows.query("year == 2025").set_index(["origin", "destination"])["flow"]
    np.testing.assert_allclose(f25.reindex(fitted.index), fitted, rtol=1e-9)
    np.testing.assert_allclose(fc.info["params"].to_numpy(), res.params.to_numpy(), rtol=1e-12)


def test_coherent_and_nonnegative(kz) -> None:
    fc = _forecast(kz)
    draws = fc.draws
    net = draws.sel(variable="net")
    assert float(abs(net.sum("region")).max()) < 1e-6  # zero sum in every draw and year
    assert float(draws.sel(variable=["arrivals", "departures"]).min()) >= 0
    assert fc.balances.groupby(level="year")["net"].sum().abs().max() < 1e-6


def test_scenario_wages_and_shocks(kz) -> None:
    base = _forecast(kz)
    b = float(base.info["params"]["log_wage_ratio"])
    years = [2025, 2026, 2027]
    scen = migflows.Scenario(
        "south converges",
        wages=pd.DataFrame({"region": ["turkistan"] * 3, "year": years, "factor": [1.1] * 3}),
        shocks=pd.DataFrame(
            {"origin": ["shymkent_city"], "destination": ["north_kazakhstan"], "factor": [2.0]}
        ),
    )
    alt = _forecast(kz, scenario=scen)
    f0 = base.flows.set_index(["origin", "destination", "year"])["flow"]
    f1 = alt.flows.set_index(["origin", "destination", "year"])["flow"]
    into = f0.index.get_level_values("destination") == "turkistan"
    np.testing.assert_allclose(f1[into], f0[into] * 1.1**b, rtol=1e-9)
    out_of = f0.index.get_level_values("origin") == "turkistan"
    np.testing.assert_allclose(f1[out_of], f0[out_of] * 1.1 ** (-b), rtol=1e-9)
    pair = ("shymkent_city", "north_kazakhstan", 2026)
    assert f1[pair] == pytest.approx(2 * f0[pair], rel=1e-9)
    with pytest.raises(ModelSpecificationError, match="cannot be forecast"):
        _forecast(kz, formula="flow ~ log_dist | orig^year + dest^year")
    with pytest.raises(migflows.errors.MissingRegionError, match="'atlantis'"):
        _forecast(
            kz,
            scenario=migflows.Scenario(
                "x", wages=pd.DataFrame({"region": ["atlantis"], "year": [2025], "factor": [1.1]})
            ),
        )


def _simulated(rng: np.random.Generator, n_regions: int = 10, n_years: int = 9):  # type: ignore[no-untyped-def]
    regions = [f"r{i:02d}" for i in range(n_regions)]
    pairs = [(o, d) for o in regions for d in regions if o != d]
    pair_fe = rng.normal(4.0, 1.0, len(pairs))
    years = list(range(2000, 2000 + n_years))
    year_fe = np.cumsum(rng.normal(0.0, 0.08, n_years))
    wage = {(r, y): float(np.exp(rng.normal(0, 0.3))) for r in regions for y in years}
    rows = []
    for t, y in enumerate(years):
        for k, (o, d) in enumerate(pairs):
            eta = pair_fe[k] + year_fe[t] + 0.8 * np.log(wage[(d, y)] / wage[(o, y)])
            rows.append((o, d, y, rng.poisson(np.exp(eta + rng.normal(-0.02, 0.2)))))
    flows = pd.DataFrame(rows, columns=["origin", "destination", "year", "flow"])
    attrs = pd.DataFrame(
        [(r, y, w) for (r, y), w in wage.items()], columns=["region", "year", "wage"]
    )
    return migflows.FlowPanel.from_frame(flows, regions=attrs), years


def test_interval_coverage_on_a_known_process() -> None:
    rng = np.random.default_rng(11)
    hits = []
    for rep in range(16):
        full, years = _simulated(rng)
        train = full.select(years=years[:-2])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = migflows.forecast(
                train,
                method="gravity",
                horizon=2,
                random_seed=rep,
                n_sims=300,
                progress=False,
                formula="flow ~ log_wage_ratio | orig^dest + year",
            )
        ci = fc.conf_int(0.8, variable="arrivals")
        truth = full.select(years=years[-2:]).balances()["arrivals"].reindex(ci.index)
        hits.append(((truth >= ci.iloc[:, 0]) & (truth <= ci.iloc[:, 1])).to_numpy())
    coverage = float(np.concatenate(hits).mean())
    # Wages move in the true process but are carried forward in the forecast: the method's
    # intervals still cover 70-90% of regional arrivals (issue 5's band).
    assert 0.70 <= coverage <= 0.90, coverage


def test_backtest_with_gravity(kz) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = migflows.backtest(
            kz,
            methods=["naive", "gravity"],
            origins=[2020, 2023],
            horizon=1,
            random_seed=1,
            n_sims=200,
            progress=False,
        )
    table = bt.table
    assert set(table.reset_index()["method"]) == {"naive", "gravity"}


def test_bayesian_gravity_drives_the_forecast(kz) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = migflows.forecast(
            kz,
            method="gravity",
            horizon=2,
            random_seed=5,
            n_sims=200,
            progress=False,
            estimator="bayes",
            bayes_options={"draws": 150, "tune": 150},
        )
    assert fc.info["estimator"] == "bayes"
    assert float(abs(fc.draws.sel(variable="net").sum("region")).max()) < 1e-6  # coherent
    assert float(fc.draws.sel(variable=["arrivals", "departures"]).min()) >= 0
    # The posterior predictive national total is near the PPML one: same covariates, but a
    # different model (NB2, pooled origin/destination effects instead of pair effects) and
    # a year effect carried from 2023, so only a loose sanity bound is meaningful here.
    ppml = _forecast(kz)
    bayes_total = fc.balances.xs(2025, level="year")["arrivals"].sum()
    ppml_total = ppml.balances.xs(2025, level="year")["arrivals"].sum()
    assert abs(bayes_total / ppml_total - 1) < 0.3
