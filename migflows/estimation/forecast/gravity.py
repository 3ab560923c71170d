"""The ``gravity`` forecasting method: origin–destination flows from a fitted gravity model.

The method fits a gravity model (default PPML with pair and year fixed effects,
``flow ~ <drivers> | orig^dest + year``) on the past flows, extends the region attributes
over the forecast years — carried forward from the last observed value (``covariates=
"carry"``) or extrapolated along their log-linear trend of the last ``trend_window`` years
(``"trend"``) — applies a :class:`~migflows.models.scenario.Scenario` (wage factors,
population projections, shocks to chosen corridors), and predicts every flow. Arrivals and
departures are sums of predicted flows, so national net balances are zero by construction.

Uncertainty is simulated jointly for all flows:

* parameter uncertainty: slopes drawn from their estimated normal distribution;
* the national level: the last estimated year effect carried forward as a random walk whose
  yearly variance is estimated from the changes of the year effects (per calendar year);
* region shocks: a random walk per origin and per destination, shared by all flows of the
  region, with the spread of the origin-year and destination-year means of ``log(y /
  fitted)`` in the estimation sample (so regional totals keep their correlation);
* flow-level noise: a multiplicative log-normal term per pair and year with the spread of
  what is left of ``log(y / fitted)``.

Pair, origin and destination effects are held at their estimates. Fixed effects that exist
only in the past (``orig^year``, ``dest^year``) cannot be forecast and are refused. Pairs the
model could not estimate (observed in one year only, separated, or without covariates) keep
their last observed flow (``info["fallback_pairs"]`` counts them).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from migflows.data.panel import FlowPanel
from migflows.errors import (
    EstimationError,
    InvalidOptionError,
    ModelSpecificationError,
    UnknownVariableError,
    format_values,
)
from migflows.estimation.forecast.data import Gaps, SeriesData
from migflows.estimation.forecast.methods import MethodResult
from migflows.estimation.forecast.notes import pass_on
from migflows.models.scenario import Scenario

DRIVERS = (("wage", "log_wage_ratio"), ("unemployment", "unemp_diff"))
FORECASTABLE_FE = {
    "orig",
    "dest",
    "origin",
    "destination",
    "year",
    "pair",
    "orig^dest",
    "dest^orig",
    "origin^destination",
    "destination^origin",
    "orig^destination",
    "origin^dest",
    "dest^origin",
    "destination^orig",
}


def default_formula(panel: FlowPanel) -> str:
    """``flow ~ <drivers the panel has> | orig^dest + year``.

    Examples
    --------
    >>> import migflows
    >>> default_formula(migflows.load_kazakhstan())
    'flow ~ log_wage_ratio + unemp_diff + log_pop_o + log_pop_d | orig^dest + year'
    """
    terms = [term for attr, term in DRIVERS if attr in panel.attributes]
    if "population" in panel.attributes:
        terms += ["log_pop_o", "log_pop_d"]
    rhs = " + ".join(terms) if terms else "1"
    return f"flow ~ {rhs} | orig^dest + year"


def extend_attributes(
    regions: pd.DataFrame,
    keys: list[str],
    years: list[int],
    *,
    method: Literal["carry", "trend"] = "carry",
    trend_window: int = 5,
) -> pd.DataFrame:
    """Region attributes with rows added for ``years``.

    ``carry`` repeats each region's last observed value; ``trend`` extrapolates the
    log-linear trend of its last ``trend_window`` observed values (levels if a value is not
    positive). Observed rows are kept unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_product([["a"], [2020, 2021]], names=["region", "year"])
    >>> r = pd.DataFrame({"wage": [100.0, 110.0]}, index=idx)
    >>> extend_attributes(r, ["a"], [2022], method="trend").loc[("a", 2022), "wage"].round(1)
    np.float64(121.0)
    """
    if method not in ("carry", "trend"):
        raise InvalidOptionError(f"covariates={method!r} is not allowed; use 'carry' or 'trend'.")
    rows = []
    for region in keys:
        if region not in regions.index.get_level_values("region"):
            continue
        hist = regions.xs(region, level="region").sort_index()
        values = {}
        for col in regions.columns:
            s = hist[col].dropna()
            if s.empty:
                values[col] = [np.nan] * len(years)
                continue
            if method == "carry" or len(s) < 2:
                values[col] = [float(s.iloc[-1])] * len(years)
                continue
            tail = s.iloc[-trend_window:]
            t = tail.index.to_numpy(dtype=float)
            positive = bool((tail > 0).all())
            z = np.log(tail.to_numpy()) if positive else tail.to_numpy(dtype=float)
            slope, intercept = np.polyfit(t, z, 1)
            fut = intercept + slope * np.asarray(years, dtype=float)
            values[col] = list(np.exp(fut) if positive else fut)
        for j, year in enumerate(years):
            rows.append({"region": region, "year": year, **{c: values[c][j] for c in values}})
    future = pd.DataFrame(rows).set_index(["region", "year"])
    future = future[~future.index.isin(regions.index)]
    return pd.concat([regions, future]).sort_index()


def _apply_scenario(
    table: pd.DataFrame, scenario: Scenario | None, keys: list[str], years: list[int]
) -> pd.DataFrame:
    if scenario is None:
        return table
    scenario.check(keys, years)
    out = table.copy()
    if "wage" in out.columns:
        factors = scenario.wage_factors(keys, years).stack()
        idx = factors.index.set_names(["region", "year"])
        out.loc[idx, "wage"] = out.loc[idx, "wage"].to_numpy() * factors.to_numpy()
    elif scenario.wages is not None:
        raise ModelSpecificationError(
            f"Scenario {scenario.name!r} changes wages, but the panel has no 'wage' attribute."
        )
    path = scenario.population_path(keys, years)
    if path is not None:
        given = path.stack().dropna()
        idx = given.index.set_names(["region", "year"])
        if "population" not in out.columns:
            out["population"] = np.nan
        out.loc[idx, "population"] = given.to_numpy()
    return out


def gravity_method(
    data: SeriesData,
    horizon: int,
    *,
    n_sims: int,
    rng: np.random.Generator,
    progress: bool = False,
    gaps: Gaps = "error",
    panel: FlowPanel | None = None,
    scenario: Scenario | None = None,
    formula: str | None = None,
    covariates: Literal["carry", "trend"] = "carry",
    trend_window: int = 5,
    estimator: Literal["ppml", "negbin", "gpml", "bayes"] = "ppml",
    noise: bool = True,
    bayes_options: dict[str, Any] | None = None,
) -> MethodResult:
    """Forecast arrivals and departures from predicted origin–destination flows.

    See the module docstring for the model and the simulation. Options: ``formula``
    (default :func:`default_formula`), ``covariates`` (``"carry"`` or ``"trend"``),
    ``trend_window``, ``estimator``, ``noise`` (flow-level noise on or off).

    ``estimator="bayes"`` drives the forecast with the Bayesian hierarchical gravity model
    (:func:`migflows.bayes_gravity`, negative binomial, default formula with
    ``| orig + dest + year``): the trajectories are its posterior predictive flows at the
    forecast years' covariates (the last year's effect carried forward, plus the same
    year-level random walk), so parameter, effect and count uncertainty come from the
    posterior. ``bayes_options`` go to :func:`~migflows.bayes_gravity` (``draws``, ``tune``,
    ``chains``, ``family`` …).
    """
    if estimator == "bayes":
        return _bayes_method(
            data,
            horizon,
            n_sims=n_sims,
            rng=rng,
            panel=panel,
            scenario=scenario,
            formula=formula,
            covariates=covariates,
            trend_window=trend_window,
            options=bayes_options or {},
        )
    from migflows.estimation.gravity.api import gravity
    from migflows.estimation.gravity.registry import estimator_names
    from migflows.models.design import evaluate_rhs

    allowed = estimator_names(link="log")  # fitted values are flows: forecastable
    if estimator not in allowed:
        raise InvalidOptionError(
            f"estimator={estimator!r} cannot drive the gravity forecast; use one of "
            f"{format_values([*allowed, 'bayes'])} (a log-link estimator whose fitted values "
            "are flows)."
        )
    from migflows.models.formula import parse_formula

    if panel is None:
        raise ModelSpecificationError(
            "The gravity method needs origin–destination flows: pass a FlowPanel."
        )
    del progress, gaps  # the fit is one model; calendar years need no gap handling
    formula = formula or default_formula(panel)
    parsed = parse_formula(formula)
    bad = [fe for fe in parsed.fixed_effect_names if fe not in FORECASTABLE_FE]
    if bad:
        raise ModelSpecificationError(
            f"Fixed effect(s) {format_values(bad)} exist only in past years and cannot be "
            f"forecast; use orig, dest, orig^dest and year."
        )
    train = panel.select(years=[int(y) for y in data.years if int(y) in panel.years])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = gravity(formula, train, estimator, vcov="hetero", absorbed="drop")
    notes = pass_on(caught, "gravity forecast")
    last = int(data.years[-1])
    future = list(range(last + 1, last + horizon + 1))
    keys = list(data.regions)
    regions = (
        train.regions
        if train.regions is not None
        else pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["region", "year"]))
    )
    ext, pairs = _future_inputs(train, regions, future, scenario, covariates, trend_window)
    grid = pd.DataFrame(
        [(o, d, y) for y in future for o, d in pairs], columns=["origin", "destination", "year"]
    ).assign(flow=0.0)
    future_panel = FlowPanel(grid, regions=ext, distances=train.distances, coords=train.coords)
    X, fe_labels, _ = evaluate_rhs(parsed, future_panel)
    names = list(res.params.index)
    Xf = X[names].to_numpy(dtype=float)
    fixed = np.zeros(len(grid))
    year_effects = None
    for fe_name, effects in res.effects.items():
        if fe_name == "year":
            year_effects = effects.copy()
            year_effects.index = year_effects.index.astype(int)
            continue
        fixed += fe_labels[fe_name].map(effects).to_numpy(dtype=float)
    # Pairs without an estimated effect (observed in one year only, or separated) get their
    # last observed flow, held constant: no covariate response, only the simulated noise.
    fallback = np.isnan(fixed) | np.isnan(Xf).any(axis=1)
    last_flow = _last_observed(train, grid)
    if (fallback & np.isnan(last_flow)).any():
        raise EstimationError(
            "Some pairs have neither an estimated fixed effect nor an observed flow; they "
            "cannot be forecast."
        )
    fixed = np.where(fallback, 0.0, fixed)
    Xf = np.where(fallback[:, None], 0.0, Xf)
    level, rw_sd = _year_level(year_effects, last)
    h_index = grid["year"].to_numpy() - last  # 1..horizon
    beta = res.params.to_numpy()
    eta_point = np.where(fallback, np.log(np.maximum(last_flow, 1e-12)), Xf @ beta + fixed + level)
    shocks = _shock_vector(scenario, grid, future)
    mu_point = np.exp(eta_point) * shocks
    # Simulation: slopes, year-level random walk, flow-level noise.
    cov = res.cov.to_numpy()
    betas = (
        rng.multivariate_normal(beta, cov, size=n_sims, method="svd")
        if len(beta)
        else (np.zeros((n_sims, 0)))
    )
    # The fixed effects were estimated jointly with the slopes: under other slopes they
    # would absorb the fixed-effect part of the regressors. So slopes move predictions
    # only through the regressors' deviation from that part (X - X_ref).
    X_ref = np.where(fallback[:, None], 0.0, _fe_part_of_regressors(res, fe_labels, last))
    steps = (
        rng.normal(0.0, rw_sd, size=(n_sims, horizon)).cumsum(axis=1)
        if rw_sd > 0
        else (np.zeros((n_sims, horizon)))
    )
    sd = _noise_components(res) if noise else {"origin": 0.0, "destination": 0.0, "pair": 0.0}
    eta = (
        eta_point + (betas - beta) @ (Xf - X_ref).T + np.where(fallback, 0.0, steps[:, h_index - 1])
    )
    # Region shocks: one random walk per origin and per destination (shared by all of the
    # region's flows, so regional totals keep their correlation), and pair noise.
    regions_all = train.region_keys
    pos = {k: i for i, k in enumerate(regions_all)}
    o_idx = grid["origin"].map(pos).to_numpy()
    d_idx = grid["destination"].map(pos).to_numpy()
    for side, idx in (("origin", o_idx), ("destination", d_idx)):
        if sd[side] > 0:
            walk = rng.normal(0.0, sd[side], size=(n_sims, len(regions_all), horizon)).cumsum(-1)
            eta = eta + walk[:, idx, h_index - 1]
    if sd["pair"] > 0:
        eta = eta + rng.normal(0.0, sd["pair"], size=eta.shape)
    # Keep the expected flow at the point forecast: subtract half the log-scale variance.
    walk_var = (sd["origin"] ** 2 + sd["destination"] ** 2) * h_index
    eta = eta - 0.5 * (walk_var + sd["pair"] ** 2)
    mu = np.exp(eta) * shocks
    point, draws, flows = _outputs(mu_point, mu, grid, keys, future, data, ext)
    info: dict[str, Any] = {
        "formula": formula,
        "estimator": estimator,
        "params": res.params,
        "covariates": covariates,
        "year_level": level,
        "year_rw_sd": rw_sd,
        "noise_sd": sd,
        "fit_notes": notes,
        "scenario": None if scenario is None else scenario.name,
        "fallback_pairs": int(fallback.sum() / max(horizon, 1)),
    }
    return MethodResult(point=point, draws=draws, info=info, flows=flows)


def _bayes_method(
    data: SeriesData,
    horizon: int,
    *,
    n_sims: int,
    rng: np.random.Generator,
    panel: FlowPanel | None,
    scenario: Scenario | None,
    formula: str | None,
    covariates: Literal["carry", "trend"],
    trend_window: int,
    options: dict[str, Any],
) -> MethodResult:
    """The gravity method driven by the Bayesian hierarchical gravity posterior."""
    from migflows.estimation.bayes.api import bayes_gravity

    if panel is None:
        raise ModelSpecificationError(
            "The gravity method needs origin–destination flows: pass a FlowPanel."
        )
    if formula is None:
        formula = default_formula(panel).replace("| orig^dest + year", "| orig + dest + year")
    train = panel.select(years=[int(y) for y in data.years if int(y) in panel.years])
    settings: dict[str, Any] = {
        "family": "negbin",
        "draws": 500,
        "tune": 500,
        "chains": 2,
        "progress": False,
    }
    settings.update(options)
    seed = int(rng.integers(2**31))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit: Any = bayes_gravity  # options are checked by bayes_gravity itself
        post = fit(formula, train, random_seed=seed, **settings)
    fitted_years = sorted({int(y) for y in post.fitted["year"]})
    last_fit = fitted_years[-1]
    last = int(data.years[-1])
    future = list(range(last + 1, last + horizon + 1))
    regions = train.regions
    if regions is None:
        raise UnknownVariableError("The Bayesian gravity forecast needs region attributes.")
    ext, pairs = _future_inputs(train, regions, future, scenario, covariates, trend_window)
    year_fx = post.effects.get("year")
    rw_sd = 0.0
    if year_fx is not None and len(year_fx) >= 3:
        eff = year_fx["mean"].copy()
        eff.index = eff.index.astype(int)
        _, rw_sd = _year_level(eff.sort_index(), last_fit)
    keys = list(data.regions)
    per_year = []
    for year in future:
        # Covariates of the forecast year, placed on the last fitted year so the model reuses
        # that year's effect (carried forward, like the frequentist method).
        shifted = ext.drop(index=last_fit, level="year", errors="ignore")
        moved = ext.xs(year, level="year").assign(year=last_fit).set_index("year", append=True)
        shifted = pd.concat([shifted, moved]).sort_index()
        grid = pd.DataFrame(
            [(o, d, last_fit) for o, d in pairs], columns=["origin", "destination", "year"]
        ).assign(flow=0.0)
        fp = FlowPanel(grid, regions=shifted, distances=train.distances, coords=train.coords)
        draws = post.predict(fp, kind="draws", random_seed=int(rng.integers(2**31)))
        arr = np.asarray(draws).reshape(-1, len(grid))
        per_year.append(arr)
    total = per_year[0].shape[0]
    pick = rng.choice(total, size=n_sims, replace=total < n_sims)
    flows_draws = np.concatenate([a[pick] for a in per_year], axis=1)  # (n_sims, pairs × H)
    steps = (
        rng.normal(0.0, rw_sd, size=(n_sims, horizon)).cumsum(axis=1)
        if rw_sd > 0
        else (np.zeros((n_sims, horizon)))
    )
    grid_all = pd.DataFrame(
        [(o, d, y) for y in future for o, d in pairs], columns=["origin", "destination", "year"]
    )
    h_index = grid_all["year"].to_numpy() - last
    mu = flows_draws * np.exp(steps[:, h_index - 1] - 0.5 * rw_sd**2 * h_index)
    mu = mu * _shock_vector(scenario, grid_all, future)
    mu_point = mu.mean(axis=0)
    point, draws_out, flows = _outputs(mu_point, mu, grid_all, keys, future, data, ext)
    info: dict[str, Any] = {
        "formula": formula,
        "estimator": "bayes",
        "params": post.params,
        "posterior_stats": post.stats,
        "year_rw_sd": rw_sd,
        "fit_notes": pass_on(caught, "Bayesian gravity forecast"),
        "scenario": None if scenario is None else scenario.name,
    }
    return MethodResult(point=point, draws=draws_out, info=info, flows=flows)


def _future_inputs(
    train: FlowPanel,
    regions: pd.DataFrame,
    future: list[int],
    scenario: Scenario | None,
    covariates: Literal["carry", "trend"],
    trend_window: int,
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Region attributes extended over the forecast years (scenario applied) and the pairs."""
    keys = train.region_keys
    ext = extend_attributes(regions, keys, future, method=covariates, trend_window=trend_window)
    ext = _apply_scenario(ext, scenario, keys, future)
    return ext, [(o, d) for o in keys for d in keys if o != d]


