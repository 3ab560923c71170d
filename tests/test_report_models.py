"""Model sections of the HTML report show the numbers of the fitted models."""

from __future__ import annotations

from pathlib import Path

import migflows
from migflows.reports import build_report
from migflows.reports.sections.gravity import fit_gravity_models


def test_gravity_section_numbers(tmp_path: Path) -> None:
    kz = migflows.load_kazakhstan()
    out = build_report(kz, tmp_path / "r.html", sections=["gravity"], progress=False)
    text = out.read_text(encoding="utf-8")
    fitted = fit_gravity_models(kz)
    structural = fitted["models"]["PPML structural"]
    assert f"{structural.params['log_dist']:.3f}***" in text
    assert f"({structural.std_errors['log_dist']:.3f})" in text
    assert "FE: orig^year" in text and "CRV1 (pair)" in text
    assert fitted["years"] == [2020, 2021]  # the years with wage, GRP, unemployment and population
    assert text.count("data:image/png;base64") == 2
