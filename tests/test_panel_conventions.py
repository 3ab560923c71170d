"""plm conventions for panels: the Stata-like factor ``vcovHC(type="sss")`` and the FD intercept.

Reference values: tests/fixtures/plm/make_plm_sss_fd.R (plm 2.6-2) on plm's Grunfeld data,
written to plm_sss_fd.csv. Coefficients and standard errors are compared to 1e-8 (relative):
both are closed-form least-squares quantities, so the only differences are rounding.

* ``vcovHC(type="sss")`` is ``G / (G - 1) * (n - 1) / (n - K)`` times HC0 (``G`` clusters,
  ``G = n`` for ``white1``, ``G = T`` periods for ``vcovSCC``); migflows spells it with the
  aliases ``"arellano_sss"`` (``{"arellano_sss": "time"}``), ``"white1_sss"`` and
  ``{"vcovSCC_sss": L}``.
* plm's ``model="fd"`` keeps an intercept in the differenced equation unless the formula says
  ``- 1``; ``panel(..., "fd")`` does the same (``0 +`` removes it).
* plm's HC1 for first differences multiplies HC0 by ``n_d / (n - K)`` (``n`` = observations
  in levels), ours (``debiased=True``) by ``n_d / (n_d - K)``: those pairs are compared
  through the exact factor (``test_first_difference_hc1_is_plm_factor_times_hc0``); every
  other covariance offered for FD is compared directly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from migflows.errors import InvalidOptionError
from migflows.estimation.core.covariance import parse_covariance
from migflows.estimation.panel.api import PanelResults, panel

FIX = Path(__file__).resolve().parent / "fixtures" / "plm"
REF = pd.read_csv(FIX / "plm_sss_fd.csv")
GRUNFELD = pd.read_csv(FIX / "grunfeld.csv")
G = "inv ~ value + capital"
CASES = {  # case: (formula, estimator)
    "grunfeld_within_individual": (f"{G} | entity", "fe"),
    "grunfeld_within_time": (f"{G} | time", "fe"),
    "grunfeld_within_twoways": (f"{G} | entity + time", "fe"),
    "grunfeld_random_swar": (G, "re"),
    "grunfeld_pooling": (G, "pooled"),
    "grunfeld_fd": ("inv ~ 0 + value + capital", "fd"),
    "grunfeld_fd_intercept": (G, "fd"),
}


def _args(cov: str, estimator: str) -> dict[str, object]:
    """Our arguments for plm's covariance named ``cov`` in the fixture."""
    if cov == "unadjusted":
        return {"vcov": "unadjusted"}
    if cov.endswith("sss") or "_sss_" in cov:
        if cov.startswith("arellano_time"):
            return {"vcov": {"arellano_sss": "time"}}
        if cov.startswith("arellano"):
            return {"vcov": "arellano_sss"}
        if cov.startswith("white1"):
            return {"vcov": "white1_sss"}
        return {"vcov": {"vcovSCC_sss": 2}}
    out: dict[str, object] = {"debiased": "HC1" in cov}
    if estimator == "fe":
        out["count_effects"] = False
    if cov.startswith("arellano_time"):
        out["vcov"] = {"cluster": "time"}
    elif cov.startswith("arellano"):
        out["vcov"] = {"cluster": "entity"}
    elif cov.startswith("white1"):
        out["vcov"] = "robust"
    else:
        out["vcov"] = {"driscoll_kraay": 2}
    return out


def _fit(case: str, **kwargs: object) -> PanelResults:
    formula, estimator = CASES[case]
    return panel(formula, GRUNFELD, estimator, entity="firm", time="year", **kwargs)  # type: ignore[arg-type]


PAIRS = [
    (case, cov)
    for case, cov in REF[["case", "cov"]].drop_duplicates().itertuples(index=False)
    if not ("_fd" in case and "HC1" in cov)  # plm's n_d / (n - K): see the module docstring
]


