"""Sub-commands of the ``migflows`` CLI, one module each.

A module here defines ``register(subparsers)``, which adds its sub-parser and sets
``handler=<function(args) -> int>`` with ``set_defaults``. :mod:`migflows.reports.cli` imports
the modules listed in :data:`migflows.reports.cli.COMMANDS`; a later issue adds ``fit`` or
``forecast`` by writing ``commands/fit.py`` and appending ``"fit"`` there. Options for reading
a user's data are shared through :mod:`migflows.reports.commands.inputs`.
"""
