"""The estimation sample of a log-link model with fixed effects: singletons and separation.

One routine, :func:`prune_sample`, used by every log-link estimator (PPML, negative binomial,
gamma PML). It iterates until nothing changes (the algorithm of ppmlhdfe and pyfixest):

1. drop observations alone in a fixed-effect level (singletons: fitted perfectly, no
   information on the slopes) and, with ``"fe"``, those in a level whose outcomes are all zero
   (separated by a fixed effect: its effect goes to minus infinity);
2. with ``"ir"``, run the iterative-rectifier (ReLU) test of Correia, Guimarães & Zylkin
   (2021, "Verifying the existence of maximum likelihood estimates for generalized linear
   models", arXiv:1903.01633), which finds zeros separated by any combination of regressors
   and fixed effects (:func:`separation_ir`); repeat step 1 if it dropped anything.

Why hand-written: pyfixest implements the same checks, but inside its estimation classes (no
array-level entry point that returns the mask), and ppmlhdfe is Stata.

Examples
--------
>>> import numpy as np
>>> y = np.array([0.0, 0.0, 1.0, 2.0, 3.0])
>>> codes = np.array([[0], [0], [1], [1], [2]])
>>> s = prune_sample(y, np.zeros((5, 0)), codes)
>>> s.keep.tolist(), s.reasons
([False, False, True, True, False], {'separated_fe': 2, 'singleton': 1})
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numba as nb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.linalg import splu

from migflows.errors import ConvergenceError, InvalidOptionError
from migflows.estimation.core.demean import Demeaner, DemeanerLike

__all__ = [
    "IR_DIRECT_MAX_PARAMS",
    "SEPARATION_CHECKS",
    "Certificate",
    "Sample",
    "no_separation_certificate",
    "prune_fixed_effects",
    "prune_sample",
    "recode",
    "separation_ir",
    "validate_separation",
]

Separation = Literal["fe", "ir"]
SEPARATION_CHECKS: tuple[str, ...] = ("fe", "ir")

IR_DIRECT_MAX_PARAMS = 20_000
"""Above this many regressors + fixed-effect levels the IR fit uses projections, not sparse LU."""


@dataclass(frozen=True)
class Sample:
    """The estimation sample left by :func:`prune_sample`.

    Attributes
    ----------
    keep : ndarray of bool (n,)
        Rows kept.
    dropped : DataFrame
        One row per dropped input row: ``row`` (position in the input) and ``reason``
        (``"singleton"``, ``"separated_fe"``, ``"separated_ir"``).
    """

    keep: NDArray[np.bool_]
    dropped: pd.DataFrame

    @property
    def reasons(self) -> dict[str, int]:
        """Dropped rows by reason."""
        reason = self.dropped["reason"]
        if not len(reason):
            return {}
        names, counts = np.unique(reason.astype(str).to_numpy(), return_counts=True)
        order = np.argsort(-counts, kind="stable")  # most frequent first
        return {str(names[i]): int(counts[i]) for i in order}


def validate_separation(separation: Sequence[str]) -> tuple[str, ...]:
    """Return ``separation`` as a tuple, refusing checks other than ``"fe"`` and ``"ir"``.

    Examples
    --------
    >>> validate_separation(["fe"])
    ('fe',)
    """
    sep = (separation,) if isinstance(separation, str) else tuple(separation)
    bad = sorted(set(sep) - set(SEPARATION_CHECKS))
    if bad:
        raise InvalidOptionError(
            f"separation={bad} is not allowed (given {separation!r}); use a subset of ('fe', 'ir')."
        )
    return sep


def recode(codes: NDArray[np.int64], keep: NDArray[np.bool_] | None = None) -> NDArray[np.int64]:
    """Re-encode every fixed-effect column as ``0..L-1`` (after rows were removed).

    Levels keep the order of the input codes. ``keep`` (optional) selects the rows first, in
    the same pass. Non-negative codes no larger than a few times the row count (what
    :func:`prune_sample` works with) are remapped through a table of the levels present;
    other codes through ``np.unique``.

    Examples
    --------
    >>> recode(np.array([[3, 7], [5, 7]])).tolist()
    [[0, 0], [1, 0]]
    >>> recode(np.array([[3, 7], [5, 7], [4, 2]]), np.array([True, False, True])).tolist()
    [[0, 1], [1, 0]]
    """
    codes = np.asarray(codes)
    n = codes.shape[0]
    rows = np.ones(n, dtype=np.bool_) if keep is None else np.asarray(keep, dtype=np.bool_)
    if codes.shape[1] == 0:
        return np.zeros((int(rows.sum()), 0), dtype=np.int64)
    lo = codes.min(axis=0) if n else np.zeros(codes.shape[1], dtype=np.int64)
    top = codes.max(axis=0) if n else np.zeros(codes.shape[1], dtype=np.int64)
    if n and lo.min() >= 0 and top.max() < 4 * n + 1024:
        return _compact_codes(np.ascontiguousarray(codes, dtype=np.int64), rows, top + 1)
    sub = codes[rows]
    out = np.empty(sub.shape, dtype=np.int64)
    for g in range(sub.shape[1]):
        out[:, g] = np.unique(sub[:, g], return_inverse=True)[1].reshape(-1)
    return out


@nb.njit(cache=True)
def _compact_codes(
    codes: NDArray[np.int64], keep: NDArray[np.bool_], sizes: NDArray[np.int64]
) -> NDArray[np.int64]:
    n, g_count = codes.shape
    m = 0
    for i in range(n):
        if keep[i]:
            m += 1
    out = np.empty((m, g_count), dtype=np.int64)
    for g in range(g_count):
        table = np.zeros(sizes[g], dtype=np.int64)
        for i in range(n):
            if keep[i]:
                table[codes[i, g]] = 1
        level = 0
        for v in range(sizes[g]):
            if table[v]:
                table[v] = level
                level += 1
        j = 0
        for i in range(n):
            if keep[i]:
                out[j, g] = table[codes[i, g]]
                j += 1
    return out


def prune_fixed_effects(
    y: NDArray, codes: NDArray[np.int64], keep: NDArray[np.bool_], singletons: bool, sep_fe: bool
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Iterate singleton and all-zero-group removal; returns keep, singleton, separated masks."""
    keep = np.array(keep, dtype=np.bool_)
    single = np.zeros_like(keep)
    separated = np.zeros_like(keep)
    if codes.shape[1] == 0 or not keep.any():
        return keep, single, separated
    c = np.ascontiguousarray(codes, dtype=np.int64)
    sizes = c.max(axis=0) + 1
    _prune_loop(np.asarray(y, dtype=np.float64), c, sizes, keep, single, separated,
                singletons, sep_fe)  # fmt: skip
    return keep, single, separated


