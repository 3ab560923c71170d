"""Likelihood pieces of the negative binomial (NB2) and gamma gravity models.

The NB2 log likelihood, its score and information in ``theta = 1 / alpha``, the
maximum-likelihood ``theta`` given fitted means (:func:`nb2_theta_ml`, MASS's ``theta.ml``),
and the gamma deviance and log likelihood (R's ``Gamma`` family) — what
:mod:`migflows.estimation.gravity.glm` needs around the shared IRLS loop
(:mod:`migflows.estimation.core.irls`).

Examples
--------
>>> y = np.array([0.0, 2.0, 5.0])
>>> round(nb_loglik(y, np.array([1.0, 2.0, 4.0]), 2.0, np.ones(3)), 4)
-4.9177
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import optimize
from scipy.special import digamma, gammaln, polygamma

from migflows.errors import ConvergenceError

__all__ = [
    "THETA_BOUNDS",
    "gamma_deviance",
    "gamma_loglik",
    "nb2_theta_ml",
    "nb_deviance",
    "nb_loglik",
    "nb_null",
    "nb_theta_info",
    "nb_theta_score",
]

THETA_BOUNDS = (1e-8, 1e8)
"""Search interval of the NB2 ``theta``."""


def nb_loglik(y: NDArray, mu: NDArray, theta: float, w: NDArray) -> float:
    """NB2 log likelihood at means ``mu`` and ``theta`` (weighted)."""
    ll = (
        gammaln(y + theta)
        - gammaln(theta)
        - gammaln(y + 1)
        + theta * np.log(theta)
        + np.where(y > 0, y * np.log(np.where(y > 0, mu, 1.0)), 0.0)
        - (y + theta) * np.log(theta + mu)
    )
    return float(np.sum(w * ll))


def nb_theta_score(theta: float, y: NDArray, mu: NDArray, w: NDArray) -> float:
    """Derivative of the NB2 log likelihood in ``theta``."""
    s = (
        digamma(y + theta)
        - digamma(theta)
        + np.log(theta)
        + 1.0
        - np.log(theta + mu)
        - (y + theta) / (theta + mu)
    )
    return float(np.sum(w * s))


def nb_theta_info(theta: float, y: NDArray, mu: NDArray, w: NDArray) -> float:
    """Observed information (minus the second derivative of the log likelihood) in theta."""
    d2 = (
        polygamma(1, y + theta)
        - polygamma(1, theta)
        + 1.0 / theta
        - 2.0 / (theta + mu)
        + (y + theta) / (theta + mu) ** 2
    )
    return float(-np.sum(w * d2))


def nb2_theta_ml(
    y: NDArray[np.float64], mu: NDArray[np.float64], weights: NDArray[np.float64] | None = None
) -> tuple[float, float]:
    """Maximum-likelihood NB2 ``theta`` (``= 1/alpha``) given fitted means, and its SE.

    The same problem MASS's ``theta.ml`` solves; here the score is bracketed on a log scale and
    its root found by Brent's method to machine precision (``theta.ml`` stops its Newton steps
    at ``eps^0.25``).

    Parameters
    ----------
    y, mu : ndarray
        Counts and fitted means.
    weights : ndarray, optional
        Prior weights (multiply each observation's log likelihood).

    Returns
    -------
    theta, se : float
        The estimate and ``1 / sqrt(observed information)``.

    Raises
    ------
    ConvergenceError
        The likelihood still increases at ``theta = 1e8``: the data show no overdispersion
        relative to Poisson (use PPML), or it still increases as ``theta -> 0``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> mu = np.full(4000, 5.0)
    >>> y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    >>> theta, se = nb2_theta_ml(y, mu)
    >>> bool(abs(theta - 2.0) < 2 * se)
    True
    """
    w = np.ones_like(y) if weights is None else weights
    lo, hi = np.log(THETA_BOUNDS[0]), np.log(THETA_BOUNDS[1])

    def g(t: float) -> float:
        return nb_theta_score(float(np.exp(t)), y, mu, w)

    resid2 = float(np.sum(w * (y / mu - 1.0) ** 2))
    start = float(np.sum(w)) / resid2 if resid2 > 0 else THETA_BOUNDS[1] / 10
    t0 = float(np.clip(np.log(start), lo + 1, hi - 1))
    g0 = g(t0)
    step = 1.0
    a, b = t0, t0
    if g0 > 0:  # likelihood increasing in theta: search upwards
        while g(b) > 0:
            a, b = b, b + step
            step *= 2
            if b >= hi:
                if g(hi) > 0:
                    raise ConvergenceError(
                        "the negative binomial dispersion theta diverges (the likelihood still "
                        f"increases at theta = {THETA_BOUNDS[1]:.0e}, alpha -> 0): the flows "
                        "show no overdispersion relative to Poisson. Use estimator='ppml'."
                    )
                b = hi
                break
    else:
        while g(a) < 0:
            b, a = a, a - step
            step *= 2
            if a <= lo:
                if g(lo) < 0:
                    raise ConvergenceError(
                        "the negative binomial dispersion theta goes to zero (alpha -> infinity);"
                        " check the data for extreme outliers or use estimator='ppml'."
                    )
                a = lo
                break
    t = optimize.brentq(g, a, b, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)
    theta = float(np.exp(t))
    info = nb_theta_info(theta, y, mu, w)
    se = float(1.0 / np.sqrt(info)) if info > 0 else float("nan")
    return theta, se


def nb_deviance(y: NDArray, mu: NDArray, theta: float, w: NDArray) -> float:
    """NB2 deviance at fixed ``theta`` (R's ``negative.binomial(theta)``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
        b = (y + theta) * np.log((y + theta) / (mu + theta))
    return float(2.0 * np.sum(w * (a - b)))


def gamma_deviance(y: NDArray, mu: NDArray, w: NDArray) -> float:
    """Gamma deviance; NaN with zero flows (undefined)."""
    if (y <= 0).any():
        return float("nan")
    return float(2.0 * np.sum(w * (-np.log(y / mu) + (y - mu) / mu)))


def gamma_loglik(y: NDArray, mu: NDArray, w: NDArray, deviance: float) -> float:
    """Gamma log likelihood with dispersion ``deviance / sum(w)`` (R's ``logLik.glm``)."""
    if (y <= 0).any():
        return float("nan")
    disp = deviance / float(np.sum(w))
    shape = 1.0 / disp
    scale = mu * disp
    dens = -gammaln(shape) - shape * np.log(scale) + (shape - 1) * np.log(y) - y / scale
    return float(np.sum(w * dens))


def nb_null(y: NDArray, w: NDArray) -> tuple[float, float]:
    """Log likelihood and theta of the constant-only NB2 model (for the pseudo R²)."""
    mu0 = np.full_like(y, float(np.average(y, weights=w)))
    try:
        theta0, _ = nb2_theta_ml(y, mu0, w)
    except ConvergenceError:
        return float("nan"), float("nan")
    return nb_loglik(y, mu0, theta0, w), theta0
