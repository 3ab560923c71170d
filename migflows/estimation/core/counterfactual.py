"""Counterfactual region attributes shared by the estimator families: :func:`changed_panel`.

A counterfactual changes region attributes (``{"wage": {"turkistan": 1.10}}`` raises
Turkistan's wage by 10 %) and recomputes every covariate built from them. The validation
and the change itself are the same for every family; this module holds them so that the
Bayesian results (:meth:`BayesGravityResults.counterfactual
<migflows.estimation.bayes.results.BayesGravityResults.counterfactual>`) apply changes
exactly as the PPML results (``GravityResults.counterfactual``) do.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from migflows.data.panel import FlowPanel
from migflows.errors import (
    InvalidOptionError,
    MissingRegionError,
    ModelSpecificationError,
    UnknownVariableError,
    format_values,
)

__all__ = ["Changes", "changed_panel", "counterfactual_factor"]

Changes = Mapping[str, Mapping[str, float] | Mapping[str, Mapping[int, float]]]


def counterfactual_factor(value: object, name: str) -> float:
    """A counterfactual factor: a finite number greater than 0 (1 means no change).

    Examples
    --------
    >>> counterfactual_factor(1.1, "changes['wage']['abai']")
    1.1
    """
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        f = float("nan")
    if isinstance(value, bool) or not np.isfinite(f) or f <= 0:
        raise InvalidOptionError(
            f"{name}={value!r} is not a valid factor: give a finite number greater than 0 "
            f"(1.10 raises the attribute by 10 %, 1 leaves it unchanged)."
        )
    return f


def changed_panel(data: object, changes: Changes, *, caller: str = "counterfactual()") -> FlowPanel:
    """The panel with region attributes multiplied by the factors of ``changes``.

    Parameters
    ----------
    data : FlowPanel
        The panel the model was fitted on (never changed: a new panel is returned).
    changes : mapping
        Attribute -> region -> factor (all years) or attribute -> region -> {year: factor}.
    caller : str
        Named in the error messages.

    Returns
    -------
    FlowPanel

    Raises
    ------
    ModelSpecificationError
        ``data`` is not a FlowPanel, or no attribute actually changes.
    UnknownVariableError
        An attribute that the panel does not have.
    MissingRegionError
        A region that is not in the panel.
    InvalidOptionError
        An empty or malformed mapping, a factor that is not a positive number, a year not in
        the panel.

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2021])
    >>> new = changed_panel(kz, {"wage": {"turkistan": 1.10}})
    >>> w = lambda p: float(p.regions.loc[("turkistan", 2021), "wage"])
    >>> round(w(new) / w(kz), 6)
    1.1
    """
    if not isinstance(data, FlowPanel):
        raise ModelSpecificationError(
            f"{caller} needs a model fitted on a FlowPanel (it changes region attributes and "
            f"recomputes the covariates)."
        )
    regions = data.regions
    if regions is None:
        raise UnknownVariableError("The panel has no region attributes to change.")
    if not isinstance(changes, Mapping) or not changes:
        raise InvalidOptionError(
            f"changes={changes!r} must be a non-empty mapping attribute -> region -> factor, "
            f"e.g. {{'wage': {{'turkistan': 1.10}}}}."
        )
    new = regions.copy()
    region_index = new.index.get_level_values("region")
    year_index = new.index.get_level_values("year")
    years = set(year_index)
    for attr, by_region in changes.items():
        if attr not in new.columns:
            raise UnknownVariableError(
                f"Attribute {attr!r} is not in the panel (available: "
                f"{format_values(list(new.columns), limit=12)})."
            )
        if not isinstance(by_region, Mapping) or not by_region:
            raise InvalidOptionError(
                f"changes[{attr!r}] must be a non-empty mapping region -> factor, got "
                f"{by_region!r}."
            )
        for region, factor in by_region.items():
            mask = region_index == region
            if not mask.any():
                raise MissingRegionError(
                    f"Region {region!r} is not in the panel; regions: "
                    f"{format_values(sorted(set(region_index)))}."
                )
            by_year = factor if isinstance(factor, Mapping) else {None: factor}
            for year, f in by_year.items():
                value = counterfactual_factor(f, f"changes[{attr!r}][{region!r}]")
                sel = mask
                if year is not None:
                    if year not in years:
                        raise InvalidOptionError(
                            f"changes[{attr!r}][{region!r}] names year {year!r}, which is "
                            f"not in the panel ({format_values(sorted(years))})."
                        )
                    sel = mask & (year_index == int(year))
                new.loc[sel, attr] = new.loc[sel, attr] * value
    return data._replace(regions=new)
