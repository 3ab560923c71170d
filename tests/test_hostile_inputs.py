"""The catalogue of hostile inputs (issue 10): every public function of migflows, called as a
new user would call it with real and wrong inputs. Each row is (id, call, expected exception
type or "ok", text the message must contain). Every error is a named exception from
migflows.errors that says what was wrong; no call ends in a raw traceback or a silent wrong
answer.

Outcomes of these 356 calls on the code before issue 10 (commit e313285) and after:

=====================  ======  =====
outcome                before  after
=====================  ======  =====
correct result             72     79
named migflows error      214    276
raw traceback              38      1
silent acceptance          29      0
refused although valid      3      0
=====================  ======  =====

The one "raw" outcome left is ``setattr(result, ...)``: Python's AttributeError for a
read-only object, kept on purpose.

The second part (113 calls, from "after the first catalogue" on: ``wald_test``/``t_test``
strings and matrices, ``wild_bootstrap`` and the score bootstrap's arguments,
``predict(se=True)``, IV formulas, ``backend="chunked"/"parquet"/"dask"`` with bad sources,
Bayes ``pooled_slopes``, ``load_kazakhstan_regions``, ``ets_fixed``/``arima_fixed``), before
and after the fixes it found:

=====================  ======  =====
outcome                before  after
=====================  ======  =====
correct result             13     13
named migflows error       87    100
raw traceback              11      0
silent acceptance           2      0
=====================  ======  =====

Raw before: a NaN restriction matrix (numpy's LinAlgError), ``level="a"`` in ``t_test`` and
``predict(se=True)`` (TypeError), a missing/non-Parquet path and an empty folder for
``backend="parquet"`` (FileNotFoundError, duckdb errors), negative flows and a sample with
as many parameters as observations for ``backend="chunked"`` (ZeroDivisionError),
``pooled_slopes`` given as a string or a list (ValueError), and an empty series for
``ets_fixed`` (a crash of the process). Silent before: ``predict(se="yes")`` and overlapping
``periods`` of ``load_kazakhstan_regions`` (the later period took the shared years).
"""

from __future__ import annotations

import pathlib
import tempfile
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import matplotlib
import matplotlib.pyplot
import numpy as np
import pandas as pd
import pytest

import migflows
from migflows import presets, reports
from migflows.errors import (
    BoundaryError,
    DataValidationError,
    DuplicateFlowError,
    DuplicateKeyError,
    FixedEffectError,
    FormulaSyntaxError,
    IdentificationError,
    IncomparableModelsError,
    InputFileError,
    InputTypeError,
    InvalidDistanceError,
    InvalidOptionError,
    MigflowsError,
    MissingColumnError,
    MissingRegionError,
    MissingValueError,
    ModelSpecificationError,
    NegativeFlowError,
    NonNumericError,
    PanelStructureError,
    RegionCodeError,
    SelfFlowError,
    UnknownVariableError,
    YearRangeError,
)
from migflows.estimation.forecast import arima_fixed, ets_fixed

matplotlib.use("Agg")


class Case(NamedTuple):
    id: str
    call: Callable[[], Any]
    expect: type[BaseException] | str
    match: str


def fail(what: str) -> bool:
    raise AssertionError(what)


KZ = migflows.load_kazakhstan()
KZ21 = KZ.select(years=[2021])
KZ2 = KZ.select(years=[2020, 2021])


def flows(**over):
    df = pd.DataFrame(
        {
            "origin": ["a", "b", "a", "b"],
            "destination": ["b", "a", "b", "a"],
            "year": [2020, 2020, 2021, 2021],
            "flow": [5, 7, 6, 8],
        }
    )
    for k, v in over.items():
        df[k] = v
    return df


def ff(**kw):
    return migflows.FlowPanel.from_frame(kw.pop("df", flows()), **kw)


def matrix(labels=("a", "b", "c"), cols=None):
    cols = list(cols or labels)
    d = {"": list(labels)}
    for j, c in enumerate(cols):
        d[c] = ["" if i == j else str(i + j + 1) for i in range(len(labels))]
    return pd.DataFrame(d)


_cache = {}


def fit(key):
    if key not in _cache:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if key == "ppml":
                _cache[key] = migflows.gravity(
                    "flow ~ log_dist + log_wage_ratio | orig + dest + year", KZ2
                )
            elif key == "ols":
                _cache[key] = migflows.gravity(
                    "flow ~ log_dist | orig + dest", KZ21, estimator="ols"
                )
            elif key == "fe":
                _cache[key] = migflows.panel("net_rate ~ unemployment | entity + time", KZ)
            elif key == "re":
                _cache[key] = migflows.panel("net_rate ~ unemployment", KZ, "re")
            elif key == "fc":
                _cache[key] = migflows.forecast(
                    KZ, "naive", 2, n_sims=50, random_seed=0, progress=False
                )
            elif key == "sim":
                _cache[key] = migflows.sim(KZ21, "doubly")
            elif key == "ur":
                _cache[key] = migflows.unit_root(KZ, "log(wage)", "ips", lags=0)
            elif key == "bt":
                _cache[key] = migflows.backtest(
                    KZ, ["naive"], origins=[2020], horizon=1, n_sims=20, progress=False
                )
    return _cache[key]


def ts_frame(n_regions=4, years=range(2000, 2015), seed=0, **kw):
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product(
        [[f"r{i}" for i in range(n_regions)], list(years)], names=["region", "year"]
    )
    return pd.DataFrame({"y": rng.normal(size=len(idx)).cumsum()}, index=idx)


TMP = pathlib.Path(tempfile.mkdtemp())


def write(name, data, mode="w", encoding="utf-8"):
    p = TMP / name
    if isinstance(data, bytes):
        p.write_bytes(data)
    else:
        p.write_text(data, encoding=encoding)
    return p


OK = "ok"
CASES: list[Case] = []


def case(
    id: str, call: Callable[[], Any], expect: type[BaseException] | str, match: str = ""
) -> None:
    CASES.append(Case(id, call, expect, match))


# ---------------------------------------------------------------- FlowPanel.from_frame
case("ff-ok", lambda: ff(), OK)
case(
    "ff-not-a-frame",
    lambda: migflows.FlowPanel.from_frame([1, 2, 3]),
    InputTypeError,
    r"flows must be a pandas DataFrame, got list\.",
)
case(
    "ff-dict",
    lambda: migflows.FlowPanel.from_frame({"origin": ["a"]}),
    InputTypeError,
    r"flows must be a pandas DataFrame, got dict\.",
)
case(
    "ff-empty",
    lambda: ff(df=flows().iloc[0:0]),
    MissingValueError,
    r"The flows table is empty; there is nothing to",
)
case(
    "ff-missing-col",
    lambda: ff(df=flows().drop(columns="flow")),
    MissingColumnError,
    r"The flows table has no column named by",
)
case(
    "ff-wrong-name",
    lambda: ff(origin="from"),
    MissingColumnError,
    r"The flows table has no column named by",
)
case(
    "ff-same-columns",
    lambda: ff(origin="origin", destination="origin"),
    InvalidOptionError,
    r"origin, destination, year and flow must name",
)
case(
    "ff-negative",
    lambda: ff(df=flows(flow=[-1, 1, 1, 1])),
    NegativeFlowError,
    r"Column 'flow' has 1 negative flow\(s\): -1\.0 at",
)
case(
    "ff-nan",
    lambda: ff(df=flows(flow=[np.nan, 1, 1, 1])),
    MissingValueError,
    r"Column 'flow' has 1 missing flow\(s\), e\.g\. at",
)
case("ff-nan-drop", lambda: ff(df=flows(flow=[np.nan, 1, 1, 1]), missing="drop"), OK)
case(
    "ff-inf",
    lambda: ff(df=flows(flow=[np.inf, 1, 1, 1])),
    NonNumericError,
    r"Column 'flow' has 1 infinite flow\(s\) at \('a',",
)
case(
    "ff-neg-inf",
    lambda: ff(df=flows(flow=[-np.inf, 1, 1, 1])),
    NonNumericError,
    r"Column 'flow' has 1 infinite flow\(s\) at \('a',",
)
case(
    "ff-text-flow",
    lambda: ff(df=flows(flow=["5", "x", "1", "2"])),
    NonNumericError,
    r"Column 'flow' of the flows table holds 1",
)
case(
    "ff-bool-flow",
    lambda: ff(df=flows(flow=[True, False, True, True])),
    NonNumericError,
    r"Column 'flow' of the flows table is boolean;",
)
case("ff-string-numbers", lambda: ff(df=flows(flow=["5", "7", "6", "8"])), OK)
case(
    "ff-year-float",
    lambda: ff(df=flows(year=[2020.5, 2020, 2021, 2021])),
    YearRangeError,
    r"Column 'year' of the flows table holds 1",
)
case(
    "ff-year-text",
    lambda: ff(df=flows(year=["y", 2020, 2021, 2021])),
    NonNumericError,
    r"Column 'year' of the flows table holds 1",
)
case(
    "ff-year-nan",
    lambda: ff(df=flows(year=[np.nan, 2020, 2021, 2021])),
    MissingValueError,
    r"Column 'year' of the flows table has 1",
)
case(
    "ff-year-range",
    lambda: ff(df=flows(year=[1800, 2020, 2021, 2021])),
    YearRangeError,
    r"Column 'year' of the flows table holds 1",
)
case(
    "ff-year-far",
    lambda: ff(df=flows(year=[3000, 2020, 2021, 2021])),
    YearRangeError,
    r"Column 'year' of the flows table holds 1",
)
case("ff-year-whole-float", lambda: ff(df=flows(year=[2020.0, 2020.0, 2021.0, 2021.0])), OK)
case(
    "ff-key-nan",
    lambda: ff(df=flows(origin=[None, "b", "a", "b"])),
    MissingValueError,
    r"Column 'origin' of the flows table has 1",
)
case(
    "ff-key-empty",
    lambda: ff(df=flows(origin=["", "b", "a", "b"])),
    RegionCodeError,
    r"Column 'origin' of the flows table has 1",
)
case(
    "ff-key-blank",
    lambda: ff(df=flows(origin=["  ", "b", "a", "b"])),
    RegionCodeError,
    r"Column 'origin' of the flows table has 1",
)
case(
    "ff-key-1-vs-'1'",
    lambda: ff(df=flows(origin=[1, "1", "a", "b"])),
    RegionCodeError,
    r"Column 'origin' of the flows table holds 1",
)
case(
    "ff-key-1-vs-1.0",
    lambda: ff(
        df=flows(origin=[1, 1.0, 1, 1], destination=[2, 2.0, 2, 2.0], year=[2020, 2021, 2022, 2023])
    ),
    OK,
)
case(
    "ff-key-case",
    lambda: ff(df=flows(origin=["a", "A", "a", "b"])),
    RegionCodeError,
    r"The flows table spells 1 region\(s\) in more",
)
case(
    "ff-key-space",
    lambda: ff(df=flows(origin=["a ", "b", "a", "b"])),
    RegionCodeError,
    r"The flows table spells 1 region\(s\) in more",
)
case(
    "ff-cyrillic",
    lambda: ff(df=flows(origin=["Астана", "Алматы"] * 2, destination=["Алматы", "Астана"] * 2)),
    OK,
)
case(
    "ff-cyrillic-case",
    lambda: ff(
        df=flows(
            origin=["Астана", "астана", "Астана", "Алматы"],
            destination=["Алматы"] * 4,
            year=[2020, 2021, 2022, 2023],
        )
    ),
    RegionCodeError,
    r"The flows table spells 1 region\(s\) in more",
)
case(
    "ff-self-flow",
    lambda: ff(df=flows(destination=["a", "a", "b", "a"])),
    SelfFlowError,
    r"1 row\(s\) have origin equal to destination",
)
case("ff-self-keep", lambda: ff(df=flows(destination=["a", "a", "b", "a"]), self_flows="keep"), OK)
case(
    "ff-self-bad-option",
    lambda: ff(self_flows="ignore"),
    InvalidOptionError,
    r"self_flows='ignore' is not allowed; use one",
)
case(
    "ff-dup",
    lambda: ff(df=pd.concat([flows(), flows().iloc[[0]]])),
    DuplicateFlowError,
    r"2 rows repeat 1 \(origin, destination, year\)",
)
case("ff-dup-sum", lambda: ff(df=pd.concat([flows(), flows().iloc[[0]]]), duplicates="sum"), OK)
case(
    "ff-dup-bad-option",
    lambda: ff(duplicates="mean"),
    InvalidOptionError,
    r"duplicates='mean' is not allowed; use one of",
)
case(
    "ff-missing-bad-option",
    lambda: ff(missing="zero"),
    InvalidOptionError,
    r"missing='zero' is not allowed; use one of",
)
case(
    "ff-valid-years",
    lambda: ff(valid_years=(2021, 2030)),
    YearRangeError,
    r"Column 'year' of the flows table holds 2",
)
case(
    "ff-regions-missing-region",
    lambda: ff(regions=pd.DataFrame({"region": ["a"], "year": [2020], "pop": [1.0]})),
    MissingRegionError,
    r"1 region\(s\) in the flows are absent from the",
)
case(
    "ff-regions-dup",
    lambda: ff(
        regions=pd.DataFrame(
            {"region": ["a", "a", "b"], "year": [2020, 2020, 2020], "pop": [1.0, 2, 3]}
        )
    ),
    DuplicateKeyError,
    r"The regions table repeats 1 \(region, year\)",
)
case(
    "ff-regions-text",
    lambda: ff(regions=pd.DataFrame({"region": ["a", "b"], "year": [2020, 2020], "pop": ["x", 2]})),
    NonNumericError,
    r"Column 'pop' of the regions table holds 1",
)
case(
    "ff-regions-no-year",
    lambda: ff(regions=pd.DataFrame({"region": ["a", "b"], "pop": [1, 2]})),
    MissingColumnError,
    r"The regions table has no column named by",
)
case(
    "ff-regions-ok",
    lambda: ff(regions=pd.DataFrame({"region": ["a", "b"], "year": [2020, 2020], "pop": [1.0, 2]})),
    OK,
)
case(
    "ff-coords-missing",
    lambda: ff(coords=pd.DataFrame({"region": ["a"], "lat": [50], "lon": [70]})),
    MissingRegionError,
    r"1 region\(s\) in the flows have no coordinates:",
)
case(
    "ff-coords-bad-lat",
    lambda: ff(coords=pd.DataFrame({"region": ["a", "b"], "lat": [95, 50], "lon": [70, 71]})),
    InvalidDistanceError,
    r"1 region\(s\) have missing or impossible",
)
case(
    "ff-coords-nan",
    lambda: ff(coords=pd.DataFrame({"region": ["a", "b"], "lat": [np.nan, 50], "lon": [70, 71]})),
    InvalidDistanceError,
    r"1 region\(s\) have missing or impossible",
)
case(
    "ff-coords-identical",
    lambda: ff(coords=pd.DataFrame({"region": ["a", "b"], "lat": [50, 50], "lon": [70, 70]})),
    InvalidDistanceError,
    r"2 region\(s\) share identical coordinates: 'a',",
)
case(
    "ff-coords-dup",
    lambda: ff(
        coords=pd.DataFrame({"region": ["a", "a", "b"], "lat": [50, 51, 52], "lon": [70, 71, 72]})
    ),
    DuplicateKeyError,
    r"The coords table repeats region\(s\) 'a'; give",
)
case(
    "ff-coords-no-lon",
    lambda: ff(coords=pd.DataFrame({"region": ["a", "b"], "lat": [50, 51]})),
    MissingColumnError,
    r"The coords table has no column named by",
)
case(
    "ff-coords-ok",
    lambda: ff(coords=pd.DataFrame({"region": ["a", "b"], "lat": [50, 51], "lon": [70, 71]})),
    OK,
)
case(
    "ff-dist-zero",
    lambda: ff(distances=pd.DataFrame({"origin": ["a"], "destination": ["b"], "distance": [0.0]})),
    InvalidDistanceError,
    r"1 distance\(s\) are zero, negative or missing",
)
case(
    "ff-dist-neg",
    lambda: ff(distances=pd.DataFrame({"origin": ["a"], "destination": ["b"], "distance": [-5.0]})),
    InvalidDistanceError,
    r"1 distance\(s\) are zero, negative or missing",
)
case(
    "ff-dist-nan",
    lambda: ff(
        distances=pd.DataFrame({"origin": ["a"], "destination": ["b"], "distance": [np.nan]})
    ),
    InvalidDistanceError,
    r"1 distance\(s\) are zero, negative or missing",
)
case(
    "ff-dist-missing-pair",
    lambda: ff(
        df=flows(destination=["c", "a", "b", "a"]),
        distances=pd.DataFrame({"origin": ["a"], "destination": ["b"], "distance": [5.0]}),
    ),
    MissingRegionError,
    r"The distances table lacks 4 pair\(s\) of",
)
case(
    "ff-dist-dup",
    lambda: ff(
        distances=pd.DataFrame(
            {"origin": ["a", "a"], "destination": ["b", "b"], "distance": [5.0, 6]}
        )
    ),
    DuplicateKeyError,
    r"The distances table repeats 1 pair\(s\): \('a',",
)
case(
    "ff-dist-ok",
    lambda: ff(distances=pd.DataFrame({"origin": ["a"], "destination": ["b"], "distance": [5.0]})),
    OK,
)
case(
    "ff-pair-var-missing",
    lambda: ff(pair_vars=["x"]),
    MissingColumnError,
    r"The flows table has no column named by",
)
case(
    "ff-pair-var-text",
    lambda: ff(df=flows(x=["a", "b", "c", "d"]), pair_vars=["x"]),
    NonNumericError,
    r"Column 'x' of the flows table holds 4",
)
case("ff-pair-var-ok", lambda: ff(df=flows(x=[1.0, 2, 3, 4]), pair_vars=["x"]), OK)
case(
    "ff-input-not-mutated",
    lambda: (lambda d: (ff(df=d), d.equals(flows()))[1] or fail("mutated"))(flows()),
    OK,
)

