"""Negative binomial (NB2) and gamma PML gravity models with fixed effects.

:func:`fit` is what ``migflows.gravity(..., estimator="negbin" | "gpml")`` dispatches to. Both
estimators use a log link, ``E[y | x] = exp(x'b + fixed effects + offset)``, and differ in the
variance they assume and therefore in how they weight observations:

``negbin``
    Negative binomial with quadratic variance ``Var = mu + alpha mu^2`` (NB2), fitted by
    maximum likelihood jointly in the coefficients and the dispersion, as R's
    ``MASS::glm.nb``: start from the Poisson fit, then alternate a GLM fit at fixed
    ``theta = 1 / alpha`` with the maximum-likelihood ``theta`` given the fitted means
    (:func:`nb2_theta_ml`), until neither moves. The fixed point is the joint
    maximum-likelihood estimate. ``stats["alpha"]`` and ``stats["theta"]`` report the
    dispersion in both conventions (statsmodels/Stata ``alpha``, MASS ``theta``), with
    standard errors ``alpha_se``/``theta_se`` from the observed information in ``theta``
    (MASS's ``SE.theta``). Pass ``theta=`` to hold it fixed (MASS ``negative.binomial(theta)``).
``gpml``
    Gamma pseudo-maximum likelihood (``Var`` proportional to ``mu^2``), the estimator R fits
    with ``glm(family=Gamma("log"))``. Only the estimating equations
    ``sum (y - mu) / mu x = 0`` are used, so zero flows are allowed (Santos Silva & Tenreyro
    2006), which R's ``Gamma`` family refuses; with zeros the gamma deviance and likelihood are
    undefined and reported as NaN. ``stats["dispersion"]`` is the Pearson estimate
    ``sum(((y - mu) / mu)^2) / (n - p)`` that R's ``summary.glm`` uses.

Engines (option ``engine=``)
    ``"demean"`` (default): IRLS (Fisher scoring) whose weighted least-squares step removes
    the fixed effects by weighted demeaning (:mod:`migflows.estimation.core.demean`), as the PPML
    core does; nothing of size ``n x levels`` is built. ``"dummies"``: statsmodels ``GLM``
    (``Poisson``, ``NegativeBinomial(alpha)``, ``Gamma(Log)``) on the regressors plus one
    indicator column per fixed-effect level (all of the first fixed effect, all but one of the
    others; further redundant columns, such as those of ``orig^year + dest^year``, removed by a
    pivoted QR of the dummies' cross-product). Both agree with R to 1e-9 or better on the
    Kazakhstan fixtures; the dummies engine is the library reference, the demeaning engine is
    hand-written because the dense dummies cost time and memory as ``n x levels`` (Kazakhstan,
    six years, ``orig^year + dest^year``: 4.9 s with dummies, 0.07 s demeaned, on two busy
    cores). With ``engine="dummies"`` more than ``max_dummies`` levels (default
    :data:`MAX_DUMMIES` = 2,000) are refused with :class:`~migflows.errors.FixedEffectError`
    pointing to ``engine="demean"`` and ``estimator="ppml"``.

Zero flows, separation and dropped rows
    Zeros are kept. With a log link a zero flow whose mean can be driven to zero by the fixed
    effects and regressors (e.g. every flow of an origin-year is zero) makes the likelihood
    (NB) or pseudo-likelihood (gamma) unbounded, exactly as for Poisson, so the PPML checks run
    first (``separation=("fe", "ir")``: all-zero fixed-effect groups, then the iterative
    rectifier of Correia, Guimarães & Zylkin 2021) and drop such observations with a
    :class:`~migflows.errors.SeparationWarning`. Gamma PML needs more: each zero adds ``-eta``
    to its pseudo-likelihood, so a regressor that varies only among zero flows (given the rest
    of the model) leaves it unbounded or flat; that is refused with
    :class:`~migflows.errors.EstimationError`. Singletons are kept by default (R and fixest's
    ``fenegbin`` keep them; they are fitted exactly but still inform the NB dispersion); pass
    ``drop_singletons=True`` to drop them as PPML does. Every dropped row is in
    ``results.dropped`` with its reason (``"missing value"``, ``"separated_fe"``,
    ``"separated_ir"``, ``"singleton"``). Regressors collinear with others or absorbed by the
    fixed effects are dropped with a warning (``collinear="raise"`` raises).

Covariance
    The result keeps the Hessian and scores of the slope coefficients after partialling out
    the fixed effects (weighted by the final IRLS weights, Frisch–Waugh–Lovell for
    M-estimators), so ``res.vcov(...)`` switches between ``"iid"``, ``"hetero"`` and clustered
    errors without refitting. The Hessian is the expected information ``X~' W X~`` that R and
    statsmodels use (Fisher scoring; for NB2 and the gamma log link it differs from the observed
    Hessian). For ``negbin`` the covariance is that of the coefficients *given* the estimated
    dispersion, as R's ``summary.glm.nb`` and ``sandwich::vcovHC`` on a ``glm.nb`` fit. When the
    conditional mean is right, the derivative of the coefficient scores in ``theta`` has mean
    zero, so estimating ``theta`` does not change the coefficients' asymptotic covariance
    (model-based or robust); the sandwich does not cover ``theta`` itself (see ``theta_se``).
    ``"iid"`` uses dispersion 1 for NB and the Pearson dispersion for
    gamma (written as ``rss / (n - 1)`` times the ``(n - 1)/(n - K)`` of the small-sample
    correction, the convention of the log-OLS estimator, which gives R's ``/(n - p)``).

Examples
--------
>>> import migflows
>>> kz = migflows.load_kazakhstan(years=[2021])
>>> res = migflows.gravity("flow ~ log_dist | orig + dest", kz, estimator="negbin")
>>> round(float(res.params["log_dist"]), 3), round(res.stats["theta"], 2)
(-1.428, 3.11)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import NDArray
from scipy import linalg, optimize, sparse
from scipy.special import digamma, gammaln, polygamma
from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning
from threadpoolctl import threadpool_limits

from migflows.data.panel import FlowPanel
from migflows.errors import (
    ConvergenceError,
    EstimationError,
    FixedEffectError,
    InvalidOptionError,
    NegativeFlowError,
    SeparationWarning,
    format_values,
)
from migflows.estimation.core.covariance import SmallSampleCorrection, count_fixef_parameters
from migflows.estimation.core.demean import demean
from migflows.estimation.core.results import SandwichPieces
from migflows.estimation.gravity.ppml import (
    CollinearityWarning,
    _collinear_columns,
    _prune_fe,
    _recode,
    _separation_ir,
)
from migflows.estimation.gravity.results import GravityFit, GravityResults
from migflows.models.design import Design

__all__ = ["MAX_DUMMIES", "fit", "nb2_theta_ml"]

MAX_DUMMIES = 2000
"""Default limit on fixed-effect levels turned into dummy columns (``max_dummies=``)."""

_COMMON = {
    "tol": 1e-10,
    "maxiter": 100,
    "max_dummies": MAX_DUMMIES,
    "separation": ("fe", "ir"),
    "drop_singletons": False,
    "collinear": "drop",
    "collin_tol": 1e-9,
    "engine": "demean",
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "negbin": {**_COMMON, "theta": None, "outer_maxiter": 100},
    "gpml": dict(_COMMON),
}
_LABELS = {"negbin": "Negative binomial (NB2)", "gpml": "Gamma PML"}
_THETA_BOUNDS = (1e-8, 1e8)
_SINGLE_THREAD_MAX = 4_000_000
"""Problems up to this many design entries (n x (k + levels)) run with single-threaded BLAS."""


# ---------------------------------------------------------------------------- options
def _options(estimator: str, options: Mapping[str, Any]) -> dict[str, Any]:
    allowed = _DEFAULTS[estimator]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidOptionError(
            f"Unknown option(s) {format_values(unknown)} for estimator={estimator!r}; "
            f"allowed: {format_values(sorted(allowed), limit=20)}."
        )
    opts = {**allowed, **options}
    for name in ("tol", "collin_tol"):
        if not (isinstance(opts[name], (int, float)) and 0 < opts[name] < 1):
            raise InvalidOptionError(f"{name}={opts[name]!r} must be a number in (0, 1).")
    for name in ("maxiter", "max_dummies", *(("outer_maxiter",) if estimator == "negbin" else ())):
        if not (isinstance(opts[name], int) and opts[name] >= 1):
            raise InvalidOptionError(f"{name}={opts[name]!r} must be a positive integer.")
    sep = tuple(opts["separation"])
    bad = sorted(set(sep) - {"fe", "ir"})
    if bad:
        raise InvalidOptionError(
            f"separation={opts['separation']!r} is not allowed ({format_values(bad)}); use a "
            f"subset of ('fe', 'ir')."
        )
    opts["separation"] = sep
    if opts["engine"] not in ("demean", "dummies"):
        raise InvalidOptionError(
            f"engine={opts['engine']!r} is not allowed; use 'demean' or 'dummies'."
        )
    if opts["collinear"] not in ("drop", "raise"):
        raise InvalidOptionError(
            f"collinear={opts['collinear']!r} is not allowed; use 'drop' or 'raise'."
        )
    theta = opts.get("theta")
    if theta is not None and not (isinstance(theta, (int, float)) and 0 < theta < np.inf):
        raise InvalidOptionError(f"theta={theta!r} must be a positive number (or None).")
    return opts


# ---------------------------------------------------------------------------- NB2 pieces
def _nb_loglik(y: NDArray, mu: NDArray, theta: float, w: NDArray) -> float:
    ll = (
        gammaln(y + theta)
        - gammaln(theta)
        - gammaln(y + 1)
        + theta * np.log(theta)
        + np.where(y > 0, y * np.log(np.where(y > 0, mu, 1.0)), 0.0)
        - (y + theta) * np.log(theta + mu)
    )
    return float(np.sum(w * ll))


def _nb_theta_score(theta: float, y: NDArray, mu: NDArray, w: NDArray) -> float:
    s = (
        digamma(y + theta)
        - digamma(theta)
        + np.log(theta)
        + 1.0
        - np.log(theta + mu)
        - (y + theta) / (theta + mu)
    )
    return float(np.sum(w * s))


def _nb_theta_info(theta: float, y: NDArray, mu: NDArray, w: NDArray) -> float:
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
    lo, hi = np.log(_THETA_BOUNDS[0]), np.log(_THETA_BOUNDS[1])

    def g(t: float) -> float:
        return _nb_theta_score(float(np.exp(t)), y, mu, w)

    resid2 = float(np.sum(w * (y / mu - 1.0) ** 2))
    start = float(np.sum(w)) / resid2 if resid2 > 0 else _THETA_BOUNDS[1] / 10
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
                        f"increases at theta = {_THETA_BOUNDS[1]:.0e}, alpha -> 0): the flows "
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
    info = _nb_theta_info(theta, y, mu, w)
    se = float(1.0 / np.sqrt(info)) if info > 0 else float("nan")
    return theta, se


def _nb_deviance(y: NDArray, mu: NDArray, theta: float, w: NDArray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
        b = (y + theta) * np.log((y + theta) / (mu + theta))
    return float(2.0 * np.sum(w * (a - b)))


def _gamma_deviance(y: NDArray, mu: NDArray, w: NDArray) -> float:
    if (y <= 0).any():
        return float("nan")
    return float(2.0 * np.sum(w * (-np.log(y / mu) + (y - mu) / mu)))


def _gamma_loglik(y: NDArray, mu: NDArray, w: NDArray, deviance: float) -> float:
    """Gamma log likelihood with dispersion ``deviance / sum(w)`` (R's ``logLik.glm``)."""
    if (y <= 0).any():
        return float("nan")
    disp = deviance / float(np.sum(w))
    shape = 1.0 / disp
    scale = mu * disp
    dens = -gammaln(shape) - shape * np.log(scale) + (shape - 1) * np.log(y) - y / scale
    return float(np.sum(w * dens))


# ---------------------------------------------------------------------------- dummies
def _dummies(codes: NDArray[np.int64]) -> NDArray[np.float64]:
    """Full-column-rank indicator matrix spanning the fixed effects (and the intercept)."""
    n, g = codes.shape
    if g == 0:
        return np.zeros((n, 0))
    blocks = []
    for j in range(g):
        c = codes[:, j]
        levels = int(c.max()) + 1
        block = sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, levels))
        blocks.append(block if j == 0 else block[:, 1:])
    D = sparse.hstack(blocks, format="csc")
    # Remaining redundancies (e.g. orig^year + dest^year: one per year) are found on the
    # small cross-product D'D, whose null space is that of D.
    gram = (D.T @ D).toarray()
    _, r, piv = linalg.qr(gram, pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > 1e-9 * diag[0])) if diag.size else 0
    keep = np.sort(piv[:rank])
    return np.asarray(D[:, keep].toarray())


