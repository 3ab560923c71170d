"""The no-separation certificate that lets PPML skip the iterative rectifier, and progress.

The reference is the rectifier itself (and the ppmlhdfe ground truth): on the 17 ppmlhdfe
separation datasets (tests/fixtures/ppml/separation/) the certificate must be proven exactly
where the rectifier finds nothing on the "fe"-pruned sample, and the default fit must still
flag exactly the separated rows (test_ppml.py checks that with the ground-truth column).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

from migflows.errors import EstimationError, InvalidOptionError
from migflows.estimation.core.demean import encode_fixed_effects
from migflows.estimation.core.separation import no_separation_certificate, separation_ir
from migflows.estimation.gravity.ppml import fit_ppml

SEP = FIXTURES / "ppml" / "separation"
SEPARATION = [f"{i:02d}" for i in range(1, 19) if i != 12]


def _case(name: str):
    df = pd.read_csv(SEP / f"{name}.csv")
    xs = [c for c in df.columns if c.startswith("x")]
    ids = [c for c in df.columns if c.startswith("id")]
    X = df[xs].copy()
    if not ids:
        X.insert(0, "const", 1.0)
    return df, X, (df[ids] if ids else None)


@pytest.mark.parametrize("name", SEPARATION)
def test_certificate_is_proven_exactly_where_the_rectifier_finds_nothing(name):
    df, X, fe = _case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = fit_ppml(df["y"], X, fe, drop_singletons=False, separation=("fe",), tol=1e-12)
        except EstimationError as err:
            # 03, 07 and 15: without the rectifier the fit itself fails (a named error, never
            # a raw one), so fit_ppml has no certificate to read and runs the rectifier
            # (test_ppml checks what it flags)
            assert name in ("03", "07", "15"), err
            return
    Xk = X[list(fit.names)].to_numpy(float)[fit.sample]
    cert = no_separation_certificate(
        fit.y, Xk, fit.fe_codes, fit.mu, fit.weights, Xt=fit.X_demeaned
    )
    found = separation_ir(fit.y, Xk, fit.fe_codes)
    assert cert.proven == (not found.any())
    if cert.proven:  # 09, 11 and 14 have zeros but nothing separated
        assert name in ("09", "11", "14")
        assert cert.margin > 1e-3 and cert.residual < 1e-12
    else:
        # separated zeros get a certificate entry of zero (to rounding; 02, 04 and 13: up to
        # 9e-9 left by a demeaning that stalls on their tiny weights, which the residual check
        # catches) or below, far under the 1e-4 to 0.24 of the data without separation
        assert cert.margin < 1e-8 or cert.margin < 1e4 * cert.residual
        assert cert.margin < 1e-7


def test_certificate_on_a_gravity_panel_and_its_sums_are_exactly_zero():
    df = pd.read_csv(FIXTURES / "ppml" / "gravity_panel.csv")
    fe = encode_fixed_effects(df, [("orig", "year"), ("dest", "year"), ("orig", "dest")])
    X = df[["policy", "pair_shock"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_ppml(df["flow"], X, fe, separation=("fe",))
    assert (fit.y == 0).any()
    Xk = X.to_numpy(float)[fit.sample]
    cert = no_separation_certificate(fit.y, Xk, fit.fe_codes, fit.mu, fit.weights)
    assert cert.proven and cert.residual < 1e-12
    assert not separation_ir(fit.y, Xk, fit.fe_codes).any()  # the rectifier agrees
    # a constant mean is no estimate: its projection is not positive on every zero
    flat = np.full(fit.nobs, fit.y.mean())
    assert not no_separation_certificate(fit.y, Xk, fit.fe_codes, flat).proven


def test_default_fit_skips_the_rectifier_and_reports_it(capsys):
    df = pd.read_csv(FIXTURES / "ppml" / "gravity_panel.csv")
    fe = encode_fixed_effects(df, [("orig", "year"), ("dest", "year")])
    X = df[["log_dist", "contig"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = fit_ppml(df["flow"], X, fe, progress=True)
        only_fe = fit_ppml(df["flow"], X, fe, separation=("fe",))
    text = "".join(capsys.readouterr())
    assert "rectifier not needed" in text
    assert f"converged in {fast.iterations} iterations" in text
    assert "sample (singletons + fe)" in text
    np.testing.assert_array_equal(fast.sample, only_fe.sample)
    np.testing.assert_allclose(fast.coef, only_fe.coef, rtol=0, atol=1e-14)


def test_separated_data_fall_back_to_the_rectifier_and_say_so(capsys):
    df, X, fe = _case("16")
    truth = df["separated"].to_numpy().astype(bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_ppml(df["y"], X, fe, drop_singletons=False, progress=True)
    text = "".join(capsys.readouterr())
    assert "running the iterative rectifier" in text
    assert "sample (singletons + fe + ir)" in text
    assert fit.nobs == len(df) - truth.sum()


def test_quiet_by_default_and_progress_must_be_boolean(capsys):
    df, X, fe = _case("09")
    fit_ppml(df["y"], X, fe, drop_singletons=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    with pytest.raises(InvalidOptionError, match="progress='yes'"):
        fit_ppml(df["y"], X, fe, progress="yes")  # type: ignore[arg-type]


def test_gravity_in_memory_shows_progress_when_asked(capsys):
    import migflows

    kz = migflows.load_kazakhstan(years=[2020, 2021, 2023])
    quiet = migflows.gravity("flow ~ log_dist | orig^year + dest^year", kz)
    assert "".join(capsys.readouterr()) == ""
    loud = migflows.gravity("flow ~ log_dist | orig^year + dest^year", kz, progress=True)
    text = "".join(capsys.readouterr())
    assert f"converged in {loud.stats['iterations']} iterations" in text
    assert "[migflows ppml] sample (singletons + fe)" in text
    np.testing.assert_array_equal(quiet.params.to_numpy(), loud.params.to_numpy())
