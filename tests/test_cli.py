"""The ``migflows`` command line: exit codes, messages on stderr, help for every option."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migflows.reports.cli import build_parser, main


@pytest.fixture
def csvs(tmp_path: Path) -> dict[str, Path]:
    files = {
        "bad": "origin,destination,year,flow\na,b,2020,10\nb,a,2020,-3\n",
        "good": "origin,destination,year,flow\na,b,2020,10\nb,a,2020,3\na,c,2020,5\nc,a,2020,7\n"
        "b,c,2020,1\nc,b,2020,2\n",
        # every problem at once: negative, missing, fractional, duplicate, absent cell
        "many": "origin,destination,year,flow\na,b,2020,10\nb,a,2020,-3\na,c,2020,2.5\n"
        "a,c,2020,1\nc,b,2020,\n",
        # valid, but a fractional flow and two absent cells (b,c) and (c,b)
        "gappy": "origin,destination,year,flow\na,b,2020,10\nb,a,2020,3\na,c,2020,5.5\n"
        "c,a,2020,7\n",
        # every pair has the same count both ways: the symmetry check flags the year
        "symmetric": "from,to,yr,n\na,b,2020,4\nb,a,2020,4\na,c,2020,6\nc,a,2020,6\n"
        "b,c,2020,9\nc,b,2020,9\n",
        "matrix": ",a,b,c\na,,5,1\nb,7,,2\nc,3,4,\n",
    }
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text(text, encoding="utf-8")
    return out


def test_data_check_invalid_file_exits_2(
    csvs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "check", str(csvs["bad"])]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("migflows: error: NegativeFlowError: Column 'flow' has 1 ")
    assert "('b', 'a', 2020)" in captured.err
    assert "Traceback" not in captured.err
    assert "not a valid flow panel" in captured.out and "negative flow" in captured.out


def test_data_check_lists_every_problem_with_flags(
    csvs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "check", str(csvs["many"])]) == 2
    captured = capsys.readouterr()
    assert "3 error(s), 2 warning(s)" in captured.out
    table = captured.out.split("Result:")[1]
    for problem in ("missing flow", "negative flow", "fractional flow", "duplicate row"):
        assert problem in table
    assert "('b', 'c', 2020), ('c', 'a', 2020)" in table  # the two absent cells
    assert "--missing drop" in table and "--duplicates sum" in table
    assert "missing=" not in captured.out + captured.err  # no Python keyword advice
    assert "pass --missing drop to drop them" in captured.err


def test_data_check_warns_on_fractional_flows_and_absent_cells(
    csvs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "check", str(csvs["gappy"])]) == 1
    out = capsys.readouterr().out
    assert "valid flow panel" in out and "0 error(s), 2 warning(s)" in out
    assert "('a', 'c', 2020, 5.5)" in out and "--fill-zeros" in out
    assert main(["data", "check", str(csvs["gappy"]), "--fill-zeros"]) == 1
    assert "zero flows          33.3%" in capsys.readouterr().out


def test_data_check_ok_and_flagged(
    csvs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "check", str(csvs["good"])]) == 0
    out = capsys.readouterr().out
    assert "valid flow panel" in out and "Result: OK, no problem found" in out
    args = ["data", "check", str(csvs["symmetric"]), "--origin", "from", "--destination", "to"]
    assert main([*args, "--year-column", "yr", "--flow", "n"]) == 1
    out = capsys.readouterr().out
    assert "Result: data problems found" in out
    assert "flagged year 2020" in out and "3 of 3 pairs have identical flows both ways" in out


def test_data_check_matrix(csvs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "check", str(csvs["matrix"])]) == 2
    assert "give its year with --matrix-year YEAR" in capsys.readouterr().err
    assert main(["data", "check", str(csvs["matrix"]), "--matrix-year", "2021"]) == 0
    out = capsys.readouterr().out
    assert "total flow          22" in out  # 5 + 1 + 7 + 2 + 3 + 4


def test_data_check_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "check", str(tmp_path / "absent.csv")]) == 2
    assert "No such file" in capsys.readouterr().err


def test_data_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "show"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:4].isdigit()}
    assert rows["2023"] == ["472,227", "ok", "yes"]
    assert rows["2022"][1:] == ["corrupt", "no"] and rows["2025"][1:] == ["partial", "no"]


def test_report_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "r.html"
    code = main(
        ["report", "--out", str(out), "--fast", "--sections", "overview,methods", "--no-progress"]
    )
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert "<section id='overview'>" in page and "<section id='flows'>" not in page
    assert f"wrote {out}" in capsys.readouterr().out


def test_report_on_user_file(
    tmp_path: Path, csvs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "u.html"
    args = ["report", "--data", str(csvs["good"]), "--out", str(out), "--no-progress"]
    assert main([*args, "--sections", "flows,balances"]) == 0
    assert "<section id='balances'>" in out.read_text(encoding="utf-8")
    assert main([*args, "--sections", "flows,nope"]) == 2
    assert "Unknown report section 'nope'" in capsys.readouterr().err


def test_report_list_sections(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--list-sections"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    from migflows.reports import available_sections

    assert names == available_sections()
    assert names[:5] == ["overview", "quality", "flows", "balances", "indices"]
    assert names[-1] == "methods" and "gravity" in names


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    parsers = list(_parsers(build_parser()))
    assert {p for p, _ in parsers} >= {(), ("report",), ("data",), ("data", "check")}
    for path, parser in parsers:
        with pytest.raises(SystemExit) as exit_info:
            main([*path, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        for action in parser._actions:
            for option in action.option_strings:
                assert option in text, (path, option)
            if action.option_strings and action.help is not argparse.SUPPRESS:
                assert action.help, (path, action.option_strings)


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--seed", "many"])
    assert exit_info.value.code == 2
    assert "invalid int value: 'many'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([])


def test_top_level_help_imports_nothing_heavy() -> None:
    # `migflows --help` must start at once: no command module, pandas, matplotlib or
    # statsmodels (the time itself is measured in benchmarks/bench_cli_startup.py).
    code = (
        "import sys\n"
        "from migflows.reports.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0\n"
        "heavy = [m for m in ('pandas', 'matplotlib', 'statsmodels', 'scipy', "
        "'migflows.reports.commands.fit') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "forecast" in out.stdout and "fit a model" in out.stdout


SUBCOMMANDS = (
    ["report"], ["data", "check"], ["data", "show"], ["fit", "gravity"], ["fit", "panel"],
    ["fit", "bayes"], ["forecast"],
)  # fmt: skip


def test_every_subcommand_help_imports_nothing_heavy() -> None:
    # `migflows forecast --help` took 3 s (the forecast registry pulled in statsmodels);
    # every sub-command's help now builds its parser without pandas or an estimator (the time
    # is measured in benchmarks/bench_cli_startup.py).
    code = (
        "import sys\n"
        "from migflows.reports.cli import main\n"
        f"for argv in {[list(a) for a in SUBCOMMANDS]!r}:\n"
        "    try:\n"
        "        main([*argv, '--help'])\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0\n"
        "heavy = [m for m in ('pandas', 'numpy', 'matplotlib', 'statsmodels', 'scipy', "
        "'migflows.estimation.forecast.api', 'migflows.estimation.gravity.api', "
        "'migflows.reports.sections') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "naive, drift, ets, arima" in out.stdout  # the methods are listed all the same
    assert "ppml, ols, negbin, gpml" in out.stdout


def test_cli_choices_are_the_registries() -> None:
    from migflows.estimation.forecast.api import METHODS
    from migflows.estimation.gravity.api import ESTIMATORS
    from migflows.reports.commands import BUILTIN_ESTIMATORS, BUILTIN_METHODS, RegistryChoices

    assert set(BUILTIN_METHODS) == set(METHODS)
    assert set(BUILTIN_ESTIMATORS) == set(ESTIMATORS)
    choices = RegistryChoices("migflows.estimation.forecast.api", "METHODS", ())
    assert sorted(choices) == sorted(METHODS)  # loaded: the registry itself is listed
    assert "ets" in choices and "bogus" not in choices


def test_unknown_method_lists_the_registered_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["forecast", "--method", "bogus"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err and "'bayes_ar'" in err


def test_lazy_and_full_parsers_list_the_same_commands() -> None:
    full = build_parser().format_help()
    lazy = build_parser(["--help"]).format_help()
    assert full == lazy


def test_report_with_user_boundaries_and_pdf(tmp_path: Path) -> None:
    import json
    import shutil

    import pandas as pd

    keys = ["west", "centre", "east"]
    rows = [(o, d, 2021, 10 + i + 2 * j) for i, o in enumerate(keys) for j, d in enumerate(keys)]
    flows = pd.DataFrame(
        [r for r in rows if r[0] != r[1]], columns=["origin", "destination", "year", "flow"]
    )
    flows.to_csv(tmp_path / "flows.csv", index=False)
    coords = pd.DataFrame({"region": keys, "lat": [50.0, 50.0, 50.0], "lon": [0.5, 1.5, 2.5]})
    coords.to_csv(tmp_path / "coords.csv", index=False)
    square = [
        {"type": "Feature", "properties": {"code": k},
         "geometry": {"type": "Polygon",
                      "coordinates": [[[i, 49.5], [i + 1, 49.5], [i + 1, 50.5], [i, 50.5]]]}}
        for i, k in enumerate(keys)
    ]  # fmt: skip
    (tmp_path / "shapes.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": square})
    )
    out = tmp_path / "r.html"
    args = ["report", "--data", str(tmp_path / "flows.csv"), "--coords", str(tmp_path / "coords.csv"),
            "--boundaries", str(tmp_path / "shapes.geojson"), "--boundaries-key", "code",
            "--sections", "flows,balances", "--out", str(out), "--no-progress"]  # fmt: skip
    pdf_wanted = shutil.which("chromium") is not None
    assert main([*args, *(["--pdf"] if pdf_wanted else [])]) == 0
    page = out.read_text(encoding="utf-8")
    assert "over the region outlines (Boundaries: shapes.geojson)" in page
    if pdf_wanted:  # Debian chromium present: the PDF is printed beside the HTML
        assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
