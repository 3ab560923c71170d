"""What every estimator family shares: results protocol, covariance registry, demeaner, IRLS,
separation and singleton checks, identification checks.

Modules here import nothing from the families (``gravity``, ``panel``, ``unit_root``, ``bayes``,
``forecast``); the families import from here. A name two families share is public here.
"""
