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
"""Embedded years with wages, unemployment and population for every region.

A preset fitted on the default data uses those of these years in which every attribute it
:attr:`~GravitySpec.needs` is complete (GRP per capita ends in 2022, so
``gravity_regional`` is fitted on 2020 and 2021), rather than dropping rows with missing
covariates.
"""


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
    >>> GRAVITY_PRESETS["gravity_regional"].needs
    ('wage', 'grp_pc', 'unemployment')
    """

    name: str
    formula: str
    description: str
    estimator: str = "ppml"
    vcov: Mapping[str, str] | str = field(default_factory=lambda: {"CRV1": "pair"})
    needs: tuple[str, ...] = ()
    """Region attributes the formula's covariates are built from."""

    def applies_to(self, panel: FlowPanel) -> bool:
        """Whether ``panel`` has every attribute the preset needs (and distances if used)."""
        has_dist = "log_dist" not in self.formula or panel.distances is not None
        return has_dist and all(a in panel.attributes for a in self.needs)

    def years(self, panel: FlowPanel) -> list[int]:
        """Flow years of ``panel`` in which every attribute the preset needs is complete."""
        return panel.complete_years(*self.needs)

    def default_data(self) -> FlowPanel:
        """The embedded data on the :data:`DEFAULT_YEARS` where the preset's inputs are complete.

        Examples
        --------
        >>> GRAVITY_PRESETS["gravity_regional"].default_data().years
        [2020, 2021]
        """
        panel = load_kazakhstan(years=list(DEFAULT_YEARS))
        years = self.years(panel)
        return panel if years == panel.years else panel.select(years=years)

    def fit(self, data: FlowPanel | None = None, **options: Any) -> GravityResults:
        """Fit on ``data`` (default: :meth:`default_data`, the embedded Kazakhstan data).

        ``options`` go to :func:`migflows.gravity` (``vcov=``, ``estimator=`` …).
        """
        panel = data if data is not None else self.default_data()
        opts: dict[str, Any] = {"vcov": self.vcov, **options}
        estimator = opts.pop("estimator", self.estimator)
        return gravity(self.formula, panel, estimator, **opts)


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
        needs=("wage", "grp_pc", "unemployment"),
    ),
    "gravity_pair": GravitySpec(
        "gravity_pair",
        "flow ~ log_wage_ratio + unemp_diff | orig^dest + year",
        "Pair fixed effects absorb time-invariant pair traits; drivers from within-pair changes.",
        needs=("wage", "unemployment"),
    ),
    "aldashev_dietz": GravitySpec(
        "aldashev_dietz",
        "flow ~ log_wage_o + log_wage_d + unemp_o + unemp_d + log_pop_o + log_pop_d + log_dist"
        " | year",
        "Origin push and destination pull factors entered separately, populations, distance "
        "and year effects (after Aldashev & Dietz 2014).",
        needs=("wage", "unemployment", "population"),
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
        Default: the embedded Kazakhstan data, 2020, 2021 and 2023 (:data:`DEFAULT_YEARS`).
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
