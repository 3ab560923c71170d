"""The forecasting method registry and the checks every entry point shares.

:func:`~migflows.estimation.forecast.api.forecast` and
:func:`~migflows.estimation.forecast.backtest.backtest` both read :data:`METHODS`, so a
method registered here (:func:`register_method`) is available to both, to the ensemble and
to the CLI (``migflows forecast --method``). Ensemble weighting schemes other than fixed
weights (``weights="backtest"``) are registered the same way (:func:`register_weights`), so
that the forecast module does not import the backtest module that imports it.

Examples
--------
>>> import numpy as np
>>> from migflows.estimation.forecast.methods import MethodResult
>>> def flat(data, horizon, *, n_sims, rng, progress, gaps, level=0.0):
...     shape = (data.values.shape[0], horizon, data.values.shape[-1])
...     point = np.full(shape, level)
...     return MethodResult(point, np.broadcast_to(point, (n_sims, *shape)).copy())
>>> register_method(MethodSpec("flat_doc", flat, description="a constant"))
>>> METHODS["flat_doc"].options()
['level']
>>> del METHODS["flat_doc"]
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from migflows.errors import InputTypeError, InvalidOptionError, format_values
from migflows.estimation.core.seeds import RandomSeed, seed_int
from migflows.estimation.forecast import gravity as forecast_gravity
from migflows.estimation.forecast import methods as fm
from migflows.estimation.forecast.bayes_ar import bayes_ar
from migflows.estimation.forecast.results import check_level

__all__ = [
    "ENSEMBLE_MEMBERS",
    "METHODS",
    "STANDARD_ARGUMENTS",
    "WEIGHT_SCHEMES",
    "MethodSpec",
    "base_seed",
    "check_common",
    "check_options",
    "ensemble_options",
    "register_method",
    "register_weights",
    "spec_for",
]

#: Arguments the framework hands to every method (not user options).
STANDARD_ARGUMENTS = frozenset(
    {"data", "horizon", "n_sims", "rng", "progress", "gaps", "panel", "scenario"}
)

#: The ensemble's members when ``members=`` is not given.
ENSEMBLE_MEMBERS: tuple[str, ...] = ("naive", "drift", "ets", "arima")


def ensemble_options(
    members: Sequence[str] = ENSEMBLE_MEMBERS,
    weights: str | Mapping[str, float] = "equal",
    member_options: Mapping[str, Mapping[str, Any]] | None = None,
    backtest_origins: int = 3,
) -> None:
    """Signature holder for the ensemble's options (the ensemble itself is in ``api``)."""


@dataclass(frozen=True)
class MethodSpec:
    """A forecasting method in the registry.

    Attributes
    ----------
    name : str
        Name passed as ``method=``.
    fit : callable
        ``fit(data: SeriesData, horizon, *, n_sims, rng, progress, gaps, **options)``
        returning a :class:`~migflows.estimation.forecast.methods.MethodResult`; ``rng`` is
        a :class:`numpy.random.Generator` derived from the user's ``random_seed`` (one
        stream per method and options). Methods with ``needs_panel`` also receive
        ``panel=`` and ``scenario=``. ``None`` for the ensemble.
    components : {"auto", "net"}
        ``"auto"``: arrivals and departures when available; ``"net"``: net only.
    min_years : int
        Fewest observed (for ``regular`` methods: annual) years it needs.
    regular : bool
        Needs a regular annual series (gaps handled by the ``gaps`` option).
    uses_scenario : bool
        Driven by covariate paths, so accepts a :class:`~migflows.Scenario`.
    needs_panel : bool
        Needs origin–destination flows (a FlowPanel), not a region-year table.
    description : str
        One line for listings.
    """

    name: str
    fit: Callable[..., fm.MethodResult] | None
    components: Literal["auto", "net"] = "auto"
    min_years: int = 2
    regular: bool = False
    uses_scenario: bool = False
    needs_panel: bool = False
    description: str = ""

    def options(self) -> list[str]:
        """Keyword options the method accepts (``**method_options``)."""
        fn = self.fit if self.fit is not None else ensemble_options
        return [p for p in inspect.signature(fn).parameters if p not in STANDARD_ARGUMENTS]

    def enough_years(self, years: np.ndarray, gaps: str) -> bool:
        """Whether a training set with these observed years is long enough."""
        if len(years) == 0:
            return False
        n = len(years)
        if self.regular and gaps == "interpolate":
            n = int(years[-1] - years[0]) + 1
        return n >= self.min_years


