"""The PPML sums engine (out of core, Parquet via DuckDB, Dask) against pyfixest and the
in-memory engine.

Reference: tests/fixtures/ppml_scale/reference.csv, made by make_scale_reference.py there (pyfixest
0.60 ``fepois`` at iwls_tol = fixef_tol = 1e-12) on the panel that script builds.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.errors import (
    FixedEffectError,
    InvalidOptionError,
    LeanResultsError,
    MissingColumnError,
    ModelSpecificationError,
    SeparationWarning,
)
from migflows.estimation.core.covariance import SmallSampleCorrection
from migflows.estimation.gravity import sources

FIXTURES = Path(__file__).parent / "fixtures" / "ppml_scale"
_spec = importlib.util.spec_from_file_location(
    "make_scale_reference", FIXTURES / "make_scale_reference.py"
)
assert _spec is not None and _spec.loader is not None
_maker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_maker)
panel = _maker.panel  # the panel the reference was computed on

REF = pd.read_csv(FIXTURES / "reference.csv")
VCOVS = {
    "iid": "iid",
    "hetero": "hetero",
    "CRV1_orig": {"CRV1": "orig"},
    "CRV1_orig_dest": {"CRV1": "orig+dest"},
}
FORMULAS = {
    "oy_dy": "flow ~ x1 + x2 | orig^year + dest^year",
    "o_d_y": "flow ~ x1 + x2 + pop_o | orig + dest + year",
}
TIGHT = {"tol": 1e-12, "fixef_tol": 1e-12}


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return panel()


def _fit(formula, data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        return migflows.gravity(formula, data, **kwargs)


PYFIXEST_SSC = SmallSampleCorrection(redundant="fixest")


@pytest.mark.parametrize("model", list(FORMULAS))
@pytest.mark.parametrize("vname", list(VCOVS))
def test_chunked_matches_pyfixest(df, model, vname):
    # pyfixest counts one redundant level per fixed effect after the first (ours by default:
    # the exact rank, i.e. the connected components, which differs for orig^year + dest^year)
    res = _fit(FORMULAS[model], df, vcov=VCOVS[vname], backend="chunked", chunk_rows=2_000,
               ssc=PYFIXEST_SSC, **TIGHT)  # fmt: skip
    ref = REF[(REF.model == model) & (REF.vcov == vname)].set_index("term")
    assert res.nobs == int(ref["nobs"].iloc[0])
    assert np.allclose(res.params[ref.index], ref["coef"], rtol=1e-6, atol=1e-8)
    assert np.allclose(res.std_errors[ref.index], ref["se"], rtol=1e-4)
    assert res.lean and res.stats["backend"] == "chunked"


def test_chunked_matches_memory_engine_and_counts_drops(df):
    formula = FORMULAS["oy_dy"]
    # a cluster in which a fixed effect is nested (its levels are then not counted in K)
    vcov = {"CRV1": "year"}
    mem = _fit(formula, df, separation=("fe",), vcov=vcov)
    with pytest.warns(SeparationWarning, match=r"observations dropped: .*separated_fe"):
        res = migflows.gravity(formula, df, backend="chunked", chunk_rows=3_000, vcov=vcov)
    assert res.covariance.df_k == mem.covariance.df_k
    # same default tolerances, two demeaning criteria (residual vs coefficient changes)
    assert np.allclose(res.params, mem.params, rtol=1e-8, atol=1e-10)
    assert np.allclose(res.std_errors, mem.std_errors, rtol=1e-6)
    assert res.nobs == mem.nobs
    assert sum(res.stats["n_dropped"].values()) == sum(mem.stats["n_dropped"].values())
    assert res.stats["iterations"] == mem.stats["iterations"]
    assert res.stats["n_fe_levels"] == mem.stats["n_fe_levels"]
    assert res.stats["loglik"] == pytest.approx(mem.stats["loglik"], rel=1e-10)
    assert res.stats["corr_rsquared"] == pytest.approx(mem.stats["corr_rsquared"], rel=1e-8)
    with pytest.raises(LeanResultsError, match="lean=True"):
        _ = res.fitted
    assert "x1" in res.summary.table.index


def test_parquet_with_lazy_attribute_join(df, tmp_path):
    pytest.importorskip("duckdb", reason="duckdb (migflows[scale]) is needed for Parquet")
    flows = tmp_path / "flows"
    df.drop(columns="pop_o").to_parquet(flows, partition_cols=["year"])  # hive year=2000/ ...
    attrs = (
        df[["orig", "year", "pop_o"]]
        .drop_duplicates()
        .rename(columns={"orig": "region", "pop_o": "pop"})
    )
    attrs.to_parquet(tmp_path / "attributes.parquet")
    res = _fit(
        FORMULAS["o_d_y"],
        str(flows),
        backend="parquet",
        attributes=str(tmp_path / "attributes.parquet"),
        chunk_rows=2_500,
        vcov={"CRV1": "orig"},
        **TIGHT,
    )
    ref = REF[(REF.model == "o_d_y") & (REF.vcov == "CRV1_orig")].set_index("term")
    assert np.allclose(res.params[ref.index], ref["coef"], rtol=1e-6)
    assert np.allclose(res.std_errors[ref.index], ref["se"], rtol=1e-4)
    assert res.stats["backend"] == "parquet"


def test_parquet_missing_column(df, tmp_path):
    pytest.importorskip("duckdb", reason="duckdb (migflows[scale]) is needed for Parquet")
    df.to_parquet(tmp_path / "f.parquet")
    with pytest.raises(MissingColumnError, match=r"\['nope'\] are not in the Parquet data"):
        migflows.gravity("flow ~ nope | orig^year", str(tmp_path / "f.parquet"), backend="parquet")


def test_backend_errors(df, monkeypatch):
    with pytest.raises(InvalidOptionError, match=r"separation=\['bogus'\] is not allowed"):
        migflows.gravity(FORMULAS["oy_dy"], df, backend="chunked", separation=("fe", "bogus"))
    with pytest.raises(ModelSpecificationError, match=r"plain columns.*log\(x1\)"):
        migflows.gravity("flow ~ log(x1) | orig", df, backend="chunked")
    with pytest.raises(ModelSpecificationError, match="at least one fixed effect"):
        migflows.gravity("flow ~ x1", df, backend="chunked")
    with pytest.raises(InvalidOptionError, match=r"needs client=dask\.distributed\.Client"):
        migflows.gravity(FORMULAS["oy_dy"], df, backend="dask")
    with pytest.raises(InvalidOptionError, match="backend='bogus' is not allowed"):
        migflows.gravity(FORMULAS["oy_dy"], df, backend="bogus")
    with pytest.raises(InvalidOptionError, match="chunk_rows=0 must be a positive integer"):
        migflows.gravity(FORMULAS["oy_dy"], df, backend="chunked", chunk_rows=0)
    monkeypatch.setattr(sources, "available_memory", lambda: 10_000)
    with pytest.raises(FixedEffectError, match=r"orig\^year: 240 levels.*coarser fixed effects"):
        migflows.gravity(FORMULAS["oy_dy"], df, backend="chunked")


def test_progress_is_reported(df, capsys):
    _fit(FORMULAS["oy_dy"], df, backend="chunked", progress=True)
    out = capsys.readouterr().out
    assert "[migflows ppml chunked] iteration 1: deviance" in out
    assert "converged in" in out


def _big_panel(n_regions: int = 224, n_years: int = 20, seed: int = 3) -> pd.DataFrame:
    """About 1e6 rows: the size of the issue's Dask test."""
    rng = np.random.default_rng(seed)
    o, d, t = (
        a.ravel()
        for a in np.meshgrid(
            np.arange(n_regions), np.arange(n_regions), np.arange(n_years), indexing="ij"
        )
    )
    keep = o != d
    o, d, t = o[keep], d[keep], t[keep]
    x1 = rng.normal(size=o.size)
    eta = 0.3 * x1 + rng.normal(0, 0.5, (n_regions, n_years))[o, t] - 0.5
    eta += rng.normal(0, 0.5, (n_regions, n_years))[d, t]
    y = rng.poisson(np.exp(eta)).astype(float)
    return pd.DataFrame({"orig": o, "dest": d, "year": t, "flow": y, "x1": x1})


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="dask.distributed (migflows[scale]) is needed for the Dask backend",
)
def test_dask_local_cluster_matches_memory_engine():
    from distributed import Client, LocalCluster

    big = _big_panel()
    assert len(big) == 999_040
    formula = "flow ~ x1 | orig^year + dest^year"
    mem = _fit(formula, big, separation=("fe",), vcov={"CRV1": "year"}, **TIGHT)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        res = _fit(formula, big, backend="dask", client=client, vcov={"CRV1": "year"},
                   separation=("fe",), **TIGHT)  # fmt: skip
    assert res.stats["backend"] == "dask"
    assert res.nobs == mem.nobs
    assert np.allclose(res.params, mem.params, rtol=1e-8, atol=1e-12)
    assert np.allclose(res.std_errors, mem.std_errors, rtol=1e-8)


