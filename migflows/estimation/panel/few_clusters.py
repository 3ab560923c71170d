"""Few-cluster inference for panel results: the wild cluster bootstrap behind ``wild_bootstrap``.

The restricted wild cluster bootstrap (WCR) of :mod:`migflows.estimation.core.bootstrap` runs
on the *transformed* regression that linearmodels fits, so that its observed t statistic is the
result's clustered t statistic:

=========  ======================================================================
estimator  transformed regression
=========  ======================================================================
pooled     the data (times the root of the weights)
fe         entity and/or time effects removed by weighted demeaning; every bootstrap
           regression re-estimates them (its residuals are projected off them again)
re         quasi-demeaned data ``y - theta_i ybar_i`` at the estimated ``theta`` (held
           fixed in the bootstrap: Swamy-Arora's variance components are not redrawn)
fd         first differences of adjacent periods (linearmodels' ``FirstDifferenceOLS``)
=========  ======================================================================

The CRV1 factor of the studentizing variance is read from linearmodels' clustered covariance
of the same clusters (one scale for all terms, as linearmodels applies it), so ``boot.stat``
equals ``res.vcov({"cluster": ...}).tstats`` for the restriction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from migflows.errors import InvalidOptionError, MissingColumnError, format_values
from migflows.estimation.core.bootstrap import BootstrapTest, wild_cluster_bootstrap
from migflows.estimation.core.covariance_registry import CLUSTER_SYNONYMS
from migflows.estimation.core.demean import demean
from migflows.estimation.core.hypothesis import restriction_matrix
from migflows.estimation.core.seeds import RandomSeed
from migflows.estimation.panel.design import ENTITY_ALIASES, TIME_ALIASES, PanelDesign

__all__ = ["TransformedRegression", "panel_bootstrap", "transformed_regression"]


@dataclass(frozen=True)
class TransformedRegression:
    """The least-squares problem linearmodels solves for a panel estimator.

    Attributes
    ----------
    X : ndarray (m, k)
        Transformed regressors (weighted: times the root of the weights).
    y : ndarray (m,)
        Transformed dependent variable.
    index : MultiIndex
        (entity, time) of each of the ``m`` rows (for FD: the later period of a difference).
    fe_codes : ndarray (m, G) or None
        Effects the bootstrap regressions re-estimate (FE only).
    weights : ndarray (m,)
        Regression weights (ones without WLS).
    """

    X: NDArray[np.float64]
    y: NDArray[np.float64]
    index: pd.MultiIndex
    fe_codes: NDArray[np.int64] | None
    weights: NDArray[np.float64]


def transformed_regression(
    lm_result: Any, estimator: str, columns: list[str]
) -> TransformedRegression:
    """Rebuild the transformed regression of a fitted linearmodels panel model.

    Parameters
    ----------
    lm_result : linearmodels panel results
    estimator : {"pooled", "fe", "re", "fd"}
    columns : list of str
        The regressors, in the order of the parameters.

    Returns
    -------
    TransformedRegression
    """
    model = lm_result.model
    y = np.asarray(model.dependent.values2d, dtype=float)[:, 0]
    X = np.asarray(model.exog.dataframe[columns], dtype=float)
    w = np.asarray(model.weights.values2d, dtype=float)[:, 0]
    index = model.dependent.index
    root = np.sqrt(w)
    if estimator == "pooled":
        return TransformedRegression(X * root[:, None], y * root, index, None, w)
    if estimator == "fe":
        parts = []
        if getattr(model, "entity_effects", False):
            parts.append(pd.factorize(index.get_level_values(0))[0])
        if getattr(model, "time_effects", False):
            parts.append(pd.factorize(index.get_level_values(1))[0])
        codes = np.column_stack(parts).astype(np.int64) if parts else None
        both = np.column_stack([y, X])
        if codes is not None:
            both = demean(both, codes, weights=w, tol=1e-13, maxiter=100_000).x
        both = both * root[:, None]
        return TransformedRegression(both[:, 1:], both[:, 0], index, codes, w)
    if estimator == "re":
        theta = lm_result.theta["theta"]
        ybar = model.dependent.mean("entity", weights=model.weights)
        xbar = model.exog.mean("entity", weights=model.weights)[columns]
        entity = index.get_level_values(0)
        th = theta.reindex(entity).to_numpy(dtype=float)
        yt = y - th * ybar.reindex(entity).to_numpy(dtype=float)[:, 0]
        Xt = X - th[:, None] * xbar.reindex(entity).to_numpy(dtype=float)
        return TransformedRegression(Xt * root[:, None], yt * root, index, None, w)
    if estimator == "fd":
        if not np.allclose(w, w[0]):
            raise InvalidOptionError(
                "the wild bootstrap of a weighted first-difference fit is not available; "
                "fit without weights=, or use estimator='fe'"
            )
        dy = model.dependent.first_difference().dataframe
        dx = model.exog.first_difference().dataframe[columns]
        dx = dx.loc[dy.index]
        return TransformedRegression(
            dx.to_numpy(dtype=float),
            dy.to_numpy(dtype=float)[:, 0],
            dy.index,
            None,
            np.ones(len(dy)),
        )
    raise InvalidOptionError(
        f"the wild bootstrap is available for estimator 'fe', 're', 'fd' and 'pooled', not "
        f"{estimator!r} (the between estimator has one row per entity: use vcov='robust')"
    )


def _cluster_codes(
    names: list[str], design: PanelDesign, index: pd.MultiIndex
) -> tuple[list[str], NDArray[np.int64]]:
    """Roles (``entity``, ``time`` or a column) and codes of the cluster variables on ``index``."""
    roles, codes = [], []
    frame = design.frame.reindex(index)
    for name in names:
        column = CLUSTER_SYNONYMS.get(name, name)
        if name in (*ENTITY_ALIASES, design.entity):
            roles.append("entity")
            codes.append(pd.factorize(index.get_level_values(0))[0])
        elif name in (*TIME_ALIASES, design.time):
            roles.append("time")
            codes.append(pd.factorize(index.get_level_values(1))[0])
        elif name in frame.columns or column in frame.columns:
            col = name if name in frame.columns else column
            roles.append(name)
            codes.append(pd.factorize(frame[col])[0])
        else:
            raise MissingColumnError(
                f"cannot cluster the bootstrap by {name!r}: use 'entity', 'time' or a column "
                f"of the data ({format_values(map(str, design.frame.columns), limit=12)})."
            )
    return roles, np.column_stack(codes).astype(np.int64)


def panel_bootstrap(
    res: Any,
    design: PanelDesign,
    restriction: str,
    *,
    cluster: str | None = None,
    weights: str = "rademacher",
    reps: int = 9999,
    level: float = 0.95,
    random_seed: RandomSeed = None,
) -> BootstrapTest:
    """The bootstrap of :meth:`PanelResults.wild_bootstrap` (see there)."""
    if cluster is None:
        if res.covariance.kind != "CRV1":
            raise InvalidOptionError(
                f"the covariance is {res.vcov_type}, not clustered; pass cluster='entity' "
                "(or 'time', 'entity+time', a column)"
            )
        names = list(res.covariance.clusters)
    else:
        names = [c.strip() for c in str(cluster).replace("^", "+").split("+") if c.strip()]
    if len(names) not in (1, 2):
        raise InvalidOptionError(f"cluster={cluster!r}: give one or two cluster variables")
    params = res.params
    columns = [str(c) for c in params.index]
    reg = transformed_regression(res.linearmodels, res.estimator, columns)
    roles, codes = _cluster_codes(names, design, reg.index)
    R, q = restriction_matrix(restriction, columns)
    if R.shape[0] != 1:
        raise InvalidOptionError(
            f"the bootstrap tests one restriction at a time; got {R.shape[0]} in {restriction!r}"
        )
    r = R[0]
    # the CRV1 scale of linearmodels for these clusters, from its covariance of r'b
    crv = res.vcov({"cluster": "+".join(names)})
    Hinv = np.linalg.inv(reg.X.T @ reg.X)
    beta = Hinv @ (reg.X.T @ reg.y)
    resid = reg.y - reg.X @ beta
    a = (reg.X * resid[:, None]) @ (Hinv @ r)
    raw = 0.0
    groups = [codes[:, j] for j in range(codes.shape[1])]
    signs = [1.0]
    if len(groups) == 2:
        groups.append(pd.factorize(pd.MultiIndex.from_arrays([codes[:, 0], codes[:, 1]]))[0])
        signs = [1.0, 1.0, -1.0]
    for g, sign in zip(groups, signs, strict=True):
        raw += sign * float((np.bincount(g, weights=a) ** 2).sum())
    factor = float(r @ crv.cov.to_numpy() @ r) / raw
    return wild_cluster_bootstrap(
        reg.X,
        reg.y,
        codes,
        r,
        float(q[0]),
        cluster_names=roles,
        weights=weights,
        reps=reps,
        level=level,
        factors=(factor,) * len(signs),
        random_seed=random_seed,
        restriction=restriction,
        fe_codes=reg.fe_codes,
        fe_weights=reg.weights,
    )
