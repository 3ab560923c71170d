"""Forecasts of regional migration balances: method registry, backtests, Forecast objects."""

from migflows.estimation.forecast.api import forecast
from migflows.estimation.forecast.backtest import Backtest, backtest
from migflows.estimation.forecast.fixed import FixedForecast, arima_fixed, ets_fixed
from migflows.estimation.forecast.registry import METHODS, MethodSpec, register_method
from migflows.estimation.forecast.results import Forecast

__all__ = [
    "METHODS",
    "Backtest",
    "FixedForecast",
    "Forecast",
    "MethodSpec",
    "arima_fixed",
    "backtest",
    "ets_fixed",
    "forecast",
    "register_method",
]
