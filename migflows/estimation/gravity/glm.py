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
    ``hessian="observed"`` uses the observed information in the coefficients given ``theta``
    instead (weights ``theta mu (theta + y) / (theta + mu)^2``), and
    ``hessian="observed_joint"`` the coefficients' block of the inverse of the joint observed
    information in (coefficients, fixed effects, ``theta``), Stata's ``nbreg`` default
    ``vce(oim)``; both are checked against an analytic observed information in R on a
    ``MASS::glm.nb`` fit (tests/fixtures/gravity_r/make_negbin_observed.R). They are the
    bread of every covariance (``"iid"``: its inverse; robust kinds: the sandwich around it).
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
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from migflows.data.panel import FlowPanel
from migflows.errors import (
    CollinearityWarning,
    ConvergenceError,
    EstimationError,
    FixedEffectError,
    InvalidOptionError,
    NegativeFlowError,
    SeparationWarning,
    format_values,
)
from migflows.estimation.core.covariance import (
    CovarianceSpec,
    SmallSampleCorrection,
    count_fixef_parameters,
)
from migflows.estimation.core.demean import Demeaner, demean
from migflows.estimation.core.identification import (
    IDENTIFICATION_TOL,
    collinear_columns,
    identify,
)
from migflows.estimation.core.results import SandwichPieces
from migflows.estimation.core.separation import Sample, prune_sample, recode
from migflows.estimation.gravity.glm_engines import (
    DemeanedSolver,
    DummiesSolver,
    fit_gpml_engine,
    fit_negbin_engine,
)
from migflows.estimation.gravity.negbin import nb2_theta_ml, nb_null, nb_theta_info
from migflows.estimation.gravity.results import GravityFit, GravityResults
from migflows.estimation.gravity.sample import merge_dropped, subset_design
from migflows.models.design import Design

__all__ = ["DEFAULTS", "MAX_DUMMIES", "fit", "nb2_theta_ml"]

MAX_DUMMIES = 2000
"""Default limit on fixed-effect levels turned into dummy columns (``max_dummies=``)."""

_COMMON = {
    "tol": 1e-10,
    "maxiter": 100,
    "max_dummies": MAX_DUMMIES,
    "separation": ("fe", "ir"),
    "drop_singletons": False,
    "collinear": "drop",
    "collin_tol": IDENTIFICATION_TOL,
    "engine": "demean",
    "demeaner": Demeaner,
}
DEFAULTS: dict[str, dict[str, Any]] = {  # the options each estimator accepts, with defaults
    "negbin": {**_COMMON, "theta": None, "outer_maxiter": 100, "hessian": "expected"},
    "gpml": dict(_COMMON),
}
_LABELS = {"negbin": "Negative binomial (NB2)", "gpml": "Gamma PML"}
HESSIANS: tuple[str, ...] = ("expected", "observed", "observed_joint")
"""The negbin ``hessian=`` choices (module docstring, "Covariance")."""
_SINGLE_THREAD_MAX = 4_000_000
"""Problems up to this many design entries (n x (k + levels)) run with single-threaded BLAS."""


# ---------------------------------------------------------------------------- options
def _options(estimator: str, options: Mapping[str, Any]) -> dict[str, Any]:
    allowed = DEFAULTS[estimator]
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
    if estimator == "negbin":
        if opts["hessian"] not in HESSIANS:
            raise InvalidOptionError(
                f"hessian={opts['hessian']!r} is not allowed; use one of {format_values(HESSIANS)}."
            )
        if opts["hessian"] == "observed_joint" and theta is not None:
            raise InvalidOptionError(
                "hessian='observed_joint' inverts the information in the coefficients and "
                "theta together, but theta= holds theta fixed; use hessian='observed'."
            )
    return opts


# ---------------------------------------------------------------------------- main entry
def _sample(y: NDArray, X: NDArray, codes: NDArray[np.int64], opts: dict[str, Any]) -> Sample:
    return prune_sample(
        y, X, codes, drop_singletons=opts["drop_singletons"], separation=opts["separation"]
    )


