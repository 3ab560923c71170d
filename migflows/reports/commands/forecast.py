"""``migflows forecast``: forecast regional migration balances from the shell."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from migflows.reports.commands import BUILTIN_METHODS, COMMAND_HELP, RegistryChoices
from migflows.reports.commands.inputs import add_input_options, check_out, read_input, write_out


def register(subparsers: Any) -> None:
    """Add the ``forecast`` sub-command (no estimator imported: ``--help`` starts at once)."""
    parser = subparsers.add_parser(
        "forecast",
        help=COMMAND_HELP["forecast"],
        description="Forecast regional migration balances on the embedded Kazakhstan data or a "
        "flow file. Prints the point forecast and interval by region and year (net balance by "
        "default). Net balances add up to zero nationally. Exit status 0 on success, 2 on "
        "invalid input.",
    )
    parser.add_argument(
        "--method",
        choices=RegistryChoices("migflows.estimation.forecast.api", "METHODS", BUILTIN_METHODS),
        default="naive",
        metavar="METHOD",
        help="forecasting method: %(choices)s (default: naive)",
    )
    parser.add_argument(
        "--horizon", type=int, default=3, metavar="YEARS", help="years ahead (default: 3)"
    )
    parser.add_argument(
        "--level",
        type=interval_level,
        default=0.8,
        metavar="P",
        help="interval level as a percentage (80) or a fraction (0.8); default: 80",
    )
    parser.add_argument(
        "--variable",
        default=None,
        metavar="NAME",
        help="arrivals, departures or net (default: net)",
    )
    parser.add_argument(
        "--sims", type=int, default=1000, metavar="N", help="simulated trajectories (default: 1000)"
    )
    parser.add_argument(
        "--gaps",
        choices=("error", "interpolate", "sequence"),
        default="error",
        help="ets/arima on irregular years: refuse (default), interpolate, or treat the "
        "observed years as consecutive",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default: 0)")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="FILE",
        help="flow file (default: the embedded Kazakhstan data)",
    )
    parser.add_argument(
        "--years",
        type=int,
        nargs="+",
        default=None,
        metavar="YEAR",
        help="years to use (default: all years of the data)",
    )
    parser.add_argument(
        "--format", choices=("text", "csv"), default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="write to FILE instead of stdout"
    )
    add_input_options(parser)
    parser.set_defaults(handler=run_forecast)


UNITS = {"net": "net migration balance", "arrivals": "arrivals", "departures": "departures"}


def interval_level(text: str) -> float:
    """``"80"`` or ``"0.8"`` -> 0.8; anything outside (0, 100) is refused.

    Examples
    --------
    >>> interval_level("80"), interval_level("0.95"), interval_level("99.5")
    (0.8, 0.95, 0.995)
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (use 80 or 0.8)") from None
    if 1 < value < 100:
        value /= 100
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an interval level: give a percentage between 0 and 100 (80) or a "
            "fraction between 0 and 1 (0.8)"
        )
    return round(value, 10)


def run_forecast(args: argparse.Namespace) -> int:
    """Forecast and print; returns the exit status."""
    from migflows.data.kazakhstan import load_kazakhstan
    from migflows.estimation.forecast.api import forecast

    check_out(args.out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.data is None:
            panel = load_kazakhstan(years=args.years)
        else:
            panel = read_input(args.data, args)
            if args.years:
                panel = panel.select(years=args.years)
        fc = forecast(
            panel,
            method=args.method,
            horizon=args.horizon,
            level=(args.level,),
            n_sims=args.sims,
            random_seed=args.seed,
            progress=False,
            gaps=args.gaps,
        )
    for w in caught:
        print(f"migflows: warning: {w.message}", file=sys.stderr)
    variable = args.variable or ("net" if "net" in fc.variables else fc.variables[-1])
    frame = fc.summary_frame(alpha=1 - args.level, variable=variable)
    pct = f"{args.level * 100:g}%"
    what = UNITS.get(variable, variable)
    header = (
        f"{what} (persons per year) by region: {args.method} forecast, {pct} interval, "
        f"{args.horizon} year(s) ahead of {panel.years[-1]}"
    )
    if args.format == "csv":  # machine-readable: statsmodels' summary_frame column names
        text = frame.to_csv()
    else:
        from migflows.reports.plot_style import region_labels

        shown = frame.rename(index=region_labels(panel), level="region").rename(
            columns={
                "mean": "forecast",
                "mean_se": "std. error",
                "mean_ci_lower": f"{pct} lower",
                "mean_ci_upper": f"{pct} upper",
            }
        )
        body = shown.round(0).astype("Int64").map(lambda v: f"{v:,}").to_string()
        text = f"{header}\n\n{body}"
    if args.out is not None:
        write_out(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0
