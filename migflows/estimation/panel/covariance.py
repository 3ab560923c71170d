"""The panel family's covariances: registry kinds translated to linearmodels' ``fit`` options.

The kinds, their names and aliases are those of the one covariance registry
(:mod:`migflows.estimation.core.covariance_registry`); this module only says how the panel
family computes each of them — through linearmodels, so every panel covariance is exactly
the one linearmodels documents:

==================  ============================================================
registry kind       linearmodels ``fit(...)``
==================  ============================================================
``iid``             ``cov_type="unadjusted"``
``hetero``          ``cov_type="robust"`` (``HC0``: also ``debiased=False``)
``CRV1``            ``cov_type="clustered"``, ``cluster_entity`` / ``cluster_time``
                    flags, or a ``clusters`` frame for other columns
``driscoll_kraay``  ``cov_type="kernel"``, ``kernel="bartlett"``, ``bandwidth``
==================  ============================================================

plm's Stata-like small-sample factor, ``vcovHC(type = "sss")``, is a scaling hook on top of
linearmodels' covariance without its own factor (``debiased=False``): requested by the
aliases ``"arellano_sss"`` / ``"vcovHC_sss"`` (clustered, by entity unless a variable is
given: ``{"arellano_sss": "time"}``), ``"white1_sss"`` and ``{"vcovSCC_sss": L}``, it
multiplies the covariance by :func:`plm_sss_factor`, ``G / (G - 1) * (n - 1) / (n - K)``
with ``G`` the clusters (the observations for ``white1``, the periods for Driscoll-Kraay),
``n`` the observations the model is fitted to (the differences for ``estimator="fd"``) and
``K`` the estimated coefficients (absorbed effects not counted), as plm 2.6 does.

Examples
--------
>>> import pandas as pd
>>> import migflows.estimation.panel.api as P
>>> df = pd.DataFrame({"id": [1, 1, 1, 2, 2, 2, 3, 3, 3], "t": [1, 2, 3] * 3,
...                    "y": [1.0, 2, 2.5, 0.5, 1.5, 3, 2, 2, 4],
...                    "x": [0.1, 0.4, 0.2, 0.3, 0.9, 0.8, 0.5, 0.1, 0.7]})
>>> res = P.panel("y ~ x | entity", df, entity="id", time="t", vcov={"cluster": "id"})
>>> res.covariance.kind, res.covariance.clusters, res.covariance.n_clusters
('CRV1', ('entity',), (3,))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from migflows.errors import InvalidOptionError, MissingColumnError, format_values
from migflows.estimation.core.covariance import (
    CovarianceSpec,
    covariance_method,
    implement_covariance,
)
from migflows.estimation.core.covariance_registry import CLUSTER_SYNONYMS
from migflows.estimation.panel.design import ENTITY_ALIASES, TIME_ALIASES, PanelDesign

__all__ = ["FAMILY", "SSS", "LinearmodelsCovariance", "linearmodels_covariance", "plm_sss_factor"]

#: The ``small_sample`` option of plm's Stata-like factor (``vcovHC(type = "sss")``).
SSS = "sss"

FAMILY = "panel"


@dataclass(frozen=True)
class LinearmodelsCovariance:
    """A registry covariance as linearmodels computes it.

    Attributes
    ----------
    spec : CovarianceSpec
        As reported: cluster variables by role (``entity``, ``time``) or column name.
    fit_kwargs : dict
        Keyword arguments of linearmodels' ``fit`` (``cov_type`` and its options; may set
        ``debiased``).
    n_clusters : tuple of int
        Clusters per variable (and their intersection for two-way clustering).
    """

    spec: CovarianceSpec
    fit_kwargs: dict[str, Any] = field(default_factory=dict)
    n_clusters: tuple[int, ...] = ()


def linearmodels_covariance(spec: CovarianceSpec, design: PanelDesign) -> LinearmodelsCovariance:
    """Translate a validated covariance request into linearmodels options on ``design``.

    Parameters
    ----------
    spec : CovarianceSpec
        From :func:`~migflows.estimation.core.covariance.parse_covariance` (family
        ``"panel"``).
    design : PanelDesign
        The estimation sample (for cluster variables).

    Returns
    -------
    LinearmodelsCovariance

    Raises
    ------
    MissingColumnError
        A cluster variable is neither ``entity``, ``time`` nor a column of the data.
    """
    # the registry's function for this kind and family (no if/elif on names)
    result: LinearmodelsCovariance = covariance_method(spec.kind, FAMILY)(spec, design)
    return result


def plm_sss_factor(spec: CovarianceSpec, *, nobs: int, k: int, groups: int) -> float:
    """The factor of plm's ``vcovHC(type = "sss")``, ``G / (G - 1) * (n - 1) / (n - K)``.

    Parameters
    ----------
    spec : CovarianceSpec
        The resolved request (its kind says what ``G`` is).
    nobs : int
        Observations the model is fitted to (differences for first differences).
    k : int
        Estimated coefficients (absorbed effects not counted).
    groups : int
        Clusters (``CRV1``) or periods (Driscoll-Kraay); ignored for ``hetero``, where
        ``G = n`` and the factor is ``n / (n - K)``.

    Returns
    -------
    float

    Examples
    --------
    >>> spec = CovarianceSpec("CRV1", ("entity",), (("small_sample", "sss"),))
    >>> round(plm_sss_factor(spec, nobs=200, k=2, groups=10), 6)  # Grunfeld, 10 firms
    1.116723
    """
    g = nobs if spec.kind == "hetero" else groups
    if g < 2 or nobs <= k:
        raise InvalidOptionError(
            f"the 'sss' small-sample factor needs at least 2 clusters and more observations "
            f"than coefficients (here {g} clusters, n = {nobs}, K = {k})."
        )
    return g / (g - 1) * (nobs - 1) / (nobs - k)


def _debiased(spec: CovarianceSpec) -> dict[str, Any]:
    # plm's "sss" scales linearmodels' covariance without its own factor (see plm_sss_factor)
    small = spec.option("small_sample")
    return {"debiased": False} if small is False or small == SSS else {}


def _iid(spec: CovarianceSpec, design: PanelDesign) -> LinearmodelsCovariance:
    return LinearmodelsCovariance(spec, {"cov_type": "unadjusted", **_debiased(spec)})


def _hetero(spec: CovarianceSpec, design: PanelDesign) -> LinearmodelsCovariance:
    return LinearmodelsCovariance(spec, {"cov_type": "robust", **_debiased(spec)})


def _driscoll_kraay(spec: CovarianceSpec, design: PanelDesign) -> LinearmodelsCovariance:
    config: dict[str, Any] = {"cov_type": "kernel", "kernel": "bartlett", **_debiased(spec)}
    bandwidth = spec.option("bandwidth")
    if bandwidth is not None:
        config["bandwidth"] = float(bandwidth)
    return LinearmodelsCovariance(spec, config)


def _clustered(spec: CovarianceSpec, design: PanelDesign) -> LinearmodelsCovariance:
    flags: dict[str, Any] = {}
    columns: dict[str, pd.Series] = {}
    roles: list[str] = []
    index = design.frame.index
    codes: list[Any] = []
    for name in spec.clusters:
        column = CLUSTER_SYNONYMS.get(name, name)
        if name in (*ENTITY_ALIASES, design.entity):
            flags["cluster_entity"] = True
            roles.append("entity")
            codes.append(pd.factorize(index.get_level_values(0))[0])
        elif name in (*TIME_ALIASES, design.time):
            flags["cluster_time"] = True
            roles.append("time")
            codes.append(pd.factorize(index.get_level_values(1))[0])
        elif name in design.frame.columns or column in design.frame.columns:
            column = name if name in design.frame.columns else column
            code = pd.factorize(design.frame[column])[0]
            columns[name] = pd.Series(code, index=index, name=name)
            roles.append(name)
            codes.append(code)
        else:
            raise MissingColumnError(
                f"cannot cluster by {name!r}: use 'entity', 'time' or a column of the data "
                f"({format_values(map(str, design.frame.columns), limit=12)})."
            )
    if columns:  # linearmodels takes either flags or a cluster frame: write the flags as codes
        for flag, level in (("cluster_entity", 0), ("cluster_time", 1)):
            if flags.pop(flag, False):
                lv = index.get_level_values(level)
                columns[flag] = pd.Series(pd.factorize(lv)[0], index=index)
        flags["clusters"] = pd.DataFrame(columns)
    n_clusters = [int(pd.Series(c).nunique()) for c in codes]
    if len(codes) == 2 and spec.option("small_sample") == SSS:
        raise InvalidOptionError(
            "the 'sss' factor (plm's vcovHC(type = 'sss')) is defined for one cluster "
            f"variable; got {format_values(spec.clusters)}. Use {{'CRV1': "
            f"'{'+'.join(spec.clusters)}'}} for two-way clustering."
        )
    if len(codes) == 2:
        pairs = pd.DataFrame({"a": codes[0], "b": codes[1]})
        n_clusters.append(len(pairs.drop_duplicates()))
    resolved = CovarianceSpec(spec.kind, tuple(roles), spec.options)
    return LinearmodelsCovariance(
        resolved, {"cov_type": "clustered", **flags, **_debiased(spec)}, tuple(n_clusters)
    )


implement_covariance("iid", FAMILY, _iid)
implement_covariance("hetero", FAMILY, _hetero)
implement_covariance("CRV1", FAMILY, _clustered)
implement_covariance("driscoll_kraay", FAMILY, _driscoll_kraay)
