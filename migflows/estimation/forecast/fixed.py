"""Forecasts at fixed, user-given parameters: ETS and ARIMA without estimation.

A planner who takes the smoothing parameter or the AR coefficient from an earlier study, a
published model or a scenario wants the forecast *at those values*, not at re-estimated
ones. :func:`ets_fixed` and :func:`arima_fixed` run the model's filter on a series with
every parameter given (statsmodels ``ETSModel`` with known initial states / ``ARIMA``'s
Kalman filter) and return point forecasts with normal prediction intervals, as R's
``forecast`` package computes them for

* ``ets(y, model = m, use.initial.values = TRUE)`` where ``m`` carries the parameters and
  initial states (nothing re-estimated): additive errors, no, additive or damped trend; the
  innovation variance is ``sum(e^2) / (n - np)`` with ``np`` the smoothing parameters and
  initial states plus one (forecast's convention), the interval variance of horizon ``h``
  is ``sigma2 (1 + sum_{j<h} c_j^2)`` (Hyndman et al. 2008, class 1: ``c_j = alpha``,
  ``alpha + beta j``, or ``alpha + beta (phi + ... + phi^j)`` when damped);
* ``Arima(y, order, fixed = values, include.mean = ..., method = "ML")``: the innovation
  variance is its maximum-likelihood estimate given the coefficients (Kalman filter, exact
  likelihood), the intervals those of the Kalman forecast.

Either can take ``sigma2`` as a given parameter too. Checked against R forecast 8.20 to
1e-8 (tests/fixtures/forecast_fixed/make_fixed_forecasts.R). Series are used on the scale
given (take logs first for log-scale models); these functions model one series, the
registry's ``ets`` / ``arima`` methods (:func:`migflows.forecast`) estimate per region.

Examples
--------
>>> import pandas as pd
>>> y = pd.Series([10.2, 11.5, 10.9, 12.3, 13.1, 12.7, 13.9, 14.2], index=range(2015, 2023))
>>> fc = ets_fixed(y, {"alpha": 0.3, "l": 10.0}, horizon=2)
>>> fc.predicted_mean.round(4).to_dict()
{2023: 13.0638, 2024: 13.0638}
>>> fc.conf_int(0.8).round(3).columns.tolist()
['lower', 'upper']
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from migflows.errors import (
    InputTypeError,
    InvalidOptionError,
    MissingValueError,
    NonNumericError,
    format_values,
)
from migflows.estimation.core.readonly import ReadOnlyResults
from migflows.estimation.forecast.results import check_level

__all__ = ["FixedForecast", "arima_fixed", "ets_fixed"]

#: ETS parameter names: R forecast's (``alpha``, ``beta``, ``phi``, ``l``, ``b``) and
#: statsmodels' spellings of the same.
ETS_NAMES = {
    "alpha": "alpha",
    "smoothing_level": "alpha",
    "beta": "beta",
    "smoothing_trend": "beta",
    "phi": "phi",
    "damping_trend": "phi",
    "l": "l",
    "initial_level": "l",
    "b": "b",
    "initial_trend": "b",
    "sigma2": "sigma2",
}


class FixedForecast(ReadOnlyResults):
    """Point forecasts and normal prediction intervals of one series at given parameters.

    Attributes
    ----------
    model : str
        ``"ETS(A,N,N)"``, ``"ARIMA(1,0,0)"``, ...
    params : Series
        The parameters used (R's names), ``sigma2`` last.
    sigma2 : float
        Innovation variance (given, or estimated from the residuals; see the module).
    nobs : int
        Observations of the series.
    fitted, resid : Series
        One-step-ahead fitted values and innovations on the series' index.
    predicted_mean, se : Series
        Point forecasts and their standard errors by forecast period.
    levels : tuple of float
        Levels shown by :meth:`to_frame`.
    """

    model: str
    params: pd.Series
    sigma2: float
    nobs: int
    fitted: pd.Series
    resid: pd.Series
    predicted_mean: pd.Series
    se: pd.Series
    levels: tuple[float, ...]

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"FixedForecast is read-only; cannot set {name!r}")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Normal prediction interval at ``level``: columns ``lower``, ``upper``."""
        check_level(level)
        z = float(stats.norm.ppf(0.5 + float(level) / 2))
        mean, se = self.predicted_mean, self.se
        return pd.DataFrame({"lower": mean - z * se, "upper": mean + z * se})

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Statsmodels' layout: ``mean``, ``mean_se``, ``mean_ci_lower``, ``mean_ci_upper``."""
        check_level(1 - alpha)
        ci = self.conf_int(1 - alpha)
        return pd.DataFrame(
            {
                "mean": self.predicted_mean,
                "mean_se": self.se,
                "mean_ci_lower": ci["lower"],
                "mean_ci_upper": ci["upper"],
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """Point forecast with the interval at every level (``lower_80``, ``upper_80``, ...)."""
        out = {"mean": self.predicted_mean}
        for level in self.levels:
            ci = self.conf_int(level)
            tag = f"{100 * level:g}"
            out[f"lower_{tag}"] = ci["lower"]
            out[f"upper_{tag}"] = ci["upper"]
        return pd.DataFrame(out)

    def __repr__(self) -> str:
        return (
            f"FixedForecast({self.model}, h={len(self.predicted_mean)}, sigma2={self.sigma2:.4g})"
        )

    def _repr_html_(self) -> str:
        return f"<p>{self.model} at given parameters</p>" + self.to_frame().to_html()


# ------------------------------------------------------------------------------ inputs
def _series(y: Any) -> pd.Series:
    if isinstance(y, pd.DataFrame):
        raise InputTypeError(
            "pass one series (a Series or 1-D array), not a DataFrame; select a column, "
            "e.g. df['arrivals']."
        )
    if isinstance(y, pd.Series):
        s = y.copy()
    else:
        arr = np.asarray(y)
        if arr.ndim != 1:
            raise InputTypeError(f"y must be one-dimensional; got shape {arr.shape}.")
        s = pd.Series(arr)
    try:
        s = s.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise NonNumericError(f"y must be numeric: {err}") from err
    if len(s) < 2:  # (statsmodels' filters fail on an empty series, some by crashing)
        raise MissingValueError(
            f"y has {len(s)} value(s); a forecast from a filtered series needs at least 2."
        )
    bad = int((~np.isfinite(s.to_numpy())).sum())
    if bad:
        raise MissingValueError(
            f"y has {bad} missing or infinite value(s) of {len(s)}; the filter needs a "
            "complete series (drop or fill them first)."
        )
    return s


def _future_index(index: pd.Index, horizon: int) -> pd.Index:
    if isinstance(index, pd.RangeIndex) or pd.api.types.is_integer_dtype(index):
        last = int(index[-1]) if len(index) else -1
        return pd.Index(range(last + 1, last + 1 + horizon), name=index.name)
    return pd.RangeIndex(1, horizon + 1, name="h")


def _horizon(horizon: Any) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise InvalidOptionError(f"horizon={horizon!r} must be a positive integer.")
    return int(horizon)


def _levels(level: Sequence[float]) -> tuple[float, ...]:
    if isinstance(level, str) or not isinstance(level, Sequence):
        raise InvalidOptionError(f"level={level!r} must be a sequence such as (0.8, 0.95).")
    for value in level:
        check_level(value)
    return tuple(float(v) for v in level)


def _number(params: Mapping[str, Any], key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise InvalidOptionError(f"params[{key!r}]={value!r} must be a number.")
    out = float(value)
    if not np.isfinite(out):
        raise InvalidOptionError(f"params[{key!r}]={value!r} must be finite.")
    return out


def _sigma2(params: Mapping[str, float]) -> float | None:
    if "sigma2" not in params:
        return None
    if params["sigma2"] <= 0:
        raise InvalidOptionError(f"params['sigma2']={params['sigma2']!r} must be positive.")
    return params["sigma2"]


# ------------------------------------------------------------------------------ ETS
def ets_fixed(
    y: pd.Series | Sequence[float] | np.ndarray,
    params: Mapping[str, float],
    *,
    trend: str | None = None,
    damped_trend: bool = False,
    horizon: int = 3,
    level: Sequence[float] = (0.8, 0.95),
) -> FixedForecast:
    """Forecast with an additive-error ETS model at given parameters (no estimation).

    Parameters
    ----------
    y : Series or array
        The series (finite values, in order); an integer index (years) labels the forecast
        periods, which follow the last one.
    params : mapping
        ``alpha`` and the initial level ``l``; with ``trend="add"`` also ``beta`` and the
        initial slope ``b``; damped also ``phi``; optionally ``sigma2``. R forecast's names
        (or statsmodels' ``smoothing_level``, ``initial_level``, ...).
    trend : {None, "add"}, default None
        No trend (ETS(A,N,N), simple exponential smoothing) or an additive one.
    damped_trend : bool, default False
        Damp the additive trend with ``phi``.
    horizon : int, default 3
    level : sequence of float, default (0.8, 0.95)
        Levels shown by ``to_frame`` (``conf_int(level)`` takes any).

    Returns
    -------
    FixedForecast

    Raises
    ------
    InvalidOptionError
        A parameter missing, unknown, not a number or outside ``0 < alpha <= 1``,
        ``0 <= beta <= alpha``, ``0 < phi <= 1``; a bad trend, horizon or level.
    InputTypeError, NonNumericError, MissingValueError
        ``y`` not one numeric, complete series; too short to estimate ``sigma2``.

    Examples
    --------
    >>> fc = ets_fixed([1.0, 1.4, 1.9, 2.2, 2.8, 3.1], {"alpha": 0.5, "beta": 0.1,
    ...                "l": 1.0, "b": 0.4}, trend="add", horizon=2)
    >>> fc.model, fc.predicted_mean.round(3).tolist()
    ('ETS(A,A,N)', [3.456, 3.835])
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    s = _series(y)
    h = _horizon(horizon)
    levels = _levels(level)
    if trend not in (None, "add"):
        raise InvalidOptionError(
            f"trend={trend!r} is not allowed; use None or 'add' (multiplicative models have "
            "no closed-form intervals; fit them with migflows.forecast(..., 'ets'))."
        )
    if damped_trend and trend is None:
        raise InvalidOptionError("damped_trend=True needs trend='add'.")
    needed = ["alpha", "l"] + (["beta", "b"] if trend else []) + (["phi"] if damped_trend else [])
    values = _ets_params(params, needed)
    alpha, beta, phi = values["alpha"], values.get("beta", 0.0), values.get("phi", 1.0)
    if not 0 < alpha <= 1 or not 0 <= beta <= alpha or not 0 < phi <= 1:
        raise InvalidOptionError(
            f"ETS parameters must satisfy 0 < alpha <= 1, 0 <= beta <= alpha, 0 < phi <= 1; "
            f"got alpha={alpha:g}"
            + (f", beta={beta:g}" if trend else "")
            + (f", phi={phi:g}" if damped_trend else "")
            + "."
        )
    n_par = len(needed) + 1  # forecast's np: parameters and initial states, plus sigma2
    sigma2 = _sigma2(values)
    if sigma2 is None and len(s) <= n_par:
        raise MissingValueError(
            f"y has {len(s)} values; estimating sigma2 needs more than {n_par} "
            f"(sum(e^2) / (n - {n_par})). Pass a longer series or params['sigma2']."
        )
    model = ETSModel(
        s.to_numpy(),
        error="add",
        trend=trend,
        damped_trend=damped_trend,
        initialization_method="known",
        initial_level=values["l"],
        initial_trend=values.get("b"),
    )
    smooth = [alpha] + ([beta] if trend else []) + ([phi] if damped_trend else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' notes on the known initialisation
        res = model.smooth(smooth)
    resid = np.asarray(res.resid, dtype=float)
    if sigma2 is None:
        sigma2 = float(resid @ resid) / (len(s) - n_par)
    j = np.arange(1, h)
    if trend is None:
        c = np.full(h - 1, alpha)
    elif damped_trend:
        c = alpha + beta * np.cumsum(phi ** np.arange(1, h))
    else:
        c = alpha + beta * j
    var = sigma2 * (1.0 + np.concatenate([[0.0], np.cumsum(c**2)]))
    name = "ETS(A," + ("N" if trend is None else ("Ad" if damped_trend else "A")) + ",N)"
    used: dict[str, float] = {
        k: values[k] for k in ("alpha", "beta", "phi", "l", "b") if k in values
    }
    return _result(s, name, used, sigma2, res.fittedvalues, resid, res.forecast(h), var, levels)


def _ets_params(params: Mapping[str, Any], needed: list[str]) -> dict[str, float]:
    if not isinstance(params, Mapping):
        raise InvalidOptionError(
            f"params must be a mapping such as {{'alpha': 0.3, 'l': 10}}, "
            f"not {type(params).__name__}."
        )
    out: dict[str, float] = {}
    for key, value in params.items():
        canonical = ETS_NAMES.get(str(key))
        if canonical is None or (canonical not in needed and canonical != "sigma2"):
            raise InvalidOptionError(
                f"params has {key!r}, which this ETS model does not have; it takes "
                f"{format_values([*needed, 'sigma2'])}."
            )
        if canonical in out:
            raise InvalidOptionError(f"params gives {canonical!r} twice (as {key!r}).")
        out[canonical] = _number(params, str(key), value)
    missing = [k for k in needed if k not in out]
    if missing:
        raise InvalidOptionError(
            f"params lacks {format_values(missing)}: every parameter and initial state must "
            f"be given (this model needs {format_values(needed)}; sigma2 is optional)."
        )
    return out


# ------------------------------------------------------------------------------ ARIMA
def arima_fixed(
    y: pd.Series | Sequence[float] | np.ndarray,
    params: Mapping[str, float],
    *,
    order: tuple[int, int, int] = (1, 0, 0),
    include_mean: bool | None = None,
    horizon: int = 3,
    level: Sequence[float] = (0.8, 0.95),
) -> FixedForecast:
    """Forecast with an ARIMA model at given coefficients (no estimation).

    Parameters
    ----------
    y : Series or array
        The series (finite values, in order).
    params : mapping
        ``ar1`` ... ``ar<p>``, ``ma1`` ... ``ma<q>`` and, with a mean, ``intercept`` (the
        mean of the series, R's name; statsmodels' ``ar.L1``, ``ma.L1``, ``const`` work
        too); optionally ``sigma2`` (default: its maximum-likelihood estimate given the
        coefficients, as R's ``Arima(..., fixed=)``).
    order : (p, d, q), default (1, 0, 0)
    include_mean : bool, optional
        Default: a mean when ``d == 0`` (R's ``include.mean``, ignored when differencing).
    horizon : int, default 3
    level : sequence of float, default (0.8, 0.95)

    Returns
    -------
    FixedForecast

    Raises
    ------
    InvalidOptionError
        A coefficient missing or unknown, a bad order, horizon or level, a mean with
        differencing.
    InputTypeError, NonNumericError, MissingValueError
        ``y`` not one numeric, complete series.

    Examples
    --------
    >>> fc = arima_fixed([1.0, 1.4, 0.9, 1.2, 1.1, 1.5, 1.3], {"ar1": 0.5, "intercept": 1.2})
    >>> fc.predicted_mean.round(3).tolist()
    [1.25, 1.225, 1.212]
    """
    from statsmodels.tsa.arima.model import ARIMA

    s = _series(y)
    h = _horizon(horizon)
    levels = _levels(level)
    if (
        not isinstance(order, Sequence)
        or len(order) != 3
        or any(isinstance(o, bool) or not isinstance(o, int | np.integer) or o < 0 for o in order)
    ):
        raise InvalidOptionError(f"order={order!r} must be three non-negative integers (p, d, q).")
    p, d, q = (int(o) for o in order)
    mean = d == 0 if include_mean is None else bool(include_mean)
    if mean and d > 0:
        raise InvalidOptionError(
            "include_mean=True with differencing (d > 0): the mean drops out of the "
            "differenced series (R ignores it); leave include_mean unset."
        )
    r_names = [f"ar{i}" for i in range(1, p + 1)] + [f"ma{i}" for i in range(1, q + 1)]
    r_names += ["intercept"] if mean else []
    sm_names = [f"ar.L{i}" for i in range(1, p + 1)] + [f"ma.L{i}" for i in range(1, q + 1)]
    sm_names += ["const"] if mean else []
    alias = dict(zip(sm_names, r_names, strict=True)) | {n: n for n in r_names}
    if not isinstance(params, Mapping):
        raise InvalidOptionError(
            f"params must be a mapping such as {{'ar1': 0.5}}, not {type(params).__name__}."
        )
    values: dict[str, float] = {}
    for key, value in params.items():
        canonical = "sigma2" if key == "sigma2" else alias.get(str(key))
        if canonical is None:
            raise InvalidOptionError(
                f"params has {key!r}, which ARIMA{(p, d, q)} "
                f"{'with' if mean else 'without'} a mean does not have; it takes "
                f"{format_values([*r_names, 'sigma2'])}."
            )
        if canonical in values:
            raise InvalidOptionError(f"params gives {canonical!r} twice (as {key!r}).")
        values[canonical] = _number(params, str(key), value)
    missing = [n for n in r_names if n not in values]
    if missing:
        raise InvalidOptionError(
            f"params lacks {format_values(missing)}; every coefficient must be given "
            f"({format_values(r_names)}; sigma2 is optional)."
        )
    if len(s) <= d:
        raise MissingValueError(f"y has {len(s)} values; differencing d={d} needs more.")
    phis = [values[f"ar{i}"] for i in range(1, p + 1)]
    if p and np.any(np.abs(np.roots([-v for v in phis[::-1]] + [1.0])) <= 1.0 + 1e-10):
        raise InvalidOptionError(
            f"the AR coefficients {format_values(phis)} are not stationary (a root of the AR "
            "polynomial lies on or inside the unit circle); difference the series instead "
            "(order=(p, 1, q)) or give stationary values."
        )
    sigma2 = _sigma2(values)
    # stationary initial state (Gardner et al. 1980, as R's Arima): enforce_stationarity
    # only selects that initialisation here, the coefficients are used as given
    model = ARIMA(
        s.to_numpy(),
        order=(p, d, q),
        trend="c" if mean else "n",
        concentrate_scale=sigma2 is None,
        enforce_invertibility=False,
    )
    # statsmodels orders trend, AR, MA (, sigma2)
    vector = ([values["intercept"]] if mean else []) + [
        values[n] for n in r_names if n != "intercept"
    ]
    vector += [] if sigma2 is None else [sigma2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-stationary starting values and the like
        res = model.filter(np.asarray(vector, dtype=float))
    fc = res.get_forecast(h)
    var = np.asarray(fc.var_pred_mean, dtype=float)
    fitted_scale = float(res.scale)  # read before the model is changed below
    if sigma2 is None and d > 0:
        # R's Arima starts the differenced (unit-root) states with variance 1e6 (the same
        # approximate diffuse start as statsmodels') but keeps the first observations in its
        # sum of squares and divides it by n - d; statsmodels burns them. Its forecast
        # variances are proportional to the scale, so they are rescaled to R's sigma2.
        model.loglikelihood_burn = 0
        model.ssm.loglikelihood_burn = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            unburned = model.filter(np.asarray(vector, dtype=float))
        scale = float(unburned.scale) * len(s) / (len(s) - d)
        var = var * scale / fitted_scale
        sigma2 = scale
    sigma2 = float(fitted_scale if sigma2 is None else sigma2)
    resid = np.asarray(res.resid, dtype=float)
    used = {n: values[n] for n in r_names}
    return _result(
        s,
        f"ARIMA({p},{d},{q})",
        used,
        sigma2,
        np.asarray(res.fittedvalues, dtype=float),
        resid,
        fc.predicted_mean,
        var,
        levels,
    )


def _result(
    s: pd.Series,
    name: str,
    used: Mapping[str, float],
    sigma2: float,
    fitted: Any,
    resid: Any,
    mean: Any,
    var: np.ndarray,
    levels: tuple[float, ...],
) -> FixedForecast:
    future = _future_index(s.index, len(var))
    return FixedForecast(
        model=name,
        params=pd.Series({**used, "sigma2": sigma2}, name="params"),
        sigma2=float(sigma2),
        nobs=len(s),
        fitted=pd.Series(np.asarray(fitted, dtype=float), index=s.index, name="fitted"),
        resid=pd.Series(np.asarray(resid, dtype=float), index=s.index, name="resid"),
        predicted_mean=pd.Series(np.asarray(mean, dtype=float), index=future, name="mean"),
        se=pd.Series(np.sqrt(var), index=future, name="se"),
        levels=levels,
    )
