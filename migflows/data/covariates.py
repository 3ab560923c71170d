"""Dyadic (origin–destination–year) covariates derived from region-year attributes.

Names follow one grammar, so every region attribute ``x`` in ``panel.regions`` yields:

=================  ===========================================  ==========================
name               meaning                                      example
=================  ===========================================  ==========================
``x_o``, ``x_d``   attribute of the origin / destination        ``wage_o``
``log_x_o/_d``     natural log of it                            ``log_pop_o``
``x_ratio``        destination over origin, ``x_d / x_o``        ``wage_ratio``
``log_x_ratio``    ``log(x_d / x_o)``                           ``log_wage_ratio``
``x_diff``         destination minus origin, ``x_d - x_o``       ``unemp_diff``
``x_gap``          the same as ``x_diff`` (wage-gap wording)     ``wage_gap``
``distance``       pairwise distance, km                        ``distance``
``log_dist``       ``log(distance)``                            ``log_dist``
``lag(v, k)``      any of the above (or ``flow``) at year t−k    ``lag(log_wage_ratio, 1)``
=================  ===========================================  ==========================

Short aliases: ``pop`` = ``population``, ``unemp`` = ``unemployment``, ``dist`` = ``distance``.
Lags are in calendar years, read from the annual attribute table, so they exist even when
the flow years are irregular (Kazakhstan: 2010, 2015, 2020, …); a lag that falls outside the
attribute years is missing (NaN), never silently shifted to the previous observed year.
Logs of zero or negative values are missing (NaN).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from migflows.data import validation as v
from migflows.errors import (
    DroppedRowsWarning,
    MissingValueError,
    UnknownVariableError,
    format_values,
)

ALIASES: dict[str, str] = {"pop": "population", "unemp": "unemployment", "dist": "distance"}

_LAG = re.compile(r"^lag\(\s*([A-Za-z_][\w]*(?:\([^()]*\))?)\s*,\s*(\d+)\s*\)$")
_DYADIC = re.compile(r"^(?P<log>log_)?(?P<base>[A-Za-z_]\w*?)_(?P<kind>o|d|ratio|diff|gap)$")


@dataclass(frozen=True)
class CovariateContext:
    """What a covariate is computed from (validated frames of a FlowPanel)."""

    keys: pd.DataFrame  # origin, destination, year (one row per observation)
    regions: pd.DataFrame | None  # indexed by (region, year)
    distances: pd.DataFrame | None  # origin, destination, distance
    flows: pd.DataFrame  # origin, destination, year, flow (for lag(flow, k))
    pair_vars: pd.DataFrame | None  # origin, destination, year + user pair-year variables


def _attr(ctx: CovariateContext, base: str, side: str, shift: int) -> pd.Series:
    regions = ctx.regions
    if regions is None or base not in regions.columns:
        available = [] if regions is None else list(regions.columns)
        raise UnknownVariableError(
            f"Region attribute {base!r} is not in the panel's region table "
            f"(available: {format_values(available, limit=12) or 'none'}). Pass it in "
            f"regions= when building the FlowPanel."
        )
    col = "origin" if side == "o" else "destination"
    idx = pd.MultiIndex.from_arrays(
        [ctx.keys[col].to_numpy(), ctx.keys["year"].to_numpy() - shift], names=["region", "year"]
    )
    return pd.Series(regions[base].reindex(idx).to_numpy(), index=ctx.keys.index)


def _log(values: pd.Series) -> pd.Series:
    arr = values.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(arr > 0, np.log(np.where(arr > 0, arr, 1.0)), np.nan)
    return pd.Series(out, index=values.index)


def _distance(ctx: CovariateContext) -> pd.Series:
    if ctx.distances is None:
        raise UnknownVariableError(
            "The panel has no distances; pass distances= or coords= (lat/lon of admin centres) "
            "when building the FlowPanel to use 'distance' or 'log_dist'."
        )
    d = ctx.distances.set_index(["origin", "destination"])["distance"]
    idx = pd.MultiIndex.from_frame(ctx.keys[["origin", "destination"]])
    return pd.Series(d.reindex(idx).to_numpy(), index=ctx.keys.index)


def _shifted_lookup(
    ctx: CovariateContext, frame: pd.DataFrame, column: str, shift: int
) -> pd.Series:
    table = frame.set_index(["origin", "destination", "year"])[column]
    idx = pd.MultiIndex.from_arrays(
        [
            ctx.keys["origin"].to_numpy(),
            ctx.keys["destination"].to_numpy(),
            ctx.keys["year"].to_numpy() - shift,
        ]
    )
    return pd.Series(table.reindex(idx).to_numpy(), index=ctx.keys.index)


def compute(name: str, ctx: CovariateContext, shift: int = 0) -> pd.Series:
    """Compute the covariate ``name`` for every row of ``ctx.keys``.

    Parameters
    ----------
    name : str
        A name of the grammar in the module docstring, e.g. ``"log_wage_ratio"`` or
        ``"lag(unemp_diff, 1)"``.
    ctx : CovariateContext
        The panel's validated tables.
    shift : int, default 0
        Years to look back (used by ``lag``).

    Returns
    -------
    Series
        Aligned with ``ctx.keys``; NaN where an input is missing.

    Examples
    --------
    >>> import migflows
    >>> panel = migflows.load_kazakhstan()
    >>> panel.covariates(["log_dist", "lag(log_wage_ratio, 1)"]).columns.tolist()
    ['log_dist', 'lag(log_wage_ratio, 1)']
    """
    name = name.strip()
    lag = _LAG.match(name)
    if lag:
        return compute(lag.group(1), ctx, shift + int(lag.group(2)))
    if ctx.pair_vars is not None and name in ctx.pair_vars.columns:
        return _shifted_lookup(ctx, ctx.pair_vars, name, shift)
    if name == "flow":
        return _shifted_lookup(ctx, ctx.flows, "flow", shift)
    if name in ("distance", "dist"):
        return _distance(ctx)
    if name == "log_dist":
        return _log(_distance(ctx))
    match = _DYADIC.match(name)
    if match is None:
        raise UnknownVariableError(_unknown_message(name, ctx))
    base = ALIASES.get(match["base"], match["base"])
    kind = match["kind"]
    if ctx.regions is None or base not in ctx.regions.columns:
        raise UnknownVariableError(_unknown_message(name, ctx))
    if kind in ("o", "d"):
        value = _attr(ctx, base, kind, shift)
    else:
        o = _attr(ctx, base, "o", shift)
        d = _attr(ctx, base, "d", shift)
        if kind == "ratio":
            with np.errstate(divide="ignore", invalid="ignore"):
                value = d / o.where(o != 0)
        else:
            value = d - o
    return _log(value) if match["log"] else value


def _unknown_message(name: str, ctx: CovariateContext) -> str:
    attrs = [] if ctx.regions is None else [str(c) for c in ctx.regions.columns]
    pair = (
        []
        if ctx.pair_vars is None
        else [str(c) for c in ctx.pair_vars.columns if c not in ("origin", "destination", "year")]
    )
    examples = [f"log_{a}_ratio" for a in attrs[:2]] + [f"{a}_diff" for a in attrs[:1]]
    return (
        f"Unknown variable {name!r}. Derived covariates are built from the region attributes "
        f"{format_values(attrs, limit=12) or '(none)'} as x_o, x_d, log_x_o, log_x_d, x_ratio, "
        f"log_x_ratio, x_diff, x_gap (e.g. {format_values(examples)}), plus distance, log_dist, "
        f"flow, pair variables {format_values(pair) or '(none)'} and lag(v, k)."
    )


CovariateFunction = Callable[[pd.DataFrame], pd.Series]


def covariate_table(
    ctx: CovariateContext,
    names: Iterable[str],
    index: pd.Index,
    missing: Literal["keep", "error", "drop"] = "keep",
) -> pd.DataFrame:
    """Covariates ``names`` for the keys of ``ctx``, with the missing-value policy applied.

    ``missing="keep"`` leaves NaN, ``"error"`` raises :class:`MissingValueError` naming the
    first region-years, ``"drop"`` drops the rows with a :class:`DroppedRowsWarning` (and
    lists them in the returned frame's ``attrs["dropped"]``). The body of
    :meth:`FlowPanel.covariates`.
    """
    v.check_option("missing", missing, ("keep", "error", "drop"))
    names = list(names)
    out = pd.DataFrame({n: compute(n, ctx) for n in names}, index=index)
    if missing == "keep" or not len(out):
        return out
    bad = out.isna().any(axis=1)
    if bad.any():
        counts = out.isna().sum()
        detail = ", ".join(f"{c}: {int(k)}" for c, k in counts.items() if k)
        where = ctx.keys.loc[bad.to_numpy(), ["origin", "destination", "year"]]
        if missing == "error":
            raise MissingValueError(
                f"{int(bad.sum())} of {len(out)} observations lack a covariate ({detail}), "
                f"e.g. "
                f"{format_values(map(tuple, where.to_numpy()))}. Check "
                f"panel.coverage() for the region-years without data, pick other years, or "
                f"use missing='drop'."
            )
        warnings.warn(
            f"Dropped {int(bad.sum())} of {len(out)} observations with missing covariates "
            f"({detail}); the rows are in the returned frame's attrs['dropped'].",
            DroppedRowsWarning,
            stacklevel=3,
        )
        kept = out[~bad]
        kept.attrs["dropped"] = where.assign(reason="missing covariate")
        return kept
    return out
