"""The exact rank of fixed-effect dummies, and the redundant levels it implies.

Used by the covariance's parameter count (:func:`~migflows.estimation.core.covariance.\
count_fixef_parameters`) and by the residual variance of the OLS engines.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import lapack
from scipy.sparse import csr_matrix, diags
from scipy.sparse.csgraph import connected_components

from migflows.estimation.core.threads import one_blas_thread

__all__ = ["EXACT_RANK_LIMIT", "fixef_rank", "redundant_levels"]


def redundant_levels(fe_codes: NDArray[np.int64], method: str) -> int:
    """Levels of the fixed effects ``fe_codes`` (n, G) that are redundant under ``method``.

    ``"fixest"``: one per fixed effect after the first (fixest's count); ``"pairwise"``: the
    connected components of the first two fixed effects plus one per further fixed effect;
    otherwise the exact count, levels minus :func:`fixef_rank`.

    Examples
    --------
    >>> redundant_levels(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), "exact")
    1
    """
    n_fe = fe_codes.shape[1]
    if n_fe <= 1:
        return 0
    if method == "fixest":
        return n_fe - 1
    # connected components (mobility groups) of the bipartite graph of FE 1 and FE 2
    a, b = fe_codes[:, 0], fe_codes[:, 1]
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    graph = csr_matrix((np.ones(len(a)), (a, b + na)), shape=(na + nb, na + nb))
    n_comp = int(connected_components(graph, directed=False)[0])
    if method == "pairwise" or n_fe == 2:
        # two fixed effects: levels - components is their exact rank (Abowd, Creecy & Kramarz)
        return n_comp + (n_fe - 2)
    levels = int((fe_codes.max(axis=0) + 1).sum())
    return levels - fixef_rank(fe_codes)


EXACT_RANK_LIMIT = 6000
"""Largest Gram matrix (min of observations and levels) whose rank is computed exactly."""


def fixef_rank(fe_codes: NDArray[np.int64]) -> int:
    """Exact rank of the dummy matrix of the fixed effects ``fe_codes`` (n, G).

    One or two fixed effects: the levels minus the connected components of their bipartite
    graph. Three or more (``orig^year + dest^year + pair``): a rank-revealing (pivoted)
    Cholesky factorisation of the smaller Gram matrix of the dummies, the largest fixed effect
    eliminated exactly (above :data:`EXACT_RANK_LIMIT`, fixest's count). Hand-written: no
    library offers this rank of sparse dummies.

    Examples
    --------
    >>> codes = np.array([[0, 0, 0], [0, 1, 1], [1, 0, 2], [1, 1, 3]])  # pair nests both
    >>> int(fixef_rank(codes))
    4
    """
    codes = np.asarray(fe_codes, dtype=np.int64).reshape(len(fe_codes), -1)
    n, g = codes.shape
    levels = codes.max(axis=0) + 1
    if g <= 2:
        return int(levels.sum()) - (redundant_levels(codes, "pairwise") if g == 2 else 0)
    offsets, big = np.concatenate([[0], np.cumsum(levels)[:-1]]), int(np.argmax(levels))
    cols, rows = (codes + offsets).ravel(), np.repeat(np.arange(n), g)
    dummies = csr_matrix((np.ones(n * g), (rows, cols)), shape=(n, int(levels.sum())))
    if min(n, int(levels.sum())) > EXACT_RANK_LIMIT:
        return int(levels.sum()) - redundant_levels(codes, "pairwise")
    if n <= levels.sum():
        gram, known, top = (dummies @ dummies.T).toarray(), 0, g  # its diagonal is g
    else:  # the largest fixed effect has a diagonal Gram (its counts): eliminate it exactly
        lo, hi = int(offsets[big]), int(offsets[big] + levels[big])
        rest = dummies[:, np.r_[0:lo, hi : int(levels.sum())]]
        half = rest.T @ dummies[:, lo:hi] @ diags(np.bincount(codes[:, big]) ** -0.5)
        gram, known, top = (rest.T @ rest - half @ half.T).toarray(), hi - lo, rest.sum(0).max()
        gram[np.abs(gram) < 1e-9 * top] = 0.0  # rounding: dpstrf tests its first pivot > 0 only
    with one_blas_thread():  # 10x faster than two threads on busy cores (core.threads)
        _, _, rank, info = lapack.dpstrf(gram, tol=1e-9 * float(top), overwrite_a=True)
    return known + (int(rank) if info >= 0 else int(np.linalg.matrix_rank(gram)))  # <0: bad
