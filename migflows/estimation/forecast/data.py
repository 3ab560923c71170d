"""Input preparation for :func:`migflows.forecast`: region-year series from a panel or a table.

Every forecasting method reads a :class:`SeriesData`: regions × observed years arrays of
the modelled components (arrivals and departures, or net only) in the target units (counts
or rates per 1,000 population), plus population where it is known. It is built once at the
public boundary (:func:`prepare`), validated there, and sliced by year for backtests
(:meth:`SeriesData.until`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from migflows.data.indices import DEPRECATED_BALANCE_NAMES, balance_name, balances
from migflows.data.panel import FlowPanel
from migflows.errors import (
    DuplicateKeyError,
    InputTypeError,
    InvalidOptionError,
    MissingColumnError,
    MissingValueError,
    NegativeFlowError,
    NonNumericError,
    PanelStructureError,
    format_values,
)

Target = Literal["counts", "rates"]
Gaps = Literal["error", "interpolate", "sequence"]

#: Accepted column names of a region-year table (aliases map to the canonical name). The old
#: names ``in``/``out``/``inflow(s)``/``outflow(s)`` still work for one release, with a
#: FutureWarning (:data:`migflows.data.indices.DEPRECATED_BALANCE_NAMES`).
ALIASES: dict[str, str] = {
    "arrivals": "arrivals",
    "departures": "departures",
    **DEPRECATED_BALANCE_NAMES,
    "net": "net",
    "in_rate": "in_rate",
    "out_rate": "out_rate",
    "net_rate": "net_rate",
    "population": "population",
}
COUNT_VARS = ("arrivals", "departures", "net")
RATE_VARS = ("in_rate", "out_rate", "net_rate")
#: Relative tolerance for "observed net balances sum to zero" (closed internal system).
ZERO_SUM_RTOL = 1e-6


@dataclass(frozen=True, eq=False)
class SeriesData:
    """Validated region-year series that the forecasting methods read.

    Attributes
    ----------
    regions : tuple of str
        Region keys (rows of every array).
    years : ndarray of int
        Observed years, increasing (columns of every array); may have gaps.
    values : ndarray, shape (regions, years, components)
        The modelled components in target units: arrivals and departures (``inout``) or net.
    components : tuple of str
        Names of the last axis: ``("arrivals", "departures")``/``("in_rate", "out_rate")``
        or ``("net",)``/``("net_rate",)``.
    target : {"counts", "rates"}
        Units of ``values``: persons, or per 1,000 population.
    population : ndarray (regions, years) or None
        Population in the observed years (carried forward/backward where missing, see
        ``notes``); None when unknown.
    closed : bool
        Whether the observed net balances sum to zero in every year (internal migration
        of a complete set of regions); decides the default of ``coherent``.
    notes : tuple of str
        What was filled or assumed while preparing the data.
    """

    regions: tuple[str, ...]
    years: np.ndarray
    values: np.ndarray
    components: tuple[str, ...]
    target: Target
    population: np.ndarray | None
    closed: bool
    notes: tuple[str, ...] = field(default=())
    source: str = "table"

    @property
    def inout(self) -> bool:
        """True when arrivals and departures are modelled (net is derived)."""
        return len(self.components) == 2

    @property
    def net_name(self) -> str:
        """Name of the net variable in target units."""
        return "net" if self.target == "counts" else "net_rate"

    @property
    def variables(self) -> tuple[str, ...]:
        """Components plus the derived net, in target units."""
        return (*self.components, self.net_name) if self.inout else self.components

    def net(self) -> np.ndarray:
        """Observed net (regions × years) in target units."""
        if self.inout:
            return self.values[..., 0] - self.values[..., 1]
        return self.values[..., 0]

    def with_net(self) -> np.ndarray:
        """Observed values of :attr:`variables` (regions × years × variables)."""
        if self.inout:
            return np.concatenate([self.values, self.net()[..., None]], axis=-1)
        return self.values

    def gap_years(self) -> list[int]:
        """Calendar years missing between the first and the last observed year."""
        full = set(range(int(self.years[0]), int(self.years[-1]) + 1))
        return sorted(full - {int(y) for y in self.years})

    def until(self, year: int) -> SeriesData:
        """The data observed up to and including ``year`` (a backtest's training set)."""
        keep = self.years <= year
        pop = self.population[:, keep] if self.population is not None else None
        return replace(self, years=self.years[keep], values=self.values[:, keep], population=pop)

    def last_population(self) -> np.ndarray | None:
        """Population in the last observed year, the path assumed for forecast years."""
        return None if self.population is None else self.population[:, -1].copy()

    def to_frame(self) -> pd.DataFrame:
        """Observed variables as a frame indexed by (region, year)."""
        arr = self.with_net()
        idx = pd.MultiIndex.from_product(
            [list(self.regions), [int(y) for y in self.years]], names=["region", "year"]
        )
        frame = pd.DataFrame(arr.reshape(-1, arr.shape[-1]), index=idx, columns=self.variables)
        if self.population is not None:
            frame["population"] = self.population.reshape(-1)
        return frame


# ----------------------------------------------------------------------------- building


def prepare(
    data: FlowPanel | pd.DataFrame,
    *,
    target: Target = "counts",
    components: Literal["auto", "net"] = "auto",
) -> SeriesData:
    """Validate ``data`` and turn it into :class:`SeriesData`.

    Parameters
    ----------
    data : FlowPanel or DataFrame
        A panel (arrivals/departures are summed from the off-diagonal flows; population
        comes from its ``population`` attribute), or a region-year table indexed by
        ``(region, year)`` or with ``region`` and ``year`` columns, holding any of
        ``arrivals``/``departures``/``net`` (the old names ``in``/``out``,
        ``inflow``/``outflow`` still work for one release, with a FutureWarning),
        ``in_rate``/``out_rate``/``net_rate`` (per 1,000) and ``population``.
    target : {"counts", "rates"}
        Units to model in. Converting between counts and rates needs population.
    components : {"auto", "net"}
        ``"auto"`` models arrivals and departures when available, else net; ``"net"``
        always models the net balance (what ``bayes_ar`` does).

    Returns
    -------
    SeriesData
    """
    if target not in ("counts", "rates"):
        raise InvalidOptionError(f"target={target!r} is not allowed; use 'counts' or 'rates'.")
    if isinstance(data, FlowPanel):
        table = _panel_table(data)
        source = "panel"
    elif isinstance(data, pd.DataFrame):
        table = _user_table(data)
        source = "table"
    else:
        raise InputTypeError(
            f"data must be a FlowPanel or a region-year DataFrame, got {type(data).__name__}."
        )
    table, notes = _fill_population(table)
    return _assemble(table, target=target, components=components, source=source, notes=notes)


def _panel_table(panel: FlowPanel) -> pd.DataFrame:
    flows = panel.flows
    years = panel.years
    regions = panel.region_keys
    idx = pd.MultiIndex.from_product([regions, years], names=["region", "year"])
    # The one balances computation; regions without flows in a year get zeros.
    table = balances(flows)[["arrivals", "departures"]].reindex(idx, fill_value=0.0)
    pop = panel.population()
    if pop is not None:
        table["population"] = pop.reindex(idx).astype(float)
    return table


def _user_table(data: pd.DataFrame) -> pd.DataFrame:
    frame = data
    if not isinstance(frame.index, pd.MultiIndex):
        if not {"region", "year"} <= set(frame.columns):
            raise MissingColumnError(
                "A region-year table needs a (region, year) index or 'region' and 'year' "
                f"columns; got columns {format_values(map(str, frame.columns), limit=12)}."
            )
        frame = frame.set_index(["region", "year"])
    elif frame.index.nlevels != 2:
        raise PanelStructureError(
            f"The table's index has {frame.index.nlevels} levels; expected (region, year)."
        )
    frame = frame.rename_axis(["region", "year"])
    known = {
        c: ALIASES[balance_name(str(c).lower(), stacklevel=3)]
        for c in frame.columns
        if str(c).lower() in ALIASES
    }
    if not known or set(known.values()) == {"population"}:
        raise MissingColumnError(
            "The region-year table has none of the columns a forecast needs: "
            f"{format_values(sorted(set(ALIASES) - {'population'}), limit=20)} "
            f"(got {format_values(map(str, frame.columns), limit=12)}). Rename your columns."
        )
    canon = list(known.values())
    dup = sorted({c for c in canon if canon.count(c) > 1})
    if dup:
        raise DuplicateKeyError(
            f"Several columns mean the same variable {format_values(dup)}: keep one of "
            f"{format_values([c for c, k in known.items() if k in dup])}."
        )
    out = frame[list(known)].rename(columns=known).copy()
    if out.index.duplicated().any():
        rows = out.index[out.index.duplicated()].unique()
        raise DuplicateKeyError(
            f"{len(rows)} (region, year) key(s) repeat in the table: {format_values(rows)}."
        )
    years = out.index.get_level_values("year")
    if not pd.api.types.is_integer_dtype(years):
        raise NonNumericError(f"Years must be integers; got {format_values(years.unique())}.")
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            raise NonNumericError(
                f"Column {col!r} must be numeric; got dtype {out[col].dtype}. Convert it first."
            )
    out = out.astype(float)
    regions = sorted(out.index.get_level_values("region").unique().map(str))
    all_years = sorted(int(y) for y in years.unique())
    full = pd.MultiIndex.from_product([regions, all_years], names=["region", "year"])
    out.index = pd.MultiIndex.from_arrays(
        [out.index.get_level_values(0).map(str), out.index.get_level_values(1).astype(int)],
        names=["region", "year"],
    )
    missing_rows = full.difference(out.index)
    if len(missing_rows):
        raise PanelStructureError(
            f"The table is unbalanced: {len(missing_rows)} (region, year) row(s) are absent, "
            f"e.g. {format_values(missing_rows)}. Every region needs every observed year."
        )
    return out.reindex(full)


def _fill_population(table: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    if "population" not in table.columns:
        return table, ()
    pop = table["population"].unstack("year")
    if pop.isna().all().all():
        return table.drop(columns="population"), ("population is empty; ignored",)
    if (pop <= 0).any().any():
        stacked = pop.stack()
        bad = stacked.index[(stacked <= 0).to_numpy()]
        raise MissingValueError(
            f"Population must be positive; {len(bad)} value(s) are not: {format_values(bad)}."
        )
    notes: tuple[str, ...] = ()
    missing = pop.isna().stack()
    if missing.any():
        # Rates need a population in every observed year; carry the nearest known one.
        gaps = missing.index[missing.to_numpy()]
        filled = pop.ffill(axis=1).bfill(axis=1)
        if filled.isna().any().any():
            empty = filled.index[filled.isna().any(axis=1)]
            raise MissingValueError(
                f"No population for region(s) {format_values(empty)} in any year; give it or "
                "drop the population column (then rates and coherent rebalancing are unavailable)."
            )
        years = sorted({int(y) for _, y in gaps})
        note = (
            f"population missing for {len(gaps)} region-year(s) (years "
            f"{format_values(years)}); carried forward (or backward) from the nearest year"
        )
        notes = (note,)  # warned about by the methods that use population (see forecast.run)
        table = table.copy()
        table["population"] = filled.stack().reindex(table.index)
    return table, notes


def _assemble(
    table: pd.DataFrame,
    *,
    target: Target,
    components: str,
    source: str,
    notes: tuple[str, ...],
) -> SeriesData:
    cols = set(table.columns)
    has_pop = "population" in cols
    regions = tuple(table.index.get_level_values("region").unique())
    years = np.array(sorted(table.index.get_level_values("year").unique()), dtype=int)
    if len(regions) < 2:
        raise PanelStructureError(f"A forecast needs at least 2 regions; got {len(regions)}.")
    wide = {c: table[c].unstack("year").reindex(index=list(regions), columns=years) for c in cols}
    pop = wide["population"].to_numpy(dtype=float) if has_pop else None

    def get(name: str) -> np.ndarray | None:
        """A variable in target units, converting counts <-> rates with population."""
        count, rate = _pair(name)
        want, other = (count, rate) if target == "counts" else (rate, count)
        if want in wide:
            return wide[want].to_numpy(dtype=float)
        if other in wide and pop is not None:
            arr = wide[other].to_numpy(dtype=float)
            return arr / pop * 1000.0 if target == "rates" else arr * pop / 1000.0
        return None

    arr_in, arr_out, arr_net = get("arrivals"), get("departures"), get("net")
    names = ("arrivals", "departures") if target == "counts" else ("in_rate", "out_rate")
    net_name = "net" if target == "counts" else "net_rate"
    if arr_in is not None and arr_out is not None and components == "auto":
        values = np.stack([arr_in, arr_out], axis=-1)
        comps: tuple[str, ...] = names
        _check_nonnegative(values, regions, years, names)
    elif arr_net is not None or (arr_in is not None and arr_out is not None):
        net = arr_net if arr_net is not None else arr_in - arr_out  # type: ignore[operator]
        values = net[..., None]
        comps = (net_name,)
    else:
        have = sorted(c for c in cols if c != "population")
        hint = "" if has_pop else " or give a 'population' column to convert"
        raise MissingColumnError(
            f"target={target!r} needs {format_values([*names, net_name])} (or the "
            f"{'counts' if target == 'rates' else 'rates'}{hint}); the data have "
            f"{format_values(have)}."
        )
    if np.isnan(values).any():
        bad = np.argwhere(np.isnan(values).any(axis=-1))
        keys = [(regions[i], int(years[j])) for i, j in bad]
        raise MissingValueError(
            f"{len(keys)} region-year value(s) of {format_values(comps)} are missing: "
            f"{format_values(keys)}. Forecasts need complete series; fill or drop them."
        )
    net_obs = values[..., 0] - values[..., 1] if len(comps) == 2 else values[..., 0]
    closed = _is_closed(net_obs, values, pop, target)
    return SeriesData(
        regions=regions,
        years=years,
        values=values,
        components=comps,
        target=target,
        population=pop,
        closed=closed,
        notes=notes,
        source=source,
    )


def _pair(name: str) -> tuple[str, str]:
    return {
        "arrivals": ("arrivals", "in_rate"),
        "departures": ("departures", "out_rate"),
        "net": ("net", "net_rate"),
    }[name]


def _check_nonnegative(
    values: np.ndarray, regions: Sequence[str], years: np.ndarray, names: Sequence[str]
) -> None:
    neg = np.argwhere(values < 0)
    if len(neg):
        keys = [(regions[i], int(years[j]), names[k]) for i, j, k in neg]
        raise NegativeFlowError(
            f"{len(keys)} arrival/departure value(s) are negative: {format_values(keys)}. "
            "In- and out-flows are counts (or rates) of people and cannot be negative."
        )


def _is_closed(net: np.ndarray, values: np.ndarray, pop: np.ndarray | None, target: str) -> bool:
    """Check whether the observed net balances (in persons) sum to zero in every year."""
    if target == "rates":
        if pop is None:
            return False
        net = net * pop / 1000.0
        values = values * pop[..., None] / 1000.0
    scale = np.abs(values).sum(axis=(0, 2)) + 1.0
    return bool(np.all(np.abs(net.sum(axis=0)) <= ZERO_SUM_RTOL * scale))


def regular_series(
    y: np.ndarray, years: np.ndarray, gaps: Gaps, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """An annual series for ETS/ARIMA: the data as they are, interpolated, or an error.

    Parameters
    ----------
    y : ndarray, shape (years,) or (years, k)
        Values on the modelling scale.
    years : ndarray of int
        Observed years.
    gaps : {"error", "interpolate", "sequence"}
        ``"error"`` raises :class:`PanelStructureError` naming the missing years;
        ``"interpolate"`` fills them linearly on the modelling scale; ``"sequence"`` treats
        the observations as consecutive steps (one step = one year in the output).
    method : str
        Method name for the message.

    Returns
    -------
    (ndarray, ndarray)
        Values and their years.
    """
    full = np.arange(int(years[0]), int(years[-1]) + 1)
    if len(full) == len(years) or gaps == "sequence":
        return y, years
    if gaps == "error":
        missing = sorted(set(full.tolist()) - set(years.tolist()))
        raise PanelStructureError(
            f"method {method!r} needs a regular annual series, but the years "
            f"{format_values(missing, limit=10)} are missing between {int(years[0])} and "
            f"{int(years[-1])}. Pass gaps='interpolate' (fill them linearly on the modelling "
            "scale) or gaps='sequence' (treat the observed years as consecutive steps), or use "
            "'naive', 'drift' or 'bayes_ar', which model calendar time with gaps."
        )
    if y.ndim == 1:
        return np.interp(full, years, y), full
    cols = [np.interp(full, years, y[:, k]) for k in range(y.shape[1])]
    return np.stack(cols, axis=1), full


def describe(data: SeriesData) -> dict[str, Any]:
    """Short description of the input for Forecast.info."""
    return {
        "source": data.source,
        "regions": len(data.regions),
        "years": [int(y) for y in data.years],
        "components": list(data.components),
        "closed": data.closed,
        "notes": list(data.notes),
    }
