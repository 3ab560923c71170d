"""Region-level migration balances and the five-level scoring scale of Bokayev & Akhmetova.

:func:`balances` turns a long flow table into arrivals, departures, net and gross migration per
region and year (with rates per 1,000 inhabitants, the migration-attractiveness coefficient and
the regional migration effectiveness). :func:`score_scale` and :func:`score_regions` classify
regions against the national average on the scale used by Bokayev & Akhmetova (2024) to relate
socio-economic indicators to migration attractiveness in Kazakhstan.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from migflows.data.indices_common import check_flows, check_population, population_for
from migflows.errors import (
    DataValidationError,
    InputTypeError,
    InvalidOptionError,
    MissingColumnError,
    MissingValueError,
    NonNumericError,
    format_values,
)

__all__ = [
    "DEFAULT_POINTS",
    "DEPRECATED_BALANCE_NAMES",
    "LEVELS",
    "BalancesFrame",
    "balance_name",
    "balances",
    "score_regions",
    "score_scale",
]

Direction = Literal["higher", "lower"]

#: The five levels of the scale, from lowest to highest.
LEVELS: tuple[str, ...] = ("very low", "low", "medium", "high", "very high")

#: Points per level as printed by Bokayev & Akhmetova; note 0.5 (not 0) for "medium".
DEFAULT_POINTS: Mapping[str, float] = {
    "very low": -2.0,
    "low": -1.0,
    "medium": 0.5,
    "high": 1.0,
    "very high": 2.0,
}

# Lower bounds (percent of the reference) of "low", "medium", "high" and "very high".
_CUTS = (70.0, 95.0, 105.0, 150.0)


def balances(
    flows: pd.DataFrame, population: pd.Series | None = None, *, value: str = "flow"
) -> pd.DataFrame:
    r"""Arrivals, departures, net and gross migration per region and year.

    The one computation of regional balances in migflows: :meth:`FlowPanel.balances`, the
    counterfactual balances of gravity models and the inputs of :func:`migflows.forecast` all
    call it, so the columns are always ``arrivals``, ``departures`` and ``net``.

    Only flows between different regions count: rows with ``origin == destination``
    (intra-regional moves) are reported separately in ``intra`` and enter no other column.

    Parameters
    ----------
    flows : DataFrame
        Canonical long flow table with columns ``origin``, ``destination``, ``year``, ``flow``
        (persons, >= 0); a missing pair means no one moved.
    population : Series, optional
        Population (persons) indexed by ``(region, year)`` with level names ``"region"`` and
        ``"year"``. When given, rates per 1,000 inhabitants are added; use the population the
        rate should refer to (e.g. 1 January or mid-year).
    value : str, default "flow"
        Column of ``flows`` holding the counts, e.g. ``"baseline"`` or ``"counterfactual"``
        in the flows of :meth:`GravityResults.counterfactual`.

    Returns
    -------
    DataFrame
        Indexed by ``(region, year)`` for every region appearing in the flows of that year, with
        columns

        - ``arrivals``: in-migrants from other regions, :math:`D_i = \sum_{j \ne i} M_{ji}`;
        - ``departures``: out-migrants to other regions, :math:`O_i = \sum_{j \ne i} M_{ij}`;
        - ``net`` = arrivals - departures; ``gross`` = arrivals + departures (turnover);
        - ``intra``: moves within the region (the diagonal rows; 0 when absent);
        - ``attractiveness`` = arrivals / departures, the migration-attractiveness coefficient
          of Bokayev & Akhmetova (above 1: the region gains migrants); ``inf`` when no one left
          and someone arrived, NaN when neither;
        - ``effectiveness`` = 100 * net / gross, the regional migration effectiveness
          (between -100 and 100; NaN when gross is 0);
        - with ``population``: ``population`` and ``in_rate``, ``out_rate``, ``net_rate``,
          ``gross_rate``, each 1,000 * count / population.

    Raises
    ------
    MissingColumnError, NegativeFlowError, DuplicateFlowError, MissingValueError
        Invalid flow table.
    MissingRegionError
        ``population`` lacks a (region, year) pair present in the flows.

    Notes
    -----
    Summed over regions, ``net`` is 0 in every year and ``arrivals`` and ``departures`` both
    equal the total of the off-diagonal flows. The attractiveness coefficient is described in
    Bokayev, B. & Akhmetova, Z. (2024), economic factors of internal migration in Kazakhstan;
    the effectiveness ratio is the regional form of the migration effectiveness index
    (Shryock & Siegel 1976; Bell et al. 2002).

    Examples
    --------
    >>> import pandas as pd
    >>> from migflows.data.indices import balances
    >>> flows = pd.DataFrame({
    ...     "origin": ["a", "a", "b", "b"], "destination": ["b", "a", "a", "c"],
    ...     "year": 2020, "flow": [30, 5, 10, 20]})
    >>> balances(flows)[["arrivals", "departures", "net", "intra", "attractiveness"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                 arrivals  departures   net  intra  attractiveness
    region year
    a      2020      10.0        30.0 -20.0    5.0        0.333333
    b      2020      30.0        30.0   0.0    0.0        1.000000
    c      2020      20.0         0.0  20.0    0.0             inf
    """
    if value != "flow":
        if value not in flows.columns:
            raise MissingColumnError(
                f"value={value!r} is not a column of the flows table; it has "
                f"{format_values(map(str, flows.columns), limit=12)}."
            )
        flows = flows.drop(columns=["flow"], errors="ignore").rename(columns={value: "flow"})
    table = check_flows(flows)
    pop = check_population(population) if population is not None else None
    is_self = table["origin"] == table["destination"]
    between = table[~is_self]
    within = table[is_self]
    arrivals = (
        between.groupby(["destination", "year"])["flow"].sum().rename_axis(["region", "year"])
    )
    departures = between.groupby(["origin", "year"])["flow"].sum().rename_axis(["region", "year"])
    intra = within.groupby(["origin", "year"])["flow"].sum().rename_axis(["region", "year"])
    keys = pd.concat(
        [
            table[["origin", "year"]].set_axis(["region", "year"], axis=1),
            table[["destination", "year"]].set_axis(["region", "year"], axis=1),
        ],
        ignore_index=True,
    ).drop_duplicates()
    index = pd.MultiIndex.from_frame(keys)
    with contextlib.suppress(TypeError):  # mixed label types: keep the order of appearance
        index = index.sort_values()
    out = pd.DataFrame(
        {
            "arrivals": arrivals.reindex(index, fill_value=0.0),
            "departures": departures.reindex(index, fill_value=0.0),
        },
        index=index,
    )
    out["net"] = out["arrivals"] - out["departures"]
    out["gross"] = out["arrivals"] + out["departures"]
    out["intra"] = intra.reindex(index, fill_value=0.0)
    out["attractiveness"] = _ratio(out["arrivals"], out["departures"])
    out["effectiveness"] = 100.0 * _ratio(out["net"], out["gross"], zero_over_zero_only=False)
    if pop is not None:
        persons = population_for(pop, index, purpose="balances rates")
        out["population"] = persons
        for column, source in (
            ("in_rate", "arrivals"),
            ("out_rate", "departures"),
            ("net_rate", "net"),
            ("gross_rate", "gross"),
        ):
            out[column] = 1000.0 * out[source] / persons
    return out


def _ratio(num: pd.Series, den: pd.Series, *, zero_over_zero_only: bool = True) -> pd.Series:
    """Divide num by den with 0/0 -> NaN; x/0 -> +-inf if ``zero_over_zero_only`` else NaN."""
    a = num.to_numpy(dtype="float64")
    b = den.to_numpy(dtype="float64")
    out = np.full(a.shape, np.nan)
    ok = b != 0
    out[ok] = a[ok] / b[ok]
    if zero_over_zero_only:
        pos = ~ok & (a != 0)
        out[pos] = np.sign(a[pos]) * np.inf
    return pd.Series(out, index=num.index)


#: Old names of balance columns and the names that replace them (accepted with a
#: FutureWarning for one release; ``in``/``out`` came from gravity counterfactuals, the
#: others from forecast input tables).
DEPRECATED_BALANCE_NAMES: Mapping[str, str] = {
    "in": "arrivals",
    "inflow": "arrivals",
    "inflows": "arrivals",
    "out": "departures",
    "outflow": "departures",
    "outflows": "departures",
}


def balance_name(name: str, *, stacklevel: int = 2) -> str:
    """The current name of a balance column: ``arrivals``/``departures`` for ``in``/``out``.

    Old names (:data:`DEPRECATED_BALANCE_NAMES`, case-insensitive) are translated with a
    :class:`FutureWarning`; any other name is returned unchanged.

    Examples
    --------
    >>> import warnings
    >>> balance_name("net")
    'net'
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     balance_name("in")
    'arrivals'
    >>> caught[0].category.__name__
    'FutureWarning'
    """
    new = DEPRECATED_BALANCE_NAMES.get(name.lower())
    if new is None:
        return name
    warnings.warn(
        f"The balance name {name!r} is deprecated and will be removed in the next release; "
        f"use {new!r} (balances are always 'arrivals', 'departures' and 'net').",
        FutureWarning,
        stacklevel=stacklevel + 1,
    )
    return new


class BalancesFrame(pd.DataFrame):
    """A balances DataFrame that still answers to the old ``in_*``/``out_*`` column names.

    Counterfactual balances were once called ``in_baseline``, ``out_change`` …; they are now
    ``arrivals_baseline``, ``departures_change`` …. For one release ``frame["in_change"]``
    and ``frame.in_change`` return the renamed column with a :class:`FutureWarning` (``.loc``
    does not translate). Derived frames are plain DataFrames.

    Examples
    --------
    >>> import warnings
    >>> frame = BalancesFrame({"arrivals_change": [1.0], "net_change": [1.0]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", FutureWarning)
    ...     frame["in_change"].tolist()
    [1.0]
    """

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _current_name(self, key: object) -> object:
        if not isinstance(key, str) or key in self.columns:
            return key
        head, sep, rest = key.partition("_")
        new = DEPRECATED_BALANCE_NAMES.get(head) if head in ("in", "out") else None
        if new is None or f"{new}{sep}{rest}" not in self.columns:
            return key
        renamed = f"{new}{sep}{rest}"
        warnings.warn(
            f"Column {key!r} of the balances is now called {renamed!r}; the old name will be "
            f"removed in the next release.",
            FutureWarning,
            stacklevel=3,
        )
        return renamed

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, list):
            key = [self._current_name(k) for k in key]
        else:
            key = self._current_name(key)
        return super().__getitem__(key)

    def __getattr__(self, name: str) -> Any:  # type: ignore[misc]
        if name.startswith(("in_", "out_")):
            renamed = self._current_name(name)
            if renamed != name:
                return super().__getitem__(renamed)
        return super().__getattr__(name)


def score_scale(
    values: pd.Series | Sequence[float] | np.ndarray,
    reference: float | None = None,
    *,
    direction: Direction = "higher",
    points: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Classify values on the five-level scale of Bokayev & Akhmetova (2024).

    Each value is expressed as a percent of a reference (the national average) and given a
    level and points:

    ============  =====================  ======
    level         percent of reference   points
    ============  =====================  ======
    very low      below 70               -2
    low           70 to below 95         -1
    medium        95 to below 105        0.5
    high          105 to below 150       1
    very high     150 and above          2
    ============  =====================  ======

    The paper prints the bands as 70–94 %, 95–104 % and 105–149 %, which leaves 94–95 and
    104–105 uncovered; here every band is closed below and open above, so the cut points are
    exactly 70, 95, 105 and 150 (94.6 % is "low", 95 % is "medium", 104.9 % is "medium").
    For whole-number percents this is the paper's table. The paper gives 0.5 points (not 0)
    to "medium"; that is kept as printed and can be changed with ``points``.

    Parameters
    ----------
    values : Series or array-like
        One value per region (the index is kept). Missing values are refused.
    reference : float, optional
        The national value to compare with; default the unweighted mean of ``values`` (the
        paper's "average national level"). Must be positive.
    direction : {"higher", "lower"}, default "higher"
        Whether a higher value is better. With ``"lower"`` (e.g. unemployment) the level still
        describes the value itself, but the points are those of the mirror level: "very low"
        earns the points of "very high" (2), "low" those of "high" (1), "medium" keeps 0.5, and
        so on.
    points : mapping, optional
        Points per level, overriding :data:`DEFAULT_POINTS` (all five levels required).

    Returns
    -------
    DataFrame
        Columns ``value``, ``reference``, ``percent_of_reference`` (100 * value / reference),
        ``level`` (ordered Categorical with :data:`LEVELS`), ``points``.

    Raises
    ------
    MissingValueError
        Some values are NaN.
    DataValidationError
        The reference is not a positive finite number.
    InvalidOptionError
        Unknown ``direction`` or incomplete ``points``.

    Examples
    --------
    >>> import pandas as pd
    >>> from migflows.data.indices import score_scale
    >>> grp = pd.Series([60.0, 100.0, 140.0, 300.0], index=["a", "b", "c", "d"])
    >>> score_scale(grp, reference=100.0)[["percent_of_reference", "level", "points"]]
       percent_of_reference      level  points
    a                  60.0   very low    -2.0
    b                 100.0     medium     0.5
    c                 140.0       high     1.0
    d                 300.0  very high     2.0
    """
    series = values.copy() if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise NonNumericError(f"values must be numbers; got dtype {series.dtype}.")
    series = series.astype("float64")
    if series.isna().any():
        raise MissingValueError(
            f"{int(series.isna().sum())} value(s) are missing (NaN) for "
            f"{format_values(series.index[series.isna()])}; fill or drop them before scoring."
        )
    if direction not in ("higher", "lower"):
        raise InvalidOptionError(
            f"direction={direction!r} is not allowed; use 'higher' or 'lower'."
        )
    table = _points_table(points)
    ref = float(series.mean()) if reference is None else float(reference)
    if not np.isfinite(ref) or ref <= 0:
        raise DataValidationError(
            f"The reference must be a positive finite number to express values as a percent of "
            f"it; got {ref!r}. Indicators that can be zero or negative on average (e.g. net "
            f"migration) need another scale."
        )
    percent = 100.0 * series / ref
    # Round away binary noise (100 * 0.95 is 94.99999999999999) before comparing with the cuts.
    codes = np.searchsorted(np.asarray(_CUTS), np.round(percent.to_numpy(), 9), side="right")
    level = pd.Categorical.from_codes(codes, categories=pd.Index(list(LEVELS)), ordered=True)
    scored = codes if direction == "higher" else len(LEVELS) - 1 - codes
    return pd.DataFrame(
        {
            "value": series,
            "reference": ref,
            "percent_of_reference": percent,
            "level": level,
            "points": np.asarray([table[LEVELS[k]] for k in scored], dtype="float64"),
        },
        index=series.index,
    )


def _points_table(points: Mapping[str, float] | None) -> dict[str, float]:
    if points is None:
        return dict(DEFAULT_POINTS)
    unknown = [k for k in points if k not in LEVELS]
    lacking = [k for k in LEVELS if k not in points]
    if unknown or lacking:
        raise InvalidOptionError(
            f"points must give a number for each level {format_values(LEVELS)}; "
            f"unknown: {format_values(unknown) or 'none'}, missing: "
            f"{format_values(lacking) or 'none'}."
        )
    return {k: float(points[k]) for k in LEVELS}


def score_regions(
    table: pd.DataFrame,
    indicators: Sequence[Hashable],
    *,
    reference: Mapping[Hashable, float] | None = None,
    direction: Direction | Mapping[Hashable, Direction] = "higher",
    points: Mapping[str, float] | None = None,
    detail: bool = False,
) -> pd.DataFrame:
    """Score regions on several indicators with :func:`score_scale` and add up the points.

    Parameters
    ----------
    table : DataFrame
        One row per region (the index identifies regions), one column per indicator.
    indicators : sequence
        Columns of ``table`` to score.
    reference : mapping, optional
        National value per indicator; indicators not listed use the mean over the rows of
        ``table`` (so select one year before calling).
    direction : {"higher", "lower"} or mapping, default "higher"
        Whether higher values are better: one string for all indicators, or a mapping from
        indicator to direction (unlisted indicators are "higher"). Use "lower" for indicators
        such as unemployment.
    points : mapping, optional
        Points per level (see :func:`score_scale`).
    detail : bool, default False
        Return the long table of every score instead of the wide summary.

    Returns
    -------
    DataFrame
        If ``detail`` is False: indexed like ``table``, one column of points per indicator and
        ``total`` (their sum). If True: indexed by ``(region, indicator)`` with the columns of
        :func:`score_scale` and ``direction``.

    Raises
    ------
    MissingColumnError
        An indicator is not a column of ``table``.
    InvalidOptionError
        ``reference`` or ``direction`` name indicators that are not scored, or a direction is
        not "higher"/"lower".

    Examples
    --------
    >>> import pandas as pd
    >>> from migflows.data.indices import score_regions
    >>> regions = pd.DataFrame(
    ...     {"grp_pc": [50.0, 100.0, 150.0], "unemployment": [6.0, 5.0, 4.0]},
    ...     index=pd.Index(["north", "centre", "south"], name="region"))
    >>> score_regions(regions, ["grp_pc", "unemployment"],
    ...               direction={"unemployment": "lower"})  # doctest: +NORMALIZE_WHITESPACE
            grp_pc  unemployment  total
    region
    north     -2.0          -1.0   -3.0
    centre     0.5           0.5    1.0
    south      2.0           1.0    3.0
    """
    if not isinstance(table, pd.DataFrame):
        raise InputTypeError(f"table must be a pandas DataFrame; got {type(table).__name__}.")
    chosen = list(indicators)
    missing = [c for c in chosen if c not in table.columns]
    if missing:
        raise MissingColumnError(
            f"The table lacks indicator column(s) {format_values(missing)}; it has "
            f"{format_values(map(str, table.columns), limit=12)}."
        )
    references = dict(reference or {})
    if isinstance(direction, str):
        directions: dict[Hashable, str] = dict.fromkeys(chosen, direction)
    else:
        directions = {c: "higher" for c in chosen}
        directions.update(direction)
    for name, given in (("reference", references), ("direction", directions)):
        extra = [k for k in given if k not in chosen]
        if extra:
            raise InvalidOptionError(
                f"{name} names indicator(s) {format_values(extra)} that are not scored; "
                f"indicators: {format_values(chosen)}."
            )
    scores = {}
    for column in chosen:
        where = directions[column]
        if where not in ("higher", "lower"):
            raise InvalidOptionError(
                f"direction for {column!r} is {where!r}; use 'higher' or 'lower'."
            )
        scores[column] = score_scale(
            table[column],
            references.get(column),
            direction=where,  # type: ignore[arg-type]
            points=points,
        ).assign(direction=where)
    if detail:
        long = pd.concat(scores, names=["indicator"]).swaplevel(0, -1)
        long.index = long.index.set_names("region", level=0)
        return long
    wide = pd.DataFrame({c: s["points"] for c, s in scores.items()}, index=table.index)
    wide["total"] = wide.sum(axis=1)
    return wide
