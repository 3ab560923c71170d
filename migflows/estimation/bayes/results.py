"""Results of the Bayesian gravity model: :class:`BayesGravityResults`.

The project's results vocabulary, read as posterior summaries:

``params``
    posterior means of the slopes (original scale of the regressors);
``std_errors``
    posterior standard deviations;
``conf_int(level)``
    *credible* intervals: equal-tailed posterior quantiles by default, the highest-density
    interval with ``hdi=True`` — not confidence intervals;
``tstats``, ``pvalues``
    not defined for a posterior: all-NaN Series with these names, so that regression
    tables and :func:`migflows.compare` accept the results (no significance stars);
``cov``
    posterior covariance of the slopes.
"""

from __future__ import annotations

import html
import warnings
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import InvalidOptionError, MigflowsWarning
from migflows.estimation.bayes.posterior_model import PosteriorModel
from migflows.estimation.core.posterior_hypothesis import PosteriorHypothesisMixin
from migflows.estimation.core.readonly import ReadOnlyResults
from migflows.estimation.core.results import SummaryTable, response_residuals

if TYPE_CHECKING:
    from xarray import DataArray, DataTree

    from migflows.estimation.bayes.counterfactual import BayesCounterfactual
    from migflows.estimation.core.counterfactual import Changes

__all__ = ["BayesGravityResults", "PosteriorModel"]


