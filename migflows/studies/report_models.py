"""The model runs of the HTML report, defined once: each named study returns results.

The report's sections (:mod:`migflows.reports.sections`) never fit a model: they read what
these functions return, through the :class:`ReportModels` bundle that fits each study on
first use (so ``--fast`` and ``--sections`` still skip the work they do not need).

Studies
-------
:func:`fit_gravity_models`
    The gravity presets of :mod:`migflows.studies.gravity` (``gravity_structural``,
    ``gravity_regional``, ``gravity_pair``, and log-OLS with the regional formula) on the
    years in which their covariates are complete, and a wage counterfactual.
:func:`fit_bayes`
    The NB2 hierarchical gravity model next to PPML with the same regressors.
:func:`unit_root_table` / :func:`fit_rate_models`
    IPS and Hadri tests; pooled, FE and RE net migration rates and the Hausman test.
:func:`run_forecasts`
    A rolling-origin backtest of the forecasting methods and their ensemble forecast.
:attr:`ReportModels.inference`
    Bootstraps, Wald rows and the IV check (:mod:`migflows.studies.report_inference`).
:func:`migflows.studies.an_becker_cheng.an_becker_cheng`
    The OD-based An–Becker–Cheng preset on the embedded flows (``an_becker_cheng``) and the
    regional study on the real period 2000–2014 (``an_becker_cheng_2000_2014``,
    :func:`migflows.studies.abc_regions.abc_regions`).

A study that cannot run on the data raises :class:`StudyNotApplicable` saying what is missing.

Examples
--------
>>> import migflows
>>> from migflows.studies.report_models import ReportModels
>>> models = ReportModels(migflows.load_kazakhstan(), random_seed=0, fast=True)
>>> study = models.gravity
>>> list(study.models)
['PPML structural', 'PPML regional', 'PPML pair', 'OLS regional']
>>> study.years
[2020, 2021]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.errors import MigflowsWarning
from migflows.studies.report_inference import ReportInference
from migflows.studies.seeds import report_seed, stream_rng, stream_seed

if TYPE_CHECKING:
    from migflows.estimation.bayes.results import BayesGravityResults
    from migflows.estimation.forecast import Backtest, Forecast
    from migflows.estimation.gravity.results import Counterfactual, GravityResults
    from migflows.estimation.panel import PanelResults, TestStatistic
    from migflows.studies.abc_models import ABCResult
    from migflows.studies.abc_regions import ABCRegionsResult

__all__ = [
    "BAYES_FORMULA",
    "FAST_FORECAST_METHODS",
    "FORECAST_HORIZON",
    "FORECAST_METHODS",
    "REPORT_GRAVITY_PRESETS",
    "UNIT_ROOT_LOGGED",
    "UNIT_ROOT_VARIABLES",
    "BayesStudy",
    "ForecastStudy",
    "GravityStudy",
    "RateStudy",
    "ReportModels",
    "StudyNotApplicable",
    "fit_bayes",
    "fit_gravity_models",
    "fit_rate_models",
    "run_forecasts",
    "stream_rng",
    "stream_seed",
    "unit_root_table",
]

T = TypeVar("T")

#: Column titles of the report's gravity table and the presets they show, in order.
REPORT_GRAVITY_PRESETS: dict[str, str] = {
    "PPML structural": "gravity_structural",
    "PPML regional": "gravity_regional",
    "PPML pair": "gravity_pair",
}
#: The Bayesian gravity model of the report (and the PPML fitted next to it).
BAYES_FORMULA = "flow ~ log_wage_ratio + unemp_diff + log_dist | orig + dest + year"
#: Region attributes tested for unit roots.
UNIT_ROOT_VARIABLES = ("unemployment", "wage", "grp_pc", "population")
UNIT_ROOT_LOGGED = ("wage", "grp_pc", "population")  # tested in logs; the others as they are
#: Forecast horizon (years after the last observed year).
FORECAST_HORIZON = 3
#: Forecasting methods backtested and combined; ``FAST_FORECAST_METHODS`` with ``fast=True``.
FORECAST_METHODS = ("naive", "drift", "gravity", "bayes_ar")
FAST_FORECAST_METHODS = ("naive", "drift", "gravity")


class StudyNotApplicable(Exception):
    """A study does not apply to the data; the message says what is missing."""


class _ItemAccess:
    """``study["models"]`` as well as ``study.models`` (the report's studies were dicts)."""

    def __getitem__(self, key: str) -> Any:
        if key not in {f.name for f in fields(self)}:  # type: ignore[arg-type]
            raise KeyError(key)
        return getattr(self, key)


# ============================================================================ gravity
@dataclass(frozen=True)
class GravityStudy(_ItemAccess):
    """The report's gravity models.

    Attributes
    ----------
    models : dict
        Results by column title (:data:`REPORT_GRAVITY_PRESETS`, then ``"OLS regional"``).
    years : list of int
        The flow years all models are fitted on.
    panel : FlowPanel
        The panel restricted to ``years``.
    left_out : dict
        Presets not fitted, with the reason (missing attributes or too few years).
    counterfactual : Counterfactual or None
        Regional model, wages 10 % higher in ``counterfactual_region``.
    counterfactual_region : str or None
        The region with the lowest wage in the last year.
    """

    models: dict[str, GravityResults]
    years: list[int]
    panel: FlowPanel
    left_out: dict[str, str] = field(default_factory=dict)
    counterfactual: Counterfactual | None = None
    counterfactual_region: str | None = None


def fit_gravity_models(panel: FlowPanel) -> GravityStudy:
    """Fit the gravity presets side by side on the years with complete covariates.

    Each column is a preset of :data:`migflows.studies.gravity.GRAVITY_PRESETS` (the same
    formula, estimator and covariance as ``migflows.presets.gravity_regional()`` etc.), all on
    one sample: the flow years in which every attribute the fitted presets need is complete.
    A preset whose attributes the panel lacks is left out; while fewer than two years
    remain, the preset with the scarcest attribute is left out. ``"OLS regional"`` is the
    regional preset fitted by log-OLS.

    Raises
    ------
    StudyNotApplicable
        The panel has no distances.

    Examples
    --------
    >>> import migflows
    >>> study = fit_gravity_models(migflows.load_kazakhstan())
    >>> regional = migflows.presets.gravity_regional()
    >>> bool(study.models["PPML regional"].params.equals(regional.params))
    True
    """
    from migflows.studies.gravity import GRAVITY_PRESETS

    if panel.distances is None:
        raise StudyNotApplicable("the data have no distances or coordinates")
    usable = {}
    left_out: dict[str, str] = {}
    for label, name in REPORT_GRAVITY_PRESETS.items():
        spec = GRAVITY_PRESETS[name]
        missing = [a for a in spec.needs if a not in panel.attributes]
        if missing:
            left_out[label] = f"the data lack {', '.join(missing)}"
        else:
            usable[label] = spec

    def common_years() -> list[int]:
        needs = sorted({a for spec in usable.values() for a in spec.needs})
        return panel.complete_years(*needs) if needs else panel.years

    years = common_years()
    coverage = panel.coverage() if len(years) < 2 else None
    while coverage is not None and len(years) < 2 and any(s.needs for s in usable.values()):
        scarcest = {
            lab: min(float(coverage.loc[a].to_numpy(dtype=float).mean()) for a in spec.needs)
            for lab, spec in usable.items()
            if spec.needs
        }
        label = min(scarcest, key=scarcest.__getitem__)
        left_out[label] = "fewer than two flow years have its covariates next to the others"
        del usable[label]
        years = common_years()
    sub = panel if years == panel.years or len(years) < 2 else panel.select(years=years)
    models: dict[str, GravityResults] = {label: spec.fit(sub) for label, spec in usable.items()}
    cf = region = None
    regional = models.get("PPML regional")
    if regional is not None:
        models["OLS regional"] = replace(usable["PPML regional"], estimator="ols").fit(sub)
        if "log_wage_ratio" in regional.params.index:
            region = lowest_wage_region(sub)
            cf = regional.counterfactual({"wage": {region: 1.10}})
    return GravityStudy(
        models=models,
        years=sub.years,
        panel=sub,
        left_out=left_out,
        counterfactual=cf,
        counterfactual_region=region,
    )


def lowest_wage_region(panel: FlowPanel) -> str:
    """The region with the lowest wage in the panel's last year."""
    regions = panel.regions
    if regions is None or "wage" not in regions.columns:
        raise StudyNotApplicable("the data have no wages")
    wage = regions["wage"].xs(max(panel.years), level="year").reindex(panel.region_keys)
    return str(pd.Series(wage).idxmin())


# ============================================================================ Bayes
@dataclass(frozen=True)
class BayesStudy(_ItemAccess):
    """The Bayesian gravity model (``bayes``), PPML with its regressors, and the years."""

    bayes: BayesGravityResults
    ppml: GravityResults
    years: list[int]
    draws: int = 1000
    chains: int = 4
    coverage: pd.DataFrame | None = None  # posterior predictive coverage (ppc_coverage())
    elpd: dict[str, float] | None = None  # PSIS-LOO: elpd, se, p_loo, pareto_k_bad


def fit_bayes(
    panel: FlowPanel,
    *,
    random_seed: int | np.random.Generator = 0,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
) -> BayesStudy:
    """Negative binomial hierarchical gravity (pooled origin/destination effects) and PPML.

    Both use :data:`BAYES_FORMULA` on the years with wages and unemployment for every region.
    The sampler settings are the package defaults (4 chains x 1000 draws after 1000 tuning
    steps), at which the convergence gates pass on the embedded data. The posterior
    predictive coverage and PSIS-LOO are computed here, so that the report only reads them.

    Raises
    ------
    StudyNotApplicable
        No wages, unemployment or distances, or fewer than two complete years.

    Examples
    --------
    >>> import migflows
    >>> study = fit_bayes(migflows.load_kazakhstan(), draws=50, tune=50)  # doctest: +SKIP
    """
    from migflows.estimation.bayes import bayes_gravity
    from migflows.studies.gravity import GravitySpec

    needed = [a for a in ("wage", "unemployment") if a in panel.attributes]
    if len(needed) < 2 or panel.distances is None:
        raise StudyNotApplicable("the data lack wages, unemployment or distances")
    years = panel.complete_years(*needed)
    if len(years) < 2:
        raise StudyNotApplicable("fewer than two flow years have wages and unemployment")
    sub = panel.select(years=years)
    bayes = bayes_gravity(
        BAYES_FORMULA,
        sub,
        family="negbin",
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        progress=False,
    )
    ppml = GravitySpec("bayes_ppml", BAYES_FORMULA, "PPML next to the Bayesian model.").fit(sub)
    coverage = bayes.ppc_coverage()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MigflowsWarning)  # Pareto k: counted in the table
        loo = bayes.loo()
    k = np.asarray(loo.pareto_k)
    elpd = {
        "elpd_loo": float(loo.elpd),
        "se": float(loo.se),
        "p_loo": float(loo.p),
        "pareto_k_bad": int((k > loo.good_k).sum()),
    }
    return BayesStudy(
        bayes=bayes, ppml=ppml, years=years, draws=draws, chains=chains, coverage=coverage,
        elpd=elpd,
    )  # fmt: skip


