"""Control-function PPML for an endogenous regressor (wages respond to migration).

``control_function("flow ~ log_dist | orig + dest + year | log_wage_ratio ~ z", data)``:

1. first stage — least squares of the endogenous regressor on the exogenous regressors and
   the instruments with the *same* fixed effects; its residual ``v`` is the control function;
2. second stage — PPML of the flow on the exogenous and endogenous regressors and ``v``;
   the coefficient of ``v`` tests exogeneity (zero when the regressor is exogenous);
3. standard errors by the cluster pairs bootstrap of both stages (clusters resampled with
   replacement, default by origin), because the second stage treats ``v`` as data.

Caveats: the control function identifies the effect under its own assumptions (a linear
first stage and the error's dependence on ``v`` entering the exponent), which are stronger
than those of linear IV; with 20 clusters the bootstrap covariance is itself noisy; the
instruments must be excluded from the flow equation (e.g. lagged or neighbouring-region
wages are valid only if past or neighbouring wage shocks do not move today's flows
directly). Written by hand: no library offers a control-function PPML with high-dimensional
fixed effects.

Examples
--------
>>> import migflows
>>> from migflows.estimation.gravity.control_function import control_function
>>> kz = migflows.load_kazakhstan(years=[2020, 2021])
>>> cf = control_function(
...     "flow ~ log_dist | orig + dest + year | log_wage_ratio ~ unemp_diff", kz,
...     reps=19, random_seed=1, progress=False)
>>> list(cf.params.index)
['log_dist', 'log_wage_ratio', 'control_function']
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import InvalidOptionError, ModelSpecificationError, SeparationWarning
from migflows.estimation.core.covariance import CovarianceEstimate, SmallSampleCorrection
from migflows.estimation.core.demean import demean
from migflows.estimation.core.results import RegressionResults
from migflows.estimation.core.seeds import RandomSeed, as_generator
from migflows.estimation.gravity.ppml import fit_ppml
from migflows.models.design import build_design
from migflows.models.formula import parse_formula

__all__ = ["ControlFunctionResults", "control_function"]


class ControlFunctionResults(RegressionResults):
    """Second-stage PPML estimates with their cluster-bootstrap covariance.

    Attributes beyond the shared vocabulary: :attr:`first_stage` (the first-stage
    coefficients and the F statistic of the instruments) and :attr:`bootstrap_draws`.
    """

    def __init__(
        self,
        *args: Any,
        first_stage: dict[str, Any],
        draws: pd.DataFrame,
        observed: np.ndarray,
        mu: np.ndarray,
        **kwargs: Any,
    ) -> None:
        object.__setattr__(self, "_frozen", False)
        self._first_stage = first_stage
        self._draws = draws
        self._obs_mu = (observed, mu)
        super().__init__(*args, **kwargs)

    @property
    def fitted(self) -> pd.DataFrame:
        """Observed and fitted flows of the second stage."""
        return pd.DataFrame({"observed": self._obs_mu[0], "fitted": self._obs_mu[1]})

    @property
    def resid(self) -> pd.Series:
        """Response residuals ``observed - fitted``."""
        return pd.Series(self._obs_mu[0] - self._obs_mu[1], name="resid")

    @property
    def effects(self) -> dict[str, pd.Series]:
        """Fixed-effect estimates are not kept (they are absorbed in both stages)."""
        return {}

    @property
    def first_stage(self) -> dict[str, Any]:
        """``coef`` (Series), ``f_stat`` (homoskedastic F of the instruments), ``df``."""
        return dict(self._first_stage)

    @property
    def bootstrap_draws(self) -> pd.DataFrame:
        """The bootstrap estimates, one row per replication."""
        return self._draws.copy()

    def _fit_stats(self) -> dict[str, Any]:
        return {
            "First-stage F": round(float(self._first_stage["f_stat"]), 3),
            "Bootstrap replications": len(self._draws),
        }


def _two_step(
    y: np.ndarray, X: np.ndarray, endog: np.ndarray, Zi: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """First-stage OLS (absorbed effects) then PPML with the residual; returns both."""
    first = np.column_stack([X, Zi])
    if codes.shape[1]:
        both = demean(np.column_stack([endog, first]), codes, tol=1e-12).x
    else:
        both = np.column_stack([endog, first])
    coef, *_ = np.linalg.lstsq(both[:, 1:], both[:, 0], rcond=None)
    v = both[:, 0] - both[:, 1:] @ coef
    # F of the instruments: restricted fit without them
    k_z = Zi.shape[1]
    r_coef, *_ = np.linalg.lstsq(both[:, 1 : 1 + X.shape[1]], both[:, 0], rcond=None)
    rss_r = float(((both[:, 0] - both[:, 1 : 1 + X.shape[1]] @ r_coef) ** 2).sum())
    rss = float((v**2).sum())
    # fixed-effect parameters: levels minus one normalisation per extra factor (connected)
    n_fe = sum(len(np.unique(codes[:, j])) for j in range(codes.shape[1])) - max(
        codes.shape[1] - 1, 0
    )
    dof = len(y) - first.shape[1] - n_fe
    f_stat = ((rss_r - rss) / k_z) / (rss / max(dof, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        fit = fit_ppml(
            y,
            np.column_stack([X, endog, v]),
            codes if codes.shape[1] else None,
            separation=(),
            drop_singletons=False,
            tol=1e-10,
        )
    return fit.coef, coef, f_stat, fit.mu


def control_function(
    formula: str,
    data: FlowPanel | pd.DataFrame,
    *,
    cluster: str = "orig",
    reps: int = 199,
    random_seed: RandomSeed = None,
    progress: bool = True,
) -> ControlFunctionResults:
    """Control-function PPML with cluster pairs-bootstrap standard errors (see the module).

    Parameters
    ----------
    formula : str
        ``"flow ~ exog | fe | endog ~ z1 + z2"`` (one endogenous regressor).
    data : FlowPanel or DataFrame
    cluster : str, default "orig"
        The cluster variable resampled by the bootstrap.
    reps : int, default 199
    random_seed : int, Generator or None
    progress : bool, default True
        A progress bar over the replications.

    Returns
    -------
    ControlFunctionResults
    """
    parsed = parse_formula(formula)
    if len(parsed.endogenous) != 1:
        raise ModelSpecificationError(
            f"the control function takes one endogenous regressor after the last '|' "
            f"(e.g. '| log_wage_ratio ~ z'); got {len(parsed.endogenous)}"
        )
    if not isinstance(reps, int) or reps < 9:
        raise InvalidOptionError(f"reps={reps!r}; give an integer of at least 9 (e.g. 199)")
    combined = replace(
        parsed,
        terms=(*parsed.terms, *parsed.endogenous, *parsed.instruments),
        endogenous=(),
        instruments=(),
    )
    design = build_design(combined, data, extra_clusters=(cluster,))
    exog_names = [str(t) for t in parsed.terms]
    endog_name = str(parsed.endogenous[0])
    z_names = [str(t) for t in parsed.instruments]
    y = design.y.to_numpy(dtype=float)
    X = design.X[exog_names].to_numpy(dtype=float)
    endog = design.X[endog_name].to_numpy(dtype=float)
    Zi = design.X[z_names].to_numpy(dtype=float)
    codes = design.fe.to_numpy()
    if cluster not in design.clusters.columns:
        raise InvalidOptionError(
            f"cannot resample by {cluster!r}: available {list(design.clusters.columns)}"
        )
    groups = design.clusters[cluster].to_numpy()
    coef, first, f_stat, mu = _two_step(y, X, endog, Zi, codes)
    names = [*exog_names, endog_name, "control_function"]
    rng = as_generator(random_seed)
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    nested = [_nested(codes[:, j], groups) for j in range(codes.shape[1])]
    draws = []
    iterator: Any = range(reps)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="control-function bootstrap", leave=False)
    for _ in iterator:
        pick = rng.integers(0, len(members), len(members))
        rows = np.concatenate([members[g] for g in pick])
        # a resampled cluster is a new cluster: its fixed-effect levels are relabelled per copy
        copy_id = np.repeat(np.arange(len(pick)), [len(members[g]) for g in pick])
        sub_codes = (
            np.column_stack(
                [
                    pd.factorize(
                        codes[rows, j] * len(pick) + copy_id if nested[j] else codes[rows, j]
                    )[0]
                    for j in range(codes.shape[1])
                ]
            )
            if codes.shape[1]
            else codes[rows]
        )
        b, _, _, _ = _two_step(y[rows], X[rows], endog[rows], Zi[rows], sub_codes)
        draws.append(b)
    D = pd.DataFrame(draws, columns=names)
    cov = np.atleast_2d(np.cov(D.to_numpy(), rowvar=False))
    n_clusters = (len(members),)
    est = CovarianceEstimate(
        cov,
        "bootstrap",
        (cluster,),
        n_clusters,
        len(names),
        len(members) - 1,
        (),
        SmallSampleCorrection.none(),
    )
    first_stage = {
        "coef": pd.Series(first, index=[*exog_names, *z_names]),
        "f_stat": f_stat,
        "df": (len(z_names), len(y) - len(first)),
    }
    return ControlFunctionResults(
        pd.Series(coef, index=pd.Index(names, name="parameter")),
        est,
        len(y),
        first_stage=first_stage,
        draws=D,
        observed=y,
        mu=mu,
        model="Control-function PPML",
        depvar=str(parsed.depvar),
    )


def _nested(fe: np.ndarray, groups: np.ndarray) -> bool:
    """Whether a fixed effect's levels sit inside the resampled clusters.

    Then each copy of a resampled cluster gets its own levels, as a new cluster would.
    """
    frame = pd.DataFrame({"fe": fe, "g": groups})
    return bool((frame.groupby("fe")["g"].nunique() == 1).all())
