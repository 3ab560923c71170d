"""``migflows fit gravity``: fit a model from the shell and print (or save) its table."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from migflows.errors import InvalidOptionError
from migflows.reports.commands import BUILTIN_ESTIMATORS, COMMAND_HELP, RegistryChoices
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
        help=COMMAND_HELP["fit"],
        description="Fit a model on the embedded Kazakhstan data or on a flow file and print "
        "its results table.",
    )
    sub = parser.add_subparsers(dest="fit_command", metavar="{gravity,panel,bayes}", required=True)
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
        choices=RegistryChoices(
            "migflows.estimation.gravity.api", "ESTIMATORS", BUILTIN_ESTIMATORS
        ),
        default="ppml",
        metavar="NAME",
        help="estimator: %(choices)s (default: ppml)",
    )
    grav.add_argument(
        "--vcov",
        default="hetero",
        metavar="SPEC",
        help="covariance: iid, hetero (default), or CRV1:VAR[+VAR] to cluster, e.g. "
        "CRV1:pair or CRV1:orig+dest",
    )
    grav.add_argument(
        "--absorbed",
        choices=("raise", "drop"),
        default="raise",
        help="a regressor absorbed by the fixed effects: refuse (default) or drop it with a "
        "warning",
    )
    _common_options(grav)
    grav.set_defaults(handler=run_gravity)
    _register_panel(sub)
    _register_bayes(sub)


def _common_options(parser: argparse.ArgumentParser, *, formats: tuple[str, ...] = FORMATS) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="FILE",
        help="flow file (CSV or Excel; default: the embedded Kazakhstan data)",
    )
    parser.add_argument(
        "--years",
        type=int,
        nargs="+",
        default=None,
        metavar="YEAR",
        help="years to use (default: all years of the data; embedded: 2022 and 2025 excluded)",
    )
    parser.add_argument(
        "--format",
        choices=formats,
        default="text",
        help="output: text summary (default), markdown/latex/html table, csv or json of the "
        "estimates",
    )
    parser.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="write to FILE instead of stdout"
    )
    add_input_options(parser)


def _register_panel(sub: Any) -> None:
    parser = sub.add_parser(
        "panel",
        help="linear panel regression of region-year data (FE, RE, FD, between, pooled)",
        description="Fit a fixest-style panel formula on the region-year table, e.g. "
        '"net_rate ~ log(wage) + unemployment | entity + time" (two-way fixed effects). '
        "Exit status 0 on success, 2 on invalid input.",
    )
    parser.add_argument("formula", help="fixest-style formula (quote it)")
    parser.add_argument(
        "--estimator",
        choices=("fe", "re", "fd", "between", "pooled"),
        default="fe",
        help="fixed effects (default), random effects, first differences, between, pooled OLS",
    )
    parser.add_argument(
        "--level",
        choices=("region", "pair"),
        default="region",
        help="unit of the panel: region-year (default) or origin-destination pair-year",
    )
    parser.add_argument(
        "--vcov",
        default="robust",
        metavar="SPEC",
        help="covariance: unadjusted, robust (default), or CRV1:entity / CRV1:time to cluster",
    )
    _common_options(parser)
    parser.set_defaults(handler=run_panel)


def _register_bayes(sub: Any) -> None:
    parser = sub.add_parser(
        "bayes",
        help="Bayesian hierarchical gravity model (PyMC, NUTS)",
        description="Fit a Bayesian gravity formula with partially pooled origin and "
        'destination effects, e.g. "flow ~ log_dist + log_wage_ratio | orig + dest + year". '
        "Sampling takes from seconds to minutes; progress is shown on stderr with --progress. "
        "Exit status 0 on success, 2 on invalid input.",
    )
    parser.add_argument("formula", help="fixest-style formula (quote it)")
    parser.add_argument(
        "--family",
        choices=("poisson", "negbin"),
        default="poisson",
        help="likelihood: Poisson (default) or negative binomial",
    )
    parser.add_argument(
        "--draws", type=int, default=1000, metavar="N", help="posterior draws per chain"
    )
    parser.add_argument(
        "--tune", type=int, default=1000, metavar="N", help="tuning steps per chain"
    )
    parser.add_argument("--chains", type=int, default=2, metavar="N", help="chains (default 2)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    parser.add_argument(
        "--progress", action="store_true", help="show the sampler's progress and log"
    )
    _common_options(parser, formats=("text", "csv", "json"))
    parser.set_defaults(handler=run_bayes)


def _load(args: argparse.Namespace) -> Any:
    from migflows.data.kazakhstan import load_kazakhstan

    if args.data is None:
        return load_kazakhstan(years=args.years)
    panel = read_input(args.data, args)
    return panel.select(years=args.years) if args.years else panel


def _emit(res: Any, args: argparse.Namespace, caught: list[warnings.WarningMessage]) -> int:
    from migflows.reports.tables import table

    for w in caught:
        print(f"migflows: warning: {w.message}", file=sys.stderr)
    text = _render(res, args.format, table)
    if args.out is not None:
        write_out(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


def run_panel(args: argparse.Namespace) -> int:
    """Fit a panel regression and print it; returns the exit status."""
    from migflows.estimation.panel.api import panel as fit_panel

    check_out(args.out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = _load(args)
        res = fit_panel(
            args.formula, panel, args.estimator, level=args.level,
            vcov=parse_vcov_option(args.vcov),
        )  # fmt: skip
    return _emit(res, args, caught)


def run_bayes(args: argparse.Namespace) -> int:
    """Sample a Bayesian gravity model and print it; returns the exit status."""
    from migflows.estimation.bayes.api import bayes_gravity

    check_out(args.out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = _load(args)
        res = bayes_gravity(
            args.formula, panel, family=args.family, draws=args.draws, tune=args.tune,
            chains=args.chains, random_seed=args.seed, progress=args.progress,
        )  # fmt: skip
    return _emit(res, args, caught)


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
    from migflows.estimation.gravity.api import gravity

    check_out(args.out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = _load(args)
        res = gravity(
            args.formula, panel, args.estimator, vcov=parse_vcov_option(args.vcov),
            absorbed=args.absorbed,
        )  # fmt: skip
    return _emit(res, args, caught)


def _render(res: Any, fmt: str, table: Any) -> str:
    if fmt == "text":
        return str(res.summary)
    if fmt in ("markdown", "latex", "html"):
        return str(table({str(getattr(res, "estimator", "model")).upper(): res}, fmt))
    frame = res.to_frame()
    if fmt == "csv":
        return str(frame.to_csv())
    payload = {
        "formula": getattr(res, "formula", None),
        "estimator": getattr(res, "estimator", type(res).__name__),
        "nobs": res.nobs,
        "vcov": getattr(res, "vcov_type", None),
        "coefficients": json.loads(frame.to_json(orient="index")),
    }
    return json.dumps(payload, indent=2)
