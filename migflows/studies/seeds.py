"""The report's base seed: ``random_seed`` (int or Generator) or the deprecated ``seed=``.

The report layer (``build_report``, :class:`~migflows.studies.report_models.ReportModels`)
derives one integer stream per study from it, so a Generator is drawn from once.

Examples
--------
>>> report_seed(0, None, function="build_report")
0
"""

from __future__ import annotations

import numpy as np

from migflows.estimation.core.seeds import renamed_seed, seed_int

__all__ = ["report_seed"]


def report_seed(random_seed: int | np.random.Generator, seed: int | None, *, function: str) -> int:
    """The integer base seed of ``function`` (``seed=`` gives a FutureWarning)."""
    return seed_int(renamed_seed(random_seed, seed, function=function))