# ---------------------------------------------------------------- FlowPanel methods
case(
    "select-years-absent",
    lambda: KZ.select(years=[1999]),
    InvalidOptionError,
    r"years 1999 have no flows; available: \[2010,",
)
case(
    "select-years-float",
    lambda: KZ.select(years=[2021.5]),
    InvalidOptionError,
    r"years=\[2021\.5\] must hold whole years such as",
)
case(
    "select-years-text",
    lambda: KZ.select(years=["abc"]),
    InvalidOptionError,
    r"years=\['abc'\] must be a year or a list of",
)
case(
    "select-years-empty",
    lambda: KZ.select(years=[]),
    InvalidOptionError,
    r"years=\[\] must hold whole years such as \[2021,",
)
case("select-years-scalar", lambda: KZ.select(years=2021), OK)
case(
    "select-regions-absent",
    lambda: KZ.select(regions=["atlantis"]),
    MissingRegionError,
    r"regions 'atlantis' are not in the panel;",
)
case(
    "select-regions-one",
    lambda: KZ.select(regions=["abai"]),
    PanelStructureError,
    r"The selection keeps no flow: no pair of the",
)
case(
    "select-regions-str",
    lambda: KZ.select(regions="abai"),
    PanelStructureError,
    r"The selection keeps no flow: no pair of the",
)
case("select-ok", lambda: KZ.select(regions=["abai", "akmola"]), OK)
case(
    "complete-neg",
    lambda: ff().complete(fill=-5),
    InvalidOptionError,
    r"fill=-5 is not a valid flow: added pairs need",
)
case(
    "complete-nan",
    lambda: ff().complete(fill=np.nan),
    InvalidOptionError,
    r"fill=nan is not a valid flow: added pairs",
)
case(
    "complete-inf",
    lambda: ff().complete(fill=np.inf),
    InvalidOptionError,
    r"fill=inf is not a valid flow: added pairs",
)
case(
    "complete-str",
    lambda: ff().complete(fill="0"),
    InvalidOptionError,
    r"fill='0' must be a number \(the flow of the",
)
case(
    "complete-none",
    lambda: ff().complete(fill=None),
    InvalidOptionError,
    r"fill=None must be a number \(the flow of the",
)
case("complete-ok", lambda: ff().complete(), OK)
case(
    "assign-wrong-len",
    lambda: KZ21.assign(x=np.ones(3)),
    InvalidOptionError,
    r"Variable 'x' has shape \(3,\); it must have one",
)
case(
    "assign-text",
    lambda: KZ21.assign(x=np.array(["a"] * KZ21.nobs)),
    NonNumericError,
    r"Variable 'x' holds values that are not",
)
case(
    "assign-frame",
    lambda: KZ21.assign(x=lambda p: p[["origin", "destination"]]),
    InvalidOptionError,
    r"Variable 'x' is a table with 2 column\(s\)",
)
case(
    "assign-key",
    lambda: KZ21.assign(year=np.zeros(KZ21.nobs)),
    InvalidOptionError,
    r"assign\(year=\.\.\.\) would overwrite the key",
)
case(
    "assign-inf",
    lambda: KZ21.assign(x=np.full(KZ21.nobs, np.inf)),
    NonNumericError,
    r"Variable 'x' holds 380 infinite value\(s\); use",
)
case(
    "assign-misaligned",
    lambda: KZ21.assign(x=pd.Series(np.ones(KZ21.nobs), index=np.arange(KZ21.nobs) + 5)),
    InvalidOptionError,
    r"Variable 'x' is a Series not indexed like",
)
case("assign-ok", lambda: KZ21.assign(x=np.ones(KZ21.nobs)), OK)
case(
    "covariates-unknown",
    lambda: KZ.covariates(["nonsense"]),
    UnknownVariableError,
    r"Unknown variable 'nonsense'\. Derived",
)
case(
    "covariates-bad-missing",
    lambda: KZ.covariates(["log_dist"], missing="zero"),
    InvalidOptionError,
    r"missing='zero' is not allowed; use one of",
)
case(
    "covariates-error-missing",
    lambda: KZ.covariates(["log_wage_ratio"], missing="error"),
    MissingValueError,
    r"834 of 2280 observations lack a covariate",
)
case("covariates-ok", lambda: KZ.covariates(["log_dist"]), OK)
case(
    "to-matrix-absent-year",
    lambda: KZ.to_matrix(1999),
    InvalidOptionError,
    r"year=1999 has no flows; available: \[2010,",
)
case("to-matrix-text-year", lambda: KZ.to_matrix("2021"), OK)
case("to-matrix-ok", lambda: KZ.to_matrix(2021), OK)
case(
    "indices-unknown",
    lambda: KZ.indices(["nonsense"]),
    InvalidOptionError,
    r"which='nonsense' is not allowed; use one of",
)
case(
    "indices-no-distances",
    lambda: ff().indices(["distance"]),
    MissingValueError,
    r"The distance indices need distances; pass",
)
case("indices-ok", lambda: KZ.indices(["intensity"]), OK)
case(
    "harmonize-unknown",
    lambda: KZ.harmonize("1999"),
    InvalidOptionError,
    r"boundaries='1999' is not a Kazakhstan",
)
case(
    "harmonize-bad-crosswalk",
    lambda: KZ.harmonize(crosswalk=pd.DataFrame({"x": [1]})),
    BoundaryError,
    r"A crosswalk table needs columns 'from_region'",
)
case(
    "complete-years-unknown",
    lambda: KZ.complete_years("nonsense"),
    InvalidOptionError,
    r"attributes 'nonsense' are not in the panel;",
)
case("complete-years-ok", lambda: KZ.complete_years("population"), OK)
case("check-quality-ok", lambda: KZ.check_quality(warn=False), OK)
case("balances-ok", lambda: KZ.balances(), OK)
case("coverage-ok", lambda: KZ.coverage(), OK)
case(
    "flows-copy",
    lambda: (
        lambda f: (f.__setitem__("flow", -1.0), KZ.flows["flow"].min() >= 0)[1] or fail("mutated")
    )(KZ.flows),
    OK,
)

# ---------------------------------------------------------------- load_kazakhstan
case(
    "lk-year-absent",
    lambda: migflows.load_kazakhstan(years=[1999]),
    InvalidOptionError,
    r"years 1999 are not in the embedded Kazakhstan",
)
case(
    "lk-year-text",
    lambda: migflows.load_kazakhstan(years=["x"]),
    InvalidOptionError,
    r"years=\['x'\] must be a year or a list of years",
)
case(
    "lk-boundaries",
    lambda: migflows.load_kazakhstan(boundaries="1990"),
    InvalidOptionError,
    r"boundaries='1990' is not a Kazakhstan",
)
case(
    "lk-attributes",
    lambda: migflows.load_kazakhstan(attributes=["nonsense"]),
    InvalidOptionError,
    r"attributes 'nonsense' are not in the",
)
case("lk-flagged", lambda: migflows.load_kazakhstan(include_flagged=True), OK)
case("lk-ok", lambda: migflows.load_kazakhstan(years=[2021]), OK)
case("kazakhstan-regions-ok", lambda: migflows.kazakhstan_regions(), OK)

# ---------------------------------------------------------------- load_kazakhstan_regions
case("lkr-years-outside", lambda: migflows.load_kazakhstan_regions(years=[1990]),
     InvalidOptionError, r"years 1990 are outside the panel's 2000-2022")  # fmt: skip
case("lkr-years-text", lambda: migflows.load_kazakhstan_regions(years=["x"]),
     InvalidOptionError, r"must be whole years")  # fmt: skip
case("lkr-years-fraction", lambda: migflows.load_kazakhstan_regions(years=[2005.5]),
     InvalidOptionError, r"must be whole years")  # fmt: skip
case("lkr-window-zero", lambda: migflows.load_kazakhstan_regions(window=0),
     InvalidOptionError, r"window=0 must be a whole number of years")  # fmt: skip
case("lkr-window-text", lambda: migflows.load_kazakhstan_regions(window="3"),
     InvalidOptionError, r"window='3' must be a whole number")  # fmt: skip
case("lkr-relative-to", lambda: migflows.load_kazakhstan_regions(relative_to="world"),
     InvalidOptionError, r"relative_to='world' is not allowed")  # fmt: skip
case("lkr-periods-reversed",
     lambda: migflows.load_kazakhstan_regions(periods={"boom": (2010, 2000)}),
     InvalidOptionError, r"first not after the last")  # fmt: skip
case("lkr-periods-empty", lambda: migflows.load_kazakhstan_regions(periods={}),
     InvalidOptionError, r"must map a label to \(first year, last year\)")  # fmt: skip
case("lkr-periods-bad-bounds",
     lambda: migflows.load_kazakhstan_regions(periods={"boom": ("a", "b")}),
     InvalidOptionError, r"periods\['boom'\]")  # fmt: skip
case("lkr-ok", lambda: migflows.load_kazakhstan_regions(years=range(2000, 2015)), OK)

