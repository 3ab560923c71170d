"""Named model specifications on the embedded data or your own panel.

Gravity presets (:mod:`migflows.studies.gravity`): :func:`gravity_structural`,
:func:`gravity_regional`, :func:`gravity_pair`, :func:`aldashev_dietz`, and the
:data:`GRAVITY_PRESETS` table of :class:`GravitySpec`. Panel preset
(:mod:`migflows.studies.an_becker_cheng`): :func:`an_becker_cheng`, rate regressions with period
slopes and stationarity pre-tests in the spirit of An, Becker & Cheng (2016); by default
on the regional panel 2000-2014 (boom 2000-2007 vs crisis 2009-2014, Wald tests of the period
differences, the paper's findings next to ours).

The HTML report's gravity table shows these presets (:mod:`migflows.studies.report_models`):
its "PPML regional" column is :func:`gravity_regional`, fitted on the same years.

Examples
--------
>>> import migflows
>>> res = migflows.presets.gravity_structural()
>>> res.estimator
'ppml'
"""

from migflows.studies.an_becker_cheng import an_becker_cheng
from migflows.studies.gravity import (
    GRAVITY_PRESETS,
    GravitySpec,
    aldashev_dietz,
    gravity_pair,
    gravity_regional,
    gravity_structural,
)

__all__ = [
    "GRAVITY_PRESETS",
    "GravitySpec",
    "aldashev_dietz",
    "an_becker_cheng",
    "gravity_pair",
    "gravity_regional",
    "gravity_structural",
]
