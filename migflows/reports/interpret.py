"""Plain-language reading of model tables: what sign and size mean, and when to be careful.

Report sections put :func:`interpret_models` under a results table. It reads only the results
protocol (``params``, ``pvalues``) and writes, per regressor: the size in words (an elasticity
for log regressors, a percent effect per unit otherwise, for models with a log link), whether
it is distinguishable from zero, and cautions when the sign flips across models or the
estimates rest on few years.

Examples
--------
>>> import pandas as pd
>>> class R:  # any object with params and pvalues
...     def __init__(self, b, p):
...         self.params, self.pvalues = pd.Series(b), pd.Series(p)
>>> text = interpret_models({"A": R({"log_dist": -1.2}, {"log_dist": 0.0004}),
...                          "B": R({"log_dist": -0.9}, {"log_dist": 0.2})}, years=[2020, 2021])
>>> text[0]  # doctest: +NORMALIZE_WHITESPACE
'log distance (km): 10% more goes with 10.8% fewer moves in A (p < 0.001);
 in B -0.90, not distinguishable from zero (p = 0.200).'
>>> text[-1].startswith("Caution: the estimates rest on 2 years")
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from migflows.reports.labels import label

__all__ = ["fmt_pvalue", "interpret_models"]


def fmt_pvalue(p: float) -> str:
    """``p < 0.001`` or ``p = 0.042``.

    Examples
    --------
    >>> fmt_pvalue(8.5e-81), fmt_pvalue(0.0421)
    ('p < 0.001', 'p = 0.042')
    """
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _size(term: str, b: float, log_link: bool, outcome: str) -> str:
    if not log_link:
        return f"one unit more goes with {b:+.3g} in the outcome"
    elastic = term.startswith("log")
    effect = ((1.1**b if elastic else math.exp(b)) - 1) * 100
    change = "10% more" if elastic else "one unit more"
    return f"{change} goes with {abs(effect):.1f}% {'more' if effect > 0 else 'fewer'} {outcome}"


def interpret_models(
    models: Mapping[str, Any],
    *,
    years: Sequence[int] | None = None,
    log_link: bool = True,
    outcome: str = "moves",
    alpha: float = 0.05,
) -> list[str]:
    """One sentence per regressor, then cautions; see the module docstring.

    Parameters
    ----------
    models : mapping
        Label -> results (``params`` and ``pvalues`` Series).
    years : sequence of int, optional
        Years the estimates rest on; three or fewer add a caution.
    log_link : bool, default True
        Coefficients act on the log of the expected outcome (PPML, Poisson, log-OLS).
    outcome : str
        What the dependent variable counts, for the sentences.
    alpha : float, default 0.05
        Level below which an estimate is called distinguishable from zero.
    """
    terms: list[str] = []
    for res in models.values():
        terms += [t for t in res.params.index if t != "Intercept" and t not in terms]
    sentences: list[str] = []
    flips: list[str] = []
    for term in terms:
        pieces: list[str] = []
        signs = set()
        for name, res in models.items():
            if term not in res.params.index:
                continue
            b, p = float(res.params[term]), float(res.pvalues[term])
            if not math.isfinite(b):
                continue
            signs.add(b > 0)
            if p < alpha and not pieces:
                pieces.append(f"{_size(term, b, log_link, outcome)} in {name} ({fmt_pvalue(p)})")
            elif p < alpha:
                pieces.append(f"in {name} {b:.2f} ({fmt_pvalue(p)})")
            else:
                pieces.append(f"in {name} {b:.2f}, not distinguishable from zero ({fmt_pvalue(p)})")
        if pieces:
            sentences.append(f"{label(term)}: {'; '.join(pieces)}.")
        if len(signs) > 1:
            flips.append(str(label(term)))
    if flips:
        sentences.append(
            "Caution: the sign of " + ", ".join(flips) + " changes across models, so the data "
            "do not settle its direction; the models identify it from different variation "
            "(across regions, within regions over time, within pairs)."
        )
    if years is not None and len(years) <= 3:
        sentences.append(
            f"Caution: the estimates rest on {len(years)} years ({', '.join(map(str, years))}); "
            "effects identified from changes over time are then fragile — read them as "
            "indicative, not as stable elasticities."
        )
    return sentences
