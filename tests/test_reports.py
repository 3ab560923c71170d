"""The HTML report and its plots on the embedded Kazakhstan data.

References: the national OD totals of the curated source table (472,227 moves in 2023, the
figure also asserted by the loader's doctest), and the regional balances computed by
``migflows.data.indices.balances`` (checked against arrivals/departures elsewhere); the
report must show exactly these numbers, formatted with thousands separators.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.image import AxesImage
from matplotlib.patches import FancyArrowPatch
from matplotlib.pyplot import close

import migflows
from migflows.data.indices import balances
from migflows.errors import InvalidOptionError, MissingRegionError, NegativeFlowError
from migflows.reports import build_report
from migflows.reports import sections as registry
from migflows.reports.formatting import fmt_number, frame_html
from migflows.reports.plots import (
    attractiveness_plot,
    flow_map,
    national_totals_plot,
    net_balance_plot,
    od_heatmap,
    region_labels,
)
from migflows.reports.sections import ReportContext, SectionSkipped, available_sections

ALL_SECTIONS = [
    "overview",
    "quality",
    "flows",
    "balances",
    "indices",
    "gravity",
    "bayes",
    "panel",
    "abc_2000_2014",
    "forecast",
    "methods",
]


class _Tables(HTMLParser):
    """Collect every table as a caption (the preceding caption div) and rows of cell text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._caption = ""
        self._in_caption = False
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div" and ("class", "caption") in attrs:
            self._in_caption, self._caption = True, ""
        elif tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._in_caption:
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._rows is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables.append((self._caption, self._rows))
            self._rows, self._caption = None, ""

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption += data
        if self._cell is not None:
            self._cell.append(data)


def rows(page: str, caption_start: str) -> list[list[str]]:
    """Cell texts of the first table whose caption starts with ``caption_start``."""
    parser = _Tables()
    parser.feed(page)
    for caption, found in parser.tables:
        if caption.startswith(caption_start):
            return found
    raise AssertionError(f"no table captioned {caption_start!r}")


def table(page: str, caption_start: str) -> pd.DataFrame:
    """That table as a frame (one header row), first column as index."""
    found = rows(page, caption_start)
    header, body = found[0], [r for r in found[1:] if len(r) == len(found[0])]
    return pd.DataFrame(body, columns=header).set_index(header[0])


@pytest.fixture(scope="module")
def kz() -> migflows.FlowPanel:
    return migflows.load_kazakhstan()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, kz: migflows.FlowPanel) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("report")
    path = build_report(kz, folder / "report.html", fast=True, progress=False)
    return path, path.read_text(encoding="utf-8")


