"""Forecast API: coherence, non-negativity, the Forecast object, named errors, Scenario."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import external

import migflows
from migflows.errors import (
    DataQualityWarning,
    DataValidationError,
    DuplicateKeyError,
    InvalidOptionError,
    MissingColumnError,
    MissingRegionError,
    MissingValueError,
    ModelSpecificationError,
    NegativeFlowError,
    PanelStructureError,
    YearRangeError,
)
from migflows.estimation.forecast.api import METHODS, MethodSpec, forecast, register_method
from migflows.estimation.forecast.data import prepare
from migflows.models.scenario import Scenario

FAST = {"n_sims": 200, "random_seed": 3, "progress": False}
BAYES = {"draws": 150, "tune": 150}


def korea_panel() -> migflows.FlowPanel:
    raw = pd.read_csv(external("korea_migest") / "korea_gravity.csv")
    pop = raw.drop_duplicates(["dest", "year"])[["dest", "year", "dest_pop"]]
    pop = pop.rename(columns={"dest": "region"})
    pop["population"] = pop.pop("dest_pop") * 1e6
    # korea_gravity has origin and destination transposed relative to KOSIS
    # (tests/fixtures/indices/README.md): swap them back.
    return migflows.FlowPanel.from_frame(
        raw, origin="dest", destination="orig", self_flows="keep", regions=pop
    )


@pytest.fixture(scope="module")
def korea() -> migflows.FlowPanel:
    return korea_panel()


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan()


@pytest.fixture(scope="module")
def korea_bayes(korea) -> migflows.estimation.forecast.results.Forecast:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return forecast(korea, "bayes_ar", 3, **FAST, **BAYES)


def toy_table(seed: int = 0, years: range = range(2005, 2017)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for r in ["a", "b", "c", "d"]:
        level_in, level_out = rng.uniform(6, 8, size=2)
        for y in years:
            level_in += rng.normal(0, 0.05)
            level_out += rng.normal(0, 0.05)
            rows.append((r, y, np.exp(level_in), np.exp(level_out), 1e5))
    return pd.DataFrame(rows, columns=["region", "year", "arrivals", "departures", "population"])


def assert_coherent(fc, tol: float = 1e-6) -> None:
    """Net sums to zero in every year and draw; in/out non-negative and totals equal."""
    j = fc.variables.index(fc.net_name)
    if fc.target == "counts":
        net_draws, net_point = fc.samples[..., j], fc.point[..., j]
    else:  # rates: weight by population
        w = fc.population[None, :, None] / 1000.0
        net_draws, net_point = fc.samples[..., j] * w, fc.point[..., j] * w[0]
    scale = np.abs(net_draws).max()
    assert np.abs(net_draws.sum(axis=1)).max() <= tol * scale
    assert np.abs(net_point.sum(axis=0)).max() <= tol * scale
    if len(fc.variables) == 3:
        assert (fc.samples[..., :2] >= 0).all()
        assert (fc.point[..., :2] >= 0).all()
        if fc.target == "counts":
            tot = fc.samples[..., :2].sum(axis=1)
            np.testing.assert_allclose(tot[..., 0], tot[..., 1], rtol=1e-10)


# ----------------------------------------------------------------------------- coherence


@pytest.mark.parametrize("method", ["naive", "drift", "ets", "arima", "ensemble"])
def test_zero_sum_and_nonnegative_korea(korea, method):
    fc = forecast(korea, method, 3, **FAST)
    assert fc.coherent
    assert fc.variables == ("arrivals", "departures", "net")
    assert fc.years == (2021, 2022, 2023)
    assert_coherent(fc)


def test_zero_sum_bayes_ar_korea(korea_bayes):
    fc = korea_bayes
    assert fc.variables == ("net",)
    assert_coherent(fc)
    # Rebalancing subtracts the population-weighted mean rate: every draw's rates have a
    # population-weighted mean of zero.
    rates = fc.samples[..., 0] / fc.population[None, :, None] * 1000
    wmean = np.einsum("srh,r->sh", rates, fc.population / fc.population.sum())
    assert np.abs(wmean).max() < 1e-9
    assert 0 < fc.info["phi_mean"] < 1
    assert fc.info["idata"]["posterior"]["mu_region"].shape[-1] == 17


@pytest.mark.parametrize("method", ["naive", "drift", "ets", "arima"])
def test_zero_sum_kazakhstan_with_gaps(kz, method):
    fc = forecast(kz, method, 2, gaps="interpolate", **FAST)
    assert "population missing for 20 region-year(s) (years 2024)" in fc.info["notes"][0]
    assert fc.years == (2025, 2026)
    assert_coherent(fc)


def test_zero_sum_rates_target(korea):
    fc = forecast(korea, "ets", 2, target="rates", **FAST)
    assert fc.variables == ("in_rate", "out_rate", "net_rate")
    assert_coherent(fc)
    b = fc.balances
    # counts in .balances come from rates x population of the last observed year
    np.testing.assert_allclose(b["net"], b["net_rate"] * b["population"] / 1000)
    np.testing.assert_allclose(b.groupby(level="year")["net"].sum(), 0, atol=1e-6)


def test_rebalancing_rule_inout_counts():
    """Arrivals and departures are scaled to the mean of their national totals."""
    tab = toy_table()
    data = prepare(tab)  # not closed: toy in/out are independent
    assert not data.closed
    from migflows.estimation.forecast.methods import reconcile

    vals = np.array([[[10.0, 4.0]], [[2.0, 12.0]]])  # 2 regions, 1 year, (in, out)
    data2 = prepare(tab[tab.region.isin(["a", "b"])])
    out, clipped = reconcile(vals, data2, coherent=True)
    # totals: in 12, out 16 -> both 14
    np.testing.assert_allclose(out[:, 0, 0], [10 * 14 / 12, 2 * 14 / 12])
    np.testing.assert_allclose(out[:, 0, 1], [4 * 14 / 16, 12 * 14 / 16])
    np.testing.assert_allclose(out[:, 0, 2].sum(), 0, atol=1e-12)
    assert clipped == 0


def test_coherent_default_follows_data():
    tab = toy_table()
    fc = forecast(tab, "naive", 2, **FAST)
    assert not fc.coherent  # observed nets do not sum to zero (not a closed system)
    fc2 = forecast(tab, "naive", 2, coherent=True, **FAST)
    assert fc2.coherent
    assert_coherent(fc2)


def test_net_rate_table_without_population():
    tab = toy_table()
    tab["net_rate"] = (tab.arrivals - tab.departures) / tab.population * 1000
    only = tab[["region", "year", "net_rate"]]
    fc = forecast(only, "drift", 2, target="rates", **FAST)
    assert fc.variables == ("net_rate",) and not fc.coherent
    with pytest.raises(PanelStructureError, match="needs population"):
        forecast(only, "drift", 2, target="rates", coherent=True, **FAST)
    with pytest.raises(MissingColumnError, match="population"):
        forecast(only, "drift", 2, target="counts", **FAST)


# ----------------------------------------------------------------------------- object


def test_forecast_object(korea):
    fc = forecast(korea, "drift", 3, level=(0.5, 0.9), **FAST)
    pm = fc.predicted_mean
    assert pm.shape == (17, 3) and list(pm.columns) == [2021, 2022, 2023]
    ci = fc.conf_int(0.9)
    assert (ci["lower"] <= ci["upper"]).all()
    q = np.quantile(fc.samples[:, 0, 0, 2], [0.05, 0.95])
    np.testing.assert_allclose(ci.iloc[0].to_numpy(), q)
    sf = fc.summary_frame(alpha=0.1, variable="arrivals")
    np.testing.assert_allclose(sf["mean"].to_numpy(), fc.point[..., 0].reshape(-1))
    np.testing.assert_allclose(sf["mean_se"].iloc[0], fc.samples[:, 0, 0, 0].std())
    tidy = fc.to_frame()
    assert {"lower_50", "upper_90"} <= set(tidy.columns)
    assert len(tidy) == 17 * 3 * 3
    assert fc.flows is None
    draws = fc.draws
    assert draws.dims == ("draw", "region", "year", "variable")
    assert draws.sel(variable="net").sum("region").max() < 1e-6
    with pytest.raises(ValueError, match="read-only"):
        fc.point[0, 0, 0] = 1.0
    with pytest.raises(AttributeError):
        fc.method = "x"  # type: ignore[misc]
    assert "<table>" in fc._repr_html_() and "drift" in repr(fc)
    fig = fc.plot(regions=["Seoul", "Busan", "Sejong"], ncols=2)
    assert len([a for a in fig.axes if a.get_visible()]) == 3
    with pytest.raises(InvalidOptionError, match="Unknown region"):
        fc.plot(regions=["Atlantis"])
    with pytest.raises(InvalidOptionError, match="available"):
        fc.conf_int(0.9, variable="wage")
    with pytest.raises(InvalidOptionError, match="between 0 and 1"):
        fc.conf_int(95)


def test_seed_reproducible_and_input_untouched(korea):
    tab = toy_table()
    before = tab.copy()
    a = forecast(tab, "ets", 2, n_sims=100, random_seed=11, progress=False)
    b = forecast(tab, "ets", 2, n_sims=100, random_seed=11, progress=False)
    c = forecast(tab, "ets", 2, n_sims=100, random_seed=12, progress=False)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)
    pd.testing.assert_frame_equal(tab, before)


def test_ensemble_weights_and_mixture(korea):
    fc = forecast(
        korea, "ensemble", 2, members=["naive", "drift"], weights={"naive": 3, "drift": 1}, **FAST
    )
    assert fc.info["weights"] == {"naive": 0.75, "drift": 0.25}
    n = forecast(korea, "naive", 2, **FAST)
    d = forecast(korea, "drift", 2, **FAST)
    np.testing.assert_allclose(fc.point, 0.75 * n.point + 0.25 * d.point)
    # every mixture draw is a draw of one member
    hits = [any(np.allclose(fc.samples[s], m.samples[s]) for m in (n, d)) for s in range(20)]
    assert all(hits)
    bt = forecast(korea, "ensemble", 2, members=["naive", "drift"], weights="backtest", **FAST)
    w = bt.info["weights"]
    assert abs(sum(w.values()) - 1) < 1e-12 and all(v > 0 for v in w.values())


def test_ensemble_with_bayes_keeps_net_only(korea):
    fc = forecast(
        korea,
        "ensemble",
        2,
        members=["naive", "bayes_ar"],
        member_options={"bayes_ar": BAYES},
        **FAST,
    )
    assert fc.variables == ("net",)
    assert_coherent(fc)


# ----------------------------------------------------------------------------- errors


def test_unknown_method_lists_allowed(korea):
    with pytest.raises(InvalidOptionError, match="'arima', 'bayes_ar', 'drift', 'ensemble'"):
        forecast(korea, "prophet")


def test_unknown_option_lists_allowed(korea):
    with pytest.raises(InvalidOptionError, match=r"no option.*'alpha'.*allowed.*'trend'"):
        forecast(korea, "ets", alpha=0.3, **FAST)


def test_too_few_years():
    tab = toy_table(years=range(2018, 2021))
    with pytest.raises(
        PanelStructureError, match="'ets' needs at least 4 observed years; the data have 3"
    ):
        forecast(tab, "ets", 2, **FAST)
    with pytest.raises(PanelStructureError, match="'naive' needs at least 2"):
        forecast(tab[tab.year == 2020], "naive", 2, **FAST)


def test_gaps_named_in_error(kz):
    with pytest.raises(
        PanelStructureError,
        match=r"years 2011, 2012, 2013, 2014, 2016, 2017, 2018, 2019, 2022 are missing",
    ):
        forecast(kz, "ets", 2, **FAST)
    tab = toy_table()
    gappy = tab[~tab.year.isin([2009, 2010])]
    with pytest.raises(
        PanelStructureError, match=r"'arima' needs a regular annual series.*2009, 2010"
    ):
        forecast(gappy, "arima", 2, **FAST)
    # naive/drift model calendar time: the gap widens nothing but the step variance
    fc = forecast(gappy, "naive", 2, **FAST)
    assert fc.years == (2017, 2018)
    seq = forecast(gappy, "ets", 2, gaps="sequence", **FAST)
    interp = forecast(gappy, "ets", 2, gaps="interpolate", **FAST)
    assert seq.info["years_used"] != interp.info["years_used"]
    assert interp.info["years_used"] == list(range(2005, 2017))


def test_negative_counts_and_bad_tables():
    tab = toy_table()
    bad = tab.copy()
    bad.loc[3, "arrivals"] = -5
    with pytest.raises(
        NegativeFlowError,
        match=r"1 arrival/departure value\(s\) are negative: \('a', 2008, 'arrivals'\)",
    ):
        forecast(bad, "naive", **FAST)
    with pytest.raises(MissingColumnError, match="none of the columns"):
        forecast(tab[["region", "year", "population"]], "naive", **FAST)
    with pytest.raises(PanelStructureError, match="unbalanced: 1"):
        forecast(tab.drop(index=5), "naive", **FAST)
    dup = pd.concat([tab, tab.iloc[[0]]])
    with pytest.raises(DuplicateKeyError, match="repeat"):
        forecast(dup, "naive", **FAST)
    nan = tab.copy()
    nan.loc[2, "departures"] = np.nan
    with pytest.raises(MissingValueError, match=r"\('a', 2007\)"):
        forecast(nan, "naive", **FAST)
    with pytest.raises(InvalidOptionError, match="horizon=0"):
        forecast(tab, "naive", 0)
    with pytest.raises(InvalidOptionError, match="gaps='skip'"):
        forecast(tab, "naive", gaps="skip")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="target='people'"):
        forecast(tab, "naive", target="people")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="transform='log' cannot be used on net"):
        forecast(
            tab.assign(net=tab.arrivals - tab.departures)[["region", "year", "net"]],
            "naive",
            transform="log",
            **FAST,
        )


def test_filled_population_warns_where_used(kz):
    two_years = kz.select(years=[2023, 2024])
    with (
        pytest.warns(DataQualityWarning, match=r"years 2024\); carried forward .* 'bayes_ar'"),
        pytest.raises(PanelStructureError, match="needs at least 3"),
    ):
        forecast(two_years, "bayes_ar", **FAST)


def test_bayes_needs_population():
    tab = toy_table().drop(columns="population")
    with pytest.raises(
        PanelStructureError, match="'bayes_ar' models net migration rates and needs population"
    ):
        forecast(tab, "bayes_ar", **FAST)


# ----------------------------------------------------------------------------- scenario


def test_scenario_rejected_by_extrapolating_methods(korea):
    s = Scenario(
        "shock",
        shocks=pd.DataFrame({"origin": ["Seoul"], "destination": ["Busan"], "factor": [2.0]}),
    )
    for method in ["naive", "ets", "bayes_ar", "ensemble"]:
        with pytest.raises(
            ModelSpecificationError,
            match=f"method '{method}' .* not driven by covariates.*'gravity'",
        ):
            forecast(korea, method, scenario=s, **FAST)
    with pytest.raises(TypeError, match="Scenario"):
        forecast(korea, "naive", scenario={"wages": 1}, **FAST)  # type: ignore[arg-type]


def test_scenario_validation_and_paths():
    wages = pd.DataFrame(
        {"region": ["a", "a", "b"], "year": [2025, 2026, 2025], "factor": [1.05, 1.1, 0.9]}
    )
    pop = pd.DataFrame({2025: [100.0, 200.0], 2026: [110.0, 190.0]}, index=["a", "b"])
    shocks = pd.DataFrame(
        {
            "origin": ["a", "b"],
            "destination": ["b", "a"],
            "factor": [2.0, 0.0],
            "year": [2025, np.nan],
        }
    )
    s = Scenario("s", wages=wages, population=pop, shocks=shocks)
    s.check(["a", "b"], [2025, 2026])
    with pytest.raises(MissingValueError, match=r"lacks 2 region-year\(s\), e.g. \('c', 2025\)"):
        s.check(["a", "b", "c"], [2025, 2026])
    wf = s.wage_factors(["a", "b", "c"], [2025, 2026])
    assert wf.loc["a", 2026] == 1.1 and wf.loc["b", 2026] == 1.0 and wf.loc["c", 2025] == 1.0
    assert s.population_path(["b"], [2026]).iloc[0, 0] == 190.0
    sf = s.shock_factors([2025, 2026])
    assert len(sf) == 3 and sf.loc[sf.origin == "b", "factor"].eq(0).all()
    assert s.regions == ["a", "b"] and s.years == [2025, 2026]
    with pytest.raises(MissingRegionError, match="'a'"):
        s.check(["b", "c"], [2025, 2026])
    with pytest.raises(YearRangeError, match="2026"):
        s.check(["a", "b"], [2025])
    with pytest.raises(DataValidationError, match="positive and finite; 1 are not"):
        Scenario("bad", wages=wages.assign(factor=[1.0, -1.0, 1.0]))
    with pytest.raises(DuplicateKeyError, match="repeated"):
        Scenario("dup", wages=pd.concat([wages, wages.iloc[[0]]]))
    with pytest.raises(MissingColumnError, match="'factor'"):
        Scenario("col", wages=wages.rename(columns={"factor": "f"}))
    with pytest.raises(DataValidationError, match="origin equals destination"):
        Scenario("self", shocks=shocks.assign(destination=["a", "a"]))
    with pytest.raises(DataValidationError, match=">= 0"):
        Scenario("neg", shocks=shocks.assign(factor=[-1.0, 1.0]))
    with pytest.raises(YearRangeError, match="2500"):
        Scenario("yr", wages=wages.assign(year=[2025, 2026, 2500]))
    with pytest.raises(DataValidationError, match="changes nothing"):
        Scenario("empty")
    with pytest.raises(AttributeError):
        s.name = "t"  # type: ignore[misc]


def test_registry_accepts_a_new_method(korea):
    """How `gravity` will plug in: a registered spec that uses scenarios and OD flows."""
    from migflows.estimation.forecast.methods import MethodResult

    seen = {}

    def fake_gravity(data, horizon, *, n_sims, rng, progress, gaps, panel, scenario, strength=1.0):
        seen["panel"], seen["scenario"] = panel, scenario
        point = np.repeat(data.values[:, -1:, :], horizon, axis=1)
        return MethodResult(point=point, draws=np.repeat(point[None], n_sims, axis=0))

    spec = MethodSpec("test_gravity", fake_gravity, uses_scenario=True, needs_panel=True)
    register_method(spec)
    try:
        s = Scenario(
            "w", wages=pd.DataFrame({"region": ["Seoul"], "year": [2021], "factor": [1.1]})
        )
        fc = forecast(korea, "test_gravity", 1, scenario=s, strength=2.0, **FAST)
        assert seen["scenario"] is s and seen["panel"] is korea
        assert_coherent(fc)
        with pytest.raises(ModelSpecificationError, match="needs origin–destination flows"):
            forecast(toy_table(), "test_gravity", 1, **FAST)
        with pytest.raises(InvalidOptionError, match="already registered"):
            register_method(spec)
        from migflows.estimation.forecast.backtest import backtest

        bt = backtest(korea, ["test_gravity"], origins=[2018], horizon=1, n_sims=20, progress=False)
        assert seen["panel"].years[-1] == 2018  # backtests pass the panel cut at the origin
        assert bt.origins == (2018,)
    finally:
        METHODS.pop("test_gravity")
