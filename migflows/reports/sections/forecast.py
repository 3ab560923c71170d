"""Report section: forecasts of regional migration balances with backtest results."""

from __future__ import annotations

import itertools

from migflows.reports.formatting import figure_html, frame_html, items_html, note_html, para
from migflows.reports.interpret import interpret_forecast
from migflows.reports.plot_style import region_labels
from migflows.reports.sections import ReportContext, register_section
from migflows.studies.report_models import (
    FAST_FORECAST_METHODS,
    FORECAST_HORIZON,
    FORECAST_METHODS,
    ForecastStudy,
)

HORIZON = FORECAST_HORIZON
METHODS = FORECAST_METHODS
FAST_METHODS = FAST_FORECAST_METHODS


def run_forecasts(ctx: ReportContext) -> ForecastStudy:
    """The forecast study this section shows: :attr:`ReportContext.results` ``.forecasts``.

    Fitted by :func:`migflows.studies.report_models.run_forecasts` (shorter with
    ``ctx.fast``), with the seed stream ``"forecast"`` of ``ctx.seed``.
    """
    return ctx.results.forecasts


@register_section
class ForecastSection:
    """Forecasts of arrivals, departures and net balances by region."""

    name = "forecast"
    title = "Forecasts of regional balances"
    order = 70

    def render(self, ctx: ReportContext) -> str:
        """Backtest table, ensemble forecast table and fan charts."""
        out = ctx.results.forecasts
        fc, bt = out.forecast, out.backtest
        methods = ", ".join(out.methods)
        years = ctx.panel.years
        summary = bt.summary()
        keep = [
            c
            for c in ("mase", "rmse", "bias", "coverage_80", "coverage_95", "crps")
            if c in summary
        ]
        net = fc.summary_frame(alpha=0.2)
        last = int(net.index.get_level_values("year").max())
        table = net[net.index.get_level_values("year") == last].droplevel("year")
        table = table.sort_values(table.columns[0])
        return "".join(
            [
                para(
                    f"Rolling-origin backtest (one year ahead) of the methods {methods}: mean "
                    f"absolute scaled error (MASE, scaled by the in-sample naive error; "
                    f"Hyndman & Koehler 2006), RMSE, bias, empirical coverage of the 80% and "
                    f"95% intervals and CRPS (Gneiting & Raftery 2007). Simple "
                    f"methods are hard to beat in short, irregular series; the coverage "
                    f"columns say how honest each method's intervals are."
                ),
                frame_html(
                    summary[keep],
                    decimals={
                        "mase": 2,
                        "rmse": 0,
                        "bias": 0,
                        "crps": 0,
                        "coverage_80": 0,
                        "coverage_95": 0,
                    },
                    percent=[c for c in keep if c.startswith("coverage_")],
                ),
                para(
                    f"Ensemble forecast (equal weights over {methods}) of net migration for "
                    f"{last}, with 80% intervals from the joint simulated trajectories; "
                    f"balances are rebalanced to sum to zero nationally in every draw."
                ),
                frame_html(table, decimals=0),
                items_html(
                    interpret_forecast(
                        table,
                        summary,
                        year=last,
                        level=0.8,
                        origins=bt.origins,
                        regions=region_labels(ctx.panel),
                    )
                ),
                figure_html(
                    fc.plot(labels=region_labels(ctx.panel)),
                    alt="Fan charts of net migration by region",
                    caption="Net migration balance (persons per year): observed years, ensemble "
                    "forecast and its 80% and 95% intervals; the y scales differ by region.",
                ),
                note_html(
                    "Horizons are calendar years after the last observed year; the flow "
                    f"years are {', '.join(map(str, years))}"
                    + (
                        ", irregular, which random walks and the Bayesian AR handle in "
                        "calendar time."
                        if any(b - a != 1 for a, b in itertools.pairwise(years))
                        else "."
                    )
                ),
            ]
        )

    def methods(self, ctx: ReportContext) -> str:
        """What the forecasting methods assume."""
        return para(
            "Forecasts: naive and drift random walks in calendar time; gravity — OD flows "
            "predicted by a pair and year fixed-effects PPML model with covariates carried "
            "forward (balances add up by construction); bayes_ar — a hierarchical AR(1) of "
            "net migration rates with partially pooled regional means, rebalanced to a zero "
            "national sum in proportion to population. Intervals are quantiles of simulated "
            "joint trajectories."
        )
