"""PPML-HDFE from sums over chunks: the out-of-core and distributed engine.

The in-memory engine (:func:`migflows.estimation.gravity.ppml.fit_ppml`) keeps the sample and
demeans n-sized vectors. This engine keeps only vectors of fixed-effect *levels* and asks a
chunk source (:mod:`migflows.estimation.gravity.sources`: a DataFrame in chunks, Parquet via
DuckDB, a Dask cluster) for sums over the rows, so peak memory is the fixed-effect vectors
plus one chunk, and the same code runs on one machine or on many.

Every quantity of ppmlhdfe's algorithm is a sum:

* sample: singletons and fixed-effect separation (``"fe"``) are level properties — a row is
  kept when every one of its levels is alive; each round counts rows and sums outcomes per
  level and kills levels with one row or zero outcome, until nothing changes (the same fixed
  point as :func:`migflows.estimation.core.separation.prune_sample`: the largest subset in
  which every level has two rows and a positive outcome is unique);
* IRLS: the working outcome ``z`` and the regressors ``X`` are demeaned by the fixed effects
  at weights ``mu`` in *coefficient space*: Gauss–Seidel over the fixed effects, each update
  ``alpha_g = sum_g w (v - sum_{h != g} alpha_h) / sum_g w`` is one pass of weighted group
  sums, accelerated by Irons–Tuck on the coefficient vectors (the map is affine);
  ``X~'WX~`` and ``X~'Wz~`` are one more pass; the new linear predictor is
  ``X b + D (alpha_z - alpha_X b)``, so it is never stored per row;
* the deviance (convergence, criterion ``|dev - dev_old| / (0.1 + |dev|)`` with the same
  adaptive demeaning tolerance as :func:`migflows.estimation.core.irls.irls`), the Hessian,
  the heteroskedasticity-robust meat ``sum s_i s_i'`` and cluster score sums are one final pass.

The iterative-rectifier separation check (``"ir"``) runs from sums too: its vectors are
functions of coefficients (:mod:`migflows.estimation.gravity.sums_separation`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from migflows.estimation.gravity.sources import FrameSource
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"g": np.repeat(np.arange(30), 10), "x": rng.normal(size=300)})
>>> df["y"] = rng.poisson(np.exp(0.3 * df["x"] + 0.1 * (df["g"] % 4))).astype(float)
>>> fit = fit_ppml_sums(FrameSource(df, y="y", x=["x"], fe=["g"], chunk_rows=120))
>>> fit.converged, round(float(fit.coef[0]), 2)
(True, 0.35)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import linalg
from scipy.special import gammaln

from migflows.errors import ConvergenceError, EstimationError
from migflows.estimation.core.separation import validate_separation
from migflows.estimation.gravity.sources import Chunk, ChunkSource, check_levels_fit
from migflows.estimation.gravity.sums_kernels import (
    MODE_CROSS,
    MODE_GS,
    MODE_WEIGHTS_GS,
    label_kernel,
    pass_kernel,
)
from migflows.estimation.gravity.sums_separation import (
    gauss_seidel,
    ir_rowmask,
    kept_rows,
    rectifier,
)

__all__ = ["SumsFit", "estimation_sample", "fit_ppml_sums"]

_NONE = np.zeros(0)  # no offset / unit weights: the kernels read an empty array as "none"
_KERNEL: Any = pass_kernel  # numba's Dispatcher type does not know the kernel's arguments


@dataclass(frozen=True)
class SumsFit:
    """What the sums engine returns (no array of the sample's size).

    Attributes
    ----------
    coef : ndarray (k,)
    names, fe_names : tuple of str
    hessian, meat : ndarray (k, k)
        ``X~' W X~`` and ``sum s_i s_i'`` at the estimate.
    cluster_meats : dict of str to ndarray (k, k)
        ``S_c' S_c`` with ``S_c`` the score sums per cluster, for each requested cluster term
        (and ``"a&b"`` for the intersection of a two-way request).
    n_clusters : dict of str to int
    nested : dict of (fe, cluster) to bool
        Whether every level of the fixed effect lies in one cluster.
    fe_levels : dict of str to int
        Levels present in the estimation sample.
    fe_components : int
        Connected components of the bipartite graph of the first two fixed effects on the
        estimation sample (1 with fewer than two fixed effects): their redundant levels.
    nobs, n_input : int
    n_dropped : dict of str to int
    iterations, passes : int
    converged : bool
    deviance, loglik, loglik_null, corr_rsquared : float
    seconds : float
    history : tuple of float
    """

    coef: NDArray[np.float64]
    names: tuple[str, ...]
    fe_names: tuple[str, ...]
    hessian: NDArray[np.float64]
    meat: NDArray[np.float64]
    cluster_meats: dict[str, NDArray[np.float64]]
    n_clusters: dict[str, int]
    nested: dict[tuple[str, str], bool]
    fe_levels: dict[str, int]
    fe_components: int
    nobs: int
    n_input: int
    n_dropped: dict[str, int]
    iterations: int
    converged: bool
    deviance: float
    loglik: float
    loglik_null: float
    corr_rsquared: float
    passes: int
    seconds: float
    backend: str = "chunked"
    history: tuple[float, ...] = field(default=(), repr=False)


# ------------------------------------------------------------------ per-chunk functions
# Each takes (chunk, state) and returns a tuple of arrays that the source sums over chunks.
_kept = kept_rows  # levels alive and not separated by the rectifier (sums_separation)


def _sub(chunk: Chunk, keep: NDArray[np.bool_]) -> Chunk:
    return Chunk(
        chunk.y[keep],
        chunk.X[keep],
        chunk.codes[keep],
        chunk.clusters[keep],
        None if chunk.weights is None else chunk.weights[keep],
        None if chunk.offset is None else chunk.offset[keep],
    )


def _prune_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    keep = _kept(chunk, st)
    y, codes = chunk.y[keep], chunk.codes[keep]
    out: list[NDArray] = [np.asarray(float(chunk.y.shape[0])), np.asarray(float(keep.sum()))]
    for g, size in enumerate(st["sizes"]):
        out.append(np.bincount(codes[:, g], minlength=size).astype(np.float64))
        out.append(np.bincount(codes[:, g], weights=y, minlength=size))
    return tuple(out)


def _reason_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    """Dropped rows by reason: the earliest event (a dead level, a rectifier round) of a row.

    Levels die at even times ``2 r`` (the fixed-effect checks of round ``r``), rectifier
    round ``r`` separates at ``2 r + 1``; a row keeps the reason of what dropped it first.
    """
    m = chunk.y.shape[0]
    reason, when = np.zeros(m, dtype=np.int64), np.full(m, np.inf)
    for g in range(chunk.codes.shape[1]):
        t = st["death"][g][chunk.codes[:, g]]
        first = t < when
        reason, when = (
            np.where(first, st["reason"][g][chunk.codes[:, g]], reason),
            np.minimum(t, when),
        )
    for r in range(len(st["ir"])):
        hit = ~ir_rowmask(chunk, {**st, "ir": st["ir"][r : r + 1]}) & (2 * r + 1 < when)
        reason, when = np.where(hit, 3, reason), np.where(hit, 2 * r + 1, when)
    return (np.bincount(reason, minlength=4).astype(np.float64),)


def _ysum_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    return (np.asarray(chunk.y[_kept(chunk, st)].sum()),)


def _linear(c: Chunk, st: dict[str, Any]) -> tuple[NDArray, NDArray]:
    """Linear predictor and mean of the rows of ``c`` at the state."""
    if st["start"]:
        mu = (c.y + st["ybar"]) / 2.0
        return np.log(mu), mu
    eta = c.X @ st["beta"] if c.X.shape[1] else np.zeros(c.y.shape[0])
    for g, a in enumerate(st["a"]):
        eta = eta + a[c.codes[:, g]]
    if c.offset is not None:
        eta = eta + c.offset
    return eta, np.exp(eta)


def _working(c: Chunk, st: dict[str, Any]) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Working columns ``V = [z, X]``, IRLS weights, eta and mu."""
    eta, mu = _linear(c, st)
    off = 0.0 if c.offset is None else c.offset
    z = eta - off + (c.y - mu) / mu
    wt = 1.0 if c.weights is None else c.weights
    return np.column_stack([z, c.X]), wt * mu, eta, mu


def _kernel_args(c: Chunk, st: dict[str, Any]) -> tuple:
    """The arrays every compiled kernel takes (fixed-effect vectors concatenated)."""
    bounds = np.concatenate([[0], np.cumsum(st["sizes"])]).astype(np.int64)
    a = np.concatenate(st["a"]) if "a" in st else np.zeros(int(bounds[-1]))
    return (
        c.y, np.ascontiguousarray(c.X), np.ascontiguousarray(c.codes),
        _NONE if c.offset is None else c.offset,
        _NONE if c.weights is None else c.weights,
        np.concatenate(st["alive"]), bounds, a, np.asarray(st.get("beta", np.zeros(0))),
        bool(st["start"]), float(st["ybar"]),
    )  # fmt: skip


def _weights_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    """Deviance, the group weight sums of every fixed effect and the first Gauss–Seidel sums.

    The last element is what :func:`_gs_pass` returns for fixed effect 0 at the current
    ``alpha`` (the same arithmetic, so the same numbers): the demeaning that follows starts
    with it instead of a pass of its own.
    """
    args = _kernel_args(chunk, st)
    alpha = np.ascontiguousarray(np.concatenate(st["alpha"], axis=0))
    dev, out = _KERNEL(MODE_WEIGHTS_GS, *args, alpha, 0, ir_rowmask(chunk, st))
    bounds = args[6]
    total = int(bounds[-1])
    sw = out[:total, 0]
    return (np.asarray(dev), *(sw[bounds[g] : bounds[g + 1]] for g in range(len(bounds) - 1)),
            out[total:])  # fmt: skip


def _residual(V: NDArray, codes: NDArray, alpha: Sequence[NDArray], skip: int = -1) -> NDArray:
    r = V.copy()
    for h, a in enumerate(alpha):
        if h != skip:
            r -= a[codes[:, h]]
    return r


def _gs_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    """Weighted group sums of ``V - sum_{h != g} alpha_h`` for fixed effect ``g``."""
    alpha = np.ascontiguousarray(np.concatenate(st["alpha"], axis=0))
    mask = ir_rowmask(chunk, st)
    return (_KERNEL(MODE_GS, *_kernel_args(chunk, st), alpha, int(st["g"]), mask)[1],)


def _cross_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    """``V~' W V~`` (its first row/column is z~, the rest X~)."""
    alpha = np.ascontiguousarray(np.concatenate(st["alpha"], axis=0))
    mask = ir_rowmask(chunk, st)
    return (_KERNEL(MODE_CROSS, *_kernel_args(chunk, st), alpha, 0, mask)[1],)


def _final_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    """Hessian, meat, cluster score sums, log likelihoods and nesting at the estimate."""
    c = _sub(chunk, _kept(chunk, st))
    V, w, eta, mu = _working(c, st)
    Xt = _residual(V, c.codes, st["alpha"])[:, 1:]
    wt = np.ones_like(c.y) if c.weights is None else c.weights
    s = Xt * (wt * (c.y - mu))[:, None]
    lgy = gammaln(c.y + 1)
    ybar = st["ybar"]
    stats = np.array(
        [
            np.sum(wt * (c.y * eta - mu - lgy)),
            np.sum(wt * (np.where(c.y > 0, c.y * np.log(ybar), 0.0) - ybar - lgy)),
            c.y.sum(), mu.sum(), (c.y * mu).sum(), (c.y**2).sum(), (mu**2).sum(),
            float(c.y.shape[0]),
        ]
    )  # fmt: skip
    out: list[NDArray] = [(Xt * w[:, None]).T @ Xt, s.T @ s, stats]
    for j, size in enumerate(st["cluster_sizes"]):
        code = c.clusters[:, j]
        out.append(np.stack([np.bincount(code, s[:, m], size) for m in range(s.shape[1])], 1))
        out.append(np.bincount(code, minlength=size).astype(np.float64))
    big = np.iinfo(np.int64).max
    for g, size in enumerate(st["sizes"]):
        for j in range(c.clusters.shape[1]):
            lo = np.full(size, big)
            hi = np.full(size, -1)
            np.minimum.at(lo, c.codes[:, g], c.clusters[:, j])
            np.maximum.at(hi, c.codes[:, g], c.clusters[:, j])
            out.extend([lo, hi])
    return tuple(out)


# ------------------------------------------------------------------ the driver
def _label_pass(chunk: Chunk, st: dict[str, Any]) -> tuple[NDArray, ...]:
    """Smallest label among the neighbours of every level of the first two fixed effects."""
    bounds = np.concatenate([[0], np.cumsum(st["sizes"])]).astype(np.int64)
    return label_kernel(np.ascontiguousarray(chunk.codes), np.concatenate(st["alive"]), bounds,
                        ir_rowmask(chunk, st), st["label_a"], st["label_b"])  # fmt: skip


def _components(run: Any, base: dict[str, Any], alive: list[NDArray], counts: list[NDArray]) -> int:
    """Connected components of the first two fixed effects, by min-label propagation.

    Each pass gives every level the smallest label among its neighbours (a min-reduction over
    chunks, so it runs on every backend); it stops when no label changes, after about the
    graph's diameter in passes (2-4 for origin-year x destination-year panels). The exact
    rank of two fixed effects is their levels minus these components (as in the in-memory
    ``fixef_rank``); hand-written because no out-of-core library computes it.
    """
    if len(alive) < 2:
        return 1
    present = [al & (c > 0) for al, c in zip(alive[:2], counts[:2], strict=True)]
    na = present[0].shape[0]
    label_a = np.where(present[0], np.arange(na, dtype=np.float64), np.inf)
    label_b = np.where(present[1], na + np.arange(present[1].shape[0], dtype=np.float64), np.inf)
    while True:
        new_a, new_b = run(_label_pass, {**base, "label_a": label_a, "label_b": label_b},
                           ("min", "min"))  # fmt: skip
        new_a, new_b = np.minimum(label_a, new_a), np.minimum(label_b, new_b)
        if np.array_equal(new_a, label_a) and np.array_equal(new_b, label_b):
            break
        label_a, label_b = new_a, new_b
    labels = np.concatenate([label_a[present[0]], label_b[present[1]]])
    return int(np.unique(labels).size)


class _Passes:
    """Counts passes over the data and shows progress."""

    def __init__(self, source: ChunkSource, progress: bool) -> None:
        self.source, self.count, self.progress = source, 0, progress

    def __call__(self, func: Any, st: dict[str, Any], how: Any = None) -> tuple[NDArray, ...]:
        self.count += 1
        t0 = time.perf_counter()
        out = self.source.map_reduce(func, st, how)
        if time.perf_counter() - t0 > 10:  # long passes (big data) are reported one by one
            self.report(f"pass {self.count} ({func.__name__.strip('_')}) "
                        f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        return out

    def report(self, text: str) -> None:
        if self.progress:
            print(f"[migflows ppml {getattr(self.source, 'label', 'chunked')}] {text}", flush=True)


def _prune(
    run: _Passes,
    sizes: Sequence[int],
    singletons: bool,
    sep_fe: bool,
    prev: dict[str, Any] | None = None,
    time_: int = 0,
) -> dict[str, Any]:
    """Singletons and fixed-effect separation to a fixed point, from the state ``prev``.

    Returns ``alive``, ``reason`` (1 singleton, 2 separated) and ``death`` (the time the level
    died, ``inf`` if alive) per fixed effect, ``counts`` (rows per level), ``n_input`` and
    ``nobs``.
    """
    if prev is None:
        prev = {
            "alive": [np.ones(s, dtype=bool) for s in sizes],
            "reason": [np.zeros(s, dtype=np.int64) for s in sizes],
            "death": [np.full(s, np.inf) for s in sizes],
            "ir": [],
        }
    alive, reason, death = list(prev["alive"]), prev["reason"], prev["death"]
    while True:
        res = run(_prune_pass, {"alive": alive, "sizes": list(sizes), "ir": prev["ir"]})
        n_input, n_kept = int(res[0]), int(res[1])
        changed = False
        counts = [res[2 + 2 * g] for g in range(len(sizes))]
        for g in range(len(sizes)):
            count, ysum = counts[g], res[3 + 2 * g]
            present = alive[g] & (count > 0)
            dead = np.zeros(len(count), dtype=bool)
            if singletons:
                hit = present & (count == 1)
                reason[g][hit & (reason[g] == 0)] = 1
                dead |= hit
            if sep_fe:
                hit = present & (ysum <= 0) & ~dead
                reason[g][hit & (reason[g] == 0)] = 2
                dead |= hit
            if dead.any():
                death[g][dead] = time_
                alive[g] = alive[g] & ~dead
                changed = True
        if not changed:
            break
    return {**prev, "alive": alive, "reason": reason, "death": death, "counts": counts,
            "n_input": n_input, "nobs": n_kept}  # fmt: skip


def estimation_sample(
    source: ChunkSource,
    *,
    separation: Sequence[str] = ("fe",),
    drop_singletons: bool = True,
    run: Any = None,
) -> dict[str, Any]:
    """The estimation sample as a state: which levels are alive, which rows the rectifier drops.

    Singletons and fixed-effect separation to a fixed point, then (with ``"ir"``) rectifier
    rounds, each followed by the fixed-effect checks again, as in
    :func:`~migflows.estimation.core.separation.prune_sample`. The rows kept are
    ``kept_rows(chunk, state)`` (:mod:`~migflows.estimation.gravity.sums_separation`).

    Examples
    --------
    >>> import pandas as pd
    >>> from migflows.estimation.gravity.sources import FrameSource
    >>> from migflows.estimation.gravity.sums_separation import kept_rows
    >>> df = pd.DataFrame({"g": [0, 0, 1, 1, 0, 1], "x": [1.0, 0, 0, 0, 0, 0],
    ...                    "y": [0.0, 1, 2, 1, 3, 0]})  # x > 0 only where y = 0
    >>> src = FrameSource(df, y="y", x=["x"], fe=["g"], chunk_rows=4)
    >>> st = estimation_sample(src, separation=("fe", "ir"))
    >>> [bool(v) for c in src.chunks() for v in kept_rows(c, st)]
    [False, True, True, True, True, True]
    """
    sep = validate_separation(separation)
    sizes = list(source.fe_sizes)
    run = run or _Passes(source, False)
    sample = _prune(run, sizes, drop_singletons, "fe" in sep)
    while "ir" in sep and sample["nobs"]:  # rectifier rounds, then the fixed-effect checks again
        theta = rectifier(run, {**sample, "sizes": sizes}, sizes, sample["counts"], source.coder.x)
        if theta is None:
            break
        run.report(f"iterative rectifier: round {len(sample['ir']) + 1} separated rows, "
                   f"{run.count} passes")  # fmt: skip
        sample = {**sample, "ir": [*sample["ir"], theta]}
        sample = _prune(run, sizes, drop_singletons, "fe" in sep, sample, 2 * len(sample["ir"]))
    return {**sample, "sizes": sizes}


def fit_ppml_sums(
    source: ChunkSource,
    *,
    tol: float = 1e-8,
    maxiter: int = 100,
    fixef_tol: float = 1e-10,
    fixef_maxiter: int = 10_000,
    separation: Sequence[str] = ("fe",),
    drop_singletons: bool = True,
    progress: bool = False,
) -> SumsFit:
    """Fit PPML with absorbed fixed effects from sums over the chunks of ``source``.

    Parameters
    ----------
    source : ChunkSource
        :class:`~migflows.estimation.gravity.sources.FrameSource`, ``ParquetSource`` or
        ``DaskSource``; its cluster variables get cluster score sums.
    tol, maxiter, fixef_tol, fixef_maxiter, drop_singletons
        As in :func:`~migflows.estimation.gravity.ppml.fit_ppml`.
    separation : sequence of {"fe", "ir"}, default ("fe",)
        ``"ir"`` adds the iterative rectifier
        (:mod:`~migflows.estimation.gravity.sums_separation`; many passes over the data).
    progress : bool, default False
        Print one line per IRLS iteration (deviance, criterion, passes, seconds).

    Returns
    -------
    SumsFit

    Raises
    ------
    InvalidOptionError
        ``separation`` asks for an unknown check.
    FixedEffectError
        The fixed-effect vectors would not fit in memory.
    EstimationError, ConvergenceError
    """
    t0 = time.perf_counter()
    coder = source.coder
    names, sizes = coder.x, list(source.fe_sizes)
    k = len(names)
    check_levels_fit(source.fe_names, sizes, k)
    run = _Passes(source, progress)
    sample = estimation_sample(source, separation=separation, drop_singletons=drop_singletons,
                               run=run)  # fmt: skip
    alive, n_input, nobs, counts, ir = (sample[key] for key in ("alive", "n_input", "nobs",
                                                                 "counts", "ir"))  # fmt: skip
    dropped = (run(_reason_pass, {**sample, "sizes": sizes})[0] if nobs < n_input
               else np.zeros(4))  # fmt: skip
    n_dropped = {
        name: int(v)
        for name, v in zip(("singleton", "separated_fe", "separated_ir"), dropped[1:], strict=True)
        if v
    }
    if nobs == 0:
        raise EstimationError(
            f"no observations left to estimate from ({n_input} rows, all singletons or in "
            "fixed-effect groups with only zero flows); use coarser fixed effects or more data"
        )
    base = {"alive": alive, "sizes": sizes, "cluster_sizes": list(source.cluster_sizes), "ir": ir}
    fe_levels = {n: int((a & (c > 0)).sum()) for n, a, c in zip(source.fe_names, alive, counts,
                                                                   strict=True)}  # fmt: skip
    # ybar (the start) and sum w y log y come from the sample-level sums of the final pass
    ysum = float(run(_ysum_pass, base)[0])
    if ysum <= 0:
        raise EstimationError(f"all {nobs} outcomes are zero; PPML has nothing to fit")
    ybar = ysum / nobs
    st: dict[str, Any] = {
        **base, "start": True, "ybar": ybar, "beta": np.zeros(k),
        "a": [np.zeros(s) for s in sizes], "alpha": [np.zeros((s, k + 1)) for s in sizes],
    }  # fmt: skip
    inner_tol = max(fixef_tol, 1e-4)
    dev_old = np.nan
    history: list[float] = []
    converged = False
    it = 0
    for it in range(1, maxiter + 1):
        w = run(_weights_pass, st)
        dev = float(w[0])
        if it > 1:
            crit = abs(dev - dev_old) / (0.1 + abs(dev))
            history.append(crit)
            run.report(f"iteration {it - 1}: deviance {dev:.6g}, criterion {crit:.2e}, "
                       f"{run.count} passes, {time.perf_counter() - t0:.1f} s")  # fmt: skip
            if crit < tol:
                if inner_tol <= fixef_tol:
                    converged = True
                    break
                inner_tol = fixef_tol
            else:
                inner_tol = max(fixef_tol, min(inner_tol, 0.1 * crit))
        dev_old = dev
        sw = list(w[1:-1])
        st["inv_sw"] = [np.divide(1.0, s, out=np.zeros_like(s), where=s > 0) for s in sw]
        gauss_seidel(run, st, sizes, inner_tol, fixef_maxiter, _gs_pass, first=w[-1])
        cross = run(_cross_pass, st)[0]
        beta = linalg.solve(cross[1:, 1:], cross[1:, 0], assume_a="pos") if k else np.zeros(0)
        st["a"] = [al[:, 0] - al[:, 1:] @ beta for al in st["alpha"]]
        st["beta"], st["start"] = beta, False
    if not converged:
        raise ConvergenceError(
            f"PPML (sums engine) did not converge in {maxiter} iterations (criterion "
            f"{history[-1] if history else np.nan:.2e} > tol {tol:.1e}); raise maxiter"
        )
    iterations = it - 1
    # the Hessian and scores need X partialled out at the final weights
    st["inv_sw"] = [np.divide(1.0, s, out=np.zeros_like(s), where=s > 0) for s in w[1:-1]]
    gauss_seidel(run, st, sizes, fixef_tol, fixef_maxiter, _gs_pass, first=w[-1])
    how = _final_how(len(source.cluster_sizes), len(sizes))
    fin = run(_final_pass, st, how)
    hessian, meat, stats = fin[0], fin[1], fin[2]
    cluster_meats, n_clusters, pos = {}, {}, 3
    for name in source.cluster_names:
        sums, cnt = fin[pos], fin[pos + 1]
        cluster_meats[name] = sums.T @ sums
        n_clusters[name] = int((cnt > 0).sum())
        pos += 2
    nested = {}
    for fe_name in source.fe_names:
        for name in source.cluster_names:
            lo, hi = fin[pos], fin[pos + 1]
            present = hi >= 0
            nested[(fe_name, name)] = bool(np.all(lo[present] == hi[present]))
            pos += 2
    sy, smu, symu, syy, smumu, n = stats[2:]
    cov_ymu = symu / n - sy * smu / n**2
    var_y, var_mu = syy / n - (sy / n) ** 2, smumu / n - (smu / n) ** 2
    run.report(f"converged in {iterations} iterations, {run.count} passes, "
               f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    return SumsFit(
        coef=np.asarray(st["beta"], dtype=np.float64),
        names=tuple(names),
        fe_names=source.fe_names,
        hessian=hessian,
        meat=meat,
        cluster_meats=cluster_meats,
        n_clusters=n_clusters,
        nested=nested,
        fe_levels=fe_levels,
        fe_components=_components(run, base, alive, counts),
        nobs=nobs,
        n_input=n_input,
        n_dropped=n_dropped,
        iterations=iterations,
        converged=True,
        deviance=dev,
        loglik=float(stats[0]),
        loglik_null=float(stats[1]),
        corr_rsquared=float(cov_ymu**2 / (var_y * var_mu)) if var_y * var_mu > 0 else np.nan,
        passes=run.count,
        seconds=time.perf_counter() - t0,
        backend=getattr(source, "label", "chunked"),
        history=tuple(history),
    )


def _final_how(n_clusters: int, n_fe: int) -> tuple[str, ...]:
    """How the final pass's results combine: sums, then min/max for the nesting checks."""
    return ("sum",) * (3 + 2 * n_clusters) + ("min", "max") * (n_fe * n_clusters)
