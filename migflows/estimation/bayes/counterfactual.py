"""Counterfactuals of a Bayesian gravity fit: posterior intervals of the change in balances.

:func:`counterfactual` is the body of :meth:`BayesGravityResults.counterfactual
<migflows.estimation.bayes.results.BayesGravityResults.counterfactual>`, the interface of
the PPML results' ``counterfactual()`` (same ``changes`` mapping, same ``flows`` and
``balances`` tables) with the posterior behind every number: for each posterior draw the
expected flows ``mu`` are computed on the panel as it is and on the panel with the changed
region attributes (every covariate built from them recomputed, the effects held at that
draw's values: partial equilibrium, as for PPML), and the change of every flow and of every
region's arrivals, departures and net migration is summarised over the draws. Each draw's
net changes sum to zero over the regions (a flow that leaves one region enters another).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migflows.errors import InvalidOptionError, ModelSpecificationError, format_values
from migflows.estimation.core.counterfactual import Changes, changed_panel
from migflows.estimation.core.readonly import ReadOnlyResults

if TYPE_CHECKING:
    from migflows.estimation.bayes.results import BayesGravityResults

__all__ = ["BayesCounterfactual", "counterfactual"]

_BALANCES = ("arrivals", "departures", "net")


@dataclass(frozen=True)
class BayesCounterfactual(ReadOnlyResults):
    """Posterior of counterfactual flows and regional balances.

    Attributes
    ----------
    flows : DataFrame
        ``origin, destination, year``, ``baseline`` and ``counterfactual`` (posterior means of
        the expected flow), ``change`` (posterior mean of counterfactual - baseline) and its
        equal-tailed ``change_lower``/``change_upper`` bounds.
    changes : dict
        The attribute changes applied.
    level : float
        Probability of the intervals.
    draws : DataArray
        Posterior draws of the balance changes, dims ``(sample, balance, region, year)``
        (``balance`` is ``arrivals``, ``departures``, ``net``; chains stacked into
        ``sample``).
    baseline_balances : DataFrame
        Posterior means of the baseline ``arrivals``, ``departures`` and ``net`` by region
        and year (the ``*_baseline`` columns of :attr:`balances`).
    """

    flows: pd.DataFrame
    changes: dict[str, Any]
    level: float
    draws: Any = field(repr=False)
    baseline_balances: pd.DataFrame = field(repr=False)

    @cached_property
    def balances(self) -> pd.DataFrame:
        """Arrivals, departures and net by region and year: baseline, counterfactual, change.

        Columns as in the PPML ``Counterfactual.balances`` (``arrivals_baseline``,
        ``arrivals_counterfactual``, ``arrivals_change`` … for ``departures`` and ``net``:
        posterior means) plus the interval of each change (``arrivals_change_lower``,
        ``arrivals_change_upper`` …) and the posterior probability that it is positive
        (``arrivals_change_prob_positive`` …).
        """
        q = [(1 - self.level) / 2, (1 + self.level) / 2]
        d = self.draws
        out = {}
        for b in _BALANCES:
            change = d.sel(balance=b).to_numpy()  # (sample, region, year)
            base = self.baseline_balances[b].to_numpy().reshape(change.shape[1:])
            lo, hi = np.quantile(change, q, axis=0)
            out[f"{b}_baseline"] = base.ravel()
            out[f"{b}_counterfactual"] = (base + change.mean(0)).ravel()
            out[f"{b}_change"] = change.mean(0).ravel()
            out[f"{b}_change_lower"] = lo.ravel()
            out[f"{b}_change_upper"] = hi.ravel()
            out[f"{b}_change_prob_positive"] = (change > 0).mean(0).ravel()
        index = pd.MultiIndex.from_product(
            [d["region"].to_numpy(), d["year"].to_numpy()], names=["region", "year"]
        )
        return pd.DataFrame(out, index=index)

    def _repr_html_(self) -> str:
        cols = [f"{b}_{s}" for b in _BALANCES for s in ("change", "change_lower", "change_upper")]
        return (
            f"<b>Counterfactual balances (posterior means, {self.level:.0%} intervals)</b>"
            + self.balances[cols].to_html(float_format="{:,.1f}".format)
        )


def _region_year_sums(keys: pd.DataFrame, draws: np.ndarray) -> tuple[np.ndarray, list, list]:
    """Arrivals, departures, net of flow draws (S, n) -> (S, 3, regions, years)."""
    years = keys["year"].to_numpy()
    regions = sorted(set(keys["origin"].astype(str)) | set(keys["destination"].astype(str)))
    year_levels = sorted(pd.unique(years))
    r_pos = pd.Index(regions)
    t_pos = pd.Index(year_levels).get_indexer(years)
    out = np.zeros((draws.shape[0], 3, len(regions), len(year_levels)))
    for k, col in enumerate(("destination", "origin")):  # arrivals, departures
        cell = r_pos.get_indexer(pd.Index(keys[col].astype(str))) * len(year_levels) + t_pos
        flat = np.zeros((draws.shape[0], len(regions) * len(year_levels)))
        np.add.at(flat.T, cell, draws.T)  # sum each flow into its region-year, every draw
        out[:, k] = flat.reshape(draws.shape[0], len(regions), len(year_levels))
    out[:, 2] = out[:, 0] - out[:, 1]
    return out, regions, year_levels


def counterfactual(
    res: BayesGravityResults, changes: Changes, *, level: float = 0.9
) -> BayesCounterfactual:
    """Posterior of the flows and balances after changing region attributes.

    Parameters
    ----------
    res : BayesGravityResults
        A fit on a :class:`~migflows.data.panel.FlowPanel`.
    changes : mapping
        Attribute -> region -> factor (all years) or attribute -> region -> {year: factor},
        as for the PPML results.
    level : float
        Probability of the equal-tailed intervals.

    Returns
    -------
    BayesCounterfactual
    """
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise InvalidOptionError(f"level={level!r} must be a number strictly between 0 and 1.")
    if "year" not in res.model.design.keys:
        raise ModelSpecificationError(
            "counterfactual() needs flows with origin, destination and year keys."
        )
    m = res.model
    new = changed_panel(m.data, changes)
    inputs, ok = m.new_inputs(new, rows=m.design.rows)
    base = np.asarray(m.predictive(res.idata, None, "mu", None))
    chains, draws, n = base.shape
    base = base.reshape(chains * draws, n)
    cf = base.copy()
    # rows where a changed covariate is undefined (log of a missing value) keep the
    # baseline, as in the PPML counterfactual
    if inputs.n:
        part = np.asarray(m.predictive(res.idata, inputs, "mu", None))
        cf[:, ok] = part.reshape(chains * draws, -1)
    cf_mean = cf.mean(0)
    delta = np.subtract(cf, base, out=cf)  # in place: draws x flows arrays can be large
    if np.allclose(delta, 0.0, atol=0.0, rtol=0.0):
        raise ModelSpecificationError(
            f"No regressor of the model depends on {format_values(list(changes))}: the "
            f"counterfactual would show no change. Include a covariate built from it "
            f"(e.g. log_wage_ratio for wage) in the formula."
        )
    keys = m.design.keys.reset_index(drop=True)
    q = [(1 - level) / 2, (1 + level) / 2]
    lo, hi = np.quantile(delta, q, axis=0)
    flows = keys.copy()
    flows["baseline"] = base.mean(0)
    flows["counterfactual"] = cf_mean
    flows["change"] = delta.mean(0)
    flows["change_lower"], flows["change_upper"] = lo, hi
    sums, regions, years = _region_year_sums(keys, delta)
    import xarray as xr

    sums.flags.writeable = False  # results are read-only
    da = xr.DataArray(
        sums,
        dims=("sample", "balance", "region", "year"),
        coords={"balance": list(_BALANCES), "region": regions, "year": years},
        name="change",
    )
    base_sums = _region_year_sums(keys, base.mean(0, keepdims=True))[0][0]
    baseline = pd.DataFrame(
        {b: base_sums[k].ravel() for k, b in enumerate(_BALANCES)},
        index=pd.MultiIndex.from_product([regions, years], names=["region", "year"]),
    )
    return BayesCounterfactual(
        flows=flows, changes=dict(changes), level=float(level), draws=da,
        baseline_balances=baseline,
    )  # fmt: skip
