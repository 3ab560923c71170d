"""The self-contained HTML report: :func:`build_report`."""

from __future__ import annotations

import datetime as dt
import sys
import time
import warnings
from collections.abc import Iterable
from os import PathLike
from pathlib import Path

import numpy as np

from migflows.data.boundaries import Boundaries
from migflows.data.panel import FlowPanel
from migflows.data.progress import progress_bar
from migflows.errors import InputTypeError, InvalidOptionError, MigflowsError
from migflows.reports.formatting import esc, items_html, kv_html, note_html
from migflows.reports.sections import (
    ReportContext,
    Section,
    resolve_sections,
)
from migflows.studies.report_models import ReportModels, StudyNotApplicable
from migflows.studies.seeds import report_seed

__all__ = ["build_report"]

CSS = """
*{box-sizing:border-box}
body{font-family:-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#222;
margin:0;background:#fafafa;line-height:1.45;font-size:15px}
main{max-width:1180px;margin:0 auto;padding:24px 32px 64px;background:#fff}
header h1{margin:0 0 4px;font-size:28px}
header .sub{color:#555;margin:0 0 16px}
nav ol{columns:2;margin:8px 0 0;padding-left:22px}
nav a,nav a:visited{color:#1a4f8b;text-decoration:none}
section{border-top:2px solid #e4e4e4;margin-top:32px;padding-top:8px}
h2{font-size:22px;margin:12px 0}
h3{font-size:17px;margin:22px 0 8px}
p{margin:6px 0 10px;max-width:880px}
.tblwrap{overflow-x:auto;margin:6px 0 18px}
@media print{.tblwrap{overflow:visible}table.tbl{font-size:9.5px}
table.tbl th,table.tbl td{white-space:normal;padding:2px 5px}
figure,table.tbl tr{break-inside:avoid}h2,h3,.caption{break-after:avoid}}
table.tbl{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums}
table.tbl th,table.tbl td{padding:3px 9px;border-bottom:1px solid #e8e8e8;text-align:right;
white-space:nowrap}
table.tbl thead th{border-bottom:2px solid #999;background:#f3f5f8;vertical-align:bottom;
white-space:normal;max-width:150px}
table.tbl tbody th,table.tbl thead th:first-child{text-align:left;font-weight:600}
table.tbl tbody tr:nth-child(even){background:#fbfbfb}
table.tbl tr.flag,table.tbl tr.flag:nth-child(even){background:#fff1e0}
table.kv th{text-align:left;color:#444;font-weight:600}
table.kv td{text-align:left;white-space:normal}
td{max-width:520px;white-space:normal}
.caption{font-weight:600;font-size:13.5px;margin-top:14px;color:#333}
figure{margin:12px 0 22px}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:12.5px;color:#555;max-width:880px}
.box{padding:8px 12px;border-left:4px solid #5b8bd0;background:#f1f5fb;margin:10px 0;
max-width:880px;font-size:14px}
.box.warn{border-color:#e09b2d;background:#fff6e6}
.box.error{border-color:#c0392b;background:#fdecea}
footer{color:#777;font-size:12px;margin-top:40px}
"""


