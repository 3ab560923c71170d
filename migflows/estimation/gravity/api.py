"""Gravity models of migration flows: :func:`gravity`.

One call fits a fixest-style formula on a :class:`~migflows.data.panel.FlowPanel` (or a
DataFrame) with one of several estimators:

``ppml``
    Poisson pseudo-maximum likelihood with high-dimensional fixed effects
    (:func:`migflows.estimation.gravity.ppml.fit_ppml`: ppmlhdfe's algorithm, separation and
    singleton checks). Keeps zero flows; the workhorse of the gravity literature
    (Santos Silva & Tenreyro 2006).
``ols``
    Log-linear OLS of ``log(flow)`` with absorbed fixed effects; zero flows are dropped
    with a warning and their count, or ``log1p`` on request (``zeros="log1p"``).
``negbin``, ``gpml``
    Negative binomial (NB2) and gamma PML (see :mod:`migflows.estimation.gravity.glm`).

The identification guard: region-year drivers (wage ratio, GRP per capita, unemployment)
are absorbed by origin-year and destination-year fixed effects — only pair-varying
covariates survive them. :func:`gravity` checks every regressor before fitting and names
the fixed effects that absorb it with the specification that would identify it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import FixedEffectError, InvalidOptionError, format_values
from migflows.estimation.core.covariance import SmallSampleCorrection
from migflows.estimation.core.demean import demean
from migflows.estimation.core.results import SandwichPieces
from migflows.estimation.gravity.ppml import fit_ppml
from migflows.estimation.gravity.results import GravityFit, GravityResults
from migflows.models.design import Design, build_design
from migflows.models.formula import parse_formula

Estimator = Literal["ppml", "ols", "negbin", "gpml"]
ESTIMATORS = ("ppml", "ols", "negbin", "gpml")


def gravity(
    formula: str,
    data: FlowPanel | pd.DataFrame,
    estimator: Estimator = "ppml",
    *,
    vcov: str | Mapping[str, Any] = "hetero",
    weights: str | np.ndarray | pd.Series | None = None,
    offset: str | np.ndarray | pd.Series | None = None,
    periods: Mapping[str, tuple[int, int]] | None = None,
    absorbed: Literal["raise", "drop"] = "raise",
    zeros: Literal["drop", "log1p"] = "drop",
    ssc: SmallSampleCorrection | None = None,
    **options: Any,
) -> GravityResults:
    """Fit a gravity model of migration flows.

    Parameters
    ----------
    formula : str
        fixest-style, e.g. ``"flow ~ log_wage_ratio + log_dist | orig + dest + year"``;
        fixed effects ``orig``, ``dest``, ``year``, ``pair`` and interactions
        (``orig^year``); ``i(period, x)`` for period-specific slopes (with ``periods=``).
    data : FlowPanel or DataFrame
        A DataFrame needs a column for every name in the formula.
    estimator : {"ppml", "ols", "negbin", "gpml"}
        See the module docstring.
    vcov : str or dict, default "hetero"
        ``"iid"``, ``"hetero"`` (heteroskedasticity-robust, the Stata ppmlhdfe default),
        ``{"CRV1": "pair"}``, ``{"CRV1": "orig"}``, ``{"CRV1": "orig+dest"}`` (two-way).
        Change it later without refitting: ``res.vcov({"CRV1": "pair"})``.
    weights, offset : str or array, optional
        Observation weights; an offset with coefficient one (e.g. ``"log_pop_o"``).
    periods : mapping, optional
        Periods for ``i(period, x)``: ``{"boom": (2000, 2007), "crisis": (2008, 2014)}``.
    absorbed : {"raise", "drop"}
        A regressor absorbed by the fixed effects raises :class:`FixedEffectError` naming
        the fixed effects and the specification that identifies it (default), or is dropped
        with a warning.
    zeros : {"drop", "log1p"}
        Log-OLS only: drop zero flows (with a warning and their count) or use ``log1p``.
    ssc : SmallSampleCorrection, optional
        Small-sample convention (default fixest's; ``SmallSampleCorrection.stata()``).
    **options
        Passed to the estimator. PPML: ``tol``, ``maxiter``, ``fixef_tol``,
        ``separation``, ``drop_singletons``, ``collinear``, ``collin_tol``. Negative binomial
        and gamma PML: ``tol``, ``maxiter``, ``engine`` (``"demean"``, IRLS with the fixed
        effects partialled out, or ``"dummies"``, statsmodels with dummy columns),
        ``max_dummies``, ``separation``, ``drop_singletons``, ``collinear``, ``collin_tol``;
        negative binomial also ``theta`` (held fixed) and ``outer_maxiter``. Unknown options
        raise :class:`~migflows.errors.InvalidOptionError` listing the allowed ones.

    Returns
    -------
    GravityResults

    Raises
    ------
    FormulaSyntaxError, UnknownVariableError, FixedEffectError, ConvergenceError,
    EstimationError, InvalidOptionError

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2020, 2021, 2023])
    >>> res = migflows.gravity("flow ~ log_dist | orig^year + dest^year", kz)
    >>> res.params.round(3).to_dict()
    {'log_dist': -1.144}
    """
    if estimator not in ESTIMATORS:
        raise InvalidOptionError(
            f"estimator={estimator!r} is not available; use one of {format_values(ESTIMATORS)}."
        )
    parsed = parse_formula(formula)
    if estimator == "ols":
        design = build_design(
            parsed,
            data,
            weights=weights,
            offset=offset,
            periods=periods,
            depvar_transform=_log_transform(zeros),
        )
    else:
        design = build_design(parsed, data, weights=weights, offset=offset, periods=periods)
    _check_absorbed(design, absorbed)
    if estimator == "ppml":
        return _fit_ppml(design, data, periods, vcov, ssc, options)
    if estimator == "ols":
        return _fit_ols(design, data, periods, vcov, ssc, zeros)
    import importlib

    gravity_glm = importlib.import_module("migflows.estimation.gravity.glm")
    return gravity_glm.fit(estimator, design, data, periods, vcov, ssc, options)


# ---------------------------------------------------------------------- identification guard
def cast_results(res: object) -> GravityResults:
    """Narrow ``RegressionResults.from_pieces`` (typed on the base class) to GravityResults."""
    return cast(GravityResults, res)


def _check_absorbed(design: Design, absorbed: str) -> None:
    """Raise (or warn) for regressors that the fixed effects absorb, naming the culprits."""
    if absorbed not in ("raise", "drop"):
        raise InvalidOptionError(f"absorbed={absorbed!r} is not allowed; use 'raise' or 'drop'.")
    fe = design.fe
    if fe.shape[1] == 0 or design.X.shape[1] == 0:
        return
    X = design.X.to_numpy(dtype=float)
    scale = np.maximum(np.abs(X).max(axis=0), 1e-300)
    bad: dict[str, tuple[str, ...]] = {}
    full = demean(X / scale, fe.to_numpy(), tol=1e-12).x
    spread = (X / scale).std(axis=0)
    hit = np.abs(full).max(axis=0) <= 1e-8 * np.maximum(spread, 1e-300)
    for j in np.flatnonzero(hit):
        bad[str(design.X.columns[int(j)])] = _smallest_absorbing_set(X[:, j] / scale[j], fe)
    if not bad:
        return
    if absorbed == "drop":
        # fit_ppml's collinearity check drops them with a warning naming them.
        return
    names = list(bad)
    detail = "; ".join(f"{n} by {' + '.join(s)}" for n, s in bad.items())
    raise FixedEffectError(
        f"{len(names)} regressor(s) are absorbed by the fixed effects: {detail}. A covariate "
        f"built from region-year attributes (wage, GRP per capita, unemployment, their ratios "
        f"or differences) is a sum of an origin-year and a destination-year term, so "
        f"origin-year and destination-year fixed effects (or origin and destination effects "
        f"in a single year) absorb it; only pair-varying covariates (distance, pair-time "
        f"variables) survive them. To identify it use '| orig + dest + year' over several "
        f"years (preset gravity_regional) or '| orig^dest + year' (pair + year), or pass "
        f"absorbed='drop' to drop it with a warning."
    )


def _smallest_absorbing_set(x: np.ndarray, fe: pd.DataFrame) -> tuple[str, ...]:
    cols = list(fe.columns)
    spread = max(float(x.std()), 1e-300)
    for size in range(1, len(cols) + 1):
        for combo in itertools.combinations(range(len(cols)), size):
            r = demean(x, fe.iloc[:, list(combo)].to_numpy(), tol=1e-12).x
            if np.abs(r).max() <= 1e-8 * spread:
                return tuple(cols[i] for i in combo)
    return tuple(cols)


# ---------------------------------------------------------------------- estimators
def _pieces(
    design: Design,
    hessian: np.ndarray,
    scores: np.ndarray,
    iid_scale: float,
    fe_codes: np.ndarray,
    clusters: pd.DataFrame,
) -> SandwichPieces:
    return SandwichPieces(
        hessian=hessian,
        scores=scores,
        nobs=scores.shape[0],
        fe_codes=fe_codes,
        clusters=clusters.reset_index(drop=True),
        iid_scale=iid_scale,
    )


def _fit_ppml(
    design: Design,
    data: FlowPanel | pd.DataFrame,
    periods: Mapping[str, tuple[int, int]] | None,
    vcov: str | Mapping[str, Any],
    ssc: SmallSampleCorrection | None,
    options: dict[str, Any],
) -> GravityResults:
    fit = fit_ppml(
        design.y.to_numpy(),
        design.X,
        design.fe if design.fe.shape[1] else None,
        weights=None if design.weights is None else design.weights.to_numpy(),
        offset=None if design.offset is None else design.offset.to_numpy(),
        names=list(design.X.columns),
        **options,
    )
    kept = np.flatnonzero(fit.sample)
    sub = _subset(design, kept)
    dropped = _merge_dropped(design, fit.dropped)
    X = sub.X[list(fit.names)].to_numpy(dtype=float)
    off = 0.0 if sub.offset is None else sub.offset.to_numpy()
    fe_part = fit.eta - off - X @ fit.coef
    stats = {
        "loglik": fit.loglik,
        "loglik_null": fit.loglik_null,
        "deviance": fit.deviance,
        "pseudo_rsquared": 1.0 - fit.loglik / fit.loglik_null if fit.loglik_null else np.nan,
        "corr_rsquared": float(np.corrcoef(fit.y, fit.mu)[0, 1] ** 2),
        "iterations": fit.iterations,
        "converged": fit.converged,
        "n_fe_levels": fit.fe_levels,
        "n_dropped": fit.n_dropped,
    }
    pieces = _pieces(sub, fit.hessian, fit.scores, 1.0, fit.fe_codes, sub.clusters)
    gfit = GravityFit(
        "ppml", sub, fit.mu, fit.eta, fe_part, dropped, fit.collinear, stats, data, periods
    )
    return cast_results(
        GravityResults.from_pieces(
            list(fit.names),
            fit.coef,
            pieces,
            vcov,
            ssc=ssc,
            use_t=False,
            model="PPML",
            depvar=str(design.formula.depvar),
            fit=gfit,
        )
    )


def _log_transform(zeros: str):  # type: ignore[no-untyped-def]
    if zeros not in ("drop", "log1p"):
        raise InvalidOptionError(f"zeros={zeros!r} is not allowed; use 'drop' or 'log1p'.")

    def transform(y: pd.Series) -> tuple[pd.Series, pd.Series]:
        if zeros == "log1p":
            return np.log1p(y).rename(f"log1p({y.name})"), y.notna() | y.isna()
        keep = ~(y <= 0)
        with np.errstate(divide="ignore"):
            return np.log(y.where(y > 0)).rename(f"log({y.name})"), keep

    return transform


def _fit_ols(
    design: Design,
    data: FlowPanel | pd.DataFrame,
    periods: Mapping[str, tuple[int, int]] | None,
    vcov: str | Mapping[str, Any],
    ssc: SmallSampleCorrection | None,
    zeros: str,
) -> GravityResults:
    y = design.y.to_numpy(dtype=float)
    X = design.X.to_numpy(dtype=float)
    w = np.ones_like(y) if design.weights is None else design.weights.to_numpy(dtype=float)
    if (w <= 0).any():
        raise InvalidOptionError(f"weights must be positive; {int((w <= 0).sum())} are not.")
    codes = design.fe.to_numpy()
    if codes.shape[1]:
        both = demean(np.column_stack([y, X]), codes, weights=w, tol=1e-12).x
        yt, Xt = both[:, 0], both[:, 1:]
    else:
        yt, Xt = y, X
    names = list(design.X.columns)
    keep = _independent_columns(Xt, w)
    if len(keep) < len(names):
        collinear = tuple(n for i, n in enumerate(names) if i not in keep)
        import warnings

        from migflows.estimation.gravity.ppml import CollinearityWarning

        warnings.warn(
            f"Dropped collinear regressor(s) {format_values(collinear)}.",
            CollinearityWarning,
            stacklevel=3,
        )
    else:
        collinear = ()
    Xk = Xt[:, keep]
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(Xk * sw[:, None], yt * sw, rcond=None)
    resid = yt - Xk @ coef
    hessian = (Xk * w[:, None]).T @ Xk
    scores = Xk * (w * resid)[:, None]
    # fixest convention: the iid covariance is rss/(n-1) (X'X)^-1 times the small-sample
    # factor (n-1)/(n-K) that sandwich() applies, i.e. the usual rss/(n-K).
    sigma2 = float((w * resid**2).sum() / (len(y) - 1))
    yw_mean = np.average(y, weights=w)
    tss = float((w * (y - yw_mean) ** 2).sum())
    rss = float((w * resid**2).sum())
    fitted = y - resid
    kept_names = [names[i] for i in keep]
    fe_part = fitted - X[:, keep] @ coef
    stats = {
        "rsquared": 1 - rss / tss if tss > 0 else np.nan,
        "rsquared_within": 1 - rss / float((w * yt**2).sum()) if codes.shape[1] else np.nan,
        "sigma": float(np.sqrt(sigma2)),
        "zeros": zeros,
    }
    pieces = _pieces(design, hessian, scores, sigma2, codes, design.clusters)
    gfit = GravityFit(
        "ols",
        design,
        fitted,
        fitted,
        fe_part,
        design.dropped.copy(),
        collinear,
        stats,
        data,
        periods,
        link="identity",
    )
    return cast_results(
        GravityResults.from_pieces(
            kept_names,
            coef,
            pieces,
            vcov,
            ssc=ssc,
            use_t=True,
            model="OLS (log-linear)",
            depvar=str(design.y.name),
            fit=gfit,
        )
    )


def _independent_columns(Xt: np.ndarray, w: np.ndarray, tol: float = 1e-9) -> list[int]:
    keep: list[int] = []
    for j in range(Xt.shape[1]):
        cand = [*keep, j]
        A = Xt[:, cand] * np.sqrt(w)[:, None]
        s = np.linalg.svd(A, compute_uv=False)
        if s.size and s[-1] > tol * max(s[0], 1e-300):
            keep.append(j)
    return keep


def _subset(design: Design, kept: np.ndarray) -> Design:
    """The design restricted to positions ``kept`` (after separation/singleton removal)."""
    from dataclasses import replace

    def take(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[kept].reset_index(drop=True)

    return replace(
        design,
        y=design.y.iloc[kept].reset_index(drop=True),
        X=take(design.X),
        fe=take(design.fe),
        fe_labels=take(design.fe_labels) if len(design.fe_labels.columns) else design.fe_labels,
        keys=take(design.keys),
        clusters=take(design.clusters),
        weights=None
        if design.weights is None
        else design.weights.iloc[kept].reset_index(drop=True),
        offset=None if design.offset is None else design.offset.iloc[kept].reset_index(drop=True),
        rows=design.rows[kept],
    )


def _merge_dropped(design: Design, fit_dropped: pd.DataFrame) -> pd.DataFrame:
    """Design-level drops plus estimator drops (singletons, separation) with their keys."""
    parts = [design.dropped]
    if len(fit_dropped):
        keys = design.keys.iloc[fit_dropped["row"].to_numpy()].reset_index(drop=True)
        parts.append(keys.assign(reason=fit_dropped["reason"].to_numpy()))
    return pd.concat(parts, ignore_index=True)
