"""Regression tables: several models side by side.

:func:`table` reads result objects (gravity, panel, any object with the project's results
vocabulary: ``params``, ``std_errors``, ``conf_int``, ``pvalues``, ``nobs``) and lays them out
as publication tables — estimates with stars, standard errors (or intervals, or t statistics)
underneath, fixed-effect indicator rows and fit statistics — in HTML (renders in Jupyter),
LaTeX (booktabs, compiles), Markdown or a DataFrame.

Written here rather than with maketables or great-tables: maketables (0.2) reads the result
classes of other packages through plug-ins, and our results share one vocabulary already;
the layout below is a few hundred lines and keeps the reports layer free of another
dependency. Estimation never formats; this module never estimates.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from migflows.errors import InvalidOptionError, format_values
from migflows.estimation.core.protocol import ResultsProtocol
from migflows.reports.labels import table_labels

Format = Literal["df", "html", "latex", "markdown"]
_PROTOCOL_MEMBERS = sorted(
    n for n in vars(ResultsProtocol) if not n.startswith("_") and n not in {"register"}
)
DEFAULT_STARS: tuple[tuple[float, str], ...] = ((0.01, "***"), (0.05, "**"), (0.1, "*"))
STAT_LABELS: dict[str, str] = {
    "nobs": "Observations",
    "pseudo_rsquared": "Pseudo R²",
    "rsquared": "R²",
    "rsquared_within": "Within R²",
    "alpha": "Dispersion α",
    "loglik": "Log likelihood",
    "vcov": "Std. errors",
}


@dataclass(frozen=True)
class RegressionTable:
    """A laid-out regression table.

    Attributes
    ----------
    cells : DataFrame
        Text cells: rows are coefficient rows (estimate, then its uncertainty row), fixed
        effects and statistics; columns are the models.
    sections : dict
        Row labels per section: ``"coefficients"``, ``"fixed_effects"``, ``"stats"``.
    notes : str
        Footnote (stars and what the bracketed numbers are).
    names : dict
        Shown row label -> raw parameter or fixed-effect name.

    Examples
    --------
    >>> import migflows
    >>> from migflows.reports.tables import table
    >>> kz = migflows.load_kazakhstan(years=[2020, 2021])
    >>> m = migflows.gravity("flow ~ log_dist | orig + dest + year", kz)
    >>> print(table([m], format="markdown").splitlines()[2])
    | log_dist | -1.157*** |
    """

    cells: pd.DataFrame
    sections: dict[str, list[str]]
    notes: str
    names: dict[str, str] = field(default_factory=dict)  # shown row -> raw parameter name

    def to_frame(self) -> pd.DataFrame:
        """The text cells (a copy)."""
        return self.cells.copy()

    def to_html(self) -> str:
        """A standalone HTML ``<table>`` (booktabs-like rules, inline style)."""
        cols = list(self.cells.columns)
        head = "".join(f"<th style='text-align:center'>{html.escape(str(c))}</th>" for c in cols)
        body = []
        for section in ("coefficients", "fixed_effects", "stats"):
            labels = self.sections.get(section, [])
            for i, label in enumerate(labels):
                row = self.cells.loc[label]
                rule = (
                    " style='border-top:1px solid #000'"
                    if i == 0 and section != "coefficients"
                    else ""
                )
                shown = "" if _is_uncertainty_label(label) else html.escape(label)
                tds = "".join(
                    f"<td style='text-align:center;padding:0 .6em'>{html.escape(str(row[c]))}</td>"
                    for c in cols
                )
                body.append(f"<tr{rule}><td style='text-align:left'>{shown}</td>{tds}</tr>")
        return (
            "<table style='border-collapse:collapse;border-top:2px solid #000;"
            "border-bottom:2px solid #000'>"
            f"<thead><tr style='border-bottom:1px solid #000'><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody>"
            f"<tfoot><tr><td colspan='{len(cols) + 1}' style='text-align:left;font-size:85%'>"
            f"{html.escape(self.notes)}</td></tr></tfoot></table>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_latex(self) -> str:
        """A ``tabular`` with booktabs rules (needs the LaTeX package booktabs)."""
        cols = list(self.cells.columns)
        lines = [
            "\\begin{tabular}{l" + "c" * len(cols) + "}",
            "\\toprule",
            " & " + " & ".join(_latex_escape(str(c)) for c in cols) + " \\\\",
            "\\midrule",
        ]
        for section in ("coefficients", "fixed_effects", "stats"):
            labels = self.sections.get(section, [])
            if labels and section != "coefficients":
                lines.append("\\midrule")
            for label in labels:
                row = self.cells.loc[label]
                shown = "" if _is_uncertainty_label(label) else _latex_escape(label)
                cells = " & ".join(_latex_cell(str(row[c])) for c in cols)
                lines.append(f"{shown} & {cells} \\\\")
        lines += [
            "\\bottomrule",
            f"\\multicolumn{{{len(cols) + 1}}}{{l}}{{\\footnotesize {_latex_escape(self.notes)}}}"
            " \\\\",
            "\\end{tabular}",
        ]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table."""
        cols = list(self.cells.columns)
        lines = ["| | " + " | ".join(map(str, cols)) + " |", "|---|" + "---|" * len(cols)]
        for section in ("coefficients", "fixed_effects", "stats"):
            for label in self.sections.get(section, []):
                row = self.cells.loc[label]
                shown = "" if _is_uncertainty_label(label) else label
                lines.append(f"| {shown} | " + " | ".join(str(row[c]) for c in cols) + " |")
        lines.append("")
        lines.append(self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()


def named_results(results: Sequence[Any] | Mapping[str, Any], caller: str) -> dict[str, Any]:
    """Models by column title: a mapping as given, a sequence numbered ``(1)``, ``(2)``.

    Raises :class:`InvalidOptionError` when there is none or one is not a fitted result.
    """
    named = (
        dict(results)
        if isinstance(results, Mapping)
        else {f"({i + 1})": r for i, r in enumerate(results)}
    )
    if not named:
        raise InvalidOptionError(f"{caller} needs at least one result.")
    for name, res in named.items():
        if not isinstance(res, ResultsProtocol):
            missing = [m for m in _PROTOCOL_MEMBERS if not hasattr(type(res), m)]
            raise InvalidOptionError(
                f"Model {name!r} ({type(res).__name__}) has no params or lacks the results "
                f"protocol ({', '.join(sorted(missing)) or 'members'} missing); pass fitted "
                "results (see migflows.estimation.core.protocol.ResultsProtocol)."
            )
    return named


def _is_uncertainty_label(label: str) -> bool:
    return label.startswith("\u200b")


def _latex_escape(text: str) -> str:
    repl = {
        "&": "\\&",
        "%": "\\%",
        "$": "\\$",
        "#": "\\#",
        "_": "\\_",
        "{": "\\{",
        "}": "\\}",
        "~": "\\textasciitilde{}",
        "^": "\\textasciicircum{}",
        "²": "$^2$",
        "α": "$\\alpha$",
        "✓": "$\\checkmark$",
        "→": "$\\to$",
        "−": "$-$",
    }
    return "".join(repl.get(ch, ch) for ch in text)


def _latex_cell(text: str) -> str:
    m = re.fullmatch(r"(-?[\d.,]+)(\*+)", text)
    if m:
        return f"{m.group(1)}$^{{{m.group(2)}}}$"
    return _latex_escape(text)


def _fixed_effects(res: ResultsProtocol) -> tuple[str, ...]:
    return tuple(res.fixed_effects)


def _fe_mark(res: ResultsProtocol, fe: str) -> str:
    """✓ for an absorbed fixed effect, "pooled" for a partially pooled (Bayesian) effect."""
    if fe not in res.fixed_effects:
        return ""
    return "pooled" if fe in res.pooled_effects else "✓"


def _stat(res: ResultsProtocol, key: str) -> Any:
    if key == "nobs":
        return res.nobs
    if key == "vcov":
        return res.vcov_type
    # a documented attribute of the result (``rsquared`` of a panel model) or a fit statistic
    value = getattr(res, key, None)
    if value is None:
        value = res.stats.get(key)
    if callable(value):
        return None
    return value


def table(
    results: Sequence[Any] | Mapping[str, Any],
    format: Format = "df",
    *,
    stars: bool | Sequence[tuple[float, str]] = True,
    keep: Iterable[str] | None = None,
    drop: Iterable[str] | None = None,
    labels: Mapping[str, str] | Literal["auto"] | None = None,
    uncertainty: Literal["std_errors", "conf_int", "tstats"] = "std_errors",
    level: float = 0.95,
    digits: int = 3,
    stats: Sequence[str] = ("nobs", "pseudo_rsquared", "rsquared", "alpha", "loglik", "vcov"),
    tests: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame | str:
    """Lay out several models side by side.

    Parameters
    ----------
    results : sequence or mapping of results
        Fitted models; a mapping gives column titles (default ``(1)``, ``(2)`` …).
    format : {"df", "html", "latex", "markdown"}
        ``"df"`` returns the text cells as a DataFrame; the others a string.
    stars : bool or sequence of (p, mark)
        Significance marks, default ``*** p<0.01, ** p<0.05, * p<0.1``.
    keep, drop : iterable of str
        Regular expressions selecting coefficients (``keep`` also orders them).
    labels : mapping or "auto"
        Display names for coefficients, fixed effects and statistics; ``"auto"`` takes them
        from the report's label map (``log_wage_ratio`` -> "Log wage ratio
        (destination/origin)"; :func:`migflows.reports.labels.table_labels`). The raw
        names stay available: ``RegressionTable.names`` and, for ``format="df"``,
        ``frame.attrs["names"]`` map each shown row to its parameter.
    uncertainty : {"std_errors", "conf_int", "tstats"}
        What goes under each estimate: standard error in parentheses, interval in brackets,
        or t statistic in parentheses.
    level : float
        Interval level for ``uncertainty="conf_int"``.
    digits : int
        Decimals.
    stats : sequence of str
        Statistics rows, read from each result (attribute or ``stats`` entry); rows that no
        model has are left out. An IV result's ``"First-stage F (x)"`` is such an entry.
    tests : mapping, optional
        Rows of test results computed beforehand: row label -> {model title: result of
        ``res.wald_test(...)`` (shown as ``stat (p = ...)``), of ``res.wild_bootstrap(...)``
        (``p = ... [lower, upper]``) or a number}. Models without an entry stay blank.

    Returns
    -------
    DataFrame or str

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2020, 2021])
    >>> a = migflows.gravity("flow ~ log_dist | orig + dest + year", kz)
    >>> b = migflows.gravity("flow ~ log_dist | orig + dest + year", kz, estimator="ols")
    >>> table({"PPML": a, "OLS": b}).loc["log_dist"].tolist()
    ['-1.157***', '-1.297***']
    """
    if format not in ("df", "html", "latex", "markdown"):
        raise InvalidOptionError(
            f"format={format!r} is not allowed; use 'df', 'html', 'latex' or 'markdown'."
        )
    out = _layout(
        results,
        stars=stars,
        keep=keep,
        drop=drop,
        labels=labels,
        uncertainty=uncertainty,
        level=level,
        digits=digits,
        stats=stats,
        tests=tests,
    )
    if format == "df":
        frame = out.to_frame()
        frame.index = [
            i.replace("\u200b", "") + " (se)" if _is_uncertainty_label(i) else i
            for i in frame.index
        ]
        frame.attrs["names"] = dict(out.names)
        return frame
    return {"html": out.to_html, "latex": out.to_latex, "markdown": out.to_markdown}[format]()


def _layout(
    results: Sequence[Any] | Mapping[str, Any],
    *,
    stars: bool | Sequence[tuple[float, str]],
    keep: Iterable[str] | None,
    drop: Iterable[str] | None,
    labels: Mapping[str, str] | Literal["auto"] | None,
    uncertainty: str,
    level: float,
    digits: int,
    stats: Sequence[str],
    tests: Mapping[str, Mapping[str, Any]] | None = None,
) -> RegressionTable:
    if uncertainty not in ("std_errors", "conf_int", "tstats"):
        raise InvalidOptionError(
            f"uncertainty={uncertainty!r} is not allowed; use 'std_errors', 'conf_int' or 'tstats'."
        )
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 12:
        raise InvalidOptionError(f"digits={digits!r} must be a whole number from 0 to 12.")
    named = named_results(results, "table()")
    auto = isinstance(labels, str) and labels == "auto"
    if isinstance(labels, str) and not auto:
        raise InvalidOptionError(f"labels={labels!r}: give a mapping or 'auto'.")
    labels = {} if auto else dict(cast(Mapping[str, str], labels) or {})
    marks = DEFAULT_STARS if stars is True else (() if stars is False else tuple(stars))
    for pair in marks:
        if (
            not isinstance(pair, tuple | list)
            or len(pair) != 2
            or not isinstance(pair[0], int | float)
            or not 0 < pair[0] < 1
        ):
            raise InvalidOptionError(
                f"stars={stars!r}: give (p-value threshold, mark) pairs with 0 < p < 1, e.g. "
                f"[(0.01, '***'), (0.05, '**'), (0.1, '*')]."
            )
    names = coefficient_order(named.values(), keep, drop)
    fe_all = list(dict.fromkeys(fe for res in named.values() for fe in _fixed_effects(res)))
    if auto:
        labels = table_labels(names, fe_all)
    fmt = f"{{:.{digits}f}}"
    rows: dict[str, dict[str, str]] = {}
    coef_labels: list[str] = []
    for pname in names:
        shown = labels.get(pname, pname)
        unc_label = "\u200b" + shown  # zero-width prefix: the row under the estimate
        est_row, unc_row = {}, {}
        for col, res in named.items():
            params = res.params
            if pname not in params.index:
                est_row[col], unc_row[col] = "", ""
                continue
            b = float(params[pname])
            p = _pvalue(res, pname)
            mark = next((m for cut, m in marks if p is not None and p < cut), "")
            est_row[col] = fmt.format(b) + mark
            unc_row[col] = _uncertainty_text(res, pname, uncertainty, level, fmt)
        rows[shown] = est_row
        rows[unc_label] = unc_row
        coef_labels += [shown, unc_label]
    fe_labels = []
    for fe in fe_all:
        label = labels.get(fe, f"FE: {fe}")
        rows[label] = {col: _fe_mark(r, fe) for col, r in named.items()}
        fe_labels.append(label)
    stat_labels = []
    for key in stats:
        values = {col: _stat(r, key) for col, r in named.items()}
        if all(v is None or (isinstance(v, float) and np.isnan(v)) for v in values.values()):
            continue
        label = labels.get(key, STAT_LABELS.get(key, key))
        rows[label] = {col: _stat_text(v, digits) for col, v in values.items()}
        stat_labels.append(label)
    for label, by_model in (tests or {}).items():
        unknown = [m for m in by_model if m not in named]
        if unknown:
            raise InvalidOptionError(
                f"tests row {label!r} names model(s) {unknown}; the models are {list(named)}"
            )
        rows[label] = {col: _test_text(by_model.get(col), digits) for col in named}
        stat_labels.append(label)
    cells = pd.DataFrame.from_dict(rows, orient="index")[list(named)]
    bayes = any(r.inference == "bayesian" for r in named.values())
    return RegressionTable(
        cells,
        {"coefficients": coef_labels, "fixed_effects": fe_labels, "stats": stat_labels},
        _notes(marks, uncertainty, level, bayes=bayes),
        {labels.get(n, n): n for n in [*names, *fe_all]},
    )


def regression_table(
    results: Sequence[Any] | Mapping[str, Any],
    *,
    stars: bool | Sequence[tuple[float, str]] = True,
    keep: Iterable[str] | None = None,
    drop: Iterable[str] | None = None,
    labels: Mapping[str, str] | Literal["auto"] | None = None,
    uncertainty: Literal["std_errors", "conf_int", "tstats"] = "std_errors",
    level: float = 0.95,
    digits: int = 3,
    stats: Sequence[str] = ("nobs", "pseudo_rsquared", "rsquared", "alpha", "loglik", "vcov"),
    tests: Mapping[str, Mapping[str, Any]] | None = None,
) -> RegressionTable:
    """Like :func:`table` but return the :class:`RegressionTable` (renders in Jupyter).

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2020])
    >>> m = migflows.gravity("flow ~ log_dist | orig + dest", kz)
    >>> regression_table([m]).sections["fixed_effects"]
    ['FE: orig', 'FE: dest']
    """
    return _layout(
        results,
        stars=stars,
        keep=keep,
        drop=drop,
        labels=labels,
        uncertainty=uncertainty,
        level=level,
        digits=digits,
        stats=stats,
        tests=tests,
    )


def _patterns(patterns: Iterable[str], name: str) -> list[re.Pattern[str]]:
    if isinstance(patterns, str):
        patterns = [patterns]
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p))
        except (re.error, TypeError) as err:
            raise InvalidOptionError(
                f"{name}={p!r} is not a regular expression ({err}); escape special characters, "
                f"e.g. {name}=[re.escape({p!r})]."
            ) from None
    return out