# ---------------------------------------------------------------------------- main entry
@dataclass(frozen=True)
class _Sample:
    keep: NDArray[np.bool_]
    dropped: pd.DataFrame


def _sample(y: NDArray, X: NDArray, codes: NDArray[np.int64], opts: dict[str, Any]) -> _Sample:
    n = y.shape[0]
    keep = np.ones(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    if not opts["drop_singletons"] and (y > 0).all():
        return _Sample(keep, pd.DataFrame({"row": np.zeros(0, int), "reason": []}))
    while True:
        keep, single, sep = _prune_fe(
            y, codes, keep, opts["drop_singletons"], "fe" in opts["separation"]
        )
        reason[single] = "singleton"
        reason[sep] = "separated_fe"
        if not keep.any() or "ir" not in opts["separation"] or (y[keep] > 0).all():
            break
        idx = np.flatnonzero(keep)
        ir = _separation_ir(y[idx], X[idx], _recode(codes[idx]))
        if not ir.any():
            break
        reason[idx[ir]] = "separated_ir"
        keep[idx[ir]] = False
    dropped = pd.DataFrame({"row": np.flatnonzero(~keep), "reason": reason[~keep]})
    return _Sample(keep, dropped)


def fit(
    estimator: Literal["negbin", "gpml"],
    design: Design,
    data: FlowPanel | pd.DataFrame,
    periods: Mapping[str, tuple[int, int]] | None,
    vcov: str | Mapping[str, Any],
    ssc: SmallSampleCorrection | None,
    options: Mapping[str, Any],
) -> GravityResults:
    """Fit a negative binomial (NB2) or gamma PML gravity model on a built design.

    Called by :func:`migflows.gravity`; see the module docstring for the method, the
    conventions and the options.

    Parameters
    ----------
    estimator : {"negbin", "gpml"}
    design : Design
        From :func:`migflows.models.design.build_design`.
    data : FlowPanel or DataFrame
        The data the design was built from (kept for prediction and counterfactuals).
    periods : mapping or None
        Periods of ``i(period, x)`` terms.
    vcov : str or dict
        Initial covariance (``"hetero"``, ``"iid"``, ``{"CRV1": "pair"}`` …).
    ssc : SmallSampleCorrection or None
        Small-sample convention.
    options : mapping
        ``tol`` (1e-10: largest change of the linear predictor (demean engine) or of any
        coefficient (dummies engine) between IRLS iterations, and the relative change of
        theta), ``maxiter`` (100 IRLS iterations per GLM fit),
        ``engine`` ("demean" or "dummies"), ``max_dummies`` (2000, dummies engine),
        ``separation`` (("fe", "ir")), ``drop_singletons`` (False),
        ``collinear`` ("drop"), ``collin_tol`` (1e-9); negbin also ``theta`` (None: estimated;
        a number holds it fixed) and ``outer_maxiter`` (100 alternations of GLM and theta).

    Returns
    -------
    GravityResults

    Raises
    ------
    InvalidOptionError
        Unknown or invalid options.
    FixedEffectError
        More fixed-effect levels than ``max_dummies`` with ``engine="dummies"``; a collinear
        regressor with ``collinear="raise"``.
    ConvergenceError
        IRLS or the theta alternation did not converge, or theta diverges (no overdispersion).
    EstimationError
        Nothing left to estimate from.
    NegativeFlowError
        Negative outcomes.
    """
    if estimator not in _DEFAULTS:
        raise InvalidOptionError(
            f"estimator={estimator!r} is not handled here; use 'negbin' or 'gpml'."
        )
    opts = _options(estimator, options)
    from migflows.estimation.gravity.api import _merge_dropped, _subset

    y_all = design.y.to_numpy(dtype=float)
    if (y_all < 0).any():
        raise NegativeFlowError(
            f"{estimator} needs a non-negative outcome; {design.y.name!r} has "
            f"{int((y_all < 0).sum())} negative value(s)."
        )
    X_all = design.X.to_numpy(dtype=float)
    codes_all = design.fe.to_numpy().astype(np.int64).reshape(len(y_all), -1)
    sample = _sample(y_all, X_all, codes_all, opts)
    if len(sample.dropped):
        counts = sample.dropped["reason"].value_counts()
        warnings.warn(
            f"{len(sample.dropped)} of {len(y_all)} observations dropped before the "
            f"{estimator} fit: "
            + ", ".join(f"{int(v)} {k}" for k, v in counts.items())
            + " (see results.dropped).",
            SeparationWarning,
            stacklevel=3,
        )
    kept_rows = np.flatnonzero(sample.keep)
    if kept_rows.size == 0 or not (y_all[kept_rows] > 0).any():
        raise EstimationError(
            f"no observation with a positive flow is left for the {estimator} fit "
            f"({len(y_all)} rows, {len(sample.dropped)} dropped as separated or singletons); "
            "use coarser fixed effects or more data."
        )
    sub = _subset(design, kept_rows)
    y = sub.y.to_numpy(dtype=float)
    n = y.shape[0]
    X = sub.X.to_numpy(dtype=float)
    codes = _recode(sub.fe.to_numpy().astype(np.int64).reshape(n, -1))
    w = np.ones(n) if sub.weights is None else sub.weights.to_numpy(dtype=float)
    if (w <= 0).any():
        raise InvalidOptionError(f"weights must be positive; {int((w <= 0).sum())} are not.")
    off = np.zeros(n) if sub.offset is None else sub.offset.to_numpy(dtype=float)
    names = list(sub.X.columns)
    fe_names = list(sub.fe.columns)

    levels = (codes.max(axis=0) + 1) if codes.shape[1] else np.zeros(0, int)

    # ---- collinear regressors (with each other or with the fixed effects)
    if X.shape[1]:
        Xt0 = demean(X, codes, tol=1e-12).x if codes.shape[1] else X
        kept_idx, drop_idx = _collinear_columns(Xt0, X, np.ones(n), opts["collin_tol"])
    else:
        kept_idx, drop_idx = [], []
    collinear: tuple[str, ...] = ()
    if drop_idx:
        bad = [names[j] for j in drop_idx]
        msg = f"regressor(s) {format_values(bad)} are collinear with the other regressors" + (
            f" or absorbed by the fixed effects {format_values(fe_names)}" if fe_names else ""
        )
        if opts["collinear"] == "raise":
            raise FixedEffectError(msg + "; remove them or change the fixed effects.")
        warnings.warn(msg + "; dropped.", CollinearityWarning, stacklevel=3)
        collinear = tuple(bad)
        names = [names[j] for j in kept_idx]
        X = X[:, kept_idx]
    k = X.shape[1]
    if k == 0:
        raise FixedEffectError(
            "no regressor is left to estimate after removing collinear ones; add a pair-varying "
            "covariate such as log_dist."
        )
    if estimator == "gpml" and (y == 0).any():
        _check_gpml_zeros(y, X, codes, names, opts["collin_tol"])
    engine_name = opts["engine"]
    if engine_name == "dummies" and int(levels.sum()) > opts["max_dummies"]:
        detail = ", ".join(f"{f}: {int(v):,}" for f, v in zip(fe_names, levels, strict=True))
        raise FixedEffectError(
            f"engine='dummies' turns fixed effects into dummy columns and supports up to "
            f"max_dummies={opts['max_dummies']:,} levels; this model has "
            f"{int(levels.sum()):,} ({detail}) on {n:,} observations. Use engine='demean' "
            f"(the fixed effects partialled out), estimator='ppml', coarser fixed effects, or "
            f"raise max_dummies= (the design needs about "
            f"{n * int(levels.sum()) * 8 / 1e9:.1f} GB)."
        )
    # Small dense problems: multithreaded BLAS only adds overhead (a 1,140 x 44 QR took 1.4 s
    # instead of 5 ms on two busy cores), so they run single-threaded, as forecast_methods does.
    solver_cls = _Dummies if engine_name == "dummies" else _Demeaned
    threads = 1 if n * (k + int(levels.sum())) <= _SINGLE_THREAD_MAX else None
    with threadpool_limits(limits=threads):
        solver = solver_cls(y, X, codes, w, off, opts)
        if estimator == "negbin":
            engine = _fit_negbin(solver, y, w, opts)
        else:
            engine = _fit_gpml(solver, y, w)
    coef = engine.coef
    eta = engine.eta
    mu = np.exp(eta)
    fe_part = eta - off - X @ coef

    # ---- sandwich pieces on the slopes, fixed effects partialled out at the final weights
    if estimator == "negbin":
        alpha = 1.0 / engine.theta
        wt = w * mu / (1.0 + alpha * mu)
        u = w * (y - mu) / (1.0 + alpha * mu)
        iid_scale = 1.0
    else:
        wt = w.copy()
        u = w * (y - mu) / mu
        pearson = float(np.sum(w * ((y - mu) / mu) ** 2))
        iid_scale = pearson / (n - 1)
    if codes.shape[1]:
        res = demean(X, codes, wt, tol=1e-13, maxiter=100_000)
        if not res.converged:
            raise ConvergenceError(
                f"partialling the fixed effects {format_values(fe_names)} out of the regressors "
                "did not converge; use estimator='ppml'."
            )
        Xt = res.x
    else:
        Xt = X
    hessian = (Xt * wt[:, None]).T @ Xt
    scores = Xt * u[:, None]
    pieces = SandwichPieces(
        hessian=hessian,
        scores=scores,
        nobs=n,
        fe_codes=codes,
        clusters=sub.clusters.reset_index(drop=True),
        iid_scale=iid_scale,
    )
    if isinstance(solver, _Dummies):
        p = solver.full.shape[1]  # slopes + the rank of the dummies
    else:  # exact for one or two fixed effects; reghdfe's count beyond (vcov module)
        p = k + count_fixef_parameters(codes, SmallSampleCorrection(redundant="pairwise"))
    stats: dict[str, Any] = {
        "deviance": engine.deviance,
        "loglik": engine.loglik,
        "corr_rsquared": float(np.corrcoef(y, mu)[0, 1] ** 2),
        "iterations": engine.iterations,
        "converged": True,
        "n_params": p,
        "n_fe_levels": dict(zip(fe_names, levels.tolist(), strict=True)),
        "n_dropped": {str(a): int(b) for a, b in sample.dropped["reason"].value_counts().items()},
    }
    if estimator == "negbin":
        ll0, theta0 = _nb_null(y, w)
        stats.update(
            alpha=1.0 / engine.theta,
            theta=engine.theta,
            theta_se=engine.theta_se,
            alpha_se=engine.theta_se / engine.theta**2,
            theta_fixed=opts["theta"] is not None,
            loglik_null=ll0,
            theta_null=theta0,
            pseudo_rsquared=1.0 - engine.loglik / ll0,
            aic=-2.0 * engine.loglik + 2.0 * (p + (opts["theta"] is None)),
            irls_iterations=engine.irls_iterations,
        )
    else:
        stats.update(dispersion=pearson / (n - p), zeros=int((y == 0).sum()))
    gfit = GravityFit(
        estimator,
        sub,
        mu,
        eta,
        fe_part,
        _merge_dropped(design, _rows(sample)),
        collinear,
        stats,
        data,
        periods,
    )
    return GravityResults.from_pieces(
        names,
        coef,
        pieces,
        vcov,
        ssc=ssc,
        use_t=estimator == "gpml",
        model=_LABELS[estimator],
        depvar=str(design.formula.depvar),
        fit=gfit,
    )  # type: ignore[return-value]


def _check_gpml_zeros(
    y: NDArray, X: NDArray, codes: NDArray[np.int64], names: list[str], tol: float
) -> None:
    """Refuse gamma PML when a regressor varies only among zero flows.

    A zero flow adds ``-eta`` to the gamma pseudo log likelihood, a linear term: if a
    regressor (given the other regressors and the fixed effects) is collinear on the positive
    flows but not on all rows, moving along that direction changes only those linear terms and
    the objective is unbounded or flat — no unique maximum. Poisson separation, checked before,
    does not catch this weaker condition.
    """
    pos = y > 0
    Xp = X[pos]
    cp = _recode(codes[pos]) if codes.shape[1] else codes[pos]
    Xt = demean(Xp, cp, tol=1e-12).x if cp.shape[1] else Xp
    _, bad = _collinear_columns(Xt, Xp, np.ones(int(pos.sum())), tol)
    if bad:
        raise EstimationError(
            f"gamma PML is not identified: regressor(s) {format_values([names[j] for j in bad])} "
            f"vary only among the {int((~pos).sum())} zero flows once the other regressors and "
            "the fixed effects are accounted for on the positive flows (each zero adds a term "
            "linear in the coefficients to the pseudo-likelihood, which is then unbounded or "
            "flat). Drop them, or use estimator='ppml' or 'negbin'."
        )


def _rows(sample: _Sample) -> pd.DataFrame:
    return sample.dropped.astype({"row": int})


# ---------------------------------------------------------------------------- engines
@dataclass(frozen=True)
class _Engine:
    coef: NDArray[np.float64]
    eta: NDArray[np.float64]
    deviance: float
    loglik: float
    iterations: int
    theta: float = float("nan")
    theta_se: float = float("nan")
    irls_iterations: int = 0


def _irls_weight(kind: str, mu: NDArray, alpha: float) -> NDArray:
    """IRLS weight of the log link: ``mu^2 / Var(mu)`` up to the dispersion."""
    if kind == "poisson":
        return mu
    if kind == "negbin":
        return mu / (1.0 + alpha * mu)
    return np.ones_like(mu)  # gamma


class _Dummies:
    """statsmodels GLM on the slopes plus dummy columns (``engine="dummies"``)."""

    def __init__(self, y, X, codes, w, off, opts) -> None:  # type: ignore[no-untyped-def]
        self.y, self.w, self.off, self.opts, self.k = y, w, off, opts, X.shape[1]
        self.full = np.column_stack([X, _dummies(codes)])
        self.params: NDArray | None = None

    def fit(self, kind: str, alpha: float, what: str) -> tuple[NDArray, NDArray, int]:
        family = {
            "poisson": sm.families.Poisson(),
            "negbin": sm.families.NegativeBinomial(alpha=alpha),
            "gamma": sm.families.Gamma(link=sm.families.links.Log()),
        }[kind]
        model = sm.GLM(self.y, self.full, family=family, offset=self.off, var_weights=self.w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SMConvergenceWarning)
            res = model.fit(
                start_params=self.params,
                maxiter=self.opts["maxiter"],
                tol=self.opts["tol"],
                tol_criterion="params",
                wls_method="qr",
            )
        if not res.converged:
            raise _not_converged(what, self.opts)
        self.params = np.asarray(res.params, dtype=float)
        eta = self.full @ self.params + self.off
        return self.params[: self.k], eta, int(res.fit_history["iteration"])


class _Demeaned:
    """IRLS with the fixed effects partialled out by weighted demeaning (``engine="demean"``).

    Each iteration regresses the working response on the regressors after removing the fixed
    effects at the current weights (Frisch-Waugh-Lovell), as the PPML core does; no dummy is
    built, so memory and time grow with ``n``, not ``n x levels``. Hand-written because
    statsmodels needs the dense dummies; verified against it and against R in the tests.
    """

    def __init__(self, y, X, codes, w, off, opts) -> None:  # type: ignore[no-untyped-def]
        self.y, self.X, self.codes, self.w, self.off, self.opts = y, X, codes, w, off, opts
        mean = float(np.average(y, weights=w))
        self.eta = np.log((y + mean) / 2.0)
        # Warm starts: demeaning is invariant to adding anything in the span of the fixed
        # effects, so the previous iteration's fixed-effect part of z and partialled-out X
        # start the next demeaning close to its answer.
        self.fe_z = np.zeros_like(y)
        self.Xt = X.copy()
        self.in_model = False  # the starting eta is not of the form X b + fixed effects

    def fit(self, kind: str, alpha: float, what: str) -> tuple[NDArray, NDArray, int]:
        y, w, off = self.y, self.w, self.off
        eta = self.eta
        for it in range(1, self.opts["maxiter"] + 1):
            mu = np.exp(eta)
            W = w * _irls_weight(kind, mu, alpha)
            z = eta - off + (y - mu) / mu
            if self.codes.shape[1]:
                both = np.column_stack([z - self.fe_z, self.Xt])
                res = demean(both, self.codes, W, tol=1e-13, maxiter=100_000)
                if not res.converged:
                    raise _not_converged(what + " (demeaning)", self.opts)
                zt, Xt = res.x[:, 0], res.x[:, 1:]
                self.fe_z, self.Xt = z - zt, Xt
            else:
                zt, Xt = z, self.X
            xw = Xt * W[:, None]
            coef = linalg.solve(xw.T @ Xt, xw.T @ zt, assume_a="pos")
            new = z - (zt - Xt @ coef) + off
            # Step halving (as R's glm.fit does for invalid fits, here on the objective):
            # Fisher scoring is not Newton for NB and gamma, and with many zero flows the
            # gamma PML step can overshoot and cycle; halving restores ascent on the
            # concave (pseudo) log likelihood. (Not on the very first step, which moves from
            # the data-based start into the model space.)
            old_obj = _objective(kind, y, eta, w, alpha) if self.in_model else -np.inf
            self.in_model = True
            for _ in range(40):
                obj = _objective(kind, y, new, w, alpha) if np.max(new) <= 700 else -np.inf
                if obj >= old_obj - 1e-12 * (abs(old_obj) + 1.0):
                    break
                new = (eta + new) / 2.0
            if np.max(new) > 700:
                raise EstimationError(
                    f"{what}: the linear predictor overflows exp(); look for separation or "
                    "rescale the regressors."
                )
            change = float(np.max(np.abs(new - eta)))
            eta = new
            if change < self.opts["tol"]:
                self.eta = eta
                return np.asarray(coef, dtype=float), eta, it
        raise _not_converged(what, self.opts)


def _objective(kind: str, y: NDArray, eta: NDArray, w: NDArray, alpha: float) -> float:
    """(Pseudo) log likelihood up to constants, at fixed dispersion."""
    mu = np.exp(eta)
    if kind == "poisson":
        return float(np.sum(w * (y * eta - mu)))
    if kind == "negbin":
        theta = 1.0 / alpha
        return float(np.sum(w * (y * eta - (y + theta) * np.log(theta + mu))))
    return float(np.sum(w * (-y / mu - eta)))  # gamma


def _not_converged(what: str, opts: dict[str, Any]) -> ConvergenceError:
    return ConvergenceError(
        f"{what} did not converge in maxiter={opts['maxiter']} IRLS iterations (change above "
        f"tol={opts['tol']:.0e}); raise maxiter=, look for separation or extreme regressor "
        "values, or use estimator='ppml'."
    )


def _fit_gpml(solver: Any, y: NDArray, w: NDArray) -> _Engine:
    coef, eta, it = solver.fit("gamma", 0.0, "The gamma PML fit")
    mu = np.exp(eta)
    dev = _gamma_deviance(y, mu, w)
    return _Engine(coef, eta, dev, _gamma_loglik(y, mu, w, dev), it)


def _fit_negbin(solver: Any, y: NDArray, w: NDArray, opts: dict[str, Any]) -> _Engine:
    coef, eta, irls = solver.fit("poisson", 0.0, "The initial Poisson fit")
    mu = np.exp(eta)
    fixed = opts["theta"]
    theta = float(fixed) if fixed is not None else nb2_theta_ml(y, mu, w)[0]
    ll_old = _nb_loglik(y, mu, theta, w)
    rounds = 0
    for _ in range(opts["outer_maxiter"]):
        rounds += 1
        coef, eta, it = solver.fit("negbin", 1.0 / theta, f"The NB2 fit at theta={theta:.6g}")
        irls += it
        mu = np.exp(eta)
        if fixed is not None:
            break
        theta_new, _ = nb2_theta_ml(y, mu, w)
        ll = _nb_loglik(y, mu, theta_new, w)
        tol = opts["tol"]
        done = abs(theta_new - theta) <= tol * theta and abs(ll - ll_old) <= tol * (abs(ll) + 0.1)
        theta, ll_old = theta_new, ll
        if done:
            break
    else:
        raise ConvergenceError(
            f"the negative binomial alternation of coefficients and theta did not converge in "
            f"outer_maxiter={opts['outer_maxiter']} rounds (theta={theta:.6g}); raise "
            "outer_maxiter= or use estimator='ppml'."
        )
    se = float("nan") if fixed is not None else 1.0 / np.sqrt(_nb_theta_info(theta, y, mu, w))
    return _Engine(
        coef,
        eta,
        _nb_deviance(y, mu, theta, w),
        _nb_loglik(y, mu, theta, w),
        rounds,
        theta=theta,
        theta_se=float(se),
        irls_iterations=irls,
    )


def _nb_null(y: NDArray, w: NDArray) -> tuple[float, float]:
    """Log likelihood and theta of the constant-only NB2 model (for the pseudo R²)."""
    mu0 = np.full_like(y, float(np.average(y, weights=w)))
    try:
        theta0, _ = nb2_theta_ml(y, mu0, w)
    except ConvergenceError:
        return float("nan"), float("nan")
    return _nb_loglik(y, mu0, theta0, w), theta0
