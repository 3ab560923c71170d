"""FlowPanel: validation errors (every message), covariates, lags, immutability, round trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import migflows
from migflows import FlowPanel
from migflows.errors import (
    DroppedRowsWarning,
    DuplicateFlowError,
    DuplicateKeyError,
    InvalidDistanceError,
    InvalidOptionError,
    MissingColumnError,
    MissingRegionError,
    MissingValueError,
    NegativeFlowError,
    NonNumericError,
    RegionCodeError,
    SelfFlowError,
    UnknownVariableError,
    YearRangeError,
)


def small() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    flows = pd.DataFrame(
        {
            "o": ["a", "b", "a", "c", "a", "b"],
            "d": ["b", "a", "c", "a", "b", "a"],
            "y": [2020, 2020, 2020, 2020, 2021, 2021],
            "n": [10, 4, 0, 3, 12, 5],
        }
    )
    regions = pd.DataFrame(
        {
            "region": ["a", "b", "c"] * 3,
            "year": [2019] * 3 + [2020] * 3 + [2021] * 3,
            "population": [90, 190, 290, 100, 200, 300, 110, 210, 310],
            "wage": [1.0, 2.0, 2.5, 1.0, 2.0, 3.0, 1.5, np.nan, 3.5],
            "unemployment": [5.0, 4.0, 6.0, 5.5, 4.5, 6.5, 5.0, 4.0, 7.0],
        }
    )
    coords = pd.DataFrame(
        {"region": ["a", "b", "c"], "lat": [50.0, 51.0, 43.0], "lon": [70.0, 71.0, 77.0]}
    )
    return flows, regions, coords


def build(flows: pd.DataFrame, **kw: object) -> FlowPanel:
    return FlowPanel.from_frame(flows, origin="o", destination="d", year="y", flow="n", **kw)  # type: ignore[arg-type]


def test_basic_views_and_copies() -> None:
    flows, regions, coords = small()
    before = flows.copy()
    p = build(flows, regions=regions, coords=coords)
    pd.testing.assert_frame_equal(flows, before)  # input not mutated
    assert p.nobs == 6 and p.years == [2020, 2021] and p.region_keys == ["a", "b", "c"]
    assert list(p.flows.columns) == ["origin", "destination", "year", "flow"]
    view = p.flows
    view.loc[0, "flow"] = -99
    assert p.flows["flow"].min() >= 0  # views are copies
    assert not p.is_balanced
    assert p.complete().is_balanced and p.complete().nobs == 12
    assert p.complete().meta["zeros_filled"] == 6


def test_covariates_named_and_lagged() -> None:
    flows, regions, coords = small()
    p = build(flows, regions=regions, coords=coords)
    X = p.covariates(
        [
            "log_pop_o",
            "log_pop_d",
            "log_wage_ratio",
            "wage_gap",
            "unemp_diff",
            "lag(wage_o, 1)",
            "lag(flow, 1)",
            "log_dist",
            "pop_ratio",
        ]
    )
    f = p.flows
    first = (f["origin"] == "a") & (f["destination"] == "b") & (f["year"] == 2020)
    row = X[first.to_numpy()].iloc[0]
    assert row["log_pop_o"] == pytest.approx(np.log(100))
    assert row["log_pop_d"] == pytest.approx(np.log(200))
    assert row["log_wage_ratio"] == pytest.approx(np.log(2.0 / 1.0))
    assert row["wage_gap"] == pytest.approx(1.0)
    assert row["unemp_diff"] == pytest.approx(4.5 - 5.5)
    assert row["lag(wage_o, 1)"] == pytest.approx(1.0)  # wage of a in 2019
    assert np.isnan(row["lag(flow, 1)"])  # no 2019 flows
    assert row["pop_ratio"] == pytest.approx(2.0)
    later = (f["origin"] == "a") & (f["destination"] == "b") & (f["year"] == 2021)
    assert X.loc[later.to_numpy(), "lag(flow, 1)"].iloc[0] == 10
    # great-circle distance a-b from coordinates, checked against an independent formula
    lat1, lon1, lat2, lon2 = map(np.radians, (50.0, 70.0, 51.0, 71.0))
    cosang = np.sin(lat1) * np.sin(lat2) + np.cos(lat1) * np.cos(lat2) * np.cos(lon2 - lon1)
    assert np.exp(row["log_dist"]) == pytest.approx(6371.0088 * np.arccos(cosang), rel=1e-9)


def test_missing_covariates_reported() -> None:
    flows, regions, coords = small()
    p = build(flows, regions=regions, coords=coords)
    with pytest.raises(
        MissingValueError, match=r"1 of 6 observations lack a covariate \(wage_d: 1\)"
    ):
        p.covariates(["wage_d"], missing="error")
    with pytest.warns(DroppedRowsWarning, match="Dropped 1 of 6 observations"):
        kept = p.covariates(["wage_d"], missing="drop")
    assert len(kept) == 5
    assert kept.attrs["dropped"][["origin", "destination", "year"]].values.tolist() == [
        ["a", "b", 2021]
    ]
    cov = p.coverage()
    assert cov.loc["wage", 2021] == pytest.approx(2 / 3)


def test_unknown_variable_message() -> None:
    flows, regions, coords = small()
    p = build(flows, regions=regions, coords=coords)
    with pytest.raises(
        UnknownVariableError, match=r"Unknown variable 'log_gdp_ratio'.*'population'"
    ):
        p.covariates(["log_gdp_ratio"])
    with pytest.raises(UnknownVariableError, match="no distances"):
        build(flows, regions=regions).covariates(["log_dist"])


def test_assign_user_variable_and_lag() -> None:
    flows, regions, coords = small()
    p = build(flows, regions=regions, coords=coords)
    p2 = p.assign(big=lambda d: (d["population_d"] > 150).astype(float))
    # rows sorted by year, origin, destination: a-b, a-c, b-a, c-a (2020), a-b, b-a (2021)
    assert p2.covariates(["big"])["big"].tolist() == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    lagged = p2.covariates(["lag(big, 1)"])["lag(big, 1)"].tolist()
    assert lagged[4:] == [1.0, 0.0] and np.isnan(lagged[:4]).all()
    assert p.covariates(["log_dist"]).shape == (6, 1)  # the original is unchanged
    with pytest.raises(InvalidOptionError, match="one value per observation"):
        p.assign(bad=np.arange(3))


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (
            lambda f: f.rename(columns={"n": "count"}),
            MissingColumnError,
            r"no column named by flow='n'",
        ),
        (
            lambda f: f.assign(n=f["n"].astype(object).where(f.index != 2, "1 200x")),
            NonNumericError,
            r"'n' .* 1 value\(s\) that are not numbers: '1 200x'",
        ),
        (
            lambda f: f.assign(n=f["n"].where(f.index != 1, -3)),
            NegativeFlowError,
            r"1 negative flow\(s\): -3.0 at \('b', 'a', 2020\)",
        ),
        (
            lambda f: f.assign(n=f["n"].astype(float).where(f.index != 1)),
            MissingValueError,
            r"1 missing flow\(s\), e.g. at \('b', 'a', 2020\).*missing='drop'",
        ),
        (
            lambda f: pd.concat([f, f.iloc[[0]]]),
            DuplicateFlowError,
            r"2 rows repeat 1 \(origin, destination, year\) combination\(s\): \('a', 'b', 2020\)",
        ),
        (
            lambda f: f.assign(d=f["d"].where(f.index != 0, "a")),
            SelfFlowError,
            r"1 row\(s\) have origin equal to destination \(regions 'a'\).*self_flows='keep'",
        ),
        (
            lambda f: f.assign(y=f["y"].where(f.index != 0, 1850)),
            YearRangeError,
            r"1 year\(s\) outside 1900–2100: 1850",
        ),
        (
            lambda f: f.assign(y=f["y"].astype(float).where(f.index != 0, 2020.5)),
            YearRangeError,
            "non-integer year",
        ),
        (
            lambda f: f.assign(o=f["o"].where(f.index != 0, "A ")),
            RegionCodeError,
            r"spells 1 region\(s\) in more than one way: \('A ', 'a'\)",
        ),
        (lambda f: f.iloc[0:0], MissingValueError, "empty"),
    ],
)
def test_flow_errors(mutate, error, message) -> None:  # type: ignore[no-untyped-def]
    flows, _, _ = small()
    with pytest.raises(error, match=message):
        build(mutate(flows))


def test_drop_options_warn_and_keep_rows() -> None:
    flows, _, _ = small()
    bad = flows.assign(n=flows["n"].astype(float).where(flows.index != 1))
    bad.loc[len(bad)] = ["c", "c", 2020, 7]
    with pytest.warns(
        DroppedRowsWarning, match=r"Dropped 2 flow row\(s\) \(1 missing flow, 1 self-flow\)"
    ):
        p = build(bad, missing="drop", self_flows="drop")
    assert p.nobs == 5
    assert sorted(p.dropped["reason"]) == ["missing flow", "self-flow"]
    kept = build(flows.assign(d=flows["d"].where(flows.index != 0, "a")), self_flows="keep")
    assert kept.intra[["origin", "destination", "flow"]].values.tolist() == [["a", "a", 10.0]]
    with pytest.warns(DroppedRowsWarning, match="summed"):
        summed = build(pd.concat([flows, flows.iloc[[0]]]), duplicates="sum")
    assert (
        summed.flows.query("origin == 'a' and destination == 'b' and year == 2020")["flow"].item()
        == 20
    )


def test_region_table_errors() -> None:
    flows, regions, _ = small()
    with pytest.raises(
        MissingRegionError,
        match=r"1 region\(s\) in the flows are absent from the regions table: 'c'",
    ):
        build(flows, regions=regions[regions["region"] != "c"])
    with pytest.raises(
        DuplicateKeyError, match=r"repeats 1 \(region, year\) combination\(s\): \('a', 2019\)"
    ):
        build(flows, regions=pd.concat([regions, regions.iloc[[0]]]))
    with pytest.raises(NonNumericError, match="'wage' of the regions table"):
        build(flows, regions=regions.assign(wage="high"))
    with pytest.raises(MissingColumnError, match="region='region'"):
        build(flows, regions=regions.rename(columns={"region": "oblast"}))


def test_distance_errors() -> None:
    flows, _, coords = small()
    dist = pd.DataFrame(
        {"origin": ["a", "a", "b"], "destination": ["b", "c", "c"], "distance": [100.0, 0.0, 50.0]}
    )
    with pytest.raises(
        InvalidDistanceError,
        match=r"1 distance\(s\) are zero, negative or missing.*\('a', 'c', 0.0\)",
    ):
        build(flows, distances=dist)
    with pytest.raises(
        MissingRegionError, match=r"lacks 4 pair\(s\) of regions present in the flows: \(.a., .c.\)"
    ):
        build(flows, distances=dist.iloc[[0]])
    ok = build(flows, distances=dist.assign(distance=[100.0, 80.0, 50.0]))
    d = ok.distances.set_index(["origin", "destination"])["distance"]
    assert d[("c", "a")] == 80.0  # symmetric fill
    square = pd.DataFrame(
        [[0, 100, 80], [100, 0, 50], [80, 50, 0]], index=list("abc"), columns=list("abc")
    )
    sq = build(flows, distances=square)
    pd.testing.assert_frame_equal(sq.distances, ok.distances)
    with pytest.raises(InvalidDistanceError, match="impossible coordinates"):
        build(flows, coords=coords.assign(lat=[50.0, 95.0, 43.0]))


def test_option_validation() -> None:
    flows, _, _ = small()
    with pytest.raises(
        InvalidOptionError,
        match=r"self_flows='maybe' is not allowed; use one of 'error', 'drop', 'keep'",
    ):
        build(flows, self_flows="maybe")
    p = build(flows)
    with pytest.raises(InvalidOptionError, match="years 1999 have no flows"):
        p.select(years=[1999])
    with pytest.raises(MissingRegionError, match="regions 'zz' are not in the panel"):
        p.select(regions=["zz"])
    assert p.select(regions=["a", "b"]).nobs == 4


def test_repr_and_html() -> None:
    flows, regions, coords = small()
    p = build(flows, regions=regions, coords=coords)
    assert "observations        6 (unbalanced)" in repr(p)
    assert "<table><caption>FlowPanel</caption>" in p._repr_html_()


codes = st.sampled_from(["r1", "r2", "r3", "r4", "r5"])


@st.composite
def flow_tables(draw: st.DrawFn) -> pd.DataFrame:
    keys = draw(
        st.sets(
            st.tuples(codes, codes, st.integers(2000, 2004)).filter(lambda t: t[0] != t[1]),
            min_size=1,
            max_size=40,
        )
    )
    values = draw(st.lists(st.integers(0, 10_000), min_size=len(keys), max_size=len(keys)))
    rows = [(o, d, y, v) for (o, d, y), v in zip(sorted(keys), values, strict=True)]
    return pd.DataFrame(rows, columns=["origin", "destination", "year", "flow"])


@settings(max_examples=60, deadline=None)
@given(flow_tables())
def test_round_trip_from_frame(table: pd.DataFrame) -> None:
    shuffled = table.sample(frac=1.0, random_state=1)
    p = FlowPanel.from_frame(shuffled)
    again = FlowPanel.from_frame(p.flows)
    pd.testing.assert_frame_equal(p.flows, again.flows)
    assert p.flows["flow"].sum() == table["flow"].sum()
    merged = table.merge(p.flows, on=["origin", "destination", "year"], suffixes=("", "_p"))
    assert len(merged) == len(table) and (merged["flow"] == merged["flow_p"]).all()


@settings(max_examples=40, deadline=None)
@given(flow_tables())
def test_round_trip_matrix(table: pd.DataFrame) -> None:
    p = FlowPanel.from_frame(table).complete()
    for year in p.years:
        mat = p.to_matrix(year)
        back = migflows.read_od_matrix(mat.reset_index(), year=year)
        pd.testing.assert_frame_equal(
            back.flows.reset_index(drop=True),
            p.select(years=[year]).flows.reset_index(drop=True),
        )
