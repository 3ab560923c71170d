"""An–Becker–Cheng on the real period: region-level net migration 2000–2014, boom vs crisis.

An, Becker & Cheng (JDS 53(9), 2017, "Economic crisis, income gaps, uncertainty, and
inter-regional migration responses: Kazakhstan 2000–2014") find that the conventional forces
hold, that the 2008+ crisis deters migration, weakens the effect of income gaps and reduces the
deterrent effect of relative uncertainty. :func:`abc_regions` runs that design on the region-year
panel of :func:`migflows.data.regional_panel.load_kazakhstan_regions`: net migration rate
per 1,000 on the log income ratio, the unemployment gap and relative income uncertainty, with
period-specific slopes, region and year effects, WLS by mid-year population, Driscoll–Kraay and
region-clustered standard errors, panel unit-root pre-tests, one model per period, and a Wald test
of each period difference (:func:`period_difference_test`).

Caveats written next to every result (:attr:`ABCRegionsResult.caveats`): per-capita cash income
stands in for wages (regional wages before 2013 were not found), *total* net migration (internal
and international) stands in for inter-regional in- and out-migration (not published before
2022), and break years are excluded (2008 census rebasing; Almaty city and region 2014).
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from migflows.data.regional_panel import ABC_PERIODS, load_kazakhstan_regions
from migflows.errors import InvalidOptionError, MigflowsWarning, MissingColumnError
from migflows.estimation.panel.api import panel
from migflows.estimation.panel.results import PanelResults
from migflows.studies.abc_models import pretest

__all__ = [
    "CAVEATS",
    "FINDING_MEASURES",
    "PAPER_FINDINGS",
    "ABCRegionsResult",
    "PeriodDifference",
    "abc_regions",
    "period_difference_test",
]

#: The paper's qualitative findings (no numbers of the paper are stored).
PAPER_FINDINGS: dict[str, str] = {
    "conventional forces hold": "income gaps attract (+), unemployment repels (-) in the boom",
    "the crisis deters migration": "migration intensity lower in the crisis",
    "the crisis weakens the income-gap effect": "income-gap slope smaller in the crisis",
    "the crisis reduces the deterrent of relative uncertainty": (
        "uncertainty slope less negative in the crisis"
    ),
}
#: How each finding is measured here.
FINDING_MEASURES: dict[str, str] = {
    "conventional forces hold": "boom slopes of log_rel_income and unemployment_gap",
    "the crisis deters migration": "|net_rate| on a crisis dummy, region effects, Driscoll-Kraay",
    "the crisis weakens the income-gap effect": "Wald: crisis - boom slope of log_rel_income",
    "the crisis reduces the deterrent of relative uncertainty": (
        "Wald: crisis - boom slope of uncertainty"
    ),
}
CAVEATS: tuple[str, ...] = (
    "Income, not wages: per-capita cash income (BNS, deflated by the regional CPI) stands in for "
    "the paper's wages; average wages by region before 2013 were not found.",
    "Net, not in/out: the outcome is total net migration (inter-regional and international) per "
    "1,000 mid-year residents; arrivals and departures separately were not published before "
    "2022.",
    "Break years: 2008 (2009 census rebasing) is excluded, so the crisis starts in 2009; Almaty "
    "city and region 2014 (transfer of territory) are excluded; South Kazakhstan includes "
    "Shymkent.",
    "Uncertainty: our measure is the rolling root mean square of the region's real income growth "
    "minus national growth; the paper's exact measure is not stated in the sources we have.",
)
REGRESSORS = ("log_rel_income", "unemployment_gap", "uncertainty")


@dataclass(frozen=True)
class PeriodDifference:
    """Wald test that slopes are equal across two periods (read-only).

    Attributes
    ----------
    terms : tuple of str
        Regressors whose period difference is tested (one restriction each).
    periods : tuple of str
        ``(first, second)``; the difference is second minus first.
    estimate, std_error : Series
        The differences and their standard errors under the result's covariance.
    statistic : float
        Wald chi-square ``d' (R V R')^{-1} d``; ``df`` restrictions.
    pvalue : float
        From chi-square(df); ``f_pvalue`` from F(df, df_resid) with ``statistic / df``.
    vcov_type : str
        The covariance the test used.
    """

    terms: tuple[str, ...]
    periods: tuple[str, str]
    estimate: pd.Series
    std_error: pd.Series
    statistic: float
    df: int
    pvalue: float
    f_pvalue: float
    vcov_type: str

    def __str__(self) -> str:
        a, b = self.periods
        lines = [f"Wald test: slopes of {', '.join(self.terms)} equal in {a!r} and {b!r}"]
        for t in self.terms:
            lines.append(f"  {b} - {a}, {t}: {self.estimate[t]:.4g} ({self.std_error[t]:.4g})")
        lines.append(
            f"  chi2({self.df}) = {self.statistic:.4g}, p = {self.pvalue:.4g}; covariance "
            f"{self.vcov_type}"
        )
        return "\n".join(lines)


def period_difference_test(
    res: Any,
    terms: str | Sequence[str],
    periods: Sequence[str] = ("boom", "crisis"),
    *,
    factor: str = "period",
) -> PeriodDifference:
    """Wald test that period-specific slopes ``i(period, x)`` are equal in two periods.

    Computed from ``res.params`` and ``res.cov`` (the result's own covariance), so it can later
    delegate to a ``res.wald_test`` with the restriction ``R b = 0``, one row per term:
    ``b[period::second:x] - b[period::first:x]``.

    Parameters
    ----------
    res : results object
        Any result with labelled ``params`` and ``cov`` (and ``df_resid`` for the F p-value).
    terms : str or sequence of str
        Regressors ``x`` of ``i(period, x)``; several give a joint test.
    periods : (str, str), default ("boom", "crisis")
    factor : str, default "period"

    Returns
    -------
    PeriodDifference

    Raises
    ------
    MissingColumnError
        A coefficient ``period::<label>:<x>`` is not in ``res.params`` (names those present).

    Examples
    --------
    >>> import warnings
    >>> from migflows.data.regional_panel import load_kazakhstan_regions
    >>> from migflows.estimation.panel.api import panel
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     df = load_kazakhstan_regions(years=range(2000, 2015))
    ...     res = panel("net_rate ~ i(period, log_rel_income) | entity + time", df,
    ...                 weights="population_mid", vcov={"driscoll_kraay": 2})
    >>> t = period_difference_test(res, "log_rel_income")
    >>> t.df, bool(0 <= t.pvalue <= 1)
    (1, True)
    """
    names = [terms] if isinstance(terms, str) else list(terms)
    first, second = str(periods[0]), str(periods[1])
    params = res.params
    index = [str(i) for i in params.index]
    rows = []
    for x in names:
        a, b = f"{factor}::{first}:{x}", f"{factor}::{second}:{x}"
        missing = [n for n in (a, b) if n not in index]
        if missing:
            raise MissingColumnError(
                f"coefficient {missing[0]!r} is not in the results (present: "
                f"{', '.join(index)}); fit the model with i({factor}, {x}) and periods "
                f"{first!r} and {second!r}."
            )
        r = np.zeros(len(index))
        r[index.index(b)], r[index.index(a)] = 1.0, -1.0
        rows.append(r)
    R = np.vstack(rows)
    beta = params.to_numpy(dtype=np.float64)
    V = res.cov.reindex(index=params.index, columns=params.index).to_numpy(dtype=np.float64)
    d = R @ beta
    RVR = R @ V @ R.T
    stat = float(d @ np.linalg.solve(RVR, d))
    q = len(names)
    df_resid = getattr(res, "df_resid", None)
    f_p = float(stats.f.sf(stat / q, q, df_resid)) if df_resid else float("nan")
    return PeriodDifference(
        terms=tuple(names),
        periods=(first, second),
        estimate=pd.Series(d, index=names, name="difference"),
        std_error=pd.Series(np.sqrt(np.diag(RVR)), index=names, name="std_error"),
        statistic=stat,
        df=q,
        pvalue=float(stats.chi2.sf(stat, q)),
        f_pvalue=f_p,
        vcov_type=str(getattr(res, "vcov_type", "")),
    )


@dataclass(frozen=True)
class ABCRegionsResult:
    """Outcome of :func:`abc_regions` / ``presets.an_becker_cheng()`` (read-only).

    Attributes
    ----------
    model, model_clustered : PanelResults
        The interacted WLS model (period slopes, region + year effects) under Driscoll–Kraay
        and under region-clustered standard errors.
    by_period : dict of str to PanelResults
        One model per period (Driscoll–Kraay).
    intensity : PanelResults
        Migration intensity ``|net_rate|`` on the crisis indicator with region effects: the
        "crisis deters migration" finding (year effects would absorb it).
    tests : DataFrame
        Wald tests of each period difference (and the joint one), per covariance.
    comparison : DataFrame
        Slopes per period and their difference (Driscoll–Kraay).
    unit_roots : DataFrame
        Panel unit-root pre-tests on each series.
    findings : DataFrame
        The paper's qualitative findings next to ours (holds / does not hold / sign).
    coverage : DataFrame
        Regions and years used, per period.
    specification : DataFrame
        Each element: paper, here, status.
    data : DataFrame
        The estimation frame.
    caveats, notes : tuple of str
    """

    model: PanelResults
    model_clustered: PanelResults
    by_period: dict[str, PanelResults]
    intensity: PanelResults
    tests: pd.DataFrame
    comparison: pd.DataFrame
    unit_roots: pd.DataFrame
    findings: pd.DataFrame
    coverage: pd.DataFrame
    specification: pd.DataFrame
    data: pd.DataFrame
    periods: dict[str, tuple[int, int]]
    caveats: tuple[str, ...] = CAVEATS
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        def fmt(v: float) -> str:
            return f"{v:.4g}"

        lines = [
            "An-Becker-Cheng on the regional panel: net migration rates, boom vs crisis",
            "=" * 72,
            f"{self.model.nobs} region-years, {self.model.n_entities} regions, "
            f"{self.model.n_periods} years",
            "",
            self.comparison.to_string(float_format=fmt),
            "",
            "Period-difference tests:",
            self.tests.to_string(float_format=fmt),
            "",
            "Findings (paper vs ours):",
            self.findings.to_string(float_format=fmt),
            "",
            "Caveats:",
            *[f"- {c}" for c in self.caveats],
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        caveats = "".join(f"<li>{html.escape(c)}</li>" for c in self.caveats)
        return (
            "<div><strong>An-Becker-Cheng on the regional panel 2000-2014</strong>"
            f"{self.comparison.to_html(float_format=lambda v: f'{v:.4g}')}"
            f"<p>Period-difference tests</p>{self.tests.to_html(float_format=lambda v: f'{v:.4g}')}"
            f"<p>Findings</p>{self.findings.to_html(float_format=lambda v: f'{v:.4g}')}"
            f"<ul>{caveats}</ul></div>"
        )


def _comparison(
    res: PanelResults, regressors: Sequence[str], labels: Sequence[str]
) -> pd.DataFrame:
    cols: dict[tuple[str, str], list[float]] = {}
    for lab in labels:
        names = [f"period::{lab}:{x}" for x in regressors]
        cols[(lab, "estimate")] = [float(res.params[n]) for n in names]
        cols[(lab, "std_error")] = [float(res.std_errors[n]) for n in names]
        cols[(lab, "pvalue")] = [float(res.pvalues[n]) for n in names]
    diff = [period_difference_test(res, x, (labels[0], labels[-1])) for x in regressors]
    cols[("difference", "estimate")] = [float(t.estimate.iloc[0]) for t in diff]
    cols[("difference", "std_error")] = [float(t.std_error.iloc[0]) for t in diff]
    cols[("difference", "pvalue")] = [t.pvalue for t in diff]
    out = pd.DataFrame(cols, index=pd.Index(list(regressors), name="regressor"))
    out.columns = pd.MultiIndex.from_tuples(list(cols), names=["period", "statistic"])
    return out


def _verdict(estimate: float, pvalue: float, expected_sign: int) -> str:
    if not np.isfinite(estimate):
        return "not estimated"
    sign = "+" if estimate > 0 else "-"
    if np.sign(estimate) == expected_sign:
        return "holds" if pvalue < 0.05 else f"sign as the paper ({sign}), not significant at 5%"
    return "does not hold" + (f" (opposite sign {sign}, significant)" if pvalue < 0.05 else "")


def _findings(
    model: PanelResults, intensity: PanelResults, tests: pd.DataFrame, labels: Sequence[str]
) -> pd.DataFrame:
    first = labels[0]
    inc, un = f"period::{first}:log_rel_income", f"period::{first}:unemployment_gap"
    dk = tests.xs(str(model.vcov_type), level="covariance")
    rows = []
    b_inc, b_un = float(model.params.get(inc, np.nan)), float(model.params.get(un, np.nan))
    p_inc, p_un = float(model.pvalues.get(inc, np.nan)), float(model.pvalues.get(un, np.nan))
    rows.append(
        (
            "conventional forces hold",
            f"income {b_inc:+.3g} (p {p_inc:.3g}); unemployment {b_un:+.3g} (p {p_un:.3g})",
            "+ / -",
            f"income: {_verdict(b_inc, p_inc, 1)}; unemployment: {_verdict(b_un, p_un, -1)}",
        )
    )
    crisis = next(n for n in intensity.params.index if str(n) != "Intercept")
    b, p = float(intensity.params[crisis]), float(intensity.pvalues[crisis])
    rows.append(("the crisis deters migration", f"{b:+.3g} (p {p:.3g})", "-", _verdict(b, p, -1)))
    for key, term, expected in (
        ("the crisis weakens the income-gap effect", "log_rel_income", -1),
        ("the crisis reduces the deterrent of relative uncertainty", "uncertainty", 1),
    ):
        if term not in dk.index:
            rows.append((key, "", "-" if expected < 0 else "+", f"not estimated ({term} not used)"))
            continue
        est, pv = (
            float(dk["estimate"].to_numpy()[dk.index.get_loc(term)]),
            float(dk["pvalue"].to_numpy()[dk.index.get_loc(term)]),
        )
        rows.append((key, f"{est:+.3g} (Wald p {pv:.3g})", "-" if expected < 0 else "+",
                     _verdict(est, pv, expected)))  # fmt: skip
    out = pd.DataFrame(rows, columns=["finding", "ours", "expected_sign", "verdict"])
    out.insert(1, "paper", out["finding"].map(PAPER_FINDINGS))
    out.insert(2, "measure", out["finding"].map(FINDING_MEASURES))
    return out.set_index("finding")


def _coverage(sample: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    rows = {}
    for name in labels:
        g = sample[sample["period"] == name]
        years = sorted(set(g.index.get_level_values(1)))
        rows[name] = {
            "regions": g.index.get_level_values(0).nunique(),
            "years": f"{years[0]}-{years[-1]}" if years else "",
            "n_years": len(years),
            "region_years": len(g),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "period"
    return out


def _specification(
    dependent: str,
    weights: str,
    window: int,
    periods: Mapping[str, tuple[int, int]],
    tests: Sequence[str],
) -> pd.DataFrame:
    spans = ", ".join(f"{k} {a}-{b}" for k, (a, b) in periods.items())
    rows = [
        ("outcome", "inter-regional migration rates",
         f"{dependent}: total net migration per 1,000", "our choice (net only before 2022)"),
        ("income gap", "regional wages / income gaps",
         "log real per-capita cash income / weighted mean", "income for wages"),
        ("unemployment", "unemployment",
         "unemployment - labour-force-weighted mean", "follows"),
        ("uncertainty", "relative uncertainty",
         f"RMS of relative real income growth, {window}-year window", "our measure"),
        ("periods", "boom 2000-2007, crisis 2008-2014", spans, "2008 excluded (break year)"),
        ("estimator", "WLS",
         f"WLS by {weights}, region + year effects, period slopes", "follows; effects ours"),
        ("standard errors", "-", "Driscoll-Kraay and clustered by region", "our choice"),
        ("pre-tests", "panel unit-root tests", " and ".join(tests), "follows the idea"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["element", "paper", "here", "status"]).set_index("element")


def abc_regions(
    data: pd.DataFrame | None = None,
    *,
    periods: Mapping[str, tuple[int, int]] | None = None,
    dependent: str = "net_rate",
    regressors: Sequence[str] = REGRESSORS,
    weights: str = "population_mid",
    window: int = 3,
    relative_to: Literal["national", "others"] = "national",
    bandwidth: float | None = None,
    tests: Sequence[str] = ("ips", "hadri"),
) -> ABCRegionsResult:
    """Run the An–Becker–Cheng design on a region-year panel (default: Kazakhstan 2000–2014).

    Parameters
    ----------
    data : DataFrame, optional
        ``(region, year)``-indexed frame with the dependent variable, regressors and weights
        (default :func:`~migflows.data.regional_panel.load_kazakhstan_regions` with
        ``window`` and ``relative_to``); a ``period`` column is (re)built from ``periods``.
    periods : mapping, optional
        Default boom 2000–2007, crisis 2009–2014 (2008 is a break year). Your own breaks:
        ``{"before": (2001, 2007), "after": (2009, 2016)}``. First and last are compared.
    dependent, regressors, weights : optional
        Defaults ``net_rate``; ``log_rel_income``, ``unemployment_gap``, ``uncertainty``;
        ``population_mid``.
    window, relative_to
        Passed to ``load_kazakhstan_regions`` when ``data`` is None.
    bandwidth : float, optional
        Driscoll–Kraay bandwidth (default linearmodels' rule).
    tests : sequence of str
        Panel unit-root tests run on each series (``migflows.unit_root``).

    Returns
    -------
    ABCRegionsResult

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = abc_regions()
    >>> res.coverage["n_years"].tolist(), res.model.nobs
    ([7, 6], 206)
    >>> int(res.tests.loc[("Driscoll-Kraay", "uncertainty"), "df"])
    1
    """
    periods = dict(ABC_PERIODS if periods is None else periods)
    if len(periods) < 2:
        raise InvalidOptionError(
            f"periods={periods!r}: give at least two periods, e.g. {ABC_PERIODS!r}."
        )
    labels = list(periods)
    if data is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MigflowsWarning)
            frame = load_kazakhstan_regions(
                years=range(2000, min(2022, max(hi for _, hi in periods.values())) + 1),
                window=window,
                relative_to=relative_to,
                periods=periods,
            )
        notes = [str(w.message) for w in caught]
    else:
        frame, notes = data.copy(), []
        missing = [c for c in (dependent, *regressors, weights) if c not in frame.columns]
        if missing:
            present = ", ".join(map(str, frame.columns))
            raise MissingColumnError(
                f"column {missing[0]!r} is not in data (columns: {present}); pass a "
                "(region, year) frame such as migflows.load_kazakhstan_regions()."
            )
    years = frame.index.get_level_values(1)
    label = pd.Series(pd.NA, index=frame.index, dtype="object")
    for name, (lo, hi) in periods.items():
        label[(years >= lo) & (years <= hi)] = name
    frame["period"] = label
    cols = [dependent, *regressors, weights]
    sample = frame[frame["period"].notna() & frame[cols].notna().all(axis=1)].copy()
    dropped = int(frame["period"].notna().sum() - len(sample))
    if dropped:
        notes.append(
            f"{dropped} region-year(s) inside the periods lack {', '.join(cols)} and are not "
            "used (break years, series that start later)."
        )
    dk: dict[str, Any] = {"driscoll_kraay": bandwidth}
    rhs = " + ".join(f"i(period, {x})" for x in regressors)
    formula = f"{dependent} ~ {rhs} | entity + time"
    opts: dict[str, Any] = {"weights": weights}
    model = panel(formula, sample, vcov=dk, **opts)
    clustered = panel(formula, sample, vcov={"cluster": "entity"}, **opts)
    by_period = {}
    for name in labels:
        sub = sample[sample["period"] == name]
        by_period[name] = panel(
            f"{dependent} ~ {' + '.join(regressors)} | entity + time", sub, vcov=dk, **opts
        )
    crisis = labels[-1]
    sample["abs_rate"] = sample[dependent].abs()
    sample[f"in_{crisis}"] = (sample["period"] == crisis).astype(float)
    intensity = panel(f"abs_rate ~ in_{crisis} | entity", sample, vcov=dk, **opts)
    rows = []
    for res in (model, clustered):
        joint = tuple(x for x in ("log_rel_income", "uncertainty") if x in regressors)
        for t in [*regressors, *([joint] if len(joint) == 2 else [])]:
            test = period_difference_test(res, t, (labels[0], crisis))
            key = t if isinstance(t, str) else " & ".join(t) + " (joint)"
            est = float(test.estimate.iloc[0]) if isinstance(t, str) else np.nan
            se = float(test.std_error.iloc[0]) if isinstance(t, str) else np.nan
            rows.append((str(res.vcov_type), key, est, se, test.statistic, test.df, test.pvalue))
    tests_df = pd.DataFrame(
        rows, columns=["covariance", "term", "estimate", "std_error", "wald", "df", "pvalue"]
    ).set_index(["covariance", "term"])
    comparison = _comparison(model, regressors, labels)
    last_year = max(hi for _, hi in periods.values())
    in_span = frame[frame.index.get_level_values(1) <= last_year]
    unit_roots = pretest(in_span, [dependent, *regressors], tests)
    gaps = sorted(
        str(r.variable)
        for r in unit_roots.itertuples()
        if isinstance(r.years, str) and int(r.years[:4]) > min(lo for lo, _ in periods.values())
    )
    if gaps:
        notes.append(
            f"Unit-root tests need consecutive years: {', '.join(dict.fromkeys(gaps))} "
            "start(s) later than the first period (each unit's last run of years is tested; "
            "for net_rate that run begins after the 2008 break)."
        )
    spec = _specification(dependent, weights, window, periods, tests)
    return ABCRegionsResult(
        model=model,
        model_clustered=clustered,
        by_period=by_period,
        intensity=intensity,
        tests=tests_df,
        comparison=comparison,
        unit_roots=unit_roots,
        findings=_findings(model, intensity, tests_df, labels),
        coverage=_coverage(sample, labels),
        specification=spec,
        data=sample,
        periods=periods,
        notes=tuple(notes),
    )
