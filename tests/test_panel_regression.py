"""migflows.panel: linear panel regressions against R plm 2.6, linearmodels and statsmodels.

Reference values: tests/fixtures/plm/make_plm_fixtures.R (plm 2.6-2, sandwich) on plm's
Grunfeld and Produc panels, exported next to it. Coefficients are compared to 1e-6 and standard
errors to 1e-4 (relative); the small-sample conventions are mapped exactly, not by tolerance:

* plm ``vcov()`` (classical) = ``vcov="unadjusted"`` with the default ``debiased=True``
  (``SSR / (n - N - K)`` with entity effects: linearmodels counts the absorbed effects);
* plm ``vcovHC(type="HC0")`` = ``debiased=False, count_effects=False``;
* plm ``vcovHC(type="HC1")`` = ``debiased=True, count_effects=False`` (factor ``n / (n - K)``
  with ``K`` the slopes only; linearmodels would otherwise count two-way effects);
* plm ``vcovSCC(type=..., maxlag=L)`` = ``{"driscoll_kraay": L}``, same flags;
* first differences, HC1: plm multiplies the HC0 covariance by ``n_d / (n - K)`` with ``n_d``
  the differenced and ``n`` the original observations (190 / 198 on Grunfeld, i.e. *smaller*
  than HC0); we use ``n_d / (n_d - K)``: the test checks plm's factor exactly.
* weighted within: plm demeans without weights and then runs WLS, which is not weighted
  least squares with entity dummies; we (linearmodels) demean with the weights = WLS-LSDV,
  compared with R ``lm(..., weights=)`` with firm dummies and ``sandwich::vcovCL``.

R-squared agrees with plm for within, two-way, pooled, between and random effects; for first
differences without intercept linearmodels reports the uncentred R-squared of the differenced
data (0.4288 on Grunfeld) and plm 0.4088, so it is not compared.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.panel import PanelOLS, PooledOLS, RandomEffects

import migflows
from migflows.errors import (
    DataValidationError,
    DroppedRowsWarning,
    EstimationError,
    FixedEffectError,
    FormulaSyntaxError,
    InvalidOptionError,
    MissingColumnError,
    NonNumericError,
    PanelStructureError,
    UnknownVariableError,
)
from migflows.estimation.panel.api import NickellBiasWarning, PanelResults, hausman, panel
from migflows.estimation.panel.phtest import HausmanWarning

FIX = Path(__file__).resolve().parent / "fixtures" / "plm"
REF = pd.read_csv(FIX / "plm_coefficients.csv")
STATS = json.loads((FIX / "plm_statistics.json").read_text())

GRUNFELD = pd.read_csv(FIX / "grunfeld.csv")
PRODUC = pd.read_csv(FIX / "produc.csv")
UNBALANCED = GRUNFELD.drop(index=range(0, len(GRUNFELD), 7))  # as in the R script
WEIGHTED = GRUNFELD.assign(w=GRUNFELD["capital"] + 1)

G = "inv ~ value + capital"
P = "log_gsp ~ log_pcap + log_pc + log_emp + unemp"
CASES: dict[str, tuple[pd.DataFrame, str, str, str, dict[str, object]]] = {
    # case: (data, entity, formula, estimator, extra)
    "grunfeld_within_individual": (GRUNFELD, "firm", f"{G} | entity", "fe", {}),
    "grunfeld_within_time": (GRUNFELD, "firm", f"{G} | time", "fe", {}),
    "grunfeld_within_twoways": (GRUNFELD, "firm", f"{G} | entity + time", "fe", {}),
    "grunfeld_random_swar": (GRUNFELD, "firm", G, "re", {}),
    "grunfeld_pooling": (GRUNFELD, "firm", G, "pooled", {}),
    "grunfeld_fd": (GRUNFELD, "firm", "inv ~ 0 + value + capital", "fd", {}),  # R: - 1
    "grunfeld_between": (GRUNFELD, "firm", G, "between", {}),
    "grunfeld_within_lags": (
        GRUNFELD,
        "firm",
        "inv ~ lag(inv, 1) + value + lag(value, 2) + capital | entity",
        "fe",
        {},
    ),
    "unbalanced_within_individual": (UNBALANCED, "firm", f"{G} | entity", "fe", {}),
    "unbalanced_within_twoways": (UNBALANCED, "firm", f"{G} | entity + time", "fe", {}),
    "unbalanced_random_swar": (UNBALANCED, "firm", G, "re", {}),
    "weighted_pooling": (WEIGHTED, "firm", G, "pooled", {"weights": "w"}),
    "weighted_within_lsdv": (WEIGHTED, "firm", f"{G} | entity", "fe", {"weights": "w"}),
    "produc_within_twoways": (PRODUC, "state", f"{P} | entity + time", "fe", {}),
    "produc_within_individual": (PRODUC, "state", f"{P} | entity", "fe", {}),
    "produc_random_swar": (PRODUC, "state", P, "re", {}),
}


def _vcov_args(cov: str, estimator: str) -> dict[str, object]:
    """Our arguments reproducing plm's covariance ``cov`` (see the module docstring)."""
    if cov == "unadjusted":
        return {"vcov": "unadjusted"}
    hc1 = cov.endswith("HC1") or "_HC1_" in cov
    out: dict[str, object] = {"debiased": hc1}
    if estimator == "fe":
        out["count_effects"] = False
    if cov.startswith("arellano_time"):
        out["vcov"] = {"cluster": "time"}
    elif cov.startswith(("arellano", "cluster")):
        out["vcov"] = {"cluster": "entity"}
    elif cov.startswith(("white1", "hc0")):
        out["vcov"] = "robust"
    elif cov.startswith("scc"):
        out["vcov"] = {"driscoll_kraay": int(cov.rsplit("lag", 1)[1])}
    return out