class BayesGravityResults(PosteriorHypothesisMixin, ReadOnlyResults):
    """Posterior of a Bayesian gravity model (:func:`migflows.bayes_gravity`).

    Immutable: every attribute is computed from the sampled ``DataTree`` (:attr:`idata`).

    Examples
    --------
    The doctest builds results from a fake posterior (no sampling):

    >>> import numpy as np
    >>> import migflows
    >>> from arviz_base import from_dict
    >>> from migflows.estimation.bayes.api import bayes_gravity
    >>> kz = migflows.load_kazakhstan(years=[2021])
    >>> m = bayes_gravity("flow ~ log_dist | orig + dest", kz, sample=False)
    >>> rng = np.random.default_rng(0)
    >>> beta = -1.2 + 0.05 * rng.standard_normal((2, 100, 1))
    >>> idata = from_dict({"posterior": {"beta": beta}}, dims={"beta": ["coef"]},
    ...                   coords={"coef": ["log_dist"]})
    >>> res = BayesGravityResults(m, idata)
    >>> round(float(res.params["log_dist"]), 2), res.pvalues.isna().all()
    (-1.2, np.True_)
    """

    def __init__(
        self,
        model: PosteriorModel,
        idata: DataTree,
        *,
        sampler: str | None = None,
        ppc_seed: int | None = None,
    ):
        self._m = model
        self._idata = idata
        for node in idata.subtree:  # the posterior is read-only: writing to it raises
            for var in node.dataset.variables.values():
                if isinstance(var.data, np.ndarray):
                    var.data.flags.writeable = False
        self._sampler = sampler
        self._ppc_seed = ppc_seed
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"{type(self).__name__} is immutable")
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ facts
    @property
    def idata(self) -> DataTree:
        """The ArviZ DataTree as sampled (posterior, sample_stats, observed and constant data).

        Shared, not copied, and read-only: its arrays refuse in-place writes. :attr:`idata_full`
        adds the pointwise log-likelihood and the posterior predictive draws.
        """
        return self._idata

    @cached_property
    def idata_full(self) -> DataTree:
        """:attr:`idata` with ``log_likelihood`` and ``posterior_predictive`` groups.

        A new DataTree: groups the fit did not store are computed on first access (seeded
        from the fit's ``random_seed``), the sampled tree is left as it is.
        """
        from migflows.estimation.bayes.sampling import with_pointwise_groups

        return with_pointwise_groups(self._m, self._idata, self._ppc_seed)

    @property
    def sampler(self) -> str | None:
        """The NUTS implementation that drew the posterior (``"nutpie"``, ``"pymc"`` …)."""
        return self._sampler

    @property
    def model(self) -> PosteriorModel:
        """The built model (``.model`` is the ``pymc.Model``)."""
        return self._m

    @property
    def family(self) -> str:
        """``"poisson"`` or ``"negbin"``."""
        return self._m.family

    @property
    def formula(self) -> str:
        """The formula as parsed."""
        return str(self._m.formula)

    @property
    def fixed_effects(self) -> tuple[str, ...]:
        """Every effect listed after ``|`` (pooled or not; see :attr:`group_effects`)."""
        return self._m.effects

    @property
    def group_effects(self) -> tuple[str, ...]:
        """Effects modelled as partially pooled (random) effects."""
        return self._m.pooled

    @property
    def pooled_effects(self) -> tuple[str, ...]:
        """The results protocol's name for :attr:`group_effects`."""
        return self._m.pooled

    @property
    def inference(self) -> Literal["bayesian"]:
        """``"bayesian"``: posterior means, posterior sds, credible intervals, no p-values."""
        return "bayesian"

    @property
    def nobs(self) -> int:
        """Observations in the estimation sample."""
        return self._m.nobs

    @property
    def dropped(self) -> pd.DataFrame:
        """Rows left out of the estimation sample (missing values), with the reason."""
        return self._m.design.dropped.copy()

    @property
    def vcov_type(self) -> str:
        """What :attr:`std_errors` are (a label for regression tables)."""
        return "posterior sd"

    @property
    def scaling(self) -> pd.DataFrame:
        """Mean and sd used to standardize each regressor (slopes are reported unscaled)."""
        return pd.concat([self._m.x_mean, self._m.x_scale], axis=1)

    # ------------------------------------------------------------------ posterior of slopes
    @cached_property
    def _draws(self) -> pd.DataFrame:
        """Posterior draws of the reported parameters, one column each (chains stacked)."""
        post = self._idata["posterior"]
        cols: dict[str, np.ndarray] = {}
        if self._m.intercept_in_params:
            cols["Intercept"] = post["Intercept"].to_numpy().reshape(-1)
        if self._m.coef_names:
            beta = post["beta"].to_numpy()
            flat = beta.reshape(-1, beta.shape[-1])
            for j, name in enumerate(self._m.coef_names):
                cols[name] = flat[:, j]
        return pd.DataFrame(cols, columns=pd.Index(list(cols), name="parameter"))

    @property
    def draws(self) -> pd.DataFrame:
        """Posterior draws of the slopes (and intercept when reported), chains stacked."""
        return self._draws.copy()

    @cached_property
    def params(self) -> pd.Series:
        """Posterior means of the slopes, on the original scale of the regressors."""
        return self._draws.mean(axis=0).rename("params")

    @cached_property
    def std_errors(self) -> pd.Series:
        """Posterior standard deviations."""
        return self._draws.std(axis=0, ddof=1).rename("std_errors")

    @cached_property
    def cov(self) -> pd.DataFrame:
        """Posterior covariance of the slopes."""
        return self._draws.cov()

    @property
    def tstats(self) -> pd.Series:
        """Not defined for a posterior: NaN for every parameter (kept for table layouts)."""
        return pd.Series(np.nan, index=self.params.index, name="tstats")

    @property
    def pvalues(self) -> pd.Series:
        """Not defined for a posterior: NaN (tables then print no stars)."""
        return pd.Series(np.nan, index=self.params.index, name="pvalues")

    def conf_int(self, level: float = 0.95, *, hdi: bool = False) -> pd.DataFrame:
        """Credible intervals of the slopes (not confidence intervals).

        Parameters
        ----------
        level : float, default 0.95
            Posterior probability inside the interval.
        hdi : bool, default False
            Highest-density interval instead of the equal-tailed one (quantiles
            ``(1 - level) / 2`` and ``(1 + level) / 2``).

        Returns
        -------
        DataFrame
            Columns ``lower`` and ``upper``.
        """
        if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
            raise InvalidOptionError(f"level={level!r} must be strictly between 0 and 1")
        from arviz_stats.base import array_stats

        draws = self._draws.to_numpy()
        if draws.shape[1] == 0:  # an effects-only model has no slopes
            return pd.DataFrame(columns=["lower", "upper"], index=self.params.index, dtype=float)
        if hdi:
            bounds = array_stats.hdi(draws, level, axis=0)
        else:
            bounds = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0).T
        return pd.DataFrame(bounds, index=self.params.index, columns=["lower", "upper"])

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Means, sds, equal-tailed credible bounds and the sampling diagnostics per slope."""
        diag = self.diagnostics().reindex(self._labels())
        diag.index = self.params.index
        return pd.concat(
            [self.params, self.std_errors, self.conf_int(level), diag],
            axis=1,
        )

    def _labels(self) -> list[str]:
        """ArviZ labels (``beta[log_dist]``) of the reported parameters."""
        out = ["Intercept"] if self._m.intercept_in_params else []
        return out + [f"beta[{n}]" for n in self._m.coef_names]

    # ------------------------------------------------------------------ effects
    @cached_property
    def effects(self) -> dict[str, pd.DataFrame]:
        """Posterior mean, sd and 95 % equal-tailed bounds of every effect, by level.

        ``{effect: DataFrame}``: one DataFrame per effect after ``|`` (pooled or not),
        indexed by level, columns ``mean``, ``sd``, ``lower``, ``upper`` (the frequentist
        results hold a Series of point estimates instead). Effects sum to zero over their
        levels (deviations from the intercept).
        """
        post = self._idata["posterior"]
        out = {}
        for e in self._m.effects:
            name = f"{self._m.dims[e]}_effect"
            if name not in post:
                continue
            arr = post[name].to_numpy()
            flat = arr.reshape(-1, arr.shape[-1])
            lo, hi = np.quantile(flat, [0.025, 0.975], axis=0)
            out[e] = pd.DataFrame(
                {"mean": flat.mean(0), "sd": flat.std(0, ddof=1), "lower": lo, "upper": hi},
                index=pd.Index(self._m.levels[e], name=e),
            )
        return out

    # ------------------------------------------------------------------ diagnostics
    def _param_vars(self, hyper_only: bool = False) -> list[str]:
        post = self._idata["posterior"]
        names = ["Intercept", "beta"] if self._m.coef_names else ["Intercept"]
        names += [f"{self._m.dims[e]}_sigma" for e in self._m.pooled]
        names += ["slope_sigma", "alpha"]
        if not hyper_only:
            names += [f"{self._m.dims[e]}_effect" for e in self._m.effects] + ["slope"]
        return [n for n in names if n in post]

    def diagnostics(self) -> pd.DataFrame:
        """R-hat, bulk and tail ESS and Monte Carlo standard errors of every parameter.

        Rows are ArviZ labels (``beta[log_dist]``, ``orig_effect[abai]``).
        """
        import arviz_stats as azs

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return pd.DataFrame(
                azs.summary(
                    self._idata,
                    var_names=self._param_vars(),
                    kind="diagnostics",
                    round_to="none",
                )
            ).astype(float)

    @cached_property
    def summary(self) -> SummaryTable:
        """The ArviZ summary of the slopes and hyperparameters, with a header of fit facts.

        Columns: mean, sd, 95 % equal-tailed interval, ESS, R-hat, MCSE.
        """
        import arviz_stats as azs

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            table = pd.DataFrame(
                azs.summary(
                    self._idata,
                    var_names=self._param_vars(hyper_only=True),
                    ci_prob=0.95,
                    ci_kind="eti",
                    round_to="none",
                )
            )
        st = self.stats
        header: list[tuple[str, Any]] = [
            ("Dependent variable", self._m.formula.depvar),
            ("Observations", self.nobs),
            ("Family", "Poisson" if self.family == "poisson" else "Negative binomial (NB2)"),
            ("Pooled effects", ", ".join(self.group_effects) or "none"),
            (
                "Fixed effects",
                ", ".join(e for e in self.fixed_effects if e not in self.group_effects) or "none",
            ),
            ("Draws", f"{st['chains']} chains × {st['draws']}"),
            ("Divergences", st["divergences"]),
            ("Largest R-hat", round(st["rhat_max"], 4)),
            ("Smallest bulk ESS", round(st["ess_bulk_min"], 1)),
        ]
        if "elpd_loo" in st:
            header.append(("ELPD (PSIS-LOO)", f"{st['elpd_loo']:.1f} (se {st['se_elpd_loo']:.1f})"))
        title = f"Bayesian gravity ({self.family}) posterior"
        return SummaryTable(title, tuple(header), table)

    @cached_property
    def _loo(self) -> Any:
        import arviz_stats as azs

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return azs.loo(self.idata_full, var_name=self._m.obs_name, pointwise=True)

    def loo(self) -> Any:
        """PSIS-LOO (``arviz_stats.loo``) of the fit; warns when Pareto k values are high.

        Computes the pointwise log-likelihood on first use (see :attr:`idata_full`).
        """
        loo = self._loo
        k = np.asarray(loo.pareto_k)
        bad = int((k > loo.good_k).sum())
        if bad:
            warnings.warn(
                f"PSIS-LOO: {bad} of {k.size} observation(s) have Pareto k above "
                f"{loo.good_k:.2f} (largest {np.nanmax(k):.2f}); their LOO estimates are "
                f"unreliable: look at res.loo().pareto_k, or compare models by K-fold CV.",
                MigflowsWarning,
                stacklevel=2,
            )
        return loo

    @cached_property
    def gates(self) -> pd.DataFrame:
        """The convergence gates (R-hat <= 1.01, bulk and tail ESS >= 400, no divergences).

        One row per gate: the worst ``value``, the ``parameter`` it belongs to (every
        reported parameter is checked: slopes, intercept, hyperparameters, effects), the
        ``threshold`` and ``passed``.
        """
        from migflows.estimation.bayes.sampling import gates

        return gates(self.diagnostics(), self._divergences())

    def _divergences(self) -> int:
        ss = self._idata.children.get("sample_stats")
        return int(ss["diverging"].to_numpy().sum()) if ss is not None and "diverging" in ss else 0

    @cached_property
    def stats(self) -> dict[str, Any]:
        """Fit facts for summaries and tables.

        Draws, chains, sampler, divergences, largest R-hat (``rhat_max``), smallest bulk and
        tail ESS (``ess_bulk_min``, ``ess_tail_min``), ``gates_passed`` (:attr:`gates`),
        PSIS-LOO when the log-likelihood was stored or :meth:`loo` ran before (``elpd_loo``,
        ``se_elpd_loo``, ``p_loo``, ``pareto_k_bad`` = observations with Pareto k above
        ArviZ's threshold), posterior
        means of ``alpha`` (NB2) and of the pooled-effect sds (``sigma_orig`` …).
        """
        post = self._idata["posterior"]
        out: dict[str, Any] = {
            "family": self.family,
            "chains": int(post.sizes["chain"]),
            "draws": int(post.sizes["draw"]),
        }
        out["sampler"] = self._sampler
        g = self.gates
        value = g["value"].astype(float)
        out["divergences"] = int(value["divergences"])
        out["rhat_max"] = float(value["r_hat"])
        out["ess_bulk_min"] = float(value["ess_bulk"])
        out["ess_tail_min"] = float(value["ess_tail"])
        out["gates_passed"] = bool(g["passed"].all())
        if "log_likelihood" in self._idata.children:
            loo = self._loo
            k = np.asarray(loo.pareto_k)
            out.update(
                elpd_loo=float(loo.elpd),
                se_elpd_loo=float(loo.se),
                p_loo=float(loo.p),
                pareto_k_bad=int((k > loo.good_k).sum()),
            )
        if "alpha" in post:
            out["alpha"] = float(post["alpha"].mean())
        for e in self._m.pooled:
            name = f"{self._m.dims[e]}_sigma"
            if name in post:
                out[f"sigma_{self._m.dims[e]}"] = float(post[name].mean())
        if "slope_sigma" in post:
            out["sigma_slope"] = float(post["slope_sigma"].mean())
        return out

    # ------------------------------------------------------------------ prediction
    @cached_property
    def fitted(self) -> pd.DataFrame:
        """Fitted flows, one row per estimation-sample row (the layout of every ``fitted``).

        A DataFrame (n rows): the keys, ``observed`` and ``fitted`` (the posterior mean of
        the expected flow).
        """
        out = self._m.design.keys.copy()
        out["observed"] = self._m.y
        out["fitted"] = self.predict().to_numpy()
        return out

    @property
    def resid(self) -> pd.Series:
        """Response residuals ``observed - fitted`` (n,), aligned with the rows of ``fitted``."""
        return response_residuals(self.fitted)

    def predict(
        self,
        data: FlowPanel | pd.DataFrame | None = None,
        *,
        kind: Literal["mean", "draws"] = "mean",
        random_seed: int | np.random.Generator | None = None,
    ) -> pd.Series | DataArray:
        """Posterior predictions of the flows, in sample or for new data.

        Parameters
        ----------
        data : FlowPanel or DataFrame, optional
            New data with every regressor and only effect levels seen in the fit; rows with
            a missing regressor get NaN. Default: the estimation sample.
        kind : {"mean", "draws"}
            ``"mean"``: posterior mean of the expected flow ``mu`` (a Series, one value per
            row). ``"draws"``: posterior predictive flows — counts drawn from the likelihood
            at every posterior draw — as a DataArray ``(chain, draw, obs)``.
        random_seed : int or Generator, optional
            For ``kind="draws"`` (``"mean"`` is deterministic).

        Returns
        -------
        Series or DataArray
        """
        if kind not in ("mean", "draws"):
            raise InvalidOptionError(f"kind={kind!r} is not allowed; use 'mean' or 'draws'.")
        m = self._m
        if data is None:
            inputs, ok = None, np.ones(m.nobs, dtype=bool)
        else:
            inputs, ok = m.new_inputs(data)
        var = "mu" if kind == "mean" else m.obs_name
        if inputs is not None and inputs.n == 0:
            pred = None
        else:
            pred = m.predictive(self._idata, inputs, var, random_seed)
        if kind == "mean":
            values = np.full(len(ok), np.nan)
            if pred is not None:
                values[ok] = pred.mean(("chain", "draw")).to_numpy()
            return pd.Series(values, name="fitted")
        import xarray as xr

        post = self._idata["posterior"]
        shape = (post.sizes["chain"], post.sizes["draw"], len(ok))
        full = np.full(shape, np.nan)
        if pred is not None:
            full[:, :, ok] = pred.to_numpy()
        return xr.DataArray(
            full,
            dims=("chain", "draw", "obs"),
            coords={
                "chain": post["chain"].to_numpy(),
                "draw": post["draw"].to_numpy(),
                "obs": np.arange(len(ok)),
            },
            name=m.obs_name,
        )

    # ------------------------------------------------------------------ checks and plots
    def hyper_names(self) -> list[str]:
        """Variables of the slopes, intercept and hyperparameters (for plots)."""
        return self._param_vars(hyper_only=True)

    def ppc_coverage(self, levels: tuple[float, ...] = (0.5, 0.9)) -> pd.DataFrame:
        """Share of observed flows inside the predictive intervals, by region (``checks``)."""
        from migflows.estimation.bayes.checks import ppc_coverage

        return ppc_coverage(self, levels)

    def balances(self, *, level: float = 0.9, expected: bool = False) -> pd.DataFrame:
        """Posterior predictive arrivals, departures and net by region-year (``checks``)."""
        from migflows.estimation.bayes.checks import balances

        return balances(self, level=level, expected=expected)

    def counterfactual(self, changes: Changes, *, level: float = 0.9) -> BayesCounterfactual:
        """Posterior flows and balances after changing region attributes (:mod:`.counterfactual`).

        ``changes`` as for the PPML results, e.g. ``{"wage": {"turkistan": 1.10}}``.
        """
        from migflows.estimation.bayes.counterfactual import counterfactual

        return counterfactual(self, changes, level=level)

    def slope_differences(self, level: float = 0.95) -> pd.DataFrame:
        """Pooled-slope differences between groups with P(difference > 0) (``checks``)."""
        from migflows.estimation.bayes.checks import slope_differences

        return slope_differences(self, level)

    def prior_predictive(self, *, draws: int = 200, random_seed: int | None = None) -> Any:
        """Prior predictive flows next to the observed (:func:`...checks.prior_predictive`)."""
        from migflows.estimation.bayes.checks import prior_predictive

        return prior_predictive(self._m, draws=draws, random_seed=random_seed)

    def plot_trace(self, var_names: list[str] | None = None) -> Any:
        """Trace and marginal densities (``arviz_plots.plot_trace_dist``); the figure."""
        from migflows.estimation.bayes.checks import plot_trace

        return plot_trace(self, var_names)

    def plot_rank(self, var_names: list[str] | None = None) -> Any:
        """Rank plots of the chains (``arviz_plots.plot_rank``); the figure."""
        from migflows.estimation.bayes.checks import plot_rank

        return plot_rank(self, var_names)

    def plot_ppc(self, num_samples: int = 50, *, log1p: bool = True) -> Any:
        """Posterior predictive check of the flow distribution (``plot_ppc_dist``).

        Densities of ``num_samples`` posterior predictive replicates of the flows against the
        observed ones, by default of ``log1p(flow)``. Returns the matplotlib figure.
        """
        from migflows.estimation.bayes.checks import plot_ppc

        return plot_ppc(self, num_samples, log1p=log1p)

    # ------------------------------------------------------------------ display
    def __str__(self) -> str:
        return str(self.summary)

    def __repr__(self) -> str:
        post = self._idata["posterior"]
        return (
            f"<{type(self).__name__}: {self.family}, {len(self.params)} slopes, "
            f"nobs={self.nobs}, {post.sizes['chain']}×{post.sizes['draw']} draws>"
        )

    def _repr_html_(self) -> str:
        return self.summary._repr_html_() + (f"<p style='font-size:85%'>{html.escape(_NOTE)}</p>")


_NOTE = (
    "Posterior means with posterior sds; intervals are equal-tailed credible intervals. "
    "Slopes are on the original scale of the regressors (sampled on standardized ones)."
)
