"""The referee's workflow on a Bayesian gravity fit: predictive checks, balances, plots.

Functions of a :class:`~migflows.estimation.bayes.results.BayesGravityResults` (the results
call them from their methods of the same names):

* :func:`prior_predictive` — quantiles of flows drawn from the prior next to the observed;
* :func:`ppc_coverage` — share of the observed flows inside the 50 % and 90 % posterior
  predictive intervals, overall and by origin and destination region;
* :func:`balances` — posterior predictive arrivals, departures and net migration by region
  and year; every draw's net balances sum to zero over the regions (a flow leaves one region
  and enters another), so the posterior mean does too;
* :func:`plot_trace`, :func:`plot_rank`, :func:`plot_ppc` — ArviZ figures (matplotlib).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migflows.errors import InvalidOptionError
from migflows.estimation.core.logs import pymc_logging

if TYPE_CHECKING:
    from migflows.estimation.bayes.results import BayesGravityResults

__all__ = [
    "balances",
    "balances_from_draws",
    "plot_ppc",
    "plot_rank",
    "plot_trace",
    "ppc_coverage",
    "prior_predictive",
    "slope_differences",
]


def _levels(levels: Sequence[float]) -> list[float]:
    out = [float(v) for v in levels]
    if not out or any(not 0 < v < 1 for v in out):
        raise InvalidOptionError(f"levels={list(levels)!r} must be numbers strictly in (0, 1).")
    return out


def _draws_matrix(res: BayesGravityResults) -> np.ndarray:
    """Posterior predictive flows, (draws, n), chains stacked."""
    pp = res.idata_full["posterior_predictive"][res.model.obs_name].to_numpy()
    return pp.reshape(-1, pp.shape[-1]).astype(float)


def ppc_coverage(res: BayesGravityResults, levels: Sequence[float] = (0.5, 0.9)) -> pd.DataFrame:
    """Coverage of the observed flows by the equal-tailed posterior predictive intervals.

    Returns
    -------
    DataFrame
        Index ``(by, region)``: ``("all", "all")``, then ``("origin", r)`` and
        ``("destination", r)`` for every region; one column per level (``"50%"``,
        ``"90%"``) with the share of observed flows inside the interval, and ``n``. A
        well-calibrated model covers about 50 % and 90 % overall.
    """
    lv = _levels(levels)
    draws = _draws_matrix(res)
    y = np.asarray(res.model.y, dtype=float)
    inside = {}
    for level in lv:
        lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
        inside[f"{level:.0%}"] = (y >= lo) & (y <= hi)
    frame = pd.DataFrame(inside)
    keys = res.model.design.keys.reset_index(drop=True)
    parts = [frame.mean().to_frame("all").T.assign(n=len(frame))]
    parts[0].index = pd.MultiIndex.from_tuples([("all", "all")], names=["by", "region"])
    for by in ("origin", "destination"):
        if by not in keys:
            continue
        g = frame.groupby(keys[by].astype(str).to_numpy())
        part = g.mean().assign(n=g.size())
        part.index = pd.MultiIndex.from_product([[by], part.index], names=["by", "region"])
        parts.append(part)
    return pd.concat(parts)


def balances_from_draws(keys: pd.DataFrame, draws: np.ndarray, level: float) -> pd.DataFrame:
    """Arrivals, departures and net by region and year from flow draws (S, n).

    Examples
    --------
    >>> keys = pd.DataFrame({"origin": ["a", "b"], "destination": ["b", "a"], "year": [1, 1]})
    >>> draws = np.array([[3.0, 1.0], [5.0, 1.0]])
    >>> b = balances_from_draws(keys, draws, 0.9)
    >>> b["net_mean"].tolist(), float(b["net_mean"].sum())
    ([-3.0, 3.0], 0.0)
    """
    lv = _levels([level])[0]
    years = keys["year"].to_numpy()
    regions = sorted(set(keys["origin"].astype(str)) | set(keys["destination"].astype(str)))
    index = pd.MultiIndex.from_product(
        [regions, sorted(pd.unique(years))], names=["region", "year"]
    )
    cols: dict[str, np.ndarray] = {}
    for side, col in (("arrivals", "destination"), ("departures", "origin")):
        key = pd.MultiIndex.from_arrays([keys[col].astype(str).to_numpy(), years])
        pos = index.get_indexer(key)
        agg = np.zeros((draws.shape[0], len(index)))
        np.add.at(agg.T, pos, draws.T)  # sum each row's flows into its region-year
        cols[side] = agg
    cols["net"] = cols["arrivals"] - cols["departures"]
    out = {}
    q = [(1 - lv) / 2, (1 + lv) / 2]
    for name, agg in cols.items():
        lo, hi = np.quantile(agg, q, axis=0)
        out[f"{name}_mean"], out[f"{name}_lower"], out[f"{name}_upper"] = agg.mean(0), lo, hi
    return pd.DataFrame(out, index=index)


def balances(
    res: BayesGravityResults, *, level: float = 0.9, expected: bool = False
) -> pd.DataFrame:
    """Posterior predictive regional balances of the estimation sample.

    Parameters
    ----------
    level : float
        Probability of the equal-tailed intervals.
    expected : bool, default False
        ``True``: balances of the expected flows ``mu`` (parameter uncertainty only);
        ``False``: of posterior predictive flows (with the sampling noise of the counts).

    Returns
    -------
    DataFrame
        Index ``(region, year)``; for ``arrivals``, ``departures`` and ``net`` the posterior
        mean and the bounds (``net_mean``, ``net_lower``, ``net_upper`` …). Net balances sum
        to zero over the regions in every draw.
    """
    if expected:
        mu = res.model.predictive(res.idata, None, "mu", None)
        draws = np.asarray(mu).reshape(-1, res.nobs)
    else:
        draws = _draws_matrix(res)
    return balances_from_draws(res.model.design.keys.reset_index(drop=True), draws, level)


def prior_predictive(
    res_or_model: Any, *, draws: int = 200, random_seed: int | None = None
) -> pd.DataFrame:
    """Flows drawn from the prior predictive distribution next to the observed flows.

    Returns
    -------
    DataFrame
        Rows ``observed`` and ``prior predictive``; columns the 5, 25, 50, 75 and 95 %
        quantiles of the flows, their mean and the share of zeros. Priors that put the
        observed quantiles far out in the prior predictive tails need a second look.
    """
    import pymc as pm

    m = res_or_model if hasattr(res_or_model, "prior_model") else res_or_model.model
    with m.prior_model(), warnings.catch_warnings(), pymc_logging(False):
        warnings.simplefilter("ignore")
        prior = pm.sample_prior_predictive(draws=draws, random_seed=random_seed)
    sim = prior["prior_predictive"][m.obs_name].to_numpy().astype(float).ravel()
    obs = np.asarray(m.y, dtype=float)
    q = [0.05, 0.25, 0.5, 0.75, 0.95]

    def row(v: np.ndarray) -> list[float]:
        finite = v[np.isfinite(v)]
        return [*np.quantile(finite, q), float(finite.mean()), float((finite == 0).mean())]

    cols = [f"{p:.0%}" for p in q] + ["mean", "zeros"]
    return pd.DataFrame([row(obs), row(sim)], index=["observed", "prior predictive"], columns=cols)


def slope_differences(res: BayesGravityResults, level: float = 0.95) -> pd.DataFrame:
    """Differences of the pooled slopes between groups (e.g. periods), with probabilities.

    Returns
    -------
    DataFrame
        One row per pair ``"b - a"`` (later level minus earlier one, in the order of the
        levels): posterior ``mean``, ``sd``, equal-tailed ``lower``/``upper`` bounds and
        ``prob_positive`` = P(slope_b > slope_a | data).
    """
    lv = _levels([level])[0]
    post = res.idata["posterior"]
    if "slope" not in post:
        raise InvalidOptionError(
            "The model has no pooled slope; fit with pooled_slopes={'x': 'period'} (or "
            "'orig'/'dest')."
        )
    draws = post["slope"].to_numpy()
    draws = draws.reshape(-1, draws.shape[-1])
    names = [str(v) for v in post["slope"].coords[post["slope"].dims[-1]].to_numpy()]
    rows = {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            d = draws[:, j] - draws[:, i]
            lo, hi = np.quantile(d, [(1 - lv) / 2, (1 + lv) / 2])
            rows[f"{names[j]} - {names[i]}"] = {
                "mean": float(d.mean()), "sd": float(d.std(ddof=1)), "lower": float(lo),
                "upper": float(hi), "prob_positive": float((d > 0).mean()),
            }  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("difference")


# ---------------------------------------------------------------------- plots
def plot_trace(res: BayesGravityResults, var_names: list[str] | None = None) -> Any:
    """Trace and marginal densities (``arviz_plots.plot_trace_dist``); returns the figure."""
    import arviz_plots as azp

    pc = azp.plot_trace_dist(
        res.idata, var_names=var_names or res.hyper_names(), backend="matplotlib"
    )
    return pc.get_viz("figure")


def plot_rank(res: BayesGravityResults, var_names: list[str] | None = None) -> Any:
    """Rank plots of the chains (``arviz_plots.plot_rank``): flat histograms = mixing."""
    import arviz_plots as azp

    pc = azp.plot_rank(res.idata, var_names=var_names or res.hyper_names(), backend="matplotlib")
    return pc.get_viz("figure")


def plot_ppc(res: BayesGravityResults, num_samples: int = 50, *, log1p: bool = True) -> Any:
    """Posterior predictive densities of (``log1p``) flows against the observed ones."""
    import arviz_plots as azp
    import xarray as xr

    tree = res.idata_full
    obs = res.model.obs_name
    pred: Any = tree["posterior_predictive"][obs].astype(float)
    seen: Any = tree["observed_data"][obs].astype(float)
    name = f"log1p({obs})" if log1p else obs
    if log1p:
        pred, seen = np.log1p(pred), np.log1p(seen)
    dt = xr.DataTree.from_dict(
        {
            "posterior_predictive": xr.Dataset({name: pred}),
            "observed_data": xr.Dataset({name: seen}),
        }
    )
    pc = azp.plot_ppc_dist(dt, num_samples=num_samples, backend="matplotlib")
    return pc.get_viz("figure")
