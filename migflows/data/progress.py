"""Progress bars that look right in a terminal and in Jupyter, without warnings.

It sits in the lowest package layer (data) so that estimators and the report share it.

``tqdm.auto`` picks the notebook widget bar inside Jupyter, but when ``ipywidgets`` is not
installed it warns ``TqdmWarning: IProgress not found`` in every cell that shows progress.
:func:`progress_bar` uses the widget bar only when ``ipywidgets`` can be imported (install
``migflows[jupyter]``) and the plain text bar otherwise.

Examples
--------
>>> list(progress_bar([1, 2, 3], desc="demo", disable=True))
[1, 2, 3]
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from typing import Any

__all__ = ["progress_bar"]


def progress_bar(items: Iterable[Any] | None = None, **kwargs: Any) -> Any:
    """``tqdm(items, **kwargs)``: the notebook bar when ipywidgets is installed, else text.

    Without ``items`` the bar is advanced by hand (``bar.update()``), e.g. per iteration.
    """
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(items, **kwargs)
