"""Named studies and presets: they call estimators and return results, defined once.

Sits between :mod:`migflows.estimation` and :mod:`migflows.reports`: the report's sections read
the results these functions return and never fit a model themselves.

:mod:`migflows.studies.gravity`
    The gravity presets (:data:`~migflows.studies.gravity.GRAVITY_PRESETS`).
:mod:`migflows.studies.an_becker_cheng`, :mod:`migflows.studies.abc_models`
    The An–Becker–Cheng preset and the engine behind it.
:mod:`migflows.studies.report_models`
    Every model run the HTML report shows, one function per study, and the
    :class:`~migflows.studies.report_models.ReportModels` bundle handed to the report.
"""
