"""One semantics for formula terms in gravity, panel and Bayesian models (issue 9, item 3).

The same DataFrame goes through ``migflows.gravity``, ``migflows.panel`` and the Bayesian
model construction (``bayes_gravity(..., sample=False)``); each test asserts that the three
behave alike: zero logs and missing values are dropped with a warning naming the term and the
count, unknown ``ref=`` levels and text columns raise the same named error, a transformed
dependent variable works, and lags are calendar lags (a gap is missing, never the previous
available row).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import (
    DroppedRowsWarning,
    FormulaSyntaxError,
    MissingColumnError,
    NonNumericError,
    UnknownVariableError,
)
from migflows.estimation.panel.design import build_panel_design
from migflows.models.design import build_design
from migflows.models.formula import parse_formula
from migflows.models.terms import FrameTerms, calendar_shift, evaluate_terms, to_numeric

REGIONS = ["a", "b", "c", "d"]
YEARS = [2010, 2011, 2012, 2015]  # a gap between 2012 and 2015, as in the Kazakhstan data


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    pairs = [(o, d) for o in REGIONS for d in REGIONS if o != d]
    rows = [(o, d, y) for y in YEARS for o, d in pairs]
    df = pd.DataFrame(rows, columns=["origin", "destination", "year"])
    n = len(df)
    df["pair"] = df["origin"] + "->" + df["destination"]
    df["z"] = rng.normal(size=n)
    df["x"] = rng.uniform(1.0, 3.0, size=n)
    df["flow"] = rng.poisson(np.exp(2.0 + 0.3 * df["z"])).astype(float) + 1.0
    df["g"] = np.where(np.arange(n) % 2 == 0, "even", "odd")
    return df


DF = _frame()
N = len(DF)


def _gravity(formula: str, df: pd.DataFrame) -> Any:
    return migflows.gravity(f"{formula} | orig + dest", df)


def _panel(formula: str, df: pd.DataFrame) -> Any:
    return migflows.panel(formula, df, "pooled", entity="pair", time="year")


def _bayes(formula: str, df: pd.DataFrame) -> Any:
    model = migflows.bayes_gravity(f"{formula} | orig + dest", df, sample=False)
    return model.design  # the estimation sample the model was built on


FITS: dict[str, Callable[[str, pd.DataFrame], Any]] = {
    "gravity": _gravity,
    "panel": _panel,
    "bayes": _bayes,
}


def _reasons(result: Any) -> list[str]:
    return sorted(result.dropped["reason"].astype(str))


# -- zero and negative logs ------------------------------------------------------------------
@pytest.mark.parametrize("family", list(FITS))
def test_log_of_zero_is_dropped_with_a_warning_everywhere(family: str) -> None:
    df = DF.copy()
    df.loc[[3, 17], "x"] = [0.0, -1.0]
    before = df.copy()
    with pytest.warns(
        DroppedRowsWarning, match=r"Dropped 2 of \d+ .*log\(x\) is undefined where x <= 0 in 2 row"
    ):
        res = FITS[family]("flow ~ log(x) + z", df)
    assert res.nobs == N - 2
    assert _reasons(res) == ["undefined: log(x)"] * 2
    pd.testing.assert_frame_equal(df, before)  # the input is not modified


@pytest.mark.parametrize("family", list(FITS))
def test_missing_value_is_dropped_with_a_warning_everywhere(family: str) -> None:
    df = DF.copy()
    df.loc[5, "z"] = np.nan
    with pytest.warns(DroppedRowsWarning, match=r"Dropped 1 of \d+ .*z\W+1"):
        res = FITS[family]("flow ~ log(x) + z", df)
    assert res.nobs == N - 1 and len(res.dropped) == 1
    assert "undefined" not in res.dropped["reason"].iloc[0]


@pytest.mark.parametrize("family", list(FITS))
def test_other_functions_share_one_domain_rule(family: str) -> None:
    df = DF.assign(w=DF["x"] - 2.0)  # negative in about half of the rows
    negative = int((df["w"] < 0).sum())
    with pytest.warns(
        DroppedRowsWarning, match=rf"sqrt\(w\) is undefined where x < 0 in {negative}"
    ):
        res = FITS[family]("flow ~ sqrt(w) + z", df)
    assert res.nobs == N - negative


# -- i() with an unknown reference level ------------------------------------------------------
@pytest.mark.parametrize("family", list(FITS))
def test_unknown_ref_level_is_refused_everywhere(family: str) -> None:
    with pytest.raises(
        UnknownVariableError,
        match=r"i\(year, z, ref=1999\): ref level\(s\) 1999 are not levels of 'year'; its "
        r"levels are 2010, 2011, 2012, 2015",
    ):
        FITS[family]("flow ~ i(year, z, ref=1999) + x", DF)


@pytest.mark.parametrize("family", list(FITS))
def test_known_ref_level_is_left_out_everywhere(family: str) -> None:
    res = FITS[family]("flow ~ i(year, z, ref=2010) + x", DF)
    names = list(res.X.columns) if family == "bayes" else list(res.params.index)
    names = [n for n in names if n != "Intercept"]
    assert names == ["year::2011:z", "year::2012:z", "year::2015:z", "x"]


# -- text columns -----------------------------------------------------------------------------
@pytest.mark.parametrize("family", list(FITS))
def test_non_numeric_column_raises_one_error_everywhere(family: str) -> None:
    with pytest.raises(NonNumericError, match=r"'g' is not numeric .*'even'.*write i\(g\)"):
        FITS[family]("flow ~ g + z", DF)


def test_non_numeric_is_a_data_error_with_type_error_semantics() -> None:
    with pytest.raises(TypeError):
        to_numeric(pd.Series(["1", "2"]), "s")  # strings are not numbers, even digits
    values = pd.Series([1, 2.5, None], dtype=object)
    np.testing.assert_array_equal(to_numeric(values, "v").to_numpy(), [1.0, 2.5, np.nan])


# -- transformed dependent variable -----------------------------------------------------------
def test_panel_with_log_dependent_variable() -> None:
    df = DF.copy()
    df.loc[0, "flow"] = 0.0
    with pytest.warns(DroppedRowsWarning, match=r"log\(flow\) is undefined where x <= 0 in 1 row"):
        res = _panel("log(flow) ~ z", df)
    kept = df.drop(index=0)
    X = np.column_stack([np.ones(len(kept)), kept["z"]])
    beta = np.linalg.lstsq(X, np.log(kept["flow"]), rcond=None)[0]
    np.testing.assert_allclose(res.params.to_numpy(), beta, rtol=1e-10)
    assert res.nobs == N - 1


def test_panel_with_log_dependent_variable_on_a_flowpanel() -> None:
    kz = migflows.load_kazakhstan()  # wages start in 2011: the 2010 rows are missing
    with pytest.warns(DroppedRowsWarning, match=r"Dropped 42 of 120 rows .* log\(wage\) \(42\)"):
        res = migflows.panel("log(wage) ~ unemployment | entity + time", kz)
    assert res.nobs == 78 and list(res.params.index) == ["unemployment"]
    assert list(res.linearmodels.model.dependent.dataframe.columns) == ["log(wage)"]
    assert np.isfinite(res.params).all()


def test_gravity_with_log_dependent_variable_in_ols_form() -> None:
    d = build_design(parse_formula("log(flow) ~ z"), DF)
    np.testing.assert_allclose(d.y.to_numpy(), np.log(DF["flow"]).to_numpy())


# -- calendar lags and differences ------------------------------------------------------------
def test_lag_and_diff_are_calendar_lags_in_gravity_and_panel() -> None:
    formula = parse_formula("flow ~ lag(z, 1) + diff(z, 1)")
    with pytest.warns(DroppedRowsWarning):
        g = build_design(formula, DF)
    with pytest.warns(DroppedRowsWarning):
        p = build_panel_design(formula, DF, estimator="pooled", entity="pair", time="year")
    # 2010 has no 2009 and 2015 has no 2014: both are missing, never the 2012 value
    assert sorted(g.dropped["year"].unique()) == [2010, 2015]
    assert sorted(p.dropped.index.get_level_values("year").unique()) == [2010, 2015]
    assert g.nobs == p.nobs == 2 * 12
    z = DF.set_index(["pair", "year"])["z"]
    gx = g.X.set_axis(pd.MultiIndex.from_frame(DF.iloc[g.rows][["pair", "year"]]))
    for frame in (gx, p.exog):
        for (pair, year), row in frame.iterrows():
            assert row["lag(z, 1)"] == z[(pair, year - 1)]
            assert row["diff(z, 1)"] == pytest.approx(z[(pair, year)] - z[(pair, year - 1)])


@pytest.mark.parametrize("family", list(FITS))
def test_lag_drops_the_same_rows_everywhere(family: str) -> None:
    with pytest.warns(DroppedRowsWarning, match=r"Dropped 24 of 48 .*lag\(z, 1\)\W+24"):
        res = FITS[family]("flow ~ lag(z, 1) + x", DF)
    assert res.nobs == 24


def test_lag_on_a_frame_without_keys_names_the_missing_columns() -> None:
    with pytest.raises(MissingColumnError, match=r"lag\(z, 1\) .* column\(s\) 'origin', 'year'"):
        build_design(parse_formula("flow ~ lag(z, 1)"), DF.drop(columns=["origin", "year"]))


def test_calendar_shift_positional_for_non_integer_time() -> None:
    v = pd.Series([1.0, 2.0, 3.0, 4.0])
    out = calendar_shift(v, ["a", "a", "b", "b"], ["t2", "t1", "t1", "t2"], 1)
    assert out.tolist()[0] == 2.0 and np.isnan(out.tolist()[1]) and out.tolist()[3] == 3.0


# -- one list of functions --------------------------------------------------------------------
@pytest.mark.parametrize("family", list(FITS))
def test_unknown_function_is_refused_everywhere(family: str) -> None:
    with pytest.raises(FormulaSyntaxError, match=r"unknown function 'cbrt'; supported: log\(\)"):
        FITS[family]("flow ~ cbrt(x) + z", DF)


def test_missing_factor_in_i_is_missing_not_zero() -> None:
    df = DF.assign(g=DF["g"].where(DF.index != 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)
        g = build_design(parse_formula("flow ~ i(g, z)"), df)
        p = build_panel_design(
            parse_formula("flow ~ i(g, z)"), df, estimator="pooled", entity="pair", time="year"
        )
    assert g.nobs == p.nobs == N - 1
    ev = evaluate_terms(parse_formula("y ~ i(g, z)").terms, FrameTerms(df))
    assert ev.frame.iloc[4].isna().all()
