"""Report section: the Bayesian hierarchical gravity model next to PPML (skipped by --fast)."""

from __future__ import annotations

import pandas as pd

from migflows.reports.formatting import figure_html, frame_html, items_html, note_html, para
from migflows.reports.interpret import interpret_models
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
        """Posterior next to PPML, the convergence gates, rank plots, PPC and its coverage."""
        if ctx.fast:
            raise SectionSkipped("--fast skips posterior sampling")
        out = ctx.results.bayes
        bayes, ppml = out.bayes, out.ppml
        gates = bayes.gates
        passed = bool(gates["passed"].all())
        gate_rows = pd.DataFrame(
            {
                "worst value": gates["value"].astype(float),
                "parameter": gates["parameter"],
                "gate": ["<= 1.01", ">= 400", ">= 400", "= 0"],
                "passed": gates["passed"].map({True: "yes", False: "NO"}),
            },
            index=["largest R-hat", "smallest bulk ESS", "smallest tail ESS", "divergences"],
        )
        parts = [
            para(
                f"Negative binomial gravity model with partially pooled origin and destination "
                f"effects and year effects ({out.chains} chains × {out.draws} draws, sampler "
                f"{bayes.sampler or 'PyMC'}), years {', '.join(map(str, out.years))}, next to "
                f"PPML with the same regressors and absorbed origin, destination and year "
                f"effects."
            ),
            regression_table(
                {"Bayes NB2 (posterior)": bayes, "PPML": ppml}, labels="auto"
            ).to_html(),
            items_html(
                interpret_models(
                    {"the posterior": bayes, "PPML": ppml},
                    years=out.years,
                    identification="the posterior pools region effects towards each other "
                    "while PPML estimates each freely, and its priors shrink weakly identified "
                    "slopes",
                )
            ),
            para(
                "Convergence gates over every reported parameter (slopes, intercept, "
                "hyperparameters and each region's effect): "
                + ("all pass." if passed else "at least one fails (see the note below).")
            ),
            frame_html(gate_rows, decimals=3),
            figure_html(
                bayes.plot_rank(),
                alt="Rank plots of the chains of the Bayesian gravity model",
                caption="Rank plots: uniform histograms for every chain mean the chains mix.",
            ),
            figure_html(
                bayes.plot_ppc(num_samples=50),
                alt="Posterior predictive check of the flows",
                caption="Posterior predictive densities of log(1 + flow) against the observed.",
            ),
        ]
        if out.coverage is not None:
            cov = out.coverage
            overall = cov.iloc[0]  # the ("all", "all") row comes first
            worst = cov.iloc[1:]["90%"].nsmallest(3)
            lowest = [f"{by_region[1]} ({by_region[0]}) {v:.0%}" for by_region, v in zip(
                worst.index.tolist(), worst.tolist(), strict=True)]  # fmt: skip
            parts.append(
                para(
                    f"Posterior predictive coverage of the observed flows: "
                    f"{overall['50%']:.0%} inside the 50 % intervals and {overall['90%']:.0%} "
                    f"inside the 90 % intervals; lowest 90 % coverage by region: "
                    + ", ".join(lowest)
                    + "."
                )
            )
        if out.elpd is not None:
            e = out.elpd
            parts.append(
                para(
                    f"PSIS-LOO (Vehtari, Gelman & Gabry 2017): elpd {e['elpd_loo']:.1f} "
                    f"(se {e['se']:.1f}), effective number of parameters {e['p_loo']:.1f}, "
                    f"{e['pareto_k_bad']} flow(s) with a high Pareto k."
                )
            )
        if not passed:
            failed = ", ".join(gate_rows.index[~gates["passed"].to_numpy()])
            parts.append(
                note_html(
                    f"Convergence gate(s) failed: {failed}. Do not rely on this posterior; "
                    f"the warning of bayes_gravity names the parameter and the fix."
                )
            )
        return "".join(parts)

    def methods(self, ctx: ReportContext) -> str:
        """What the Bayesian model assumes."""
        return para(
            "Bayesian gravity: flows are negative binomial (variance mu + alpha mu²) with a log "
            "mean that is linear in standardized regressors (Normal(0, 2.5) priors), "
            "origin and destination effects drawn from zero-centred normals with estimated "
            "scales (partial pooling), and year effects; sampled with NUTS (nutpie when "
            "installed) with the regressors centred within the effects, which leaves the "
            "posterior unchanged and removes the trade-off between slopes and region effects."
        )
