"""Panel unit-root tests: against R plm 2.6-2 (fixtures), statsmodels, and by Monte Carlo.

The plm reference values are in tests/fixtures/unit_root/ with the script that made them
(make_purtest_fixtures.R). The issue asks for 1e-4 relative agreement; we assert 1e-6
(observed: 3e-10), which still leaves room for BLAS differences.
"""

from __future__ import annotations

import dataclasses
import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES
from statsmodels.tsa.adfvalues import mackinnonp
from statsmodels.tsa.stattools import adfuller, kpss

from migflows.errors import (
    InvalidOptionError,
    MigflowsWarning,
    MissingColumnError,
    MissingValueError,
    NonNumericError,
    PanelStructureError,
)
from migflows.estimation.unit_root.api import (
    UnitRootResult,
    adf_by_region,
    kpss_by_region,
    unit_root,
)
from migflows.estimation.unit_root.statistics import mackinnon_pvalue

FIX = FIXTURES / "unit_root"
RTOL = 1e-6


@cache
def _cases() -> pd.DataFrame:
    return pd.read_csv(FIX / "purtest_cases.csv")


@cache
def _units() -> pd.DataFrame:
    units = pd.read_csv(FIX / "purtest_units.csv", dtype={"unit": str})
    return units


@cache
def _panel(name: str) -> pd.DataFrame:
    ident = {"grunfeld": "firm", "produc": "state", "empluk": "firm"}[name]
    return pd.read_csv(FIX / f"{name}.csv").rename(columns={ident: "id"})


_TESTS = {
    "levinlin": ("llc", {"llc_lrv": "plm"}),
    "levinlin_llc2002": ("llc", {"llc_lrv": "llc2002"}),
    "ips": ("ips", {}),
    "madwu": ("madwu", {}),
    "invnormal": ("choi", {"choi_stat": "invnormal"}),
    "logit": ("choi", {"choi_stat": "logit"}),
    "Pm": ("choi", {"choi_stat": "pm"}),
    "hadri": ("hadri", {}),
    "cips": ("cips", {}),
}
_EXO = {"intercept": "c", "trend": "ct", "none": "none", "drift": "c"}
_LAGS = {"AIC": "aic", "SIC": "bic", "Hall": "hall"}


