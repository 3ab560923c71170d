"""Sub-commands of the ``migflows`` CLI, one module each.

A module here defines ``register(subparsers)``, which adds its sub-parser and sets
``handler=<function(args) -> int>`` with ``set_defaults``. :mod:`migflows.reports.cli` imports
the modules listed in :data:`migflows.reports.cli.COMMANDS`; a later issue adds ``fit`` or
``forecast`` by writing ``commands/fit.py`` and appending ``"fit"`` there. Options for reading
a user's data are shared through :mod:`migflows.reports.commands.inputs`.
"""

#: One-line help of each sub-command, shown by ``migflows --help`` without importing the
#: command modules (they pull in pandas and the estimators); each module's ``register`` uses
#: the same line.
COMMAND_HELP: dict[str, str] = {
    "report": "write a self-contained HTML report (default: the embedded Kazakhstan data)",
    "data": "check a flow file or describe the embedded data",
    "fit": "fit a model (gravity, panel, bayes) and print its results",
    "forecast": "forecast arrivals, departures and net balances by region",
}
