"""``migflows data check`` and ``migflows data show``."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from migflows.reports.commands import COMMAND_HELP
from migflows.reports.commands.inputs import add_input_options, read_input
from migflows.reports.formatting import fmt_number

EXIT_OK, EXIT_FLAGGED = 0, 1


def register(subparsers: Any) -> None:
    """Add the ``data`` sub-command with ``check`` and ``show``."""
    parser = subparsers.add_parser(
        "data",
        help=COMMAND_HELP["data"],
        description="Work with flow data: 'check' validates a file, 'show' summarises the "
        "embedded Kazakhstan dataset.",
    )
    sub = parser.add_subparsers(dest="data_command", metavar="{check,show}", required=True)
    check = sub.add_parser(
        "check",
        help="validate a flow file and run the data-quality checks",
        description="Read a long flow table or an OD matrix (CSV or Excel), validate it as a "
        "FlowPanel and run the data-quality checks. Exit status: 0 when the data are valid "
        "and no year is flagged, 1 when the quality checks flag a year (or rows were dropped "
        "under an option), 2 when the file cannot be used (the message says why).",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="CSV or Excel flow file")
    add_input_options(check)
    check.set_defaults(handler=run_check)
    show = sub.add_parser(
        "show",
        help="summarise the embedded Kazakhstan data",
        description="Summarise the embedded Kazakhstan dataset: years (with their quality "
        "labels), regions, attributes and sources.",
    )
    show.set_defaults(handler=run_show)


def _quality_text(table: pd.DataFrame) -> str:
    shown = pd.DataFrame(
        {
            "total": table["total"].map(fmt_number),
            "identical both ways": [
                f"{int(s)}/{int(p)}"
                for s, p in zip(table["symmetric_pairs"], table["pairs"], strict=True)
            ],
            "net gap": table["net_mismatch"].map(lambda v: fmt_number(v, 1, percent=True)),
            "change/yr": table["total_change"].map(lambda v: fmt_number(v, 1, percent=True)),
            "flagged": table["flagged"].map(lambda v: "YES" if v else "no"),
        },
        index=table.index,
    )
    return shown.to_string()


def run_check(args: argparse.Namespace) -> int:
    """Validate FILE; 0 ok, 1 flagged, 2 invalid (raised to :func:`main`)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = read_input(args.file, args)
        report = panel.check_quality(warn=False)
    for w in caught:
        if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning):
            print(f"warning: {w.category.__name__}: {w.message}", file=sys.stderr)
    print(f"{args.file}: valid flow panel")
    print(repr(panel))
    print()
    print("Data-quality checks by year")
    print(_quality_text(report.table))
    print()
    problems = [f"{y}: {report.table.loc[y, 'reasons']!s}" for y in report.flagged_years]
    if len(panel.dropped):
        problems.append(f"{len(panel.dropped)} row(s) dropped while reading (see warnings)")
    if problems:
        print("Result: data problems found")
        for line in problems:
            print(f"  - {line}")
        return EXIT_FLAGGED
    print("Result: OK, no year flagged")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    """Print a summary of the embedded Kazakhstan dataset."""
    from migflows.data.kazakhstan import kazakhstan_tables, load_kazakhstan

    panel = load_kazakhstan()
    tables = kazakhstan_tables()
    flows = tables["flows"]
    by_year = flows.groupby("year").agg(
        total=("flow", "sum"),
        quality=("quality", lambda q: "/".join(sorted(set(map(str, q))))),
    )
    by_year["in default panel"] = ["yes" if y in panel.years else "no" for y in by_year.index]
    by_year["total"] = by_year["total"].map(fmt_number)
    print("Embedded Kazakhstan dataset (migflows.load_kazakhstan())")
    print(repr(panel))
    print()
    print("Origin-destination years")
    print(by_year.to_string())
    print()
    print("Coverage of region attributes (share of regions with a value, by flow year)")
    print(panel.coverage().map(lambda v: f"{v:.0%}").to_string())
    print()
    print("Sources")
    for row in tables["sources"].itertuples(index=False):
        print(f"  {row.source}: {row.title} ({row.publisher})")
    print()
    print("Datasheet: migflows/data/datasets/kazakhstan/DATASHEET.md")
    return EXIT_OK
