"""MacKinnon (1996) p-values of ADF taus, against R urca::punitroot and plm::purtest.

Reference values: tests/fixtures/mackinnon1996/make_mackinnon1996_fixtures.R (urca 1.3.3,
plm 2.6-2): ``punitroot(q, N, trend)`` on a grid of statistics (N = Inf, 25, 100; trends nc,
c, ct, ctt), and Maddala-Wu / Choi statistics from ``purtest`` with plm's default p-values
(``p.approx = "MacKinnon1996"`` since urca is installed) on plm's Grunfeld panel.

Tolerance for p-values: 2e-5 relative, not 1e-8. urca's Fortran solves MacKinnon's local
GLS regression in the power basis (1, q, q^2, q^3) by inverting X' Omega^-1 X, whose
condition number is so large that its p-values carry rounding errors of ~1e-6 (relative);
``test_equals_the_exact_gls_solution`` shows that migflows' values equal the exact
(rational-arithmetic) solution of the same regression to 1e-12, and R's do not.
Statistics that are not p-values (per-unit taus) are compared to 1e-8.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

import migflows.estimation.unit_root.mackinnon1996 as m96
from migflows.errors import InvalidOptionError, MigflowsWarning
from migflows.estimation.unit_root.api import adf_by_region, unit_root

FIX = Path(__file__).resolve().parent / "fixtures"
PUNITROOT = pd.read_csv(FIX / "mackinnon1996" / "punitroot.csv")
PURTEST = pd.read_csv(FIX / "mackinnon1996" / "purtest.csv", dtype={"unit": str})
GRUNFELD = pd.read_csv(FIX / "unit_root" / "grunfeld.csv")
R_ROUNDING = 2e-5  # see the module docstring


@pytest.mark.parametrize(
    ("trend", "n"), [(t, n) for t in ("nc", "c", "ct", "ctt") for n in (np.inf, 25.0, 100.0)]
)
def test_matches_punitroot(trend: str, n: float) -> None:
    ref = PUNITROOT[(PUNITROOT["trend"] == trend) & (PUNITROOT["N"] == n)]
    ours = m96.mackinnon1996_pvalue(ref["q"].to_numpy(), trend, None if np.isinf(n) else int(n))
    np.testing.assert_allclose(ours, ref["p"].to_numpy(), rtol=R_ROUNDING, atol=1e-300)


def _exact_score(stat: float, trend: str) -> float:
    """MacKinnon's interior GLS cubic solved in exact rational arithmetic (a reference)."""
    tab = m96._table(trend)
    crits = tab["beta0"].to_numpy()
    p, w, cn = (tab[c].to_numpy() for c in ("prob", "weight", "cnorm"))
    imin = int(np.argmin(np.abs(stat - crits)))
    idx = np.arange(imin - 4, imin + 5)
    omega = [
        [
            Fraction(
                float(
                    w[i]
                    * w[j]
                    * np.sqrt(min(p[i], p[j]) * (1 - max(p[i], p[j])))
                    / np.sqrt(max(p[i], p[j]) * (1 - min(p[i], p[j])))
                )
            )
            for j in idx
        ]
        for i in idx
    ]

    def solve(a: list[list[Fraction]], b: list[Fraction]) -> list[Fraction]:
        n = len(a)
        rows = [[*a[i], b[i]] for i in range(n)]
        for c in range(n):
            for r in range(n):
                if r != c:
                    f = rows[r][c] / rows[c][c]
                    rows[r] = [x - f * y for x, y in zip(rows[r], rows[c], strict=True)]
        return [rows[i][n] / rows[i][i] for i in range(n)]

    x = [Fraction(float(v)) for v in crits[idx]]
    y = [Fraction(float(v)) for v in cn[idx]]
    oy = solve(omega, y)  # Omega^-1 y
    ox = [solve(omega, [xi**k for xi in x]) for k in range(4)]  # Omega^-1 x^k
    xox = [
        [sum(xi**a * o for xi, o in zip(x, ox[b], strict=True)) for b in range(4)] for a in range(4)
    ]
    xoy = [sum(xi**a * o for xi, o in zip(x, oy, strict=True)) for a in range(4)]
    gamma = solve(xox, xoy)
    return float(sum(g * Fraction(stat) ** k for k, g in enumerate(gamma)))


