"""The check that a family without an IV estimator refuses an instrumental-variable formula.

Examples
--------
>>> from migflows.models.formula import parse_formula
>>> require_exogenous(parse_formula("y ~ x | fe"), "gravity()")
>>> require_exogenous(parse_formula("y ~ w | fe | x ~ z"), "gravity()")
Traceback (most recent call last):
...
migflows.errors.ModelSpecificationError: gravity() does not estimate instrumental-variable models (the formula has '| x ~ z'); use migflows.panel(..., iv='2sls') for 2SLS/LIML, migflows.estimation.gravity.control_function(...) for PPML, or drop the IV part
"""  # noqa: E501

from __future__ import annotations

from migflows.errors import ModelSpecificationError
from migflows.models.formula import Formula

__all__ = ["require_exogenous"]


def require_exogenous(formula: Formula, family: str) -> None:
    """Raise :class:`~migflows.errors.ModelSpecificationError` if ``formula`` has an IV part."""
    if formula.endogenous:
        endog = " + ".join(str(t) for t in formula.endogenous)
        instr = " + ".join(str(t) for t in formula.instruments)
        raise ModelSpecificationError(
            f"{family} does not estimate instrumental-variable models (the formula has "
            f"'| {endog} ~ {instr}'); use migflows.panel(..., iv='2sls') for 2SLS/LIML, "
            "migflows.estimation.gravity.control_function(...) for PPML, or drop the IV part"
        )
