"""Instrumental variables in the panel family (2SLS, LIML) against R AER::ivreg.

References: ``tests/fixtures/inference/iv_reference.csv`` made by ``make_iv_reference.R`` on
``iv_panel.csv`` (``make_iv_data.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import InvalidOptionError, ModelSpecificationError

FIX = Path(__file__).resolve().parent / "fixtures" / "inference"
REF = pd.read_csv(FIX / "iv_reference.csv")
DATA = pd.read_csv(FIX / "iv_panel.csv")
FORMULA = "y ~ w | entity | x ~ z1 + z2"


def _r(quantity: str) -> pd.Series:
    rows = REF[REF["quantity"] == quantity]
    return pd.Series(rows["value"].to_numpy(float), index=rows["term"].to_numpy())


def _fit(formula: str = FORMULA, **kwargs):
    return migflows.panel(formula, DATA, entity="region", time="year", **kwargs)


@pytest.mark.parametrize(
    ("vcov", "quantity"),
    [("iid", "se_iid"), ("hetero", "se_HC1"), ({"CRV1": "entity"}, "se_CL")],
)
def test_2sls_matches_aer_ivreg(vcov, quantity):
    res = _fit(vcov=vcov)
    ref = _r(quantity)
    np.testing.assert_allclose(res.params[["w", "x"]], _r("coef_2sls")[["w", "x"]], rtol=1e-8)
    np.testing.assert_allclose(res.std_errors[ref.index], ref.to_numpy(), rtol=1e-8)
    assert res.summary.title == "Panel IV (2SLS) results"


def test_first_stage_and_weak_instruments():
    res = _fit(vcov="iid")
    fs = res.first_stage
    # AER's "Weak instruments" test is the homoskedastic first-stage F of z1, z2
    assert fs.loc["x", "f.stat"] == pytest.approx(float(_r("weak_instruments_F")["x"]), rel=1e-8)
    assert fs.loc["x", "f.dist"] == "F(2,177)"
    assert bool(res.weak_instruments["x"])  # F about 9.5 < 10
    assert "First-stage F (x)" in res.summary.header_dict


def test_pooled_iv_and_liml():
    pooled = _fit("y ~ w | x ~ z1 + z2", estimator="pooled", vcov="iid")
    np.testing.assert_allclose(
        pooled.params[["w", "x"]], _r("coef_2sls_pooled")[["w", "x"]], rtol=1e-8
    )
    liml = _fit(iv="liml", vcov="iid")
    two = _fit(vcov="iid")
    # LIML differs from 2SLS with two instruments for one regressor, but not by much here
    assert liml.params["x"] != two.params["x"]
    assert abs(float(liml.params["x"] - two.params["x"])) < 0.5
    test = two.wald_test(formula="x = 1")
    assert test.stat == pytest.approx(
        ((float(two.params["x"]) - 1) / float(two.std_errors["x"])) ** 2, rel=1e-10
    )
    assert two.vcov("hetero").vcov_type == "hetero"


def test_iv_errors():
    with pytest.raises(InvalidOptionError, match="iv='gmm' is not allowed"):
        _fit(iv="gmm")
    with pytest.raises(InvalidOptionError, match=r"estimator=.fe. .* or .pooled."):
        _fit(estimator="re")
    kz = migflows.load_kazakhstan(years=[2021])
    with pytest.raises(ModelSpecificationError, match="gravity\\(\\) does not estimate"):
        migflows.gravity("flow ~ log_dist | orig | log_wage_ratio ~ contig", kz)


# ----------------------------------------------------------------------- control-function PPML
def test_control_function_ppml_matches_two_steps_with_dummies():
    import json

    from migflows.estimation.gravity.control_function import control_function

    ref = json.loads((FIX / "python_reference.json").read_text())["control_function"]
    df = pd.read_csv(FIX.parent / "ppml" / "gravity_panel.csv")
    keep = [f"r{i:02d}" for i in range(6)]
    small = df[df["orig"].isin(keep) & df["dest"].isin(keep) & (df["year"] <= 2012)]
    res = control_function(
        ref["formula"], small.reset_index(drop=True), reps=49, random_seed=4, progress=False
    )
    coef = pd.Series(ref["coef"])
    # 1e-6: the first stage is absorbed by demeaning (1e-12), the second by IRLS (1e-10);
    # the instrument is weak here (F < 1), which magnifies both
    np.testing.assert_allclose(res.params[coef.index], coef.to_numpy(), rtol=1e-6)
    assert res.first_stage["f_stat"] == pytest.approx(ref["first_stage_F"], rel=1e-6)
    assert res.covariance.kind == "bootstrap" and len(res.bootstrap_draws) == 49
    assert (res.std_errors > 0).all()
    again = control_function(
        ref["formula"], small.reset_index(drop=True), reps=49, random_seed=4, progress=False
    )
    pd.testing.assert_series_equal(res.std_errors, again.std_errors)  # random_seed reproduces
    with pytest.raises(ModelSpecificationError, match="one endogenous regressor"):
        control_function(
            "flow ~ log_dist | orig | log_wage_ratio + unemp_diff ~ contig + pair_shock", small
        )
