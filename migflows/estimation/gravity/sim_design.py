"""Design and fit measures of the spatial interaction models (:func:`migflows.sim`).

The rows to fit (one cross-section, intra-zonal flows dropped), the columns behind the
arguments, value checks, the design in PySAL spint's parameterisation (a constant plus
reference-coded origin/destination dummies) and spint's fit measures (SRMSE, SSI, D²…).

Examples
--------
>>> sim_measures(np.array([1.0, 3.0]), np.array([2.0, 2.0]), 1.0, 2.0, -3.0, -4.0, 2, 1)["ssi"]
0.7333333333333334
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import (
    DataValidationError,
    DroppedRowsWarning,
    InvalidDistanceError,
    InvalidOptionError,
    MissingColumnError,
    MissingValueError,
    NegativeFlowError,
    PanelStructureError,
    SelfFlowError,
    format_values,
)

__all__ = [
    "SIMSpec",
    "check_sim_values",
    "sim_column",
    "sim_columns",
    "sim_design",
    "sim_dummies",
    "sim_frame",
    "sim_measures",
]


@dataclass(frozen=True)
class SIMSpec:
    """The specification of a fitted spatial interaction model (form, cost, masses, levels)."""

    form: str
    cost: str
    cost_var: str
    o_var: str | None
    d_var: str | None
    origins: tuple[Any, ...]
    destinations: tuple[Any, ...]


def sim_columns(
    frame: pd.DataFrame,
    data: FlowPanel | pd.DataFrame,
    flow: str | None,
    cost_var: str,
    given: Mapping[str, str | None],
) -> dict[str, str]:
    """The column behind each argument (``flow``, ``cost_var``, ``o_var``, ``d_var``)."""
    panel = isinstance(data, FlowPanel)
    wanted = {"flow": flow, "cost_var": cost_var, **given}
    return {
        arg: sim_column(frame, arg, col, panel) for arg, col in wanted.items() if col is not None
    }


def sim_frame(
    data: FlowPanel | pd.DataFrame,
    origin: str,
    destination: str,
    year: int | None,
    intra: str,
    *,
    quiet: bool = False,
) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """The rows to fit with ``__o``/``__d`` key columns; drops other years and intra flows."""
    if isinstance(data, FlowPanel):
        frame = data.pairs
        origin, destination = "origin", "destination"
    elif isinstance(data, pd.DataFrame):
        frame = data.reset_index(drop=True)
        absent = {
            a: c
            for a, c in (("origin", origin), ("destination", destination))
            if c not in frame.columns
        }
        if absent:
            detail = ", ".join(f"{a}={c!r}" for a, c in absent.items())
            raise MissingColumnError(
                f"Column(s) {detail} not in the data (columns: "
                f"{format_values(list(map(str, frame.columns)), limit=15)}); pass the names "
                f"with origin=, destination=."
            )
    else:
        raise InvalidOptionError(
            f"data must be a FlowPanel or a pandas DataFrame, got {type(data).__name__}."
        )
    keys_cols = [origin, destination]
    if "year" in frame.columns:
        years = sorted(pd.unique(frame["year"]))
        if year is not None:
            if year not in years:
                raise InvalidOptionError(
                    f"year={year!r} is not in the data (years: {format_values(years, limit=12)})."
                )
            frame = frame[frame["year"] == year].reset_index(drop=True)
        elif len(years) > 1:
            raise PanelStructureError(
                f"sim() fits one cross-section but the data hold {len(years)} years "
                f"({format_values(years, limit=12)}); pass year=, e.g. year={years[-1]}."
            )
        keys_cols.append("year")
    elif year is not None:
        raise InvalidOptionError(f"year={year!r} given but the data have no 'year' column.")
    frame = frame.assign(__o=frame[origin], __d=frame[destination])
    self_rows = (frame["__o"] == frame["__d"]).to_numpy()
    dropped = frame.loc[self_rows, keys_cols].assign(reason="intra-zonal")
    if self_rows.any():
        if intra == "error":
            raise SelfFlowError(
                f"{int(self_rows.sum())} intra-zonal row(s) (origin == destination), e.g. "
                f"{format_values(frame.loc[self_rows, origin].unique())}; spatial interaction "
                f"models exclude them: drop them or pass intra='drop'."
            )
        if not quiet:
            warnings.warn(
                f"Dropped {int(self_rows.sum())} intra-zonal row(s) (origin == destination) of "
                f"{len(frame)}; see results.dropped.",
                DroppedRowsWarning,
                stacklevel=3,
            )
        frame = frame[~self_rows].reset_index(drop=True)
    return frame, keys_cols, dropped.reset_index(drop=True)


def sim_column(frame: pd.DataFrame, arg: str, col: str, panel: bool) -> str:
    """Return the column behind argument ``arg``.

    On a FlowPanel ``o_var="population"`` is ``population_o`` (``d_var``: ``population_d``).
    """
    if col in frame.columns:
        return col
    suffix = {"o_var": "_o", "d_var": "_d"}.get(arg)
    if panel and suffix and f"{col}{suffix}" in frame.columns:
        return f"{col}{suffix}"
    shown = [c for c in map(str, frame.columns) if not c.startswith("__")]
    hint = "; on a FlowPanel o_var/d_var may name a region attribute" if suffix else ""
    raise MissingColumnError(
        f"{arg}={col!r} is not a column of the data (columns: {format_values(shown, limit=15)})"
        f"{hint}."
    )


def check_sim_values(frame: pd.DataFrame, columns: dict[str, str], cost: str) -> np.ndarray:
    """Refuse missing, negative or non-positive values; return the flows."""
    for arg, col in columns.items():
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            bad = frame.loc[values.isna(), ["__o", "__d"]]
            raise MissingValueError(
                f"{arg}={col!r} has {int(values.isna().sum())} missing or non-numeric value(s), "
                f"e.g. {format_values(map(tuple, bad.to_numpy()))}; fill or drop those pairs."
            )
    y = frame[columns["flow"]].to_numpy(dtype=float)
    if (y < 0).any():
        raise NegativeFlowError(
            f"flow={columns['flow']!r} has {int((y < 0).sum())} negative value(s)."
        )
    c = frame[columns["cost_var"]].to_numpy(dtype=float)
    if cost == "pow" and (c <= 0).any():
        raise InvalidDistanceError(
            f"cost='pow' takes log({columns['cost_var']}) but {int((c <= 0).sum())} value(s) "
            f"are not positive; use cost='exp' or fix the costs."
        )
    for arg in ("o_var", "d_var"):
        if arg in columns:
            v = frame[columns[arg]].to_numpy(dtype=float)
            if (v <= 0).any():
                raise DataValidationError(
                    f"{arg}={columns[arg]!r} enters in logs but {int((v <= 0).sum())} value(s) "
                    f"are not positive."
                )
    return y


def sim_design(
    frame: pd.DataFrame, spec: SIMSpec, columns: dict[str, str], *, strict: bool
) -> pd.DataFrame:
    """Build the design in spint's parameterisation (constant, reference-coded dummies …)."""
    cols: dict[str, np.ndarray] = {"Intercept": np.ones(len(frame))}
    if spec.form in ("production", "doubly"):
        cols.update(sim_dummies(frame["__o"], spec.origins, "orig", strict))
    if spec.form in ("attraction", "doubly"):
        cols.update(sim_dummies(frame["__d"], spec.destinations, "dest", strict))
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.form in ("unconstrained", "attraction"):
            col = columns["o_var"]
            cols[f"log({col})"] = np.log(frame[col].to_numpy(dtype=float))
        if spec.form in ("unconstrained", "production"):
            col = columns["d_var"]
            cols[f"log({col})"] = np.log(frame[col].to_numpy(dtype=float))
        c = frame[columns["cost_var"]].to_numpy(dtype=float)
        name = f"log({spec.cost_var})" if spec.cost == "pow" else spec.cost_var
        cols[name] = np.log(c) if spec.cost == "pow" else c
    return pd.DataFrame(cols)


