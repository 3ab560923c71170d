"""Named studies and presets: they call estimators and return results, defined once.

Sits between :mod:`migflows.estimation` and :mod:`migflows.reports`: the report's sections read
the results these functions return and never fit a model themselves.
"""
