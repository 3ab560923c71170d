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


def test_forecast_level_as_percentage_and_header(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["forecast", "--method", "naive", "--horizon", "1", "--sims", "100", "--seed", "1"]
    assert main([*base, "--level", "80"]) == 0
    as_percent = capsys.readouterr().out
    assert main([*base, "--level", "0.8"]) == 0
    assert capsys.readouterr().out == as_percent
    head, _, body = as_percent.partition("\n\n")
    assert head == (
        "net migration balance (persons per year) by region: naive forecast, 80% interval, "
        "1 year(s) ahead of 2024"
    )
    assert "80% lower" in body and "Astana city" in body and "astana_city" not in body
    with pytest.raises(SystemExit):
        main([*base, "--level", "180"])
    assert "give a percentage between 0 and 100" in capsys.readouterr().err


def test_fit_panel_matches_api(capsys: pytest.CaptureFixture[str]) -> None:
    formula = "net_rate ~ log(wage) + unemployment | entity + time"
    assert main(["fit", "panel", formula, "--vcov", "CRV1:entity", "--format", "json"]) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert "Dropped 42 of 120 rows" in captured.err  # said, not hidden
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = migflows.panel(formula, migflows.load_kazakhstan(), vcov={"CRV1": "entity"})
    for name in res.params.index:
        got = payload["coefficients"][name]
        assert got["params"] == pytest.approx(res.params[name], abs=1e-9)
        assert got["std_errors"] == pytest.approx(res.std_errors[name], abs=1e-9)
    assert payload["nobs"] == res.nobs


def test_fit_gravity_absorbed_flag(capsys: pytest.CaptureFixture[str]) -> None:
    formula = "flow ~ log_dist + log_pop_o | orig^year + dest^year"
    assert main(["fit", "gravity", formula, "--years", "2021"]) == 2
    err = capsys.readouterr().err
    assert "--absorbed drop" in err and "absorbed='drop'" not in err
    assert main(["fit", "gravity", formula, "--years", "2021", "--absorbed", "drop"]) == 0
    assert "log_pop_o" in capsys.readouterr().err  # the warning names the dropped term


@pytest.mark.slow
def test_fit_bayes_runs_quietly(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    args = ["fit", "bayes", "flow ~ log_dist | orig + dest", "--years", "2021"]
    with caplog.at_level(logging.INFO, logger="pymc"):
        code = main([*args, "--draws", "50", "--tune", "50", "--chains", "1", "--format", "json"])
    assert code == 0
    # PyMC's INFO lines ("NUTS[nutpie]: ...", "Sampling: [flow]") stay out without --progress
    assert not [r for r in caplog.records if r.name.startswith("pymc") and r.levelno < 30]
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert payload["nobs"] == 380 and "log_dist" in str(payload["coefficients"])
    assert "NUTS" not in captured.err and "Sampling:" not in captured.err
