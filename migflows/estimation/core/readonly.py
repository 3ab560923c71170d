"""Read-only access to results: every public attribute is a copy or a read-only view.

Results are built once and never change. :class:`ReadOnlyResults` makes that hold from the
outside too: reading a public attribute returns a new pandas object (under pandas'
copy-on-write a copy costs nothing until it is written to), a read-only view of a numpy
array, or a fresh container of protected values, so ``res.std_errors.iloc[0] = 99`` changes
the caller's copy and never the result.

Examples
--------
>>> import pandas as pd
>>> class Res(ReadOnlyResults):
...     def __init__(self):
...         object.__setattr__(self, "params", pd.Series([1.0, 2.0], index=["a", "b"]))
>>> res = Res()
>>> p = res.params
>>> p.iloc[0] = 99.0
>>> float(res.params.iloc[0])
1.0
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ReadOnlyResults", "protect"]


def protect(value: Any) -> Any:
    """A copy or read-only view of ``value`` that the caller may change freely.

    Examples
    --------
    >>> import numpy as np
    >>> a = protect(np.zeros(2))
    >>> a.flags.writeable
    False
    """
    if isinstance(value, pd.Index):  # immutable already
        return value
    if isinstance(value, pd.Series | pd.DataFrame):
        copied = value.copy(deep=False)
        # keep subclasses (e.g. a frame that still answers to old column names)
        return copied if type(copied) is type(value) else type(value)(copied)
    if isinstance(value, np.ndarray):
        if not value.flags.writeable:
            return value
        view = value.view()
        view.flags.writeable = False
        return view
    if isinstance(value, dict | MappingProxyType):
        return {k: protect(v) for k, v in value.items()}
    if isinstance(value, list):
        return [protect(v) for v in value]
    return value


class ReadOnlyResults:
    """Mixin: public attributes are returned through :func:`protect`; none can be set."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name.startswith("_"):
            return value
        return protect(value)
