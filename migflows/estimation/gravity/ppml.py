"""Poisson pseudo-maximum likelihood with high-dimensional fixed effects (array level).

:func:`fit_ppml` is the numerical core behind ``migflows.gravity(..., estimator="ppml")``. It
takes arrays (or labelled pandas objects), fits by iteratively reweighted least squares (IRLS)
with the fixed effects partialled out by weighted demeaning, and returns a :class:`PPMLFit` with
every raw piece a results object needs (coefficients, fitted means, the partialled-out regressors,
Hessian, scores, the estimation sample and what was dropped and why).

Algorithm (Correia, Guimarães & Zylkin 2020, "Fast Poisson estimation with high-dimensional
fixed effects", *Stata Journal* 20(1), and its ppmlhdfe implementation):

1. Sample. Iterate until nothing changes: drop observations in a fixed-effect level that
   occurs once (singletons; they are fitted perfectly and carry no information on the slopes),
   and with ``"fe"`` those in a level whose outcomes are all zero (separated by a fixed effect:
   its effect goes to minus infinity). Then, with ``"ir"``, run the iterative-rectifier
   (ReLU) test of Correia, Guimarães & Zylkin (2021, "Verifying the existence of maximum
   likelihood estimates for generalized linear models", arXiv:1903.01633) that finds zeros
   separated by any combination of regressors and fixed effects; repeat step 1 if it dropped
   anything.
2. IRLS. Working outcome ``z = eta - offset + (y - mu)/mu`` and weights ``w mu``; demean ``z``
   and ``X`` by the fixed effects with those weights, solve the weighted normal equations, and
   update ``eta``. Demeaning is warm-started from the previous iteration (the previous
   fixed-effect part of ``z``, the previous partialled-out ``X``), and its tolerance starts
   loose (``1e-4``) and tightens with the deviance change down to ``fixef_tol``, as ppmlhdfe
   does; convergence is declared only at the target tolerance.
3. Convergence: the fixest/pyfixest criterion ``|dev - dev_old| / (0.1 + |dev|) < tol``.
   After convergence ``X`` is partialled out once more at the final weights so that the
   Hessian and scores are exactly those of the estimate.

Collinear regressors (with each other or absorbed by the fixed effects) are detected after the
first demeaning and, by default, dropped with a :class:`CollinearityWarning` naming them — the
behaviour of fixest and pyfixest; ``collinear="raise"`` raises :class:`FixedEffectError`
instead.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> rng = np.random.default_rng(1)
>>> fe = pd.DataFrame({"g": np.repeat(np.arange(20), 10)})
>>> x = rng.normal(size=(200, 1))
>>> y = rng.poisson(np.exp(0.5 * x[:, 0] + fe["g"].to_numpy() % 3 * 0.2))
>>> fit = fit_ppml(y, x, fe, names=["x"])
>>> fit.converged, round(float(fit.coef[0]), 2)
(True, 0.55)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import linalg, sparse
from scipy.sparse.linalg import splu
from scipy.special import gammaln

from migflows.errors import (
    CollinearityWarning,
    ConvergenceError,
    DataValidationError,
    EstimationError,
    FixedEffectError,
    InvalidOptionError,
    MissingValueError,
    NegativeFlowError,
    SeparationWarning,
)
from migflows.estimation.core.demean import Demeaner

__all__ = ["CollinearityWarning", "PPMLFit", "fit_ppml"]

Separation = Literal["fe", "ir"]


@dataclass(frozen=True)
class PPMLFit:
    """Raw output of :func:`fit_ppml` (arrays on the estimation sample unless stated).

    Attributes
    ----------
    coef : ndarray (k,)
        Slope estimates for the kept regressors ``names``.
    names : tuple of str
        Kept regressors, in input order.
    collinear : tuple of str
        Regressors dropped as collinear (with others or with the fixed effects).
    sample : ndarray of bool (n_input,)
        Which input rows were used.
    dropped : DataFrame
        One row per dropped input row: ``row`` (position in the input) and ``reason``
        (``"singleton"``, ``"separated_fe"``, ``"separated_ir"``).
    y, mu, eta : ndarray (n,)
        Outcome, fitted mean and linear predictor (including offset and fixed effects).
    weights : ndarray (n,)
        User weights (ones when none were given).
    X_demeaned : ndarray (n, k)
        Regressors with the fixed effects partialled out at the final weights ``weights * mu``.
    hessian : ndarray (k, k)
        ``X~' diag(weights * mu) X~``.
    scores : ndarray (n, k)
        ``weights * (y - mu) * X~``.
    fe_codes : ndarray (n, G) of int
        Fixed-effect codes re-encoded ``0..L-1`` on the estimation sample.
    fe_names : tuple of str
    iterations : int
        IRLS iterations.
    converged : bool
    deviance, loglik, loglik_null : float
        Poisson deviance and log likelihoods of the model and of a constant-only model.
    tol, fixef_tol : float
        Convergence tolerances used.
    demean_sweeps : int
        Accelerated demeaning iterations summed over IRLS iterations and columns.
    """

    coef: NDArray[np.float64]
    names: tuple[str, ...]
    collinear: tuple[str, ...]
    sample: NDArray[np.bool_]
    dropped: pd.DataFrame
    y: NDArray[np.float64]
    mu: NDArray[np.float64]
    eta: NDArray[np.float64]
    weights: NDArray[np.float64]
    X_demeaned: NDArray[np.float64]
    hessian: NDArray[np.float64]
    scores: NDArray[np.float64]
    fe_codes: NDArray[np.int64]
    fe_names: tuple[str, ...]
    iterations: int
    converged: bool
    deviance: float
    loglik: float
    loglik_null: float
    tol: float
    fixef_tol: float
    demean_sweeps: int = 0
    history: tuple[float, ...] = field(default=(), repr=False)

    @property
    def nobs(self) -> int:
        """Observations used."""
        return int(self.y.shape[0])

    @property
    def n_dropped(self) -> dict[str, int]:
        """Dropped observations by reason."""
        return {str(k): int(v) for k, v in self.dropped["reason"].value_counts().items()}

    @property
    def fe_levels(self) -> dict[str, int]:
        """Number of levels of each fixed effect on the estimation sample."""
        if self.fe_codes.shape[1] == 0:
            return {}
        return dict(zip(self.fe_names, (self.fe_codes.max(axis=0) + 1).tolist(), strict=True))


# ---------------------------------------------------------------------------- input handling
def _as_matrix(X: ArrayLike | None, n: int, names: Sequence[str] | None) -> tuple[NDArray, list]:
    if X is None:
        return np.zeros((n, 0)), []
    if isinstance(X, pd.DataFrame):
        cols = [str(c) for c in X.columns]
        arr = X.to_numpy(dtype=np.float64)
    else:
        arr = np.asarray(X, dtype=np.float64)
        arr = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        cols = [f"x{j}" for j in range(arr.shape[1])]
    if names is not None:
        if len(names) != arr.shape[1]:
            raise DataValidationError(f"{len(names)} names given for {arr.shape[1]} regressors")
        cols = [str(c) for c in names]
    if arr.shape[0] != n:
        raise DataValidationError(f"X has {arr.shape[0]} rows but y has {n}")
    bad = ~np.isfinite(arr)
    if bad.any():
        which = [cols[j] for j in np.flatnonzero(bad.any(axis=0))]
        raise MissingValueError(
            f"regressor(s) {which} hold {int(bad.sum())} missing or infinite value(s); "
            "drop or impute those rows first"
        )
    return arr, cols


def _as_codes(fe: pd.DataFrame | ArrayLike | None, n: int) -> tuple[NDArray[np.int64], list]:
    if fe is None:
        return np.zeros((n, 0), dtype=np.int64), []
    frame = fe if isinstance(fe, pd.DataFrame) else pd.DataFrame(np.asarray(fe))
    if frame.shape[0] != n:
        raise DataValidationError(f"fixed effects have {frame.shape[0]} rows but y has {n}")
    cols = []
    for c in frame.columns:
        s = frame[c]
        if s.isna().any():
            raise MissingValueError(
                f"fixed effect {c!r} has {int(s.isna().sum())} missing value(s); drop those rows"
            )
        cols.append(pd.factorize(s)[0].astype(np.int64))
    codes = np.column_stack(cols) if cols else np.zeros((n, 0), dtype=np.int64)
    return codes, [str(c) for c in frame.columns]


def _vector(v: ArrayLike | None, n: int, name: str, default: float) -> NDArray[np.float64]:
    if v is None:
        return np.full(n, default)
    arr = np.asarray(v, dtype=np.float64).ravel()
    if arr.shape[0] != n:
        raise DataValidationError(f"{name} has {arr.shape[0]} values but y has {n}")
    if not np.all(np.isfinite(arr)):
        raise MissingValueError(f"{name} holds {int((~np.isfinite(arr)).sum())} missing values")
    return arr


def _recode(codes: NDArray[np.int64]) -> NDArray[np.int64]:
    out = np.empty_like(codes)
    for g in range(codes.shape[1]):
        out[:, g] = pd.factorize(codes[:, g])[0]  # hash-based: faster than np.unique
    return out


# ---------------------------------------------------------------------------- sample pruning
def _prune_fe(
    y: NDArray, codes: NDArray[np.int64], keep: NDArray[np.bool_], singletons: bool, sep_fe: bool
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Iterate singleton and all-zero-group removal; returns keep, singleton, separated masks."""
    single = np.zeros_like(keep)
    separated = np.zeros_like(keep)
    changed = True
    while changed and keep.any():
        changed = False
        for g in range(codes.shape[1]):
            c = codes[:, g]
            size = int(c.max()) + 1
            counts = np.bincount(c[keep], minlength=size)
            if singletons:
                hit = keep & (counts[c] == 1)
                if hit.any():
                    single |= hit
                    keep = keep & ~hit
                    changed = True
            if sep_fe:
                ysum = np.bincount(c[keep], weights=y[keep], minlength=size)
                hit = keep & (ysum[c] <= 0)
                if hit.any():
                    separated |= hit
                    keep = keep & ~hit
                    changed = True
    return keep, single, separated


