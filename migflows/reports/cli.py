"""The ``migflows`` command line: ``report``, ``data check|show``, ``fit gravity``, ``forecast``.

Each sub-command lives in :mod:`migflows.reports.commands` and is listed in
:data:`COMMANDS` (each module has a ``register(subparsers)`` function). Exit status:
0 success, 1 data problems found (``data check``), 2 invalid input or usage (the error is
printed on stderr without a traceback), 130 interrupted.

Examples
--------
>>> from migflows.reports.cli import main
>>> main(["data", "show"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import pandas as pd

from migflows.errors import MigflowsError

#: Sub-command modules of :mod:`migflows.reports.commands`, in ``--help`` order.
COMMANDS: tuple[str, ...] = ("report", "data", "fit", "forecast")

EXIT_INVALID = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    from migflows import __version__

    parser = argparse.ArgumentParser(
        prog="migflows",
        description="Econometrics of migration flows: reports, data checks, gravity models "
        "and forecasts of regional balances on origin-destination panels (default data: "
        "Kazakhstan's inter-regional flows).",
        epilog="Run 'migflows COMMAND --help' for the options of a command. Exit status: 0 "
        "success, 1 data problems found, 2 invalid input.",
    )
    parser.add_argument("--version", action="version", version=f"migflows {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"migflows.reports.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    Usage errors exit through argparse (status 2); ``--help`` exits with 0.
    """
    parser = build_parser()
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        return int(args.handler(args))
    except MigflowsError as err:
        print(f"migflows: error: {type(err).__name__}: {err}", file=sys.stderr)
    except FileNotFoundError as err:
        print(f"migflows: error: {err}", file=sys.stderr)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        print(
            f"migflows: error: cannot read the file as a table: {type(err).__name__}: {err}",
            file=sys.stderr,
        )
    except KeyboardInterrupt:
        print("migflows: interrupted", file=sys.stderr)
        return 130
    return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
