"""One vocabulary at the edges (issue 9, item 5).

``fitted``/``resid``/``effects`` with one meaning on every regression-like result, one
``summary`` type, ``random_seed`` (int or Generator) wherever randomness is used with the old
keyword names as deprecated aliases, ``origin``/``destination`` wherever ``orig``/``dest`` are
accepted, and the forecast method registry in its own module (no api <-> backtest circle).
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pymc
import pytest

import migflows
import migflows.estimation.panel.api as P
from migflows.errors import InvalidOptionError, MigflowsWarning
from migflows.estimation.bayes.api import bayes_gravity
from migflows.estimation.bayes.results import BayesGravityResults
from migflows.estimation.core.results import SummaryTable, solve_fixef
from migflows.estimation.core.seeds import as_generator, check_random_seed, seed_int
from migflows.estimation.forecast import registry
from migflows.estimation.forecast.api import METHODS, forecast, register_method
from migflows.estimation.forecast.backtest import backtest
from migflows.estimation.gravity.sim import sim
from migflows.estimation.unit_root.api import unit_root

FORECAST_DIR = Path(migflows.__file__).parent / "estimation" / "forecast"


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan(years=[2020, 2021])


@pytest.fixture(scope="module")
def kz_all() -> migflows.FlowPanel:
    return migflows.load_kazakhstan()


@pytest.fixture(scope="module")
def panel_df() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": np.repeat(np.arange(6), 5), "t": np.tile(np.arange(2000, 2005), 6)})
    df["x"] = rng.normal(size=30)
    df["y"] = df["x"] + np.repeat(rng.normal(size=6), 5) + rng.normal(size=30)
    return df


@pytest.fixture(scope="module")
def sim_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "origin": list("aaabbbcccddd"),
            "destination": list("bcdacdabdabc"),
            "flow": [30, 12, 5, 28, 20, 9, 10, 25, 14, 4, 8, 22],
            "distance": [10.0, 25, 40, 10, 15, 30, 25, 15, 20, 40, 30, 20],
        }
    )


# ---------------------------------------------------------------------- fitted / resid / effects
def _check_fitted_resid(res, n: int) -> None:
    f = res.fitted
    assert isinstance(f, pd.DataFrame) and len(f) == n
    assert list(f.columns[-2:]) == ["observed", "fitted"]
    r = res.resid
    assert isinstance(r, pd.Series) and r.name == "resid" and len(r) == n
    np.testing.assert_allclose(r.to_numpy(), (f["observed"] - f["fitted"]).to_numpy())


def test_gravity_fitted_resid_effects(kz) -> None:
    res = migflows.gravity("flow ~ log_dist | orig^year + dest^year", kz)
    _check_fitted_resid(res, res.nobs)
    assert list(res.fitted.columns) == ["origin", "destination", "year", "observed", "fitted"]
    np.testing.assert_allclose(res.fitted["fitted"].to_numpy(), res.predict().to_numpy())
    assert set(res.effects) == {"orig^year", "dest^year"}
    eff = res.effects["dest^year"]
    assert isinstance(eff, pd.Series) and eff.name == "dest^year"
    assert eff.mean() == pytest.approx(0.0, abs=1e-9)  # all but the first: mean zero
    with pytest.warns(FutureWarning, match=r"GravityResults\.fixef is deprecated.*\.effects"):
        old = res.fixef
    assert old.keys() == res.effects.keys()
    pd.testing.assert_series_equal(old["orig^year"], res.effects["orig^year"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # the package itself uses .effects
        res.predict(kz)


def test_sim_fitted_resid_effects(sim_df) -> None:
    res = sim(sim_df, "doubly", "pow")
    _check_fitted_resid(res, 12)
    eff = res.effects
    assert list(eff) == ["origin", "destination"]
    assert eff["origin"].to_dict() == pytest.approx(
        {"a": 0.0, **{lv: res.params[f"orig::{lv}"] for lv in "bcd"}}
    )
    assert eff["destination"].index.name == "destination" and eff["destination"]["a"] == 0.0
    masses = {"a": 5.0, "b": 3.0, "c": 4.0, "d": 2.0}
    df = sim_df.assign(pop_o=sim_df["origin"].map(masses), pop_d=sim_df["destination"].map(masses))
    assert sim(df, "production", d_var="pop_d").effects.keys() == {"origin"}
    assert sim(df, "attraction", o_var="pop_o").effects.keys() == {"destination"}
    assert sim(df, "unconstrained", o_var="pop_o", d_var="pop_d").effects == {}


@pytest.mark.parametrize(
    ("formula", "estimator", "effects"),
    [
        ("y ~ x | entity", "fe", {"entity": 6}),
        ("y ~ x | entity + time", "fe", {"entity": 6, "time": 5}),
        ("y ~ x", "re", {"entity": 6}),
        ("y ~ x", "between", {"entity": 6}),
        ("y ~ x", "fd", {}),
        ("y ~ x", "pooled", {}),
    ],
)
def test_panel_fitted_resid_effects(panel_df, formula, estimator, effects) -> None:
    res = P.panel(formula, panel_df, entity="id", time="t", estimator=estimator)
    _check_fitted_resid(res, 30)
    assert list(res.fitted.columns) == ["id", "t", "observed", "fitted"]
    assert {k: len(v) for k, v in res.effects.items()} == effects
    lm = res.linearmodels
    per_obs = lm.estimated_effects.iloc[:, 0].fillna(0.0)
    if effects:  # the effects by level add up to linearmodels' effect of every observation
        idx = per_obs.index
        rebuilt = sum(
            idx.get_level_values(0 if k == "entity" else 1).map(v).to_numpy()
            for k, v in res.effects.items()
        )
        np.testing.assert_allclose(rebuilt, per_obs.to_numpy(), atol=1e-9)
    # fitted = X b + effects; for FE the residuals are linearmodels' idiosyncratic errors
    np.testing.assert_allclose(
        res.fitted["fitted"], lm.fitted_values.iloc[:, 0] + per_obs, rtol=1e-12
    )
    if estimator == "fe":
        np.testing.assert_allclose(res.resid, lm.idiosyncratic.iloc[:, 0], atol=1e-10)
    if "time" in effects:
        assert res.effects["time"].mean() == pytest.approx(0.0, abs=1e-10)
        assert res.effects["time"].index.name == "t"


def test_panel_old_names_are_deprecated_aliases(panel_df) -> None:
    res = P.panel("y ~ x | entity", panel_df, entity="id", time="t")
    lm = res.linearmodels
    with pytest.warns(FutureWarning, match=r"PanelResults\.resids is deprecated.*\.resid"):
        np.testing.assert_allclose(res.resids, lm.resids)
    with pytest.warns(FutureWarning, match=r"PanelResults\.fitted_values is deprecated"):
        np.testing.assert_allclose(res.fitted_values, lm.fitted_values.iloc[:, 0])
    with pytest.warns(FutureWarning, match=r"PanelResults\.estimated_effects is deprecated"):
        np.testing.assert_allclose(res.estimated_effects, lm.estimated_effects.iloc[:, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # predict no longer uses the old names
        res.predict(effects=True)


def test_solve_fixef_is_exact() -> None:
    rng = np.random.default_rng(1)
    codes = np.column_stack([rng.integers(0, 5, 60), rng.integers(0, 4, 60)])
    a, b = rng.normal(size=5), rng.normal(size=4)
    part = a[codes[:, 0]] + b[codes[:, 1]]
    ea, eb = solve_fixef(part, codes)
    np.testing.assert_allclose(ea[codes[:, 0]] + eb[codes[:, 1]], part, atol=1e-10)
    assert eb.mean() == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------------- Bayesian results
@pytest.fixture(scope="module")
def bayes_mocked():
    from test_bayes_gravity import FORMULA, fake_posterior, simulate

    df = simulate()
    m = bayes_gravity(FORMULA.replace("orig + dest", "origin + destination"), df, sample=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pymc, "sample", lambda **kw: fake_posterior(m))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MigflowsWarning)  # the fake has divergences
            res = m.fit(draws=200, tune=50, chains=2, random_seed=3, progress=False)
    return res


def test_bayes_fitted_resid_effects(bayes_mocked: BayesGravityResults) -> None:
    res = bayes_mocked
    _check_fitted_resid(res, res.nobs)
    assert set(res.effects) == {"origin", "destination", "year"}
    assert list(res.effects["origin"].columns) == ["mean", "sd", "lower", "upper"]
    assert isinstance(res.summary, SummaryTable) and res.summary() is res.summary


def test_bayes_group_effects_accept_both_spellings() -> None:
    from test_bayes_gravity import simulate

    df = simulate()
    short = bayes_gravity("flow ~ x1 | orig + dest + year", df, sample=False)
    long = bayes_gravity(
        "flow ~ x1 | origin + destination + year",
        df,
        group_effects=("origin", "destination"),
        sample=False,
    )
    mixed = bayes_gravity(
        "flow ~ x1 | orig + dest + year", df, group_effects=["origin", "dest"], sample=False
    )
    assert short.pooled == ("orig", "dest") and long.pooled == ("origin", "destination")
    assert mixed.pooled == ("orig", "dest")
    assert [v.name for v in short.model.free_RVs] == [
        v.name.replace("origin", "orig").replace("destination", "dest") for v in long.model.free_RVs
    ]
    assert short.levels["orig"] == long.levels["origin"]


# ---------------------------------------------------------------------- origin / destination
def test_gravity_fixed_effects_accept_origin_destination(kz) -> None:
    short = migflows.gravity("flow ~ log_dist | orig^year + dest^year", kz)
    long = migflows.gravity("flow ~ log_dist | origin^year + destination^year", kz)
    pd.testing.assert_series_equal(short.params, long.params)
    pd.testing.assert_series_equal(short.std_errors, long.std_errors)
    assert long.fixed_effects == ("origin^year", "destination^year")
    np.testing.assert_allclose(
        long.effects["destination^year"].to_numpy(), short.effects["dest^year"].to_numpy()
    )


# ---------------------------------------------------------------------- summary: one type
def test_summary_is_one_type_everywhere(kz, kz_all, panel_df, sim_df) -> None:
    results = {
        "gravity": migflows.gravity("flow ~ log_dist | orig + dest", kz),
        "sim": sim(sim_df, "doubly"),
        "panel": P.panel("y ~ x | entity", panel_df, entity="id", time="t"),
        "forecast": forecast(kz_all, "naive", 1, n_sims=50, random_seed=0, progress=False),
        "backtest": backtest(
            kz_all, ["naive"], origins=1, horizon=1, n_sims=50, random_seed=0, progress=False
        ),
    }
    ur_df = panel_df.assign(y=panel_df.groupby("id")["y"].cumsum())
    results["unit_root"] = unit_root(ur_df, "y", "ips", entity="id", time="t", lags=0)
    for name, res in results.items():
        s = res.summary
        assert isinstance(s, SummaryTable), name
        assert s() is s, name  # the statsmodels spelling works too
        assert isinstance(str(s), str) and "<table" in s._repr_html_(), name
    assert results["unit_root"].summary.title.startswith("Im-Pesaran-Shin")
    assert results["forecast"].summary.title == "Forecast (naive)"
    assert results["forecast"].summary(alpha=0.5).header_dict["interval"] == "50%"
    with pytest.raises(TypeError, match="this summary takes no arguments"):
        results["gravity"].summary(level=0.9)


def test_backtest_summary_reads_like_its_table(kz_all) -> None:
    bt = backtest(
        kz_all, ["naive", "drift"], origins=1, horizon=1, n_sims=50, random_seed=0, progress=False
    )
    s = bt.summary()
    pd.testing.assert_frame_equal(s.table, bt.scores())
    assert "mase" in s and list(s["mase"].index) == list(bt.scores()["mase"].index)
    by = bt.summary(by=["method", "horizon"])
    assert isinstance(by, SummaryTable) and by.index.names == ["method", "horizon"]
    assert by.header_dict["Grouped by"] == "method, horizon"
    with pytest.raises(InvalidOptionError, match="unknown 'country'"):
        bt.summary(by=["country"])


# ---------------------------------------------------------------------- random_seed
def test_seed_helpers() -> None:
    assert seed_int(5) == 5
    assert seed_int(np.random.default_rng(2)) == seed_int(np.random.default_rng(2))
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    for bad in ("1", 1.5, True, -3, np.random.RandomState(0)):
        with pytest.raises(InvalidOptionError, match="must be an integer, a numpy Generator"):
            check_random_seed(bad)


def test_forecast_random_seed_int_and_generator(kz_all) -> None:
    kw = {"n_sims": 50, "progress": False}
    a = forecast(kz_all, "drift", 1, random_seed=4, **kw).samples
    b = forecast(kz_all, "drift", 1, random_seed=4, **kw).samples
    np.testing.assert_array_equal(a, b)
    g1 = forecast(kz_all, "drift", 1, random_seed=np.random.default_rng(9), **kw).samples
    g2 = forecast(kz_all, "drift", 1, random_seed=np.random.default_rng(9), **kw).samples
    np.testing.assert_array_equal(g1, g2)
    assert not np.array_equal(a, g1)
    with pytest.warns(FutureWarning, match=r"forecast\(seed=\.\.\.\) is deprecated.*random_seed"):
        old = forecast(kz_all, "drift", 1, seed=4, **kw).samples
    np.testing.assert_array_equal(old, a)
    with pytest.warns(FutureWarning, match=r"forecast\(rng=\.\.\.\)"):
        forecast(kz_all, "drift", 1, rng=np.random.default_rng(9), **kw)
    with pytest.raises(InvalidOptionError, match=r"got the seed twice \(random_seed, seed\)"):
        forecast(kz_all, "drift", 1, random_seed=1, seed=2, **kw)
    with pytest.raises(InvalidOptionError, match=r"random_seed=2\.5 must be an integer"):
        forecast(kz_all, "drift", 1, random_seed=2.5, **kw)  # type: ignore[arg-type]


def test_backtest_random_seed_int_and_generator(kz_all) -> None:
    kw = {"origins": 1, "horizon": 1, "n_sims": 50, "progress": False}
    a = backtest(kz_all, ["naive"], random_seed=np.random.default_rng(5), **kw).errors
    b = backtest(kz_all, ["naive"], random_seed=np.random.default_rng(5), **kw).errors
    pd.testing.assert_frame_equal(a, b)
    c = backtest(kz_all, ["naive"], random_seed=5, **kw).errors
    with pytest.warns(FutureWarning, match=r"backtest\(random_state=\.\.\.\) is deprecated"):
        d = backtest(kz_all, ["naive"], random_state=5, **kw).errors
    pd.testing.assert_frame_equal(c, d)
    with pytest.raises(InvalidOptionError, match=r"backtest\(\) has no argument\(s\) 'bogus'"):
        backtest(kz_all, ["naive"], bogus=1, **kw)


def test_bayes_random_seed_generator_and_old_keyword() -> None:
    from test_bayes_gravity import FORMULA, simulate

    m = bayes_gravity(FORMULA, simulate(), sample=False)
    seen: list[int] = []

    class Stop(Exception):
        pass

    def fake_sample(**kwargs):
        seen.append(kwargs["random_seed"])
        raise Stop

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pymc, "sample", fake_sample)
        for seed in (3, np.random.default_rng(3), np.random.default_rng(3)):
            with pytest.raises(Stop):
                m.fit(random_seed=seed, progress=False)
        with (
            pytest.warns(FutureWarning, match=r"fit\(seed=\.\.\.\) is deprecated"),
            pytest.raises(Stop),
        ):
            m.fit(seed=3, progress=False)
    expected = int(np.random.default_rng(3).integers(2**31 - 1, size=2)[0])
    assert seen == [expected] * 4
    with pytest.warns(FutureWarning, match=r"bayes_gravity\(rng=\.\.\.\) is deprecated"):
        bayes_gravity(FORMULA, simulate(), rng=1, sample=False)


def test_no_global_random_state_in_the_package() -> None:
    root = Path(migflows.__file__).parent
    allowed = {"default_rng", "Generator", "SeedSequence"}
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "random"
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id in {"np", "numpy"}
                and node.attr not in allowed
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno} np.random.{node.attr}")
    assert offenders == []


# ---------------------------------------------------------------------- the forecast registry
def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_registry_module_and_no_import_circle() -> None:
    prefix = "migflows.estimation.forecast."
    api = _imports(FORECAST_DIR / "api.py")
    bt = _imports(FORECAST_DIR / "backtest.py")
    reg = _imports(FORECAST_DIR / "registry.py")
    assert not any(m.startswith(prefix + "backtest") for m in api)  # not even lazily
    assert not any(m.startswith((prefix + "api", prefix + "backtest")) for m in reg)
    assert prefix + "registry" in bt and prefix + "registry" in api
    # the old import path keeps working: the same objects
    assert METHODS is registry.METHODS and register_method is registry.register_method
    from migflows.estimation.forecast.api import (
        ENSEMBLE_MEMBERS,
        MethodSpec,
        base_seed,
        check_common,
        check_options,
        spec_for,
    )

    assert MethodSpec is registry.MethodSpec and spec_for is registry.spec_for
    assert ENSEMBLE_MEMBERS == ("naive", "drift", "ets", "arima")
    assert check_common is registry.check_common and check_options is registry.check_options
    assert base_seed is registry.base_seed
    assert "backtest" in registry.WEIGHT_SCHEMES
    with pytest.raises(InvalidOptionError, match=r"use 'equal', 'backtest' or a mapping"):
        spec = registry.spec_for("ensemble")
        del spec
        forecast(
            migflows.load_kazakhstan(),
            "ensemble",
            1,
            n_sims=20,
            progress=False,
            weights="bogus",
            members=["naive"],
        )


def test_backtest_weighted_ensemble_still_works(kz_all) -> None:
    fc = forecast(
        kz_all,
        "ensemble",
        1,
        n_sims=50,
        random_seed=0,
        progress=False,
        members=["naive", "drift"],
        weights="backtest",
        backtest_origins=1,
    )
    w = fc.info["weights"]
    assert set(w) == {"naive", "drift"} and sum(w.values()) == pytest.approx(1.0)


def test_forecast_modules_stay_short() -> None:
    for name in ("api.py", "methods.py", "registry.py", "backtest.py"):
        n = len((FORECAST_DIR / name).read_text(encoding="utf-8").splitlines())
        assert n <= 600, f"{name} has {n} lines"


def test_origin_destination_fixed_effects_on_a_dataframe_with_orig_dest_columns():
    """``| origin^year`` finds columns spelled ``orig``/``dest`` (and ``pair`` is built from them)."""
    kz = migflows.load_kazakhstan(years=[2021, 2023])
    df = kz.flows.rename(columns={"origin": "orig", "destination": "dest"})
    df["x"] = np.random.default_rng(0).normal(size=len(df))
    long = migflows.gravity("flow ~ x | origin^year + destination^year", df)
    short = migflows.gravity("flow ~ x | orig^year + dest^year", df)
    np.testing.assert_allclose(long.params, short.params, rtol=1e-10)
    np.testing.assert_allclose(long.std_errors, short.std_errors, rtol=1e-10)
    renamed = kz.flows.assign(x=df["x"].to_numpy())
    by_pair = migflows.gravity("flow ~ x | pair + year", df)
    reference = migflows.gravity("flow ~ x | pair + year", renamed)
    np.testing.assert_allclose(by_pair.params, reference.params, rtol=1e-10)
