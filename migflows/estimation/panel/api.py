"""Linear panel regressions of migration rates: ``migflows.panel``.

:func:`panel` fits fixed-effects (within), random-effects, first-difference, between and
pooled OLS/WLS models with linearmodels (``PanelOLS``, ``RandomEffects``,
``FirstDifferenceOLS``, ``BetweenOLS``, ``PooledOLS``) from a fixest-style formula on a
FlowPanel (region-year or pair-year rates) or a long DataFrame, and returns a
:class:`~migflows.estimation.panel.results.PanelResults`. :func:`hausman` compares FE and RE.

Covariances and their small-sample conventions (checked against R ``plm`` 2.6 in
``tests/test_panel_regression.py``):

=====================================  ================================================
``panel(..., vcov=...)``               R ``plm``
=====================================  ================================================
``"unadjusted"`` (default debiased)    ``vcov(model)``: ``SSR / (n - N - K)`` for FE
``{"cluster": "entity"}``,             ``vcovHC(method="arellano", type="HC1")`` (FE, RE,
``debiased=True``                      pooled: ``n / (n - K)``, ``K`` = slopes only)
``{"cluster": "entity"}``,             ``vcovHC(method="arellano", type="HC0")``
``debiased=False``
``"robust"``, ``debiased=False``,      ``vcovHC(method="white1", type="HC0")``
``count_effects=False``
``{"driscoll_kraay": L}``,             ``vcovSCC(type="HC0", maxlag=L)`` (Bartlett
``debiased=False, count_effects=False``  weights ``1 - j / (L + 1)``)
``"arellano_sss"``,                    ``vcovHC(type="sss")``: Stata's
``{"arellano_sss": "time"}``           ``G / (G - 1) * (n - 1) / (n - K)`` (also ``"fd"``)
``"white1_sss"``, ``{"vcovSCC_sss": L}``  ``vcovHC(method="white1", type="sss")``,
                                       ``vcovSCC(type="sss", maxlag=L)``
=====================================  ================================================

``debiased=True`` (the default, as linearmodels' ``PanelOLS``) multiplies robust covariances
by ``n / (n - K)`` and uses t(n - K) for p-values; with fixed effects, linearmodels also counts
the absorbed effects in ``K`` unless the effect is nested in the clusters (entity effects with
entity clusters): ``count_effects=False`` turns that off (plm's HC1 never counts them),
``True`` forces it (Stata's ``areg``). Driscoll–Kraay's default bandwidth is linearmodels'
``floor(4 (T / 100)^(2/9))``; plm's ``vcovSCC`` uses ``floor(T^(1/4))``.

Unbalanced panels are fine: linearmodels demeans each entity by its own mean, removes two-way
effects exactly on unbalanced data, computes an entity-specific random-effects ``theta`` from
each entity's number of periods (Swamy–Arora variance components with linearmodels'
``small_sample=True``, which equals ``plm``'s ``"swar"`` also on unbalanced data), and
regresses the unweighted entity means for the between estimator. First differences are taken
between adjacent periods of the panel's time index: a period missing for one entity drops
both differences that involve it (on Grunfeld without every 7th row, 171 rows give 135
differences, not 161), while periods absent from the whole panel are skipped (the
Kazakhstan flow years 2015 and 2020 are adjacent).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal, cast

import pandas as pd
from linearmodels.panel import (
    BetweenOLS,
    FirstDifferenceOLS,
    PanelOLS,
    PooledOLS,
    RandomEffects,
)

from migflows.data.panel import FlowPanel
from migflows.errors import (
    EstimationError,
    InvalidOptionError,
    MigflowsWarning,
    ModelSpecificationError,
    format_values,
)
from migflows.estimation.core.covariance import CovarianceSpec, parse_covariance
from migflows.estimation.panel.covariance import SSS, linearmodels_covariance, plm_sss_factor
from migflows.estimation.panel.design import PanelDesign, build_panel_design
from migflows.estimation.panel.iv import fit_iv
from migflows.estimation.panel.phtest import HausmanWarning, hausman
from migflows.estimation.panel.results import PanelResults, Refit, TestStatistic
from migflows.models.formula import parse_formula

__all__ = [
    "ESTIMATORS",
    "HausmanWarning",
    "NickellBiasWarning",
    "PanelResults",
    "TestStatistic",
    "hausman",
    "panel",
]

Estimator = Literal["fe", "re", "fd", "between", "pooled"]
ESTIMATORS: tuple[str, ...] = ("fe", "re", "fd", "between", "pooled")
NICKELL_T = 30  # warn below this many periods per entity


class NickellBiasWarning(MigflowsWarning):
    """A lagged dependent variable meets entity effects in a short panel (Nickell bias)."""


def _model(design: PanelDesign, estimator: str) -> Any:
    y, x, w = design.dependent, design.exog, design.weights
    if estimator == "fe":
        return PanelOLS(
            y, x, weights=w, entity_effects=design.entity_effects, time_effects=design.time_effects
        )
    cls = {
        "re": RandomEffects,
        "fd": FirstDifferenceOLS,
        "between": BetweenOLS,
        "pooled": PooledOLS,
    }
    return cls[estimator](y, x, weights=w)


def _fit(
    model: Any,
    design: PanelDesign,
    estimator: str,
    vcov: str | Mapping[str, Any] | CovarianceSpec,
    *,
    debiased: bool,
    count_effects: bool | None,
    formula: str,
    design_for: Any,
) -> PanelResults:
    cov = linearmodels_covariance(parse_covariance(vcov, family="panel"), design)
    if estimator == "fd" and cov.fit_kwargs.get("cluster_time"):
        raise InvalidOptionError(
            "estimator='fd' clusters only by entity or by a variable constant within entities "
            "(linearmodels' FirstDifferenceOLS); use 'robust' or {'driscoll_kraay': ...} for "
            "correlation across entities within a period."
        )
    kwargs: dict[str, Any] = {"debiased": bool(debiased), **cov.fit_kwargs}
    if count_effects is not None:
        if estimator != "fe":
            raise InvalidOptionError(
                f"count_effects applies to estimator='fe' only (got estimator={estimator!r})."
            )
        kwargs.update(auto_df=False, count_effects=bool(count_effects))
    if estimator == "fe" and count_effects is None and cov.spec.option("small_sample") == SSS:
        kwargs.update(auto_df=False, count_effects=False)  # plm's "sss" counts no effects
    if estimator == "re":
        kwargs["small_sample"] = True  # Swamy-Arora as plm "swar" (also unbalanced)
    if (
        "bandwidth" in kwargs
        and kwargs["bandwidth"] >= design.dependent.index.get_level_values(1).nunique()
    ):
        raise InvalidOptionError(
            f"Driscoll-Kraay bandwidth {kwargs['bandwidth']:g} must be below the number of "
            f"periods ({design.dependent.index.get_level_values(1).nunique()})."
        )
    try:
        lm = model.fit(**kwargs)
    except ValueError as err:  # linearmodels reports option and sample problems as ValueError
        if "degrees of freedom" in str(err):
            raise EstimationError(
                f"Too few observations: {err} Use more data or fewer regressors/effects."
            ) from err
        raise InvalidOptionError(f"linearmodels could not fit with vcov={vcov!r}: {err}") from err

    scale = 1.0
    if cov.spec.option("small_sample") == SSS:  # plm's vcovHC(type="sss") on top of HC0
        index = lm.resids.index  # the observations fitted (differences for "fd")
        role = cov.spec.clusters[0] if cov.spec.clusters else "time"
        groups = (
            int(index.get_level_values(0 if role == "entity" else 1).nunique())
            if role in ("entity", "time")
            else cov.n_clusters[0]
        )
        scale = plm_sss_factor(cov.spec, nobs=int(lm.nobs), k=len(lm.params), groups=groups)

    def refit(new_vcov: str | Mapping[str, Any] | CovarianceSpec, **opts: Any) -> PanelResults:
        return _fit(
            model,
            design,
            estimator,
            new_vcov,
            debiased=opts.get("debiased", debiased),
            count_effects=opts.get("count_effects", count_effects),
            formula=formula,
            design_for=design_for,
        )

    return PanelResults(
        lm,
        estimator=estimator,
        cov_spec=cov.spec,
        n_clusters=cov.n_clusters,
        refit=Refit(refit, design_for, {"count_effects": count_effects}),
        design=design,
        debiased=bool(debiased) if scale != 1.0 else bool(kwargs["debiased"]),
        formula=formula,
        cov_scale=scale,
    )


def _warn_dynamic(design: PanelDesign, estimator: str) -> None:
    ldv = design.lagged_dependent
    if not ldv:
        return
    per_entity = design.dependent.groupby(level=0).size()
    t_bar = float(per_entity.mean())
    if estimator == "fe" and design.entity_effects and t_bar < NICKELL_T:
        warnings.warn(
            f"{format_values(ldv)} is a lag of the dependent variable and the model has entity "
            f"effects: the within estimator is biased of order 1/T (Nickell 1981), and the bias "
            f"spills over to the other coefficients. Here T = {t_bar:.3g} periods per entity on "
            f"average (1/T = {1 / t_bar:.2g}). Consider a GMM estimator (Arellano-Bond) or a "
            f"longer panel; the bias is small only for T well above {NICKELL_T}.",
            NickellBiasWarning,
            stacklevel=3,
        )
    elif estimator in ("fd", "re"):
        why = (
            "its first difference is correlated with the differenced error"
            if estimator == "fd"
            else "it is correlated with the random entity effect"
        )
        warnings.warn(
            f"{format_values(ldv)} is a lag of the dependent variable; with estimator="
            f"{estimator!r} {why}, so the estimates are inconsistent for fixed T "
            f"(T = {t_bar:.3g} here). Use an instrumental-variable / GMM estimator.",
            NickellBiasWarning,
            stacklevel=3,
        )


def panel(
    formula: str,
    data: FlowPanel | pd.DataFrame,
    estimator: Estimator = "fe",
    *,
    entity: str | None = None,
    time: str | None = None,
    level: Literal["region", "pair"] = "region",
    weights: str | None = None,
    vcov: str | Mapping[str, Any] | CovarianceSpec = "robust",
    debiased: bool = True,
    count_effects: bool | None = None,
    iv: str = "2sls",
    periods: Mapping[str, tuple[int, int]] | None = None,
    window: int | None = None,
    uncertainty_of: tuple[str, ...] | None = None,
) -> PanelResults:
    """Fit a linear panel regression (FE, RE, FD, between or pooled; OLS or WLS).

    Parameters
    ----------
    formula : str
        fixest style: ``"net_rate ~ log_rel_wage + unemployment | entity + time"``. After
        ``|``: ``entity`` (one-way), ``time`` or ``entity + time`` (two-way), or the names of
        the index levels (``region``, ``pair``, ``year``); only with ``estimator="fe"``,
        which absorbs entity effects when nothing is given (as ``plm``'s within model).
        Terms: columns, ``log(x)``, ``lag(x, k)`` (also of the dependent variable),
        ``diff(x, k)``, ``i(period, x)`` period-specific slopes (with ``periods=``) and
        ``i(factor)`` dummies (first level dropped when the model has an intercept or effects).
    data : FlowPanel or DataFrame
        A FlowPanel (see ``level``), or a long DataFrame with an (entity, time) MultiIndex or
        the columns named by ``entity=`` and ``time=``. Never modified.
    estimator : {"fe", "re", "fd", "between", "pooled"}, default "fe"
        Within (``PanelOLS``), random effects (``RandomEffects``, Swamy-Arora), first
        differences (``FirstDifferenceOLS``), between (``BetweenOLS``) or pooled OLS
        (``PooledOLS``). RE, between, pooled and FD get an ``Intercept`` unless the formula
        says ``0 +``; for FD it is the intercept of the differenced equation (a linear trend
        in levels), as in plm's ``model="fd"``.
    entity, time : str, optional
        Unit and period columns of a DataFrame without an (entity, time) index.
    level : {"region", "pair"}, default "region"
        FlowPanel only: region-year rates (:func:`~migflows.data.rates.region_rates`, entity
        = region) or pair-year rates (:func:`~migflows.data.rates.pair_rates`, entity =
        ``"origin->destination"``; ``origin`` / ``destination`` are available for clustering).
    weights : str, optional
        Column of strictly positive WLS weights (e.g. ``"population"``, ``"pop_o"``).
    vcov : str or dict, default "robust"
        ``"unadjusted"``, ``"robust"`` (heteroskedasticity-robust), ``{"cluster": "entity"}``
        (or ``"time"``, ``"entity+time"``, any column or two columns such as
        ``"origin+destination"``; ``orig``/``dest`` work as well), ``{"driscoll_kraay":
        bandwidth}`` (``None`` for the default). The fixest names (``"iid"``, ``"hetero"``,
        ``{"CRV1": ...}``) and plm's (``"white1"``, ``"arellano"``, ``"vcovSCC"``) are
        aliases (:mod:`migflows.estimation.core.covariance_registry`); results report the
        canonical names (``res.covariance.kind``). Checked before anything is computed. See
        the module docstring for the mapping to ``plm``.
    debiased : bool, default True
        Small-sample factor ``n / (n - K)`` and t-distribution p-values.
    iv : {"2sls", "liml"}, default "2sls"
        Estimator of a formula with an instrumental-variable part
        (``"y ~ exog | entity | endog ~ z1 + z2"``, fixest syntax), by linearmodels'
        ``IV2SLS`` / ``IVLIML`` with the effects as dummies; the result
        (:class:`~migflows.estimation.panel.iv.IVResults`) has ``first_stage``
        diagnostics. ``estimator`` must be ``"fe"`` or ``"pooled"``.
    count_effects : bool, optional
        Fixed effects only: count absorbed effects in ``K`` (default: linearmodels' rule, not
        counted when a single effect is nested in the clusters).
    periods : mapping, optional
        ``{"boom": (2000, 2007), "crisis": (2008, 2014)}``: a ``period`` column and dummies
        (:func:`~migflows.data.rates.add_periods`) for ``i(period, x)``.
    window, uncertainty_of : optional
        FlowPanel only: passed to ``region_rates`` / ``pair_rates`` (uncertainty measures).

    Returns
    -------
    PanelResults
        ``params``, ``std_errors``, ``tstats``, ``pvalues``, ``cov``, ``conf_int()``,
        ``to_frame()``, ``summary``, ``rsquared`` (and ``_within``, ``_between``,
        ``_overall``), ``nobs``, ``n_entities``, ``n_periods``, ``f_stat``, ``dropped``,
        ``predict(data=...)``, ``vcov(...)`` for another covariance.

    Raises
    ------
    FormulaSyntaxError, UnknownVariableError, NonNumericError
        Formula or variables not understood.
    FixedEffectError
        Regressors constant within entities (or periods) under FE / FD, named; effects with a
        non-FE estimator.
    EstimationError
        Singular design (the collinear regressors are named).
    PanelStructureError
        Lags longer than the panel (says how many periods are needed), no complete row.
    DataValidationError
        Non-positive weights, ``log`` of non-positive values.

    Warns
    -----
    DroppedRowsWarning
        Rows with missing values were dropped (counts per variable; ``result.dropped``).
    NickellBiasWarning
        A lagged dependent variable with entity effects and few periods.

    Examples
    --------
    >>> import migflows
    >>> from migflows.estimation.panel.api import panel
    >>> kz = migflows.load_kazakhstan()
    >>> res = panel("net_rate ~ unemployment + log_rel_grp_pc | entity + time", kz,
    ...             weights="population", vcov={"cluster": "entity"})
    >>> res.params.index.tolist(), res.nobs, res.n_periods
    (['unemployment', 'log_rel_grp_pc'], 80, 4)
    """
    if estimator not in ESTIMATORS:
        raise InvalidOptionError(
            f"estimator={estimator!r} is not allowed; use one of {format_values(ESTIMATORS)}."
        )
    cov_spec = parse_covariance(vcov, family="panel")  # refuse bad names before any work
    parsed = parse_formula(formula)
    if parsed.endogenous:  # instrumental variables: 2SLS / LIML (panel/iv.py)
        # an IVResults (documented under iv=); typed as the usual result for the callers
        return cast(
            PanelResults,
            fit_iv(
                parsed,
                data,
                method=iv,
                estimator=estimator,
                vcov=cov_spec,
                debiased=debiased,
                entity=entity,
                time=time,
                level=level,
                weights=weights,
                periods=periods,
            ),
        )
    if not parsed.terms:
        raise ModelSpecificationError(
            f"formula {formula!r} has no regressors; add at least one (e.g. 'y ~ x | entity')."
        )
    rates_options: dict[str, Any] = {}
    if window is not None:
        rates_options["window"] = window
    if uncertainty_of is not None:
        rates_options["uncertainty_of"] = tuple(uncertainty_of)
    if rates_options and not isinstance(data, FlowPanel):
        raise InvalidOptionError("window= and uncertainty_of= apply to FlowPanel data only.")

    def design_for(new: FlowPanel | pd.DataFrame, warn: bool = True) -> PanelDesign:
        return build_panel_design(
            parsed,
            new,
            estimator=estimator,
            entity=entity,
            time=time,
            level=level,
            weights=weights,
            periods=periods,
            rates_options=rates_options,
            warn=warn,
        )

    design = design_for(data)
    _warn_dynamic(design, estimator)
    model = _model(design, estimator)
    return _fit(
        model,
        design,
        estimator,
        cov_spec,
        debiased=debiased,
        count_effects=count_effects,
        formula=formula,
        design_for=design_for,
    )