def fit(
    estimator: Literal["negbin", "gpml"],
    design: Design,
    data: FlowPanel | pd.DataFrame,
    periods: Mapping[str, tuple[int, int]] | None,
    vcov: str | Mapping[str, Any] | CovarianceSpec,
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
        a number holds it fixed), ``outer_maxiter`` (100 alternations of GLM and theta) and
        ``hessian`` ("expected"; "observed", "observed_joint": see the module docstring).

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
    if estimator not in DEFAULTS:
        raise InvalidOptionError(
            f"estimator={estimator!r} is not handled here; use 'negbin' or 'gpml'."
        )
    opts = _options(estimator, options)

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
    sub = subset_design(design, kept_rows)
    y = sub.y.to_numpy(dtype=float)
    n = y.shape[0]
    X = sub.X.to_numpy(dtype=float)
    codes = recode(sub.fe.to_numpy().astype(np.int64).reshape(n, -1))
    w = np.ones(n) if sub.weights is None else sub.weights.to_numpy(dtype=float)
    if (w <= 0).any():
        raise InvalidOptionError(f"weights must be positive; {int((w <= 0).sum())} are not.")
    off = np.zeros(n) if sub.offset is None else sub.offset.to_numpy(dtype=float)
    names = list(sub.X.columns)
    fe_names = list(sub.fe.columns)

    levels = (codes.max(axis=0) + 1) if codes.shape[1] else np.zeros(0, int)

    # ---- collinear regressors (with each other or with the fixed effects): core check
    ident = identify(X, codes, names=names, fe_names=fe_names, tol=opts["collin_tol"])
    collinear: tuple[str, ...] = ()
    if not ident.identified:
        if opts["collinear"] == "raise":
            raise ident.error("Remove them or change the fixed effects.", combined=True)
        warnings.warn(
            ident.message(combined=True) + "; dropped.", CollinearityWarning, stacklevel=3
        )
        collinear = ident.dropped
        kept_idx = list(ident.kept)
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
    solver_cls = DummiesSolver if engine_name == "dummies" else DemeanedSolver
    threads = 1 if n * (k + int(levels.sum())) <= _SINGLE_THREAD_MAX else None
    with threadpool_limits(limits=threads):
        solver = solver_cls(y, X, codes, w, off, opts)
        if estimator == "negbin":
            engine = fit_negbin_engine(solver, y, w, opts)
        else:
            engine = fit_gpml_engine(solver, y, w)
    coef = engine.coef
    eta = engine.eta
    mu = np.exp(eta)
    fe_part = eta - off - X @ coef

    # ---- sandwich pieces on the slopes, fixed effects partialled out at the final weights
    theta_column = None
    if estimator == "negbin":
        theta = engine.theta
        alpha = 1.0 / theta
        wt = w * mu / (1.0 + alpha * mu)
        u = w * (y - mu) / (1.0 + alpha * mu)
        iid_scale = 1.0
        if opts["hessian"] != "expected":  # -d2 l / d eta2 at the observed flows
            wt = w * theta * mu * (theta + y) / (theta + mu) ** 2
        if opts["hessian"] == "observed_joint":
            # -d2 l / (d eta d theta), as a column h with W h = that cross term, so that the
            # fixed effects are partialled out of it like out of the regressors
            theta_column = -w * (y - mu) * mu / (theta + mu) ** 2 / wt
    else:
        wt = w.copy()
        u = w * (y - mu) / mu
        pearson = float(np.sum(w * ((y - mu) / mu) ** 2))
        iid_scale = pearson / (n - 1)
    Xa = X if theta_column is None else np.column_stack([X, theta_column])
    if codes.shape[1]:
        res = demean(Xa, codes, wt, tol=1e-13, maxiter=100_000)
        if not res.converged:
            raise ConvergenceError(
                f"partialling the fixed effects {format_values(fe_names)} out of the regressors "
                "did not converge; use estimator='ppml'."
            )
        Xat = res.x
    else:
        Xat = Xa
    Xt = Xat[:, :k]
    hessian = (Xt * wt[:, None]).T @ Xt
    if theta_column is not None:  # the Schur complement of theta in the joint information
        ht = Xat[:, k]
        info_theta = nb_theta_info(engine.theta, y, mu, w)
        info_theta += float(ht @ (wt * ht) - theta_column @ (wt * theta_column))
        cross = Xt.T @ (wt * ht)
        hessian = hessian - np.outer(cross, cross) / info_theta
    scores = Xt * u[:, None]
    pieces = SandwichPieces(
        hessian=hessian,
        scores=scores,
        nobs=n,
        fe_codes=codes,
        clusters=sub.clusters.reset_index(drop=True),
        iid_scale=iid_scale,
    )
    if isinstance(solver, DummiesSolver):
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
        ll0, theta0 = nb_null(y, w)
        stats.update(
            alpha=1.0 / engine.theta,
            theta=engine.theta,
            theta_se=engine.theta_se,
            alpha_se=engine.theta_se / engine.theta**2,
            theta_fixed=opts["theta"] is not None,
            hessian=opts["hessian"],
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
        merge_dropped(design, _rows(sample)),
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
    cp = recode(codes[pos]) if codes.shape[1] else codes[pos]
    Xt = demean(Xp, cp, tol=1e-12).x if cp.shape[1] else Xp
    _, bad = collinear_columns(Xt, Xp, np.ones(int(pos.sum())), tol)
    if bad:
        raise EstimationError(
            f"gamma PML is not identified: regressor(s) {format_values([names[j] for j in bad])} "
            f"vary only among the {int((~pos).sum())} zero flows once the other regressors and "
            "the fixed effects are accounted for on the positive flows (each zero adds a term "
            "linear in the coefficients to the pseudo-likelihood, which is then unbounded or "
            "flat). Drop them, or use estimator='ppml' or 'negbin'."
        )


def _rows(sample: Sample) -> pd.DataFrame:
    return sample.dropped.astype({"row": int})