@nb.njit(cache=True)
def _prune_loop(
    y: NDArray[np.float64],
    codes: NDArray[np.int64],
    sizes: NDArray[np.int64],
    keep: NDArray[np.bool_],
    single: NDArray[np.bool_],
    separated: NDArray[np.bool_],
    singletons: bool,
    sep_fe: bool,
) -> None:
    """Singletons, then all-zero groups, fixed effect by fixed effect, until nothing changes."""
    n, g_count = codes.shape
    changed = True
    alive = n
    while changed and alive > 0:
        changed = False
        for g in range(g_count):
            if singletons:
                cnt = np.zeros(sizes[g], dtype=np.int64)
                for i in range(n):
                    if keep[i]:
                        cnt[codes[i, g]] += 1
                for i in range(n):
                    if keep[i] and cnt[codes[i, g]] == 1:
                        single[i] = True
                        keep[i] = False
                        alive -= 1
                        changed = True
            if sep_fe:
                ysum = np.zeros(sizes[g])
                for i in range(n):
                    if keep[i]:
                        ysum[codes[i, g]] += y[i]
                for i in range(n):
                    if keep[i] and ysum[codes[i, g]] <= 0:
                        separated[i] = True
                        keep[i] = False
                        alive -= 1
                        changed = True


def prune_sample(
    y: NDArray,
    X: NDArray,
    codes: NDArray[np.int64],
    *,
    drop_singletons: bool = True,
    separation: Sequence[str] = SEPARATION_CHECKS,
) -> Sample:
    """Singletons and separated observations of a log-link model, iterated to a fixed point.

    Parameters
    ----------
    y : ndarray (n,)
        Non-negative outcome.
    X : ndarray (n, k)
        Regressors (used by the iterative rectifier).
    codes : ndarray (n, G) of int
        Fixed-effect codes.
    drop_singletons : bool, default True
    separation : sequence of {"fe", "ir"}, default ("fe", "ir")

    Returns
    -------
    Sample
    """
    sep = validate_separation(separation)
    n = y.shape[0]
    keep = np.ones(n, dtype=bool)
    reason = np.zeros(n, dtype=np.int8)  # index into the labels below
    if codes.ndim != 2:
        codes = codes.reshape(n, -1)
    while True:
        keep, single, separated = prune_fixed_effects(y, codes, keep, drop_singletons, "fe" in sep)
        reason[single] = 1
        reason[separated] = 2
        if not keep.any() or "ir" not in sep:
            break
        if not (y[keep] == 0).any():  # no zero outcome left: nothing can be separated
            break
        idx = np.flatnonzero(keep)
        ir = separation_ir(y[idx], X[idx], recode(codes, keep))
        if not ir.any():
            break
        reason[idx[ir]] = 3
        keep[idx[ir]] = False
    rows = np.flatnonzero(~keep)
    labels = np.array(["", "singleton", "separated_fe", "separated_ir"], dtype=object)
    dropped = pd.DataFrame({"row": rows, "reason": pd.Categorical(labels[reason[rows]])})
    return Sample(keep, dropped)