def _run_case(case: pd.Series) -> UnitRootResult:
    test, kwargs = _TESTS[case["test"]]
    kw: dict[str, object] = dict(kwargs)
    if test != "cips" and test != "hadri":
        kw["pvalue_extrapolation"] = "polynomial"  # plm's per-unit p-values, see below
    lags = str(case["lags"])
    kw["lags"] = int(lags) if lags.isdigit() else _LAGS[lags]
    if test == "cips":
        kw["truncated"] = bool(case["truncated"])
    else:
        if not lags.isdigit():
            kw["max_lags"] = int(case["pmax"])
        kw["dfcor"] = bool(case["dfcor"])
        kw["fixed_t"] = bool(case["fixedT"])
        kw["heteroskedastic"] = bool(case["Hcons"])
        if isinstance(case["ips_stat"], str) and case["ips_stat"]:
            kw["ips_stat"] = case["ips_stat"].lower()
        if not np.isnan(case["q"]):
            kw["bandwidth"] = int(case["q"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MigflowsWarning)
        return unit_root(
            _panel(case["dataset"]),
            case["variable"],
            test,  # type: ignore[arg-type]
            entity="id",
            time="year",
            trend=_EXO[case["exo"]],  # type: ignore[arg-type]
            **kw,  # type: ignore[arg-type]
        )


def _case_ids() -> list[str]:
    c = _cases()
    return [
        f"{r.case}-{r.dataset}-{r.variable}-{r.test}-{r.exo}-lags{r.lags}"
        + (f"-dfcor{r.dfcor}" if r.test != "cips" else f"-trunc{r.truncated}")
        for r in c.itertuples()
    ]


@pytest.mark.parametrize("row", range(len(_cases())), ids=_case_ids())
def test_matches_plm(row: int) -> None:
    case = _cases().iloc[row]
    res = _run_case(case)
    if not np.isfinite(case["statistic"]):
        # plm overflows (a per-unit p-value rounds to 0 or 1 and its log is infinite); we
        # combine log-CDFs of the normal scores and stay finite.
        assert np.isfinite(res.statistic) and 0 <= res.pvalue <= 1
    elif np.isnan(case["pvalue"]):
        assert res.statistic == pytest.approx(case["statistic"], rel=RTOL)
        assert np.isnan(res.pvalue)
    else:
        # statistic and p-value: plm to 1e-6 relative
        assert res.statistic == pytest.approx(case["statistic"], rel=RTOL)
        assert res.pvalue == pytest.approx(case["pvalue"], rel=RTOL, abs=1e-300)
    if not np.isnan(case["crit_1"]):
        assert res.critical_values is not None
        got = [res.critical_values[k] for k in ("1%", "5%", "10%")]
        np.testing.assert_allclose(
            got, case[["crit_1", "crit_5", "crit_10"]].astype(float), rtol=1e-12
        )

    # per-unit results, matched by unit label
    units = _units()
    ref = units[units["case"] == case["case"]].set_index("unit")
    got_units = res.details.copy()
    got_units.index = got_units.index.astype(str)
    got_units = got_units.loc[ref.index]
    if case["test"] == "hadri":
        np.testing.assert_allclose(got_units["lm"], ref["LM"], rtol=RTOL)
        np.testing.assert_allclose(got_units["sigma2"], ref["sigma2"], rtol=RTOL)
        return
    np.testing.assert_array_equal(got_units["lags"], ref["lags"].astype(int))
    if case["test"] == "cips":
        np.testing.assert_allclose(got_units["cadf_t"], ref["trho"], rtol=RTOL)
        return
    np.testing.assert_allclose(got_units["tstat"], ref["trho"], rtol=RTOL)
    np.testing.assert_allclose(got_units["rho"], ref["rho"], rtol=RTOL)
    np.testing.assert_allclose(got_units["pvalue"], ref["p_trho"], rtol=RTOL)
    if case["test"].startswith("levinlin"):
        np.testing.assert_allclose(got_units["sigma2_st"], ref["sigma2ST"], rtol=RTOL)
        np.testing.assert_allclose(got_units["sigma2_lt"], ref["sigma2LT"], rtol=RTOL)


def test_fixture_covers_every_test_and_setting() -> None:
    c = _cases()
    assert set(c["test"]) == set(_TESTS)
    assert {"intercept", "trend", "none"} <= set(c["exo"])
    assert {"1", "AIC", "SIC", "Hall", "0", "2"} <= set(c["lags"].astype(str))
    assert c["dataset"].value_counts().to_dict().keys() == {"grunfeld", "produc", "empluk"}
    assert len(c) == 465


# ---------------------------------------------------------------------------
# statsmodels references
@pytest.mark.parametrize("trend", ["none", "c", "ct"])
def test_mackinnon_pvalue_equals_statsmodels_inside_its_range(trend: str) -> None:
    reg = {"none": "n", "c": "c", "ct": "ct"}[trend]
    t = np.linspace(-15, 0.6, 60)
    ref = [mackinnonp(x, regression=reg) for x in t]
    for extrapolation in ("flat", "polynomial"):
        ours = mackinnon_pvalue(t, trend, extrapolation)  # type: ignore[arg-type]
        np.testing.assert_allclose(ours, ref, rtol=1e-12)
    # outside, statsmodels says exactly 0 or 1; "flat" holds the turning-point value
    wide = np.linspace(-60, 12, 2000)
    flat = mackinnon_pvalue(wide, trend)  # type: ignore[arg-type]
    assert np.all(np.diff(flat) >= 0)
    assert 0 < flat.min() < 1e-20
    assert flat.max() < 1 or trend == "none"  # the no-deterministics polynomial is monotone
    poly = mackinnon_pvalue(np.array([-50.0]), trend, "polynomial")  # type: ignore[arg-type]
    assert poly[0] > 0.99  # plm's polynomial turns back: why "flat" is our default


def test_flat_extrapolation_changes_only_units_beyond_the_turning_points() -> None:
    df = _panel("grunfeld")
    plm_like = unit_root(
        df,
        "capital",
        "choi",
        entity="id",
        time="year",
        trend="ct",
        lags=1,
        dfcor=False,
        pvalue_extrapolation="polynomial",
    )
    ours = unit_root(
        df, "capital", "choi", entity="id", time="year", trend="ct", lags=1, dfcor=False
    )
    beyond = plm_like.details["tstat"] > 0.70  # statsmodels' tau_max for "ct"
    assert beyond.any() and not beyond.all()
    pd.testing.assert_series_equal(
        ours.details.loc[~beyond, "pvalue"], plm_like.details.loc[~beyond, "pvalue"]
    )
    assert (ours.details.loc[beyond, "pvalue"] > plm_like.details.loc[beyond, "pvalue"]).all()


def _toy(n: int = 6, t: int = 30, seed: int = 3, phi: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n, t))
    y = np.zeros_like(e)
    for s in range(1, t):
        y[:, s] = phi * y[:, s - 1] + e[:, s]
    idx = pd.MultiIndex.from_product(
        [[f"r{i:02d}" for i in range(n)], range(1990, 1990 + t)], names=["region", "year"]
    )
    return pd.DataFrame({"y": y.ravel() + 5.0, "label": "x"}, index=idx)


