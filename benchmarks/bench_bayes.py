"""Benchmark the Bayesian gravity model: migflows (each sampler) next to bambi.

The model: negative binomial (NB2) ``flow ~ log_wage_ratio + log_dist | orig + dest + year``
with origin and destination effects pooled (random intercepts) and year effects, on

* ``kz``: the embedded Kazakhstan panel, years 2020, 2021, 2023 (20 regions, 1,140 flows);
* ``sim50``: a synthetic panel of 50 regions x 10 years (24,500 flows) whose regressors, like
  the real ones, vary mostly between regions (the geometry that fails at PyMC's defaults).

Rows, run one after another in this order (interleaved, on the same machine state):

* ``migflows/<sampler>``: :func:`migflows.bayes_gravity` at its defaults (regressors centred
  within the effects, ``parameterization="auto"``), for every installed sampler;
* ``migflows/<sampler> before``: the same with ``center_within=False,
  parameterization="centered"`` — the model as it was sampled before issue 14;
* ``bambi/<sampler>``: bambi 0.21 on the equivalent model
  (``flow ~ log_wage_ratio + log_dist + year + (1|orig) + (1|dest)``, negative binomial).

Columns: wall time of the whole call (build, compile, sample; no log-likelihood or posterior
predictive draws in either package), the gates over every parameter of the posterior
(largest R-hat, smallest bulk and tail ESS, divergences; pass = R-hat <= 1.01, both ESS >=
400, no divergences), ESS/s = smallest bulk ESS / wall seconds, and the two slopes.

Run::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_bayes.py [--data kz sim50] [--chains 4]
        [--repeat 3] [--no-before] [--no-bambi] [--samplers nutpie]

``--repeat N`` runs N interleaved passes (every run once per pass, in the order above) and
keeps, for each run, the pass with the smallest wall time (min of N: the machine's load only
ever adds time); ``load_1min`` is the 1-minute load average when that run started.

Measured on 2 cores shared with five other engineers' test runs and benchmarks (4 chains x
1000 + 1000, PyMC 6.4, nutpie 0.16.11, bambi 0.21, seed 2024; wall times vary by a factor of
2-4 with the load, the gates and ESS do not: they are the same in every pass).

``--data kz --repeat 3 --no-before``, 2026-12-01 (min of 3 passes; load average at the
start of the kept run; the passes saw 0.5-8)::

    run               wall_s  rhat_max  ess_bulk  ess_tail  div  pass  ess_per_s  load
    migflows/nutpie     12.6     1.004      4203      2764    0   yes      332.7  0.46
    bambi/nutpie        11.4     1.020       336       342    0   no        29.4  0.58
    migflows/pymc       11.3     1.003      3725      2678    0   yes      330.5  1.10
    bambi/pymc          61.4     1.008       829      1016    0   yes       13.5  1.40

(walls of the three passes: migflows/nutpie 12.6, 17.8, 33.4 s; bambi/nutpie 11.4, 40.2,
42.4 s; migflows/pymc 11.3, 33.8, 47.5 s; bambi/pymc 61.4, 106.8, 102.6 s.)

migflows' wall time is the whole ``bayes_gravity`` call: build, compile, sample, and the
gates it checks before returning (the pointwise log-likelihood, posterior predictive draws
and LOO are computed only when asked). Against bambi + nutpie on the same model migflows is
11x ahead in ESS per second and passes the gates that bambi fails (R-hat 1.020, ESS 336).
Before issue 14 (``center_within=False, parameterization="centered"``, earlier table on a
quieter machine): 19.0 s, R-hat 1.054, ESS 81.

``--data sim50 --no-before`` (50 regions x 10 years, 24,500 flows), one pass under heavy load
(the other engineers' runs; 1-minute load average at the start of each run in the last
column, 9-17 during the runs)::

    run               wall_s  rhat_max  ess_bulk  ess_tail  div  pass  ess_per_s  load
    migflows/nutpie    931.9     1.005      8843      2307    0   yes        9.5  9.3
    bambi/nutpie      1540.5     1.160        23        91    0   no       0.015  11.3
    migflows/pymc     1131.6     1.008      7001      2308    0   yes        6.2  15.7
    bambi/pymc           (stopped after 2 min of sampling: would not finish that session)

Slopes (truth 0.8 and -1.1): migflows 0.833 / -1.096 with either sampler, bambi 0.822 /
-1.096. The wall times are those of a machine with ~8 runnable processes per core; the
gates and ESS are not affected by the load. At the defaults the gates pass on the 50-region
panel with both samplers; bambi + nutpie on the same model does not converge (R-hat 1.16).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

import migflows
from migflows.estimation.bayes.api import bayes_gravity
from migflows.estimation.bayes.sampling import GATES, available_samplers

FORMULA = "flow ~ log_wage_ratio + log_dist | orig + dest + year"
BAMBI = "flow ~ log_wage_ratio + log_dist + year + (1|orig) + (1|dest)"


def simulate(n_regions: int = 50, n_years: int = 10, seed: int = 3) -> pd.DataFrame:
    """NB2 flows with wage ratios that vary mostly between regions (slow drift by year)."""
    rng = np.random.default_rng(seed)
    r = np.arange(n_regions)
    o, d, t = (a.ravel() for a in np.meshgrid(r, r, np.arange(n_years), indexing="ij"))
    keep = o != d
    o, d, t = o[keep], d[keep], t[keep]
    xy = rng.uniform(0, 1000, size=(n_regions, 2))
    log_dist = np.log(np.hypot(*(xy[o] - xy[d]).T) + 20)
    wage = rng.normal(0, 0.3, n_regions)[:, None] + rng.normal(0, 0.03, (n_regions, n_years))
    log_wage_ratio = wage[d, t] - wage[o, t]
    u_o, u_d = rng.normal(0, 0.6, n_regions), rng.normal(0, 0.6, n_regions)
    eta = 8.0 + 0.8 * log_wage_ratio - 1.1 * log_dist + u_o[o] + u_d[d] + 0.05 * t
    mu = np.exp(eta)
    alpha = 0.15
    flow = rng.poisson(rng.gamma(1 / alpha, alpha * mu))
    names = np.array([f"r{i:02d}" for i in r])
    return pd.DataFrame(
        {
            "origin": names[o],
            "destination": names[d],
            "year": 2000 + t,
            "flow": flow,
            "log_wage_ratio": log_wage_ratio,
            "log_dist": log_dist,
        }
    )


def _gates(diag: pd.DataFrame, divergences: int) -> dict[str, float | bool]:
    out: dict[str, float | bool] = {
        "rhat_max": float(diag["r_hat"].max()),
        "ess_bulk_min": float(diag["ess_bulk"].min()),
        "ess_tail_min": float(diag["ess_tail"].min()),
        "divergences": divergences,
    }
    out["pass"] = bool(
        out["rhat_max"] <= GATES["r_hat"]
        and out["ess_bulk_min"] >= GATES["ess_bulk"]
        and out["ess_tail_min"] >= GATES["ess_tail"]
        and divergences == 0
    )
    return out


def run_migflows(data, sampler: str, before: bool, args) -> dict:
    extra = {"center_within": False, "parameterization": "centered"} if before else {}
    w0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bayes_gravity(
            FORMULA, data, family="negbin", draws=args.draws, tune=args.tune,
            chains=args.chains, sampler=sampler, random_seed=args.seed, progress=False, **extra,
        )  # fmt: skip
        wall = time.perf_counter() - w0
        diag = res.diagnostics()
    row = {"wall_s": wall, **_gates(diag, int(res.stats["divergences"]))}
    row.update(res.params.to_dict())
    return row


def run_bambi(data, sampler: str, args) -> dict:
    import arviz_stats as azs
    import bambi as bmb

    df = data.rename(columns={"origin": "orig", "destination": "dest"})
    df = df.assign(year=df["year"].astype(str))
    w0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = bmb.Model(BAMBI, df, family="negativebinomial")
        idata = model.fit(
            draws=args.draws, tune=args.tune, chains=args.chains, cores=args.chains,
            inference_method=sampler, random_seed=args.seed, progressbar=False,
        )  # fmt: skip
        wall = time.perf_counter() - w0
        post = idata["posterior"] if hasattr(idata, "children") else idata.posterior
        names = [v for v in post.data_vars if not v.endswith("_offset")]
        diag = pd.DataFrame(azs.summary(idata, var_names=names, kind="diagnostics")).astype(float)
    ss = idata["sample_stats"]
    row = {"wall_s": wall, **_gates(diag, int(ss["diverging"].to_numpy().sum()))}
    for name in ("log_wage_ratio", "log_dist"):
        row[name] = float(post[name].mean())
    return row


def _kz_frame(kz) -> pd.DataFrame:
    m = bayes_gravity(FORMULA, kz, family="negbin", sample=False)
    out = m.design.keys.reset_index(drop=True).rename(
        columns={"origin": "orig", "destination": "dest"}
    )
    out["flow"] = m.y
    for name in m.coef_names:
        out[name] = m.design.X[name].to_numpy()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", nargs="+", default=["kz", "sim50"], choices=["kz", "sim50"])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--no-bambi-pymc", action="store_true", help="skip bambi with PyMC NUTS")
    ap.add_argument("--no-before", action="store_true", help="skip the pre-issue-14 rows")
    ap.add_argument("--no-bambi", action="store_true", help="skip every bambi row")
    ap.add_argument(
        "--repeat", type=int, default=1, help="interleaved passes; the table keeps min wall"
    )
    ap.add_argument("--samplers", nargs="+", default=None, help="migflows samplers to run")
    args = ap.parse_args()
    samplers = [s for s in ("nutpie", "pymc", "numpyro", "blackjax") if s in available_samplers()]
    if args.samplers:
        samplers = [s for s in samplers if s in args.samplers]
    rows = []
    for name in args.data:
        if name == "kz":
            data = migflows.load_kazakhstan(years=[2020, 2021, 2023])
            frame = _kz_frame(data)
        else:
            data = frame = simulate()
        plan: list[tuple[str, str, bool]] = []
        for sampler in samplers:  # interleaved: each migflows run next to bambi's
            plan.append(("migflows", sampler, False))
            bambi_ok = not args.no_bambi and not (sampler == "pymc" and args.no_bambi_pymc)
            if sampler in ("nutpie", "pymc") and bambi_ok:
                plan.append(("bambi", sampler, False))
            if not args.no_before:
                plan.append(("migflows", sampler, True))
        for rep in range(args.repeat):  # pass after pass: every run sees the same load
            for package, sampler, before in plan:
                run = f"{package}/{sampler}" + (" before" if before else "")
                load = os.getloadavg()[0]
                if package == "migflows":
                    row = run_migflows(data, sampler, before, args)
                else:
                    row = run_bambi(frame, sampler, args)
                row["load_1min"] = load
                rows.append({"data": name, "run": run, "pass_no": rep, **row})
                shown = {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
                print(name, run, rep, shown, flush=True)
        print(f"{name}: {len(frame)} flows done", flush=True)
    every = pd.DataFrame(rows)
    # min of N: the pass with the smallest wall time of each run (its own gates and ESS)
    best = every.loc[every.groupby(["data", "run"], sort=False)["wall_s"].idxmin()]
    table = best.drop(columns="pass_no").set_index(["data", "run"])
    table.insert(
        table.columns.get_loc("pass") + 1, "ess_per_s", table["ess_bulk_min"] / table["wall_s"]
    )
    print(
        f"{args.chains} chains x {args.draws} draws (tune {args.tune}); gates: R-hat <= 1.01, "
        f"bulk and tail ESS >= 400, no divergences; ESS/s = smallest bulk ESS / wall s"
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(
            table.round(
                {
                    "wall_s": 1,
                    "rhat_max": 3,
                    "ess_bulk_min": 0,
                    "ess_tail_min": 0,
                    "ess_per_s": 1,
                    "log_wage_ratio": 4,
                    "log_dist": 4,
                    "load_1min": 2,
                }
            ).to_string()
        )


if __name__ == "__main__":
    main()
