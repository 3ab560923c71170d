"""Plain-language reading of model tables: what sign and size mean, and when to be careful.

Report sections put :func:`interpret_models` under a results table. It reads only the results
protocol (``params``, ``pvalues``, ``conf_int``) and writes, per regressor: the size in words
(an elasticity for log regressors, a percent effect per unit otherwise, for models with a log
link; the change of the outcome for linear models), whether it is distinguishable from zero
(by the p-value, or for a posterior by its credible interval), and cautions when the sign
flips across models or the estimates rest on few years. Every figure comes from the results
handed in; nothing is written in advance.

Examples
--------
>>> import pandas as pd
>>> class R:  # any object with params and pvalues
...     def __init__(self, b, p):
...         self.params, self.pvalues = pd.Series(b), pd.Series(p)
>>> text = interpret_models({"A": R({"log_dist": -1.2}, {"log_dist": 0.0004}),
...                          "B": R({"log_dist": -0.9}, {"log_dist": 0.2})}, years=[2020, 2021])
>>> text[0]  # doctest: +NORMALIZE_WHITESPACE
'Log distance (km): 10% more goes with 10.8% fewer moves in A (p < 0.001);
 in B -0.90, not distinguishable from zero (p = 0.200).'
>>> text[-1].startswith("Caution: the estimates rest on 2 years")
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from migflows.reports.labels import coefficient_label

__all__ = [
    "describe_flips",
    "describe_jumps",
    "fmt_pvalue",
    "interpret_forecast",
    "interpret_models",
    "sign_flips",
]


def fmt_pvalue(p: float) -> str:
    """``p < 0.001`` or ``p = 0.042``.

    Examples
    --------
    >>> fmt_pvalue(8.5e-81), fmt_pvalue(0.0421)
    ('p < 0.001', 'p = 0.042')
    """
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _size(term: str, b: float, log_link: bool, outcome: str) -> str:
    elastic = term.rsplit(":", 1)[-1].startswith("log")  # period::early:log_x is logged too
    if not log_link:
        # a linear model: the outcome moves by b per unit, or by b ln(1.1) for 10% more x
        change = "a 10% rise" if elastic else "one unit more"
        delta = b * math.log(1.1) if elastic else b
        return f"{change} goes with a change of {delta:+.3g} in {outcome}"
    effect = ((1.1**b if elastic else math.exp(b)) - 1) * 100
    change = "10% more" if elastic else "one unit more"
    return f"{change} goes with {abs(effect):.1f}% {'more' if effect > 0 else 'fewer'} {outcome}"


def _evidence(res: Any, term: str, alpha: float) -> tuple[bool, str] | None:
    """(distinguishable from zero, the figure that says so), or None when unknown."""
    p = float(res.pvalues[term]) if term in getattr(res, "pvalues", ()) else math.nan
    if math.isfinite(p):
        return p < alpha, fmt_pvalue(p)
    conf_int = getattr(res, "conf_int", None)
    if conf_int is None:
        return None
    ci = conf_int(level=1 - alpha)
    lo, hi = float(ci.loc[term].iloc[0]), float(ci.loc[term].iloc[1])
    kind = "credible" if getattr(res, "inference", "") == "bayesian" else "confidence"
    text = f"{100 * (1 - alpha):g}% {kind} interval {lo:.2f} to {hi:.2f}"
    return not lo <= 0 <= hi, text


def sign_flips(models: Mapping[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    """Regressors whose sign differs across models: term -> (positive in, negative in).

    Examples
    --------
    >>> import pandas as pd
    >>> class R:
    ...     def __init__(self, b):
    ...         self.params = pd.Series(b)
    >>> sign_flips({"FE": R({"x": -0.4}), "Pooled": R({"x": 0.2}), "RE": R({"x": 0.1})})
    {'x': (['Pooled', 'RE'], ['FE'])}
    """
    out: dict[str, tuple[list[str], list[str]]] = {}
    terms: list[str] = []
    for res in models.values():
        terms += [t for t in res.params.index if t != "Intercept" and t not in terms]
    for term in terms:
        pos: list[str] = []
        neg: list[str] = []
        for name, res in models.items():
            b = float(res.params[term]) if term in res.params.index else math.nan
            if math.isfinite(b) and b != 0:
                (pos if b > 0 else neg).append(name)
        if pos and neg:
            out[str(term)] = (pos, neg)
    return out


def interpret_models(
    models: Mapping[str, Any],
    *,
    years: Sequence[int] | None = None,
    log_link: bool = True,
    outcome: str = "moves",
    alpha: float = 0.05,
    period_years: Mapping[str, Sequence[int]] | None = None,
    identification: str = "the models identify it from different variation",
) -> list[str]:
    """One sentence per regressor, then cautions; see the module docstring.

    Parameters
    ----------
    models : mapping
        Label -> results (``params``, and ``pvalues`` or ``conf_int``).
    years : sequence of int, optional
        Years the estimates rest on; three or fewer add a caution.
    log_link : bool, default True
        Coefficients act on the log of the expected outcome (PPML, Poisson, log-OLS);
        False for linear models (the outcome changes by the coefficient).
    outcome : str
        What the dependent variable counts, for the sentences ("moves"; for a linear model
        e.g. "the net migration rate (per 1,000)").
    alpha : float, default 0.05
        Level below which an estimate is called distinguishable from zero.
    period_years : mapping, optional
        Period -> the years of the data in it, for period-specific slopes
        (``period::early:x``); a period of three or fewer years adds a caution.
    identification : str
        Why the models may disagree (what variation each uses), for the sign-flip caution.
    """
    terms: list[str] = []
    for res in models.values():
        terms += [t for t in res.params.index if t != "Intercept" and t not in terms]
    sentences: list[str] = []
    clear_terms: set[str] = set()
    for term in terms:
        pieces: list[str] = []
        for name, res in models.items():
            if term not in res.params.index:
                continue
            b = float(res.params[term])
            if not math.isfinite(b):
                continue
            found = _evidence(res, term, alpha)
            clear, figure = found if found is not None else (False, "no test available")
            if clear:
                clear_terms.add(term)
            if clear and not pieces:
                pieces.append(f"{_size(term, b, log_link, outcome)} in {name} ({figure})")
            elif clear:
                pieces.append(f"in {name} {b:.2f} ({figure})")
            else:
                pieces.append(f"in {name} {b:.2f}, not distinguishable from zero ({figure})")
        if pieces:
            sentences.append(f"{coefficient_label(term)}: {'; '.join(pieces)}.")
    flips = sign_flips(models)
    for settled in (True, False):
        chosen = {t: v for t, v in flips.items() if (t in clear_terms) == settled}
        if not chosen:
            continue
        detail = "; ".join(
            f"{coefficient_label(t)} is positive in {', '.join(pos)} and negative in "
            f"{', '.join(neg)}"
            for t, (pos, neg) in chosen.items()
        )
        sentences.append(
            f"Caution: the sign changes across models ({detail}), so the data do not settle "
            f"its direction; {identification}."
            if settled
            else f"Caution: the sign changes across models ({detail}) and no estimate of it is "
            "distinguishable from zero: the direction is not established."
        )
    for period, in_period in (period_years or {}).items():
        if 0 < len(in_period) <= 3:
            sentences.append(
                f"Caution: the {period}-period slopes rest on {len(in_period)} year(s) of data "
                f"({', '.join(map(str, in_period))}); with so few years a slope can be large "
                "or change sign by chance."
            )
    if years is not None and len(years) <= 3:
        sentences.append(
            f"Caution: the estimates rest on {len(years)} years ({', '.join(map(str, years))}); "
            "effects identified from changes over time are then fragile — read them as "
            "indicative, not as stable elasticities."
        )
    return sentences


def _persons(x: float) -> str:
    text = f"{x:+,.0f}"
    return text[1:] if text in ("-0", "+0") else text


def interpret_forecast(
    table: Any,
    scores: Any,
    *,
    year: int,
    level: float = 0.8,
    origins: Sequence[int] = (),
    regions: Mapping[str, str] | None = None,
    variable: str = "net",
) -> list[str]:
    """Plain-language reading of a forecast table and its backtest.

    Parameters
    ----------
    table : DataFrame
        One year's forecast by region: ``mean``, ``mean_ci_lower``, ``mean_ci_upper``.
    scores : DataFrame
        Backtest summary indexed by ``(method, variable)`` with ``mase`` and
        ``coverage_<level>`` columns.
    year : int
        The forecast year shown.
    level : float
        Interval level of ``table``.
    origins : sequence of int
        Backtest origins; two or fewer add a caution.
    regions : mapping, optional
        Region key -> display name.
    variable : str
        Which backtest rows to read.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"mean": [500.0, -300.0], "mean_ci_lower": [100.0, -900.0],
    ...                   "mean_ci_upper": [900.0, 200.0]}, index=["a", "b"])
    >>> s = pd.DataFrame({"mase": [0.8, 1.2], "coverage_80": [0.95, 0.6]},
    ...                  index=pd.MultiIndex.from_tuples([("naive", "net"), ("drift", "net")]))
    >>> interpret_forecast(t, s, year=2027, origins=[2023])[0]  # doctest: +NORMALIZE_WHITESPACE
    'In the backtest, naive forecast net balances best (MASE 0.80: its errors are smaller than
     those of a one-step naive forecast within the sample); its 80% intervals held 95% of the
     outcomes, so they are wider than needed.'
    """
    names = regions or {}
    pct = f"{100 * level:g}%"
    out: list[str] = []
    cov_col = f"coverage_{100 * level:g}"
    rows = scores.xs(variable, level=-1) if variable in scores.index.get_level_values(-1) else None
    if rows is not None and "mase" in rows and len(rows):
        best = str(rows["mase"].astype(float).idxmin())
        mase = float(rows.loc[best, "mase"])
        text = (
            f"In the backtest, {best} forecast {variable} balances best (MASE {mase:.2f}: its "
            f"errors are {'smaller' if mase < 1 else 'larger'} than those of a one-step naive "
            f"forecast within the sample)"
        )
        if cov_col in rows:
            cov = float(rows.loc[best, cov_col])
            verdict = (
                "so they are wider than needed"
                if cov > level + 0.1
                else "so they are too narrow: expect more surprises than the bands show"
                if cov < level - 0.1
                else "about as often as they should"
            )
            text += f"; its {pct} intervals held {cov:.0%} of the outcomes, {verdict}"
        out.append(text + ".")
    if len(table):
        mean = table["mean"].astype(float)
        for pick, word in ((mean.idxmax(), "gain"), (mean.idxmin(), "loss")):
            value = float(mean[pick])
            if (word == "gain") != (value > 0):
                continue
            lo, hi = (
                float(table.loc[pick, "mean_ci_lower"]),
                float(table.loc[pick, "mean_ci_upper"]),
            )
            out.append(
                f"For {year}, the largest projected {word} is {names.get(pick, pick)}: "
                f"{_persons(value)} persons ({pct} interval {_persons(lo)} to {_persons(hi)})."
            )
        spans_zero = int(((table["mean_ci_lower"] <= 0) & (table["mean_ci_upper"] >= 0)).sum())
        if spans_zero:
            out.append(
                f"{spans_zero} of {len(table)} regions have {'an' if pct[0] == '8' else 'a'} "
                f"{pct} interval that includes zero: for them even the sign of the balance is "
                "uncertain."
            )
    if 0 < len(origins) <= 2:
        out.append(
            f"Caution: the backtest rests on {len(origins)} forecast origin(s) "
            f"({', '.join(map(str, origins))}), so the ranking of the methods is tentative."
        )
    return out


def describe_jumps(jumps: Any) -> list[str]:
    """Sentences on the national jumps of :func:`migflows.data.anomalies.national_jumps`.

    Examples
    --------
    >>> import pandas as pd
    >>> j = pd.DataFrame({"previous_year": [2023], "previous": [472227], "total": [689497],
    ...                   "annual_change": [0.46], "typical_change": [0.088]},
    ...                  index=pd.Index([2024], name="year"))
    >>> describe_jumps(j)[0][:73]
    'National inter-regional moves rose 46% from 2023 to 2024 (472,227 → 689,4'
    """
    out = []
    for year, row in jumps.iterrows():
        change = float(row["annual_change"])
        gap = int(year) - int(row["previous_year"])
        verb = "rose" if change > 0 else "fell"
        rate = f"{abs(change):.0%}" + ("" if gap == 1 else " a year")
        out.append(
            f"National inter-regional moves {verb} {rate} from {int(row['previous_year'])} to "
            f"{int(year)} ({int(row['previous']):,} → {int(row['total']):,} persons), against a "
            f"typical change of {float(row['typical_change']):.1%} a year between the years "
            f"shown. A change this large in so short a time more often reflects how moves are "
            f"registered or counted than how people behave: check the source notes before "
            f"reading it as a trend, and compare models with and without {int(year)}."
        )
    return out


def describe_flips(flips: Any, regions: Mapping[str, str] | None = None) -> list[str]:
    """Sentences on the sign flips of :func:`migflows.data.anomalies.lone_sign_flips`.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"year": [2015], "net": [-2463], "typical": [33127.0],
    ...                   "low": [25607.0], "high": [73238.0], "flips_that_year": [6]},
    ...                  index=pd.Index(["astana_city"], name="region"))
    >>> describe_flips(f, {"astana_city": "Astana city"})[0][:85]
    'Astana city had a positive net balance in every other year (from +25,607 to +73,238; '
    """
    names = regions or {}
    out = []
    for region, row in flips.iterrows():
        typical = float(row["typical"])
        side = "positive" if typical > 0 else "negative"
        year, n_year = int(row["year"]), int(row["flips_that_year"])
        text = (
            f"{names.get(region, region)} had a {side} net balance in every other year (from "
            f"{_persons(float(row['low']))} to {_persons(float(row['high']))}; median "
            f"{_persons(typical)}) but {_persons(float(row['net']))} in {year}."
        )
        if n_year >= 3:
            text += (
                f" In {year}, {n_year} regions have the opposite sign to all their other years, "
                f"which points to that year's data (territory, registration) more than to the "
                f"regions; treat {year}'s balances with care."
            )
        out.append(text)
    return out
