"""Results of gravity models: :class:`GravityResults` and counterfactual scenarios."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal, cast, overload

import numpy as np
import pandas as pd

from migflows.data.indices import BalancesFrame, balances
from migflows.data.panel import FlowPanel
from migflows.errors import (
    InvalidOptionError,
    LeanResultsError,
    ModelSpecificationError,
    UnknownVariableError,
    format_values,
)
from migflows.estimation.core.counterfactual import Changes, changed_panel
from migflows.estimation.core.readonly import ReadOnlyResults
from migflows.estimation.core.results import RegressionResults, SandwichPieces, solve_fixef
from migflows.estimation.gravity.inference import GravityInferenceMixin
from migflows.estimation.gravity.sample import subset_design
from migflows.models.design import Design, evaluate_rhs


@dataclass(frozen=True)
class GravityFit:
    """What every gravity estimator hands to :class:`GravityResults` besides the covariance."""

    estimator: str
    design: Design
    mu: np.ndarray
    eta: np.ndarray
    fe_part: np.ndarray
    dropped: pd.DataFrame
    collinear: tuple[str, ...]
    stats: Mapping[str, Any]
    data: FlowPanel | pd.DataFrame | None
    periods: Mapping[str, tuple[int, int]] | None = None
    link: Literal["log", "identity"] = "log"
    lean: bool = False

    def trimmed(self) -> GravityFit:
        """A lean copy: no array of the sample's size (design rows, means, data) is kept."""
        empty = np.zeros(0, dtype=np.int64)
        return replace(
            self,
            design=subset_design(self.design, empty),
            mu=np.zeros(0),
            eta=np.zeros(0),
            fe_part=np.zeros(0),
            data=None,
            lean=True,
        )


