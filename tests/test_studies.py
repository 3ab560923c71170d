"""Studies sit between estimation and reports; one computation of regional balances.

* The layers import one way (data -> models -> estimation -> studies -> reports), checked on
  the AST of every module, lazy imports included.
* The report's model runs are the studies of ``migflows.studies.report_models``: the
  report's "PPML regional" is ``migflows.presets.gravity_regional`` (same formula, same
  sample), and sections only read results handed to them.
* Balances are ``arrivals``/``departures``/``net`` everywhere and computed once
  (``migflows.data.indices.balances``); the old ``in``/``out`` names work for one release
  with a FutureWarning.
"""

from __future__ import annotations

import ast
import importlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.data.indices import BalancesFrame, balance_name, balances
from migflows.errors import DroppedRowsWarning, MissingColumnError
from migflows.estimation.forecast.data import prepare
from migflows.estimation.gravity.results import Counterfactual
from migflows.presets import GRAVITY_PRESETS
from migflows.reports import build_report
from migflows.reports.sections import ReportContext, SectionSkipped
from migflows.studies.report_models import (
    ReportModels,
    StudyNotApplicable,
    fit_gravity_models,
    stream_rng,
)

PACKAGE = Path(migflows.__file__).parent
LAYERS = ("data", "models", "estimation", "studies", "reports")