def test_chunked_weights_and_offset_match_memory_engine(df):
    data = df.assign(w=1.0 + (df["orig"] % 3), off=0.1 * df["pop_o"])
    formula = FORMULAS["oy_dy"]
    mem = _fit(formula, data, weights="w", offset="off", separation=("fe",), **TIGHT)
    res = _fit(
        formula, data, weights="w", offset="off", backend="chunked", chunk_rows=4_000, **TIGHT
    )
    assert np.allclose(res.params, mem.params, rtol=1e-8, atol=1e-12)
    assert np.allclose(res.std_errors, mem.std_errors, rtol=1e-8)
    assert res.stats["deviance"] == pytest.approx(mem.stats["deviance"], rel=1e-9)


def test_exact_fixed_effect_rank_from_chunks_matches_memory_engine(df):
    """orig^year + dest^year: one connected component per year, counted over chunks."""
    formula = FORMULAS["oy_dy"]
    mem = _fit(formula, df, separation=("fe",))
    res = migflows.gravity(formula, df, backend="chunked", chunk_rows=1_500)
    n_years = df["year"].nunique()
    levels = sum(res.stats["n_fe_levels"].values()) if isinstance(
        res.stats["n_fe_levels"], dict) else res.stats["n_fe_levels"]  # fmt: skip
    assert res.covariance.df_k == mem.covariance.df_k == len(res.params) + levels - n_years
    assert np.allclose(res.std_errors, mem.std_errors, rtol=1e-6)


