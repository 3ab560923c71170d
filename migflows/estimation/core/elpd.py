"""Comparing fitted models by their expected log predictive density: :func:`compare_elpd`.

The ELPD (Vehtari, Gelman and Gabry 2017) is the sum over observations of the log density
a model gives to a new observation like the ith. It is defined for a model with a likelihood
of the observed flows, and comparable between models only on the same observations and the
same support (here: counts of people). What each kind of result contributes:

``"PSIS-LOO"`` (Bayesian fits)
    the Pareto-smoothed importance-sampling leave-one-out estimate of the ELPD (``res.loo()``;
    its pointwise terms, ``p`` = effective number of parameters ``p_loo``, and the count of
    observations with a Pareto k above ArviZ's threshold, whose terms are unreliable);
``"AIC"`` (maximum-likelihood count models: PPML read as the Poisson MLE it is, NB2)
    ``loglik - K`` = -AIC / 2, Akaike's asymptotic estimate of the same quantity from the
    log-likelihood at the MLE (``loglik``, summed from its pointwise terms) and the number
    of estimated parameters ``K`` (slopes, the fixed effects' rank, NB2's dispersion);
    ``p`` = K. It is an approximation (exact as n grows with K fixed); with many fixed
    effects PSIS-LOO of the Bayesian fit is the more careful of the two.

Refused, with :class:`~migflows.errors.IncomparableModelsError`: models fitted on different
observations, and models whose likelihood is not one of the counts (log-OLS models log flows
of positive flows, a density on another scale and sample; gamma PML is a pseudo-likelihood
on positive reals; a registered estimator without a known likelihood).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from migflows.errors import IncomparableModelsError

__all__ = ["PointwiseElpd", "compare_elpd", "pointwise_elpd"]

_KEYS = ["origin", "destination", "year"]
_OTHER_SCALE = {
    "ols": (
        "log-OLS models log(flow) of the positive flows: its likelihood is a density of "
        "log flows (another scale) on a sample without the zero flows"
    ),
    "gpml": (
        "gamma PML maximises a gamma pseudo-likelihood on positive reals, not a likelihood "
        "of the counts"
    ),
}


@dataclass(frozen=True)
class PointwiseElpd:
    """The pointwise ELPD terms of one model and how they were obtained."""

    method: str
    likelihood: str
    values: np.ndarray
    p: float
    loglik: float
    aic: float
    pareto_k_bad: int
    keys: pd.DataFrame


def _sample(res: Any) -> pd.DataFrame:
    fitted = res.fitted
    cols = [c for c in _KEYS if c in fitted] + ["observed"]
    return fitted[cols].reset_index(drop=True)


def pointwise_elpd(res: Any, name: str = "model") -> PointwiseElpd:
    """The pointwise ELPD of a Bayesian (PSIS-LOO) or ML count model (AIC), see module.

    Raises
    ------
    IncomparableModelsError
        The model has no likelihood of the counts (log-OLS, gamma PML, unknown estimator).

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2020, 2021])
    >>> res = migflows.gravity("flow ~ log_wage_ratio + log_dist | orig + dest + year", kz)
    >>> pw = pointwise_elpd(res)
    >>> pw.method, pw.p, bool(np.isclose(pw.loglik, res.stats["loglik"]))
    ('AIC', 42.0, True)
    """
    from scipy import stats

    if getattr(res, "inference", None) == "bayesian" and callable(getattr(res, "loo", None)):
        keys = _sample(res)
        loo = res.loo()
        k = np.asarray(loo.pareto_k)
        return PointwiseElpd(
            method="PSIS-LOO",
            likelihood=str(getattr(res, "family", "")),
            values=np.asarray(loo.elpd_i, dtype=float).ravel(),
            p=float(loo.p),
            loglik=np.nan,
            aic=np.nan,
            pareto_k_bad=int((k > loo.good_k).sum()),
            keys=keys,
        )
    estimator = getattr(res, "estimator", None)
    if estimator in _OTHER_SCALE:
        raise IncomparableModelsError(
            f"Model {name!r} ({estimator}) has no ELPD comparable with count models: "
            f"{_OTHER_SCALE[estimator]}. Compare it with others by out-of-sample "
            f"prediction of the flows (migflows.backtest), or fit it by PPML."
        )
    if estimator not in ("ppml", "negbin"):
        raise IncomparableModelsError(
            f"Model {name!r} ({type(res).__name__}, estimator {estimator!r}) has no known "
            f"likelihood of the flows; compare() by ELPD takes Bayesian fits "
            f"(migflows.bayes_gravity) and the count models estimator='ppml' or 'negbin'."
        )
    keys = _sample(res)
    y = keys["observed"].to_numpy(dtype=float)
    mu = res.fitted["fitted"].to_numpy(dtype=float)
    st = res.stats
    if estimator == "ppml":
        ll = stats.poisson.logpmf(y, mu)
        n_params = float(res.nobs - res.df_resid)
    else:
        theta = float(st["theta"])
        ll = stats.nbinom.logpmf(y, theta, theta / (theta + mu))
        n_params = float(st["n_params"]) + (not st.get("theta_fixed", False))
    loglik = float(ll.sum())
    return PointwiseElpd(
        method="AIC",
        likelihood="poisson" if estimator == "ppml" else "negbin",
        values=ll - n_params / len(ll),  # the penalty spread evenly over the observations
        p=n_params,
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * n_params,
        pareto_k_bad=0,
        keys=keys,
    )


def _check_same_data(parts: Mapping[str, PointwiseElpd]) -> None:
    """Refuse models whose estimation samples differ (keys or observed flows)."""
    (first, a), *rest = parts.items()
    cols = [c for c in _KEYS if c in a.keys]
    for name, b in rest:
        merged = a.keys.merge(b.keys, on=cols, how="outer", indicator=True) if cols else None
        unmatched = 0 if merged is None else int((merged["_merge"] != "both").sum())
        if len(a.keys) != len(b.keys) or unmatched or cols != [c for c in _KEYS if c in b.keys]:
            raise IncomparableModelsError(
                f"Models {first!r} and {name!r} were fitted on different observations "
                f"({len(a.keys):,} and {len(b.keys):,} flows, {unmatched:,} not in both): an "
                f"ELPD is a sum over the observations, comparable only on the same ones. Fit "
                f"both on the same panel, years and estimation sample."
            )
        x, y = (
            (merged["observed_x"], merged["observed_y"])
            if merged is not None
            else (a.keys["observed"], b.keys["observed"])
        )
        differ = int((~np.isclose(x.to_numpy(float), y.to_numpy(float))).sum())
        if differ:
            raise IncomparableModelsError(
                f"Models {first!r} and {name!r} have the same {len(a.keys):,} observations "
                f"but {differ:,} observed flow(s) differ (another dependent variable?): "
                f"ELPD is comparable only on the same data."
            )


def compare_elpd(named: Mapping[str, Any]) -> pd.DataFrame:
    """Models ranked by ELPD (best first), with the standard error of each difference.

    Parameters
    ----------
    named : mapping
        Model name -> fitted result (Bayesian gravity, or ML gravity with
        ``estimator="ppml"``/``"negbin"``) on the same observations.

    Returns
    -------
    DataFrame
        One row per model, best first: ``rank``, ``elpd``, its ``se``, ``elpd_diff`` (best
        minus this model, >= 0) with ``dse`` (standard error of the difference, from the
        pointwise terms), ``p`` (p_loo or K), ``method`` (``"PSIS-LOO"`` or ``"AIC"``),
        ``likelihood``, ``loglik`` and ``aic`` (ML fits), ``pareto_k_bad`` (LOO) and ``nobs``.

    Raises
    ------
    IncomparableModelsError
        Different observations, or a model without a likelihood of the counts.

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2020, 2021])
    >>> f = "flow ~ log_wage_ratio + log_dist | orig + dest + year"
    >>> table = compare_elpd({"PPML": migflows.gravity(f, kz),
    ...                       "NB2": migflows.gravity(f, kz, estimator="negbin")})
    >>> table.index.tolist(), table["method"].tolist()
    (['NB2', 'PPML'], ['AIC', 'AIC'])
    """
    parts = {name: pointwise_elpd(res, name) for name, res in named.items()}
    _check_same_data(parts)
    order = sorted(parts, key=lambda k: -float(parts[k].values.sum()))
    best = parts[order[0]]
    cols = [c for c in _KEYS if c in best.keys]

    def aligned(pw: PointwiseElpd) -> np.ndarray:  # pointwise terms in the best model's rows
        if not cols:
            return pw.values
        pos = pd.MultiIndex.from_frame(pw.keys[cols]).get_indexer(
            pd.MultiIndex.from_frame(best.keys[cols])
        )
        return pw.values[pos]

    rows = {}
    for rank, name in enumerate(order):
        pw = parts[name]
        n = len(pw.values)
        d = aligned(best) - aligned(pw)
        rows[name] = {
            "rank": rank,
            "elpd": float(pw.values.sum()),
            "se": float(np.sqrt(n * pw.values.var(ddof=1))),
            "elpd_diff": float(d.sum()),
            "dse": float(np.sqrt(n * d.var(ddof=1))) if rank else 0.0,
            "p": pw.p,
            "method": pw.method,
            "likelihood": pw.likelihood,
            "loglik": pw.loglik,
            "aic": pw.aic,
            "pareto_k_bad": pw.pareto_k_bad,
            "nobs": n,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
