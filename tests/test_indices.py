"""Tests of the descriptive migration indices (migflows/data/indices*.py).

References: migest's published outputs on its Korea data (tests/fixtures/indices/, printed to
about three significant digits, so compared to half a unit of the last printed digit),
statsmodels' Poisson GLM for the independence fit, brute-force evaluations of the R formulas,
hand-worked examples, and hypothesis properties (accounting identities, bounds, no mutation).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from conftest import FIXTURES, external
from hypothesis import given, settings
from hypothesis import strategies as st

import migflows
from migflows.data.indices import (
    DEFAULT_POINTS,
    LEVELS,
    balances,
    index_connectivity,
    index_distance,
    index_impact,
    index_intensity,
    score_regions,
    score_scale,
)
from migflows.data.indices_system import _independence_fit, _weighted_median
from migflows.errors import (
    DataQualityWarning,
    DataValidationError,
    DuplicateFlowError,
    InvalidDistanceError,
    InvalidOptionError,
    MissingColumnError,
    MissingRegionError,
    MissingValueError,
    NegativeFlowError,
    NonNumericError,
    YearRangeError,
)

PUBLISHED = FIXTURES / "indices" / "migest_korea_published.csv"


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def korea() -> dict[str, object]:
    """migest's korea_gravity as shipped (orig/dest as in the file, see the fixture README)."""
    raw = pd.read_csv(external("korea_migest") / "korea_gravity.csv")
    flows = raw.rename(columns={"orig": "origin", "dest": "destination"})[
        ["origin", "destination", "year", "flow"]
    ]
    pop_millions = (
        raw.drop_duplicates(["dest", "year"])
        .set_index(["dest", "year"])["dest_pop"]
        .rename_axis(["region", "year"])
    )
    dist = raw.loc[raw["orig"] != raw["dest"], ["orig", "dest", "dist_cent"]].drop_duplicates()
    dist.columns = ["origin", "destination", "distance"]
    return {
        "flows": flows,
        "pop": pop_millions * 1e6,
        "pop_millions": pop_millions,
        "dist": dist,
    }


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    table = pd.read_csv(PUBLISHED, dtype={"printed": str})
    table["value"] = table["printed"].astype(float)
    decimals = table["printed"].str.partition(".")[2].str.len()
    # Half a unit of the last printed digit (tibble prints ~3 significant digits).
    table["tol"] = 0.5 * 10.0 ** (-decimals) + 1e-12
    return table


def _assert_published(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert len(ref) > 0
    for row in ref.itertuples():
        got = ours.loc[row.year, row.measure]
        assert abs(got - row.value) <= row.tol, (row.year, row.measure, got, row.printed)


def _toy_flows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "origin": ["a", "a", "b", "b", "c", "a", "b"],
            "destination": ["b", "a", "a", "c", "a", "b", "a"],
            "year": [2020, 2020, 2020, 2020, 2020, 2021, 2021],
            "flow": [30.0, 5.0, 10.0, 20.0, 0.0, 8.0, 2.0],
        }
    )


def _toy_population() -> pd.Series:
    idx = pd.MultiIndex.from_tuples(
        [("a", 2020), ("b", 2020), ("c", 2020), ("a", 2021), ("b", 2021)],
        names=["region", "year"],
    )
    return pd.Series([1000.0, 2000.0, 500.0, 1000.0, 2000.0], index=idx)


# ------------------------------------------------------------- migest published values


@pytest.mark.shared
def test_intensity_matches_migest(korea, published):
    ours = index_intensity(korea["flows"], korea["pop"])
    _assert_published(ours, published[published["function"] == "index_intensity"])
    # PROVENANCE.md: cmp for 2020 verified independently as 4.8894 (4 decimals).
    assert ours.loc[2020, "cmp"] == pytest.approx(4.8894, abs=5e-5)
    assert (ours["n_regions"] == 17).all()


@pytest.mark.shared
def test_intensity_accepts_national_totals(korea):
    by_region = index_intensity(korea["flows"], korea["pop"])
    national = korea["pop"].groupby(level="year").sum()
    by_year = index_intensity(korea["flows"], national)
    pd.testing.assert_frame_equal(by_region, by_year)


