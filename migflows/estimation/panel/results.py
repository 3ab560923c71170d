"""Results of :func:`migflows.panel`.

:class:`PanelResults` subclasses :class:`~migflows.estimation.core.results.RegressionResults` (same
vocabulary: ``params``, ``std_errors``, ``tstats``, ``pvalues``, ``cov``, ``conf_int``,
``to_frame``, ``summary``, ``nobs``) and adds the panel statistics of linearmodels (R-squared
within / between / overall, F statistic, entities and periods, random-effects ``theta``). Its
covariance is computed by linearmodels; :meth:`PanelResults.vcov` refits the (cheap) linear
model with another covariance rather than re-deriving it from sandwich pieces, so every
covariance is exactly the one linearmodels documents.

:func:`~migflows.estimation.panel.phtest.hausman` (in ``phtest.py``) compares them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from migflows.errors import InvalidOptionError, ModelSpecificationError
from migflows.estimation.core.bootstrap import BootstrapTest
from migflows.estimation.core.covariance import (
    CovarianceEstimate,
    CovarianceSpec,
    SmallSampleCorrection,
)
from migflows.estimation.core.readonly import ReadOnlyResults
from migflows.estimation.core.results import RegressionResults, response_residuals, solve_fixef
from migflows.estimation.core.seeds import RandomSeed
from migflows.estimation.panel.few_clusters import panel_bootstrap

__all__ = ["PanelResults", "TestStatistic"]


@dataclass(frozen=True)
class TestStatistic(ReadOnlyResults):
    """A test statistic with its distribution.

    Attributes
    ----------
    name : str
    statistic, pvalue : float
    df : int
        Numerator degrees of freedom (chi-squared or F).
    df_denom : int or None
        Denominator degrees of freedom of an F statistic.
    distribution : str
        ``"chi2"`` or ``"F"``.
    null : str
        The null hypothesis in words.
    """

    __test__ = False  # not a pytest test class

    name: str
    statistic: float
    pvalue: float
    df: int
    df_denom: int | None = None
    distribution: str = "chi2"
    null: str = ""

    def __str__(self) -> str:
        dist = f"F({self.df}, {self.df_denom})" if self.df_denom else f"chi2({self.df})"
        return f"{self.name}: {self.statistic:.4f} ~ {dist}, p-value {self.pvalue:.4g}"


@dataclass(frozen=True)
class Refit:
    """What :meth:`PanelResults.vcov` needs to refit the covariance through linearmodels."""

    fit: Callable[..., Any] = field(repr=False)
    design_for: Callable[[Any], Any] = field(repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)


class PanelResults(RegressionResults):
    """Results of a panel regression (see :func:`migflows.panel`).

    Built by :func:`migflows.panel`; not meant to be constructed by users. Attributes beyond
    the shared vocabulary are listed as properties.

    Examples
    --------
    >>> import pandas as pd
    >>> import migflows.estimation.panel.api as P
    >>> df = pd.DataFrame({"id": [1, 1, 1, 2, 2, 2, 3, 3, 3], "t": [1, 2, 3] * 3,
    ...                    "y": [1.0, 2, 2.5, 0.5, 1.5, 3, 2, 2, 4],
    ...                    "x": [0.1, 0.4, 0.2, 0.3, 0.9, 0.8, 0.5, 0.1, 0.7]})
    >>> res = P.panel("y ~ x | entity", df, entity="id", time="t", vcov="unadjusted")
    >>> res.estimator, res.n_entities, res.n_periods
    ('fe', 3, 3)
    """

    covariance_family = "panel"

    def __init__(
        self,
        lm_result: Any,
        *,
        estimator: str,
        cov_spec: CovarianceSpec,
        n_clusters: tuple[int, ...] = (),
        refit: Refit,
        design: Any,
        debiased: bool,
        formula: str,
        cov_scale: float = 1.0,
    ) -> None:
        params = lm_result.params.rename_axis("parameter")
        k = len(params)
        df_resid = int(lm_result.df_resid)
        cov = CovarianceEstimate(  # cov_scale: plm's "sss" factor (panel/covariance.py)
            cov=cov_scale * np.asarray(lm_result.cov, dtype=np.float64).reshape(k, k),
            kind=cov_spec.kind,
            clusters=cov_spec.clusters,
            n_clusters=n_clusters,
            df_k=int(lm_result.nobs) - df_resid,
            df_t=df_resid,
            factors=() if cov_scale == 1.0 else (cov_scale,),
            ssc=SmallSampleCorrection.none(),
            options=cov_spec.options,
        )
        object.__setattr__(self, "_frozen", False)
        self._lm = lm_result
        self._estimator = estimator
        self._refit = refit
        self._design = design
        self._debiased = debiased
        self._formula = formula
        self._cov_scale = float(cov_scale)
        super().__init__(
            params,
            cov,
            int(lm_result.nobs),
            use_t=debiased,
            model=f"Panel {estimator.upper()}",
            depvar=design.depvar,
        )

    # -- covariance ---------------------------------------------------------------------------
    def vcov(  # type: ignore[override]
        self, vcov: str | Mapping[str, Any], *, debiased: bool | None = None, **options: Any
    ) -> PanelResults:
        """Return the same model with another covariance (refitted through linearmodels).

        Parameters
        ----------
        vcov : str or dict
            As in :func:`migflows.panel`.
        debiased : bool, optional
            Default: as in the original fit.
        **options
            ``count_effects`` (fixed effects only), as in :func:`migflows.panel`.

        Returns
        -------
        PanelResults
            A new object; ``self`` is unchanged.

        Examples
        --------
        >>> import pandas as pd
        >>> import migflows.estimation.panel.api as P
        >>> df = pd.DataFrame({"id": [1, 1, 1, 2, 2, 2, 3, 3, 3], "t": [1, 2, 3] * 3,
        ...                    "y": [1.0, 2, 2.5, 0.5, 1.5, 3, 2, 2, 4],
        ...                    "x": [0.1, 0.4, 0.2, 0.3, 0.9, 0.8, 0.5, 0.1, 0.7]})
        >>> res = P.panel("y ~ x | entity", df, entity="id", time="t")
        >>> res.vcov({"cluster": "time"}).vcov_type
        'CRV1 (time)'
        """
        merged = dict(self._refit.options)
        merged.update(options)
        merged["debiased"] = self._debiased if debiased is None else debiased
        return self._refit.fit(vcov, **merged)

    # -- panel statistics ---------------------------------------------------------------------
    @property
    def estimator(self) -> str:
        """``"fe"``, ``"re"``, ``"fd"``, ``"between"`` or ``"pooled"``."""
        return self._estimator

    @property
    def formula(self) -> str:
        """The formula as given."""
        return self._formula

    @property
    def fixed_effects(self) -> tuple[str, ...]:
        """Absorbed effects as written after ``|`` in the formula (e.g. ``("entity", "time")``)."""
        if "|" not in self._formula:
            return ()
        tail = self._formula.split("|", 1)[1]
        return tuple(p.strip() for p in tail.split("+") if p.strip())

    @property
    def linearmodels(self) -> Any:
        """The underlying linearmodels results object (for anything not exposed here)."""
        return self._lm

    @property
    def rsquared(self) -> float:
        """R-squared of the estimated equation (within for FE, quasi-demeaned data for RE).

        First differences with an intercept: centred on the mean difference, as plm
        (linearmodels sees no constant in the time-position column and does not centre).
        """
        centred = self._fd_centred_tss()
        if centred is not None:
            return 1.0 - float(self._lm.resid_ss) / centred
        return float(self._lm.rsquared)

    def _fd_centred_tss(self) -> float | None:
        """Centred sum of squares of the differenced outcome (FD with intercept, OLS only)."""
        if (
            self._estimator != "fd"
            or "Intercept" not in self._params.index
            or self._design.weights is not None
        ):
            return None
        dy = np.asarray(self._lm.model.dependent.first_difference().values2d, float).ravel()
        return float(((dy - dy.mean()) ** 2).sum())

    @property
    def rsquared_within(self) -> float:
        """R-squared of the entity-demeaned data using these estimates."""
        return float(self._lm.rsquared_within)

    @property
    def rsquared_between(self) -> float:
        """R-squared of the entity means using these estimates."""
        return float(self._lm.rsquared_between)

    @property
    def rsquared_overall(self) -> float:
        """R-squared of the data in levels using these estimates."""
        return float(self._lm.rsquared_overall)

    @property
    def n_entities(self) -> int:
        """Entities in the estimation sample."""
        return int(self._design.dependent.index.get_level_values(0).nunique())

    @property
    def n_periods(self) -> int:
        """Distinct periods in the estimation sample."""
        return int(self._design.dependent.index.get_level_values(1).nunique())

    @property
    def entities(self) -> pd.Index:
        """Entity labels in the estimation sample."""
        return self._design.dependent.index.get_level_values(0).unique()

    @property
    def periods(self) -> pd.Index:
        """Time periods in the estimation sample."""
        return self._design.dependent.index.get_level_values(1).unique().sort_values()

    @property
    def balanced(self) -> bool:
        """Whether every entity is observed in every period of the estimation sample."""
        return self.nobs == self.n_entities * self.n_periods

    @property
    def entity_effects(self) -> bool:
        """Whether entity effects were absorbed."""
        return bool(self._design.entity_effects)

    @property
    def time_effects(self) -> bool:
        """Whether time effects were absorbed."""
        return bool(self._design.time_effects)

    @property
    def weights(self) -> pd.Series | None:
        """WLS weights on the estimation sample (None for OLS)."""
        w = self._design.weights
        return None if w is None else w.copy()

    @property
    def dropped(self) -> pd.DataFrame:
        """Rows dropped for missing values, with the variables that were missing."""
        return self._design.dropped.copy()

    @property
    def df_model(self) -> int:
        """Parameters estimated, including absorbed effects."""
        return int(self._lm.df_model)

    @cached_property
    def f_stat(self) -> TestStatistic:
        """F test that all slopes are zero (classical, from the residual sums of squares)."""
        centred = self._fd_centred_tss()
        if centred is not None:  # FD with intercept: the intercept is not a slope (as plm)
            ssr, df1, df2 = float(self._lm.resid_ss), len(self._params) - 1, int(self._lm.df_resid)
            stat = (centred - ssr) / df1 / (ssr / df2)
            pval = float(stats.f.sf(stat, df1, df2))
            return TestStatistic("F", stat, pval, df1, df2, "F", "all slopes are 0")
        f = self._lm.f_statistic
        return TestStatistic(
            "F", float(f.stat), float(f.pval), int(f.df), int(f.df_denom), "F", "all slopes are 0"
        )

    @cached_property
    def f_stat_robust(self) -> TestStatistic:
        """Wald test that all slopes are zero using this result's covariance."""
        if self._estimator == "fd" and "Intercept" in self._params.index:
            slopes = [str(n) for n in self._params.index if n != "Intercept"]
            w = self.wald_test(formula=", ".join(f"{n} = 0" for n in slopes))
            df_denom = w.df_denom if w.distribution == "F" else None
            return TestStatistic(
                "F (robust)", float(w.stat), float(w.pval), w.df, df_denom, "F",
                "all slopes are 0",
            )  # fmt: skip
        f = self._lm.f_statistic_robust
        stat, pval = float(f.stat), float(f.pval)
        df_denom = int(getattr(f, "df_denom", 0) or 0) or None
        if self._cov_scale != 1.0:  # the covariance was scaled (plm's "sss"): so is the Wald
            stat = stat / self._cov_scale
            pval = float(
                stats.chi2.sf(stat, int(f.df))
                if df_denom is None
                else stats.f.sf(stat, int(f.df), df_denom)
            )
        return TestStatistic("F (robust)", stat, pval, int(f.df), df_denom, "F", "all slopes are 0")

    @property
    def theta(self) -> pd.Series | None:
        """Random effects: the quasi-demeaning weight of each entity (None otherwise)."""
        theta = getattr(self._lm, "theta", None)
        return None if theta is None else theta.iloc[:, 0].rename("theta")

    @property
    def variance_decomposition(self) -> pd.Series | None:
        """Random effects: variance of the entity effect and of the idiosyncratic error."""
        vd = getattr(self._lm, "variance_decomposition", None)
        return None if vd is None else vd.copy()

    # -- fitted values, residuals, effects (the shared vocabulary) -----------------------------
    @cached_property
    def fitted(self) -> pd.DataFrame:
        """Fitted values in levels, one row per estimation-sample observation.

        A DataFrame (n rows, the layout of every results class's ``fitted``): the entity and
        time keys as columns, ``observed`` (the dependent variable) and ``fitted`` =
        ``X b`` plus the estimated effects (entity and/or time for FE, the predicted random
        effect for RE, the entity effect for between). First-difference and pooled models
        estimate no effects, so their ``fitted`` is ``X b``.
        """
        design = self._design
        xb = self._lm.fitted_values.iloc[:, 0]
        effects = self._lm.estimated_effects.iloc[:, 0].reindex(xb.index).fillna(0.0)
        out = xb.index.to_frame(index=False)
        out.columns = [design.entity, design.time]
        out["observed"] = design.dependent.reindex(xb.index).to_numpy(dtype=float)
        out["fitted"] = (xb + effects).to_numpy(dtype=float)
        return out

    @property
    def resid(self) -> pd.Series:
        """Response residuals ``observed - fitted`` (n,), aligned with the rows of ``fitted``.

        In levels for every estimator (for FE the idiosyncratic error); the residuals of the
        transformed equation linearmodels reports are ``res.linearmodels.resids``.
        """
        return response_residuals(self.fitted)

    @cached_property
    def effects(self) -> dict[str, pd.Series]:
        """Estimated effects by level: ``{"entity": Series, "time": Series}`` where estimated.

        Each Series is indexed by the entity (or period) labels and named after the effect.
        With both entity and time effects the time effects have mean zero over the periods
        (the constant goes to the entity effects). Random effects: the predicted entity
        effect; between: the entity-mean residual. Empty for first-difference and pooled
        models.
        """
        total = self._lm.estimated_effects.iloc[:, 0]
        if total.isna().all():
            return {}
        names: list[str] = []
        if self._estimator in ("re", "between") or self.entity_effects:
            names.append("entity")
        if self._estimator == "fe" and self.time_effects:
            names.append("time")
        if not names:
            return {}
        index = total.index
        codes = np.column_stack(
            [
                pd.factorize(index.get_level_values(0 if n == "entity" else 1), sort=True)[0]
                for n in names
            ]
        )
        parts = solve_fixef(total.fillna(0.0).to_numpy(dtype=float), codes)
        out = {}
        for j, name in enumerate(names):
            levels = index.get_level_values(0 if name == "entity" else 1).unique().sort_values()
            label = self._design.entity if name == "entity" else self._design.time
            out[name] = pd.Series(parts[j], index=pd.Index(levels, name=label), name=name)
        return out

    @property
    def resids(self) -> pd.Series:
        """Deprecated (linearmodels' name): residuals of the estimated equation.

        Differenced for FD, entity means for between. Use :attr:`resid` (residuals in
        levels) or ``res.linearmodels.resids``; this alias will be removed.
        """
        _deprecated("resids", "resid (levels) or .linearmodels.resids")
        return pd.Series(self._lm.resids).rename("resids")

    @property
    def idiosyncratic(self) -> pd.Series:
        """``y - X b`` minus the estimated effects, in levels on the estimation sample."""
        return self._lm.idiosyncratic.iloc[:, 0].rename("idiosyncratic")

    @property
    def fitted_values(self) -> pd.Series:
        """Deprecated (linearmodels' name): ``X b`` without the effects; use :attr:`fitted`."""
        _deprecated("fitted_values", "fitted (with the effects) or predict()")
        return self._lm.fitted_values.iloc[:, 0].rename("fitted")

    @property
    def estimated_effects(self) -> pd.Series:
        """Deprecated (linearmodels' name): effects per observation; use :attr:`effects`."""
        _deprecated("estimated_effects", "effects (by level)")
        return self._lm.estimated_effects.iloc[:, 0].rename("effects")

    def predict(self, data: Any = None, *, effects: bool = False) -> pd.Series:
        """Linear prediction ``X b``.

        Parameters
        ----------
        data : FlowPanel or DataFrame, optional
            New data with the model's variables (same layout as in the fit). Default: the
            estimation sample.
        effects : bool, default False
            Add the estimated entity/time effects (estimation sample only).

        Returns
        -------
        Series
            Indexed by (entity, time); rows of ``data`` with missing regressors are dropped
            with a warning, as in the fit.

        Examples
        --------
        >>> import pandas as pd
        >>> import migflows.estimation.panel.api as P
        >>> df = pd.DataFrame({"id": [1, 1, 2, 2], "t": [1, 2, 1, 2],
        ...                    "y": [1.0, 2.0, 0.5, 2.0], "x": [0.0, 1.0, 0.0, 1.5]})
        >>> res = P.panel("y ~ x", df, entity="id", time="t", estimator="pooled")
        >>> res.predict().round(3).tolist()
        [0.796, 1.722, 0.796, 2.185]
        """
        if data is None:
            out = self._lm.fitted_values.iloc[:, 0]
            if effects:
                out = out + self._lm.estimated_effects.iloc[:, 0]
            return out.rename("predicted")
        if effects:
            raise InvalidOptionError(
                "effects=True is available for the estimation sample only (data=None); "
                "the effects of new entities or periods are unknown."
            )
        design = self._refit.design_for(data)
        x = design.exog.reindex(columns=self._params.index)
        missing = [c for c, v in x.isna().all().items() if v]
        if missing:
            raise ModelSpecificationError(
                f"new data do not produce the regressors {missing}; pass data with the same "
                "variables (and i() levels) as in the fit."
            )
        return (x @ self._params).rename("predicted")

    def wild_bootstrap(
        self,
        restriction: str,
        *,
        cluster: str | None = None,
        weights: str = "rademacher",
        reps: int = 9999,
        level: float = 0.95,
        random_seed: RandomSeed = None,
    ) -> BootstrapTest:
        """Restricted wild cluster bootstrap (WCR) test and interval for one restriction.

        Run on the transformed regression (within, quasi-demeaned, differenced or pooled;
        :mod:`migflows.estimation.panel.few_clusters`); the arguments are those of
        ``GravityResults.wild_bootstrap``. ``cluster`` defaults to the clusters of the
        current covariance; with two, the weights are drawn on the first.

        Examples
        --------
        >>> import pandas as pd
        >>> import migflows.estimation.panel.api as P
        >>> df = pd.DataFrame({"id": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4], "t": [1, 2, 3] * 4,
        ...                    "y": [1.0, 2, 2.5, 0.5, 1.5, 3, 2, 2, 4, 1, 3, 2],
        ...                    "x": [0.1, 0.4, 0.2, 0.3, 0.9, 0.8, 0.5, 0.1, 0.7, 0.2, 0.6, 0.4]})
        >>> res = P.panel("y ~ x | entity", df, entity="id", time="t", vcov={"cluster": "id"})
        >>> boot = res.wild_bootstrap("x = 0", reps=999)
        >>> boot.reps, bool(abs(boot.stat - res.tstats["x"]) < 1e-9)
        (16, True)
        """
        return panel_bootstrap(
            self,
            self._design,
            restriction,
            cluster=cluster,
            weights=weights,
            reps=reps,
            level=level,
            random_seed=random_seed,
        )

    def _fit_stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Estimator": self._estimator,
            "Entities": self.n_entities,
            "Periods": self.n_periods,
        }
        effects = [
            n for n, on in (("entity", self.entity_effects), ("time", self.time_effects)) if on
        ]
        if effects:
            out["Effects"] = " + ".join(effects)
        if self._design.weights is not None:
            out["Weights"] = self._design.weights.name
        out["R-squared"] = round(self.rsquared, 6)
        out["R-squared (within)"] = round(self.rsquared_within, 6)
        out["R-squared (between)"] = round(self.rsquared_between, 6)
        out["R-squared (overall)"] = round(self.rsquared_overall, 6)
        out["F statistic"] = f"{self.f_stat.statistic:.4g} (p = {self.f_stat.pvalue:.4g})"
        if len(self._design.dropped):
            out["Rows dropped (missing)"] = len(self._design.dropped)
        return out


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"PanelResults.{old} is deprecated and will be removed in the next release; use .{new}.",
        FutureWarning,
        stacklevel=3,
    )
