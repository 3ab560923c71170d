"""The embedded Kazakhstan dataset: inter-regional flows, region attributes, admin centres.

Built by ``scripts/build_kazakhstan_data.py`` from public BNS statistics; every source,
transformation and caveat is in ``migflows/data/datasets/kazakhstan/DATASHEET.md``.
No network access is needed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from functools import cache
from importlib import resources

import pandas as pd

from migflows.data.panel import FlowPanel
from migflows.data.panel_inputs import whole_years
from migflows.errors import DataQualityWarning, InvalidOptionError, format_values

DATASET = "kazakhstan"
FLAGGED_QUALITY = ("corrupt", "partial")


@cache
def _read(name: str) -> pd.DataFrame:
    path = resources.files("migflows.data.datasets").joinpath(f"{DATASET}/{name}")
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=True)


def kazakhstan_tables() -> dict[str, pd.DataFrame]:
    """The curated tables behind :func:`load_kazakhstan`, as stored (copies).

    Returns
    -------
    dict
        ``flows`` (with ``source`` and ``quality``), ``region_attributes`` (long, with
        ``unit``, ``source``, ``quality``), ``regions`` (registry), ``boundaries``,
        ``sources``.

    Examples
    --------
    >>> t = kazakhstan_tables()
    >>> sorted(t)
    ['boundaries', 'flows', 'region_attributes', 'regions', 'sources']
    """
    names = ["flows", "region_attributes", "regions", "boundaries", "sources"]
    return {n: _read(f"{n}.csv").copy() for n in names}


def load_kazakhstan(
    years: Iterable[int] | None = None,
    *,
    include_flagged: bool = False,
    boundaries: str = "2022",
    attributes: Iterable[str] | None = None,
) -> FlowPanel:
    """Load Kazakhstan's inter-regional migration flows as a ready :class:`FlowPanel`.

    Flows are BNS origin–destination counts between the 20 current regions (17 oblasts and
    the cities of Astana, Almaty and Shymkent) for 2010, 2015, 2020, 2021, 2022, 2023, 2024
    and 2025. The 2022 table is corrupt (most pairs have identical counts both ways; its net
    balances contradict the arrivals/departures statistics) and 2025 covers part of the
    year only: both are excluded by default.

    Region attributes (by region and year): ``population`` (1 January), ``grp_pc``
    (GRP per capita, thousand KZT), ``unemployment`` (%), ``income_pc`` (nominal cash
    income per capita, KZT/month), ``wage`` (average monthly nominal wage, KZT),
    ``arrivals_all``/``departures_all`` (all registered moves incl. intra-regional).
    Coordinates are the admin centres (GeoNames); distances are great-circle km.

    Parameters
    ----------
    years : iterable of int, optional
        Years to load. Asking for 2022 or 2025 explicitly loads them with a
        :class:`~migflows.errors.DataQualityWarning`.
    include_flagged : bool, default False
        Load every year, including the corrupt and partial ones (with a warning).
    boundaries : {"2022", "2018", "2017"}
        Return the panel harmonized to earlier boundaries (see :meth:`FlowPanel.harmonize`).
    attributes : iterable of str, optional
        Keep only these region attributes (default: all).

    Returns
    -------
    FlowPanel

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan()
    >>> kz.years
    [2010, 2015, 2020, 2021, 2023, 2024]
    >>> int(kz.flows.query("year == 2023")["flow"].sum())
    472227
    """
    flows = _read("flows.csv")
    quality = flows.groupby("year")["quality"].agg(lambda q: sorted(set(q)))
    flagged = sorted(int(str(y)) for y, q in quality.items() if set(q) & set(FLAGGED_QUALITY))
    available = sorted(int(str(y)) for y in quality.index)
    if years is None:
        wanted = available if include_flagged else [y for y in available if y not in flagged]
    else:
        wanted = sorted(set(whole_years(years, "years")))
        absent = [y for y in wanted if y not in available]
        if absent:
            raise InvalidOptionError(
                f"years {format_values(absent)} are not in the embedded Kazakhstan data; "
                f"available: {available}."
            )
    chosen_flagged = [y for y in wanted if y in flagged]
    if chosen_flagged:
        detail = ", ".join(f"{y} ({'/'.join(quality[y])})" for y in chosen_flagged)
        warnings.warn(
            f"Loading flagged year(s) {detail}: see DATASHEET.md and panel.check_quality() "
            f"before using them in a model.",
            DataQualityWarning,
            stacklevel=2,
        )
    sub = flows[flows["year"].isin(wanted)]
    attrs = _read("region_attributes.csv")
    current = attrs["territory"] == attrs["region"]
    wide = attrs[current].pivot(index=["region", "year"], columns="variable", values="value")
    wide.columns.name = None
    # Values of a parent region on its old, larger territory (before a split) are kept as
    # observed aggregates for harmonize(); they never enter the 20-region attribute table.
    agg = attrs[~current].pivot(index=["territory", "year"], columns="variable", values="value")
    agg.columns.name = None
    if attributes is not None:
        keep = list(attributes)
        unknown = sorted(set(keep) - set(wide.columns))
        if unknown:
            raise InvalidOptionError(
                f"attributes {format_values(unknown)} are not in the Kazakhstan data; "
                f"available: {format_values(sorted(wide.columns), limit=20)}."
            )
        wide = wide[keep]
        agg = agg[[c for c in keep if c in agg.columns]]
    registry = _read("regions.csv")
    valid_now = registry[registry["valid_to"].isna()]
    coords = valid_now[["region", "lat", "lon", "name_en", "name_ru", "admin_centre"]]
    panel = FlowPanel.from_frame(
        sub,
        regions=wide.reset_index(),
        coords=coords,
        aggregates=agg.reset_index(),
        meta={
            "source": "migflows embedded Kazakhstan dataset (BNS); see DATASHEET.md",
            "boundaries": "kazakhstan-2022",
            "flagged_years": chosen_flagged,
            "units": {"flow": "persons", "distance": "km"},
        },
    )
    if chosen_flagged:
        panel.check_quality(warn=True)
    if str(boundaries) != "2022":
        panel = panel.harmonize(boundaries=str(boundaries))
    return panel
