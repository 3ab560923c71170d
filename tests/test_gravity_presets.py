"""Gravity presets: formulas, identification and agreement with pyfixest."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

import migflows
from migflows.presets import GRAVITY_PRESETS


def test_aldashev_dietz_matches_pyfixest() -> None:
    res = migflows.presets.aldashev_dietz()
    kz = migflows.load_kazakhstan(years=[2020, 2021, 2023])
    cols = ["log_wage_o", "log_wage_d", "unemp_o", "unemp_d", "log_pop_o", "log_pop_d", "log_dist"]
    df = pd.concat([kz.flows, kz.covariates(cols)], axis=1)
    df["pair"] = df["origin"] + "→" + df["destination"]
    ref = pf.fepois(f"flow ~ {' + '.join(cols)} | year", data=df, vcov={"CRV1": "pair"})
    np.testing.assert_allclose(res.params.to_numpy(), ref.coef().to_numpy(), atol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-4)
    assert res.vcov_type == "CRV1 (pair)"


@pytest.mark.parametrize("name", list(GRAVITY_PRESETS))
def test_presets_fit_and_identify(name: str) -> None:
    spec = GRAVITY_PRESETS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", migflows.errors.DroppedRowsWarning)
        res = getattr(migflows.presets, name)()
    terms = [t.strip() for t in spec.formula.split("~")[1].split("|")[0].split("+")]
    assert list(res.params.index) == terms  # nothing absorbed: every driver is identified
    assert res.stats["converged"]


def test_structural_preset_rejects_region_drivers() -> None:
    kz = migflows.load_kazakhstan(years=[2020, 2021])
    with pytest.raises(migflows.errors.FixedEffectError, match="gravity_regional"):
        migflows.gravity("flow ~ log_wage_ratio + log_dist | orig^year + dest^year", kz)
