"""Report section: An–Becker–Cheng on the real period (regional panel 2000–2014)."""

from __future__ import annotations

from migflows.reports.formatting import frame_html, note_html, para
from migflows.reports.sections import ReportContext, SectionSkipped, register_section
from migflows.reports.tables import regression_table


@register_section
class ABC2000Section:
    """Net migration rates on income gaps, unemployment and uncertainty, boom vs crisis."""

    name = "abc_2000_2014"
    title = "An–Becker–Cheng on 2000–2014: boom vs crisis"
    order = 66

    def render(self, ctx: ReportContext) -> str:
        """Period slopes, the period-difference tests, the findings table, coverage, caveats."""
        if ctx.dataset != "kazakhstan":
            raise SectionSkipped(
                "the 2000-2014 regional panel is the embedded Kazakhstan one; run "
                "migflows.presets.an_becker_cheng(your_region_year_frame) on your own data"
            )
        res = ctx.results.an_becker_cheng_2000_2014
        m = res.model
        spans = ", ".join(f"{k} {a}–{b}" for k, (a, b) in res.periods.items())
        return "".join(
            [
                para(
                    f"Net migration per 1,000 mid-year residents of the {m.n_entities} regions "
                    f"of 2000–2017 on the log real-income ratio, the unemployment gap and "
                    f"relative income uncertainty, with slopes by period ({spans}), region and "
                    f"year effects, WLS by population; {m.nobs} region-years over "
                    f"{m.n_periods} years. Standard errors: Driscoll–Kraay (below) and "
                    "clustered by region (in the tests)."
                ),
                *[note_html(c, "warn") for c in res.caveats],
                frame_html(res.comparison, decimals=3),
                para("Wald tests of each period difference (crisis minus boom):"),
                frame_html(res.tests.reset_index(), decimals=4),
                *self._inference(ctx),
                para("The paper's qualitative findings next to ours:"),
                frame_html(res.findings.reset_index(), decimals=3),
                para("Coverage of the estimation sample:"),
                frame_html(res.coverage.reset_index(), decimals=0),
                para("Panel unit-root pre-tests on each series:"),
                frame_html(res.unit_roots.drop(columns=["note"]), decimals=3),
                *[note_html(n) for n in res.notes],
            ]
        )

    @staticmethod
    def _inference(ctx: ReportContext) -> list[str]:
        """Bootstrap p-values of the period differences and the IV check (first-stage F)."""
        inf = ctx.results.inference.periods
        parts = [
            para("The same differences by the restricted wild cluster bootstrap:"),
            frame_html(inf.bootstrap.reset_index(), decimals=4),
        ]
        if inf.iv is not None:
            table = regression_table({"IV (lagged income)": inf.iv}, stats=("nobs", *inf.iv_stats))
            parts.append(table.to_html())
        return parts + [note_html(n) for n in inf.notes]

    def methods(self, ctx: ReportContext) -> str:
        """What the 2000–2014 study assumes."""
        return para(
            "The 2000–2014 study uses total net migration by demographic balance (population "
            "change minus natural increase), which equals the BNS migration balance outside "
            "break years; income is per-capita cash income deflated by the regional CPI; "
            "period differences are tested by Wald tests under the model's covariance."
        )
