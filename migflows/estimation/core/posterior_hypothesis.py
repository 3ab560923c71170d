"""Linear hypotheses on a posterior: the Bayesian versions of ``wald_test`` and ``t_test``.

Same restriction syntax as :mod:`migflows.estimation.core.hypothesis`; computed from the
posterior draws of the slopes. ``t_test`` gives the posterior mean, standard deviation and
equal-tailed credible interval of each combination ``r' beta - q`` with the posterior
probability that it is positive. ``wald_test`` gives the Wald-type distance of ``q`` from
the posterior (mean and covariance of ``R beta``) with its chi-squared tail, and the
posterior tail probability: the share of draws farther (in that metric) from the posterior
mean than the null value is — small when the null lies outside the bulk of the posterior.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> draws = pd.DataFrame({"a": rng.normal(1, 0.1, 4000), "b": rng.normal(0, 0.1, 4000)})
>>> out = posterior_t_test(draws, "a + b = 1")
>>> round(float(out["estimate"].iloc[0]), 1), round(float(out["std_error"].iloc[0]), 2)
(0.0, 0.14)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from migflows.errors import InvalidOptionError
from migflows.estimation.core.hypothesis import (
    Restriction,
    WaldTestResult,
    linear_combinations,
    restriction_matrix,
    wald_test,
)

__all__ = ["PosteriorHypothesisMixin", "posterior_t_test", "posterior_wald_test"]


def posterior_t_test(
    draws: pd.DataFrame, restriction: Restriction, value: Any = None, *, level: float = 0.95
) -> pd.DataFrame:
    """Posterior summaries of linear combinations ``r' beta - q``.

    Returns
    -------
    DataFrame
        By restriction: ``estimate`` (posterior mean), ``std_error`` (posterior sd),
        ``lower``/``upper`` (equal-tailed credible interval) and ``prob_positive``.
    """
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise InvalidOptionError(f"level={level!r} must be strictly between 0 and 1")
    names = [str(c) for c in draws.columns]
    R, q = restriction_matrix(restriction, names, value)
    combos = draws.to_numpy(dtype=float) @ R.T - q  # (draws, m)
    labels = linear_combinations(draws.mean(axis=0).set_axis(names), np.eye(len(names)), R, q).index
    tail = (1 - level) / 2
    return pd.DataFrame(
        {
            "estimate": combos.mean(axis=0),
            "std_error": combos.std(axis=0, ddof=1),
            "lower": np.quantile(combos, tail, axis=0),
            "upper": np.quantile(combos, 1 - tail, axis=0),
            "prob_positive": (combos > 0).mean(axis=0),
        },
        index=labels,
    )


def posterior_wald_test(
    draws: pd.DataFrame, restriction: Restriction, value: Any = None
) -> tuple[WaldTestResult, float]:
    """Wald-type distance of the null from the posterior and the posterior tail probability.

    Returns
    -------
    WaldTestResult
        ``stat`` = ``(E[R b] - q)' Cov[R b]^-1 (E[R b] - q)`` with its chi-squared tail,
        covariance ``"posterior"``.
    float
        Share of draws whose distance from the posterior mean exceeds that of ``q``.
    """
    names = [str(c) for c in draws.columns]
    R, q = restriction_matrix(restriction, names, value)
    mean = draws.mean(axis=0).to_numpy()
    cov = draws.cov().to_numpy()
    test = wald_test(mean, cov, R, q, names=names, covariance="posterior")
    combos = draws.to_numpy(dtype=float) @ R.T
    centre = combos.mean(axis=0)
    inv = np.linalg.inv(np.atleast_2d(np.cov(combos, rowvar=False)))
    dist = np.einsum("ij,jk,ik->i", combos - centre, inv, combos - centre)
    return test, float((dist > test.stat).mean())


class PosteriorHypothesisMixin:
    """``wald_test`` and ``t_test`` for results with posterior ``draws`` of the slopes."""

    draws: Any

    def t_test(
        self, restriction: Restriction, value: Any = None, *, level: float = 0.95
    ) -> pd.DataFrame:
        """Posterior mean, sd, credible interval and P(> 0) of linear combinations.

        See :func:`posterior_t_test`; ``"log_dist + contig = 0"`` summarises
        ``log_dist + contig``.
        """
        return posterior_t_test(self.draws, restriction, value, level=level)

    def wald_test(
        self,
        restriction: Restriction | None = None,
        value: Any = None,
        *,
        formula: str | None = None,
    ) -> WaldTestResult:
        """Wald-type test of ``R beta = q`` against the posterior (see :func:`posterior_wald_test`).

        ``pval`` is the posterior tail probability (share of draws farther from the
        posterior mean than the null); the chi-squared tail of ``stat`` is
        ``scipy.stats.chi2.sf(stat, df)``.
        """
        if (restriction is None) == (formula is None):
            raise InvalidOptionError(
                "give either restriction= (a matrix or text) or formula= (text such as "
                "'log_dist = -1'), not both or neither"
            )
        spec = formula if formula is not None else restriction
        assert spec is not None  # for mypy
        test, tail = posterior_wald_test(self.draws, spec, value)
        return WaldTestResult(
            test.stat, tail, test.df, None, "posterior", test.null, "posterior", test.R, test.q
        )
