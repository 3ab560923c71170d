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
   anything. The rectifier costs many demeanings, so PPML first fits on the sample of step 1
   and asks :func:`~migflows.estimation.core.separation.no_separation_certificate` whether
   that fit proves that nothing can be separated (Stiemke's lemma, from the fit's scores);
   only when the proof fails does the rectifier run (and the fit is redone if it dropped
   rows). The sample is the same either way.
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln

from migflows.errors import (
    CollinearityWarning,
    ConvergenceError,
    DataValidationError,
    EstimationError,
    InvalidOptionError,
    MissingValueError,
    NegativeFlowError,
    SeparationWarning,
)
from migflows.estimation.core.demean import Demeaner, DemeanerFactory, DemeanerLike
from migflows.estimation.core.identification import IDENTIFICATION_TOL, collinear_columns, identify
from migflows.estimation.core.irls import POISSON, IRLSState, irls, weighted_cross
from migflows.estimation.core.separation import (
    Certificate,
    Sample,
    no_separation_certificate,
    prune_sample,
    recode,
    validate_separation,
)
from migflows.estimation.core.threads import one_blas_thread
from migflows.estimation.gravity.fit_progress import FitProgress

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
        v = s.to_numpy()
        if v.dtype.kind in "iu" and n and v.min() >= 0 and v.max() < 4 * n + 1024:
            cols.append(v.astype(np.int64))  # already integer codes: recode() compacts them
        else:
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
    collin_tol: float = IDENTIFICATION_TOL,
    demeaner: DemeanerFactory = Demeaner,
    progress: bool = False,
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
    collin_tol : float, default IDENTIFICATION_TOL (1e-9)
        Share of a regressor's variation that must survive partialling out
        (:mod:`migflows.estimation.core.identification`).
    demeaner : callable, default Demeaner
        The engine seam: builds the demeaning backend from the fixed-effect codes of the
        estimation sample (``demeaner(codes)(x, weights, tol=, maxiter=)``, see
        :class:`~migflows.estimation.core.demean.DemeanerLike`); the default is the in-memory
        alternating projections.
    progress : bool, default False
        Show a progress bar of the IRLS iterations (deviance and its relative change) and
        report the separation steps (the notebook bar in Jupyter when ipywidgets is installed).

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
    IdentificationError
        A regressor is collinear and ``collinear="raise"`` (a :class:`FixedEffectError`).
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
    checks = validate_separation(separation)
    if collinear not in ("drop", "raise"):
        raise InvalidOptionError(f"collinear={collinear!r} not allowed; use 'drop' or 'raise'")
    if not isinstance(progress, bool):
        raise InvalidOptionError(f"progress={progress!r} must be True or False")

    # ---- 1. sample: singletons and separation (core.separation) ------------------------------
    with one_blas_thread():  # tall-thin products: a second BLAS thread only waits
        report = FitProgress(progress)
        inputs = _Inputs(yv, Xa, cols, codes, fe_names, w, off)
        opts = _Options(tol, maxiter, fixef_tol, fixef_maxiter, collinear, collin_tol, demeaner)
        prove = "ir" in checks  # first try to prove that the rectifier has nothing to find
        first = tuple(c for c in checks if c != "ir") if prove else checks
        sample = prune_sample(yv, Xa, codes, drop_singletons=drop_singletons, separation=first)
        _check_left(yv, sample)
        report.sample(sample, first)
        fit: PPMLFit | None = None
        if prove and (yv[sample.keep] == 0).any():
            fit, dm, caught = _prefit(inputs, sample, opts, report)
            if fit is not None and report.certify(_certificate(inputs, fit, dm)):
                _replay(caught)
            else:
                full = prune_sample(
                    yv, Xa, codes, drop_singletons=drop_singletons, separation=checks
                )
                _check_left(yv, full)
                report.sample(full, checks)
                if fit is not None and np.array_equal(full.keep, sample.keep):
                    _replay(caught)  # the rectifier found nothing either: the first fit stands
                else:
                    fit, sample = None, full
        if len(sample.dropped):
            counts = sample.reasons
            warnings.warn(
                f"{len(sample.dropped)} of {n} observations dropped: "
                + ", ".join(f"{v} {k}" for k, v in counts.items())
                + " (see .dropped)",
                SeparationWarning,
                stacklevel=2,
            )
        if fit is None:
            fit = _fit_sample(inputs, sample, opts, report)[0]
        report.close(fit.iterations, fit.deviance, fit.demean_sweeps)
        return fit


@dataclass(frozen=True)
class _Inputs:
    """Validated inputs of :func:`fit_ppml` on all input rows."""

    y: NDArray[np.float64]
    X: NDArray[np.float64]
    cols: list[str]
    codes: NDArray[np.int64]
    fe_names: list[str]
    w: NDArray[np.float64]
    off: NDArray[np.float64]


@dataclass(frozen=True)
class _Options:
    tol: float
    maxiter: int
    fixef_tol: float
    fixef_maxiter: int
    collinear: str
    collin_tol: float
    demeaner: DemeanerFactory


def _certificate(inputs: _Inputs, fit: PPMLFit, dm: DemeanerLike | None) -> Certificate:
    X = inputs.X[fit.sample][:, [inputs.cols.index(c) for c in fit.names]]
    return no_separation_certificate(
        fit.y, X, fit.fe_codes, fit.mu, fit.weights, demeaner=dm, Xt=fit.X_demeaned
    )


