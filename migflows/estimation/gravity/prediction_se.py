"""Prediction standard errors without a dense dummy matrix, for any rows with fitted levels.

:func:`migflows.estimation.gravity.uncertainty.full_covariance` builds the joint covariance of
slopes and fixed effects from the dense design ``Z = [X, D]``, which stops at a few thousand
levels and only serves the estimation sample. Here the variance of a linear predictor
``eta0 = x0' b + sum_j alpha_j[l_j]`` (any row whose levels were estimated, in sample or new)
is computed from the structure of the fixed effects instead:

    Var(eta0) = c' Hf^- M Hf^- c = sum_g (c' y_g)^2,   y_g = Hf^- s_g,

with ``Hf = Z'WZ`` the full Hessian, ``s_g = Z' psi_g`` the score sum of cluster ``g`` (every
observation is its own cluster for ``hetero``; ``psi_i = sqrt(scale W_i)`` gives ``iid``), and
``c = [x0, d0]``. Each ``y_g`` is the weighted least-squares fit of ``psi_g / W`` on ``Z``,
solved as the estimator solves its normal equations: the slopes by Frisch–Waugh–Lovell
(``B X~' psi_g``), the fixed-effect part by weighted demeaning (the engine seam), and the
effects of each level from that part by alternating projections on integer codes
(:func:`fe_coefficients`). Memory is ``n x chunk``, never ``n x levels``; ``c' y_g`` is
estimable for levels seen in the fit whatever normalisation the effects get. The small-sample
factor is fixed, as in ``full_covariance``, by the result's own slope covariance.

Written by hand for the same reason as ``uncertainty``: no library has prediction standard
errors with absorbed fixed effects (fixest's issue #22).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse, stats

from migflows.errors import InvalidOptionError, UnseenLevelError, format_values
from migflows.estimation.core.covariance import CovarianceSpec
from migflows.estimation.core.covariance_registry import resolve_clusters
from migflows.estimation.core.demean import demean
from migflows.estimation.core.results import SandwichPieces
from migflows.estimation.gravity.uncertainty import balance_groups
from migflows.models.design import Design

__all__ = [
    "fe_coefficients",
    "level_codes",
    "structured_flow_uncertainty",
    "structured_prediction_se",
]

_CELLS = 4_000_000  # n x chunk floats per block of right-hand sides


def fe_coefficients(part: NDArray[np.float64], codes: NDArray[np.int64]) -> list[NDArray]:
    """Effects ``(L_j, c)`` of each factor with ``part[:, m] = sum_j effect_j[codes[:, j], m]``.

    ``part`` (n, c) lies in the span of the dummies; Gauss–Seidel on the normal equations
    with sparse indicators (the multi-column form of
    :func:`migflows.estimation.core.results.solve_fixef`).

    Examples
    --------
    >>> codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> eff = fe_coefficients(np.array([[1.0], [3.0], [2.0], [4.0]]), codes)
    >>> float((eff[0][codes[:, 0]] + eff[1][codes[:, 1]])[3, 0])
    4.0
    """
    n, g = codes.shape
    ind = [
        sparse.csr_matrix(
            (np.ones(n), (np.arange(n), codes[:, j])), shape=(n, codes[:, j].max() + 1)
        )
        for j in range(g)
    ]
    counts = [np.asarray(d.sum(axis=0)).ravel()[:, None] for d in ind]
    effects = [np.zeros((d.shape[1], part.shape[1])) for d in ind]
    resid = part.copy()
    scale = max(float(np.abs(part).max()), 1e-300)
    for _ in range(20_000):
        change = 0.0
        for j, d in enumerate(ind):
            step = (d.T @ resid) / counts[j]
            effects[j] += step
            resid -= d @ step
            change = max(change, float(np.abs(step).max()))
        if change < 1e-13 * scale:
            break
    return effects


def level_codes(design: Design, fe_labels: pd.DataFrame) -> NDArray[np.int64]:
    """Codes of the fit for the fixed-effect labels of new rows; unseen levels are refused.

    Raises
    ------
    UnseenLevelError
        A level of some fixed effect was not estimated (named, with its count).
    """
    out = np.zeros((len(fe_labels), design.fe.shape[1]), dtype=np.int64)
    for j, name in enumerate(design.fe.columns):
        seen = pd.Series(design.fe[name].to_numpy(), index=design.fe_labels[name].to_numpy())
        seen = seen[~seen.index.duplicated()]
        codes = pd.Series(fe_labels[name].to_numpy()).map(seen)
        if codes.isna().any():
            unseen = pd.unique(fe_labels[name][codes.isna().to_numpy()])
            raise UnseenLevelError(
                f"se=True needs every fixed-effect level of the new rows to be estimated; "
                f"{int(codes.isna().sum())} row(s) have {len(unseen)} level(s) of {name!r} "
                f"not in the fit ({format_values(map(str, unseen))}). Drop those rows, or "
                "predict without se=True (they get NaN)."
            )
        out[:, j] = codes.to_numpy(dtype=np.int64)
    return out


def _terms(
    spec: CovarianceSpec, pieces: SandwichPieces, n: int
) -> list[tuple[NDArray[np.int64] | None, float]]:
    """Cluster codes (None: one cluster per observation) and sign of each variance term."""
    if spec.kind in ("iid", "hetero"):
        return [(None, 1.0)]
    if spec.kind != "CRV1" or pieces.clusters is None:
        raise InvalidOptionError(
            f"standard errors of new predictions are available under 'iid', 'hetero' and "
            f"CRV1 clusters, not vcov {spec}"
        )
    cols = list(resolve_clusters(spec.clusters, pieces.clusters.columns))
    codes = [pd.factorize(pieces.clusters[c])[0] for c in cols]
    if len(codes) == 1:
        return [(codes[0], 1.0)]
    both = pd.factorize(pd.MultiIndex.from_arrays(codes))[0]
    return [(codes[0], 1.0), (codes[1], 1.0), (both, -1.0)]


def structured_prediction_se(
    design: Design,
    params: pd.Series,
    slope_cov: NDArray[np.float64],
    pieces: SandwichPieces,
    spec: CovarianceSpec,
    *,
    mu: NDArray[np.float64],
    link: str,
    X_new: NDArray[np.float64],
    codes_new: NDArray[np.int64],
    combine: sparse.spmatrix | None = None,
    slope_extra: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Standard errors of the linear predictor at rows ``(X_new, codes_new)``, or of sums.

    With ``combine`` (a ``(q, m)`` matrix ``A``) and ``slope_extra`` (``(q, k)``, ``E``),
    the standard errors of the ``q`` quantities whose gradients are
    ``sum_i A_ai [x_i, d_i] + [E_a, 0]`` (delta method of sums of predictions: balances,
    counterfactual changes).

    Parameters
    ----------
    design : Design
        The estimation sample.
    params : Series
        Slopes.
    slope_cov : ndarray (k, k)
        The result's covariance of the slopes (fixes the small-sample factor).
    pieces : SandwichPieces
        Cluster variables and the ``iid`` scale.
    spec : CovarianceSpec
        ``iid``, ``hetero`` or ``CRV1`` (one- or two-way).
    mu : ndarray (n,)
        Fitted means (log link) or fitted values (identity link) of the sample.
    link : {"log", "identity"}
    X_new : ndarray (m, k)
        Regressors of the rows to predict.
    codes_new : ndarray (m, G)
        Their fixed-effect codes in the fit (:func:`level_codes`).

    Returns
    -------
    ndarray (m,) or (q,)
        Standard errors of ``eta`` (multiply by ``mu`` for the response scale), or of the
        combined quantities.
    """
    X = design.X[list(params.index)].to_numpy(dtype=float)
    raw = design.fe.to_numpy().astype(np.int64).reshape(len(X), -1)
    n, k = X.shape
    # codes 0..L-1 over the sample (rows dropped as separated leave gaps); new rows alike
    codes = np.zeros_like(raw)
    codes_new = np.asarray(codes_new, dtype=np.int64).reshape(len(X_new), -1).copy()
    for j in range(raw.shape[1]):
        seen, codes[:, j] = np.unique(raw[:, j], return_inverse=True)
        codes_new[:, j] = np.searchsorted(seen, codes_new[:, j])
    y = design.y.to_numpy(dtype=float)
    w = np.ones(n) if design.weights is None else design.weights.to_numpy(dtype=float)
    W = w * mu if link == "log" else w
    has_fe = codes.shape[1] > 0
    Xt = demean(X, codes, weights=W, tol=1e-13, maxiter=100_000).x if has_fe else X
    B = np.linalg.inv((Xt * W[:, None]).T @ Xt)
    psi_all = w * (y - mu) if spec.kind != "iid" else np.sqrt(pieces.iid_scale * W)
    var = np.zeros(len(X_new) if combine is None else combine.shape[0])
    slope_raw = np.zeros((k, k))
    chunk = max(1, _CELLS // max(n, 1))
    for groups, sign in _terms(spec, pieces, n):
        labels = np.arange(n) if groups is None else np.unique(groups)
        group_of = np.arange(n) if groups is None else groups
        for start in range(0, len(labels), chunk):
            block = labels[start : start + chunk]
            pos = np.full(int(group_of.max()) + 1, -1)
            pos[block] = np.arange(len(block))
            rows = np.flatnonzero(pos[group_of] >= 0)
            Psi = np.zeros((n, len(block)))
            Psi[rows, pos[group_of[rows]]] = psi_all[rows]
            yx = B @ (Xt.T @ Psi)  # (k, c): slopes of the fit of Psi / W on Z
            contrib = X_new @ yx
            if has_fe:
                q = Psi / W[:, None] - X @ yx
                part = q - demean(q, codes, weights=W, tol=1e-13, maxiter=100_000).x
                for j, eff in enumerate(fe_coefficients(part, codes)):
                    contrib += eff[codes_new[:, j]]
            if combine is not None:
                contrib = np.asarray(combine @ contrib)
                if slope_extra is not None:
                    contrib += slope_extra @ yx
            var += sign * (contrib**2).sum(axis=1)
            slope_raw += sign * (yx @ yx.T)
    ratio = np.diag(slope_cov) / np.diag(slope_raw) if k else np.ones(1)
    var = var * float(np.mean(ratio))  # a two-way CRV1 variance can be negative: NaN
    return np.sqrt(np.where(var >= 0, var, np.nan))


def structured_flow_uncertainty(
    design: Design,
    params: pd.Series,
    slope_cov: NDArray[np.float64],
    pieces: SandwichPieces,
    spec: CovarianceSpec,
    *,
    mu: NDArray[np.float64],
    keys: pd.DataFrame,
    shift: NDArray[np.float64] | None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Delta-method balances (or counterfactual changes) without the dense joint covariance.

    The same quantities and columns as
    :func:`migflows.estimation.gravity.uncertainty.flow_uncertainty` with
    ``method="delta"``: arrivals, departures and net by region and year of the fitted flows
    ``mu`` (``shift=None``) or of their changes ``mu (exp(shift b) - 1)``, whose gradients
    are sums over flows (:func:`structured_prediction_se` with ``combine``).
    """
    if not 0 < level < 1:
        raise InvalidOptionError(f"level={level!r} must be strictly between 0 and 1")
    index, dest, orig = balance_groups(keys.reset_index(drop=True))
    m, n = len(index), len(mu)
    rows = np.arange(n)
    if shift is None:
        value, extra = mu, None
    else:
        cf = mu * np.exp(shift @ params.to_numpy(dtype=float))
        value, extra = cf - mu, shift * cf[:, None]

    def summed(groups: NDArray[np.int64], weights: NDArray[np.float64]) -> sparse.csr_matrix:
        return sparse.csr_matrix((weights, (groups, rows)), shape=(m, n))

    arr, dep = summed(dest, value), summed(orig, value)
    combine = sparse.vstack([arr, dep, arr - dep], format="csr")
    slope_extra = None
    if extra is not None:
        ones = np.ones(n)
        e_arr, e_dep = summed(dest, ones) @ extra, summed(orig, ones) @ extra
        slope_extra = np.vstack([e_arr, e_dep, e_arr - e_dep])
    se = structured_prediction_se(
        design,
        params,
        slope_cov,
        pieces,
        spec,
        mu=mu,
        link="log",
        X_new=design.X[list(params.index)].to_numpy(dtype=float),
        codes_new=design.fe.to_numpy(),
        combine=combine,
        slope_extra=slope_extra,
    ).reshape(3, m)
    point = {
        "arrivals": np.asarray(arr.sum(axis=1)).ravel(),
        "departures": np.asarray(dep.sum(axis=1)).ravel(),
    }
    point["net"] = point["arrivals"] - point["departures"]
    out = pd.DataFrame(point, index=index)
    crit = stats.norm.ppf(0.5 + level / 2)
    for i, name in enumerate(("arrivals", "departures", "net")):
        out[f"{name}_se"] = se[i]
        out[f"{name}_lower"] = point[name] - crit * se[i]
        out[f"{name}_upper"] = point[name] + crit * se[i]
    return out
