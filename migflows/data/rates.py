"""Migration rates and the regressors of rate regressions, from a :class:`FlowPanel`.

Panel studies of internal migration (An, Becker & Cheng 2016 on Kazakhstan 2000–2014, and
the literature they build on) regress regional or pairwise migration *rates* on relative
wages or incomes, unemployment and a measure of economic uncertainty, often with period
interactions (a boom and a crisis period). This module turns a FlowPanel into such tables:

:func:`region_rates`
    One row per region and year: arrivals, departures, net and gross migration and their
    rates per 1,000 population, every region attribute, relative attributes (region over the
    population-weighted national mean), uncertainty measures and period indicators.
:func:`pair_rates`
    One row per origin, destination and year: the flow, the pairwise rate per 1,000 of the
    origin's population, dyadic covariates, origin and destination uncertainty and the
    relative uncertainty (destination minus origin), period indicators.
:func:`uncertainty`
    Rolling standard deviation of annual growth (log differences) of an attribute, per region.
:func:`add_periods`, :func:`interact`
    Period labels and dummies; products of a regressor with each period dummy.

Populations are 1 January figures when the panel's are (Kazakhstan's are): a rate for year
t divides the moves during t by the population at the start of t.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.data.validation import check_option
from migflows.errors import (
    InvalidOptionError,
    MissingValueError,
    PanelStructureError,
    UnknownVariableError,
    format_values,
)

Periods = Mapping[str, tuple[int, int]]


def uncertainty(
    values: pd.Series,
    *,
    window: int = 3,
    kind: Literal["log", "pct"] = "log",
    min_periods: int | None = None,
) -> pd.Series:
    """Rolling standard deviation of annual growth of a region-year series.

    Growth in year t is ``log(x_t / x_{t-1})`` (``kind="log"``) or ``x_t / x_{t-1} - 1``
    (``"pct"``) and needs both calendar years: a gap in the years breaks the window rather
    than being bridged. The measure for year t is the sample standard deviation (ddof 1) of
    the growth rates of years ``t-window+1 … t``.

    Parameters
    ----------
    values : Series
        Indexed by ``(region, year)``, e.g. ``panel.regions["wage"]``.
    window : int, default 3
        Number of annual growth rates in the window (at least 2).
    kind : {"log", "pct"}
        Log differences or percentage growth.
    min_periods : int, optional
        Growth rates required in the window (default ``window``).

    Returns
    -------
    Series
        Same index, NaN where the window is incomplete.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_product([["a"], range(2000, 2005)], names=["region", "year"])
    >>> s = pd.Series([100.0, 110, 121, 133.1, 150], index=idx)
    >>> uncertainty(s, window=2).round(4).tolist()
    [nan, nan, 0.0, 0.0, 0.0171]
    """
    check_option("kind", kind, ("log", "pct"))
    if window < 2:
        raise InvalidOptionError(f"window={window} is too short; a standard deviation needs 2.")
    need = window if min_periods is None else int(min_periods)
    if not isinstance(values.index, pd.MultiIndex) or values.index.nlevels != 2:
        raise PanelStructureError(
            "uncertainty() needs a Series indexed by (region, year), e.g. panel.regions['wage']."
        )
    out = []
    for region, sub in values.groupby(level=0, sort=False):
        s = sub.droplevel(0).sort_index()
        years = s.index.astype(int)
        full = s.reindex(range(int(years.min()), int(years.max()) + 1))
        ratio = full / full.shift(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = pd.Series(np.log(ratio) if kind == "log" else ratio - 1, index=full.index)
        sd = growth.rolling(window, min_periods=need).std(ddof=1)
        sd = sd.reindex(s.index)
        sd.index = pd.MultiIndex.from_arrays(
            [[region] * len(sd), sd.index], names=values.index.names
        )
        out.append(sd)
    result = pd.concat(out).reindex(values.index)
    return result.rename(f"{values.name}_uncertainty" if values.name else "uncertainty")


def add_periods(
    frame: pd.DataFrame, periods: Periods, *, year: str = "year", column: str = "period"
) -> pd.DataFrame:
    """Label each row with its period and add one 0/1 dummy per period.

    Parameters
    ----------
    frame : DataFrame
        With a ``year`` column or index level.
    periods : mapping
        Name → (first year, last year), inclusive, non-overlapping; e.g.
        ``{"boom": (2000, 2007), "crisis": (2008, 2014)}``.
    year : str
        Name of the year column or index level.
    column : str
        Name of the categorical period column added.

    Returns
    -------
    DataFrame
        A copy with ``column`` (ordered categorical, NaN outside every period) and one dummy
        column per period name.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"year": [2005, 2010, 2016]})
    >>> add_periods(df, {"boom": (2000, 2007), "crisis": (2008, 2014)})["period"].tolist()
    ['boom', 'crisis', nan]
    """
    _check_periods(periods)
    out = frame.copy()
    years = (
        out[year]
        if year in out.columns
        else pd.Series(out.index.get_level_values(year), index=out.index)
    ).astype(int)
    label = pd.Series(pd.NA, index=out.index, dtype="object")
    for name, (lo, hi) in periods.items():
        inside = (years >= lo) & (years <= hi)
        label[inside] = name
        out[name] = inside.astype(float)
    out[column] = pd.Categorical(label, categories=list(periods), ordered=True)
    return out


def _check_periods(periods: Periods) -> None:
    try:
        spans = sorted((int(lo), int(hi), name) for name, (lo, hi) in periods.items())
    except (AttributeError, TypeError, ValueError):
        raise InvalidOptionError(
            f"periods={periods!r} must map names to (first year, last year), e.g. "
            f"{{'early': (2010, 2015), 'late': (2020, 2024)}}."
        ) from None
    for lo, hi, name in spans:
        if lo > hi:
            raise InvalidOptionError(f"Period {name!r} starts ({lo}) after it ends ({hi}).")
    for (lo1, hi1, n1), (lo2, _hi2, n2) in itertools.pairwise(spans):
        if lo2 <= hi1:
            raise InvalidOptionError(
                f"Periods {n1!r} ({lo1}–{hi1}) and {n2!r} (from {lo2}) overlap; each year "
                f"belongs to at most one period."
            )


def interact(frame: pd.DataFrame, variables: Iterable[str], periods: Iterable[str]) -> pd.DataFrame:
    """Add ``var:period`` = ``var × period dummy`` for every variable and period.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [1.0, 2.0], "boom": [1.0, 0.0], "crisis": [0.0, 1.0]})
    >>> interact(df, ["x"], ["boom", "crisis"])[["x:boom", "x:crisis"]].values.tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    out = frame.copy()
    for var in variables:
        if var not in out.columns:
            raise UnknownVariableError(f"Cannot interact {var!r}: no such column.")
        for p in periods:
            if p not in out.columns:
                raise UnknownVariableError(f"Cannot interact with period {p!r}: no such column.")
            out[f"{var}:{p}"] = out[var] * out[p]
    return out


