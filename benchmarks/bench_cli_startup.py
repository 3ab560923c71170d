"""Start-up time of ``migflows --help`` next to the imports it avoids.

Each command runs in a fresh interpreter ``REPEAT`` times, interleaved; the table shows the
minimum and the median wall time. ``migflows --help`` builds only the top-level parser
(sub-commands are registered when named), so it should cost little more than starting
Python; the peers are what it cost before (pandas, matplotlib and statsmodels were imported
through ``reports.plots -> data.indices``).
Run: ``python benchmarks/bench_cli_startup.py``.

Measured (issue 13, shared 2-core machine, 7 interleaved rounds, min / median seconds):
``forecast --help`` 2.02 s before (one run: the forecast registry imported statsmodels through
``data.indices``), ``fit gravity --help`` 2.17 s before; after::

    python -c pass                     0.021     0.037
    migflows --help                    0.036     0.053
    migflows forecast --help           0.041     0.059
    migflows fit gravity --help        0.044     0.061
    migflows report --help             0.037     0.058
    peer: import pandas                0.342     0.502
    peer: import statsmodels.api       1.280     2.039
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 7
CASES = {
    "python -c pass": ["-c", "pass"],
    "migflows --help": ["-m", "migflows.reports.cli", "--help"],
    "migflows forecast --help": ["-m", "migflows.reports.cli", "forecast", "--help"],
    "migflows fit gravity --help": ["-m", "migflows.reports.cli", "fit", "gravity", "--help"],
    "migflows report --help": ["-m", "migflows.reports.cli", "report", "--help"],
    "peer: import pandas": ["-c", "import pandas"],
    "peer: import matplotlib.figure": ["-c", "import matplotlib.figure"],
    "peer: import statsmodels.api": ["-c", "import statsmodels.api"],
}


def seconds(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    # interleaved rounds (every case once per round) so that load on the shared machine hits
    # all cases alike; min-of-N is the figure to compare, the median shows the spread
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(REPEAT):
        for name, args in CASES.items():
            times[name].append(seconds(args))
    base = min(times["python -c pass"])
    print(f"{'command':<32} {'min s':>7} {'median s':>9} {'x python':>9}")
    for name, ts in times.items():
        print(f"{name:<32} {min(ts):>7.3f} {statistics.median(ts):>9.3f} {min(ts) / base:>9.1f}")


if __name__ == "__main__":
    main()
