"""The built-in gravity estimators, registered in :mod:`migflows.estimation.gravity.registry`.

``ppml``
    :func:`fit_ppml_estimator`: the array-level PPML engine
    (:func:`migflows.estimation.gravity.ppml.fit_ppml`) on the design; its demeaning backend
    is the ``demeaner=`` option (the engine seam, default the in-memory
    :class:`~migflows.estimation.core.demean.Demeaner`), and ``lean=True`` keeps no
    sample-sized arrays in the results (see :class:`~migflows.estimation.gravity.results.
    GravityResults`).
``ols``
    :func:`fit_ols`: log-linear OLS with absorbed fixed effects.
``negbin``, ``gpml``
    :func:`migflows.estimation.gravity.glm.fit`.

Examples
--------
>>> from migflows.estimation.gravity.registry import ESTIMATORS
>>> tuple(ESTIMATORS)[:4]
('ppml', 'ols', 'negbin', 'gpml')
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import CollinearityWarning, InvalidOptionError
from migflows.estimation.core.cluster_adjusted import LinearPieces
from migflows.estimation.core.demean import Demeaner, demean
from migflows.estimation.core.fixef_rank import fixef_rank
from migflows.estimation.core.identification import IDENTIFICATION_TOL, identify
from migflows.estimation.core.results import SandwichPieces
from migflows.estimation.gravity import glm
from migflows.estimation.gravity.ppml import fit_ppml
from migflows.estimation.gravity.registry import GravitySpec, register_estimator
from migflows.estimation.gravity.results import GravityFit, GravityResults
from migflows.estimation.gravity.sample import merge_dropped, subset_design
from migflows.models.design import Design

__all__ = ["PPML_OPTIONS", "fit_glm", "fit_ols", "fit_ppml_estimator", "log_transform"]

PPML_OPTIONS: dict[str, Any] = {
    "tol": 1e-8,
    "maxiter": 100,
    "fixef_tol": 1e-10,
    "fixef_maxiter": 10_000,
    "separation": ("fe", "ir"),
    "drop_singletons": True,
    "collinear": "drop",
    "collin_tol": IDENTIFICATION_TOL,
    "demeaner": Demeaner,
    "lean": False,
    "backend": "memory",
    "client": None,
    "chunk_rows": 1_000_000,
    "attributes": None,
    "progress": False,
    "cache": True,
}
"""Options of ``estimator="ppml"`` and their defaults (those of :func:`fit_ppml`, plus ``lean``
and the out-of-core options ``backend``, ``client``, ``chunk_rows``, ``attributes``,
``progress``, ``cache`` read by :mod:`migflows.estimation.gravity.scale`; ``progress`` is also
the in-memory fit's)."""


def _pieces(
    hessian: np.ndarray,
    scores: np.ndarray,
    iid_scale: float,
    fe_codes: np.ndarray,
    clusters: pd.DataFrame,
) -> SandwichPieces:
    return SandwichPieces(
        hessian=hessian,
        scores=scores,
        nobs=scores.shape[0],
        fe_codes=fe_codes,
        clusters=clusters.reset_index(drop=True),
        iid_scale=iid_scale,
    )


def _finish(spec: GravitySpec, *args: Any, **kwargs: Any) -> GravityResults:
    """``GravityResults.from_pieces`` (lean when the spec asks for it)."""
    build = (
        GravityResults.lean_from_pieces if spec.options.get("lean") else GravityResults.from_pieces
    )
    return cast(GravityResults, build(*args, **kwargs))


def fit_ppml_estimator(
    spec: GravitySpec, design: Design, data: FlowPanel | pd.DataFrame
) -> GravityResults:
    """PPML with high-dimensional fixed effects on a built design (``estimator="ppml"``)."""
    opts = dict(spec.options)
    lean = opts.pop("lean")
    for name in ("backend", "client", "chunk_rows", "attributes", "cache"):
        opts.pop(name)  # read by the out-of-core backends (gravity.scale) only
    if not isinstance(lean, bool):
        raise InvalidOptionError(f"lean={lean!r} must be True or False.")
    fit = fit_ppml(
        design.y.to_numpy(),
        design.X,
        design.fe if design.fe.shape[1] else None,
        weights=None if design.weights is None else design.weights.to_numpy(),
        offset=None if design.offset is None else design.offset.to_numpy(),
        names=list(design.X.columns),
        **opts,
    )
    kept = np.flatnonzero(fit.sample)
    sub = subset_design(design, kept)
    dropped = merge_dropped(design, fit.dropped)
    X = sub.X[list(fit.names)].to_numpy(dtype=float)
    off = 0.0 if sub.offset is None else sub.offset.to_numpy()
    fe_part = fit.eta - off - X @ fit.coef
    stats = {
        "loglik": fit.loglik,
        "loglik_null": fit.loglik_null,
        "deviance": fit.deviance,
        "pseudo_rsquared": 1.0 - fit.loglik / fit.loglik_null if fit.loglik_null else np.nan,
        "corr_rsquared": float(np.corrcoef(fit.y, fit.mu)[0, 1] ** 2),
        "iterations": fit.iterations,
        "converged": fit.converged,
        "n_fe_levels": fit.fe_levels,
        "n_dropped": fit.n_dropped,
    }
    pieces = _pieces(fit.hessian, fit.scores, 1.0, fit.fe_codes, sub.clusters)
    gfit = GravityFit(
        "ppml", sub, fit.mu, fit.eta, fe_part, dropped, fit.collinear, stats, data, spec.periods
    )
    return _finish(
        spec,
        list(fit.names),
        fit.coef,
        pieces,
        spec.vcov,
        ssc=spec.ssc,
        use_t=False,
        model="PPML",
        depvar=str(design.formula.depvar),
        fit=gfit,
    )


def log_transform(zeros: str) -> Callable[[pd.Series], tuple[pd.Series, pd.Series]]:
    """The dependent-variable transform of log-OLS: ``log`` (zeros dropped) or ``log1p``."""
    if zeros not in ("drop", "log1p"):
        raise InvalidOptionError(f"zeros={zeros!r} is not allowed; use 'drop' or 'log1p'.")

    def transform(y: pd.Series) -> tuple[pd.Series, pd.Series]:
        if zeros == "log1p":
            return np.log1p(y).rename(f"log1p({y.name})"), y.notna() | y.isna()
        keep = ~(y <= 0)
        with np.errstate(divide="ignore"):
            return np.log(y.where(y > 0)).rename(f"log({y.name})"), keep

    return transform


def fit_ols(spec: GravitySpec, design: Design, data: FlowPanel | pd.DataFrame) -> GravityResults:
    """Log-linear OLS with absorbed fixed effects (``estimator="ols"``)."""
    vcov, ssc, zeros, periods = spec.vcov, spec.ssc, spec.zeros, spec.periods
    y = design.y.to_numpy(dtype=float)
    X = design.X.to_numpy(dtype=float)
    w = np.ones_like(y) if design.weights is None else design.weights.to_numpy(dtype=float)
    if (w <= 0).any():
        raise InvalidOptionError(f"weights must be positive; {int((w <= 0).sum())} are not.")
    codes = design.fe.to_numpy()
    if codes.shape[1]:
        both = demean(np.column_stack([y, X]), codes, weights=w, tol=1e-12).x
        yt, Xt = both[:, 0], both[:, 1:]
    else:
        yt, Xt = y, X
    names = list(design.X.columns)
    ident = identify(X, codes, names=names, fe_names=list(design.fe.columns), weights=w, Xt=Xt)
    keep = list(ident.kept)
    collinear = ident.dropped
    if collinear:
        warnings.warn(
            ident.message(combined=True) + "; dropped.", CollinearityWarning, stacklevel=3
        )
    Xk = Xt[:, keep]
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(Xk * sw[:, None], yt * sw, rcond=None)
    resid = yt - Xk @ coef
    hessian = (Xk * w[:, None]).T @ Xk
    scores = Xk * (w * resid)[:, None]
    # fixest convention: the iid covariance is rss/(n-1) (X'X)^-1 times the small-sample
    # factor (n-1)/(n-K) that sandwich() applies, i.e. the usual rss/(n-K).
    sigma2 = float((w * resid**2).sum() / (len(y) - 1))
    yw_mean = np.average(y, weights=w)
    tss = float((w * (y - yw_mean) ** 2).sum())
    rss = float((w * resid**2).sum())
    fitted = y - resid
    kept_names = [names[i] for i in keep]
    fe_part = fitted - X[:, keep] @ coef
    stats = {
        "rsquared": 1 - rss / tss if tss > 0 else np.nan,
        "rsquared_within": 1 - rss / float((w * yt**2).sum()) if codes.shape[1] else np.nan,
        # residual standard error sqrt(rss / (n - K)) with K the regressors plus the exact
        # rank of the fixed effects (R's sigma(lm) on the dummy-variable model)
        "sigma": float(
            np.sqrt(rss / (len(y) - len(keep) - (fixef_rank(codes) if codes.shape[1] else 0)))
        ),
        "zeros": zeros,
    }
    pieces = replace(
        _pieces(hessian, scores, sigma2, codes, design.clusters),
        linear=LinearPieces(Xk, resid, None if design.weights is None else w),
    )
    gfit = GravityFit(
        "ols",
        design,
        fitted,
        fitted,
        fe_part,
        design.dropped.copy(),
        collinear,
        stats,
        data,
        periods,
        link="identity",
    )
    return _finish(
        spec,
        kept_names,
        coef,
        pieces,
        vcov,
        ssc=ssc,
        use_t=True,
        model="OLS (log-linear)",
        depvar=str(design.y.name),
        fit=gfit,
    )


def fit_glm(spec: GravitySpec, design: Design, data: FlowPanel | pd.DataFrame) -> GravityResults:
    """Negative binomial or gamma PML (``estimator="negbin"`` / ``"gpml"``)."""
    return glm.fit(
        spec.estimator,  # type: ignore[arg-type]
        design,
        data,
        spec.periods,
        spec.vcov,
        spec.ssc,
        dict(spec.options),
    )


def _ols_design(spec: GravitySpec) -> dict[str, Any]:
    return {"depvar_transform": log_transform(spec.zeros)}


register_estimator(
    "ppml",
    fit_ppml_estimator,
    options=PPML_OPTIONS,
    description="Poisson PML with high-dimensional fixed effects (ppmlhdfe's algorithm)",
)
register_estimator(
    "ols",
    fit_ols,
    options={},
    description="log-linear OLS with absorbed fixed effects (zero flows dropped or log1p)",
    link="identity",
    design_options=_ols_design,
)
register_estimator(
    "negbin",
    fit_glm,
    options=glm.DEFAULTS["negbin"],
    description="negative binomial (NB2) with fixed effects, MASS::glm.nb's estimator",
)
register_estimator(
    "gpml",
    fit_glm,
    options=glm.DEFAULTS["gpml"],
    description="gamma pseudo-maximum likelihood with fixed effects",
)
