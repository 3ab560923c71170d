"""One BLAS thread around the estimators' numerical loops.

The products inside an IRLS iteration are tall and thin (``n x k`` with a handful of
regressors) or small (``k x k``, a fixed-effect Gram matrix of a few thousand levels): a second
BLAS thread gains nothing on them, and on a machine whose cores are busy every multi-threaded
call waits for its helper thread to be scheduled. Measured on the 2-core build machine under
load: a dot product of 1e5 values took 15 ms instead of 0.05 ms, and the pivoted Cholesky of a
1,426-level fixed-effect Gram matrix 0.8 s instead of 0.08 s. :func:`one_blas_thread` limits
BLAS to one thread for the duration of a ``with`` block and restores the caller's setting
after it (through threadpoolctl, with the libraries looked up once: about 10 microseconds a
call). Other threads of the process that call BLAS meanwhile run single-threaded too.

Examples
--------
>>> import numpy as np
>>> with one_blas_thread():
...     float(np.ones(3) @ np.ones(3))
3.0
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]

_CONTROLLER: list[ThreadpoolController] = []


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the ``with`` block with one BLAS thread (the caller's setting restored after)."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1, user_api="blas"):
        yield
