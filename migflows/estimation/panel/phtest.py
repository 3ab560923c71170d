"""The Hausman test of fixed against random effects (``plm::phtest``)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from migflows.errors import InvalidOptionError, MigflowsWarning, ModelSpecificationError
from migflows.estimation.panel.results import PanelResults, TestStatistic

__all__ = ["HausmanWarning", "hausman"]


class HausmanWarning(MigflowsWarning):
    """The Hausman covariance difference is not positive definite."""


def hausman(fe: PanelResults, re: PanelResults) -> TestStatistic:
    """Hausman test of fixed against random effects, as ``plm::phtest``.

    ``H = (b_FE - b_RE)' [V_FE - V_RE]^{-1} (b_FE - b_RE)`` over the slopes both models
    estimate, chi-squared with as many degrees of freedom. Under the null (the entity effects
    are uncorrelated with the regressors) both estimators are consistent and RE is efficient.
    The covariances are those of the results as passed: the classical test uses
    ``vcov="unadjusted"`` for both (what ``phtest`` does by default); with robust covariances
    the difference need not be positive definite (a :class:`HausmanWarning` says so).

    Parameters
    ----------
    fe, re : PanelResults
        Results with ``estimator="fe"`` and ``estimator="re"`` on the same data.

    Returns
    -------
    TestStatistic
        ``statistic``, ``df``, ``pvalue``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import migflows.estimation.panel.api as P
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(30), 5), "t": np.tile(np.arange(5), 30)})
    >>> df["x"] = rng.normal(size=150)
    >>> df["y"] = df["x"] + np.repeat(rng.normal(size=30), 5) + rng.normal(size=150)
    >>> fe = P.panel("y ~ x | entity", df, entity="id", time="t", vcov="unadjusted")
    >>> re = P.panel("y ~ x", df, entity="id", time="t", estimator="re", vcov="unadjusted")
    >>> h = P.hausman(fe, re)
    >>> h.df, bool(0 <= h.pvalue <= 1)
    (1, True)
    """
    if not isinstance(fe, PanelResults) or not isinstance(re, PanelResults):
        raise InvalidOptionError("hausman() takes two PanelResults (fixed and random effects).")
    if fe.estimator != "fe" or re.estimator != "re":
        raise InvalidOptionError(
            f"hausman(fe, re) needs a fixed-effects and a random-effects result, got "
            f"estimator={fe.estimator!r} and {re.estimator!r}."
        )
    common = [c for c in fe.params.index if c in re.params.index]
    if not common:
        raise ModelSpecificationError("the two models have no slope in common.")
    d = (fe.params[common] - re.params[common]).to_numpy()
    v = fe.cov.loc[common, common].to_numpy() - re.cov.loc[common, common].to_numpy()
    eig = np.linalg.eigvalsh((v + v.T) / 2)
    if eig.min() <= 0:
        warnings.warn(
            "V_FE - V_RE is not positive definite (smallest eigenvalue "
            f"{eig.min():.3g}); the Hausman statistic may be negative or unreliable. Use "
            "vcov='unadjusted' for both models, or a regression-based (robust) version.",
            HausmanWarning,
            stacklevel=2,
        )
    stat = float(d @ np.linalg.solve(v, d))
    df = len(common)
    return TestStatistic(
        "Hausman",
        stat,
        float(stats.chi2.sf(stat, df)),
        df,
        None,
        "chi2",
        "the entity effects are uncorrelated with the regressors (RE consistent)",
    )
