"""migflows.gravity (PPML and log-OLS front end) against pyfixest on the Kazakhstan data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

import migflows
from migflows.errors import (
    DroppedRowsWarning,
    FixedEffectError,
    FormulaSyntaxError,
    InvalidOptionError,
    ModelSpecificationError,
    UnknownVariableError,
)
from migflows.estimation.core.covariance import SmallSampleCorrection

COVARIATES = [
    "log_dist",
    "log_wage_ratio",
    "log_pop_o",
    "log_pop_d",
    "unemp_diff",
    "log_grp_pc_ratio",
]


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan(years=[2020, 2021, 2023])


@pytest.fixture(scope="module")
def frame(kz: migflows.FlowPanel) -> pd.DataFrame:
    df = pd.concat([kz.flows, kz.covariates(COVARIATES)], axis=1)
    df["pair"] = df["origin"] + "→" + df["destination"]
    return df


PF_VCOV = {
    "iid": "iid",
    "hetero": "hetero",
    "pair": {"CRV1": "pair"},
    "orig+dest": {"CRV1": "origin+destination"},
}
OUR_VCOV = {
    "iid": "iid",
    "hetero": "hetero",
    "pair": {"CRV1": "pair"},
    "orig+dest": {"CRV1": "orig+dest"},
}


# pyfixest counts one redundant fixed-effect level per fixed effect after the first; the
# package default counts them exactly (equal when the FE graph is connected; test_fixef_rank)
PYFIXEST_SSC = SmallSampleCorrection(redundant="fixest")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            "flow ~ log_dist | orig^year + dest^year",
            "flow ~ log_dist | origin^year + destination^year",
        ),
        (
            "flow ~ log_dist + log_wage_ratio + log_pop_o + log_pop_d + unemp_diff | orig + dest + year",
            "flow ~ log_dist + log_wage_ratio + log_pop_o + log_pop_d + unemp_diff | origin + destination + year",
        ),
        (
            "flow ~ log_wage_ratio + unemp_diff | orig^dest + year",
            "flow ~ log_wage_ratio + unemp_diff | pair + year",
        ),
    ],
)
@pytest.mark.parametrize("vc", list(OUR_VCOV))
def test_ppml_matches_pyfixest(kz, frame, ours: str, theirs: str, vc: str) -> None:
    res = migflows.gravity(ours, kz, vcov=OUR_VCOV[vc], ssc=PYFIXEST_SSC)
    data = frame.dropna(subset=[c for c in COVARIATES if c in theirs])
    ref = pf.fepois(theirs, data=data, vcov=PF_VCOV[vc])
    np.testing.assert_allclose(res.params.to_numpy(), ref.coef().to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-4)
    assert res.nobs == ref._N


@pytest.mark.parametrize("vc", ["iid", "hetero", "orig+dest"])
def test_log_ols_matches_pyfixest(kz, frame, vc: str) -> None:
    res = migflows.gravity(
        "flow ~ log_dist + log_wage_ratio | orig + dest + year",
        kz,
        estimator="ols",
        vcov=OUR_VCOV[vc],
    )
    ref = pf.feols(
        "np.log(flow) ~ log_dist + log_wage_ratio | origin + destination + year",
        data=frame.dropna(subset=["log_wage_ratio"]),
        vcov=PF_VCOV[vc],
    )
    np.testing.assert_allclose(res.params.to_numpy(), ref.coef().to_numpy(), atol=1e-8)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-6)
    assert res.stats["rsquared"] == pytest.approx(ref._r2, abs=1e-8)


def test_log_ols_zero_flows_dropped_with_count() -> None:
    rng = np.random.default_rng(3)
    keys = [(o, d) for o in "abcdefgh" for d in "abcdefgh" if o != d]
    df = pd.DataFrame(keys, columns=["origin", "destination"]).assign(year=2020)
    df["x"] = rng.normal(size=len(df))
    df["flow"] = rng.poisson(np.exp(1 + 0.5 * df["x"]))
    n_zero = int((df["flow"] == 0).sum())
    assert n_zero > 0
    panel = migflows.FlowPanel.from_frame(df, pair_vars=["x"])
    with pytest.warns(DroppedRowsWarning, match=f"{n_zero} by the dependent-variable transform"):
        res = migflows.gravity("flow ~ x | orig + dest", panel, estimator="ols")
    assert res.nobs == len(df) - n_zero
    assert (res.dropped["reason"] == "depvar transform").sum() == n_zero
    ref = pf.feols("np.log(flow) ~ x | origin + destination", data=df[df["flow"] > 0])
    assert res.params["x"] == pytest.approx(ref.coef()["x"], abs=1e-8)
    res1p = migflows.gravity("flow ~ x | orig + dest", panel, estimator="ols", zeros="log1p")
    ref1p = pf.feols("np.log1p(flow) ~ x | origin + destination", data=df)
    assert res1p.nobs == len(df) and res1p.params["x"] == pytest.approx(ref1p.coef()["x"], abs=1e-8)


def test_period_slopes_match_pyfixest_i(kz, frame) -> None:
    res = migflows.gravity(
        "flow ~ i(year, log_dist, ref=2020) | orig^year + dest^year", kz, ssc=PYFIXEST_SSC
    )
    ref = pf.fepois(
        "flow ~ i(year, log_dist, ref=2020) | origin^year + destination^year",
        data=frame,
        vcov="hetero",
    )
    assert list(res.params.index) == ["year::2021:log_dist", "year::2023:log_dist"]
    np.testing.assert_allclose(res.params.to_numpy(), ref.coef().to_numpy(), atol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.se().to_numpy(), rtol=1e-4)
    periods = {"pre": (2020, 2021), "post": (2023, 2024)}
    res_p = migflows.gravity(
        "flow ~ i(period, log_dist) | orig^year + dest^year", kz, periods=periods, absorbed="drop"
    )
    assert set(res_p.params.index) <= {"period::pre:log_dist", "period::post:log_dist"}


def test_vcov_switch_equals_refit(kz) -> None:
    res = migflows.gravity("flow ~ log_dist + log_wage_ratio | orig + dest + year", kz)
    switched = res.vcov({"CRV1": "orig+dest"})
    refit = migflows.gravity(
        "flow ~ log_dist + log_wage_ratio | orig + dest + year", kz, vcov={"CRV1": "orig+dest"}
    )
    pd.testing.assert_series_equal(switched.std_errors, refit.std_errors)
    assert res.vcov_type == "hetero"  # the original is unchanged
    with pytest.raises(AttributeError, match="immutable"):
        res._nobs = 3  # type: ignore[misc]


def test_absorbed_regressor_names_the_fixed_effects(kz) -> None:
    with pytest.raises(
        FixedEffectError,
        match=r"log_wage_ratio by orig\^year \+ dest\^year.*'\| orig \+ dest \+ year'",
    ):
        migflows.gravity("flow ~ log_dist + log_wage_ratio | orig^year + dest^year", kz)
    with pytest.raises(FixedEffectError, match=r"log_pop_o by orig\b"):
        migflows.gravity("flow ~ log_dist + log_pop_o | orig + dest", kz.select(years=[2021]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = migflows.gravity(
            "flow ~ log_dist + log_wage_ratio | orig^year + dest^year", kz, absorbed="drop"
        )
    assert res.collinear == ("log_wage_ratio",)
    assert any("log_wage_ratio" in str(w.message) for w in caught)


def test_prediction_elasticities_counterfactual(kz) -> None:
    res = migflows.gravity("flow ~ log_dist + log_wage_ratio + log_pop_d | orig + dest + year", kz)
    np.testing.assert_allclose(
        res.predict(kz).to_numpy()[res._fit.design.rows], res.predict().to_numpy(), rtol=1e-9
    )
    f = res.fitted
    assert f["fitted"].sum() == pytest.approx(
        f["observed"].sum(), rel=1e-8
    )  # Poisson FE: totals match
    el = res.elasticities()
    assert (el["kind"] == "elasticity").all()
    cf = res.counterfactual(
        {"wage": {"turkistan": 1.10}, "population": {"astana_city": {2023: 1.05}}}
    )
    flows = cf.flows
    b = res.params
    into = flows[(flows["destination"] == "turkistan")]
    np.testing.assert_allclose(
        into["counterfactual"], into["baseline"] * 1.10 ** b["log_wage_ratio"], rtol=1e-10
    )
    out_of = flows[
        (flows["origin"] == "turkistan")
        & ~((flows["destination"] == "astana_city") & (flows["year"] == 2023))
    ]
    np.testing.assert_allclose(
        out_of["counterfactual"], out_of["baseline"] * 1.10 ** (-b["log_wage_ratio"]), rtol=1e-10
    )
    astana = flows[
        (flows["destination"] == "astana_city")
        & (flows["year"] == 2023)
        & (flows["origin"] != "turkistan")
    ]
    np.testing.assert_allclose(
        astana["counterfactual"], astana["baseline"] * 1.05 ** b["log_pop_d"], rtol=1e-10
    )
    bal = cf.balances
    assert bal.groupby(level="year")["net_change"].sum().abs().max() < 1e-6
    none = res.counterfactual({"wage": {"turkistan": 1.0}})
    assert none.flows["change"].abs().max() == 0


def test_dropped_rows_exposed(kz) -> None:
    with pytest.warns(
        DroppedRowsWarning,
        match=r"Dropped \d+ of 1140 observations \(missing values by variable: log_grp_pc_ratio",
    ):
        res = migflows.gravity("flow ~ log_dist + log_grp_pc_ratio | orig + dest + year", kz)
    assert set(res.dropped["year"]) == {2023}  # GRP per capita ends in 2022
    assert (res.dropped["reason"] == "missing value").all()
    assert res.nobs + len(res.dropped) == 1140


def test_separation_reported() -> None:
    df = pd.DataFrame(
        {
            "origin": list("aaabbbccc"),
            "destination": list("bcdacdabd"),
            "year": 2020,
            "flow": [0, 0, 0, 5, 7, 2, 3, 0, 4],
            "x": [0.1, 0.4, 0.3, 1.2, 0.2, 0.8, 0.5, 0.9, 0.7],
        }
    )
    panel = migflows.FlowPanel.from_frame(df, pair_vars=["x"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = migflows.gravity("flow ~ x | orig", panel)
    sep = res.dropped[res.dropped["reason"].str.startswith("separated")]
    assert sorted(sep["destination"]) == ["b", "c", "d"] and set(sep["origin"]) == {"a"}


def test_errors(kz) -> None:
    with pytest.raises(
        InvalidOptionError, match=r"estimator='probit' is not available; use one of 'ppml', 'ols'"
    ):
        migflows.gravity("flow ~ log_dist", kz, estimator="probit")  # type: ignore[arg-type]
    with pytest.raises(UnknownVariableError, match="Unknown variable 'log_gdp_ratio'"):
        migflows.gravity("flow ~ log_gdp_ratio | orig", kz)
    with pytest.raises(FixedEffectError, match="Fixed effect 'region' is not known on a FlowPanel"):
        migflows.gravity("flow ~ log_dist | region", kz)
    with pytest.raises(FormulaSyntaxError, match="flow ~ log_dist \\|"):
        migflows.gravity("flow ~ log_dist |", kz)
    with pytest.raises(UnknownVariableError, match="'period' but no periods were given"):
        migflows.gravity("flow ~ i(period, log_dist) | orig", kz)
    res = migflows.gravity(
        "flow ~ log_dist | orig + dest + year",
        kz.flows.assign(log_dist=kz.covariates(["log_dist"])["log_dist"]),
    )
    with pytest.raises(ModelSpecificationError, match="needs a model fitted on a FlowPanel"):
        res.counterfactual({"wage": {"turkistan": 1.1}})
    with pytest.raises(FixedEffectError, match="Fixed effect 'oblast' is not in the data"):
        migflows.gravity("flow ~ log_dist | oblast", kz.flows.assign(log_dist=1.0))


def test_missing_fixed_effect_values_are_dropped_not_a_level() -> None:
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "g": rng.choice(["a", "b", "c"], 200),
            "h": rng.choice([1, 2], 200),
            "x": rng.normal(size=200),
        }
    )
    df["y"] = rng.poisson(np.exp(0.5 * df["x"]))
    df.loc[:9, "g"] = None
    with pytest.warns(
        DroppedRowsWarning,
        match=r"Dropped 10 of 200 observations \(missing values by variable: FE g\^h: 10",
    ):
        res = migflows.gravity("y ~ x | g^h", df)
    ref = pf.fepois("y ~ x | g^h", data=df.dropna(subset=["g"]), vcov="hetero")
    assert res.params["x"] == pytest.approx(ref.coef()["x"], abs=1e-6)
    assert "None" not in set(res.fixef["g^h"].index) and len(res.fixef["g^h"]) == 6