# ---------------------------------------------------------------- read_od_matrix
case(
    "rom-no-year",
    lambda: migflows.read_od_matrix(matrix()),
    InvalidOptionError,
    r"A single matrix needs year=; e\.g\.",
)
case(
    "rom-year-float",
    lambda: migflows.read_od_matrix(matrix(), year=2023.5),
    YearRangeError,
    r"year=2023\.5 is not a whole year; pass e\.g\.",
)
case(
    "rom-year-text",
    lambda: migflows.read_od_matrix(matrix(), year="x"),
    YearRangeError,
    r"year='x' is not a whole year; pass e\.g\.",
)
case(
    "rom-typo",
    lambda: migflows.read_od_matrix(matrix(("a", "b", "c", "d"), ("a", "b", "c", "x")), year=2023),
    RegionCodeError,
    r"The 2023 matrix is not square over the same",
)
case(
    "rom-non-square",
    lambda: migflows.read_od_matrix(matrix(("a", "b", "c"), ("a", "b")), year=2023),
    RegionCodeError,
    r"The 2023 matrix is not square over the same",
)
case(
    "rom-dup-col",
    lambda: migflows.read_od_matrix(
        write("dup.csv", ",a,b,b\na,,1,2\nb,1,,3\nc,1,2,\n"), year=2023
    ),
    RegionCodeError,
    r"The 2023 matrix repeats column label\(s\) 'b';",
)
case(
    "rom-dup-row",
    lambda: migflows.read_od_matrix(matrix(("a", "b", "b"), ("a", "b", "c")), year=2023),
    RegionCodeError,
    r"The 2023 matrix repeats row label\(s\) 'b';",
)
case(
    "rom-decimal-comma",
    lambda: migflows.read_od_matrix(matrix().replace("2", "1,5"), year=2023),
    NonNumericError,
    r"The 2023 matrix has 2 cell\(s\) that are not",
)
case(
    "rom-text-cell",
    lambda: migflows.read_od_matrix(matrix().replace("2", "5*"), year=2023),
    NonNumericError,
    r"The 2023 matrix has 2 cell\(s\) that are not",
)
case(
    "rom-layout",
    lambda: migflows.read_od_matrix(matrix(), year=2023, layout="wide"),
    InvalidOptionError,
    r"layout='wide' is not allowed; use one of",
)
case(
    "rom-totals-option",
    lambda: migflows.read_od_matrix(matrix(), year=2023, totals="keep"),
    InvalidOptionError,
    r"totals='keep' is not allowed; use one of",
)
case(
    "rom-totals-error",
    lambda: migflows.read_od_matrix(
        pd.concat([matrix(), pd.DataFrame({"": ["Итого"], "a": ["1"], "b": ["1"], "c": ["1"]})]),
        year=2023,
        totals="error",
    ),
    RegionCodeError,
    r"The 2023 matrix has total row/column label\(s\)",
)
case(
    "rom-region-names",
    lambda: migflows.read_od_matrix(matrix(), year=2023, region_names="russia"),
    InvalidOptionError,
    r"region_names='russia' is not known; use",
)
case(
    "rom-region-names-unknown",
    lambda: migflows.read_od_matrix(matrix(), year=2023, region_names="kazakhstan"),
    RegionCodeError,
    r"3 region name\(s\) are not Kazakhstan regions",
)
case(
    "rom-mapping-incomplete",
    lambda: migflows.read_od_matrix(matrix(), year=2023, region_names={"a": "x"}),
    RegionCodeError,
    r"2 label\(s\) are not in region_names: 'b', 'c'\.",
)
case(
    "rom-kazakh",
    lambda: migflows.read_od_matrix(
        matrix(("Астана қаласы", "Алматы қаласы", "Абай облысы")),
        year=2023,
        region_names="kazakhstan",
    ),
    OK,
)
case(
    "rom-semicolon-bom",
    lambda: migflows.read_od_matrix(write("semi.csv", "\ufeff;a;b\na;;1\nb;2;\n"), year=2023),
    OK,
)
case(
    "rom-cp1251",
    lambda: migflows.read_od_matrix(
        write("cp.csv", ";Астана;Алматы\nАстана;;1\nАлматы;2;\n".encode("cp1251")), year=2023
    ),
    OK,
)
case(
    "rom-tab",
    lambda: migflows.read_od_matrix(write("tab.csv", "\ta\tb\na\t\t1\nb\t2\t\n"), year=2023),
    OK,
)
case(
    "rom-empty-file",
    lambda: migflows.read_od_matrix(write("empty.csv", ""), year=2023),
    InputFileError,
    r".*/empty\.csv is empty \(0",
)
case(
    "rom-blank-lines",
    lambda: migflows.read_od_matrix(write("blank.csv", "\n\n\n"), year=2023),
    InputFileError,
    r".*/blank\.csv holds no rows;",
)
case(
    "rom-corrupt-xlsx",
    lambda: migflows.read_od_matrix(write("bad.xlsx", b"PK\x03\x04xx"), year=2023),
    InputFileError,
    r".*/bad\.xlsx cannot be read as",
)
case(
    "rom-binary-csv",
    lambda: migflows.read_od_matrix(write("bin.csv", b"\x00\x01\x02\x00"), year=2023),
    InputFileError,
    r".*/bin\.csv holds binary data,",
)
case(
    "rom-absent-file",
    lambda: migflows.read_od_matrix(TMP / "absent.csv", year=2023),
    InputFileError,
    r".*/absent\.csv is no file; pass",
)
case(
    "rom-directory",
    lambda: migflows.read_od_matrix(TMP, year=2023),
    InputFileError,
    r".* is a directory; pass the",
)
case(
    "rom-not-a-path",
    lambda: migflows.read_od_matrix(12345, year=2023),
    InvalidOptionError,
    r"source must be a path, a DataFrame or a",
)
case(
    "rom-ragged",
    lambda: migflows.read_od_matrix(write("ragged.csv", ",a,b\na,,1,7,8\nb,2\n"), year=2023),
    InputFileError,
    r".*/ragged\.csv is not a regular",
)
case(
    "rom-sheet-absent",
    lambda: migflows.read_od_matrix(
        (lambda p: (matrix(("a", "b")).to_excel(p, index=False), p)[1])(TMP / "ok.xlsx"),
        year=2023,
        sheet="nope",
    ),
    InputFileError,
    r".*/ok\.xlsx has no sheet named",
)
case(
    "rom-sheet-range",
    lambda: migflows.read_od_matrix(
        (lambda p: (matrix(("a", "b")).to_excel(p, index=False), p)[1])(TMP / "ok2.xlsx"),
        year=2023,
        sheet=5,
    ),
    InputFileError,
    r".*/ok2\.xlsx has 1 sheet\(s\);",
)
case(
    "rom-sheet-none-no-years",
    lambda: migflows.read_od_matrix(
        (lambda p: (matrix(("a", "b")).to_excel(p, index=False), p)[1])(TMP / "ok3.xlsx"),
        sheet=None,
    ),
    InvalidOptionError,
    r"sheet=None reads sheets named by year, but",
)
case(
    "rom-xlsx-ok",
    lambda: migflows.read_od_matrix(
        (lambda p: (matrix(("a", "b")).to_excel(p, index=False), p)[1])(TMP / "ok4.xlsx"), year=2023
    ),
    OK,
)
case("rom-long-ok", lambda: migflows.read_od_matrix(flows(), layout="long"), OK)
case(
    "rom-long-missing-col",
    lambda: migflows.read_od_matrix(flows().drop(columns="flow"), layout="long"),
    MissingColumnError,
    r"The flows table has no column named by",
)
case(
    "rom-long-file",
    lambda: migflows.read_od_matrix(
        write("long.csv", flows().to_csv(index=False).replace(",", ";")), layout="long"
    ),
    OK,
)
case("rom-mapping-of-years", lambda: migflows.read_od_matrix({2022: matrix(), 2023: matrix()}), OK)
case(
    "rom-mapping-bad-year",
    lambda: migflows.read_od_matrix({2022.5: matrix()}),
    YearRangeError,
    r"year=2022\.5 is not a whole year; pass e\.g\.",
)
case(
    "rom-input-not-mutated",
    lambda: (
        lambda m: (migflows.read_od_matrix(m, year=2023), m.equals(matrix()))[1] or fail("mutated")
    )(matrix()),
    OK,
)

# ---------------------------------------------------------------- gravity
G = migflows.gravity
case(
    "g-bad-formula",
    lambda: G("flow ~", KZ21),
    FormulaSyntaxError,
    r"cannot parse formula 'flow ~': expected a",
)
case(
    "g-bad-formula-pipe",
    lambda: G("flow ~ log_dist |", KZ21),
    FormulaSyntaxError,
    r"cannot parse formula 'flow ~ log_dist \|':",
)
case(
    "g-no-tilde",
    lambda: G("flow log_dist", KZ21),
    FormulaSyntaxError,
    r"cannot parse formula 'flow log_dist': no '~'",
)
case(
    "g-formula-not-str",
    lambda: G(5, KZ21),
    FormulaSyntaxError,
    r"a formula must be a string such as 'y ~ x \|",
)
case(
    "g-unknown-var",
    lambda: G("flow ~ nonsense", KZ21),
    UnknownVariableError,
    r"Unknown variable 'nonsense'\. Derived",
)
case(
    "g-unknown-fe",
    lambda: G("flow ~ log_dist | region", KZ21),
    FixedEffectError,
    r"Fixed effect 'region' is not known on a",
)
case(
    "g-estimator",
    lambda: G("flow ~ log_dist", KZ21, "probit"),
    InvalidOptionError,
    r"estimator='probit' is not available; use one",
)
case(
    "g-vcov",
    lambda: G("flow ~ log_dist", KZ21, vcov="HC7"),
    InvalidOptionError,
    r"vcov='HC7' is not allowed for gravity; use",
)
case(
    "g-vcov-cluster-unknown",
    lambda: G("flow ~ log_dist", KZ21, vcov={"CRV1": "nonsense"}),
    MissingColumnError,
    r"cannot cluster by \['nonsense'\]: the result",
)
case(
    "g-vcov-dict-bad",
    lambda: G("flow ~ log_dist", KZ21, vcov={"bogus": 1}),
    InvalidOptionError,
    r"vcov=\{'bogus': 1\} is not allowed for gravity;",
)
case(
    "g-data-list",
    lambda: G("flow ~ log_dist", [1, 2]),
    InvalidOptionError,
    r"data must be a FlowPanel or a pandas",
)
case(
    "g-data-none",
    lambda: G("flow ~ log_dist", None),
    InvalidOptionError,
    r"data must be a FlowPanel or a pandas",
)
case(
    "g-absorbed",
    lambda: G("flow ~ log_wage_ratio | orig^year + dest^year", KZ21),
    IdentificationError,
    r"Not identified: regressor\(s\) 'log_wage_ratio'",
)
case(
    "g-absorbed-option",
    lambda: G("flow ~ log_dist", KZ21, absorbed="ignore"),
    InvalidOptionError,
    r"absorbed='ignore' is not allowed; use 'raise'",
)
case(
    "g-zeros-option",
    lambda: G("flow ~ log_dist", KZ21, estimator="ols", zeros="keep"),
    InvalidOptionError,
    r"zeros='keep' is not allowed; use 'drop' or",
)
case(
    "g-unknown-option",
    lambda: G("flow ~ log_dist", KZ21, tol_bogus=1),
    InvalidOptionError,
    r"Unknown option\(s\) 'tol_bogus' for",
)
case(
    "g-weights-len",
    lambda: G("flow ~ log_dist", KZ21, weights=np.ones(3)),
    InvalidOptionError,
    r"weights has shape \(3,\); it must have one",
)
case(
    "g-weights-neg",
    lambda: G("flow ~ log_dist", KZ21, weights=-np.ones(KZ21.nobs)),
    InvalidOptionError,
    r"weights hold 380 negative value\(s\), e\.g\.",
)
case(
    "g-weights-text",
    lambda: G("flow ~ log_dist", KZ21, weights=np.array(["a"] * KZ21.nobs)),
    NonNumericError,
    r"'weights' is not numeric \(dtype str, 380",
)
case(
    "g-weights-inf",
    lambda: G("flow ~ log_dist", KZ21, weights=np.full(KZ21.nobs, np.inf)),
    InvalidOptionError,
    r"weights holds 380 infinite value\(s\); give",
)
case(
    "g-weights-unknown-col",
    lambda: G("flow ~ log_dist", KZ21, weights="nonsense"),
    UnknownVariableError,
    r"Unknown variable 'nonsense'\. Derived",
)
case(
    "g-weights-series-misaligned",
    lambda: G(
        "flow ~ log_dist",
        KZ21,
        weights=pd.Series(np.ones(KZ21.nobs), index=np.arange(KZ21.nobs) + 7),
    ),
    InvalidOptionError,
    r"weights is a Series whose index lacks 7 row",
)
case(
    "g-offset-len",
    lambda: G("flow ~ log_dist", KZ21, offset=np.ones(2)),
    InvalidOptionError,
    r"offset has shape \(2,\); it must have one value",
)
case(
    "g-periods-bad",
    lambda: G("flow ~ i(period, log_dist) | orig", KZ),
    UnknownVariableError,
    r"The formula uses 'period' but no periods were",
)
case(
    "g-periods-not-mapping",
    lambda: G("flow ~ i(period, log_dist) | orig", KZ, periods=[2020]),
    InvalidOptionError,
    r"periods=\[2020\] must map names to \(first year,",
)
case(
    "g-lag-unknown",
    lambda: G("flow ~ lag(nonsense) | orig", KZ),
    UnknownVariableError,
    r"Unknown variable 'nonsense'\. Derived",
)
case(
    "g-log-text",
    lambda: G("flow ~ log( | orig", KZ21),
    FormulaSyntaxError,
    r"cannot parse formula 'flow ~ log\( \| orig':",
)
case("g-ok", lambda: G("flow ~ log_dist | orig + dest", KZ21), OK)
case("g-ols-ok", lambda: G("flow ~ log_dist | orig + dest", KZ21, estimator="ols"), OK)
case("g-negbin-ok", lambda: G("flow ~ log_dist | orig + dest", KZ21, estimator="negbin"), OK)
case(
    "g-frame-missing-col",
    lambda: G("flow ~ x", flows()),
    UnknownVariableError,
    r"Unknown variable 'x': not a column of the",
)
case(
    "g-frame-text-col",
    lambda: G("flow ~ x", flows(x=["a", "b", "c", "d"])),
    NonNumericError,
    r"'x' is not numeric \(dtype str, 4 value\(s\)",
)
case(
    "g-frame-all-nan",
    lambda: G("flow ~ x", flows(x=[np.nan] * 4)),
    UnknownVariableError,
    r"No observation is left: every row has a",
)
case("g-frame-ok", lambda: G("flow ~ x", flows(x=[1.0, 2.0, 3.5, 4.0])), OK)
case(
    "g-frame-not-mutated",
    lambda: (
        lambda d: (G("flow ~ x", d), d.equals(flows(x=[1.0, 2.0, 3.5, 4.0])))[1] or fail("mutated")
    )(flows(x=[1.0, 2.0, 3.5, 4.0])),
    OK,
)

