"""ETS and ARIMA on small-valued series (rates of order 0.01) against R's forecast package
(tests/fixtures/forecast_small/make_small_series.R): every series is rescaled before fitting
(issue 10), and an optimiser that does not converge is reported."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

from migflows.errors import ConvergenceWarning
from migflows.estimation.forecast.api import forecast
from migflows.estimation.forecast.methods import fit_scales

DIR = FIXTURES / "forecast_small"
SERIES = pd.read_csv(DIR / "series.csv").set_index(["region", "year"])
R = pd.read_csv(DIR / "r_small.csv")
CASES = [(r, c) for r in ("r1", "r2", "r3") for c in ("arrivals", "departures")]


def r_value(model: str, region: str, component: str, what: str) -> np.ndarray:
    sel = (R["model"] == model) & (R["region"] == region) & (R["component"] == component)
    return R[sel & (R["what"] == what)].sort_values("h")["value"].to_numpy()


@pytest.fixture(scope="module")
def fits() -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "ets": forecast(SERIES, "ets", 3, n_sims=20, random_seed=0, progress=False,
                            transform="none"),
            "arima": forecast(SERIES, "arima", 3, n_sims=20, random_seed=0, progress=False,
                              transform="none", order=(1, 0, 0)),
        }  # fmt: skip


@pytest.mark.parametrize(("region", "component"), CASES)
@pytest.mark.parametrize("model", ["ets", "arima"])
def test_small_series_forecasts_match_r(fits, model: str, region: str, component: str) -> None:
    fc = fits[model]
    got = fc.point[fc.regions.index(region), :, fc.variables.index(component)]
    # two optimisers (R optim, scipy L-BFGS-B) stop within their tolerances: 1e-4 relative.
    # Before the fix the AR(1) fits stopped short of R's optimum by up to 2.8 %.
    np.testing.assert_allclose(got, r_value(model, region, component, "point"), rtol=1e-4)


@pytest.mark.parametrize(("region", "component"), CASES)
def test_small_series_arima_likelihood_matches_r(fits, region: str, component: str) -> None:
    res = fits["arima"].info["fits"][(region, component)]
    y = SERIES.xs(region)[component].to_numpy()
    c = next(s for s in fit_scales(y) if np.isclose(res.model.endog.ravel()[0] * s, y[0]))
    llf = res.llf - len(y) * np.log(c)  # the likelihood of y, not of y / c
    assert llf == pytest.approx(r_value("arima", region, component, "loglik")[0], abs=1e-3)
    assert res.params[1] == pytest.approx(r_value("arima", region, component, "ar1")[0],
                                          abs=1e-3)  # fmt: skip


def test_non_convergence_is_reported() -> None:
    with pytest.warns(ConvergenceWarning, match=r"did not converge for \d+ of 6 series"):
        fc = forecast(SERIES, "arima", 3, n_sims=20, random_seed=0, progress=False,
                      transform="none", order=(2, 0, 2))  # fmt: skip
    assert any("did not converge" in n for n in fc.info["fit_notes"])
