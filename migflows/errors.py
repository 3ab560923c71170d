"""Named exceptions and warnings raised by migflows.

Every exception message says what was wrong (the column, the offending values, how many)
and how to fix it. Catch the family with :class:`MigflowsError`; data problems derive
from :class:`DataValidationError`, model problems from :class:`ModelSpecificationError`.

Examples
--------
>>> import pandas as pd
>>> import migflows
>>> from migflows.errors import NegativeFlowError
>>> bad = pd.DataFrame({"o": ["a"], "d": ["b"], "y": [2020], "n": [-1]})
>>> try:
...     migflows.FlowPanel.from_frame(bad, origin="o", destination="d", year="y", flow="n")
... except NegativeFlowError as err:
...     print(type(err).__name__)
NegativeFlowError
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "BoundaryError",
    "CollinearityWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataQualityWarning",
    "DataValidationError",
    "DroppedRowsWarning",
    "DuplicateFlowError",
    "DuplicateKeyError",
    "EstimationError",
    "FixedEffectError",
    "FormulaSyntaxError",
    "IdentificationError",
    "IncomparableModelsError",
    "InputFileError",
    "InputTypeError",
    "InvalidDistanceError",
    "InvalidOptionError",
    "LeanResultsError",
    "MigflowsError",
    "MigflowsWarning",
    "MissingColumnError",
    "MissingRegionError",
    "MissingValueError",
    "ModelSpecificationError",
    "NegativeFlowError",
    "NonNumericError",
    "PanelStructureError",
    "RegionCodeError",
    "SelfFlowError",
    "SeparationWarning",
    "SharedDataMissingError",
    "UnknownVariableError",
    "UnseenLevelError",
    "YearRangeError",
    "format_values",
]


def format_values(values: Iterable[Any], limit: int = 5) -> str:
    """Format the first ``limit`` offending values for an error message.

    Parameters
    ----------
    values : iterable
        Offending values (labels, rows or numbers).
    limit : int, default 5
        How many to show before summarising the rest as ``… (N more)``.

    Returns
    -------
    str
        A comma-separated preview such as ``'a', 'b', 'c' … (7 more)``.

    Examples
    --------
    >>> format_values(["x", "y"])
    "'x', 'y'"
    >>> format_values(range(8), limit=3)
    '0, 1, 2 … (5 more)'
    """
    items = [_plain(v) for v in values]
    shown = ", ".join(repr(v) if not isinstance(v, tuple) else str(v) for v in items[:limit])
    extra = len(items) - limit
    return f"{shown} … ({extra} more)" if extra > 0 else shown


def _plain(value: Any) -> Any:
    """Turn numpy scalars (also in tuples) into Python ones: 2020, not np.int64(2020)."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        return item()
    return value


class MigflowsError(Exception):
    """Base class of every exception raised by migflows."""


class DataValidationError(MigflowsError, ValueError):
    """Input data violate the flow-panel contract."""


class MissingColumnError(DataValidationError, KeyError):
    """A column named in the call is not in the table."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else ""


class NonNumericError(DataValidationError, TypeError):
    """A column that must be numeric holds values that are not numbers."""


class NegativeFlowError(DataValidationError):
    """Flows must be counts: zero or positive."""


class MissingValueError(DataValidationError):
    """A column holds NaN where a value is required."""


class DuplicateKeyError(DataValidationError):
    """A key that must be unique (e.g. region and year in an attribute table) repeats."""


class DuplicateFlowError(DuplicateKeyError):
    """The same (origin, destination, year) appears more than once."""


class SelfFlowError(DataValidationError):
    """Rows with origin equal to destination (intra-regional moves) where they are not allowed."""


class MissingRegionError(DataValidationError, KeyError):
    """Regions in the flows are absent from an attribute, distance or coordinate table."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RegionCodeError(DataValidationError):
    """Region codes are inconsistent (unknown keys, mixed spellings, different code sets)."""


class YearRangeError(DataValidationError):
    """Years are out of the allowed range or not integers."""


class InvalidDistanceError(DataValidationError):
    """Distances must be strictly positive and finite for distinct regions."""


class PanelStructureError(DataValidationError):
    """The panel lacks the structure a method needs (balance, enough periods, variation)."""


class BoundaryError(DataValidationError):
    """A boundary crosswalk is inconsistent or does not cover the regions in the data."""


class InputFileError(DataValidationError):
    """A file cannot be read as a table (absent, empty, corrupt, unknown encoding or sheet)."""


class InputTypeError(MigflowsError, TypeError):
    """An argument has the wrong type (a list where a DataFrame is needed, …)."""


class SharedDataMissingError(MigflowsError, FileNotFoundError):
    """A source folder needed to rebuild the embedded data is absent."""


class InvalidOptionError(MigflowsError, ValueError):
    """A string option or keyword argument has a value that is not allowed."""


class ModelSpecificationError(MigflowsError, ValueError):
    """A model cannot be specified as requested."""


class FormulaSyntaxError(ModelSpecificationError):
    """A fixest-style formula cannot be parsed; the message quotes the formula."""


class UnknownVariableError(ModelSpecificationError, KeyError):
    """A formula names a variable that is neither in the data nor a known derived covariate."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FixedEffectError(ModelSpecificationError):
    """A fixed effect is not in the data or absorbs the regressors."""


class UnseenLevelError(FixedEffectError, KeyError):
    """New data have a fixed-effect level the fit did not estimate (prediction with SEs)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class EstimationError(MigflowsError, RuntimeError):
    """An estimator failed on valid input (singular design, degenerate sample)."""


class ConvergenceError(EstimationError):
    """An iterative estimator did not converge within its iteration limit."""


class IdentificationError(FixedEffectError, EstimationError):
    """Regressors are not identified: absorbed by the fixed effects or collinear.

    Raised alike by every family (gravity, panel, Bayesian gravity) from
    :mod:`migflows.estimation.core.identification`; the message names each regressor, the
    fixed effects or regressors it is confounded with, and the specification that identifies
    it. It is both a :class:`FixedEffectError` (a specification problem) and an
    :class:`EstimationError` (the design is singular), so code catching either keeps working.
    """


class IncomparableModelsError(ModelSpecificationError):
    """Models cannot be compared by ELPD: different observations or likelihood supports."""


class LeanResultsError(MigflowsError, AttributeError):
    """A lean result (``lean=True``) was asked for an n-sized quantity it did not keep."""


class MigflowsWarning(UserWarning):
    """Base class of every warning emitted by migflows."""


class DroppedRowsWarning(MigflowsWarning):
    """Rows were dropped under a documented option; the dropped rows stay inspectable."""


class DataQualityWarning(MigflowsWarning):
    """The data look wrong (e.g. symmetric flows, contradicting balances) but were kept."""


class CollinearityWarning(MigflowsWarning):
    """Regressors collinear with others or absorbed by the fixed effects were dropped."""


class ConvergenceWarning(MigflowsWarning):
    """Convergence diagnostics failed: an optimiser stopped early, or a sampler failed a gate.

    For optimisers the estimates returned may be off; for samplers (R-hat, ESS, divergences)
    the message names the parameter, the figure and the concrete fix.
    """


class SeparationWarning(MigflowsWarning):
    """Observations were removed because they are separated (PPML) or singletons."""
