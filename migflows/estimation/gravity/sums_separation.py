"""The iterative-rectifier separation check from sums over chunks (the sums engine's ``"ir"``).

The in-memory check (:func:`migflows.estimation.core.separation.separation_ir`, Correia,
Guimarães & Zylkin 2021) keeps an n-sized vector ``u`` and fits it by least squares on the
regressors and fixed effects with the positive outcomes' fit pinned at zero. Out of core,
every vector of that algorithm is a function of *coefficients*, so it is never stored:

* the fit of any vector is ``x_i b + sum_h a_h[code_ih]`` (``theta = (b, a)``, fixed-effect
  sized), and the projections' iterates are ``1(y_i = 0) * (fit_theta(i) + c * base_i)``,
  where ``base`` is the rectified previous fit ``max(fit, 0)`` (or 1 at the first step);
* one projection onto ``span(X, D)`` is the unweighted demeaning of ``[v, X]`` by
  Gauss–Seidel in coefficient space (:func:`gauss_seidel`, the same driver the IRLS uses) and
  one pass for ``X~'X~`` and ``X~'r``; zeroing the positive rows is the ``1(y = 0)`` factor;
* the Irons–Tuck step of the alternating projections needs three inner products, one pass.

The rows a round separates are ``y_i = 0`` and ``fit_theta(i) >= tol`` at its final ``theta``:
a predicate on coefficients, so every later pass drops them without a row list
(:func:`kept_rows`). The algorithm, tolerances and stopping rules are those of the in-memory
projection solver, so both find the same rows (checked on the ppmlhdfe separation datasets).
Its cost is many passes (a demeaning per projection): at scale pass ``separation=("fe",)``
when regressors cannot separate (see ``docs/scale.md``). Why hand-written: no library runs
the rectifier on data that are not in memory.

Examples
--------
>>> import pandas as pd
>>> from migflows.estimation.gravity.sources import FrameSource
>>> from migflows.estimation.gravity.sums import estimation_sample
>>> df = pd.DataFrame({"g": [0, 0, 1, 1, 0, 1], "x": [1.0, 0, 0, 0, 0, 0],
...                    "y": [0.0, 1, 2, 1, 3, 0]})  # x > 0 only where y = 0
>>> src = FrameSource(df, y="y", x=["x"], fe=["g"], chunk_rows=4)
>>> state = estimation_sample(src, separation=("fe", "ir"))
>>> state["nobs"], [int(v) for c in src.chunks() for v in kept_rows(c, state)]
(5, [0, 1, 1, 1, 1, 1])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from migflows.errors import ConvergenceError
from migflows.estimation.core.separation import IR_DIRECT_MAX_PARAMS
from migflows.estimation.gravity.sources import Chunk

__all__ = ["IR_TOL", "gauss_seidel", "ir_rowmask", "kept_rows", "rectifier"]

IR_TOL = 1e-5
"""Tolerance of the rectifier (that of the in-memory check)."""


def _bounds(sizes: Sequence[int]) -> NDArray[np.int64]:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def _fit(c: Chunk, theta: NDArray, bounds: NDArray) -> NDArray:
    """``x_i b + sum_h a[bounds_h + code_ih]`` with ``theta = (b, a)``."""
    k = c.X.shape[1]
    f = c.X @ theta[:k] if k else np.zeros(c.y.shape[0])
    for h in range(c.codes.shape[1]):
        f = f + theta[k + bounds[h] + c.codes[:, h]]
    return f


def ir_rowmask(chunk: Chunk, st: dict[str, Any]) -> NDArray[np.bool_]:
    """Rows not separated by the rectifier rounds in ``st["ir"]`` (empty when there are none)."""
    rounds = st.get("ir", ())
    if not rounds:
        return np.zeros(0, dtype=bool)
    bounds = _bounds(st["sizes"])
    keep = np.ones(chunk.y.shape[0], dtype=bool)
    zero = chunk.y == 0
    for theta in rounds:
        keep &= ~(zero & (_fit(chunk, theta, bounds) >= IR_TOL))
    return keep


def kept_rows(chunk: Chunk, st: dict[str, Any]) -> NDArray[np.bool_]:
    """Rows of the estimation sample: every level alive and not separated by the rectifier."""
    keep = np.ones(chunk.y.shape[0], dtype=bool)
    for g, alive in enumerate(st["alive"]):
        keep &= alive[chunk.codes[:, g]]
    mask = ir_rowmask(chunk, st)
    return keep & mask if mask.size else keep


def gauss_seidel(
    run: Callable[..., tuple[NDArray, ...]],
    st: dict[str, Any],
    sizes: Sequence[int],
    tol: float,
    maxiter: int,
    gs_pass: Callable[[Chunk, dict[str, Any]], tuple[NDArray, ...]],
    first: NDArray | None = None,
) -> int:
    """Gauss–Seidel with Irons–Tuck in coefficient space; updates ``st["alpha"]`` in place.

    ``gs_pass`` returns the (weighted) sums per level of fixed effect ``st["g"]`` of the
    columns minus the other effects' ``st["alpha"]``; ``st["inv_sw"]`` holds one over the
    weight sums per level. ``first``, when given, is what the first pass (effect 0 at the
    starting ``st["alpha"]``) would return, computed by an earlier pass. Returns the
    iterations.
    """
    n_fe = len(sizes)
    bounds = _bounds(sizes)
    pending = [first]

    def sweep(flat: NDArray) -> NDArray:
        st["alpha"] = [flat[bounds[g] : bounds[g + 1]] for g in range(n_fe)]
        for g in range(n_fe):
            st["g"] = g
            ready = pending.pop() if g == 0 and pending else None
            num = run(gs_pass, st)[0] if ready is None else ready
            new = list(st["alpha"])
            new[g] = num * st["inv_sw"][g][:, None]
            st["alpha"] = new
        return np.concatenate(st["alpha"], axis=0)

    flat = np.concatenate(st["alpha"], axis=0)
    if n_fe == 1:
        sweep(flat)
        return 1
    for it in range(1, maxiter + 1):
        fx = sweep(flat)
        gx = sweep(fx)
        d1 = gx - fx
        if np.max(np.abs(d1)) < tol:
            st["alpha"] = [gx[bounds[g] : bounds[g + 1]] for g in range(n_fe)]
            return it
        d2 = d1 - fx + flat
        ssq = np.sum(d2 * d2, axis=0)
        coef = np.divide(np.sum(d1 * d2, axis=0), ssq, out=np.zeros_like(ssq), where=ssq > 0)
        flat = gx - coef[None, :] * d1
    raise ConvergenceError(
        f"demeaning by the fixed effects did not converge in {maxiter} iterations (tolerance "
        f"{tol:.1e}); raise fixef_maxiter or fixef_tol"
    )


# ------------------------------------------------------------------ per-chunk functions
def _sub(c: Chunk, keep: NDArray[np.bool_]) -> Chunk:
    return Chunk(c.y[keep], c.X[keep], c.codes[keep], c.clusters[keep], None, None)


def _vector(c: Chunk, st: dict[str, Any], spec: tuple[NDArray, float]) -> NDArray:
    """``1(y = 0) * (fit_theta + c * base)`` on the rows of ``c``."""
    theta, scale = spec
    bounds = _bounds(st["sizes"])
    v = _fit(c, theta, bounds)
    if scale:
        if st["ir_base"] is None:
            base = np.ones_like(v)
        else:
            fb = _fit(c, st["ir_base"], bounds)
            base = np.where(fb >= IR_TOL, fb, 0.0)  # clipped and rectified, as in memory
        v = v + scale * base
    return np.where(c.y == 0, v, 0.0)


def _columns(c: Chunk, st: dict[str, Any], skip: int) -> NDArray:
    """``[v, X]`` minus the fixed-effect parts ``alpha_h`` of every effect but ``skip``."""
    r = np.column_stack([_vector(c, st, st["ir_v"]), c.X])
    for h, a in enumerate(st["alpha"]):
        if h != skip:
            r -= a[c.codes[:, h]]
    return r


def _ir_gs_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    c = _sub(chunk, kept_rows(chunk, st))
    r = _columns(c, st, st["g"])
    size = st["sizes"][st["g"]]
    code = c.codes[:, st["g"]]
    return (np.stack([np.bincount(code, r[:, j], size) for j in range(r.shape[1])], 1),)


def _ir_cross_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    r = _columns(_sub(chunk, kept_rows(chunk, st)), st, -1)
    return (r.T @ r,)


def _ir_step_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    """``max |f2 - f1|``, ``d21 . d2`` and ``d2 . d2`` of the Irons–Tuck step."""
    c = _sub(chunk, kept_rows(chunk, st))
    f1, f2 = _vector(c, st, (st["ir_f1"], 0.0)), _vector(c, st, (st["ir_f2"], 0.0))
    d21 = f2 - f1
    d2 = d21 - f1 + _vector(c, st, st["ir_v"])
    top = np.max(np.abs(d21)) if d21.size else 0.0
    return np.asarray(top), np.asarray(d21 @ d2), np.asarray(d2 @ d2)


def _ir_count_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    """Zero outcomes kept, among them fits below ``-0.1 tol`` and at or above ``tol``; positives."""
    c = _sub(chunk, kept_rows(chunk, st))
    zero = c.y == 0
    f = _fit(c, st["ir_f2"], _bounds(st["sizes"]))[zero] if zero.any() else np.zeros(0)
    counts = [zero.sum(), (f <= -0.1 * IR_TOL).sum(), (f >= IR_TOL).sum(), (~zero).sum()]
    return (np.array(counts, float),)


def _omega(c: Chunk, st: dict[str, Any]) -> NDArray:
    return np.where(c.y > 0, st["ir_K"], 1.0)


def _design_rows(c: Chunk, st: dict[str, Any]) -> tuple[NDArray, NDArray, NDArray]:
    """Rows, columns and values of the sparse design ``A = [X, D]`` of the rows of ``c``."""
    k, m, bounds = c.X.shape[1], c.y.shape[0], _bounds(st["sizes"])
    idx = np.arange(m)
    rows = [np.repeat(idx, k), *(idx for _ in range(c.codes.shape[1]))]
    cols = [
        np.tile(np.arange(k), m),
        *(k + bounds[h] + c.codes[:, h] for h in range(len(bounds) - 1)),
    ]
    vals = [c.X.ravel(), *(np.ones(m) for _ in range(c.codes.shape[1]))]
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _ir_normal_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[Any, ...]:
    """``A' Omega A`` of the kept rows (sparse)."""
    from scipy import sparse

    c = _sub(chunk, kept_rows(chunk, st))
    r, col, v = _design_rows(c, st)
    A = sparse.csr_matrix((v, (r, col)), shape=(c.y.shape[0], st["ir_n"]))
    return ((A.T @ sparse.diags(_omega(c, st)) @ A).tocsr(),)


