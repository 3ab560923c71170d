"""Model sections of the HTML report show the numbers of the fitted models."""

from __future__ import annotations

from pathlib import Path

import migflows
from migflows.reports import build_report
from migflows.studies.report_models import fit_gravity_models


def test_gravity_section_numbers(tmp_path: Path) -> None:
    kz = migflows.load_kazakhstan()
    out = build_report(kz, tmp_path / "r.html", sections=["gravity"], progress=False)
    text = out.read_text(encoding="utf-8")
    fitted = fit_gravity_models(kz)
    structural = fitted["models"]["PPML structural"]
    assert f"{structural.params['log_dist']:.3f}***" in text
    assert f"({structural.std_errors['log_dist']:.3f})" in text
    # rows through the label map: fixed effects as "Origin × year effects", not "FE: orig^year"
    assert "Origin × year effects" in text and "CRV1 (pair)" in text
    assert "FE: orig^year" not in text and "Log distance (km)" in text
    assert fitted["years"] == [2020, 2021]  # the years with wage, GRP, unemployment and population
    assert text.count("data:image/png;base64") == 2


def test_panel_section_numbers(tmp_path: Path) -> None:
    import warnings

    import pandas as pd

    from migflows.estimation.unit_root.api import region_table
    from migflows.studies.report_models import fit_rate_models, unit_root_table

    kz = migflows.load_kazakhstan()
    out = build_report(
        kz, tmp_path / "p.html", sections=["panel"], progress=False, dataset="kazakhstan"
    )
    text = out.read_text(encoding="utf-8")
    ur = unit_root_table(kz)
    direct = migflows.unit_root(
        region_table(kz, "unemployment"), "unemployment", test="ips", lags=1
    )
    assert ur.loc[("unemployment", "IPS"), "statistic"] == direct.statistic
    assert f"{direct.statistic:.3f}" in text
    wage = ur.loc[("wage", "IPS")]
    assert wage["years"] == "2018–2023" and pd.notna(wage["statistic"])  # longest complete run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fe = fit_rate_models(kz)["models"]["FE (entity + time)"]
        ref = migflows.panel(
            "net_rate ~ log_rel_wage + unemployment | entity + time",
            kz.select(years=[2020, 2021, 2023]),
            "fe",
            weights="population",
            vcov={"cluster": "entity"},
        )
    assert fe.params.equals(ref.params)
    assert f"{ref.params['log_rel_wage']:.3f}" in text
    assert "An–Becker–Cheng" in text


def test_forecast_section_numbers(tmp_path: Path) -> None:
    from migflows.reports.sections import ReportContext
    from migflows.reports.sections.forecast import run_forecasts

    kz = migflows.load_kazakhstan()
    out = build_report(kz, tmp_path / "f.html", sections=["forecast"], progress=False, fast=True)
    text = out.read_text(encoding="utf-8")
    ctx = ReportContext(panel=kz, fast=True)
    fc = run_forecasts(ctx)["forecast"]  # same seed stream as the report: same numbers
    frame = fc.summary_frame(alpha=0.2).xs(2027, level="year")
    for region in ("astana_city", "turkistan"):
        assert f"{frame.loc[region].iloc[0]:,.0f}" in text
    assert abs(frame.iloc[:, 0].sum()) < 1e-6  # ensemble balances still add up to zero
    assert (
        "gravity" in text and "coverage of the 80% interval" in text and "coverage_80" not in text
    )


def test_bayes_section_skipped_when_fast(tmp_path: Path) -> None:
    kz = migflows.load_kazakhstan()
    text = build_report(
        kz, tmp_path / "b.html", sections=["bayes"], progress=False, fast=True
    ).read_text(encoding="utf-8")
    assert "--fast skips posterior sampling" in text
