"""Compiled per-chunk kernels of the sums engine (:mod:`migflows.estimation.gravity.sums`).

The passes that run many times per fit — group weight sums with the deviance, one
Gauss–Seidel update of a fixed effect, the cross-products ``V~' W V~`` — are fused loops over
the rows of a chunk: a row is read once, its linear predictor, mean, working outcome and
residuals are computed on the fly and added to the level sums. In numpy each of these needs a
dozen temporaries of the chunk's size (gathers, masks, copies); fused, a pass over 1e8 rows is
bound by reading the data. Why hand-written: no library offers weighted group sums of
residuals of several fixed effects evaluated from coefficient vectors in one pass.

Layout: fixed-effect vectors of all effects are concatenated (``bounds[g]`` is where effect
``g`` starts), ``alive`` marks the levels kept by the sample checks, ``alpha`` is
``(levels, 1 + k)`` (column 0 for the working outcome, then the regressors).

Examples
--------
>>> import numpy as np
>>> y = np.array([1.0, 2.0, 0.0, 4.0]); X = np.zeros((4, 0)); codes = np.array([[0], [0], [1], [1]])
>>> dev, sw = weights_kernel(y, X, codes, np.zeros(4), np.ones(4), np.ones(2, dtype=np.bool_),
...                          np.array([0, 2]), np.zeros(2), np.zeros(0), True, 1.75)
>>> np.round(sw, 3).tolist()
[3.25, 3.75]
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["cross_kernel", "gs_kernel", "weights_kernel"]


@nb.njit(cache=True, inline="always")
def _state(
    i: int,
    y: NDArray,
    X: NDArray,
    codes: NDArray,
    off: NDArray,
    bounds: NDArray,
    a: NDArray,
    beta: NDArray,
    start: bool,
    ybar: float,
) -> tuple[float, float]:
    if start:
        mu = (y[i] + ybar) / 2.0
        return np.log(mu), mu
    eta = off[i]
    for j in range(X.shape[1]):
        eta += X[i, j] * beta[j]
    for h in range(codes.shape[1]):
        eta += a[bounds[h] + codes[i, h]]
    return eta, np.exp(eta)


@nb.njit(cache=True, inline="always")
def _alive(i: int, codes: NDArray, alive: NDArray, bounds: NDArray) -> bool:
    for h in range(codes.shape[1]):  # noqa: SIM110  (numba compiles loops, not generators)
        if not alive[bounds[h] + codes[i, h]]:
            return False
    return True


@nb.njit(cache=True)
def weights_kernel(
    y: NDArray,
    X: NDArray,
    codes: NDArray,
    off: NDArray,
    wt: NDArray,
    alive: NDArray,
    bounds: NDArray,
    a: NDArray,
    beta: NDArray,
    start: bool,
    ybar: float,
) -> tuple[float, NDArray]:
    """Poisson deviance of the kept rows and the IRLS weight sums of every level."""
    sw = np.zeros(alive.shape[0])
    dev = 0.0
    for i in range(y.shape[0]):
        if not _alive(i, codes, alive, bounds):
            continue
        eta, mu = _state(i, y, X, codes, off, bounds, a, beta, start, ybar)
        if y[i] > 0:
            dev += wt[i] * y[i] * (np.log(y[i]) - eta)
        dev -= wt[i] * (y[i] - mu)
        w = wt[i] * mu
        for h in range(codes.shape[1]):
            sw[bounds[h] + codes[i, h]] += w
    return 2.0 * dev, sw


@nb.njit(cache=True)
def gs_kernel(
    y: NDArray,
    X: NDArray,
    codes: NDArray,
    off: NDArray,
    wt: NDArray,
    alive: NDArray,
    bounds: NDArray,
    a: NDArray,
    beta: NDArray,
    start: bool,
    ybar: float,
    alpha: NDArray,
    g: int,
) -> NDArray:
    """Weighted sums per level of effect ``g`` of ``V - sum_{h != g} alpha_h`` (V = [z, X])."""
    k = X.shape[1]
    size = bounds[g + 1] - bounds[g]
    out = np.zeros((size, k + 1))
    for i in range(y.shape[0]):
        if not _alive(i, codes, alive, bounds):
            continue
        eta, mu = _state(i, y, X, codes, off, bounds, a, beta, start, ybar)
        w = wt[i] * mu
        lv = codes[i, g]
        r = eta - off[i] + (y[i] - mu) / mu
        for h in range(codes.shape[1]):
            if h != g:
                r -= alpha[bounds[h] + codes[i, h], 0]
        out[lv, 0] += w * r
        for j in range(k):
            r = X[i, j]
            for h in range(codes.shape[1]):
                if h != g:
                    r -= alpha[bounds[h] + codes[i, h], j + 1]
            out[lv, j + 1] += w * r
    return out


@nb.njit(cache=True)
def cross_kernel(
    y: NDArray,
    X: NDArray,
    codes: NDArray,
    off: NDArray,
    wt: NDArray,
    alive: NDArray,
    bounds: NDArray,
    a: NDArray,
    beta: NDArray,
    start: bool,
    ybar: float,
    alpha: NDArray,
) -> NDArray:
    """``V~' W V~`` with ``V~ = [z, X] - sum_h alpha_h`` over the kept rows."""
    k1 = X.shape[1] + 1
    out = np.zeros((k1, k1))
    r = np.empty(k1)
    for i in range(y.shape[0]):
        if not _alive(i, codes, alive, bounds):
            continue
        eta, mu = _state(i, y, X, codes, off, bounds, a, beta, start, ybar)
        w = wt[i] * mu
        r[0] = eta - off[i] + (y[i] - mu) / mu
        for j in range(1, k1):
            r[j] = X[i, j - 1]
        for h in range(codes.shape[1]):
            row = bounds[h] + codes[i, h]
            for j in range(k1):
                r[j] -= alpha[row, j]
        for p in range(k1):
            wp = w * r[p]
            for q in range(p, k1):
                out[p, q] += wp * r[q]
    for p in range(k1):
        for q in range(p):
            out[p, q] = out[q, p]
    return out
