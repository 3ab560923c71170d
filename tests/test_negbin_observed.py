"""Negative-binomial standard errors from the observed information, against R.

Reference: tests/fixtures/gravity_r/make_negbin_observed.R (MASS 7.3-58.2, numDeriv) fits
``MASS::glm.nb`` on the Kazakhstan gravity data (kz_gravity.csv; fixed effects as factor
dummies) and inverts the analytic observed information (checked in the script against
``numDeriv::hessian``): conditional on theta (``hessian="observed"``) and jointly in the
coefficients and theta (``hessian="observed_joint"``, Stata's ``nbreg`` ``vce(oim)``).
R's ``summary()`` has no small-sample factor, so ours is compared with ``ssc=none``.
Agreement 1e-8 (relative) for coefficients and standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

import migflows
from migflows.errors import InvalidOptionError
from migflows.estimation.core.covariance import SmallSampleCorrection as SSC

REF = pd.read_csv(FIXTURES / "gravity_r" / "negbin_observed.csv")
FORMULAS = {
    "no_fe": "flow ~ log_dist + log_wage_ratio + unemp_diff",
    "regional": "flow ~ log_dist + log_wage_ratio + unemp_diff | orig + dest + year",
}
HESSIANS = {
    "expected": "se_expected",
    "observed": "se_observed",
    "observed_joint": "se_observed_joint",
}


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan(years=[2020, 2021, 2023])


@pytest.mark.parametrize("hessian", list(HESSIANS))
@pytest.mark.parametrize("model", list(FORMULAS))
def test_matches_glm_nb_observed_information(kz, model: str, hessian: str) -> None:
    ref = REF[REF["model"] == model].set_index("term")
    res = migflows.gravity(FORMULAS[model], kz, estimator="negbin", hessian=hessian)
    iid = res.vcov("iid", ssc=SSC.none())
    np.testing.assert_allclose(res.params[ref.index], ref["estimate"], rtol=1e-8)
    np.testing.assert_allclose(iid.std_errors[ref.index], ref[HESSIANS[hessian]], rtol=1e-8)
    assert res.stats["theta"] == pytest.approx(ref["theta"].iloc[0], rel=1e-8)
    assert res.stats["hessian"] == hessian


def test_observed_and_joint_differ_and_robust_kinds_use_the_same_bread(kz) -> None:
    f = FORMULAS["regional"]
    joint = migflows.gravity(f, kz, estimator="negbin", hessian="observed_joint")
    cond = migflows.gravity(f, kz, estimator="negbin", hessian="observed")
    exp = migflows.gravity(f, kz, estimator="negbin")
    # the joint information differs from the conditional one only through the cross term
    ratio = (joint.vcov("iid").std_errors / cond.vcov("iid").std_errors).to_numpy()
    assert np.all(ratio > 1.0) and np.all(ratio < 1.0 + 1e-5)
    assert not np.allclose(exp.std_errors, cond.std_errors, rtol=1e-3)  # robust: other bread
    np.testing.assert_allclose(exp.params, cond.params, rtol=1e-12)
    dummies = migflows.gravity(f, kz, estimator="negbin", hessian="observed_joint",
                               engine="dummies")  # fmt: skip
    np.testing.assert_allclose(dummies.std_errors, joint.std_errors, rtol=1e-8)


def test_bad_hessian_options_are_refused(kz) -> None:
    f = FORMULAS["no_fe"]
    with pytest.raises(InvalidOptionError, match="hessian='oim' is not allowed"):
        migflows.gravity(f, kz, estimator="negbin", hessian="oim")
    with pytest.raises(InvalidOptionError, match="theta= holds theta fixed"):
        migflows.gravity(f, kz, estimator="negbin", hessian="observed_joint", theta=2.0)
    with pytest.raises(InvalidOptionError, match=r"Unknown option\(s\) 'hessian'"):
        migflows.gravity(f, kz, estimator="gpml", hessian="observed")