@pytest.mark.parametrize(("trend", "lags"), [("c", 0), ("ct", 2), ("none", 1), ("c", "aic")])
def test_adf_by_region_equals_adfuller(trend: str, lags: object) -> None:
    df = _toy()
    out = adf_by_region(df, "y", trend=trend, lags=lags, max_lags=4)  # type: ignore[arg-type]
    assert list(out.index) == [f"r{i:02d}" for i in range(6)]
    reg = {"none": "n", "c": "c", "ct": "ct"}[trend]
    for region, row in out.iterrows():
        s = df.xs(region, level="region")["y"].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # statsmodels' result_object notice
            if lags == "aic":
                ref = adfuller(s, maxlag=4, regression=reg, autolag="AIC")
            else:
                ref = adfuller(s, maxlag=lags, regression=reg, autolag=None)
        assert row["statistic"] == pytest.approx(ref[0], rel=1e-12)
        assert row["pvalue"] == pytest.approx(ref[1], rel=1e-12)
        assert row["lags"] == ref[2]
        assert row["crit_5%"] == pytest.approx(ref[4]["5%"], rel=1e-12)


def test_by_region_accepts_a_single_unit() -> None:
    one = _toy().loc[["r03"]]
    assert adf_by_region(one, "y", lags=1).index.tolist() == ["r03"]
    assert kpss_by_region(one, "y").index.tolist() == ["r03"]
    with pytest.raises(PanelStructureError, match="at least 2 units"):
        unit_root(one, "y")


def test_kpss_by_region_equals_kpss() -> None:
    df = _toy(phi=0.3)
    out = kpss_by_region(df, "y", trend="ct")
    for region, row in out.iterrows():
        s = df.xs(region, level="region")["y"].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = kpss(s, regression="ct", nlags="auto")
        assert row["statistic"] == pytest.approx(ref[0], rel=1e-12)
        assert row["pvalue"] == pytest.approx(ref[1], rel=1e-12)
        assert row["lags"] == ref[2]
    assert out["pvalue_bounded"].dtype == bool


# ---------------------------------------------------------------------------
# interface and result object
def test_columns_and_multiindex_give_the_same_result() -> None:
    df = _toy()
    flat = df.reset_index()
    before = flat.copy()
    a = unit_root(df, "y", "ips", lags="bic", max_lags=3)
    b = unit_root(flat, "y", "ips", entity="region", time="year", lags="bic", max_lags=3)
    assert a.statistic == b.statistic
    assert a.pvalue == b.pvalue
    pd.testing.assert_frame_equal(a.details, b.details)
    pd.testing.assert_frame_equal(flat, before)  # input untouched
    assert a.details.index.name == "region"
    assert adf_by_region(flat, "y", entity="region", time="year").index.name == "region"


@pytest.mark.parametrize("test", ["ips", "llc", "madwu", "choi", "hadri", "cips"])
def test_invariant_to_units_of_measurement(test: str) -> None:
    # regional levels in tenge (1e12) must give the statistics of the same data in billions
    base = _toy(n=12)
    big = base.assign(y=base["y"] * 1e9 + 3e12)
    a = unit_root(base, "y", test, trend="ct", lags=1)  # type: ignore[arg-type]
    b = unit_root(big, "y", test, trend="ct", lags=1)  # type: ignore[arg-type]
    assert b.statistic == pytest.approx(a.statistic, rel=1e-8)
    none_a = unit_root(base, "y", "madwu", trend="none", lags=1)
    none_b = unit_root(base.assign(y=base["y"] * 1e9), "y", "madwu", trend="none", lags=1)
    assert none_b.statistic == pytest.approx(none_a.statistic, rel=1e-8)