# ---------------------------------------------------------------- gravity results
case(
    "res-conf-int-level",
    lambda: fit("ppml").conf_int(1.5),
    InvalidOptionError,
    r"level=1\.5 must be strictly between 0 and 1",
)
case(
    "res-conf-int-text",
    lambda: fit("ppml").conf_int("x"),
    InvalidOptionError,
    r"level='x' must be strictly between 0 and 1",
)
case(
    "res-vcov-bad",
    lambda: fit("ppml").vcov("HC9"),
    InvalidOptionError,
    r"vcov='HC9' is not allowed for gravity; use",
)
case(
    "res-vcov-cluster",
    lambda: fit("ppml").vcov({"CRV1": "nonsense"}),
    MissingColumnError,
    r"cannot cluster by \['nonsense'\]: the result",
)
case("res-vcov-ok", lambda: fit("ppml").vcov({"CRV1": "pair"}), OK)
case(
    "res-predict-frame-missing",
    lambda: fit("ppml").predict(pd.DataFrame({"x": [1]})),
    UnknownVariableError,
    r"Unknown variable 'log_dist': not a column of",
)
case("res-predict-ok", lambda: fit("ppml").predict(), OK)
case(
    "res-cf-zero",
    lambda: fit("ppml").counterfactual({"wage": {"turkistan": 0}}),
    InvalidOptionError,
    r"changes\['wage'\]\['turkistan'\]=0 is not a valid",
)
case(
    "res-cf-neg",
    lambda: fit("ppml").counterfactual({"wage": {"turkistan": -1}}),
    InvalidOptionError,
    r"changes\['wage'\]\['turkistan'\]=-1 is not a",
)
case(
    "res-cf-nan",
    lambda: fit("ppml").counterfactual({"wage": {"turkistan": np.nan}}),
    InvalidOptionError,
    r"changes\['wage'\]\['turkistan'\]=nan is not a",
)
case(
    "res-cf-text",
    lambda: fit("ppml").counterfactual({"wage": {"turkistan": "x"}}),
    InvalidOptionError,
    r"changes\['wage'\]\['turkistan'\]='x' is not a",
)
case(
    "res-cf-region",
    lambda: fit("ppml").counterfactual({"wage": {"atlantis": 1.1}}),
    MissingRegionError,
    r"Region 'atlantis' is not in the panel;",
)
case(
    "res-cf-year",
    lambda: fit("ppml").counterfactual({"wage": {"turkistan": {2030: 1.1}}}),
    InvalidOptionError,
    r"changes\['wage'\]\['turkistan'\] names year 2030,",
)
case(
    "res-cf-attr",
    lambda: fit("ppml").counterfactual({"nonsense": {"turkistan": 1.1}}),
    UnknownVariableError,
    r"Attribute 'nonsense' is not in the panel",
)
case(
    "res-cf-unused-attr",
    lambda: fit("ppml").counterfactual({"unemployment": {"turkistan": 1.1}}),
    ModelSpecificationError,
    r"No regressor of the model depends on",
)
case(
    "res-cf-empty",
    lambda: fit("ppml").counterfactual({}),
    InvalidOptionError,
    r"changes=\{\} must be a non-empty mapping",
)
case(
    "res-cf-not-mapping",
    lambda: fit("ppml").counterfactual(["wage"]),
    InvalidOptionError,
    r"changes=\['wage'\] must be a non-empty mapping",
)
case("res-cf-ok", lambda: fit("ppml").counterfactual({"wage": {"turkistan": 1.1}}), OK)
case("res-elasticities-ok", lambda: fit("ppml").elasticities(), OK)
case(
    "res-immutable-se",
    lambda: (
        lambda r: (
            (r.std_errors.__setitem__(r.std_errors.index[0], 99.0), r.std_errors.iloc[0] != 99.0)[1]
            or fail("mutated")
        )
    )(fit("ppml")),
    OK,
)
case(
    "res-setattr",
    lambda: setattr(fit("ppml"), "params", 1),
    AttributeError,
    r"GravityResults is immutable",
)

# ---------------------------------------------------------------- sim
S = migflows.sim
case(
    "sim-form",
    lambda: S(KZ21, "nonsense"),
    InvalidOptionError,
    r"form='nonsense' is not allowed; use one of",
)
case(
    "sim-cost",
    lambda: S(KZ21, "doubly", "linear"),
    InvalidOptionError,
    r"cost='linear' is not allowed; use 'pow' or",
)
case(
    "sim-production-no-dvar",
    lambda: S(KZ21, "production"),
    ModelSpecificationError,
    r"form='production' needs d_var= \(the mass of",
)
case(
    "sim-unknown-cost-var",
    lambda: S(flows(), "doubly", cost_var="nonsense"),
    PanelStructureError,
    r"sim\(\) fits one cross-section but the data",
)
case(
    "sim-year-absent",
    lambda: S(KZ, "doubly", year=1999),
    InvalidOptionError,
    r"year=1999 is not in the data \(years: 2010,",
)
case(
    "sim-vcov",
    lambda: S(KZ21, "doubly", vcov="HC9"),
    InvalidOptionError,
    r"vcov='HC9' is not allowed for sim; use 'iid'",
)
case(
    "sim-data",
    lambda: S([1, 2], "doubly"),
    InvalidOptionError,
    r"data must be a FlowPanel or a pandas",
)
case("sim-ok", lambda: S(KZ21, "doubly"), OK)

# ---------------------------------------------------------------- panel / hausman
Pn = migflows.panel
case(
    "panel-estimator",
    lambda: Pn("net_rate ~ unemployment", KZ, "gmm"),
    InvalidOptionError,
    r"estimator='gmm' is not allowed; use one of",
)
case(
    "panel-formula",
    lambda: Pn("net_rate ~", KZ),
    FormulaSyntaxError,
    r"cannot parse formula 'net_rate ~': expected a",
)
case(
    "panel-unknown-var",
    lambda: Pn("net_rate ~ nonsense", KZ),
    UnknownVariableError,
    r"The formula names 'nonsense', which is not a",
)
case(
    "panel-level",
    lambda: Pn("net_rate ~ unemployment", KZ, level="country"),
    InvalidOptionError,
    r"level='country' is not allowed; use 'region'",
)
case(
    "panel-vcov",
    lambda: Pn("net_rate ~ unemployment", KZ, vcov="HC9"),
    InvalidOptionError,
    r"vcov='HC9' is not allowed for panel; use",
)
case(
    "panel-weights-unknown",
    lambda: Pn("net_rate ~ unemployment", KZ, weights="nonsense"),
    UnknownVariableError,
    r"The formula names 'nonsense', which is not a",
)
case(
    "panel-frame-no-entity",
    lambda: Pn("y ~ x", pd.DataFrame({"y": [1.0, 2], "x": [1.0, 3]})),
    PanelStructureError,
    r"data needs an \(entity, time\) MultiIndex, or",
)
case(
    "panel-frame-entity-unknown",
    lambda: Pn("y ~ x", pd.DataFrame({"y": [1.0, 2], "x": [1.0, 3]}), entity="id", time="t"),
    MissingColumnError,
    r"entity/time column\(s\) 'id', 't' not in data;",
)
case("panel-ok", lambda: Pn("net_rate ~ unemployment | entity + time", KZ), OK)
case(
    "hausman-types",
    lambda: migflows.hausman(1, 2),
    InvalidOptionError,
    r"hausman\(\) takes two PanelResults \(fixed and",
)
case(
    "hausman-swapped",
    lambda: migflows.hausman(fit("re"), fit("fe")),
    InvalidOptionError,
    r"hausman\(fe, re\) needs a fixed-effects and a",
)
case(
    "hausman-gravity",
    lambda: migflows.hausman(fit("ppml"), fit("ppml")),
    InvalidOptionError,
    r"hausman\(\) takes two PanelResults \(fixed and",
)
case("hausman-ok", lambda: migflows.hausman(fit("fe"), fit("re")), OK)
case(
    "panel-res-conf-int",
    lambda: fit("fe").conf_int(0),
    InvalidOptionError,
    r"level=0 must be strictly between 0 and 1",
)
case(
    "panel-res-vcov",
    lambda: fit("fe").vcov("HC9"),
    InvalidOptionError,
    r"vcov='HC9' is not allowed for panel; use",
)

# ---------------------------------------------------------------- unit roots
UR = migflows.unit_root
case(
    "ur-test",
    lambda: UR(ts_frame(), "y", "kpss"),
    InvalidOptionError,
    r"test='kpss' is not supported; allowed: 'ips',",
)
case(
    "ur-variable",
    lambda: UR(ts_frame(), "nonsense"),
    MissingColumnError,
    r"variable 'nonsense' is not in the data;",
)
case(
    "ur-trend",
    lambda: UR(ts_frame(), "y", trend="quadratic"),
    InvalidOptionError,
    r"trend='quadratic' is not supported; allowed:",
)
case(
    "ur-lags-neg",
    lambda: UR(ts_frame(), "y", lags=-1),
    InvalidOptionError,
    r"lag orders must be non-negative integers, got",
)
case(
    "ur-lags-text",
    lambda: UR(ts_frame(), "y", lags="hqic"),
    InvalidOptionError,
    r"lags='hqic' is not supported; allowed: 'aic',",
)
case(
    "ur-too-short",
    lambda: UR(ts_frame(years=range(2000, 2004)), "y", lags=1),
    PanelStructureError,
    r"lags=1 with trend='c' needs at least 6",
)
case(
    "ur-one-region",
    lambda: UR(ts_frame(n_regions=1), "y"),
    PanelStructureError,
    r"a panel test needs at least 2 units, the data",
)
case(
    "ur-text-values",
    lambda: UR(ts_frame().assign(y="a"), "y"),
    NonNumericError,
    r"variable 'y' must be numeric; found 'a'\.",
)
case(
    "ur-nan-values",
    lambda: UR(ts_frame().assign(y=np.nan), "y"),
    MissingValueError,
    r"variable 'y' has 60 missing or infinite",
)
case(
    "ur-data-list",
    lambda: UR([1, 2, 3], "y"),
    PanelStructureError,
    r"data must be a pandas DataFrame with an",
)
case(
    "ur-ips-stat",
    lambda: UR(ts_frame(), "y", ips_stat="nonsense"),
    InvalidOptionError,
    r"ips_stat='nonsense' is not supported;",
)
case("ur-ok-ips", lambda: UR(ts_frame(), "y", lags=1), OK)
case("ur-ok-llc", lambda: UR(ts_frame(), "y", "llc", lags=1), OK)
case("ur-ok-hadri", lambda: UR(ts_frame(), "y", "hadri"), OK)
case("ur-ok-madwu", lambda: UR(ts_frame(), "y", "madwu", lags=1), OK)
case("ur-ok-choi", lambda: UR(ts_frame(), "y", "choi", lags=1), OK)
case("ur-ok-cips", lambda: UR(ts_frame(years=range(1990, 2015)), "y", "cips", lags=1), OK)
case(
    "ur-panel-gaps",
    lambda: UR(KZ, "wage", lags=0),
    PanelStructureError,
    r"1 unit\(s\) have gaps inside their series:",
)
case(
    "adf-variable",
    lambda: migflows.adf_by_region(ts_frame(), "nonsense"),
    MissingColumnError,
    r"variable 'nonsense' is not in the data;",
)
case(
    "adf-trend",
    lambda: migflows.adf_by_region(ts_frame(), "y", trend="x"),
    InvalidOptionError,
    r"trend='x' is not supported; allowed: 'none',",
)
case(
    "adf-lags",
    lambda: migflows.adf_by_region(ts_frame(), "y", lags=-3),
    InvalidOptionError,
    r"lags must be a non-negative integer or",
)
case("adf-ok", lambda: migflows.adf_by_region(ts_frame(), "y"), OK)
case(
    "kpss-variable",
    lambda: migflows.kpss_by_region(ts_frame(), "nonsense"),
    MissingColumnError,
    r"variable 'nonsense' is not in the data;",
)
case(
    "kpss-trend",
    lambda: migflows.kpss_by_region(ts_frame(), "y", trend="none"),
    InvalidOptionError,
    r"trend='none' is not supported; allowed: 'c',",
)
case(
    "kpss-nlags",
    lambda: migflows.kpss_by_region(ts_frame(), "y", nlags="x"),
    InvalidOptionError,
    r"nlags='x' is not allowed; use 'auto',",
)
case("kpss-ok", lambda: migflows.kpss_by_region(ts_frame(), "y"), OK)