def _outputs(
    mu_point: np.ndarray,
    mu: np.ndarray,
    grid: pd.DataFrame,
    keys: list[str],
    future: list[int],
    data: SeriesData,
    ext: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Regional totals (point and draws) and the OD flow table with 80% bounds."""
    point, draws = _aggregate(mu_point, mu, grid, keys, future, data, ext)
    flows = grid[["origin", "destination", "year"]].copy()
    flows["flow"] = mu_point
    flows["lower_80"], flows["upper_80"] = np.quantile(mu, [0.1, 0.9], axis=0)
    return point, draws, flows


def _fe_part_of_regressors(res: Any, fe_labels: pd.DataFrame, last: int) -> np.ndarray:
    """The fixed-effect fitted part of each regressor, evaluated at the forecast rows.

    Each regressor is projected on the fixed effects with the PPML weights (the fitted
    flows) in the estimation sample, the projection is split into effects per fixed effect
    (as the fixed effects of the flows are), and the effects are read at the forecast rows'
    levels; the year part is carried forward from the last estimated year.
    """
    from migflows.estimation.core.demean import demean
    from migflows.estimation.core.results import solve_fixef

    design = res._fit.design
    names = list(res.params.index)
    X = design.X[names].to_numpy(dtype=float)
    codes = design.fe.to_numpy()
    out = np.zeros((len(fe_labels), len(names)))
    if codes.shape[1] == 0 or not names:
        return out + X.mean(axis=0)
    weights = res._fit.mu
    proj = X - demean(X, codes, weights=weights, tol=1e-12).x
    for j in range(len(names)):
        effects = solve_fixef(proj[:, j], codes)
        for g, fe_name in enumerate(design.fe.columns):
            labels = design.fe_labels[fe_name].to_numpy()
            by_label = pd.Series(effects[g][codes[:, g]], index=labels)
            by_label = by_label[~by_label.index.duplicated()]
            if fe_name == "year":
                years = by_label.index.astype(int)
                value = float(by_label.iloc[int(np.argmax(years))])
                out[:, j] += value
            else:
                out[:, j] += fe_labels[fe_name].map(by_label).to_numpy(dtype=float)
    del last
    return out


def _last_observed(panel: FlowPanel, grid: pd.DataFrame) -> np.ndarray:
    """The last observed flow of each grid pair (NaN when never observed)."""
    flows = panel.flows.sort_values("year").groupby(["origin", "destination"])["flow"].last()
    idx = pd.MultiIndex.from_frame(grid[["origin", "destination"]])
    return flows.reindex(idx).to_numpy(dtype=float)


def _year_level(effects: pd.Series | None, last: int) -> tuple[float, float]:
    """Last year effect (carried forward) and the random-walk sd per calendar year."""
    if effects is None or effects.empty:
        return 0.0, 0.0
    effects = effects.sort_index()
    level = float(effects.iloc[-1])
    if len(effects) < 3:
        return level, 0.0
    years = effects.index.to_numpy(dtype=float)
    diffs = np.diff(effects.to_numpy())
    gaps = np.diff(years)
    return level, float(np.sqrt(np.mean(diffs**2 / gaps)))


def _noise_components(res: Any) -> dict[str, float]:
    """Standard deviations of the log residuals by origin-year, destination-year and pair.

    ``r = log(y / fitted)`` (positive flows) is split into origin-year and destination-year
    means and the rest; each part's spread sets the simulated shocks.
    """
    fitted = res.fitted
    y, mu = fitted["observed"].to_numpy(float), fitted["fitted"].to_numpy(float)
    ok = (y > 0) & (mu > 0)
    out = {"origin": 0.0, "destination": 0.0, "pair": 0.0}
    if ok.sum() < 10:
        return out
    frame = fitted[ok].assign(r=np.log(y[ok] / mu[ok]))
    o_mean = frame.groupby(["origin", "year"])["r"].transform("mean")
    d_mean = frame.groupby(["destination", "year"])["r"].transform("mean")
    rest = frame["r"] - o_mean - d_mean
    pair_var = float(rest.var(ddof=1))
    out["pair"] = float(np.sqrt(pair_var))
    for side in ("origin", "destination"):
        groups = frame.groupby([side, "year"])["r"].agg(["mean", "size"])
        if len(groups) < 2:
            continue
        # A group mean also carries pair noise (variance pair_var / size): remove it, so a
        # process without region shocks gets none (method of moments, floored at zero).
        excess = float(groups["mean"].var(ddof=1)) - pair_var * float((1 / groups["size"]).mean())
        out[side] = float(np.sqrt(max(excess, 0.0)))
    return out


def _shock_vector(scenario: Scenario | None, grid: pd.DataFrame, years: list[int]) -> np.ndarray:
    if scenario is None or scenario.shocks is None:
        return np.ones(len(grid))
    table = scenario.shock_factors(years)
    merged = grid.merge(table, on=["origin", "destination", "year"], how="left")
    return merged["factor"].fillna(1.0).to_numpy(dtype=float)


def _aggregate(
    mu_point: np.ndarray,
    mu: np.ndarray,
    grid: pd.DataFrame,
    keys: list[str],
    years: list[int],
    data: SeriesData,
    attrs: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals and departures by region and year (target units) from OD flows."""
    pos = {k: i for i, k in enumerate(keys)}
    o = grid["origin"].map(pos).to_numpy()
    d = grid["destination"].map(pos).to_numpy()
    h = grid["year"].to_numpy() - years[0]
    if np.isnan(o.astype(float)).any() or np.isnan(d.astype(float)).any():
        raise EstimationError("The panel's regions differ from the forecast series' regions.")
    o, d = o.astype(int), d.astype(int)
    n_r, n_h = len(keys), len(years)
    rows = np.arange(len(grid))
    ones = np.ones(len(grid))
    to_dest = sparse.csr_matrix((ones, (rows, d * n_h + h)), shape=(len(grid), n_r * n_h))
    to_orig = sparse.csr_matrix((ones, (rows, o * n_h + h)), shape=(len(grid), n_r * n_h))

    def totals(values: np.ndarray) -> np.ndarray:
        # (..., pairs) -> (..., regions, horizon, [arrivals, departures])
        lead = values.shape[:-1]
        flat = values.reshape(-1, values.shape[-1])
        arrivals = np.asarray(to_dest.T @ flat.T).T.reshape(*lead, n_r, n_h)
        departures = np.asarray(to_orig.T @ flat.T).T.reshape(*lead, n_r, n_h)
        return np.stack([arrivals, departures], axis=-1)

    point = totals(mu_point)
    draws = totals(mu)
    if data.target == "rates":
        pop = (
            attrs["population"]
            .reindex(pd.MultiIndex.from_product([keys, years], names=["region", "year"]))
            .to_numpy()
            .reshape(n_r, n_h)
        )
        if np.isnan(pop).any():
            raise UnknownVariableError(
                "Rates in the forecast years need population for every region: add "
                "'population' to the panel or a population projection to the scenario."
            )
        point = 1000.0 * point / pop[..., None]
        draws = 1000.0 * draws / pop[None, ..., None]
    return point, draws
