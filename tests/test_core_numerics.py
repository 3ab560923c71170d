"""The shared numerical core: one separation routine, one identification check, one IRLS loop.

The same absorbed or collinear input raises the same exception type with the same message
shape in gravity, panel and Bayesian gravity; every log-link estimator runs the same IRLS loop
and the same separation routine; the identification tolerance is one number.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import migflows
from migflows.errors import (
    EstimationError,
    FixedEffectError,
    IdentificationError,
    ModelSpecificationError,
    SeparationWarning,
)
from migflows.estimation.core.demean import Demeaner
from migflows.estimation.core.identification import (
    IDENTIFICATION_TOL,
    collinear_columns,
    find_absorbed,
    identify,
)
from migflows.estimation.core.irls import GAMMA, POISSON, IRLSState, NegativeBinomial, irls
from migflows.estimation.core.separation import prune_sample, separation_ir
from migflows.estimation.gravity import glm
from migflows.estimation.gravity.engines import PPML_OPTIONS
from migflows.estimation.gravity.ppml import fit_ppml


@pytest.fixture(scope="module")
def flows() -> pd.DataFrame:
    """Origin-destination flows over three years with an origin attribute and collinear x2."""
    rng = np.random.default_rng(7)
    regions = [f"r{i}" for i in range(6)]
    rows = [(o, d, t) for t in (2019, 2020, 2021) for o in regions for d in regions if o != d]
    df = pd.DataFrame(rows, columns=["orig", "dest", "year"])
    df["pair"] = df["orig"] + "-" + df["dest"]
    df["x1"] = rng.normal(size=len(df))
    df["x3"] = rng.normal(size=len(df))
    df["x2"] = 2.0 * df["x1"] - 0.5 * df["x3"]
    df["a"] = df["orig"].map({r: float(i) for i, r in enumerate(regions)})
    df["flow"] = rng.poisson(np.exp(1.0 + 0.3 * df["x1"] + 0.1 * df["a"])).astype(float)
    df["origin"], df["destination"] = df["orig"], df["dest"]
    return df


# ---------------------------------------------------------------- one identification check
def test_one_tolerance_everywhere() -> None:
    assert IDENTIFICATION_TOL == 1e-9
    assert PPML_OPTIONS["collin_tol"] == IDENTIFICATION_TOL
    assert glm.DEFAULTS["negbin"]["collin_tol"] == glm.DEFAULTS["gpml"]["collin_tol"] == 1e-9
    import inspect

    assert inspect.signature(fit_ppml).parameters["collin_tol"].default == IDENTIFICATION_TOL


def test_identify_names_absorbing_effects_and_partners() -> None:
    rng = np.random.default_rng(0)
    codes = np.column_stack([np.repeat(np.arange(5), 6), np.tile(np.arange(6), 5)])
    x1, x3 = rng.normal(size=30), rng.normal(size=30)
    X = np.column_stack([x1, codes[:, 1] * 0.5, x3, x1 - 3 * x3])
    ident = identify(X, codes, names=["x1", "t", "x3", "x4"], fe_names=["g", "h"])
    assert ident.absorbed == {"t": ("h",)}
    assert ident.collinear == {"x4": ("x1", "x3")}
    assert ident.kept == (0, 2)
    assert ident.dropped == ("t", "x4")
    err = ident.error("Advice.")
    assert isinstance(err, IdentificationError)
    assert str(err).startswith(
        "Not identified: regressor(s) 't' are absorbed by the fixed effects 'g', 'h' (t by h); "
        "regressor(s) 'x4' are collinear with the other regressors given the fixed effects "
        "'g', 'h' ('x4' is collinear with 'x1', 'x3'). Advice."
    )


def test_tolerance_boundary() -> None:
    # a regressor keeping a share just above the tolerance is identified, just below is not
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    noise = rng.normal(size=200)
    noise -= noise @ x / (x @ x) * x  # orthogonal to x
    for share, ok in ((1e-8, True), (1e-10, False)):
        y = x + np.sqrt(share * (x @ x) / (noise @ noise)) * noise
        X = np.column_stack([x, y])
        kept, _ = collinear_columns(X - X.mean(0), X)
        assert (kept == [0, 1]) is ok


def test_identification_error_is_both_exception_families() -> None:
    assert issubclass(IdentificationError, FixedEffectError)
    assert issubclass(IdentificationError, EstimationError)
    assert issubclass(IdentificationError, ModelSpecificationError)


def _family_errors(df: pd.DataFrame, formula_rhs: str, **gravity_kwargs):  # type: ignore[no-untyped-def]
    errors = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(IdentificationError) as g:
            migflows.gravity(f"flow ~ {formula_rhs} | pair + year", df, **gravity_kwargs)
        errors["gravity"] = str(g.value)
        with pytest.raises(IdentificationError) as p:
            migflows.panel(f"flow ~ {formula_rhs} | entity", df, entity="pair", time="year")
        errors["panel"] = str(p.value)
        with pytest.raises(IdentificationError) as b:
            migflows.bayes_gravity(
                f"flow ~ {formula_rhs} | orig + dest", df, group_effects=(), sample=False
            )
        errors["bayes"] = str(b.value)
    return errors


def test_absorbed_regressor_same_error_in_every_family(flows: pd.DataFrame) -> None:
    errors = _family_errors(flows, "x1 + a")
    for family, msg in errors.items():
        assert msg.startswith(
            "Not identified: regressor(s) 'a' are absorbed by the fixed effects"
        ), (
            family,
            msg,
        )
    assert "(a by pair)" in errors["gravity"]
    assert "(a by entity)" in errors["panel"]
    assert "(a by orig)" in errors["bayes"]


def test_collinear_regressor_same_error_in_every_family(flows: pd.DataFrame) -> None:
    errors = _family_errors(flows, "x1 + x3 + x2", collinear="raise")
    for family, msg in errors.items():
        assert msg.startswith(
            "Not identified: regressor(s) 'x2' are collinear with the other regressors"
        ), (family, msg)
        assert "('x2' is collinear with 'x1', 'x3')" in msg, (family, msg)


def test_find_absorbed_only_reports_absorption() -> None:
    codes = np.array([[0], [0], [1], [1]])
    X = np.array([[1.0, 2.0, 5.0], [2.0, 4.0, 5.0], [3.0, 6.0, 7.0], [4.0, 8.1, 7.0]])
    ident = find_absorbed(X, codes, names=["x", "x2", "size"], fe_names=["firm"])
    assert ident.absorbed == {"size": ("firm",)} and ident.collinear == {}


# ---------------------------------------------------------------- one separation routine
def test_prune_sample_singletons_fe_and_ir() -> None:
    y = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 0.0, 4.0, 2.0, 1.0])
    codes = np.array([[0], [0], [1], [1], [2], [3], [3], [1], [3]])
    x = np.array([[0.0], [0.0], [0.0], [0.0], [0.0], [5.0], [0.0], [0.0], [0.0]])
    s = prune_sample(y, x, codes)
    # rows 0-1: all-zero group; row 4: singleton; row 5: x > 0 only on a zero -> IR
    assert s.dropped["row"].tolist() == [0, 1, 4, 5]
    assert s.reasons == {"separated_fe": 2, "singleton": 1, "separated_ir": 1}
    assert separation_ir(y[[5, 6, 8]], x[[5, 6, 8]], np.zeros((3, 0), dtype=np.int64)).tolist() == [
        True,
        False,
        False,
    ]


def test_ppml_and_glm_drop_the_same_rows(flows: pd.DataFrame) -> None:
    df = flows.copy()
    df.loc[df["orig"] == "r0", "flow"] = 0.0  # every flow of r0 is zero: separated by orig
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        ppml = migflows.gravity("flow ~ x1 | orig + dest", df)
        nb = migflows.gravity("flow ~ x1 | orig + dest", df, estimator="gpml")
    assert len(ppml.dropped) == len(nb.dropped) == int((df["orig"] == "r0").sum())
    assert set(ppml.dropped["reason"]) == set(nb.dropped["reason"]) == {"separated_fe"}


# ---------------------------------------------------------------- one IRLS loop
def test_irls_matches_statsmodels_for_three_families() -> None:
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(400), rng.normal(size=(400, 2))])
    mu = np.exp(X @ np.array([0.5, 0.3, -0.2]))
    y = rng.poisson(mu).astype(float) + 1.0
    cases = [
        (POISSON, sm.families.Poisson()),
        (GAMMA, sm.families.Gamma(link=sm.families.links.Log())),
        (NegativeBinomial(0.5), sm.families.NegativeBinomial(alpha=0.5)),
    ]
    for family, sm_family in cases:
        ref = sm.GLM(y, X, family=sm_family).fit(tol=1e-12)
        res = irls(y, X, family, criterion="eta", tol=1e-12, step_halving=True)
        assert res.converged
        np.testing.assert_allclose(res.coef, ref.params, rtol=1e-8, atol=1e-10)


def test_irls_demeaner_backend_is_pluggable() -> None:
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(40), 8)[:, None]
    x = rng.normal(size=(320, 1))
    y = rng.poisson(np.exp(0.4 * x[:, 0] + 0.05 * g[:, 0] % 3)).astype(float)
    calls = []

    class Counting:
        def __init__(self, codes: np.ndarray) -> None:
            self.inner = Demeaner(codes)

        def __call__(self, arr, weights=None, *, tol=1e-10, maxiter=10_000):  # type: ignore[no-untyped-def]
            calls.append(arr.shape)
            return self.inner(arr, weights, tol=tol, maxiter=maxiter)

    a = irls(y, x, POISSON, demeaner=Demeaner(g), state=IRLSState.start(y, x, np.ones(320)))
    b = irls(y, x, POISSON, demeaner=Counting(g))
    np.testing.assert_array_equal(a.coef, b.coef)
    assert calls  # the backend did the demeaning
    fit = fit_ppml(y, x, g, demeaner=Counting, names=["x"])
    np.testing.assert_allclose(fit.coef, a.coef, rtol=1e-7)