# ------------------------------------------------------------------ the iterative rectifier
# every ppmlhdfe separation dataset in our code index (12 is absent; see
# tests/fixtures/ppml/separation/SOURCE.md): ground truth in the column "separated"
SEPARATION = [f"{i:02d}" for i in range(1, 19) if i != 12]
SEPARATION_DIR = Path(__file__).parent / "fixtures" / "ppml" / "separation"


# the projection solver (used above 20,000 parameters) on every case where it takes < 4 s; on
# 07 and 17 its alternating projections need many thousands of steps, each a demeaning from
# sums (17: right in 35 s; 07: not finished after 4 minutes)
PROJECTION_CASES = [n for n in SEPARATION if n not in ("07", "17")]


@pytest.mark.parametrize(
    ("name", "solver"),
    [(n, "direct") for n in SEPARATION] + [(n, "projection") for n in PROJECTION_CASES],
)
def test_backend_rectifier_drops_exactly_the_separated_rows(name, solver, monkeypatch):
    from migflows.estimation.gravity import sums_separation
    from migflows.estimation.gravity.sums import estimation_sample
    from migflows.estimation.gravity.sums_separation import kept_rows

    if solver == "projection":
        monkeypatch.setattr(sums_separation, "IR_DIRECT_MAX_PARAMS", 0)

    df = pd.read_csv(SEPARATION_DIR / f"{name}.csv")
    xs = [c for c in df.columns if c.startswith("x")]
    ids = [c for c in df.columns if c.startswith("id")]
    if not ids:  # the backends need a fixed effect: a constant one is the intercept
        df, ids = df.assign(one=0), ["one"]
    # several chunks, so the sums really are combined across chunks
    src = sources.FrameSource(df, y="y", x=xs, fe=ids, chunk_rows=max(3, len(df) // 3))
    # singletons kept, as in ppmlhdfe's validate_tagsep.do (and the in-memory test)
    state = estimation_sample(src, separation=("fe", "ir"), drop_singletons=False)
    kept = np.concatenate([kept_rows(chunk, state) for chunk in src.chunks()])
    np.testing.assert_array_equal(~kept, df["separated"].to_numpy().astype(bool))
    assert state["nobs"] == len(df) - int(df["separated"].sum())


def test_backend_default_separation_runs_the_rectifier_like_memory(df, capsys):
    # a zero-flow row whose regressor x3 is positive (x3 = 0 elsewhere): separated by x3 only
    # (its fixed-effect groups have positive flows), so only the rectifier drops it; x3 is
    # then collinear, so the fit uses x1 and x2 on the sample both engines found
    data = df.assign(x3=0.0)
    zero_rows = np.flatnonzero((data["flow"] == 0).to_numpy())
    data.loc[data.index[zero_rows[:3]], "x3"] = 1.0
    from migflows.estimation.gravity.sums import estimation_sample

    src = sources.FrameSource(data, y="flow", x=["x1", "x2", "x3"],
                              fe=["orig^year", "dest^year"], chunk_rows=2_500)  # fmt: skip
    state = estimation_sample(src, separation=("fe", "ir"))
    mem = _fit("flow ~ x1 + x2 + x3 | orig^year + dest^year", data)  # default ("fe", "ir")
    assert mem.stats["n_dropped"].get("separated_ir", 0) == 3
    assert state["nobs"] == mem.nobs
    res = _fit("flow ~ x1 + x2 | orig^year + dest^year", data, backend="chunked", progress=True)
    assert "iterative rectifier" not in capsys.readouterr().out  # x1, x2: nothing to separate
    ref = _fit("flow ~ x1 + x2 | orig^year + dest^year", data)
    assert res.nobs == ref.nobs
    assert np.allclose(res.params, ref.params, rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------------ the binary cache
def test_parquet_binary_cache_is_reused_and_matches_streaming(df, tmp_path, monkeypatch):
    pytest.importorskip("duckdb", reason="duckdb (migflows[scale]) is needed for Parquet")
    import tempfile

    flows = tmp_path / "flows"
    df.to_parquet(flows, partition_cols=["year"])
    formula, kw = FORMULAS["oy_dy"], {"backend": "parquet", "chunk_rows": 2_000, **TIGHT}
    streamed = _fit(formula, str(flows), cache=False, **kw)
    cache = tmp_path / "cache"
    first = _fit(formula, str(flows), cache=str(cache), **kw)
    (built,) = list(cache.iterdir())  # one model, one sub-directory
    stamp = (built / "meta.pkl").stat().st_mtime_ns
    second = _fit(formula, str(flows), cache=str(cache), vcov={"CRV1": "orig"}, **kw)
    assert (built / "meta.pkl").stat().st_mtime_ns == stamp  # reused, not rewritten
    chunk = np.load(built / "chunk_00000.codes.npy", mmap_mode="r")
    assert chunk.dtype == np.int32 and chunk.shape[1] == 2
    # the same chunks in the same order: the same sums, bit for bit
    assert np.array_equal(first.params, streamed.params)
    assert np.array_equal(first.params, second.params)
    ref = _fit(formula, df, separation=("fe", "ir"), **TIGHT)
    assert np.allclose(first.params, ref.params, rtol=1e-8, atol=1e-12)
    assert first.nobs == ref.nobs
    # the default: a temporary cache, removed after the fit
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    default = _fit(formula, str(flows), **kw)
    assert np.array_equal(default.params, first.params)
    assert list((tmp_path / "tmp").iterdir()) == []
    with pytest.raises(InvalidOptionError, match="cache=3 must be True"):
        _fit(formula, str(flows), cache=3, **kw)