# ============================================================================ panel
def unit_root_table(panel: FlowPanel) -> pd.DataFrame:
    """IPS (unit-root null) and Hadri (stationarity null) on the annual region series.

    Logs of wages, GRP per capita and population; unemployment as is; each over the longest
    run of consecutive years in which every region has a value. A test that cannot run says
    why in the ``H0`` column.

    Raises
    ------
    StudyNotApplicable
        No attribute has five consecutive complete years.
    """
    from migflows.estimation.unit_root import region_table, unit_root

    rows = []
    for variable in [v for v in UNIT_ROOT_VARIABLES if v in panel.attributes]:
        table = _longest_common_run(region_table(panel, variable), panel.region_keys)
        if table is None:
            continue
        series = table[variable]
        years = table.index.get_level_values("year")
        for test in ("ips", "hadri"):
            row: dict[str, Any] = {"variable": variable, "test": test.upper()}
            try:
                res = unit_root(
                    pd.DataFrame({variable: series.map(_log_if_level(variable))}),
                    variable,
                    test=test,
                    trend="c",
                    lags=1 if test == "ips" else "aic",
                )
                row |= {
                    "years": f"{int(years.min())}–{int(years.max())}",
                    "statistic": res.statistic,
                    "p-value": res.pvalue,
                    "H0": res.null_hypothesis,
                }
            except Exception as err:  # a test that cannot run says why in the table
                row |= {"H0": f"not run: {err}"}
            rows.append(row)
    if not rows:
        raise StudyNotApplicable(
            "no region attribute has five consecutive years for every region (unemployment, "
            "wage, GRP per capita or population)"
        )
    return pd.DataFrame(rows).set_index(["variable", "test"])


