"""Numerical core of the panel unit-root tests: batched ADF/CADF regressions and statistics.

Written by hand because no maintained Python package provides these panel tests (the one
that does, panelbox, over-rejected true unit roots in a size check, so it is neither
wrapped nor copied). The computations re-implement those of R ``plm`` 2.6-2
(``purtest``, ``cipstest``) so that our statistics match it; statsmodels supplies the
MacKinnon (1994) response-surface coefficients and scipy the reference distributions.

Every function here works on validated, NaN-free arrays; the public boundary lives in
:mod:`migflows.estimation.unit_root.api`. Regressions of units that share the same length
and lag order are stacked into 3-D arrays and solved together by batched QR, which is
what makes 2,000-unit panels cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats
from statsmodels.tsa import adfvalues

from migflows.errors import EstimationError, format_values
from migflows.estimation.unit_root.mackinnon1996 import mackinnon1996_score

Deterministic = Literal["none", "c", "ct"]
LagMethod = Literal["aic", "bic", "hall"]
Extrapolation = Literal["flat", "polynomial"]
PvalueMethod = Literal["mackinnon1994", "mackinnon1996"]
PVALUE_METHODS: tuple[str, ...] = ("mackinnon1994", "mackinnon1996")
#: urca's names of the deterministic terms (MacKinnon 1996 tables)
URCA_TREND = {"none": "nc", "c": "c", "ct": "ct"}

N_DET = {"none": 0, "c": 1, "ct": 2}


# ---------------------------------------------------------------------------
# MacKinnon (1994) p-values of the DF/ADF t
def mackinnon_score(
    tstat: np.ndarray,
    deterministic: Deterministic,
    extrapolation: Extrapolation = "flat",
) -> np.ndarray:
    """Normal score ``x`` of MacKinnon's (1994) p-value ``Φ(x)`` for ADF t-statistics.

    Uses statsmodels' response-surface coefficients (those behind
    :func:`statsmodels.tsa.adfvalues.mackinnonp`), vectorised. Returning the score rather
    than the p-value keeps Choi's statistics exact in the tails (``Φ⁻¹(Φ(x)) = x``).

    MacKinnon's polynomials turn around outside their range (statsmodels' ``tau_min`` and
    ``tau_max``): evaluated further out, a t of -50 gets a p-value of 1, and a large positive
    t a p-value near 0. ``"flat"`` holds the score at the turning points, so the p-value is
    monotone in t and never reaches 0; ``"polynomial"`` evaluates the
    polynomial anywhere, as plm does (statsmodels clips to exactly 0 and 1 instead).
    """
    key = {"none": "n", "c": "c", "ct": "ct"}[deterministic]
    t = np.asarray(tstat, dtype=float)
    if extrapolation == "flat":
        t = np.clip(t, adfvalues._tau_mins[key][0], adfvalues._tau_maxs[key][0])
    small = np.asarray(adfvalues._tau_smallps[key][0], dtype=float)
    large = np.asarray(adfvalues._tau_largeps[key][0], dtype=float)
    star = float(adfvalues._tau_stars[key][0])
    poly_small = np.polyval(small[::-1], t)
    poly_large = np.polyval(large[::-1], t)
    return np.asarray(np.where(t <= star, poly_small, poly_large))


def mackinnon_pvalue(
    tstat: np.ndarray,
    deterministic: Deterministic,
    extrapolation: Extrapolation = "flat",
) -> np.ndarray:
    """Asymptotic p-values of ADF t-statistics after MacKinnon (1994); see mackinnon_score."""
    return np.asarray(stats.norm.cdf(mackinnon_score(tstat, deterministic, extrapolation)))


# ---------------------------------------------------------------------------
# Batched least squares
@dataclass(frozen=True)
class _Fit:
    coef0: np.ndarray  # first coefficient per unit
    se0: np.ndarray  # its standard error
    rss: np.ndarray
    sigma: np.ndarray
    nobs: int
    k: int
    last_t: np.ndarray  # t of the last non-deterministic regressor (Hall's rule)


def _batched_ols(
    x: np.ndarray, y: np.ndarray, *, dfcor: bool, labels: Sequence[object], last_index: int = 0
) -> _Fit:
    """OLS of ``y[g]`` on ``x[g]`` for every unit ``g`` at once (x: G×n×k, y: G×n)."""
    _, n, k = x.shape
    # Unit-norm columns make the rank check scale-free (levels in tenge next to an
    # intercept); coefficients and standard errors are scaled back below.
    norms = np.sqrt(np.einsum("gnk,gnk->gk", x, x))
    norms = np.where(norms > 0, norms, 1.0)
    q, r = np.linalg.qr(x / norms[:, None, :])
    diag = np.abs(np.diagonal(r, axis1=1, axis2=2))
    singular = (diag < 1e-10).any(axis=1)
    if singular.any():
        bad = [labels[int(i)] for i in np.flatnonzero(singular)]
        raise EstimationError(
            f"the ADF regression is singular for {len(bad)} unit(s): {format_values(bad)}; "
            "a series that is constant, or exactly linear under trend='ct', or too short "
            "for the lag order gives a singular design. Drop these units or use fewer lags."
        )
    qty = np.einsum("gnk,gn->gk", q, y)
    beta = np.linalg.solve(r, qty[..., None])[..., 0] / norms
    resid = y - np.einsum("gnk,gk->gn", x, beta)
    rss = np.einsum("gn,gn->g", resid, resid)
    rdf = n - k
    resvar = rss / rdf if dfcor else rss / n
    sigma = np.sqrt(resvar)
    rinv = np.linalg.inv(r)
    var_diag = np.einsum("gij,gij->gi", rinv, rinv) / norms**2  # diag of (X'X)^-1
    se = sigma[:, None] * np.sqrt(var_diag)
    return _Fit(
        coef0=beta[:, 0],
        se0=se[:, 0],
        rss=rss,
        sigma=sigma,
        nobs=n,
        k=k,
        last_t=beta[:, last_index] / se[:, last_index],
    )


def _residualise(x: np.ndarray, ys: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Residuals of each ``y`` (G×n) regressed on ``x`` (G×n×k), per unit."""
    if x.shape[2] == 0:
        return [np.array(y, dtype=float) for y in ys]
    q, _ = np.linalg.qr(x)
    out = []
    for y in ys:
        fitted = np.einsum("gnk,gk->gn", q, np.einsum("gnk,gn->gk", q, y))
        out.append(y - fitted)
    return out


