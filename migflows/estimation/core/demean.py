"""Weighted demeaning by several fixed effects (the within transformation for HDFE models).

Demeaning ``x`` by fixed effects ``D`` with weights ``w`` means computing the weighted
least-squares residual ``x - D @ alpha``, ``alpha = argmin sum w (x - D alpha)^2``. With one
fixed effect this is a weighted group mean; with several it is found by alternating projections
(the method of Guimarães & Portugal 2010 and Gaure 2013): subtract the weighted group mean of
each fixed effect in turn until nothing changes.

Plain alternating projections converge slowly when fixed effects are strongly linked, as
origin-year, destination-year and pair effects of an OD panel are. We accelerate them with the
Irons–Tuck (1969) extrapolation that fixest uses (Bergé 2018): after two sweeps ``X = F(r)``,
``GX = F(X)`` the next point is ``GX - a (GX - X)`` with ``a`` the step that best cancels the
second difference. The extrapolation stays in ``x + span(D)``, so its fixed point is the exact
residual. Each column is demeaned independently.

Warm starts: demeaning is invariant to adding anything in ``span(D)``. Callers that demean a
sequence of nearby problems (IRLS in PPML) pass ``x - (previous fixed-effect part)`` or the
previous residual itself, which is already close to the answer, so few sweeps are needed.

Columns are independent: from :data:`PARALLEL_MIN_ROWS` rows on, several columns are spread
over numba's threads (one column a thread, as pyfixest does); smaller inputs run one after
another, where thread start-up would cost more than it saves. Columns are passed as rows of a
C-contiguous ``(k, n)`` array so that one compiled signature serves every call.

Why hand-written: pyfixest's demeaner is not a stable public API (it moved between Python,
numba and Rust back-ends across releases), has no warm-start hook, and its compiled core aborts
the interpreter on degenerate input; this module is small and owns its failure modes.

Examples
--------
>>> import numpy as np
>>> codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
>>> x = np.array([[1.0], [2.0], [3.0], [5.0]])
>>> res = demean(x, codes, np.ones(4), tol=1e-12)
>>> np.round(res.x.ravel(), 6)
array([ 0.25, -0.25, -0.25,  0.25])
>>> bool(res.converged)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numba as nb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from migflows.errors import FixedEffectError, MissingColumnError, MissingValueError

__all__ = [
    "DemeanResult",
    "Demeaner",
    "DemeanerFactory",
    "DemeanerLike",
    "demean",
    "encode_fixed_effects",
]


@dataclass(frozen=True, slots=True)
class DemeanResult:
    """Output of :func:`demean`.

    Attributes
    ----------
    x : ndarray, shape (n, k)
        Weighted residuals of each column on the fixed effects.
    converged : bool
        Whether every column met the tolerance.
    iterations : ndarray of int, shape (k,)
        Accelerated iterations used per column (each is two sweeps over all fixed effects).
    """

    x: NDArray[np.float64]
    converged: bool
    iterations: NDArray[np.int64]


class DemeanerLike(Protocol):
    """What an estimator needs from a demeaning backend (the engine seam).

    A callable bound to one set of fixed-effect codes that partials them out of ``x`` (n,) or
    (n, k) at ``weights`` and returns a :class:`DemeanResult`. :class:`Demeaner` (in-memory
    alternating projections) is the default; an out-of-core or Dask backend implements the
    same call.
    """

    def __call__(
        self,
        x: NDArray[np.float64],
        weights: NDArray[np.float64] | None = None,
        *,
        tol: float = 1e-10,
        maxiter: int = 10_000,
    ) -> DemeanResult:
        """Weighted residuals of the columns of ``x`` on the fixed effects."""
        ...


DemeanerFactory = Callable[[NDArray[np.int64]], DemeanerLike]
"""Builds a backend from fixed-effect codes ``(n, G)``: ``Demeaner`` itself is one."""


def encode_fixed_effects(
    data: pd.DataFrame, fixed_effects: tuple[tuple[str, ...], ...] | list[tuple[str, ...]]
) -> pd.DataFrame:
    """Turn fixed-effect specifications into integer codes, one column per fixed effect.

    Parameters
    ----------
    data : DataFrame
        Holds the variables named in ``fixed_effects``.
    fixed_effects : sequence of tuple of str
        As in :attr:`migflows.models.formula.Formula.fixed_effects`; ``("orig", "year")``
        is the interaction ``orig^year``.

    Returns
    -------
    DataFrame
        Same index as ``data``; columns named ``"orig^year"`` etc. holding codes ``0..L-1``.

    Raises
    ------
    MissingColumnError
        A variable is not a column of ``data``.
    MissingValueError
        A fixed-effect variable holds missing values.

    Examples
    --------
    >>> df = pd.DataFrame({"o": ["a", "a", "b"], "y": [1, 2, 1]})
    >>> encode_fixed_effects(df, [("o",), ("o", "y")])
       o  o^y
    0  0    0
    1  0    1
    2  1    2
    """
    out: dict[str, NDArray[np.int64]] = {}
    for fe in fixed_effects:
        name = "^".join(fe)
        missing = [v for v in fe if v not in data.columns]
        if missing:
            raise MissingColumnError(
                f"fixed effect {name!r} needs column(s) {missing} that are not in the data; "
                f"available columns: {list(data.columns)[:20]}"
            )
        cols = [data[v] for v in fe]
        nan = np.zeros(len(data), dtype=bool)
        for c in cols:
            nan |= c.isna().to_numpy()
        if nan.any():
            raise MissingValueError(
                f"fixed effect {name!r} has {int(nan.sum())} missing value(s); "
                "drop or fill those rows before fitting"
            )
        if len(cols) == 1:
            codes = pd.factorize(cols[0], sort=True)[0]
        else:
            parts = [pd.factorize(c, sort=True)[0].astype(np.int64) for c in cols]
            combined = parts[0]
            for p in parts[1:]:
                combined = combined * (int(p.max()) + 1) + p
            codes = pd.factorize(combined, sort=True)[0]
        out[name] = codes.astype(np.int64)
    return pd.DataFrame(out, index=data.index)


@nb.njit(cache=True)
def _weight_sums(
    w: NDArray[np.float64], codes: NDArray[np.integer], offsets: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Weight sums of every level of every fixed effect, one pass over the rows."""
    g_count, n = codes.shape
    sw = np.zeros(offsets[-1])
    for i in range(n):
        wi = w[i]
        for g in range(g_count):
            sw[offsets[g] + codes[g, i]] += wi
    return sw


