"""The estimation sample of a gravity design: restricting it and recording what was dropped.

Shared by every gravity engine (:mod:`~migflows.estimation.gravity.engines`,
:mod:`~migflows.estimation.gravity.glm`), so that none imports another's helpers.

Examples
--------
>>> import migflows
>>> from migflows.models.design import build_design
>>> from migflows.models.formula import parse_formula
>>> kz = migflows.load_kazakhstan(years=[2021])
>>> design = build_design(parse_formula("flow ~ log_dist | orig + dest"), kz)
>>> subset_design(design, np.arange(5)).y.shape
(5,)
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from migflows.models.design import Design

__all__ = ["merge_dropped", "subset_design"]


def subset_design(design: Design, kept: np.ndarray) -> Design:
    """The design restricted to positions ``kept`` (after separation/singleton removal)."""

    def take(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[kept].reset_index(drop=True)

    return replace(
        design,
        y=design.y.iloc[kept].reset_index(drop=True),
        X=take(design.X),
        fe=take(design.fe),
        fe_labels=take(design.fe_labels) if len(design.fe_labels.columns) else design.fe_labels,
        keys=take(design.keys),
        clusters=take(design.clusters),
        weights=None
        if design.weights is None
        else design.weights.iloc[kept].reset_index(drop=True),
        offset=None if design.offset is None else design.offset.iloc[kept].reset_index(drop=True),
        rows=design.rows[kept],
    )


def merge_dropped(design: Design, fit_dropped: pd.DataFrame) -> pd.DataFrame:
    """Design-level drops plus estimator drops (singletons, separation) with their keys."""
    parts = [design.dropped]
    if len(fit_dropped):
        keys = design.keys.iloc[fit_dropped["row"].to_numpy()].reset_index(drop=True)
        parts.append(keys.assign(reason=fit_dropped["reason"].to_numpy()))
    return pd.concat(parts, ignore_index=True)
