"""Sub-commands of the ``migflows`` CLI, one module each.

A module here defines ``register(subparsers)``, which adds its sub-parser and sets
``handler=<function(args) -> int>`` with ``set_defaults``. :mod:`migflows.reports.cli` imports
the modules listed in :data:`migflows.reports.cli.COMMANDS`; a later issue adds ``fit`` or
``forecast`` by writing ``commands/fit.py`` and appending ``"fit"`` there. Options for reading
a user's data are shared through :mod:`migflows.reports.commands.inputs`.
"""

from collections.abc import Iterator

#: One-line help of each sub-command, shown by ``migflows --help`` without importing the
#: command modules (they pull in pandas and the estimators); each module's ``register`` uses
#: the same line.
COMMAND_HELP: dict[str, str] = {
    "report": "write a self-contained HTML report (default: the embedded Kazakhstan data)",
    "data": "check a flow file or describe the embedded data",
    "fit": "fit a model (gravity, panel, bayes) and print its results",
    "forecast": "forecast arrivals, departures and net balances by region",
}


class RegistryChoices:
    """``choices=`` for argparse that reads a registry only when a value is checked.

    ``--help`` must not import the estimators (their registries fill as the families load),
    and argparse iterates ``choices`` to write the help text. So iterating lists the
    registry's names when its module is loaded already, else the built-in names given here
    (a test checks them against the registry); ``in`` (the check of a value the user typed)
    always reads the registry, so names registered later are accepted.

    Examples
    --------
    >>> choices = RegistryChoices("migflows.estimation.gravity.api", "ESTIMATORS", ("ppml",))
    >>> "ppml" in choices, "bogus" in choices
    (True, False)
    """

    def __init__(self, module: str, attribute: str, builtin: tuple[str, ...]) -> None:
        self.module, self.attribute, self.builtin = module, attribute, builtin

    def names(self) -> list[str]:
        """The registered names, in registry order (imports the registry's module)."""
        import importlib

        return list(getattr(importlib.import_module(self.module), self.attribute))

    def __contains__(self, value: object) -> bool:
        return value in self.names()

    def __iter__(self) -> Iterator[str]:
        import sys

        return iter(self.names() if self.module in sys.modules else self.builtin)


#: Built-in names of the registries the CLI offers (``--estimator``, ``--method``).
BUILTIN_ESTIMATORS: tuple[str, ...] = ("ppml", "ols", "negbin", "gpml")
BUILTIN_METHODS: tuple[str, ...] = (
    "naive", "drift", "ets", "arima", "bayes_ar", "gravity", "ensemble",
)  # fmt: skip
