"""Shared base class for regression results (gravity and panel families).

A results object is immutable: it is built once by an estimator, exposes labelled pandas
objects under the project's vocabulary (``params``, ``std_errors``, ``tstats``, ``pvalues``,
``cov``, ``conf_int(level)``, ``to_frame()``, ``summary``, ``nobs``) and computes derived
quantities lazily (``functools.cached_property``). The covariance can be changed after fitting
without refitting — ``res.vcov("hetero")`` or ``res.vcov({"CRV1": "orig"})`` returns a *new*
results object (fixest semantics) — because the result keeps the Hessian and the scores
(:class:`SandwichPieces`).

Subclasses (``GravityResults``, panel results) add model-specific fit statistics by overriding
:meth:`RegressionResults._fit_stats` and keep everything else.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 2))
>>> pieces = SandwichPieces(hessian=X.T @ X, scores=X * rng.normal(size=(200, 1)), nobs=200)
>>> res = RegressionResults.from_pieces(pd.Index(["a", "b"]), np.array([0.5, -1.0]), pieces)
>>> res.std_errors.name, res.vcov_type
('std_errors', 'hetero')
>>> res.vcov("iid").vcov_type
'iid'
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from migflows.errors import InvalidOptionError
from migflows.estimation.core.cluster_adjusted import LinearPieces
from migflows.estimation.core.covariance import (
    CovarianceEstimate,
    CovarianceLabel,
    CovarianceSpec,
    SmallSampleCorrection,
    parse_covariance,
    resolve_clusters,
    sandwich,
)
from migflows.estimation.core.hypothesis import HypothesisMixin
from migflows.estimation.core.protocol import Inference
from migflows.estimation.core.readonly import ReadOnlyResults
from migflows.estimation.core.summary import SummaryTable

__all__ = [
    "RegressionResults",
    "SandwichPieces",
    "SummaryTable",
    "response_residuals",
    "solve_fixef",
]


@dataclass(frozen=True)
class SandwichPieces:
    """What a result keeps to recompute its covariance without refitting.

    Attributes
    ----------
    hessian : ndarray (k, k)
        Minus the Hessian of the objective in the partialled-out regressors.
    scores : ndarray (n, k)
        Per-observation score contributions at the estimate.
    nobs : int
        Observations in the estimation sample.
    fe_codes : ndarray (n, G) of int, optional
        Absorbed fixed effects (for degrees of freedom and nesting).
    clusters : DataFrame, optional
        Candidate cluster variables on the estimation sample (e.g. orig, dest, pair).
    iid_scale : float
        Dispersion used by ``"iid"`` (1 for Poisson).
    linear : LinearPieces, optional
        Least-squares design and residuals, for the CR2/CR3 covariances.
    """

    hessian: NDArray[np.float64]
    scores: NDArray[np.float64]
    nobs: int
    fe_codes: NDArray[np.int64] | None = None
    clusters: pd.DataFrame | None = field(default=None, repr=False)
    iid_scale: float = 1.0
    linear: LinearPieces | None = field(default=None, repr=False)


class RegressionResults(HypothesisMixin, ReadOnlyResults):
    """Immutable regression results with switchable covariance.

    Parameters
    ----------
    params : Series
        Estimates, indexed by regressor name.
    cov : CovarianceEstimate
        Covariance and the facts needed to report it.
    nobs : int
        Observations used.
    pieces : SandwichPieces, optional
        Kept to recompute the covariance with :meth:`vcov`; without them :meth:`vcov` raises.
    use_t : bool, default False
        p-values and intervals from Student t with ``df_t`` degrees of freedom (linear models)
        instead of the normal distribution (PPML and other M-estimators, as fixest/pyfixest).
    model : str
        A short model label for summaries (``"PPML"``).
    depvar : str
        Dependent variable.
    """

    #: Family whose registered covariance kinds :meth:`vcov` accepts (see
    #: :func:`~migflows.estimation.core.covariance.parse_covariance`).
    covariance_family: ClassVar[str] = "gravity"

    def __init__(
        self,
        params: pd.Series,
        cov: CovarianceEstimate,
        nobs: int,
        *,
        pieces: SandwichPieces | None = None,
        use_t: bool = False,
        model: str = "",
        depvar: str = "",
    ) -> None:
        k = len(params)
        if cov.cov.shape != (k, k):
            raise InvalidOptionError(
                f"covariance has shape {cov.cov.shape} for {k} parameters; they must match"
            )
        self._params = params.astype(np.float64).rename("params")
        self._cov = cov
        self._nobs = int(nobs)
        self._pieces = pieces
        self._use_t = bool(use_t)
        self._model = model
        self._depvar = depvar
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(
                f"{type(self).__name__} is immutable; use .vcov(...) for another covariance"
            )
        object.__setattr__(self, name, value)

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_pieces(
        cls,
        names: Sequence[str] | pd.Index,
        coef: NDArray[np.float64],
        pieces: SandwichPieces,
        vcov: str | Mapping[str, Any] | CovarianceSpec = "hetero",
        *,
        ssc: SmallSampleCorrection | None = None,
        **kwargs: Any,
    ) -> RegressionResults:
        """Build results from estimates and sandwich pieces, computing the covariance.

        Parameters
        ----------
        names : sequence of str
            Parameter names.
        coef : ndarray (k,)
            Estimates.
        pieces : SandwichPieces
        vcov : str or dict, default "hetero"
            See :func:`migflows.estimation.core.covariance.parse_covariance` (validated for
            the class's :attr:`covariance_family`).
        ssc : SmallSampleCorrection, optional
            Default :meth:`SmallSampleCorrection.fixest`.
        **kwargs
            Passed to the constructor (``use_t``, ``model``, ``depvar`` and subclass extras).

        Returns
        -------
        RegressionResults
            Or the subclass it is called on.
        """
        index = pd.Index(list(names), name="parameter")
        cov = cls._compute_cov(pieces, vcov, ssc, len(index), cls.covariance_family)
        return cls(pd.Series(coef, index=index), cov, pieces.nobs, pieces=pieces, **kwargs)

    @staticmethod
    def _compute_cov(
        pieces: SandwichPieces,
        vcov: str | Mapping[str, Any] | CovarianceSpec,
        ssc: SmallSampleCorrection | None,
        k: int,
        family: str = "gravity",
    ) -> CovarianceEstimate:
        spec = parse_covariance(vcov, family=family)
        if spec.clusters:
            available = [] if pieces.clusters is None else list(pieces.clusters.columns)
            resolve_clusters(spec.clusters, available)
        return sandwich(
            pieces.hessian,
            pieces.scores,
            spec,
            nobs=pieces.nobs,
            k=k,
            fe_codes=pieces.fe_codes,
            clusters=pieces.clusters,
            ssc=ssc,
            iid_scale=pieces.iid_scale,
            family=family,
            linear=pieces.linear,
        )

    def vcov(
        self,
        vcov: str | Mapping[str, Any] | CovarianceSpec,
        *,
        ssc: SmallSampleCorrection | None = None,
    ) -> RegressionResults:
        """Return a copy of these results with another covariance (no refitting).

        Parameters
        ----------
        vcov : str or dict
            ``"iid"``, ``"hetero"``, ``{"CRV1": "orig"}``, ``{"CRV1": "orig+dest"}`` or any
            alias the covariance registry knows for this family (``"robust"``,
            ``{"cluster": "origin"}`` …).
        ssc : SmallSampleCorrection, optional
            Small-sample convention; defaults to the one of the current covariance.

        Returns
        -------
        RegressionResults
            Same class as ``self``; ``self`` is unchanged.

        Raises
        ------
        InvalidOptionError
            The result does not keep the pieces, or ``vcov`` is not understood.
        MissingColumnError
            The cluster variable is not among those kept.
        """
        if self._pieces is None:
            raise InvalidOptionError(
                f"this {type(self).__name__} keeps no Hessian/scores; the covariance cannot "
                "be changed without refitting"
            )
        cov = self._compute_cov(
            self._pieces, vcov, ssc or self._cov.ssc, len(self._params), self.covariance_family
        )
        new = copy.copy(self)
        for name in list(new.__dict__):
            if isinstance(getattr(type(new), name, None), cached_property):
                del new.__dict__[name]
        object.__setattr__(new, "_cov", cov)
        return new

    # -- vocabulary ----------------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Estimated parameters."""
        return self._params.copy()

    @property
    def nobs(self) -> int:
        """Observations used."""
        return self._nobs

    @property
    def df_resid(self) -> int:
        """Residual degrees of freedom ``N - K`` (``K`` including counted fixed effects)."""
        return self._nobs - self._cov.df_k

    @property
    def df_t(self) -> int:
        """Degrees of freedom of t tests (``N - K``, or ``min(G) - 1`` when clustered)."""
        return self._cov.df_t

    @property
    def use_t(self) -> bool:
        """Whether tests and intervals use Student t / F with ``df_t`` degrees of freedom."""
        return self._use_t

    @property
    def vcov_type(self) -> CovarianceLabel:
        """Label of the covariance in the canonical vocabulary, e.g. ``'CRV1 (orig & dest)'``.

        A string that also compares equal to the same covariance spelled with registered
        aliases (``'clustered (orig & dest)'``); see
        :class:`~migflows.estimation.core.covariance.CovarianceLabel`.
        """
        return self._cov.label

    @property
    def covariance(self) -> CovarianceEstimate:
        """The covariance estimate with its small-sample facts."""
        return self._cov

    # -- results protocol (migflows.estimation.core.protocol) ----------------------------------
    @property
    def inference(self) -> Inference:
        """``"frequentist"``: standard errors, p-values and confidence intervals."""
        return "frequentist"

    @property
    def resid(self) -> pd.Series:
        """Response residuals ``observed - fitted`` (n,), aligned with the rows of ``fitted``."""
        return response_residuals(self.fitted)

    @property
    def fixed_effects(self) -> tuple[str, ...]:
        """Absorbed fixed effects as written in the formula (none here; subclasses say)."""
        return ()

    @property
    def pooled_effects(self) -> tuple[str, ...]:
        """Partially pooled effects (none for frequentist models)."""
        return ()

    @property
    def stats(self) -> dict[str, Any]:
        """Fit statistics by name (those of the summary header)."""
        return dict(self._fit_stats())

    @cached_property
    def cov(self) -> pd.DataFrame:
        """Covariance matrix of the parameters."""
        idx = self._params.index
        return pd.DataFrame(self._cov.cov, index=idx, columns=idx)

    @cached_property
    def std_errors(self) -> pd.Series:
        """Standard errors."""
        return pd.Series(
            np.sqrt(np.diag(self._cov.cov)), index=self._params.index, name="std_errors"
        )

    @cached_property
    def tstats(self) -> pd.Series:
        """Parameter over standard error."""
        return (self._params / self.std_errors).rename("tstats")

    @cached_property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values (normal, or Student t when ``use_t``)."""
        t = np.abs(self.tstats.to_numpy())
        p = 2 * stats.t.sf(t, self.df_t) if self._use_t else 2 * stats.norm.sf(t)
        return pd.Series(p, index=self._params.index, name="pvalues")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals.

        Parameters
        ----------
        level : float, default 0.95
            Coverage, strictly between 0 and 1.

        Returns
        -------
        DataFrame
            Columns ``lower`` and ``upper``.
        """
        if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
            raise InvalidOptionError(f"level={level!r} must be strictly between 0 and 1")
        q = 0.5 + level / 2
        crit = stats.t.ppf(q, self.df_t) if self._use_t else stats.norm.ppf(q)
        half = crit * self.std_errors
        return pd.DataFrame({"lower": self._params - half, "upper": self._params + half})

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Parameters, standard errors, statistics and confidence bounds in one table."""
        return pd.concat(
            [self.params, self.std_errors, self.tstats, self.pvalues, self.conf_int(level)],
            axis=1,
        )

    def _fit_stats(self) -> dict[str, Any]:
        """Model-specific statistics for the summary header (override in subclasses)."""
        return {}

    @cached_property
    def summary(self) -> SummaryTable:
        """Plain summary table (``print`` it, or let Jupyter render it)."""
        header: list[tuple[str, Any]] = []
        if self._depvar:
            header.append(("Dependent variable", self._depvar))
        header += [("Observations", self._nobs), ("Covariance", self.vcov_type)]
        header += list(self._fit_stats().items())
        title = f"{self._model} results" if self._model else "Regression results"
        return SummaryTable(title, tuple(header), self.to_frame())

    def __str__(self) -> str:
        return str(self.summary)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__}: {self._model or 'model'}, {len(self._params)} parameters, "
            f"nobs={self._nobs}, vcov={self.vcov_type}>"
        )

    def _repr_html_(self) -> str:
        return self.summary._repr_html_()


def solve_fixef(part: NDArray[np.float64], codes: NDArray[np.int64]) -> list[NDArray[np.float64]]:
    """Split a sum of fixed effects per observation into the effects of each factor.

    ``part[i] = sum_j effect_j[codes[i, j]]``; solved by alternating projections
    (Gauss–Seidel on the normal equations): the part lies in the span of the dummies, so the
    iteration converges to an exact decomposition. Written by hand because it is a dozen
    lines on integer codes, where a sparse least-squares solver would need the dummy matrix.
    Normalised so that every effect but the first has mean zero over its levels (effects are
    identified only up to such constants; their sum is not).

    Parameters
    ----------
    part : ndarray (n,)
        Fixed-effect part of the linear predictor.
    codes : ndarray (n, G) of int
        Level codes ``0 … L_j - 1`` of each factor.

    Returns
    -------
    list of ndarray
        One array of ``L_j`` effects per factor.

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> [e.round(6).tolist() for e in solve_fixef(np.array([1.0, 3.0, 2.0, 4.0]), codes)]
    [[2.0, 3.0], [-1.0, 1.0]]
    """
    g = codes.shape[1]
    effects = [np.zeros(int(codes[:, j].max()) + 1) for j in range(g)]
    resid = part.astype(float).copy()
    counts = [np.bincount(codes[:, j]) for j in range(g)]
    for _ in range(10_000):
        change = 0.0
        for j in range(g):
            step = np.bincount(codes[:, j], weights=resid) / counts[j]
            effects[j] += step
            resid -= step[codes[:, j]]
            change = max(change, float(np.abs(step).max()))
        if change < 1e-12:
            break
    for j in range(1, g):  # normalise: mean zero for all but the first
        m = effects[j].mean()
        effects[j] -= m
        effects[0] += m
    return effects


def response_residuals(fitted: pd.DataFrame) -> pd.Series:
    """``observed - fitted`` of a results' ``fitted`` frame, named ``resid``.

    The one definition behind every family's :attr:`resid` (results protocol).

    Examples
    --------
    >>> response_residuals(pd.DataFrame({"observed": [3.0, 1.0], "fitted": [2.5, 1.5]})).tolist()
    [0.5, -0.5]
    """
    return (fitted["observed"] - fitted["fitted"]).rename("resid")
