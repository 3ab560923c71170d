"""Report section: gravity models side by side, with a coefficient plot and a counterfactual."""

from __future__ import annotations

import warnings
from typing import Any

from migflows.reports.formatting import figure_html, frame_html, items_html, note_html, para
from migflows.reports.interpret import interpret_models
from migflows.reports.model_plots import coef_plot, fit_plot
from migflows.reports.plots import region_labels
from migflows.reports.sections import ReportContext, register_section
from migflows.reports.tables import regression_table


def __getattr__(name: str) -> Any:
    """``fit_gravity_models`` moved to :mod:`migflows.studies.report_models` (FutureWarning)."""
    if name == "fit_gravity_models":
        from migflows.studies import report_models

        warnings.warn(
            "migflows.reports.sections.gravity.fit_gravity_models moved to "
            "migflows.studies.report_models.fit_gravity_models; the old place will be removed "
            "in the next release.",
            FutureWarning,
            stacklevel=2,
        )
        return report_models.fit_gravity_models
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@register_section
class GravitySection:
    """Gravity models of the flows (PPML with fixed effects, log-OLS for comparison)."""

    name = "gravity"
    title = "Gravity models"
    order = 60

    def render(self, ctx: ReportContext) -> str:
        """Lay out the gravity study's table, plots and counterfactual."""
        study = ctx.results.gravity
        models = study.models
        years = ", ".join(map(str, study.years))
        parts = [
            para(
                f"Poisson pseudo-maximum likelihood (PPML) gravity models on the years with "
                f"complete covariates ({years}); standard errors clustered by origin–"
                f"destination pair. The models are the presets gravity_structural, "
                f"gravity_regional and gravity_pair of migflows.presets, fitted on these "
                f"years. The structural model absorbs every region-year factor by "
                f"origin-year and destination-year effects, so only distance is identified; "
                f"the regional model identifies wage, GRP and unemployment gaps from changes "
                f"within regions over time; the pair model from changes within pairs."
            ),
            regression_table(
                models, labels="auto", tests=ctx.results.inference.gravity.tests
            ).to_html(),
            para(
                "Few clusters: the bootstrap row tests a zero wage-gap effect with one "
                "cluster per origin region (restricted score bootstrap for PPML, restricted "
                "wild cluster bootstrap for log-OLS), with the interval that inverts the test."
            ),
            "<h3>Reading the estimates</h3>",
            items_html(
                interpret_models(
                    models,
                    years=study.years,
                    identification="the structural model identifies only distance, the "
                    "regional model uses changes within regions over time, the pair model "
                    "changes within pairs, and log-OLS fits logs of the flows, which weighs them "
                    "differently and is biased when their variance changes with their size",
                )
            ),
            figure_html(
                coef_plot(models, keep=[r"^(?!Intercept)"], labels="auto"),
                alt="Coefficients of the gravity models with 95% intervals",
                caption="Estimates with 95% confidence intervals.",
            ),
            figure_html(
                fit_plot(models["PPML structural"]),
                alt="Observed against fitted flows, structural PPML model",
                caption="Observed against fitted flows (structural PPML), log scales.",
            ),
        ]
        parts += [note_html(f"{label} left out: {why}.") for label, why in study.left_out.items()]
        parts += [note_html(n, "warn") for n in ctx.results.inference.gravity.notes]
        regional, cf = models.get("PPML regional"), study.counterfactual
        target = study.counterfactual_region
        if regional is not None and cf is not None and target is not None:
            shown = region_labels(study.panel).get(target, target)
            balances = cf.balances[["net_baseline", "net_counterfactual", "net_change"]]
            in_target = balances.index.get_level_values("region") == target
            bal = balances[in_target].droplevel("region")
            parts.append(
                para(
                    f"Counterfactual (partial equilibrium, fixed effects held): wages in "
                    f"{shown} 10% higher, with the regional model's wage-gap elasticity "
                    f"{regional.params['log_wage_ratio']:.3f}."
                )
            )
            parts.append(frame_html(bal, decimals=0))
        if any(len(m.dropped) for m in models.values()):
            parts.append(
                note_html(
                    "Some observations were left out (missing covariates or separation); "
                    "results.dropped lists them with the reason."
                )
            )
        return "".join(parts)

    def methods(self, ctx: ReportContext) -> str:
        """What the gravity models assume."""
        return para(
            "Gravity: expected flows are exp(x'b + fixed effects); PPML (Santos Silva & "
            "Tenreyro 2006) is consistent whenever the conditional mean is right, keeps zero "
            "flows and is computed as in ppmlhdfe (Correia, Guimarães & Zylkin 2020) with "
            "separated observations and singletons removed. Log-OLS drops zero flows and is "
            "biased under heteroskedasticity; it is shown for comparison. Counterfactuals "
            "hold the fixed effects, including multilateral-resistance terms, at their "
            "estimates (partial equilibrium)."
        )
