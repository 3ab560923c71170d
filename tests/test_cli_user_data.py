"""The CLI on a user's own files (issue 10): --out that cannot be written, the report's
forecast section on a user OD table, the ensemble on the embedded data."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

import migflows
from migflows.reports.cli import main


@pytest.fixture(scope="module")
def user_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("user")
    kz = migflows.load_kazakhstan()
    long = d / "my_flows.csv"
    kz.flows.to_csv(long, index=False)
    m = kz.to_matrix(2024).rename_axis(None)
    matrix = d / "od2024.csv"
    m.to_csv(matrix, sep=";")  # as an office exports it
    return {"long": long, "matrix": matrix, "dir": d}


@pytest.mark.parametrize(
    "command",
    [
        ["forecast", "--horizon", "1", "--sims", "20"],
        ["fit", "gravity", "flow ~ log_dist | orig + dest", "--years", "2021"],
        ["report", "--sections", "overview", "--no-progress", "--fast"],
    ],
)
def test_out_directory_or_missing_folder_is_refused(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--out", str(tmp_path)]) == 2
    assert "is a directory; give a file name in it" in capsys.readouterr().err
    if command[0] == "report":  # the report creates missing folders; not below a file
        (tmp_path / "file").write_text("")
        assert main([*command, "--out", str(tmp_path / "file" / "x.html")]) == 2
    else:
        assert main([*command, "--out", str(tmp_path / "absent" / "x.txt")]) == 2
    assert re.search(r"the folder .* does not exist", capsys.readouterr().err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere: needs a non-root user")
def test_out_not_writable_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert main(["forecast", "--sims", "20", "--out", str(locked / "x.csv")]) == 2
    assert "is not writable" in capsys.readouterr().err


def test_ensemble_runs_on_the_embedded_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forecast", "--method", "ensemble", "--horizon", "1", "--sims", "50"]) == 0
    captured = capsys.readouterr()
    assert "member(s) 'ets', 'arima' need regular annual years and were left out" in captured.err
    # the text output names regions by their labels (issue 13); every region has a row
    assert "Astana" in captured.out and "Zhetisu" in captured.out


def test_gravity_forecast_says_what_its_fit_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forecast", "--method", "gravity", "--horizon", "1", "--sims", "50"]) == 0
    err = capsys.readouterr().err
    assert "warning: gravity forecast: Dropped 834 of 2280 observations" in err


@pytest.mark.parametrize("kind", ["long", "matrix"])
def test_report_on_a_user_table_has_its_forecast_section(
    user_files: dict[str, Path], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = user_files["dir"] / f"report_{kind}.html"
    extra = ["--matrix-year", "2024"] if kind == "matrix" else []
    args = ["report", "--data", str(user_files[kind]), *extra, "--out", str(out)]
    sections = "overview,forecast" if kind == "long" else "overview"
    assert main([*args, "--sections", sections, "--fast", "--no-progress"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "box error" not in page.split("</style>")[-1]
    if kind == "long":
        section = page[page.index("id='forecast'") :]
        assert "Ensemble forecast" in section and "Kazakhstan OD years" not in section
        assert "the flow years are 2010, 2015, 2020, 2021, 2023, 2024, irregular" in section
    else:
        assert "20 regions" in page
    capsys.readouterr()


def test_read_user_matrix_from_the_cli(user_files: dict[str, Path]) -> None:
    back = pd.read_csv(user_files["matrix"], sep=";", index_col=0)
    assert back.shape == (20, 20)
    assert main(["data", "check", str(user_files["matrix"]), "--matrix-year", "2024"]) == 0