def _check_left(y: NDArray, sample: Sample) -> None:
    keep = sample.keep
    if not keep.any() or not (y[keep] > 0).any():
        counts = sample.reasons
        detail = ", ".join(f"{v} {k}" for k, v in counts.items()) or "none dropped"
        raise EstimationError(
            f"no observations with positive outcome left to estimate from ({len(y)} rows: "
            f"{detail}); every fixed-effect group is a singleton or has only zero flows — use "
            "coarser fixed effects or more data"
        )


def _prefit(
    inputs: _Inputs, sample: Sample, opts: _Options, report: FitProgress
) -> tuple[PPMLFit | None, DemeanerLike | None, list[warnings.WarningMessage]]:
    """The fit before the rectifier, with its warnings held back (replayed if it stands).

    With separation the means of the separated zeros drift to zero and the fit may fail to
    converge, overflow or stall; any failure just means the rectifier has to run.
    """
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            fit, dm = _fit_sample(inputs, sample, opts, report)
        except (EstimationError, ArithmeticError, ValueError, np.linalg.LinAlgError) as err:
            report.write(f"fit before the rectifier failed ({type(err).__name__})")
            return None, None, []
    return fit, dm, list(caught)


def _replay(caught: list[warnings.WarningMessage]) -> None:
    for item in caught:
        warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def _fit_sample(
    inputs: _Inputs, sample: Sample, opts: _Options, report: FitProgress
) -> tuple[PPMLFit, DemeanerLike | None]:
    """IRLS and the final pieces on one estimation sample (and the demeaner it used)."""
    keep, cols, fe_names = sample.keep, inputs.cols, inputs.fe_names
    yk, Xk, wk, ok = inputs.y[keep], inputs.X[keep], inputs.w[keep], inputs.off[keep]
    codes = inputs.codes
    ck = recode(codes, keep)
    has_fe = ck.shape[1] > 0
    dm = opts.demeaner(ck) if has_fe else None
    collinear_names: list[str] = []
    collin_tol, fixef_tol, fixef_maxiter = opts.collin_tol, opts.fixef_tol, opts.fixef_maxiter

    def check_collinear(Xt: NDArray, wi: NDArray) -> list[int]:
        # after the first demeaning, at the first IRLS weights (core.identification)
        kept_idx, drop_idx = collinear_columns(Xt, Xk, wi, collin_tol)
        if drop_idx:
            ident = identify(
                Xk, ck, names=cols, fe_names=fe_names, weights=wi, Xt=Xt, tol=collin_tol
            )
            msg = ident.message(listing=_listing, combined=True)
            if opts.collinear == "raise":
                advice = "Either remove them or change the fixed effects."
                raise ident.error(advice, listing=_listing, combined=True)
            warnings.warn(msg + "; dropped", CollinearityWarning, stacklevel=5)
            collinear_names.extend(cols[j] for j in drop_idx)
        return kept_idx

    # ---- 2. IRLS (core.irls) -----------------------------------------------------------------
    fit = irls(
        yk,
        Xk,
        POISSON,
        weights=wk,
        offset=ok,
        demeaner=dm,
        state=IRLSState.start(yk, Xk, wk),
        criterion="deviance",
        tol=opts.tol,
        maxiter=opts.maxiter,
        fixef_tol=fixef_tol,
        fixef_maxiter=fixef_maxiter,
        on_first=check_collinear,
        on_iteration=report.iteration,
        what="PPML",
    )
    if not fit.converged:
        raise ConvergenceError(
            f"PPML did not converge in {opts.maxiter} IRLS iterations (last relative deviance "
            f"change {fit.history[-1]:.2e}, tol {opts.tol:.0e}); raise maxiter, or look for "
            "separation or extreme regressor values"
        )
    names_kept = [cols[j] for j in fit.kept]
    coef, eta, Xt, sweeps, it = fit.coef, fit.eta, fit.Xt, fit.demean_sweeps, fit.iterations
    mu = np.exp(eta)
    mean_y = float(np.average(yk, weights=wk))

    # ---- 3. final pieces at the converged weights ---------------------------------------------
    wi = wk * mu
    if Xt.shape[1] and dm is not None:
        final = dm(Xt, wi, tol=fixef_tol, maxiter=fixef_maxiter)
        if not final.converged:
            raise ConvergenceError(
                f"demeaning by the fixed effects {fe_names} did not converge in {fixef_maxiter} "
                f"iterations (tolerance {fixef_tol:.1e}); raise fixef_maxiter or fixef_tol"
            )
        Xt = final.x
        sweeps += int(final.iterations.sum())
    hessian = weighted_cross(Xt, wi)
    scores = Xt * (wk * (yk - mu))[:, None]
    # log likelihoods from sums: log(mu) is eta, and log(y!) is taken once
    wlf = float(np.sum(wk * gammaln(yk + 1)))
    wy, sw = float(np.sum(wk * yk)), float(np.sum(wk))
    loglik = float(np.sum(wk * (yk * (eta - ok) - mu))) + float(np.sum(wk * yk * ok)) - wlf
    ll0 = wy * np.log(mean_y) - mean_y * sw - wlf
    fit_out = PPMLFit(
        coef=np.asarray(coef, dtype=np.float64),
        names=tuple(names_kept),
        collinear=tuple(collinear_names),
        sample=keep,
        dropped=sample.dropped,
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
        converged=True,
        deviance=fit.deviance,
        loglik=loglik,
        loglik_null=ll0,
        tol=opts.tol,
        fixef_tol=fixef_tol,
        demean_sweeps=sweeps,
        history=fit.history,
    )
    return fit_out, dm


def _listing(values: Sequence[str]) -> str:
    """Names as a Python list, the convention of this array-level module's messages."""
    return repr(list(values))