def _fit(case: str, **kwargs: object) -> PanelResults:
    data, entity, formula, estimator, extra = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)
        warnings.simplefilter("ignore", NickellBiasWarning)
        return panel(formula, data, estimator, entity=entity, time="year", **extra, **kwargs)  # type: ignore[arg-type]


def _reference(case: str, cov: str) -> pd.DataFrame:
    ref = REF[(REF["case"] == case) & (REF["cov"] == cov)].set_index("term")
    return ref.rename(index={"(Intercept)": "Intercept"})


PAIRS = [
    (case, cov)
    for case, cov in REF[["case", "cov"]].drop_duplicates().itertuples(index=False)
    if case in CASES and not (case == "grunfeld_fd" and ("HC1" in cov or "time" in cov))
]


@pytest.mark.parametrize(("case", "cov"), PAIRS, ids=[f"{c}-{v}" for c, v in PAIRS])
def test_matches_plm(case: str, cov: str) -> None:
    ref = _reference(case, cov)
    res = _fit(case, **_vcov_args(cov, CASES[case][3]))
    assert sorted(res.params.index) == sorted(ref.index)
    np.testing.assert_allclose(res.params[ref.index], ref["estimate"], rtol=1e-6)
    np.testing.assert_allclose(res.std_errors[ref.index], ref["std_error"], rtol=1e-4)


def test_first_difference_hc1_factor_of_plm() -> None:
    # plm's HC1 for "fd" scales HC0 by n_d / (n - K), n_d = 190 differenced rows, n = 200.
    res = _fit("grunfeld_fd", vcov={"cluster": "entity"}, debiased=False)
    for cov, ours in (("arellano_HC1", res), ("white1_HC1", res.vcov("robust"))):
        ref = _reference("grunfeld_fd", cov)
        factor = np.sqrt(190 / (200 - 2))
        np.testing.assert_allclose(ours.std_errors[ref.index] * factor, ref["std_error"], rtol=1e-4)
    ours_hc1 = res.vcov({"cluster": "entity"}, debiased=True)
    ratio = ours_hc1.std_errors / res.std_errors
    np.testing.assert_allclose(ratio, np.sqrt(190 / 188), rtol=1e-12)