def coefficient_order(
    results: Iterable[Any], keep: Iterable[str] | None, drop: Iterable[str] | None
) -> list[str]:
    """Parameter names of ``results`` in order of appearance, filtered by regex patterns."""
    order: list[str] = []
    for res in results:
        for name in res.params.index:
            if name not in order:
                order.append(str(name))
    if drop is not None:
        pats = _patterns(drop, "drop")
        order = [n for n in order if not any(p.search(n) for p in pats)]
    if keep is not None:
        pats = _patterns(keep, "keep")
        kept: list[str] = []
        for p in pats:
            kept += [n for n in order if p.search(n) and n not in kept]
        if not kept:
            raise InvalidOptionError(
                f"keep={list(keep)!r} matches no coefficient; available: {format_values(order)}."
            )
        order = kept
    return order


def _pvalue(res: Any, name: str) -> float | None:
    pv = getattr(res, "pvalues", None)
    if pv is None or name not in pv.index:
        return None
    value = float(pv[name])
    return None if np.isnan(value) else value


def _uncertainty_text(res: Any, name: str, kind: str, level: float, fmt: str) -> str:
    if kind == "conf_int":
        ci = res.conf_int(level=level)
        lo, hi = ci.loc[name].to_numpy()[:2]
        return f"[{fmt.format(lo)}, {fmt.format(hi)}]"
    source = res.std_errors if kind == "std_errors" else res.tstats
    return f"({fmt.format(float(source[name]))})"


