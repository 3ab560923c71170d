"""Benchmark a full forecasting backtest (all methods, 5 origins, horizon 3).

Runs :func:`migflows.estimation.forecast.backtest.backtest` with naive, drift, ets, arima,
bayes_ar and an equal-weight ensemble of the first four on

* Korea (migest's ``korea_gravity``, 17 provinces, annual 2012-2020; origin and destination
  are swapped back to KOSIS' direction, see tests/fixtures/indices/README.md), and
* Kazakhstan (embedded OD years 2010, 2015, 2020, 2021, 2023, 2024; ets/arima with
  ``gaps="interpolate"``). Only 3 origins are usable there (2020, 2021, 2023): from 2010 and
  2015 the training set is too short or nothing is observed within 3 years.

and prints wall and CPU time per dataset and method (CPU time of this process: the wall
time inflates when other jobs share the cores), plus the summary table. Run::

    .venv/bin/python benchmarks/bench_forecast.py [--n-sims 500] [--skip-bayes]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import pandas as pd

import migflows
from migflows.estimation.forecast.backtest import backtest

ROOT = Path(__file__).resolve().parents[1]
KOREA = ROOT.parent / "shared" / "data" / "external" / "korea_migest" / "korea_gravity.csv"
METHODS = ["naive", "drift", "ets", "arima", "bayes_ar", "gravity", "ensemble"]


def korea_panel() -> migflows.FlowPanel:
    k = pd.read_csv(KOREA)
    pop = k.drop_duplicates(["dest", "year"])[["dest", "year", "dest_pop"]]
    pop = pop.rename(columns={"dest": "region"})
    pop["population"] = pop.pop("dest_pop") * 1e6
    # korea_gravity has origin and destination transposed relative to KOSIS.
    return migflows.FlowPanel.from_frame(
        k, origin="dest", destination="orig", self_flows="keep", regions=pop
    )


def run(name: str, panel: migflows.FlowPanel, methods: list[str], n_sims: int) -> float:
    gaps = "interpolate" if name == "kazakhstan" else "error"
    per_method = {}
    for m in methods:
        opts = (
            {"ensemble": {"members": ["naive", "drift", "ets", "arima"]}}
            if m == "ensemble"
            else None
        )
        t0, c0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            backtest(
                panel,
                [m],
                origins=5,
                horizon=3,
                n_sims=n_sims,
                random_seed=1,
                progress=False,
                gaps=gaps,
                method_options=opts,
            )
        per_method[m] = (time.perf_counter() - t0, time.process_time() - c0)
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = backtest(
            panel,
            methods,
            origins=5,
            horizon=3,
            n_sims=n_sims,
            random_seed=1,
            progress=False,
            gaps=gaps,
        )
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"\n== {name}: origins {list(bt.origins)}, {len(panel.region_keys)} regions")
    for m, (t, c) in per_method.items():
        print(f"  {m:<9} alone: wall {t:6.1f} s, cpu {c:6.1f} s")
    print(
        f"  full backtest (all methods, ensemble reuses members): wall {total:6.1f} s, "
        f"cpu {cpu:6.1f} s"
    )
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(bt.summary().xs("net", level="variable").round(3))
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-sims", type=int, default=500)
    parser.add_argument("--skip-bayes", action="store_true")
    args = parser.parse_args()
    methods = [m for m in METHODS if not (args.skip_bayes and m == "bayes_ar")]
    total = 0.0
    if KOREA.exists():
        total += run("korea", korea_panel(), methods, args.n_sims)
    else:
        print(f"skipping Korea: {KOREA} absent")
    total += run("kazakhstan", migflows.load_kazakhstan(), methods, args.n_sims)
    print(f"\nboth full backtests: {total:.1f} s")


if __name__ == "__main__":
    main()