@nb.njit(cache=True)
def _sweep(
    src: NDArray[np.float64],
    dst: NDArray[np.float64],
    w: NDArray[np.float64],
    codes: NDArray[np.integer],
    offsets: NDArray[np.int64],
    inv_sw: NDArray[np.float64],
    buf: NDArray[np.float64],
    accumulate_next: bool,
) -> float:
    """``dst = F(src)``: subtract the weighted group mean of each fixed effect in turn.

    On entry ``buf`` holds the weighted sums of ``src`` for the first fixed effect. Each pass
    subtracts one fixed effect's means and gathers the sums for the next, so a sweep over G
    fixed effects is G passes over the data (the loop is memory bound: passes are what cost);
    with ``accumulate_next`` the last pass also gathers the first fixed effect's sums of
    ``dst`` for the following sweep. Returns the largest ``|dst - src|``.

    Sums are gathered in a register while consecutive rows share a level and written out when
    it changes: OD panels sorted by pair (or year) repeat a level over many rows, and adding
    into one memory cell row after row chains every add on the one before.
    """
    g_count, n = codes.shape
    delta = 0.0
    for g in range(g_count):
        lo = offsets[g]
        for level in range(lo, offsets[g + 1]):
            buf[level] *= inv_sw[level]
        base = src if g == 0 else dst
        last = g + 1 == g_count
        if not last:
            lo2 = offsets[g + 1]
            for level in range(lo2, offsets[g + 2]):
                buf[level] = 0.0
            cur = -1
            acc = 0.0
            for i in range(n):
                v = base[i] - buf[lo + codes[g, i]]
                dst[i] = v
                c = codes[g + 1, i]
                if c == cur:
                    acc += w[i] * v
                else:
                    if cur >= 0:
                        buf[lo2 + cur] += acc
                    cur = c
                    acc = w[i] * v
            if cur >= 0:
                buf[lo2 + cur] += acc
        else:
            # (the caller never asks a single fixed effect to accumulate: buf would be reused)
            if accumulate_next:
                for level in range(offsets[0], offsets[1]):
                    buf[level] = 0.0
            cur = -1
            acc = 0.0
            for i in range(n):
                v = base[i] - buf[lo + codes[g, i]]
                dst[i] = v
                d = abs(v - src[i])
                if d > delta:
                    delta = d
                if accumulate_next:
                    c = codes[0, i]
                    if c == cur:
                        acc += w[i] * v
                    else:
                        if cur >= 0:
                            buf[cur] += acc
                        cur = c
                        acc = w[i] * v
            if cur >= 0:
                buf[cur] += acc
    return delta