class GravityResults(GravityInferenceMixin, RegressionResults):
    """Results of :func:`migflows.gravity`.

    Besides the shared vocabulary (``params``, ``std_errors``, ``tstats``, ``pvalues``,
    ``cov``, ``conf_int``, ``summary``, ``to_frame``, ``nobs``, ``vcov(...)``) it offers fit
    statistics, the dropped observations, fitted values, fixed-effect estimates,
    :meth:`predict`, :meth:`elasticities` and :meth:`counterfactual`.

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2021])
    >>> res = migflows.gravity("flow ~ log_dist | orig + dest", kz)
    >>> round(float(res.params["log_dist"]), 3)
    -1.168
    """

    def __init__(self, *args: Any, fit: GravityFit, **kwargs: Any) -> None:
        self._fit = fit
        super().__init__(*args, **kwargs)

    @classmethod
    def lean_from_pieces(
        cls,
        names: Any,
        coef: np.ndarray,
        pieces: SandwichPieces,
        vcov: Any = "hetero",
        *,
        fit: GravityFit,
        **kwargs: Any,
    ) -> GravityResults:
        """Results that keep only k x k pieces (``lean=True``; an out-of-core engine's form).

        The covariance asked for is computed here from the full pieces; the result then keeps
        the Hessian only — no scores, fitted values, design rows or data — so ``fitted``,
        ``resid``, ``effects``, ``predict``, ``elasticities``, ``counterfactual`` and
        ``vcov(...)`` raise :class:`~migflows.errors.LeanResultsError` naming the option.
        """
        lean_fit = fit.trimmed()
        full = cls.from_pieces(names, coef, pieces, vcov, fit=lean_fit, **kwargs)
        kept = SandwichPieces(
            hessian=pieces.hessian,
            scores=np.zeros((0, pieces.hessian.shape[0])),
            nobs=pieces.nobs,
            iid_scale=pieces.iid_scale,
        )
        kwargs.pop("ssc", None)
        return cls(full.params, full._cov, pieces.nobs, pieces=kept, fit=lean_fit, **kwargs)

    @property
    def lean(self) -> bool:
        """Whether the result keeps no sample-sized arrays (fitted with ``lean=True``)."""
        return self._fit.lean

    def _require_full(self, what: str) -> None:
        if self._fit.lean:
            raise LeanResultsError(
                f"{what} needs the estimation sample, which this result does not keep: it was "
                f"fitted with lean=True (only k x k covariance pieces kept). Refit without "
                f"lean=True for {what}."
            )

    def vcov(self, *args: Any, **kwargs: Any) -> GravityResults:
        """A copy with another covariance (see the base class); not on lean results."""
        self._require_full("vcov(...)")
        return cast(GravityResults, super().vcov(*args, **kwargs))

    # ------------------------------------------------------------------ facts of the fit
    @property
    def estimator(self) -> str:
        """Estimator name: ``"ppml"``, ``"ols"``, ``"negbin"`` or ``"gpml"``."""
        return self._fit.estimator

    @property
    def formula(self) -> str:
        """The formula as parsed."""
        return str(self._fit.design.formula)

    @property
    def fixed_effects(self) -> tuple[str, ...]:
        """Absorbed fixed effects as written in the formula (``"orig^year"``)."""
        return self._fit.design.formula.fixed_effect_names

    @property
    def dropped(self) -> pd.DataFrame:
        """Observations left out, with keys and ``reason`` (missing value, separated …)."""
        return self._fit.dropped.copy()

    @property
    def collinear(self) -> tuple[str, ...]:
        """Regressors dropped as collinear."""
        return self._fit.collinear

    @property
    def stats(self) -> dict[str, Any]:
        """Fit statistics (log likelihood, deviance, pseudo R², iterations …)."""
        return dict(self._fit.stats)

    def _fit_stats(self) -> dict[str, Any]:
        labels = {
            "pseudo_rsquared": "Pseudo R² (McFadden)",
            "rsquared": "R²",
            "rsquared_within": "Within R²",
            "corr_rsquared": "Squared corr(y, fitted)",
            "loglik": "Log likelihood",
            "deviance": "Deviance",
            "alpha": "Dispersion α (NB2)",
            "theta": "θ = 1/α (NB2)",
            "dispersion": "Dispersion (Pearson)",
            "aic": "AIC",
            "iterations": "Iterations",
        }
        out: dict[str, Any] = {}
        for key, label in labels.items():
            value = self._fit.stats.get(key)
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                out[label] = round(value, 6) if isinstance(value, float) else value
        fes = self._fit.design.formula.fixed_effect_names
        out["Fixed effects"] = ", ".join(fes) if fes else "none"
        if len(self._fit.dropped):
            out["Dropped observations"] = len(self._fit.dropped)
        return out

    @cached_property
    def fitted(self) -> pd.DataFrame:
        """Fitted values on the response scale (flows), one row per estimation-sample row.

        A DataFrame (n rows): the keys (``origin``, ``destination``, ``year`` on a FlowPanel),
        ``observed`` and ``fitted`` (the expected flow, fixed effects included; for log-OLS
        the fitted log flow). The same layout as every results class's ``fitted``.
        """
        self._require_full("fitted")
        out = self._fit.design.keys.copy()
        out["observed"] = self._fit.design.y.to_numpy()
        out["fitted"] = self._fit.mu
        return out

    @property
    def fixef(self) -> dict[str, pd.Series]:
        """Deprecated alias of :attr:`effects` (fixest's name); will be removed."""
        warnings.warn(
            "GravityResults.fixef is deprecated and will be removed in the next release; "
            "use .effects (the same dict of Series).",
            FutureWarning,
            stacklevel=2,
        )
        return self.effects

    @cached_property
    def effects(self) -> dict[str, pd.Series]:
        """Fixed-effect estimates by level: ``{effect: Series}``, one per fixed effect.

        Keys are the fixed effects as written in the formula (``"orig^year"``); each Series
        is indexed by the effect's levels (``"astana_city|2021"`` for interactions) and named
        after it. Normalised so that every fixed effect but the first has mean zero over the
        sample's levels (fixed effects are identified up to such constants; predictions are
        not). Empty without fixed effects.
        """
        self._require_full("effects")
        design = self._fit.design
        if design.fe.shape[1] == 0:
            return {}
        # levels left without rows (e.g. all of them separated) have no estimate: compact
        # the codes so that every remaining level has one
        codes = np.column_stack(
            [np.unique(col, return_inverse=True)[1] for col in design.fe.to_numpy().T]
        )
        part = self._fit.fe_part
        effects = solve_fixef(part, codes)
        out = {}
        for j, name in enumerate(design.fe.columns):
            labels = design.fe_labels[name]
            first = pd.Series(labels.to_numpy()).groupby(codes[:, j]).first()
            out[name] = pd.Series(effects[j], index=first.to_numpy(), name=name)
        return out

    # ------------------------------------------------------------------ prediction
    @overload
    def predict(
        self,
        data: FlowPanel | pd.DataFrame | None = ...,
        *,
        kind: Literal["response", "link"] = ...,
        se: Literal[False] = ...,
        level: float = ...,
    ) -> pd.Series: ...

    @overload
    def predict(
        self,
        data: FlowPanel | pd.DataFrame | None = ...,
        *,
        kind: Literal["response", "link"] = ...,
        se: Literal[True],
        level: float = ...,
    ) -> pd.DataFrame: ...

    def predict(
        self,
        data: FlowPanel | pd.DataFrame | None = None,
        *,
        kind: Literal["response", "link"] = "response",
        se: bool = False,
        level: float = 0.95,
    ) -> pd.Series | pd.DataFrame:
        """Predicted flows (or the linear predictor) in sample or for new data.

        New data need every regressor and fixed-effect level of the model; rows whose
        fixed-effect level was not estimated get NaN. With ``se=True`` (PPML and log-OLS): a
        frame with ``fitted``, ``std_error`` (delta method on the response scale, fixed
        effects included, under the current covariance) and the ``level`` interval
        ``lower``/``upper`` — for the estimation sample with the flows' keys
        (:mod:`migflows.estimation.gravity.uncertainty`), for new data by row (every level
        must have been estimated, else :class:`~migflows.errors.UnseenLevelError`; iid,
        hetero or CRV1 covariances; :mod:`migflows.estimation.gravity.prediction_se`).

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan(years=[2021])
        >>> res = migflows.gravity("flow ~ log_dist | orig + dest", kz)
        >>> bool((res.predict() > 0).all())
        True
        """
        if kind not in ("response", "link"):
            raise InvalidOptionError(f"kind={kind!r} is not allowed; use 'response' or 'link'.")
        if not isinstance(se, bool | np.bool_):
            raise InvalidOptionError(f"se={se!r} must be True or False.")
        self._require_full("predict()")
        if se:
            if kind != "response":
                raise InvalidOptionError(
                    f"se=True gives standard errors of the fitted flows (kind='response'), "
                    f"not with kind={kind!r}: drop kind= or se=True."
                )
            return self._predict_se(data, level)
        design = self._fit.design
        if data is None:
            eta = self._fit.eta
        else:
            X, fe_labels, offset = evaluate_rhs(
                design.formula, data, periods=self._fit.periods, offset=design.offset_name
            )
            missing = [c for c in self.params.index if c not in X.columns]
            if missing:
                raise UnknownVariableError(
                    f"The new data lack the regressor column(s) {format_values(missing)}."
                )
            eta = X[self.params.index].to_numpy() @ self.params.to_numpy()
            for name, effects in self.effects.items():
                eta = eta + fe_labels[name].map(effects).to_numpy(dtype=float)
            if offset is not None:
                eta = eta + offset.to_numpy()
        identity = self._fit.link == "identity" or kind == "link"
        values = eta if identity else np.exp(eta)
        return pd.Series(values, name="fitted" if kind == "response" else "eta")

    def elasticities(self) -> pd.DataFrame:
        """Elasticities and semi-elasticities of the expected flow.

        With a log link, the coefficient of a regressor entered in logs (``log_*`` or
        ``log(x)``) is an elasticity; of a regressor in levels, a semi-elasticity (percent
        change per unit). ``percent_effect`` is the exact percent change of the expected
        flow for the change named in ``change``: a 10% rise of ``x`` for a logged regressor,
        ``100 (1.1^b - 1)`` (a 1% rise would read as the elasticity itself), and one unit for
        a regressor in levels, ``100 (exp(b) - 1)``. ``elasticity_at_mean`` is ``b`` for
        logged regressors and ``b * mean(x)`` for levels (0 for a regressor whose mean is 0,
        such as a destination-origin difference over all pairs). Standard errors (delta
        method) and intervals under the current covariance: ``std_error``, ``lower``,
        ``upper`` of the coefficient, ``percent_effect_se`` and its interval
        ``percent_effect_lower``/``_upper``, ``elasticity_at_mean_se``. No entry is NaN
        unless the coefficient or its standard error is.

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan(years=[2021])
        >>> res = migflows.gravity("flow ~ log_dist | orig + dest", kz)
        >>> el = res.elasticities().loc["log_dist"]
        >>> el["kind"], el["change"], bool(el["percent_effect"] < 0)
        ('elasticity', '+10%', True)
        """
        self._require_full("elasticities()")
        X = self._fit.design.X
        ci = self.conf_int()
        lows, highs, ses = ci["lower"].to_dict(), ci["upper"].to_dict(), self.std_errors.to_dict()
        rows = []
        for name, b in self.params.items():
            logged = str(name).startswith(("log_", "log(")) or ":log_" in str(name)
            x = X.get(name)
            mean = float(x.mean()) if x is not None else np.nan
            if x is not None and abs(mean) <= 1e-12 * max(float(x.abs().max()), 1.0):
                mean = 0.0  # a difference over all pairs: zero up to rounding
            se, lo, hi = float(ses[name]), float(lows[name]), float(highs[name])
            # exact percent change of E[flow]: x up 10% (logged) or up one unit (levels)
            base = 1.1 if logged else np.e
            rows.append(
                {
                    "parameter": name,
                    "coefficient": b,
                    "kind": "elasticity" if logged else "semi-elasticity",
                    "change": "+10%" if logged else "+1",
                    "percent_effect": 100 * np.expm1(b * np.log(base)),
                    "elasticity_at_mean": b if logged else b * mean,
                    # uncertainty under the current covariance: delta method for the SEs,
                    # the coefficient's interval mapped through the (monotone) transforms
                    "std_error": se,
                    "lower": lo,
                    "upper": hi,
                    "percent_effect_se": 100 * np.log(base) * base**b * se,
                    "percent_effect_lower": 100 * np.expm1(lo * np.log(base)),
                    "percent_effect_upper": 100 * np.expm1(hi * np.log(base)),
                    "elasticity_at_mean_se": se if logged else se * abs(mean),
                }
            )
        return pd.DataFrame(rows).set_index("parameter")

    def _counterfactual_shift(self, changes: Changes) -> np.ndarray:
        """Change of every regressor of every flow under ``changes`` (n, k)."""
        self._require_full("counterfactual()")
        # the validation and the change are shared with the Bayesian results
        changed = changed_panel(self._fit.data, changes)
        regions, new = cast(FlowPanel, self._fit.data).regions, changed.regions
        if regions is None or new is None:  # changed_panel has refused such a panel already
            raise UnknownVariableError("The panel has no region attributes to change.")
        design = self._fit.design
        X_new, _, _ = evaluate_rhs(design.formula, changed, periods=self._fit.periods)
        X_new = X_new.iloc[design.rows].reset_index(drop=True)[self.params.index]
        X_old = design.X[self.params.index]
        shift = X_new.to_numpy(dtype=float) - X_old.to_numpy(dtype=float)
        changed_attr = ~np.isclose(new.to_numpy(float), regions.to_numpy(float), equal_nan=True)
        if changed_attr.any() and np.allclose(np.nan_to_num(shift), 0.0):
            raise ModelSpecificationError(
                f"No regressor of the model depends on {format_values(list(changes))}: the "
                f"counterfactual would show no change. Include a covariate built from it "
                f"(e.g. log_wage_ratio for wage) in the formula."
            )
        return shift

    def counterfactual(self, changes: Changes) -> Counterfactual:
        """Predicted flows and balances after changing region attributes (partial equilibrium).

        Parameters
        ----------
        changes : mapping
            Attribute → region → factor (all years) or attribute → region → {year: factor},
            e.g. ``{"wage": {"turkistan": 1.10}}`` raises Turkistan's wage by 10 %. Every
            covariate built from the attribute (``log_wage_ratio``, ``wage_gap``, lags …)
            is recomputed.

        Returns
        -------
        Counterfactual
            ``flows`` (baseline and counterfactual per pair-year) and ``balances``
            (``arrivals``, ``departures`` and ``net`` by region and year, baseline,
            counterfactual and change; formerly ``in_*``/``out_*``, still accepted with a
            FutureWarning for one release).

        Notes
        -----
        Partial equilibrium: fixed effects — including origin-year and destination-year
        multilateral-resistance terms — are held at their estimates, so a change whose
        effect the fixed effects would absorb is not propagated through them. The model
        must include the changed attribute through a regressor that varies by pair.

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan(years=[2020, 2021])
        >>> res = migflows.gravity("flow ~ log_wage_ratio + log_dist | orig + dest + year", kz)
        >>> cf = res.counterfactual({"wage": {"turkistan": 1.10}})
        >>> b = float(res.params["log_wage_ratio"])
        >>> change = cf.flows.query("destination == 'turkistan'")
        >>> bool(np.allclose(change["counterfactual"], change["baseline"] * 1.10 ** b))
        True
        """
        shift = self._counterfactual_shift(changes)
        delta = shift @ self.params.to_numpy()
        if self._fit.link == "identity":
            raise ModelSpecificationError(
                "counterfactual() needs a log-link model (PPML, negative binomial, gamma PML); "
                "for log-OLS use PPML, whose fitted values are flows."
            )
        base = self._fit.mu
        # rows where a changed covariate is undefined (e.g. log of a missing value) keep
        # the baseline; they are the rows the fit dropped anyway
        cf = base * np.exp(np.nan_to_num(delta))
        flows = self._fit.design.keys.copy()
        flows["baseline"] = base
        flows["counterfactual"] = cf
        flows["change"] = cf - base
        return Counterfactual(flows=flows, changes=dict(changes))