def test_first_difference_time_clusters_not_available() -> None:
    with pytest.raises(InvalidOptionError, match="estimator='fd' clusters only by entity"):
        _fit("grunfeld_fd", vcov={"cluster": "time"})


def test_weighted_within_differs_from_plm_by_design() -> None:
    # plm 0.1519 (unweighted demeaning, then WLS) vs WLS with dummies 0.1489 (ours, lm).
    ours = _fit("weighted_within_lsdv", vcov="unadjusted")
    plm_w = _reference("weighted_within_individual", "unadjusted")
    assert ours.params["value"] == pytest.approx(0.148900171730058, rel=1e-6)
    assert plm_w.loc["value", "estimate"] == pytest.approx(0.1519087, rel=1e-6)


def test_hausman_matches_phtest() -> None:
    for case_fe, case_re, key in (
        ("grunfeld_within_individual", "grunfeld_random_swar", "grunfeld"),
        ("produc_within_individual", "produc_random_swar", "produc"),
    ):
        fe, re = _fit(case_fe, vcov="unadjusted"), _fit(case_re, vcov="unadjusted")
        if key == "produc":  # V_FE - V_RE has an eigenvalue of -8.6e-10: plm inverts it anyway
            with pytest.warns(HausmanWarning, match="not positive definite"):
                h = hausman(fe, re)
        else:
            h = hausman(fe, re)
        ref = STATS["hausman"][key]
        assert h.statistic == pytest.approx(ref["statistic"], rel=1e-6)
        assert h.df == ref["df"]
        assert h.pvalue == pytest.approx(ref["pvalue"], rel=1e-6)
    with pytest.raises(InvalidOptionError, match="needs a fixed-effects and a random-effects"):
        hausman(_fit("grunfeld_pooling"), _fit("grunfeld_random_swar"))


def test_hausman_warns_when_difference_not_positive_definite() -> None:
    fe = _fit("grunfeld_within_individual", vcov={"cluster": "entity"})
    re = _fit("grunfeld_random_swar", vcov={"cluster": "entity"})
    with pytest.warns(HausmanWarning, match="not positive definite"):
        hausman(fe, re)


@pytest.mark.parametrize(
    ("case", "attr"),
    [
        ("grunfeld_within_individual", "rsquared"),
        ("grunfeld_within_twoways", "rsquared"),
        ("grunfeld_pooling", "rsquared"),
        ("grunfeld_between", "rsquared"),
        ("grunfeld_random_swar", "rsquared"),
        ("produc_within_twoways", "rsquared"),
    ],
)
def test_rsquared_matches_plm(case: str, attr: str) -> None:
    assert getattr(_fit(case), attr) == pytest.approx(STATS["rsquared"][case], rel=1e-6)


def test_random_effects_components_match_plm_swar() -> None:
    for case, key in (("grunfeld_random_swar", "grunfeld"), ("produc_random_swar", "produc")):
        res = _fit(case)
        ref = STATS["random_effects"][key]
        assert res.theta is not None and res.variance_decomposition is not None
        assert res.theta.iloc[0] == pytest.approx(ref["theta"], rel=1e-6)
        assert res.variance_decomposition["Effects"] == pytest.approx(ref["sigma2"]["id"], rel=1e-6)
        assert res.variance_decomposition["Residual"] == pytest.approx(
            ref["sigma2"]["idios"], rel=1e-6
        )


# -- linearmodels used directly ----------------------------------------------------------------
def _lm_data(data: pd.DataFrame, entity: str) -> pd.DataFrame:
    return data.set_index([entity, "year"])