def build_report(
    panel: FlowPanel | None,
    out: str | PathLike[str],
    *,
    sections: Iterable[str | Section] | None = None,
    random_seed: int | np.random.Generator = 0,
    fast: bool = False,
    progress: bool = True,
    title: str | None = None,
    dataset: str | None = None,
    results: ReportModels | None = None,
    boundaries: Boundaries | None = None,
    seed: int | None = None,
) -> Path:
    """Write a self-contained HTML report of a migration panel.

    One file: figures are embedded as base64 PNG, CSS is inline, nothing is loaded from
    elsewhere. Each section comes from the registry of :mod:`migflows.reports.sections`
    (later issues add model sections there).

    Parameters
    ----------
    panel : FlowPanel or None
        The data; None loads the embedded Kazakhstan panel.
    out : path
        HTML file to write (parent folders are created).
    sections : iterable of str or Section, optional
        Section names (see :func:`migflows.reports.sections.available_sections`) or section
        objects; default all registered sections.
    random_seed : int or numpy Generator, default 0
        Base seed of the model runs and of sections that draw random numbers (a Generator
        is drawn from once).
    fast : bool, default False
        Ask sections to skip slow work (e.g. sampling).
    progress : bool, default True
        Show a progress bar (one step per section) on stderr.
    title : str, optional
        Report title.
    dataset : str, optional
        ``"kazakhstan"`` to add the embedded dataset's material; detected from
        ``panel.meta['source']`` when None.
    results : ReportModels, optional
        The model runs to show (:class:`migflows.studies.report_models.ReportModels`), e.g.
        to write several reports from one set of fits; default: fitted on ``panel`` with
        ``random_seed`` and ``fast``, each on first use by a selected section. The report never
        fits a model itself.
    boundaries : Boundaries, optional
        Region outlines for the choropleths and the flow map
        (:func:`migflows.data.boundaries.read_boundaries`); default: the shipped Kazakhstan
        outlines when they cover the panel's regions, else the maps are left out.
    seed : int, optional
        Deprecated spelling of ``random_seed`` (a FutureWarning; removed in the next release).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InvalidOptionError
        Unknown section name.

    Examples
    --------
    >>> import migflows, tempfile, os
    >>> from migflows.reports import build_report
    >>> path = build_report(migflows.load_kazakhstan(), os.path.join(tempfile.mkdtemp(), "r.html"),
    ...                     sections=["overview"], progress=False)
    >>> path.suffix
    '.html'
    """
    random_seed = report_seed(random_seed, seed, function="build_report")
    if panel is None:
        from migflows.data.kazakhstan import load_kazakhstan

        panel = load_kazakhstan()
    if not isinstance(panel, FlowPanel):
        raise InputTypeError(
            f"panel must be a migflows.FlowPanel or None (the embedded data), got "
            f"{type(panel).__name__}."
        )
    if Path(out).is_dir():
        raise InvalidOptionError(f"out={str(out)!r} is a directory; give a file name in it.")
    chosen = resolve_sections(sections)
    if dataset is None and "embedded Kazakhstan" in str(panel.meta.get("source", "")):
        dataset = "kazakhstan"
    ctx = ReportContext(
        panel=panel,
        random_seed=random_seed,
        fast=bool(fast),
        dataset=dataset,
        sections=[s.name for s in chosen],
        studies=results,
        boundaries=boundaries,
    )
    started = time.perf_counter()
    bodies: list[str] = []
    shown: list[Section] = []
    left_out: list[str] = []
    bar = progress_bar(chosen, desc="report", unit="section", disable=not progress, file=sys.stderr)
    for section in bar:
        bar.set_postfix_str(section.name)
        body, why = _render(section, ctx)
        if why is None:
            bodies.append(body)
            shown.append(section)
            ctx.shown.append(section.name)
        else:  # not in the Contents: the contents list only what the report holds
            left_out.append(f"{section.title} — Section left out: {why}")
    bar.close()
    if left_out:
        bodies.insert(0, note_html_list("Not in this report", left_out))
    elapsed = time.perf_counter() - started
    page = _page(ctx, shown, bodies, title=title, elapsed=elapsed)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def note_html_list(title: str, items: list[str]) -> str:
    """A note box with a title and a list of escaped items."""
    return f"<div class='box note'>{esc(title)}:{items_html(items)}</div>"


def _render(section: Section, ctx: ReportContext) -> tuple[str, str | None]:
    """The section's HTML, and the reason when the section does not apply (else None)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            body = section.render(ctx)
        except StudyNotApplicable as why:  # a section's or a study's SectionSkipped
            return "", str(why)
        except MigflowsError as err:
            body = note_html(
                f"This section could not be produced: {type(err).__name__}: {err}", "error"
            )
    seen: list[str] = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        quiet = issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
        if text not in seen and not quiet:
            seen.append(text)
    notes = ""
    if seen:
        notes = (
            f"<div class='box warn'>Warnings while computing this section:{items_html(seen)}</div>"
        )
    html = f"<section id='{esc(section.name)}'><h2>{esc(section.title)}</h2>{notes}{body}</section>"
    return html, None


def _page(
    ctx: ReportContext,
    chosen: list[Section],
    bodies: list[str],
    *,
    title: str | None,
    elapsed: float,
) -> str:
    from migflows.version import __version__

    panel = ctx.panel
    if title is None:
        title = (
            "Internal migration in Kazakhstan"
            if ctx.dataset == "kazakhstan"
            else "Migration flows report"
        )
    years = panel.years
    subtitle = (
        f"{len(panel.region_keys)} regions, {len(years)} years "
        f"({years[0]}–{years[-1]}), {panel.nobs:,} origin–destination–year observations"
    )
    toc = "".join(f"<li><a href='#{esc(s.name)}'>{esc(s.title)}</a></li>" for s in chosen)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    run = kv_html(
        [
            ("generated", now),
            ("migflows", __version__),
            ("sections", ", ".join(s.name for s in chosen)),
            ("random seed", str(ctx.random_seed)),
            ("fast mode", "yes" if ctx.fast else "no"),
        ]
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{esc(title)}</h1><p class='sub'>{esc(subtitle)}</p>"
        f"<nav><strong>Contents</strong><ol>{toc}</ol></nav></header>"
        + "".join(bodies)
        + f"<footer>{run}<p>Built in {elapsed:.1f} s by migflows {esc(__version__)}.</p>"
        "</footer></main></body></html>\n"
    )
