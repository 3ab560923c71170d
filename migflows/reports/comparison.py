"""Several models' estimates side by side as numbers, or ranked by ELPD: :func:`compare`.

:func:`migflows.reports.tables.table` lays the same results out as text; this returns the
numbers (a DataFrame with a ``(model, statistic)`` column MultiIndex).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from migflows.errors import InvalidOptionError
from migflows.reports.tables import coefficient_order, named_results

__all__ = ["compare"]


def compare(
    results: Sequence[Any] | Mapping[str, Any],
    *,
    level: float = 0.95,
    by: Literal["params", "elpd"] = "params",
) -> pd.DataFrame:
    """Estimates of several models side by side as numbers (not text), or their ELPD.

    Parameters
    ----------
    results : sequence or mapping of results
        Fitted models; a mapping gives the model names (default ``(1)``, ``(2)`` …).
    level : float
        Interval level.
    by : {"params", "elpd"}
        ``"params"``: the estimates. ``"elpd"``: the models ranked by expected log
        predictive density — PSIS-LOO for Bayesian fits, ``loglik - K`` (-AIC / 2) for PPML
        and NB2 — refused with :class:`~migflows.errors.IncomparableModelsError` for models
        on different observations or without a likelihood of the counts (log-OLS, gamma
        PML); see :func:`migflows.estimation.core.elpd.compare_elpd`.

    Returns
    -------
    DataFrame
        ``by="params"``: rows: parameters (union, in order of appearance); columns: a
        MultiIndex ``(model, statistic)`` with ``estimate``, ``std_error``, ``lower``,
        ``upper``, ``pvalue``; NaN where a model lacks the parameter. ``by="elpd"``: one row
        per model, best first (``elpd``, ``se``, ``elpd_diff``, ``dse``, ``p``, ``method`` …).

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2020, 2021])
    >>> a = migflows.gravity("flow ~ log_dist | orig + dest + year", kz)
    >>> b = migflows.gravity("flow ~ log_dist | orig + dest + year", kz, estimator="ols")
    >>> migflows.compare({"PPML": a, "OLS": b}).loc["log_dist", ("OLS", "estimate")].round(3)
    np.float64(-1.297)
    """
    if by not in ("params", "elpd"):
        raise InvalidOptionError(f"by={by!r} is not allowed; use 'params' or 'elpd'.")
    named = named_results(results, "compare()")
    if by == "elpd":
        from migflows.estimation.core.elpd import compare_elpd

        return compare_elpd(named)
    order = coefficient_order(named.values(), None, None)
    blocks = {}
    for name, res in named.items():
        ci = res.conf_int(level=level)
        pv = getattr(res, "pvalues", None)
        block = pd.DataFrame(
            {
                "estimate": res.params,
                "std_error": res.std_errors,
                "lower": ci.iloc[:, 0],
                "upper": ci.iloc[:, 1],
                "pvalue": pv if pv is not None else np.nan,
            }
        )
        blocks[name] = block.reindex(order)
    return pd.concat(blocks, axis=1)
