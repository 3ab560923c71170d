"""Boundary harmonization: exact flow sums, internalised flows, attribute rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import migflows
from migflows import Crosswalk, FlowPanel
from migflows.errors import BoundaryError, InvalidOptionError


def toy() -> FlowPanel:
    flows = pd.DataFrame(
        {
            "origin": ["a", "b", "a", "c", "c", "b"],
            "destination": ["b", "a", "c", "a", "b", "c"],
            "year": [2020] * 6,
            "flow": [10.0, 4.0, 7.0, 3.0, 2.0, 1.0],
        }
    )
    regions = pd.DataFrame(
        {
            "region": ["a", "b", "c"],
            "year": [2020] * 3,
            "population": [100.0, 300.0, 50.0],
            "wage": [10.0, 20.0, 30.0],
            "arrivals_all": [5.0, 6.0, 7.0],
        }
    )
    coords = pd.DataFrame(
        {"region": ["a", "b", "c"], "lat": [0.0, 0.0, 1.0], "lon": [0.0, 1.0, 0.0]}
    )
    return FlowPanel.from_frame(flows, regions=regions, coords=coords)


def test_merge_exact_sums_and_internal() -> None:
    p = toy()
    h = p.harmonize(crosswalk=pd.DataFrame({"from_region": ["a", "b"], "to_region": ["ab", "ab"]}))
    f = h.flows.set_index(["origin", "destination"])["flow"]
    assert f[("ab", "c")] == 7.0 + 1.0
    assert f[("c", "ab")] == 3.0 + 2.0
    assert h.intra["flow"].tolist() == [14.0]  # a->b + b->a became internal
    assert h.meta["internalised"] == 14.0
    assert h.flows["flow"].sum() + h.intra["flow"].sum() == p.flows["flow"].sum()
    r = h.regions.loc[("ab", 2020)]
    assert r["population"] == 400.0
    assert r["arrivals_all"] == 11.0  # counts are summed
    assert r["wage"] == pytest.approx((10 * 100 + 20 * 300) / 400)  # population-weighted mean
    h2 = p.harmonize(
        crosswalk=pd.DataFrame({"from_region": ["a", "b"], "to_region": ["ab", "ab"]}),
        rules={"wage": "mean"},
    )
    assert h2.regions.loc[("ab", 2020), "wage"] == 15.0


def test_split_with_weights() -> None:
    p = toy()
    cw = pd.DataFrame(
        {"from_region": ["c", "c"], "to_region": ["c1", "c2"], "weight": [0.25, 0.75]}
    )
    h = p.harmonize(crosswalk=cw)
    f = h.flows.set_index(["origin", "destination"])["flow"]
    assert f[("a", "c1")] == pytest.approx(7.0 * 0.25)
    assert f[("c2", "b")] == pytest.approx(2.0 * 0.75)
    assert h.flows["flow"].sum() == pytest.approx(p.flows["flow"].sum())


def test_crosswalk_errors() -> None:
    with pytest.raises(BoundaryError, match=r"do not sum to 1: \('c', 0.9\)"):
        Crosswalk(
            pd.DataFrame({"from_region": ["c", "c"], "to_region": ["x", "y"], "weight": [0.5, 0.4]})
        )
    with pytest.raises(BoundaryError, match="needs columns 'from_region' and 'to_region'"):
        Crosswalk(pd.DataFrame({"from": ["a"], "to": ["b"]}))
    with pytest.raises(BoundaryError, match=r"defined for Kazakhstan's region keys; 3 region\(s\)"):
        toy().harmonize(boundaries="2017")
    with pytest.raises(InvalidOptionError, match="Unknown aggregation rule"):
        toy().harmonize(
            crosswalk=pd.DataFrame({"from_region": ["a"], "to_region": ["a"]}),
            rules={"wage": "median"},
        )
    with pytest.raises(InvalidOptionError, match="boundaries='1999' is not a Kazakhstan boundary"):
        migflows.data.kazakhstan_crosswalk("1999")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 1000), min_size=12, max_size=12), st.sampled_from(["a", "b", "c", "d"])
)
def test_harmonize_preserves_total(values: list[int], merge_into: str) -> None:
    keys = ["a", "b", "c", "d"]
    pairs = [(o, d) for o in keys for d in keys if o != d]
    flows = pd.DataFrame(pairs, columns=["origin", "destination"]).assign(year=2020, flow=values)
    p = FlowPanel.from_frame(flows)
    cw = pd.DataFrame({"from_region": ["a", "b"], "to_region": [merge_into, merge_into]})
    h = p.harmonize(crosswalk=cw)
    assert h.flows["flow"].sum() + h.intra["flow"].sum() == pytest.approx(sum(values))


def test_kazakhstan_2017_boundaries_exact() -> None:
    kz = migflows.load_kazakhstan(years=[2023])
    old = kz.harmonize(boundaries="2017")
    assert len(old.region_keys) == 16
    assert {"south_kazakhstan"} <= set(old.region_keys)
    assert not {"turkistan", "shymkent_city", "abai", "zhetisu", "ulytau"} & set(old.region_keys)
    f = kz.flows.set_index(["origin", "destination"])["flow"]
    g = old.flows.set_index(["origin", "destination"])["flow"]
    assert (
        g[("south_kazakhstan", "astana_city")]
        == f[("turkistan", "astana_city")] + f[("shymkent_city", "astana_city")]
    )
    assert (
        g[("east_kazakhstan", "almaty_city")]
        == f[("east_kazakhstan", "almaty_city")] + f[("abai", "almaty_city")]
    )
    internal = sum(
        f[(x, y)] + f[(y, x)]
        for x, y in [
            ("turkistan", "shymkent_city"),
            ("abai", "east_kazakhstan"),
            ("zhetisu", "almaty_region"),
            ("ulytau", "karaganda"),
        ]
    )
    assert old.meta["internalised"] == internal
    assert g.sum() == f.sum() - internal
    pop = kz.regions["population"]
    assert old.regions.loc[("south_kazakhstan", 2023), "population"] == (
        pop[("turkistan", 2023)] + pop[("shymkent_city", 2023)]
    )
    # South Kazakhstan's admin centre is Shymkent in the 2017 boundaries
    assert old.coords.loc["south_kazakhstan", "lat"] == pytest.approx(42.30988)
    mid = kz.harmonize(boundaries="2018")
    assert len(mid.region_keys) == 17 and "shymkent_city" in mid.region_keys
    assert np.isclose(mid.flows["flow"].sum() + mid.intra["flow"].sum(), f.sum())


def test_pair_variables_left_out_with_a_warning() -> None:
    kz = migflows.load_kazakhstan(years=[2023]).assign(
        contig=lambda p: (p["distance"] < 300).astype(float)
    )
    with pytest.warns(migflows.errors.DroppedRowsWarning, match="Pair variables 'contig'"):
        old = kz.harmonize(boundaries="2017")
    with pytest.raises(migflows.errors.UnknownVariableError, match="Unknown variable 'contig'"):
        old.covariates(["contig"])