@pytest.mark.shared
def test_impact_matches_migest_with_populations_in_millions(korea, published):
    # migest's example passes dest_pop (millions): anmr and velocity are in those units.
    ours = index_impact(korea["flows"], korea["pop_millions"])
    _assert_published(ours, published[published["function"] == "index_impact"])


@pytest.mark.shared
def test_impact_population_units(korea):
    persons = index_impact(korea["flows"], korea["pop"])
    millions = index_impact(korea["flows"], korea["pop_millions"])
    # effectiveness and preference do not depend on the unit; anmr, velocity scale by 1e6.
    np.testing.assert_allclose(persons["effectiveness"], millions["effectiveness"], rtol=1e-12)
    np.testing.assert_allclose(persons["preference"], millions["preference"], rtol=1e-12)
    np.testing.assert_allclose(persons["anmr"] * 1e6, millions["anmr"], rtol=1e-12)
    np.testing.assert_allclose(persons["velocity"] * 1e6, millions["velocity"], rtol=1e-12)
    # 2020 in persons: 0.375133 % and 18.339531 (migest prints 375133 and 18339531).
    assert persons.loc[2020, "anmr"] == pytest.approx(0.375133, abs=5e-7)
    assert persons.loc[2020, "velocity"] == pytest.approx(18.339531, abs=5e-7)


@pytest.mark.shared
def test_connectivity_matches_migest_2020(korea, published):
    ours = index_connectivity(korea["flows"], year=2020).to_frame().T
    _assert_published(ours, published[published["function"] == "index_connectivity"])
    # All 272 flows between provinces are positive, so connectivity is exactly 1.
    assert ours.loc[2020, "connectivity"] == 1.0


@pytest.mark.shared
def test_gini_total_uncorrected_denominator(korea):
    corrected = index_connectivity(korea["flows"], year=2020)
    original = index_connectivity(korea["flows"], year=2020, gini_corrected=False)
    n_cells = 17 * 16
    assert original["gini_total"] == pytest.approx(
        corrected["gini_total"] * (n_cells - 1) / n_cells, rel=1e-12
    )
    other = corrected.drop("gini_total")
    pd.testing.assert_series_equal(other, original.drop("gini_total"))


@pytest.mark.shared
def test_distance_mean_and_decay_match_migest(korea, published):
    ours = index_distance(korea["flows"], korea["dist"])
    ref = published[
        (published["function"] == "index_distance") & (published["measure"] != "median")
    ]
    _assert_published(ours, ref)
    # Documented in the index_distance docstring: pooled ties give 76.5 km in 2020
    # (migest's tie-order-dependent value is 74.8).
    assert ours.loc[2020, "median"] == pytest.approx(76.510628, abs=1e-5)


@pytest.mark.shared
def test_distance_series_input_and_one_direction(korea):
    full = index_distance(korea["flows"], korea["dist"], year=2020)
    dist = korea["dist"]
    upper = dist[dist["origin"] < dist["destination"]]
    series = upper.set_index(["origin", "destination"])["distance"]
    half = index_distance(korea["flows"], series, year=2020)
    pd.testing.assert_series_equal(full, half)


@pytest.mark.shared
def test_year_argument_returns_the_row(korea):
    all_years = index_impact(korea["flows"], korea["pop"])
    one = index_impact(korea["flows"], korea["pop"], year=2016)
    pd.testing.assert_series_equal(one, all_years.loc[2016])


@pytest.mark.shared
def test_balances_agree_with_impact(korea):
    table = balances(korea["flows"], korea["pop"])
    impact = index_impact(korea["flows"], korea["pop"])
    by_year = table.groupby(level="year")
    mei = 100 * by_year["net"].apply(lambda s: s.abs().sum()) / by_year["gross"].sum()
    np.testing.assert_allclose(mei.to_numpy(), impact["effectiveness"].to_numpy(), rtol=1e-12)
    # Seoul 2020 in the file as shipped: 574,864 arrivals, 510,014 departures.
    seoul = table.loc[("Seoul", 2020)]
    assert (seoul["arrivals"], seoul["departures"], seoul["net"]) == (574864, 510014, 64850)
    assert seoul["net_rate"] == pytest.approx(1000 * 64850 / 9668465, rel=1e-12)


