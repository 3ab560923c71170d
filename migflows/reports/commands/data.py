"""``migflows data check`` and ``migflows data show``."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migflows.reports.commands import COMMAND_HELP
from migflows.reports.commands.inputs import add_input_options, read_input, read_long_table

if TYPE_CHECKING:
    import pandas as pd

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
    import pandas as pd

    from migflows.reports.formatting import fmt_number

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


def _problem_table(problems: pd.DataFrame, args: argparse.Namespace) -> str:
    """The audit table with each fix written as the CLI flag (``--missing drop``)."""
    import pandas as pd

    parser = getattr(args, "parser", None)
    shown = problems.copy()
    if parser is not None:
        from migflows.reports.commands.advice import flag_advice

        shown["fix"] = [flag_advice(str(f), parser) for f in shown["fix"]]
    shown.index = pd.RangeIndex(1, len(shown) + 1)
    with pd.option_context("display.max_colwidth", 70, "display.width", 200):
        return shown.to_string()


def run_check(args: argparse.Namespace) -> int:
    """Validate FILE and list every problem found; 0 ok, 1 warnings, 2 unusable as is."""
    import numpy as np
    import pandas as pd

    from migflows.data.audit import AUDIT_COLUMNS, audit_flows
    from migflows.errors import MigflowsError

    raw = read_long_table(args.file, args)
    rows = [] if raw is None else [audit_flows(
        raw, origin=args.origin, destination=args.destination, year=args.year_column,
        flow=args.flow,
    )]  # fmt: skip
    panel = None
    error: MigflowsError | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            panel = read_input(args.file, args)
        except MigflowsError as err:
            error = err
        report = None if panel is None else panel.check_quality(warn=False)
    for w in caught:
        if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning):
            print(f"warning: {w.category.__name__}: {w.message}", file=sys.stderr)
    extra: list[tuple[str, str, float, str, str]] = []
    if error is not None and raw is None:  # a matrix: the validation message is the finding
        extra.append((type(error).__name__, "error", np.nan, "", str(error)))
    if panel is not None and report is not None:
        print(f"{args.file}: valid flow panel")
        print(repr(panel))
        print()
        print("Data-quality checks by year")
        print(_quality_text(report.table))
        print()
        for y in report.flagged_years:
            extra.append((
                f"flagged year {y}", "warning", np.nan, str(report.table.loc[y, "reasons"]),
                "see the quality checks above; leave the year out with --years",
            ))  # fmt: skip
        if len(panel.dropped):
            extra.append((
                "rows dropped while reading", "warning", float(len(panel.dropped)), "",
                "see the warnings above",
            ))  # fmt: skip
    else:
        print(f"{args.file}: not a valid flow panel as it is")
    frames = [*rows, pd.DataFrame(extra, columns=list(AUDIT_COLUMNS))]
    problems = pd.concat([f for f in frames if len(f)] or frames[-1:], ignore_index=True)
    if problems.empty:
        print("Result: OK, no problem found")
        return EXIT_OK
    problems["rows"] = problems["rows"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    n_err = int((problems["severity"] == "error").sum())
    print(f"Result: data problems found ({n_err} error(s), {len(problems) - n_err} warning(s))")
    print(_problem_table(problems, args))
    if error is not None:
        raise error  # main prints it (with the flags to use) and exits with 2
    return EXIT_FLAGGED


def run_show(args: argparse.Namespace) -> int:
    """Print a summary of the embedded Kazakhstan dataset."""
    from migflows.data.kazakhstan import kazakhstan_tables, load_kazakhstan
    from migflows.reports.formatting import fmt_number

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
