"""Report section: the Bayesian hierarchical gravity model next to PPML (skipped by --fast)."""

from __future__ import annotations

import pandas as pd

from migflows.reports.formatting import figure_html, frame_html, note_html, para
from migflows.reports.sections import ReportContext, SectionSkipped, register_section
from migflows.reports.tables import regression_table
from migflows.studies.report_models import BAYES_FORMULA, BayesStudy

FORMULA = BAYES_FORMULA


def fit_bayes(ctx: ReportContext) -> BayesStudy:
    """The Bayesian study this section shows: :attr:`ReportContext.results` ``.bayes``."""
    return ctx.results.bayes


@register_section
class BayesSection:
    """Bayesian hierarchical gravity model (PyMC)."""

    name = "bayes"
    title = "Bayesian hierarchical gravity model"
    order = 62

    def render(self, ctx: ReportContext) -> str:
        """Posterior table next to PPML, convergence diagnostics, trace plot."""
        if ctx.fast:
            raise SectionSkipped("--fast skips posterior sampling")
        out = ctx.results.bayes
        bayes, ppml = out.bayes, out.ppml
        stats = bayes.stats
        diag = {
            "divergences": stats.get("divergences"),
            "largest R-hat": stats.get("rhat_max"),
            "smallest bulk ESS": stats.get("ess_bulk_min"),
            "elpd (LOO)": stats.get("elpd_loo"),
        }
        parts = [
            para(
                f"Negative binomial gravity model with partially pooled origin and destination "
                f"effects and year effects (PyMC NUTS, {out.chains} chains × {out.draws} "
                f"draws), years {', '.join(map(str, out.years))}, next to PPML with the same "
                f"regressors "
                f"and absorbed origin, destination and year effects."
            ),
            regression_table({"Bayes NB2 (posterior)": bayes, "PPML": ppml}).to_html(),
            frame_html(pd.DataFrame({"value": diag}), decimals=3),
            figure_html(
                bayes.plot_trace(),
                alt="Trace and posterior densities of the Bayesian gravity model",
                caption="Traces and marginal posteriors (slopes, intercept, hyperparameters).",
            ),
        ]
        if (stats.get("rhat_max") or 0) > 1.01 or (stats.get("divergences") or 0) > 0:
            parts.append(
                note_html(
                    "Convergence is not clean at these draws (R-hat above 1.01 or divergent "
                    "transitions): run more draws or chains before relying on the posterior."
                )
            )
        return "".join(parts)

    def methods(self, ctx: ReportContext) -> str:
        """What the Bayesian model assumes."""
        return para(
            "Bayesian gravity: flows are negative binomial (variance mu + alpha mu²) with a log "
            "mean that is linear in standardized regressors (Normal(0, 2.5) priors), "
            "origin and destination effects drawn from zero-centred normals with estimated "
            "scales (partial pooling), and year effects; sampled with NUTS in PyMC."
        )
