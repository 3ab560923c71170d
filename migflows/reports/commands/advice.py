"""Translate the Python keyword advice in error messages into the CLI's flags.

Messages from the library say how to fix a problem in Python (``pass missing='drop'``,
``duplicates='sum'``, ``coords=``). On the command line the same option is a flag
(``--missing drop``); :func:`flag_advice` rewrites every ``name=value`` that the command's
parser knows as a flag, and leaves the rest as is.

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser()
>>> _ = p.add_argument("--missing"); _ = p.add_argument("--coords", metavar="PATH")
>>> flag_advice("Fill them or pass missing='drop'. Or pass coords= (lat/lon).", p)
'Fill them or pass --missing drop. Or pass --coords PATH (lat/lon).'
"""

from __future__ import annotations

import argparse
import re

__all__ = ["FLAG_NAMES", "flag_advice", "option_strings"]

#: Python keyword -> CLI flag where the two are not spelled alike.
FLAG_NAMES: dict[str, str] = {
    "year": "--matrix-year",
    "year_column": "--year-column",
    "random_seed": "--seed",
    "n_sims": "--sims",
}

_ADVICE = re.compile(r"\b([a-z][a-z_]*)=(?:'([^']*)'|(True|False|\d+)|(?=[\s,.;)]|$))")


def option_strings(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Every option string of ``parser`` and of its sub-parsers, with its metavar."""
    found: dict[str, str] = {}
    for action in parser._actions:  # argparse has no public walk over its actions
        for option in action.option_strings:
            found[option] = str(action.metavar or "VALUE")
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= option_strings(sub)
    return found


def flag_advice(message: str, parser: argparse.ArgumentParser) -> str:
    """``message`` with each ``name=value`` that ``parser`` has a flag for written as the flag."""
    flags = option_strings(parser)

    def replace(match: re.Match[str]) -> str:
        name, quoted, literal = match.group(1), match.group(2), match.group(3)
        flag = FLAG_NAMES.get(name, "--" + name.replace("_", "-"))
        if flag not in flags:
            return match.group(0)
        if literal == "True":
            return flag
        value = quoted if quoted is not None else literal
        return f"{flag} {value if value is not None else flags[flag]}"

    return _ADVICE.sub(replace, message)
