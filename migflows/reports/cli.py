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

from migflows.errors import MigflowsError
from migflows.reports.commands import COMMAND_HELP

#: Sub-command modules of :mod:`migflows.reports.commands`, in ``--help`` order.
COMMANDS: tuple[str, ...] = ("report", "data", "fit", "forecast")

EXIT_INVALID = 2


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``argv``, only the sub-command named there is built in full.

    ``migflows --help`` then imports no command module (they pull in pandas, matplotlib and
    the estimator registries), so the shell tool starts at once; the other sub-commands are
    listed with their one-line help. Without ``argv`` every sub-command is built.
    """
    from migflows.version import __version__

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
    wanted = None if argv is None else next((a for a in argv if a in COMMANDS), "")
    for name in COMMANDS:
        if wanted is None or wanted == name:
            module = importlib.import_module(f"migflows.reports.commands.{name}")
            module.register(subparsers)
        else:
            subparsers.add_parser(name, help=COMMAND_HELP[name])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    Usage errors exit through argparse (status 2); ``--help`` exits with 0.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    args.parser = parser  # handlers write the library's advice as this parser's flags
    import pandas as pd  # after parsing: --help and usage errors never load it

    try:
        return int(args.handler(args))
    except MigflowsError as err:
        from migflows.reports.commands.advice import flag_advice

        message = flag_advice(str(err), parser)
        print(f"migflows: error: {type(err).__name__}: {message}", file=sys.stderr)
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
