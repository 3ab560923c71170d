"""The two solvers of the negative binomial and gamma PML gravity models (``engine=``).

``"demean"`` (:class:`DemeanedSolver`) runs the shared IRLS loop of
:mod:`migflows.estimation.core.irls` with the fixed effects partialled out by the demeaning
backend; ``"dummies"`` (:class:`DummiesSolver`) is statsmodels ``GLM`` on the regressors plus
one indicator column per fixed-effect level (:func:`dummy_matrix`), the library reference.
:func:`fit_negbin_engine` alternates a GLM fit at fixed ``theta`` with the maximum-likelihood
``theta`` (MASS's ``glm.nb``); :func:`fit_gpml_engine` fits gamma PML.

Examples
--------
>>> codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
>>> dummy_matrix(codes).shape  # all of the first fixed effect, all but one of the second
(4, 3)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import statsmodels.api as sm
from numpy.typing import NDArray
from scipy import linalg, sparse
from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning

from migflows.errors import ConvergenceError
from migflows.estimation.core.demean import Demeaner, DemeanerFactory
from migflows.estimation.core.irls import (
    GAMMA,
    POISSON,
    IRLSState,
    LogLinkFamily,
    NegativeBinomial,
    irls,
)
from migflows.estimation.gravity.negbin import (
    gamma_deviance,
    gamma_loglik,
    nb2_theta_ml,
    nb_deviance,
    nb_loglik,
    nb_theta_info,
)

__all__ = [
    "DemeanedSolver",
    "DummiesSolver",
    "EngineFit",
    "Solver",
    "dummy_matrix",
    "fit_gpml_engine",
    "fit_negbin_engine",
    "not_converged",
]


@dataclass(frozen=True)
class EngineFit:
    """What a solver run returns to :func:`migflows.estimation.gravity.glm.fit`."""

    coef: NDArray[np.float64]
    eta: NDArray[np.float64]
    deviance: float
    loglik: float
    iterations: int
    theta: float = float("nan")
    theta_se: float = float("nan")
    irls_iterations: int = 0


class Solver(Protocol):
    """A GLM solver at fixed dispersion: ``fit(kind, alpha, what) -> (coef, eta, iterations)``."""

    def fit(self, kind: str, alpha: float, what: str) -> tuple[NDArray, NDArray, int]:
        """Fit ``kind`` (``"poisson"``, ``"negbin"``, ``"gamma"``) at dispersion ``alpha``."""
        ...


def dummy_matrix(codes: NDArray[np.int64]) -> NDArray[np.float64]:
    """Full-column-rank indicator matrix spanning the fixed effects (and the intercept)."""
    n, g = codes.shape
    if g == 0:
        return np.zeros((n, 0))
    blocks = []
    for j in range(g):
        c = codes[:, j]
        levels = int(c.max()) + 1
        block = sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, levels))
        blocks.append(block if j == 0 else block[:, 1:])
    D = sparse.hstack(blocks, format="csc")
    # Remaining redundancies (e.g. orig^year + dest^year: one per year) are found on the
    # small cross-product D'D, whose null space is that of D.
    gram = (D.T @ D).toarray()
    _, r, piv = linalg.qr(gram, pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > 1e-9 * diag[0])) if diag.size else 0
    keep = np.sort(piv[:rank])
    return np.asarray(D[:, keep].toarray())


class DummiesSolver:
    """statsmodels GLM on the slopes plus dummy columns (``engine="dummies"``)."""

    def __init__(self, y, X, codes, w, off, opts) -> None:  # type: ignore[no-untyped-def]
        self.y, self.w, self.off, self.opts, self.k = y, w, off, opts, X.shape[1]
        self.full = np.column_stack([X, dummy_matrix(codes)])
        self.params: NDArray | None = None

    def fit(self, kind: str, alpha: float, what: str) -> tuple[NDArray, NDArray, int]:
        """Fit family ``kind`` at dispersion ``alpha`` (statsmodels, warm-started)."""
        family = {
            "poisson": sm.families.Poisson(),
            "negbin": sm.families.NegativeBinomial(alpha=alpha),
            "gamma": sm.families.Gamma(link=sm.families.links.Log()),
        }[kind]
        model = sm.GLM(self.y, self.full, family=family, offset=self.off, var_weights=self.w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SMConvergenceWarning)
            res = model.fit(
                start_params=self.params,
                maxiter=self.opts["maxiter"],
                tol=self.opts["tol"],
                tol_criterion="params",
                wls_method="qr",
            )
        if not res.converged:
            raise not_converged(what, self.opts)
        self.params = np.asarray(res.params, dtype=float)
        eta = self.full @ self.params + self.off
        return self.params[: self.k], eta, int(res.fit_history["iteration"])


class DemeanedSolver:
    """IRLS with the fixed effects partialled out by weighted demeaning (``engine="demean"``).

    Each iteration regresses the working response on the regressors after removing the fixed
    effects at the current weights (Frisch-Waugh-Lovell) — the shared loop of
    :func:`migflows.estimation.core.irls.irls`, with step halving and the change of the linear
    predictor as criterion (R's ``glm``); no dummy is built, so memory and time grow with
    ``n``, not ``n x levels``. The warm start (:class:`~migflows.estimation.core.irls.IRLSState`)
    carries over between calls, as the negative binomial alternation needs.
    """

    def __init__(self, y, X, codes, w, off, opts) -> None:  # type: ignore[no-untyped-def]
        self.y, self.X, self.w, self.off, self.opts = y, X, w, off, opts
        factory: DemeanerFactory = opts.get("demeaner") or Demeaner  # the engine seam
        self.demeaner = factory(codes) if codes.shape[1] else None
        self.state = IRLSState.start(y, X, w)

    def fit(self, kind: str, alpha: float, what: str) -> tuple[NDArray, NDArray, int]:
        """Fit family ``kind`` at dispersion ``alpha``; raise ConvergenceError if it fails."""
        family: LogLinkFamily = {"poisson": POISSON, "gamma": GAMMA}.get(kind) or (
            NegativeBinomial(alpha)
        )
        res = irls(
            self.y,
            self.X,
            family,
            weights=self.w,
            offset=self.off,
            demeaner=self.demeaner,
            state=self.state,
            criterion="eta",
            tol=self.opts["tol"],
            maxiter=self.opts["maxiter"],
            fixef_tol=1e-13,
            fixef_maxiter=100_000,
            step_halving=True,
            what=what,
        )
        if not res.converged:
            raise not_converged(what, self.opts)
        return res.coef, res.eta, res.iterations


def not_converged(what: str, opts: dict[str, Any]) -> ConvergenceError:
    """The error of an IRLS fit that reached ``maxiter``."""
    return ConvergenceError(
        f"{what} did not converge in maxiter={opts['maxiter']} IRLS iterations (change above "
        f"tol={opts['tol']:.0e}); raise maxiter=, look for separation or extreme regressor "
        "values, or use estimator='ppml'."
    )


def fit_gpml_engine(solver: Solver, y: NDArray, w: NDArray) -> EngineFit:
    """Gamma PML with ``solver``."""
    coef, eta, it = solver.fit("gamma", 0.0, "The gamma PML fit")
    mu = np.exp(eta)
    dev = gamma_deviance(y, mu, w)
    return EngineFit(coef, eta, dev, gamma_loglik(y, mu, w, dev), it)


def fit_negbin_engine(solver: Solver, y: NDArray, w: NDArray, opts: dict[str, Any]) -> EngineFit:
    """NB2 by alternating a GLM fit at fixed ``theta`` and ML ``theta`` (MASS ``glm.nb``)."""
    coef, eta, irls = solver.fit("poisson", 0.0, "The initial Poisson fit")
    mu = np.exp(eta)
    fixed = opts["theta"]
    theta = float(fixed) if fixed is not None else nb2_theta_ml(y, mu, w)[0]
    ll_old = nb_loglik(y, mu, theta, w)
    rounds = 0
    for _ in range(opts["outer_maxiter"]):
        rounds += 1
        coef, eta, it = solver.fit("negbin", 1.0 / theta, f"The NB2 fit at theta={theta:.6g}")
        irls += it
        mu = np.exp(eta)
        if fixed is not None:
            break
        theta_new, _ = nb2_theta_ml(y, mu, w)
        ll = nb_loglik(y, mu, theta_new, w)
        tol = opts["tol"]
        done = abs(theta_new - theta) <= tol * theta and abs(ll - ll_old) <= tol * (abs(ll) + 0.1)
        theta, ll_old = theta_new, ll
        if done:
            break
    else:
        raise ConvergenceError(
            f"the negative binomial alternation of coefficients and theta did not converge in "
            f"outer_maxiter={opts['outer_maxiter']} rounds (theta={theta:.6g}); raise "
            "outer_maxiter= or use estimator='ppml'."
        )
    se = float("nan") if fixed is not None else 1.0 / np.sqrt(nb_theta_info(theta, y, mu, w))
    return EngineFit(
        coef,
        eta,
        nb_deviance(y, mu, theta, w),
        nb_loglik(y, mu, theta, w),
        rounds,
        theta=theta,
        theta_se=float(se),
        irls_iterations=irls,
    )
