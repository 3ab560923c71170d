"""Report section: panel unit-root tests and rate regressions (An–Becker–Cheng style)."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.reports._format import frame_html, note_html, para
from migflows.reports.sections import ReportContext, SectionSkipped, register_section
from migflows.reports.tables import regression_table

UNIT_ROOT_VARIABLES = ("unemployment", "wage", "grp_pc", "population")


def unit_root_table(panel: FlowPanel) -> pd.DataFrame:
    """IPS (unit-root null) and Hadri (stationarity null) on the annual region series."""
    from migflows.estimation.unit_root.api import region_table, unit_root

    rows = []
    for variable in [v for v in UNIT_ROOT_VARIABLES if v in panel.attributes]:
        table = _longest_common_run(region_table(panel, variable), panel.region_keys)
        if table is None:
            continue
        series = table[variable]
        years = table.index.get_level_values("year")
        for test in ("ips", "hadri"):
            row: dict[str, Any] = {"variable": variable, "test": test.upper()}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = unit_root(
                        pd.DataFrame({variable: series.map(_log_if_level(variable))}),
                        variable,
                        test=test,
                        trend="c",
                        lags=1 if test == "ips" else "aic",
                    )
                row |= {
                    "years": f"{int(years.min())}–{int(years.max())}",
                    "statistic": res.statistic,
                    "p-value": res.pvalue,
                    "H0": res.null_hypothesis,
                }
            except Exception as err:  # a test that cannot run says why in the table
                row |= {"H0": f"not run: {err}"}
            rows.append(row)
    if not rows:
        raise SectionSkipped(
            "no region attribute has five consecutive years for every region (unemployment, "
            "wage, GRP per capita or population)"
        )
    return pd.DataFrame(rows).set_index(["variable", "test"])


def _longest_common_run(table: pd.DataFrame, regions: list[str]) -> pd.DataFrame | None:
    """Rows of the longest run of consecutive years in which every region has a value.

    Unit-root tests need consecutive periods; masked values (e.g. two Akmola wages in the
    embedded data) would otherwise stop the test for every region.
    """
    have = table.index.to_frame(index=False)
    counts = have.groupby("year")["region"].nunique()
    full = sorted(int(str(y)) for y, n in counts.items() if n == len(regions))
    best: list[int] = []
    run: list[int] = []
    for year in full:
        run = [*run, year] if run and year == run[-1] + 1 else [year]
        if len(run) > len(best):
            best = run
    if len(best) < 5:
        return None
    keep = table.index.get_level_values("year").isin(best)
    return table[keep]


def _log_if_level(variable: str) -> Any:
    import numpy as np

    if variable in ("wage", "grp_pc", "population"):
        return lambda v: float(np.log(v)) if v > 0 else float("nan")
    return lambda v: v


def fit_rate_models(panel: FlowPanel) -> dict[str, Any]:
    """Region-level net migration rate regressions (pooled, FE, RE) on complete years."""
    from migflows.estimation.panel.api import panel as fit_panel

    needed = [a for a in ("population", "wage", "unemployment") if a in panel.attributes]
    if "population" not in needed or len(needed) < 2:
        raise SectionSkipped("the data lack population and wages or unemployment")
    years = panel.complete_years(*needed)
    if len(years) < 2:
        raise SectionSkipped("fewer than two flow years have every covariate")
    sub = panel.select(years=years)
    rhs = " + ".join(
        t for t, a in (("log_rel_wage", "wage"), ("unemployment", "unemployment")) if a in needed
    )
    models = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, estimator, effects in (
            ("Pooled", "pooled", ""),
            ("FE (entity + time)", "fe", " | entity + time"),
            ("RE", "re", ""),
        ):
            models[label] = fit_panel(
                f"net_rate ~ {rhs}{effects}",
                sub,
                estimator,  # type: ignore[arg-type]
                weights="population",
                vcov={"cluster": "entity"},
            )
    return {"models": models, "years": years}


@register_section
class PanelSection:
    """Panel unit-root tests and regressions of regional migration rates."""

    name = "panel"
    title = "Panel models and unit-root tests"
    order = 65

    def render(self, ctx: ReportContext) -> str:
        """Unit-root table, rate regressions and the An–Becker–Cheng-style comparison."""
        panel = ctx.panel
        parts = [
            para(
                "Stationarity pre-tests on the annual regional series (logs of wages, GRP per "
                "capita and population) over the longest run of years with data for every "
                "region: Im–Pesaran–Shin (null: every series has a unit root) and Hadri (null: "
                "every series is stationary), with individual intercepts."
            ),
            frame_html(ctx.cached("unit_roots", lambda: unit_root_table(panel)), decimals=3),
        ]
        fitted = ctx.cached("rate_models", lambda: fit_rate_models(panel))
        years = ", ".join(map(str, fitted["years"]))
        parts += [
            para(
                f"Net migration rate per 1,000 (regional level, flow years {years}) on the log "
                f"wage relative to the national population-weighted mean and unemployment; WLS "
                f"weighted by population, standard errors clustered by region."
            ),
            regression_table(fitted["models"], stats=("nobs", "rsquared", "vcov")).to_html(),
        ]
        hausman_html = self._hausman(fitted["models"])
        if hausman_html:
            parts.append(hausman_html)
        if ctx.dataset == "kazakhstan":
            parts.append(self._abc())
        return "".join(parts)

    @staticmethod
    def _hausman(models: dict[str, Any]) -> str:
        from migflows.estimation.panel.results import hausman

        fe, re_ = models.get("FE (entity + time)"), models.get("RE")
        if fe is None or re_ is None:
            return ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                h = hausman(fe, re_)
        except Exception as err:
            return note_html(f"Hausman test not computed: {err}")
        return para(
            f"Hausman test, FE against RE: statistic {h.statistic:.3f} with {h.df} degrees of "
            f"freedom, p-value {h.pvalue:.3f}."
        )

    @staticmethod
    def _abc() -> str:
        from migflows.studies.an_becker_cheng import an_becker_cheng

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = an_becker_cheng()
        return "".join(
            [
                para(
                    "An–Becker–Cheng-style pairwise rate regressions with period-specific "
                    "slopes (log rate per 1,000 of the origin population; pair and year "
                    "effects; WLS by origin population). The paper's 2000–2007 boom and "
                    "2008–2014 crisis cannot be reproduced on these flow years, so the "
                    "periods are early (2010–2015) and late (2020–2024)."
                ),
                frame_html(res.comparison, decimals=3),
                para("Which elements follow the paper and which are our choices:"),
                frame_html(res.specification, decimals=3),
                *[note_html(n) for n in res.notes],
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
            "keep the tests' size close to nominal in short panels."
        )
