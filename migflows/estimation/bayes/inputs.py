"""Inputs of the Bayesian gravity model: families, priors, effect names, scaling, checks.

Everything :class:`~migflows.estimation.bayes.model.BayesGravityModel` validates before it
builds the PyMC graph: prior scales, count outcomes, the pooled effects, a random slope, the
standardisation of the regressors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from migflows.errors import (
    EstimationError,
    FixedEffectError,
    InputTypeError,
    InvalidOptionError,
    ModelSpecificationError,
    NegativeFlowError,
    UnknownVariableError,
    format_values,
)
from migflows.models.design import FE_ALIASES

__all__ = [
    "DEFAULT_GROUPS",
    "DEFAULT_PRIORS",
    "FAMILIES",
    "RESERVED_DIMS",
    "Family",
    "Parameterization",
    "canonical_effect",
    "check_counts",
    "check_dims",
    "coef_prior",
    "dim_name",
    "period_codes",
    "pooled_effects",
    "random_slope",
    "resolve_priors",
    "scaling",
    "slope_spec",
]

Family = Literal["poisson", "negbin"]
FAMILIES = ("poisson", "negbin")
Parameterization = Literal["auto", "centered", "noncentered"]
DEFAULT_GROUPS = ("orig", "dest")
DEFAULT_PRIORS: dict[str, float] = {
    "coef": 2.5,
    "intercept": 2.5,
    "fixed": 2.5,
    "group_sd": 1.0,
    "alpha": 1.0,
    "slope_sd": 1.0,
}
"""Prior scales: see the module docstring; ``coef`` may also be a mapping per regressor."""
RESERVED_DIMS = ("obs", "coef", "chain", "draw")


def canonical_effect(effect: str) -> str:
    """``origin^year`` and ``orig^year`` name the same effect."""
    return "^".join(FE_ALIASES.get(p, p) for p in effect.split("^"))


def dim_name(effect: str) -> str:
    """A coordinate name for an effect (``orig^year`` -> ``orig_year``)."""
    return re.sub(r"\W", "_", effect.replace("^", "_"))


def pooled_effects(effects: tuple[str, ...], group_effects: Sequence[str]) -> tuple[str, ...]:
    """The formula's effects that are partially pooled, validated against the formula."""
    if isinstance(group_effects, str):
        group_effects = (group_effects,)
    by_canon = {canonical_effect(e): e for e in effects}
    default = tuple(group_effects) == DEFAULT_GROUPS
    out: list[str] = []
    for g in group_effects:
        match = by_canon.get(canonical_effect(str(g)))
        if match is None:
            if default:
                continue
            raise FixedEffectError(
                f"group_effects names {g!r}, which is not an effect of the formula (effects: "
                f"{format_values(effects) or 'none'}); add it after '|' or leave it out."
            )
        if match not in out:
            out.append(match)
    return tuple(e for e in effects if e in out)


def check_dims(dims: Mapping[str, str]) -> None:
    """Refuse effect dimensions that clash with ArviZ's reserved names or each other."""
    clash = [e for e, d in dims.items() if d in RESERVED_DIMS]
    names = list(dims.values())
    dup = {d for d in names if names.count(d) > 1}
    if clash or dup:
        raise FixedEffectError(
            f"Effect name(s) {format_values(clash or sorted(dup))} cannot be used as model "
            f"dimensions (reserved: {format_values(RESERVED_DIMS)}, or two effects map to the "
            f"same name); rename the column."
        )


def resolve_priors(priors: Mapping[str, Any] | None) -> dict[str, Any]:
    """Default prior scales updated by the user's, each a positive number."""
    out: dict[str, Any] = dict(DEFAULT_PRIORS)
    for key, value in (priors or {}).items():
        if key not in DEFAULT_PRIORS:
            raise InvalidOptionError(
                f"Unknown prior {key!r}; the prior scales are {format_values(DEFAULT_PRIORS)}."
            )
        values = value.values() if isinstance(value, Mapping) and key == "coef" else [value]
        for v in values:
            if not isinstance(v, (int, float, np.floating)) or not np.isfinite(v) or v <= 0:
                raise InvalidOptionError(
                    f"Prior scale {key}={value!r} must be a positive number"
                    + (" or a mapping regressor -> positive number." if key == "coef" else ".")
                )
        out[key] = dict(value) if isinstance(value, Mapping) else float(value)
    return out


def coef_prior(coef: float | Mapping[str, float], name: str) -> float:
    """The prior sd of the slope on regressor ``name``."""
    if isinstance(coef, Mapping):
        return float(coef.get(name, DEFAULT_PRIORS["coef"]))
    return float(coef)


