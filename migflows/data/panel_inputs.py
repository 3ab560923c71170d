"""Validation of everything :meth:`FlowPanel.from_frame` receives, turned into its parts.

:func:`validate_panel_inputs` checks the flow table, the region-year attributes, the
coordinates or distances, the pair variables and the aggregates, once, and returns the
validated frames that the :class:`~migflows.data.panel.FlowPanel` constructor trusts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from migflows.data import validation as v
from migflows.data.geo import distance_table
from migflows.errors import (
    InvalidOptionError,
    MissingRegionError,
    NonNumericError,
    format_values,
)

__all__ = ["assigned_values", "check_fill", "validate_panel_inputs", "whole_years"]


def validate_panel_inputs(
    flows: pd.DataFrame,
    *,
    origin: str,
    destination: str,
    year: str,
    flow: str,
    regions: pd.DataFrame | None,
    region: str,
    region_year: str,
    distances: pd.DataFrame | None,
    coords: pd.DataFrame | None,
    pair_vars: Sequence[str],
    aggregates: pd.DataFrame | None,
    self_flows: v.SelfFlows,
    duplicates: v.Duplicates,
    missing: v.Missing,
    valid_years: tuple[int, int],
) -> dict[str, Any]:
    """Validate the inputs of :meth:`FlowPanel.from_frame` (see it for the parameters).

    Returns
    -------
    dict
        ``flows``, ``regions``, ``distances``, ``coords``, ``intra``, ``dropped``,
        ``pair_vars`` and ``aggregates``: the keyword arguments of the FlowPanel constructor.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"origin": ["a"], "destination": ["b"], "year": [2020], "flow": [5]})
    >>> parts = validate_panel_inputs(
    ...     df, origin="origin", destination="destination", year="year", flow="flow",
    ...     regions=None, region="region", region_year="year", distances=None, coords=None,
    ...     pair_vars=(), aggregates=None, self_flows="error", duplicates="error",
    ...     missing="error", valid_years=(1950, 2100))
    >>> parts["flows"]["flow"].tolist()
    [5.0]
    """
    flows_v, intra, dropped = v.validate_flows(
        flows,
        origin=origin,
        destination=destination,
        year=year,
        flow=flow,
        self_flows=self_flows,
        duplicates=duplicates,
        missing=missing,
        valid_years=valid_years,
    )
    keys = sorted(set(flows_v["origin"]).union(flows_v["destination"]))
    regions_v = None
    if regions is not None:
        regions_v = v.validate_regions(
            regions, region=region, year=region_year, valid_years=valid_years
        )
        absent = sorted(set(keys) - set(regions_v.index.get_level_values("region")))
        if absent:
            raise MissingRegionError(
                f"{len(absent)} region(s) in the flows are absent from the regions table: "
                f"{format_values(absent)}. Add rows for them (values may be NaN) or check "
                f"that both tables use the same region codes."
            )
    coords_v = v.validate_coords(coords) if coords is not None else None
    if coords_v is not None:
        absent = sorted(set(keys) - set(coords_v.index))
        if absent and distances is None:
            raise MissingRegionError(
                f"{len(absent)} region(s) in the flows have no coordinates: "
                f"{format_values(absent)}. Add their lat/lon to coords."
            )
    if distances is not None:
        dist_v = v.validate_distances(distances, keys)
    elif coords_v is not None:
        dist_v = distance_table(coords_v.loc[coords_v.index.isin(keys)])
    else:
        dist_v = None
    if coords_v is not None and distances is None:
        v.check_distinct_coords(coords_v.loc[coords_v.index.isin(keys)])
    pairs_v = None
    if pair_vars:
        v.require_columns(flows, {f"pair_vars[{i}]": c for i, c in enumerate(pair_vars)}, "flows")
        pairs_v = _pair_table(flows, flows_v, origin, destination, year, list(pair_vars))
    return {
        "flows": flows_v,
        "regions": regions_v,
        "distances": dist_v,
        "coords": coords_v,
        "intra": intra,
        "dropped": dropped,
        "pair_vars": pairs_v,
        "aggregates": _validate_aggregates(aggregates, valid_years),
    }


def _pair_table(
    raw: pd.DataFrame,
    flows: pd.DataFrame,
    origin: str,
    destination: str,
    year: str,
    names: list[str],
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "origin": raw[origin].astype(str).to_numpy(),
            "destination": raw[destination].astype(str).to_numpy(),
            "year": pd.to_numeric(raw[year]).astype("int64").to_numpy(),
        }
    )
    for name in names:
        frame[name] = v.to_numeric(raw[name], name, "flows").to_numpy()
    frame = frame.drop_duplicates(["origin", "destination", "year"])
    return flows[["origin", "destination", "year"]].merge(
        frame, on=["origin", "destination", "year"], how="left"
    )


def _validate_aggregates(
    frame: pd.DataFrame | None, valid_years: tuple[int, int]
) -> pd.DataFrame | None:
    if frame is None:
        return None
    table = v.validate_regions(frame, region="territory", year="year", valid_years=valid_years)
    return table.rename_axis(["territory", "year"])


def check_fill(fill: object) -> None:
    """Refuse a ``complete(fill=...)`` value that is not a valid flow (finite, >= 0)."""
    if isinstance(fill, bool) or not isinstance(fill, int | float | np.integer | np.floating):
        raise InvalidOptionError(
            f"fill={fill!r} must be a number (the flow of the added pairs, usually 0)."
        )
    if not np.isfinite(fill) or fill < 0:
        raise InvalidOptionError(
            f"fill={fill!r} is not a valid flow: added pairs need a finite count, zero or "
            f"positive (usually fill=0)."
        )


def assigned_values(name: str, result: object, index: pd.Index) -> np.ndarray:
    """Check one ``FlowPanel.assign(name=...)`` value and return it as floats.

    Refuses the key column names, tables, Series indexed otherwise than ``panel.flows``,
    values that are not numbers and infinite values.
    """
    if name in ("origin", "destination", "year", "flow"):
        raise InvalidOptionError(
            f"assign({name}=...) would overwrite the key column {name!r}; choose another name."
        )
    if isinstance(result, pd.DataFrame):
        raise InvalidOptionError(
            f"Variable {name!r} is a table with {result.shape[1]} column(s) "
            f"({format_values(map(str, result.columns))}); give one column (a Series)."
        )
    if isinstance(result, pd.Series) and not result.index.equals(index):
        raise InvalidOptionError(
            f"Variable {name!r} is a Series not indexed like panel.flows (0 .. "
            f"{len(index) - 1}); pass .to_numpy() if its order already matches."
        )
    try:
        arr = np.asarray(result, dtype=float)
        if arr.shape != index.shape:
            raise InvalidOptionError(
                f"Variable {name!r} has shape {arr.shape}; it must have one value per "
                f"observation ({len(index)})."
            )
    except (TypeError, ValueError) as err:
        if isinstance(err, InvalidOptionError):
            raise
        raise NonNumericError(
            f"Variable {name!r} holds values that are not numbers (e.g. "
            f"{format_values(pd.Series(np.asarray(result, dtype=object).ravel()).head(3))}); "
            f"convert it with pandas.to_numeric first."
        ) from None
    if np.isinf(arr).any():
        raise NonNumericError(
            f"Variable {name!r} holds {int(np.isinf(arr).sum())} infinite value(s); use NaN "
            f"for values that are not available."
        )
    return arr


def whole_years(years: object, name: str) -> list[int]:
    """Turn ``years`` (one year or an iterable of years) into whole-number years or refuse."""
    items = [years] if isinstance(years, int | float | str | np.integer) else years
    try:
        values = [float(y) for y in cast(Iterable[Any], items)]
    except (TypeError, ValueError):
        raise InvalidOptionError(
            f"{name}={years!r} must be a year or a list of years such as [2021, 2023]."
        ) from None
    bad = [y for y in values if not np.isfinite(y) or not float(y).is_integer()]
    if bad or not values:
        raise InvalidOptionError(
            f"{name}={years!r} must hold whole years such as [2021, 2023]"
            f"{'; not ' + format_values(bad) if bad else ' (it is empty)'}."
        )
    return [int(y) for y in values]
