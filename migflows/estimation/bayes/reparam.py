"""Reparameterisation of the Bayesian gravity model: regressors centred within the effects.

Why
---
In a gravity panel most of a regressor's variation is between regions: ``log_wage_ratio``
is mostly a destination (and origin) attribute, so in ``log mu = a + x b + u_orig + u_dest``
the slope ``b`` and the destination effects trade off along a narrow ridge of the posterior
(raising ``b`` and lowering the high-wage destinations' effects leaves the fit unchanged).
NUTS then needs long trajectories and still mixes slowly: the R-hat and ESS gates fail.

What
----
Split every standardized regressor into the part the effects can carry and the rest::

    x_j = c_j + sum_e G_ej[level_e] + xw_j         (G_ej sums to zero over the levels)

by weighted least squares of ``x_j`` on a constant and the effect dummies, with weights that
approximate the likelihood's information of each flow (``mu / (1 + alpha mu)`` at a crude
log-linear fit). Then ``x b = xw b + c b + sum_e G_e[level] b`` and the model is sampled in
the shifted coordinates ``a' = a + c b``, ``u'_e = u_e + G_e b``, in which the slope's
information is orthogonal to the effects' (at the weights). The shift has Jacobian one and
the priors stay on the *original* ``a`` and ``u_e`` (a ``pm.Potential`` swaps the prior of
the shifted coordinates for the original one), so the posterior is exactly the one of the
model as written; only the geometry NUTS sees changes. The decomposition need not be exact
for that: whatever ``G`` the solver returns, ``xw`` is defined as the remainder.

No library does this for a PyMC graph (bambi centres the regressors only on the intercept),
so it is written here; the sparse least squares are scipy's LSQR.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

__all__ = ["WithinSplit", "effect_information", "information_weights", "within_split"]


@dataclass(frozen=True)
class WithinSplit:
    """``x = const + sum_e blocks[e][:, level] + within`` for the standardized regressors.

    Attributes
    ----------
    const : ndarray (k,)
        The part of each regressor that the intercept carries.
    blocks : dict
        Effect -> (k, L_e) array, zero-sum over the levels: the part each effect carries.
    """

    const: np.ndarray
    blocks: dict[str, np.ndarray]

    def within(self, X: np.ndarray, codes: Mapping[str, np.ndarray]) -> np.ndarray:
        """The remainder ``xw`` for regressors ``X`` (n, k) at effect levels ``codes``."""
        out = np.asarray(X, dtype=float) - self.const[None, :]
        for e, g in self.blocks.items():
            out = out - g[:, codes[e]].T
        return out


def _dummies(codes: Mapping[str, np.ndarray], n_levels: Mapping[str, int], n: int) -> sp.csr_matrix:
    cols = [sp.csr_matrix(np.ones((n, 1)))]
    for e, c in codes.items():
        cols.append(sp.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, n_levels[e])))
    return sp.hstack(cols, format="csr")


def _wls(D: sp.csr_matrix, root_w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Minimum-norm weighted least-squares coefficients of ``y`` on ``D`` (LSQR)."""
    Dw = sp.diags(root_w) @ D
    return np.asarray(lsqr(Dw, root_w * y, atol=1e-10, btol=1e-10, iter_lim=5000)[0])


def information_weights(
    y: np.ndarray,
    X: np.ndarray,
    codes: Mapping[str, np.ndarray],
    n_levels: Mapping[str, int],
    *,
    negbin: bool,
    offset: np.ndarray | None = None,
) -> np.ndarray:
    """Approximate Fisher weights ``mu / (1 + alpha mu)`` of each flow.

    ``mu`` is the fit of a log-linear least-squares regression of ``log(y + 0.5)`` on the
    regressors and effect dummies; for the negative binomial ``alpha`` is the residual
    variance of that regression less the Poisson part (at least 0.01).
    """
    n = len(y)
    D = _dummies(codes, n_levels, n)
    full = sp.hstack([sp.csr_matrix(X), D], format="csr") if X.shape[1] else D
    z = np.log(y + 0.5) - (0.0 if offset is None else offset)
    coef = _wls(full, np.ones(n), z)
    fitted = full @ coef
    mu = np.exp(fitted + (0.0 if offset is None else offset))
    if not negbin:
        return mu
    resid = z - fitted
    alpha = max(float(np.mean(resid**2) - np.mean(1.0 / np.maximum(mu, 0.5))), 0.01)
    return mu / (1.0 + alpha * mu)


def within_split(
    X: np.ndarray,
    codes: Mapping[str, np.ndarray],
    n_levels: Mapping[str, int],
    weights: np.ndarray,
) -> WithinSplit:
    """Weighted projection of each column of ``X`` on a constant and the effect dummies.

    Examples
    --------
    >>> import numpy as np
    >>> codes = {"g": np.array([0, 0, 1, 1, 2, 2])}
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [8.0], [9.0]])
    >>> s = within_split(X, codes, {"g": 3}, np.ones(6))
    >>> np.round(s.within(X, codes).ravel(), 6).tolist()
    [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5]
    >>> round(float(s.blocks["g"].sum()), 10), round(float(s.const[0]), 6)
    (0.0, 4.5)
    """
    n, k = X.shape
    D = _dummies(codes, n_levels, n)
    root_w = np.sqrt(weights / weights.mean())
    const = np.zeros(k)
    blocks = {e: np.zeros((k, n_levels[e])) for e in codes}
    for j in range(k):
        coef = _wls(D, root_w, X[:, j])
        const[j] = coef[0]
        start = 1
        for e in codes:
            g = coef[start : start + n_levels[e]]
            start += n_levels[e]
            const[j] += g.mean()  # each block's dummies sum to one: its mean is a constant
            blocks[e][j] = g - g.mean()
    return WithinSplit(const, blocks)


def effect_information(weights: np.ndarray, codes: np.ndarray, n_levels: int) -> np.ndarray:
    """The summed information weights of each level of an effect (L,)."""
    return np.bincount(codes, weights=weights, minlength=n_levels)
