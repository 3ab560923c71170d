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
The scale table (``--scale [BACKENDS] --sizes ...``): ``y ~ x1 + x2 | ot + dt`` (origin-year +
destination-year effects, "fe" checks) on a Parquet panel written year by year by
``write_parquet`` (``--write-parquet 1e8`` writes 100,038,640 rows, 2,237 regions x 20 years, in
16 s), fitted in memory (migflows, pyfixest), by the sums engine on a DataFrame in chunks, out
of core from Parquet through DuckDB, and on a 2-worker LocalCluster (peak RSS per worker).

Measured 2026-12-01 on the 2-core machine shared with five other engineers (load average 9-19,
so every wall time is several times an idle machine's), separation=("fe",) everywhere,
Parquet through the binary cache, Dask on 2 workers x 1 thread (``--scale --sizes 1e6 1e7`` and
``--scale parquet dask --sizes 1e8``; also in docs/scale.md):

    rows  backend         wall     peak RSS (client)  workers         iterations  passes
    1e6   memory_oy_dy    25.0 s   783 MB                             6           -
    1e6   pyfixest_oy_dy  14.6 s   821 MB                             -           -
    1e6   chunked         32.7 s   648 MB                             6           76
    1e6   parquet         34.2 s   384 MB                             6           76
    1e6   dask            88.0 s   334 MB             445, 451 MB     6           76
    1e7   memory_oy_dy    224.7 s  3,963 MB                           6           -
    1e7   pyfixest_oy_dy  212.6 s  4,715 MB                           -           -
    1e7   chunked         219.4 s  1,311 MB                           6           68
    1e7   parquet         78.5 s   590 MB                             6           68
    1e7   dask            115.6 s  343 MB             948, 777 MB     6           68
    1e8   parquet         226.1 s  834 MB                             6           61
    1e8   dask            175.5 s  385 MB             4,635, 4,682 MB 6           61

(coefficients agree across backends to 1e-14; 1e8: 0.299893, 0.200124; the 1e8 rows were run
last, at load ~5, after the first Gauss-Seidel step moved into the weights pass: 61 passes.)
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
SIZES = {
    2e3: (11, 20), 1e4: (23, 20), 1e5: (71, 20), 1e6: (224, 20), 1e7: (708, 20),
    3e7: (1225, 20), 1e8: (2237, 20),
}  # fmt: skip
ESTIMATORS = ("migflows", "migflows_ir", "pyfixest", "statsmodels")
# the scale table: `flow ~ x1 + x2 | ot + dt` (origin-year + destination-year) on a Parquet
# panel written by `write_parquet`, in memory (both packages), out of core and on Dask
SCALE = ("memory_oy_dy", "pyfixest_oy_dy", "chunked", "parquet", "dask")
DATA = ROOT / "benchmarks" / ".data"
IN_MEMORY = ("memory_oy_dy", "pyfixest_oy_dy", "chunked")  # these hold the sample in memory
IN_MEMORY_MAX = 3e7  # at 1e8 rows the in-memory fits need about 35 GB (issue 15)


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


def write_parquet(path: Path, n_regions: int, n_years: int, seed: int = 0) -> int:
    """Write a synthetic OD panel to ``path/year=T/part.parquet``, one year at a time.

    Memory is bounded by one year (``R (R - 1)`` rows); 2,237 regions x 20 years is 1e8 rows
    (about 3 GB of Parquet). Columns: y, x1, x2, ot (origin-year), dt (destination-year).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    fe_o = rng.normal(0, 0.5, (n_regions, n_years))
    fe_d = rng.normal(0, 0.5, (n_regions, n_years))
    total = 0
    o, d = (a.ravel() for a in np.meshgrid(np.arange(n_regions), np.arange(n_regions),
                                           indexing="ij"))  # fmt: skip
    keep = o != d
    o, d = o[keep].astype(np.int32), d[keep].astype(np.int32)
    for t in range(n_years):
        x1 = rng.normal(size=o.size)
        x2 = (rng.random(o.size) < 0.2).astype(np.float64)
        eta = 0.3 * x1 + 0.2 * x2 + fe_o[o, t] + fe_d[d, t] - 1.0
        y = rng.poisson(np.exp(eta)).astype(np.float64)
        table = pa.table({
            "y": y, "x1": x1, "x2": x2,
            "ot": o * np.int32(n_years) + np.int32(t), "dt": d * np.int32(n_years) + np.int32(t),
        })  # fmt: skip
        (path / f"year={t}").mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path / f"year={t}" / "part.parquet", row_group_size=1_000_000)
        total += table.num_rows
        del table, x1, x2, eta, y
    return total


def _scale_fit(name: str, path: Path) -> dict:
    """One fit of the scale table; returns coef, iterations and (Dask) worker peak RSS."""
    import warnings

    sys.path.insert(0, str(ROOT))
    import migflows

    formula = "y ~ x1 + x2 | ot + dt"
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name in ("memory_oy_dy", "pyfixest_oy_dy", "chunked"):
            df = _scale_fit.frame  # type: ignore[attr-defined]
            if name == "pyfixest_oy_dy":
                import pyfixest as pf

                res = pf.fepois(formula, data=df, vcov="hetero")
                return {"coef": res.coef().to_numpy().tolist(), "iterations": None}
            opts = {} if name == "memory_oy_dy" else {"backend": "chunked"}
            res = migflows.gravity(formula, df, separation=("fe",), **opts)
        elif name == "parquet":
            res = migflows.gravity(formula, str(path), backend="parquet", separation=("fe",))
        else:
            from distributed import Client, LocalCluster

            with (
                LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                             memory_limit="10GB") as cluster,
                Client(cluster) as client,
            ):  # fmt: skip
                res = migflows.gravity(formula, str(path), backend="dask", client=client,
                                       separation=("fe",))  # fmt: skip
                rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
                out["worker_peak_mb"] = [round(v) for v in rss.values()]
    out.update({"coef": res.params.to_numpy().tolist(), "iterations": res.stats["iterations"],
                "passes": res.stats.get("passes")})  # fmt: skip
    return out


def scale_child(name: str, n_regions: int, n_years: int) -> None:
    """Run one estimator of the scale table in this process and print a JSON line."""
    path = DATA / f"panel_{n_regions}x{n_years}"
    if not path.exists():
        write_parquet(path, n_regions, n_years)
    if name in ("memory_oy_dy", "pyfixest_oy_dy", "chunked"):
        _scale_fit.frame = pd.read_parquet(path)  # type: ignore[attr-defined]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    out = _scale_fit(name, path)
    out["seconds"] = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.update({"peak_mb": max(after - before, 0) / 1024, "rss_mb": after / 1024})
    print(json.dumps(out))


def scale_table(sizes: list[float], names: list[str], timeout: float) -> pd.DataFrame:
    rows = []
    for size in sizes:
        n_regions, n_years = SIZES[size]
        for name in names:
            cmd = [sys.executable, __file__, "--scale-child", name, str(n_regions), str(n_years)]
            if size > IN_MEMORY_MAX and name in IN_MEMORY:
                rows.append({"rows": f"{size:.0e}", "backend": name,
                             "note": "not run: the sample does not fit in 24 GB"})  # fmt: skip
                continue
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
                if proc.returncode:
                    tail = (proc.stderr.strip().splitlines() or ["?"])[-1][:80]
                    res = {"error": f"exit {proc.returncode}: {tail}"}
                else:
                    res = json.loads(proc.stdout.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                res = {"error": f"timeout {timeout:.0f}s"}
            print(f"  {size:.0e} {name}: {res}", file=sys.stderr, flush=True)
            rows.append({
                "rows": f"{size:.0e}", "backend": name,
                "wall s": round(res["seconds"], 1) if "seconds" in res else None,
                "peak RSS MB (client)": round(res["rss_mb"]) if "rss_mb" in res else None,
                "peak RSS MB (workers)": res.get("worker_peak_mb"),
                "iterations": res.get("iterations"),
                "passes": res.get("passes"),
                "coef": np.round(res["coef"], 8).tolist() if "coef" in res else None,
                "note": res.get("error", ""),
            })  # fmt: skip
    return pd.DataFrame(rows)


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
    parser.add_argument("--scale-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument(
        "--scale", nargs="*", choices=SCALE, default=None,
        help="the scale table (origin-year + destination-year) for these backends",
    )  # fmt: skip
    parser.add_argument(
        "--write-parquet",
        type=float,
        metavar="ROWS",
        default=None,
        help="only write the synthetic Parquet panel of ROWS rows (1e8)",
    )
    args = parser.parse_args()
    if args.write_parquet:
        n_regions, n_years = SIZES[args.write_parquet]
        t0 = time.perf_counter()
        n = write_parquet(DATA / f"panel_{n_regions}x{n_years}", n_regions, n_years)
        print(f"wrote {n:,} rows in {time.perf_counter() - t0:.0f} s")
        return
    if args.scale_child:
        name, r, t = args.scale_child
        scale_child(name, int(r), int(t))
        return
    if args.scale is not None:
        table = scale_table(args.sizes or [1e6], args.scale or list(SCALE), args.timeout)
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(table.to_string(index=False))
        return
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
