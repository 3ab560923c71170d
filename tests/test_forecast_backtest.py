"""Backtests (Korea, Kazakhstan), CRPS, and interval coverage on panels with a known DGP."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_forecast import korea_panel

import migflows
from migflows.errors import InvalidOptionError, MigflowsWarning, PanelStructureError
from migflows.estimation.forecast.api import forecast
from migflows.estimation.forecast.backtest import backtest, crps_draws

ALL = ["naive", "drift", "ets", "arima", "bayes_ar", "ensemble"]
BAYES = {"draws": 150, "tune": 150}


# ----------------------------------------------------------------------------- CRPS


def test_crps_matches_pairwise_definition():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    y = np.array([0.3, -1.0, 2.5])
    brute = np.abs(x - y).mean(axis=0) - 0.5 * np.abs(x[:, None, :] - x[None, :, :]).mean(
        axis=(0, 1)
    )
    np.testing.assert_allclose(crps_draws(x, y), brute, rtol=1e-12)


def test_crps_close_to_gaussian_closed_form():
    rng = np.random.default_rng(1)
    mu, sd, y = 1.0, 2.0, 2.2
    z = (y - mu) / sd
    exact = sd * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    got = float(crps_draws(rng.normal(mu, sd, size=200_000), np.array(y)))
    assert got == pytest.approx(exact, rel=5e-3)  # Monte Carlo error of 2e5 draws


# ----------------------------------------------------------------------------- Korea


@pytest.fixture(scope="module")
def korea_bt():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return backtest(
            korea_panel(),
            ALL,
            origins=5,
            horizon=3,
            n_sims=200,
            random_seed=5,
            progress=False,
            method_options={"bayes_ar": BAYES},
        )


def test_korea_backtest_end_to_end(korea_bt):
    bt = korea_bt
    assert bt.origins == (2015, 2016, 2017, 2018, 2019)
    table = bt.table
    assert set(table.index.get_level_values("method")) == set(ALL)
    # 17 regions; horizons 1..3 observed from 2015-2017, fewer later: n per horizon
    n = table.xs(("naive", "net", "Seoul"), level=("method", "variable", "region"))["n"]
    assert n.to_dict() == {1: 5, 2: 4, 3: 3}
    assert table.loc["bayes_ar"].index.get_level_values("variable").unique().tolist() == ["net"]
    cols = ["mase", "bias", "rmse", "coverage_80", "coverage_95", "crps"]
    assert np.isfinite(table[cols].to_numpy()).all()
    assert table[["coverage_80", "coverage_95"]].stack().between(0, 1).all()
    s = bt.summary()
    assert (s["coverage_95"] >= s["coverage_80"]).all()
    assert set(bt.summary(by=["method", "horizon"]).index.get_level_values("horizon")) == {1, 2, 3}
    with pytest.raises(InvalidOptionError, match="unknown 'country'"):
        bt.summary(by=["country"])
    fig = bt.plot()
    assert len(fig.axes) == 5
    assert "Backtest" in repr(bt) and "<table" in bt._repr_html_()


def test_korea_backtest_scores_by_hand(korea_bt):
    """Recompute naive's MASE, bias and coverage for Seoul's net balance from the data."""
    e = korea_bt.errors
    net = korea_panel().balances()["net"].xs("Seoul", level="region")
    for origin in korea_bt.origins:
        train = net.loc[:origin]
        scale = train.diff().abs().mean()
        row = e[
            (e.method == "naive")
            & (e.variable == "net")
            & (e.region == "Seoul")
            & (e.origin == origin)
        ]
        for r in row.itertuples():
            assert r.actual == net.loc[r.year]
            # naive point: the coherent version of last in/out values (close to last net)
            assert r.scaled_error == pytest.approx((r.point - r.actual) / scale, rel=1e-12)
    t = korea_bt.table.loc[("naive", "net", "Seoul")]
    sub = e[(e.method == "naive") & (e.variable == "net") & (e.region == "Seoul")]
    for h, g in sub.groupby("horizon"):
        assert t.loc[h, "mase"] == pytest.approx(g.scaled_error.abs().mean())
        assert t.loc[h, "bias"] == pytest.approx(g.error.mean())
        assert t.loc[h, "rmse"] == pytest.approx(np.sqrt((g.error**2).mean()))
        assert t.loc[h, "coverage_80"] == pytest.approx(g.hit_80.mean())


def test_backtest_forecast_equals_forecast_on_truncated_data():
    panel = korea_panel()
    bt = backtest(
        panel, ["drift"], origins=[2017], horizon=2, n_sims=100, random_seed=9, progress=False
    )
    fc = forecast(
        panel.select(years=range(2012, 2018)),
        "drift",
        2,
        n_sims=100,
        random_seed=9 + 2017,
        progress=False,
    )
    e = bt.errors[(bt.errors.variable == "net") & (bt.errors.year == 2018)].set_index("region")
    np.testing.assert_allclose(
        e["point"].to_numpy(), fc.predicted_mean[2018].loc[e.index].to_numpy()
    )


# ----------------------------------------------------------------------------- Kazakhstan


@pytest.fixture(scope="module")
def kz():
    return migflows.load_kazakhstan()


def test_kazakhstan_backtest_irregular_years(kz):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=migflows.errors.DataQualityWarning)
        with pytest.warns(
            MigflowsWarning,
            match=r"only 3 usable origin\(s\) \[2020, 2021, 2023\].*"
            r"2015: too few training years for 'drift'",
        ):
            bt = backtest(
                kz,
                ["naive", "drift", "ets"],
                origins=5,
                horizon=3,
                n_sims=100,
                random_seed=0,
                progress=False,
                gaps="interpolate",
            )
        # horizons are calendar years, scored where observed: 2021 -> 2023 (h=2), 2024 (h=3)
        hz = bt.errors[bt.errors.origin == 2021][["year", "horizon"]].drop_duplicates()
        assert sorted(map(tuple, hz.to_numpy())) == [(2023, 2), (2024, 3)]
        assert set(bt.errors[bt.errors.origin == 2020]["year"]) == {2021, 2023}
        with pytest.raises(
            PanelStructureError,
            match=r"2020: 'ets' need\(s\) a regular annual series but the years 2011, 2012",
        ):
            backtest(kz, ["ets"], origins=[2020], n_sims=50, progress=False)
        with pytest.raises(PanelStructureError, match="2015: no observed year within 3"):
            backtest(kz, ["naive"], origins=[2015], n_sims=50, progress=False)
        with pytest.raises(PanelStructureError, match="2024: nothing observed after it"):
            backtest(kz, ["naive"], origins=[2024], n_sims=50, progress=False)
        with pytest.raises(InvalidOptionError, match="not a forecasting method"):
            backtest(kz, ["naive", "lstm"], progress=False)


# ----------------------------------------------------------------------------- coverage


def _coverage(fc, future: np.ndarray, level: float = 0.8) -> float:
    """Share of future values (regions x years x components) inside the intervals."""
    lo, hi = np.quantile(
        fc.samples[..., : future.shape[-1]], [(1 - level) / 2, (1 + level) / 2], axis=0
    )
    return float(((future >= lo) & (future <= hi)).mean())


def _table(values: np.ndarray, years: np.ndarray, names: list[str]) -> pd.DataFrame:
    R, T, C = values.shape
    idx = pd.MultiIndex.from_product(
        [[f"r{i:02d}" for i in range(R)], years], names=["region", "year"]
    )
    return pd.DataFrame(values.reshape(R * T, C), index=idx, columns=names)


def _simulate_inout(kind: str, seed: int, R: int = 30, T: int = 15, H: int = 3) -> np.ndarray:
    """Log arrivals/departures following a known process; returns exp(values) (R, T+H, 2)."""
    rng = np.random.default_rng(seed)
    z = np.empty((R, T + H, 2))
    z[:, 0] = rng.uniform(7, 10, size=(R, 2))
    mean = z[:, 0].copy()
    slope = rng.normal(0, 0.03, size=(R, 2))
    level = z[:, 0].copy()
    for t in range(1, T + H):
        e = rng.normal(0, 0.05, size=(R, 2))
        if kind == "rw":
            z[:, t] = z[:, t - 1] + e
        elif kind == "drift":
            z[:, t] = z[:, t - 1] + slope + e
        elif kind == "local_level":  # ETS(A,N,N) with alpha 0.5
            z[:, t] = level + e
            level = level + 0.5 * e
        elif kind == "ar1":
            z[:, t] = mean + 0.6 * (z[:, t - 1] - mean) + e
    return np.exp(z)


@pytest.mark.parametrize(
    ("method", "kind", "options"),
    [
        ("naive", "rw", {}),
        ("drift", "drift", {}),
        ("ets", "local_level", {}),
        ("arima", "ar1", {"order": (1, 0, 0)}),
    ],
)
def test_80_percent_intervals_cover_70_to_90_percent(method, kind, options):
    hits = []
    for seed in range(3):
        vals = _simulate_inout(kind, seed)
        years = np.arange(2000, 2000 + vals.shape[1])
        tab = _table(vals[:, :-3], years[:-3], ["arrivals", "departures"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = forecast(tab, method, 3, n_sims=1000, random_seed=seed, progress=False, **options)
        assert not fc.coherent  # independent simulated regions are not a closed system
        hits.append(_coverage(fc, vals[:, -3:]))
    cov = float(np.mean(hits))
    assert 0.7 <= cov <= 0.9, (method, hits)


def test_bayes_ar_intervals_cover_70_to_90_percent():
    """Net rates from the model's own hierarchical AR(1) with a gap year in the history.

    Two seeded panels of 40 regions (one replicate of 25 regions ranges 0.68-0.85, so two
    are pooled); measured 0.85 and 0.78. The persistence is recovered (true 0.5).
    """
    hits, phis = [], []
    for seed in (42, 7):
        rng = np.random.default_rng(seed)
        R, T, H = 40, 10, 3
        mu = rng.normal(0, 4, size=R)
        sigma = np.exp(rng.normal(np.log(1.5), 0.2, size=R))
        x = np.empty((R, T + H))
        x[:, 0] = mu + rng.normal(0, 2, size=R)
        for t in range(1, T + H):
            x[:, t] = mu + 0.5 * (x[:, t - 1] - mu) + sigma * rng.normal(size=R)
        years = np.arange(2010, 2010 + T + H)
        keep = np.r_[0:4, 5:T]  # drop the year 2014: bayes_ar handles the gap exactly
        tab = _table(x[:, keep, None], years[keep], ["net_rate"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = forecast(
                tab,
                "bayes_ar",
                3,
                target="rates",
                n_sims=1000,
                random_seed=1,
                progress=False,
                **BAYES,
            )
        hits.append(_coverage(fc, x[:, -3:, None]))
        phis.append(fc.info["phi_mean"])
    assert 0.7 <= np.mean(hits) <= 0.9, hits
    assert all(0.3 < p < 0.65 for p in phis), phis  # measured 0.48 and 0.38
