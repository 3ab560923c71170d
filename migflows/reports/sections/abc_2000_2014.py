"""Report section: An–Becker–Cheng on the real period (regional panel 2000–2014)."""

from __future__ import annotations

from migflows.reports.formatting import frame_html, items_html, note_html, para
from migflows.reports.interpret import interpret_models
from migflows.reports.labels import relabel_text
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
                    f"{m.n_periods} years. Standard errors: Driscoll–Kraay (1998; below) and "
                    "clustered by region (in the tests)."
                ),
                *[note_html(relabel_text(c), "warn") for c in res.caveats],
                frame_html(res.comparison, decimals=3),
                items_html(
                    interpret_models(
                        {"the Driscoll–Kraay model": m},
                        log_link=False,
                        outcome="net migration (per 1,000 residents)",
                        period_years={k: range(a, b + 1) for k, (a, b) in res.periods.items()},
                    )
                ),
                para("Wald tests of each period difference (crisis minus boom):"),
                frame_html(res.tests.reset_index(), decimals=4, index=False, relabel_values=True),
                *self._inference(ctx),
                para("The paper's qualitative findings next to ours:"),
                frame_html(
                    res.findings.reset_index(), decimals=3, index=False, relabel_values=True
                ),
                para("Coverage of the estimation sample:"),
                frame_html(res.coverage.reset_index(), decimals=0, index=False),
                para("Panel unit-root pre-tests on each series:"),
                frame_html(
                    res.unit_roots.drop(columns=["note"]),
                    decimals=3,
                    index=False,
                    relabel_values=True,
                ),
                *[note_html(relabel_text(n)) for n in res.notes],
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