# --------------------------------------------------------- independent re-computations


@pytest.mark.shared
def test_independence_fit_equals_poisson_glm(korea):
    flows = korea["flows"]
    year = flows[(flows["year"] == 2020) & (flows["origin"] != flows["destination"])]
    glm = smf.glm(
        "np.round(flow) ~ C(origin) + C(destination)", data=year, family=sm.families.Poisson()
    ).fit(tol=1e-12)
    regions = sorted(year["origin"].unique())
    m = (
        flows[flows["year"] == 2020]
        .pivot(index="origin", columns="destination", values="flow")
        .loc[regions, regions]
        .to_numpy(dtype=float, copy=True)
    )
    np.fill_diagonal(m, 0.0)
    fit = _independence_fit(np.round(m))
    expected = pd.Series(glm.fittedvalues.to_numpy(), index=[year["origin"], year["destination"]])
    got = pd.Series(
        fit[~np.eye(17, dtype=bool)],
        index=pd.MultiIndex.from_tuples([(o, d) for o in regions for d in regions if o != d]),
    )
    np.testing.assert_allclose(got.loc[expected.index].to_numpy(), expected.to_numpy(), rtol=1e-6)


def _brute_connectivity(m: np.ndarray) -> dict[str, float]:
    """The R definitions evaluated literally, with explicit loops over pairs of cells."""
    n = m.shape[0]
    cells = [(i, j) for i in range(n) for j in range(n) if i != j]
    total = sum(m[c] for c in cells)
    all_pairs = sum(abs(m[a] - m[b]) for a in cells for b in cells)
    row_pairs = [
        sum(abs(m[i, j] - m[i, h]) for j in range(n) for h in range(n) if i not in (j, h))
        for i in range(n)
    ]
    col_pairs = [
        sum(abs(m[i, j] - m[g, j]) for i in range(n) for g in range(n) if j not in (i, g))
        for j in range(n)
    ]
    out_tot = m.sum(axis=1)
    in_tot = m.sum(axis=0)
    g_out = [row_pairs[i] / (2 * (n - 2) * out_tot[i]) for i in range(n)]
    g_in = [col_pairs[j] / (2 * (n - 2) * in_tot[j]) for j in range(n)]
    mwg_orig = sum(g_out[i] * in_tot[i] / total for i in range(n)) / n
    mwg_dest = sum(g_in[j] * out_tot[j] / total for j in range(n)) / n

    def cv(values):
        values = np.asarray(values)
        return np.sqrt(np.mean((values - values.mean()) ** 2)) / values.mean()

    acv = sum(in_tot[j] / total * cv([m[i, j] for i in range(n) if i != j]) for j in range(n))
    acv += sum(out_tot[i] / total * cv([m[i, j] for j in range(n) if j != i]) for i in range(n))
    full = m.ravel()
    big_n = len(cells)
    return {
        "connectivity": np.mean([m[c] != 0 for c in cells]),
        "inequality_equal": 0.5 * sum(abs(m[c] / total - 1 / big_n) for c in cells),
        "gini_total": all_pairs / (2 * (big_n - 1) * total),
        "gini_orig_standardized": sum(row_pairs) / all_pairs,
        "gini_dest_standardized": sum(col_pairs) / all_pairs,
        "mwg_orig": mwg_orig,
        "mwg_dest": mwg_dest,
        "mwg_mean": (mwg_orig + mwg_dest) / 2,
        "cv": np.sqrt(((full - full.mean()) ** 2).sum() / (full.size * (full.size - 1)))
        / np.sqrt(full.mean()),
        "acv": acv,
    }


def _matrix_to_flows(m: np.ndarray, year: int = 2000) -> pd.DataFrame:
    n = m.shape[0]
    names = [f"r{k}" for k in range(n)]
    rows = [(names[i], names[j], year, m[i, j]) for i in range(n) for j in range(n)]
    return pd.DataFrame(rows, columns=["origin", "destination", "year", "flow"])


