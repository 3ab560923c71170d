"""PPML with high-dimensional fixed effects: demeaning, separation, estimates, covariances.

References (tests/fixtures/ppml/, made by make_reference.py there):
* pyfixest 0.60 ``fepois`` on a synthetic 18-region x 6-year OD panel (three specifications,
  five covariance types), fitted with iwls_tol = fixef_tol = 1e-12;
* statsmodels GLM Poisson with dummy fixed effects on a 6-region x 3-year subsample;
* the 17 ppmlhdfe separation datasets in our code index (all but 12) with their ground-truth
  ``separated`` column.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import statsmodels.api as sm
from conftest import FIXTURES
from scipy import stats
from scipy.sparse.linalg import lsqr
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning, SingularMatrixWarning

import migflows
from migflows.errors import (
    ConvergenceError,
    DataValidationError,
    EstimationError,
    FixedEffectError,
    InvalidOptionError,
    MissingColumnError,
    MissingValueError,
    NegativeFlowError,
    SeparationWarning,
)
from migflows.estimation.core.covariance import (
    SmallSampleCorrection,
    count_fixef_parameters,
    parse_vcov,
    sandwich,
)
from migflows.estimation.core.demean import Demeaner, demean, encode_fixed_effects
from migflows.estimation.core.results import RegressionResults, SandwichPieces
from migflows.estimation.core.separation import prune_fixed_effects as _prune_fe
from migflows.estimation.core.separation import separation_ir as _separation_ir
from migflows.estimation.gravity.ppml import CollinearityWarning, fit_ppml
from migflows.models.formula import parse_formula

PPML = FIXTURES / "ppml"
VCOVS = {
    "iid": "iid",
    "hetero": "hetero",
    "crv1_pair": {"CRV1": "pair"},
    "crv1_orig": {"CRV1": "orig"},
    "crv1_orig_dest": {"CRV1": "orig+dest"},
}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = pd.read_csv(PPML / "gravity_panel.csv")
    df["pair"] = df["orig"] + "_" + df["dest"]
    return df


@pytest.fixture(scope="module")
def pyfixest_ref() -> dict:
    return json.loads((PPML / "pyfixest_reference.json").read_text())


def _fit_formula(df: pd.DataFrame, formula: str, **kwargs):
    f = parse_formula(formula)
    fe = encode_fixed_effects(df, f.fixed_effects)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        fit = fit_ppml(df[f.depvar], df[list(f.term_names)], fe, **kwargs)
    sample = df.loc[fit.sample, ["orig", "dest", "pair"]].reset_index(drop=True)
    pieces = SandwichPieces(fit.hessian, fit.scores, fit.nobs, fit.fe_codes, sample)
    return fit, pieces


# ------------------------------------------------------------------------------- demeaning
def _lsqr_residual(x, codes, w):
    n = len(x)
    D = sp.hstack([sp.csr_matrix((np.ones(n), (np.arange(n), c))) for c in codes.T], format="csr")
    sw = np.sqrt(w)
    a = lsqr(sp.diags(sw) @ D, sw * x, atol=1e-15, btol=1e-15, iter_lim=200_000)[0]
    return x - D @ a


def test_demean_matches_direct_least_squares_three_way():
    rng = np.random.default_rng(3)
    n_r, n_t = 12, 5
    o, d, t = (a.ravel() for a in np.meshgrid(*map(np.arange, (n_r, n_r, n_t)), indexing="ij"))
    keep = o != d
    o, d, t = o[keep], d[keep], t[keep]
    frame = pd.DataFrame({"o": o, "d": d, "t": t})
    codes = encode_fixed_effects(frame, [("o", "t"), ("d", "t"), ("o", "d")]).to_numpy()
    w = rng.exponential(size=len(o))
    x = rng.normal(size=(len(o), 2)) + o[:, None] * 0.3
    res = demean(x, codes, w, tol=1e-13)
    assert res.converged
    for j in range(2):
        ref = _lsqr_residual(x[:, j], codes, w)
        np.testing.assert_allclose(res.x[:, j], ref, atol=1e-9)


def test_demean_single_fixed_effect_is_weighted_group_mean():
    x = np.array([1.0, 3.0, 5.0, 10.0])
    w = np.array([1.0, 3.0, 1.0, 1.0])
    out = demean(x, np.array([0, 0, 1, 1]), w).x[:, 0]
    np.testing.assert_allclose(out, [1 - 2.5, 3 - 2.5, 5 - 7.5, 10 - 7.5])


def test_demean_is_invariant_to_shifts_in_the_fixed_effect_span():
    # the warm start relies on M_w(x + D a) = M_w(x)
    rng = np.random.default_rng(5)
    codes = np.column_stack([rng.integers(0, 30, 2000), rng.integers(0, 40, 2000)])
    w = rng.exponential(size=2000)
    x = rng.normal(size=2000)
    shift = rng.normal(size=30)[codes[:, 0]] + rng.normal(size=40)[codes[:, 1]]
    a = demean(x, codes, w, tol=1e-13).x
    b = demean(x + shift, codes, w, tol=1e-13).x
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_demeaner_weight_cache_survives_in_place_changes():
    rng = np.random.default_rng(11)
    codes = np.column_stack([rng.integers(0, 8, 300), rng.integers(0, 5, 300)])
    x = rng.normal(size=300)
    w = rng.exponential(size=300)
    dm = Demeaner(codes)
    first = dm(x, w, tol=1e-13).x
    np.testing.assert_allclose(first, demean(x, codes, w, tol=1e-13).x, atol=1e-12)
    w *= np.linspace(0.5, 2.0, 300)  # same object, new values: the cache must not be reused
    np.testing.assert_allclose(dm(x, w, tol=1e-13).x, demean(x, codes, w, tol=1e-13).x, atol=1e-12)


def test_demean_rejects_bad_codes():
    with pytest.raises(Exception, match="fixed-effect codes have 3 rows but x has 2"):
        demean(np.ones(2), np.zeros((3, 1), dtype=int))
    with pytest.raises(FixedEffectError, match="no observations or zero total weight"):
        demean(np.ones(2), np.array([[0], [2]]))


def test_encode_fixed_effects_interactions_and_errors():
    df = pd.DataFrame({"o": ["a", "a", "b", "b"], "y": [1, 2, 1, 1]})
    codes = encode_fixed_effects(df, [("o", "y")])
    assert codes["o^y"].tolist() == [0, 1, 2, 2]
    with pytest.raises(MissingColumnError, match="needs column\\(s\\) \\['zz'\\]"):
        encode_fixed_effects(df, [("o", "zz")])
    with pytest.raises(MissingValueError, match="fixed effect 'o' has 1 missing"):
        encode_fixed_effects(df.assign(o=["a", None, "b", "b"]), [("o",)])


# ------------------------------------------------------------------------------- pyfixest
@pytest.mark.parametrize("spec", ["ody", "three_way", "oy_dy"])
def test_coefficients_and_standard_errors_match_pyfixest(panel, pyfixest_ref, spec):
    ref = pyfixest_ref["specs"][spec]
    fit, pieces = _fit_formula(
        panel, ref["formula"], separation=("fe",), tol=1e-12, fixef_tol=1e-12
    )
    assert fit.converged
    assert fit.nobs == ref["nobs"]
    names = list(fit.names)
    assert sorted(names) == sorted(ref["coef"])
    coef = np.array([ref["coef"][n] for n in names])
    np.testing.assert_allclose(fit.coef, coef, rtol=0, atol=1e-6)
    # pyfixest counts one redundant level per fixed effect after the first (fixest's count
    # without fixef.force_exact); the package default counts them exactly (test_fixef_rank.py)
    ssc = SmallSampleCorrection(redundant="fixest")
    res = RegressionResults.from_pieces(names, fit.coef, pieces, "iid", model="PPML", ssc=ssc)
    for key, vcov in VCOVS.items():
        se_ref = np.array([ref["vcov"][key]["se"][n] for n in names])
        se = res.vcov(vcov).std_errors.to_numpy()
        np.testing.assert_allclose(se, se_ref, rtol=1e-4, err_msg=key)


def test_regressor_separation_with_fixed_effects_matches_pyfixest_ir(panel, pyfixest_ref):
    ref = pyfixest_ref["separation_ir"]
    df = panel.assign(
        sep_dummy=(
            (panel["flow"] == 0) & panel["orig"].isin(["r03", "r07"]) & (panel["dest"] < "r09")
        ).astype(float)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CollinearityWarning)
        fit, pieces = _fit_formula(df, ref["formula"], tol=1e-12, fixef_tol=1e-12)
    assert fit.nobs == ref["nobs"] == 1836 - 76
    assert fit.n_dropped == {"separated_ir": 76}
    assert list(fit.collinear) == ref["collinear"] == ["sep_dummy"]
    names = list(fit.names)
    np.testing.assert_allclose(fit.coef, [ref["coef"][n] for n in names], atol=1e-6)
    res = RegressionResults.from_pieces(names, fit.coef, pieces, "hetero")
    np.testing.assert_allclose(res.std_errors, [ref["se_hetero"][n] for n in names], rtol=1e-4)


def test_three_way_spec_drops_all_zero_pairs_like_pyfixest(panel, pyfixest_ref):
    fit, _ = _fit_formula(panel, pyfixest_ref["specs"]["three_way"]["formula"])
    # pyfixest reports 617 observations removed by its "fe" separation check
    assert fit.n_dropped.get("separated_fe", 0) == 617
    assert fit.nobs == 1219
    assert set(fit.dropped.columns) == {"row", "reason"}
    assert not fit.sample[fit.dropped["row"]].any()


# ------------------------------------------------------------------------------ statsmodels
@pytest.fixture(scope="module")
def small(panel) -> pd.DataFrame:
    regions = [f"r{i:02d}" for i in range(6)]
    keep = panel["orig"].isin(regions) & panel["dest"].isin(regions) & (panel["year"] <= 2012)
    return panel[keep].reset_index(drop=True)


def test_matches_statsmodels_glm_with_dummy_fixed_effects(small):
    ref = json.loads((PPML / "statsmodels_reference.json").read_text())
    names = ["log_dist", "log_wage_ratio", "contig"]
    fe = small[["orig", "dest", "year"]]
    fit = fit_ppml(
        small["flow"], small[names], fe, tol=1e-14, fixef_tol=1e-13, drop_singletons=False
    )
    assert fit.nobs == ref["nobs"]
    np.testing.assert_allclose(fit.coef, [ref["coef"][n] for n in names], atol=1e-6)
    np.testing.assert_allclose(fit.loglik, ref["llf"], rtol=1e-8)
    np.testing.assert_allclose(fit.deviance, ref["deviance"], rtol=1e-8)
    pieces = SandwichPieces(fit.hessian, fit.scores, fit.nobs, fit.fe_codes)
    none = SmallSampleCorrection.none()
    iid = sandwich(pieces.hessian, pieces.scores, "iid", nobs=fit.nobs, k=3, ssc=none)
    hc0 = sandwich(pieces.hessian, pieces.scores, "hetero", nobs=fit.nobs, k=3, ssc=none)
    np.testing.assert_allclose(
        np.sqrt(np.diag(iid.cov)), [ref["se_nonrobust"][n] for n in names], rtol=1e-4
    )
    np.testing.assert_allclose(
        np.sqrt(np.diag(hc0.cov)), [ref["se_hc0"][n] for n in names], rtol=1e-4
    )


def test_offset_and_weights_match_statsmodels(small):
    ref = json.loads((PPML / "statsmodels_reference.json").read_text())
    names = ["log_dist", "log_wage_ratio", "contig"]
    fit = fit_ppml(
        small["flow"],
        small[names],
        small[["orig", "dest", "year"]],
        weights=1.0 + (small["year"] - 2010) / 2.0,
        offset=0.1 * small["unemp_diff"],
        tol=1e-14,
        fixef_tol=1e-13,
        drop_singletons=False,
    )
    np.testing.assert_allclose(fit.coef, [ref["coef_offset_weights"][n] for n in names], atol=1e-6)


# ------------------------------------------------------------------------------- separation
# every ppmlhdfe separation dataset in our code index (12 is absent, see separation/SOURCE.md);
# 09, 11 and 14 have zeros but nothing separated, 02, 03, 04 and 13 have fixed effects only
SEPARATION = [f"{i:02d}" for i in range(1, 19) if i != 12]


def _separation_case(name: str):
    df = pd.read_csv(PPML / "separation" / f"{name}.csv")
    xs = [c for c in df.columns if c.startswith("x")]
    ids = [c for c in df.columns if c.startswith("id")]
    X = df[xs].copy()
    if not ids:
        X.insert(0, "const", 1.0)
    return df, X, (df[ids] if ids else None)


@pytest.mark.parametrize("name", SEPARATION)
def test_ppmlhdfe_separation_datasets_flag_exactly_the_separated(name):
    # default separation=("fe", "ir"); singletons kept as in ppmlhdfe's validate_tagsep.do
    df, X, fe = _separation_case(name)
    truth = df["separated"].to_numpy().astype(bool)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_ppml(df["y"], X, fe, drop_singletons=False, tol=1e-12)
    messages = [str(w.message) for w in caught if issubclass(w.category, SeparationWarning)]
    if truth.any():
        assert len(messages) == 1
        assert messages[0].startswith(f"{truth.sum()} of {len(df)} observations dropped")
    else:
        assert messages == []  # zeros present, none separated: nothing may be dropped
    flagged = np.zeros(len(df), dtype=bool)
    rows = fit.dropped.loc[fit.dropped["reason"].str.startswith("separated"), "row"]
    flagged[rows.to_numpy()] = True
    np.testing.assert_array_equal(flagged, truth)
    assert fit.nobs == len(df) - truth.sum()
    assert fit.converged


@pytest.mark.parametrize("method", ["direct", "projection"])
@pytest.mark.parametrize("name", SEPARATION)
def test_both_rectifier_solvers_find_the_separated(name, method):
    # the projection solver is used above 20 000 parameters; check it on the small cases too
    df, X, fe = _separation_case(name)
    y = df["y"].to_numpy(float)
    codes = (
        np.zeros((len(df), 0), dtype=np.int64)
        if fe is None
        else np.column_stack([pd.factorize(fe[c])[0] for c in fe.columns])
    )
    keep, _, by_fe = _prune_fe(y, codes, np.ones(len(df), dtype=bool), False, True)
    idx = np.flatnonzero(keep)
    sub = np.zeros((len(idx), codes.shape[1]), dtype=np.int64)
    for g in range(codes.shape[1]):
        sub[:, g] = pd.factorize(codes[idx, g])[0]
    ir = _separation_ir(y[idx], X.to_numpy(float)[idx], sub, method=method)
    found = by_fe.copy()
    found[idx[ir]] = True
    np.testing.assert_array_equal(found, df["separated"].to_numpy().astype(bool))


@pytest.mark.parametrize("name", SEPARATION)
def test_estimates_after_separation_match_glm_on_the_remaining_sample(name):
    # fixed-effects-only datasets (02, 03, 04, 13) have no slope: their fitted means are compared
    df, X, fe = _separation_case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_ppml(df["y"], X, fe, drop_singletons=False, tol=1e-13, fixef_tol=1e-13)
    rest = df[df["separated"] == 0]
    design = X.loc[rest.index, list(fit.names)]
    if fe is not None:
        dummies = [
            pd.get_dummies(rest[c].astype(str), prefix=c, drop_first=True, dtype=float)
            for c in fe.columns
        ]
        design = pd.concat([design, pd.Series(1.0, rest.index, name="const_"), *dummies], axis=1)
    with warnings.catch_warnings():
        # dummies of several fixed effects are redundant (02, 03, 04, 07, 13): statsmodels' pinv
        # still gives the unique fitted means; on 03 every remaining y is 1, which statsmodels
        # calls "perfect prediction" (mu == y exactly), not separation
        warnings.simplefilter("ignore", SingularMatrixWarning)
        if name == "03":
            warnings.simplefilter("ignore", PerfectSeparationWarning)
        glm = sm.GLM(rest["y"], design, family=sm.families.Poisson()).fit(tol=1e-14, maxiter=500)
    assert glm.converged
    np.testing.assert_allclose(fit.coef, glm.params[list(fit.names)].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(fit.y, rest["y"].to_numpy())  # same sample, same order
    # fitted means: relative 1e-6 plus an absolute floor for means near zero
    np.testing.assert_allclose(fit.mu, glm.fittedvalues.to_numpy(), rtol=1e-6, atol=1e-9)


def test_collinear_regressor_is_named_and_dropped():
    df, X, fe = _separation_case("01")
    with warnings.catch_warnings(), pytest.warns(CollinearityWarning, match=r"\['x2'\] are"):
        warnings.simplefilter("ignore", SeparationWarning)
        fit = fit_ppml(df["y"], X, fe, drop_singletons=False)
    assert fit.collinear == ("x2",)
    assert fit.names == ("x1",)
    with (
        warnings.catch_warnings(),
        pytest.raises(FixedEffectError, match=r"\['x2'\] are collinear.*remove them"),
    ):
        warnings.simplefilter("ignore", SeparationWarning)
        fit_ppml(df["y"], X, fe, drop_singletons=False, collinear="raise")


def test_regressor_absorbed_by_fixed_effect_is_dropped(panel):
    # region-year wage ratio is absorbed by orig^year + dest^year
    with pytest.warns(CollinearityWarning, match=r"\['log_wage_ratio'\]"):
        fit, _ = _fit_formula(panel, "flow ~ log_wage_ratio + pair_shock | orig^year + dest^year")
    assert fit.names == ("pair_shock",)


# ------------------------------------------------------------------------------- singletons
def test_singletons_are_removed_iteratively():
    # dropping the singleton of g1=3 makes g2=2 a singleton in the second round
    y = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 5.0, 1.0])
    g1 = np.array([0, 0, 1, 1, 2, 2, 3])
    g2 = np.array([0, 1, 0, 1, 0, 1, 2])
    x = np.array([0.1, 0.5, -0.2, 0.3, 0.8, -0.4, 1.0])
    with pytest.warns(SeparationWarning, match="1 of 7 observations dropped: 1 singleton"):
        fit = fit_ppml(y, x, pd.DataFrame({"g1": g1, "g2": g2}), names=["x"])
    assert fit.dropped["row"].tolist() == [6]
    y2 = np.append(y, 2.0)
    g1b, g2b = np.append(g1, 4), np.append(g2, 2)
    with pytest.warns(SeparationWarning, match="2 singleton"):
        fit2 = fit_ppml(y2, np.append(x, 0.0), pd.DataFrame({"a": g1b, "b": g2b}))
    assert sorted(fit2.dropped["row"].tolist()) == [6, 7]


# ------------------------------------------------------------------------------- errors
def test_every_group_a_singleton_raises_named_error():
    fe = pd.DataFrame({"g": np.arange(5)})
    with pytest.raises(EstimationError, match=r"no observations .* 5 singleton"):
        fit_ppml(np.arange(5.0), np.ones(5), fe)


def test_everything_separated_raises_named_error():
    fe = pd.DataFrame({"g": [0, 0, 1, 1]})
    with pytest.raises(EstimationError, match="all 4 outcomes are zero"):
        fit_ppml(np.zeros(4), np.arange(4.0), fe)
    # positive flows only in groups that end up singletons: nothing identifiable is left
    fe2 = pd.DataFrame({"g": [0, 0, 1, 2]})
    with pytest.raises(EstimationError, match=r"no observations with positive outcome .*2 "):
        fit_ppml(np.array([0.0, 0.0, 3.0, 1.0]), np.arange(4.0), fe2)


def test_input_errors():
    with pytest.raises(NegativeFlowError, match="1 negative value"):
        fit_ppml(np.array([1.0, -1.0]), np.ones(2))
    with pytest.raises(MissingValueError, match=r"regressor\(s\) \['x0'\]"):
        fit_ppml(np.ones(3), np.array([1.0, np.nan, 2.0]))
    with pytest.raises(DataValidationError, match="X has 2 rows but y has 3"):
        fit_ppml(np.ones(3), np.ones(2))
    with pytest.raises(DataValidationError, match="weights must be strictly positive"):
        fit_ppml(np.ones(3), np.ones(3), weights=np.array([1.0, 0.0, 1.0]))
    with pytest.raises(InvalidOptionError, match=r"separation=\['simplex'\]"):
        fit_ppml(np.ones(3), np.ones(3), separation=("simplex",))  # type: ignore[arg-type]


def test_non_convergence_raises_convergence_error(panel):
    with pytest.raises(ConvergenceError, match="did not converge in 2 IRLS iterations"):
        _fit_formula(panel, "flow ~ log_dist | orig + dest", maxiter=2)


# ------------------------------------------------------------------------------- vcov/results
def test_vcov_parsing_and_errors():
    assert parse_vcov({"CRV1": ["orig", "dest"]}).clusters == ("orig", "dest")
    assert str(parse_vcov("robust")) == "hetero"
    with pytest.raises(InvalidOptionError, match="clustering needs a variable"):
        parse_vcov("cluster")
    with pytest.raises(InvalidOptionError, match="'HC3' is not allowed"):
        parse_vcov("HC3")
    with pytest.raises(InvalidOptionError, match="one or two distinct cluster variables"):
        parse_vcov({"CRV1": "a+b+c"})
    with pytest.raises(InvalidOptionError, match="G_df='max'"):
        SmallSampleCorrection(G_df="max")  # type: ignore[arg-type]


def test_stata_convention_counts_redundant_levels_by_connectivity():
    # two disconnected blocks: pyfixest subtracts 1 redundant level, reghdfe (and the exact
    # rank, the default) subtract 2
    block = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [0, 0], [1, 1]])
    codes = np.vstack([block, block + 2])
    pyfixest = SmallSampleCorrection(redundant="fixest")
    assert count_fixef_parameters(codes, pyfixest) == 8 - 1
    assert count_fixef_parameters(codes, SmallSampleCorrection.stata()) == 8 - 2
    assert count_fixef_parameters(codes, SmallSampleCorrection()) == 8 - 2
    scores = np.random.default_rng(0).normal(size=(12, 1))
    h = np.array([[2.0]])
    raw = float(scores[:, 0] @ scores[:, 0]) / 4
    fx = sandwich(h, scores, "hetero", nobs=12, k=1, fe_codes=codes, ssc=pyfixest)
    st = sandwich(
        h, scores, "hetero", nobs=12, k=1, fe_codes=codes, ssc=SmallSampleCorrection.stata()
    )
    np.testing.assert_allclose(fx.cov[0, 0], raw * 12 / (12 - 8))
    np.testing.assert_allclose(st.cov[0, 0], raw * 12 / (12 - 7))
    assert (fx.df_k, st.df_k) == (8, 7)


def test_results_vocabulary_and_immutability(panel, pyfixest_ref):
    ref = pyfixest_ref["specs"]["ody"]
    fit, pieces = _fit_formula(panel, ref["formula"], tol=1e-12)
    res = RegressionResults.from_pieces(
        fit.names, fit.coef, pieces, {"CRV1": "pair"}, model="PPML", depvar="flow"
    )
    assert res.nobs == 1836
    assert res.vcov_type == "CRV1 (pair)"
    assert list(res.to_frame().columns) == [
        "params",
        "std_errors",
        "tstats",
        "pvalues",
        "lower",
        "upper",
    ]
    ci = res.conf_int(0.9)
    np.testing.assert_allclose(
        ci["upper"] - res.params, 1.6448536269514722 * res.std_errors, rtol=1e-12
    )
    hetero = res.vcov("hetero")
    assert res.vcov_type == "CRV1 (pair)"  # unchanged
    assert hetero.vcov_type == "hetero"
    assert not np.allclose(hetero.std_errors, res.std_errors)
    with pytest.raises(AttributeError, match="immutable"):
        res.nobs = 3  # type: ignore[misc]
    with pytest.raises(MissingColumnError, match=r"cannot cluster by \['year'\]"):
        res.vcov({"CRV1": "year"})
    with pytest.raises(InvalidOptionError, match="strictly between 0 and 1"):
        res.conf_int(95)
    assert "PPML results" in str(res)
    assert "<table" in res._repr_html_()
    pvals = 2 * (1 - stats.norm.cdf(np.abs(res.tstats)))
    np.testing.assert_allclose(res.pvalues, pvals, atol=1e-12)


def test_effects_when_a_level_loses_all_its_rows() -> None:
    # an origin whose flows are all zero is dropped (separated by its own fixed effect): its
    # code is left without rows, and effects must still give one estimate per remaining level
    # that reproduces the fixed-effect part of the fitted linear predictor
    rng = np.random.default_rng(0)
    regions = [f"r{i}" for i in range(6)]
    rows = [(o, d, y) for o in regions for d in regions if o != d for y in (2020, 2021)]
    df = pd.DataFrame(rows, columns=["origin", "destination", "year"])
    df["x"] = rng.normal(size=len(df))
    df["flow"] = rng.poisson(np.exp(1 + 0.3 * df["x"])).astype(float)
    df.loc[df["origin"] == "r2", "flow"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = migflows.gravity("flow ~ x | orig + dest", df)
    eff = res.effects
    assert sorted(eff["orig"].index) == ["r0", "r1", "r3", "r4", "r5"]
    assert len(eff["dest"]) == 6
    fit = res.fitted
    x = df.set_index(["origin", "destination", "year"]).loc[
        pd.MultiIndex.from_frame(fit[["origin", "destination", "year"]]), "x"
    ]
    fe_part = np.log(fit["fitted"].to_numpy()) - float(res.params["x"]) * x.to_numpy()
    rebuilt = (
        eff["orig"].loc[fit["origin"]].to_numpy() + eff["dest"].loc[fit["destination"]].to_numpy()
    )
    np.testing.assert_allclose(rebuilt, fe_part, atol=1e-8)
