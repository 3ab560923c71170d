"""``migflows fit gravity`` from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import migflows
from migflows.reports.cli import main


def test_fit_gravity_json_matches_api(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "fit",
            "gravity",
            "flow ~ log_dist | orig + dest + year",
            "--years",
            "2020",
            "2021",
            "--vcov",
            "CRV1:pair",
            "--format",
            "json",
        ]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    res = migflows.gravity(
        "flow ~ log_dist | orig + dest + year",
        migflows.load_kazakhstan(years=[2020, 2021]),
        vcov={"CRV1": "pair"},
    )
    assert payload["coefficients"]["log_dist"]["params"] == pytest.approx(
        res.params["log_dist"], abs=1e-9
    )
    assert payload["coefficients"]["log_dist"]["std_errors"] == pytest.approx(
        res.std_errors["log_dist"], abs=1e-9
    )
    assert payload["nobs"] == res.nobs and payload["vcov"] == "CRV1 (pair)"


def test_fit_gravity_errors_and_output_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit", "gravity", "flow ~ log_gdp | orig"]) == 2
    assert "UnknownVariableError: Unknown variable 'log_gdp'" in capsys.readouterr().err
    assert main(["fit", "gravity", "flow ~ log_dist | orig", "--vcov", "CRV1:"]) == 2
    assert "names no cluster variable" in capsys.readouterr().err
    out = tmp_path / "t.tex"
    assert (
        main(
            [
                "fit",
                "gravity",
                "flow ~ log_dist | orig^year + dest^year",
                "--format",
                "latex",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_text(encoding="utf-8").startswith("\\begin{tabular}")


def test_forecast_command_matches_api(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import io
    import warnings

    import pandas as pd

    out = tmp_path / "fc.csv"
    assert (
        main(
            [
                "forecast",
                "--method",
                "drift",
                "--horizon",
                "2",
                "--sims",
                "200",
                "--seed",
                "4",
                "--format",
                "csv",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    got = pd.read_csv(io.StringIO(out.read_text(encoding="utf-8")), index_col=[0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = migflows.forecast(
            migflows.load_kazakhstan(),
            method="drift",
            horizon=2,
            level=(0.8,),
            n_sims=200,
            random_seed=4,
            progress=False,
        )
    ref = fc.summary_frame(alpha=0.2)
    assert got["mean"].to_numpy() == pytest.approx(ref["mean"].to_numpy(), rel=1e-12)
    assert got["mean_ci_upper"].to_numpy() == pytest.approx(
        ref["mean_ci_upper"].to_numpy(), rel=1e-12
    )
    assert main(["forecast", "--method", "ets"]) == 2
    assert "needs a regular annual series" in capsys.readouterr().err
