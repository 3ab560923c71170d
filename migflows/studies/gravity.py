"""Named gravity specifications (presets), exported as ``migflows.presets``.

Each preset is a :class:`GravitySpec` — a formula, an estimator and a covariance — with a
sentence on what it identifies. The three fixed-effect structures answer different
questions, and the identification guard of :func:`migflows.gravity` enforces the
distinction:

``gravity_structural``
    ``flow ~ log_dist | orig^year + dest^year``: origin-year and destination-year fixed effects
    control for multilateral resistance (all region-year push and pull factors), so only
    pair-varying covariates such as distance are identified.
``gravity_regional``
    ``flow ~ log_wage_ratio + log_grp_pc_ratio + unemp_diff + log_dist | orig + dest + year``:
    region-year drivers are identified from changes within regions over time.
``gravity_pair``
    ``flow ~ log_wage_ratio + unemp_diff | orig^dest + year``: pair fixed effects absorb every
    time-invariant pair characteristic (distance, language, networks); the drivers are
    identified from changes within pairs.
:func:`aldashev_dietz`
    Push and pull factors of origin and destination separately (wages, unemployment,
    populations) with distance and year effects, in the spirit of Aldashev & Dietz (2014,
    "Economic and spatial determinants of interregional migration in Kazakhstan",
    *Economic Systems* 38(3)): their data (2008–2010 flows) are not public, so the preset
    follows the structure (origin and destination characteristics entered separately, a
    count-data estimator, distance deterrence) and is fitted on the embedded data; the
    variable set and estimator (PPML, pair-clustered errors) are our choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from migflows.data.kazakhstan import load_kazakhstan
from migflows.data.panel import FlowPanel
from migflows.estimation.gravity.api import gravity
from migflows.estimation.gravity.results import GravityResults

DEFAULT_YEARS = (2020, 2021, 2023)
"""Embedded years with wages, unemployment and population for every region."""


@dataclass(frozen=True)
class GravitySpec:
    """A named gravity specification.

    Examples
    --------
    >>> spec = GRAVITY_PRESETS["gravity_structural"]
    >>> spec.formula
    'flow ~ log_dist | orig^year + dest^year'
    >>> res = spec.fit()
    >>> list(res.params.index)
    ['log_dist']
    """

    name: str
    formula: str
    description: str
    estimator: str = "ppml"
    vcov: Mapping[str, str] | str = field(default_factory=lambda: {"CRV1": "pair"})

    def fit(self, data: FlowPanel | None = None, **options: Any) -> GravityResults:
        """Fit on ``data`` (default: the embedded Kazakhstan data, years 2020, 2021, 2023)."""
        panel = data if data is not None else load_kazakhstan(years=list(DEFAULT_YEARS))
        opts: dict[str, Any] = {"vcov": self.vcov, **options}
        return gravity(self.formula, panel, self.estimator, **opts)  # type: ignore[arg-type]


GRAVITY_PRESETS: dict[str, GravitySpec] = {
    "gravity_structural": GravitySpec(
        "gravity_structural",
        "flow ~ log_dist | orig^year + dest^year",
        "Multilateral resistance by origin-year and destination-year effects; identifies "
        "pair-varying covariates only.",
    ),
    "gravity_regional": GravitySpec(
        "gravity_regional",
        "flow ~ log_wage_ratio + log_grp_pc_ratio + unemp_diff + log_dist | orig + dest + year",
        "Region-year drivers identified from within-region changes over time.",
    ),
    "gravity_pair": GravitySpec(
        "gravity_pair",
        "flow ~ log_wage_ratio + unemp_diff | orig^dest + year",
        "Pair fixed effects absorb time-invariant pair traits; drivers from within-pair changes.",
    ),
    "aldashev_dietz": GravitySpec(
        "aldashev_dietz",
        "flow ~ log_wage_o + log_wage_d + unemp_o + unemp_d + log_pop_o + log_pop_d + log_dist"
        " | year",
        "Origin push and destination pull factors entered separately, populations, distance "
        "and year effects (after Aldashev & Dietz 2014).",
    ),
}


def gravity_structural(data: FlowPanel | None = None, **options: Any) -> GravityResults:
    """Fit ``flow ~ log_dist | orig^year + dest^year`` (PPML, pair-clustered).

    Examples
    --------
    >>> res = gravity_structural()
    >>> bool(res.params["log_dist"] < 0)
    True
    """
    return GRAVITY_PRESETS["gravity_structural"].fit(data, **options)


def gravity_regional(data: FlowPanel | None = None, **options: Any) -> GravityResults:
    """Fit the region-driver specification with origin, destination and year effects.

    Examples
    --------
    >>> res = gravity_regional()
    >>> sorted(res.params.index)
    ['log_dist', 'log_grp_pc_ratio', 'log_wage_ratio', 'unemp_diff']
    """
    return GRAVITY_PRESETS["gravity_regional"].fit(data, **options)


def gravity_pair(data: FlowPanel | None = None, **options: Any) -> GravityResults:
    """Fit the within-pair specification ``| orig^dest + year``.

    Examples
    --------
    >>> res = gravity_pair()
    >>> res.nobs
    1140
    """
    return GRAVITY_PRESETS["gravity_pair"].fit(data, **options)


def aldashev_dietz(data: FlowPanel | None = None, **options: Any) -> GravityResults:
    """Fit the Aldashev–Dietz-style push-pull gravity model (see the module docstring).

    Parameters
    ----------
    data : FlowPanel, optional
        Default: the embedded Kazakhstan data, 2020, 2021 and 2023.
    **options
        Passed to :func:`migflows.gravity` (``estimator="negbin"``, ``vcov=`` …).

    Returns
    -------
    GravityResults

    Examples
    --------
    >>> res = aldashev_dietz()
    >>> bool(res.params["log_wage_d"] > 0 and res.params["log_dist"] < 0)
    True
    """
    return GRAVITY_PRESETS["aldashev_dietz"].fit(data, **options)