# ---------------------------------------------------------------- forecast / backtest / scenario
def FC(*a, **k):
    return migflows.forecast(*a, **{"progress": False, "n_sims": 50, "random_seed": 0, **k})


case(
    "fc-method",
    lambda: FC(KZ, "prophet"),
    InvalidOptionError,
    r"method='prophet' is not a forecasting method;",
)
case(
    "fc-horizon-0",
    lambda: FC(KZ, "naive", 0),
    InvalidOptionError,
    r"horizon=0 must be a positive integer \(years\)\.",
)
case(
    "fc-horizon-float",
    lambda: FC(KZ, "naive", 1.5),
    InvalidOptionError,
    r"horizon=1\.5 must be a positive integer",
)
case(
    "fc-horizon-neg",
    lambda: FC(KZ, "naive", -2),
    InvalidOptionError,
    r"horizon=-2 must be a positive integer",
)
case("fc-level-scalar", lambda: FC(KZ, "naive", level=0.95), OK)
case(
    "fc-level-pct",
    lambda: FC(KZ, "naive", level=95),
    InvalidOptionError,
    r"level=95\.0 must lie strictly between 0 and 1,",
)
case(
    "fc-level-1",
    lambda: FC(KZ, "naive", level=(1.0,)),
    InvalidOptionError,
    r"level=1\.0 must lie strictly between 0 and 1,",
)
case(
    "fc-level-text",
    lambda: FC(KZ, "naive", level=("x",)),
    InvalidOptionError,
    r"level='x' must lie strictly between 0 and 1,",
)
case(
    "fc-nsims",
    lambda: FC(KZ, "naive", n_sims=3),
    InvalidOptionError,
    r"n_sims=3 must be an integer of at least 10\.",
)
case(
    "fc-target",
    lambda: FC(KZ, "naive", target="shares"),
    InvalidOptionError,
    r"target='shares' is not allowed; use 'counts'",
)
case(
    "fc-gaps",
    lambda: FC(KZ, "naive", gaps="ignore"),
    InvalidOptionError,
    r"gaps='ignore' is not allowed; use 'error',",
)
case(
    "fc-ets-irregular",
    lambda: FC(KZ, "ets"),
    PanelStructureError,
    r"method 'ets' needs a regular annual series,",
)
case("fc-ets-interpolate", lambda: FC(KZ, "ets", gaps="interpolate"), OK)
case(
    "fc-option",
    lambda: FC(KZ, "naive", bogus=1),
    InvalidOptionError,
    r"method 'naive' has no option\(s\) 'bogus';",
)
case(
    "fc-seed",
    lambda: FC(KZ, "naive", random_seed="x"),
    InvalidOptionError,
    r"random_seed='x' must be an integer, a numpy",
)
case(
    "fc-data",
    lambda: FC([1, 2], "naive"),
    InputTypeError,
    r"data must be a FlowPanel or a region-year",
)
case(
    "fc-one-year",
    lambda: FC(KZ.select(years=[2021]), "naive"),
    PanelStructureError,
    r"method 'naive' needs at least 2 observed",
)
case("fc-ensemble-default", lambda: FC(KZ, "ensemble", 1), OK)
case(
    "fc-ensemble-members",
    lambda: FC(KZ, "ensemble", 1, members=["ensemble"]),
    InvalidOptionError,
    r"ensemble members=\['ensemble'\]: give at least",
)
case(
    "fc-ensemble-weights",
    lambda: FC(KZ, "ensemble", 1, weights="magic"),
    InvalidOptionError,
    r"ensemble weights='magic'; use 'equal',",
)
case("fc-ok", lambda: FC(KZ, "drift"), OK)
case(
    "fc-conf-int-level",
    lambda: fit("fc").conf_int(2),
    InvalidOptionError,
    r"level=2 must lie strictly between 0 and 1,",
)
case(
    "fc-summary-variable",
    lambda: fit("fc").summary_frame(variable="nonsense"),
    InvalidOptionError,
    r"variable='nonsense' is not forecast by method",
)
case("fc-to-frame-ok", lambda: fit("fc").to_frame(), OK)


def BT(*a, **k):
    return migflows.backtest(*a, **{"progress": False, "n_sims": 20, "random_seed": 0, **k})


case(
    "bt-origins-late",
    lambda: BT(KZ, ["naive"], origins=[2024]),
    PanelStructureError,
    r"Unusable backtest origin\(s\): 2024: nothing",
)
case(
    "bt-origins-absent",
    lambda: BT(KZ, ["naive"], origins=[1999]),
    PanelStructureError,
    r"Unusable backtest origin\(s\): 1999: not an",
)
case(
    "bt-origins-zero",
    lambda: BT(KZ, ["naive"], origins=0),
    InvalidOptionError,
    r"origins=0 must be a positive integer or",
)
case(
    "bt-method",
    lambda: BT(KZ, ["prophet"], origins=[2021]),
    InvalidOptionError,
    r"method='prophet' is not a forecasting method;",
)
case(
    "bt-horizon",
    lambda: BT(KZ, ["naive"], origins=[2021], horizon=0),
    InvalidOptionError,
    r"horizon=0 must be a positive integer \(years\)\.",
)
case(
    "bt-methods-empty",
    lambda: BT(KZ, [], origins=[2021]),
    InvalidOptionError,
    r"methods is empty; give at least one method,",
)
case("bt-ok", lambda: BT(KZ, ["naive"], origins=[2020], horizon=1), OK)
case(
    "bt-summary-by",
    lambda: fit("bt").summary(by="nonsense"),
    InvalidOptionError,
    r"by=\['n', 'o', 'n', 's', 'e', 'n', 's', 'e'\]:",
)
SC = migflows.Scenario
W = pd.DataFrame({"region": ["abai"], "year": [2025], "factor": [1.1]})
case(
    "scen-empty",
    lambda: SC("empty"),
    DataValidationError,
    r"Scenario 'empty' changes nothing: give wages,",
)
case(
    "scen-neg",
    lambda: SC("s", wages=W.assign(factor=[-1.0])),
    DataValidationError,
    r"Scenario wages: values must be positive and",
)
case(
    "scen-zero",
    lambda: SC("s", wages=W.assign(factor=[0.0])),
    DataValidationError,
    r"Scenario wages: values must be positive and",
)
case(
    "scen-nan",
    lambda: SC("s", wages=W.assign(factor=[np.nan])),
    MissingValueError,
    r"Scenario wages: 1 missing value\(s\) at",
)
case(
    "scen-inf",
    lambda: SC("s", wages=W.assign(factor=[np.inf])),
    DataValidationError,
    r"Scenario wages: values must be positive and",
)
case(
    "scen-text",
    lambda: SC("s", wages=W.assign(factor=["x"])),
    NonNumericError,
    r"Scenario wages: values must be numeric, got",
)
case(
    "scen-col",
    lambda: SC("s", wages=W.rename(columns={"factor": "f"})),
    MissingColumnError,
    r"Scenario wages: the long table needs a",
)
case(
    "scen-dup",
    lambda: SC("s", wages=pd.concat([W, W])),
    DuplicateKeyError,
    r"Scenario wages: \(region, year\) repeated:",
)
case(
    "scen-year",
    lambda: SC("s", wages=W.assign(year=[2500])),
    YearRangeError,
    r"Scenario wages: year\(s\) 2500\.0 are not",
)
case(
    "scen-year-float",
    lambda: SC("s", wages=W.assign(year=[2025.5])),
    YearRangeError,
    r"Scenario wages: year\(s\) 2025\.5 are not",
)
case(
    "scen-shock-self",
    lambda: SC(
        "s",
        shocks=pd.DataFrame(
            {"origin": ["a"], "destination": ["a"], "year": [2025], "factor": [1.2]}
        ),
    ),
    DataValidationError,
    r"Scenario shocks: origin equals destination",
)
case("scen-ok", lambda: SC("s", wages=W), OK)
case(
    "fc-scenario-region",
    lambda: FC(KZ, "gravity", 1, scenario=SC("s", wages=W.assign(region=["atlantis"]))),
    MissingRegionError,
    r"Scenario 's' names 1 region\(s\) the data do",
)
case(
    "fc-scenario-year",
    lambda: FC(KZ, "gravity", 1, scenario=SC("s", wages=W.assign(year=[2030]))),
    YearRangeError,
    r"Scenario 's' has year\(s\) 2030 outside the",
)
case(
    "fc-scenario-not-scenario",
    lambda: FC(KZ, "gravity", 1, scenario={"wage": 1.1}),
    InputTypeError,
    r"scenario must be a migflows\.Scenario, got",
)


# ---------------------------------------------------------------- Bayes (construction only)
def BG(*a, **k):
    return migflows.bayes_gravity(*a, **{"sample": False, **k})


case(
    "bayes-family",
    lambda: BG("flow ~ log_dist | orig + dest", KZ21, family="gaussian"),
    InvalidOptionError,
    r"family='gaussian' is not available; use one",
)
case(
    "bayes-formula",
    lambda: BG("flow ~", KZ21),
    FormulaSyntaxError,
    r"cannot parse formula 'flow ~': expected a",
)
case(
    "bayes-unknown-var",
    lambda: BG("flow ~ nonsense | orig", KZ21),
    UnknownVariableError,
    r"Unknown variable 'nonsense'\. Derived",
)
case(
    "bayes-group",
    lambda: BG("flow ~ log_dist", KZ21, group_effects=["nonsense"]),
    FixedEffectError,
    r"group_effects names 'nonsense', which is not",
)
case(
    "bayes-prior-neg",
    lambda: BG("flow ~ log_dist | orig + dest", KZ21, priors={"beta": -1.0}),
    InvalidOptionError,
    r"Unknown prior 'beta'; the prior scales are",
)
case(
    "bayes-prior-unknown",
    lambda: BG("flow ~ log_dist | orig + dest", KZ21, priors={"nonsense": 1.0}),
    InvalidOptionError,
    r"Unknown prior 'nonsense'; the prior scales",
)
case(
    "bayes-param",
    lambda: BG("flow ~ log_dist | orig + dest", KZ21, parameterization="other"),
    InvalidOptionError,
    r"parameterization='other' is not allowed; use",
)
case(
    "bayes-option",
    lambda: BG("flow ~ log_dist | orig + dest", KZ21, bogus=1),
    InvalidOptionError,
    r"bayes_gravity\(\) got unknown option\(s\)",
)
case(
    "bayes-slopes",
    lambda: BG("flow ~ log_dist | orig + dest", KZ21, random_slopes={"nonsense": "orig"}),
    UnknownVariableError,
    r"random_slopes names 'nonsense', which is not",
)
case("bayes-ok", lambda: BG("flow ~ log_dist | orig + dest", KZ21), OK)

# ---------------------------------------------------------------- compare / presets / crosswalk
case(
    "compare-empty",
    lambda: migflows.compare([]),
    InvalidOptionError,
    r"compare\(\) needs at least one result\.",
)
case(
    "compare-not-results",
    lambda: migflows.compare([1, 2]),
    InvalidOptionError,
    r"Model '\(1\)' \(int\) has no params or lacks the",
)
case(
    "compare-level",
    lambda: migflows.compare([fit("ppml")], level=2),
    InvalidOptionError,
    r"level=2 must be strictly between 0 and 1",
)
case("compare-ok", lambda: migflows.compare({"a": fit("ppml"), "b": fit("ols")}), OK)
case(
    "compare-by",
    lambda: migflows.compare([fit("ppml")], by="aic"),
    InvalidOptionError,
    r"by='aic' is not allowed; use 'params' or 'elpd'",
)
case(
    "compare-elpd-ols",
    lambda: migflows.compare({"a": fit("ppml"), "b": fit("ols")}, by="elpd"),
    IncomparableModelsError,
    r"Model 'b' \(ols\) has no ELPD comparable with count models: log-OLS",
)
case(
    "compare-elpd-panel",
    lambda: migflows.compare([fit("ppml"), fit("fe")], by="elpd"),
    IncomparableModelsError,
    r"Model '\(2\)' \(PanelResults, estimator 'fe'\) has no known likelihood",
)
case("compare-elpd-ok", lambda: migflows.compare([fit("ppml")], by="elpd"), OK)
case(
    "preset-regional-option",
    lambda: presets.gravity_regional(KZ, bogus=1),
    InvalidOptionError,
    r"Unknown option\(s\) 'bogus' for",
)
case(
    "preset-regional-data",
    lambda: presets.gravity_regional([1]),
    InvalidOptionError,
    r"data must be a FlowPanel or a pandas",
)
case("preset-pair-ok", lambda: presets.gravity_pair(KZ2), OK)
case(
    "preset-structural-data",
    lambda: presets.gravity_structural("kz"),
    InvalidOptionError,
    r"data must be a FlowPanel or a pandas",
)
case(
    "preset-aldashev-option",
    lambda: presets.aldashev_dietz(KZ, bogus=1),
    InvalidOptionError,
    r"Unknown option\(s\) 'bogus' for",
)
case(
    "preset-abc-level",
    lambda: presets.an_becker_cheng(KZ, level="country"),
    InvalidOptionError,
    r"level='country' is not allowed; use 'pair' or",
)
case(
    "preset-abc-periods",
    lambda: presets.an_becker_cheng(KZ, periods={"a": (2030, 2040)}),
    InvalidOptionError,
    r"periods=\{'a': \(2030, 2040\)\}: give at least",
)
case(
    "preset-abc-tests",
    lambda: presets.an_becker_cheng(KZ, tests=["nonsense"]),
    InvalidOptionError,
    r"period 'boom' \(2000-2007\) contains none of",
)
case(
    "crosswalk-not-frame",
    lambda: migflows.Crosswalk([1, 2]),
    BoundaryError,
    r"A crosswalk table must be a DataFrame with",
)
case(
    "crosswalk-missing-cols",
    lambda: migflows.Crosswalk(pd.DataFrame({"x": [1]})),
    BoundaryError,
    r"A crosswalk table needs columns 'from_region'",
)
case(
    "crosswalk-neg-weight",
    lambda: migflows.Crosswalk(pd.DataFrame({"old": ["a"], "new": ["b"], "weight": [-1.0]})),
    BoundaryError,
    r"A crosswalk table needs columns 'from_region'",
)