def test_connectivity_equals_brute_force_definitions():
    rng = np.random.default_rng(20260101)
    m = rng.poisson(50, size=(6, 6)).astype(float) + rng.integers(0, 3, size=(6, 6)) * 100
    m[1, 4] = 0.0  # one zero flow: connectivity below 1
    np.fill_diagonal(m, 999.0)  # intra-regional moves must be ignored
    ours = index_connectivity(_matrix_to_flows(m), year=2000)
    m0 = m.copy()
    np.fill_diagonal(m0, 0.0)
    for key, value in _brute_connectivity(m0).items():
        assert ours[key] == pytest.approx(value, rel=1e-10), key
    assert ours["connectivity"] == pytest.approx(29 / 30, rel=1e-12)


def test_weighted_median_hand_examples():
    # Shares 1/4, 1/4, 1/2 -> midpoints 1/8, 3/8, 3/4; at 1/2: 2 + (1/8)/(3/8) = 7/3.
    assert _weighted_median(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0])) == (
        pytest.approx(7 / 3, rel=1e-12)
    )
    # The tied value 2 split over two rows gives the same answer, in either order.
    x = np.array([2.0, 1.0, 3.0, 2.0])
    for w in (np.array([0.5, 1.0, 2.0, 0.5]), np.array([0.25, 1.0, 2.0, 0.75])):
        assert _weighted_median(x, w) == pytest.approx(7 / 3, rel=1e-12)
    # Zero weights are ignored; shares 3/4, 1/4 -> midpoints 3/8, 7/8 -> 5 + (1/8)/(1/2) * 4.
    assert _weighted_median(np.array([5.0, 9.0, 1.0]), np.array([3.0, 1.0, 0.0])) == 6.0
    assert _weighted_median(np.array([4.0]), np.array([2.0])) == 4.0


