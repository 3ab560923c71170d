"""Warnings raised while a forecast method fits its model: kept as notes and passed on."""

from __future__ import annotations

import warnings

from migflows.errors import MigflowsWarning

__all__ = ["pass_on"]


def pass_on(caught: list[warnings.WarningMessage], who: str) -> list[str]:
    """The messages of warnings caught while fitting; the package's own are re-emitted.

    Rows the fit dropped (e.g. a year without wage data) or regressors it dropped are said,
    not only kept in ``info["fit_notes"]``.

    Examples
    --------
    >>> from migflows.errors import DroppedRowsWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("Dropped 380 rows", DroppedRowsWarning)
    >>> with warnings.catch_warnings(record=True) as again:
    ...     warnings.simplefilter("always")
    ...     notes = pass_on(caught, "gravity forecast")
    >>> notes, str(again[0].message)
    (['Dropped 380 rows'], 'gravity forecast: Dropped 380 rows')
    """
    notes = [str(w.message) for w in caught]
    for w in caught:
        if issubclass(w.category, MigflowsWarning):
            warnings.warn(f"{who}: {w.message}", w.category, stacklevel=4)
    return notes
