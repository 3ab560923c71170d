"""Few-cluster inference for gravity results: the bootstrap behind ``res.wild_bootstrap``.

Log-OLS goes to the restricted wild cluster bootstrap; PPML, NB2 and GPML to the restricted
score bootstrap of Kline & Santos (the model refitted under the null: :func:`restricted_ppml`,
:func:`restricted_glm`, with the NB2 dispersion re-estimated under the null unless it was held
fixed); spatial interaction models (:func:`sim_bootstrap`) to the restricted score bootstrap of
their Poisson GLM. The arithmetic is in :mod:`migflows.estimation.core.bootstrap`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from migflows.errors import EstimationError, InvalidOptionError
from migflows.estimation.core.bootstrap import (
    BootstrapTest,
    score_bootstrap,
    wild_cluster_bootstrap,
)
from migflows.estimation.core.covariance_registry import resolve_clusters
from migflows.estimation.core.demean import demean
from migflows.estimation.core.hypothesis import restriction_matrix
from migflows.estimation.core.results import SandwichPieces
from migflows.estimation.core.seeds import RandomSeed
from migflows.estimation.gravity.glm_engines import (
    DemeanedSolver,
    fit_gpml_engine,
    fit_negbin_engine,
)
from migflows.estimation.gravity.ppml import fit_ppml
from migflows.models.design import Design

__all__ = [
    "gravity_bootstrap",
    "restricted_glm",
    "restricted_glm_arrays",
    "restricted_poisson",
    "restricted_ppml",
    "sim_bootstrap",
]

Refit = Callable[[float], tuple[np.ndarray, np.ndarray]]


def gravity_bootstrap(
    estimator: str,
    design: Design,
    params: pd.Series,
    pieces: SandwichPieces | None,
    current_clusters: Sequence[str],
    vcov_type: str,
    vcov: Callable[..., Any],
    restriction: str,
    *,
    cluster: str | None = None,
    weights: str = "rademacher",
    reps: int = 9999,
    level: float = 0.95,
    random_seed: RandomSeed = None,
    stats: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> BootstrapTest:
    """The bootstrap of :meth:`GravityResults.wild_bootstrap` (see there).

    ``vcov`` is the result's own ``vcov`` method (for the CRV1 factors of the clusters);
    ``stats`` the fit's statistics (NB2: the dispersion and whether it was held fixed).
    """
    names = _cluster_names(pieces, current_clusters, vcov_type, cluster)
    assert pieces is not None and pieces.clusters is not None  # checked by _cluster_names
    crv = vcov({"CRV1": "+".join(names)})
    cols = list(resolve_clusters(crv.covariance.clusters, pieces.clusters.columns))
    codes = np.column_stack([pd.factorize(pieces.clusters[c])[0] for c in cols])
    R, q = _one_restriction(restriction, params)
    common: dict[str, Any] = {
        "cluster_names": cols,
        "weights": weights,
        "reps": reps,
        "level": level,
        "factors": crv.covariance.factors,
        "random_seed": random_seed,
        "restriction": restriction,
    }
    if estimator == "ols":
        y = design.y.to_numpy(dtype=float)
        X = design.X[list(params.index)].to_numpy(dtype=float)
        w = np.ones_like(y) if design.weights is None else design.weights.to_numpy(float)
        codes_fe = design.fe.to_numpy()
        both = np.column_stack([y, X])
        if codes_fe.shape[1]:
            both = demean(both, codes_fe, weights=w, tol=1e-12).x
        both = both * np.sqrt(w)[:, None]
        return wild_cluster_bootstrap(
            both[:, 1:],
            both[:, 0],
            codes,
            R[0],
            float(q[0]),
            fe_codes=codes_fe,
            fe_weights=w,
            **common,
        )
    if estimator == "ppml":
        restricted: Refit | None = restricted_ppml(design, params, R[0])
    elif estimator in ("negbin", "gpml"):
        restricted = restricted_glm(estimator, design, params, R[0], stats or {})
    else:
        restricted = None
    return score_bootstrap(
        pieces.hessian,
        pieces.scores,
        params.to_numpy(),
        codes,
        R[0],
        float(q[0]),
        restricted_fit=_counted(restricted, progress),
        **common,
    )


def _counted(refit: Refit | None, progress: bool) -> Refit | None:
    """``refit`` with a progress bar counting the restricted fits (the interval's search)."""
    if refit is None or not progress:
        return refit
    from migflows.data.progress import progress_bar

    bar = progress_bar(iter(()), desc="restricted refits", unit="fit", leave=False)

    def counted(q0: float) -> tuple[np.ndarray, np.ndarray]:
        out = refit(q0)
        bar.update(1)
        return out

    return counted


def _substituted(X: np.ndarray, r: np.ndarray) -> tuple[int, np.ndarray]:
    """Column ``j`` solved out of ``r' beta = q0``: regressors ``x_l - r_l / r_j x_j``."""
    j = int(np.argmax(np.abs(r)))
    others = [i for i in range(len(r)) if i != j]
    return j, X[:, others] - np.outer(X[:, j], r[others] / r[j])


def restricted_poisson(
    y: np.ndarray,
    X: np.ndarray,
    codes: np.ndarray,
    w: np.ndarray,
    off: np.ndarray,
    r: np.ndarray,
) -> Refit:
    """``q0 -> (Hessian, scores)`` of a Poisson PML on ``X`` refitted under ``r' beta = q0``.

    ``codes`` (n, G) are the absorbed fixed effects (G = 0: none). The restriction is
    substituted out: with ``j`` the largest entry of ``r``, the model is refitted on
    ``x_l - r_l / r_j x_j`` with ``q0 / r_j x_j`` in the offset.
    """
    j, Xr = _substituted(X, r)

    def refit(q0: float) -> tuple[np.ndarray, np.ndarray]:
        fit = fit_ppml(
            y,
            Xr if Xr.shape[1] else None,
            codes if codes.shape[1] else None,
            weights=w,
            offset=off + (q0 / r[j]) * X[:, j],
            separation=(),
            drop_singletons=False,
            tol=1e-10,
        )
        if not fit.sample.all():
            raise EstimationError(
                f"the PPML refitted under the null drops {int((~fit.sample).sum())} rows; "
                "the score bootstrap needs the same sample"
            )
        mu = fit.mu
        Xt = demean(X, codes, weights=w * mu, tol=1e-12).x if codes.shape[1] else X
        return (Xt * (w * mu)[:, None]).T @ Xt, Xt * (w * (y - mu))[:, None]

    return refit


def restricted_ppml(design: Design, params: pd.Series, r: np.ndarray) -> Refit:
    """``q0 -> (Hessian, scores)`` of a PPML refitted under ``r' beta = q0``.

    ``design`` is the estimation sample of the fit and ``params`` its estimates (for the
    names and order of the regressors); see :func:`restricted_poisson`.
    """
    y, X, codes, w, off = _arrays(design, params)
    return restricted_poisson(y, X, codes, w, off, r)


def _arrays(
    design: Design, params: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    y = design.y.to_numpy(dtype=float)
    X = design.X[list(params.index)].to_numpy(dtype=float)
    w = np.ones_like(y) if design.weights is None else design.weights.to_numpy(float)
    off = np.zeros_like(y) if design.offset is None else design.offset.to_numpy(float)
    codes = design.fe.to_numpy().astype(np.int64).reshape(len(y), -1)
    return y, X, codes, w, off


def restricted_glm(
    estimator: str, design: Design, params: pd.Series, r: np.ndarray, stats: Mapping[str, Any]
) -> Refit:
    """``q0 -> (Hessian, scores)`` of an NB2 or gamma PML refitted under ``r' beta = q0``.

    ``stats`` are the fit's statistics (NB2: ``theta`` and whether it was held fixed); see
    :func:`restricted_glm_arrays`.
    """
    y, X, codes, w, off = _arrays(design, params)
    fixed = stats.get("theta") if stats.get("theta_fixed") else None
    return restricted_glm_arrays(estimator, y, X, codes, w, off, r, theta=fixed)


def restricted_glm_arrays(
    estimator: str,
    y: np.ndarray,
    X: np.ndarray,
    codes: np.ndarray,
    w: np.ndarray,
    off: np.ndarray,
    r: np.ndarray,
    *,
    theta: float | None = None,
) -> Refit:
    """``q0 -> (Hessian, scores)`` of an NB2 or gamma PML on arrays refitted under the null.

    The same engine as the fit (IRLS with the fixed effects ``codes`` demeaned); NB2's
    ``theta`` is re-estimated under the null unless given, and the pieces are those of
    :func:`migflows.estimation.gravity.glm.fit` at the restricted means.
    """
    j, Xr = _substituted(X, r)
    opts: dict[str, Any] = {"tol": 1e-10, "maxiter": 100, "theta": theta, "outer_maxiter": 100}

    def refit(q0: float) -> tuple[np.ndarray, np.ndarray]:
        solver = DemeanedSolver(y, Xr, codes, w, off + (q0 / r[j]) * X[:, j], opts)
        if estimator == "negbin":
            engine = fit_negbin_engine(solver, y, w, opts)
            mu = np.exp(engine.eta)
            alpha = 1.0 / engine.theta
            wt, u = w * mu / (1.0 + alpha * mu), w * (y - mu) / (1.0 + alpha * mu)
        else:
            mu = np.exp(fit_gpml_engine(solver, y, w).eta)
            wt, u = w, w * (y - mu) / mu
        Xt = demean(X, codes, weights=wt, tol=1e-13, maxiter=100_000).x if codes.shape[1] else X
        return (Xt * wt[:, None]).T @ Xt, Xt * u[:, None]

    return refit


def sim_bootstrap(
    y: np.ndarray,
    X: np.ndarray,
    params: pd.Series,
    pieces: SandwichPieces | None,
    current_clusters: Sequence[str],
    vcov_type: str,
    vcov: Callable[..., Any],
    restriction: str,
    *,
    cluster: str | None = None,
    weights: str = "rademacher",
    reps: int = 9999,
    level: float = 0.95,
    random_seed: RandomSeed = None,
    progress: bool = False,
) -> BootstrapTest:
    """Restricted score bootstrap of a spatial interaction model (its Poisson GLM on ``X``).

    The arguments are those of :func:`gravity_bootstrap`; ``y`` and ``X`` are the flows and the
    model's design (constant and balancing dummies included).
    """
    names = _cluster_names(pieces, current_clusters, vcov_type, cluster)
    crv = vcov({"CRV1": "+".join(names)})
    assert pieces is not None and pieces.clusters is not None  # checked by _cluster_names
    cols = list(resolve_clusters(crv.covariance.clusters, pieces.clusters.columns))
    codes = np.column_stack([pd.factorize(pieces.clusters[c])[0] for c in cols])
    R, q = _one_restriction(restriction, params)
    n = len(y)
    refit = restricted_poisson(y, X, np.zeros((n, 0), np.int64), np.ones(n), np.zeros(n), R[0])
    return score_bootstrap(
        pieces.hessian,
        pieces.scores,
        params.to_numpy(),
        codes,
        R[0],
        float(q[0]),
        restricted_fit=_counted(refit, progress),
        cluster_names=cols,
        weights=weights,
        reps=reps,
        level=level,
        factors=crv.covariance.factors,
        random_seed=random_seed,
        restriction=restriction,
    )


def _cluster_names(
    pieces: SandwichPieces | None,
    current_clusters: Sequence[str],
    vcov_type: str,
    cluster: str | None,
) -> tuple[str, ...]:
    if pieces is None or pieces.clusters is None:
        raise InvalidOptionError("this result keeps no cluster variables to bootstrap")
    if cluster is None:
        if not current_clusters:
            raise InvalidOptionError(
                f"the covariance is {vcov_type}, not clustered; pass cluster='orig' "
                "(or 'dest', 'orig+dest', 'pair')"
            )
        return tuple(current_clusters)
    return tuple(c.strip() for c in str(cluster).replace("^", "+").split("+"))


def _one_restriction(restriction: str, params: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    R, q = restriction_matrix(restriction, [str(n) for n in params.index])
    if R.shape[0] != 1:
        raise InvalidOptionError(
            f"the bootstrap tests one restriction at a time; got {R.shape[0]} in {restriction!r}"
        )
    return R, q