# ---------------------------------------------------------------- reports
T = reports.table
case(
    "table-keep-regex",
    lambda: T([fit("ppml")], keep=["("]),
    InvalidOptionError,
    r"keep='\(' is not a regular expression \(missing",
)
case(
    "table-drop-regex",
    lambda: T([fit("ppml")], drop=["["]),
    InvalidOptionError,
    r"drop='\[' is not a regular expression",
)
case(
    "table-digits-neg",
    lambda: T([fit("ppml")], digits=-1),
    InvalidOptionError,
    r"digits=-1 must be a whole number from 0 to",
)
case(
    "table-digits-float",
    lambda: T([fit("ppml")], digits=2.5),
    InvalidOptionError,
    r"digits=2\.5 must be a whole number from 0 to",
)
case(
    "table-format",
    lambda: T([fit("ppml")], "pdf"),
    InvalidOptionError,
    r"format='pdf' is not allowed; use 'df',",
)
case(
    "table-uncertainty",
    lambda: T([fit("ppml")], uncertainty="variance"),
    InvalidOptionError,
    r"uncertainty='variance' is not allowed; use",
)
case(
    "table-level",
    lambda: T([fit("ppml")], uncertainty="conf_int", level=95),
    InvalidOptionError,
    r"level=95 must be strictly between 0 and 1",
)
case("table-empty", lambda: T([]), InvalidOptionError, r"table\(\) needs at least one result\.")
case(
    "table-not-results",
    lambda: T([1, 2]),
    InvalidOptionError,
    r"Model '\(1\)' \(int\) has no params or lacks the",
)
case(
    "table-keep-none-match",
    lambda: T([fit("ppml")], keep=["nonsense"]),
    InvalidOptionError,
    r"keep=\['nonsense'\] matches no coefficient;",
)
case("table-stats-unknown", lambda: T([fit("ppml")], stats=["nonsense"]), OK)
case(
    "table-stars-bad",
    lambda: T([fit("ppml")], stars=[(2.0, "*")]),
    InvalidOptionError,
    r"stars=\[\(2\.0, '\*'\)\]: give \(p-value threshold,",
)
case("table-ok", lambda: T({"a": fit("ppml"), "b": fit("ols")}), OK)
case("table-latex-ok", lambda: T([fit("ppml")], "latex"), OK)
case("table-keep-str", lambda: T([fit("ppml")], keep="log_dist"), OK)
case("regression-table-ok", lambda: reports.regression_table([fit("ppml")]), OK)
case(
    "coef-plot-empty",
    lambda: reports.coef_plot([]),
    InvalidOptionError,
    r"coef_plot\(\) needs at least one result\.",
)
case(
    "coef-plot-level",
    lambda: reports.coef_plot([fit("ppml")], level=2),
    InvalidOptionError,
    r"level=2 must be strictly between 0 and 1",
)
case("coef-plot-ok", lambda: reports.coef_plot([fit("ppml")]), OK)
case(
    "fit-plot-not-result",
    lambda: reports.fit_plot(5),
    InvalidOptionError,
    r"fit_plot\(\) needs a gravity result with fitted",
)
case("fit-plot-ok", lambda: reports.fit_plot(fit("ppml")), OK)
case(
    "flow-map-year",
    lambda: reports.flow_map(KZ, 1999),
    InvalidOptionError,
    r"year=1999 has no flows; available: \[2010,",
)
case(
    "flow-map-no-coords",
    lambda: reports.flow_map(ff(), 2020),
    MissingRegionError,
    r"flow_map needs admin-centre coordinates but",
)
case(
    "flow-map-top",
    lambda: reports.flow_map(KZ, 2021, top=0),
    InvalidOptionError,
    r"top=0 must be a positive integer\.",
)
case(
    "od-heatmap-year",
    lambda: reports.od_heatmap(KZ, 1999),
    InvalidOptionError,
    r"year=1999 has no flows; available: \[2010,",
)
case("od-heatmap-ok", lambda: reports.od_heatmap(KZ, 2021), OK)
case(
    "net-balance-plot-years",
    lambda: reports.net_balance_plot(KZ, years=[1999]),
    InvalidOptionError,
    r"years 1999 have no flows; available: \[2010,",
)
case(
    "net-balance-plot-rate-nopop",
    lambda: reports.net_balance_plot(ff(), rate=True),
    MissingRegionError,
    r"rate=True needs a 'population' attribute in",
)
case(
    "attractiveness-years",
    lambda: reports.attractiveness_plot(KZ, years=[1999]),
    InvalidOptionError,
    r"years 1999 have no flows; available: \[2010,",
)
case("national-totals-ok", lambda: reports.national_totals_plot(KZ), OK)
case(
    "national-totals-not-panel",
    lambda: reports.national_totals_plot(flows()),
    InputTypeError,
    r"panel must be a migflows\.FlowPanel \(e\.g\.",
)
case(
    "build-report-section",
    lambda: reports.build_report(KZ21, TMP / "r.html", sections=["nonsense"]),
    InvalidOptionError,
    r"Unknown report section 'nonsense'; available:",
)
case(
    "build-report-panel",
    lambda: reports.build_report([1], TMP / "r.html", sections=["overview"]),
    InputTypeError,
    r"panel must be a migflows\.FlowPanel or None",
)
case(
    "build-report-out-dir",
    lambda: reports.build_report(KZ21, TMP, sections=["overview"], progress=False),
    InvalidOptionError,
    r"out='.*' is a directory; give a",
)
case(
    "build-report-ok",
    lambda: reports.build_report(KZ21, TMP / "r.html", sections=["overview"], progress=False),
    OK,
)


# ---------------------------------------------------------------- after the first catalogue
# Wald/t tests on results, the wild and score bootstraps, predict(se=True), IV formulas, the
# out-of-core backends, Bayes pooled slopes, load_kazakhstan_regions and the forecasts at
# fixed parameters (the second table of the module docstring).
F_REG = "flow ~ log_dist + log_wage_ratio | orig + dest + year"
NOT_PARQUET = write("not_parquet.csv", "a,b\n1,2\n")
NO_PARQUET_DIR = TMP / "no_parquet"
NO_PARQUET_DIR.mkdir(exist_ok=True)
_INF: dict[str, Any] = {}


def _inf(key: str) -> Any:
    """Fits for the inference cases (clustered by origin where a bootstrap needs it)."""
    if key not in _INF:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _INF[key] = {
                "ppml": lambda: migflows.gravity(F_REG, KZ2, vcov={"CRV1": "orig"}),
                "ols": lambda: migflows.gravity(F_REG, KZ2, estimator="ols", vcov={"CRV1": "orig"}),
                "nb": lambda: migflows.gravity(
                    "flow ~ log_dist | orig + dest", KZ21, estimator="negbin"
                ),
                "fe": lambda: migflows.panel(
                    "net_rate ~ unemployment + log_rel_grp_pc | entity + time", KZ
                ),
            }[key]()
    return _INF[key]