def _adf_design(
    y: np.ndarray, lags: int, start: int, deterministic: Deterministic
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ADF design for a G×T block: rows ``start..T-1`` (0-based).

    Returns ``(dy, x, x_aux)``: the differenced dependent variable, the regressors
    ``[y_{t-1}, Δy_{t-1..t-p}, deterministics]`` (plm's column order), and the same
    without ``y_{t-1}`` (the LLC auxiliary regressions).
    """
    g, t_len = y.shape
    d = np.diff(y, axis=1)  # d[:, t-1] = y_t - y_{t-1}
    rows = t_len - start
    dy = d[:, start - 1 : t_len - 1]
    cols = [y[:, start - 1 : t_len - 1]]
    cols += [d[:, start - 1 - j : t_len - 1 - j] for j in range(1, lags + 1)]
    if deterministic in ("c", "ct"):
        cols.append(np.ones((g, rows)))
    if deterministic == "ct":
        cols.append(np.broadcast_to(np.arange(start + 1, t_len + 1, dtype=float), (g, rows)))
    x = np.stack(cols, axis=2)
    return dy, x, x[:, :, 1:]


# ---------------------------------------------------------------------------
# Lag selection (plm's lagsel)
def select_lags(
    series: Sequence[np.ndarray],
    labels: Sequence[object],
    deterministic: Deterministic,
    method: LagMethod,
    max_lags: int,
    *,
    dfcor: bool,
    fixed_t: bool,
) -> np.ndarray:
    """Lag order per unit by AIC, BIC (plm's "SIC") or Hall's general-to-specific rule.

    As in plm: with ``fixed_t`` every candidate is fitted on the same rows (the first
    ``max_lags + 1`` dropped); the criteria are ``log(RSS/n) + K·c/n`` with ``c = 2`` or
    ``log n``; ties go to the larger lag; Hall's rule drops the last lag while its
    |t| < 1.96.
    """
    out = np.empty(len(series), dtype=int)
    for members, block in _blocks_by_length(series):
        block_labels = [labels[int(i)] for i in members]
        t_len = block.shape[1]
        crit = np.empty((len(members), max_lags + 1))
        last_t = np.empty((len(members), max_lags + 1))
        for p in range(max_lags, -1, -1):
            start = max_lags + 1 if fixed_t else p + 1
            dy, x, _ = _adf_design(block, p, start, deterministic)
            fit = _batched_ols(x, dy, dfcor=dfcor, labels=block_labels, last_index=p)
            n = t_len - start
            penalty = 2.0 if method == "aic" else np.log(n)
            crit[:, p] = np.log(fit.rss / n) + fit.k * penalty / n
            last_t[:, p] = fit.last_t
        if method == "hall":
            keep = (np.abs(last_t) >= 1.96) | (np.arange(max_lags + 1) == 0)
            # the largest p whose last lag is significant (p = 0 always stops the search)
            chosen = max_lags - np.argmax(keep[:, ::-1], axis=1)
        else:
            # plm scans p = max_lags, ..., 0 and takes the first minimum: ties -> larger p
            chosen = max_lags - np.argmin(crit[:, ::-1], axis=1)
        out[members] = chosen
    return out


def _blocks_by_length(series: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    lengths = np.array([len(s) for s in series])
    blocks = []
    for t_len in np.unique(lengths):
        members = np.flatnonzero(lengths == t_len)
        blocks.append((members, np.vstack([series[int(i)] for i in members]).astype(float)))
    return blocks


# ---------------------------------------------------------------------------
# Per-unit ADF regressions (plm's tsadf)
@dataclass(frozen=True)
class AdfUnits:
    """Per-unit ADF results, in the order of the input series."""

    rho: np.ndarray
    se: np.ndarray
    tstat: np.ndarray
    sigma: np.ndarray
    nobs: np.ndarray
    periods: np.ndarray  # series length T_i
    lags: np.ndarray
    pvalue: np.ndarray
    score: np.ndarray  # normal score of the p-value
    resid_diff: list[np.ndarray] | None = None  # LLC auxiliary residuals / sigma
    resid_level: list[np.ndarray] | None = None


def adf_units(
    series: Sequence[np.ndarray],
    labels: Sequence[object],
    lags: np.ndarray,
    deterministic: Deterministic,
    *,
    dfcor: bool,
    auxiliary: bool = False,
    extrapolation: Extrapolation = "flat",
    pvalues: PvalueMethod = "mackinnon1994",
) -> AdfUnits:
    """ADF regression of every unit with its own lag order (rows after the first p+1).

    ``pvalues`` chooses MacKinnon's (1994) polynomials (with ``extrapolation``) or his (1996)
    asymptotic tables, as ``urca::punitroot(N = Inf)`` (what plm uses when urca is there).
    """
    n_units = len(series)
    rho = np.empty(n_units)
    se = np.empty(n_units)
    sigma = np.empty(n_units)
    nobs = np.empty(n_units, dtype=int)
    resid_diff: list[np.ndarray] = [np.empty(0)] * n_units
    resid_level: list[np.ndarray] = [np.empty(0)] * n_units
    lengths = np.array([len(s) for s in series])
    keys = sorted(set(zip(lengths.tolist(), np.asarray(lags).tolist(), strict=True)))
    for t_len, p in keys:
        members = np.flatnonzero((lengths == t_len) & (lags == p))
        block = np.vstack([series[int(i)] for i in members]).astype(float)
        dy, x, x_aux = _adf_design(block, p, p + 1, deterministic)
        fit = _batched_ols(x, dy, dfcor=dfcor, labels=[labels[int(i)] for i in members])
        rho[members] = fit.coef0
        se[members] = fit.se0
        sigma[members] = fit.sigma
        nobs[members] = fit.nobs
        if auxiliary:
            e, v = _residualise(x_aux, [dy, x[:, :, 0]])
            for j, i in enumerate(members):
                resid_diff[i] = e[j] / fit.sigma[j]
                resid_level[i] = v[j] / fit.sigma[j]
    tstat = rho / se
    if pvalues == "mackinnon1996":
        score = mackinnon1996_score(tstat, URCA_TREND[deterministic])
    else:
        score = mackinnon_score(tstat, deterministic, extrapolation)
    return AdfUnits(
        rho=rho,
        se=se,
        tstat=tstat,
        sigma=sigma,
        nobs=nobs,
        periods=lengths,
        lags=np.asarray(lags, dtype=int),
        pvalue=np.asarray(stats.norm.cdf(score)),
        score=score,
        resid_diff=resid_diff if auxiliary else None,
        resid_level=resid_level if auxiliary else None,
    )


# ---------------------------------------------------------------------------
# Levin-Lin-Chu
def long_run_variance(
    wide: np.ndarray,
    deterministic: Deterministic,
    bandwidth: int | None,
    rule: Literal["llc2002", "plm"] = "llc2002",
) -> np.ndarray:
    """Bartlett-kernel long-run variance of Δy per unit (rows of ``wide``), as in LLC.

    The default bandwidth is ``round(3.21 T^(1/3))`` (LLC 2002, p. 14). Under
    ``rule="llc2002"`` Δy is used as it is, except with a trend (drift in Δy), where it
    is demeaned; under ``rule="plm"`` Δy is demeaned with an intercept and detrended
    with a trend, as plm 2.6 does. With T = 25 the bandwidth is 9 of 24 differences, and
    the extra demeaning or detrending biases the estimate down so much that the LLC test
    rejects a true unit root 30-90% of the time at the 5% level (our Monte Carlo);
    the LLC rule keeps the size near 5%.
    """
    t_len = wide.shape[1]
    q = round(3.21 * t_len ** (1 / 3)) if bandwidth is None else int(bandwidth)
    dx = np.diff(wide, axis=1)
    demean = deterministic == "ct" if rule == "llc2002" else deterministic == "c"
    if demean:
        dx = dx - dx.mean(axis=1, keepdims=True)
    elif rule == "plm" and deterministic == "ct":
        trend = np.column_stack([np.ones(t_len - 1), np.arange(1, t_len, dtype=float)])
        coef, *_ = np.linalg.lstsq(trend, dx.T, rcond=None)
        dx = dx - (trend @ coef).T
    out = (dx**2).sum(axis=1) / (t_len - 1)
    for lag in range(1, q + 1):
        if lag >= t_len - 1:
            break
        gamma = (dx[:, lag:] * dx[:, :-lag]).sum(axis=1) / (t_len - 1)
        out = out + 2 * (1 - lag / (q + 1)) * gamma
    return np.asarray(out)


@dataclass(frozen=True)
class LlcResult:
    """LLC statistic and its ingredients."""

    statistic: float
    pvalue: float
    rho: float
    tstat: float
    sigma2_st: np.ndarray
    sigma2_lt: np.ndarray
    mu: float
    sigma_adj: float


def llc_statistic(
    wide: np.ndarray,
    adf: AdfUnits,
    deterministic: Deterministic,
    *,
    dfcor: bool,
    bandwidth: int | None,
    mu: float,
    sigma_adj: float,
    lrv_rule: Literal["llc2002", "plm"] = "llc2002",
) -> LlcResult:
    """Levin-Lin-Chu adjusted t (LLC 2002, eq. 12) from the pooled normalised residuals."""
    n_units, t_len = wide.shape
    sigma_lt = np.sqrt(long_run_variance(wide, deterministic, bandwidth, lrv_rule))
    s_bar = float(np.mean(sigma_lt / adf.sigma))
    assert adf.resid_diff is not None and adf.resid_level is not None
    e = np.concatenate(adf.resid_diff)
    v = np.concatenate(adf.resid_level)
    vv = float(v @ v)
    rho = float(e @ v) / vv
    resid = e - rho * v
    rss = float(resid @ resid)
    n_pooled = e.size
    sigma = np.sqrt(rss / (n_pooled - 1) if dfcor else rss / n_pooled)
    se_rho = sigma / np.sqrt(vv)
    t_rho = rho / se_rho
    t_tilde = t_len - float(np.mean(adf.lags)) - 1
    sigma_eps2 = rss / (n_units * t_tilde)
    stat = (t_rho - n_units * t_tilde * s_bar / sigma_eps2 * se_rho * mu) / sigma_adj
    return LlcResult(
        statistic=float(stat),
        pvalue=float(stats.norm.cdf(stat)),
        rho=rho,
        tstat=float(t_rho),
        sigma2_st=adf.sigma**2,
        sigma2_lt=sigma_lt**2,
        mu=mu,
        sigma_adj=sigma_adj,
    )


# ---------------------------------------------------------------------------
# Fisher-type combinations (Maddala-Wu, Choi)
def fisher_statistics(scores: np.ndarray) -> dict[str, tuple[float, float, float | None]]:
    """Maddala-Wu P and Choi's Z, L* and Pm from the per-unit p-values ``Φ(score)``.

    Computed from the normal scores with log-CDFs, so a p-value that rounds to 0 or 1
    does not turn the statistics infinite. Returns
    ``{name: (statistic, p-value, degrees of freedom or None)}``.
    """
    x = np.asarray(scores, dtype=float)
    n = x.size
    log_p = stats.norm.logcdf(x)
    log_q = stats.norm.logsf(x)
    chi2 = float(-2 * np.sum(log_p))
    z = float(np.sum(x) / np.sqrt(n))
    l_star = float(np.sum(log_p - log_q))
    k = 3 * (5 * n + 4) / (np.pi**2 * n * (5 * n + 2))
    logit = float(np.sqrt(k) * l_star)
    pm = float(np.sum(-2 * log_p - 2) / (2 * np.sqrt(n)))
    return {
        "madwu": (chi2, float(stats.chi2.sf(chi2, 2 * n)), float(2 * n)),
        "invnormal": (z, float(stats.norm.cdf(z)), None),
        "logit": (logit, float(stats.t.cdf(logit, 5 * n + 4)), float(5 * n + 4)),
        "pm": (pm, float(stats.norm.sf(pm)), None),
    }


# ---------------------------------------------------------------------------
# Hadri
@dataclass(frozen=True)
class HadriResult:
    """Hadri LM statistic, its standardised value and the per-unit pieces."""

    statistic: float
    pvalue: float
    lm: float
    lm_units: np.ndarray
    sigma2_units: np.ndarray


def hadri_statistic(
    wide: np.ndarray,
    deterministic: Deterministic,
    *,
    heteroskedastic: bool,
    dfcor: bool,
    moments: tuple[float, float],
) -> HadriResult:
    """Hadri (2000) LM test of stationarity on a balanced N×T block."""
    n_units, t_len = wide.shape
    if deterministic == "c":
        resid = wide - wide.mean(axis=1, keepdims=True)
        df = t_len - 1
    else:
        design = np.column_stack([np.ones(t_len), np.arange(1, t_len + 1, dtype=float)])
        coef, *_ = np.linalg.lstsq(design, wide.T, rcond=None)
        resid = wide - (design @ coef).T
        df = t_len - 2
    ssr_units = (resid**2).sum(axis=1)
    if dfcor:
        sigma2 = ssr_units.sum() / (n_units * df)
        sigma2_units = ssr_units / df
    else:
        sigma2 = ssr_units.sum() / (n_units * t_len)
        sigma2_units = ssr_units / t_len
    s2 = (np.cumsum(resid, axis=1) ** 2).sum(axis=1)
    lm_units = s2 / t_len**2 / sigma2_units
    lm = float(lm_units.mean()) if heteroskedastic else float(np.mean(s2 / t_len**2) / sigma2)
    mean, var = moments
    z = np.sqrt(n_units) * (lm - mean) / np.sqrt(var)
    return HadriResult(
        statistic=float(z),
        pvalue=float(stats.norm.sf(z)),
        lm=lm,
        lm_units=lm_units,
        sigma2_units=sigma2_units,
    )


# ---------------------------------------------------------------------------
# Pesaran (2007) CIPS
def cadf_tstats(
    wide: np.ndarray, lags: int, deterministic: Deterministic, labels: Sequence[object]
) -> tuple[np.ndarray, int]:
    """t-statistics of ``y_{i,t-1}`` in the cross-sectionally augmented ADF regressions.

    Each unit's regression (as in plm's ``cipstest(model = "cmg")``) has
    ``Δy_it`` on ``y_{i,t-1}``, ``Δy_{i,t-1..t-p}``, the deterministic terms, and the
    cross-section means of ``Δy_t``, ``y_{t-1}`` and ``Δy_{t-1..t-p}``; the standard
    error uses the usual ``RSS / (n - k)``. Returns the t's and the rows per regression.
    """
    n_units, t_len = wide.shape
    start = lags + 1
    dy, x, _ = _adf_design(wide, lags, start, "none")
    rows = dy.shape[1]
    bars = [dy.mean(axis=0)] + [x[:, :, j].mean(axis=0) for j in range(x.shape[2])]
    cols = [x[:, :, j] for j in range(x.shape[2])]
    if deterministic in ("c", "ct"):
        cols.append(np.ones((n_units, rows)))
    if deterministic == "ct":
        cols.append(np.broadcast_to(np.arange(start + 1, t_len + 1, dtype=float), (n_units, rows)))
    cols += [np.broadcast_to(b, (n_units, rows)) for b in bars]
    design = np.stack(cols, axis=2)
    fit = _batched_ols(design, dy, dfcor=True, labels=labels)
    return fit.coef0 / fit.se0, rows
