"""One IRLS loop for log-link models with absorbed fixed effects (PPML, NB2, gamma PML).

Iteratively reweighted least squares (Fisher scoring) for ``E[y] = exp(eta)``,
``eta = X b + fixed effects + offset``: each iteration forms the working outcome
``z = eta - offset + (y - mu) / mu`` and the weights ``w mu^2 / Var(mu)`` (the
:class:`LogLinkFamily` says which), partials the fixed effects out of ``z`` and ``X`` at those
weights (Frisch–Waugh–Lovell, through a :class:`~migflows.estimation.core.demean.DemeanerLike`
backend, so an out-of-core engine can plug its own in), solves the weighted normal equations and
updates ``eta``. Demeaning is warm-started from the previous iteration (the previous
fixed-effect part of ``z``, the previous partialled-out ``X``), which :class:`IRLSState` carries —
also across calls, as the negative binomial alternation needs.

Two conventions, both kept because they reproduce their references:

* ``criterion="deviance"`` (PPML: ppmlhdfe / pyfixest) — stop when
  ``|dev - dev_old| / (0.1 + |dev|) < tol``; with ``adaptive=True`` the demeaning tolerance
  starts loose (``1e-4``) and tightens with the deviance change down to ``fixef_tol``, and
  convergence is declared only at the target tolerance.
* ``criterion="eta"`` (NB2, gamma PML: R's ``glm``) — stop when the linear predictor moves by
  less than ``tol``; with ``step_halving=True`` a step that lowers the (pseudo) log likelihood
  is halved, as R's ``glm.fit`` does for invalid fits (Fisher scoring is not Newton for NB and
  gamma, and with many zero flows a gamma PML step can overshoot and cycle).

Why hand-written: statsmodels' and glum's GLM solvers need the fixed effects as dense or sparse
dummy columns (memory ``n x levels``); pyfixest's ``fepois`` has the demeaning loop but no
negative binomial or gamma family and no engine hook.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(300, 1))
>>> g = np.repeat(np.arange(30), 10)[:, None]
>>> y = rng.poisson(np.exp(0.3 * x[:, 0] + 0.1 * (g[:, 0] % 4))).astype(float)
>>> res = irls(y, x, POISSON, demeaner=Demeaner(g))
>>> res.converged, round(float(res.coef[0]), 2)
(True, 0.35)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numba as nb
import numpy as np
from numpy.typing import NDArray
from scipy import linalg

from migflows.errors import ConvergenceError, EstimationError
from migflows.estimation.core.demean import Demeaner, DemeanerLike

__all__ = [
    "GAMMA",
    "POISSON",
    "IRLSResult",
    "IRLSState",
    "LogLinkFamily",
    "NegativeBinomial",
    "irls",
    "poisson_deviance",
    "weighted_cross",
]

ETA_MAX = 700.0
"""``exp(eta)`` overflows float64 beyond about 709; a larger linear predictor is refused."""


class LogLinkFamily(Protocol):
    """The variance function of a log-link model, as IRLS needs it."""

    @property
    def name(self) -> str:
        """The family name: ``"poisson"``, ``"negbin"`` or ``"gamma"``."""
        ...

    def weights(self, mu: NDArray[np.float64]) -> NDArray[np.float64]:
        """IRLS weights ``mu^2 / Var(mu)`` up to the dispersion."""
        ...

    def objective(
        self, y: NDArray[np.float64], eta: NDArray[np.float64], w: NDArray[np.float64]
    ) -> float:
        """The (pseudo) log likelihood up to constants, for step halving."""
        ...


@dataclass(frozen=True)
class _Poisson:
    name: str = "poisson"

    def weights(self, mu: NDArray[np.float64]) -> NDArray[np.float64]:
        return mu

    def objective(
        self, y: NDArray[np.float64], eta: NDArray[np.float64], w: NDArray[np.float64]
    ) -> float:
        return float(np.sum(w * (y * eta - np.exp(eta))))


@dataclass(frozen=True)
class _Gamma:
    name: str = "gamma"

    def weights(self, mu: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.ones_like(mu)

    def objective(
        self, y: NDArray[np.float64], eta: NDArray[np.float64], w: NDArray[np.float64]
    ) -> float:
        return float(np.sum(w * (-y / np.exp(eta) - eta)))


@dataclass(frozen=True)
class NegativeBinomial:
    """NB2 with dispersion ``alpha`` held fixed: ``Var = mu + alpha mu^2``."""

    alpha: float
    name: str = "negbin"

    def weights(self, mu: NDArray[np.float64]) -> NDArray[np.float64]:
        """``mu / (1 + alpha mu)``."""
        return mu / (1.0 + self.alpha * mu)

    def objective(
        self, y: NDArray[np.float64], eta: NDArray[np.float64], w: NDArray[np.float64]
    ) -> float:
        """NB2 log likelihood in the mean, up to constants."""
        theta = 1.0 / self.alpha
        return float(np.sum(w * (y * eta - (y + theta) * np.log(theta + np.exp(eta)))))


POISSON: LogLinkFamily = _Poisson()
GAMMA: LogLinkFamily = _Gamma()


def poisson_deviance(y: NDArray, eta: NDArray, mu: NDArray, w: NDArray, ylogy: float) -> float:
    """Poisson deviance ``2 sum w (y log(y/mu) - (y - mu))`` with ``log(mu) = eta``.

    Written with sums and the constant ``ylogy = sum w y log y`` (over y > 0) so that no
    logarithm is taken per iteration.
    """
    return float(2.0 * (ylogy + _deviance_sum(y, eta, mu, w)))


# The O(n) reductions of an iteration are compiled loops rather than BLAS calls: multi-threaded
# OpenBLAS dot products cost about 15 ms each (instead of 0.05 ms) on a machine whose cores are
# busy, because every call waits for its helper thread to be scheduled (measured on 1e5 rows).
@nb.njit(cache=True)
def _deviance_sum(y: NDArray, eta: NDArray, mu: NDArray, w: NDArray) -> float:
    total = 0.0
    for i in range(y.shape[0]):
        total += w[i] * (mu[i] - y[i] - y[i] * eta[i])
    return total


@nb.njit(cache=True)
def _normal_equations(
    Xt: NDArray, wi: NDArray, zt: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``Xt' W Xt`` and ``Xt' W zt`` in one pass over the rows."""
    n, k = Xt.shape
    xtx = np.zeros((k, k))
    xtz = np.zeros(k)
    for i in range(n):
        wv = wi[i]
        for a in range(k):
            xa = wv * Xt[i, a]
            xtz[a] += xa * zt[i]
            for b in range(a + 1):
                xtx[a, b] += xa * Xt[i, b]
    for a in range(k):
        for b in range(a):
            xtx[b, a] = xtx[a, b]
    return xtx, xtz