def test_plm_test_names_are_accepted() -> None:
    df = _toy()
    assert unit_root(df, "y", "levinlin", lags=1).test == "llc"  # type: ignore[arg-type]
    logit = unit_root(df, "y", "logit", lags=1)  # type: ignore[arg-type]
    assert (logit.test, logit.statistic_name) == ("choi", "L*")
    assert logit.statistic == unit_root(df, "y", "choi", lags=1, choi_stat="logit").statistic


def test_per_unit_and_mapping_lags() -> None:
    df = _toy()
    lags = {f"r{i:02d}": i % 3 for i in range(6)}
    a = unit_root(df, "y", "madwu", lags=lags)
    b = unit_root(df, "y", "madwu", lags=[i % 3 for i in range(6)])
    assert a.lags.tolist() == [0, 1, 2, 0, 1, 2]
    assert a.statistic == b.statistic


def test_result_object() -> None:
    res = unit_root(_toy(), "y", "choi", lags=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.statistic = 0.0  # type: ignore[misc]
    assert res.statistic_name == "Z"
    assert res.nobs == 6 * (30 - 2)
    assert res.n_entities == 6 and res.n_periods == 30
    assert set(res.extra) >= {"logit_statistic", "pm_pvalue", "madwu_df"}
    frame = res.to_frame()
    assert frame.loc[0, "statistic"] == res.statistic
    assert list(frame.columns[:5]) == ["test", "variable", "statistic_name", "statistic", "pvalue"]
    text = str(res)
    assert "Choi panel unit-root test" in text and f"{res.statistic:.4f}" in text
    assert "all series have a unit root" in text
    assert "<table>" in res._repr_html_()
    assert res.details.columns.tolist() == ["lags", "nobs", "rho", "tstat", "pvalue"]
    cips = unit_root(_toy(n=12), "y", "cips", lags=1)
    assert cips.critical_values is not None and list(cips.critical_values) == ["1%", "5%", "10%"]
    assert cips.pvalue_bound in {None, "below", "above"}
    hadri = unit_root(_toy(), "y", "hadri", trend="ct")
    assert hadri.null_hypothesis == "all series are trend-stationary"
    assert hadri.lags.empty


def test_ips_tbar_has_critical_values_and_no_pvalue() -> None:
    res = unit_root(_toy(n=10, t=20), "y", "ips", lags=0, ips_stat="tbar")
    assert np.isnan(res.pvalue)
    assert res.critical_values is not None
    assert res.critical_values["1%"] < res.critical_values["5%"] < res.critical_values["10%"]
    with pytest.raises(InvalidOptionError, match="without lags"):
        unit_root(_toy(n=10, t=20), "y", "ips", lags=1, ips_stat="tbar")


def test_max_lags_default_is_plm_pmax_lowered_for_short_series() -> None:
    long = unit_root(_toy(t=40), "y", "ips")
    assert long.max_lags == 10 and not long.notes
    # T = 15: the 3-lag regression keeps 11 rows for 5 coefficients; 4 lags would not
    with pytest.warns(MigflowsWarning, match=r"max_lags lowered from plm's default 10 to 3"):
        short = unit_root(_toy(t=15), "y", "madwu")
    assert short.max_lags == 3
    # T = 25, IPS: Table 3 has moments for 5+ lags only from T = 20 / 25 on
    with pytest.warns(MigflowsWarning, match=r"to 4 because the shortest series"):
        ips = unit_root(_toy(t=25), "y", "ips")
    assert ips.max_lags == 4 and np.isfinite(ips.statistic)


def test_cips_outside_table_is_clamped_with_note() -> None:
    res = unit_root(_toy(n=6, t=30), "y", "cips", lags=1)
    assert any("outside Pesaran" in n for n in res.notes)


# ---------------------------------------------------------------------------
# named errors
def _unbalanced() -> pd.DataFrame:
    df = _toy().reset_index()
    return df[~((df["region"] == "r02") & (df["year"] < 1993))]


@pytest.mark.parametrize(
    ("test", "kw", "what"),
    [
        ("llc", {}, "Levin-Lin-Chu"),
        ("hadri", {}, "Hadri"),
        ("cips", {"lags": 1}, "CIPS"),
        ("ips", {"ips_stat": "tbar", "lags": 0}, "t-bar"),
    ],
)
def test_balance_required_names_units_and_years(test: str, kw: dict, what: str) -> None:
    with pytest.raises(PanelStructureError, match=rf"{what}.*'r02' lacks 1990, 1991, 1992"):
        unit_root(_unbalanced(), "y", test, entity="region", time="year", **kw)  # type: ignore[arg-type]


def test_unbalanced_allowed_for_ips_madwu_choi() -> None:
    for test in ("ips", "madwu", "choi"):
        res = unit_root(_unbalanced(), "y", test, entity="region", time="year", lags=1)  # type: ignore[arg-type]
        assert res.details.loc["r02", "nobs"] == 30 - 3 - 2


def test_gaps_are_named() -> None:
    df = _toy().reset_index()
    df = df[~((df["region"] == "r04") & (df["year"].isin([2000, 2001])))]
    with pytest.raises(PanelStructureError, match=r"'r04' lacks 2000, 2001"):
        unit_root(df, "y", entity="region", time="year", lags=1)


def test_too_few_periods_says_how_many() -> None:
    with pytest.raises(
        PanelStructureError, match=r"lags=4 with trend='ct' needs at least 13 periods"
    ):
        unit_root(_toy(t=12), "y", "madwu", trend="ct", lags=4)
    with pytest.raises(PanelStructureError, match=r"max_lags=6 .* needs at least 16 periods"):
        unit_root(_toy(t=14), "y", "ips", lags="aic", max_lags=6)


def test_constant_series_are_named() -> None:
    df = _toy()
    df.loc[("r03", slice(None)), "y"] = 2.0
    df.loc[("r05", slice(None)), "y"] = -1.0
    with pytest.raises(PanelStructureError, match=r"2 unit\(s\) have a constant 'y': 'r03', 'r05'"):
        unit_root(df, "y", lags=0)


def test_nan_is_named() -> None:
    df = _toy()
    df.loc[("r01", 1995), "y"] = np.nan
    with pytest.raises(MissingValueError, match=r"\('r01', 1995\)"):
        unit_root(df, "y")


def test_non_numeric_and_missing_column() -> None:
    with pytest.raises(NonNumericError, match=r"'label' must be numeric; found 'x'"):
        unit_root(_toy(), "label")
    with pytest.raises(MissingColumnError, match=r"variable 'z' is not in the data"):
        unit_root(_toy(), "z")
    with pytest.raises(MissingColumnError, match=r"time column 'yr'"):
        unit_root(_toy().reset_index(), "y", entity="region", time="yr")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"test": "breitung"}, r"test='breitung' is not supported; allowed: 'ips', 'llc', 'madwu'"),
        ({"trend": "quadratic"}, r"trend='quadratic' is not supported"),
        ({"lags": "hq"}, r"lags='hq' is not supported; allowed: 'aic', 'bic', 'hall'"),
        ({"lags": -1}, r"non-negative"),
        ({"test": "cips", "lags": "aic"}, r"test='cips' takes a fixed lag order"),
        ({"test": "ips", "trend": "none"}, r"IPS test needs trend='c' or 'ct'"),
        ({"test": "hadri", "trend": "none"}, r"Hadri test needs trend"),
        ({"ips_stat": "zbar"}, r"ips_stat='zbar'"),
        ({"llc_lrv": "stata"}, r"llc_lrv='stata'"),
    ],
)
def test_invalid_options(kw: dict, match: str) -> None:
    with pytest.raises(InvalidOptionError, match=match):
        unit_root(_toy(), "y", **kw)


