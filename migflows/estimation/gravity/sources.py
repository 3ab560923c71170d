"""Chunk sources for the PPML sums engine: the same data, in memory, in Parquet, or on Dask.

The sums engine (:mod:`migflows.estimation.gravity.sums`) never holds the sample; it asks a
source to run a function over every chunk and combine the results (a map-reduce). A source
knows the columns (outcome, regressors, fixed effects, cluster variables) and a
:class:`Coder` that turns one chunk of raw columns into integer codes with *global*
dictionaries, built once by a ``SELECT DISTINCT``-like pass, so that every chunk agrees on
what level 17 of ``orig^year`` is.

``FrameSource``
    A pandas DataFrame cut into row chunks (for tests and for data that fit in memory).
``ParquetSource``
    A partitioned Parquet dataset read by DuckDB in record batches, with region-year
    attributes joined lazily by SQL (``attributes=``): one pass is one streamed query, so peak
    memory is one batch plus the fixed-effect vectors.
``DaskSource`` (in :mod:`migflows.estimation.gravity.dask_source`)
    A Dask DataFrame (or a Parquet path read by Dask) on a ``dask.distributed.Client``.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"y": [1.0, 0, 2, 3], "x": [0.1, 0.2, 0.3, 0.4], "o": list("aabb")})
>>> src = FrameSource(df, y="y", x=["x"], fe=[("o",)], chunk_rows=3)
>>> src.fe_names, src.fe_sizes, src.n_chunks
(('o',), (2,), 2)
>>> float(src.map_reduce(row_count, None)[0])
4.0
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from migflows.errors import (
    FixedEffectError,
    InvalidOptionError,
    MissingColumnError,
    MissingValueError,
    NegativeFlowError,
    NonNumericError,
)

__all__ = [
    "Chunk",
    "ChunkFunction",
    "ChunkSource",
    "Coder",
    "FrameSource",
    "ParquetSource",
    "SourceBase",
    "check_columns",
    "combine",
    "parse_terms",
    "positive_int",
    "row_count",
]

Combine = Literal["sum", "min", "max"]
ChunkFunction = Callable[["Chunk", Any], tuple[NDArray, ...]]

BYTES_PER_LEVEL = 8 * 12
"""Memory the engine keeps per fixed-effect level and column (coefficients, sums, extrapolation)."""


@dataclass(frozen=True)
class Chunk:
    """One chunk of the sample as arrays (codes are global)."""

    y: NDArray[np.float64]
    X: NDArray[np.float64]
    codes: NDArray[np.integer]
    clusters: NDArray[np.integer]
    weights: NDArray[np.float64] | None
    offset: NDArray[np.float64] | None

    def compact(self) -> Chunk:
        """The chunk with int32 codes (levels fit: the engine refuses 2^31 of them)."""
        small = [c if c.size and int(c.max()) >= 2**31 - 1 else c.astype(np.int32)
                 for c in (self.codes, self.clusters)]  # fmt: skip
        return Chunk(self.y, np.ascontiguousarray(self.X), small[0], small[1], self.weights,
                     self.offset)  # fmt: skip


def row_count(chunk: Chunk, _: Any) -> tuple[NDArray, ...]:
    """Rows in a chunk (a pass used by the engine and in examples)."""
    return (np.asarray(float(chunk.y.shape[0])),)


def combine(
    a: tuple[NDArray, ...], b: tuple[NDArray, ...], how: Sequence[Combine] | None = None
) -> tuple[NDArray, ...]:
    """Combine two chunk results element by element (sum unless ``how`` says min or max)."""
    ops = how or ("sum",) * len(a)
    out = []
    for x, y, op in zip(a, b, ops, strict=True):
        out.append(
            x + y if op == "sum" else (np.minimum(x, y) if op == "min" else np.maximum(x, y))
        )
    return tuple(out)


@dataclass(frozen=True)
class Coder:
    """Turns raw columns into a :class:`Chunk` with global dictionaries (picklable).

    Attributes
    ----------
    y, x, weights, offset : column names
    fe : tuple of tuple of str
        Fixed effects; ``("orig", "year")`` is ``orig^year``, coded as a mixed-radix product
        of the base dictionaries (levels that never occur get zero weight and are ignored).
    clusters : tuple of tuple of str
        Cluster variables, coded like fixed effects.
    dictionaries : dict of str to Index
        Distinct values of every base variable.
    """

    y: str
    x: tuple[str, ...]
    fe: tuple[tuple[str, ...], ...]
    clusters: tuple[tuple[str, ...], ...]
    weights: str | None
    offset: str | None
    dictionaries: dict[str, pd.Index]

    @property
    def columns(self) -> list[str]:
        """Every raw column a chunk needs."""
        base = {v for term in (*self.fe, *self.clusters) for v in term}
        extra = [c for c in (self.weights, self.offset) if c]
        return list(dict.fromkeys([self.y, *self.x, *extra, *sorted(base)]))

    def sizes(self, terms: tuple[tuple[str, ...], ...]) -> tuple[int, ...]:
        """Levels of each (interacted) term: the product of its base dictionaries."""
        return tuple(int(np.prod([len(self.dictionaries[v]) for v in t])) for t in terms)

    def _code(self, frame: pd.DataFrame, terms: tuple[tuple[str, ...], ...]) -> NDArray[np.int64]:
        out = np.zeros((len(frame), len(terms)), dtype=np.int64)
        for j, term in enumerate(terms):
            code = np.zeros(len(frame), dtype=np.int64)
            for v in term:
                part = _lookup(self.dictionaries[v], frame[v])
                if (part < 0).any():
                    raise MissingValueError(
                        f"column {v!r} has {int((part < 0).sum())} missing value(s) or values "
                        "not seen when the dictionaries were built; drop or fill those rows"
                    )
                code = code * len(self.dictionaries[v]) + part
            out[:, j] = code
        return out

    def encode(self, frame: pd.DataFrame) -> Chunk:
        """Arrays of one chunk; missing values raise (the engine drops nothing silently)."""
        text = [c for c in [self.y, *self.x] if not pd.api.types.is_numeric_dtype(frame[c])]
        if text:
            raise NonNumericError(
                f"column(s) {text} are not numeric (dtype {frame[text[0]].dtype}); convert them "
                "first, e.g. pd.to_numeric(df[col])"
            )
        num = frame[[self.y, *self.x]].to_numpy(dtype=np.float64)
        if (num[:, 0] < 0).any():
            raise NegativeFlowError(
                f"column {self.y!r} has {int((num[:, 0] < 0).sum())} negative value(s) in this "
                "chunk; PPML needs non-negative flows"
            )
        if not np.isfinite(num).all():
            bad = [c for c in [self.y, *self.x] if not np.isfinite(frame[c].to_numpy(float)).all()]
            raise MissingValueError(
                f"column(s) {bad} hold missing or infinite values; drop or impute those rows "
                "before fitting (the out-of-core engine does not drop rows silently)"
            )
        return Chunk(
            y=np.ascontiguousarray(num[:, 0]),
            X=np.ascontiguousarray(num[:, 1:]),
            codes=self._code(frame, self.fe),
            clusters=self._code(frame, self.clusters),
            weights=None if self.weights is None else frame[self.weights].to_numpy(np.float64),
            offset=None if self.offset is None else frame[self.offset].to_numpy(np.float64),
        )


def _lookup(dictionary: pd.Index, values: pd.Series) -> NDArray[np.int64]:
    """Codes of ``values`` in ``dictionary`` (-1 when absent).

    Integer keys that form a contiguous range (region and year codes usually do) are coded
    by a subtraction instead of a hash lookup, about 20 times faster per chunk.
    """
    arr = values.to_numpy()
    n = len(dictionary)
    if n and arr.dtype.kind in "iu" and dictionary.dtype.kind in "iu":
        lo = int(dictionary[0])
        if int(dictionary[-1]) - lo == n - 1:  # sorted and unique: a contiguous range
            part = arr.astype(np.int64) - lo
            part[(part < 0) | (part >= n)] = -1
            return part
    return dictionary.get_indexer(pd.Index(values))


def check_levels_fit(names: Sequence[str], sizes: Sequence[int], k: int) -> None:
    """Raise :class:`FixedEffectError` when the fixed-effect vectors would not fit in memory."""
    need = sum(sizes) * (k + 2) * BYTES_PER_LEVEL
    available = available_memory()
    if need > 0.5 * available:
        detail = ", ".join(f"{n}: {s:,} levels" for n, s in zip(names, sizes, strict=True))
        raise FixedEffectError(
            f"the fixed-effect vectors need about {need / 1e6:,.0f} MB ({detail}) but only "
            f"{available / 1e6:,.0f} MB of memory are available; the sums engine keeps every "
            "level in memory. Use coarser fixed effects (e.g. orig^year + dest^year instead of "
            "orig^dest^year) or a machine with more memory"
        )


def available_memory() -> int:
    """Bytes of memory available now (``/proc/meminfo``'s MemAvailable, else free pages)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


class ChunkSource(Protocol):
    """What the sums engine needs from a data backend."""

    coder: Coder

    @property
    def fe_names(self) -> tuple[str, ...]:
        """Fixed-effect names (``"orig^year"``)."""
        ...

    @property
    def fe_sizes(self) -> tuple[int, ...]:
        """Levels per fixed effect."""
        ...

    @property
    def n_chunks(self) -> int:
        """Chunks (partitions) in one pass."""
        ...

    @property
    def cluster_names(self) -> tuple[str, ...]:
        """Cluster variable names (``"orig"``, ``"orig^dest"``)."""
        ...

    @property
    def cluster_sizes(self) -> tuple[int, ...]:
        """Levels per cluster variable."""
        ...

    def map_reduce(
        self, func: ChunkFunction, arg: Any, how: Sequence[Combine] | None = None
    ) -> tuple[NDArray, ...]:
        """``func(chunk, arg)`` on every chunk, results combined (summed by default)."""
        ...


class SourceBase:
    """Names and sizes of the fixed effects and clusters, from the coder."""

    coder: Coder
    label = "chunked"

    @property
    def fe_names(self) -> tuple[str, ...]:
        """Fixed-effect names (``"orig^year"``)."""
        return tuple("^".join(t) for t in self.coder.fe)

    @property
    def fe_sizes(self) -> tuple[int, ...]:
        """Levels per fixed effect."""
        return self.coder.sizes(self.coder.fe)

    @property
    def cluster_names(self) -> tuple[str, ...]:
        """Cluster variable names."""
        return tuple("^".join(t) for t in self.coder.clusters)

    @property
    def cluster_sizes(self) -> tuple[int, ...]:
        """Levels per cluster variable."""
        return self.coder.sizes(self.coder.clusters)


def parse_terms(spec: Sequence[str | tuple[str, ...]] | None) -> tuple[tuple[str, ...], ...]:
    """``["orig^year"]`` or ``[("orig", "year")]`` as tuples of base variables."""
    out = []
    for t in spec or ():
        out.append(tuple(t.split("^")) if isinstance(t, str) else tuple(t))
    return tuple(out)


def check_columns(available: Sequence[str], needed: Sequence[str], where: str) -> None:
    """Raise :class:`MissingColumnError` naming the needed columns not ``available``."""
    missing = [c for c in needed if c not in available]
    if missing:
        raise MissingColumnError(
            f"column(s) {missing} are not in {where}; available: {list(available)[:20]}"
        )


class FrameSource(SourceBase):
    """A pandas DataFrame cut into chunks of ``chunk_rows`` rows (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
    y : str
        Outcome column.
    x : sequence of str
        Regressor columns.
    fe, clusters : sequence of str or tuple of str
        Fixed effects and cluster variables (``"orig^year"`` or ``("orig", "year")``).
    weights, offset : str, optional
    chunk_rows : int, default 1_000_000
    """

    label = "chunked"

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        y: str,
        x: Sequence[str],
        fe: Sequence[str | tuple[str, ...]],
        clusters: Sequence[str | tuple[str, ...]] = (),
        weights: str | None = None,
        offset: str | None = None,
        chunk_rows: int = 1_000_000,
    ) -> None:
        fe_t, cl_t = parse_terms(fe), parse_terms(clusters)
        base = sorted({v for t in (*fe_t, *cl_t) for v in t})
        needed = [y, *x, *base, *[c for c in (weights, offset) if c]]
        check_columns(list(frame.columns), needed, "the DataFrame")
        dicts = {v: pd.Index(pd.unique(frame[v].dropna())).sort_values() for v in base}
        self.coder = Coder(y, tuple(x), fe_t, cl_t, weights, offset, dicts)
        self._frame = frame
        self._chunk_rows = positive_int(chunk_rows, "chunk_rows")

    @property
    def n_chunks(self) -> int:
        """Chunks (partitions) in one pass."""
        return max(1, -(-len(self._frame) // self._chunk_rows))

    def chunks(self) -> Iterator[Chunk]:
        """The encoded chunks, in order."""
        cols = self.coder.columns
        for start in range(0, len(self._frame), self._chunk_rows):
            yield self.coder.encode(self._frame.iloc[start : start + self._chunk_rows][cols])

    def map_reduce(
        self, func: ChunkFunction, arg: Any, how: Sequence[Combine] | None = None
    ) -> tuple[NDArray, ...]:
        """``func(chunk, arg)`` on every chunk, results combined (summed by default)."""
        out: tuple[NDArray, ...] | None = None
        for chunk in self.chunks():
            part = func(chunk, arg)
            out = part if out is None else combine(out, part, how)
        assert out is not None  # a frame has at least one chunk (n_chunks >= 1)
        return out


def positive_int(value: int, name: str) -> int:
    """``value`` as an int, or :class:`InvalidOptionError` unless a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidOptionError(f"{name}={value!r} must be a positive integer")
    return int(value)


class ParquetSource(SourceBase):
    """A partitioned Parquet dataset of OD flows read by DuckDB, attributes joined lazily.

    Parameters
    ----------
    path : str or Path
        A Parquet file, a directory of Parquet files (hive partitions such as ``year=2020/``
        are read as columns) or a glob.
    y, x, fe, clusters, weights, offset
        As in :class:`FrameSource`; names may refer to joined attribute columns.
    attributes : str or Path, optional
        A Parquet dataset of region-year attributes with columns ``region_key``,
        ``year_key`` and values; every value column ``v`` is joined twice, as ``v_o`` on
        the origin and ``v_d`` on the destination.
    orig, dest, year : str
        Key columns of the flows (for the attribute join).
    region_key, year_key : str
        Key columns of the attributes.
    chunk_rows : int, default 1_000_000
        Rows per record batch.
    threads : int, default 2
        DuckDB threads.
    """

    label = "parquet"

    def __init__(
        self,
        path: str | Path,
        *,
        y: str,
        x: Sequence[str],
        fe: Sequence[str | tuple[str, ...]],
        clusters: Sequence[str | tuple[str, ...]] = (),
        weights: str | None = None,
        offset: str | None = None,
        attributes: str | Path | None = None,
        orig: str = "orig",
        dest: str = "dest",
        year: str = "year",
        region_key: str = "region",
        year_key: str = "year",
        chunk_rows: int = 1_000_000,
        threads: int = 2,
    ) -> None:
        import duckdb

        self._con = duckdb.connect()
        self._con.execute(f"SET threads = {positive_int(threads, 'threads')}")
        self._chunk_rows = positive_int(chunk_rows, "chunk_rows")
        self.query = self._sql(path, attributes, orig, dest, year, region_key, year_key)
        self._paths = [path] if attributes is None else [path, attributes]
        probe = self._con.execute(f"SELECT * FROM ({self.query}) LIMIT 0")
        available = [d[0] for d in probe.description]
        probe.fetchall()
        fe_t, cl_t = parse_terms(fe), parse_terms(clusters)
        base = sorted({v for t in (*fe_t, *cl_t) for v in t})
        needed = [y, *x, *base, *[c for c in (weights, offset) if c]]
        check_columns(available, needed, f"the Parquet data {str(path)!r}")
        dicts = {}
        for v in base:  # the dictionary pass: distinct values, bounded by the levels
            values = self._con.execute(
                f'SELECT DISTINCT "{v}" FROM ({self.query}) WHERE "{v}" IS NOT NULL'
            ).fetchnumpy()[v]
            dicts[v] = pd.Index(np.asarray(values)).sort_values()
        self.coder = Coder(y, tuple(x), fe_t, cl_t, weights, offset, dicts)
        cols = ", ".join(f'"{c}"' for c in self.coder.columns)
        self._select = f"SELECT {cols} FROM ({self.query})"
        count = self._con.execute(f"SELECT count(*) FROM ({self.query})").fetchone()
        self.nrows = int(count[0]) if count else 0

    @staticmethod
    def _sql(
        path: str | Path,
        attributes: str | Path | None,
        orig: str,
        dest: str,
        year: str,
        region_key: str,
        year_key: str,
    ) -> str:
        def reader(p: str | Path) -> str:
            p = Path(p)
            pattern = str(p / "**" / "*.parquet") if p.is_dir() else str(p)
            if not p.is_dir() and not any(ch in str(p) for ch in "*?") and not p.exists():
                raise FileNotFoundError(f"no Parquet data at {str(p)!r}")
            return f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)"

        flows = f"SELECT * FROM {reader(path)}"
        if attributes is None:
            return flows
        return (
            f'SELECT f.*, COLUMNS(ao.* EXCLUDE ("{region_key}", "{year_key}")) AS '
            f"'\\0_o', COLUMNS(ad.* EXCLUDE (\"{region_key}\", \"{year_key}\")) AS '\\0_d' "
            f"FROM ({flows}) f "
            f'JOIN {reader(attributes)} ao ON f."{orig}" = ao."{region_key}" AND '
            f'f."{year}" = ao."{year_key}" '
            f'JOIN {reader(attributes)} ad ON f."{dest}" = ad."{region_key}" AND '
            f'f."{year}" = ad."{year_key}"'
        )

    @property
    def n_chunks(self) -> int:
        """Chunks (partitions) in one pass."""
        return max(1, -(-self.nrows // self._chunk_rows))

    def chunks(self) -> Iterator[Chunk]:
        """The encoded record batches of one streamed query, in order."""
        reader = self._con.cursor().sql(self._select).to_arrow_reader(self._chunk_rows)
        for batch in reader:
            yield self.coder.encode(batch.to_pandas())

    @property
    def signature(self) -> str:
        """The query and every source file's name, size and modification time (for caches)."""
        files = []
        for p in self._paths:
            path = Path(p)
            found = sorted(path.rglob("*.parquet") if path.is_dir() else map(Path, glob(str(p))))
            files += [f"{f}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in found]
        return "\n".join([self.query, *files])

    def map_reduce(
        self, func: ChunkFunction, arg: Any, how: Sequence[Combine] | None = None
    ) -> tuple[NDArray, ...]:
        """``func(chunk, arg)`` on every record batch of one streamed query, combined."""
        out: tuple[NDArray, ...] | None = None
        for chunk in self.chunks():
            part = func(chunk, arg)
            out = part if out is None else combine(out, part, how)
        if out is None:
            raise MissingValueError(f"the Parquet data selected by {self.query!r} has no rows")
        return out
