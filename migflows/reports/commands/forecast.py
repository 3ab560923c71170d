"""``migflows forecast``: forecast regional migration balances from the shell."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from migflows.reports.commands.inputs import (
    add_input_options,
    check_out,
    read_input,
    write_out,
)


def register(subparsers: Any) -> None:
    """Add the ``forecast`` sub-command."""
    from migflows.estimation.forecast.api import METHODS

    parser = subparsers.add_parser(
        "forecast",
        help="forecast arrivals, departures and net balances by region",
        description="Forecast regional migration balances on the embedded Kazakhstan data or a "
        "flow file. Prints the point forecast and interval by region and year (net balance by "
        "default). Net balances add up to zero nationally. Exit status 0 on success, 2 on "
        "invalid input.",
    )
    parser.add_argument(
        "--method",
        choices=sorted(METHODS),
        default="naive",
        help="forecasting method (default: naive)",
    )
    parser.add_argument(
        "--horizon", type=int, default=3, metavar="YEARS", help="years ahead (default: 3)"
    )
    parser.add_argument(
        "--level", type=float, default=0.8, metavar="P", help="interval level (default: 0.8)"
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


def run_forecast(args: argparse.Namespace) -> int:
    """Forecast and print; returns the exit status."""
    import migflows

    check_out(args.out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.data is None:
            panel = migflows.load_kazakhstan(years=args.years)
        else:
            panel = read_input(args.data, args)
            if args.years:
                panel = panel.select(years=args.years)
        fc = migflows.forecast(
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
    text = frame.to_csv() if args.format == "csv" else frame.round(1).to_string()
    if args.out is not None:
        write_out(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0
