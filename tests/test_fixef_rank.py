"""The fixed effects are counted by their exact rank in the small-sample factor, and OLS
sigma is sqrt(rss / (n - K)); both against R (glm / lm with dummies, sandwich's HC1), by
tests/fixtures/fixef_rank/make_fixef_rank.R."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

import migflows
from migflows.estimation.core.covariance import (
    SmallSampleCorrection,
    count_fixef_parameters,
    fixef_rank,
)

REF = json.loads((FIXTURES / "fixef_rank" / "reference.json").read_text())
FORMULAS = {
    "oy_dy_pair": "flow ~ x | orig^year + dest^year + pair",
    "oy_dy": "flow ~ x | orig^year + dest^year",
}


@pytest.fixture(scope="module")
def panel() -> migflows.FlowPanel:
    df = pd.read_csv(FIXTURES / "fixef_rank" / "data.csv")
    return migflows.FlowPanel.from_frame(df, pair_vars=["x"])


@pytest.mark.parametrize("spec", list(FORMULAS))
def test_ppml_hc1_uses_the_exact_rank_like_r(panel: migflows.FlowPanel, spec: str) -> None:
    ref = REF[spec]["ppml"]
    res = migflows.gravity(FORMULAS[spec], panel, vcov="hetero")
    assert res.nobs == ref["nobs"]
    assert res.covariance.df_k == ref["rank"]  # x plus the fixed effects' exact rank
    assert res.params["x"] == pytest.approx(ref["coef"], abs=1e-6)
    assert res.std_errors["x"] == pytest.approx(ref["se_hc1"], rel=1e-4)


@pytest.mark.parametrize("spec", list(FORMULAS))
def test_ols_hc1_and_sigma_like_r(panel: migflows.FlowPanel, spec: str) -> None:
    ref = REF[spec]["ols"]
    res = migflows.gravity(FORMULAS[spec], panel, estimator="ols", vcov="hetero")
    assert res.params["x"] == pytest.approx(ref["coef"], abs=1e-6)
    assert res.std_errors["x"] == pytest.approx(ref["se_hc1"], rel=1e-4)
    assert res.stats["sigma"] == pytest.approx(ref["sigma"], rel=1e-8)


def test_rank_counts(panel: migflows.FlowPanel) -> None:
    res = migflows.gravity(FORMULAS["oy_dy_pair"], panel)
    codes = np.asarray(res._pieces.fe_codes)
    # 48 + 48 + 132 levels; exact rank 201 (R), pyfixest's count 226, first-two-exact 223
    assert fixef_rank(codes) == REF["oy_dy_pair"]["ppml"]["fe_params"] == 201
    assert count_fixef_parameters(codes, SmallSampleCorrection()) == 201
    assert count_fixef_parameters(codes, SmallSampleCorrection(redundant="fixest")) == 226
    assert count_fixef_parameters(codes, SmallSampleCorrection.stata()) == 223
    # two fixed effects: levels minus connected components (one per year here)
    two = np.asarray(migflows.gravity(FORMULAS["oy_dy"], panel)._pieces.fe_codes)
    assert fixef_rank(two) == REF["oy_dy"]["ppml"]["fe_params"] == 96 - 4
