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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import linalg
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from migflows.errors import (
    EstimationError,
    InvalidOptionError,
    MissingColumnError,
    MissingValueError,
)

__all__ = [
    "CovarianceEstimate",
    "SmallSampleCorrection",
    "VcovSpec",
    "count_fixef_parameters",
    "parse_vcov",
    "sandwich",
]

VcovKind = Literal["iid", "hetero", "CRV1"]
_ALIASES: dict[str, VcovKind] = {
    "iid": "iid",
    "classical": "iid",
    "hetero": "hetero",
    "hc1": "hetero",
    "robust": "hetero",
    "crv1": "CRV1",
    "cluster": "CRV1",
}


@dataclass(frozen=True, slots=True)
class SmallSampleCorrection:
    """Small-sample correction of a sandwich covariance (see the module docstring).

    Examples
    --------
    >>> SmallSampleCorrection.fixest() == SmallSampleCorrection()
    True
    >>> SmallSampleCorrection.stata().redundant
    'pairwise'
    """

    k_adj: bool = True
    k_fixef: Literal["none", "nonnested", "full"] = "nonnested"
    redundant: Literal["fixest", "pairwise"] = "fixest"
    G_adj: bool = True
    G_df: Literal["min", "conventional"] = "min"

    def __post_init__(self) -> None:
        checks = {
            "k_fixef": ("none", "nonnested", "full"),
            "redundant": ("fixest", "pairwise"),
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
        """Defaults of R fixest and pyfixest."""
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
class VcovSpec:
    """A validated covariance request: kind plus cluster variable names (0, 1 or 2)."""

    kind: VcovKind
    clusters: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.kind != "CRV1":
            return self.kind
        return f"CRV1 ({' & '.join(self.clusters)})"


def parse_vcov(vcov: str | Mapping[str, str | Sequence[str]] | VcovSpec) -> VcovSpec:
    """Validate a covariance request written fixest-style.

    Parameters
    ----------
    vcov : str, dict or VcovSpec
        ``"iid"``, ``"hetero"`` (aliases ``"HC1"``, ``"robust"``), or ``{"CRV1": "orig"}``,
        ``{"CRV1": "orig+dest"}`` / ``{"CRV1": ["orig", "dest"]}`` for two-way clustering.

    Returns
    -------
    VcovSpec

    Raises
    ------
    InvalidOptionError
        Unknown kind, clustering without variables, or more than two cluster variables.

    Examples
    --------
    >>> parse_vcov({"CRV1": "orig + dest"})
    VcovSpec(kind='CRV1', clusters=('orig', 'dest'))
    >>> str(parse_vcov("HC1"))
    'hetero'
    """
    if isinstance(vcov, VcovSpec):
        return vcov
    allowed = "'iid', 'hetero' (or 'HC1'), {'CRV1': 'var'} or {'CRV1': 'var1+var2'}"
    if isinstance(vcov, str):
        kind = _ALIASES.get(vcov.strip().lower())
        if kind is None or kind == "CRV1":
            hint = " (clustering needs a variable: {'CRV1': 'orig'})" if kind == "CRV1" else ""
            raise InvalidOptionError(f"vcov={vcov!r} is not allowed{hint}; use {allowed}")
        return VcovSpec(kind)
    if isinstance(vcov, Mapping) and len(vcov) == 1:
        (key, value), *_ = vcov.items()
        if _ALIASES.get(str(key).strip().lower()) == "CRV1":
            if isinstance(value, str):
                names = tuple(v.strip() for v in value.replace("^", "+").split("+") if v.strip())
            else:
                names = tuple(str(v) for v in value)
            if not 1 <= len(names) <= 2 or len(set(names)) != len(names):
                raise InvalidOptionError(
                    f"vcov={dict(vcov)!r}: give one or two distinct cluster variables"
                )
            return VcovSpec("CRV1", names)
    raise InvalidOptionError(f"vcov={vcov!r} is not allowed; use {allowed}")


@dataclass(frozen=True, slots=True)
class CovarianceEstimate:
    """A covariance matrix with what is needed to report it.

    Attributes
    ----------
    cov : ndarray (k, k)
    kind : {"iid", "hetero", "CRV1"}
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
    """

    cov: NDArray[np.float64]
    kind: VcovKind
    clusters: tuple[str, ...]
    n_clusters: tuple[int, ...]
    df_k: int
    df_t: int
    factors: tuple[float, ...]
    ssc: SmallSampleCorrection = field(default_factory=SmallSampleCorrection)

    @property
    def description(self) -> str:
        """Short label such as ``'CRV1 (orig & dest)'``."""
        return str(VcovSpec(self.kind, self.clusters))


def _redundant_levels(fe_codes: NDArray[np.int64], method: str) -> int:
    n_fe = fe_codes.shape[1]
    if n_fe <= 1:
        return 0
    if method == "fixest":
        return n_fe - 1
    # reghdfe "pairwise": connected components of the bipartite graph of FE 1 and FE 2
    a, b = fe_codes[:, 0], fe_codes[:, 1]
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    graph = csr_matrix((np.ones(len(a)), (a, b + na)), shape=(na + nb, na + nb))
    n_comp = connected_components(graph, directed=False)[0]
    return int(n_comp) + (n_fe - 2)


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
    total = int(levels.sum()) - _redundant_levels(fe_codes, ssc.redundant)
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
        missing = [c for c in names if c not in clusters.columns]
        if missing:
            raise MissingColumnError(
                f"cluster variable(s) {missing} not available; available: {list(clusters.columns)}"
            )
        cols = [clusters[c] for c in names]
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


def sandwich(
    hessian: NDArray[np.float64],
    scores: NDArray[np.float64],
    vcov: str | Mapping[str, str | Sequence[str]] | VcovSpec,
    *,
    nobs: int,
    k: int,
    fe_codes: NDArray[np.int64] | None = None,
    clusters: pd.DataFrame | NDArray | None = None,
    ssc: SmallSampleCorrection | None = None,
    iid_scale: float = 1.0,
) -> CovarianceEstimate:
    """Covariance of an M-estimator from its Hessian and scores.

    Parameters
    ----------
    hessian : ndarray (k, k)
        Minus the second derivative of the objective in the (partialled-out) regressors, e.g.
        ``X~' diag(w mu) X~`` for PPML.
    scores : ndarray (n, k)
        Per-observation score contributions.
    vcov : str, dict or VcovSpec
        See :func:`parse_vcov`.
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
    spec = parse_vcov(vcov)
    ssc = ssc or SmallSampleCorrection()
    kdim = hessian.shape[0]
    if kdim == 0:
        return CovarianceEstimate(np.zeros((0, 0)), spec.kind, spec.clusters, (), 0, nobs, (), ssc)
    try:
        bread = linalg.inv(hessian, check_finite=True)
    except (linalg.LinAlgError, ValueError) as err:
        raise EstimationError(
            "the Hessian is singular or not finite; regressors are collinear with each other "
            "or with the fixed effects"
        ) from err
    fe = None if fe_codes is None else np.asarray(fe_codes, dtype=np.int64).reshape(nobs, -1)

    if spec.kind in ("iid", "hetero"):
        df_k = k + count_fixef_parameters(fe, ssc)
        if spec.kind == "iid":
            factor = (nobs - 1) / (nobs - df_k) if ssc.k_adj else 1.0
            cov = factor * iid_scale * bread
        else:
            factor = nobs / (nobs - df_k) if ssc.k_adj else 1.0
            cov = factor * (bread @ (scores.T @ scores) @ bread)
        return CovarianceEstimate(
            (cov + cov.T) / 2, spec.kind, (), (), df_k, nobs - df_k, (factor,), ssc
        )

    if clusters is None:
        raise InvalidOptionError(
            f"vcov {spec} needs the cluster variable(s) {list(spec.clusters)}; pass `clusters`"
        )
    codes = _as_codes(clusters, spec.clusters)
    if codes.shape[0] != nobs:
        raise InvalidOptionError(
            f"cluster variables have {codes.shape[0]} rows but the estimation sample has {nobs}"
        )
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
    df_k = k + count_fixef_parameters(fe, ssc, codes)
    k_factor = (nobs - 1) / (nobs - df_k) if ssc.k_adj else 1.0
    g_used = [min(n_clusters)] * len(n_clusters) if ssc.G_df == "min" else list(n_clusters)
    cov = np.zeros((kdim, kdim))
    factors = []
    for j, sign in enumerate(signs):
        g = g_used[j]
        factor = k_factor * (g / (g - 1) if ssc.G_adj else 1.0)
        factors.append(factor)
        cov += sign * factor * (bread @ _cluster_meat(scores, codes[:, j]) @ bread)
    cov = (cov + cov.T) / 2
    df_t = min(n_clusters[:2]) - 1
    return CovarianceEstimate(
        cov, "CRV1", spec.clusters, n_clusters, df_k, df_t, tuple(factors), ssc
    )
