"""Wild cluster bootstrap of panel results, score bootstrap of SIM, NB2 and GPML results.

References: ``tests/fixtures/inference/panel_bootstrap_reference.json`` (wildboottest on
statsmodels OLS with dummies, differences or quasi-demeaned data, all 2**10 sign patterns
enumerated), made by ``tests/fixtures/inference/make_panel_bootstrap_reference.py``. The score
bootstrap has no reference implementation in R or Python (fwildclusterboot and wildboottest
are linear only): SIM results are checked against the gravity PPML of the same model, and the
restricted NB2/GPML refits against the score identity (at the estimate the restricted score is
zero) and the Monte Carlo in ``tests/test_bootstrap_mc.py``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import InvalidOptionError, MissingColumnError, SeparationWarning
from migflows.estimation.gravity.sim import sim

FIX = Path(__file__).resolve().parent / "fixtures" / "inference"
REF = json.loads((FIX / "panel_bootstrap_reference.json").read_text())["tests"]
PANEL = pd.read_csv(FIX / "panel10.csv")
SPECS = {
    "pooled": ("y ~ x1 + x2", "pooled"),
    "fe_entity": ("y ~ x1 + x2 | entity", "fe"),
    "fe_two_way": ("y ~ x1 + x2 | entity + time", "fe"),
    "fd": ("y ~ 0 + x1 + x2", "fd"),  # the differenced equation without an intercept
    "fd_intercept": ("y ~ x1 + x2", "fd"),  # plm's FD: with its intercept (the default)
    "re": ("y ~ x1 + x2", "re"),
}


def _panel(name: str, vcov: object = None) -> migflows.estimation.panel.results.PanelResults:
    formula, estimator = SPECS[name]
    return migflows.panel(
        formula,
        PANEL,
        estimator,
        entity="entity",
        time="time",
        vcov=vcov or {"cluster": "entity"},
    )


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("param", ["x1", "x2"])
def test_panel_wcr_matches_wildboottest(name, param):
    res = _panel(name)
    ref = REF[f"{name}:{param}"]
    assert res.nobs == ref["nobs"]
    boot = res.wild_bootstrap(param, reps=9999)
    assert boot.method == "WCR" and boot.reps == 2**10 and boot.clusters == ("entity",)
    # the observed statistic is the result's own clustered t (linearmodels' CRV1 factor)
    assert boot.stat == pytest.approx(float(res.tstats[param]), rel=1e-9)
    # wildboottest's factor counts every dummy column; the p-value does not depend on it
    # except through ties: the all-(+1) and all-(-1) sign patterns reproduce |t| exactly,
    # and wildboottest's strict '>' counts them or not by rounding (ours never does), so
    # the p-values agree exactly or differ by those 2 of 1024 patterns
    gap = ref["pvalue"] - boot.pval
    assert gap == pytest.approx(0.0, abs=1e-12) or gap == pytest.approx(2 / 1024, abs=1e-12)


def test_panel_two_way_interval_and_errors():
    res = _panel("fe_entity", {"cluster": "entity+time"})
    boot = res.wild_bootstrap("x1 - x2 = 0.5", reps=999, random_seed=4, level=0.9)
    assert boot.clusters == ("entity", "time") and boot.n_clusters == (10, 8)
    est = float(res.params["x1"] - res.params["x2"])
    se = float(res.t_test("x1 - x2 = 0.5").std_error.iloc[0])
    assert boot.stat == pytest.approx((est - 0.5) / se, rel=1e-9)
    assert boot.lower < est < boot.upper
    edge = res.wild_bootstrap(f"x1 - x2 = {boot.upper + 1e-4}", reps=999, random_seed=4)
    assert edge.pval <= 0.1
    with pytest.raises(InvalidOptionError, match="not clustered; pass cluster='entity'"):
        _panel("pooled", "robust").wild_bootstrap("x1")
    with pytest.raises(InvalidOptionError, match="one restriction at a time"):
        res.wild_bootstrap("x1 = 0, x2 = 0")
    with pytest.raises(MissingColumnError, match="cannot cluster the bootstrap by 'region'"):
        res.wild_bootstrap("x1", cluster="region")
    between = migflows.panel(
        "y ~ x1 + x2", PANEL, "between", entity="entity", time="time", vcov="robust"
    )
    with pytest.raises(InvalidOptionError, match="between estimator has one row per entity"):
        between.wild_bootstrap("x1", cluster="entity")


def test_weighted_panel_bootstrap():
    df = PANEL.assign(pop=np.linspace(1.0, 3.0, len(PANEL)))
    res = migflows.panel(
        "y ~ x1 + x2 | entity",
        df,
        "fe",
        entity="entity",
        time="time",
        weights="pop",
        vcov={"cluster": "entity"},
    )
    boot = res.wild_bootstrap("x2", reps=999, random_seed=1)
    assert boot.stat == pytest.approx(float(res.tstats["x2"]), rel=1e-9)
    fd = migflows.panel(
        "y ~ x1 + x2",
        df,
        "fd",
        entity="entity",
        time="time",
        weights="pop",
        vcov={"cluster": "entity"},
    )
    with pytest.raises(InvalidOptionError, match="weighted first-difference"):
        fd.wild_bootstrap("x2")


# ------------------------------------------------------------------------------ SIM
@pytest.fixture(scope="module")
def flows() -> pd.DataFrame:
    df = pd.read_csv(Path(__file__).resolve().parent / "fixtures" / "ppml" / "gravity_panel.csv")
    return df[df["year"] == df["year"].max()].reset_index(drop=True)


def test_sim_score_bootstrap_is_the_gravity_ppml_one(flows):
    # the doubly constrained SIM is the PPML with origin and destination effects
    res = sim(
        flows,
        "doubly",
        "exp",
        flow="flow",
        origin="orig",
        destination="dest",
        cost_var="log_dist",
    ).vcov({"CRV1": "orig"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        grav = migflows.gravity("flow ~ log_dist | orig + dest", flows, vcov={"CRV1": "orig"})
    assert float(res.params["log_dist"]) == pytest.approx(float(grav.params["log_dist"]), 1e-7)
    a = res.wild_bootstrap("log_dist = -1", reps=999, random_seed=3, progress=False)
    b = grav.wild_bootstrap("log_dist = -1", reps=999, random_seed=3, progress=False)
    assert a.method == b.method == "score (restricted)"
    assert a.stat == pytest.approx(float((res.params["log_dist"] + 1) / res.std_errors["log_dist"]))
    # same scores and clusters: the same draws up to the CRV1 factor (SIM's has no
    # small-sample factor, gravity's fixest's), which scales the observed score statistic
    # alike, so p-values and intervals are the same (up to the fits' convergence, 1e-7)
    ratio = a.draws / b.draws
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-5)
    assert a.pval == pytest.approx(b.pval, abs=1e-12)
    assert a.lower == pytest.approx(b.lower, rel=1e-4)
    assert a.upper == pytest.approx(b.upper, rel=1e-4)
    with pytest.raises(InvalidOptionError, match="not clustered; pass cluster='orig'"):
        res.vcov("hetero").wild_bootstrap("log_dist")


# ------------------------------------------------------------------------ NB2 / GPML
@pytest.mark.parametrize("estimator", ["negbin", "gpml"])
def test_restricted_score_bootstrap_nb2_gpml(flows, estimator):
    data = flows[flows["flow"] > 0] if estimator == "gpml" else flows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        res = migflows.gravity(
            "flow ~ log_dist + contig | orig + dest",
            data,
            estimator=estimator,
            vcov={"CRV1": "orig"},
        )
    b = float(res.params["log_dist"])
    boot = res.wild_bootstrap("log_dist = -1", reps=999, random_seed=2, progress=False)
    assert boot.method == "score (restricted)"
    assert boot.stat == pytest.approx((b + 1) / float(res.std_errors["log_dist"]), rel=1e-10)
    assert boot.lower < b < boot.upper
    # at the estimate the restricted fit is the fit: its score statistic is 0, p-value 1
    at = res.wild_bootstrap(f"log_dist = {b}", reps=999, random_seed=2, progress=False)
    assert at.pval == pytest.approx(1.0, abs=1e-3)


# --------------------------------------------------------------- sandwich::vcovBS (R)
def test_wild_bootstrap_covariance_of_vcovbs_is_crv0():
    """R's ``sandwich::vcovBS`` against the quantity it estimates that we compute.

    ``vcovBS`` returns a bootstrap *covariance* (of unrestricted wild or pairs bootstrap
    coefficients), not a bootstrap test: it cannot be compared with our WCR/score p-values,
    which impose the null and studentize each draw (those are checked against wildboottest's
    exact enumeration above and in ``tests/test_bootstrap.py``). For ``type = "wild-
    rademacher"`` its expectation over the weights is the CRV0 sandwich (``E v_g v_h`` is 1
    for ``g = h`` and 0 otherwise), which we compute: the 20,000-draw estimate agrees with it
    within its Monte Carlo error (about 0.5 % on a standard error). ``type = "xy"`` (pairs
    cluster bootstrap) refits on resampled clusters, which nothing in migflows does.
    Reference: ``tests/fixtures/inference/vcovbs_reference.csv``, script
    ``make_vcovbs_reference.R``.
    """
    from migflows.estimation.core.covariance import SmallSampleCorrection

    ref = pd.read_csv(FIX / "vcovbs_reference.csv", keep_default_na=False)
    ref = ref[ref["quantity"] == "se_vcovBS_wild_rademacher"].set_index("term")["value"]
    df = pd.read_csv(FIX.parent / "ppml" / "gravity_panel.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", migflows.errors.DroppedRowsWarning)
        res = migflows.gravity(
            "flow ~ log_dist + log_wage_ratio + contig | dest + year",
            df,
            estimator="ols",
            vcov={"CRV1": "orig"},
            ssc=SmallSampleCorrection.none(),
        )
    # 3 %: six Monte Carlo standard errors of the 20,000-draw estimate
    np.testing.assert_allclose(res.std_errors[ref.index], ref.to_numpy(float), rtol=0.03)