def check_counts(y: np.ndarray, name: str) -> None:
    """Refuse negative, non-integer or all-zero outcomes for a count likelihood."""
    if (y < 0).any():
        raise NegativeFlowError(
            f"{int((y < 0).sum())} value(s) of {name!r} are negative; a count likelihood "
            f"needs flows >= 0."
        )
    frac = np.abs(y - np.round(y)) > 1e-9
    if frac.any():
        raise ModelSpecificationError(
            f"{int(frac.sum())} value(s) of {name!r} are not whole numbers (e.g. "
            f"{format_values(y[frac][:3])}); the Poisson and negative binomial likelihoods "
            f"need counts: round them, or use migflows.gravity (PPML) for non-integer flows."
        )
    if not y.any():
        raise EstimationError(f"Every value of {name!r} is zero; there is nothing to fit.")


def scaling(X: pd.DataFrame, *, centre: bool = True) -> tuple[pd.Series, pd.Series]:
    """Means and sds (ddof 0) that standardize the regressors.

    Without an intercept the regressors are only scaled (centring would add an intercept the
    formula excludes), and a constant regressor is allowed (scale 1).
    """
    mean = X.mean(axis=0).astype(float)
    scale = X.std(axis=0, ddof=0).astype(float)
    flat = [str(c) for c in X.columns if not scale[c] > 1e-12 * max(1.0, abs(mean[c]))]
    if flat and centre:
        raise ModelSpecificationError(
            f"Regressor(s) {format_values(flat)} are constant in the estimation sample; the "
            f"intercept absorbs them: remove them from the formula."
        )
    if not centre:
        mean = mean * 0.0
        scale[flat] = 1.0
    return mean.rename("mean"), scale.rename("sd")


def random_slope(
    random_slopes: Mapping[str, str] | None,
    coef: list[str],
    effects: tuple[str, ...],
    *,
    name: str = "random_slopes",
) -> tuple[str, str] | None:
    """Validate ``random_slopes``: one regressor of the formula and one of its effects.

    ``name`` is the argument the user gave (``pooled_slopes`` is the same thing).
    """
    if not random_slopes:
        return None
    if len(random_slopes) > 1:
        raise ModelSpecificationError(
            f"{name} takes one regressor, got {len(random_slopes)} "
            f"({format_values(random_slopes)})."
        )
    ((x, g),) = random_slopes.items()
    if x not in coef:
        raise UnknownVariableError(
            f"{name} names {x!r}, which is not a regressor of the formula ({format_values(coef)})."
        )
    by_canon = {canonical_effect(e): e for e in effects}
    match = by_canon.get(canonical_effect(str(g)))
    if match is None:
        raise FixedEffectError(
            f"{name} groups {x!r} by {g!r}, which is not an effect of the formula "
            f"(effects: {format_values(effects) or 'none'}; or 'period' with periods=); add "
            f"it after '|'."
        )
    return x, match


def slope_spec(
    random_slopes: Mapping[str, str] | None,
    pooled_slopes: Mapping[str, str] | None,
    coef: list[str],
    effects: tuple[str, ...],
    periods: Mapping[str, tuple[int, int]] | None,
) -> tuple[str, str] | None:
    """``random_slopes`` or ``pooled_slopes`` (one of them): ``(regressor, group)``.

    The group is an effect of the formula or ``"period"`` (the periods of ``periods=``).
    """
    if random_slopes and pooled_slopes:
        raise ModelSpecificationError(
            "Give either random_slopes or pooled_slopes (the same thing), not both."
        )
    for name, given in (("pooled_slopes", pooled_slopes), ("random_slopes", random_slopes)):
        if given is not None and not isinstance(given, Mapping):
            raise InputTypeError(
                f"{name}={given!r} must map a regressor to its group, e.g. "
                f"{name}={{'log_dist': 'orig'}} or {{'log_dist': 'period'}}."
            )
    spec = dict(pooled_slopes or random_slopes or {})
    if len(spec) == 1 and next(iter(spec.values())) == "period":
        ((x, _),) = spec.items()
        if x not in coef:
            raise UnknownVariableError(
                f"pooled_slopes names {x!r}, which is not a regressor of the formula "
                f"({format_values(coef)})."
            )
        if not periods or len(periods) < 2:
            raise ModelSpecificationError(
                f"pooled_slopes={{{x!r}: 'period'}} needs at least two periods, e.g. "
                "periods={'boom': (2000, 2007), 'crisis': (2008, 2010)}."
            )
        return x, "period"
    argument = "pooled_slopes" if pooled_slopes else "random_slopes"
    return random_slope(spec, coef, effects, name=argument)


def period_codes(
    years: np.ndarray | None, periods: Mapping[str, tuple[int, int]] | None
) -> np.ndarray:
    """The position of each row's period (inclusive year bounds); every row needs one."""
    if years is None or not periods:
        raise ModelSpecificationError("pooled_slopes by 'period' needs a 'year' column.")
    years = np.asarray(years)
    codes = np.full(len(years), -1, dtype=np.int64)
    for j, (lo, hi) in enumerate(periods.values()):
        codes[(years >= lo) & (years <= hi)] = j
    if (codes < 0).any():
        outside = sorted({int(y) for y in years[codes < 0]})
        raise ModelSpecificationError(
            f"{int((codes < 0).sum())} flow(s) fall in no period (years "
            f"{format_values(outside)}); extend periods= or select the years first."
        )
    return codes
