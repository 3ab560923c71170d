"""Few-cluster inference for gravity results: the bootstrap behind ``res.wild_bootstrap``.

Log-OLS goes to the restricted wild cluster bootstrap, PPML to the restricted score
bootstrap (the model refitted under the null by :func:`restricted_ppml`), NB2/GPML to the
unrestricted score bootstrap; the arithmetic is in :mod:`migflows.estimation.core.bootstrap`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from migflows.estimation.gravity.ppml import fit_ppml
from migflows.models.design import Design

__all__ = ["gravity_bootstrap", "restricted_ppml"]


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
) -> BootstrapTest:
    """The bootstrap of :meth:`GravityResults.wild_bootstrap` (see there).

    ``vcov`` is the result's own ``vcov`` method (for the CRV1 factors of the clusters).
    """
    if pieces is None or pieces.clusters is None:
        raise InvalidOptionError("this result keeps no cluster variables to bootstrap")
    if cluster is None:
        names = current_clusters
        if not names:
            raise InvalidOptionError(
                f"the covariance is {vcov_type}, not clustered; pass cluster='orig' "
                "(or 'dest', 'orig+dest', 'pair')"
            )
    else:
        names = tuple(c.strip() for c in str(cluster).replace("^", "+").split("+"))
    crv = vcov({"CRV1": "+".join(names)})
    cols = list(resolve_clusters(crv.covariance.clusters, pieces.clusters.columns))
    codes = np.column_stack([pd.factorize(pieces.clusters[c])[0] for c in cols])
    R, q = restriction_matrix(restriction, [str(n) for n in params.index])
    if R.shape[0] != 1:
        raise InvalidOptionError(
            f"the bootstrap tests one restriction at a time; got {R.shape[0]} in {restriction!r}"
        )
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
    restricted = restricted_ppml(design, params, R[0]) if estimator == "ppml" else None
    return score_bootstrap(
        pieces.hessian,
        pieces.scores,
        params.to_numpy(),
        codes,
        R[0],
        float(q[0]),
        restricted_fit=restricted,
        **common,
    )


def restricted_ppml(
    design: Design, params: pd.Series, r: np.ndarray
) -> Callable[[float], tuple[np.ndarray, np.ndarray]]:
    """``q0 -> (Hessian, scores)`` of a PPML refitted under ``r' beta = q0``.

    ``design`` is the estimation sample of the fit and ``params`` its estimates (for the
    names and order of the regressors).

    The restriction is substituted out: with ``j`` the largest entry of ``r``, the model
    is refitted on ``x_l - r_l / r_j x_j`` with ``q0 / r_j x_j`` in the offset.
    """
    y = design.y.to_numpy(dtype=float)
    X = design.X[list(params.index)].to_numpy(dtype=float)
    w = np.ones_like(y) if design.weights is None else design.weights.to_numpy(float)
    off = np.zeros_like(y) if design.offset is None else design.offset.to_numpy(float)
    codes = design.fe.to_numpy()
    j = int(np.argmax(np.abs(r)))
    others = [i for i in range(len(r)) if i != j]
    Xr = X[:, others] - np.outer(X[:, j], r[others] / r[j])

    def refit(q0: float) -> tuple[np.ndarray, np.ndarray]:
        fit = fit_ppml(
            y,
            Xr if others else None,
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
