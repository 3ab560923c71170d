"""Instrumental variables for panel regressions: 2SLS and LIML through linearmodels.

``migflows.panel("y ~ exog | entity | endog ~ z1 + z2", data, iv="2sls")`` (fixest syntax;
``| entity`` may be omitted). The terms are evaluated by the one design builder (lags,
logs, missing values as everywhere), absorbed effects enter as dummies (a few hundred at
most for regional panels) and linearmodels' ``IV2SLS`` / ``IVLIML`` fit the model; their
first-stage diagnostics (partial R², Shea's R², first-stage F) are kept.

Caveats: instruments must be excluded from the outcome equation and relevant — a
first-stage F below 10 is flagged (``weak_instruments``); lagged regressors are valid
instruments only without serial correlation in the errors; with 20 regions, cluster-robust
inference has few clusters.

Examples
--------
>>> import numpy as np, pandas as pd, migflows
>>> rng = np.random.default_rng(0)
>>> n, t = 20, 8
>>> df = pd.DataFrame({"id": np.repeat(np.arange(n), t), "t": np.tile(np.arange(t), n)})
>>> df["z"] = rng.normal(size=n * t)
>>> u = rng.normal(size=n * t)
>>> df["x"] = df["z"] + 0.5 * u + rng.normal(size=n * t)
>>> df["y"] = 2 * df["x"] + u
>>> res = migflows.panel("y ~ 1 | entity | x ~ z", df, entity="id", time="t", iv="2sls")
>>> round(float(res.params["x"]), 1), bool(res.first_stage.loc["x", "f.stat"] > 10)
(2.0, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from linearmodels.iv import IV2SLS, IVLIML

from migflows.errors import InvalidOptionError, ModelSpecificationError
from migflows.estimation.core.covariance import (
    CovarianceEstimate,
    SmallSampleCorrection,
)
from migflows.estimation.core.covariance_registry import (
    CovarianceSpec,
    parse_covariance,
)
from migflows.estimation.core.results import RegressionResults
from migflows.estimation.panel.design import INTERCEPT, build_panel_design
from migflows.models.formula import Formula

__all__ = ["IV_METHODS", "IVResults", "fit_iv"]

IV_METHODS = ("2sls", "liml")


class IVResults(RegressionResults):
    """Results of an instrumental-variable panel regression (``migflows.panel(..., iv=)``).

    Besides the shared vocabulary (``wald_test``, ``t_test`` included): :attr:`first_stage`
    (linearmodels' diagnostics by endogenous regressor), :attr:`weak_instruments`, the
    wrapped :attr:`linearmodels` result and :meth:`vcov` (refits the covariance).
    """

    covariance_family = "panel"

    def __init__(
        self,
        lm: Any,
        names: list[str],
        spec: CovarianceSpec,
        n_clusters: tuple[int, ...],
        *,
        method: str,
        debiased: bool,
        refit: Any,
        depvar: str,
    ) -> None:
        idx = pd.Index(names, name="parameter")
        cov = np.asarray(lm.cov.loc[names, names], dtype=float)
        df_resid = int(lm.df_resid)
        df_t = min(n_clusters) - 1 if n_clusters else df_resid
        est = CovarianceEstimate(
            cov,
            spec.kind,
            spec.clusters,
            n_clusters,
            int(lm.nobs) - df_resid,
            df_t,
            (),
            SmallSampleCorrection.none(),
            spec.options,
        )
        object.__setattr__(self, "_frozen", False)
        self._lm = lm
        self._method = method
        self._refit = refit
        super().__init__(
            pd.Series(lm.params[names].to_numpy(), index=idx),
            est,
            int(lm.nobs),
            use_t=debiased,
            model=f"Panel IV ({method.upper()})",
            depvar=depvar,
        )

    def vcov(self, vcov: str | Mapping[str, Any], **_: Any) -> IVResults:  # type: ignore[override]
        """The same model with another covariance (refitted by linearmodels)."""
        out: IVResults = self._refit(vcov)
        return out

    @property
    def linearmodels(self) -> Any:
        """The linearmodels IV result."""
        return self._lm

    @property
    def fitted(self) -> pd.DataFrame:
        """Observed and fitted values of the estimation sample."""
        fitted = self._lm.fitted_values.iloc[:, 0]
        return pd.DataFrame({"observed": fitted + self._lm.resids, "fitted": fitted})

    @property
    def resid(self) -> pd.Series:
        """Residuals ``observed - fitted``."""
        return self._lm.resids.rename("resid")

    @property
    def effects(self) -> dict[str, pd.Series]:
        """Estimated entity/time effects: the dummy coefficients (first level is the base)."""
        out = {}
        for prefix, name in (("fe0_", "entity"), ("fe1_", "time")):
            keys = [k for k in self._lm.params.index if str(k).startswith(prefix)]
            if keys:
                out[name] = pd.Series(
                    self._lm.params[keys].to_numpy(), index=[k[len(prefix) :] for k in keys]
                )
        return out

    @property
    def fixed_effects(self) -> tuple[str, ...]:
        """Absorbed effects (as dummies): ``entity`` and/or ``time``."""
        return tuple(self.effects)

    @property
    def first_stage(self) -> pd.DataFrame:
        """First-stage diagnostics of linearmodels, one row per endogenous regressor.

        Columns ``rsquared``, ``partial.rsquared``, ``shea.rsquared``, ``f.stat`` (the
        instruments' first-stage test under the model's covariance), ``f.pval``, ``f.dist``.
        """
        return self._lm.first_stage.diagnostics.copy()

    @property
    def weak_instruments(self) -> pd.Series:
        """True where the first-stage F statistic is below 10 (Staiger–Stock rule of thumb)."""
        return (self.first_stage["f.stat"] < 10).rename("weak")

    def _fit_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = {
            f"First-stage F ({k})": round(float(v), 3)
            for k, v in self.first_stage["f.stat"].items()
        }
        stats["Estimator"] = self._method.upper()
        return stats


def _cluster_codes(
    spec: CovarianceSpec,
    index: pd.Index,
    frame: pd.DataFrame,
    entity: str,
    time: str,
) -> pd.DataFrame:
    out = {}
    for name in spec.clusters:
        values: Any
        if name in ("entity", entity):
            values = index.get_level_values(0)
        elif name in ("time", time):
            values = index.get_level_values(1)
        elif name in frame.columns:
            values = frame.loc[index, name]
        else:
            raise InvalidOptionError(
                f"cannot cluster by {name!r}: use 'entity', 'time' or a column of the data"
            )
        out[name] = pd.factorize(np.asarray(values))[0]
    return pd.DataFrame(out, index=index)


def fit_iv(
    parsed: Formula,
    data: Any,
    *,
    method: str,
    estimator: str,
    vcov: Any,
    debiased: bool,
    **design_options: Any,
) -> IVResults:
    """Fit ``parsed`` (with an IV part) by 2SLS or LIML; see :func:`migflows.panel`."""
    if method not in IV_METHODS:
        raise InvalidOptionError(f"iv={method!r} is not allowed; use one of {list(IV_METHODS)}")
    if estimator not in ("fe", "pooled"):
        raise InvalidOptionError(
            "instruments go with estimator='fe' (effects as dummies) or 'pooled', not "
            f"{estimator!r}"
        )
    combined = replace(
        parsed,
        terms=(*parsed.terms, *parsed.endogenous, *parsed.instruments),
        endogenous=(),
        instruments=(),
    )
    design = build_panel_design(
        combined,
        data,
        estimator="pooled" if not parsed.fixed_effects else estimator,
        **design_options,
    )
    endog = [str(t) for t in parsed.endogenous]
    instr = [str(t) for t in parsed.instruments]
    missing = [n for n in (*endog, *instr) if n not in design.exog.columns]
    if missing:
        raise ModelSpecificationError(
            f"IV terms {missing} must each be one column (factors and interactions are not "
            "supported as endogenous regressors or instruments)"
        )
    exog = design.exog.drop(columns=[*endog, *instr])
    index = design.dependent.index
    parts = [] if INTERCEPT in exog.columns else [pd.DataFrame({INTERCEPT: 1.0}, index=index)]
    parts.append(exog)
    for level, on in enumerate((design.entity_effects, design.time_effects)):
        if on:
            codes = pd.Series(index.get_level_values(level), index=index).astype(str)
            parts.append(pd.get_dummies(codes, prefix=f"fe{level}", drop_first=True, dtype=float))
    X = pd.concat(parts, axis=1)
    reported = [c for c in exog.columns if c != INTERCEPT or not parsed.fixed_effects] + endog
    cls = IV2SLS if method == "2sls" else IVLIML
    model = cls(
        design.dependent,
        X,
        design.exog[endog],
        design.exog[instr],
        weights=design.weights,
    )

    def run(new_vcov: Any) -> IVResults:
        spec = parse_covariance(new_vcov, family="panel")
        kwargs: dict[str, Any] = {"debiased": bool(debiased)}
        n_clusters: tuple[int, ...] = ()
        if spec.kind == "iid":
            kwargs["cov_type"] = "unadjusted"
        elif spec.kind == "hetero":
            kwargs["cov_type"] = "robust"
        elif spec.kind == "CRV1":
            clusters = _cluster_codes(spec, index, design.frame, design.entity, design.time)
            kwargs.update(cov_type="clustered", clusters=clusters)
            n_clusters = tuple(int(clusters[c].max()) + 1 for c in clusters)
        else:
            raise InvalidOptionError(
                f"vcov={new_vcov!r}: IV regressions take 'iid', 'hetero' or {{'CRV1': ...}}"
            )
        lm = model.fit(**kwargs)
        return IVResults(
            lm,
            reported,
            spec,
            n_clusters,
            method=method,
            debiased=debiased,
            refit=run,
            depvar=design.depvar,
        )

    return run(vcov)