@nb.njit(cache=True)
def _first_sums(
    r: NDArray[np.float64],
    w: NDArray[np.float64],
    codes: NDArray[np.integer],
    offsets: NDArray[np.int64],
    buf: NDArray[np.float64],
) -> None:
    for level in range(offsets[0], offsets[1]):
        buf[level] = 0.0
    for i in range(r.shape[0]):
        buf[codes[0, i]] += w[i] * r[i]


@nb.njit(cache=True)
def _demean_one(
    r: NDArray[np.float64],
    w: NDArray[np.float64],
    codes: NDArray[np.integer],
    offsets: NDArray[np.int64],
    inv_sw: NDArray[np.float64],
    tol: float,
    maxiter: int,
    buf: NDArray[np.float64],
    fx: NDArray[np.float64],
    gx: NDArray[np.float64],
) -> tuple[int, bool]:
    """Demean one column ``r`` in place; ``buf``, ``fx``, ``gx`` are scratch space."""
    n = r.shape[0]
    _first_sums(r, w, codes, offsets, buf)
    if codes.shape[0] == 1:  # one fixed effect: a single sweep is exact
        _sweep(r, r, w, codes, offsets, inv_sw, buf, False)
        return 1, True
    it = 0
    while it < maxiter:
        it += 1
        # X = F(r); stop when a sweep changes nothing beyond tol
        if _sweep(r, fx, w, codes, offsets, inv_sw, buf, True) < tol:
            r[:] = fx
            return it, True
        # GX = F(X)
        if _sweep(fx, gx, w, codes, offsets, inv_sw, buf, False) < tol:
            r[:] = gx
            return it, True
        # Irons-Tuck extrapolation in residual space
        vprod = 0.0
        ssq = 0.0
        for i in range(n):
            dgx = gx[i] - fx[i]
            d2x = dgx - fx[i] + r[i]
            vprod += dgx * d2x
            ssq += d2x * d2x
        if ssq <= 0.0:
            r[:] = gx
            return it, True
        coef = vprod / ssq
        for level in range(offsets[0], offsets[1]):
            buf[level] = 0.0
        cur = -1
        acc = 0.0
        for i in range(n):
            v = gx[i] - coef * (gx[i] - fx[i])
            r[i] = v
            c = codes[0, i]
            if c == cur:
                acc += w[i] * v
            else:
                if cur >= 0:
                    buf[cur] += acc
                cur = c
                acc = w[i] * v
        if cur >= 0:
            buf[cur] += acc
    return it, False