def _ir_fit_direct(
    X: NDArray, codes: NDArray[np.int64], interior: NDArray[np.bool_], tol: float
) -> Callable[[NDArray], NDArray]:
    """Exact IR least-squares fit: weighted normal equations, factorised once (sparse LU).

    Weight ``K = N_pos / tol^2`` on positive outcomes pins their fit at zero. Alternating
    projections cannot solve this weighted problem: with weights ten orders of magnitude apart
    they stall while their step criterion already says "converged". The weights are the same
    in every IR step, so one factorisation serves all; a tiny ridge handles the redundant
    dummies and one step of iterative refinement restores the accuracy it costs.
    """
    n = interior.shape[0]
    omega = np.where(interior, max(int(interior.sum()), 1) / tol**2, 1.0)
    blocks = [sparse.csr_matrix(X)] if X.shape[1] else []
    for g in range(codes.shape[1]):
        c = codes[:, g]
        blocks.append(
            sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, int(c.max()) + 1))
        )
    A = sparse.hstack(blocks, format="csc")
    col_norm = np.sqrt(np.asarray(A.multiply(A).T @ omega)).ravel()
    col_norm[col_norm == 0] = 1.0
    A = A @ sparse.diags(1.0 / col_norm)
    AtW = (A.T @ sparse.diags(omega)).tocsc()
    M = (AtW @ A).tocsc() + sparse.identity(A.shape[1], format="csc") * 1e-10
    lu = splu(M)

    def fitted(u: NDArray) -> NDArray:
        theta = lu.solve(AtW @ u)
        theta += lu.solve(AtW @ (u - A @ theta))  # one step of iterative refinement
        return np.asarray(A @ theta)

    return fitted


def _ir_fit_projection(
    X: NDArray, codes: NDArray[np.int64], interior: NDArray[np.bool_], tol: float
) -> Callable[[NDArray], NDArray]:
    """IR fit for large problems: projection onto ``span(X, D)`` intersected with ``{u_pos = 0}``.

    The limit of infinite weight on positive outcomes is the orthogonal projection of ``U`` onto
    the intersection of two subspaces, which alternating the two projections reaches (von
    Neumann): unweighted demeaning plus a small regression for ``span(X, D)``, zeroing the
    positive rows for the other. The map is linear, so the Irons-Tuck step accelerates it.

    Conjugate gradients on ``(I - S) r = (I - S) U`` (``S`` the composed projections) needed
    2.3x fewer projections on a 1e6-row panel but are numerically unsafe here: they divide by
    near-zero eigenvalues and can add spurious components lying in the intersection — exactly
    what the test reads as separation (seen on ppmlhdfe dataset 15). Power-type iterations
    never create such components, so they are kept.
    """
    n = interior.shape[0]
    ones = np.ones(n)
    has_fe = codes.shape[1] > 0
    dm = Demeaner(codes)
    Xt = dm(X, ones, tol=1e-12).x if has_fe and X.shape[1] else X
    Xpinv = np.linalg.pinv(Xt) if Xt.shape[1] else None

    # warm start: successive inputs are close, and M(v) = M(v - previous fixed-effect part)
    fe_part = np.zeros(n)

    def project_v(v: NDArray) -> NDArray:
        nonlocal fe_part
        if has_fe:
            r = dm(v - fe_part, ones, tol=1e-11).x[:, 0]
            fe_part = v - r
        else:
            r = v.copy()
        if Xpinv is not None:
            r = r - Xt @ (Xpinv @ r)
        out = v - r
        out[interior] = 0.0
        return out

    def fitted(u: NDArray) -> NDArray:
        v = u.copy()
        for _ in range(100_000):
            f1 = project_v(v)
            f2 = project_v(f1)
            d21 = f2 - f1
            if np.max(np.abs(d21)) < 1e-3 * tol:
                return f2
            d2 = d21 - f1 + v
            ssq = float(d2 @ d2)
            v = f2 - (float(d21 @ d2) / ssq) * d21 if ssq > 0 else f2
        raise ConvergenceError(
            "the iterative-rectifier projections did not converge; pass separation=('fe',) "
            "to skip the check (separated observations may then remain)"
        )

    return fitted