def _longest_common_run(table: pd.DataFrame, regions: list[str]) -> pd.DataFrame | None:
    """Rows of the longest run of consecutive years in which every region has a value.

    Unit-root tests need consecutive periods; masked values (e.g. two Akmola wages in the
    embedded data) would otherwise stop the test for every region.
    """
    have = table.index.to_frame(index=False)
    counts = have.groupby("year")["region"].nunique()
    full = sorted(int(str(y)) for y, n in counts.items() if n == len(regions))
    best: list[int] = []
    run: list[int] = []
    for year in full:
        run = [*run, year] if run and year == run[-1] + 1 else [year]
        if len(run) > len(best):
            best = run
    if len(best) < 5:
        return None
    keep = table.index.get_level_values("year").isin(best)
    return table[keep]


def _log_if_level(variable: str) -> Callable[[float], float]:
    if variable in UNIT_ROOT_LOGGED:
        return lambda v: float(np.log(v)) if v > 0 else float("nan")
    return lambda v: v


@dataclass(frozen=True)
class RateStudy(_ItemAccess):
    """Regional net migration rate regressions and the Hausman test of FE against RE.

    ``hausman`` is None when it could not be computed; ``hausman_error`` then says why.
    """

    models: dict[str, PanelResults]
    years: list[int]
    hausman: TestStatistic | None = None
    hausman_error: str | None = None