@pytest.mark.parametrize(
    ("vcov", "lm_kwargs"),
    [
        ("robust", {"cov_type": "robust"}),
        ({"cluster": "entity"}, {"cov_type": "clustered", "cluster_entity": True}),
        (
            {"cluster": "entity+time"},
            {"cov_type": "clustered", "cluster_entity": True, "cluster_time": True},
        ),
        ({"driscoll_kraay": None}, {"cov_type": "kernel", "kernel": "bartlett"}),
    ],
)
def test_matches_linearmodels_directly(vcov: object, lm_kwargs: dict[str, object]) -> None:
    d = _lm_data(PRODUC, "state")
    x = d[["log_pcap", "log_pc", "log_emp", "unemp"]]
    lm = PanelOLS(d["log_gsp"], x, entity_effects=True, time_effects=True).fit(**lm_kwargs)
    ours = panel(f"{P} | entity + time", PRODUC, entity="state", time="year", vcov=vcov)  # type: ignore[arg-type]
    np.testing.assert_allclose(ours.params, lm.params, rtol=1e-10)
    np.testing.assert_allclose(ours.std_errors, lm.std_errors, rtol=1e-10)
    np.testing.assert_allclose(ours.pvalues, lm.pvalues, rtol=1e-8)
    np.testing.assert_allclose(ours.conf_int().to_numpy(), lm.conf_int().to_numpy(), rtol=1e-8)
    assert ours.rsquared_between == pytest.approx(lm.rsquared_between, rel=1e-10)
    assert ours.rsquared_overall == pytest.approx(lm.rsquared_overall, rel=1e-10)
    assert ours.f_stat.statistic == pytest.approx(lm.f_statistic.stat, rel=1e-10)
    assert ours.nobs == 816 and ours.n_entities == 48 and ours.n_periods == 17 and ours.balanced


def test_random_effects_and_pooled_match_linearmodels_with_weights() -> None:
    d = _lm_data(WEIGHTED, "firm")
    x = d[["value", "capital"]].assign(Intercept=1.0)[["Intercept", "value", "capital"]]
    for est, cls, extra in (
        ("re", RandomEffects, {"small_sample": True}),
        ("pooled", PooledOLS, {}),
    ):
        lm = cls(d["inv"], x, weights=d["w"]).fit(
            cov_type="clustered", cluster_entity=True, **extra
        )
        ours = panel(
            G, WEIGHTED, est, entity="firm", time="year", weights="w", vcov={"cluster": "entity"}
        )
        np.testing.assert_allclose(ours.params, lm.params, rtol=1e-10)
        np.testing.assert_allclose(ours.std_errors, lm.std_errors, rtol=1e-10)


def test_weighted_pooled_matches_statsmodels_wls() -> None:
    ours = panel(G, WEIGHTED, "pooled", entity="firm", time="year", weights="w", vcov="robust")
    X = sm.add_constant(WEIGHTED[["value", "capital"]]).rename(columns={"const": "Intercept"})
    sm_res = sm.WLS(WEIGHTED["inv"], X, weights=WEIGHTED["w"]).fit(cov_type="HC1")
    np.testing.assert_allclose(ours.params, sm_res.params, rtol=1e-8)
    np.testing.assert_allclose(ours.std_errors, sm_res.bse, rtol=1e-8)


# -- results object ------------------------------------------------------------------------------
def test_results_vocabulary_and_immutability() -> None:
    res = _fit("grunfeld_within_individual", vcov={"cluster": "entity"})
    frame = res.to_frame()
    assert list(frame.columns) == ["params", "std_errors", "tstats", "pvalues", "lower", "upper"]
    assert res.vcov_type == "clustered (entity)"
    other = res.vcov("unadjusted")
    assert other.vcov_type == "unadjusted" and res.vcov_type == "clustered (entity)"
    np.testing.assert_allclose(other.params, res.params)
    assert "Entities:" in str(res.summary) and "<table>" in res._repr_html_()
    with pytest.raises(AttributeError, match="immutable"):
        res._nobs = 3  # type: ignore[misc]
    assert res.df_resid == 200 - 2 - 10  # n - K - N (linearmodels counts the effects)
    assert res.entity_effects and not res.time_effects


