"""Report section: gravity models side by side, with a coefficient plot and a counterfactual."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.reports._format import figure_html, frame_html, note_html, para
from migflows.reports.model_plots import coef_plot, fit_plot
from migflows.reports.plots import region_labels
from migflows.reports.sections import ReportContext, SectionSkipped, register_section
from migflows.reports.tables import regression_table

# Region attributes and the pair covariate each contributes to the regional specification.
DRIVERS = {
    "wage": "log_wage_ratio",
    "grp_pc": "log_grp_pc_ratio",
    "unemployment": "unemp_diff",
}


def fit_gravity_models(panel: FlowPanel) -> dict[str, Any]:
    """The report's gravity models on the years with complete covariates.

    Returns a dict with the fitted models by column title, the drivers used and the years.
    """
    from migflows.estimation.gravity.api import gravity

    if panel.distances is None:
        raise SectionSkipped("the data have no distances or coordinates")
    drivers = [a for a in DRIVERS if a in panel.attributes]
    drivers_all = drivers + (["population"] if "population" in panel.attributes else [])
    years = panel.complete_years(*drivers_all)
    while len(years) < 2 and drivers_all:  # drop the scarcest attribute until 2 years remain
        cov = panel.coverage()
        drivers_all.remove(min(drivers_all, key=lambda a: cov.loc[a].mean()))
        drivers = [d for d in drivers if d in drivers_all]
        years = panel.complete_years(*drivers_all)
    sub = panel.select(years=years) if len(years) >= 2 else panel
    terms = [DRIVERS[d] for d in drivers]
    if "population" in drivers_all:
        terms += ["log_pop_o", "log_pop_d"]
    models: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models["PPML structural"] = gravity(
            "flow ~ log_dist | orig^year + dest^year", sub, vcov={"CRV1": "pair"}
        )
        if terms and len(sub.years) >= 2:
            rhs = " + ".join([*terms, "log_dist"])
            models["PPML regional"] = gravity(
                f"flow ~ {rhs} | orig + dest + year", sub, vcov={"CRV1": "pair"}
            )
            pair_terms = " + ".join(t for t in terms if not t.startswith("log_pop"))
            if pair_terms:
                models["PPML pair"] = gravity(
                    f"flow ~ {pair_terms} | orig^dest + year", sub, vcov={"CRV1": "pair"}
                )
            models["OLS regional"] = gravity(
                f"flow ~ {rhs} | orig + dest + year", sub, "ols", vcov={"CRV1": "pair"}
            )
    return {"models": models, "years": sub.years, "drivers": drivers, "panel": sub}


@register_section
class GravitySection:
    """Gravity models of the flows (PPML with fixed effects, log-OLS for comparison)."""

    name = "gravity"
    title = "Gravity models"
    order = 60

    def render(self, ctx: ReportContext) -> str:
        """Fit the models and lay out the table, plots and a counterfactual."""
        fitted = ctx.cached("gravity_models", lambda: fit_gravity_models(ctx.panel))
        models = fitted["models"]
        years = ", ".join(map(str, fitted["years"]))
        parts = [
            para(
                f"Poisson pseudo-maximum likelihood (PPML) gravity models on the years with "
                f"complete covariates ({years}); standard errors clustered by origin–"
                f"destination pair. The structural model absorbs every region-year factor by "
                f"origin-year and destination-year effects, so only distance is identified; "
                f"the regional model identifies wage, GRP and unemployment gaps from changes "
                f"within regions over time; the pair model from changes within pairs."
            ),
            regression_table(models).to_html(),
            figure_html(
                coef_plot(models, keep=[r"^(?!Intercept)"]),
                alt="Coefficients of the gravity models with 95% intervals",
                caption="Estimates with 95% confidence intervals.",
            ),
            figure_html(
                fit_plot(models["PPML structural"]),
                alt="Observed against fitted flows, structural PPML model",
                caption="Observed against fitted flows (structural PPML), log scales.",
            ),
        ]
        regional = models.get("PPML regional")
        if regional is not None and "log_wage_ratio" in regional.params.index:
            target = _lowest_wage_region(fitted["panel"])
            shown = region_labels(fitted["panel"]).get(target, target)
            cf = regional.counterfactual({"wage": {target: 1.10}})
            bal = cf.balances.xs(target, level="region")[
                ["net_baseline", "net_counterfactual", "net_change"]
            ]
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


def _lowest_wage_region(panel: FlowPanel) -> str:
    regions = panel.regions
    assert regions is not None
    last = max(panel.years)
    wage = regions["wage"].xs(last, level="year").reindex(panel.region_keys)
    return str(pd.Series(wage).idxmin())
