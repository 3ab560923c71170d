"""Uncertainty of what planners use: predicted flows, balances and counterfactual changes.

Predicted flows depend on the slopes *and* on the fixed effects, so their standard errors
need the joint covariance of both. :func:`full_covariance` rebuilds it from the fit: the
design ``Z = [X, D]`` with one dummy per fixed-effect level (redundant levels removed by a
pivoted QR), the Hessian and scores of the model in ``Z``, and the sandwich of the result's
covariance kind; by Frisch–Waugh–Lovell its slope block is the result's own covariance,
which fixes the small-sample factor. From it:

* :func:`prediction_se` — the delta method on the response scale, ``se(mu_i) = mu_i
  sqrt(z_i' V z_i)``, intervals on the link scale (so they stay positive);
* :func:`aggregate_uncertainty` — arrivals, departures and net by region and year of any
  per-flow quantity (predicted flows, counterfactual changes), by the delta method (the
  gradient of a sum is the sum of gradients) or by parametric simulation (draws of the
  parameters from their normal approximation). Every flow is an arrival somewhere and a
  departure elsewhere, so national net migration is zero in every draw and has zero
  variance: the net intervals are consistent with a zero national change by construction.

Hand-written because no library gives prediction standard errors with fixed effects for
PPML (fixest's ``predict`` has none; its issue #22), nor intervals for derived balances. The
dense design limits this to a few thousand fixed-effect levels (Kazakhstan: 20 regions,
``orig^year + dest^year`` over 15 years is 600); ``predict(se=True)`` beyond that and for new
data, and delta-method balances and counterfactual changes beyond that, use
:mod:`migflows.estimation.gravity.prediction_se`, which needs no dense design (simulation
still does).

Examples
--------
>>> import migflows
>>> kz = migflows.load_kazakhstan(years=[2021])
>>> res = migflows.gravity("flow ~ log_dist | orig + dest", kz)
>>> pred = res.predict(se=True)
>>> bool((pred["std_error"] > 0).all()), bool((pred["lower"] < pred["fitted"]).all())
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import linalg, stats

from migflows.errors import InvalidOptionError
from migflows.estimation.core.covariance import CovarianceSpec, SmallSampleCorrection, sandwich
from migflows.estimation.core.results import SandwichPieces
from migflows.estimation.core.seeds import RandomSeed, as_generator
from migflows.models.design import Design

__all__ = [
    "FullCovariance",
    "aggregate_uncertainty",
    "balance_groups",
    "flow_uncertainty",
    "full_covariance",
    "interval_frame",
    "prediction_se",
]

#: Most dummy columns the dense joint covariance is built for.
MAX_LEVELS = 5000


@dataclass(frozen=True)
class FullCovariance:
    """Joint covariance of the slopes and the (identified) fixed effects.

    Attributes
    ----------
    Z : ndarray (n, p)
        Regressors then the kept dummy columns.
    theta : ndarray (p,)
        Slopes then fixed effects, ``Z theta`` = linear predictor minus offset.
    cov : ndarray (p, p)
    k : int
        Number of slopes (the first ``k`` entries).
    """

    Z: NDArray[np.float64]
    theta: NDArray[np.float64]
    cov: NDArray[np.float64]
    k: int


def full_covariance(
    design: Design,
    params: pd.Series,
    slope_cov: NDArray[np.float64],
    pieces: SandwichPieces,
    spec: CovarianceSpec,
    *,
    mu: NDArray[np.float64],
    fe_part: NDArray[np.float64],
    link: str,
) -> FullCovariance:
    """Build the joint covariance of slopes and fixed effects of a PPML or log-OLS fit.

    Parameters
    ----------
    design : Design
        The estimation sample.
    params : Series
        Slopes.
    slope_cov : ndarray (k, k)
        The result's covariance of the slopes (fixes the small-sample factor).
    pieces : SandwichPieces
        For the cluster variables and the ``iid`` scale.
    spec : CovarianceSpec
        The covariance kind of the result.
    mu : ndarray (n,)
        Fitted means (PPML) or fitted values (OLS, identity link).
    fe_part : ndarray (n,)
        Fixed-effect part of the linear predictor.
    link : {"log", "identity"}

    Returns
    -------
    FullCovariance
    """
    X = design.X[list(params.index)].to_numpy(dtype=float)
    codes = design.fe.to_numpy()
    n = X.shape[0]
    blocks = [np.eye(int(codes[:, j].max()) + 1)[codes[:, j]] for j in range(codes.shape[1])]
    D = np.hstack(blocks) if blocks else np.zeros((n, 0))
    if D.shape[1] > MAX_LEVELS:
        raise InvalidOptionError(
            f"standard errors with fixed effects build a dense design of {D.shape[1]} dummy "
            f"columns (at most {MAX_LEVELS}); use fewer or coarser fixed effects"
        )
    if D.shape[1]:
        _, r_diag, perm = linalg.qr(D, mode="economic", pivoting=True)
        rank = int((np.abs(np.diag(r_diag)) > 1e-9 * abs(r_diag[0, 0])).sum())
        D = D[:, np.sort(perm[:rank])]
        alpha = np.linalg.lstsq(D, fe_part, rcond=None)[0]
    else:
        alpha = np.zeros(0)
    Z = np.hstack([X, D])
    theta = np.concatenate([params.to_numpy(dtype=float), alpha])
    y = design.y.to_numpy(dtype=float)
    w = np.ones(n) if design.weights is None else design.weights.to_numpy(dtype=float)
    # Poisson: Hessian Z' diag(w mu) Z; least squares: Z' diag(w) Z; scores z w (y - mu)
    hessian = (Z * (w * mu if link == "log" else w)[:, None]).T @ Z
    scores = Z * (w * (y - mu))[:, None]
    raw = sandwich(
        hessian,
        scores,
        spec,
        nobs=n,
        k=Z.shape[1],
        clusters=pieces.clusters,
        ssc=SmallSampleCorrection.none(),
        iid_scale=pieces.iid_scale,
    ).cov
    k = X.shape[1]
    # one small-sample factor for the whole vector: the one of the result's slope block
    ratio = np.diag(slope_cov) / np.diag(raw[:k, :k]) if k else np.ones(1)
    return FullCovariance(Z, theta, raw * float(np.mean(ratio)), k)


def prediction_se(
    full: FullCovariance,
    mu: NDArray[np.float64],
    *,
    link: str,
    level: float = 0.95,
) -> pd.DataFrame:
    """Delta-method standard errors and intervals of the fitted values.

    Returns
    -------
    DataFrame
        ``fitted``, ``std_error`` (response scale), ``lower``, ``upper`` (link-scale
        interval mapped back for a log link; symmetric for the identity link).
    """
    var = np.einsum("ij,jk,ik->i", full.Z, full.cov, full.Z)
    se_eta = np.sqrt(np.where(var >= 0, var, np.nan))  # two-way CRV1 can be negative: NaN
    return interval_frame(mu, se_eta, link=link, level=level)


def interval_frame(
    mu: NDArray[np.float64], se_eta: NDArray[np.float64], *, link: str, level: float = 0.95
) -> pd.DataFrame:
    """``fitted``, ``std_error`` and the interval from link-scale standard errors.

    Examples
    --------
    >>> out = interval_frame(np.array([2.0]), np.array([0.1]), link="log")
    >>> round(float(out["std_error"].iloc[0]), 6)
    0.2
    """
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise InvalidOptionError(f"level={level!r} must be strictly between 0 and 1")
    crit = stats.norm.ppf(0.5 + level / 2)
    if link == "log":
        se = mu * se_eta
        lower, upper = mu * np.exp(-crit * se_eta), mu * np.exp(crit * se_eta)
    else:
        se = se_eta
        lower, upper = mu - crit * se_eta, mu + crit * se_eta
    return pd.DataFrame({"fitted": mu, "std_error": se, "lower": lower, "upper": upper})


def balance_groups(
    keys: pd.DataFrame,
) -> tuple[pd.MultiIndex, NDArray[np.int64], NDArray[np.int64]]:
    """Region-year index and, per flow, the row of its destination and its origin."""
    missing = [c for c in ("origin", "destination", "year") if c not in keys.columns]
    if missing:
        raise InvalidOptionError(
            f"regional balances need the flows' keys origin, destination and year; this fit "
            f"lacks {missing} (fit on a FlowPanel, e.g. FlowPanel.from_frame(...))"
        )
    regions = pd.Index(sorted(set(keys["origin"]) | set(keys["destination"])), name="region")
    years = pd.Index(sorted(keys["year"].unique()), name="year")
    index = pd.MultiIndex.from_product([regions, years])
    ny = len(years)
    year_pos = years.get_indexer(keys["year"])
    dest = regions.get_indexer(keys["destination"]) * ny + year_pos
    orig = regions.get_indexer(keys["origin"]) * ny + year_pos
    return index, dest, orig


def aggregate_uncertainty(
    full: FullCovariance,
    keys: pd.DataFrame,
    value: NDArray[np.float64],
    gradient: NDArray[np.float64],
    *,
    simulate: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
    method: Literal["delta", "simulation"] = "delta",
    level: float = 0.95,
    n_sims: int = 1000,
    random_seed: RandomSeed = None,
) -> pd.DataFrame:
    """Arrivals, departures and net by region-year of a per-flow quantity, with intervals.

    Parameters
    ----------
    full : FullCovariance
    keys : DataFrame
        ``origin``, ``destination``, ``year`` of each flow.
    value : ndarray (n,)
        The per-flow quantity (predicted flow, counterfactual change).
    gradient : ndarray (n, p)
        Its derivative with respect to ``theta``.
    simulate : callable, optional
        ``theta_draws (p, S) -> values (n, S)``, required by ``method="simulation"``.
    method : {"delta", "simulation"}
    level : float
    n_sims : int
    random_seed : int, Generator or None

    Returns
    -------
    DataFrame
        Indexed by ``region, year``; for ``arrivals``, ``departures`` and ``net``: the value,
        ``*_se`` and ``*_lower``/``*_upper``.
    """
    if method not in ("delta", "simulation"):
        raise InvalidOptionError(f"method={method!r} is not allowed; use 'delta' or 'simulation'")
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise InvalidOptionError(f"level={level!r} must be strictly between 0 and 1")
    index, dest, orig = balance_groups(keys)
    m = len(index)

    def to_groups(rows: NDArray[np.int64], values: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((m, *values.shape[1:]))
        np.add.at(out, rows, values)
        return out

    point = {"arrivals": to_groups(dest, value), "departures": to_groups(orig, value)}
    point["net"] = point["arrivals"] - point["departures"]
    out = pd.DataFrame(point, index=index)
    crit = stats.norm.ppf(0.5 + level / 2)
    if method == "delta":
        grads = {"arrivals": to_groups(dest, gradient), "departures": to_groups(orig, gradient)}
        grads["net"] = grads["arrivals"] - grads["departures"]
        for name, g in grads.items():
            se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", g, full.cov, g), 0.0))
            out[f"{name}_se"] = se
            out[f"{name}_lower"] = point[name] - crit * se
            out[f"{name}_upper"] = point[name] + crit * se
        return out
    if simulate is None:
        raise InvalidOptionError("method='simulation' needs the simulate function")
    rng = as_generator(random_seed)
    vals, vecs = np.linalg.eigh((full.cov + full.cov.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    draws = full.theta[:, None] + root @ rng.standard_normal((len(vals), n_sims))
    sims = simulate(draws)  # (n, S)
    agg = {"arrivals": to_groups(dest, sims), "departures": to_groups(orig, sims)}
    agg["net"] = agg["arrivals"] - agg["departures"]
    tail = (1 - level) / 2
    for name, a in agg.items():
        out[f"{name}_se"] = a.std(axis=1, ddof=1)
        out[f"{name}_lower"] = np.quantile(a, tail, axis=1)
        out[f"{name}_upper"] = np.quantile(a, 1 - tail, axis=1)
    return out


def flow_uncertainty(
    full: FullCovariance,
    mu: NDArray[np.float64],
    eta: NDArray[np.float64],
    keys: pd.DataFrame,
    shift: NDArray[np.float64] | None,
    *,
    method: Literal["delta", "simulation"] = "delta",
    level: float = 0.95,
    n_sims: int = 1000,
    random_seed: RandomSeed = None,
) -> pd.DataFrame:
    """Balances of the fitted flows (``shift=None``) or of their counterfactual changes.

    Parameters
    ----------
    full : FullCovariance
    mu, eta : ndarray (n,)
        Fitted flows and linear predictor of a log-link fit.
    keys : DataFrame
        ``origin``, ``destination``, ``year`` of each flow.
    shift : ndarray (n, k) or None
        Change of the regressors of every flow (counterfactual); the quantity is then
        ``mu (exp(shift b) - 1)``, whose gradient is ``(cf - mu) z + cf [shift, 0]``.
    method, level, n_sims, random_seed
        See :func:`aggregate_uncertainty`.

    Returns
    -------
    DataFrame
        See :func:`aggregate_uncertainty`.
    """
    k = full.k
    off = eta - full.Z @ full.theta
    keys = keys.reset_index(drop=True)
    if shift is None:
        value, gradient = mu, full.Z * mu[:, None]

        def simulate(theta: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.exp(full.Z @ theta + off[:, None])

    else:
        cf = mu * np.exp(shift @ full.theta[:k])
        value = cf - mu
        gradient = full.Z * value[:, None]
        gradient[:, :k] += shift * cf[:, None]

        def simulate(theta: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.exp(full.Z @ theta + off[:, None]) * np.expm1(shift @ theta[:k])

    return aggregate_uncertainty(
        full,
        keys,
        value,
        gradient,
        simulate=simulate,
        method=method,
        level=level,
        n_sims=n_sims,
        random_seed=random_seed,
    )