@pytest.mark.parametrize(("case", "cov"), PAIRS, ids=[f"{c}-{v}" for c, v in PAIRS])
def test_matches_plm(case: str, cov: str) -> None:
    ref = REF[(REF["case"] == case) & (REF["cov"] == cov)].set_index("term")
    ref = ref.rename(index={"(Intercept)": "Intercept"})
    res = _fit(case, **_args(cov, CASES[case][1]))
    assert list(res.params.index) == list(ref.index)
    np.testing.assert_allclose(res.params[ref.index], ref["estimate"], rtol=1e-8)
    np.testing.assert_allclose(res.std_errors[ref.index], ref["std_error"], rtol=1e-8)


@pytest.mark.parametrize("case", ["grunfeld_fd", "grunfeld_fd_intercept"])
def test_first_difference_hc1_is_plm_factor_times_hc0(case: str) -> None:
    # plm's HC1 for "fd" multiplies HC0 by n_d / (n - K) (n = 200 rows in levels, n_d = 190
    # differences); ours by n_d / (n_d - K): the pairs left out above, checked exactly here
    k = 3 if case.endswith("intercept") else 2
    hc0 = _fit(case, vcov={"cluster": "entity"}, debiased=False)
    for cov, ours in (("arellano_HC1", hc0), ("white1_HC1", hc0.vcov("robust"))):
        ref = REF[(REF["case"] == case) & (REF["cov"] == cov)].set_index("term")
        ref = ref.rename(index={"(Intercept)": "Intercept"})
        plm_factor = np.sqrt(190 / (200 - k))
        np.testing.assert_allclose(
            ours.std_errors[ref.index] * plm_factor, ref["std_error"], rtol=1e-8
        )
    ratio = hc0.vcov({"cluster": "entity"}, debiased=True).std_errors / hc0.std_errors
    np.testing.assert_allclose(ratio, np.sqrt(190 / (190 - k)), rtol=1e-12)


def test_sss_is_a_factor_on_hc0_named_in_the_label() -> None:
    hc0 = _fit("grunfeld_pooling", vcov={"cluster": "entity"}, debiased=False)
    sss = hc0.vcov("vcovHC_sss")
    # 10 firms, 200 observations, 3 coefficients
    factor = 10 / 9 * 199 / 197
    np.testing.assert_allclose(sss.cov.to_numpy(), factor * hc0.cov.to_numpy(), rtol=1e-12)
    assert sss.vcov_type == "CRV1 (entity, small_sample=sss)"
    assert sss.covariance.factors == (pytest.approx(factor, rel=1e-12),)
    assert sss.f_stat_robust.statistic == pytest.approx(
        hc0.f_stat_robust.statistic / factor, rel=1e-10
    )
    assert parse_covariance("arellano_sss", family="panel").option("small_sample") == "sss"


def test_sss_refused_where_it_is_not_defined() -> None:
    with pytest.raises(InvalidOptionError, match="available for panel only"):
        parse_covariance("arellano_sss", family="gravity")
    with pytest.raises(InvalidOptionError, match="defined for one cluster variable"):
        _fit("grunfeld_pooling", vcov={"arellano_sss": "entity+time"})


def test_first_difference_intercept_rsquared_and_f_match_plm() -> None:
    ref = pd.read_csv(FIX / "plm_fd_statistics.csv").iloc[0]
    res = _fit("grunfeld_fd_intercept", vcov="unadjusted")
    assert res.rsquared == pytest.approx(ref["rsquared"], rel=1e-8)  # centred, as plm
    f = res.f_stat  # the slopes only: the intercept is not tested
    assert (f.df, f.df_denom) == (ref["f_df1"], ref["f_df2"])
    assert f.statistic == pytest.approx(ref["f_stat"], rel=1e-8)
    assert f.pvalue == pytest.approx(ref["f_pvalue"], rel=1e-6)
    robust = _fit("grunfeld_fd_intercept", vcov="arellano_sss").f_stat_robust
    assert robust.df == 2


def test_first_difference_intercept_is_a_trend_in_levels() -> None:
    with_int = _fit("grunfeld_fd_intercept", vcov="unadjusted")
    without = _fit("grunfeld_fd", vcov="unadjusted")
    assert with_int.params.index.tolist() == ["Intercept", "value", "capital"]
    assert without.params.index.tolist() == ["value", "capital"]
    assert with_int.nobs == without.nobs == 190