def fit_rate_models(panel: FlowPanel) -> RateStudy:
    """Region-level net migration rate regressions (pooled, FE, RE) on complete years.

    WLS weighted by population, standard errors clustered by region; then the Hausman test.

    Raises
    ------
    StudyNotApplicable
        No population, or neither wages nor unemployment, or fewer than two complete years.
    """
    from migflows.estimation.panel import hausman
    from migflows.estimation.panel import panel as fit_panel

    needed = [a for a in ("population", "wage", "unemployment") if a in panel.attributes]
    if "population" not in needed or len(needed) < 2:
        raise StudyNotApplicable("the data lack population and wages or unemployment")
    years = panel.complete_years(*needed)
    if len(years) < 2:
        raise StudyNotApplicable("fewer than two flow years have every covariate")
    sub = panel.select(years=years)
    rhs = " + ".join(
        t for t, a in (("log_rel_wage", "wage"), ("unemployment", "unemployment")) if a in needed
    )
    models = {}
    for label, estimator, effects in (
        ("Pooled", "pooled", ""),
        ("FE (entity + time)", "fe", " | entity + time"),
        ("RE", "re", ""),
    ):
        models[label] = fit_panel(
            f"net_rate ~ {rhs}{effects}",
            sub,
            estimator,  # type: ignore[arg-type]
            weights="population",
            vcov={"cluster": "entity"},
        )
    test = error = None
    try:
        test = hausman(models["FE (entity + time)"], models["RE"])
    except Exception as err:  # shown in the report instead of the test
        error = str(err)
    return RateStudy(models=models, years=years, hausman=test, hausman_error=error)


# ============================================================================ forecasts
@dataclass(frozen=True)
class ForecastStudy(_ItemAccess):
    """The ensemble ``forecast``, the ``backtest`` of its members and the ``methods`` used."""

    forecast: Forecast
    backtest: Backtest
    methods: list[str]


def run_forecasts(panel: FlowPanel, *, fast: bool = False, random_seed: int = 0) -> ForecastStudy:
    """Backtest the forecasting methods and forecast with their equal-weight ensemble.

    ``fast`` uses fewer methods (no Bayesian AR), backtest origins and simulations.

    Raises
    ------
    StudyNotApplicable
        Fewer than three years of flows.
    """
    from migflows.estimation.forecast import backtest, forecast

    if len(panel.years) < 3:
        raise StudyNotApplicable("forecasting needs at least three years of flows")
    methods = list(FAST_FORECAST_METHODS if fast else FORECAST_METHODS)
    if panel.population() is None or not panel.attributes:
        methods = [m for m in methods if m not in ("gravity", "bayes_ar")]
    n_sims = 200 if fast else 500
    bt = backtest(
        panel,
        methods=methods,
        origins=2 if fast else 3,
        horizon=1,
        random_seed=random_seed,
        n_sims=n_sims,
        progress=False,
    )
    fc = forecast(
        panel,
        method="ensemble",
        horizon=FORECAST_HORIZON,
        members=methods,
        random_seed=random_seed,
        n_sims=n_sims,
        progress=False,
    )
    return ForecastStudy(forecast=fc, backtest=bt, methods=methods)


