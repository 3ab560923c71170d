"""Monte Carlo of few-cluster inference: rejection rates of a true null at 20 clusters.

Usage:  PYTHONPATH=$PWD .venv/bin/python scripts/mc_few_clusters.py [--replications 1000]
        [--draws 399] [--seed 20261201] [--designs ols1,ols2,ppml1,ppml2,nb2,gpml]

Prints the table of the share of 5 % rejections by design and method (and its Monte Carlo
standard error); a replication whose fit fails (an NB2 fit that does not converge, rows
separated) is not counted, and the table gives the replications used.
``tests/test_bootstrap_mc.py`` runs a shorter version (marked slow).

Designs (20 regions, all ordered pairs, 2 years, 760 flows; the regressor ``x`` has no effect):

``ols1``   log-OLS, destination and year effects, clusters: origin. ``x`` and the error have
           origin components whose scale varies across origins (lognormal, sd 0.5), so a few
           clusters carry most of the information, the setting where CRV1 over-rejects.
``ols2``   the same with origin and destination components, year effects only, two-way
           clusters origin and destination (bootstrap weights drawn on origins).
``ppml1``  Poisson flows with an origin-level gamma shock, destination and year effects.
``ppml2``  origin and destination shocks, year effects, two-way clusters.
``nb2``    negative binomial counts (the ``ppml1`` shock times a gamma(2, 1/2) overdispersion).
``gpml``   positive continuous flows (the ``ppml1`` shock times a gamma(2, 1/2) error).

Methods: CRV1 with t(G - 1) critical values (fixest's small-sample factor); CR3
(Bell–McCaffrey jackknife, least squares only); the restricted wild cluster bootstrap (WCR,
least squares); the score bootstrap of Kline & Santos, unrestricted (scores at the estimate)
and restricted (scores of the model refitted under the null). Bootstrap p-values from
``--draws`` Rademacher draws.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from migflows.errors import EstimationError
from migflows.estimation.core.bootstrap import score_bootstrap, wild_cluster_bootstrap
from migflows.estimation.core.cluster_adjusted import LinearPieces
from migflows.estimation.core.covariance import sandwich
from migflows.estimation.core.demean import demean
from migflows.estimation.gravity.few_clusters import restricted_glm_arrays, restricted_poisson
from migflows.estimation.gravity.glm_engines import (
    DemeanedSolver,
    fit_gpml_engine,
    fit_negbin_engine,
)
from migflows.estimation.gravity.ppml import fit_ppml

G, T = 20, 2
_o, _d, _t = (
    a.ravel() for a in np.meshgrid(np.arange(G), np.arange(G), np.arange(T), indexing="ij")
)
_keep = _o != _d
ORIG, DEST, YEAR = _o[_keep], _d[_keep], _t[_keep]
N = len(ORIG)
CLUSTERS = pd.DataFrame({"orig": ORIG, "dest": DEST})
FE_ONE = np.column_stack([DEST, YEAR])  # one-way designs: destination and year effects
FE_TWO = YEAR[:, None]  # two-way designs: year effects
R = np.array([1.0])
CRIT = stats.t.ppf(0.975, G - 1)

METHODS = {
    "ols1": ("CRV1", "CR3", "WCR"),
    "ols2": ("CRV1", "CR3", "WCR"),
    "ppml1": ("CRV1", "score (restricted)"),
    "ppml2": ("CRV1", "score (restricted)"),
    "nb2": ("CRV1", "score (unrestricted)", "score (restricted)"),
    "gpml": ("CRV1", "score (unrestricted)", "score (restricted)"),
}


def _cluster_spec(two_way: bool) -> str:
    return "orig+dest" if two_way else "orig"


def _se(H, scores, kind, two_way, fe, linear=None) -> float:  # type: ignore[no-untyped-def]
    cov = sandwich(
        H,
        scores,
        {kind: _cluster_spec(two_way)},
        nobs=N,
        k=H.shape[0],
        fe_codes=fe,
        clusters=CLUSTERS,
        linear=linear,
    )
    return float(np.sqrt(cov.cov[0, 0])) if cov.cov[0, 0] > 0 else np.nan


def _codes(two_way: bool) -> np.ndarray:
    return np.column_stack([ORIG, DEST]) if two_way else ORIG[:, None]


def _regressor(rng: np.random.Generator, two_way: bool) -> np.ndarray:
    scale = rng.lognormal(0, 0.5, G)
    x = scale[ORIG] * rng.normal(size=G)[ORIG] + 0.3 * rng.normal(size=N)
    if two_way:
        x = x + rng.lognormal(0, 0.5, G)[DEST] * rng.normal(size=G)[DEST]
    return x


def _shock(rng: np.random.Generator, two_way: bool) -> np.ndarray:
    s = rng.gamma(2.0, 0.5, G)[ORIG] * np.exp(0.5 * rng.normal(size=G))[ORIG]
    if two_way:
        s = s * rng.gamma(2.0, 0.5, G)[DEST]
    return s


def ols(rng: np.random.Generator, two_way: bool, draws: int) -> dict[str, bool]:
    """One replication of the least-squares designs."""
    x = _regressor(rng, two_way)
    scale = rng.lognormal(0, 0.5, G)
    y = scale[ORIG] * rng.normal(size=G)[ORIG] + rng.normal(size=N)
    if two_way:
        y = y + rng.lognormal(0, 0.5, G)[DEST] * rng.normal(size=G)[DEST]
    fe = FE_TWO if two_way else FE_ONE
    both = demean(np.column_stack([y, x]), fe, tol=1e-12).x
    yt, Xt = both[:, 0], both[:, 1:]
    H = Xt.T @ Xt
    b = np.linalg.solve(H, Xt.T @ yt)
    u = yt - Xt @ b
    out = {
        "CRV1": abs(b[0]) / _se(H, Xt * u[:, None], "CRV1", two_way, fe) > CRIT,
        "CR3": abs(b[0]) / _se(H, Xt * u[:, None], "CR3", two_way, fe, LinearPieces(Xt, u)) > CRIT,
    }
    wcr = wild_cluster_bootstrap(
        Xt, yt, _codes(two_way), R, 0.0, reps=draws, random_seed=rng, interval=False, fe_codes=fe
    )
    out["WCR"] = wcr.pval < 0.05
    return out


def _score_tests(
    H: np.ndarray,
    scores: np.ndarray,
    coef: np.ndarray,
    refit: Callable[[float], tuple[np.ndarray, np.ndarray]],
    two_way: bool,
    fe: np.ndarray,
    rng: np.random.Generator,
    draws: int,
    unrestricted: bool,
) -> dict[str, bool]:
    out = {"CRV1": abs(coef[0]) / _se(H, scores, "CRV1", two_way, fe) > CRIT}
    common = {"reps": draws, "random_seed": rng, "interval": False}
    if unrestricted:
        free = score_bootstrap(H, scores, coef, _codes(two_way), R, 0.0, **common)
        out["score (unrestricted)"] = free.pval < 0.05
    tied = score_bootstrap(H, scores, coef, _codes(two_way), R, 0.0, restricted_fit=refit, **common)
    out["score (restricted)"] = tied.pval < 0.05
    return out


def ppml(rng: np.random.Generator, two_way: bool, draws: int) -> dict[str, bool]:
    """One replication of the PPML designs."""
    x = _regressor(rng, two_way)
    flows = rng.poisson(np.exp(1.0) * _shock(rng, two_way)).astype(float)
    fe = FE_TWO if two_way else FE_ONE
    fit = fit_ppml(flows, x[:, None], fe, separation=(), drop_singletons=False, tol=1e-10)
    refit = restricted_poisson(flows, x[:, None], fe, np.ones(N), np.zeros(N), R)
    return _score_tests(
        fit.hessian, fit.scores, fit.coef, refit, two_way, fe, rng, draws, unrestricted=False
    )


def glm(rng: np.random.Generator, estimator: str, draws: int) -> dict[str, bool]:
    """One replication of the NB2 or GPML design (one-way)."""
    x = _regressor(rng, False)
    mean = np.exp(1.0) * _shock(rng, False) * rng.gamma(2.0, 0.5, N)
    y = rng.poisson(mean).astype(float) if estimator == "negbin" else mean
    w, off = np.ones(N), np.zeros(N)
    opts = {"tol": 1e-10, "maxiter": 100, "theta": None, "outer_maxiter": 100}
    solver = DemeanedSolver(y, x[:, None], FE_ONE, w, off, opts)
    if estimator == "negbin":
        engine = fit_negbin_engine(solver, y, w, opts)
        mu = np.exp(engine.eta)
        wt, u = mu / (1 + mu / engine.theta), (y - mu) / (1 + mu / engine.theta)
    else:
        engine = fit_gpml_engine(solver, y, w)
        mu = np.exp(engine.eta)
        wt, u = w, (y - mu) / mu
    xt = demean(x[:, None], FE_ONE, weights=wt, tol=1e-13).x
    H, scores = (xt * wt[:, None]).T @ xt, xt * u[:, None]
    refit = restricted_glm_arrays(estimator, y, x[:, None], FE_ONE, w, off, R)
    return _score_tests(H, scores, engine.coef, refit, False, FE_ONE, rng, draws, True)


RUNS: dict[str, Callable[[np.random.Generator, int], dict[str, bool]]] = {
    "ols1": lambda rng, d: ols(rng, False, d),
    "ols2": lambda rng, d: ols(rng, True, d),
    "ppml1": lambda rng, d: ppml(rng, False, d),
    "ppml2": lambda rng, d: ppml(rng, True, d),
    "nb2": lambda rng, d: glm(rng, "negbin", d),
    "gpml": lambda rng, d: glm(rng, "gpml", d),
}


def rejection_rates(
    replications: int,
    *,
    designs: tuple[str, ...] = tuple(RUNS),
    draws: int = 399,
    seed: int = 20261201,
    progress: bool = False,
) -> pd.DataFrame:
    """Share of 5 % rejections by design and method, with Monte Carlo standard errors."""
    rows = []
    for design in designs:
        rng = np.random.default_rng([seed, list(RUNS).index(design)])
        hits = dict.fromkeys(METHODS[design], 0)
        start = time.perf_counter()
        done = 0
        for _ in range(replications):
            try:
                outcome = RUNS[design](rng, draws)
            except EstimationError:  # e.g. an NB2 fit that does not converge: not counted
                continue
            done += 1
            for method, rejected in outcome.items():
                hits[method] += bool(rejected)
        seconds = time.perf_counter() - start
        for method, count in hits.items():
            rate = count / max(done, 1)
            rows.append(
                {
                    "design": design,
                    "method": method,
                    "rejection": rate,
                    "mc_se": np.sqrt(max(rate * (1 - rate), 0.05 * 0.95) / max(done, 1)),
                    "replications": done,
                    "seconds": seconds,
                }
            )
        if progress:
            print(f"{design}: {seconds:.1f} s", file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=399)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--designs", default=",".join(RUNS))
    args = parser.parse_args(argv)
    table = rejection_rates(
        args.replications,
        designs=tuple(args.designs.split(",")),
        draws=args.draws,
        seed=args.seed,
        progress=True,
    )
    shown = table.assign(
        rejection=lambda t: (100 * t["rejection"]).map("{:.1f} %".format),
        mc_se=lambda t: (100 * t["mc_se"]).map("{:.1f}".format),
    )
    print(f"{args.replications} replications, {args.draws} bootstrap draws, {G} clusters")
    print(shown.drop(columns="seconds").to_string(index=False))


if __name__ == "__main__":
    main()
