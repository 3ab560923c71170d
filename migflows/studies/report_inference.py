"""The report's inference study: few-cluster bootstraps, Wald rows and an IV model.

Computed here so that the report's sections only read them (:class:`ReportInference`, the
``inference`` study of :class:`~migflows.studies.report_models.ReportModels`):

``gravity``
    Rows for the gravity table: a Wald test that the regional models' region-year gaps are
    all zero, and few-cluster bootstraps of the headline wage coefficient with clusters by
    origin (20 clusters in the embedded data): the restricted score bootstrap of Kline &
    Santos for PPML, the restricted wild cluster bootstrap for log-OLS, each with its test
    of a zero wage effect and the interval from inverting it.
``periods``
    For the An–Becker–Cheng 2000–2014 study: the restricted wild cluster bootstrap
    (clusters: regions) of each period difference (crisis minus boom), next to its Wald
    test, and an instrumental-variable check of the income slope: the within (region and
    year effects) 2SLS of the net migration rate with the log income ratio instrumented by
    its one-year lag, with its first-stage F.

Examples
--------
>>> import migflows
>>> from migflows.studies.report_models import ReportModels
>>> models = ReportModels(migflows.load_kazakhstan(), fast=True)
>>> rows = models.inference.gravity.tests
>>> sorted(rows)[0]
'Bootstrap p [95% CI], log_wage_ratio = 0 (origin clusters)'
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from migflows.errors import DroppedRowsWarning

if TYPE_CHECKING:
    from migflows.estimation.panel import PanelResults

__all__ = [
    "BOOTSTRAP_REPS",
    "GravityInference",
    "PeriodInference",
    "ReportInference",
    "gravity_inference",
    "period_inference",
]

#: Bootstrap draws of the report's tests.
BOOTSTRAP_REPS = 999
_GAPS = ("log_wage_ratio", "log_grp_pc_ratio", "unemp_diff")


@dataclass(frozen=True)
class GravityInference:
    """Rows for the gravity table: ``{row label: {model title: test result}}``."""

    tests: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeriodInference:
    """Bootstrap tests of the period differences and the IV check of the income slope.

    Attributes
    ----------
    bootstrap : DataFrame
        By term: the crisis-minus-boom difference, its Wald p-value (region clusters), the
        restricted wild cluster bootstrap p-value and the bootstrap 95 % interval.
    iv : PanelResults or None
        Within 2SLS with ``log_rel_income`` instrumented by its lag.
    iv_stats : tuple of str
        The statistics rows to show with it (its first-stage F).
    notes : tuple of str
    """

    bootstrap: pd.DataFrame
    iv: PanelResults | None = None
    iv_stats: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def gravity_inference(models: dict[str, Any], *, random_seed: int = 0) -> GravityInference:
    """Wald and bootstrap rows for the report's gravity models (see the module docstring)."""
    tests: dict[str, dict[str, Any]] = {}
    notes = []
    wald: dict[str, Any] = {}
    for title, res in models.items():
        gaps = [g for g in _GAPS if g in res.params.index]
        if len(gaps) > 1:
            wald[title] = res.wald_test(formula=", ".join(f"{g} = 0" for g in gaps))
    if wald:
        tests["Wald: region-year gaps = 0"] = wald
    label = "Bootstrap p [95% CI], log_wage_ratio = 0 (origin clusters)"
    boot: dict[str, Any] = {}
    for title in ("PPML regional", "OLS regional"):
        res = models.get(title)
        if res is None or "log_wage_ratio" not in res.params.index:
            continue
        try:
            boot[title] = res.wild_bootstrap(
                "log_wage_ratio = 0",
                cluster="orig",
                reps=BOOTSTRAP_REPS,
                random_seed=random_seed,
                progress=False,
            )
        except Exception as err:  # shown as a note instead of the row
            notes.append(f"{title}: the bootstrap could not run ({err})")
    if boot:
        tests[label] = boot
    return GravityInference(tests, tuple(notes))


def period_inference(abc: Any, *, random_seed: int = 0) -> PeriodInference:
    """Bootstrap of the period differences and the IV check (see the module docstring)."""
    from migflows.estimation.panel import panel

    model = abc.model_clustered
    names = [str(n) for n in model.params.index]
    rows = []
    periods = [n.removeprefix("period::").split(":", 1) for n in names if n.startswith("period::")]
    for term in dict.fromkeys(t for _, t in periods):
        late, early = f"period::crisis:{term}", f"period::boom:{term}"
        if late not in names or early not in names:
            continue
        restriction = f"{late} - {early} = 0"
        wald = model.wald_test(formula=restriction, distribution="chi2")
        boot = model.wild_bootstrap(restriction, reps=BOOTSTRAP_REPS, random_seed=random_seed)
        rows.append(
            {
                "term": term,
                "difference": boot.estimate,
                "Wald p (region clusters)": float(wald.pval),
                "bootstrap p": boot.pval,
                "bootstrap lower": boot.lower,
                "bootstrap upper": boot.upper,
            }
        )
    table = pd.DataFrame(rows).set_index("term") if rows else pd.DataFrame()
    iv = None
    notes = [
        "The restricted wild cluster bootstrap (Rademacher weights on regions, "
        f"{BOOTSTRAP_REPS} draws) imposes each null and studentizes with the clustered "
        "variance; with about 20 regions its p-values are more reliable than the "
        "clustered Wald test's."
    ]
    try:
        with warnings.catch_warnings():  # the first year of each region has no lag: noted
            warnings.simplefilter("ignore", DroppedRowsWarning)
            iv = panel(
                "net_rate ~ unemployment_gap + uncertainty | entity + time | "
                "log_rel_income ~ lag(log_rel_income, 1)",
                abc.data,
                "fe",
                weights="population_mid",
                vcov={"cluster": "entity"},
            )
        notes.append(
            "IV check: the income ratio instrumented by its one-year lag (2SLS, region and "
            "year effects, one slope for the whole period; the "
            f"{model.nobs - iv.nobs} region-years without a lag are left out). A lag is a valid "
            "instrument only if last year's income gap affects migration only through this "
            "year's; shocks that persist make it invalid, so this is a check, not an "
            "identification."
        )
    except Exception as err:  # shown as a note instead of the model
        notes.append(f"The IV check could not run ({err}).")
    stats = tuple(k for k in (iv.stats if iv is not None else {}) if k.startswith("First-stage F"))
    return PeriodInference(table, iv, stats, tuple(notes))


class ReportInference:
    """The report's inference study, each part computed on first use.

    ``gravity_models`` and ``period_study`` return the studies it reads (the report's
    gravity models and the 2000–2014 An–Becker–Cheng study); they are called only when the
    part that needs them is first asked for, so ``--sections`` still skips their fits.
    """

    def __init__(
        self,
        gravity_models: Callable[[], dict[str, Any]],
        period_study: Callable[[], Any],
        *,
        random_seed: int = 0,
    ) -> None:
        self._gravity_models, self._period_study = gravity_models, period_study
        self._seed = int(random_seed)

    @cached_property
    def gravity(self) -> GravityInference:
        """:func:`gravity_inference` on the report's gravity models."""
        return gravity_inference(self._gravity_models(), random_seed=self._seed)

    @cached_property
    def periods(self) -> PeriodInference:
        """:func:`period_inference` on the 2000–2014 An–Becker–Cheng study."""
        return period_inference(self._period_study(), random_seed=self._seed)