@nb.njit(cache=True)
def _demean_columns(
    xt: NDArray[np.float64],
    w: NDArray[np.float64],
    codes: NDArray[np.integer],
    offsets: NDArray[np.int64],
    inv_sw: NDArray[np.float64],
    tol: float,
    maxiter: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
    k, n = xt.shape
    out = xt.copy()
    iters = np.zeros(k, dtype=np.int64)
    conv = np.zeros(k, dtype=np.bool_)
    buf = np.empty(offsets[-1])
    fx = np.empty(n)
    gx = np.empty(n)
    for j in range(k):
        iters[j], conv[j] = _demean_one(out[j], w, codes, offsets, inv_sw, tol, maxiter,
                                        buf, fx, gx)  # fmt: skip
    return out, iters, conv


@nb.njit(cache=True, parallel=True)
def _demean_columns_parallel(
    xt: NDArray[np.float64],
    w: NDArray[np.float64],
    codes: NDArray[np.integer],
    offsets: NDArray[np.int64],
    inv_sw: NDArray[np.float64],
    tol: float,
    maxiter: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
    """:func:`_demean_columns` with the columns spread over numba's threads."""
    k, n = xt.shape
    out = xt.copy()
    iters = np.zeros(k, dtype=np.int64)
    conv = np.zeros(k, dtype=np.bool_)
    for j in nb.prange(k):
        buf = np.empty(offsets[-1])
        fx = np.empty(n)
        gx = np.empty(n)
        it, done = _demean_one(out[j], w, codes, offsets, inv_sw, tol, maxiter, buf, fx, gx)
        iters[j] = it
        conv[j] = done
    return out, iters, conv


PARALLEL_MIN_ROWS = 100_000
"""Several columns of at least this many rows are demeaned on numba's threads, one a thread."""


def demean(
    x: NDArray[np.float64],
    codes: NDArray[np.integer] | pd.DataFrame,
    weights: NDArray[np.float64] | None = None,
    *,
    tol: float = 1e-10,
    maxiter: int = 10_000,
) -> DemeanResult:
    """Weighted residuals of the columns of ``x`` on several fixed effects.

    Parameters
    ----------
    x : ndarray, shape (n,) or (n, k)
        Columns to demean (not modified).
    codes : ndarray of int, shape (n, G), or DataFrame
        Fixed-effect codes ``0..L_g-1`` per column, e.g. from :func:`encode_fixed_effects`.
    weights : ndarray, shape (n,), optional
        Strictly positive weights; ones when omitted.
    tol : float, default 1e-10
        Stop a column when the largest absolute change of the residuals over a sweep is below
        ``tol`` (the criterion of pyfixest; residual units).
    maxiter : int, default 10000
        Accelerated iterations per column (each is two sweeps).

    Returns
    -------
    DemeanResult
        ``x`` (n, k) residuals, ``converged`` and ``iterations`` per column.

    Raises
    ------
    FixedEffectError
        ``codes`` has the wrong shape, negative codes or a level with zero total weight.

    Examples
    --------
    >>> codes = np.array([[0], [0], [1]])
    >>> demean(np.array([1.0, 3.0, 5.0]), codes).x.ravel()
    array([-1.,  1.,  0.])
    """
    return Demeaner(codes)(x, weights, tol=tol, maxiter=maxiter)


class Demeaner:
    """Demean many arrays by the same fixed effects (codes checked and laid out once).

    The group weight sums are recomputed at every call (one compiled pass over the rows, less
    than comparing the weights with a cached copy would cost).

    Parameters
    ----------
    codes : ndarray of int, shape (n, G), or DataFrame
        Fixed-effect codes ``0..L_g-1``.

    Examples
    --------
    >>> dm = Demeaner(np.array([[0], [0], [1]]))
    >>> dm(np.array([1.0, 3.0, 5.0])).x.ravel()
    array([-1.,  1.,  0.])
    """

    def __init__(self, codes: NDArray[np.integer] | pd.DataFrame) -> None:
        c = np.asarray(codes, dtype=np.int64)
        if c.ndim == 1:
            c = c.reshape(-1, 1)
        if c.size and c.min() < 0:
            raise FixedEffectError("fixed-effect codes must be non-negative integers")
        self.n, self.n_fe = c.shape
        # int32 codes halve the memory traffic of the sweeps (memory bound) and the footprint
        small = not c.size or int(c.max()) < np.iinfo(np.int32).max
        self.codes_t: NDArray[np.integer] = np.ascontiguousarray(
            c.T, dtype=np.int32 if small else np.int64
        )
        self.sizes = (c.max(axis=0) + 1) if c.size else np.zeros(self.n_fe, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)

    def _inverse_weight_sums(self, w: NDArray[np.float64]) -> NDArray[np.float64]:
        # recomputed on every call: one pass over the rows, cheaper than comparing the
        # weights with a cached copy (and safe when the caller changes its array in place)
        sw = _weight_sums(w, self.codes_t, self.offsets)
        if np.any(sw <= 0):
            bad = int(np.flatnonzero(sw <= 0)[0])
            g_bad = int(np.searchsorted(self.offsets, bad, side="right") - 1)
            raise FixedEffectError(
                f"fixed effect number {g_bad} has a level with no observations or zero total "
                "weight; re-encode the codes as 0..L-1 over the estimation sample"
            )
        return 1.0 / sw

    def __call__(
        self,
        x: NDArray[np.float64],
        weights: NDArray[np.float64] | None = None,
        *,
        tol: float = 1e-10,
        maxiter: int = 10_000,
    ) -> DemeanResult:
        """Demean ``x`` (n,) or (n, k); see :func:`demean`."""
        arr = np.asarray(x, dtype=np.float64)
        arr2 = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        n = arr2.shape[0]
        if n != self.n:
            raise FixedEffectError(
                f"fixed-effect codes have {self.n} rows but x has {n}; pass one code row per "
                "observation"
            )
        if self.n_fe == 0 or n == 0:
            return DemeanResult(arr2.copy(), True, np.zeros(arr2.shape[1], dtype=np.int64))
        w = np.ones(n) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
        inv_sw = self._inverse_weight_sums(w)
        k = arr2.shape[1]
        parallel = k > 1 and n >= PARALLEL_MIN_ROWS and nb.get_num_threads() > 1
        kernel = _demean_columns_parallel if parallel else _demean_columns
        out_t, iters, conv = kernel(
            np.ascontiguousarray(arr2.T),
            w,
            self.codes_t,
            self.offsets,
            inv_sw,
            float(tol),
            int(maxiter),
        )
        return DemeanResult(out_t.T, bool(np.all(conv)), iters)