METHODS: dict[str, MethodSpec] = {}

#: Ensemble weighting schemes computed from data: name -> ``fn(series, members, **context)``
#: returning one non-negative weight per member (``"backtest"`` is registered by
#: :mod:`migflows.estimation.forecast.backtest`).
WEIGHT_SCHEMES: dict[str, Callable[..., np.ndarray]] = {}


def register_method(spec: MethodSpec, *, replace: bool = False) -> None:
    """Add a forecasting method to the registry (how ``gravity`` plugs in).

    Parameters
    ----------
    spec : MethodSpec
        The method.
    replace : bool
        Allow overwriting a registered name.

    Examples
    --------
    >>> from migflows.estimation.forecast.registry import METHODS
    >>> sorted(METHODS)[:3]
    ['arima', 'bayes_ar', 'drift']
    """
    if not isinstance(spec, MethodSpec):
        raise InputTypeError(f"register_method() takes a MethodSpec, got {type(spec).__name__}.")
    if spec.name in METHODS and not replace:
        raise InvalidOptionError(f"method {spec.name!r} is already registered.")
    METHODS[spec.name] = spec


def register_weights(name: str, fn: Callable[..., np.ndarray], *, replace: bool = False) -> None:
    """Add an ensemble weighting scheme usable as ``weights=name``.

    ``fn(series, members, *, horizon, n_sims, seed, gaps, coherent, member_options,
    backtest_origins)`` returns one non-negative weight per member.
    """
    if name in WEIGHT_SCHEMES and not replace:
        raise InvalidOptionError(f"ensemble weights {name!r} are already registered.")
    WEIGHT_SCHEMES[name] = fn


def spec_for(method: str) -> MethodSpec:
    """The registered method ``method``; the error lists the registered ones."""
    if method not in METHODS:
        raise InvalidOptionError(
            f"method={method!r} is not a forecasting method; use one of "
            f"{format_values(sorted(METHODS), limit=20)}."
        )
    return METHODS[method]


def check_common(horizon: int, n_sims: int, level: Sequence[float]) -> int:
    """Validate ``horizon``, ``n_sims`` and ``level``; return the horizon as an int."""
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise InvalidOptionError(f"horizon={horizon!r} must be a positive integer (years).")
    if isinstance(n_sims, bool) or not isinstance(n_sims, int | np.integer) or n_sims < 10:
        raise InvalidOptionError(f"n_sims={n_sims!r} must be an integer of at least 10.")
    for lev in level:
        check_level(lev)
    return int(horizon)


def check_options(spec: MethodSpec, options: Mapping[str, Any]) -> None:
    """Refuse options the method does not take, listing the ones it does."""
    allowed = spec.options()
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidOptionError(
            f"method {spec.name!r} has no option(s) {format_values(unknown)}; allowed: "
            f"{format_values(allowed, limit=20) or 'none'}."
        )


def base_seed(random_seed: RandomSeed) -> int:
    """The integer every stream of one forecast or backtest is derived from.

    ``random_seed`` is an int, a :class:`numpy.random.Generator` (one integer is drawn from
    it) or ``None`` (fresh entropy).
    """
    return seed_int(random_seed)


for _spec in (
    MethodSpec("naive", fm.naive, min_years=2, description="random walk"),
    MethodSpec("drift", fm.drift, min_years=3, description="random walk with drift"),
    MethodSpec("ets", fm.ets, min_years=4, regular=True, description="exponential smoothing"),
    MethodSpec("arima", fm.arima, min_years=4, regular=True, description="ARIMA"),
    MethodSpec(
        "bayes_ar",
        bayes_ar,
        components="net",
        min_years=3,
        description="hierarchical AR(1) of net migration rates (PyMC)",
    ),
    MethodSpec("ensemble", None, min_years=2, description="mixture of member forecasts"),
    MethodSpec(
        "gravity",
        forecast_gravity.gravity_method,
        min_years=2,
        uses_scenario=True,
        needs_panel=True,
        description="origin-destination flows from a fitted gravity model",
    ),
):
    register_method(_spec)
