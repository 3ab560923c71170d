"""Keep PyMC's log lines out of notebook cells and terminals unless progress is asked for.

PyMC logs its sampler choice ("NUTS[nutpie]: [...]", "Sampling: [flow]") at INFO on the
``pymc`` logger, which Jupyter shows in red under every cell. :func:`pymc_logging` raises that
logger to WARNING for the duration of a fit when ``progress`` is False, and restores it after.

Examples
--------
>>> import logging
>>> with pymc_logging(progress=False):
...     logging.getLogger("pymc").getEffectiveLevel() >= logging.WARNING
True
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

__all__ = ["pymc_logging"]


@contextlib.contextmanager
def pymc_logging(progress: bool) -> Iterator[None]:
    """Silence INFO messages of the ``pymc`` logger unless ``progress`` is True."""
    log = logging.getLogger("pymc")
    level = log.level
    if not progress:
        log.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        log.setLevel(level)
