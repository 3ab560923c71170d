"""Forecasts at fixed, user-given parameters (ETS and ARIMA) against R forecast 8.20.

Reference: tests/fixtures/forecast_fixed/make_fixed_forecasts.R runs, on log arrivals of
Seoul and log departures of Busan (../forecast/korea_series.csv) and small-valued rates
(../forecast_small/series.csv), ``ets(y, model = m, use.initial.values = TRUE)`` with every
parameter and initial state given (ETS(A,N,N), (A,A,N), (A,Ad,N)) and
``Arima(y, order, fixed = ..., method = "ML")`` (AR(1) and ARMA(2,1) with a mean,
ARIMA(0,1,1)), and stores point forecasts, 80/95% intervals and sigma2 for h = 1..4.
Agreement 1e-8 (relative) for all of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

from migflows.errors import InputTypeError, InvalidOptionError, MissingValueError
from migflows.estimation.forecast.fixed import FixedForecast, arima_fixed, ets_fixed

DIR = FIXTURES / "forecast_fixed"
R_FC = pd.read_csv(DIR / "fixed_forecasts.csv")
R_CASES = pd.read_csv(DIR / "fixed_cases.csv")
KOREA = pd.read_csv(FIXTURES / "forecast" / "korea_series.csv")
SMALL = pd.read_csv(FIXTURES / "forecast_small" / "series.csv")


def _series(name: str) -> pd.Series:
    if name == "r1_arrivals":
        sel = SMALL[SMALL["region"] == "r1"]
        return pd.Series(sel["arrivals"].to_numpy(), index=sel["year"].to_numpy())
    region, component = {
        "seoul_arrivals": ("Seoul", "arrivals"),
        "busan_departures": ("Busan", "departures"),
    }[name]
    sel = KOREA[KOREA["region"] == region]
    return pd.Series(np.log(sel[component].to_numpy(float)), index=sel["year"].to_numpy())


def _ours(case: str) -> FixedForecast:
    rows = R_CASES[R_CASES["case"] == case]
    params = dict(zip(rows["param"], rows["value"], strict=True))
    model, y = rows["model"].iloc[0], _series(rows["series"].iloc[0])
    if model == "ANN":
        return ets_fixed(y, params, horizon=4)
    if model in ("AAN", "AAdN"):
        return ets_fixed(y, params, trend="add", damped_trend=model == "AAdN", horizon=4)
    order = tuple(int(c) for c in model[6:-1].split(","))
    return arima_fixed(y, params, order=order, horizon=4)  # type: ignore[arg-type]


@pytest.mark.parametrize("case", sorted(R_FC["case"].unique()))
def test_matches_r_forecast(case: str) -> None:
    ref = R_FC[R_FC["case"] == case].sort_values("h")
    fc = _ours(case)
    np.testing.assert_allclose(fc.predicted_mean, ref["mean"], rtol=1e-8)
    assert fc.sigma2 == pytest.approx(ref["sigma2"].iloc[0], rel=1e-8)
    for level in (80, 95):
        ci = fc.conf_int(level / 100)
        np.testing.assert_allclose(ci["lower"], ref[f"lower{level}"], rtol=1e-8)
        np.testing.assert_allclose(ci["upper"], ref[f"upper{level}"], rtol=1e-8)


def test_result_object_is_labelled_and_read_only() -> None:
    y = _series("seoul_arrivals")
    fc = ets_fixed(y, {"smoothing_level": 0.35, "initial_level": float(y.iloc[0])})
    assert fc.predicted_mean.index.tolist() == [2021, 2022, 2023]
    assert fc.to_frame().columns.tolist() == [
        "mean",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
    ]
    assert list(fc.summary_frame(0.1).columns) == [
        "mean",
        "mean_se",
        "mean_ci_lower",
        "mean_ci_upper",
    ]
    mean = fc.predicted_mean
    mean.iloc[0] = 99.0
    assert fc.predicted_mean.iloc[0] != 99.0
    with pytest.raises(AttributeError, match="read-only"):
        fc.sigma2 = 1.0  # type: ignore[misc]
    given = ets_fixed(y, {"alpha": 0.35, "l": float(y.iloc[0]), "sigma2": 0.01})
    assert given.sigma2 == 0.01 and "<table" in given._repr_html_()
    assert y.index.tolist()[0] == 2012  # the input is not changed


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda y: ets_fixed(y, {"alpha": 0.3}), InvalidOptionError, "lacks 'l'"),
        (
            lambda y: ets_fixed(y, {"alpha": 0.3, "l": 1, "gamma": 0.1}),
            InvalidOptionError,
            "'gamma', which this ETS model does not have",
        ),
        (lambda y: ets_fixed(y, {"alpha": 1.5, "l": 1}), InvalidOptionError, "0 < alpha <= 1"),
        (lambda y: ets_fixed(y, {"alpha": "a", "l": 1}), InvalidOptionError, "must be a number"),
        (lambda y: ets_fixed(y, {"alpha": 0.3, "alpha_": 1}), InvalidOptionError, "alpha_"),
        (lambda y: ets_fixed(y, {"alpha": 0.3, "l": 1}, trend="mul"), InvalidOptionError, "trend="),
        (
            lambda y: ets_fixed(y, {"alpha": 0.3, "l": 1}, damped_trend=True),
            InvalidOptionError,
            "needs trend='add'",
        ),
        (
            lambda y: ets_fixed(y, {"alpha": 0.3, "l": 1, "sigma2": -1}),
            InvalidOptionError,
            "must be positive",
        ),
        (lambda y: ets_fixed(y, [0.3]), InvalidOptionError, "must be a mapping"),
        (lambda y: ets_fixed(y, {"alpha": 0.3, "l": 1}, horizon=0), InvalidOptionError, "horizon"),
        (lambda y: ets_fixed(y, {"alpha": 0.3, "l": 1}, level=0.95), InvalidOptionError, "level"),
        (
            lambda y: ets_fixed(y[:2], {"alpha": 0.3, "l": 1}),
            MissingValueError,
            "needs more than 3",
        ),
        (lambda y: ets_fixed(y.to_frame(), {"alpha": 0.3, "l": 1}), InputTypeError, "DataFrame"),
        (
            lambda y: ets_fixed(y.where(y > y.iloc[3]), {"alpha": 0.3, "l": 1}),
            MissingValueError,
            "missing or infinite",
        ),
        (lambda y: arima_fixed(y, {"ar1": 0.5}), InvalidOptionError, "lacks 'intercept'"),
        (
            lambda y: arima_fixed(y, {"ar1": 0.5, "ma1": 0.1, "intercept": 1}),
            InvalidOptionError,
            "'ma1', which ARIMA",
        ),
        (lambda y: arima_fixed(y, {"ar1": 0.5}, order=(1, -1, 0)), InvalidOptionError, "order="),
        (
            lambda y: arima_fixed(y, {"ma1": 0.5}, order=(0, 1, 1), include_mean=True),
            InvalidOptionError,
            "include_mean=True with differencing",
        ),
        (
            lambda y: arima_fixed(y, {"ar1": 0.5, "ar.L1": 0.5, "intercept": 1}),
            InvalidOptionError,
            "twice",
        ),
        (lambda y: arima_fixed(y, {"ar1": np.nan, "intercept": 1}), InvalidOptionError, "finite"),
    ],
)
def test_bad_inputs_are_named(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call(_series("seoul_arrivals"))
