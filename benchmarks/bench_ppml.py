"""Benchmark PPML with origin-year, destination-year and pair fixed effects.

Compares migflows' ``fit_ppml`` (+ HC1 covariance) with pyfixest ``fepois`` and, where it fits
in memory and time, statsmodels GLM Poisson with dummy fixed effects, on synthetic OD panels of
R regions x T years (no self flows). Every (estimator, size) runs in its own subprocess so that
peak memory is measured cleanly: the table reports the wall time of the fit alone (data built
and JIT/imports warmed up on a tiny panel first) and the growth of the peak resident set size
during the fit (``resource.getrusage`` high-water mark after minus before).

Usage::

    .venv/bin/python benchmarks/bench_ppml.py            # 2e3 (with statsmodels), 1e4 .. 1e6
    .venv/bin/python benchmarks/bench_ppml.py --big      # adds 1e7 rows (~10 GB for pyfixest)
    .venv/bin/python benchmarks/bench_ppml.py --sizes 1e4 --repeat 3

Both packages are run at their default tolerances (pyfixest: iwls_tol 1e-8, fixef_tol 1e-6;
migflows: tol 1e-8, fixef_tol 1e-10, i.e. a tighter demeaning) and the largest coefficient
difference between them is printed as a check that they solve the same problem.

Measured 2026-11-22 on the 2-core build machine (pyfixest 0.60, numba 0.68; the machine was
shared with other jobs, load 1-7, so single timings vary by up to 2x; best of 3 runs):

    rows  R x T     migflows        migflows+IR     pyfixest        statsmodels
    2e3   11 x 20   0.010 s, 1 MB   0.03 s, 3 MB    0.03 s, 2 MB    58 s, 1.7 GB
    1e4   23 x 20   0.018 s, 2 MB   0.09 s, 14 MB   0.07 s, 6 MB    (skipped)
    1e5   71 x 20   0.25-0.36 s     2.1 s, 141 MB   0.32-0.35 s     (skipped)
                    21 MB                           80 MB
    1e6   224 x 20  3.3-5.7 s       18-21 s         6.3-8.9 s       (skipped)
                    214 MB                          784 MB
    1e7   708 x 20  60 s, 1.9 GB    (not run)       109 s, 3.5 GB   (skipped)

("migflows" runs the "fe" separation check only, like pyfixest's default; "migflows+IR" adds
the iterative rectifier. Coefficients agree with pyfixest to 1e-12 or better at every size.)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SIZES = {2e3: (11, 20), 1e4: (23, 20), 1e5: (71, 20), 1e6: (224, 20), 1e7: (708, 20)}
ESTIMATORS = ("migflows", "migflows_ir", "pyfixest", "statsmodels")


def make_panel(n_regions: int, n_years: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic OD panel with two pair-year regressors and ~30-40 % zero flows."""
    rng = np.random.default_rng(seed)
    o, d, t = (
        a.ravel()
        for a in np.meshgrid(
            np.arange(n_regions), np.arange(n_regions), np.arange(n_years), indexing="ij"
        )
    )
    keep = o != d
    o, d, t = o[keep], d[keep], t[keep]
    n = o.size
    x1 = rng.normal(size=n)
    x2 = (rng.random(n) < 0.2).astype(float)
    eta = (
        0.3 * x1
        + 0.2 * x2
        + rng.normal(0, 0.5, (n_regions, n_years))[o, t]
        + rng.normal(0, 0.5, (n_regions, n_years))[d, t]
        + rng.normal(-0.5, 1.0, (n_regions, n_regions))[o, d]
    )
    y = rng.poisson(np.exp(eta)).astype(float)
    return pd.DataFrame(
        {
            "y": y,
            "x1": x1,
            "x2": x2,
            "ot": o * n_years + t,
            "dt": d * n_years + t,
            "od": o * n_regions + d,
        }
    )


