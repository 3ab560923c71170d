"""Compiled per-chunk kernels of the sums engine (:mod:`migflows.estimation.gravity.sums`).

The passes that run many times per fit — group weight sums with the deviance, one
Gauss–Seidel update of a fixed effect, the cross-products ``V~' W V~`` — are one fused loop
over the rows of a chunk (:func:`pass_kernel`, the pass chosen by ``mode``): a row is read
once, its linear predictor, mean, working outcome and residuals are computed on the fly and
added to the level sums. In numpy each of these needs a dozen temporaries of the chunk's size
(gathers, masks, copies); fused, a pass is bound by reading the data. Why hand-written: no
library offers weighted group sums of residuals of several fixed effects evaluated from
coefficient vectors in one pass.

The row computation is written out inside the loop on purpose: moved into an
``inline="always"`` helper returning a tuple, numba 0.6x compiled the loop 8x slower
(130 ns against 16 ns per row for a Gauss–Seidel pass with two fixed effects and two
regressors, measured on the 2-core build machine).

Layout: fixed-effect vectors of all effects are concatenated (``bounds[g]`` is where effect
``g`` starts), ``alive`` marks the levels kept by the sample checks, ``alpha`` is
``(levels, 1 + k)`` (column 0 for the working outcome, then the regressors). ``off``, ``wt``
and ``rowmask`` may be empty (no offset, unit weights, every row with live levels kept);
``codes`` may be int32 or int64.

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

__all__ = ["MODE_CROSS", "MODE_GS", "MODE_WEIGHTS", "MODE_WEIGHTS_GS", "cross_kernel",
           "gs_kernel", "label_kernel", "pass_kernel", "weights_kernel"]  # fmt: skip

MODE_WEIGHTS, MODE_GS, MODE_CROSS, MODE_WEIGHTS_GS = 0, 1, 2, 3
_EMPTY_MASK = np.zeros(0, dtype=np.bool_)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def pass_kernel(
    mode: int,
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
    rowmask: NDArray,
) -> tuple[float, NDArray]:
    """One pass over a chunk: ``mode`` 0 weights, 1 Gauss–Seidel sums, 2 cross, 3 both 0 and 1.

    Mode 3 exists because the first Gauss–Seidel step needs no weight sum: it shares the pass.

    Returns ``(deviance, out)``: for mode 0 ``out`` is ``(levels, 1)`` (IRLS weight sums of
    every level of every effect), for mode 1 ``(levels of g, 1 + k)`` (weighted sums of
    ``V - sum_{h != g} alpha_h``), for mode 2 ``(1 + k, 1 + k)`` (``V~' W V~``), for mode 3
    ``(levels + levels of g, 1 + k)``: mode 0's sums in column 0 of the first ``levels`` rows,
    mode 1's below.
    """
    k = X.shape[1]
    n_fe = codes.shape[1]
    k1 = k + 1
    if mode == 0:
        out = np.zeros((alive.shape[0], 1))
    elif mode == 1:
        out = np.zeros((bounds[g + 1] - bounds[g], k1))
    elif mode == 3:
        out = np.zeros((alive.shape[0] + bounds[g + 1] - bounds[g], k1))
    else:
        out = np.zeros((k1, k1))
    rows = np.empty(n_fe, np.int64)
    r = np.empty(k1)
    has_off, has_wt, has_mask = off.shape[0] > 0, wt.shape[0] > 0, rowmask.shape[0] > 0
    dev = 0.0
    gs_row = alive.shape[0] if mode == 3 else 0  # where mode 3 puts the Gauss–Seidel sums
    for i in range(y.shape[0]):
        ok = True
        for h in range(n_fe):
            rows[h] = bounds[h] + codes[i, h]
            ok &= alive[rows[h]]
        if has_mask:
            ok &= rowmask[i]
        if not ok:
            continue
        o = off[i] if has_off else 0.0
        if start:
            mu = (y[i] + ybar) / 2.0
            eta = np.log(mu)
        else:
            eta = o
            for j in range(k):
                eta += X[i, j] * beta[j]
            for h in range(n_fe):
                eta += a[rows[h]]
            mu = np.exp(eta)
        wi = wt[i] if has_wt else 1.0
        w = wi * mu
        if mode == 0 or mode == 3:
            if y[i] > 0:
                dev += wi * y[i] * (np.log(y[i]) - eta)
            dev -= wi * (y[i] - mu)
            for h in range(n_fe):
                out[rows[h], 0] += w
        if mode == 1 or mode == 3:
            lv = gs_row + rows[g] - bounds[g]
            z = eta - o + (y[i] - mu) / mu
            for h in range(n_fe):
                if h != g:
                    z -= alpha[rows[h], 0]
            out[lv, 0] += w * z
            for j in range(k):
                v = X[i, j]
                for h in range(n_fe):
                    if h != g:
                        v -= alpha[rows[h], j + 1]
                out[lv, j + 1] += w * v
        if mode == 2:
            r[0] = eta - o + (y[i] - mu) / mu
            for j in range(k):
                r[j + 1] = X[i, j]
            for h in range(n_fe):
                for j in range(k1):
                    r[j] -= alpha[rows[h], j]
            for p in range(k1):
                wp = w * r[p]
                for q in range(p, k1):
                    out[p, q] += wp * r[q]
    if mode == 2:
        for p in range(k1):
            for q in range(p):
                out[p, q] = out[q, p]
    return 2.0 * dev, out


@nb.njit(cache=True, nogil=True)
def label_kernel(
    codes: NDArray,
    alive: NDArray,
    bounds: NDArray,
    rowmask: NDArray,
    label_a: NDArray,
    label_b: NDArray,
) -> tuple[NDArray, NDArray]:
    """Smallest label among the neighbours of every level of the first two fixed effects.

    One step of min-label propagation over the kept rows (``np.minimum.at`` did the same at
    about 100 ns per row).
    """
    out_a = np.full(label_a.shape[0], np.inf)
    out_b = np.full(label_b.shape[0], np.inf)
    has_mask = rowmask.shape[0] > 0
    for i in range(codes.shape[0]):
        ok = True
        for h in range(codes.shape[1]):
            ok &= alive[bounds[h] + codes[i, h]]
        if has_mask:
            ok &= rowmask[i]
        if not ok:
            continue
        a, b = codes[i, 0], codes[i, 1]
        m = min(label_a[a], label_b[b])
        if m < out_a[a]:
            out_a[a] = m
        if m < out_b[b]:
            out_b[b] = m
    return out_a, out_b


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
    rowmask: NDArray = _EMPTY_MASK,
) -> tuple[float, NDArray]:
    """Poisson deviance of the kept rows and the IRLS weight sums of every level."""
    dev, out = pass_kernel(MODE_WEIGHTS, y, X, codes, off, wt, alive, bounds, a, beta, start,
                           ybar, np.zeros((0, 1)), 0, rowmask)  # fmt: skip
    return dev, out[:, 0]


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
    rowmask: NDArray = _EMPTY_MASK,
) -> NDArray:
    """Weighted sums per level of effect ``g`` of ``V - sum_{h != g} alpha_h`` (V = [z, X])."""
    return pass_kernel(MODE_GS, y, X, codes, off, wt, alive, bounds, a, beta, start, ybar,
                       alpha, g, rowmask)[1]  # fmt: skip


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
    rowmask: NDArray = _EMPTY_MASK,
) -> NDArray:
    """``V~' W V~`` with ``V~ = [z, X] - sum_h alpha_h`` over the kept rows."""
    return pass_kernel(MODE_CROSS, y, X, codes, off, wt, alive, bounds, a, beta, start, ybar,
                       alpha, 0, rowmask)[1]  # fmt: skip