def test_sparse_flows_warn_that_inequality_sim_is_approximate():
    m = np.array([[0.0, 5.0, 0.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    with pytest.warns(DataQualityWarning, match="inequality_sim is approximate"):
        out = index_connectivity(_matrix_to_flows(m), year=2000)
    assert np.isfinite(out["inequality_sim"])
    assert out["connectivity"] == pytest.approx(2 / 6)


# ---------------------------------------------------------------- balances, hand values


def test_balances_hand_example():
    table = balances(_toy_flows(), _toy_population())
    a20 = table.loc[("a", 2020)]
    assert (a20["arrivals"], a20["departures"], a20["net"], a20["gross"]) == (10, 30, -20, 40)
    assert a20["intra"] == 5
    assert a20["attractiveness"] == pytest.approx(1 / 3)
    assert a20["effectiveness"] == pytest.approx(-50.0)
    assert a20["in_rate"] == pytest.approx(10.0)  # 1000 * 10 / 1000
    assert a20["gross_rate"] == pytest.approx(40.0)
    c20 = table.loc[("c", 2020)]
    # c receives 20 and sends a zero flow: attractiveness is infinite.
    assert c20["attractiveness"] == np.inf
    assert c20["net_rate"] == pytest.approx(40.0)  # 1000 * 20 / 500
    assert list(table.index) == [("a", 2020), ("a", 2021), ("b", 2020), ("b", 2021), ("c", 2020)]


def test_balances_region_with_only_intra_moves():
    flows = pd.DataFrame(
        {"origin": ["a", "b"], "destination": ["a", "c"], "year": 2020, "flow": [7.0, 3.0]}
    )
    a = balances(flows).loc[("a", 2020)]
    assert (a["arrivals"], a["departures"], a["intra"]) == (0, 0, 7)
    assert np.isnan(a["attractiveness"])
    assert np.isnan(a["effectiveness"])


def test_indices_ignore_intra_regional_rows():
    with_intra = _toy_flows()
    without = with_intra[with_intra["origin"] != with_intra["destination"]]
    pop = _toy_population()
    pd.testing.assert_frame_equal(index_impact(with_intra, pop), index_impact(without, pop))
    pd.testing.assert_frame_equal(index_intensity(with_intra, pop), index_intensity(without, pop))


# ------------------------------------------------------------------- scoring scale


def test_score_scale_bands_close_the_papers_gaps():
    percents = [0.0, 69.99, 70.0, 94.0, 94.6, 94.99, 95.0, 104.0, 104.9, 105.0, 149.99, 150.0]
    expected = [
        "very low", "very low", "low", "low", "low", "low",
        "medium", "medium", "medium", "high", "high", "very high",
    ]  # fmt: skip
    out = score_scale(pd.Series(percents), reference=100.0)
    assert list(out["level"]) == expected
    assert list(out["points"]) == [DEFAULT_POINTS[level] for level in expected]
    # Binary noise at a cut: 0.95 * 100 is not below 95 percent.
    assert score_scale([0.95], reference=1.0)["level"].iloc[0] == "medium"
    assert out["level"].cat.ordered
    assert list(out["level"].cat.categories) == list(LEVELS)


def test_score_scale_points_as_printed_in_the_paper():
    assert DEFAULT_POINTS == {
        "very low": -2.0,
        "low": -1.0,
        "medium": 0.5,  # the paper gives 0.5 points to "average"
        "high": 1.0,
        "very high": 2.0,
    }


def test_score_scale_default_reference_is_the_mean():
    values = pd.Series([50.0, 100.0, 150.0], index=["x", "y", "z"])
    out = score_scale(values)
    assert (out["reference"] == 100.0).all()
    np.testing.assert_allclose(out["percent_of_reference"], [50.0, 100.0, 150.0])
    assert list(out.index) == ["x", "y", "z"]


def test_score_scale_lower_is_better_mirrors_the_points():
    values = pd.Series([60.0, 80.0, 100.0, 120.0, 200.0])
    higher = score_scale(values, 100.0)
    lower = score_scale(values, 100.0, direction="lower")
    assert list(lower["level"]) == list(higher["level"])
    assert list(lower["points"]) == [2.0, 1.0, 0.5, -1.0, -2.0]


def test_score_scale_custom_points():
    points = {"very low": -2, "low": -1, "medium": 0, "high": 1, "very high": 2}
    out = score_scale([100.0], reference=100.0, points=points)
    assert out["points"].iloc[0] == 0.0


def test_score_regions_wide_and_detail():
    table = pd.DataFrame(
        {"grp_pc": [50.0, 100.0, 150.0], "unemployment": [6.0, 5.0, 4.0], "wage": [1, 2, 3]},
        index=pd.Index(["north", "centre", "south"], name="region"),
    )
    wide = score_regions(table, ["grp_pc", "unemployment"], direction={"unemployment": "lower"})
    assert list(wide.columns) == ["grp_pc", "unemployment", "total"]
    assert wide.loc["north"].tolist() == [-2.0, -1.0, -3.0]
    assert wide.loc["south"].tolist() == [2.0, 1.0, 3.0]
    national = score_regions(table, ["grp_pc"], reference={"grp_pc": 50.0})
    assert national["grp_pc"].tolist() == [0.5, 2.0, 2.0]
    detail = score_regions(
        table, ["grp_pc", "unemployment"], direction={"unemployment": "lower"}, detail=True
    )
    assert detail.index.names == ["region", "indicator"]
    assert detail.loc[("north", "unemployment"), "level"] == "high"
    assert detail.loc[("north", "unemployment"), "direction"] == "lower"


def test_score_errors():
    with pytest.raises(MissingValueError, match=r"1 value\(s\) are missing"):
        score_scale(pd.Series([1.0, np.nan], index=["a", "b"]))
    with pytest.raises(DataValidationError, match="positive finite"):
        score_scale([1.0, -1.0])
    with pytest.raises(InvalidOptionError, match="direction='up'"):
        score_scale([1.0], direction="up")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="missing: 'very high'"):
        score_scale([1.0], points={"very low": -2, "low": -1, "medium": 0, "high": 1})
    with pytest.raises(NonNumericError, match="must be numbers"):
        score_scale(["a"])
    table = pd.DataFrame({"grp": [1.0, 2.0]})
    with pytest.raises(MissingColumnError, match="'wage'"):
        score_regions(table, ["grp", "wage"])
    with pytest.raises(InvalidOptionError, match=r"'wage'.*not scored"):
        score_regions(table, ["grp"], direction={"wage": "lower"})


# ------------------------------------------------------------------------------ errors


def test_missing_column_is_named():
    with pytest.raises(MissingColumnError, match="lacks column\\(s\\) 'flow'"):
        balances(_toy_flows().drop(columns="flow"))


def test_negative_flows_are_counted():
    bad = _toy_flows()
    bad.loc[[0, 3], "flow"] = [-1.0, -2.0]
    with pytest.raises(NegativeFlowError, match="2 negative flow"):
        index_impact(bad, _toy_population())


def test_population_missing_for_a_region():
    pop = _toy_population().drop(("c", 2020))
    with pytest.raises(MissingRegionError, match=r"lacks 1 \(region, year\).*\('c', 2020\)"):
        balances(_toy_flows(), pop)
    with pytest.raises(MissingRegionError, match="'c'"):
        index_intensity(_toy_flows(), pop)


def test_other_input_errors():
    with pytest.raises(MissingValueError, match="empty"):
        balances(_toy_flows().iloc[0:0])
    with pytest.raises(DuplicateFlowError, match="repeat 1"):
        balances(pd.concat([_toy_flows(), _toy_flows().iloc[[0]]]))
    with pytest.raises(MissingValueError, match=r"'flow'.*1 missing"):
        balances(_toy_flows().assign(flow=[1.0, np.nan, 1, 1, 1, 1, 1]))
    with pytest.raises(NonNumericError, match="'flow' must hold numbers"):
        balances(_toy_flows().assign(flow="1"))
    with pytest.raises(YearRangeError, match="year=1999 is not in the flows"):
        index_connectivity(_toy_flows(), year=1999)
    with pytest.raises(DataValidationError, match="rename_axis"):
        balances(_toy_flows(), _toy_population().rename_axis(["reg", "yr"]))
    with pytest.raises(DataValidationError, match="must be positive"):
        index_impact(_toy_flows(), _toy_population().replace(500.0, 0.0))
    dist = pd.DataFrame({"origin": ["a", "a"], "destination": ["b", "c"], "distance": [1.0, 2.0]})
    with pytest.raises(MissingRegionError, match=r"lack 2 pair.*\('b', 'c'\), \('c', 'b'\)"):
        index_distance(_toy_flows(), dist, year=2020)
    with pytest.raises(InvalidDistanceError, match="1 distance"):
        index_distance(_toy_flows(), dist.assign(distance=[1.0, 0.0]), year=2020)


# ------------------------------------------------------------------ property tests

REGIONS = ["r0", "r1", "r2", "r3", "r4"]


@st.composite
def flow_tables(draw):
    n = draw(st.integers(min_value=3, max_value=5))
    years = draw(st.lists(st.sampled_from([2019, 2020, 2021]), min_size=1, max_size=3, unique=True))
    rows = []
    for year in years:
        for o, d in itertools.product(REGIONS[:n], repeat=2):
            # Diagonal rows sometimes; off-diagonal rows mostly (a missing row is a zero flow).
            if draw(st.booleans()) if o == d else draw(st.integers(0, 4)) > 0:
                flow = draw(st.integers(min_value=0, max_value=10_000))
                rows.append((o, d, year, float(flow)))
    if not rows:
        rows.append(("r0", "r1", years[0], 1.0))
    flows = pd.DataFrame(rows, columns=["origin", "destination", "year", "flow"])
    pop_index = pd.MultiIndex.from_product([REGIONS[:n], years], names=["region", "year"])
    pop = pd.Series(
        draw(
            st.lists(
                st.floats(min_value=1e3, max_value=1e7),
                min_size=len(pop_index),
                max_size=len(pop_index),
            )
        ),
        index=pop_index,
    )
    return flows, pop


@settings(max_examples=40, deadline=None)
@given(flow_tables())
def test_accounting_identities(data):
    flows, pop = data
    table = balances(flows, pop)
    off = flows[flows["origin"] != flows["destination"]].groupby("year")["flow"].sum()
    by_year = table.groupby(level="year")
    np.testing.assert_allclose(by_year["net"].sum().to_numpy(), 0.0, atol=1e-6)
    np.testing.assert_allclose(by_year["arrivals"].sum().to_numpy(), off.to_numpy())
    np.testing.assert_allclose(by_year["departures"].sum().to_numpy(), off.to_numpy())
    eff = table["effectiveness"].dropna()
    assert ((eff >= -100 - 1e-9) & (eff <= 100 + 1e-9)).all()


@settings(max_examples=40, deadline=None)
@given(flow_tables())
def test_bounds_of_system_indices(data):
    flows, pop = data
    impact = index_impact(flows, pop)
    eff = impact["effectiveness"].dropna()
    assert ((eff >= 0) & (eff <= 100 + 1e-9)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        conn = index_connectivity(flows)
    gini = conn["gini_total"].dropna()
    assert ((gini >= 0) & (gini <= 1 + 1e-12)).all()
    for key in ("connectivity", "inequality_equal", "inequality_sim"):
        values = conn[key].dropna()
        assert ((values >= -1e-12) & (values <= 1 + 1e-12)).all(), key


@settings(max_examples=30, deadline=None)
@given(flow_tables(), st.randoms(use_true_random=False))
def test_inputs_not_mutated_and_row_order_irrelevant(data, rnd):
    flows, pop = data
    flows_before, pop_before = flows.copy(), pop.copy()
    shuffled = flows.sample(frac=1.0, random_state=rnd.randint(0, 2**31))
    dist = pd.DataFrame(
        [
            (o, d, 10.0 + abs(i - j))
            for (i, o), (j, d) in itertools.product(enumerate(REGIONS), repeat=2)
        ],
        columns=["origin", "destination", "distance"],
    )
    dist_before = dist.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sparse random flows: boundary fits in GLM / IPF
        results = [
            (balances(flows, pop), balances(shuffled, pop)),
            (index_intensity(flows, pop), index_intensity(shuffled, pop)),
            (index_impact(flows, pop), index_impact(shuffled, pop)),
            (index_connectivity(flows), index_connectivity(shuffled)),
        ]
        dist_result = index_distance(flows, dist)[["mean", "median"]]
        dist_shuffled = index_distance(shuffled, dist)[["mean", "median"]]
    for first, second in [*results, (dist_result, dist_shuffled)]:
        pd.testing.assert_frame_equal(first, second, rtol=1e-9)
    pd.testing.assert_frame_equal(flows, flows_before)
    pd.testing.assert_series_equal(pop, pop_before)
    pd.testing.assert_frame_equal(dist, dist_before)


def test_counts_read_as_integers() -> None:
    # flows, balances and the index totals are persons: shown as 161, not 161.0
    kz = migflows.load_kazakhstan()
    assert kz.flows["flow"].dtype == np.int64
    assert kz.flows["flow"].iloc[0] == 161 and "161.0" not in repr(kz.flows.head())
    assert kz.pairs["flow"].dtype == np.int64
    bal = kz.balances()
    assert all(bal[c].dtype == np.int64 for c in ("arrivals", "departures", "net", "gross"))
    assert bal["net_rate"].dtype == np.float64
    one = migflows.load_kazakhstan(years=[2023]).indices()
    assert one["intensity_flow_total"].dtype == np.int64
    assert one["intensity_n_regions"].iloc[0] == 20
    # a fractional flow keeps the column float (nothing is rounded)
    frac = migflows.FlowPanel.from_frame(
        pd.DataFrame({"origin": ["a", "b"], "destination": ["b", "a"], "year": 2020,
                      "flow": [1.5, 2.0]})
    )  # fmt: skip
    assert frac.flows["flow"].tolist() == [1.5, 2.0]
