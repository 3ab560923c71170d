"""Few-cluster inference by the wild cluster bootstrap (linear models) and the score bootstrap.

With 20 regions there are 20 clusters, and the clustered (CRV1) t test over-rejects. Two
bootstraps of the t statistic of one linear restriction ``r' beta = q`` fix that:

* :func:`wild_cluster_bootstrap` — the restricted wild cluster bootstrap (WCR, Cameron,
  Gelbach & Miller 2008; MacKinnon & Webb 2017) for least squares with absorbed fixed
  effects, computed the "fast and wild" way (Roodman, MacKinnon, Nielsen & Webb 2019): every
  bootstrap t statistic is a ratio of small matrix products of per-cluster sums, so no
  bootstrap sample is ever formed and intervals come from inverting the test exactly.
* :func:`score_bootstrap` — the score bootstrap of Kline & Santos (2012) for M-estimators
  (PPML, GLMs): cluster sums of the score contributions are perturbed by the weights, the
  Hessian is held fixed, so nothing is refitted.

Both take Rademacher or Webb six-point weights drawn at the level of one cluster variable,
and studentize with the one- or two-way CRV1 variance computed on the bootstrap scores
(for two-way clustering the weights are drawn on one dimension, as MacKinnon, Nielsen & Webb
2021 recommend). Results expose them as ``res.wild_bootstrap(...)``.

Written by hand: pyfixest's wild bootstrap (wildboottest) refuses Poisson models, and no
Python library offers the score bootstrap or two-way WCR on absorbed designs.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> g = np.repeat(np.arange(20), 30)
>>> X = np.column_stack([np.ones(600), rng.normal(size=600) + rng.normal(size=20)[g]])
>>> y = X @ np.array([1.0, 0.0]) + rng.normal(size=600) + rng.normal(size=20)[g]
>>> boot = wild_cluster_bootstrap(X, y, g[:, None], np.array([0.0, 1.0]), 0.0,
...                               reps=999, random_seed=1)
>>> 0 <= boot.pval <= 1, boot.reps
(True, 999)
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize

from migflows.errors import EstimationError, InvalidOptionError
from migflows.estimation.core.demean import demean
from migflows.estimation.core.seeds import RandomSeed, as_generator

__all__ = [
    "BootstrapTest",
    "bootstrap_weights",
    "score_bootstrap",
    "wild_cluster_bootstrap",
]

Weights = Literal["rademacher", "webb"]
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def bootstrap_weights(
    n_clusters: int, reps: int, kind: str = "rademacher", random_seed: RandomSeed = None
) -> NDArray[np.float64]:
    """Draw ``(n_clusters, reps)`` wild bootstrap weights with mean 0 and variance 1.

    Parameters
    ----------
    n_clusters, reps : int
    kind : {"rademacher", "webb"}
        Rademacher (+1 or -1, equally likely) or Webb's six-point distribution
        (``+-sqrt(1/2), +-1, +-sqrt(3/2)``), better with fewer than about 12 clusters. When
        ``2**n_clusters <= reps`` Rademacher weights enumerate all ``2**n_clusters`` sign
        patterns instead (the exact bootstrap distribution; fewer columns than ``reps``).
    random_seed : int, Generator or None

    Examples
    --------
    >>> w = bootstrap_weights(4, 3, "webb", random_seed=0)
    >>> w.shape, bool(np.isin(np.round(w**2, 12), [0.5, 1.0, 1.5]).all())
    ((4, 3), True)
    """
    rng = as_generator(random_seed)
    if kind == "rademacher" and 2**n_clusters <= reps:  # few clusters: every sign pattern
        grid = (np.arange(2**n_clusters)[None, :] >> np.arange(n_clusters)[:, None]) & 1
        return grid.astype(float) * 2 - 1
    if kind == "rademacher":
        return rng.integers(0, 2, size=(n_clusters, reps)).astype(float) * 2 - 1
    if kind == "webb":
        return _WEBB[rng.integers(0, 6, size=(n_clusters, reps))]
    raise InvalidOptionError(f"weights={kind!r} is not allowed; use 'rademacher' or 'webb'")


@dataclass(frozen=True)
class BootstrapTest:
    """A bootstrap test of one restriction ``r' beta = q`` and its interval.

    Attributes
    ----------
    restriction : str
        The restriction as text.
    estimate : float
        ``r' b`` (the combination, not minus ``q``).
    stat : float
        Observed t statistic of ``r' b - q`` with the CRV1 standard error.
    pval : float
        Symmetric bootstrap p-value, the share of ``|t*| >= |t|``.
    lower, upper : float
        Bootstrap interval for ``r' beta`` at ``level``.
    level : float
    method : str
        ``"WCR"`` (restricted wild cluster bootstrap) or ``"score"`` (Kline–Santos).
    weights : str
    reps : int
    clusters : tuple of str
        The clustering of the studentizing variance; the weights are drawn on the first.
    n_clusters : tuple of int
    draws : ndarray
        The bootstrap t statistics under the null.
    """

    __test__ = False

    restriction: str
    estimate: float
    stat: float
    pval: float
    lower: float
    upper: float
    level: float
    method: str
    weights: str
    reps: int
    clusters: tuple[str, ...]
    n_clusters: tuple[int, ...]
    draws: NDArray[np.float64] = field(repr=False)

    @property
    def conf_int(self) -> pd.DataFrame:
        """The interval as a one-row frame (``lower``, ``upper``)."""
        return pd.DataFrame(
            {"lower": [self.lower], "upper": [self.upper]}, index=[self.restriction]
        )

    def to_series(self) -> pd.Series:
        """Estimate, statistic, p-value and interval as one labelled row."""
        return pd.Series(
            {
                "estimate": self.estimate,
                "tstat": self.stat,
                "pval": self.pval,
                "lower": self.lower,
                "upper": self.upper,
            },
            name=self.restriction,
        )

    def __str__(self) -> str:
        return (
            f"{self.method} bootstrap ({self.weights}, {self.reps} draws, clusters "
            f"{' & '.join(self.clusters)}) of {self.restriction}: t = {self.stat:.4f}, "
            f"p-value {self.pval:.4g}; {self.level:.0%} interval for the combination "
            f"[{self.lower:.6g}, {self.upper:.6g}]"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(str(self))}</p>"


@dataclass(frozen=True)
class _Cells:
    """Intersections of the cluster variables, and which group of each term a cell is in."""

    cell: NDArray[np.int64]  # (n,) cell of each observation
    term_of_cell: list[NDArray[np.int64]]  # per variance term: group of each cell
    signs: tuple[float, ...]
    boot_of_cell: NDArray[np.int64]
    n_boot: int
    n_clusters: tuple[int, ...]


def _cells(codes: NDArray[np.int64], boot_dim: int) -> _Cells:
    codes = np.asarray(codes, dtype=np.int64).reshape(len(codes), -1)
    if codes.shape[1] not in (1, 2):
        raise InvalidOptionError("give one or two cluster variables")
    factor = [pd.factorize(codes[:, j])[0] for j in range(codes.shape[1])]
    if codes.shape[1] == 1:
        cell, first = np.unique(factor[0], return_inverse=True)[1], None
        terms = [np.unique(factor[0])]
        signs: tuple[float, ...] = (1.0,)
    else:
        key = factor[0] * (int(factor[1].max()) + 1) + factor[1]
        _, first, cell = np.unique(key, return_index=True, return_inverse=True)
        terms = [factor[0][first], factor[1][first], np.arange(len(first))]
        signs = (1.0, 1.0, -1.0)
    if first is None:
        _, first = np.unique(cell, return_index=True)
    n_clusters = tuple(int(f.max()) + 1 for f in factor)
    if min(n_clusters) < 2:
        raise EstimationError("the bootstrap needs at least two clusters in every dimension")
    boot = factor[boot_dim][first]
    return _Cells(cell, terms, signs, boot, n_clusters[boot_dim], n_clusters)


def _variance(f: NDArray[np.float64], cells: _Cells, factors: Sequence[float]) -> NDArray:
    """CRV1 variance of ``sum f`` from per-cell contributions ``f`` (cells, B)."""
    out = np.zeros(f.shape[1])
    for groups, sign, fac in zip(cells.term_of_cell, cells.signs, factors, strict=True):
        sums = np.zeros((int(groups.max()) + 1, f.shape[1]))
        np.add.at(sums, groups, f)
        out += sign * fac * (sums**2).sum(axis=0)
    return out


def _crv_factors(n: int, k: int, cells: _Cells) -> tuple[float, ...]:
    """The CRV1 factors of fixest: ``(n-1)/(n-K) * G/(G-1)`` with ``G = min`` over dimensions."""
    g = min(cells.n_clusters)
    return tuple(((n - 1) / (n - k)) * g / (g - 1) for _ in cells.signs)


def _interval(pfun: object, centre: float, se: float, level: float) -> tuple[float, float]:
    """Invert a p-value function of the null value: where ``p = 1 - level`` either side."""
    alpha = 1 - level
    f = pfun  # callable q -> p-value
    if not np.isfinite(se):  # a negative observed two-way variance: no test to invert
        return float("nan"), float("nan")

    def gap(q: float) -> float:
        return float(f(q)) - alpha  # type: ignore[operator]

    bounds = []
    for direction in (-1.0, 1.0):
        step = 2.0 * se if se > 0 else 1.0
        inner, outer = centre, centre + direction * step
        for _ in range(60):
            if gap(outer) < 0:
                break
            inner, outer = outer, outer + direction * step
            step *= 2
        lo, hi = sorted((inner, outer))
        bounds.append(optimize.brentq(gap, lo, hi, xtol=1e-10 * max(se, 1e-12)))
    return bounds[0], bounds[1]


def _pvalue(t: float, draws: NDArray[np.float64]) -> float:
    # the share of |t*| > |t| (wildboottest's and fwildclusterboot's convention); draws equal
    # to |t| up to rounding (the all-ones weights reproduce the sample) do not count. A
    # two-way variance can be negative in a draw: such undefined t* are left out
    defined = draws[np.isfinite(draws)]
    if not np.isfinite(t) or not defined.size:  # e.g. a negative observed two-way variance
        return float("nan")
    return float((np.abs(defined) > abs(t) * (1 + 1e-10) + 1e-14).mean())


def wild_cluster_bootstrap(
    Xt: NDArray[np.float64],
    yt: NDArray[np.float64],
    clusters: NDArray[np.int64],
    r: NDArray[np.float64],
    q: float,
    *,
    cluster_names: Sequence[str] = (),
    boot_dim: int = 0,
    weights: str = "rademacher",
    reps: int = 999,
    level: float = 0.95,
    factors: Sequence[float] | None = None,
    df_k: int | None = None,
    random_seed: RandomSeed = None,
    restriction: str = "",
    interval: bool = True,
    fe_codes: NDArray[np.int64] | None = None,
    fe_weights: NDArray[np.float64] | None = None,
) -> BootstrapTest:
    """Restricted wild cluster bootstrap-t (WCR) for least squares.

    Parameters
    ----------
    Xt : ndarray (n, k)
        Regressors with the fixed effects partialled out (weighted least squares: multiplied
        by the square root of the weights).
    yt : ndarray (n,)
        Dependent variable, treated alike.
    clusters : ndarray (n, C) of int, C = 1 or 2
        Cluster codes of the studentizing CRV1 variance.
    r : ndarray (k,)
        The restriction ``r' beta = q``.
    q : float
    cluster_names : sequence of str
        Names for the report.
    boot_dim : int, default 0
        The cluster variable whose clusters get the weights.
    weights : {"rademacher", "webb"}
    reps : int, default 999
    level : float, default 0.95
        Coverage of the interval (the test inverted).
    factors : sequence of float, optional
        CRV1 small-sample factors per variance term; default fixest's.
    df_k : int, optional
        ``K`` of the default factors (default ``k``).
    random_seed : int, Generator or None
    restriction : str
        The restriction as text.
    interval : bool, default True
        Invert the test for the interval (else ``lower`` and ``upper`` are NaN).
    fe_codes : ndarray (n, G) of int, optional
        The absorbed fixed effects. Each bootstrap regression re-estimates them, so its
        residuals are projected off them (this matters when they are not nested in the
        clusters, e.g. destination effects with origin clusters).
    fe_weights : ndarray (n,), optional
        Regression weights of a weighted fit (``Xt`` and ``yt`` already scaled by their root).

    Returns
    -------
    BootstrapTest

    Examples
    --------
    See the module docstring.
    """
    _check(reps, level)
    Xt = np.asarray(Xt, dtype=float)
    yt = np.asarray(yt, dtype=float)
    r = np.asarray(r, dtype=float).reshape(-1)
    n, k = Xt.shape
    cells = _cells(clusters, boot_dim)
    factors = tuple(factors) if factors is not None else _crv_factors(n, df_k or k, cells)
    H = Xt.T @ Xt
    Hinv = np.linalg.inv(H)
    beta = Hinv @ (Xt.T @ yt)
    resid = yt - Xt @ beta
    n_cells = len(cells.boot_of_cell)
    # per-cell pieces: X_c' e_c (cells, k) and H_c (cells, k, k)
    xe = np.zeros((n_cells, k))
    np.add.at(xe, cells.cell, Xt * resid[:, None])
    Hc = np.zeros((n_cells, k, k))
    np.add.at(Hc, cells.cell, Xt[:, :, None] * Xt[:, None, :])
    rH = Hinv @ r  # (k,)
    d = rH / float(r @ rH)  # beta_tilde = beta - d * delta,  delta = r'beta - q
    # restricted residuals u(delta) = e + delta * Xt d:  cell scores X_c'u_c = xe + delta H_c d
    s0, s1 = xe, Hc @ d  # (cells, k)
    a0, a1 = s0 @ rH, s1 @ rH  # R Hinv X_c'u_c, affine in delta
    boot = cells.boot_of_cell
    C0 = np.zeros((cells.n_boot, k))
    C1 = np.zeros((cells.n_boot, k))
    np.add.at(C0, boot, s0)
    np.add.at(C1, boot, s1)
    RHc = np.einsum("k,ckl->cl", rH, Hc) @ Hinv  # (cells, k): R Hinv H_c Hinv
    A0, A1 = RHc @ C0.T, RHc @ C1.T  # (cells, G_boot)
    if fe_codes is not None and np.asarray(fe_codes).size:
        # the bootstrap regression re-estimates the fixed effects: its residuals contain
        # M_D (v * u), linear in v: sum_h v_h M_D(1_h * u). Project the 2 G columns once.
        codes = np.asarray(fe_codes, dtype=np.int64).reshape(n, -1)
        w = np.ones(n) if fe_weights is None else np.asarray(fe_weights, dtype=float)
        root = np.sqrt(w)
        boot_obs = boot[cells.cell]
        E = np.zeros((n, 2 * cells.n_boot))
        E[np.arange(n), boot_obs] = resid
        E[np.arange(n), cells.n_boot + boot_obs] = Xt @ d
        Z = demean(E / root[:, None], codes, weights=w, tol=1e-12).x * root[:, None]
        pz = np.zeros((n_cells, 2 * cells.n_boot))
        np.add.at(pz, cells.cell, (Xt @ rH)[:, None] * Z)
        D0, D1 = pz[:, : cells.n_boot], pz[:, cells.n_boot :]
    else:  # nothing to re-estimate: the direct term is a_c v_g(c)
        D0 = np.zeros((n_cells, cells.n_boot))
        D1 = np.zeros((n_cells, cells.n_boot))
        D0[np.arange(n_cells), boot] = a0
        D1[np.arange(n_cells), boot] = a1
    V = bootstrap_weights(cells.n_boot, reps, weights, random_seed)

    # observed: CRV1 standard error from the unrestricted residuals
    se = float(np.sqrt(_variance(a0[:, None], cells, factors)[0]))
    est = float(r @ beta)

    def draws_at(qv: float) -> NDArray[np.float64]:
        delta = est - qv
        A = (D0 + delta * D1) - (A0 + delta * A1)
        num = (C0 @ rH + delta * (C1 @ rH)) @ V
        f = A @ V
        var = _variance(f, cells, factors)
        return num / np.sqrt(np.where(var > 0, var, np.nan))

    def pfun(qv: float) -> float:
        return _pvalue((est - qv) / se, draws_at(qv))

    draws = draws_at(q)
    lower, upper = _interval(pfun, est, se, level) if interval else (np.nan, np.nan)
    return BootstrapTest(
        restriction or f"r'b = {q:g}",
        est,
        (est - q) / se,
        _pvalue((est - q) / se, draws),
        lower,
        upper,
        level,
        "WCR",
        weights,
        V.shape[1],
        tuple(cluster_names),
        cells.n_clusters,
        draws,
    )


def score_bootstrap(
    hessian: NDArray[np.float64],
    scores: NDArray[np.float64],
    params: NDArray[np.float64],
    clusters: NDArray[np.int64],
    r: NDArray[np.float64],
    q: float,
    *,
    restricted_fit: Callable[[float], tuple[NDArray[np.float64], NDArray[np.float64]]]
    | None = None,
    cluster_names: Sequence[str] = (),
    boot_dim: int = 0,
    weights: str = "rademacher",
    reps: int = 999,
    level: float = 0.95,
    factors: Sequence[float] | None = None,
    df_k: int | None = None,
    random_seed: RandomSeed = None,
    restriction: str = "",
    interval: bool = True,
) -> BootstrapTest:
    """Score (Kline–Santos) wild cluster bootstrap-t for an M-estimator (PPML, GLM).

    Cluster sums ``s_g`` of the score contributions are perturbed by the weights with the
    Hessian held fixed: ``t* = r' H^-1 sum_g v_g s_g / se*``, ``se*`` the CRV1 standard
    error of the perturbed scores, so nothing is refitted per draw.

    With ``restricted_fit`` (Kline & Santos's version, recommended) the scores and Hessian
    are those of the model fitted under the null ``r' beta = q0``, the observed statistic is
    the score statistic (the same formula with all weights one) and the interval collects
    the ``q0`` the test does not reject (one restricted fit per candidate value). Without it
    the unrestricted scores are perturbed, ``|t|`` of the Wald statistic is compared with
    ``|t*|`` and the interval is the symmetric bootstrap-t interval; that version
    over-rejects with 20 clusters (see ``scripts/mc_few_clusters.py``).

    Parameters
    ----------
    hessian : ndarray (k, k)
        Minus the Hessian at the estimate.
    scores : ndarray (n, k)
        Score contributions at the estimate.
    params : ndarray (k,)
    clusters, r, q
        As in :func:`wild_cluster_bootstrap`.
    restricted_fit : callable, optional
        ``q0 -> (hessian, scores)`` of the model fitted under ``r' beta = q0``.
    cluster_names, boot_dim, weights, reps, level, factors, df_k, random_seed, restriction,
    interval
        As in :func:`wild_cluster_bootstrap`.

    Returns
    -------
    BootstrapTest

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(20), 10)
    >>> S = rng.normal(size=(200, 1))
    >>> boot = score_bootstrap(np.eye(1) * 200, S - S.mean(), np.array([0.1]), g[:, None],
    ...                        np.array([1.0]), 0.0, reps=199, random_seed=2)
    >>> boot.method, boot.lower < 0.1 < boot.upper
    ('score', True)
    """
    _check(reps, level)
    r = np.asarray(r, dtype=float).reshape(-1)
    scores = np.asarray(scores, dtype=float)
    n, k = scores.shape
    cells = _cells(clusters, boot_dim)
    factors = tuple(factors) if factors is not None else _crv_factors(n, df_k or k, cells)
    V = bootstrap_weights(cells.n_boot, reps, weights, random_seed)
    Vc = V[cells.boot_of_cell]

    def psi_of(H: NDArray[np.float64], S: NDArray[np.float64]) -> NDArray[np.float64]:
        psi = np.zeros(len(cells.boot_of_cell))
        np.add.at(psi, cells.cell, S @ np.linalg.solve(H, r))
        return psi

    def draws_of(psi: NDArray[np.float64]) -> NDArray[np.float64]:
        f = psi[:, None] * Vc
        var = _variance(f, cells, factors)
        return f.sum(axis=0) / np.sqrt(np.where(var > 0, var, np.nan))

    psi = psi_of(hessian, scores)
    se = float(np.sqrt(_variance(psi[:, None], cells, factors)[0]))
    est = float(r @ params)
    t = (est - q) / se
    if restricted_fit is None:
        draws = draws_of(psi)
        crit = float(np.nanquantile(np.abs(draws), level))
        pval = _pvalue(t, draws)
        lower, upper = (est - crit * se, est + crit * se) if interval else (np.nan, np.nan)
        method = "score"
    else:

        def test_at(qv: float) -> tuple[float, NDArray[np.float64]]:
            psi_r = psi_of(*restricted_fit(qv))
            t_r = float(psi_r.sum() / np.sqrt(_variance(psi_r[:, None], cells, factors)[0]))
            return t_r, draws_of(psi_r)

        t_q, draws = test_at(q)
        pval = _pvalue(t_q, draws)
        lower, upper = (
            _interval(lambda qv: _pvalue(*test_at(qv)), est, se, level)
            if interval
            else (np.nan, np.nan)
        )
        method = "score (restricted)"
    return BootstrapTest(
        restriction or f"r'b = {q:g}",
        est,
        t,
        pval,
        lower,
        upper,
        level,
        method,
        weights,
        V.shape[1],
        tuple(cluster_names),
        cells.n_clusters,
        draws,
    )


def _check(reps: int, level: float) -> None:
    if not isinstance(reps, int | np.integer) or isinstance(reps, bool) or reps < 99:
        raise InvalidOptionError(f"reps={reps!r}; give an integer of at least 99 (e.g. 999)")
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise InvalidOptionError(f"level={level!r} must be strictly between 0 and 1")