# ============================================================================ the bundle
class ReportModels:
    """The report's studies on one panel, each run on first access and kept.

    Warnings of the estimators are silenced here (the report notes dropped rows itself).
    Seeds come from :func:`stream_seed` of ``random_seed`` and the study's name, as the report's
    sections draw them, so a study gives the same numbers in any selection of sections.

    Parameters
    ----------
    panel : FlowPanel
        The report's data.
    random_seed : int or numpy Generator, default 0
        Base seed (``seed=`` is its deprecated spelling, with a FutureWarning).
    fast : bool, default False
        Shorter forecasts and backtests.
    """

    def __init__(
        self, panel: FlowPanel, *, random_seed: int | np.random.Generator = 0,
        fast: bool = False, seed: int | None = None,
    ) -> None:  # fmt: skip
        self.panel, self.fast = panel, bool(fast)
        self.random_seed = report_seed(random_seed, seed, function="ReportModels")
        self.seed = self.random_seed  # the old attribute name

    def __repr__(self) -> str:
        studies = (
            "gravity", "bayes", "unit_roots", "rates", "an_becker_cheng",
            "an_becker_cheng_2000_2014", "forecasts",
        )  # fmt: skip
        done = [k for k in studies if k in vars(self)]
        return f"ReportModels(random_seed={self.random_seed}, fast={self.fast}, fitted={done})"

    @staticmethod
    def _quiet(compute: Callable[[], T]) -> T:
        # Third-party noise is silenced; the package's own warnings (rows dropped, a Hausman
        # covariance that is not positive definite ...) are passed on once each, so the
        # section that runs the study shows them.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = compute()
        seen: set[str] = set()
        for w in caught:
            if issubclass(w.category, MigflowsWarning) and str(w.message) not in seen:
                seen.add(str(w.message))
                warnings.warn(str(w.message), w.category, stacklevel=2)
        return result

    @cached_property
    def gravity(self) -> GravityStudy:
        """:func:`fit_gravity_models` on the panel."""
        return self._quiet(lambda: fit_gravity_models(self.panel))

    @cached_property
    def bayes(self) -> BayesStudy:
        """:func:`fit_bayes` on the panel (seed stream ``"bayes"``)."""
        seed = stream_seed(self.random_seed, "bayes")
        return self._quiet(lambda: fit_bayes(self.panel, random_seed=seed))

    @cached_property
    def unit_roots(self) -> pd.DataFrame:
        """:func:`unit_root_table` on the panel."""
        return self._quiet(lambda: unit_root_table(self.panel))

    @cached_property
    def rates(self) -> RateStudy:
        """:func:`fit_rate_models` on the panel."""
        return self._quiet(lambda: fit_rate_models(self.panel))

    @cached_property
    def an_becker_cheng(self) -> ABCResult:
        """The OD-based An–Becker–Cheng preset on the embedded flows (early vs late years)."""
        from migflows.data.kazakhstan import load_kazakhstan
        from migflows.studies.an_becker_cheng import KAZAKHSTAN_PERIODS, an_becker_cheng

        return self._quiet(
            lambda: an_becker_cheng(load_kazakhstan(), periods=KAZAKHSTAN_PERIODS, window=2)
        )

    @cached_property
    def an_becker_cheng_2000_2014(self) -> ABCRegionsResult:
        """The regional An–Becker–Cheng study on the real period (2000–2007 vs 2009–2014)."""
        from migflows.studies.abc_regions import abc_regions

        return self._quiet(abc_regions)

    @cached_property
    def forecasts(self) -> ForecastStudy:
        """:func:`run_forecasts` on the panel (seed stream ``"forecast"``)."""
        seed = stream_seed(self.random_seed, "forecast")
        return self._quiet(lambda: run_forecasts(self.panel, fast=self.fast, random_seed=seed))

    @cached_property
    def inference(self) -> ReportInference:
        """Bootstraps, Wald rows and the IV check (:mod:`migflows.studies.report_inference`)."""
        return ReportInference(
            lambda: self.gravity.models,
            lambda: self.an_becker_cheng_2000_2014,
            random_seed=stream_seed(self.random_seed, "inference"),
        )
