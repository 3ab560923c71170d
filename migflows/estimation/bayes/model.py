"""The PyMC model behind :func:`migflows.estimation.bayes.api.bayes_gravity`.

:class:`BayesGravityModel` turns a parsed formula and the data into a ``pymc.Model`` (see the
model definition in :mod:`migflows.estimation.bayes.api`), samples it, and swaps new data
in with ``pm.set_data`` for predictions. The validation helpers of the public function live
here too.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import (
    FixedEffectError,
    InvalidOptionError,
    UnknownVariableError,
    format_values,
)
from migflows.estimation.bayes.inputs import (
    DEFAULT_GROUPS,
    DEFAULT_PRIORS,
    FAMILIES,
    check_counts,
    check_dims,
    coef_prior,
    dim_name,
    period_codes,
    pooled_effects,
    resolve_priors,
    scaling,
    slope_spec,
)
from migflows.estimation.bayes.reparam import (
    WithinSplit,
    effect_information,
    information_weights,
    within_split,
)
from migflows.estimation.bayes.sampling import resolve_sampler, run_nuts, warn_gates
from migflows.estimation.core.identification import identify
from migflows.estimation.core.logs import pymc_logging
from migflows.estimation.core.seeds import as_generator, check_random_seed, pop_legacy_seed
from migflows.models.design import build_design, evaluate_rhs
from migflows.models.formula import Formula

if TYPE_CHECKING:
    import pymc as pm
    from xarray import DataTree

    from migflows.estimation.bayes.results import BayesGravityResults

__all__ = ["AUTO_INFORMATION", "DEFAULT_PRIORS", "PARAMETERIZATIONS", "BayesGravityModel"]

PARAMETERIZATIONS = ("auto", "centered", "noncentered")
#: Information per level above which ``parameterization="auto"`` samples an effect centred.
AUTO_INFORMATION = 25.0


@dataclass(frozen=True)
class _Inputs:
    """Arrays handed to the PyMC model (training or new data)."""

    X: np.ndarray  # standardized regressors (n, k)
    Xw: np.ndarray  # their remainder within the effects (reparam.WithinSplit), or X
    codes: dict[str, np.ndarray]  # effect -> level positions (n,)
    offset: np.ndarray | None
    n: int


class BayesGravityModel:
    """A built (not yet sampled) Bayesian gravity model; :meth:`fit` samples it.

    Created by :func:`bayes_gravity` with ``sample=False``; the fitted results keep it
    for predictions on new data.

    Attributes
    ----------
    model : pymc.Model
        The PyMC model (dims ``obs``, ``coef`` and one per effect).
    design : Design
        Estimation arrays (kept rows, keys, dropped rows).
    family : str
    effects : tuple of str
        Effects as written after ``|`` (``"orig"``, ``"orig^year"``).
    pooled : tuple of str
        Effects modelled as partially pooled (random) effects; the others are fixed.
    dims : dict
        Effect → dim name in the model and the DataTree (``"orig^year"`` → ``"orig_year"``).
    coords : dict
        Coordinates of the model (``obs``, ``coef``, effect levels as strings).
    x_mean, x_scale : Series
        Mean and standard deviation (ddof 0) used to standardize each regressor.
    priors : dict
        Prior scales used (defaults updated with ``priors=``).
    random_slope : tuple of str or None
        ``(regressor, effect)`` of the random slope.

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2021])
    >>> from migflows.estimation.bayes.api import bayes_gravity
    >>> m = bayes_gravity("flow ~ log_dist | orig + dest", kz, sample=False)
    >>> sorted(m.model.named_vars)[:4]
    ['Intercept', 'X', 'beta', 'beta_std']
    """

    def __init__(
        self,
        formula: Formula,
        data: FlowPanel | pd.DataFrame,
        *,
        family: str = "poisson",
        group_effects: Sequence[str] = DEFAULT_GROUPS,
        priors: Mapping[str, float | Mapping[str, float]] | None = None,
        random_slopes: Mapping[str, str] | None = None,
        pooled_slopes: Mapping[str, str] | None = None,
        parameterization: str = "auto",
        offset: str | np.ndarray | pd.Series | None = None,
        periods: Mapping[str, tuple[int, int]] | None = None,
        center_within: bool = True,
    ) -> None:
        if family not in FAMILIES:
            raise InvalidOptionError(
                f"family={family!r} is not available; use one of {format_values(FAMILIES)}."
            )
        if parameterization not in PARAMETERIZATIONS:
            raise InvalidOptionError(
                f"parameterization={parameterization!r} is not allowed; use one of "
                f"{format_values(PARAMETERIZATIONS)}."
            )
        self.family = family
        self.parameterization = parameterization
        self.periods = periods
        self.formula = formula
        self.data = data
        design = build_design(formula, data, offset=offset, periods=periods)
        self.design = design
        self.offset_name = offset if isinstance(offset, str) else None
        self.effects: tuple[str, ...] = formula.fixed_effect_names
        self.pooled = pooled_effects(self.effects, group_effects)
        self.dims = {e: dim_name(e) for e in self.effects}
        check_dims(self.dims)
        self.priors = resolve_priors(priors)
        self.obs_name = re.sub(r"\W", "_", formula.depvar).strip("_") or "y"
        y = design.y.to_numpy(dtype=float)
        check_counts(y, formula.depvar)
        self.y = y.astype(np.int64)
        X = design.X
        self.intercept_in_params = "Intercept" in X.columns
        self.has_intercept = bool(self.effects) or formula.intercept or self.intercept_in_params
        X = X.drop(columns=["Intercept"], errors="ignore")
        self.coef_names = [str(c) for c in X.columns]
        self.x_mean, self.x_scale = scaling(X, centre=self.has_intercept)
        self.levels = {e: sorted(pd.unique(design.fe_labels[e].astype(str))) for e in self.effects}
        for e, lv in self.levels.items():
            if len(lv) < 2:
                raise FixedEffectError(
                    f"Effect {e!r} has a single level ({format_values(lv)}) in the estimation "
                    f"sample; the intercept already carries it: remove {e!r} from the formula."
                )
        self.random_slope = slope_spec(
            random_slopes, pooled_slopes, self.coef_names, self.effects, periods
        )
        if self.random_slope is not None and self.random_slope[1] == "period":
            self.levels["period"] = [str(p) for p in periods or {}]
            self.dims["period"] = "period"
        self.split: WithinSplit | None = None
        self._years = design.keys["year"].to_numpy() if "year" in design.keys else None
        self.train = self._inputs(X, design.fe_labels, design.offset)
        self._check_absorbed()
        n_levels = {e: len(self.levels[e]) for e in self.effects}
        effect_codes = {e: self.train.codes[e] for e in self.effects}
        weights = information_weights(
            self.y.astype(float), self.train.X, effect_codes, n_levels,
            negbin=family == "negbin", offset=self.train.offset,
        )  # fmt: skip
        if center_within and self.coef_names and self.effects:
            self.split = within_split(self.train.X, effect_codes, n_levels, weights)
            self.train = self._inputs(X, design.fe_labels, design.offset)
        self.parameterizations = self._choose_parameterizations(weights)
        self.model = self._build()

    # ------------------------------------------------------------------ properties
    @property
    def nobs(self) -> int:
        """Observations in the estimation sample."""
        return len(self.y)

    @property
    def coords(self) -> dict[str, list[Any]]:
        """Coordinates of the PyMC model (copied)."""
        return {k: list(v) for k, v in self.model.coords.items()}

    @property
    def fixed(self) -> tuple[str, ...]:
        """Effects that are not pooled (flat-ish normal priors)."""
        return tuple(e for e in self.effects if e not in self.pooled)

    def __repr__(self) -> str:
        return (
            f"<BayesGravityModel: {self.formula}, family={self.family}, "
            f"pooled={list(self.pooled)}, nobs={self.nobs}>"
        )

    # ------------------------------------------------------------------ data
    def _inputs(
        self,
        X: pd.DataFrame,
        fe_labels: pd.DataFrame,
        offset: pd.Series | None,
        years: np.ndarray | None = None,
    ) -> _Inputs:
        Xs = (X[self.coef_names].to_numpy(dtype=float) - self.x_mean.to_numpy()) / (
            self.x_scale.to_numpy()
        )
        codes = {}
        for e in self.effects:
            labels = fe_labels[e].astype(str).to_numpy()
            levels = np.asarray(self.levels[e], dtype=object)
            pos = pd.Index(levels).get_indexer(pd.Index(labels))
            unknown = pd.unique(labels[pos < 0])
            if len(unknown):
                raise FixedEffectError(
                    f"{len(unknown)} level(s) of effect {e!r} were not in the estimation "
                    f"sample: {format_values(unknown)}. Predictions need estimated levels; "
                    f"drop those rows or refit with them."
                )
            codes[e] = pos.astype(np.int64)
        if self.random_slope is not None and self.random_slope[1] == "period":
            codes["period"] = period_codes(self._years if years is None else years, self.periods)
        off = None if offset is None else offset.to_numpy(dtype=float)
        Xw = Xs if self.split is None else self.split.within(Xs, codes)
        return _Inputs(Xs, Xw, codes, off, len(Xs))

    def new_inputs(
        self, data: FlowPanel | pd.DataFrame, rows: np.ndarray | None = None
    ) -> tuple[_Inputs, np.ndarray]:
        """Model inputs for new data and the mask of rows that can be predicted.

        Rows with a missing regressor or offset are left out (the mask says which); ``rows``
        keeps only those positions of the data (the estimation sample, for counterfactuals).
        """
        X, fe_labels, off = evaluate_rhs(
            self.formula, data, periods=self.periods, offset=self.offset_name
        )
        frame = data.flows if isinstance(data, FlowPanel) else data
        if rows is not None:  # covariates (lags) are evaluated on the whole panel first
            X, fe_labels, frame = (
                v.iloc[rows].reset_index(drop=True) for v in (X, fe_labels, frame)
            )
            off = None if off is None else off.iloc[rows].reset_index(drop=True)
        missing = [c for c in self.coef_names if c not in X.columns]
        if missing:
            raise UnknownVariableError(
                f"The new data lack the regressor column(s) {format_values(missing)}."
            )
        ok = X[self.coef_names].notna().all(axis=1).to_numpy()
        if self.design.offset is not None:
            if off is None:
                raise UnknownVariableError(
                    "The model has an offset given as values; predictions on new data need "
                    "the offset as a column name."
                )
            ok &= off.notna().to_numpy()
        keep = np.flatnonzero(ok)
        years = frame["year"].to_numpy()[keep] if "year" in frame else None
        inputs = self._inputs(
            X.iloc[keep].reset_index(drop=True),
            fe_labels.iloc[keep].reset_index(drop=True),
            None if off is None else off.iloc[keep].reset_index(drop=True),
            years,
        )
        return inputs, ok

    def _check_absorbed(self) -> None:
        """Regressors absorbed by the fixed (non-pooled) effects or collinear are errors."""
        fixed = self.fixed
        if not self.coef_names:
            return
        codes = np.column_stack([self.train.codes[e] for e in fixed]) if fixed else None
        # the shared check of every family, one tolerance (core.identification)
        ident = identify(self.train.X, codes, names=self.coef_names, fe_names=fixed)
        if not ident.identified:
            raise ident.error(
                "The likelihood says nothing about them (e.g. a region-year attribute under "
                "origin-year and destination-year effects). Pool the effects instead "
                "(group_effects=...) or remove them."
                if ident.absorbed
                else "Remove them (only the prior would identify them)."
            )

    # ------------------------------------------------------------------ the PyMC model
    def prior_model(self) -> pm.Model:
        """The model as written, without the within split (for prior predictive draws).

        The split moves the priors with ``pm.Potential`` terms, which prior predictive
        sampling ignores; this model has the same posterior and samples its prior directly.
        """
        return self._build(within=False)

    def _build(self, within: bool = True) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        tr = self.train
        coords: dict[str, Any] = {"obs": np.arange(tr.n), "coef": self.coef_names}
        for e in self.effects:
            coords[self.dims[e]] = self.levels[e]
        if self.random_slope is not None and self.random_slope[1] == "period":
            coords["period"] = self.levels["period"]
        pri = self.priors
        k = len(self.coef_names)
        split = self.split if within else None
        with pm.Model(coords=coords) as model:
            eta: Any = 0.0
            if k:
                # with the within split, the likelihood sees the remainder xw (reparam.py)
                X = pm.Data("X", tr.Xw if split is not None else tr.X, dims=("obs", "coef"))
                coef_sd = np.array([coef_prior(pri["coef"], n) for n in self.coef_names])
                b_std = pm.Normal("beta_std", 0.0, coef_sd, dims="coef")
                pm.Deterministic("beta", b_std / self.x_scale.to_numpy(), dims="coef")
                eta = pt.dot(X, b_std)
            if self.has_intercept:
                centre, scale = self._intercept_centre(), pri["intercept"]
                a_s = pm.Normal("intercept_c", centre, scale)
                a = a_s
                if split is not None:  # a' = a + c b is sampled; the prior stays on a
                    a = a_s - pt.dot(b_std, split.const)
                    pm.Potential(
                        "intercept_prior",
                        ((a_s - centre) ** 2 - (a - centre) ** 2) / (2 * scale**2),
                    )
                shift = pt.sum(b_std * (self.x_mean / self.x_scale).to_numpy()) if k else 0.0
                pm.Deterministic("Intercept", a - shift)
                eta = eta + a_s
            idx = {e: pm.Data(f"{self.dims[e]}_idx", tr.codes[e], dims="obs") for e in self.effects}
            for e in self.effects:
                eta = eta + self._effect(e, b_std if k else None, split)[idx[e]]
            if self.random_slope is not None:
                x, g = self.random_slope
                if g == "period":
                    idx["period"] = pm.Data("period_idx", tr.codes["period"], dims="obs")
                j = self.coef_names.index(x)
                x_raw = X if split is None else pm.Data("X_raw", tr.X, dims=("obs", "coef"))
                dev, _ = self._hier(
                    "slope_dev", self.dims[g], pri["slope_sd"], "slope_sigma",
                    self.parameterizations["slope"],
                )  # fmt: skip
                pm.Deterministic(
                    "slope", (b_std[j] + dev) / float(self.x_scale[x]), dims=self.dims[g]
                )
                eta = eta + dev[idx[g]] * x_raw[:, j]
            if tr.offset is not None:
                eta = eta + pm.Data("offset", tr.offset, dims="obs")
            mu = pm.Deterministic("mu", pt.exp(eta), dims="obs")
            y = pm.Data("y", self.y, dims="obs")
            if self.family == "poisson":
                pm.Poisson(self.obs_name, mu=mu, observed=y, dims="obs")
            else:
                alpha = pm.HalfNormal("alpha", pri["alpha"])
                pm.NegativeBinomial(self.obs_name, mu=mu, alpha=1.0 / alpha, observed=y, dims="obs")
        return model

    def _effect(self, e: str, b_std: Any, split: WithinSplit | None) -> Any:
        """The effect in the sampled coordinates (shifted by ``G_e b`` under the split)."""
        import pymc as pm
        import pytensor.tensor as pt

        dim = self.dims[e]
        name = f"{dim}_effect"
        if split is not None:
            name = f"{dim}_shifted"
        if e in self.pooled:
            value, sigma = self._hier(
                name, dim, self.priors["group_sd"], f"{dim}_sigma", self.parameterizations[e]
            )
        else:
            sigma = self.priors["fixed"]
            value = pm.ZeroSumNormal(name, sigma=sigma, dims=dim)
        if split is not None:
            # u = u' - G_e b is the effect of the model as written; the prior is moved onto it
            # (zero-sum normal: log p = -sum u^2 / (2 sigma^2) + terms that cancel)
            shifted = value - pt.dot(b_std, split.blocks[e])
            u = pm.Deterministic(f"{dim}_effect", shifted, dims=dim)
            pm.Potential(f"{dim}_prior", (pt.sum(value**2) - pt.sum(u**2)) / (2 * sigma**2))
        return value

    def _hier(self, name: str, dim: str, sd_scale: float, sd_name: str, param: str) -> Any:
        """Zero-sum normal deviations with a half-normal scale, (non-)centred: (value, sigma)."""
        import pymc as pm

        sigma = pm.HalfNormal(sd_name, sd_scale)
        if param == "centered":
            return pm.ZeroSumNormal(name, sigma=sigma, dims=dim), sigma
        stem = name.removesuffix("_effect").removesuffix("_shifted")
        z = pm.ZeroSumNormal(f"{stem}_z", sigma=1.0, dims=dim)
        if name.endswith("_shifted"):
            return sigma * z, sigma
        return pm.Deterministic(name, sigma * z, dims=dim), sigma

    def _choose_parameterizations(self, weights: np.ndarray) -> dict[str, str]:
        """Centred or non-centred form of each pooled effect (and of the random slope).

        ``"auto"``: centred when every level carries at least :data:`AUTO_INFORMATION` units
        of (approximate Fisher) information, i.e. the data pin each level's effect down to a
        likelihood sd of 0.2 or less, which is where the centred form samples best; otherwise
        non-centred (few or small flows per level: the funnel of the centred form).
        """
        tr = self.train
        out: dict[str, str] = {}
        for e in self.pooled:
            info = effect_information(weights, tr.codes[e], len(self.levels[e]))
            out[e] = self._pick(info)
        if self.random_slope is not None:
            x, g = self.random_slope
            xj = tr.X[:, self.coef_names.index(x)]
            info = effect_information(weights * xj**2, tr.codes[g], len(self.levels[g]))
            # few periods: the scale of their deviations is barely identified (a funnel)
            out["slope"] = "noncentered" if g == "period" else self._pick(info)
        return out

    def _pick(self, info: np.ndarray) -> str:
        if self.parameterization != "auto":
            return self.parameterization
        return "centered" if float(info.min()) >= AUTO_INFORMATION else "noncentered"

    def _intercept_centre(self) -> float:
        y = self.y.astype(float)
        if self.train.offset is None:
            return float(np.log(y.mean()))
        return float(np.log(y.sum() / np.exp(self.train.offset).sum()))

    # ------------------------------------------------------------------ sampling
    def fit(
        self,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        cores: int | None = None,
        target_accept: float = 0.9,
        sampler: str = "auto",
        random_seed: int | np.random.Generator | None = None,
        progress: bool = True,
        log_likelihood: bool = False,
        posterior_predictive: bool = False,
        **sample_kwargs: Any,
    ) -> BayesGravityResults:
        """Sample the posterior with NUTS and return the results.

        The DataTree gets the groups ``posterior``, ``sample_stats``, ``observed_data`` and
        ``constant_data``; the pointwise ``log_likelihood`` (for LOO) and the
        ``posterior_predictive`` draws only when asked (``log_likelihood=True``,
        ``posterior_predictive=True``): otherwise the results compute them the first time
        :meth:`BayesGravityResults.loo` or a posterior predictive check needs them.

        Parameters
        ----------
        draws, tune, chains : int
            Kept draws and tuning steps per chain, number of chains.
        cores : int, optional
            Chains run in parallel; default one core per chain up to the machine's cores.
        target_accept : float
            NUTS target acceptance rate (raise it towards 0.99 when there are divergences).
        sampler : {"auto", "nutpie", "pymc", "numpyro", "blackjax"}
            NUTS implementation; ``"auto"`` is nutpie when installed, else PyMC's.
        random_seed : int or Generator, optional
            The only source of randomness (sampler, posterior predictive draws).
        progress : bool
            Progress bars.
        log_likelihood, posterior_predictive : bool, default False
            Store these groups right after sampling.
        **sample_kwargs
            Passed to ``pymc.sample`` (``nuts``, ``compile_kwargs`` …).

        Returns
        -------
        BayesGravityResults
        """
        import pymc as pm

        from migflows.estimation.bayes.results import BayesGravityResults

        for name, value in (("draws", draws), ("tune", tune), ("chains", chains)):
            if not isinstance(value, (int, np.integer)) or value < (0 if name == "tune" else 1):
                raise InvalidOptionError(
                    f"{name}={value!r} must be a positive integer (tune may be 0)."
                )
        if not 0 < target_accept < 1:
            raise InvalidOptionError(f"target_accept={target_accept!r} must be in (0, 1).")
        if cores is not None and (not isinstance(cores, (int, np.integer)) or cores < 1):
            raise InvalidOptionError(f"cores={cores!r} must be a positive integer or None.")
        chosen = resolve_sampler(sampler)
        random_seed = pop_legacy_seed(random_seed, sample_kwargs, function="fit")
        seeds = _seeds(random_seed, 2)
        keep = [v for v in self.model.unobserved_value_vars if v.name != "mu"]
        var_names = [v.name for v in keep if not v.name.endswith("__")]
        with pymc_logging(progress):
            idata = run_nuts(
                self.model,
                sampler=chosen,
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                target_accept=target_accept,
                random_seed=seeds[0],
                progress=progress,
                var_names=var_names,
                **sample_kwargs,
            )
        with self.model, warnings.catch_warnings(), pymc_logging(progress):
            warnings.filterwarnings("ignore", "The effect of Potentials", UserWarning)
            if log_likelihood:
                pm.compute_log_likelihood(idata, progressbar=progress)
            if posterior_predictive:
                pm.sample_posterior_predictive(
                    idata,
                    var_names=[self.obs_name],
                    extend_inferencedata=True,
                    random_seed=seeds[1],
                    progressbar=progress,
                )
        res = BayesGravityResults(self, idata, sampler=chosen, ppc_seed=seeds[1])
        warn_gates(res.gates, stacklevel=4)
        return res

    def predictive(
        self,
        idata: DataTree,
        inputs: _Inputs | None,
        var_name: str,
        random_seed: int | np.random.Generator | None,
    ) -> Any:
        """Posterior draws (chain, draw, obs) of ``mu`` or the flow for ``inputs``.

        The model's data are swapped for ``inputs`` with ``pm.set_data`` and restored
        afterwards, so the model is unchanged when this returns.
        """
        import pymc as pm

        seed = _seeds(random_seed, 1)[0]
        # PyMC logs "Sampling: [...]" at INFO for every call; predictions stay quiet.
        log = logging.getLogger("pymc")
        level = log.level
        log.setLevel(max(level, logging.WARNING))
        with self.model, warnings.catch_warnings():
            try:
                if inputs is not None:
                    self._set(inputs)
                # the Potentials only move priors of parameters the draws condition on
                warnings.filterwarnings("ignore", "The effect of Potentials", UserWarning)
                out = pm.sample_posterior_predictive(
                    idata,
                    var_names=[var_name],
                    predictions=True,
                    random_seed=seed,
                    progressbar=False,
                )
            finally:
                log.setLevel(level)
                if inputs is not None:
                    self._set(self.train, y=self.y)
        return out["predictions"][var_name]

    def _set(self, inputs: _Inputs, y: np.ndarray | None = None) -> None:
        import pymc as pm

        values: dict[str, Any] = {f"{self.dims[e]}_idx": inputs.codes[e] for e in self.effects}
        if "period" in inputs.codes:
            values["period_idx"] = inputs.codes["period"]
        if self.coef_names:
            values["X"] = inputs.Xw
            if self.split is not None and self.random_slope is not None:
                values["X_raw"] = inputs.X
        if inputs.offset is not None:
            values["offset"] = inputs.offset
        values["y"] = np.zeros(inputs.n, dtype=np.int64) if y is None else y
        pm.set_data(values, coords={"obs": np.arange(inputs.n)})


# ---------------------------------------------------------------------- validation helpers
def _seeds(random_seed: int | np.random.Generator | None, k: int) -> list[int | None]:
    if check_random_seed(random_seed) is None:
        return [None] * k
    rng = as_generator(random_seed)
    return [int(s) for s in rng.integers(2**31 - 1, size=k)]
