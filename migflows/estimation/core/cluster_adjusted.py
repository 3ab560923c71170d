"""Bell–McCaffrey small-sample cluster-robust covariances CR2 and CR3 for least squares.

With few clusters the CRV1 sandwich is biased down because each cluster's residuals are
shrunk by its own leverage. CR2 (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018) and CR3
(the jackknife-like version, MacKinnon & White 1985) undo that shrinkage cluster by cluster:

    V = H^-1 [ sum_g X~_g' A_g e_g e_g' A_g X~_g ] H^-1,
    A_g = (I - P_gg)^(-1/2) (CR2)  or  (I - P_gg)^(-1) (CR3),

where ``P_gg`` is the cluster's block of the hat matrix of the *whole* model, fixed effects
included (``P = P_D + X~ H^-1 X~'``), so absorbing fixed effects gives the same covariance
as dummies would (clubSandwich's ``vcovCR(lm(...), type = "CR2")``). Singular blocks (fixed
effects nested in the cluster) use the pseudo-inverse, as clubSandwich does. No further
small-sample factor is applied; t tests use ``G - 1`` degrees of freedom (clubSandwich's
Satterthwaite degrees of freedom are not computed).

Registered as ``{"CR2": "orig"}`` (aliases ``bell-mccaffrey``, ``BM``) and ``{"CR3": ...}``
(alias ``jackknife``) for the gravity family; they need the least-squares pieces
(``estimator="ols"``) and say so for other estimators. Written by hand: neither
linearmodels, statsmodels nor pyfixest offer CR2/CR3 with absorbed fixed effects.

Examples
--------
>>> import numpy as np
>>> from migflows.estimation.core.covariance import sandwich
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(60, 1))
>>> e = rng.normal(size=60)
>>> g = np.repeat(np.arange(6), 10)
>>> lin = LinearPieces(X, e)
>>> cr3 = sandwich(X.T @ X, X * e[:, None], {"CR3": "g"}, nobs=60, k=1,
...                clusters=g[:, None], linear=lin)
>>> crv = sandwich(X.T @ X, X * e[:, None], {"CRV1": "g"}, nobs=60, k=1, clusters=g[:, None])
>>> bool(cr3.cov[0, 0] > 0), cr3.kind
(True, 'CR3')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from migflows.errors import EstimationError, InvalidOptionError
from migflows.estimation.core.covariance import CovarianceEstimate, SandwichInputs
from migflows.estimation.core.covariance_registry import CovarianceSpec, register_covariance
from migflows.estimation.core.demean import demean

__all__ = ["LinearPieces", "cr2_sandwich", "cr3_sandwich"]


@dataclass(frozen=True)
class LinearPieces:
    """What CR2/CR3 need besides the sandwich: the partialled-out design and residuals.

    Attributes
    ----------
    Xt : ndarray (n, k)
        Regressors with the fixed effects partialled out.
    resid : ndarray (n,)
        Least-squares residuals.
    """

    Xt: NDArray[np.float64]
    resid: NDArray[np.float64]


def _power(block: NDArray[np.float64], power: float) -> NDArray[np.float64]:
    """Symmetric (pseudo-)power of a positive semi-definite block."""
    vals, vecs = np.linalg.eigh((block + block.T) / 2)
    keep = vals > 1e-10 * max(float(vals.max()), 1.0)
    out = np.zeros_like(vals)
    out[keep] = vals[keep] ** power
    return (vecs * out) @ vecs.T


def _adjusted(inputs: SandwichInputs, spec: CovarianceSpec, power: float) -> CovarianceEstimate:
    linear = getattr(inputs, "linear", None)
    if not isinstance(linear, LinearPieces):
        raise InvalidOptionError(
            f"vcov {spec} (Bell-McCaffrey) applies to unweighted least squares only; fit "
            "with estimator='ols' (no weights), or use {'CRV1': ...} with "
            "res.wild_bootstrap(...) for PPML"
        )
    codes = inputs.cluster_codes(spec)[:, 0]
    n_clusters = int(codes.max()) + 1
    if n_clusters < 2:
        raise EstimationError(f"clustering by {list(spec.clusters)} needs at least two clusters")
    Xt, e, bread = linear.Xt, linear.resid, inputs.bread
    fe = inputs.fe_codes
    meat = np.zeros_like(bread)
    for g in range(n_clusters):
        rows = np.flatnonzero(codes == g)
        Xg = Xt[rows]
        block = np.eye(len(rows))
        if fe is not None and fe.shape[1]:
            # (M_D)_gg: the cluster's block of the annihilator of the fixed effects
            E = np.zeros((inputs.nobs, len(rows)))
            E[rows, np.arange(len(rows))] = 1.0
            block = demean(E, fe, tol=1e-12).x[rows]
        u = _power(block - Xg @ bread @ Xg.T, power) @ e[rows]
        s = Xg.T @ u
        meat += np.outer(s, s)
    cov = bread @ meat @ bread
    return CovarianceEstimate(
        (cov + cov.T) / 2,
        spec.kind,
        spec.clusters,
        (n_clusters,),
        inputs.df_k(),
        n_clusters - 1,
        (1.0,),
        inputs.ssc,
        spec.options,
    )


def cr2_sandwich(inputs: SandwichInputs, spec: CovarianceSpec) -> CovarianceEstimate:
    """CR2: residuals of each cluster scaled by ``(I - P_gg)^(-1/2)``."""
    return _adjusted(inputs, spec, -0.5)


def cr3_sandwich(inputs: SandwichInputs, spec: CovarianceSpec) -> CovarianceEstimate:
    """CR3: residuals of each cluster scaled by ``(I - P_gg)^(-1)``."""
    return _adjusted(inputs, spec, -1.0)


register_covariance(
    "CR2",
    families=("gravity",),
    aliases=("bell-mccaffrey", "BM"),
    clustered=True,
    max_clusters=1,
    compute=cr2_sandwich,
    doc="Bell-McCaffrey small-sample cluster-robust (least squares)",
)
register_covariance(
    "CR3",
    families=("gravity",),
    aliases=("jackknife",),
    clustered=True,
    max_clusters=1,
    compute=cr3_sandwich,
    doc="jackknife-type small-sample cluster-robust (least squares)",
)
