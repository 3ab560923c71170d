"""Named model specifications on the embedded data or your own panel.

Gravity presets (:mod:`migflows.models.gravity_presets`): :func:`gravity_structural`,
:func:`gravity_regional`, :func:`gravity_pair`, :func:`aldashev_dietz`, and the
:data:`GRAVITY_PRESETS` table of :class:`GravitySpec`.

Examples
--------
>>> import migflows
>>> res = migflows.presets.gravity_structural()
>>> res.estimator
'ppml'
"""

from migflows.models.gravity_presets import (
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
    "gravity_pair",
    "gravity_regional",
    "gravity_structural",
]