# ============================================================================ import graph
def _imported_modules(path: Path, module: str | None = None) -> set[str]:
    """Every migflows module a file imports (top-level or lazily, any import form)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if module is None:
        module = ".".join(("migflows", *path.relative_to(PACKAGE).with_suffix("").parts))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            if base == "migflows":  # from migflows import gravity / estimation ...
                found |= {_public_home(alias.name) for alias in node.names}
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "migflows"
        ):
            found.add(_public_home(node.attr))  # migflows.gravity(...) after import migflows
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return {m for m in found if m == "migflows" or m.startswith("migflows.")}


def _public_home(name: str) -> str:
    """The module behind a top-level name such as ``migflows.gravity``."""
    if importlib.util.find_spec(f"migflows.{name}") is not None:
        return f"migflows.{name}"
    obj = getattr(migflows, name, None)
    home = getattr(obj, "__module__", None)
    return home if isinstance(home, str) else "migflows"


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    if module == "migflows.presets":
        return "studies"
    return None


def _violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for module in _imported_modules(path):
            if _layer(module) in forbidden:
                bad.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    return bad


def test_import_walker_sees_every_form(tmp_path: Path) -> None:
    src = tmp_path / "probe.py"
    src.write_text(
        "import migflows\n"
        "def f():\n"
        "    from migflows.estimation.gravity import gravity\n"
        "    from ..tables import table\n"
        "    return migflows.panel, importlib.import_module('migflows.studies.gravity')\n",
        encoding="utf-8",
    )
    found = _imported_modules(src, "migflows.reports.sections.probe")
    assert {
        "migflows.estimation.gravity",
        "migflows.reports.tables",
        "migflows.studies.gravity",
        migflows.panel.__module__,
    } <= found
    assert _layer(migflows.panel.__module__) == "estimation"


def test_lower_layers_never_import_upper_ones() -> None:
    assert _violations("data", ("models", "estimation", "studies", "reports")) == []
    assert _violations("models", ("estimation", "studies", "reports")) == []
    assert _violations("estimation", ("studies", "reports")) == []
    assert _violations("studies", ("reports",)) == []


def test_report_never_imports_estimation() -> None:
    # The report path (sections, the HTML page, the report command) reads results only.
    report_path = [
        *sorted((PACKAGE / "reports" / "sections").rglob("*.py")),
        PACKAGE / "reports" / "html.py",
        PACKAGE / "reports" / "commands" / "report.py",
    ]
    bad = [
        f"{p.name} imports {m}"
        for p in report_path
        for m in _imported_modules(p)
        if _layer(m) == "estimation"
    ]
    assert bad == []
    # Elsewhere in reports/ only these reach into estimation: the results Protocol that
    # tables rely on (types, no fitting), and the CLI commands whose job is to run estimators.
    allowed_anywhere = {"migflows.estimation.core.protocol"}
    cli_commands = {"fit.py", "forecast.py"}
    # compare(by="elpd") ranks fitted results by their log-likelihoods (PSIS-LOO of a stored
    # posterior, loglik - K of an ML fit): it reads results and fits nothing
    allowed_in = {"comparison.py": {"migflows.estimation.core.elpd"}}
    bad = [
        f"{p.relative_to(PACKAGE)} imports {m}"
        for p in sorted((PACKAGE / "reports").rglob("*.py"))
        if not (p.parent.name == "commands" and p.name in cli_commands)
        for m in _imported_modules(p)
        if _layer(m) == "estimation" and m not in allowed_anywhere | allowed_in.get(p.name, set())
    ]
    assert bad == []


# ============================================================================ studies
@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan()


@pytest.fixture(scope="module")
def bundle(kz: migflows.FlowPanel) -> ReportModels:
    return ReportModels(kz, random_seed=0, fast=True)


def test_report_regional_is_the_preset(bundle: ReportModels) -> None:
    study = bundle.gravity
    with warnings.catch_warnings():
        warnings.simplefilter("error", DroppedRowsWarning)  # the preset drops nothing now
        preset = migflows.presets.gravity_regional()
    shown = study.models["PPML regional"]
    assert shown.formula == preset.formula == GRAVITY_PRESETS["gravity_regional"].formula
    assert shown.nobs == preset.nobs == 760
    pd.testing.assert_series_equal(shown.params, preset.params)
    pd.testing.assert_series_equal(shown.std_errors, preset.std_errors)
    assert len(preset.dropped) == 0
    assert GRAVITY_PRESETS["gravity_regional"].default_data().years == [2020, 2021]
    assert study.years == [2020, 2021]
    assert list(study.models) == ["PPML structural", "PPML regional", "PPML pair", "OLS regional"]
    for label, name in (("PPML structural", "gravity_structural"), ("PPML pair", "gravity_pair")):
        assert study.models[label].formula == GRAVITY_PRESETS[name].formula
    assert study.models["OLS regional"].estimator == "ols"
    assert study["models"] is study.models  # dict-style access of the earlier dict results


def test_report_shows_the_handed_over_results(
    tmp_path: Path, kz: migflows.FlowPanel, bundle: ReportModels
) -> None:
    regional = bundle.gravity.models["PPML regional"]
    page = build_report(
        kz, tmp_path / "g.html", sections=["gravity"], progress=False, results=bundle
    ).read_text(encoding="utf-8")
    assert f"{regional.params['log_wage_ratio']:.3f}" in page
    assert "presets gravity_structural, gravity_regional and gravity_pair" in page
    region = bundle.gravity.counterfactual_region
    cf = bundle.gravity.counterfactual
    wage_2021 = kz.regions["wage"].xs(2021, level="year")  # type: ignore[index]
    assert region == wage_2021.idxmin() == "north_kazakhstan" and cf is not None
    change = cf.balances.loc[(region, 2021), "net_change"]
    assert f"{change:,.0f}" in page


def test_unselected_and_fast_skipped_sections_fit_nothing(
    tmp_path: Path, kz: migflows.FlowPanel
) -> None:
    models = ReportModels(kz, fast=True)
    build_report(
        kz,
        tmp_path / "o.html",
        sections=["overview", "bayes", "methods"],
        fast=True,
        progress=False,
        results=models,
    )
    assert "fitted=[]" in repr(models)
    assert not {"gravity", "bayes", "rates", "forecasts"} & set(vars(models))


def test_study_not_applicable_is_a_skipped_section(tmp_path: Path) -> None:
    flows = pd.DataFrame(
        {
            "origin": ["a", "b", "a", "c", "b", "c"] * 2,
            "destination": ["b", "a", "c", "a", "c", "b"] * 2,
            "year": [2020] * 6 + [2021] * 6,
            "flow": [10, 4, 3, 8, 6, 1, 12, 5, 2, 9, 7, 3],
        }
    )
    panel = migflows.FlowPanel.from_frame(flows)
    with pytest.raises(StudyNotApplicable, match="the data have no distances or coordinates"):
        fit_gravity_models(panel)
    assert issubclass(SectionSkipped, StudyNotApplicable)
    page = build_report(panel, tmp_path / "s.html", sections=["gravity"], progress=False)
    assert "Section left out: the data have no distances or coordinates" in page.read_text(
        encoding="utf-8"
    )


def test_preset_left_out_when_its_attribute_is_missing(kz: migflows.FlowPanel) -> None:
    regions = kz.regions
    assert regions is not None
    no_grp = migflows.FlowPanel.from_frame(
        kz.flows, regions=regions.drop(columns="grp_pc"), distances=kz.distances
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = fit_gravity_models(no_grp)
    assert list(study.models) == ["PPML structural", "PPML pair"]
    assert study.left_out == {"PPML regional": "the data lack grp_pc"}
    assert study.counterfactual is None
    assert study.years == [2020, 2021, 2023]  # wages and unemployment complete


def test_context_seeds_match_the_studies(kz: migflows.FlowPanel) -> None:
    ctx = ReportContext(panel=kz, random_seed=5)
    assert ctx.rng("bayes").integers(10**9) == stream_rng(5, "bayes").integers(10**9)
    assert ctx.results.random_seed == 5 and ctx.results is ctx.results


def test_moved_section_helpers_warn() -> None:
    from migflows.reports.sections import gravity as gravity_section
    from migflows.reports.sections import panel as panel_section
    from migflows.studies import report_models

    with pytest.warns(FutureWarning, match=r"moved to migflows\.studies\.report_models"):
        assert gravity_section.fit_gravity_models is report_models.fit_gravity_models
    with pytest.warns(FutureWarning, match="unit_root_table moved"):
        assert panel_section.unit_root_table is report_models.unit_root_table
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = panel_section.nope


# ============================================================================ balances
def test_balances_identical_through_every_path(kz: migflows.FlowPanel) -> None:
    cols = ["arrivals", "departures", "net"]
    direct = balances(kz.flows)[cols]
    # FlowPanel.balances shows whole counts as int64 (issue 13); the values are identical
    pd.testing.assert_frame_equal(kz.balances()[cols], direct, check_dtype=False)
    assert kz.balances()["arrivals"].dtype == np.int64
    # forecast input
    series = prepare(kz).to_frame()[cols]
    pd.testing.assert_frame_equal(series, direct.reindex(series.index), check_names=False)
    # gravity counterfactual, computed on the observed flows as baseline
    obs = kz.flows[["origin", "destination", "year", "flow"]]
    cf = Counterfactual(
        flows=obs.assign(baseline=obs["flow"], counterfactual=obs["flow"], change=0.0),
        changes={},
    )
    base = cf.balances[[f"{c}_baseline" for c in cols]].set_axis(cols, axis=1)
    pd.testing.assert_frame_equal(base, direct)
    assert (cf.balances[[f"{c}_change" for c in cols]] == 0).all().all()


def test_counterfactual_baseline_balances_of_a_structural_ppml(kz: migflows.FlowPanel) -> None:
    # With origin-year and destination-year effects PPML's first-order conditions make the
    # fitted arrivals and departures equal the observed ones.
    sub = kz.select(years=[2020, 2021])
    res = migflows.gravity("flow ~ log_dist | orig^year + dest^year", sub)
    cf = res.counterfactual({"wage": {"turkistan": 1.0}})
    observed = balances(sub.flows)
    for col in ("arrivals", "departures", "net"):
        np.testing.assert_allclose(
            cf.balances[f"{col}_baseline"], observed[col], rtol=1e-6, atol=1e-3
        )
    assert list(cf.balances.columns[:3]) == [
        "arrivals_baseline",
        "departures_baseline",
        "net_baseline",
    ]


def test_old_in_out_names_warn_for_one_release(kz: migflows.FlowPanel) -> None:
    obs = kz.flows
    cf = Counterfactual(
        flows=obs.assign(baseline=obs["flow"], counterfactual=obs["flow"] * 1.5, change=0.0),
        changes={},
    )
    frame = cf.balances
    assert isinstance(frame, BalancesFrame)
    with pytest.warns(FutureWarning, match="'in_change' of the balances is now called"):
        old = frame["in_change"]
    pd.testing.assert_series_equal(old, frame["arrivals_change"])
    with pytest.warns(FutureWarning, match="'departures_baseline'"):
        both = frame[["out_baseline", "net_baseline"]]
    assert list(both.columns) == ["departures_baseline", "net_baseline"]
    with pytest.warns(FutureWarning, match="'in_counterfactual'"):
        pd.testing.assert_series_equal(frame.in_counterfactual, frame["arrivals_counterfactual"])
    with pytest.raises(KeyError):
        frame["in_rate"]  # not an old balance name: no translation
    assert type(frame.head()) is pd.DataFrame
    with pytest.warns(FutureWarning, match="'out' is deprecated.*use 'departures'"):
        assert balance_name("out") == "departures"
    assert balance_name("in_rate") == "in_rate"


def test_forecast_table_with_old_column_names(kz: migflows.FlowPanel) -> None:
    b = balances(kz.flows)
    table = b[["arrivals", "departures"]].rename(columns={"arrivals": "in", "departures": "out"})
    with pytest.warns(FutureWarning) as caught:
        series = prepare(table)
    messages = sorted(str(w.message) for w in caught)
    assert [m.split(" is deprecated")[0] for m in messages] == [
        "The balance name 'in'",
        "The balance name 'out'",
    ]
    frame = series.to_frame()
    pd.testing.assert_frame_equal(
        frame[["arrivals", "departures", "net"]],
        b[["arrivals", "departures", "net"]].reindex(frame.index),
        check_names=False,
    )


def test_balances_value_column() -> None:
    flows = pd.DataFrame(
        {"origin": ["a", "b"], "destination": ["b", "a"], "year": 2021, "alt": [3.0, 1.0]}
    )
    assert balances(flows, value="alt")["net"].tolist() == [-2.0, 2.0]
    with pytest.raises(MissingColumnError, match=r"value='nope' is not a column.*'alt'"):
        balances(flows, value="nope")