def _national_mean(values: pd.Series, population: pd.Series | None) -> pd.Series:
    """Population-weighted mean over regions by year (plain mean without population)."""
    if population is None:
        return values.groupby(level="year").mean()
    w = population.reindex(values.index)
    ok = values.notna() & w.notna()
    num = (values[ok] * w[ok]).groupby(level="year").sum()
    den = w[ok].groupby(level="year").sum()
    return num / den


def region_rates(
    panel: FlowPanel,
    *,
    relative: Sequence[str] = ("wage", "grp_pc", "income_pc"),
    uncertainty_of: Sequence[str] = ("wage",),
    window: int = 3,
    periods: Periods | None = None,
    years: Literal["flows", "all"] = "flows",
) -> pd.DataFrame:
    """Region-year table of migration rates and regressors.

    Parameters
    ----------
    panel : FlowPanel
        Needs a ``population`` attribute for the rates.
    relative : sequence of str
        Attributes expressed relative to the national population-weighted mean of the year
        (``rel_wage`` = wage / national mean) and in logs (``log_rel_wage``); attributes the
        panel lacks are skipped.
    uncertainty_of : sequence of str
        Attributes whose growth volatility is computed (``wage_uncertainty``) over ``window``
        years, from the full annual attribute series (not only the flow years).
    window : int, default 3
        Window of :func:`uncertainty`.
    periods : mapping, optional
        Adds ``period`` and dummies, see :func:`add_periods`.
    years : {"flows", "all"}
        Rows for the years with flows only (rates defined), or every attribute year too.

    Returns
    -------
    DataFrame
        Indexed by ``(region, year)`` with ``arrivals``, ``departures``, ``net``, ``gross``,
        ``in_rate``, ``out_rate``, ``net_rate``, ``gross_rate`` (per 1,000), the attributes,
        ``rel_*``, ``log_rel_*``, ``*_uncertainty`` and period columns.

    Examples
    --------
    >>> import migflows
    >>> from migflows.data.rates import region_rates
    >>> r = region_rates(migflows.load_kazakhstan(), periods={"early": (2010, 2015)})
    >>> bool(r.loc[("astana_city", 2023), "net_rate"] > 0)
    True
    """
    check_option("years", years, ("flows", "all"))
    if panel.population() is None:
        raise MissingValueError(
            "Migration rates need population; build the FlowPanel with a regions table that "
            "has a 'population' column."
        )
    bal = panel.balances()
    attrs = panel.regions
    assert attrs is not None  # population exists, so the table does
    keys = panel.region_keys
    attrs = attrs[attrs.index.get_level_values("region").isin(keys)]
    out = bal.join(attrs.drop(columns=[c for c in attrs.columns if c in bal.columns]), how="left")
    if years == "all":
        out = out.combine_first(attrs)
    pop = attrs["population"]
    for name in relative:
        if name not in attrs.columns:
            continue
        national = _national_mean(attrs[name], pop)
        rel = attrs[name] / national.reindex(attrs.index.get_level_values("year")).to_numpy()
        out[f"rel_{name}"] = rel.reindex(out.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"log_rel_{name}"] = np.log(out[f"rel_{name}"].where(out[f"rel_{name}"] > 0))
    for name in uncertainty_of:
        if name not in attrs.columns:
            raise UnknownVariableError(
                f"uncertainty_of names {name!r}, which is not a region attribute "
                f"(available: {format_values(list(attrs.columns), limit=12)})."
            )
        out[f"{name}_uncertainty"] = uncertainty(attrs[name], window=window).reindex(out.index)
    if periods:
        out = add_periods(out, periods)
    return out.sort_index()


