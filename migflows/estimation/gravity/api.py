"""Gravity models of migration flows: :func:`gravity`.

One call fits a fixest-style formula on a :class:`~migflows.data.panel.FlowPanel` (or a
DataFrame) with one of several estimators:

``ppml``
    Poisson pseudo-maximum likelihood with high-dimensional fixed effects
    (:func:`migflows.estimation.gravity.ppml.fit_ppml`: ppmlhdfe's algorithm, separation and
    singleton checks). Keeps zero flows; the workhorse of the gravity literature
    (Santos Silva & Tenreyro 2006).
``ols``
    Log-linear OLS of ``log(flow)`` with absorbed fixed effects; zero flows are dropped
    with a warning and their count, or ``log1p`` on request (``zeros="log1p"``).
``negbin``, ``gpml``
    Negative binomial (NB2) and gamma PML (see :mod:`migflows.estimation.gravity.glm`).

The identification guard: region-year drivers (wage ratio, GRP per capita, unemployment)
are absorbed by origin-year and destination-year fixed effects — only pair-varying
covariates survive them. :func:`gravity` checks every regressor before fitting and names
the fixed effects that absorb it with the specification that would identify it
(:mod:`migflows.estimation.core.identification`, shared with panel and Bayes).

Dispatch: the call becomes a frozen :class:`~migflows.estimation.gravity.registry.GravitySpec`
and runs the estimator registered under ``estimator``
(:mod:`migflows.estimation.gravity.registry`; the built-ins are in
:mod:`migflows.estimation.gravity.engines`); estimator name, options and covariance are
validated before the design is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import InvalidOptionError
from migflows.estimation.core.covariance import (
    CovarianceSpec,
    SmallSampleCorrection,
    parse_covariance,
    resolve_clusters,
)
from migflows.estimation.core.identification import find_absorbed, identify
from migflows.estimation.gravity import engines  # noqa: F401  (registers the built-ins)
from migflows.estimation.gravity.registry import (
    ESTIMATORS,
    GravitySpec,
    get_estimator,
    validate_options,
)
from migflows.estimation.gravity.results import GravityResults
from migflows.estimation.gravity.scale import fit_scaled
from migflows.models.design import Design, build_design
from migflows.models.exogenous import require_exogenous
from migflows.models.formula import parse_formula

__all__ = ["ESTIMATORS", "Estimator", "GravitySpec", "cast_results", "gravity"]

Estimator = Literal["ppml", "ols", "negbin", "gpml"] | str


def gravity(
    formula: str,
    data: FlowPanel | pd.DataFrame,
    estimator: Estimator = "ppml",
    *,
    vcov: str | Mapping[str, Any] | CovarianceSpec = "hetero",
    weights: str | np.ndarray | pd.Series | None = None,
    offset: str | np.ndarray | pd.Series | None = None,
    periods: Mapping[str, tuple[int, int]] | None = None,
    absorbed: Literal["raise", "drop"] = "raise",
    zeros: Literal["drop", "log1p"] = "drop",
    ssc: SmallSampleCorrection | None = None,
    **options: Any,
) -> GravityResults:
    """Fit a gravity model of migration flows.

    Parameters
    ----------
    formula : str
        fixest-style, e.g. ``"flow ~ log_wage_ratio + log_dist | orig + dest + year"``;
        fixed effects ``orig``, ``dest``, ``year``, ``pair`` and interactions
        (``orig^year``); ``i(period, x)`` for period-specific slopes (with ``periods=``).
    data : FlowPanel or DataFrame
        A DataFrame needs a column for every name in the formula. With ``backend="parquet"``
        or ``"dask"`` also a Parquet path or a Dask DataFrame.
    estimator : {"ppml", "ols", "negbin", "gpml"}
        See the module docstring.
    vcov : str or dict, default "hetero"
        ``"iid"``, ``"hetero"`` (heteroskedasticity-robust, the Stata ppmlhdfe default),
        ``{"CRV1": "pair"}``, ``{"CRV1": "orig"}``, ``{"CRV1": "orig+dest"}`` (two-way;
        ``origin``/``destination`` work as well), or an alias from linearmodels, statsmodels
        or plm (``"robust"``, ``"HC1"``, ``{"cluster": "pair"}`` …; see
        :mod:`migflows.estimation.core.covariance_registry`). Checked before anything is
        fitted. Change it later without refitting: ``res.vcov({"CRV1": "pair"})``.
    weights, offset : str or array, optional
        Observation weights; an offset with coefficient one (e.g. ``"log_pop_o"``).
    periods : mapping, optional
        Periods for ``i(period, x)``: ``{"boom": (2000, 2007), "crisis": (2008, 2014)}``.
    absorbed : {"raise", "drop"}
        A regressor absorbed by the fixed effects raises
        :class:`~migflows.errors.IdentificationError` (a ``FixedEffectError``) naming
        the fixed effects and the specification that identifies it (default), or is dropped
        with a warning.
    zeros : {"drop", "log1p"}
        Log-OLS only: drop zero flows (with a warning and their count) or use ``log1p``.
    ssc : SmallSampleCorrection, optional
        Small-sample convention (default fixest's; ``SmallSampleCorrection.stata()``).
    **options
        Passed to the estimator; the accepted names are those it was registered with
        (:mod:`migflows.estimation.gravity.registry`), and anything else raises
        :class:`~migflows.errors.InvalidOptionError` listing them before any work is done.
        PPML: ``tol``, ``maxiter``, ``fixef_tol``, ``fixef_maxiter``, ``separation``,
        ``drop_singletons``, ``collinear``, ``collin_tol``, ``demeaner`` (the demeaning
        backend, a callable ``codes -> DemeanerLike``: the engine seam for out-of-core
        backends) and ``lean`` (True: keep only k x k covariance pieces, no sample-sized
        arrays), ``progress`` (True: a bar of the IRLS iterations with the deviance change,
        and the separation steps; every backend). Negative binomial and gamma PML: ``tol``,
        ``maxiter``, ``engine``
        (``"demean"``, IRLS with the fixed effects partialled out, or ``"dummies"``,
        statsmodels with dummy columns), ``max_dummies``, ``separation``, ``drop_singletons``,
        ``collinear``, ``collin_tol``, ``demeaner``; negative binomial also ``theta`` (held
        fixed), ``outer_maxiter`` and ``hessian`` ("expected"; "observed", "observed_joint":
        the observed information, see :mod:`~migflows.estimation.gravity.glm`). Log-OLS
        takes none. ``collinear="raise"`` also refuses collinear regressors before fitting.
        PPML out of core: ``backend`` (``"memory"``, the default; ``"chunked"``,
        ``"parquet"`` or ``"dask"``: the sums engine of
        :mod:`migflows.estimation.gravity.scale`) with ``client``, ``chunk_rows``,
        ``attributes``, ``progress`` and ``cache`` (Parquet: the compact binary cache, True
        for a temporary one, a directory to keep it, False to stream); see ``docs/scale.md``.

    Returns
    -------
    GravityResults

    Raises
    ------
    FormulaSyntaxError, UnknownVariableError, IdentificationError (a FixedEffectError),
    ConvergenceError, EstimationError, InvalidOptionError

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2020, 2021, 2023])
    >>> res = migflows.gravity("flow ~ log_dist | orig^year + dest^year", kz)
    >>> res.params.round(3).to_dict()
    {'log_dist': -1.144}
    """
    entry = get_estimator(estimator)  # the registry: unknown names listed with the allowed ones
    opts = validate_options(estimator, options)  # unknown options refused before any work
    if absorbed not in ("raise", "drop"):
        raise InvalidOptionError(f"absorbed={absorbed!r} is not allowed; use 'raise' or 'drop'.")
    if zeros not in ("drop", "log1p"):
        raise InvalidOptionError(f"zeros={zeros!r} is not allowed; use 'drop' or 'log1p'.")
    vcov = parse_covariance(vcov, family="gravity")  # refuse bad names before any work
    parsed = parse_formula(formula)
    require_exogenous(parsed, "gravity()")
    spec = GravitySpec(
        formula=parsed,
        estimator=estimator,
        vcov=vcov,
        weights=weights,
        offset=offset,
        periods=periods,
        absorbed=absorbed,
        zeros=zeros,
        ssc=ssc,
        options=MappingProxyType(opts),
    )
    if opts.get("backend", "memory") != "memory":  # out of core / distributed (gravity.scale)
        return fit_scaled(spec, data)
    extra = dict(entry.design_options(spec)) if entry.design_options else {}
    design = build_design(
        spec.formula, data, weights=weights, offset=offset, periods=periods, **extra
    )
    resolve_clusters(vcov.clusters, design.clusters.columns)  # cluster names, before fitting
    _check_absorbed(design, absorbed)
    if opts.get("collinear") == "raise":
        _check_collinear(design)
    return cast_results(entry.fit(spec, design, data))


# ---------------------------------------------------------------------- identification guard
def cast_results(res: object) -> GravityResults:
    """Narrow ``RegressionResults.from_pieces`` (typed on the base class) to GravityResults."""
    return cast(GravityResults, res)


def _check_collinear(design: Design) -> None:
    """With ``collinear="raise"``: refuse collinear regressors before fitting (core check).

    The estimators check again on their estimation sample (separation can make a regressor
    collinear only there).
    """
    if design.X.shape[1] == 0:
        return
    fe = design.fe
    ident = identify(
        design.X.to_numpy(dtype=float),
        fe.to_numpy() if fe.shape[1] else None,
        names=[str(c) for c in design.X.columns],
        fe_names=[str(c) for c in fe.columns],
    )
    if not ident.identified:
        raise ident.error("Remove them or change the fixed effects.")


def _check_absorbed(design: Design, absorbed: str) -> None:
    """Raise for regressors that the fixed effects absorb, naming the culprits (core check)."""
    fe = design.fe
    if absorbed == "drop" or fe.shape[1] == 0 or design.X.shape[1] == 0:
        return  # with "drop" the estimator's collinearity check drops them with a warning
    ident = find_absorbed(
        design.X.to_numpy(dtype=float),
        fe.to_numpy(),
        names=[str(c) for c in design.X.columns],
        fe_names=[str(c) for c in fe.columns],
    )
    if ident.identified:
        return
    raise ident.error(
        "A covariate built from region-year attributes (wage, GRP per capita, unemployment, "
        "their ratios or differences) is a sum of an origin-year and a destination-year term, "
        "so origin-year and destination-year fixed effects (or origin and destination effects "
        "in a single year) absorb it; only pair-varying covariates (distance, pair-time "
        "variables) survive them. To identify it use '| orig + dest + year' over several "
        "years (preset gravity_regional) or '| orig^dest + year' (pair + year), or pass "
        "absorbed='drop' to drop it with a warning."
    )