def test_predict_in_sample_and_new_data() -> None:
    res = _fit("grunfeld_within_individual")
    lm = PanelOLS(
        _lm_data(GRUNFELD, "firm")["inv"],
        _lm_data(GRUNFELD, "firm")[["value", "capital"]],
        entity_effects=True,
    ).fit()
    np.testing.assert_allclose(res.predict(), lm.fitted_values.iloc[:, 0], rtol=1e-10)
    np.testing.assert_allclose(
        res.predict(effects=True),
        lm.fitted_values.iloc[:, 0] + lm.estimated_effects.iloc[:, 0],
        rtol=1e-10,
    )
    new = GRUNFELD[GRUNFELD["year"] >= 1950]
    pred = res.predict(new)
    expected = new["value"] * res.params["value"] + new["capital"] * res.params["capital"]
    np.testing.assert_allclose(pred.to_numpy(), expected.to_numpy(), rtol=1e-12)
    with pytest.raises(InvalidOptionError, match="estimation sample only"):
        res.predict(new, effects=True)
    np.testing.assert_allclose(res.resids, lm.resids, rtol=1e-10)
    np.testing.assert_allclose(res.idiosyncratic, lm.idiosyncratic.iloc[:, 0], rtol=1e-10)
    fd = _fit("grunfeld_fd")
    assert len(fd.resids) == 190 and len(fd.idiosyncratic) == 200


# -- options, periods, lags, dropped rows ------------------------------------------------------
def test_period_slopes_with_i_and_periods() -> None:
    periods = {"early": (1935, 1944), "late": (1945, 1954)}
    res = panel(
        "inv ~ i(period, value) + capital | entity",
        GRUNFELD,
        entity="firm",
        time="year",
        periods=periods,
    )
    assert list(res.params.index) == ["period::early:value", "period::late:value", "capital"]
    d = _lm_data(GRUNFELD, "firm")
    early = (d.index.get_level_values("year") <= 1944).astype(float)
    x = pd.DataFrame(
        {"e": d["value"] * early, "l": d["value"] * (1 - early), "capital": d["capital"]}
    )
    lm = PanelOLS(d["inv"], x, entity_effects=True).fit(cov_type="robust")
    np.testing.assert_allclose(res.params, lm.params, rtol=1e-10)
    np.testing.assert_allclose(res.std_errors, lm.std_errors, rtol=1e-10)


def test_dropped_rows_are_warned_and_exposed() -> None:
    df = GRUNFELD.copy()
    df.loc[[3, 4, 50], "value"] = np.nan
    with pytest.warns(DroppedRowsWarning, match=r"Dropped 3 of 200 rows .* value \(3\)"):
        res = panel(f"{G} | entity", df, entity="firm", time="year")
    assert res.nobs == 197 and len(res.dropped) == 3
    assert set(res.dropped["reason"]) == {"missing: value"}
    assert df["value"].isna().sum() == 3  # input not modified


def test_nickell_warning_names_t_and_order() -> None:
    with pytest.warns(
        NickellBiasWarning, match=r"biased of order 1/T .* T = 18 periods .*1/T = 0\.056"
    ):
        panel(
            "inv ~ lag(inv, 1) + value | entity",
            GRUNFELD.query("year >= 1936"),
            entity="firm",
            time="year",
        )


