"""Benchmark the Bayesian gravity model against PPML on the Kazakhstan data.

Fits ``flow ~ log_wage_ratio + log_dist | orig + dest + year`` on the embedded Kazakhstan
panel (years 2020, 2021, 2023: 20 regions, 1,140 flows) with

* :func:`migflows.estimation.bayes.api.bayes_gravity`, Poisson and negative binomial,
  origin and destination effects pooled, 2 chains x 1,000 draws after 1,000 tuning steps
  (``cores=2``), and
* :func:`migflows.gravity` PPML with the same effects as fixed effects (best of 5 runs),

and prints wall time (and this process's CPU time: chains run in worker processes, so it
understates the Bayesian fits), the NUTS sampling time reported by PyMC, leapfrog steps per
draw, the bulk ESS of the ``log_dist`` slope per second of sampling, the largest R-hat, the
divergences and the slopes. The Bayesian wall time includes building the model, compiling
it (pytensor caches compiled C code in ``~/.pytensor``, so a first run on a machine is
slower) and the log-likelihood and posterior predictive draws stored for LOO and PPCs.

Run::

    .venv/bin/python benchmarks/bench_bayes.py [--draws 1000] [--tune 1000] [--chains 2]

Measured (2 cores shared with other jobs, pytensor cache warm; PyMC 6.4)::

    model              wall_s  nuts_s  steps/draw  ess/s  rhat_max  div  wage    log_dist (sd)
    Bayes poisson       40.0    29.0     44.5       47.9   1.013     0   -0.505  -1.1437 (0.0013)
    Bayes negbin        54.4    45.9     31.1       62.1   1.023     0    0.057  -1.4050 (0.0336)
    PPML (fixed eff.)    0.023                                          -0.510  -1.1437 (0.0345)

The Bayesian NB2 fit takes about 2,400 times as long as PPML. The Poisson posterior sd of
``log_dist`` ignores the overdispersion (PPML's is heteroskedasticity-robust, NB2 models it).
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

import migflows
from migflows.estimation.bayes.api import bayes_gravity

FORMULA = "flow ~ log_wage_ratio + log_dist | orig + dest + year"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    kz = migflows.load_kazakhstan(years=[2020, 2021, 2023])
    rows = []
    for family in ("poisson", "negbin"):
        w0, c0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = bayes_gravity(
                FORMULA,
                kz,
                family=family,
                draws=args.draws,
                tune=args.tune,
                chains=args.chains,
                cores=args.cores,
                random_seed=2024,
                progress=False,
            )
            st = res.stats
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        ss = res.idata["sample_stats"]
        sampling = float(ss.attrs.get("sampling_time", float("nan")))
        ess = float(res.diagnostics().loc["beta[log_dist]", "ess_bulk"])
        rows.append(
            {
                "model": f"Bayes {family}",
                "wall_s": wall,
                "cpu_s": cpu,
                "nuts_s": sampling,
                "steps_per_draw": float(ss["n_steps"].mean()),
                "ess_per_s": ess / sampling,
                "rhat_max": st["rhat_max"],
                "divergences": st["divergences"],
                "log_wage_ratio": res.params["log_wage_ratio"],
                "log_dist": res.params["log_dist"],
                "sd_log_dist": res.std_errors["log_dist"],
            }
        )
    migflows.gravity(FORMULA, kz)  # warm up numba
    best = (float("inf"), float("inf"))
    for _ in range(5):
        w0, c0 = time.perf_counter(), time.process_time()
        ppml = migflows.gravity(FORMULA, kz)
        best = min(best, (time.perf_counter() - w0, time.process_time() - c0))
    rows.append(
        {
            "model": "PPML (fixed effects)",
            "wall_s": best[0],
            "cpu_s": best[1],
            "log_wage_ratio": ppml.params["log_wage_ratio"],
            "log_dist": ppml.params["log_dist"],
            "sd_log_dist": ppml.std_errors["log_dist"],
        }
    )
    table = pd.DataFrame(rows).set_index("model")
    print(
        f"Kazakhstan 2020/2021/2023, {kz.nobs} flows; {args.chains} chains x {args.draws} "
        f"draws (tune {args.tune}), cores={args.cores}"
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(4).to_string())
    ratio = table.loc["Bayes negbin", "wall_s"] / table.loc["PPML (fixed effects)", "wall_s"]
    print(f"\nnegative binomial fit / PPML wall time: {ratio:,.0f}x")


if __name__ == "__main__":
    main()