def separation_ir(
    y: NDArray,
    X: NDArray,
    codes: NDArray[np.int64],
    *,
    tol: float = 1e-5,
    maxiter: int = 1000,
    method: Literal["auto", "direct", "projection"] = "auto",
) -> NDArray[np.bool_]:
    """Iterative-rectifier test; returns a mask of separated observations (all with y == 0).

    Looks for ``u = X b + D a`` with ``u >= 0`` on zero outcomes and ``u = 0`` on positive ones;
    zeros with ``u > 0`` are separated. Each step fits ``U`` by least squares on regressors and
    fixed effects with the positive outcomes' fit pinned at zero, then sets
    ``U <- max(u_hat, 0)`` on zeros, until every fitted value is non-negative within ``tol``.
    ``method="auto"`` solves the fit exactly by sparse LU up to :data:`IR_DIRECT_MAX_PARAMS`
    parameters and by accelerated projections beyond.

    Examples
    --------
    >>> y = np.array([0.0, 1.0, 2.0, 0.0])
    >>> x = np.array([[1.0], [0.0], [0.0], [0.0]])  # x > 0 only where y == 0: separated
    >>> separation_ir(y, x, np.zeros((4, 0), dtype=np.int64)).tolist()
    [True, False, False, False]
    """
    interior = y > 0
    n_params = X.shape[1] + int((codes.max(axis=0) + 1).sum() if codes.shape[1] else 0)
    if interior.all() or n_params == 0:
        return np.zeros_like(interior)
    if method == "auto":
        method = "direct" if n_params <= IR_DIRECT_MAX_PARAMS else "projection"
    build = _ir_fit_direct if method == "direct" else _ir_fit_projection
    fitted = build(X, codes, interior, tol)
    u = (~interior).astype(np.float64)
    for _ in range(maxiter):
        uhat = fitted(u)
        uhat[interior] = 0.0
        uhat[(uhat > -0.1 * tol) & (uhat < tol)] = 0.0
        if np.all(uhat >= 0):
            return (~interior) & (uhat > 0)
        u = np.where(interior, 0.0, np.maximum(uhat, 0.0))
    raise ConvergenceError(
        f"the iterative-rectifier separation check did not converge in {maxiter} iterations; "
        "pass separation=('fe',) to skip it (separated observations may then remain)"
    )


@dataclass(frozen=True)
class Certificate:
    """Outcome of :func:`no_separation_certificate`.

    Attributes
    ----------
    proven : bool
        True when no observation can be separated (the iterative rectifier would flag none).
    margin : float
        Smallest entry of the certificate on the zero outcomes, relative to its largest entry.
    residual : float
        Largest ``|Z' lambda|`` (group sums and regressor sums) relative to ``|Z|' |lambda|``.
    """

    proven: bool
    margin: float
    residual: float


CERTIFICATE_MARGIN = 1e-8
"""Smallest relative entry of the certificate on zeros that counts as positive."""
CERTIFICATE_FACTOR = 1e4
"""The smallest entry on zeros must exceed this multiple of the largest sum ``Z' lambda``."""


