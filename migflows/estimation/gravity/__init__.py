"""Gravity models of migration flows: PPML with fixed effects, log-OLS, NB2/GPML, SIM forms.

:func:`gravity` builds a frozen specification from a fixest-style formula and dispatches
through the estimator registry (:mod:`migflows.estimation.gravity.registry`).
"""

from migflows.estimation.gravity.api import gravity
from migflows.estimation.gravity.control_function import control_function
from migflows.estimation.gravity.results import GravityResults
from migflows.estimation.gravity.sim import SIMResults, sim

__all__ = ["GravityResults", "SIMResults", "control_function", "gravity", "sim"]
