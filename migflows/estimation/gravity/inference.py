"""Inference methods of gravity results: few-cluster bootstrap and uncertainty of flows.

A mixin of :class:`~migflows.estimation.gravity.results.GravityResults` (kept apart so that
module stays small): ``wild_bootstrap`` (:mod:`migflows.estimation.gravity.few_clusters`),
``predicted_balances`` and ``counterfactual_uncertainty``
(:mod:`migflows.estimation.gravity.uncertainty`).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd
from scipy import stats

from migflows.errors import InvalidOptionError, ModelSpecificationError
from migflows.estimation.core.bootstrap import BootstrapTest
from migflows.estimation.core.cluster_adjusted import satterthwaite_df
from migflows.estimation.core.covariance import SandwichInputs
from migflows.estimation.core.hypothesis import restriction_matrix
from migflows.estimation.core.seeds import RandomSeed
from migflows.estimation.gravity.few_clusters import gravity_bootstrap
from migflows.estimation.gravity.prediction_se import (
    level_codes,
    structured_flow_uncertainty,
    structured_prediction_se,
)
from migflows.estimation.gravity.uncertainty import (
    MAX_LEVELS,
    FullCovariance,
    flow_uncertainty,
    full_covariance,
    interval_frame,
    prediction_se,
)
from migflows.models.design import evaluate_rhs

if TYPE_CHECKING:
    from collections.abc import Mapping

    Changes = Mapping[str, Mapping[str, float] | Mapping[str, Mapping[int, float]]]

__all__ = ["GravityInferenceMixin"]


class GravityInferenceMixin:
    """Bootstrap tests and intervals of predicted balances and counterfactual changes."""

    def wild_bootstrap(
        self,
        restriction: str,
        *,
        cluster: str | None = None,
        weights: str = "rademacher",
        reps: int = 9999,
        level: float = 0.95,
        random_seed: RandomSeed = None,
        progress: bool = True,
    ) -> BootstrapTest:
        """Wild cluster bootstrap test and interval for one restriction (few clusters).

        Log-OLS uses the restricted wild cluster bootstrap (WCR); PPML, NB2 and GPML the
        restricted score bootstrap of Kline & Santos (the model refitted under the null, NB2's
        dispersion re-estimated there; the interval by test inversion, one refit per candidate
        value; see :mod:`migflows.estimation.core.bootstrap`).

        Parameters
        ----------
        restriction : str
            One restriction, e.g. ``"log_dist = -1"`` or ``"log_wage_ratio - contig"``.
        cluster : str, optional
            ``"orig"``, ``"dest"``, ``"orig+dest"`` …; default the clusters of the current
            covariance. With two, the weights are drawn on the first.
        weights : {"rademacher", "webb"}
        reps : int, default 9999
            Draws (all ``2**G`` sign patterns when that is fewer, Rademacher only).
        level : float, default 0.95
        random_seed : int, Generator or None
        progress : bool, default True
            A progress bar counting the restricted refits (PPML, NB2, GPML).

        Returns
        -------
        BootstrapTest
            ``stat``, ``pval``, ``lower``, ``upper`` (interval for the combination).

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan(years=[2021])
        >>> res = migflows.gravity("flow ~ log_dist | orig + dest", kz, vcov={"CRV1": "orig"})
        >>> boot = res.wild_bootstrap("log_dist = -1", reps=999, random_seed=1, progress=False)
        >>> boot.method, boot.lower < float(res.params["log_dist"]) < boot.upper
        ('score (restricted)', True)
        """
        res = cast(Any, self)
        res._require_full("wild_bootstrap()")
        return gravity_bootstrap(
            res.estimator,
            res._fit.design,
            res.params,
            res._pieces,
            res.covariance.clusters,
            res.vcov_type,
            res.vcov,
            restriction,
            cluster=cluster,
            weights=weights,
            reps=reps,
            level=level,
            random_seed=random_seed,
            stats=res._fit.stats,
            progress=progress,
        )

    def coef_test(self, restriction: str | None = None) -> pd.DataFrame:
        """CR2 t tests with Satterthwaite degrees of freedom (clubSandwich's ``coef_test``).

        Parameters
        ----------
        restriction : str, optional
            Combinations to test, e.g. ``"log_dist = -1, log_wage_ratio - contig = 0"``;
            default every coefficient against zero.

        Returns
        -------
        DataFrame
            ``estimate`` (of ``r'b - q``), ``std_error``, ``tstat``, ``df`` (Satterthwaite,
            per row) and ``pvalue``, under the result's one-way CR2 covariance
            (:func:`migflows.estimation.core.cluster_adjusted.satterthwaite_df`).

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan(years=[2021])
        >>> res = migflows.gravity("flow ~ log_dist | dest", kz, estimator="ols",
        ...                        vcov={"CR2": "orig"})
        >>> out = res.coef_test()
        >>> bool(0 < out.loc["log_dist", "df"] <= 19)
        True
        """
        res = cast(Any, self)
        res._require_full("coef_test()")
        pieces = res._pieces
        names = [str(n) for n in res.params.index]
        if restriction is None:
            R, q, labels = np.eye(len(names)), np.zeros(len(names)), names
        else:
            R, q = restriction_matrix(restriction, names)
            labels = [p.strip() for p in restriction.split(",")]
        inputs = SandwichInputs(
            np.linalg.inv(pieces.hessian),
            pieces.scores,
            pieces.nobs,
            len(names),
            pieces.fe_codes,
            pieces.clusters,
            res.covariance.ssc,
            pieces.iid_scale,
            pieces.linear,
        )
        df = satterthwaite_df(inputs, res.covariance.spec, R)
        est = R @ res.params.to_numpy() - q
        se = np.sqrt(np.einsum("ij,jk,ik->i", R, res.cov.to_numpy(), R))
        t = est / se
        return pd.DataFrame(
            {
                "estimate": est,
                "std_error": se,
                "tstat": t,
                "df": df,
                "pvalue": 2 * stats.t.sf(np.abs(t), df),
            },
            index=pd.Index(labels, name="restriction"),
        )

    def _beyond_dense(self, method: str) -> bool:
        """More fixed-effect levels than the dense joint covariance takes (delta method only)."""
        codes = cast(Any, self)._fit.design.fe.to_numpy()
        levels = int(sum(int(codes[:, j].max()) + 1 for j in range(codes.shape[1])))
        if levels <= MAX_LEVELS:
            return False
        if method != "delta":
            raise InvalidOptionError(
                f"method={method!r} draws the slopes and all {levels} fixed effects jointly, "
                f"which is built for at most {MAX_LEVELS} levels; use method='delta' (computed "
                "without the dense covariance)"
            )
        return True

    def _structured_balances(self, shift: Any, level: float) -> pd.DataFrame:
        res = cast(Any, self)
        res._require_full("standard errors of balances")
        return structured_flow_uncertainty(
            res._fit.design,
            res.params,
            res.cov.to_numpy(),
            res._pieces,
            res.covariance.spec,
            mu=res._fit.mu,
            keys=res._fit.design.keys,
            shift=shift,
            level=level,
        )

    def _predict_se(self, data: Any, level: float) -> pd.DataFrame:
        """``predict(data, se=True)``: dense joint covariance in sample, else structured."""
        res = cast(Any, self)
        res._require_full("standard errors of predictions")
        if res.estimator not in ("ppml", "ols") or res._pieces is None:
            raise InvalidOptionError(
                f"standard errors of predictions are available for PPML and log-OLS, not "
                f"estimator={res.estimator!r}"
            )
        design, fit = res._fit.design, res._fit
        codes = design.fe.to_numpy()
        levels = int(sum(int(codes[:, j].max()) + 1 for j in range(codes.shape[1])))
        if data is None and levels <= MAX_LEVELS:
            out = prediction_se(res._joint, fit.mu, link=fit.link, level=level)
            return pd.concat([design.keys.reset_index(drop=True), out], axis=1)
        names = list(res.params.index)
        if data is None:
            X_new, codes_new, eta = design.X[names].to_numpy(float), codes, fit.eta
        else:
            X, fe_labels, _ = evaluate_rhs(
                design.formula, data, periods=fit.periods, offset=design.offset_name
            )
            codes_new = level_codes(design, fe_labels)
            eta = res.predict(data, kind="link").to_numpy()
            X_new = X[names].to_numpy(dtype=float)
        se_eta = structured_prediction_se(
            design,
            res.params,
            res.cov.to_numpy(),
            res._pieces,
            res.covariance.spec,
            mu=fit.mu,
            link=fit.link,
            X_new=X_new,
            codes_new=codes_new,
        )
        mu_new = np.exp(eta) if fit.link == "log" else eta
        out = interval_frame(mu_new, se_eta, link=fit.link, level=level)
        return pd.concat([design.keys.reset_index(drop=True), out], axis=1) if data is None else out

    @cached_property
    def _joint(self) -> FullCovariance:
        res = cast(Any, self)
        res._require_full("standard errors of predictions")
        if res.estimator not in ("ppml", "ols") or res._pieces is None:
            raise InvalidOptionError(
                f"standard errors of predictions are available for PPML and log-OLS, not "
                f"estimator={res.estimator!r}"
            )
        return full_covariance(
            res._fit.design,
            res.params,
            res.cov.to_numpy(),
            res._pieces,
            res.covariance.spec,
            mu=res._fit.mu,
            fe_part=res._fit.fe_part,
            link=res._fit.link,
        )

    def predicted_balances(
        self,
        *,
        method: Literal["delta", "simulation"] = "delta",
        level: float = 0.95,
        n_sims: int = 1000,
        random_seed: RandomSeed = None,
    ) -> pd.DataFrame:
        """Arrivals, departures and net migration of the fitted flows with intervals.

        By region and year; the delta method or parametric simulation of slopes and fixed
        effects (see :func:`migflows.estimation.gravity.uncertainty.aggregate_uncertainty`).
        National net migration is zero in every draw, so the net intervals are consistent
        with a zero national change.

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan(years=[2021])
        >>> res = migflows.gravity("flow ~ log_dist | orig + dest", kz)
        >>> bal = res.predicted_balances()
        >>> bool(abs(bal["net"].sum()) < 1e-6), bool((bal["arrivals_se"] > 0).all())
        (True, True)
        """
        if cast(Any, self)._fit.link != "log":
            raise ModelSpecificationError("balances need fitted flows: use PPML (a log link)")
        return self._balance_uncertainty(None, method, level, n_sims, random_seed)

    def counterfactual_uncertainty(
        self,
        changes: Changes,
        *,
        method: Literal["delta", "simulation"] = "delta",
        level: float = 0.95,
        n_sims: int = 1000,
        random_seed: RandomSeed = None,
    ) -> pd.DataFrame:
        """Changes in each region's arrivals, departures and net under ``changes``, with intervals.

        The same changes as :meth:`counterfactual`; the change of every flow is
        ``mu_i (exp(dx_i' b) - 1)`` and its uncertainty comes from the slopes and the fixed
        effects jointly (delta method or parametric simulation). National net change is
        zero in every draw.

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan(years=[2020, 2021])
        >>> res = migflows.gravity("flow ~ log_wage_ratio + log_dist | orig + dest + year", kz)
        >>> out = res.counterfactual_uncertainty({"wage": {"turkistan": 1.10}})
        >>> bool(abs(out["net"].groupby("year").sum()).max() < 1e-6)
        True
        """
        res = cast(Any, self)
        if res._fit.link != "log":
            raise ModelSpecificationError("counterfactual changes need a log-link model (PPML)")
        shift = np.nan_to_num(res._counterfactual_shift(changes))
        return self._balance_uncertainty(shift, method, level, n_sims, random_seed)

    def _balance_uncertainty(
        self,
        shift: np.ndarray | None,
        method: Literal["delta", "simulation"],
        level: float,
        n_sims: int,
        random_seed: RandomSeed,
    ) -> pd.DataFrame:
        """Balances (``shift=None``) or their changes under a regressor shift, with intervals."""
        if self._beyond_dense(method):
            return self._structured_balances(shift, level)
        res = cast(Any, self)
        return flow_uncertainty(
            res._joint,
            res._fit.mu,
            res._fit.eta,
            res._fit.design.keys,
            shift,
            method=method,
            level=level,
            n_sims=n_sims,
            random_seed=random_seed,
        )
