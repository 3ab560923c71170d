"""The coherence step of every forecast: national zero sums and non-negative flows.

:func:`reconcile` turns a method's point forecasts or trajectories of arrivals and departures
(or of net balances) into the reported variables, rebalanced so that net migration sums to
zero nationally in every year and draw when the regions are a closed system.

Examples
--------
>>> import numpy as np
>>> from migflows.estimation.forecast.data import prepare
>>> import migflows
>>> series = prepare(migflows.load_kazakhstan(), target="counts", components="auto")
>>> values = np.abs(np.random.default_rng(0).normal(1000, 100, (len(series.regions), 1, 2)))
>>> out, clipped = reconcile(values, series, coherent=True)
>>> bool(abs(out[..., 2].sum()) < 1e-6), clipped
(True, 0)
"""

from __future__ import annotations

import numpy as np

from migflows.estimation.forecast.data import SeriesData

__all__ = ["reconcile"]


def reconcile(values: np.ndarray, data: SeriesData, coherent: bool) -> tuple[np.ndarray, int]:
    """Append net, make every trajectory nationally coherent and in/out non-negative.

    Parameters
    ----------
    values : ndarray, shape (..., regions, horizon, components)
        Point forecasts or draws in target units.
    data : SeriesData
        The training data (components, target, population).
    coherent : bool
        Rebalance so that net balances sum to zero in every year and draw.

    Returns
    -------
    (ndarray, int)
        Values of ``data.variables`` (..., regions, horizon, variables), and how many
        negative arrival/departure values were set to zero.

    Notes
    -----
    Arrivals and departures (counts; rates are converted with the last observed population
    and back) are scaled so that both national totals equal their mean,
    ``A_i' = A_i T / sum(A)`` and ``D_i' = D_i T / sum(D)`` with ``T = (sum(A) + sum(D)) / 2``:
    shares are kept, values stay non-negative and net = A' - D' sums to zero. A modelled net
    balance is shifted by the national excess distributed in proportion to population
    (bayesPop's rule; equal shares for counts without population): for rates this subtracts
    the population-weighted mean rate.
    """
    pop = data.last_population()
    clipped = 0
    if values.shape[-1] == 2:
        flows = values.copy()
        clipped = int(np.sum(flows < 0))
        flows = np.maximum(flows, 0.0)
        if coherent:
            to_counts = data.target == "rates"
            if to_counts:
                factor = pop[:, None, None] / 1000.0  # type: ignore[index]
                flows = flows * factor
            totals = flows.sum(axis=-3, keepdims=True)  # (..., 1, H, 2)
            mean = totals.mean(axis=-1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = np.where(totals > 0, mean / totals, 0.0)
            flows = flows * ratio
            if to_counts:
                flows = flows / factor
        net = flows[..., 0] - flows[..., 1]
        return np.concatenate([flows, net[..., None]], axis=-1), clipped
    net = values[..., 0].copy()
    if coherent:
        if data.target == "rates":
            w = pop / pop.sum()  # type: ignore[union-attr]
            net = net - np.einsum("...rh,r->...h", net, w)[..., None, :]
        else:
            w = (
                pop / pop.sum()
                if pop is not None
                else np.full(len(data.regions), 1 / len(data.regions))
            )
            excess = net.sum(axis=-2, keepdims=True)
            net = net - excess * w[:, None]
    return net[..., None], clipped
