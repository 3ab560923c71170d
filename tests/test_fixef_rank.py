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
from migflows.estimation.core.covariance import SmallSampleCorrection, count_fixef_parameters
from migflows.estimation.core.fixef_rank import fixef_rank

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


def test_exact_rank_equals_the_rank_of_the_dense_dummies_on_random_codes() -> None:
    # both branches of the three-or-more case (fewer rows than levels: the row Gram; more:
    # the largest fixed effect eliminated exactly), against numpy's SVD rank of the dummies;
    # levels (1, 1, 2) on 50 rows once gave 3 instead of 2 (a Schur complement of rounding
    # noise passed LAPACK's first-pivot test)
    rng = np.random.default_rng(1)
    cases = [np.column_stack([np.zeros(50), np.zeros(50), np.arange(50) % 2]).astype(np.int64)]
    for _ in range(400):
        n, g = int(rng.integers(5, 120)), int(rng.integers(3, 5))
        raw = np.column_stack([rng.integers(0, int(rng.integers(1, 15)), n) for _ in range(g)])
        cases.append(np.column_stack([np.unique(c, return_inverse=True)[1] for c in raw.T]))
    for codes in cases:
        levels = codes.max(axis=0) + 1
        offsets = np.concatenate([[0], np.cumsum(levels)[:-1]])
        dense = np.zeros((len(codes), int(levels.sum())))
        for j in range(codes.shape[1]):
            dense[np.arange(len(codes)), codes[:, j] + offsets[j]] = 1.0
        assert fixef_rank(codes) == np.linalg.matrix_rank(dense), codes.max(axis=0) + 1