def test_structure_errors() -> None:
    df = _toy()
    with pytest.raises(PanelStructureError, match="no \\(entity, time\\) MultiIndex"):
        unit_root(df.reset_index(), "y")
    with pytest.raises(PanelStructureError, match="at least 2 units"):
        unit_root(df.loc[["r00"]], "y")
    dup = pd.concat([df.reset_index(), df.reset_index().iloc[:1]])
    with pytest.raises(PanelStructureError, match=r"appear more than once: \('r00', 1990\)"):
        unit_root(dup, "y", entity="region", time="year")


# ---------------------------------------------------------------------------
# Monte Carlo: size under a true unit root, power against AR(0.5), Hadri under stationarity
def _simulate(rng: np.random.Generator, n: int, t: int, phi: float) -> pd.DataFrame:
    e = rng.standard_normal((n, t + 30))
    y = np.zeros_like(e)
    for s in range(1, t + 30):
        y[:, s] = phi * y[:, s - 1] + e[:, s]
    y = y[:, 30:] + rng.normal(scale=3.0, size=(n, 1))
    idx = pd.MultiIndex.from_product([range(n), range(2000, 2000 + t)], names=["region", "year"])
    return pd.DataFrame({"y": y.ravel()}, index=idx)


_MC_TESTS = {
    "ips": {"test": "ips", "lags": 0},
    "llc": {"test": "llc", "lags": 0},
    "madwu": {"test": "madwu", "lags": 0},
    "choi": {"test": "choi", "lags": 0},
    "cips": {"test": "cips", "lags": 0},
}


