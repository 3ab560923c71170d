"""The report's base seed: ``random_seed`` (int or Generator) or the deprecated ``seed=``.

The report layer (``build_report``, :class:`~migflows.studies.report_models.ReportModels`)
derives one integer stream per study from it, so a Generator is drawn from once.

Examples
--------
>>> report_seed(0, None, function="build_report")
0
"""

from __future__ import annotations

import zlib

import numpy as np

from migflows.estimation.core.seeds import renamed_seed, seed_int

__all__ = ["report_seed", "stream_rng", "stream_seed"]


def report_seed(random_seed: int | np.random.Generator, seed: int | None, *, function: str) -> int:
    """The integer base seed of ``function`` (``seed=`` gives a FutureWarning)."""
    return seed_int(renamed_seed(random_seed, seed, function=function))


def stream_rng(seed: int, stream: str) -> np.random.Generator:
    """An independent generator for ``stream``, seeded from ``(seed, crc32(stream))``.

    A study draws the same numbers whichever other studies run.

    Examples
    --------
    >>> int(stream_rng(0, "a").integers(100)) == int(stream_rng(0, "a").integers(100))
    True
    """
    return np.random.default_rng([seed, zlib.crc32(stream.encode("utf-8"))])


def stream_seed(seed: int, stream: str) -> int:
    """An integer seed for ``stream`` (the first draw of :func:`stream_rng`)."""
    return int(stream_rng(seed, stream).integers(2**31))
