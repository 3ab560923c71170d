"""Input handling of the panel unit-root tests: validation, panel layout, lag arguments.

Everything a user passes to :func:`migflows.unit_root` is checked here, once, and turned
into plain arrays for :mod:`.unit_root_core`; every problem raises a named error that says
which units, periods or values are at fault and how to fix it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from migflows.errors import (
    InvalidOptionError,
    MigflowsWarning,
    MissingColumnError,
    MissingValueError,
    NonNumericError,
    PanelStructureError,
    format_values,
)
from migflows.estimation.unit_root import critical_values as tables
from migflows.estimation.unit_root import statistics as core

TESTS = ("ips", "llc", "madwu", "choi", "hadri", "cips")
TEST_ALIASES = {"levinlin": "llc", "fisher": "madwu", "maddala-wu": "madwu"}
TRENDS = ("none", "c", "ct")
TREND_ALIASES = {"n": "none", "nc": "none", "intercept": "c", "trend": "ct"}
LAG_METHODS = ("aic", "bic", "hall")
_LAG_ALIASES = {"sic": "bic"}
IPS_STATS = ("wtbar", "ztbar", "tbar")
CHOI_STATS = ("invnormal", "logit", "pm")
DEFAULT_MAX_LAGS = 10  # plm::purtest's default pmax

_UNIT_ROOT_H0 = "all series have a unit root"
HYPOTHESES = {
    "ips": (_UNIT_ROOT_H0, "some series are stationary"),
    "llc": (_UNIT_ROOT_H0, "all series are stationary, with a common autoregressive coefficient"),
    "madwu": (_UNIT_ROOT_H0, "at least one series is stationary"),
    "choi": (_UNIT_ROOT_H0, "at least one series is stationary"),
    "hadri": ("all series are stationary", "at least one series has a unit root"),
    "cips": (_UNIT_ROOT_H0, "some series are stationary (common factor allowed)"),
}


@dataclass(frozen=True)
class PanelSeries:
    """A validated panel of one variable: one float series per unit, in time order."""

    variable: str
    entities: list[Any]
    series: list[np.ndarray]
    times: list[np.ndarray]
    all_times: np.ndarray
    balanced: bool
    entity_name: str = "entity"

    def centred(self) -> PanelSeries:
        """Each unit's series minus its mean.

        Every statistic with an intercept is invariant to a shift of each unit's level;
        removing it first keeps the regressions well conditioned for large levels
        (e.g. GRP in tenge).
        """
        shifted = [s - s.mean() for s in self.series]
        return replace(self, series=shifted)

    @property
    def lengths(self) -> np.ndarray:
        """Number of observations of each unit."""
        return np.array([len(s) for s in self.series])

    def wide(self) -> np.ndarray:
        """Units x periods array (balanced panels only)."""
        return np.vstack(self.series).astype(float)


def check_choice(
    value: object, name: str, allowed: Sequence[str], aliases: Mapping[str, str]
) -> str:
    """Validate a string option (case-insensitive, with aliases); named error otherwise."""
    if isinstance(value, str):
        key = value.lower()
        key = aliases.get(key, key)
        if key in allowed:
            return key
    raise InvalidOptionError(
        f"{name}={value!r} is not supported; allowed: {', '.join(repr(a) for a in allowed)}"
    )


def _column_or_level(data: pd.DataFrame, name: str, role: str) -> pd.Index:
    if name in data.columns:
        return pd.Index(data[name])
    if name in (data.index.names or []):
        return pd.Index(data.index.get_level_values(name))
    raise MissingColumnError(
        f"{role} column {name!r} is not in the data; columns: "
        f"{format_values(list(map(str, data.columns)), limit=12)}"
    )


def prepare_panel(
    data: pd.DataFrame, variable: str, entity: str | None, time: str | None, min_units: int = 2
) -> PanelSeries:
    """Validate ``data[variable]`` and split it into one series per unit (entity, time)."""
    if not isinstance(data, pd.DataFrame):
        raise PanelStructureError(
            f"data must be a pandas DataFrame with an (entity, time) MultiIndex or entity/time "
            f"columns, got {type(data).__name__}"
        )
    if (entity is None) != (time is None):
        raise InvalidOptionError(
            "give both entity= and time= (column names), or neither and an (entity, time) "
            "MultiIndex"
        )
    if entity is None or time is None:
        if not isinstance(data.index, pd.MultiIndex) or data.index.nlevels != 2:
            raise PanelStructureError(
                "data has no (entity, time) MultiIndex; pass entity= and time= naming the "
                "columns that identify units and periods"
            )
        ent = pd.Index(data.index.get_level_values(0))
        entity_name = str(data.index.names[0] or "entity")
        tim = pd.Index(data.index.get_level_values(1))
    else:
        ent = _column_or_level(data, entity, "entity")
        entity_name = str(entity)
        tim = _column_or_level(data, time, "time")
    values = data[variable] if variable in data.columns else None
    columns = data.columns
    if values is None:
        raise MissingColumnError(
            f"variable {variable!r} is not in the data; columns: "
            f"{format_values(list(map(str, columns)), limit=12)}"
        )
    if isinstance(values, pd.DataFrame):
        raise PanelStructureError(f"column name {variable!r} is duplicated in the data")
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
        shown = format_values(bad.unique()) if len(bad) else f"dtype {values.dtype}"
        raise NonNumericError(
            f"variable {variable!r} must be numeric; found {shown}. Convert it with "
            "pd.to_numeric or pick a numeric column."
        )
    arr = values.to_numpy(dtype=float)
    if ent.hasnans or tim.hasnans:
        raise MissingValueError(
            "the entity or time identifiers hold missing values; fill or drop them"
        )
    bad_mask = ~np.isfinite(arr)
    if bad_mask.any():
        pairs = list(zip(ent[bad_mask], tim[bad_mask], strict=True))
        raise MissingValueError(
            f"variable {variable!r} has {int(bad_mask.sum())} missing or infinite value(s) at "
            f"(entity, time) {format_values(pairs)}; the tests need complete series: "
            "impute them or drop the affected units"
        )
    # Vectorised from here: entity codes and time positions, then one split.
    e_codes, e_labels = pd.factorize(ent, sort=True)
    t_codes, t_labels = pd.factorize(tim, sort=True)
    all_times = np.asarray(t_labels)
    order = np.lexsort((t_codes, e_codes))
    e_sorted, t_sorted, v_sorted = e_codes[order], t_codes[order], arr[order]
    same_unit = e_sorted[1:] == e_sorted[:-1]
    step = np.diff(t_sorted)
    dup = same_unit & (step == 0)
    if dup.any():
        at = np.flatnonzero(dup)
        pairs = [(e_labels[e_sorted[k]], all_times[t_sorted[k]]) for k in at]
        raise PanelStructureError(
            f"{len(pairs)} (entity, time) pair(s) appear more than once: {format_values(pairs)}; "
            "aggregate or de-duplicate first"
        )
    if pd.api.types.is_integer_dtype(all_times.dtype):
        # integer periods (years) must be consecutive integers, even if no unit has the gap
        step = np.diff(all_times[t_sorted])
    gap = same_unit & (step != 1)
    starts = np.r_[0, np.flatnonzero(~same_unit) + 1]
    entities = list(e_labels)
    if gap.any():
        gaps: list[tuple[Any, list[Any]]] = []
        for unit in np.unique(e_sorted[1:][gap]):
            t_vals = all_times[t_sorted[e_sorted == unit]]
            if pd.api.types.is_integer_dtype(all_times.dtype):
                full = np.arange(t_vals[0], t_vals[-1] + 1)
            else:
                lo, hi = np.searchsorted(all_times, [t_vals[0], t_vals[-1]])
                full = all_times[lo : hi + 1]
            gaps.append((entities[unit], sorted(set(full.tolist()) - set(t_vals.tolist()))))
        shown = "; ".join(f"{e!r} lacks {format_values(m)}" for e, m in gaps[:5])
        more = f" (and {len(gaps) - 5} more units)" if len(gaps) > 5 else ""
        raise PanelStructureError(
            f"{len(gaps)} unit(s) have gaps inside their series: {shown}{more}; the ADF "
            "regressions need consecutive periods: fill the gaps or shorten the series"
        )
    if len(entities) < min_units:
        raise PanelStructureError(
            f"a panel test needs at least 2 units, the data have {len(entities)}; use "
            "adf_by_region / kpss_by_region for single series"
        )
    spread = np.maximum.reduceat(v_sorted, starts) - np.minimum.reduceat(v_sorted, starts)
    if (spread == 0).any():
        constant = [entities[k] for k in np.flatnonzero(spread == 0)]
        raise PanelStructureError(
            f"{len(constant)} unit(s) have a constant {variable!r}: {format_values(constant)}; "
            "a constant series has no unit-root test: drop these units"
        )
    series = np.split(v_sorted, starts[1:])
    times = [all_times[t] for t in np.split(t_sorted, starts[1:])]
    counts = np.diff(np.r_[starts, len(v_sorted)])
    balanced = bool((counts == len(all_times)).all())
    return PanelSeries(variable, entities, series, times, all_times, balanced, entity_name)


def require_balanced(panel: PanelSeries, what: str) -> None:
    """Refuse an unbalanced panel for a test that needs a balanced one, naming the units."""
    if panel.balanced:
        return
    lines = []
    for e, t in zip(panel.entities, panel.times, strict=True):
        missing = sorted(set(panel.all_times.tolist()) - set(t.tolist()))
        if missing:
            lines.append(f"{e!r} lacks {format_values(missing)}")
    shown = "; ".join(lines[:5]) + (f" (and {len(lines) - 5} more units)" if len(lines) > 5 else "")
    raise PanelStructureError(
        f"{what} needs a balanced panel (every unit observed in the same periods); "
        f"{len(lines)} unit(s) are not: {shown}. Restrict the data to common periods or "
        "use test='ips', 'madwu' or 'choi', which accept unbalanced panels"
    )


def _min_periods(lags: int, n_det: int, test: str) -> int:
    """Fewest periods for which a regression with ``lags`` lags keeps >= 1 residual df."""
    if test == "cips":
        return 3 * lags + n_det + 5
    return 2 * lags + n_det + 3


def _default_max_lags(panel: PanelSeries, n_det: int, test: str, trend: str, ips_stat: str) -> int:
    """Return plm's ``pmax = 10``, lowered where the shortest series cannot support it.

    Lowered to the largest order whose ADF regression keeps at least as many residual
    degrees of freedom as coefficients (``T - p - 1 >= 2 (1 + p + d)``), and for IPS to
    orders whose moments IPS (2003) tabulate at that length. It is plm's 10 from T = 35
    (intercept) or 37 (trend) on, T = 36 for IPS with an intercept.
    """
    shortest = int(panel.lengths.min())
    p = min(DEFAULT_MAX_LAGS, (shortest - 3 - 2 * n_det) // 3)
    if test == "ips" and ips_stat == "wtbar":
        while p > 0:
            orders = np.arange(p + 1)
            means, _ = tables.ips_wtbar_moments(shortest - orders - 1, orders, trend)  # type: ignore[arg-type]
            if not np.isnan(means).any():
                break
            p -= 1
    if p < 0:
        if shortest >= _min_periods(0, n_det, test):
            return 0
        raise PanelStructureError(
            f"unit {panel.entities[int(np.argmin(panel.lengths))]!r} has {shortest} periods; "
            f"even a regression without lags needs {_min_periods(0, n_det, test)} with "
            f"trend={trend!r}"
        )
    return int(p)


def resolve_lags(
    panel: PanelSeries,
    lags: int | str | Sequence[int] | Mapping[Any, int],
    max_lags: int | None,
    trend: str,
    test: str,
    ips_stat: str = "wtbar",
) -> tuple[np.ndarray | None, str, int | None, tuple[str, ...]]:
    """Turn the lag argument into per-unit orders, or a selection method and max order."""
    n_det = core.N_DET[trend]
    shortest = int(panel.lengths.min())
    short_unit = panel.entities[int(np.argmin(panel.lengths))]
    notes: tuple[str, ...] = ()
    if isinstance(lags, str):
        method = check_choice(lags, "lags", LAG_METHODS, _LAG_ALIASES)
        if test == "cips":
            raise InvalidOptionError(
                f"test='cips' takes a fixed lag order (as plm::cipstest; the tabulated critical "
                f"values assume one), got lags={lags!r}: pass lags=<int>, e.g. lags=1"
            )
        if max_lags is None:
            max_lags = _default_max_lags(panel, n_det, test, trend, ips_stat)
            if max_lags < DEFAULT_MAX_LAGS:
                note = (
                    f"max_lags lowered from plm's default {DEFAULT_MAX_LAGS} to {max_lags} "
                    f"because the shortest series ({short_unit!r}) has {shortest} periods"
                )
                warnings.warn(note, MigflowsWarning, stacklevel=3)
                notes = (note,)
        elif (
            isinstance(max_lags, bool) or not isinstance(max_lags, int | np.integer) or max_lags < 0
        ):
            raise InvalidOptionError(f"max_lags must be a non-negative integer, got {max_lags!r}")
        needed = _min_periods(int(max_lags), n_det, test)
        if shortest < needed:
            raise PanelStructureError(
                f"max_lags={max_lags} with trend={trend!r} needs at least {needed} periods per "
                f"unit, but {short_unit!r} has {shortest}; lower max_lags"
            )
        return None, method, int(max_lags), notes
    if isinstance(lags, Mapping):
        missing = [e for e in panel.entities if e not in lags]
        if missing:
            raise InvalidOptionError(
                f"lags mapping has no entry for unit(s) {format_values(missing)}"
            )
        orders = np.array([lags[e] for e in panel.entities])
    elif isinstance(lags, int | np.integer) and not isinstance(lags, bool):
        orders = np.full(len(panel.entities), int(lags))
    elif isinstance(lags, Sequence) and not isinstance(lags, str):
        if len(lags) != len(panel.entities):
            raise InvalidOptionError(
                f"lags has {len(lags)} entries but the panel has {len(panel.entities)} units"
            )
        orders = np.asarray(lags)
    else:
        raise InvalidOptionError(
            f"lags={lags!r} is not supported; give an integer, one integer per unit, or one of "
            f"{', '.join(repr(m) for m in LAG_METHODS)}"
        )
    if not np.issubdtype(orders.dtype, np.integer) or (orders < 0).any():
        raise InvalidOptionError(f"lag orders must be non-negative integers, got {orders.tolist()}")
    if test == "cips" and len(set(orders.tolist())) > 1:
        raise InvalidOptionError("test='cips' uses one lag order for all units; pass lags=<int>")
    need = np.array([_min_periods(int(p), n_det, test) for p in orders])
    short = panel.lengths < need
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise PanelStructureError(
            f"lags={int(orders[i])} with trend={trend!r} needs at least {need[i]} periods per "
            f"unit, but {short.sum()} unit(s) have fewer (e.g. {panel.entities[i]!r}: "
            f"{panel.lengths[i]}); lower the lag order"
        )
    return orders.astype(int), "fixed", None, notes


def critical_value(values: np.ndarray) -> Mapping[str, float]:
    """Read-only mapping ``{"1%", "5%", "10%"}`` -> critical value."""
    return MappingProxyType({k: float(v) for k, v in zip(("1%", "5%", "10%"), values, strict=True)})
