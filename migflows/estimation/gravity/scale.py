"""``migflows.gravity(..., backend=...)``: PPML on data that do not fit in memory.

:func:`fit_scaled` is what :func:`migflows.gravity` runs when the PPML option ``backend`` is
not ``"memory"``:

``"chunked"``
    a pandas DataFrame processed in chunks of ``chunk_rows`` rows (the sums engine on data in
    memory; used to check it against the in-memory engine);
``"parquet"``
    a Parquet dataset (``data`` is its path) streamed by DuckDB, with region-year attributes
    joined lazily (``attributes=`` path; value ``v`` becomes ``v_o`` and ``v_d``), read once
    into a compact binary cache (``cache=``: True for a temporary one, a directory to keep it,
    False to stream every pass; :mod:`migflows.estimation.gravity.cache`);
``"dask"``
    a Dask DataFrame, a pandas DataFrame or a Parquet path on ``client=`` (a
    ``dask.distributed.Client``).

All three run :func:`migflows.estimation.gravity.sums.fit_ppml_sums` and return lean
:class:`~migflows.estimation.gravity.results.GravityResults` (coefficients, covariance,
statistics; no n-sized arrays). The covariance (``"iid"``, ``"hetero"``, ``{"CRV1": ...}``
one- or two-way) is computed from sums with the small-sample conventions of
:mod:`migflows.estimation.core.covariance` (fixest's by default).

Examples
--------
>>> import numpy as np, pandas as pd, migflows
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"o": np.repeat(np.arange(20), 20), "d": np.tile(np.arange(20), 20)})
>>> df["x"] = rng.normal(size=400)
>>> df["y"] = rng.poisson(np.exp(0.5 * df["x"] + 0.1 * (df["o"] % 3))).astype(float)
>>> res = migflows.gravity("y ~ x | o + d", df, backend="chunked", chunk_rows=150)
>>> mem = migflows.gravity("y ~ x | o + d", df)
>>> bool(np.allclose(res.params, mem.params, rtol=1e-8)), res.lean
(True, True)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg

from migflows.errors import (
    EstimationError,
    InputFileError,
    InvalidOptionError,
    MigflowsWarning,
    ModelSpecificationError,
    SeparationWarning,
)
from migflows.estimation.core.covariance import (
    CovarianceEstimate,
    CovarianceSpec,
    SmallSampleCorrection,
)
from migflows.estimation.core.results import SandwichPieces
from migflows.estimation.gravity.cache import build_cache, cache_bytes
from migflows.estimation.gravity.dask_source import DaskSource
from migflows.estimation.gravity.registry import GravitySpec
from migflows.estimation.gravity.results import GravityFit, GravityResults
from migflows.estimation.gravity.sources import FrameSource, ParquetSource
from migflows.estimation.gravity.sums import SumsFit, fit_ppml_sums
from migflows.models.design import Design
from migflows.models.formula import Variable

__all__ = ["BACKENDS", "fit_scaled", "sums_covariance"]

BACKENDS = ("memory", "chunked", "parquet", "dask")
"""Values of the PPML option ``backend``."""

SCALE_OPTIONS = ("backend", "client", "chunk_rows", "attributes", "progress", "cache")
"""PPML options that only the backends read (the in-memory engine ignores them)."""


def _columns(spec: GravitySpec) -> tuple[str, list[str], list[tuple[str, ...]]]:
    f = spec.formula
    bad = [str(t) for t in f.terms if not isinstance(t, Variable)]
    if bad:
        raise ModelSpecificationError(
            f"backend={spec.options['backend']!r} takes plain columns as regressors; {bad} are "
            "transformations: add them as columns of the data first (e.g. log_dist)"
        )
    if not f.fixed_effects:
        raise ModelSpecificationError(
            f"backend={spec.options['backend']!r} needs at least one fixed effect after '|' "
            "(e.g. '| orig^year + dest^year')"
        )
    for name, value in (("weights", spec.weights), ("offset", spec.offset)):
        if value is not None and not isinstance(value, str):
            raise InvalidOptionError(f"{name}= must be a column name with backend=..., not values")
    return f.depvar, [t.name for t in f.terms if isinstance(t, Variable)], list(f.fixed_effects)


def _cluster_terms(vcov: CovarianceSpec) -> list[tuple[str, ...]]:
    terms = [tuple(str(c).split("^")) for c in vcov.clusters]
    if len(terms) == 2:  # two-way: the intersection as a third term
        terms.append(tuple(dict.fromkeys(terms[0] + terms[1])))
    return terms


def fit_scaled(spec: GravitySpec, data: Any) -> GravityResults:
    """Fit ``spec`` (PPML) on ``data`` with the backend named in ``spec.options``.

    Raises
    ------
    InvalidOptionError
        Unknown backend, a missing or wrong ``client``, data of the wrong kind.
    ModelSpecificationError
        Transformed regressors or no fixed effect.
    """
    opts = dict(spec.options)
    backend = opts["backend"]
    if backend not in BACKENDS[1:]:
        raise InvalidOptionError(f"backend={backend!r} is not allowed; use one of {BACKENDS}")
    y, x, fe = _columns(spec)
    vcov = spec.vcov
    cl = _cluster_terms(vcov)
    common: dict[str, Any] = {
        "y": y, "x": x, "fe": fe, "clusters": cl, "weights": spec.weights, "offset": spec.offset,
    }  # fmt: skip
    is_path = isinstance(data, str | Path)
    temporary: str | None = None
    if backend == "chunked":
        if not isinstance(data, pd.DataFrame):
            raise InvalidOptionError("backend='chunked' needs a pandas DataFrame")
        source: Any = FrameSource(data, chunk_rows=opts["chunk_rows"], **common)
    elif backend == "parquet":
        if not is_path:
            raise InvalidOptionError("backend='parquet' needs the Parquet path as data")
        import duckdb

        try:
            source = ParquetSource(
                data, chunk_rows=opts["chunk_rows"], attributes=opts["attributes"], **common
            )
        except (FileNotFoundError, duckdb.Error) as err:  # a wrong path or not Parquet
            first = str(err).splitlines()[0]
            raise InputFileError(
                f"backend='parquet' cannot read {str(data)!r}: {first}. Give a Parquet file, a "
                "folder of Parquet files or a glob such as 'flows/*.parquet'."
            ) from None
        source, temporary = _cached(source, opts["cache"], opts["progress"])
    else:
        if opts["client"] is None:
            raise InvalidOptionError(
                "backend='dask' needs client=dask.distributed.Client(...) (a LocalCluster or "
                "the scheduler address of a cluster, see docs/scale.md)"
            )
        source = DaskSource(data, opts["client"], **common)
    try:
        fit = fit_ppml_sums(
            source,
            tol=opts["tol"],
            maxiter=opts["maxiter"],
            fixef_tol=opts["fixef_tol"],
            fixef_maxiter=opts["fixef_maxiter"],
            separation=opts["separation"],
            drop_singletons=opts["drop_singletons"],
            progress=opts["progress"],
        )
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    if fit.n_dropped:
        warnings.warn(
            f"{fit.n_input - fit.nobs} of {fit.n_input} observations dropped: "
            + ", ".join(f"{v} {k}" for k, v in fit.n_dropped.items())
            + " (counts in .stats['n_dropped'])",
            SeparationWarning,
            stacklevel=3,
        )
    return results_from_sums(fit, spec, cl)


def _cached(source: ParquetSource, cache: Any, progress: bool) -> tuple[Any, str | None]:
    """The Parquet source, or its compact binary cache (and the temporary directory to remove).

    ``cache=True`` writes the cache in a temporary directory (removed after the fit) when the
    disk has room for it, else streams from Parquet with a warning; a path keeps the cache
    there for later fits; ``False`` streams every pass from Parquet.
    """
    if cache is False or cache is None:
        return source, None
    threads = min(2, os.cpu_count() or 1)
    if cache is True:
        need = cache_bytes(source.nrows, source.coder)
        free = shutil.disk_usage(tempfile.gettempdir()).free
        if need > 0.9 * free:
            warnings.warn(
                f"the PPML cache needs {need / 1e9:.1f} GB but {tempfile.gettempdir()} has "
                f"{free / 1e9:.1f} GB free: every pass reads the Parquet data instead (slower)."
                " Pass cache='/path/with/room' to put the cache elsewhere",
                MigflowsWarning,
                stacklevel=4,
            )
            return source, None
        temporary = tempfile.mkdtemp(prefix="migflows-ppml-cache-")
        return build_cache(source, temporary, signature=source.signature, threads=threads,
                           progress=progress), temporary  # fmt: skip
    if not isinstance(cache, str | Path):
        raise InvalidOptionError(
            f"cache={cache!r} must be True (a temporary cache), False (read Parquet at every "
            "pass) or a directory path"
        )
    return build_cache(source, cache, signature=source.signature, threads=threads,
                       progress=progress), None  # fmt: skip


def sums_covariance(
    fit: SumsFit,
    vcov: CovarianceSpec,
    ssc: SmallSampleCorrection | None,
    cluster_terms: list[tuple[str, ...]],
) -> CovarianceEstimate:
    """The covariance of :mod:`~migflows.estimation.core.covariance` from the engine's sums.

    Same formulas and small-sample factors as ``iid_sandwich``, ``hetero_sandwich`` and
    ``crv1_sandwich`` (those need n-sized scores; here the meats are summed per chunk).
    """
    ssc = ssc or SmallSampleCorrection()
    if vcov.option("small_sample") is False:
        ssc = replace(ssc, k_adj=False)
    k, n = len(fit.coef), fit.nobs
    try:
        bread = linalg.inv(fit.hessian)
    except (linalg.LinAlgError, ValueError) as err:
        raise EstimationError(
            "the Hessian is singular; regressors are collinear with each other or with the "
            f"fixed effects {list(fit.fe_names)}"
        ) from err
    names = ["^".join(t) for t in cluster_terms]

    def df_k(nested_in: list[str]) -> int:
        if ssc.k_fixef == "none":
            return k
        levels = dict(fit.fe_levels)
        g = len(levels)
        if g < 2:
            redundant = 0
        elif ssc.redundant == "fixest":
            redundant = g - 1
        else:
            # "exact" and "pairwise": the components of the first two fixed effects, plus one
            # per further effect (exact for two fixed effects; for three or more the in-memory
            # engine's Gram-matrix rank can be smaller on small data)
            redundant = fit.fe_components + (g - 2)
        total = sum(levels.values()) - redundant
        if ssc.k_fixef == "nonnested" and nested_in:
            for fe_name, count in levels.items():
                if any(fit.nested.get((fe_name, c), False) for c in nested_in):
                    total = total - count + 1
        return k + total

    if n <= df_k([]):
        raise EstimationError(
            f"{n} observations for {df_k([])} parameters (slopes and fixed effects): nothing is "
            "left to estimate the covariance; use more data or fewer fixed effects"
        )
    if vcov.kind in ("iid", "hetero"):
        K = df_k([])
        if vcov.kind == "iid":
            factor = (n - 1) / (n - K) if ssc.k_adj else 1.0
            cov = factor * bread
        else:
            factor = n / (n - K) if ssc.k_adj else 1.0
            cov = factor * (bread @ fit.meat @ bread)
        return CovarianceEstimate(
            (cov + cov.T) / 2, vcov.kind, (), (), K, n - K, (factor,), ssc, vcov.options
        )
    if vcov.kind != "CRV1":
        raise InvalidOptionError(
            f"vcov kind {vcov.kind!r} is not available on the out-of-core engine; use 'iid', "
            "'hetero' or {'CRV1': ...}"
        )
    signs = (1.0, 1.0, -1.0) if len(names) == 3 else (1.0,)
    n_clusters = tuple(fit.n_clusters[c] for c in names)
    if min(n_clusters[:2]) < 2:
        raise EstimationError(
            f"clustering by {list(vcov.clusters)} needs at least two clusters; found "
            f"{min(n_clusters[:2])}"
        )
    K = df_k(names)
    k_factor = (n - 1) / (n - K) if ssc.k_adj else 1.0
    g_used = [min(n_clusters)] * len(names) if ssc.G_df == "min" else list(n_clusters)
    cov = np.zeros((k, k))
    factors = []
    for name, sign, g in zip(names, signs, g_used, strict=True):
        factor = k_factor * (g / (g - 1) if ssc.G_adj else 1.0)
        factors.append(factor)
        cov += sign * factor * (bread @ fit.cluster_meats[name] @ bread)
    return CovarianceEstimate(
        (cov + cov.T) / 2, vcov.kind, vcov.clusters, n_clusters, K, min(n_clusters[:2]) - 1,
        tuple(factors), ssc, vcov.options,
    )  # fmt: skip


def results_from_sums(
    fit: SumsFit, spec: GravitySpec, cluster_terms: list[tuple[str, ...]]
) -> GravityResults:
    """Lean :class:`GravityResults` from a :class:`SumsFit`."""
    cov = sums_covariance(fit, spec.vcov, spec.ssc, cluster_terms)
    names = list(fit.names)
    empty = pd.DataFrame()
    design = Design(
        formula=spec.formula,
        y=pd.Series([], dtype=float, name=spec.formula.depvar),
        X=pd.DataFrame({c: pd.Series([], dtype=float) for c in names}),
        fe=pd.DataFrame({c: pd.Series([], dtype=np.int64) for c in fit.fe_names}),
        keys=empty,
        clusters=empty,
        weights=None,
        offset=None,
        rows=np.zeros(0, dtype=np.int64),
        dropped=pd.DataFrame({"reason": pd.Series([], dtype=str)}),
    )
    stats = {
        "loglik": fit.loglik,
        "loglik_null": fit.loglik_null,
        "deviance": fit.deviance,
        "pseudo_rsquared": 1.0 - fit.loglik / fit.loglik_null if fit.loglik_null else np.nan,
        "corr_rsquared": fit.corr_rsquared,
        "iterations": fit.iterations,
        "converged": fit.converged,
        "n_fe_levels": dict(fit.fe_levels),
        "n_dropped": dict(fit.n_dropped),
        "backend": fit.backend,
        "passes": fit.passes,
        "seconds": fit.seconds,
    }
    gfit = GravityFit(
        "ppml", design, np.zeros(0), np.zeros(0), np.zeros(0), design.dropped, (), stats,
        None, spec.periods, lean=True,
    )  # fmt: skip
    pieces = SandwichPieces(hessian=fit.hessian, scores=np.zeros((0, len(names))), nobs=fit.nobs)
    params = pd.Series(fit.coef, index=pd.Index(names, name="parameter"))
    return GravityResults(
        params, cov, fit.nobs, pieces=pieces, fit=gfit, use_t=False, model="PPML",
        depvar=spec.formula.depvar,
    )  # fmt: skip
