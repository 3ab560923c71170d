"""One label map for every table and figure of the report: variables, regions, units.

Estimators and data tables keep their stable snake_case names (``log_wage_ratio``,
``mean_ci_lower``, ``almaty_region``); what a reader sees comes from here. :func:`label`
turns any such name into its display text: the variable labels below (with units), the
Kazakhstan region names, terms of period-specific slopes (``period::early:log_wage_ratio`` ->
"log wage ratio (destination/origin), early period") and, for names it does not know, the
name with spaces. :func:`frame_html <migflows.reports.formatting.frame_html>` applies it to
every header and index label.

Examples
--------
>>> label("mean_ci_lower"), label("almaty_region"), label("period::early:unemp_diff")
('lower bound', 'Almaty reg.', 'unemployment difference (destination − origin, pp), early period')
>>> label("coverage_80")
'coverage of the 80% interval'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

__all__ = [
    "FIXED_EFFECT_LABELS",
    "VARIABLE_LABELS",
    "coefficient_label",
    "label",
    "region_names",
    "relabel_text",
    "table_labels",
]

#: Display text (with units) of the variables, columns and statistics the report shows.
VARIABLE_LABELS: dict[str, str] = {
    # flows and balances
    "flow": "flow (persons)",
    "arrivals": "arrivals (persons)",
    "departures": "departures (persons)",
    "arrivals_all": "arrivals incl. intra-regional (persons)",
    "departures_all": "departures incl. intra-regional (persons)",
    "net": "net balance (persons)",
    "gross": "gross turnover (persons)",
    "net_rate": "net migration rate (per 1,000)",
    "in_rate": "in-migration rate (per 1,000)",
    "out_rate": "out-migration rate (per 1,000)",
    "gross_rate": "gross migration rate (per 1,000)",
    "log_rate": "log migration rate",
    "attractiveness": "attractiveness (arrivals / departures)",
    "effectiveness": "effectiveness (%)",
    "net_baseline": "net balance, baseline (persons)",
    "net_counterfactual": "net balance, scenario (persons)",
    "net_change": "change in net balance (persons)",
    # region attributes
    "population": "population (persons, 1 January)",
    "grp_pc": "GRP per capita (thousand tenge)",
    "income_pc": "income per capita (tenge)",
    "wage": "average wage (tenge)",
    "unemployment": "unemployment rate (%)",
    "name_en": "name (English)",
    "name_ru": "name (Russian)",
    "admin_centre": "admin centre",
    "lat": "latitude (°N)",
    "lon": "longitude (°E)",
    # regressors
    "log_dist": "log distance (km)",
    "log_wage_ratio": "log wage ratio (destination/origin)",
    "log_grp_pc_ratio": "log GRP per capita ratio (destination/origin)",
    "log_rel_wage": "log relative wage (region/national)",
    "unemp_diff": "unemployment difference (destination − origin, pp)",
    "wage_uncertainty_diff": "wage uncertainty difference (destination − origin)",
    "log_pop_o": "log population, origin",
    "log_pop_d": "log population, destination",
    "pop_o": "population, origin",
    "pop_d": "population, destination",
    "contig": "common border",
    "log_rel_income": "log real income (region/national mean)",
    "net_migration": "net migration (persons)",
    "population_mid": "mid-year population",
    "reject_5pct": "rejected at 5%",
    "n_years": "years",
    "region_years": "region-years",
    "mase": "MASE",
    "rmse": "RMSE",
    "mae": "MAE",
    "crps": "CRPS",
    "crps_scaled": "scaled CRPS",
    "unemployment_gap": "unemployment gap (region − national, pp)",
    "uncertainty": "relative income uncertainty",
    # estimates and forecasts
    "params": "estimate",
    "std_error": "std. error",
    "std_errors": "std. error",
    "tstats": "t",
    "pvalues": "p-value",
    "mean": "mean",
    "mean_se": "std. error",
    "mean_ci_lower": "lower bound",
    "mean_ci_upper": "upper bound",
    "r_hat": "R-hat",
    "ess_bulk": "bulk ESS",
    "ess_tail": "tail ESS",
}

#: Display text of fixed-effect names in results tables (``orig^year`` -> "origin × year").
FIXED_EFFECT_LABELS: dict[str, str] = {
    "orig": "origin",
    "origin": "origin",
    "dest": "destination",
    "destination": "destination",
    "year": "year",
    "pair": "pair",
    "entity": "region",
    "time": "year",
    "region": "region",
}

_COVERAGE = re.compile(r"^coverage_(\d+)$")
_PERIOD = re.compile(r"^period::([^:]+):(.+)$")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


@cache
def region_names() -> dict[str, str]:
    """Kazakhstan region key -> short English name ("Almaty reg.", "Astana city")."""
    from migflows.data.regions import kazakhstan_regions

    reg = kazakhstan_regions()
    short = {
        k: str(v).replace(" Region", "").replace(" (city)", " city")
        for k, v in reg["name_en"].items()
    }
    out = {}
    for key, name in short.items():
        clash = any(o != name and o.startswith(name + " ") for o in short.values())
        out[str(key)] = f"{name} reg." if clash else name
    return out


def label(name: Any, regions: Mapping[str, str] | None = None) -> Any:
    """Display text for a variable, column, statistic or region key; other values unchanged.

    Parameters
    ----------
    name : any
        Non-strings are returned as they are.
    regions : mapping, optional
        Region key -> label of the panel at hand (default: Kazakhstan's region names).
    """
    if not isinstance(name, str):
        return name
    names = region_names() if regions is None else regions
    if name in names:
        return names[name]
    if name in VARIABLE_LABELS:
        return VARIABLE_LABELS[name]
    found = _COVERAGE.match(name)
    if found:
        return f"coverage of the {found.group(1)}% interval"
    found = _PERIOD.match(name)
    if found:
        return f"{label(found.group(2), regions)}, {found.group(1)} period"
    if _SNAKE.match(name):
        return name.replace("_", " ")
    return name


_TOKEN = re.compile(r"period::[A-Za-z0-9_]+:[A-Za-z0-9_]+|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def relabel_text(text: str, regions: Mapping[str, str] | None = None) -> str:
    """Free text (a note, a warning) with known variable names and region keys relabelled.

    Examples
    --------
    >>> relabel_text("missing in: period::late:log_wage_ratio (834), pop_o (380)")
    'missing in: log wage ratio (destination/origin), late period (834), population, origin (380)'
    """
    names = region_names() if regions is None else regions

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        known = token in VARIABLE_LABELS or token in names or token.startswith("period::")
        return str(label(token, regions)) if known else token

    return _TOKEN.sub(swap, text)


_LOG_CALL = re.compile(r"^log\((.+)\)$")


def coefficient_label(name: Any, regions: Mapping[str, str] | None = None) -> Any:
    """A coefficient row's display text: the label map, capitalised; raw names stay usable.

    Handles ``log(x)``, interactions ``a:b`` (joined by ×) and period-specific slopes.

    Examples
    --------
    >>> coefficient_label("log_wage_ratio"), coefficient_label("log(wage)")
    ('Log wage ratio (destination/origin)', 'Log average wage (tenge)')
    >>> coefficient_label("unemp_diff:post")
    'Unemployment difference (destination − origin, pp) × post'
    """
    if not isinstance(name, str):
        return name
    if name == "Intercept":
        return "Intercept"

    def plain(term: str) -> str:
        found = _LOG_CALL.match(term)
        return f"log {label(found.group(1), regions)}" if found else str(label(term, regions))

    parts = [name] if _PERIOD.match(name) else name.split(":")
    text = " × ".join(plain(part) for part in parts)
    return text[:1].upper() + text[1:]


def table_labels(coefficients: Sequence[str], fixed_effects: Sequence[str] = ()) -> dict[str, str]:
    """``labels=`` for a results table: coefficients and fixed effects through the label map.

    Two names that would read the same keep their raw names, so no row is lost.

    Examples
    --------
    >>> table_labels(["log_dist"], ["orig^year", "pair"])
    {'log_dist': 'Log distance (km)', 'orig^year': 'Origin × year effects', 'pair': 'Pair effects'}
    """
    out = {str(n): str(coefficient_label(str(n))) for n in coefficients}
    for fe in fixed_effects:
        parts = [FIXED_EFFECT_LABELS.get(p, p.replace("_", " ")) for p in str(fe).split("^")]
        text = " × ".join(parts)
        out[str(fe)] = f"{text[:1].upper()}{text[1:]} effects"
    shown = list(out.values())
    return {k: (k if shown.count(v) > 1 else v) for k, v in out.items()}
