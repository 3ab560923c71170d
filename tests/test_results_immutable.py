"""Results are read-only from outside: every public attribute of every results class is a
copy or a read-only view, so writing to what a user reads never changes the result."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import MigflowsError


def _snapshot(value: Any) -> Any:
    if isinstance(value, pd.Series | pd.DataFrame):
        return value.copy(deep=True)
    if isinstance(value, np.ndarray):
        return value.copy()
    return None


def _mutate(value: Any) -> bool:
    """Write into ``value`` in place; True when something was written."""
    if isinstance(value, pd.Series) and len(value) and pd.api.types.is_numeric_dtype(value):
        value.iloc[0] = 99.0 if not pd.api.types.is_bool_dtype(value) else True
        return True
    if isinstance(value, pd.DataFrame) and value.size:
        num = value.select_dtypes("number")
        if num.shape[1]:
            value.iloc[0, value.columns.get_loc(num.columns[0])] = 99.0
            return True
        value.iloc[0, 0] = "changed"
        return True
    if isinstance(value, np.ndarray) and value.size and value.dtype.kind in "fiu":
        with pytest.raises(ValueError, match="read-only"):
            value.flat[0] = 99
        return True
    return False


def _public_values(obj: Any) -> dict[str, Any]:
    out = {}
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = getattr(obj, name)
        except MigflowsError:  # e.g. a lean result refusing n-sized quantities
            continue
        if callable(value) and not isinstance(value, pd.Series | pd.DataFrame):
            continue
        out[name] = value
    return out


def assert_read_only(obj: Any) -> int:
    """Mutate every public pandas/numpy attribute and check the result did not change."""
    written = 0
    for name, value in _public_values(obj).items():
        before = _snapshot(value)
        if before is None:
            continue
        if _mutate(value):
            written += 1
            after = getattr(obj, name)
            if isinstance(before, pd.Series | pd.DataFrame):
                assert after.equals(before), f"{type(obj).__name__}.{name} changed"
            else:
                np.testing.assert_array_equal(after, before)
    return written


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan(years=[2020, 2021, 2022])


def _panel_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": np.repeat(np.arange(30), 5), "t": np.tile(np.arange(5), 30)})
    df["x"] = rng.normal(size=150)
    df["y"] = df["x"] + np.repeat(rng.normal(size=30), 5) + rng.normal(size=150)
    return df


def test_the_reported_case(kz: migflows.FlowPanel) -> None:
    res = migflows.gravity("flow ~ log_dist | orig + dest", kz)
    se = float(res.std_errors.iloc[0])
    res.std_errors.iloc[0] = 99
    assert float(res.std_errors.iloc[0]) == se
    res.params.iloc[0] = 99
    res.cov.iloc[0, 0] = 99
    assert float(res.std_errors.iloc[0]) == se and float(res.params.iloc[0]) != 99


def test_gravity_and_sim_results(kz: migflows.FlowPanel) -> None:
    res = migflows.gravity("flow ~ log_dist + log_wage_ratio | orig + dest + year", kz)
    assert assert_read_only(res) >= 7
    assert assert_read_only(res.summary) >= 1
    assert assert_read_only(res.vcov({"CRV1": "pair"})) >= 7
    lean = migflows.gravity("flow ~ log_dist | orig + dest", kz, lean=True)
    assert assert_read_only(lean) >= 4
    cf = res.counterfactual({"wage": {"turkistan": 1.1}})
    assert assert_read_only(cf) >= 2
    sim = migflows.sim(kz.select(years=[2021]), "doubly")
    assert assert_read_only(sim) >= 4


def test_panel_results_and_hausman() -> None:
    df = _panel_frame()
    fe = migflows.panel("y ~ x | entity", df, entity="id", time="t", vcov="unadjusted")
    re = migflows.panel("y ~ x", df, entity="id", time="t", estimator="re", vcov="unadjusted")
    assert assert_read_only(fe) >= 6
    assert assert_read_only(re) >= 6
    h = migflows.hausman(fe, re)
    before = float(h.statistic)
    assert_read_only(h)
    assert float(h.statistic) == before


def test_unit_root_results() -> None:
    rng = np.random.default_rng(0)
    idx = pd.MultiIndex.from_product([[f"r{i}" for i in range(8)], range(2000, 2025)])
    df = pd.DataFrame({"y": rng.normal(size=200).reshape(8, 25).cumsum(1).ravel()}, index=idx)
    for test in ("ips", "llc", "hadri"):
        assert assert_read_only(migflows.unit_root(df, "y", test=test, lags=1)) >= 1


def test_forecast_and_backtest() -> None:
    kz = migflows.load_kazakhstan()
    fc = migflows.forecast(kz, "drift", horizon=2, random_seed=1, progress=False)
    assert assert_read_only(fc) >= 3
    bt = migflows.backtest(kz, ["naive", "drift"], origins=[2021], horizon=2, n_sims=20,
                           progress=False)  # fmt: skip
    assert assert_read_only(bt) >= 1


def test_forecasts_at_fixed_parameters() -> None:
    from migflows.estimation.forecast import arima_fixed, ets_fixed

    y = pd.Series([1.0, 1.4, 0.9, 1.2, 1.1, 1.5, 1.3], index=range(2010, 2017))
    assert assert_read_only(ets_fixed(y, {"alpha": 0.4, "l": 1.0})) >= 5
    assert assert_read_only(arima_fixed(y, {"ar1": 0.5, "intercept": 1.2})) >= 5


def test_quality_report_and_panel(kz: migflows.FlowPanel) -> None:
    q = kz.check_quality(warn=False)
    assert assert_read_only(q) >= 1
    assert assert_read_only(kz) >= 3


def test_bayes_posterior_is_read_only(kz: migflows.FlowPanel) -> None:
    from arviz_base import from_dict

    from migflows.estimation.bayes.results import BayesGravityResults

    m = migflows.bayes_gravity("flow ~ log_dist | orig + dest", kz.select(years=[2021]),
                               sample=False)  # fmt: skip
    rng = np.random.default_rng(0)
    beta = -1.2 + 0.05 * rng.standard_normal((2, 100, 1))
    idata = from_dict({"posterior": {"beta": beta}}, dims={"beta": ["coef"]},
                      coords={"coef": ["log_dist"]})  # fmt: skip
    res = BayesGravityResults(m, idata)
    with pytest.raises(ValueError, match="read-only"):
        res.idata.posterior["beta"].values[0, 0, 0] = 99.0
    assert assert_read_only(res) >= 2