def _ir_rhs_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    """``A' Omega (u - A theta)`` with ``u`` the rectified vector of the step."""
    c = _sub(chunk, kept_rows(chunk, st))
    bounds = _bounds(st["sizes"])
    res = _omega(c, st) * (_vector(c, st, (np.zeros(st["ir_n"]), 1.0)) - _fit(c, st["ir_f2"],
                                                                           bounds))  # fmt: skip
    k = c.X.shape[1]
    out = np.zeros(st["ir_n"])
    out[:k] = c.X.T @ res
    for h in range(c.codes.shape[1]):
        out[k + bounds[h] : k + bounds[h + 1]] += np.bincount(
            c.codes[:, h], res, bounds[h + 1] - bounds[h]
        )
    return (out,)


def _rectify_direct(
    run: Callable[..., tuple[Any, ...]], st: dict[str, Any], maxiter: int
) -> NDArray | None:
    """The rectifier with the exact weighted fit (sparse LU), as the in-memory direct solver.

    Weight ``K = N_pos / tol^2`` on positive outcomes; columns scaled to unit weighted norm,
    a ridge of 1e-10 and one step of iterative refinement (the in-memory recipe), the normal
    matrix summed over chunks once.
    """
    from scipy import sparse
    from scipy.sparse.linalg import splu

    n_pos = run(_ir_count_pass, st)[0][3]
    st["ir_K"] = max(float(n_pos), 1.0) / IR_TOL**2
    M = run(_ir_normal_pass, st)[0]
    norm = np.sqrt(np.maximum(M.diagonal(), 0.0))
    norm[norm == 0] = 1.0
    scale = sparse.diags(1.0 / norm)
    lu = splu((scale @ M @ scale + sparse.identity(M.shape[0]) * 1e-10).tocsc())
    for _ in range(maxiter):
        st["ir_f2"] = np.zeros(st["ir_n"])
        theta = lu.solve(run(_ir_rhs_pass, st)[0] / norm)
        st["ir_f2"] = theta / norm
        theta = theta + lu.solve(run(_ir_rhs_pass, st)[0] / norm)  # iterative refinement
        st["ir_f2"] = theta / norm
        _, negative, positive, _ = run(_ir_count_pass, st)[0]
        if negative == 0:
            return st["ir_f2"].copy() if positive > 0 else None
        st["ir_base"] = st["ir_f2"].copy()
    raise ConvergenceError(
        f"the iterative-rectifier separation check did not converge in {maxiter} iterations; "
        "pass separation=('fe',) to skip it (separated observations may then remain)"
    )


