"""Sandwich covariance estimators with switchable small-sample corrections.

Every estimator here works on the pieces a fitted model keeps: the Hessian ``H`` of the
(pseudo) log-likelihood in the regressors after the fixed effects are partialled out, and the
per-observation scores ``s_i`` (for PPML ``s_i = w_i (y_i - mu_i) x~_i``). Then

* ``iid``:    ``V = c * scale * H^-1``  (``scale`` = 1 for Poisson, ``sigma^2`` for OLS)
* ``hetero``: ``V = c * H^-1 (sum_i s_i s_i') H^-1``                       (HC1)
* ``CRV1``:   ``V = c * H^-1 (sum_g S_g S_g') H^-1``, ``S_g = sum_{i in g} s_i``
* two-way:    ``V = V_1 + V_2 - V_12`` (Cameron, Gelbach & Miller 2011), ``V_12`` clustered on
  the intersection of both variables.

The small-sample factor ``c`` is set by :class:`SmallSampleCorrection`:

``k_adj``
    multiply by ``(N-1)/(N-K)`` (iid, clustered) or ``N/(N-K)`` (hetero).
``k_fixef``
    which fixed-effect parameters count in ``K``: ``"none"``; ``"full"`` (all levels minus
    the redundant ones); ``"nonnested"`` (as ``"full"`` but, for clustered errors, without the
    levels of fixed effects nested in a cluster variable; one is added back per such effect).
``redundant``
    how redundant fixed-effect levels are counted: ``"fixest"`` (one per fixed effect after the
    first, as fixest/pyfixest do) or ``"pairwise"`` (reghdfe's default: the connected
    components of the first two fixed effects, plus one per further fixed effect).
``G_adj`` / ``G_df``
    multiply by ``G/(G-1)`` for clustered errors; with two-way clustering ``"min"`` uses the
    smaller number of clusters for every term, ``"conventional"`` each term's own ``G``.

Which kinds exist, their aliases (fixest, linearmodels, statsmodels, plm names) and the
families that support them live in the registry
(:mod:`migflows.estimation.core.covariance_registry`); this module registers ``iid``,
``hetero``, ``CRV1`` (with their sandwich functions for the ``gravity`` and ``sim``
families) and ``driscoll_kraay`` (computed by the ``panel`` family through linearmodels).
A new kind is one :func:`register_covariance` call with a function of
(:class:`SandwichInputs`, :class:`CovarianceSpec`).

Presets: :meth:`SmallSampleCorrection.fixest` is the default of R fixest >= 0.10 and pyfixest
(``ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE, cluster.df="min")``) and is what the tests
compare with pyfixest. :meth:`SmallSampleCorrection.stata` follows reghdfe/ppmlhdfe: the same
factors, but redundant levels counted by connectivity (``"pairwise"``), so ``K`` is smaller
when the bipartite graph of the first two fixed effects is not connected. It is not verified
against Stata here (no Stata available); the arithmetic is tested directly.

Why hand-written: linearmodels and statsmodels only cover models they estimate themselves,
and pyfixest's covariance code lives inside its model classes; these are a few lines of matrix
algebra on arrays we already hold.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(100, 2))
>>> scores = X * rng.normal(size=(100, 1))
>>> est = sandwich(X.T @ X, scores, "hetero", nobs=100, k=2)
>>> est.cov.shape, est.kind
((2, 2), 'hetero')
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import linalg

from migflows.errors import (
    EstimationError,
    InvalidOptionError,
    MissingValueError,
)
from migflows.estimation.core.covariance_registry import (
    CovarianceLabel,
    CovarianceSpec,
    covariance_kinds,
    covariance_method,
    implement_covariance,
    parse_covariance,
    register_covariance,
    resolve_clusters,
    unregister_covariance,
)
from migflows.estimation.core.fixef_rank import redundant_levels

__all__ = [
    "CovarianceEstimate",
    "CovarianceLabel",
    "CovarianceSpec",
    "SandwichInputs",
    "SmallSampleCorrection",
    "count_fixef_parameters",
    "covariance_kinds",
    "covariance_method",
    "implement_covariance",
    "parse_covariance",
    "register_covariance",
    "resolve_clusters",
    "sandwich",
    "unregister_covariance",
]

#: Families whose covariances are sandwiches of a Hessian and scores (this module's functions).
SANDWICH_FAMILIES: tuple[str, ...] = ("gravity", "sim")


@dataclass(frozen=True, slots=True)
class SmallSampleCorrection:
    """Small-sample correction of a sandwich covariance (see the module docstring).

    Examples
    --------
    >>> SmallSampleCorrection().redundant
    'exact'
    >>> SmallSampleCorrection.stata().redundant
    'pairwise'
    """

    k_adj: bool = True
    k_fixef: Literal["none", "nonnested", "full"] = "nonnested"
    redundant: Literal["exact", "fixest", "pairwise"] = "exact"
    G_adj: bool = True
    G_df: Literal["min", "conventional"] = "min"

    def __post_init__(self) -> None:
        checks = {
            "k_fixef": ("none", "nonnested", "full"),
            "redundant": ("exact", "fixest", "pairwise"),
            "G_df": ("min", "conventional"),
        }
        for name, allowed in checks.items():
            if getattr(self, name) not in allowed:
                raise InvalidOptionError(
                    f"SmallSampleCorrection({name}={getattr(self, name)!r}) is not allowed; "
                    f"choose one of {list(allowed)}"
                )

    @classmethod
    def fixest(cls) -> SmallSampleCorrection:
        """Factors of R fixest and pyfixest, fixed effects counted exactly.

        The exact count is what R fixest gives with ``ssc(fixef.force_exact = TRUE)`` and
        what ``lm``/``glm`` with dummies give (their rank); it equals fixest's default count
        whenever the first two fixed effects form one connected graph and no further fixed
        effect is redundant. ``SmallSampleCorrection(redundant="fixest")`` is pyfixest's
        count (one redundant level per fixed effect after the first).
        """
        return cls()

    @classmethod
    def stata(cls) -> SmallSampleCorrection:
        """Conventions of reghdfe / ppmlhdfe (redundant levels by connectivity)."""
        return cls(redundant="pairwise")

    @classmethod
    def none(cls) -> SmallSampleCorrection:
        """No small-sample correction at all."""
        return cls(k_adj=False, k_fixef="none", G_adj=False)


@dataclass(frozen=True, slots=True)
class CovarianceEstimate:
    """A covariance matrix with what is needed to report it.

    Attributes
    ----------
    cov : ndarray (k, k)
    kind : str
        Canonical name from the covariance registry (``"iid"``, ``"hetero"``, ``"CRV1"``,
        ``"driscoll_kraay"``), the same in every family.
    clusters : tuple of str
        Cluster variable names (empty unless clustered).
    n_clusters : tuple of int
        Number of clusters per variable (and their intersection for two-way).
    df_k : int
        ``K`` used in the small-sample factor.
    df_t : int
        Degrees of freedom for t tests: ``N - K`` (iid, hetero) or ``min(G) - 1`` (clustered).
    factors : tuple of float
        Small-sample factor applied to each term.
    ssc : SmallSampleCorrection
    options : tuple of (name, value)
        Further settings of the kind (``(("bandwidth", 2.0),)`` for Driscoll-Kraay).
    """

    cov: NDArray[np.float64]
    kind: str
    clusters: tuple[str, ...]
    n_clusters: tuple[int, ...]
    df_k: int
    df_t: int
    factors: tuple[float, ...]
    ssc: SmallSampleCorrection = field(default_factory=SmallSampleCorrection)
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def spec(self) -> CovarianceSpec:
        """The covariance request this estimate answers."""
        return CovarianceSpec(self.kind, self.clusters, self.options)

    @property
    def label(self) -> CovarianceLabel:
        """Label in the canonical vocabulary, e.g. ``'CRV1 (orig & dest)'``."""
        return self.spec.label

    @property
    def description(self) -> CovarianceLabel:
        """Same as :attr:`label` (kept for existing callers)."""
        return self.label


def _nested(fe: NDArray[np.int64], cluster: NDArray[np.int64]) -> bool:
    """Whether every level of ``fe`` lies within a single cluster."""
    frame = pd.DataFrame({"f": fe, "c": cluster}).drop_duplicates()
    return bool(frame["f"].is_unique)


def count_fixef_parameters(
    fe_codes: NDArray[np.int64] | None,
    ssc: SmallSampleCorrection,
    cluster_codes: NDArray[np.int64] | None = None,
) -> int:
    """Fixed-effect parameters counted in ``K`` under ``ssc`` (see the module docstring).

    Parameters
    ----------
    fe_codes : ndarray (n, G) or None
        Codes ``0..L_g-1`` of each fixed effect on the estimation sample.
    ssc : SmallSampleCorrection
    cluster_codes : ndarray (n, C), optional
        Cluster codes (for two-way clustering include the intersection as a third column);
        fixed effects nested in any of them are left out under ``k_fixef="nonnested"``.

    Returns
    -------
    int

    Examples
    --------
    >>> codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> count_fixef_parameters(codes, SmallSampleCorrection())
    3
    """
    if fe_codes is None or fe_codes.shape[1] == 0 or ssc.k_fixef == "none":
        return 0
    levels = fe_codes.max(axis=0) + 1
    total = int(levels.sum()) - redundant_levels(fe_codes, ssc.redundant)
    if ssc.k_fixef == "nonnested" and cluster_codes is not None:
        nested = [
            g
            for g in range(fe_codes.shape[1])
            if any(
                _nested(fe_codes[:, g], cluster_codes[:, c]) for c in range(cluster_codes.shape[1])
            )
        ]
        if nested:
            total = total - int(levels[nested].sum()) + len(nested)
    return total


def _cluster_meat(scores: NDArray[np.float64], codes: NDArray[np.int64]) -> NDArray[np.float64]:
    g = int(codes.max()) + 1
    summed = np.zeros((g, scores.shape[1]))
    np.add.at(summed, codes, scores)
    return summed.T @ summed


def _as_codes(clusters: pd.DataFrame | NDArray, names: tuple[str, ...]) -> NDArray[np.int64]:
    if isinstance(clusters, pd.DataFrame):
        columns = resolve_clusters(names, map(str, clusters.columns))
        cols = [clusters[c] for c in columns]
    else:
        arr = np.asarray(clusters)
        arr = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        cols = [pd.Series(arr[:, j]) for j in range(arr.shape[1])]
    out = []
    for name, col in zip(names, cols, strict=False):
        if col.isna().any():
            raise MissingValueError(
                f"cluster variable {name!r} has {int(col.isna().sum())} missing value(s) in the "
                "estimation sample"
            )
        out.append(pd.factorize(col)[0].astype(np.int64))
    return np.column_stack(out)


@dataclass(frozen=True)
class SandwichInputs:
    """What a sandwich covariance function receives (see :func:`register_covariance`).

    Attributes
    ----------
    bread : ndarray (k, k)
        Inverse of the Hessian.
    scores : ndarray (n, k)
        Per-observation scores.
    nobs, k : int
        Observations and estimated slopes.
    fe_codes : ndarray (n, G) or None
        Fixed-effect codes of the estimation sample.
    clusters : DataFrame, ndarray or None
        Candidate cluster variables.
    ssc : SmallSampleCorrection
    iid_scale : float
        Dispersion for model-based covariances (1 for Poisson).
    """

    bread: NDArray[np.float64]
    scores: NDArray[np.float64]
    nobs: int
    k: int
    fe_codes: NDArray[np.int64] | None
    clusters: pd.DataFrame | NDArray | None = field(repr=False)
    ssc: SmallSampleCorrection
    iid_scale: float = 1.0
    linear: Any = field(default=None, repr=False)

    def df_k(self, cluster_codes: NDArray[np.int64] | None = None) -> int:
        """``K`` of the small-sample factor: slopes plus the counted fixed-effect levels."""
        return self.k + count_fixef_parameters(self.fe_codes, self.ssc, cluster_codes)

    def cluster_codes(self, spec: CovarianceSpec) -> NDArray[np.int64]:
        """Integer codes ``(n, C)`` of the cluster variables of ``spec``."""
        if self.clusters is None:
            raise InvalidOptionError(
                f"vcov {spec} needs the cluster variable(s) {list(spec.clusters)}; pass `clusters`"
            )
        codes = _as_codes(self.clusters, spec.clusters)
        if codes.shape[0] != self.nobs:
            raise InvalidOptionError(
                f"cluster variables have {codes.shape[0]} rows but the estimation sample has "
                f"{self.nobs}"
            )
        return codes


def iid_sandwich(inputs: SandwichInputs, spec: CovarianceSpec) -> CovarianceEstimate:
    """Model-based covariance ``c * scale * H^-1``, ``c = (N-1)/(N-K)``."""
    df_k = inputs.df_k()
    n = inputs.nobs
    factor = (n - 1) / (n - df_k) if inputs.ssc.k_adj else 1.0
    cov = factor * inputs.iid_scale * inputs.bread
    return CovarianceEstimate(
        (cov + cov.T) / 2, spec.kind, (), (), df_k, n - df_k, (factor,), inputs.ssc, spec.options
    )


def hetero_sandwich(inputs: SandwichInputs, spec: CovarianceSpec) -> CovarianceEstimate:
    """Heteroskedasticity-robust ``c * H^-1 (sum s_i s_i') H^-1``, ``c = N/(N-K)`` (HC1)."""
    df_k = inputs.df_k()
    n = inputs.nobs
    factor = n / (n - df_k) if inputs.ssc.k_adj else 1.0
    cov = factor * (inputs.bread @ (inputs.scores.T @ inputs.scores) @ inputs.bread)
    return CovarianceEstimate(
        (cov + cov.T) / 2, spec.kind, (), (), df_k, n - df_k, (factor,), inputs.ssc, spec.options
    )


def crv1_sandwich(inputs: SandwichInputs, spec: CovarianceSpec) -> CovarianceEstimate:
    """One- or two-way clustered covariance (Cameron, Gelbach & Miller 2011)."""
    codes = inputs.cluster_codes(spec)
    ssc, nobs = inputs.ssc, inputs.nobs
    if codes.shape[1] == 2:
        inter = pd.factorize(codes[:, 0] * (int(codes[:, 1].max()) + 1) + codes[:, 1])[0]
        codes = np.column_stack([codes, inter.astype(np.int64)])
        signs: tuple[float, ...] = (1.0, 1.0, -1.0)
    else:
        signs = (1.0,)
    n_clusters = tuple(int(codes[:, j].max()) + 1 for j in range(codes.shape[1]))
    if min(n_clusters[:2]) < 2:
        raise EstimationError(
            f"clustering by {list(spec.clusters)} needs at least two clusters; found "
            f"{min(n_clusters[:2])}"
        )
    df_k = inputs.df_k(codes)
    k_factor = (nobs - 1) / (nobs - df_k) if ssc.k_adj else 1.0
    g_used = [min(n_clusters)] * len(n_clusters) if ssc.G_df == "min" else list(n_clusters)
    kdim = inputs.bread.shape[0]
    cov = np.zeros((kdim, kdim))
    factors = []
    for j, sign in enumerate(signs):
        g = g_used[j]
        factor = k_factor * (g / (g - 1) if ssc.G_adj else 1.0)
        factors.append(factor)
        cov += (
            sign
            * factor
            * (inputs.bread @ _cluster_meat(inputs.scores, codes[:, j]) @ inputs.bread)
        )
    cov = (cov + cov.T) / 2
    df_t = min(n_clusters[:2]) - 1
    return CovarianceEstimate(
        cov, spec.kind, spec.clusters, n_clusters, df_k, df_t, tuple(factors), ssc, spec.options
    )


def sandwich(
    hessian: NDArray[np.float64],
    scores: NDArray[np.float64],
    vcov: str | Mapping[str, str | Sequence[str]] | CovarianceSpec,
    *,
    nobs: int,
    k: int,
    fe_codes: NDArray[np.int64] | None = None,
    clusters: pd.DataFrame | NDArray | None = None,
    ssc: SmallSampleCorrection | None = None,
    iid_scale: float = 1.0,
    family: str = "gravity",
    linear: Any = None,
) -> CovarianceEstimate:
    """Covariance of an M-estimator from its Hessian and scores.

    Parameters
    ----------
    hessian : ndarray (k, k)
        Minus the second derivative of the objective in the (partialled-out) regressors, e.g.
        ``X~' diag(w mu) X~`` for PPML.
    scores : ndarray (n, k)
        Per-observation score contributions.
    vcov : str, dict or CovarianceSpec
        See :func:`parse_covariance`.
    nobs, k : int
        Observations and estimated slope coefficients.
    fe_codes : ndarray (n, G), optional
        Fixed-effect codes of the estimation sample (for ``K`` and nesting).
    clusters : DataFrame or ndarray, optional
        Cluster variables of the estimation sample, by name (DataFrame) or in order.
    ssc : SmallSampleCorrection, optional
        Defaults to :meth:`SmallSampleCorrection.fixest`.
    iid_scale : float, default 1
        Dispersion for ``"iid"``: 1 for Poisson, the residual variance for OLS.
    family : str, default "gravity"
        Family whose registered covariance functions are used (``"gravity"``, ``"sim"``).
    linear : LinearPieces, optional
        Partialled-out regressors and residuals of a least-squares fit (CR2/CR3).

    Returns
    -------
    CovarianceEstimate

    Raises
    ------
    EstimationError
        The Hessian is singular.
    InvalidOptionError, MissingColumnError, MissingValueError
        Bad ``vcov`` or cluster variables.

    Examples
    --------
    >>> H = np.array([[2.0]])
    >>> sandwich(H, np.ones((4, 1)), "iid", nobs=4, k=1).cov
    array([[0.5]])
    """
    spec = parse_covariance(vcov, family=family)
    ssc = ssc or SmallSampleCorrection()
    if spec.option("small_sample") is False:  # HC0: no (N-1)/(N-K) or N/(N-K) factor
        ssc = replace(ssc, k_adj=False)
    kdim = hessian.shape[0]
    if kdim == 0:
        return CovarianceEstimate(
            np.zeros((0, 0)), spec.kind, spec.clusters, (), 0, nobs, (), ssc, spec.options
        )
    try:
        bread = linalg.inv(hessian, check_finite=True)
    except (linalg.LinAlgError, ValueError) as err:
        raise EstimationError(
            "the Hessian is singular or not finite; regressors are collinear with each other "
            "or with the fixed effects"
        ) from err
    fe = None if fe_codes is None else np.asarray(fe_codes, dtype=np.int64).reshape(nobs, -1)
    inputs = SandwichInputs(bread, scores, nobs, k, fe, clusters, ssc, iid_scale, linear)
    return covariance_method(spec.kind, family)(inputs, spec)


def _check_bandwidth(bandwidth: Any) -> Any:
    if bandwidth is not None and (
        isinstance(bandwidth, bool) or not isinstance(bandwidth, int | float) or bandwidth < 0
    ):
        raise InvalidOptionError(
            f"Driscoll-Kraay bandwidth={bandwidth!r} must be a non-negative number (lags of "
            "the Bartlett kernel) or None."
        )
    return bandwidth


ALL_FAMILIES = (*SANDWICH_FAMILIES, "panel")
register_covariance(
    "iid",
    families=ALL_FAMILIES,
    aliases=("classical", "unadjusted", "homoskedastic", "conventional", "nonrobust"),
    compute=dict.fromkeys(SANDWICH_FAMILIES, iid_sandwich),
    doc="model-based: scale times the inverse Hessian",
)
register_covariance(
    "hetero",
    families=ALL_FAMILIES,
    aliases={"HC1": {}, "HC0": {"small_sample": False}}
    | {a: {} for a in ("robust", "heteroskedastic", "heteroskedasticity", "white", "white1")}
    # plm's vcovHC(method="white1", type="sss"): Stata's factor (panel/covariance.py)
    | {"white1_sss": {"small_sample": "sss", "families": ("panel",)}},
    compute=dict.fromkeys(SANDWICH_FAMILIES, hetero_sandwich),
    doc="heteroskedasticity-robust (HC1; HC0 without the small-sample factor)",
)
register_covariance(
    "CRV1",
    families=ALL_FAMILIES,
    aliases={"cluster": {}, "clustered": {}}
    | {a: {"clusters": ("entity",), "families": ("panel",)} for a in ("arellano", "vcovHC")}
    | {  # plm's vcovHC(type="sss"): G / (G - 1) * (n - 1) / (n - K) (panel/covariance.py)
        a: {"clusters": ("entity",), "families": ("panel",), "small_sample": "sss"}
        for a in ("arellano_sss", "vcovHC_sss")
    },
    clustered=True,
    compute=dict.fromkeys(SANDWICH_FAMILIES, crv1_sandwich),
    doc="cluster-robust, one- or two-way",
)
register_covariance(
    "driscoll_kraay",
    families=("panel",),
    label="Driscoll-Kraay",
    aliases={a: {} for a in ("driscoll-kraay", "DK", "SCC", "vcovSCC", "kernel")}
    | {a: {"small_sample": "sss"} for a in ("SCC_sss", "vcovSCC_sss")},
    argument="bandwidth",
    check=_check_bandwidth,
    doc="Driscoll-Kraay: robust to cross-sectional and serial correlation (Bartlett kernel)",
)


def __getattr__(name: str) -> Any:
    """Deprecated names: ``VcovSpec`` (now :class:`CovarianceSpec`) and ``parse_vcov``."""
    if name == "VcovSpec":
        warnings.warn("VcovSpec is deprecated; use CovarianceSpec", FutureWarning, stacklevel=2)
        return CovarianceSpec
    if name == "parse_vcov":
        warnings.warn(
            "parse_vcov is deprecated; use parse_covariance(vcov, family=...)",
            FutureWarning,
            stacklevel=2,
        )
        return parse_covariance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
