"""Benchmark PPML with origin-year, destination-year and pair fixed effects.

The in-memory table compares migflows' ``fit_ppml`` (+ HC1 covariance) with pyfixest
``fepois(..., vcov="hetero")`` under the same separation checks (``migflows_ir`` against
``pyfixest_ir``: "fe" + the iterative rectifier "ir", both packages' full checks and migflows'
default; ``migflows`` against ``pyfixest``: "fe" only) on synthetic OD panels of R regions x T
years (no self flows), ``y ~ x1 + x2 | ot + dt + od``. Every run is a fresh subprocess (data
built, imports and JIT warmed up on a tiny panel, then one fit timed); ``--rounds 3`` runs
every estimator once per round, interleaved, so that a change of the machine's load hits all
alike. Wall is the minimum over rounds; peak RSS the largest growth of the resident set during
the fit (``resource.getrusage`` high-water mark after minus before). statsmodels GLM with
dummy fixed effects (``--estimators statsmodels``) only fits at 2e3 rows.

Usage::

    .venv/bin/python benchmarks/bench_ppml.py                    # 1e4 .. 1e6, "fe" + "ir"
    .venv/bin/python benchmarks/bench_ppml.py --big              # adds 1e7 (~7.5 GB pyfixest)
    .venv/bin/python benchmarks/bench_ppml.py --sizes 1e5 --estimators migflows pyfixest

Both packages run at their default tolerances (pyfixest: iwls_tol 1e-8, fixef_tol 1e-6;
migflows: tol 1e-8, fixef_tol 1e-10, a tighter demeaning); the largest coefficient difference
is printed as a check that they solve the same problem.

Measured 2026-12-01 on the 2-core build machine shared with five other engineers (pyfixest
0.60, numba 0.68), ``--sizes 1e4 1e5 1e6 1e7 --rounds 3``, "fe" + "ir" for both, twice: run A
at 15:00-15:10 UTC (load average 8.8 before, 8.1 after, up to 13 during), run B at 15:12-15:19
(load 2.5 before, 5.4 after):

    rows  backend      A: wall (min of 3)  A: range    B: wall (min of 3)  B: range    peak RSS
    1e4   migflows_ir  0.068 s             0.07-0.08   0.035 s             0.035-0.036  18 MB
    1e4   pyfixest_ir  0.115 s             0.12-0.63   0.076 s             0.08-0.22     8 MB
    1e5   migflows_ir  0.204 s             0.20-0.24   0.118 s             0.118-0.119  19 MB
    1e5   pyfixest_ir  0.634 s             0.63-1.00   0.328 s             0.33-0.39    65 MB
    1e6   migflows_ir  2.36 s              2.4-3.0     1.27 s              1.27-1.43    191 MB
    1e6   pyfixest_ir  7.96 s              8.0-10.5    4.05 s              4.0-4.7      628 MB
    1e7   migflows_ir  30.8 s              31-45       22.4 s              22-35        1,746 MB
    1e7   pyfixest_ir  95.4 s              95-102      56.6 s              57-69        6,024 MB

pyfixest / migflows with the same checks, A: 1.7x (1e4), 3.1x (1e5), 3.4x (1e6), 3.1x (1e7);
B: 2.2x, 2.8x, 3.2x, 2.5x. Both fit 8 IRLS iterations (pyfixest does not report its count).
Peak memory 0.28-0.30 of pyfixest's from 1e5 rows (at 1e4 the exact fixed-effect rank of the
HC1 factor, a dense 920 x 920 Gram matrix, dominates the 18 MB). Coefficients agree to 2e-14.
With the "fe" check only (``--estimators migflows pyfixest``, 15:11, load 2.8-6): 0.035 s
against 0.178 s at 1e4, 0.105 against 0.383 s at 1e5, 1.20 against 2.45 s at 1e6.
Where the time went (1e7, cProfile, before the columns were spread over two threads):
demeaning 55 %, the fused IRLS passes 20 %, the no-separation certificate that replaces the
rectifier 7 %. Before this work (2026-11-22) the rectifier alone took 9.5 of 13.7 s at 1e6 and
migflows was 1.2-3.9x slower than pyfixest with the same checks.

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
import os
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
# in-memory table: each migflows run is paired with pyfixest under the same separation checks
ESTIMATORS = ("migflows_ir", "pyfixest_ir", "migflows", "pyfixest", "statsmodels")
PEER = {"migflows_ir": "pyfixest_ir", "migflows": "pyfixest"}
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


def _fit(name: str, df: pd.DataFrame) -> tuple[np.ndarray, int | None]:
    """One fit; returns the coefficients and the IRLS iterations (None when not reported)."""
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
        return fit.coef, fit.iterations
    if name.startswith("pyfixest"):
        import warnings

        import pyfixest as pf

        checks = ["fe", "ir"] if name == "pyfixest_ir" else ["fe"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = pf.fepois(
                "y ~ x1 + x2 | ot + dt + od", data=df, vcov="hetero", separation_check=checks
            )
        return res.coef().to_numpy(), None  # pyfixest does not report its iteration count
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
        return res.params[["x1", "x2"]].to_numpy(), int(res.fit_history["iteration"])
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
    coef, iterations = np.array([]), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        coef, iterations = _fit(name, df)
        times.append(time.perf_counter() - t0)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {
        "n": len(df),
        "seconds": min(times),
        "peak_mb": max(after - before, 0) / 1024,
        "rss_mb": after / 1024,
        "coef": coef.tolist(),
        "iterations": iterations,
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


def memory_table(sizes: list[float], names: list[str], rounds: int, timeout: float) -> pd.DataFrame:
    """The in-memory table: ``rounds`` fresh processes per (size, estimator), interleaved.

    Round r runs every estimator once (in the order given) before round r + 1 starts, so a
    change in the machine's load hits all of them alike; wall is the minimum over rounds, peak
    RSS the largest growth of the resident set during the fit over rounds.
    """
    rows = []
    for size in sizes:
        n_regions, n_years = SIZES[size]
        runs: dict[str, list[dict]] = {name: [] for name in names}
        for _ in range(rounds):
            for name in names:
                if name == "statsmodels" and size > 2e3:
                    continue  # dense dummies: at 1e4 rows GLM ran > 10 min at 5.5 GB
                res = run(name, n_regions, n_years, 1, timeout) or {"error": "?"}
                print(f"  {size:.0e} {name}: {res}", file=sys.stderr, flush=True)
                runs[name].append(res)
        best = {}
        for name, got in runs.items():
            ok = [r for r in got if "seconds" in r]
            if ok:
                best[name] = {
                    "seconds": min(r["seconds"] for r in ok),
                    "peak_mb": max(r["peak_mb"] for r in ok),
                    "rss_mb": max(r["rss_mb"] for r in ok),
                    "coef": ok[0]["coef"],
                    "iterations": ok[0]["iterations"],
                    "n": ok[0]["n"],
                    "runs": len(ok),
                }
            elif got:
                best[name] = {"error": got[-1].get("error", "?")}
        for name, res in best.items():
            row = {"rows": f"{size:.0e}", "R x T": f"{n_regions} x {n_years}", "backend": name}
            if "error" in res:
                rows.append({**row, "note": res["error"]})
                continue
            peer = best.get(PEER.get(name, ""), {})
            ref = best.get("pyfixest_ir", best.get("pyfixest", {}))
            row.update({
                "n": res["n"],
                "wall s": round(res["seconds"], 3),
                "peak RSS MB (fit)": round(res["peak_mb"]),
                "iterations": res["iterations"] if res["iterations"] is not None else "-",
                "pyfixest / this (same checks)": round(peer["seconds"] / res["seconds"], 2)
                if "seconds" in peer else None,
                "memory / pyfixest": round(res["peak_mb"] / peer["peak_mb"], 2)
                if peer.get("peak_mb") else None,
                "max |coef - pyfixest|": float(
                    np.max(np.abs(np.array(res["coef"]) - np.array(ref["coef"])))
                ) if "coef" in ref else None,
                "runs": res["runs"],
            })  # fmt: skip
            rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big", action="store_true", help="add 1e7 rows")
    parser.add_argument("--sizes", nargs="*", type=float, default=None)
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per estimator")
    parser.add_argument(
        "--estimators", nargs="*", default=["migflows_ir", "pyfixest_ir"], choices=ESTIMATORS
    )
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
    sizes = args.sizes or ([1e4, 1e5, 1e6] + ([1e7] if args.big else []))
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    table = memory_table(sizes, args.estimators, args.rounds, args.timeout)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
