"""The one covariance registry: one vocabulary, aliases, families, validation before fitting.

Issue 9 ("One spine"): two vcov parsers with two vocabularies (``iid/hetero/CRV1`` vs
``unadjusted/robust/cluster``), a clustered ``PanelResults`` reporting
``covariance.kind == "hetero"`` with no clusters, and ``gravity(vcov="bogus")`` running the
whole fit before refusing. Each is tested here.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
import migflows.estimation.gravity.api as gravity_api
import migflows.estimation.panel.api as panel_api
from migflows.errors import DroppedRowsWarning, InvalidOptionError, MissingColumnError
from migflows.estimation.core.covariance import (
    CovarianceEstimate,
    CovarianceLabel,
    CovarianceSpec,
    SandwichInputs,
    covariance_kinds,
    parse_covariance,
    register_covariance,
    sandwich,
    unregister_covariance,
)
from migflows.estimation.core.results import RegressionResults, SandwichPieces
from migflows.estimation.gravity.sim import sim
from migflows.estimation.panel.api import panel

FIX = Path(__file__).resolve().parent / "fixtures" / "plm"
GRUNFELD = pd.read_csv(FIX / "grunfeld.csv")
G = "inv ~ value + capital"
sim_module = importlib.import_module("migflows.estimation.gravity.sim")  # `sim` is also a function


# ------------------------------------------------------------------------------ vocabulary
@pytest.mark.parametrize(
    ("vcov", "family", "kind", "clusters"),
    [
        # fixest / pyfixest
        ("iid", "gravity", "iid", ()),
        ("hetero", "gravity", "hetero", ()),
        ("HC1", "gravity", "hetero", ()),
        ({"CRV1": "pair"}, "gravity", "CRV1", ("pair",)),
        # linearmodels
        ("unadjusted", "panel", "iid", ()),
        ("robust", "panel", "hetero", ()),
        ({"clustered": "entity"}, "panel", "CRV1", ("entity",)),
        ("kernel", "panel", "driscoll_kraay", ()),
        # statsmodels
        ("nonrobust", "sim", "iid", ()),
        ("HC0", "sim", "hetero", ()),
        ({"cluster": ["orig", "dest"]}, "sim", "CRV1", ("orig", "dest")),
        # plm / sandwich
        ("white1", "panel", "hetero", ()),
        ("arellano", "panel", "CRV1", ("entity",)),
        ("vcovHC", "panel", "CRV1", ("entity",)),
        ("vcovSCC", "panel", "driscoll_kraay", ()),
        # case does not matter; the families share the names
        ("ROBUST", "gravity", "hetero", ()),
        ({"crv1": "origin+destination"}, "panel", "CRV1", ("origin", "destination")),
    ],
)
def test_aliases_of_every_library_map_to_one_canonical_name(vcov, family, kind, clusters):
    spec = parse_covariance(vcov, family=family)
    assert (spec.kind, spec.clusters) == (kind, clusters)


def test_registered_kinds_and_their_families():
    assert [k.name for k in covariance_kinds("gravity")] == ["iid", "hetero", "CRV1", "CR2", "CR3"]
    assert [k.name for k in covariance_kinds("sim")] == ["iid", "hetero", "CRV1"]
    assert [k.name for k in covariance_kinds("panel")] == [
        "iid",
        "hetero",
        "CRV1",
        "driscoll_kraay",
    ]


def test_unknown_name_lists_the_allowed_names_and_aliases_of_the_family():
    with pytest.raises(InvalidOptionError, match="vcov='bogus' is not allowed for gravity") as err:
        parse_covariance("bogus", family="gravity")
    text = str(err.value)
    for name in ("'iid'", "'hetero'", "{'CRV1': 'var'}", "'HC1'", "'unadjusted'", "'cluster'"):
        assert name in text
    assert "driscoll_kraay" not in text and "arellano" not in text  # not for gravity
    with pytest.raises(InvalidOptionError, match=r"use 'iid'.*'driscoll_kraay' or"):
        parse_covariance({"HAC": 2}, family="panel")


def test_panel_only_kinds_say_so_in_other_families():
    for vcov in ("driscoll_kraay", {"DK": 2}, "vcovSCC"):
        with pytest.raises(
            InvalidOptionError,
            match=r"\(Driscoll-Kraay\) is available for panel only, not for gravity",
        ):
            parse_covariance(vcov, family="gravity")
    with pytest.raises(InvalidOptionError, match=r"'arellano'.*available for panel only"):
        parse_covariance("arellano", family="sim")
    dk = parse_covariance({"driscoll_kraay": 2}, family="panel")
    with pytest.raises(InvalidOptionError, match="available for panel only, not for gravity"):
        parse_covariance(dk, family="gravity")  # a spec is re-checked for the family


def test_bad_requests_are_named():
    with pytest.raises(InvalidOptionError, match="clustering needs a variable"):
        parse_covariance("clustered", family="panel")
    with pytest.raises(InvalidOptionError, match="one or two distinct cluster variables"):
        parse_covariance({"CRV1": "orig+origin"})  # the same variable twice
    with pytest.raises(InvalidOptionError, match="'hetero' takes no argument"):
        parse_covariance({"robust": 3})
    with pytest.raises(InvalidOptionError, match="bandwidth=-1 must be a non-negative number"):
        parse_covariance({"driscoll_kraay": -1}, family="panel")
    with pytest.raises(InvalidOptionError, match="is not allowed for sim"):
        parse_covariance({"iid": None, "hetero": None}, family="sim")
    with pytest.raises(InvalidOptionError, match="cluster variables must be a name"):
        parse_covariance({"CRV1": 3})


def test_labels_are_canonical_and_compare_across_vocabularies():
    label = parse_covariance({"cluster": "entity"}, family="panel").label
    assert isinstance(label, CovarianceLabel) and str(label) == "CRV1 (entity)"
    assert label == "clustered (entity)" and label == "cluster (entity)"
    assert label != "CRV1 (time)" and label != "hetero"
    assert CovarianceSpec("iid").label == "unadjusted"
    assert CovarianceSpec("CRV1", ("origin",)).label == "CRV1 (orig)"  # synonyms
    dk = parse_covariance({"DK": 2}, family="panel").label
    assert str(dk) == "Driscoll-Kraay (bandwidth 2)" and dk == "driscoll_kraay (bandwidth 2)"
    assert hash(label) == hash("CRV1 (entity)")
    assert str(parse_covariance("HC0")) == "hetero (small_sample=False)"


def test_old_names_are_deprecated_aliases():
    import migflows.estimation.core.covariance as cov

    with pytest.warns(FutureWarning, match="parse_vcov is deprecated; use parse_covariance"):
        parse_vcov = cov.parse_vcov
    assert parse_vcov("robust") == CovarianceSpec("hetero")
    with pytest.warns(FutureWarning, match="VcovSpec is deprecated; use CovarianceSpec"):
        assert cov.VcovSpec is CovarianceSpec


# ------------------------------------------------------------------------------ sandwiches
def _pieces(n: int = 60, seed: int = 0) -> SandwichPieces:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    clusters = pd.DataFrame({"orig": np.arange(n) % 6, "dest": np.arange(n) % 5})
    return SandwichPieces(
        hessian=X.T @ X, scores=X * rng.normal(size=(n, 1)), nobs=n, clusters=clusters
    )


def test_hc0_is_hetero_without_the_small_sample_factor():
    p = _pieces()
    hc1 = sandwich(p.hessian, p.scores, "HC1", nobs=60, k=2)
    hc0 = sandwich(p.hessian, p.scores, "HC0", nobs=60, k=2)
    np.testing.assert_allclose(hc0.cov, hc1.cov * (60 - 2) / 60, rtol=1e-12)
    assert hc0.kind == hc1.kind == "hetero" and hc0.factors == (1.0,)


def test_results_switch_with_aliases_and_refuse_other_families_kinds():
    res = RegressionResults.from_pieces(["a", "b"], np.array([0.5, -1.0]), _pieces(), "robust")
    assert res.covariance.kind == "hetero" and res.vcov_type == "hetero"
    by_origin = res.vcov({"cluster": "origin"})  # the pieces keep "orig"
    np.testing.assert_allclose(by_origin.cov, res.vcov({"CRV1": "orig"}).cov, rtol=1e-14)
    assert by_origin.covariance.kind == "CRV1" and by_origin.covariance.n_clusters == (6,)
    assert by_origin.vcov_type == "CRV1 (origin)" and by_origin.vcov_type == "CRV1 (orig)"
    with pytest.raises(InvalidOptionError, match="available for panel only, not for gravity"):
        res.vcov({"driscoll_kraay": 1})
    with pytest.raises(MissingColumnError, match=r"cannot cluster by \['pair'\]"):
        res.vcov({"CRV1": "pair"})


def test_register_a_new_kind_without_editing_any_chain():
    def crv0(inputs: SandwichInputs, spec: CovarianceSpec) -> CovarianceEstimate:
        codes = inputs.cluster_codes(spec)[:, 0]
        summed = np.zeros((int(codes.max()) + 1, inputs.scores.shape[1]))
        np.add.at(summed, codes, inputs.scores)
        cov = inputs.bread @ (summed.T @ summed) @ inputs.bread
        n_g = (int(codes.max()) + 1,)
        return CovarianceEstimate(
            cov, spec.kind, spec.clusters, n_g, inputs.k, n_g[0] - 1, (1.0,), inputs.ssc
        )

    register_covariance(
        "CRV0",
        families=("gravity", "sim"),
        aliases=("cluster0",),
        clustered=True,
        max_clusters=1,
        compute=crv0,
        doc="clustered, no small-sample factor",
    )
    try:
        res = RegressionResults.from_pieces(["a", "b"], np.zeros(2), _pieces(), "hetero")
        new = res.vcov({"cluster0": "orig"})
        assert new.covariance.kind == "CRV0" and new.vcov_type == "CRV0 (orig)"
        crv1 = res.vcov({"CRV1": "orig"}).covariance
        np.testing.assert_allclose(new.cov.to_numpy() * crv1.factors[0], crv1.cov, rtol=1e-12)
        with pytest.raises(InvalidOptionError, match="give one distinct cluster"):
            parse_covariance({"CRV0": "orig+dest"})
        with pytest.raises(InvalidOptionError, match=r"'CRV0'.*available for gravity and sim"):
            parse_covariance({"CRV0": "entity"}, family="panel")
        with pytest.raises(InvalidOptionError, match=r"'robust'.* already belong to 'hetero'"):
            register_covariance("mine", families=("gravity",), aliases=("robust",))
        with pytest.raises(InvalidOptionError, match="'CRV0' is already registered"):
            register_covariance("CRV0", families=("gravity",))
    finally:
        unregister_covariance("CRV0")
    with pytest.raises(InvalidOptionError, match="vcov='CRV0' is not allowed"):
        parse_covariance("CRV0")


# ------------------------------------------------------------------------------ before fitting
def _boom(*args: object, **kwargs: object) -> None:
    raise AssertionError("the model was built or fitted before the covariance was checked")


@pytest.mark.parametrize("estimator", ["ppml", "ols", "negbin", "gpml"])
def test_gravity_refuses_a_bad_vcov_before_fitting(monkeypatch, estimator):
    monkeypatch.setattr(gravity_api, "build_design", _boom)
    with pytest.raises(InvalidOptionError, match="vcov='bogus' is not allowed for gravity"):
        migflows.gravity("flow ~ log_dist | orig + dest", pd.DataFrame(), estimator, vcov="bogus")
    with pytest.raises(InvalidOptionError, match=r"Driscoll-Kraay.*panel only"):
        migflows.gravity("flow ~ log_dist", pd.DataFrame(), estimator, vcov={"DK": 2})


def test_gravity_checks_cluster_names_before_fitting(monkeypatch):
    kz = migflows.load_kazakhstan(years=[2020, 2021])
    real = gravity_api.get_estimator
    monkeypatch.setattr(gravity_api, "get_estimator", lambda name: replace(real(name), fit=_boom))
    with pytest.raises(MissingColumnError, match=r"cannot cluster by \['nope'\]"):
        migflows.gravity("flow ~ log_dist | orig + dest", kz, vcov={"CRV1": "nope"})


def test_panel_and_sim_refuse_a_bad_vcov_before_any_work(monkeypatch):
    monkeypatch.setattr(panel_api, "build_panel_design", _boom)
    with pytest.raises(InvalidOptionError, match="vcov='bogus' is not allowed for panel"):
        panel(f"{G} | entity", GRUNFELD, entity="firm", time="year", vcov="bogus")
    monkeypatch.setattr(sim_module.sm, "GLM", _boom)
    with pytest.raises(InvalidOptionError, match=r"\{'kernel': 2\}.*available for panel only"):
        sim(pd.DataFrame(), "doubly", vcov={"kernel": 2})


# ------------------------------------------------------------------------------ panel results
def test_clustered_panel_results_report_the_clustered_kind():
    res = panel(f"{G} | entity", GRUNFELD, entity="firm", time="year", vcov={"cluster": "firm"})
    cov = res.covariance
    assert (cov.kind, cov.clusters, cov.n_clusters) == ("CRV1", ("entity",), (10,))
    assert cov.label == "CRV1 (entity)" and res.vcov_type == "clustered (entity)"
    two = res.vcov({"cluster": "entity+time"}).covariance
    assert (two.kind, two.clusters, two.n_clusters) == ("CRV1", ("entity", "time"), (10, 20, 200))
    robust = res.vcov("robust").covariance
    assert (robust.kind, robust.clusters, robust.n_clusters) == ("hetero", (), ())
    assert res.vcov("unadjusted").covariance.kind == "iid"
    dk = res.vcov({"vcovSCC": 2})
    assert dk.covariance.kind == "driscoll_kraay" and dk.covariance.options == (("bandwidth", 2),)
    assert str(dk.vcov_type) == "Driscoll-Kraay (bandwidth 2)"


def test_panel_accepts_every_vocabulary_with_the_same_numbers():
    fit = {"entity": "firm", "time": "year"}
    for ours, alias in (
        ("robust", "hetero"),
        ("unadjusted", "iid"),
        ({"cluster": "entity"}, {"CRV1": "entity"}),
        ({"cluster": "entity"}, "arellano"),
        ({"driscoll_kraay": 2}, {"vcovSCC": 2}),
    ):
        a = panel(f"{G} | entity", GRUNFELD, **fit, vcov=ours)
        b = panel(f"{G} | entity", GRUNFELD, **fit, vcov=alias)
        np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-14)
        assert a.vcov_type == b.vcov_type
    hc0 = panel(f"{G} | entity", GRUNFELD, **fit, vcov="HC0")
    plain = panel(f"{G} | entity", GRUNFELD, **fit, vcov="robust", debiased=False)
    np.testing.assert_allclose(hc0.std_errors, plain.std_errors, rtol=1e-14)


def test_origin_destination_and_orig_dest_are_the_same_clusters():
    kz = migflows.load_kazakhstan()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)
        long = panel(
            "log_rate ~ unemp_diff | entity + time",
            kz,
            level="pair",
            vcov={"cluster": "origin+destination"},
        )
    short = long.vcov({"CRV1": "orig+dest"})
    np.testing.assert_allclose(short.std_errors, long.std_errors, rtol=1e-14)
    assert long.covariance.n_clusters == short.covariance.n_clusters
    assert long.covariance.n_clusters[:2] == (20, 20)
    assert short.vcov_type == long.vcov_type == "clustered (origin & destination)"


def test_gravity_and_sim_accept_origin_and_destination():
    kz = migflows.load_kazakhstan(years=[2020, 2021])
    res = migflows.gravity("flow ~ log_dist | orig + dest", kz, vcov={"CRV1": "origin"})
    np.testing.assert_allclose(res.std_errors, res.vcov({"CRV1": "orig"}).std_errors, rtol=1e-14)
    two = res.vcov("origin+destination" and {"cluster": "origin+destination"})
    np.testing.assert_allclose(
        two.std_errors, res.vcov({"CRV1": "orig+dest"}).std_errors, rtol=1e-14
    )
    assert res.covariance.kind == "CRV1" and res.covariance.n_clusters == (20,)
    df = pd.DataFrame(
        {
            "origin": list("aaabbbcccddd"),
            "destination": list("bcdacdabdabc"),
            "flow": [30, 12, 5, 28, 20, 9, 10, 25, 14, 4, 8, 22],
            "distance": [10.0, 25, 40, 10, 15, 30, 25, 15, 20, 40, 30, 20],
        }
    )
    fit = sim(df, "doubly", vcov={"cluster": "destination"})
    assert fit.covariance.kind == "CRV1" and fit.covariance.n_clusters == (4,)
    np.testing.assert_allclose(fit.std_errors, fit.vcov({"CRV1": "dest"}).std_errors, rtol=1e-14)