# ------------------------------------------------------------------ the driver
def _project(
    run: Callable[..., tuple[NDArray, ...]],
    st: dict[str, Any],
    sizes: Sequence[int],
    spec: tuple[NDArray, float],
    maxiter: int,
) -> NDArray:
    """``theta`` of the least-squares fit of the vector ``spec`` on ``[X, D]`` (kept rows)."""
    k = len(st["ir_names"])
    st["ir_v"] = spec
    gauss_seidel(run, st, sizes, 1e-11, maxiter, _ir_gs_pass)  # warm-started from st["alpha"]
    rr = run(_ir_cross_pass, st)[0]
    b = np.linalg.pinv(rr[1:, 1:]) @ rr[1:, 0] if k else np.zeros(0)
    alpha = np.concatenate(st["alpha"], axis=0)
    return np.concatenate([b, alpha[:, 0] - alpha[:, 1:] @ b])


def rectifier(
    run: Callable[..., tuple[NDArray, ...]],
    base: dict[str, Any],
    sizes: Sequence[int],
    counts: Sequence[NDArray],
    names: Sequence[str],
    *,
    maxiter: int = 1000,
    fixef_maxiter: int = 100_000,
) -> NDArray | None:
    """One round of the iterative rectifier on the current sample.

    Parameters
    ----------
    run : callable
        ``run(pass_function, state, how)``: one pass over the chunk source.
    base : dict
        The engine's state (``alive``, ``sizes``, earlier rounds in ``ir``).
    sizes, counts
        Levels per fixed effect and rows per level in the current sample.
    names : sequence of str
        Regressor names.

    Returns
    -------
    ndarray or None
        The round's ``theta`` (rows with ``y = 0`` and fit ``>= IR_TOL`` are separated), or
        None when nothing is separated.
    """
    k = len(names)
    n_theta = k + int(sum(sizes))
    st: dict[str, Any] = {
        **base, "ir_names": tuple(names), "ir_base": None,
        "inv_sw": [np.divide(1.0, c, out=np.zeros_like(c), where=c > 0) for c in counts],
        "alpha": [np.zeros((s, 1 + k)) for s in sizes],
        "ir_f2": np.zeros(n_theta),
    }  # fmt: skip
    if run(_ir_count_pass, st)[0][0] == 0:  # no zero outcome left: nothing can be separated
        return None
    st["ir_n"] = n_theta
    if k + sum(int((c > 0).sum()) for c in counts) <= IR_DIRECT_MAX_PARAMS:
        return _rectify_direct(run, st, maxiter)
    zero_theta = np.zeros(n_theta)
    for _ in range(maxiter):
        spec: tuple[NDArray, float] = (zero_theta, 1.0)  # u = 1(y = 0) or max(fit, 0)
        for _ in range(fixef_maxiter):
            st["ir_f1"] = _project(run, st, sizes, spec, fixef_maxiter)
            st["ir_f2"] = _project(run, st, sizes, (st["ir_f1"], 0.0), fixef_maxiter)
            st["ir_v"] = spec
            top, num, ssq = run(_ir_step_pass, st, ("max", "sum", "sum"))
            if float(top) < 1e-3 * IR_TOL:
                break
            coef = float(num) / float(ssq) if float(ssq) > 0 else 0.0
            spec = (st["ir_f2"] - coef * (st["ir_f2"] - st["ir_f1"]), 0.0)
        else:
            raise ConvergenceError(
                "the iterative-rectifier projections did not converge; pass "
                "separation=('fe',) to skip the check (separated observations may then remain)"
            )
        _, negative, positive, _ = run(_ir_count_pass, st)[0]
        if negative == 0:
            return st["ir_f2"].copy() if positive > 0 else None
        st["ir_base"] = st["ir_f2"].copy()
    raise ConvergenceError(
        f"the iterative-rectifier separation check did not converge in {maxiter} iterations; "
        "pass separation=('fe',) to skip it (separated observations may then remain)"
    )