case(
    "wald-unknown",
    lambda: _inf("ppml").wald_test("nonexistent = 0"),
    migflows.errors.UnknownVariableError,
    r"restriction 'nonexistent = 0': 'nonexistent' is ",
)
case(
    "wald-empty-side",
    lambda: _inf("ppml").wald_test("log_dist = "),
    migflows.errors.FormulaSyntaxError,
    r"restriction 'log_dist =': one side of '=' is emp",
)
case(
    "wald-two-eq",
    lambda: _inf("ppml").wald_test("log_dist = 1 = 2"),
    migflows.errors.FormulaSyntaxError,
    r"restriction 'log_dist = 1 = 2' has more than one",
)
case(
    "wald-duplicate",
    lambda: _inf("ppml").wald_test("log_dist = -1, log_dist = -1"),
    migflows.errors.InvalidOptionError,
    r"the 2 restrictions are linearly dependent \(or in",
)
case(
    "wald-singular",
    lambda: _inf("ppml").wald_test(
        "log_dist + log_wage_ratio = 0, 2*log_dist + 2*log_wage_ratio = 0"
    ),
    migflows.errors.InvalidOptionError,
    r"the 2 restrictions are linearly dependent \(or in",
)
case(
    "wald-matrix-width",
    lambda: _inf("ppml").wald_test(np.ones((1, 5))),
    migflows.errors.InvalidOptionError,
    r"the restriction matrix has 5 columns for 2 param",
)
case(
    "wald-q-length",
    lambda: _inf("ppml").wald_test(np.eye(2), value=[1, 2, 3]),
    migflows.errors.InvalidOptionError,
    r"value has 3 entries for 2 restrictions; they mus",
)
case(
    "wald-neither",
    lambda: _inf("ppml").wald_test(),
    migflows.errors.InvalidOptionError,
    r"give either restriction= \(a matrix or text\) or f",
)
case(
    "wald-both",
    lambda: _inf("ppml").wald_test("log_dist = 0", formula="log_dist = 0"),
    migflows.errors.InvalidOptionError,
    r"give either restriction= \(a matrix or text\) or f",
)
case(
    "wald-text-rhs",
    lambda: _inf("ppml").wald_test("log_dist = x"),
    migflows.errors.UnknownVariableError,
    r"restriction 'log_dist = x': 'x' is not a paramet",
)
case(
    "wald-dist",
    lambda: _inf("ppml").wald_test("log_dist = 0", distribution="t"),
    migflows.errors.InvalidOptionError,
    r"distribution='t'; use 'chi2' or 'F'",
)
case(
    "wald-int",
    lambda: _inf("ppml").wald_test(42),
    migflows.errors.InvalidOptionError,
    r"the restriction matrix has 1 columns for 2 param",
)
case(
    "wald-blank",
    lambda: _inf("ppml").wald_test(""),
    migflows.errors.FormulaSyntaxError,
    r"the restriction is empty; write e\.g\. 'log_dist =",
)
case(
    "wald-product",
    lambda: _inf("ppml").wald_test("log_dist * log_wage_ratio = 0"),
    migflows.errors.FormulaSyntaxError,
    r"restriction 'log_dist \* log_wage_ratio = 0': a p",
)
case(
    "wald-inf",
    lambda: _inf("ppml").wald_test("log_dist = inf"),
    migflows.errors.UnknownVariableError,
    r"restriction 'log_dist = inf': 'inf' is not a par",
)
case(
    "wald-nan-matrix",
    lambda: _inf("ppml").wald_test(np.array([[np.nan, 1.0]])),
    migflows.errors.InvalidOptionError,
    r"the restriction matrix and value= must be finite",
)
case(
    "wald-frame-cols",
    lambda: _inf("ppml").wald_test(pd.DataFrame([[1.0, 0.0]], columns=["a", "b"])),
    migflows.errors.UnknownVariableError,
    r"restriction columns \['a', 'b'\] are not parameter",
)
case(
    "wald-paren",
    lambda: _inf("ppml").wald_test("(log_dist = 0"),
    migflows.errors.UnknownVariableError,
    r"restriction '\(log_dist = 0': '\(log_dist' is not ",
)
case("wald-ok", lambda: _inf("ppml").wald_test("log_dist = -1, log_wage_ratio = 0"), OK)
case(
    "wald-panel-unknown",
    lambda: _inf("fe").wald_test("entity = 0"),
    migflows.errors.UnknownVariableError,
    r"restriction 'entity = 0': 'entity' is not a para",
)
case("wald-panel-ok", lambda: _inf("fe").wald_test("unemployment = 0"), OK)
case(
    "ttest-unknown",
    lambda: _inf("ppml").t_test("nonexistent"),
    migflows.errors.UnknownVariableError,
    r"restriction 'nonexistent': 'nonexistent' is not ",
)
case(
    "ttest-level",
    lambda: _inf("ppml").t_test("log_dist", level=1.5),
    migflows.errors.InvalidOptionError,
    r"level=1\.5 must be strictly between 0 and 1",
)
case(
    "ttest-level-text",
    lambda: _inf("ppml").t_test("log_dist", level="a"),
    migflows.errors.InvalidOptionError,
    r"level='a' must be strictly between 0 and 1",
)
case(
    "ttest-none",
    lambda: _inf("ppml").t_test(None),
    migflows.errors.InvalidOptionError,
    r"the restriction matrix and value= must be finite",
)
case("ttest-ok", lambda: _inf("ppml").t_test("log_dist + log_wage_ratio"), OK)
case(
    "wb-reps-zero",
    lambda: _inf("ols").wild_bootstrap("log_dist = -1", reps=0),
    migflows.errors.InvalidOptionError,
    r"reps=0; give an integer of at least 99 \(e\.g\. 999",
)
case(
    "wb-reps-neg",
    lambda: _inf("ols").wild_bootstrap("log_dist = -1", reps=-5),
    migflows.errors.InvalidOptionError,
    r"reps=\-5; give an integer of at least 99 \(e\.g\. 99",
)
case(
    "wb-reps-float",
    lambda: _inf("ols").wild_bootstrap("log_dist = -1", reps=2.5),
    migflows.errors.InvalidOptionError,
    r"reps=2\.5; give an integer of at least 99 \(e\.g\. 9",
)
case(
    "wb-reps-bool",
    lambda: _inf("ols").wild_bootstrap("log_dist = -1", reps=True),
    migflows.errors.InvalidOptionError,
    r"reps=True; give an integer of at least 99 \(e\.g\. ",
)
case(
    "wb-weights",
    lambda: _inf("ols").wild_bootstrap("log_dist = -1", weights="normal", reps=99),
    migflows.errors.InvalidOptionError,
    r"weights='normal' is not allowed; use 'rademacher",
)
case(
    "wb-level",
    lambda: _inf("ols").wild_bootstrap("log_dist = -1", level=2, reps=99),
    migflows.errors.InvalidOptionError,
    r"level=2 must be strictly between 0 and 1",
)
case(
    "wb-cluster",
    lambda: _inf("ols").wild_bootstrap("log_dist = -1", cluster="nonexistent", reps=99),
    migflows.errors.MissingColumnError,
    r"cannot cluster by \['nonexistent'\]: the result on",
)
case(
    "wb-two",
    lambda: _inf("ols").wild_bootstrap("log_dist = -1, log_wage_ratio = 0", reps=99),
    migflows.errors.InvalidOptionError,
    r"the bootstrap tests one restriction at a time; g",
)
case(
    "wb-unknown",
    lambda: _inf("ols").wild_bootstrap("nonexistent = 0", reps=99),
    migflows.errors.UnknownVariableError,
    r"restriction 'nonexistent = 0': 'nonexistent' is ",
)
case(
    "wb-seed",
    lambda: _inf("ols").wild_bootstrap("log_dist = -1", reps=99, random_seed="abc"),
    migflows.errors.InvalidOptionError,
    r"random_seed='abc' must be an integer, a numpy Ge",
)
case(
    "wb-no-cluster",
    lambda: _inf("ols").vcov("hetero").wild_bootstrap("log_dist = -1", reps=99),
    migflows.errors.InvalidOptionError,
    r"the covariance is hetero, not clustered; pass cl",
)
case("wb-restriction-list", lambda: _inf("ols").wild_bootstrap(["log_dist = -1"], reps=99), OK)
case("wb-ok", lambda: _inf("ols").wild_bootstrap("log_dist = -1", reps=99, random_seed=1), OK)
case(
    "wb-nb-ok",
    lambda: (
        _inf("nb").vcov({"CRV1": "orig"}).wild_bootstrap("log_dist = -1", reps=99, random_seed=1)
    ),
    OK,
)
case(
    "wb-ppml-cluster-three",
    lambda: _inf("ppml").wild_bootstrap("log_dist = -1", cluster="orig+dest+year", reps=99),
    migflows.errors.InvalidOptionError,
    r"vcov=\{'CRV1': 'orig\+dest\+year'\}: give one or two",
)
case(
    "pred-se-level0",
    lambda: _inf("ppml").predict(se=True, level=0),
    migflows.errors.InvalidOptionError,
    r"level=0 must be strictly between 0 and 1",
)
case(
    "pred-se-level-big",
    lambda: _inf("ppml").predict(se=True, level=1.2),
    migflows.errors.InvalidOptionError,
    r"level=1\.2 must be strictly between 0 and 1",
)
case(
    "pred-se-level-text",
    lambda: _inf("ppml").predict(se=True, level="x"),
    migflows.errors.InvalidOptionError,
    r"level='x' must be strictly between 0 and 1",
)
case(
    "pred-se-newdata",  # new rows with levels the fit estimated: supported (issue 12)
    lambda: _inf("ppml").predict(KZ21, se=True),
    OK,
)
case(
    "pred-se-unseen-year",  # a year (fixed-effect level) the fit did not estimate
    lambda: _inf("ppml").predict(KZ.select(years=[2023]), se=True),
    migflows.errors.UnseenLevelError,
    r"2023",
)
case(
    "pred-se-link",
    lambda: _inf("ppml").predict(se=True, kind="link"),
    migflows.errors.InvalidOptionError,
    r"se=True gives standard errors of the fitted flow",
)
case(
    "pred-se-negbin",
    lambda: _inf("nb").predict(se=True),
    migflows.errors.InvalidOptionError,
    r"standard errors of predictions are available for",
)
case(
    "pred-se-text",
    lambda: _inf("ppml").predict(se="yes"),
    migflows.errors.InvalidOptionError,
    r"se='yes' must be True or False\.",
)
case(
    "pred-kind",
    lambda: _inf("ppml").predict(kind="log"),
    migflows.errors.InvalidOptionError,
    r"kind='log' is not allowed; use 'response' or 'li",
)
case("pred-se-ok", lambda: _inf("ppml").predict(se=True), OK)
case(
    "iv-empty-instr",
    lambda: migflows.panel("net_rate ~ unemployment | entity | log_rel_grp_pc ~ ", KZ),
    migflows.errors.FormulaSyntaxError,
    r"cannot parse formula 'net_rate \~ unemployment \| ",
)
case(
    "iv-empty-endog",
    lambda: migflows.panel("net_rate ~ unemployment | entity | ~ log_wage", KZ),
    migflows.errors.FormulaSyntaxError,
    r"cannot parse formula 'net_rate \~ unemployment \| ",
)
case(
    "iv-self-instr",
    lambda: migflows.panel(
        "net_rate ~ unemployment | entity | log_rel_grp_pc ~ log_rel_grp_pc", KZ
    ),
    migflows.errors.FormulaSyntaxError,
    r"regressor\(s\) 'log_rel_grp_pc' appear twice\.",
)
case(
    "iv-four-parts",
    lambda: migflows.panel("net_rate ~ unemployment | entity | a ~ b | c", KZ),
    migflows.errors.FormulaSyntaxError,
    r"cannot parse formula 'net_rate \~ unemployment \| ",
)
case(
    "iv-method",
    lambda: migflows.panel(
        "net_rate ~ unemployment | entity | log_rel_grp_pc ~ log(wage)", KZ, iv="gmm"
    ),
    migflows.errors.InvalidOptionError,
    r"iv='gmm' is not allowed; use one of \['2sls', 'li",
)
case(
    "iv-unknown-endog",
    lambda: migflows.panel("net_rate ~ unemployment | entity | nonexistent ~ log(wage)", KZ),
    migflows.errors.UnknownVariableError,
    r"The formula names 'nonexistent', which is not a ",
)
case(
    "iv-unknown-instr",
    lambda: migflows.panel("net_rate ~ unemployment | entity | log_rel_grp_pc ~ nonexistent", KZ),
    migflows.errors.UnknownVariableError,
    r"The formula names 'nonexistent', which is not a ",
)
case(
    "iv-underidentified",
    lambda: migflows.panel("net_rate ~ 1 | entity | unemployment + log_rel_grp_pc ~ log(wage)", KZ),
    migflows.errors.FormulaSyntaxError,
    r"cannot parse formula 'net_rate \~ 1 \| entity \| un",
)
case(
    "iv-re",
    lambda: migflows.panel(
        "net_rate ~ unemployment | entity | log_rel_grp_pc ~ log(wage)", KZ, "re"
    ),
    migflows.errors.InvalidOptionError,
    r"instruments go with estimator='fe' \(effects as d",
)
case(
    "iv-gravity",
    lambda: migflows.gravity("flow ~ log_dist | orig + dest | log_wage_ratio ~ log_pop_o", KZ21),
    migflows.errors.ModelSpecificationError,
    r"gravity\(\) does not estimate instrumental\-variabl",
)
case(
    "iv-no-tilde",
    lambda: migflows.panel("net_rate ~ unemployment | entity | log_rel_grp_pc", KZ),
    migflows.errors.FormulaSyntaxError,
    r"cannot parse formula 'net_rate \~ unemployment \| ",
)
case(
    "iv-ok",
    lambda: migflows.panel("net_rate ~ unemployment | entity | log_rel_grp_pc ~ log(wage)", KZ),
    OK,
)
case(
    "backend-unknown",
    lambda: migflows.gravity(F_REG, KZ2, backend="spark"),
    migflows.errors.InvalidOptionError,
    r"backend='spark' is not allowed; use one of \('mem",
)
case(
    "backend-chunked-panel",
    lambda: migflows.gravity("flow ~ log_dist | orig + dest", KZ21, backend="chunked"),
    migflows.errors.InvalidOptionError,
    r"backend='chunked' needs a pandas DataFrame",
)
case(
    "backend-chunked-rows0",
    lambda: migflows.gravity(
        "flow ~ x | o + d",
        pd.DataFrame(
            {"flow": [1.0, 2, 3, 4], "x": [1.0, 2, 3, 4], "o": list("aabb"), "d": list("abab")}
        ),
        backend="chunked",
        chunk_rows=0,
    ),
    migflows.errors.InvalidOptionError,
    r"chunk_rows=0 must be a positive integer",
)
case(
    "backend-chunked-rows-text",
    lambda: migflows.gravity(
        "flow ~ x | o + d",
        pd.DataFrame(
            {"flow": [1.0, 2, 3, 4], "x": [1.0, 2, 3, 4], "o": list("aabb"), "d": list("abab")}
        ),
        backend="chunked",
        chunk_rows="10",
    ),
    migflows.errors.InvalidOptionError,
    r"chunk_rows='10' must be a positive integer",
)
case(
    "backend-parquet-missing",
    lambda: migflows.gravity("flow ~ x | o + d", str(TMP / "none.parquet"), backend="parquet"),
    migflows.errors.InputFileError,
    r"backend='parquet' cannot read ",
)
case(
    "backend-parquet-csv",
    lambda: migflows.gravity("flow ~ x | o + d", str(NOT_PARQUET), backend="parquet"),
    migflows.errors.InputFileError,
    r"backend='parquet' cannot read ",
)
case(
    "backend-parquet-frame",
    lambda: migflows.gravity("flow ~ x | o + d", pd.DataFrame({"flow": [1.0]}), backend="parquet"),
    migflows.errors.InvalidOptionError,
    r"backend='parquet' needs the Parquet path as data",
)
case(
    "backend-parquet-emptydir",
    lambda: migflows.gravity("flow ~ x | o + d", str(NO_PARQUET_DIR), backend="parquet"),
    migflows.errors.InputFileError,
    r"backend='parquet' cannot read ",
)
case(
    "backend-dask-noclient",
    lambda: migflows.gravity("flow ~ x | o + d", pd.DataFrame({"flow": [1.0]}), backend="dask"),
    migflows.errors.InvalidOptionError,
    r"backend='dask' needs client=dask\.distributed\.Cli",
)
case(
    "backend-dask-badclient",
    lambda: migflows.gravity(
        "flow ~ x | o + d", pd.DataFrame({"flow": [1.0]}), backend="dask", client="localhost"
    ),
    migflows.errors.InvalidOptionError,
    r"backend='dask' needs client=dask\.distributed\.Cli",
)
case(
    "backend-ols",
    lambda: migflows.gravity(
        "flow ~ x | o + d", pd.DataFrame({"flow": [1.0]}), estimator="ols", backend="chunked"
    ),
    migflows.errors.InvalidOptionError,
    r"Unknown option\(s\) 'backend' for estimator='ols';",
)
case(
    "backend-chunked-missing-col",
    lambda: migflows.gravity(
        "flow ~ x | o + d",
        pd.DataFrame({"flow": [1.0, 2], "o": ["a", "b"], "d": ["a", "b"]}),
        backend="chunked",
    ),
    migflows.errors.MissingColumnError,
    r"column\(s\) \['x'\] are not in the DataFrame; availa",
)
case(
    "backend-chunked-log",
    lambda: migflows.gravity(
        "flow ~ log(x) | o + d",
        pd.DataFrame({"flow": [1.0, 2], "x": [1.0, 2], "o": ["a", "b"], "d": ["a", "b"]}),
        backend="chunked",
    ),
    migflows.errors.ModelSpecificationError,
    r"backend='chunked' takes plain columns as regress",
)
case(
    "backend-chunked-nofe",
    lambda: migflows.gravity(
        "flow ~ x", pd.DataFrame({"flow": [1.0, 2], "x": [1.0, 2]}), backend="chunked"
    ),
    migflows.errors.ModelSpecificationError,
    r"backend='chunked' needs at least one fixed effec",
)
case(
    "backend-chunked-negative",
    lambda: migflows.gravity(
        "flow ~ x | o + d",
        pd.DataFrame(
            {"flow": [-1.0, 2, 3, 4], "x": [1.0, 2, 3, 5], "o": list("aabb"), "d": list("abab")}
        ),
        backend="chunked",
    ),
    migflows.errors.NegativeFlowError,
    r"column 'flow' has 1 negative value\(s\) in this ch",
)
case(
    "backend-chunked-nan",
    lambda: migflows.gravity(
        "flow ~ x | o + d",
        pd.DataFrame(
            {"flow": [np.nan, 2, 3, 4], "x": [1.0, 2, 3, 5], "o": list("aabb"), "d": list("abab")}
        ),
        backend="chunked",
    ),
    migflows.errors.MissingValueError,
    r"column\(s\) \['flow'\] hold missing or infinite valu",
)
case(
    "backend-chunked-text",
    lambda: migflows.gravity(
        "flow ~ x | o + d",
        pd.DataFrame(
            {
                "flow": ["1", "2", "3", "4"],
                "x": [1.0, 2, 3, 5],
                "o": list("aabb"),
                "d": list("abab"),
            }
        ),
        backend="chunked",
    ),
    migflows.errors.NonNumericError,
    r"column\(s\) \['flow'\] are not numeric \(dtype str\); ",
)
case(
    "bayes-pooled-unknown",
    lambda: BG("flow ~ log_dist | orig + dest", KZ2, pooled_slopes={"nonexistent": "period"}),
    migflows.errors.UnknownVariableError,
    r"pooled_slopes names 'nonexistent', which is not ",
)
case(
    "bayes-pooled-group",
    lambda: BG("flow ~ log_dist | orig + dest", KZ2, pooled_slopes={"log_dist": "nonsense"}),
    migflows.errors.FixedEffectError,
    r"pooled_slopes groups 'log_dist' by 'nonsense', w",
)
case(
    "bayes-pooled-str",
    lambda: BG("flow ~ log_dist | orig + dest", KZ2, pooled_slopes="log_dist"),
    migflows.errors.InputTypeError,
    r"pooled_slopes='log_dist' must map a regressor to",
)
case(
    "bayes-pooled-one-period",
    lambda: BG("flow ~ log_dist | orig + dest", KZ21, pooled_slopes={"log_dist": "period"}),
    migflows.errors.ModelSpecificationError,
    r"pooled_slopes=\{'log_dist': 'period'\} needs at le",
)
case(
    "bayes-pooled-both",
    lambda: BG(
        "flow ~ log_dist | orig + dest",
        KZ2,
        pooled_slopes={"log_dist": "period"},
        random_slopes={"log_dist": "period"},
    ),
    migflows.errors.ModelSpecificationError,
    r"Give either random_slopes or pooled_slopes \(the ",
)
case(
    "bayes-pooled-list",
    lambda: BG("flow ~ log_dist | orig + dest", KZ2, pooled_slopes=["log_dist"]),
    migflows.errors.InputTypeError,
    r"pooled_slopes=\['log_dist'\] must map a regressor ",
)
case(
    "bayes-pooled-value-int",
    lambda: BG("flow ~ log_dist | orig + dest", KZ2, pooled_slopes={"log_dist": 3}),
    migflows.errors.FixedEffectError,
    r"pooled_slopes groups 'log_dist' by 3, which is n",
)
case("lkr-years-str", lambda: migflows.load_kazakhstan_regions(years="2005"), OK)
case(
    "lkr-years-empty",
    lambda: migflows.load_kazakhstan_regions(years=[]),
    migflows.errors.InvalidOptionError,
    r"years=\[\] must be whole years \(e\.g\. range\(2000, 2",
)
case(
    "lkr-window-neg",
    lambda: migflows.load_kazakhstan_regions(window=-2),
    migflows.errors.InvalidOptionError,
    r"window=\-2 must be a whole number of years, at le",
)
case(
    "lkr-window-float",
    lambda: migflows.load_kazakhstan_regions(window=2.5),
    migflows.errors.InvalidOptionError,
    r"window=2\.5 must be a whole number of years, at l",
)
case(
    "lkr-periods-list",
    lambda: migflows.load_kazakhstan_regions(periods=[(2000, 2005)]),
    migflows.errors.InvalidOptionError,
    r"periods=\[\(2000, 2005\)\] must map a label to \(firs",
)
case(
    "lkr-periods-overlap",
    lambda: migflows.load_kazakhstan_regions(periods={"a": (2000, 2008), "b": (2005, 2010)}),
    migflows.errors.InvalidOptionError,
    r"periods 'a' \(2000\-2008\) and 'b' \(from 2005\) over",
)
case("ets-fixed-ok", lambda: ets_fixed([1.0, 2, 3, 4, 5], {"alpha": 0.5, "l": 1.0}), OK)
case(
    "ets-fixed-missing",
    lambda: ets_fixed([1.0, 2, 3, 4, 5], {"alpha": 0.5}),
    migflows.errors.InvalidOptionError,
    r"params lacks 'l': every parameter and initial st",
)
case(
    "ets-fixed-bool",
    lambda: ets_fixed([1.0, 2, 3, 4, 5], {"alpha": True, "l": 1.0}),
    migflows.errors.InvalidOptionError,
    r"params\['alpha'\]=True must be a number\.",
)
case(
    "ets-fixed-text-series",
    lambda: ets_fixed(["a", "b", "c", "d", "e"], {"alpha": 0.5, "l": 1.0}),
    migflows.errors.NonNumericError,
    r"y must be numeric: could not convert string to f",
)
case(
    "ets-fixed-2d",
    lambda: ets_fixed(np.ones((3, 3)), {"alpha": 0.5, "l": 1.0}),
    migflows.errors.InputTypeError,
    r"y must be one\-dimensional; got shape \(3, 3\)\.",
)
case(
    "ets-fixed-empty",
    lambda: ets_fixed([], {"alpha": 0.5, "l": 1.0, "sigma2": 1.0}),
    migflows.errors.MissingValueError,
    r"y has 0 value\(s\); a forecast from a filtered ser",
)
case(
    "ets-fixed-horizon-float",
    lambda: ets_fixed([1.0, 2, 3, 4, 5], {"alpha": 0.5, "l": 1.0}, horizon=2.0),
    migflows.errors.InvalidOptionError,
    r"horizon=2\.0 must be a positive integer\.",
)
case(
    "ets-fixed-beta-gt-alpha",
    lambda: ets_fixed(
        [1.0, 2, 3, 4, 5, 6, 7], {"alpha": 0.2, "beta": 0.5, "l": 1.0, "b": 1.0}, trend="add"
    ),
    migflows.errors.InvalidOptionError,
    r"ETS parameters must satisfy 0 < alpha <= 1, 0 <=",
)
case(
    "ets-fixed-trend-params-without-trend",
    lambda: ets_fixed([1.0, 2, 3, 4, 5], {"alpha": 0.5, "l": 1.0, "beta": 0.1}),
    migflows.errors.InvalidOptionError,
    r"params has 'beta', which this ETS model does not",
)
case(
    "ets-fixed-conf-level",
    lambda: ets_fixed([1.0, 2, 3, 4, 5], {"alpha": 0.5, "l": 1.0}).conf_int(95),
    migflows.errors.InvalidOptionError,
    r"level=95 must lie strictly between 0 and 1, e\.g\.",
)
case(
    "ets-fixed-series-nonint-index",
    lambda: ets_fixed(pd.Series([1.0, 2, 3, 4, 5], index=list("abcde")), {"alpha": 0.5, "l": 1.0}),
    OK,
)
case(
    "arima-fixed-ok",
    lambda: arima_fixed([1.0, 1.4, 0.9, 1.2, 1.1], {"ar1": 0.5, "intercept": 1.2}),
    OK,
)
case(
    "arima-fixed-nonstationary",
    lambda: arima_fixed([1.0, 1.4, 0.9, 1.2, 1.1], {"ar1": 1.5, "intercept": 1.2}),
    migflows.errors.InvalidOptionError,
    r"the AR coefficients 1\.5 are not stationary \(a ro",
)
case(
    "arima-fixed-unit-root",
    lambda: arima_fixed([1.0, 1.4, 0.9, 1.2, 1.1], {"ar1": 1.0, "intercept": 1.2}),
    migflows.errors.InvalidOptionError,
    r"the AR coefficients 1\.0 are not stationary \(a ro",
)
case(
    "arima-fixed-order-bool",
    lambda: arima_fixed([1.0, 1.4, 0.9, 1.2, 1.1], {"ar1": 0.5}, order=(True, 0, 0)),
    migflows.errors.InvalidOptionError,
    r"order=\(True, 0, 0\) must be three non\-negative in",
)
case(
    "arima-fixed-order-str",
    lambda: arima_fixed([1.0, 1.4, 0.9, 1.2, 1.1], {"ar1": 0.5}, order="100"),
    migflows.errors.InvalidOptionError,
    r"order='100' must be three non\-negative integers ",
)
case(
    "arima-fixed-d-too-big",
    lambda: arima_fixed([1.0, 1.4], {}, order=(0, 2, 0)),
    migflows.errors.MissingValueError,
    r"y has 2 values; differencing d=2 needs more\.",
)
case(
    "arima-fixed-sigma2-zero",
    lambda: arima_fixed([1.0, 1.4, 0.9, 1.2, 1.1], {"ar1": 0.5, "intercept": 1.2, "sigma2": 0}),
    migflows.errors.InvalidOptionError,
    r"params\['sigma2'\]=0\.0 must be positive\.",
)
case(
    "arima-fixed-extra",
    lambda: arima_fixed([1.0, 1.4, 0.9, 1.2, 1.1], {"ar1": 0.5, "intercept": 1.2, "drift": 0.1}),
    migflows.errors.InvalidOptionError,
    r"params has 'drift', which ARIMA\(1, 0, 0\) with a ",
)
case("arima-fixed-rw", lambda: arima_fixed([1.0, 1.4, 0.9, 1.2, 1.1], {}, order=(0, 1, 0)), OK)
case(
    "arima-fixed-nan",
    lambda: arima_fixed([1.0, np.nan, 0.9, 1.2, 1.1], {"ar1": 0.5, "intercept": 1.2}),
    migflows.errors.MissingValueError,
    r"y has 1 missing or infinite value\(s\) of 5; the f",
)


