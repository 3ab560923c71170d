"""Start-up time of ``migflows --help`` next to the imports it avoids.

Each command runs in a fresh interpreter ``REPEAT`` times; the table shows the median wall
time. ``migflows --help`` builds only the top-level parser (sub-commands are registered when
named), so it should cost little more than starting Python; the peers are what it cost before
(pandas, matplotlib and statsmodels were imported through ``reports.plots -> data.indices``).
Run: ``python benchmarks/bench_cli_startup.py``.
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
    "peer: import pandas": ["-c", "import pandas"],
    "peer: import matplotlib.figure": ["-c", "import matplotlib.figure"],
    "peer: import statsmodels.api": ["-c", "import statsmodels.api"],
}


def median_seconds(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    base = median_seconds(CASES["python -c pass"])
    print(f"{'command':<32} {'median s':>9} {'x python':>9}")
    for name, args in CASES.items():
        t = base if name == "python -c pass" else median_seconds(args)
        print(f"{name:<32} {t:>9.3f} {t / base:>9.1f}")


if __name__ == "__main__":
    main()
