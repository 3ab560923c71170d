"""Readings written from the numbers, anomaly rules, and data frames that read well.

The sentences of migflows.reports.interpret are checked against the results they read (each
figure re-derived here from params / conf_int), the anomaly rules of migflows.data.anomalies
against panels built with a known jump and a known sign flip, and against the embedded data's
source totals.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.data.anomalies import lone_sign_flips, national_jumps
from migflows.errors import InvalidOptionError
from migflows.reports.display import fmt_auto, styled
from migflows.reports.interpret import (
    describe_flips,
    describe_jumps,
    interpret_forecast,
    interpret_models,
    sign_flips,
)


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan()


@pytest.fixture(scope="module")
def gravity_models(kz: migflows.FlowPanel) -> dict:
    two = kz.select(years=[2020, 2021])
    formula = "flow ~ log_dist + log_wage_ratio + unemp_diff | orig + dest + year"
    return {
        "PPML": migflows.gravity(formula, two),
        "OLS": migflows.gravity(formula, two, estimator="ols"),
    }


def test_gravity_sentences_carry_the_estimates(gravity_models: dict) -> None:
    text = interpret_models(gravity_models, years=[2020, 2021])
    ppml, ols = gravity_models["PPML"], gravity_models["OLS"]
    dist = next(t for t in text if t.startswith("Log distance (km)"))
    b = float(ppml.params["log_dist"])
    effect = abs(100 * (1.1**b - 1))  # the exact effect of 10% more distance
    assert f"10% more goes with {effect:.1f}% fewer moves in PPML" in dist
    assert f"in OLS {float(ols.params['log_dist']):.2f}" in dist
    for line in text[:3]:  # each p-value shown is the model's own
        for p in re.findall(r"p = (\d\.\d{3})", line):
            assert any(
                f"{float(m.pvalues[t]):.3f}" == p
                for m in gravity_models.values()
                for t in m.params.index
            )
    assert text[-1].startswith("Caution: the estimates rest on 2 years (2020, 2021)")


def test_sign_flips_name_the_models() -> None:
    class R:
        def __init__(self, b: dict, p: dict) -> None:
            self.params, self.pvalues = pd.Series(b), pd.Series(p)

    models = {
        "Pooled": R({"log_rel_wage": 29.7}, {"log_rel_wage": 0.04}),
        "FE": R({"log_rel_wage": -25.8}, {"log_rel_wage": 0.51}),
    }
    assert sign_flips(models) == {"log_rel_wage": (["Pooled"], ["FE"])}
    text = interpret_models(models, log_link=False, outcome="the rate", identification="why")
    assert f"a change of {29.7 * math.log(1.1):+.3g} in the rate in Pooled" in text[0]
    assert "is positive in Pooled and negative in FE" in text[1] and text[1].endswith("why.")
    # no model distinguishes it from zero: the sign is said to be unsettled, not explained
    weak = {k: R(dict(m.params), {"log_rel_wage": 0.5}) for k, m in models.items()}
    assert "the direction is not established" in interpret_models(weak)[-1]


def test_posterior_readings_use_the_credible_interval() -> None:
    class Posterior:
        inference = "bayesian"
        params = pd.Series({"log_dist": -1.4, "log_wage_ratio": 0.04})
        pvalues = pd.Series({"log_dist": np.nan, "log_wage_ratio": np.nan})

        def conf_int(self, level: float = 0.95) -> pd.DataFrame:
            assert level == pytest.approx(0.95)
            return pd.DataFrame(
                {"lower": [-1.47, -0.76], "upper": [-1.34, 0.84]}, index=self.params.index
            )

    text = interpret_models({"the posterior": Posterior()})
    assert "(95% credible interval -1.47 to -1.34)" in text[0]
    assert "not distinguishable from zero (95% credible interval -0.76 to 0.84)" in text[1]


def test_period_slopes_on_few_years_are_flagged() -> None:
    class R:
        params = pd.Series({"period::early:log_wage_ratio": -0.35})
        pvalues = pd.Series({"period::early:log_wage_ratio": 0.35})

    text = interpret_models({"m": R()}, period_years={"early": [2010, 2015], "late": [1, 2, 3, 4]})
    assert text[0].startswith("Log wage ratio (destination/origin), early period:")
    assert text[-1].startswith("Caution: the early-period slopes rest on 2 year(s)")
    assert not any("late-period" in t for t in text)


def test_forecast_reading() -> None:
    table = pd.DataFrame(
        {"mean": [63204.0, -30538.0, 10.0], "mean_ci_lower": [-4268.0, -84153.0, -5.0],
         "mean_ci_upper": [157421.0, 19070.0, 20.0]},
        index=["astana_city", "turkistan", "abai"],
    )  # fmt: skip
    idx = pd.MultiIndex.from_tuples([("naive", "net"), ("drift", "net"), ("naive", "arrivals")])
    scores = pd.DataFrame({"mase": [0.757, 0.773, 0.1], "coverage_80": [0.975, 0.975, 0.5]}, idx)
    text = interpret_forecast(
        table, scores, year=2027, origins=[2020, 2023], regions={"astana_city": "Astana city"}
    )
    assert text[0].startswith("In the backtest, naive forecast net balances best (MASE 0.76")
    assert "held 98% of the outcomes, so they are wider than needed" in text[0]
    assert "largest projected gain is Astana city: +63,204 persons" in text[1]
    assert "(80% interval -84,153 to +19,070)" in text[2]
    assert text[3].startswith("3 of 3 regions have an 80% interval that includes zero")
    assert text[4].startswith("Caution: the backtest rests on 2 forecast origin(s)")


def _panel(totals: dict[int, float], flip: tuple[int, float] | None = None) -> migflows.FlowPanel:
    """Four regions, a -> b carries most flow; ``flip`` reverses a -> b in one year."""
    keys = ["a", "b", "c", "d"]
    rows = []
    for year, scale in totals.items():
        for o in keys:
            for d in keys:
                if o == d:
                    continue
                flow = scale * (10.0 if (o, d) == ("a", "b") else 1.0)
                if flip is not None and year == flip[0] and (o, d) in (("a", "b"), ("b", "a")):
                    flow = scale * (1.0 if (o, d) == ("a", "b") else flip[1])
                rows.append((o, d, year, round(flow)))
    frame = pd.DataFrame(rows, columns=["origin", "destination", "year", "flow"])
    return migflows.FlowPanel.from_frame(frame)


def test_national_jump_rule() -> None:
    steady = _panel({2019: 100, 2020: 105, 2021: 110, 2022: 116})
    assert national_jumps(steady).empty
    jumped = _panel({2019: 100, 2020: 105, 2021: 110, 2022: 165})
    found = national_jumps(jumped)
    assert list(found.index) == [2022]
    totals = jumped.flows.groupby("year")["flow"].sum()
    assert found.loc[2022, "annual_change"] == pytest.approx(totals[2022] / totals[2021] - 1)
    # a gap of years is annualised: +50% over 2 years is 22.5% a year, under the 25% bar
    spread = _panel({2015: 100, 2016: 102, 2017: 104, 2019: 156})
    assert national_jumps(spread).empty
    with pytest.raises(InvalidOptionError, match="must be positive"):
        national_jumps(steady, min_change=0)
    words = describe_jumps(found)[0]
    assert f"rose {found.loc[2022, 'annual_change']:.0%} from 2021 to 2022" in words


def test_lone_sign_flip_rule() -> None:
    base = {2019: 100, 2020: 100, 2021: 100, 2022: 100}
    assert lone_sign_flips(_panel(base)).empty
    flipped = _panel(base, flip=(2021, 30.0))  # b -> a outweighs a -> b in 2021 only
    found = lone_sign_flips(flipped, top=2)
    net = flipped.balances()["net"].unstack("year")
    assert set(found.index) == {"a", "b"}
    assert found.loc["b", "year"] == 2021 and found.loc["b", "net"] == net.loc["b", 2021]
    assert found.loc["b", "typical"] == pytest.approx(net.loc["b"].drop(2021).median())
    text = describe_flips(found.loc[["b"]])[0]
    assert text.startswith("b had a positive net balance in every other year")
    assert f"but {int(net.loc['b', 2021]):,} in 2021" in text


def test_embedded_anomalies_match_the_source(kz: migflows.FlowPanel) -> None:
    from migflows.data.kazakhstan import kazakhstan_tables

    raw = kazakhstan_tables()["flows"]
    raw = raw[raw["origin"] != raw["destination"]]
    totals = raw.groupby("year")["flow"].sum()
    jumps = national_jumps(kz)
    assert list(jumps.index) == [2024]
    assert jumps.loc[2024, "total"] == totals[2024] and jumps.loc[2024, "previous"] == totals[2023]
    flips = lone_sign_flips(kz)
    assert flips.loc["astana_city", "year"] == 2015 and flips.loc["astana_city", "net"] == -2463


def test_data_frames_read_without_scientific_notation(kz: migflows.FlowPanel) -> None:
    text = styled(kz.indices().T).to_html()
    assert not re.search(r"\d\.\d+e[-+]\d", text)
    assert "16,203,274" in text  # the 2010 population total, with separators
    assert fmt_auto(0.0451) == "0.0451" and fmt_auto(8.5e-81) == "<0.0001"
    assert "net migration rate (per 1,000)" in styled(kz.balances().head(), relabel=True).to_html()
    with pytest.raises(InvalidOptionError, match="digits=0"):
        styled(kz.balances(), digits=0)


def test_summary_tables_show_rounding_noise_as_zero() -> None:
    from migflows.estimation.core.summary import SummaryTable

    table = pd.DataFrame({"bias": [-3215.4, -5.23e-13], "mase": [1.418, 0.7733]})
    text = str(SummaryTable("Backtest", (("Origins", "2020, 2023"),), table))
    assert "e-13" not in text and "-3,215" in text
    assert re.search(r"1\s+0\s+0\.7733", text)
    assert repr(SummaryTable("t", (), table)) == str(SummaryTable("t", (), table))