def test_calendar_lags_and_differences_with_gaps() -> None:
    # Kazakhstan-like years: lag(x, 1) exists only where the previous calendar year does.
    df = pd.DataFrame(
        {
            "id": np.repeat(list("abcdef"), 4),
            "year": np.tile([2010, 2015, 2020, 2021], 6),
            "x": np.arange(24, dtype=float) ** 1.5,
            "y": np.sin(np.arange(24.0)),
        }
    )
    with pytest.warns(DroppedRowsWarning, match="Dropped 18 of 24 rows"):
        res = panel("y ~ lag(x, 1) + diff(x, 1)", df, "pooled", entity="id", time="year")
    assert list(res.dropped.index.get_level_values("year").unique()) == [2010, 2015, 2020]
    frame = res.linearmodels.model.exog.dataframe
    x = df.set_index(["id", "year"])["x"]
    for ent in "abcdef":
        assert frame.loc[(ent, 2021), "lag(x, 1)"] == x[(ent, 2020)]
        assert frame.loc[(ent, 2021), "diff(x, 1)"] == x[(ent, 2021)] - x[(ent, 2020)]


def test_first_differences_do_not_bridge_gaps_within_an_entity() -> None:
    res = _fit("unbalanced_within_individual").vcov("robust")
    fd = panel(G, UNBALANCED, "fd", entity="firm", time="year")
    assert res.nobs == 171 and fd.nobs == 135


def test_dataframe_with_multiindex_and_pair_clusters() -> None:
    d = _lm_data(GRUNFELD, "firm")
    a = panel(f"{G} | entity", d)
    b = panel(f"{G} | firm", GRUNFELD, entity="firm", time="year")
    np.testing.assert_allclose(a.std_errors, b.std_errors)


# -- errors (item 5) ---------------------------------------------------------------------------
def test_singular_design_names_the_columns() -> None:
    df = GRUNFELD.assign(v2=2 * GRUNFELD["value"] - GRUNFELD["capital"])
    with pytest.raises(
        EstimationError,
        match=r"'v2' is a linear combination of 'value', 'capital' after removing the entity "
        r"effects",
    ):
        panel("inv ~ value + capital + v2 | entity", df, entity="firm", time="year")


def test_absorbed_regressor_named() -> None:
    df = GRUNFELD.assign(size=GRUNFELD["firm"] % 3)
    with pytest.raises(
        FixedEffectError,
        match=r"'size' is constant within every entity and absorbed by the entity effects",
    ):
        panel("inv ~ value + size | entity", df, entity="firm", time="year")
    df = GRUNFELD.assign(trend=GRUNFELD["year"] - 1935)
    with pytest.raises(
        FixedEffectError,
        match=r"'trend' is constant within every period and absorbed by the time effects",
    ):
        panel("inv ~ value + trend | entity + time", df, entity="firm", time="year")


def test_too_few_periods_for_lags() -> None:
    df = GRUNFELD[GRUNFELD["year"].isin([1935, 1940, 1945])]
    with pytest.raises(
        PanelStructureError,
        match=r"lag\(value, 1\) needs .* at least 2 consecutive periods; .* longest run of "
        r"consecutive periods is 1",
    ):
        panel("inv ~ lag(value, 1) | entity", df, entity="firm", time="year")


def test_unknown_variable_and_non_numeric() -> None:
    with pytest.raises(UnknownVariableError, match=r"'valeu'.*Did you mean 'value'"):
        panel("inv ~ valeu | entity", GRUNFELD, entity="firm", time="year")
    with pytest.raises(NonNumericError, match=r"'name' is not numeric.*i\(name\)"):
        panel("inv ~ name | entity", GRUNFELD.assign(name="x"), entity="firm", time="year")
    with pytest.raises(MissingColumnError, match="cannot cluster by 'nope'"):
        panel(f"{G} | entity", GRUNFELD, entity="firm", time="year", vcov={"cluster": "nope"})