@nb.njit(cache=True)
def _poisson_working(
    eta: NDArray, off: NDArray, y: NDArray, mu: NDArray, w: NDArray, fe_z: NDArray
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """PPML weights ``w mu`` and the warm-started working outcome ``z - fe_z``, one pass."""
    n = y.shape[0]
    wi = np.empty(n)
    start = np.empty(n)
    for i in range(n):
        z = eta[i] - off[i] + (y[i] - mu[i]) / mu[i]
        wi[i] = w[i] * mu[i]
        start[i] = z - fe_z[i]
    return wi, start


@nb.njit(cache=True)
def _poisson_update(
    eta: NDArray,
    off: NDArray,
    y: NDArray,
    mu: NDArray,
    w: NDArray,
    zt: NDArray,
    Xt: NDArray,
    coef: NDArray,
    fe_z: NDArray,
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
    """The PPML step in one pass: new ``fe_z`` (in place), ``eta``, ``mu``, deviance sum, max eta.

    ``eta_new = (z - zt) + Xt coef + offset`` with ``z - zt`` the fixed-effect part of the
    working outcome; the deviance sum is that of :func:`poisson_deviance` at ``eta_new``.
    """
    n, k = Xt.shape
    eta_new = np.empty(n)
    mu_new = np.empty(n)
    total = 0.0
    top = -np.inf
    for i in range(n):
        z = eta[i] - off[i] + (y[i] - mu[i]) / mu[i]
        fz = z - zt[i]
        fe_z[i] = fz
        fit = 0.0
        for a in range(k):
            fit += Xt[i, a] * coef[a]
        e = fz + fit + off[i]
        eta_new[i] = e
        m = np.exp(e)
        mu_new[i] = m
        total += w[i] * (m - y[i] - y[i] * e)
        if e > top:
            top = e
    return eta_new, mu_new, total, top


def weighted_cross(X: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """``X' diag(w) X`` in one compiled pass over the rows (no BLAS threads).

    Examples
    --------
    >>> weighted_cross(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 2.0]))
    array([[19., 26.],
           [26., 36.]])
    """
    return _normal_equations(X, w, np.zeros(X.shape[0]))[0]


@nb.njit(cache=True)
def _fitted_part(Xt: NDArray, coef: NDArray) -> NDArray[np.float64]:
    """``Xt @ coef`` without BLAS."""
    n, k = Xt.shape
    out = np.zeros(n)
    for i in range(n):
        acc = 0.0
        for a in range(k):
            acc += Xt[i, a] * coef[a]
        out[i] = acc
    return out


@dataclass
class IRLSState:
    """Warm start carried between iterations and between calls (mutable on purpose).

    Attributes
    ----------
    eta : ndarray (n,)
        Current linear predictor.
    fe_z : ndarray (n,)
        Fixed-effect part of the last working outcome.
    Xt : ndarray (n, k)
        Regressors partialled out at the last weights.
    in_model : bool
        Whether ``eta`` is of the form ``X b + fixed effects`` (the data-based start is not).
    """

    eta: NDArray[np.float64]
    fe_z: NDArray[np.float64]
    Xt: NDArray[np.float64]
    in_model: bool = False
    mu: NDArray[np.float64] | None = None

    @classmethod
    def start(cls, y: NDArray, X: NDArray, w: NDArray) -> IRLSState:
        """The usual start ``mu = (y + mean(y)) / 2``."""
        mean = float(np.average(y, weights=w))
        mu = (y + mean) / 2.0
        return cls(np.log(mu), np.zeros_like(y), X.copy(), mu=mu)


@dataclass(frozen=True)
class IRLSResult:
    """Output of :func:`irls`.

    ``Xt`` is partialled out at the weights of the last iteration (not the final ``mu``).
    """

    coef: NDArray[np.float64]
    eta: NDArray[np.float64]
    Xt: NDArray[np.float64]
    kept: tuple[int, ...]
    iterations: int
    converged: bool
    deviance: float = float("nan")
    history: tuple[float, ...] = field(default=(), repr=False)
    demean_sweeps: int = 0


FirstStep = Callable[[NDArray[np.float64], NDArray[np.float64]], list[int]]
IterationHook = Callable[[int, float, float], None]
"""``hook(iteration, deviance, change)`` after each iteration (deviance NaN for ``"eta"``)."""


def irls(
    y: NDArray[np.float64],
    X: NDArray[np.float64],
    family: LogLinkFamily,
    *,
    weights: NDArray[np.float64] | None = None,
    offset: NDArray[np.float64] | None = None,
    demeaner: DemeanerLike | None = None,
    state: IRLSState | None = None,
    criterion: Literal["deviance", "eta"] = "deviance",
    tol: float = 1e-8,
    maxiter: int = 100,
    fixef_tol: float = 1e-10,
    fixef_maxiter: int = 10_000,
    adaptive: bool = True,
    step_halving: bool = False,
    on_first: FirstStep | None = None,
    on_iteration: IterationHook | None = None,
    what: str = "IRLS",
) -> IRLSResult:
    """Fit a log-link model with absorbed fixed effects by IRLS.

    Parameters
    ----------
    y : ndarray (n,)
        Non-negative outcome.
    X : ndarray (n, k)
        Regressors.
    family : LogLinkFamily
        :data:`POISSON`, :data:`GAMMA` or :class:`NegativeBinomial`.
    weights, offset : ndarray (n,), optional
        Prior weights; offset with coefficient one.
    demeaner : DemeanerLike, optional
        Partials the fixed effects out (``demeaner(x, weights, tol=, maxiter=)``); none means
        no fixed effects. Default backend :class:`~migflows.estimation.core.demean.Demeaner`.
    state : IRLSState, optional
        Warm start (updated in place); default :meth:`IRLSState.start`.
    criterion : {"deviance", "eta"}
        See the module docstring; ``"deviance"`` is Poisson's.
    tol, maxiter : float, int
    fixef_tol, fixef_maxiter : float, int
        Demeaning tolerance (the final one when ``adaptive``) and iteration limit.
    adaptive : bool, default True
        Start the demeaning at ``1e-4`` and tighten it (``criterion="deviance"`` only).
    step_halving : bool, default False
    on_first : callable, optional
        ``on_first(Xt, weights) -> kept column positions`` after the first demeaning (the
        PPML collinearity check); the other columns are removed from then on.
    on_iteration : callable, optional
        ``on_iteration(iteration, deviance, change)`` after each iteration (progress
        reporting); ``change`` is the convergence criterion, the deviance NaN for ``"eta"``.
    what : str
        Names the fit in error messages.

    Returns
    -------
    IRLSResult
        With ``converged=False`` when ``maxiter`` was reached (the caller words the error).

    Raises
    ------
    ConvergenceError
        The demeaning did not converge.
    EstimationError
        The linear predictor overflows ``exp``.
    """
    n = y.shape[0]
    w = np.ones(n) if weights is None else weights
    off = np.zeros(n) if offset is None else offset
    st = state if state is not None else IRLSState.start(y, X, w)
    has_fe = demeaner is not None
    Xk = X
    kept = list(range(X.shape[1]))
    poisson = criterion == "deviance"
    ylogy = 0.0
    if poisson:
        pos = y > 0
        ylogy = float(np.dot(w[pos] * y[pos], np.log(y[pos])))
    eta = st.eta
    mu = st.mu if st.mu is not None else np.exp(eta)
    dev_old = poisson_deviance(y, eta, mu, w, ylogy) if poisson else float("nan")
    inner_tol = max(fixef_tol, 1e-4) if (adaptive and poisson) else fixef_tol
    sweeps = 0
    history: list[float] = []
    coef = np.zeros(Xk.shape[1])
    it = 0

    backend: DemeanerLike = (
        demeaner if demeaner is not None else Demeaner(np.zeros((n, 0), dtype=np.int64))
    )

    def dm(arr: NDArray, weights_: NDArray, tol_: float) -> NDArray:
        nonlocal sweeps
        res = backend(arr, weights_, tol=tol_, maxiter=fixef_maxiter)
        if not res.converged:
            raise ConvergenceError(
                f"{what}: demeaning by the fixed effects did not converge in {fixef_maxiter} "
                f"iterations (tolerance {tol_:.1e}); raise fixef_maxiter or fixef_tol"
            )
        sweeps += int(np.sum(res.iterations))
        return res.x

    def prune_first(Xt: NDArray, wi: NDArray) -> NDArray:
        """On the first iteration, drop the regressors ``on_first`` finds collinear."""
        nonlocal kept, Xk
        if it == 1 and on_first is not None and Xt.shape[1]:
            keep_idx = on_first(Xt, wi)
            if len(keep_idx) < Xt.shape[1]:
                kept = [kept[j] for j in keep_idx]
                Xk, Xt = Xk[:, keep_idx], Xt[:, keep_idx]
                st.Xt = Xt
        return Xt

    def solve(Xt: NDArray, wi: NDArray, zt: NDArray) -> NDArray:
        """The weighted least-squares step, refused when the weights became non-finite."""
        xtx, xtz = _normal_equations(Xt, wi, zt)
        if not (np.isfinite(xtx).all() and np.isfinite(xtz).all()):
            raise EstimationError(
                f"{what}: the working weights became non-finite at iteration {it} (fitted "
                "values running to 0 or infinity); this is what separated observations do: "
                "keep the iterative-rectifier check (separation=('fe', 'ir')), or rescale "
                "y and the regressors"
            )
        return np.asarray(linalg.solve(xtx, xtz, assume_a="pos"))

    def converged(dev: float) -> bool:
        """Record an iteration's deviance; True once converged at the final tolerance."""
        nonlocal dev_old, inner_tol
        crit = abs(dev - dev_old) / (0.1 + abs(dev))
        history.append(crit)
        dev_old = dev
        if on_iteration is not None:
            on_iteration(it, dev, crit)
        if crit < tol:
            if inner_tol <= fixef_tol:
                return True
            inner_tol = fixef_tol  # converged at a loose demeaning tolerance: tighten
        elif adaptive:
            inner_tol = max(fixef_tol, min(inner_tol, 0.1 * crit))
        return False

    fused = poisson and has_fe and not step_halving
    for it in range(1, maxiter + 1):
        if fused:  # PPML with fixed effects: the elementwise work in two compiled passes
            wi, start = _poisson_working(eta, off, y, mu, w, st.fe_z)
            # z and X in one call: the backend may spread the columns over threads
            stack = np.empty((1 + st.Xt.shape[1], n))
            stack[0] = start
            stack[1:] = st.Xt.T
            both = dm(stack.T, wi, inner_tol)
            zt, Xt = both[:, 0], both[:, 1:]
            st.Xt = Xt
            Xt = prune_first(Xt, wi)
            coef = solve(Xt, wi, zt) if Xt.shape[1] else np.zeros(0)
            eta, mu, total, top = _poisson_update(eta, off, y, mu, w, zt, Xt, coef, st.fe_z)
            if top > ETA_MAX:
                raise EstimationError(
                    f"{what}: the linear predictor overflows exp() (max eta > {ETA_MAX:.0f}); "
                    "rescale y or the regressors, or check for separation"
                )
            st.eta, st.mu = eta, mu
            if converged(float(2.0 * (ylogy + total))):
                return IRLSResult(
                    np.asarray(coef, dtype=np.float64), eta, Xt, tuple(kept), it, True,
                    dev_old, tuple(history), sweeps,
                )  # fmt: skip
            continue
        if not poisson:
            mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):  # non-finite: refused below
            z = eta - off + (y - mu) / mu
        wi = w * family.weights(mu)
        if has_fe:
            if poisson:  # z and X demeaned in two calls, as ppmlhdfe does
                zt = dm(z - st.fe_z, wi, inner_tol)[:, 0]
                Xt = dm(st.Xt, wi, inner_tol) if st.Xt.shape[1] else st.Xt
            else:
                both = dm(np.column_stack([z - st.fe_z, st.Xt]), wi, inner_tol)
                zt, Xt = both[:, 0], both[:, 1:]
            st.fe_z = z - zt
        else:
            zt, Xt = z, Xk
        st.Xt = Xt
        Xt = prune_first(Xt, wi)
        if Xt.shape[1]:
            coef = solve(Xt, wi, zt)
            new = z - (zt - _fitted_part(Xt, coef)) + off
        else:
            coef = np.zeros(0)
            new = z - zt + off
        if step_halving:
            # Not on the very first step, which moves from the data-based start into the
            # model space.
            old_obj = family.objective(y, eta, w) if st.in_model else -np.inf
            st.in_model = True
            for _ in range(40):
                obj = family.objective(y, new, w) if np.max(new) <= ETA_MAX else -np.inf
                if obj >= old_obj - 1e-12 * (abs(old_obj) + 1.0):
                    break
                new = (eta + new) / 2.0
        if np.max(new) > ETA_MAX:
            raise EstimationError(
                f"{what}: the linear predictor overflows exp() (max eta > {ETA_MAX:.0f}); "
                "rescale y or the regressors, or check for separation"
            )
        if poisson:
            eta = new
            mu = np.exp(eta)
            st.eta, st.mu = eta, mu
            if converged(poisson_deviance(y, eta, mu, w, ylogy)):
                return IRLSResult(
                    np.asarray(coef, dtype=np.float64), eta, Xt, tuple(kept), it, True,
                    dev_old, tuple(history), sweeps,
                )  # fmt: skip
        else:
            change = float(np.max(np.abs(new - eta)))
            history.append(change)
            if on_iteration is not None:
                on_iteration(it, float("nan"), change)
            eta = new
            st.eta, st.mu = eta, None
            if change < tol:
                return IRLSResult(
                    np.asarray(coef, dtype=np.float64), eta, Xt, tuple(kept), it, True,
                    float("nan"), tuple(history), sweeps,
                )  # fmt: skip
    return IRLSResult(
        np.asarray(coef, dtype=np.float64), eta, st.Xt, tuple(kept), it, False, dev_old,
        tuple(history), sweeps,
    )  # fmt: skip