@dataclass(frozen=True)
class Counterfactual(ReadOnlyResults):
    """Counterfactual flows and the implied regional balances.

    Attributes
    ----------
    flows : DataFrame
        ``origin, destination, year, baseline, counterfactual, change``.
    changes : dict
        The attribute changes applied.
    """

    flows: pd.DataFrame
    changes: dict[str, Any]

    @cached_property
    def balances(self) -> pd.DataFrame:
        """Arrivals, departures and net migration by region and year: baseline, counterfactual.

        Columns ``arrivals_baseline``, ``departures_baseline``, ``net_baseline``, the same
        with ``_counterfactual`` and ``_change`` (counterfactual - baseline), computed by
        :func:`migflows.data.indices.balances` like every balance in migflows. The columns
        were called ``in_*``/``out_*`` before; ``balances["in_change"]`` still works for one
        release, with a FutureWarning.
        """
        columns = ("arrivals", "departures", "net")
        parts = {
            label: balances(self.flows, value=label)[list(columns)]
            for label in ("baseline", "counterfactual")
        }
        out = pd.concat(parts, axis=1)
        out.columns = [f"{col[1]}_{col[0]}" for col in out.columns]
        for b in columns:
            out[f"{b}_change"] = out[f"{b}_counterfactual"] - out[f"{b}_baseline"]
        return BalancesFrame(out.sort_index())

    def _repr_html_(self) -> str:
        return "<b>Counterfactual balances</b>" + self.balances.to_html(
            float_format="{:,.1f}".format
        )