def no_separation_certificate(
    y: NDArray[np.float64],
    X: NDArray[np.float64],
    codes: NDArray[np.int64],
    mu: NDArray[np.float64],
    weights: NDArray[np.float64] | None = None,
    *,
    demeaner: DemeanerLike | None = None,
    Xt: NDArray[np.float64] | None = None,
    tol: float = 1e-13,
) -> Certificate:
    """Prove from a converged Poisson fit that no observation is separated (or fail to).

    By Stiemke's lemma, there is no ``u = X b + D a`` with ``u = 0`` on positive outcomes,
    ``u >= 0`` on zeros and ``u != 0`` if and only if some ``lambda`` with
    ``[X D]' lambda = 0`` is strictly positive on every zero outcome (for such ``u``,
    ``0 = lambda' u = sum over zeros of lambda_i u_i`` forces ``u = 0``). At the Poisson
    estimate the scores vanish, so ``w (mu - y)`` is such a vector up to the fit's tolerance;
    it equals ``w mu > 0`` on zeros. The candidate is ``W r``, ``W = diag(w mu)`` and ``r``
    the weighted residual of ``(mu - y) / mu`` on the regressors and fixed effects (so
    ``[X D]' W r = 0`` whatever the fit's accuracy), and its sums ``[X D]' W r`` are then
    computed directly. ``proven`` means: the candidate's smallest entry on the zeros exceeds
    :data:`CERTIFICATE_MARGIN` of its largest entry and :data:`CERTIFICATE_FACTOR` times its
    largest remaining sum. Then the iterative rectifier can flag nothing and need not run.
    When separation exists the fit's means of the separated zeros go to zero and the
    projection makes some entry (near) zero or negative, so ``proven`` is False; it is also
    False when the numbers are too close to call — callers then run :func:`separation_ir`.

    Parameters
    ----------
    y, mu : ndarray (n,)
        Outcome and fitted means of a converged Poisson fit on this sample.
    X : ndarray (n, k)
        Regressors of the fit.
    codes : ndarray (n, G) of int
        Fixed-effect codes ``0..L-1`` on this sample.
    weights : ndarray (n,), optional
        Prior weights of the fit.
    demeaner : DemeanerLike, optional
        Backend bound to ``codes`` (default :class:`Demeaner`).
    Xt : ndarray (n, k), optional
        ``X`` partialled out at the weights ``weights * mu`` (the fit's), if at hand.
    tol : float, default 1e-13
        Demeaning tolerance, relative to the largest entry.

    Returns
    -------
    Certificate

    Examples
    --------
    >>> y = np.array([0.0, 1.0, 2.0, 0.0, 3.0, 1.0])
    >>> codes = np.array([[0], [0], [0], [1], [1], [1]])
    >>> mu = np.array([1.0, 1.0, 1.0, 4 / 3, 4 / 3, 4 / 3])  # the group means
    >>> no_separation_certificate(y, np.zeros((6, 0)), codes, mu).proven
    True
    """
    zeros = y <= 0
    if not zeros.any():
        return Certificate(True, 1.0, 0.0)
    w = np.ones_like(y) if weights is None else weights
    if not (np.all(mu > 0) and np.all(np.isfinite(mu))):
        return Certificate(False, 0.0, np.inf)
    wi = w * mu
    r = (mu - y) / mu
    has_fe = codes.shape[1] > 0
    dm = (demeaner if demeaner is not None else Demeaner(codes)) if has_fe else None
    if dm is not None:
        r = dm(r, wi, tol=tol, maxiter=100_000).x[:, 0]
    if X.shape[1]:
        Xd = Xt if Xt is not None else (dm(X, wi, tol=tol).x if dm is not None else X)
        xw = Xd * wi[:, None]
        coef = np.linalg.lstsq(xw.T @ Xd, xw.T @ r, rcond=None)[0]
        r = r - Xd @ coef
    lam = wi * r
    top = float(np.max(np.abs(lam)))
    if not (top > 0 and np.isfinite(top)):
        return Certificate(False, 0.0, np.inf)
    lam /= top
    # the sums the certificate must zero, computed directly (whatever the demeaning claimed);
    # lambda is scaled to a largest entry of one, each regressor to unit length
    worst = 0.0
    for g in range(codes.shape[1]):
        worst = max(worst, float(np.max(np.abs(np.bincount(codes[:, g], weights=lam)))))
    for j in range(X.shape[1]):
        norm = float(np.sqrt(np.sum(X[:, j] * X[:, j])))
        if norm > 0:
            worst = max(worst, abs(float(np.sum(X[:, j] * lam))) / norm)
    margin = float(np.min(lam[zeros]))
    proven = margin > max(CERTIFICATE_MARGIN, CERTIFICATE_FACTOR * worst)
    return Certificate(bool(proven), margin, worst)
