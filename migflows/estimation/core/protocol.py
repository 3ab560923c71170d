"""The results protocol: what tables, plots and the report may rely on in any fitted model.

Every regression-like results class of migflows (gravity, SIM, panel, Bayesian gravity)
satisfies :class:`ResultsProtocol`. Consumers (``migflows.reports``) read only these members,
never strings inside a result (such as a covariance label) and never private attributes.

How to read the uncertainty members is stated by :attr:`ResultsProtocol.inference`:

``"frequentist"``
    ``std_errors`` are standard errors under the result's covariance (``vcov_type``),
    ``pvalues`` are p-values, ``conf_int`` gives confidence intervals.
``"bayesian"``
    ``params`` are posterior means, ``std_errors`` posterior standard deviations,
    ``conf_int`` equal-tailed credible intervals; there are no p-values (``pvalues`` is NaN),
    so tables print no significance stars.

Fixed effects are named by :attr:`ResultsProtocol.fixed_effects` (as written in the formula,
e.g. ``("orig^year", "dest^year")``); those estimated with partial pooling (Bayesian group
effects) are also listed in :attr:`ResultsProtocol.pooled_effects`.

Examples
--------
>>> import migflows
>>> kz = migflows.load_kazakhstan(years=[2021])
>>> res = migflows.gravity("flow ~ log_dist | orig + dest", kz)
>>> isinstance(res, ResultsProtocol), res.inference, res.fixed_effects
(True, 'frequentist', ('orig', 'dest'))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import pandas as pd

__all__ = ["Inference", "ResultsProtocol", "SummaryProtocol"]

Inference = Literal["frequentist", "bayesian"]


@runtime_checkable
class SummaryProtocol(Protocol):
    """A printable summary that renders in Jupyter (``str`` and ``_repr_html_``)."""

    def _repr_html_(self) -> str:
        """HTML for Jupyter."""


@runtime_checkable
class ResultsProtocol(Protocol):
    """Members every fitted regression-like model exposes (see the module docstring).

    Attributes and methods
    ----------------------
    params, std_errors, tstats, pvalues : Series
        Labelled by coefficient name.
    cov : DataFrame
        Covariance of ``params`` (posterior covariance for Bayesian results).
    nobs : int
        Observations used.
    vcov_type : str
        Human-readable label of the covariance (for display only, never parsed).
    inference : {"frequentist", "bayesian"}
        How to read the uncertainty members.
    fixed_effects, pooled_effects : tuple of str
        Absorbed (or estimated) fixed effects, and the subset that is partially pooled.
    stats : Mapping
        Fit statistics by name (``"deviance"``, ``"r2"``, ``"loo"``, ...), numbers or None.
    fitted : DataFrame
        One row per estimation-sample row: key columns, ``observed`` and ``fitted`` (response
        scale, effects included).
    resid : Series
        ``observed - fitted`` in the same row order.
    effects : Mapping
        Estimated fixed (or group) effects by effect name, each indexed by level.
    summary
        A printable table (``print(res.summary)``; renders in Jupyter).
    conf_int(level), to_frame(level)
        Interval bounds ``lower``/``upper``; one table of everything above.
    """

    @property
    def params(self) -> pd.Series:
        """Estimates (posterior means for Bayesian results)."""

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors (posterior standard deviations)."""

    @property
    def tstats(self) -> pd.Series:
        """``params / std_errors`` (NaN for Bayesian results)."""

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values (NaN for Bayesian results)."""

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of ``params``."""

    @property
    def nobs(self) -> int:
        """Observations used."""

    @property
    def vcov_type(self) -> str:
        """Label of the covariance, for display only."""

    @property
    def inference(self) -> Inference:
        """``"frequentist"`` or ``"bayesian"``: how to read the uncertainty members."""

    @property
    def fixed_effects(self) -> tuple[str, ...]:
        """Absorbed (or estimated) effects as written in the formula."""

    @property
    def pooled_effects(self) -> tuple[str, ...]:
        """The subset of ``fixed_effects`` estimated with partial pooling."""

    @property
    def stats(self) -> Mapping[str, Any]:
        """Fit statistics by name."""

    @property
    def summary(self) -> Any:
        """A printable summary table."""

    @property
    def fitted(self) -> pd.DataFrame:
        """Observed and fitted values of the estimation sample."""

    @property
    def resid(self) -> pd.Series:
        """Response residuals ``observed - fitted``."""

    @property
    def effects(self) -> Mapping[str, Any]:
        """Estimated effects by name, each indexed by level."""

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Interval bounds ``lower``/``upper`` at ``level``."""

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Every per-coefficient quantity in one table."""
