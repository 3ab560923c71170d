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
small-sample factor is applied; t tests use ``G - 1`` degrees of freedom, or per coefficient
the Satterthwaite degrees of freedom of :func:`satterthwaite_df` (``res.coef_test()``).

Weighted least squares follows clubSandwich's ``vcovCR(lm(..., weights = w))`` (working
model: independent errors of equal variance): with ``H = U (U'WU)^-1 U'W`` the (non-symmetric)
hat matrix, CR2 uses ``A_g = [(I - H)(I - H)']_gg^(-1/2)`` and CR3 ``A_g = (I - H_gg)^-1``,
and the meat collects ``X~_g' W_g A_g e_g``. Two-way clustering combines the one-way
estimates as Cameron, Gelbach & Miller (2011): ``V(a) + V(b) - V(a & b)`` (each adjusted
within its own clusters; not forced positive semi-definite), with ``min(G_a, G_b) - 1``
degrees of freedom.

Registered as ``{"CR2": "orig"}`` (aliases ``bell-mccaffrey``, ``BM``) and ``{"CR3": ...}``
(alias ``jackknife``), one or two cluster variables, for the gravity family; they need the
least-squares pieces (``estimator="ols"``) and say so for other estimators. Written by hand:
neither linearmodels, statsmodels nor pyfixest offer CR2/CR3 with absorbed fixed effects.

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

__all__ = ["LinearPieces", "cr2_sandwich", "cr3_sandwich", "satterthwaite_df"]


@dataclass(frozen=True)
class LinearPieces:
    """What CR2/CR3 need besides the sandwich: the partialled-out design and residuals.

    Attributes
    ----------
    Xt : ndarray (n, k)
        Regressors with the fixed effects partialled out (weighted demeaning for WLS).
    resid : ndarray (n,)
        Least-squares residuals (on the scale of the data, not multiplied by weights).
    weights : ndarray (n,), optional
        Regression weights of a weighted fit.
    """

    Xt: NDArray[np.float64]
    resid: NDArray[np.float64]
    weights: NDArray[np.float64] | None = None


def _power(block: NDArray[np.float64], power: float) -> NDArray[np.float64]:
    """Symmetric (pseudo-)power of a positive semi-definite block."""
    vals, vecs = np.linalg.eigh((block + block.T) / 2)
    keep = vals > 1e-10 * max(float(vals.max()), 1.0)
    out = np.zeros_like(vals)
    out[keep] = vals[keep] ** power
    return (vecs * out) @ vecs.T


@dataclass(frozen=True)
class _Model:
    """The least-squares model in the pieces CR2/CR3 use."""

    Xt: NDArray[np.float64]
    e: NDArray[np.float64]
    w: NDArray[np.float64]
    bread: NDArray[np.float64]
    fe: NDArray[np.int64] | None
    weighted: bool

    def demean(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        """Weighted residuals of ``z`` on the fixed effects (``z`` itself without them)."""
        if self.fe is None or not self.fe.shape[1]:
            return z
        return demean(z, self.fe, weights=self.w if self.weighted else None, tol=1e-12).x

    def residual_maker_t(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(I - H)' z`` for the full hat matrix ``H = U (U'WU)^-1 U'W`` (``U = [X, D]``).

        By Frisch-Waugh-Lovell, ``(I - H)' z = W M_D(W^-1 z) - W X~ B X~' z``.
        """
        w = self.w[:, None]
        return w * self.demean(z / w) - (w * self.Xt) @ (self.bread @ (self.Xt.T @ z))

    def adjustment(self, rows: NDArray[np.int64], power: float) -> NDArray[np.float64]:
        """``A_g``: ``[(I-H)(I-H)']_gg^(-1/2)`` (CR2) or ``(I - H_gg)^-1`` (CR3)."""
        Xg = self.Xt[rows]
        E = np.zeros((len(self.e), len(rows)))
        E[rows, np.arange(len(rows))] = 1.0
        if not self.weighted:  # symmetric idempotent I - P: the block itself
            block = self.demean(E)[rows] - Xg @ self.bread @ Xg.T
            return _power(block, power)
        if power == -0.5:
            Q = self.residual_maker_t(E)
            return _power(Q.T @ Q, power)
        block = self.demean(E)[rows] - Xg @ self.bread @ (Xg * self.w[rows, None]).T
        return np.linalg.pinv(block)


def _model(inputs: SandwichInputs, spec: CovarianceSpec) -> _Model:
    linear = getattr(inputs, "linear", None)
    if not isinstance(linear, LinearPieces):
        raise InvalidOptionError(
            f"vcov {spec} (Bell-McCaffrey) applies to least squares only; fit with "
            "estimator='ols', or use {'CRV1': ...} with res.wild_bootstrap(...) for PPML"
        )
    w = np.ones(len(linear.resid)) if linear.weights is None else linear.weights
    return _Model(
        linear.Xt, linear.resid, w, inputs.bread, inputs.fe_codes, linear.weights is not None
    )


def _groups(codes: NDArray[np.int64]) -> list[tuple[NDArray[np.int64], float]]:
    """Cluster codes of each variance term and its sign (two-way: CGM's ``V1 + V2 - V12``)."""
    codes = codes.reshape(len(codes), -1)
    if codes.shape[1] == 1:
        return [(codes[:, 0], 1.0)]
    both = np.unique(codes[:, :2], axis=0, return_inverse=True)[1].reshape(-1)
    return [(codes[:, 0], 1.0), (codes[:, 1], 1.0), (both, -1.0)]


def _adjusted(inputs: SandwichInputs, spec: CovarianceSpec, power: float) -> CovarianceEstimate:
    model = _model(inputs, spec)
    terms = _groups(inputs.cluster_codes(spec))
    cov = np.zeros_like(model.bread)
    counts = []
    for groups, sign in terms:
        labels = np.unique(groups)
        counts.append(len(labels))
        if len(labels) < 2:
            raise EstimationError(
                f"clustering by {list(spec.clusters)} needs at least two clusters"
            )
        meat = np.zeros_like(model.bread)
        for g in labels:
            rows = np.flatnonzero(groups == g)
            u = model.adjustment(rows, power) @ model.e[rows]
            s = model.Xt[rows].T @ (model.w[rows] * u)
            meat += np.outer(s, s)
        cov += sign * (model.bread @ meat @ model.bread)
    n_clusters = tuple(counts)
    return CovarianceEstimate(
        (cov + cov.T) / 2,
        spec.kind,
        spec.clusters,
        n_clusters,
        inputs.df_k(),
        min(n_clusters[:2]) - 1,
        (1.0,) * len(terms),
        inputs.ssc,
        spec.options,
    )


def cr2_sandwich(inputs: SandwichInputs, spec: CovarianceSpec) -> CovarianceEstimate:
    """CR2: residuals of each cluster scaled by ``[(I - H)(I - H)']_gg^(-1/2)``."""
    return _adjusted(inputs, spec, -0.5)


def cr3_sandwich(inputs: SandwichInputs, spec: CovarianceSpec) -> CovarianceEstimate:
    """CR3: residuals of each cluster scaled by ``(I - H_gg)^(-1)``."""
    return _adjusted(inputs, spec, -1.0)


def satterthwaite_df(
    inputs: SandwichInputs, spec: CovarianceSpec, R: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Satterthwaite degrees of freedom of CR2 t tests of the combinations ``R beta``.

    Bell & McCaffrey (2002), Pustejovsky & Tipton (2018), under the working model of
    independent homoskedastic errors (clubSandwich's default target): with
    ``g_j = A_j' W_j X~_j B r`` and ``q_j = (I - H)' E_j g_j``, ``P = [q_j' q_k]`` and
    ``df = tr(P)^2 / sum(P^2)`` (clubSandwich's ``coef_test(test = "Satterthwaite")``).

    Parameters
    ----------
    inputs : SandwichInputs
        With ``linear`` pieces.
    spec : CovarianceSpec
        A one-way ``CR2`` request.
    R : ndarray (m, k)
        One combination per row.

    Returns
    -------
    ndarray (m,)
    """
    if spec.kind != "CR2" or len(spec.clusters) != 1:
        raise InvalidOptionError(
            f"Satterthwaite degrees of freedom are defined for one-way CR2, not vcov {spec}; "
            "use res.vcov({'CR2': 'orig'})"
        )
    model = _model(inputs, spec)
    groups = inputs.cluster_codes(spec)[:, 0]
    labels = np.unique(groups)
    R = np.atleast_2d(np.asarray(R, dtype=float))
    n = len(model.e)
    Z = np.zeros((n, len(labels) * len(R)))
    for j, g in enumerate(labels):
        rows = np.flatnonzero(groups == g)
        A = model.adjustment(rows, -0.5)
        G = A.T @ ((model.w[rows, None] * model.Xt[rows]) @ (model.bread @ R.T))  # (n_g, m)
        Z[rows, j * len(R) : (j + 1) * len(R)] = G
    Q = model.residual_maker_t(Z).reshape(n, len(labels), len(R))
    out = np.empty(len(R))
    for i in range(len(R)):
        P = Q[:, :, i].T @ Q[:, :, i]
        out[i] = np.trace(P) ** 2 / float((P**2).sum())
    return out


register_covariance(
    "CR2",
    families=("gravity",),
    aliases=("bell-mccaffrey", "BM"),
    clustered=True,
    max_clusters=2,
    compute=cr2_sandwich,
    doc="Bell-McCaffrey small-sample cluster-robust (least squares)",
)
register_covariance(
    "CR3",
    families=("gravity",),
    aliases=("jackknife",),
    clustered=True,
    max_clusters=2,
    compute=cr3_sandwich,
    doc="jackknife-type small-sample cluster-robust (least squares)",
)