def test_bad_weights_and_options() -> None:
    bad = WEIGHTED.assign(w=WEIGHTED["w"] - 100)
    with pytest.raises(
        DataValidationError, match=r"weights 'w' must be strictly positive; \d+ row\(s\) are <= 0"
    ):
        panel(G, bad, "pooled", entity="firm", time="year", weights="w")
    with pytest.raises(InvalidOptionError, match="estimator='gmm' is not allowed"):
        panel(G, GRUNFELD, "gmm", entity="firm", time="year")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="level='pair' applies to FlowPanel data"):
        panel(G, GRUNFELD, "pooled", entity="firm", time="year", level="pair")
    with pytest.raises(InvalidOptionError, match="clustering needs a variable"):
        panel(G, GRUNFELD, "pooled", entity="firm", time="year", vcov="cluster")
    with pytest.raises(FixedEffectError, match="estimator='re' does not absorb effects"):
        panel(f"{G} | entity", GRUNFELD, "re", entity="firm", time="year")
    with pytest.raises(FixedEffectError, match="entity and/or time effects only"):
        panel(f"{G} | firm^year", GRUNFELD, entity="firm", time="year")
    with pytest.raises(
        InvalidOptionError, match="bandwidth 25 must be below the number of periods"
    ):
        panel(f"{G} | entity", GRUNFELD, entity="firm", time="year", vcov={"driscoll_kraay": 25})
    # sqrt() is one of the shared formula functions now (issue 9); an unknown one still raises
    with pytest.raises(FormulaSyntaxError, match="unknown function 'cbrt'"):
        panel("inv ~ cbrt(value) | entity", GRUNFELD, entity="firm", time="year")
    # log of non-positive values: dropped with a warning, as in gravity (issue 9)
    with pytest.warns(DroppedRowsWarning, match=r"log\(value\) is undefined where x <= 0"):
        panel(
            "inv ~ log(value) | entity",
            GRUNFELD.assign(value=GRUNFELD["value"] - 100),
            entity="firm",
            time="year",
        )


def test_too_few_observations() -> None:
    small = GRUNFELD[GRUNFELD["year"] == 1935].head(3)
    with pytest.raises(EstimationError, match=r"Too few observations: .* no residual degrees"):
        panel(G, small, "pooled", entity="firm", time="year")


def test_unbalanced_panel_is_fine() -> None:
    res = _fit("unbalanced_within_twoways")
    assert not res.balanced and res.nobs == STATS["nobs"]["unbalanced"]


# -- Kazakhstan (smoke and sanity) ---------------------------------------------------------------
def test_kazakhstan_region_panel() -> None:
    kz = migflows.load_kazakhstan()
    with pytest.warns(DroppedRowsWarning, match=r"Dropped 40 of 120 rows .* log_rel_grp_pc \(40\)"):
        res = panel(
            "net_rate ~ unemployment + log_rel_grp_pc | entity + time",
            kz,
            vcov={"cluster": "entity"},
            weights="population",
        )
    assert res.n_entities == 20 and res.n_periods == 4 and res.nobs == 80
    assert set(res.dropped.index.get_level_values("year")) == {2023, 2024}
    assert np.isfinite(res.std_errors).all() and 0 <= res.rsquared <= 1
    # within-region variation in relative GRP is what identifies the slope; the sign is free,
    # but the magnitude is sane for rates per 1,000 (a doubling of relative GRP moves net
    # migration by less than 100 per 1,000)
    assert abs(res.params["log_rel_grp_pc"]) < 100


def test_kazakhstan_pair_panel_with_period_slopes() -> None:
    kz = migflows.load_kazakhstan()
    periods = {"early": (2010, 2015), "late": (2020, 2024)}
    with pytest.warns(DroppedRowsWarning):
        res = panel(
            "log_rate ~ i(period, log_wage_ratio) + unemp_diff | entity + time",
            kz,
            level="pair",
            periods=periods,
            weights="pop_o",
            vcov={"cluster": "origin+destination"},
        )
    assert res.n_entities == 380
    assert res.vcov_type == "clustered (origin & destination)"
    assert list(res.params.index) == [
        "period::early:log_wage_ratio",
        "period::late:log_wage_ratio",
        "unemp_diff",
    ]
    assert np.isfinite(res.std_errors).all()
