"""Bayesian hierarchical gravity model (PyMC): model, sampling, results (ArviZ DataTree)."""

from migflows.estimation.bayes.api import bayes_gravity

__all__ = ["bayes_gravity"]
