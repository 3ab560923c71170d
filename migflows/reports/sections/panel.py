"""Report section: panel unit-root tests and rate regressions (An–Becker–Cheng style)."""

from __future__ import annotations

import warnings
from typing import Any

from migflows.reports.formatting import frame_html, items_html, note_html, para
from migflows.reports.interpret import interpret_models
from migflows.reports.labels import label, relabel_text
from migflows.reports.sections import ReportContext, register_section
from migflows.reports.tables import regression_table
from migflows.studies import report_models

UNIT_ROOT_VARIABLES = report_models.UNIT_ROOT_VARIABLES
_MOVED = ("fit_rate_models", "unit_root_table")


def __getattr__(name: str) -> Any:
    """``fit_rate_models`` and ``unit_root_table`` moved to :mod:`migflows.studies`."""
    if name in _MOVED:
        warnings.warn(
            f"migflows.reports.sections.panel.{name} moved to "
            f"migflows.studies.report_models.{name}; the old place will be removed in the "
            f"next release.",
            FutureWarning,
            stacklevel=2,
        )
        return getattr(report_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _unit_root_text(table: Any) -> str:
    """What the unit-root table tests, from its rows: which series in logs, the lag rule."""
    variables = list(dict.fromkeys(table.index.get_level_values("variable")))
    logged = [str(label(v)) for v in variables if v in report_models.UNIT_ROOT_LOGGED]
    levels = [str(label(v)) for v in variables if v not in report_models.UNIT_ROOT_LOGGED]
    series = "; ".join(
        part
        for part in (
            f"in logs: {', '.join(logged)}" if logged else "",
            f"as they are: {', '.join(levels)}" if levels else "",
        )
        if part
    )
    return (
        f"Stationarity pre-tests on the annual regional series ({series}), each over the "
        "longest run of consecutive years with data for every region: Im–Pesaran–Shin "
        "(Im, Pesaran & Shin 2003; null: every series has a unit root; W-tbar statistic, one "
        "lag of the differenced series in every Dickey–Fuller regression) and Hadri (2000; "
        "null: every series is stationary; region-specific error variances, no lags), with "
        "individual intercepts."
    )


@register_section
class PanelSection:
    """Panel unit-root tests and regressions of regional migration rates."""

    name = "panel"
    title = "Panel models and unit-root tests"
    order = 65

    def render(self, ctx: ReportContext) -> str:
        """Unit-root table, rate regressions and the An–Becker–Cheng-style comparison."""
        parts = [
            para(_unit_root_text(ctx.results.unit_roots)),
            frame_html(ctx.results.unit_roots, decimals=3),
        ]
        fitted = ctx.results.rates
        years = ", ".join(map(str, fitted.years))
        parts += [
            para(
                f"Net migration rate per 1,000 (regional level, flow years {years}) on the log "
                f"wage relative to the national population-weighted mean and unemployment; WLS "
                f"weighted by population, standard errors clustered by region."
            ),
            regression_table(
                fitted.models, stats=("nobs", "rsquared", "vcov"), labels="auto"
            ).to_html(),
            "<h3>Reading the estimates</h3>",
            items_html(
                interpret_models(
                    fitted.models, years=fitted.years, log_link=False,
                    outcome="the net migration rate (per 1,000)",
                    identification="pooled and random effects compare regions with each "
                    "other, fixed effects use only changes within each region over time, "
                    "which few years make small and noisy",
                )
            ),
        ]  # fmt: skip
        h = fitted.hausman
        if h is not None and h.statistic < 0:
            parts.append(
                note_html(
                    f"Hausman (1978) test, FE against RE: the statistic is negative "
                    f"({h.statistic:.3f}) because the difference of the two covariances is not "
                    f"positive definite (see the warning above); it is not a valid chi2 test "
                    f"and no p-value is shown.",
                    "warn",
                )
            )
        elif h is not None:
            parts.append(
                para(
                    f"Hausman (1978) test, FE against RE: statistic {h.statistic:.3f} with {h.df} "
                    f"degrees of freedom, p-value {h.pvalue:.3f}."
                )
            )
        elif fitted.hausman_error is not None:
            parts.append(note_html(f"Hausman test not computed: {fitted.hausman_error}"))
        if ctx.dataset == "kazakhstan":
            parts.append(self._abc(ctx))
        return "".join(parts)

    @staticmethod
    def _abc(ctx: ReportContext) -> str:
        res = ctx.results.an_becker_cheng
        return "".join(
            [
                para(
                    "An–Becker–Cheng-style (An, Becker & Cheng 2017) pairwise rate regressions "
                    "with period-specific "
                    "slopes (log rate per 1,000 of the origin population; pair and year "
                    "effects; WLS by origin population). The paper's 2000–2007 boom and "
                    "2008–2014 crisis cannot be reproduced on these flow years, so the "
                    "periods are early (2010–2015) and late (2020–2024)."
                ),
                frame_html(res.comparison, decimals=3),
                items_html(
                    interpret_models(
                        {"the period model": res.model},
                        outcome="moves per 1,000 of the origin population",
                        period_years={
                            k: [y for y in ctx.panel.years if a <= y <= b]
                            for k, (a, b) in res.periods.items()
                        },
                    )
                ),
                para("Which elements follow the paper and which are our choices:"),
                frame_html(res.specification, decimals=3, relabel_values=True),
                *[note_html(relabel_text(n)) for n in res.notes],
            ]
        )

    def methods(self, ctx: ReportContext) -> str:
        """What the panel models assume."""
        return para(
            "Panel regressions are fitted with linearmodels (fixed, random, pooled); fixed "
            "effects remove time-invariant regional traits; random effects assume them "
            "uncorrelated with the regressors (the Hausman test compares the two). With few "
            "flow years, the within estimates rest on little variation. Unit-root tests follow "
            "plm::purtest, with the residual-variance and long-run-variance conventions that "
            "keep the tests' size close to nominal in short panels (Croissant & Millo 2008)."
        )
