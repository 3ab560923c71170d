"""The gravity engine seam: frozen spec, estimator registry, options checked first, lean results."""

from __future__ import annotations

import argparse
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import InvalidOptionError, LeanResultsError
from migflows.estimation.core.demean import Demeaner
from migflows.estimation.gravity import engines
from migflows.estimation.gravity.registry import (
    ESTIMATORS,
    GravitySpec,
    estimator_names,
    get_estimator,
    register_estimator,
    unregister_estimator,
    validate_options,
)
from migflows.reports.commands import fit as fit_command

FORMULA = "flow ~ log_dist | orig + dest"


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan(years=[2021])


def test_builtins_registered_and_read_by_the_cli() -> None:
    assert tuple(ESTIMATORS)[:4] == ("ppml", "ols", "negbin", "gpml")
    assert estimator_names(link="identity") == ("ols",)
    parser = argparse.ArgumentParser()
    fit_command.register(parser.add_subparsers())
    args = parser.parse_args(["fit", "gravity", "flow ~ log_dist", "--estimator", "gpml"])
    assert args.estimator == "gpml"
    with pytest.raises(SystemExit), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser.parse_args(["fit", "gravity", "flow ~ log_dist", "--estimator", "tobit"])


def test_unknown_estimator_lists_the_registered_ones(kz) -> None:
    with pytest.raises(InvalidOptionError, match=r"estimator='tobit' is not available.*'ppml'"):
        migflows.gravity(FORMULA, kz, estimator="tobit")


def test_unknown_ppml_option_is_refused_before_fitting(kz, monkeypatch) -> None:
    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("fitted despite a bad option")

    monkeypatch.setattr(engines, "fit_ppml", boom)
    with pytest.raises(
        InvalidOptionError,
        match=r"Unknown option\(s\) 'tolerance' for estimator='ppml'; allowed: .*'maxiter'.*'tol'",
    ):
        migflows.gravity(FORMULA, kz, tolerance=1e-9)
    with pytest.raises(InvalidOptionError, match=r"for estimator='ols'; allowed: none"):
        migflows.gravity(FORMULA, kz, estimator="ols", maxiter=5)
    with pytest.raises(InvalidOptionError, match=r"'bogus' for estimator='negbin'"):
        migflows.gravity(FORMULA, kz, estimator="negbin", bogus=1)


def test_validate_options_fills_defaults() -> None:
    opts = validate_options("ppml", {"tol": 1e-9})
    assert opts["tol"] == 1e-9 and opts["maxiter"] == 100 and opts["lean"] is False


def test_register_and_use_a_toy_estimator(kz) -> None:
    seen: list[GravitySpec] = []

    def fit_toy(spec, design, data):  # type: ignore[no-untyped-def]
        seen.append(spec)
        return engines.fit_ppml_estimator(spec, design, data)

    register_estimator(
        "toy", fit_toy, options=engines.PPML_OPTIONS, description="PPML under another name"
    )
    try:
        assert "toy" in ESTIMATORS and get_estimator("toy").description.startswith("PPML")
        with pytest.raises(InvalidOptionError, match="already registered"):
            register_estimator("toy", fit_toy)
        res = migflows.gravity(FORMULA, kz, estimator="toy", tol=1e-9)
        spec = seen[0]
        assert spec.estimator == "toy" and spec.options["tol"] == 1e-9
        assert spec.formula.depvar == "flow" and spec.weights_name is None
        with pytest.raises(AttributeError):
            spec.estimator = "ppml"  # type: ignore[misc]  # frozen
        ref = migflows.gravity(FORMULA, kz, tol=1e-9)
        pd.testing.assert_series_equal(res.params, ref.params)
        parser = argparse.ArgumentParser()
        fit_command.register(parser.add_subparsers())
        assert parser.parse_args(["fit", "gravity", "y ~ x", "--estimator", "toy"]).estimator
    finally:
        unregister_estimator("toy")
    assert "toy" not in ESTIMATORS


def test_ppml_demeaner_backend_plugs_in(kz) -> None:
    built = []

    def backend(codes: np.ndarray) -> Demeaner:
        built.append(codes.shape)
        return Demeaner(codes)

    ref = migflows.gravity("flow ~ log_dist | orig^year + dest^year", kz)
    res = migflows.gravity("flow ~ log_dist | orig^year + dest^year", kz, demeaner=backend)
    assert built and built[0][1] == 2
    np.testing.assert_array_equal(res.params.to_numpy(), ref.params.to_numpy())
    nb = migflows.gravity(FORMULA, kz, estimator="gpml", demeaner=backend)
    assert len(built) == 2 and np.isfinite(nb.params["log_dist"])


def test_lean_results_keep_only_kxk_pieces(kz) -> None:
    full = migflows.gravity(FORMULA, kz, vcov={"CRV1": "pair"})
    lean = migflows.gravity(FORMULA, kz, vcov={"CRV1": "pair"}, lean=True)
    assert lean.lean and not full.lean
    pd.testing.assert_series_equal(lean.params, full.params)
    pd.testing.assert_series_equal(lean.std_errors, full.std_errors)
    assert lean.nobs == full.nobs and lean.vcov_type == full.vcov_type
    assert lean.summary is not None
    for attr in ("fitted", "resid", "effects"):
        with pytest.raises(LeanResultsError, match=r"fitted with lean=True"):
            getattr(lean, attr)
    with pytest.raises(LeanResultsError, match=r"predict\(\) needs the estimation sample"):
        lean.predict()
    with pytest.raises(LeanResultsError, match=r"vcov\(...\).*lean=True"):
        lean.vcov("iid")
    with pytest.raises(LeanResultsError, match="counterfactual"):
        lean.counterfactual({"wage": {"turkistan": 1.1}})
    assert len(pickle.dumps(lean)) < len(pickle.dumps(full)) / 5
    with pytest.raises(InvalidOptionError, match="lean='yes' must be True or False"):
        migflows.gravity(FORMULA, kz, lean="yes")


def test_forecast_method_reads_the_registry(kz) -> None:
    from migflows.estimation.forecast.gravity import gravity_method

    with pytest.raises(InvalidOptionError, match=r"estimator='ols' cannot drive.*'ppml'.*'bayes'"):
        gravity_method(
            None,  # type: ignore[arg-type]  # refused before the data are read
            2,
            n_sims=1,
            rng=np.random.default_rng(0),
            panel=kz,
            estimator="ols",  # type: ignore[arg-type]
        )