def sim_dummies(
    keys: pd.Series, levels: tuple[Any, ...], prefix: str, strict: bool
) -> dict[str, np.ndarray]:
    """Reference-coded dummies (the first level is the reference)."""
    values = keys.to_numpy()
    out = {f"{prefix}::{lv}": (values == lv).astype(float) for lv in levels[1:]}
    if not strict:
        unknown = ~np.isin(values, np.asarray(levels, dtype=object))
        if unknown.any():
            for name in out:
                out[name] = np.where(unknown, np.nan, out[name])
    return out


def sim_measures(
    y: np.ndarray,
    mu: np.ndarray,
    deviance: float,
    null_deviance: float,
    llf: float,
    llnull: float,
    n: int,
    k: int,
) -> dict[str, Any]:
    """The fit measures spint reports, of a fitted model."""
    d2 = 1.0 - deviance / null_deviance
    pseudo = 1.0 - llf / llnull
    return {
        "nobs": n,
        "n_params": k,
        "srmse": float(np.sqrt(np.sum((y - mu) ** 2) / n) / (np.sum(y) / n)),
        "ssi": float(np.mean(2.0 * np.minimum(y, mu) / (y + mu))),
        "d2": d2,
        "adj_d2": 1.0 - (n - 1) / (n - k) * (1.0 - d2),
        "pseudo_rsquared": pseudo,
        "adj_pseudo_rsquared": 1.0 - (llf - k) / llnull,
        "aic": -2.0 * llf + 2.0 * k,
        "deviance": deviance,
        "null_deviance": null_deviance,
        "llf": llf,
        "llnull": llnull,
    }
