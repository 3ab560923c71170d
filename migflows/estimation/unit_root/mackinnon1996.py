"""MacKinnon (1996) p-values of Dickey-Fuller tau statistics, as R ``urca::punitroot``.

MacKinnon (1996) tabulates, for 221 probability levels ``p``, response surfaces of the
quantiles of the Dickey-Fuller tau distribution in the sample size. A p-value is read off by
a local regression: the quantiles nearest the statistic (9 of them) are the regressors of a
GLS fit of ``Φ⁻¹(p)`` on a cubic in the quantile (a quadratic when the cubic term is not
significant at |t| > 2), and the p-value is ``Φ`` of that fit at the statistic. Near the
ends of the table, the points from the end to 4 beyond the nearest quantile are used, and
the p-value is held within the table's range (1e-4 to 0.9999). This is the method of
MacKinnon's ``urcrouts`` routines that urca (and so plm, when urca is installed) runs; it is
written here in numpy because no Python package has it (statsmodels and arch implement
the MacKinnon 1994 polynomials and MacKinnon 2010 critical values instead).

The tables (``data/mackinnon1996_tau.csv``) were exported from urca by
``data/make_mackinnon1996.R`` (tables of constants: data, not code). Their terms of use
(MacKinnon: free for non-commercial use with attribution) are in ``NOTICE.md``.

Examples
--------
>>> round(float(mackinnon1996_pvalue(-2.86, "c")[0]), 4)  # R: punitroot(-2.86) = 0.05017
0.0502
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from migflows.errors import InvalidOptionError

__all__ = ["TRENDS_1996", "mackinnon1996_pvalue", "mackinnon1996_score"]

Trend1996 = Literal["nc", "c", "ct", "ctt"]
TRENDS_1996: tuple[str, ...] = ("nc", "c", "ct", "ctt")
_TABLE = Path(__file__).resolve().parent / "data" / "mackinnon1996_tau.csv"
_POINTS = 9  # quantiles in each local regression (urca's np = 9)
_CRITICAL_T = 2.0  # keep the cubic term when its |t| exceeds this (urca's precrt = 2)
_CLAMP = 16.0  # |score| at most this (MacKinnon's normal cdf clamps its argument there)


@cache
def _table(trend: str) -> pd.DataFrame:
    table = pd.read_csv(_TABLE)
    return table[table["trend"] == trend].reset_index(drop=True)


def _quantiles(trend: str, nobs: int | None) -> np.ndarray:
    """The 221 quantiles of the response surface at sample size ``nobs`` (None: asymptotic)."""
    tab = _table(trend)
    beta = tab[["beta0", "beta1", "beta2", "beta3"]].to_numpy(dtype=np.float64)
    if nobs is None:
        return beta[:, 0].copy()
    inv = 1.0 / nobs
    return np.asarray(beta @ np.array([1.0, inv, inv**2, inv**3]))


def _gls_score(x: np.ndarray, y: np.ndarray, omega: np.ndarray, at: float) -> float:
    """GLS fit of ``y`` on a cubic in ``x``, evaluated at ``at``.

    Falls back to the quadratic when the cubic term is not significant (|t| <= 2), as
    MacKinnon does. The polynomial is written in powers of ``x - at`` (its value at ``at`` is
    then the intercept; the leading coefficient and its t-statistic do not change) and solved
    by QR after whitening with the Cholesky factor of ``omega``: the power basis MacKinnon
    uses is ill-conditioned (about 1e-7 of the p-value is lost to rounding in it).
    """
    chol = np.linalg.cholesky(omega)
    yw = np.linalg.solve(chol, y)
    for degree in (3, 2):
        xw = np.linalg.solve(chol, np.vander(x - at, degree + 1, increasing=True))
        q, r = np.linalg.qr(xw)
        gamma = np.linalg.solve(r, q.T @ yw)
        if degree == 2:
            return float(gamma[0])
        resid = yw - xw @ gamma
        r_inv = np.linalg.inv(r)
        var_cubic = float(resid @ resid) / (len(y) - 4) * float(r_inv[3] @ r_inv[3])
        if abs(gamma[3]) / np.sqrt(var_cubic) > _CRITICAL_T:
            return float(gamma[0])
    raise AssertionError("unreachable")  # pragma: no cover


def _score_one(stat: float, trend: str, crits: np.ndarray) -> tuple[float, bool]:
    """Normal score of the p-value of one statistic and whether it was held at an end."""
    tab = _table(trend)
    probs = tab["prob"].to_numpy(dtype=np.float64)
    cnorm = tab["cnorm"].to_numpy(dtype=np.float64)
    weight = tab["weight"].to_numpy(dtype=np.float64)
    n = len(crits)  # 221
    imin = int(np.argmin(np.abs(stat - crits)))  # 0-based; first of ties, as urca
    half = _POINTS // 2
    if half <= imin < n - 1 - half:  # interior: the 9 quantiles around the nearest one
        idx = np.arange(imin - half, imin + half + 1)
        upper = False
    elif imin < _POINTS - 1:  # lower end: from the first quantile to imin + 4 (at least 5)
        idx = np.arange(max(imin + 1 + half, 5))
        upper = False
    else:  # upper end: from the last quantile down
        idx = n - 1 - np.arange(max(n - imin + half, 5))
        upper = True
    if upper:  # MacKinnon: identity weights at the upper end (numerical singularities)
        omega = np.eye(len(idx))
    else:
        p_i, p_j = probs[idx][:, None], probs[idx][None, :]
        ratio = np.sqrt(np.minimum(p_i, p_j) * (1 - np.maximum(p_i, p_j)))
        ratio = ratio / np.sqrt(np.maximum(p_i, p_j) * (1 - np.minimum(p_i, p_j)))
        omega = weight[idx][:, None] * weight[idx][None, :] * ratio
    # MacKinnon's routine evaluates the normal cdf with its argument held within +-16
    score = min(max(_gls_score(crits[idx], cnorm[idx], omega, stat), -_CLAMP), _CLAMP)
    # hold the p-value within the table beyond its ends (as urca's fpval)
    if imin == 0 and special.ndtr(score) > probs[0]:
        return float(special.ndtri(probs[0])), True
    if imin == n - 1 and special.ndtr(score) < probs[-1]:
        return float(special.ndtri(probs[-1])), True
    return score, False


def mackinnon1996_score(
    tstat: np.ndarray | float, trend: Trend1996 | str = "c", nobs: int | None = None
) -> np.ndarray:
    """Normal scores ``Φ⁻¹(p)`` of MacKinnon's (1996) p-values of Dickey-Fuller taus.

    Parameters
    ----------
    tstat : array_like
        Dickey-Fuller / ADF t-statistics (finite).
    trend : {"nc", "c", "ct", "ctt"}, default "c"
        Deterministic terms of the test regression (urca's names: none, constant, constant
        and trend, quadratic trend).
    nobs : int, optional
        Sample size for the finite-sample response surface; ``None`` (default) is the
        asymptotic distribution (``urca::punitroot(N = Inf)``, which plm uses).

    Returns
    -------
    ndarray
        ``Φ⁻¹`` of the p-values (the GLS fit itself, so exact in the tails).

    Examples
    --------
    >>> mackinnon1996_score([-2.86, -3.43], "c").round(3).tolist()
    [-1.643, -2.326]
    """
    if trend not in TRENDS_1996:
        raise InvalidOptionError(
            f"trend={trend!r} is not a MacKinnon (1996) table; use one of 'nc', 'c', 'ct', 'ctt'."
        )
    if nobs is not None and (isinstance(nobs, bool) or int(nobs) != nobs or nobs < 1):
        raise InvalidOptionError(f"nobs={nobs!r} must be a positive integer or None.")
    t = np.atleast_1d(np.asarray(tstat, dtype=np.float64))
    crits = _quantiles(str(trend), None if nobs is None else int(nobs))
    out = np.array([_score_one(float(v), str(trend), crits)[0] for v in t.ravel()])
    return out.reshape(t.shape)


def mackinnon1996_pvalue(
    tstat: np.ndarray | float, trend: Trend1996 | str = "c", nobs: int | None = None
) -> np.ndarray:
    """MacKinnon's (1996) p-values of Dickey-Fuller taus, as ``urca::punitroot``.

    Parameters
    ----------
    tstat : array_like
        t-statistics.
    trend : {"nc", "c", "ct", "ctt"}, default "c"
    nobs : int, optional
        ``None`` (default): asymptotic, ``punitroot(q, N = Inf)``; otherwise ``N = nobs``.

    Returns
    -------
    ndarray
        p-values (left tail: small for stationary series), within ``[1e-4, 0.9999]`` at the
        ends of MacKinnon's table.

    Examples
    --------
    >>> mackinnon1996_pvalue([-4.0, -1.0], "ct").round(4).tolist()  # R: 0.008714, 0.942511
    [0.0087, 0.9425]
    """
    return np.asarray(special.ndtr(mackinnon1996_score(tstat, trend, nobs)))