_IR_DIRECT_MAX_PARAMS = 20_000
"""Above this many regressors + fixed-effect levels the IR fit uses projections, not sparse LU."""


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


def _separation_ir(
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
    ``method="auto"`` solves the fit exactly by sparse LU up to ``_IR_DIRECT_MAX_PARAMS``
    parameters and by accelerated projections beyond.
    """
    interior = y > 0
    n_params = X.shape[1] + int((codes.max(axis=0) + 1).sum() if codes.shape[1] else 0)
    if interior.all() or n_params == 0:
        return np.zeros_like(interior)
    if method == "auto":
        method = "direct" if n_params <= _IR_DIRECT_MAX_PARAMS else "projection"
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


def _collinear_columns(
    Xt: NDArray, X: NDArray, w: NDArray, tol: float
) -> tuple[list[int], list[int]]:
    """Indices of kept columns and of columns to drop (absorbed or collinear).

    A column is dropped when, after partialling out the fixed effects and the columns kept before
    it (weighted Gram-Schmidt through a pivot-free Cholesky), less than ``tol`` of its weighted
    sum of squares (about its weighted mean) is left.
    """
    k = Xt.shape[1]
    kept: list[int] = []
    drop: list[int] = []
    if k == 0:
        return kept, drop
    gram = (Xt * w[:, None]).T @ Xt
    wm = (w @ X) / w.sum()
    ss0 = w @ (X - wm) ** 2
    for j in range(k):
        if kept:
            g_kk = gram[np.ix_(kept, kept)]
            g_kj = gram[kept, j]
            resid_ss = gram[j, j] - g_kj @ linalg.solve(g_kk, g_kj, assume_a="pos")
        else:
            resid_ss = gram[j, j]
        scale = ss0[j] if ss0[j] > 0 else max(float(w @ X[:, j] ** 2), 1e-300)
        if resid_ss <= tol * scale:
            drop.append(j)
        else:
            kept.append(j)
    return kept, drop


def _deviance(y: NDArray, eta: NDArray, mu: NDArray, w: NDArray, ylogy: float) -> float:
    """Poisson deviance ``2 sum w (y log(y/mu) - (y - mu))`` with ``log(mu) = eta``.

    Written with dot products and the constant ``ylogy = sum w y log y`` (over y > 0) so that no
    logarithm is taken per iteration.
    """
    return float(2.0 * (ylogy - np.dot(w * y, eta) - np.dot(w, y) + np.dot(w, mu)))


# ---------------------------------------------------------------------------- main entry
def fit_ppml(
    y: ArrayLike,
    X: ArrayLike | None = None,
    fe: pd.DataFrame | ArrayLike | None = None,
    weights: ArrayLike | None = None,
    offset: ArrayLike | None = None,
    *,
    names: Sequence[str] | None = None,
    tol: float = 1e-8,
    maxiter: int = 100,
    fixef_tol: float = 1e-10,
    fixef_maxiter: int = 10_000,
    separation: Sequence[Separation] = ("fe", "ir"),
    drop_singletons: bool = True,
    collinear: Literal["drop", "raise"] = "drop",
    collin_tol: float = 1e-9,
) -> PPMLFit:
    """Fit a Poisson PML model with absorbed fixed effects by IRLS.

    Parameters
    ----------
    y : array-like (n,)
        Non-negative outcome (flows; zeros allowed).
    X : array-like (n, k) or DataFrame, optional
        Regressors. No intercept is added: with fixed effects it is absorbed, without them the
        caller adds a constant column.
    fe : DataFrame or array-like (n, G), optional
        Fixed-effect identifiers, one column per (possibly interacted) fixed effect, any labels
        (see :func:`migflows.estimation.core.demean.encode_fixed_effects` for ``orig^year``).
    weights : array-like (n,), optional
        Positive observation weights.
    offset : array-like (n,), optional
        Added to the linear predictor with coefficient one (e.g. log exposure).
    names : sequence of str, optional
        Regressor names (default: DataFrame columns or ``x0, x1, ...``).
    tol : float, default 1e-8
        IRLS stops when ``|dev - dev_old| / (0.1 + |dev|) < tol``.
    maxiter : int, default 100
        IRLS iteration limit.
    fixef_tol : float, default 1e-10
        Final tolerance of the demeaning (largest change of the residuals in a sweep).
    fixef_maxiter : int, default 10000
        Demeaning iteration limit per column.
    separation : sequence of {"fe", "ir"}, default ("fe", "ir")
        Separation checks: all-zero fixed-effect groups, and the iterative rectifier.
    drop_singletons : bool, default True
        Drop observations alone in a fixed-effect level (ppmlhdfe and pyfixest default).
    collinear : {"drop", "raise"}, default "drop"
        What to do with regressors collinear with others or absorbed by the fixed effects.
    collin_tol : float, default 1e-9
        Share of a regressor's variation that must survive partialling out.

    Returns
    -------
    PPMLFit

    Raises
    ------
    NegativeFlowError
        ``y`` has negative values.
    MissingValueError
        Missing or infinite values in the inputs.
    EstimationError
        Nothing is left after removing singletons and separated observations, or every
        outcome is zero.
    FixedEffectError
        A regressor is collinear and ``collinear="raise"``.
    ConvergenceError
        IRLS or the demeaning did not converge.

    Examples
    --------
    >>> y = np.array([0.0, 1, 2, 4, 3, 6])
    >>> X = np.column_stack([np.ones(6), [0.0, 0, 1, 1, 2, 2]])
    >>> fit = fit_ppml(y, X, names=["const", "x"])
    >>> np.round(fit.coef, 4)  # statsmodels GLM Poisson gives the same
    array([-0.073 ,  0.8341])
    """
    yv = np.asarray(y, dtype=np.float64).ravel()
    n = yv.shape[0]
    if n == 0:
        raise DataValidationError("y is empty")
    if not np.all(np.isfinite(yv)):
        raise MissingValueError(f"y holds {int((~np.isfinite(yv)).sum())} missing value(s)")
    if (yv < 0).any():
        raise NegativeFlowError(
            f"PPML needs a non-negative outcome; y has {int((yv < 0).sum())} negative value(s)"
        )
    if not (yv > 0).any():
        raise EstimationError(
            f"all {n} outcomes are zero; PPML has nothing to fit (every mean would be zero)"
        )
    Xa, cols = _as_matrix(X, n, names)
    codes, fe_names = _as_codes(fe, n)
    w = _vector(weights, n, "weights", 1.0)
    if (w <= 0).any():
        raise DataValidationError(
            f"weights must be strictly positive; {int((w <= 0).sum())} are not (drop those rows)"
        )
    off = _vector(offset, n, "offset", 0.0)
    bad_sep = sorted(set(separation) - {"fe", "ir"})
    if bad_sep:
        raise InvalidOptionError(f"separation={bad_sep} not allowed; use a subset of ('fe', 'ir')")
    if collinear not in ("drop", "raise"):
        raise InvalidOptionError(f"collinear={collinear!r} not allowed; use 'drop' or 'raise'")

    # ---- 1. sample: singletons and separation ------------------------------------------------
    keep = np.ones(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    while True:
        keep, single, sep = _prune_fe(yv, codes, keep, drop_singletons, "fe" in separation)
        reason[single] = "singleton"
        reason[sep] = "separated_fe"
        if not keep.any() or "ir" not in separation:
            break
        if not (yv[keep] == 0).any():  # no zero outcome left: nothing can be separated
            break
        idx = np.flatnonzero(keep)
        ir = _separation_ir(yv[idx], Xa[idx], _recode(codes[idx]))
        if not ir.any():
            break
        reason[idx[ir]] = "separated_ir"
        keep[idx[ir]] = False
    dropped = pd.DataFrame({"row": np.flatnonzero(~keep), "reason": pd.Categorical(reason[~keep])})
    counts = dropped["reason"].value_counts()
    if not keep.any() or not (yv[keep] > 0).any():
        detail = ", ".join(f"{int(v)} {k}" for k, v in counts.items() if v) or "none dropped"
        raise EstimationError(
            f"no observations with positive outcome left to estimate from ({n} rows: {detail}); "
            "every fixed-effect group is a singleton or has only zero flows — use coarser fixed "
            "effects or more data"
        )
    if len(dropped):
        warnings.warn(
            f"{len(dropped)} of {n} observations dropped: "
            + ", ".join(f"{int(v)} {k}" for k, v in counts.items() if v)
            + " (see .dropped)",
            SeparationWarning,
            stacklevel=2,
        )
    yk, Xk, wk, ok = yv[keep], Xa[keep], w[keep], off[keep]
    ck = _recode(codes[keep]) if codes.shape[1] else codes[keep]
    nk = yk.shape[0]
    has_fe = ck.shape[1] > 0
    demeaner = Demeaner(ck)

    def _dm(arr: NDArray, weights_: NDArray, tol_: float) -> tuple[NDArray, int]:
        if not has_fe:
            return arr.reshape(nk, -1), 0
        res = demeaner(arr, weights_, tol=tol_, maxiter=fixef_maxiter)
        if not res.converged:
            raise ConvergenceError(
                f"demeaning by the fixed effects {fe_names} did not converge in {fixef_maxiter} "
                f"iterations (tolerance {tol_:.1e}); raise fixef_maxiter or fixef_tol"
            )
        return res.x, int(res.iterations.sum())

    # ---- 2. IRLS -----------------------------------------------------------------------------
    mean_y = float(np.average(yk, weights=wk))
    pos = yk > 0
    ylogy = float(np.dot(wk[pos] * yk[pos], np.log(yk[pos])))
    mu = (yk + mean_y) / 2.0
    eta = np.log(mu)
    dev_old = _deviance(yk, eta, mu, wk, ylogy)
    fe_part = np.zeros(nk)
    Xt = Xk.copy()
    names_kept = list(cols)
    collinear_names: list[str] = []
    inner_tol = max(fixef_tol, 1e-4)
    sweeps = 0
    history: list[float] = []
    converged = False
    coef = np.zeros(Xk.shape[1])
    it = 0
    for it in range(1, maxiter + 1):
        z = eta - ok + (yk - mu) / mu
        wi = wk * mu
        zt, s1 = _dm(z - fe_part, wi, inner_tol)
        zt = zt[:, 0]
        fe_part = z - zt
        if Xt.shape[1]:
            Xt, s2 = _dm(Xt, wi, inner_tol)
            sweeps += s2
        sweeps += s1
        if it == 1 and Xt.shape[1]:
            kept_idx, drop_idx = _collinear_columns(Xt, Xk, wi, collin_tol)
            if drop_idx:
                bad = [names_kept[j] for j in drop_idx]
                msg = f"regressor(s) {bad} are collinear with the other regressors" + (
                    f" or absorbed by the fixed effects {fe_names}" if fe_names else ""
                )
                if collinear == "raise":
                    raise FixedEffectError(msg + "; remove them or change the fixed effects")
                warnings.warn(msg + "; dropped", CollinearityWarning, stacklevel=2)
                collinear_names = bad
                names_kept = [names_kept[j] for j in kept_idx]
                Xk, Xt = Xk[:, kept_idx], Xt[:, kept_idx]
        if Xt.shape[1]:
            xw = Xt * wi[:, None]
            coef = linalg.solve(xw.T @ Xt, xw.T @ zt, assume_a="pos")
            resid = zt - Xt @ coef
        else:
            coef = np.zeros(0)
            resid = zt
        eta = z - resid + ok
        if np.max(eta) > 700:
            raise EstimationError(
                "the linear predictor overflows exp() (max eta > 700); rescale y or the "
                "regressors, or check for separation"
            )
        mu = np.exp(eta)
        dev = _deviance(yk, eta, mu, wk, ylogy)
        crit = abs(dev - dev_old) / (0.1 + abs(dev))
        history.append(crit)
        dev_old = dev
        if crit < tol:
            if inner_tol <= fixef_tol:
                converged = True
                break
            inner_tol = fixef_tol  # converged at a loose demeaning tolerance: tighten, go on
        else:
            inner_tol = max(fixef_tol, min(inner_tol, 0.1 * crit))
    if not converged:
        raise ConvergenceError(
            f"PPML did not converge in {maxiter} IRLS iterations (last relative deviance change "
            f"{history[-1]:.2e}, tol {tol:.0e}); raise maxiter, or look for separation or "
            "extreme regressor values"
        )

    # ---- 3. final pieces at the converged weights ---------------------------------------------
    wi = wk * mu
    if Xt.shape[1]:
        Xt, s3 = _dm(Xt, wi, fixef_tol)
        sweeps += s3
    hessian = (Xt * wi[:, None]).T @ Xt
    scores = Xt * (wk * (yk - mu))[:, None]
    loglik = float(np.sum(wk * (yk * np.log(mu) - mu - gammaln(yk + 1))))
    ll0 = float(
        np.sum(wk * (np.where(yk > 0, yk * np.log(mean_y), 0.0) - mean_y - gammaln(yk + 1)))
    )
    return PPMLFit(
        coef=np.asarray(coef, dtype=np.float64),
        names=tuple(names_kept),
        collinear=tuple(collinear_names),
        sample=keep,
        dropped=dropped,
        y=yk,
        mu=mu,
        eta=eta,
        weights=wk,
        X_demeaned=Xt,
        hessian=hessian,
        scores=scores,
        fe_codes=ck,
        fe_names=tuple(fe_names),
        iterations=it,
        converged=converged,
        deviance=dev_old,
        loglik=loglik,
        loglik_null=ll0,
        tol=tol,
        fixef_tol=fixef_tol,
        demean_sweeps=sweeps,
        history=tuple(history),
    )
