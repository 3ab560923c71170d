"""Regression tables: the numbers shown are those of the result objects."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import migflows
from migflows.errors import InvalidOptionError
from migflows.reports.tables import regression_table, table


@pytest.fixture(scope="module")
def models() -> dict:
    kz = migflows.load_kazakhstan(years=[2020, 2021])
    return {
        "PPML": migflows.gravity("flow ~ log_dist + log_wage_ratio | orig + dest + year", kz),
        "PPML pair": migflows.gravity(
            "flow ~ log_wage_ratio | orig^dest + year", kz, vcov={"CRV1": "pair"}
        ),
        "OLS": migflows.gravity(
            "flow ~ log_dist + log_wage_ratio | orig + dest + year", kz, estimator="ols"
        ),
    }


def test_cells_match_results(models) -> None:
    df = table(models)
    for col, res in models.items():
        for name in res.params.index:
            est = df.loc[name, col]
            assert est.rstrip("*") == f"{res.params[name]:.3f}"
            p = res.pvalues[name]
            assert est.count("*") == (3 if p < 0.01 else 2 if p < 0.05 else 1 if p < 0.1 else 0)
            assert df.loc[f"{name} (se)", col] == f"({res.std_errors[name]:.3f})"
        assert df.loc["Observations", col] == f"{res.nobs:,}"
    assert df.loc["log_dist", "PPML pair"] == ""  # absorbed by the pair effects: not in that model
    assert df.loc["FE: orig^dest", "PPML pair"] == "✓" and df.loc["FE: orig^dest", "PPML"] == ""
    assert df.loc["Std. errors", "PPML pair"] == "CRV1 (pair)"
    assert df.loc["R²", "OLS"] == f"{models['OLS'].stats['rsquared']:.3f}"


def test_intervals_keep_labels_and_formats(models) -> None:
    res = models["PPML"]
    ci = res.conf_int(level=0.9).loc["log_dist"]
    df = table(
        models,
        uncertainty="conf_int",
        level=0.9,
        keep=["wage", "dist"],
        labels={"log_dist": "Distance (log)"},
    )
    assert list(df.index[:4]) == [
        "log_wage_ratio",
        "log_wage_ratio (se)",
        "Distance (log)",
        "Distance (log) (se)",
    ]
    assert df.loc["Distance (log) (se)", "PPML"] == f"[{ci.iloc[0]:.3f}, {ci.iloc[1]:.3f}]"
    html = table(models, "html")
    assert html.startswith("<table") and "CRV1 (pair)" in html
    md = table(models, "markdown")
    assert md.splitlines()[0] == "| | PPML | PPML pair | OLS |"
    assert "_repr_html_" in dir(regression_table(models))
    with pytest.raises(InvalidOptionError, match="format='pdf' is not allowed"):
        table(models, "pdf")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="keep=\\['gdp'\\] matches no coefficient"):
        table(models, keep=["gdp"])


def test_latex_compiles(models, tmp_path: Path) -> None:
    tex = table(models, "latex")
    assert "\\toprule" in tex and "log\\_dist" in tex
    if shutil.which("pdflatex") is None:
        pytest.skip(
            "pdflatex (Debian texlive-latex-base + texlive-latex-recommended) is not installed"
        )
    doc = (
        "\\documentclass{article}\\usepackage{booktabs}\\usepackage{amssymb}\\usepackage[utf8]{inputenc}\\begin{document}\n"
        + tex
        + "\n\\end{document}\n"
    )
    (tmp_path / "t.tex").write_text(doc, encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "t.pdf").exists()


def test_coef_plot_draws_every_model(models) -> None:
    from migflows.reports.model_plots import coef_plot, fit_plot

    fig = coef_plot(models, keep=["wage"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["log_wage_ratio"]
    assert len(ax.containers) == 3  # one errorbar container per model
    xs = sorted(float(c.lines[0].get_xdata()[0]) for c in ax.containers)
    assert xs == sorted(float(m.params["log_wage_ratio"]) for m in models.values())
    fig2 = fit_plot(models["PPML"])
    assert len(fig2.axes[0].collections[0].get_offsets()) == models["PPML"].nobs


def test_auto_labels_read_the_label_map_and_keep_raw_names(models) -> None:
    frame = table(models, labels="auto")
    raw = table(models)
    assert "Log distance (km)" in frame.index and "log_dist" not in frame.index
    assert "log_dist" in raw.index  # the default keeps the parameter names
    assert frame.attrs["names"]["Log distance (km)"] == "log_dist"
    # same cells, only the row labels differ
    assert frame.loc["Log distance (km)"].tolist() == raw.loc["log_dist"].tolist()
    fe_rows = regression_table(models, labels="auto").sections["fixed_effects"]
    assert all(r.endswith("effects") and "FE:" not in r for r in fe_rows)
    html = table(models, "html", labels="auto")
    assert "log_dist" not in html and "Log distance (km)" in html
    with pytest.raises(InvalidOptionError, match="labels='nice'"):
        table(models, labels="nice")


def test_coef_plot_auto_labels(models) -> None:
    from matplotlib.pyplot import close

    from migflows.reports.model_plots import coef_plot

    fig = coef_plot(models, labels="auto")
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    close(fig)
    assert "Log distance (km)" in ticks and "log_dist" not in ticks