def _test_text(value: Any, digits: int) -> str:
    """A test cell: Wald ``stat (p = ..)``, bootstrap ``p = .. [lower, upper]``, or a number."""
    if value is None:
        return ""
    f = f"{{:.{digits}f}}"
    if hasattr(value, "lower") and hasattr(value, "pval"):
        return f"p = {f.format(value.pval)} [{f.format(value.lower)}, {f.format(value.upper)}]"
    if hasattr(value, "stat") and hasattr(value, "pval"):
        return f"{f.format(value.stat)} (p = {f.format(value.pval)})"
    return _stat_text(value, digits)


def _stat_text(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.{digits}f}"
    return str(value)


def _notes(
    marks: Sequence[tuple[float, str]], uncertainty: str, level: float, *, bayes: bool = False
) -> str:
    what = {
        "std_errors": "Standard errors in parentheses.",
        "conf_int": f"{level:.0%} confidence intervals in brackets.",
        "tstats": "t statistics in parentheses.",
    }[uncertainty]
    if bayes:
        what += (
            " Bayesian models: posterior means, posterior standard deviations or equal-tailed "
            "credible intervals, no stars; 'pooled' marks partially pooled effects."
        )
    star = ", ".join(f"{m} p<{cut:g}" for cut, m in marks)
    return f"{what} {star}".strip()
