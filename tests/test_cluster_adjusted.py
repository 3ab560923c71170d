"""CR2/CR3 with weights and two-way clustering, and Satterthwaite degrees of freedom.

Reference: ``tests/fixtures/inference/cr2_reference.csv``, made by
``tests/fixtures/inference/make_cr2_reference.R`` (clubSandwich ``vcovCR`` on ``lm`` with
dummies, with and without weights; the two-way CGM combination of its one-way estimates;
``coef_test(..., test = "Satterthwaite")``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import DroppedRowsWarning, InvalidOptionError

FIX = Path(__file__).resolve().parent / "fixtures"
REF = pd.read_csv(FIX / "inference" / "cr2_reference.csv", keep_default_na=False)
KEEP = ["log_dist", "log_wage_ratio", "contig"]


def _r(quantity: str) -> pd.Series:
    rows = REF[REF["quantity"] == quantity]
    return pd.Series(rows["value"].to_numpy(float), index=rows["term"].to_numpy())


@pytest.fixture(scope="module")
def fits() -> dict[str, migflows.estimation.gravity.results.GravityResults]:
    df = pd.read_csv(FIX / "ppml" / "gravity_panel.csv")
    df["w"] = 1 + df["contig"] + 0.5 * (df["year"] - 2010) / 4 + np.exp(df["pair_shock"])
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)
        for name, weights in (("unweighted", None), ("weighted", "w")):
            out[name] = migflows.gravity(
                "flow ~ log_dist + log_wage_ratio + contig | dest + year",
                df,
                estimator="ols",
                weights=weights,
            )
    return out


@pytest.mark.parametrize("name", ["unweighted", "weighted"])
@pytest.mark.parametrize("kind", ["CR2", "CR3"])
def test_cr2_cr3_weighted_match_clubsandwich(fits, name, kind):
    res = fits[name]
    assert res.nobs == int(_r("nobs").iloc[0])
    ref = _r(f"se_{kind}_{name}")
    # 1e-8 (deterministic): the fixed-effect blocks come from demeaning to 1e-12
    np.testing.assert_allclose(res.vcov({kind: "orig"}).std_errors[KEEP], ref, rtol=1e-8)


@pytest.mark.parametrize("name", ["unweighted", "weighted"])
def test_two_way_cr2_is_the_cgm_combination(fits, name):
    two = fits[name].vcov({"CR2": "orig+dest"})
    assert two.covariance.clusters == ("orig", "dest") and two.df_t == 17  # min(G) - 1
    var = pd.Series(np.diag(two.cov.to_numpy()), index=two.params.index)
    np.testing.assert_allclose(var[KEEP], _r(f"var2way_CR2_{name}"), rtol=1e-8)
    # CR3 two-way: no clubSandwich reference (its solve() stops on the singular blocks of
    # the origin-destination cells); it is the same combination of the one-way pieces
    cr3 = fits[name].vcov({"CR3": "orig+dest"})
    assert cr3.covariance.kind == "CR3" and cr3.covariance.n_clusters[:2] == (18, 18)


@pytest.mark.parametrize("name", ["unweighted", "weighted"])
def test_satterthwaite_degrees_of_freedom_match_coef_test(fits, name):
    out = fits[name].vcov({"CR2": "orig"}).coef_test()
    np.testing.assert_allclose(out.loc[KEEP, "df"], _r(f"df_satt_{name}"), rtol=1e-8)
    np.testing.assert_allclose(out.loc[KEEP, "pvalue"], _r(f"p_satt_{name}"), rtol=1e-8)
    combo = fits[name].vcov({"CR2": "orig"}).coef_test("log_dist = -1, contig - log_wage_ratio")
    assert list(combo.index) == ["log_dist = -1", "contig - log_wage_ratio"]
    b = fits[name].params
    assert combo["estimate"].iloc[0] == pytest.approx(float(b["log_dist"]) + 1, rel=1e-12)
    assert (combo["df"] > 1).all() and (combo["df"] < 18).all()


def test_satterthwaite_needs_one_way_cr2(fits):
    with pytest.raises(InvalidOptionError, match="defined for one-way CR2"):
        fits["unweighted"].vcov({"CRV1": "orig"}).coef_test()
    with pytest.raises(InvalidOptionError, match="defined for one-way CR2"):
        fits["unweighted"].vcov({"CR2": "orig+dest"}).coef_test()