@pytest.mark.slow
def test_monte_carlo_size_and_power() -> None:
    """N = 30, T = 25, 200 replications (seeded), about 6 s.

    Observed with this seed: size IPS 0.075, LLC 0.045, Maddala-Wu 0.115, Choi 0.075,
    CIPS 0.04, Hadri (white noise) 0.065; power 1.00 for all. The band [0.01, 0.10] is about ±3
    Monte Carlo standard errors around 0.05. Maddala-Wu gets [0.02, 0.15]: each unit's
    p-value is MacKinnon's asymptotic one, too small at T = 25, and the Fisher sum adds the
    bias up over units (plm, which uses the same p-values, behaves alike).
    """
    rng = np.random.default_rng(20261122)
    reps, n, t = 200, 30, 25
    rejections = dict.fromkeys(_MC_TESTS, 0)
    hadri = 0
    for _ in range(reps):
        h0 = _simulate(rng, n, t, 1.0)
        for name, kw in _MC_TESTS.items():
            rejections[name] += unit_root(h0, "y", **kw).pvalue < 0.05  # type: ignore[arg-type]
        hadri += unit_root(_simulate(rng, n, t, 0.0), "y", "hadri").pvalue < 0.05
    size = {k: v / reps for k, v in rejections.items()}
    for name in ("ips", "llc", "choi", "cips"):
        assert 0.01 <= size[name] <= 0.10, (name, size[name])
    assert 0.02 <= size["madwu"] <= 0.15, size["madwu"]
    assert 0.01 <= hadri / reps <= 0.10, hadri / reps

    power = dict.fromkeys(_MC_TESTS, 0)
    hadri_power = 0
    for _ in range(50):
        h1 = _simulate(rng, n, t, 0.5)
        for name, kw in _MC_TESTS.items():
            power[name] += unit_root(h1, "y", **kw).pvalue < 0.05  # type: ignore[arg-type]
        hadri_power += unit_root(_simulate(rng, n, t, 1.0), "y", "hadri").pvalue < 0.05
    for name, hits in power.items():
        assert hits / 50 >= 0.9, (name, hits)
    assert hadri_power / 50 >= 0.9


@pytest.mark.slow
def test_plm_defaults_oversize_which_is_why_ours_differ() -> None:
    """plm's defaults (dfcor = FALSE, LLC long-run variance demeaned) over-reject.

    Documents the reason for our defaults: with N = 30, T = 25, 100 replications the plm
    settings reject a true unit root far more often than 5% (observed LLC about 0.5).
    """
    rng = np.random.default_rng(7)
    plm_llc = ours_llc = 0
    for _ in range(100):
        h0 = _simulate(rng, 30, 25, 1.0)
        plm_llc += unit_root(h0, "y", "llc", lags=0, dfcor=False, llc_lrv="plm").pvalue < 0.05
        ours_llc += unit_root(h0, "y", "llc", lags=0).pvalue < 0.05
    assert plm_llc / 100 > 0.25
    assert ours_llc / 100 <= 0.10
