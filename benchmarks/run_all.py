"""Run every benchmark script in this folder (``make bench``) and print their tables.

Each ``bench_*.py`` prints its own table with timings next to a peer run side by side
(pyfixest, statsmodels, R) and the ratio. Pass names to run a subset:
``python benchmarks/run_all.py ppml unit_root``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in argv]
    failed = 0
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        failed += subprocess.call([sys.executable, str(script)]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