def _public_functions() -> set[str]:
    # FlowPanel is covered through its methods (from_frame, select, ...) below
    skip = ("__version__", "errors", "presets", "reports", "FlowPanel")
    names = {n for n in migflows.__all__ if n not in skip}
    names |= {n for n in ("table", "regression_table", "build_report", "coef_plot", "fit_plot",
                          "flow_map", "national_totals_plot", "net_balance_plot", "od_heatmap",
                          "attractiveness_plot")}  # fmt: skip
    names |= {"gravity_regional", "gravity_pair", "gravity_structural", "aldashev_dietz",
              "an_becker_cheng"}  # fmt: skip
    names |= {"from_frame", "select", "complete", "assign", "covariates", "to_matrix", "indices",
              "harmonize", "complete_years", "check_quality", "balances", "coverage"}  # fmt: skip
    # results methods and the forecasts at fixed parameters (migflows.estimation.forecast)
    names |= {"wald_test", "t_test", "wild_bootstrap", "predict", "ets_fixed", "arima_fixed"}
    return names


PREFIX = {
    "ff": "from_frame", "select": "select", "complete": "complete", "assign": "assign",
    "covariates": "covariates", "to-matrix": "to_matrix", "indices": "indices",
    "harmonize": "harmonize", "complete-years": "complete_years",
    "check-quality": "check_quality", "balances": "balances", "coverage": "coverage",
    "lk": "load_kazakhstan", "kazakhstan-regions": "kazakhstan_regions",
    "lkr": "load_kazakhstan_regions",
    "rom": "read_od_matrix", "g": "gravity", "res": "gravity", "sim": "sim", "panel": "panel",
    "hausman": "hausman", "ur": "unit_root", "adf": "adf_by_region", "kpss": "kpss_by_region",
    "fc": "forecast", "bt": "backtest", "scen": "Scenario", "bayes": "bayes_gravity",
    "compare": "compare", "preset-regional": "gravity_regional", "preset-pair": "gravity_pair",
    "preset-structural": "gravity_structural", "preset-aldashev": "aldashev_dietz",
    "preset-abc": "an_becker_cheng", "crosswalk": "Crosswalk", "table": "table",
    "regression-table": "regression_table", "coef-plot": "coef_plot", "fit-plot": "fit_plot",
    "flow-map": "flow_map", "od-heatmap": "od_heatmap", "net-balance-plot": "net_balance_plot",
    "attractiveness": "attractiveness_plot", "national-totals": "national_totals_plot",
    "build-report": "build_report", "flows": "from_frame",
    "wald": "wald_test", "ttest": "t_test", "wb": "wild_bootstrap", "pred": "predict",
    "iv": "panel", "backend": "gravity", "ets-fixed": "ets_fixed", "arima-fixed": "arima_fixed",
}  # fmt: skip


def _function_of(case_id: str) -> str:
    best = max((p for p in PREFIX if case_id == p or case_id.startswith(p + "-")), key=len)
    return PREFIX[best]


def test_catalogue_size_and_coverage() -> None:
    assert len(CASES) >= 250
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    covered = {_function_of(c.id) for c in CASES}
    assert _public_functions() <= covered, sorted(_public_functions() - covered)
    refused = [c for c in CASES if c.expect != OK]
    # every refusal is a named migflows exception but setting an attribute of a result
    # (Python's AttributeError for read-only objects)
    assert all(issubclass(c.expect, MigflowsError) for c in refused if c.id != "res-setattr")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if case.expect == OK:
                case.call()
            else:
                assert isinstance(case.expect, type)
                with pytest.raises(case.expect, match=case.match):
                    case.call()
        finally:
            matplotlib.pyplot.close("all")