def pair_rates(
    panel: FlowPanel,
    *,
    covariates: Sequence[str] = ("log_dist", "log_wage_ratio", "unemp_diff", "log_pop_d"),
    uncertainty_of: Sequence[str] = ("wage",),
    window: int = 3,
    periods: Periods | None = None,
) -> pd.DataFrame:
    """Pair-year table: flow, pairwise migration rate and dyadic regressors.

    ``rate`` = 1,000 × flow / population of the origin at the start of the year (moves per
    1,000 inhabitants of the origin); ``log_rate`` is NaN for zero flows (use PPML on the
    counts instead when zeros matter). For each attribute in ``uncertainty_of``:
    ``<name>_uncertainty_o``, ``_d`` and the relative uncertainty ``<name>_uncertainty_diff``
    (destination minus origin).

    Examples
    --------
    >>> import migflows
    >>> from migflows.data.rates import pair_rates
    >>> pr = pair_rates(migflows.load_kazakhstan(years=[2020, 2021]))
    >>> len(pr)
    760
    """
    if panel.population() is None:
        raise MissingValueError("Pairwise rates need population in the FlowPanel's regions.")
    flows = panel.flows
    out = pd.concat([flows, panel.covariates(["pop_o", *covariates])], axis=1)
    out["rate"] = 1000.0 * out["flow"] / out["pop_o"]
    out["log_rate"] = np.log(out["rate"].where(out["rate"] > 0))
    attrs = panel.regions
    assert attrs is not None
    for name in uncertainty_of:
        if name not in attrs.columns:
            raise UnknownVariableError(f"uncertainty_of names {name!r}, not a region attribute.")
        u = uncertainty(attrs[name], window=window)
        for side, col in (("o", "origin"), ("d", "destination")):
            idx = pd.MultiIndex.from_arrays([flows[col], flows["year"]])
            out[f"{name}_uncertainty_{side}"] = u.reindex(idx).to_numpy()
        out[f"{name}_uncertainty_diff"] = (
            out[f"{name}_uncertainty_d"] - out[f"{name}_uncertainty_o"]
        )
    if periods:
        out = add_periods(out, periods)
    return out