def test_report_is_one_self_contained_file(report: tuple[Path, str]) -> None:
    path, page = report
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    assert page.startswith("<!DOCTYPE html>")
    # Nothing is fetched: no external src/href, no stylesheet links, scripts or CSS imports.
    assert not re.search(r"""(src|href)\s*=\s*['"]?\s*(https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<link\b|<script\b|@import|url\(", page, re.IGNORECASE)
    images = re.findall(r"<img [^>]*src='([^']{0,30})", page)
    # totals, OD heatmap, flow map, net balances, net-rate map, attractiveness plot and map;
    # gravity: coefficients, fit; forecast: fan charts
    assert len(images) == 10
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_report_has_every_section(report: tuple[Path, str]) -> None:
    _, page = report
    ids = re.findall(r"<section id='([^']+)'><h2>([^<]+)</h2>", page)
    # --fast leaves the Bayesian section out (listed under "Not in this report")
    assert [i for i, _ in ids] == [s for s in ALL_SECTIONS if s != "bayes"]
    titles = dict(ids)
    assert titles["balances"] == "Balances by region and year"
    assert "Could not be produced" not in page and "could not be produced" not in page
    for heading in (
        "Migration-attractiveness coefficient",
        "Socio-economic scale (Bokayev &amp; Akhmetova)",
        "Summary indices of the migration system (migest)",
        "All embedded years, flagged ones included",
    ):
        assert f"<h3>{heading}</h3>" in page


def test_national_totals_match_source(report: tuple[Path, str], kz: migflows.FlowPanel) -> None:
    _, page = report
    totals = table(page, "Inter-regional migration by year")
    assert totals.loc["2023", "national total (persons)"] == "472,227"
    expected = kz.flows.groupby("year")["flow"].sum()
    shown = totals["national total (persons)"].str.replace(",", "").astype(int)
    assert shown.to_dict() == {str(y): int(v) for y, v in expected.items()}


def test_net_balances_match_indices(report: tuple[Path, str], kz: migflows.FlowPanel) -> None:
    _, page = report
    net = table(page, "Net migration balance (persons)")
    b = balances(kz.flows)["net"]
    assert net.loc["Astana city", "2023"] == "50,078" == fmt_number(b[("astana_city", 2023)])
    assert net.loc["Turkistan", "2023"] == "-23,111" == fmt_number(b[("turkistan", 2023)])
    labels = region_labels(kz)
    for (region, year), value in b.items():
        assert net.loc[labels[region], str(year)] == f"{value:,.0f}"


def test_quality_section_explains_excluded_years(report: tuple[Path, str]) -> None:
    _, page = report
    checks = table(page, "Checks on all embedded years")
    assert checks.loc["2022", "source label"] == "corrupt"
    assert checks.loc["2022", "identical both ways"] == "64"
    assert checks.loc["2022", "flagged"] == "yes"
    assert checks.loc["2025", "source label"] == "partial"
    assert checks.loc["2023", "flagged"] == "no"
    text = html.unescape(page)
    assert "2022 (source label: corrupt): 64 of 190 pairs have identical flows both ways" in text
    assert "2025 (source label: partial)" in text
    assert "No year of the panel used in this report is flagged." in text


def test_scale_and_indices_tables(report: tuple[Path, str], kz: migflows.FlowPanel) -> None:
    _, page = report
    scale = table(page, "Bokayev–Akhmetova scale, 2022")  # most complete indicator year
    assert {"GRP per capita: points", "total points", "attractiveness 2024"} <= set(scale.columns)
    assert len(scale) == 20
    summary = {r[-7]: r[-6:] for r in rows(page, "Summary indices by year")[2:]}
    assert len(summary) == 13
    # crude migration probability 2023: 100 * 472,227 / 19,766,807 (sum of 1 January population)
    assert summary["crude migration probability (%)"][4] == "2.389"
    assert summary["crude migration probability (%)"][5] == "–"  # no population for 2024
    coef = table(page, "Arrivals / departures")
    b = balances(kz.flows)
    assert (
        coef.loc["Astana city", "2024"] == f"{b.loc[('astana_city', 2024), 'attractiveness']:.2f}"
    )


def test_selected_sections_only(tmp_path: Path, kz: migflows.FlowPanel) -> None:
    path = build_report(kz, tmp_path / "r.html", sections=["methods", "overview"], progress=False)
    page = path.read_text(encoding="utf-8")
    assert re.findall(r"<section id='([^']+)'>", page) == ["overview", "methods"]
    with pytest.raises(InvalidOptionError, match="Unknown report section 'nope'; available"):
        build_report(kz, tmp_path / "x.html", sections=["nope"], progress=False)
    assert not (tmp_path / "x.html").exists()


class _Probe:
    name = "probe"
    title = "Probe <section>"
    order = 55

    def __init__(self, behaviour: str = "ok") -> None:
        self.behaviour = behaviour

    def render(self, ctx: ReportContext) -> str:
        if self.behaviour == "skip":
            raise SectionSkipped("needs something <absent>")
        if self.behaviour == "error":
            raise NegativeFlowError("flows <must> be positive")
        draws = ctx.rng(self.name).integers(0, 1_000_000, size=3)
        return frame_html(pd.DataFrame({"text": ["<script>x</script>"], "n": [1234567.0]})) + (
            f"<p id='draws'>{','.join(map(str, draws))}</p>"
        )

    def methods(self, ctx: ReportContext) -> str:
        return "<p>probe assumptions</p>"


def test_registered_section_plugs_in(
    tmp_path: Path, kz: migflows.FlowPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    registry.register_section(_Probe())
    assert available_sections() == [
        *ALL_SECTIONS[:5],
        "probe",
        "gravity",
        "bayes",
        "panel",
        "abc_2000_2014",
        "forecast",
        "methods",
    ]
    with pytest.raises(InvalidOptionError, match="already registered"):
        registry.register_section(_Probe())
    page = build_report(
        kz, tmp_path / "r.html", sections=["probe", "methods"], random_seed=7, progress=False
    ).read_text(encoding="utf-8")
    assert "<h2>Probe &lt;section&gt;</h2>" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>" not in page
    assert "1,234,567" in page
    assert "<p>probe assumptions</p>" in page  # collected by the methods appendix
    draws = re.search(r"<p id='draws'>([^<]+)</p>", page)
    assert draws is not None
    expected = ReportContext(panel=kz, random_seed=7).rng("probe").integers(0, 1_000_000, size=3)
    assert draws.group(1) == ",".join(map(str, expected))
    assert ReportContext(panel=kz, random_seed=8).rng("probe").integers(0, 1_000_000) != expected[0]


@pytest.mark.parametrize(
    ("behaviour", "shown"),
    [
        ("skip", "Section left out: needs something &lt;absent&gt;"),
        ("error", "could not be produced: NegativeFlowError: flows &lt;must&gt; be positive"),
    ],
)
def test_failing_section_is_reported(
    tmp_path: Path, kz: migflows.FlowPanel, behaviour: str, shown: str
) -> None:
    page = build_report(
        kz, tmp_path / "r.html", sections=[_Probe(behaviour)], progress=False
    ).read_text(encoding="utf-8")
    assert shown in page


def test_report_on_user_data_without_geography(tmp_path: Path) -> None:
    flows = pd.DataFrame(
        {
            "origin": ["a", "b", "a", "c", "b", "c"] * 2,
            "destination": ["b", "a", "c", "a", "c", "b"] * 2,
            "year": [2020] * 6 + [2021] * 6,
            "flow": [10, 4, 3, 8, 6, 1, 12, 5, 2, 9, 7, 3],
        }
    )
    panel = migflows.FlowPanel.from_frame(flows)
    page = build_report(panel, tmp_path / "u.html", progress=False).read_text(encoding="utf-8")
    assert "No coordinates in the panel: the flow map is left out." in page
    assert "the scale is left out" in page
    assert "Internal migration in Kazakhstan" not in page
    net = table(page, "Net migration balance (persons)")
    assert net.loc["a", "2021"] == "0"  # arrivals 5 + 9, departures 12 + 2
    assert net.loc["b", "2021"] == "3"  # arrivals 12 + 3, departures 5 + 7


# ----------------------------------------------------------------------------- plots
def test_flow_map_draws_top_flows(kz: migflows.FlowPanel) -> None:
    fig = flow_map(kz, 2023, top=12)
    ax = fig.axes[0]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 12
    widths = [a.get_linewidth() for a in arrows]
    assert widths == sorted(widths)  # drawn from small to large flows
    top = kz.flows.query("year == 2023").nlargest(12, "flow")["flow"].to_numpy()
    np.testing.assert_allclose(widths[-1] / widths[0], (0.4 + 6.0) / (0.4 + 6.0 * top[-1] / top[0]))
    assert len(ax.texts) == 20 and {t.get_text() for t in ax.texts} == set(
        region_labels(kz).values()
    )
    close(fig)


def test_flow_map_errors(kz: migflows.FlowPanel) -> None:
    with pytest.raises(InvalidOptionError, match=r"year=1999 has no flows; available: \[2010"):
        flow_map(kz, 1999)
    plain = migflows.FlowPanel.from_frame(kz.flows)
    with pytest.raises(MissingRegionError, match="flow_map needs admin-centre coordinates"):
        flow_map(plain, 2023)


def test_net_balance_plot_bars_are_the_balances(kz: migflows.FlowPanel) -> None:
    fig = net_balance_plot(kz, years=[2021, 2023, 2024])
    assert len(fig.axes) == 3
    b = balances(kz.flows)["net"]
    for ax, year in zip(fig.axes, [2021, 2023, 2024], strict=True):
        bars = ax.containers[0]
        assert len(bars) == 20
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        by_label = {region_labels(kz)[k]: v for k, v in b.xs(year, level="year").items()}
        got = {lab: bar.get_width() for lab, bar in zip(labels, bars, strict=True)}
        assert got == pytest.approx(by_label)


def test_heatmap_and_other_plots(kz: migflows.FlowPanel) -> None:
    fig = od_heatmap(kz, 2023)
    image = next(a for a in fig.axes[0].get_children() if isinstance(a, AxesImage))
    data = np.ma.filled(image.get_array(), np.nan)
    assert np.nansum(data) == pytest.approx(472227)
    assert np.isnan(np.diag(data)).all()
    fig = attractiveness_plot(kz, years=[2023, 2024])
    assert fig.axes[0].get_xscale() == "log"
    scatters = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2  # one per year
    coef = balances(kz.flows)["attractiveness"].xs(2024, level="year")
    assert sorted(scatters[1].get_offsets()[:, 0]) == pytest.approx(sorted(coef))
    fig = national_totals_plot(kz, flagged={2023: "test"})
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights[4] == 472227 and len(heights) == 6


# ------------------------------------------------------------------ defects a reader would see


def page_defects(page: str, keys: list[str]) -> dict[str, list[str]]:
    """What must not reach a reader: Python reprs, snake_case headers, keys, '-0.000'."""
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    text = re.sub(r"<style>.*?</style>|<code>.*?</code>", " ", text, flags=re.S)
    headers = [h.strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", text, flags=re.S)]
    plain = re.sub(r"<[^>]+>", " ", text)
    # Names of sources, functions and presets are written as code in the methods; the
    # sources table names the source ids it cites (one per row), so those may stay.
    return {
        "python repr": re.findall(r"\{'\w+': [^}]*\}|\[\'\w+\', \'|\(\'\w+\', \'", plain),
        "minus zero": re.findall(r"(?<![\d.])-0\.0+(?![\d])|-0%", plain),
        "snake_case header": [h for h in headers if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", h)],
        "term name": re.findall(r"\w+::\w+:\w+", plain),
        "region key": [k for k in keys if "_" in k and re.search(rf"\b{k}\b", plain)],
        "scientific notation": re.findall(r"\b\d\.\d+e[-+]\d+\b", plain),
        "count as float": re.findall(
            r"(?<![\d.,])\d{1,3}(?:,\d{3})+\.0\b|(?<![\d.,])\d{3,}\.0\b", plain
        ),
    }


def test_report_reads_as_a_document(report: tuple[Path, str], kz: migflows.FlowPanel) -> None:
    _, page = report
    found = page_defects(page, kz.region_keys)
    assert found == {k: [] for k in found}


def test_report_on_user_table_reads_as_a_document(tmp_path: Path) -> None:
    keys = ["north_west", "south_east", "centre"]
    rows = [
        (o, d, y, 5 + 3 * i + j + (y - 2019))
        for y in (2020, 2021, 2022)
        for i, o in enumerate(keys)
        for j, d in enumerate(keys)
        if o != d
    ]
    panel = migflows.FlowPanel.from_frame(
        pd.DataFrame(rows, columns=["origin", "destination", "year", "flow"])
    )
    page = build_report(panel, tmp_path / "u.html", progress=False, fast=True).read_text(
        encoding="utf-8"
    )
    found = page_defects(page, keys)
    assert found == {k: [] for k in found}


def test_contents_list_only_the_sections_shown(report: tuple[Path, str]) -> None:
    _, page = report
    nav = re.search(r"<nav>(.*?)</nav>", page, flags=re.S)
    assert nav is not None
    listed = re.findall(r"href='#([\w-]+)'", nav.group(1))
    shown = re.findall(r"<section id='([\w-]+)'>", page)
    assert listed == shown
    # --fast leaves the Bayesian section out: said once at the top, not listed
    assert "bayes" not in listed
    assert "Not in this report" in page and "--fast skips posterior sampling" in page


def test_report_random_seed_and_the_old_seed_keyword(
    tmp_path: Path, kz: migflows.FlowPanel
) -> None:
    from migflows.studies.report_models import ReportModels

    # random_seed on the Python API, like every estimator; seed= still works for a release
    with pytest.warns(FutureWarning, match=r"build_report\(seed=\.\.\.\) is deprecated"):
        page = build_report(
            kz, tmp_path / "old.html", sections=["overview"], seed=3, progress=False
        ).read_text(encoding="utf-8")
    assert "<tr><th>random seed</th><td>3</td></tr>" in page
    with pytest.warns(FutureWarning, match="ReportContext"):
        ctx = ReportContext(panel=kz, seed=4)
    assert ctx.random_seed == 4
    same = ReportContext(panel=kz, random_seed=4)
    assert ctx.rng("x").integers(1000) == same.rng("x").integers(1000)
    with pytest.warns(FutureWarning, match="ReportModels"):
        assert ReportModels(kz, seed=5).random_seed == 5
    with pytest.raises(InvalidOptionError, match="seed twice"):
        ReportModels(kz, random_seed=1, seed=5)
    gen = np.random.default_rng(0)
    expected = int(np.random.default_rng(0).integers(2**63 - 1))
    assert ReportModels(kz, random_seed=gen).random_seed == expected  # a Generator: one draw


def test_readings_under_every_model_table(report: tuple[Path, str], kz: migflows.FlowPanel) -> None:
    _, page = report
    sections = dict(re.findall(r"<section id='([\w-]+)'>(.*?)</section>", page, flags=re.S))
    # every model section has sentences generated from its estimates
    for name in ("gravity", "panel", "abc_2000_2014"):
        assert (
            "not distinguishable from zero" in sections[name] or "(p &lt; 0.001)" in sections[name]
        ), name
    assert "In the backtest," in sections["forecast"]
    assert "the largest projected" in sections["forecast"]
    # the panel rates flip sign between FE and pooled: said with the models named
    assert "is positive in Pooled" in sections["panel"] and "negative in FE" in sections["panel"]
    assert "Caution: the estimates rest on 3 years (2020, 2021, 2023)" in sections["panel"]


def test_anomalies_are_discussed_where_shown(
    report: tuple[Path, str], kz: migflows.FlowPanel
) -> None:
    _, page = report
    sections = dict(re.findall(r"<section id='([\w-]+)'>(.*?)</section>", page, flags=re.S))
    totals = kz.flows.groupby("year")["flow"].sum()
    jump = totals[2024] / totals[2023] - 1  # the source's national totals, by pandas
    assert round(100 * jump) == 46
    assert (
        f"rose {jump:.0%} from 2023 to 2024 ({totals[2023]:,} → {totals[2024]:,} persons)"
        in html.unescape(sections["flows"])
    )
    net = kz.balances()["net"].unstack("year")
    astana = int(net.loc["astana_city", 2015])
    assert astana == -2463 and (net.loc["astana_city"].drop(2015) > 0).all()
    assert "Astana city had a positive net balance in every other year" in sections["balances"]
    assert f"but {astana:,} in 2015" in sections["balances"]


_NAME = r"[A-Z][a-zà-ÿ]+(?: [A-Z][a-zà-ÿ]+)?"
_AUTHORS = rf"{_NAME}(?:, {_NAME})*(?: (?:&|and) {_NAME})?(?: et al\.)?"


def cited_works(text: str) -> set[tuple[str, ...]]:
    """Every citation in ``text``: (surnames..., year) or (surnames...) for eponyms."""
    found: set[tuple[str, ...]] = set()
    patterns = (
        rf"({_AUTHORS}) \(((?:19|20)\d\d)[;)]",  # Bell et al. (2002), Hadri (2000; ...)
        rf"\(({_AUTHORS}),? ((?:19|20)\d\d)[;)]",  # (Santos Silva & Tenreyro 2006)
        rf"(?:after|see) ({_AUTHORS}),? ((?:19|20)\d\d)\b",  # after Aldashev & Dietz 2014
    )
    for pattern in patterns:
        for authors, year in re.findall(pattern, text):
            names = re.split(r", | & | and ", authors.replace(" et al.", ""))
            found.add((*names, year))
    for eponym in re.findall(r"\b([A-Z][a-z]+(?:–[A-Z][a-z]+)+)\b", text):  # Driscoll–Kraay
        found.add(tuple(eponym.split("–")))
    for name in re.findall(r"\b([A-Z][a-z]+)'s (?:k|test|index)\b", text):  # Courgeau's k
        found.add((name,))
    return found


def test_every_cited_work_is_in_the_reference_list(
    report: tuple[Path, str], tmp_path: Path, kz: migflows.FlowPanel
) -> None:
    _, page = report
    refs = re.search(r"<h3>References</h3><ul>(.*?)</ul>", page, flags=re.S)
    assert refs is not None
    entries = [html.unescape(e) for e in re.findall(r"<li>(.*?)</li>", refs.group(1))]
    body = page[: refs.start()]
    plain = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"data:image[^']+", "", body)))
    cited = cited_works(plain)
    # the extraction finds the citations the text makes (guards against a regex that
    # finds nothing and passes trivially)
    assert {("Santos Silva", "Tenreyro", "2006"), ("Bell", "2002"), ("Driscoll", "Kraay"),
            ("Courgeau",), ("Hadri", "2000")} <= cited  # fmt: skip
    missing = []
    for work in cited:
        *names, year = work if work[-1].isdigit() else (*work, "")
        if not any(all(n in e for n in names) and (not year or f"({year})" in e) for e in entries):
            missing.append(work)
    assert missing == [], missing
    # and every work listed is cited: its first author, or a software's name, is in the text
    uncited = [
        e
        for e in entries
        if e.split(",")[0] not in plain and e.split(":")[0].split()[-1] not in plain
    ]
    assert uncited == [], uncited
    # a section that is left out takes its references with it
    small = build_report(kz, tmp_path / "s.html", sections=["gravity", "methods"], progress=False)
    text = small.read_text(encoding="utf-8")
    assert "Santos Silva, J. M. C." in text and "Bell, M., Blake" not in text


def test_report_shows_few_cluster_inference(report: tuple[Path, str]) -> None:
    # computed in migflows/studies/report_inference.py; the sections only read it
    _, page = report
    for text in (
        "Wald: region-year gaps = 0",
        "Bootstrap p [95% CI], log_wage_ratio = 0 (origin clusters)",
        "The same differences by the restricted wild cluster bootstrap:",
        "First-stage F (log_rel_income)",
    ):
        assert text in page, text
