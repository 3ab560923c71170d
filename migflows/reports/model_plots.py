"""Plots of fitted models: coefficients across models, observed against fitted flows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from migflows.errors import InvalidOptionError, format_values
from migflows.reports.labels import table_labels
from migflows.reports.tables import named_results


def coef_plot(
    results: Sequence[Any] | Mapping[str, Any],
    *,
    keep: Iterable[str] | None = None,
    level: float = 0.95,
    labels: Mapping[str, str] | Literal["auto"] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Point estimates and confidence intervals of several models, side by side.

    Parameters
    ----------
    results : sequence or mapping of results
        Fitted models (anything with ``params`` and ``conf_int(level)``).
    keep : iterable of str, optional
        Regular expressions selecting coefficients.
    level : float
        Interval level.
    labels : mapping or "auto", optional
        Display names for coefficients; ``"auto"`` takes them from the report's label map.
    ax : Axes, optional
        Draw into this axes.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2020, 2021])
    >>> a = migflows.gravity("flow ~ log_dist | orig + dest + year", kz)
    >>> fig = coef_plot({"PPML": a})
    >>> len(fig.axes[0].lines) >= 1
    True
    """
    named = named_results(results, "coef_plot()")
    names: list[str] = []
    for res in named.values():
        names += [str(n) for n in res.params.index if str(n) not in names]
    if keep is not None:
        pats = [re.compile(p) for p in keep]
        names = [n for n in names if any(p.search(n) for p in pats)]
        if not names:
            raise InvalidOptionError(f"keep matches no coefficient of {format_values(names)}.")
    if isinstance(labels, str):
        if labels != "auto":
            raise InvalidOptionError(f"labels={labels!r}: give a mapping or 'auto'.")
        labels = table_labels(names)
    labels = dict(labels or {})
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, 0.5 + 0.55 * len(names) * max(1, len(named)) ** 0.5))
    else:
        fig = ax.figure  # type: ignore[assignment]
    k = len(named)
    offsets = np.linspace(-0.25, 0.25, k) if k > 1 else np.zeros(1)
    for (model, res), off in zip(named.items(), offsets, strict=True):
        ci = res.conf_int(level=level)
        ys, xs, lo, hi = [], [], [], []
        for i, name in enumerate(names):
            if name in res.params.index:
                ys.append(i + off)
                xs.append(float(res.params[name]))
                lo.append(float(ci.loc[name].iloc[0]))
                hi.append(float(ci.loc[name].iloc[1]))
        xs_a = np.asarray(xs)
        ax.errorbar(
            xs_a,
            ys,
            xerr=[xs_a - np.asarray(lo), np.asarray(hi) - xs_a],
            fmt="o",
            capsize=3,
            label=model,
        )
    ax.axvline(0.0, color="0.5", lw=0.8, ls="--")
    ax.set_yticks(range(len(names)), [labels.get(n, n) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel(f"Estimate with {level:.0%} interval")
    if k > 1:
        ax.legend(frameon=False, fontsize="small")
    fig.tight_layout()
    return fig


def fit_plot(result: Any, *, ax: Axes | None = None, log: bool = True) -> Figure:
    """Observed against fitted flows of a gravity model (log axes by default).

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2021])
    >>> fig = fit_plot(migflows.gravity("flow ~ log_dist | orig + dest", kz))
    >>> fig.axes[0].get_xlabel()
    'Fitted flow'
    """
    fitted = getattr(result, "fitted", None)
    if fitted is None or not {"observed", "fitted"} <= set(fitted.columns):
        raise InvalidOptionError("fit_plot() needs a gravity result with fitted values.")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5.0))
    else:
        fig = ax.figure  # type: ignore[assignment]
    obs, fit = fitted["observed"].to_numpy(float), fitted["fitted"].to_numpy(float)
    ax.scatter(fit, obs, s=8, alpha=0.5)
    positive = obs[obs > 0]
    lo = float(min(fit.min(), positive.min() if positive.size else fit.min()))
    hi = float(max(fit.max(), obs.max()))
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=0.8)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("Fitted flow")
    ax.set_ylabel("Observed flow")
    fig.tight_layout()
    return fig
