"""Time migflows' panel unit-root tests next to R plm::purtest / plm::cipstest.

Usage:  .venv/bin/python benchmarks/bench_unit_root.py [--reps N] [--sizes 20x25,200x50,2000x50]

For each panel size (N units x T periods, simulated random walks, seeded) both sides run
the same computations: migflows with plm's settings (dfcor=False, llc_lrv="plm",
pvalue_extrapolation="polynomial") and plm with p.approx = "MacKinnon1994"; lags chosen
per unit by AIC up to 4 (IPS, LLC, Maddala-Wu, Choi), Hadri, and CIPS with 1 lag. Each
call is timed on data already in memory (a pandas DataFrame / a pdata.frame), best of
``reps`` repetitions. The table also reports the largest relative difference between
the two statistics, as a check that like is compared with like. Needs Rscript with plm
on PATH; without it only the Python timings are printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from migflows.estimation.unit_root.api import unit_root

_PURTEST = 'purtest(x, test = "{}", exo = "intercept", lags = "AIC", pmax = 4, p.approx = "{}")'
CALLS = {
    "ips": ({"test": "ips", "lags": "aic", "max_lags": 4}, _PURTEST.format("ips", "MacKinnon1994")),
    "llc": (
        {"test": "llc", "lags": "aic", "max_lags": 4},
        _PURTEST.format("levinlin", "MacKinnon1994"),
    ),
    "madwu": (
        {"test": "madwu", "lags": "aic", "max_lags": 4},
        _PURTEST.format("madwu", "MacKinnon1994"),
    ),
    "choi": (
        {"test": "choi", "lags": "aic", "max_lags": 4},
        _PURTEST.format("invnormal", "MacKinnon1994"),
    ),
    "hadri": ({"test": "hadri"}, 'purtest(x, test = "hadri", exo = "intercept")'),
    "cips": ({"test": "cips", "lags": 1}, 'cipstest(x, lags = 1, type = "drift")'),
}
PLM_SETTINGS = {"dfcor": False, "llc_lrv": "plm", "pvalue_extrapolation": "polynomial"}

R_SCRIPT = r"""
suppressPackageStartupMessages(library(plm))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
reps <- as.integer(args[2])
calls <- jsonlite::fromJSON(args[3])
x <- pdata.frame(d, index = c("id", "t"))$y
out <- list()
for (name in names(calls)) {
  expr <- parse(text = calls[[name]])[[1]]
  best <- Inf
  err <- NULL
  for (r in seq_len(reps)) {
    # proc.time() ticks in milliseconds: repeat fast calls until 50 ms have passed
    inner <- 1L
    repeat {
      t0 <- proc.time()[["elapsed"]]
      for (i in seq_len(inner)) {
        res <- tryCatch(suppressWarnings(eval(expr)), error = function(e) e)
        if (inherits(res, "error")) break
      }
      elapsed <- proc.time()[["elapsed"]] - t0
      if (inherits(res, "error") || elapsed >= 0.05) break
      inner <- inner * 2L
    }
    if (inherits(res, "error")) { err <- conditionMessage(res); break }
    best <- min(best, elapsed / inner)
  }
  if (!is.null(err)) {
    out[[name]] <- list(seconds = elapsed, statistic = NA, error = err)
  } else {
    stat <- if (inherits(res, "purtest")) res$statistic$statistic else res$statistic
    out[[name]] <- list(seconds = best, statistic = unname(stat))
  }
}
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))
"""


def simulate(n: int, t: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((n, t)).cumsum(axis=1) + rng.normal(scale=3.0, size=(n, 1))
    idx = pd.MultiIndex.from_product([range(1, n + 1), range(1, t + 1)], names=["id", "t"])
    return pd.DataFrame({"y": y.ravel()}, index=idx)


def time_python(df: pd.DataFrame, reps: int) -> dict[str, tuple[float, float]]:
    out = {}
    for name, (kw, _) in CALLS.items():
        settings = {} if name in ("hadri", "cips") else dict(PLM_SETTINGS)
        if name == "hadri":
            settings = {"dfcor": False}
        best = np.inf
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(reps):
                t0 = time.perf_counter()
                res = unit_root(df, "y", **kw, **settings)  # type: ignore[arg-type]
                best = min(best, time.perf_counter() - t0)
        out[name] = (best, res.statistic)
    return out


def time_r(df: pd.DataFrame, reps: int, workdir: Path) -> dict[str, dict[str, float]] | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    csv = workdir / "panel.csv"
    df.reset_index().to_csv(csv, index=False)
    script = workdir / "bench.R"
    script.write_text(R_SCRIPT)
    calls = json.dumps({name: call for name, (_, call) in CALLS.items()})
    proc = subprocess.run(
        [rscript, str(script), str(csv), str(reps), calls],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"Rscript failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--sizes", default="20x25,200x50,2000x50")
    args = parser.parse_args()
    rows = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            n, t = (int(v) for v in size.split("x"))
            df = simulate(n, t)
            reps = max(1, args.reps if n < 1000 else args.reps // 2)
            py = time_python(df, reps)
            r = time_r(df, reps, Path(tmp))
            for name, (seconds, stat) in py.items():
                row = {"panel": f"{n}x{t}", "test": name, "migflows_ms": 1e3 * seconds}
                if r is not None:
                    r_sec = float(r[name]["seconds"])
                    row["plm_ms"] = 1e3 * r_sec
                    row["plm/migflows"] = r_sec / seconds if seconds > 0 else np.nan
                    if "error" in r[name]:
                        row["stat_rel_diff"] = np.nan
                        errors.append(
                            f"{n}x{t} {name}: plm failed after {r_sec:.2f} s: {r[name]['error']}"
                        )
                    else:
                        r_stat = float(r[name]["statistic"])
                        row["stat_rel_diff"] = abs(stat - r_stat) / max(abs(r_stat), 1e-12)
                rows.append(row)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 120, "display.float_format", "{:.3g}".format):
        print(table.to_string(index=False))
    for line in errors:
        print(line)


if __name__ == "__main__":
    main()
