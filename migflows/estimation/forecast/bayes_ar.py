"""``bayes_ar``: a hierarchical AR(1) of regional net migration rates (PyMC).

The model follows the idea of Azose & Raftery's net-migration model behind ``bayesMig``,
applied to regions of one country: each region's net migration rate (per 1,000) reverts to
its own long-run mean, and the region means are partially pooled towards a national one.

For region ``i`` with rates ``x_{i,t}`` observed in years ``t_1 < t_2 < ...``::

    x_{i,t_j} = mu_i + phi^k (x_{i,t_{j-1}} - mu_i) + e,   k = t_j - t_{j-1}
    e ~ Normal(0, sigma_i^2 (1 - phi^(2k)) / (1 - phi^2))
    mu_i = mu + tau z_i,         z_i ~ Normal(0, 1)
    log sigma_i = log sigma + s z'_i,   z'_i ~ Normal(0, 1)
    phi ~ Beta(2, 2),  mu ~ Normal(m, 2 sd(x)),  tau ~ HalfNormal(sd(x)),
    log sigma ~ Normal(log sd(diff x), 1),  s ~ HalfNormal(0.5)

The gap term is the exact k-year transition of an annual AR(1), so irregular years (the
Kazakhstan OD years) are handled in calendar time. Each region's first observation is
drawn from the stationary distribution ``Normal(mu_i, sigma_i^2 / (1 - phi^2))``: when the
likelihood conditioned on it instead, ``phi`` and the region means were weakly identified
and the posterior mean of ``phi`` drifted to 0.83 on panels simulated with 0.5 (0.45 with
the stationary term). A single persistence ``phi`` is shared by all regions (with a
handful of years per region a region-specific one is not identified); ``bayesMig`` pools
it hierarchically across countries instead.

Forecast trajectories draw a posterior sample and simulate the AR(1) forward year by year;
they are then rebalanced (in :func:`migflows.estimation.forecast.coherence.reconcile`) to a
national zero sum by subtracting the population-weighted mean rate, i.e. distributing the
national excess in proportion to population as ``bayesPop`` does with net migration. The
point forecast is the mean of the trajectories.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from migflows.errors import MigflowsWarning, PanelStructureError
from migflows.estimation.core.logs import pymc_logging
from migflows.estimation.forecast.data import Gaps, SeriesData
from migflows.estimation.forecast.methods import MethodResult, check_years


def net_rates(data: SeriesData) -> np.ndarray:
    """Observed net migration rates per 1,000 (regions × years)."""
    if data.target == "rates":
        return data.net()
    if data.population is None:
        raise PanelStructureError(
            "method 'bayes_ar' models net migration rates and needs population: give the "
            "panel a 'population' attribute, or a table with 'population' or 'net_rate'."
        )
    return data.net() / data.population * 1000.0


def bayes_ar(
    data: SeriesData,
    horizon: int,
    *,
    n_sims: int,
    rng: np.random.Generator,
    progress: bool = False,
    gaps: Gaps = "error",
    draws: int = 300,
    tune: int = 300,
    chains: int = 2,
    cores: int = 1,
    target_accept: float = 0.95,
) -> MethodResult:
    """Fit the hierarchical AR(1) with NUTS and simulate net-rate trajectories.

    Parameters
    ----------
    data : SeriesData
        Training data; net rates are derived from it (population needed for counts).
    horizon : int
        Calendar years ahead.
    n_sims : int
        Trajectories (posterior samples are drawn with replacement).
    rng : Generator
        Seeds the sampler and the simulation.
    progress : bool
        Show PyMC's progress bar.
    gaps : str
        Unused: gaps are modelled exactly.
    draws, tune, chains, cores : int
        NUTS settings (small defaults keep a backtest within minutes; raise them for
        a final forecast and check ``info['rhat_max']`` and ``info['divergences']``).
    target_accept : float
        NUTS target acceptance rate.

    Returns
    -------
    MethodResult
        Components ``net`` (counts, using the last observed population) or ``net_rate``.
    """
    import pymc as pm

    check_years(data, "bayes_ar", 3)
    x = net_rates(data)
    R = x.shape[0]
    k = np.diff(data.years).astype(float)[None, :].repeat(R, axis=0)
    prev, cur = x[:, :-1], x[:, 1:]
    sd_x = float(np.std(x)) or 1.0
    sd_dx = float(np.std(np.diff(x, axis=1))) or sd_x
    seed = int(rng.integers(2**31 - 1))

    with pm.Model(coords={"region": list(data.regions)}) as model:
        mu0 = pm.Normal("mu", float(np.mean(x)), 2.0 * sd_x)
        tau = pm.HalfNormal("tau", sd_x)
        z = pm.Normal("z_mu", 0.0, 1.0, dims="region")
        mu_i = pm.Deterministic("mu_region", mu0 + tau * z, dims="region")
        phi = pm.Beta("phi", 2.0, 2.0)
        log_sigma = pm.Normal("log_sigma", np.log(sd_dx), 1.0)
        s = pm.HalfNormal("s_sigma", 0.5)
        zs = pm.Normal("z_sigma", 0.0, 1.0, dims="region")
        sigma_i = pm.Deterministic("sigma_region", pm.math.exp(log_sigma + s * zs), dims="region")
        phik = phi**k
        mean = mu_i[:, None] + phik * (prev - mu_i[:, None])
        scale = sigma_i[:, None] * pm.math.sqrt((1.0 - phik**2) / (1.0 - phi**2))
        pm.Normal("obs", mean, scale, observed=cur)
        # First observation from the stationary distribution: ties the region means to
        # the data's levels (conditioning on it left phi and mu_i weakly identified, with
        # phi drifting towards 1 in simulations with phi = 0.5).
        pm.Normal(
            "obs_first",
            mu_i,
            sigma_i / pm.math.sqrt(1.0 - phi**2),
            observed=x[:, 0],
            dims="region",
        )
        with warnings.catch_warnings(), pymc_logging(progress):
            warnings.filterwarnings("ignore", message=".*(r_hat|effective sample|rhat).*")
            idata = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                random_seed=seed,
                progressbar=progress,
                target_accept=target_accept,
                compute_convergence_checks=False,
            )
    post = idata["posterior"]
    mu_d = post["mu_region"].to_numpy().reshape(-1, R)
    sig_d = post["sigma_region"].to_numpy().reshape(-1, R)
    phi_d = post["phi"].to_numpy().reshape(-1)
    pick = rng.integers(len(phi_d), size=n_sims)
    mu_s, sig_s, phi_s = mu_d[pick], sig_d[pick], phi_d[pick]
    paths = np.empty((n_sims, R, horizon))
    level = np.broadcast_to(x[:, -1], (n_sims, R))
    for h in range(horizon):
        level = mu_s + phi_s[:, None] * (level - mu_s) + sig_s * rng.standard_normal((n_sims, R))
        paths[:, :, h] = level
    if data.target == "counts":
        pop = data.last_population()
        paths = paths * pop[None, :, None] / 1000.0  # type: ignore[index]
    info = _diagnostics(idata, post)
    info.update({"idata": idata, "model": model, "phi_mean": float(phi_d.mean())})
    if info["rhat_max"] > 1.05 or info["divergences"] > 0.01 * draws * chains:
        warnings.warn(
            f"bayes_ar: r_hat max {info['rhat_max']:.3f}, {info['divergences']} divergent "
            "transitions; raise draws/tune (and target_accept) for a final forecast.",
            MigflowsWarning,
            stacklevel=3,
        )
    return MethodResult(point=paths.mean(axis=0)[..., None], draws=paths[..., None], info=info)


def _diagnostics(idata: Any, post: Any) -> dict[str, Any]:
    """Divergences and the largest split-R-hat of the scalar parameters (own computation)."""
    div = int(np.asarray(idata["sample_stats"]["diverging"].to_numpy()).sum())
    rhats = []
    for name in ("mu", "tau", "phi", "log_sigma", "s_sigma"):
        arr = post[name].to_numpy()  # (chain, draw)
        rhats.append(_split_rhat(arr))
    return {"divergences": div, "rhat_max": float(np.nanmax(rhats))}


def _split_rhat(chains: np.ndarray) -> float:
    # Gelman-Rubin on split chains; written out so it does not depend on the ArviZ API
    # version (ArviZ 1.x moved its diagnostics to arviz-stats).
    n = chains.shape[1] // 2
    if n < 2:
        return float("nan")
    split = np.concatenate([chains[:, :n], chains[:, n : 2 * n]], axis=0)
    within = split.var(axis=1, ddof=1).mean()
    between = n * split.mean(axis=1).var(ddof=1)
    if within <= 0:
        return float("nan")
    var_hat = (n - 1) / n * within + between / n
    return float(np.sqrt(var_hat / within))
