"""The convergence gates pass at the defaults: a simulated 20-region panel and the report.

Seeded real fits at the package's defaults (4 chains x 1000 draws after 1000 tuning steps,
the default sampler), marked slow. The gates are those of ``res.gates`` (largest R-hat <=
1.01, smallest bulk and tail ESS >= 400 over every reported parameter, no divergences); the
simulated panel has the geometry that failed before issue 14 (wage ratios that vary mostly
between regions, so that their slope trades off against the region effects). Reference: the
true slopes of the simulation. The 50-region panel is in ``benchmarks/bench_bayes.py``
(too long for the test budget).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import ConvergenceWarning
from migflows.estimation.bayes.api import bayes_gravity

TRUE = {"log_wage_ratio": 0.8, "log_dist": -1.1}


def simulate(n_regions: int = 20, n_years: int = 3, seed: int = 3) -> pd.DataFrame:
    """NB2 flows (alpha 0.15) with wage ratios varying mostly between regions."""
    rng = np.random.default_rng(seed)
    r = np.arange(n_regions)
    o, d, t = (a.ravel() for a in np.meshgrid(r, r, np.arange(n_years), indexing="ij"))
    keep = o != d
    o, d, t = o[keep], d[keep], t[keep]
    xy = rng.uniform(0, 1000, size=(n_regions, 2))
    log_dist = np.log(np.hypot(*(xy[o] - xy[d]).T) + 20)
    wage = rng.normal(0, 0.3, n_regions)[:, None] + rng.normal(0, 0.03, (n_regions, n_years))
    x = wage[d, t] - wage[o, t]
    u_o, u_d = rng.normal(0, 0.6, n_regions), rng.normal(0, 0.6, n_regions)
    eta = 8.0 + TRUE["log_wage_ratio"] * x + TRUE["log_dist"] * log_dist + u_o[o] + u_d[d]
    mu = np.exp(eta + 0.05 * t)
    names = np.array([f"r{i:02d}" for i in r])
    return pd.DataFrame(
        {
            "origin": names[o],
            "destination": names[d],
            "year": 2000 + t,
            "flow": rng.poisson(rng.gamma(1 / 0.15, 0.15 * mu)),
            "log_wage_ratio": x,
            "log_dist": log_dist,
        }
    )


@pytest.mark.slow
def test_gates_pass_at_the_defaults_on_20_regions() -> None:
    df = simulate()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        res = bayes_gravity(
            "flow ~ log_wage_ratio + log_dist | orig + dest + year", df, family="negbin",
            random_seed=20, progress=False,
        )  # fmt: skip
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert res.gates["passed"].all(), res.gates
    assert res.stats["chains"] == 4 and res.stats["draws"] == 1000
    z = (res.params - pd.Series(TRUE)) / res.std_errors
    assert (z.abs() < 3).all(), z


@pytest.mark.slow
def test_report_bayes_section_passes_its_gates(tmp_path: Path) -> None:
    from migflows.reports import build_report

    kz = migflows.load_kazakhstan()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        path = build_report(kz, tmp_path / "b.html", sections=["bayes"], progress=False)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    page = Path(path).read_text(encoding="utf-8")
    section = page[page.index("Bayesian hierarchical gravity model") :]
    assert "4 chains × 1000 draws" in section
    assert "all pass." in section and "gate(s) failed" not in section
    for row in ("largest R-hat", "smallest bulk ESS", "smallest tail ESS", "divergences"):
        assert row in section
    assert "Rank plots" in section and "Posterior predictive densities" in section
    assert len(re.findall(r"<img ", section)) >= 2  # the rank plot and the PPC
    assert "Posterior predictive coverage" in section and "PSIS-LOO" in section