@pytest.mark.parametrize(
    ("stat", "trend"), [(-2.55, "c"), (-2.0, "c"), (-2.25, "ct"), (-1.5, "nc")]
)
def test_equals_the_exact_gls_solution(stat: float, trend: str) -> None:
    ours = float(m96.mackinnon1996_score(stat, trend)[0])
    r = PUNITROOT[(PUNITROOT["trend"] == trend) & np.isinf(PUNITROOT["N"])]
    r_value = float(r.loc[np.isclose(r["q"], stat), "p"].iloc[0])
    exact = _exact_score(stat, trend)  # points where the cubic is kept
    assert ours == pytest.approx(exact, rel=1e-12)
    assert special.ndtr(exact) == pytest.approx(r_value, rel=R_ROUNDING)
    if (stat, trend) == (-2.55, "c"):  # R's rounding (module docstring): 2.8e-7 here
        assert abs(special.ndtr(exact) / r_value - 1) > 1e-7


def test_ends_of_the_table_are_held() -> None:
    p = m96.mackinnon1996_pvalue([-40.0, 40.0], "c")
    assert p[0] <= 1e-4 and p[1] >= 0.9999
    assert np.all(np.diff(m96.mackinnon1996_pvalue(np.linspace(-6, 3, 200), "ct")) >= 0)


_TEST = {
    "madwu": ("madwu", {}),
    "invnormal": ("choi", {"choi_stat": "invnormal"}),
    "logit": ("choi", {"choi_stat": "logit"}),
    "Pm": ("choi", {"choi_stat": "pm"}),
}
_EXO = {"none": "none", "intercept": "c", "trend": "ct"}
CASES = list(PURTEST.groupby(["variable", "exo", "test", "lags"], sort=False).groups)


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_maddala_wu_and_choi_match_plm_default(case: tuple[str, str, str, str]) -> None:
    variable, exo, test, lags = case
    ref = PURTEST.set_index(["variable", "exo", "test", "lags"]).loc[case].set_index("unit")
    name, kw = _TEST[test]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MigflowsWarning)
        res = unit_root(
            GRUNFELD,
            variable,
            name,
            entity="firm",
            time="year",
            trend=_EXO[exo],  # type: ignore[arg-type]
            lags=int(lags) if lags.isdigit() else "aic",
            max_lags=4,
            dfcor=False,
            pvalues="mackinnon1996",
            **kw,  # type: ignore[arg-type]
        )
    assert any("MacKinnon (1996)" in n for n in res.notes)
    details = res.details.rename(index=str)
    np.testing.assert_array_equal(details["lags"], ref["unit_lags"])
    np.testing.assert_allclose(details["tstat"], ref["trho"], rtol=1e-8)
    np.testing.assert_allclose(details["pvalue"], ref["p_trho"], rtol=R_ROUNDING)
    if not np.isfinite(ref["statistic"].iloc[0]):
        # plm takes qnorm() of a unit's p-value that is 1 in double precision (inf); we
        # combine the normal scores themselves (statistics.py), which stay finite
        assert ref["p_trho"].max() == 1.0 and np.isfinite(res.statistic)
        return
    assert res.statistic == pytest.approx(ref["statistic"].iloc[0], rel=R_ROUNDING, abs=1e-6)
    assert res.pvalue == pytest.approx(ref["pvalue"].iloc[0], rel=R_ROUNDING, abs=1e-9)


def test_adf_by_region_option_and_default() -> None:
    df = GRUNFELD.set_index(["firm", "year"])
    a94 = adf_by_region(df, "inv", lags=1)
    a96 = adf_by_region(df, "inv", lags=1, pvalues="mackinnon1996")
    np.testing.assert_array_equal(a94["statistic"], a96["statistic"])
    np.testing.assert_allclose(a96["pvalue"], m96.mackinnon1996_pvalue(a96["statistic"], "c"))
    assert not np.allclose(a94["pvalue"], a96["pvalue"], rtol=1e-4)  # default: 1994
    with pytest.raises(InvalidOptionError, match="pvalues='mackinnon2010'"):
        adf_by_region(df, "inv", pvalues="mackinnon2010")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="pvalues="):
        unit_root(df, "inv", "madwu", pvalues="urca")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="trend='x'"):
        m96.mackinnon1996_pvalue(-2.0, "x")
