"""Monte Carlo of the few-cluster pieces beyond ``tests/test_bootstrap.py`` (marked slow).

The designs and methods are those of ``scripts/mc_few_clusters.py`` (which prints the full
table at 1,000 replications); here fewer replications, so that the test stays within the
CI budget: two-way clustering (origin and destination) for log-OLS (CRV1, CR3, WCR) and
PPML (CRV1, restricted score bootstrap), and one-way NB2 and GPML (CRV1, unrestricted and
restricted score bootstrap), 20 clusters.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mc_few_clusters.py"


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("mc_few_clusters", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_rejection_rates_two_way_and_glm():
    mc = _script()
    table = mc.rejection_rates(400, designs=("ols2", "ppml2", "nb2", "gpml"), draws=199)
    rates = table.set_index(["design", "method"])["rejection"]
    print("\n" + table.to_string())
    # 400 replications: a Monte Carlo standard error of 1.1 points at 5 %
    for key in (
        ("ols2", "CR3"),
        ("ols2", "WCR"),
        ("ppml2", "score (restricted)"),
        ("nb2", "score (restricted)"),
        ("gpml", "score (restricted)"),
    ):
        assert 0.03 <= rates[key] <= 0.07, (key, rates[key])
    for key in (("ols2", "CRV1"), ("ppml2", "CRV1"), ("nb2", "CRV1"), ("gpml", "CRV1")):
        assert rates[key] > 0.07, (key, rates[key])
    # the unrestricted score bootstrap of NB2/GPML over-rejects even more than CRV1
    for design in ("nb2", "gpml"):
        assert rates[(design, "score (unrestricted)")] > 0.1, rates[design]