def _fit(name: str, df: pd.DataFrame) -> np.ndarray:
    if name.startswith("migflows"):
        sys.path.insert(0, str(ROOT))
        import warnings

        from migflows.estimation.core.covariance import sandwich
        from migflows.estimation.gravity.ppml import fit_ppml

        sep = ("fe", "ir") if name == "migflows_ir" else ("fe",)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_ppml(df["y"], df[["x1", "x2"]], df[["ot", "dt", "od"]], separation=sep)
        sandwich(fit.hessian, fit.scores, "hetero", nobs=fit.nobs, k=2, fe_codes=fit.fe_codes)
        return fit.coef
    if name == "pyfixest":
        import warnings

        import pyfixest as pf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = pf.fepois("y ~ x1 + x2 | ot + dt + od", data=df, vcov="hetero")
        return res.coef().to_numpy()
    if name == "statsmodels":
        import statsmodels.api as sm

        # GLM has no separation handling (it fails on all-zero groups): give it the sample
        # that remains after iteratively dropping groups whose flows are all zero
        while True:
            zero = np.zeros(len(df), dtype=bool)
            for c in ["ot", "dt", "od"]:
                zero |= (df.groupby(c)["y"].transform("sum") == 0).to_numpy()
            if not zero.any():
                break
            df = df[~zero]

        dummies = [
            pd.get_dummies(df[c], prefix=c, drop_first=i > 0, dtype=float)
            for i, c in enumerate(["ot", "dt", "od"])
        ]
        X = pd.concat([df[["x1", "x2"]], *dummies], axis=1)
        res = sm.GLM(df["y"], X, family=sm.families.Poisson()).fit(cov_type="HC1")
        return res.params[["x1", "x2"]].to_numpy()
    raise ValueError(name)


def child(name: str, n_regions: int, n_years: int, repeat: int) -> None:
    """Run one estimator in this process and print a JSON line."""
    try:  # warm up imports and JIT on a small panel
        _fit(name, make_panel(15, 5, seed=1))
    except Exception as err:  # warm-up failures are reported by the real run
        print(f"warm-up failed: {err}", file=sys.stderr)
    df = make_panel(n_regions, n_years)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    coef = np.array([])
    for _ in range(repeat):
        t0 = time.perf_counter()
        coef = _fit(name, df)
        times.append(time.perf_counter() - t0)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {
        "n": len(df),
        "seconds": min(times),
        "peak_mb": max(after - before, 0) / 1024,
        "rss_mb": after / 1024,
        "coef": coef.tolist(),
    }
    print(json.dumps(out))


def run(name: str, n_regions: int, n_years: int, repeat: int, timeout: float) -> dict | None:
    cmd = [sys.executable, __file__, "--child", name, str(n_regions), str(n_years), str(repeat)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout {timeout:.0f}s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {proc.returncode}: {last[:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big", action="store_true", help="add 1e7 rows")
    parser.add_argument("--sizes", nargs="*", type=float, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--estimators", nargs="*", default=list(ESTIMATORS), choices=ESTIMATORS)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, r, t, rep = args.child
        child(name, int(r), int(t), int(rep))
        return
    sizes = args.sizes or ([2e3, 1e4, 1e5, 1e6] + ([1e7] if args.big else []))
    rows = []
    for size in sizes:
        n_regions, n_years = SIZES[size]
        results = {}
        for name in args.estimators:
            if name == "statsmodels" and size > 2e3:
                # dense dummy matrix: at 1e4 rows (1,400 dummies) GLM ran > 10 min at 5.5 GB
                results[name] = {"error": "skipped: dense dummies do not fit"}
                continue
            results[name] = run(name, n_regions, n_years, args.repeat, args.timeout)
            print(f"  {size:.0e} {name}: {results[name]}", file=sys.stderr)
        ours = results.get("migflows")
        for name, res in results.items():
            row = {"rows": f"{size:.0e}", "R x T": f"{n_regions} x {n_years}", "estimator": name}
            if res is None or "error" in res:
                row["note"] = (res or {}).get("error", "")
                rows.append(row)
                continue
            row.update(
                {
                    "n": res["n"],
                    "seconds": round(res["seconds"], 2),
                    "peak MB": round(res["peak_mb"]),
                    "time / migflows": round(res["seconds"] / ours["seconds"], 2)
                    if ours and "seconds" in ours
                    else None,
                    "max |coef - migflows|": float(
                        np.max(np.abs(np.array(res["coef"]) - np.array(ours["coef"])))
                    )
                    if ours and "coef" in ours
                    else None,
                }
            )
            rows.append(row)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
