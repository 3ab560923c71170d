"""What every estimator family shares.

The results protocol, the covariance registry, the demeaner, IRLS, the separation and
singleton checks, and the identification checks.

Modules here import nothing from the families (``gravity``, ``panel``, ``unit_root``, ``bayes``,
``forecast``); the families import from here. A name two families share is public here.
"""
