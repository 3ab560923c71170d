"""``migflows fit gravity``: fit a model from the shell and print (or save) its table."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from migflows.errors import InvalidOptionError
from migflows.estimation.gravity.api import ESTIMATORS
from migflows.reports.commands.inputs import (
    add_input_options,
    check_out,
    read_input,
    write_out,
)

FORMATS = ("text", "markdown", "latex", "html", "csv", "json")


def register(subparsers: Any) -> None:
    """Add the ``fit`` sub-command (``fit gravity``)."""
    parser = subparsers.add_parser(
        "fit",
        help="fit a model and print its results",
        description="Fit a model on the embedded Kazakhstan data or on a flow file and print "
        "its results table.",
    )
    sub = parser.add_subparsers(dest="fit_command", metavar="{gravity}", required=True)
    grav = sub.add_parser(
        "gravity",
        help="gravity model of the flows (PPML, log-OLS, negative binomial, gamma PML)",
        description="Fit a fixest-style gravity formula, e.g. "
        '"flow ~ log_dist + log_wage_ratio | orig + dest + year". Derived covariates '
        "(log_dist, log_pop_o, log_wage_ratio, unemp_diff, lag(x, k) ...) are built from the "
        "region attributes. Exit status 0 on success, 2 on invalid input.",
    )
    grav.add_argument("formula", help="fixest-style formula (quote it)")
    grav.add_argument(
        "--estimator",
        choices=tuple(ESTIMATORS),  # the estimator registry, not a list kept here
        default="ppml",
        help="estimator (default: ppml)",
    )
    grav.add_argument(
        "--vcov",
        default="hetero",
        metavar="SPEC",
        help="covariance: iid, hetero (default), or CRV1:VAR[+VAR] to cluster, e.g. "
        "CRV1:pair or CRV1:orig+dest",
    )
    grav.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="FILE",
        help="flow file (CSV or Excel; default: the embedded Kazakhstan data)",
    )
    grav.add_argument(
        "--years",
        type=int,
        nargs="+",
        default=None,
        metavar="YEAR",
        help="years to use (default: all years of the data; embedded: 2022 and 2025 excluded)",
    )
    grav.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="output: text summary (default), markdown/latex/html table, csv or json of the "
        "estimates",
    )
    grav.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="write to FILE instead of stdout"
    )
    add_input_options(grav)
    grav.set_defaults(handler=run_gravity)


def parse_vcov_option(text: str) -> str | dict[str, str]:
    """``"CRV1:pair"`` → ``{"CRV1": "pair"}``; other values pass through.

    Examples
    --------
    >>> parse_vcov_option("CRV1:orig+dest")
    {'CRV1': 'orig+dest'}
    """
    if ":" in text:
        kind, _, var = text.partition(":")
        if not var:
            raise InvalidOptionError(f"--vcov {text!r} names no cluster variable (CRV1:pair).")
        return {kind: var}
    return text


def run_gravity(args: argparse.Namespace) -> int:
    """Fit and print; returns the exit status."""
    import migflows
    from migflows.reports.tables import table

    check_out(args.out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = (
            migflows.load_kazakhstan(years=args.years)
            if args.data is None
            else read_input(args.data, args)
        )
        if args.data is not None and args.years:
            panel = panel.select(years=args.years)
        res = migflows.gravity(
            args.formula, panel, args.estimator, vcov=parse_vcov_option(args.vcov)
        )
    for w in caught:
        print(f"migflows: warning: {w.message}", file=sys.stderr)
    text = _render(res, args.format, table)
    if args.out is not None:
        write_out(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


def _render(res: Any, fmt: str, table: Any) -> str:
    if fmt == "text":
        return str(res.summary)
    if fmt in ("markdown", "latex", "html"):
        return str(table({res.estimator.upper(): res}, fmt))
    frame = res.to_frame()
    if fmt == "csv":
        return str(frame.to_csv())
    payload = {
        "formula": res.formula,
        "estimator": res.estimator,
        "nobs": res.nobs,
        "vcov": res.vcov_type,
        "coefficients": json.loads(frame.to_json(orient="index")),
    }
    return json.dumps(payload, indent=2)
