"""Boundary crosswalks: aggregate a panel to another set of regions.

A :class:`Crosswalk` maps each source region to one or more target regions with weights
(1 for a merge; shares summing to 1 for a split). Harmonizing a :class:`FlowPanel`:

* **flows** are re-aggregated exactly: ``F'(a, b) = Σ w(o→a) · w(d→b) · F(o, d)``. A flow
  between two parts of one merged region becomes internal: it leaves the OD table and is
  added to ``panel.intra`` (and reported in ``meta['internalised']``).
* **region attributes** follow ``rules``: ``"sum"`` for counts (default for ``population``
  and names starting with ``arrivals``/``departures``), ``"pop_mean"`` (population-weighted
  mean; default for everything else: wages, GRP per capita, rates), ``"mean"`` or ``"first"``.
  A weighted mean needs the population of every part in that year; otherwise it is missing.
  Observed values for a target's exact territory take precedence over aggregated parts:
  ``panel.aggregates`` rows whose territory (``"shymkent_city+turkistan"``) is the union of
  the target's sources (official South Kazakhstan figures before 2018, East Kazakhstan
  before Abai was split off), and rows stored under a target key that no source maps from.
* **pair variables** (``pair_vars=``, ``assign``) have no general aggregation rule and are
  left out, with a warning naming them.
* **distances** are recomputed from the target regions' coordinates when every target has
  them (the crosswalk may supply historic admin centres), else the flow-unweighted mean of
  the parts' distances is used (documented approximation).

Kazakhstan's boundary history is built in (:func:`kazakhstan_crosswalk`):
2018 South Kazakhstan → Turkistan + Shymkent (city); 2022 East Kazakhstan → East Kazakhstan
+ Abai, Almaty region → Almaty region + Zhetisu, Karaganda → Karaganda + Ulytau.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from migflows.data.geo import distance_table
from migflows.data.validation import to_numeric, validate_coords
from migflows.errors import BoundaryError, InvalidOptionError, format_values

if TYPE_CHECKING:
    from migflows.data.panel import FlowPanel

COUNT_PREFIXES = ("arrivals", "departures")
RULES = ("sum", "pop_mean", "mean", "first")


@dataclass(frozen=True)
class Crosswalk:
    """Mapping of source regions to target regions.

    Parameters
    ----------
    table : DataFrame
        Columns ``from_region``, ``to_region`` and optional ``weight`` (default 1). The
        weights of each source region must sum to 1.
    coords : DataFrame, optional
        ``region, lat, lon`` of target admin centres that differ from the panel's.
    name : str
        Label recorded in ``panel.meta['boundaries']``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"from_region": ["a", "b", "c"], "to_region": ["ab", "ab", "c"]})
    >>> cw = Crosswalk(table)
    >>> cw.mapping()
    {'a': 'ab', 'b': 'ab', 'c': 'c'}
    """

    table: pd.DataFrame
    coords: pd.DataFrame | None = None
    name: str = "custom"
    _checked: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        t = self.table
        if not isinstance(t, pd.DataFrame):
            raise BoundaryError(
                f"A crosswalk table must be a DataFrame with columns 'from_region' and "
                f"'to_region', got {type(t).__name__}."
            )
        missing = [c for c in ("from_region", "to_region") if c not in t.columns]
        if missing:
            raise BoundaryError(
                f"A crosswalk table needs columns 'from_region' and 'to_region' (and optional "
                f"'weight'); {format_values(missing)} missing. Got {list(t.columns)}."
            )
        tab = t[["from_region", "to_region"]].astype(str).copy()
        tab["weight"] = (
            to_numeric(t["weight"], "weight", "crosswalk").to_numpy() if "weight" in t else 1.0
        )
        if (tab["weight"] <= 0).any() or tab["weight"].isna().any():
            raise BoundaryError("Crosswalk weights must be positive numbers.")
        sums = tab.groupby("from_region")["weight"].sum()
        off = sums[~np.isclose(sums, 1.0)]
        if len(off):
            raise BoundaryError(
                f"The weights of {len(off)} source region(s) do not sum to 1: "
                f"{format_values([(k, round(x, 6)) for k, x in off.items()])}. A merge has "
                f"weight 1; a split shares the source among targets."
            )
        if tab.duplicated(["from_region", "to_region"]).any():
            raise BoundaryError("The crosswalk repeats (from_region, to_region) rows.")
        object.__setattr__(self, "table", tab.reset_index(drop=True))
        if self.coords is not None:
            object.__setattr__(self, "coords", validate_coords(self.coords))

    def mapping(self) -> dict[str, str]:
        """Source → target for crosswalks without splits (raises for splits)."""
        if self.table["from_region"].duplicated().any():
            raise BoundaryError("This crosswalk splits regions; use its weighted table.")
        return dict(zip(self.table["from_region"], self.table["to_region"], strict=True))

    def complete(self, regions: list[str]) -> pd.DataFrame:
        """The table extended with identity rows for regions the crosswalk does not name."""
        named = set(self.table["from_region"])
        extra = [r for r in regions if r not in named]
        ident = pd.DataFrame({"from_region": extra, "to_region": extra, "weight": 1.0})
        return pd.concat([self.table, ident], ignore_index=True)


# Kazakhstan: boundary versions named by the first year they apply to.
_KZ_2022_TO_2018 = {"abai": "east_kazakhstan", "zhetisu": "almaty_region", "ulytau": "karaganda"}
_KZ_2018_TO_2017 = {"turkistan": "south_kazakhstan", "shymkent_city": "south_kazakhstan"}
# Admin centres that differ from the current ones (GeoNames): Almaty region was run from
# Taldykorgan until 2022; South Kazakhstan from Shymkent.
_KZ_HISTORIC_CENTRES = {
    "almaty_region": (45.01556, 78.37389),
    "south_kazakhstan": (42.30988, 69.60042),
}
KZ_BOUNDARIES = ("2017", "2018", "2022")


def kazakhstan_crosswalk(boundaries: str) -> Crosswalk:
    """The crosswalk from current (2022) Kazakhstan regions to an earlier boundary version.

    Parameters
    ----------
    boundaries : {"2017", "2018", "2022"}
        ``"2017"``: 16 regions before 2018 (South Kazakhstan whole); ``"2018"``: 17 regions,
        2018–2021 (Turkistan and Shymkent apart; Abai, Zhetisu, Ulytau inside their
        parents); ``"2022"``: the current 20 regions (identity).

    Returns
    -------
    Crosswalk

    Examples
    --------
    >>> kazakhstan_crosswalk("2017").mapping()["shymkent_city"]
    'south_kazakhstan'
    """
    key = str(boundaries)
    if key not in KZ_BOUNDARIES:
        raise InvalidOptionError(
            f"boundaries={boundaries!r} is not a Kazakhstan boundary version; use one of "
            f"{format_values(KZ_BOUNDARIES)} or pass crosswalk=."
        )
    mapping: dict[str, str] = {}
    if key in ("2017", "2018"):
        mapping.update(_KZ_2022_TO_2018)
    if key == "2017":
        mapping.update(_KZ_2018_TO_2017)
    table = pd.DataFrame({"from_region": list(mapping), "to_region": list(mapping.values())})
    centres = {
        r: c for r, c in _KZ_HISTORIC_CENTRES.items() if key == "2017" or r != "south_kazakhstan"
    }
    coords = None
    if key != "2022":
        coords = pd.DataFrame(
            {
                "region": list(centres),
                "lat": [c[0] for c in centres.values()],
                "lon": [c[1] for c in centres.values()],
            }
        )
    return Crosswalk(table, coords=coords, name=f"kazakhstan-{key}")


def _default_rule(name: str) -> str:
    if name == "population" or name.startswith(COUNT_PREFIXES):
        return "sum"
    return "pop_mean"


def harmonize(
    panel: FlowPanel,
    *,
    boundaries: str | None = None,
    crosswalk: Crosswalk | pd.DataFrame | None = None,
    rules: Mapping[str, str] | None = None,
) -> FlowPanel:
    """Aggregate a FlowPanel to other boundaries (see the module docstring for the rules).

    Parameters
    ----------
    panel : FlowPanel
        The panel to aggregate (not modified).
    boundaries : str, optional
        A named Kazakhstan boundary version (``"2017"``, ``"2018"``, ``"2022"``).
    crosswalk : Crosswalk or DataFrame, optional
        A user crosswalk (``from_region, to_region[, weight]``); overrides ``boundaries``.
    rules : mapping, optional
        Attribute → ``"sum" | "pop_mean" | "mean" | "first"``, overriding the defaults.

    Returns
    -------
    FlowPanel
        With ``meta['boundaries']`` and ``meta['internalised']`` (flows that became internal).

    Examples
    --------
    >>> import migflows
    >>> kz = migflows.load_kazakhstan(years=[2023])
    >>> old = kz.harmonize(boundaries="2017")
    >>> len(old.region_keys), int(old.flows["flow"].sum()) < int(kz.flows["flow"].sum())
    (16, True)
    """
    if crosswalk is None:
        if boundaries is None:
            raise InvalidOptionError("Pass boundaries= (e.g. '2017') or crosswalk= to harmonize.")
        from migflows.data.regions import KZ_REGION_KEYS

        unknown = sorted(set(panel.region_keys) - set(KZ_REGION_KEYS))
        if unknown:
            raise BoundaryError(
                f"Named boundaries ({boundaries!r}) are defined for Kazakhstan's region keys; "
                f"{len(unknown)} region(s) are not among them: {format_values(unknown)}. Pass "
                f"your own crosswalk= table (from_region, to_region[, weight])."
            )
        cw = kazakhstan_crosswalk(boundaries)
    elif isinstance(crosswalk, pd.DataFrame):
        cw = Crosswalk(crosswalk)
    else:
        cw = crosswalk
    rules = dict(rules or {})
    bad = {k: r for k, r in rules.items() if r not in RULES}
    if bad:
        raise InvalidOptionError(f"Unknown aggregation rule(s) {bad}; allowed: {RULES}.")

    table = cw.complete(panel.region_keys)
    flows, internal = _aggregate_flows(panel.flows, table)
    intra = panel.intra
    if len(intra):
        intra, _ = _aggregate_flows(intra, table, keep_internal=True)
    if len(internal):
        intra = (
            pd.concat([intra, internal], ignore_index=True)
            .groupby(["origin", "destination", "year"])["flow"]
            .sum()
            .reset_index()
        )
    regions = panel.regions
    aggregates = panel.aggregates
    if regions is not None:
        regions = _aggregate_regions(regions, table, rules, aggregates)
    if aggregates is not None:
        aggregates = _rekey_aggregates(aggregates, table)
    coords = _target_coords(panel.coords, cw, table)
    targets = sorted(set(flows["origin"]) | set(flows["destination"]))
    distances = None
    if coords is not None and set(targets) <= set(coords.index):
        distances = distance_table(coords.loc[targets])
    elif panel.distances is not None:
        distances = _aggregate_distances(panel.distances, table)
    meta = {**panel.meta, "boundaries": cw.name, "internalised": _count(internal["flow"].sum())}
    carried = panel.pair_variables
    pair_vars = (
        []
        if carried is None
        else [c for c in carried.columns if c not in ("origin", "destination", "year")]
    )
    if pair_vars:
        import warnings

        from migflows.errors import DroppedRowsWarning

        warnings.warn(
            f"Pair variables {format_values(pair_vars)} have no aggregation rule across "
            f"boundaries and are not carried into the harmonized panel; recompute them there.",
            DroppedRowsWarning,
            stacklevel=3,
        )
    out = type(panel)(
        flows,
        aggregates=aggregates,
        regions=regions,
        distances=distances,
        coords=coords,
        intra=intra,
        dropped=panel.dropped,
        pair_vars=None,
        meta=meta,
    )
    return out


def _aggregate_flows(
    flows: pd.DataFrame, table: pd.DataFrame, keep_internal: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    o = flows.merge(
        table.rename(columns={"from_region": "origin", "to_region": "o2", "weight": "wo"}),
        on="origin",
        how="left",
    )
    od = o.merge(
        table.rename(columns={"from_region": "destination", "to_region": "d2", "weight": "wd"}),
        on="destination",
        how="left",
    )
    od["flow"] = od["flow"] * od["wo"] * od["wd"]
    agg = (
        od.groupby(["o2", "d2", "year"])["flow"]
        .sum()
        .reset_index()
        .rename(columns={"o2": "origin", "d2": "destination"})
    )
    agg = agg[["origin", "destination", "year", "flow"]]
    if keep_internal:
        return agg.reset_index(drop=True), agg.iloc[0:0]
    internal = agg[agg["origin"] == agg["destination"]].reset_index(drop=True)
    agg = agg[agg["origin"] != agg["destination"]]
    agg = agg.sort_values(["year", "origin", "destination"]).reset_index(drop=True)
    return agg, internal


def _territory_targets(table: pd.DataFrame) -> dict[str, str]:
    """``'a+b'`` → target for every target that is a pure merge (all weights 1) of its sources."""
    out = {}
    for target, part in table.groupby("to_region"):
        if np.allclose(part["weight"], 1.0):
            out["+".join(sorted(part["from_region"]))] = str(target)
    return out


def _rekey_aggregates(aggregates: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame | None:
    """Express observed territories in target keys; drop those that became single regions."""
    mapping = {
        r: t
        for r, t, w in table[["from_region", "to_region", "weight"]].itertuples(index=False)
        if w == 1.0
    }
    flat = aggregates.reset_index()
    new_keys: list[str | None] = []
    for territory in flat["territory"].astype(str):
        members = territory.split("+")
        targets = sorted({mapping[m] for m in members if m in mapping})
        ok = all(m in mapping for m in members) and len(targets) > 1
        new_keys.append("+".join(targets) if ok else None)
    flat["territory"] = new_keys
    flat = flat.dropna(subset=["territory"])
    if not len(flat):
        return None
    frame = flat.set_index(["territory", "year"])
    return frame[~frame.index.duplicated()].sort_index()


def _aggregate_regions(
    regions: pd.DataFrame,
    table: pd.DataFrame,
    rules: dict[str, str],
    aggregates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    frame = regions.reset_index()
    sources = set(table["from_region"])
    targets = set(table["to_region"])
    mapped = frame[frame["region"].isin(sources)].merge(
        table.rename(columns={"from_region": "region"}), on="region"
    )
    # Rows stored directly under a target key that no source maps from (official aggregates).
    direct = frame[~frame["region"].isin(sources) & frame["region"].isin(targets)]
    passthrough = frame[~frame["region"].isin(sources | targets)]
    pop = mapped["population"] * mapped["weight"] if "population" in mapped else None
    out = {}
    keys = ["to_region", "year"]
    for col in regions.columns:
        rule = rules.get(col, _default_rule(col))
        vals = mapped[col]
        if rule == "sum":
            w = vals * mapped["weight"]
            out[col] = w.groupby([mapped[k] for k in keys]).sum(min_count=1)
            # A sum over parts with a missing part is missing, not an undercount.
            anymiss = vals.isna().groupby([mapped[k] for k in keys]).any()
            out[col] = out[col].where(~anymiss)
        elif rule == "pop_mean":
            if pop is None:
                raise BoundaryError(
                    f"Attribute {col!r} is aggregated by a population-weighted mean, but the "
                    f"panel has no 'population'; pass rules={{{col!r}: 'mean'}} or add it."
                )
            num = (vals * pop).groupby([mapped[k] for k in keys]).sum(min_count=1)
            den = pop.where(vals.notna()).groupby([mapped[k] for k in keys]).sum(min_count=1)
            anymiss = (vals.isna() | pop.isna()).groupby([mapped[k] for k in keys]).any()
            out[col] = (num / den).where(~anymiss)
        elif rule == "mean":
            out[col] = vals.groupby([mapped[k] for k in keys]).mean()
        else:
            out[col] = vals.groupby([mapped[k] for k in keys]).first()
    agg = pd.DataFrame(out)
    agg.index = agg.index.set_names(["region", "year"])
    if len(direct):
        observed = direct.set_index(["region", "year"])[list(regions.columns)]
        agg = observed.combine_first(agg)
    if aggregates is not None:
        # Observed values for the exact union of a target's parts (e.g. East Kazakhstan before
        # Abai was split off) take precedence over values aggregated from the parts.
        lookup = _territory_targets(table)
        obs = aggregates.reset_index()
        obs = obs[obs["territory"].isin(list(lookup))]
        if len(obs):
            obs = obs.assign(region=obs["territory"].map(lookup)).drop(columns="territory")
            cols = [c for c in regions.columns if c in obs.columns]
            observed = obs.set_index(["region", "year"])[cols]
            agg = observed.combine_first(agg)[list(regions.columns)]
    if len(passthrough):
        agg = pd.concat([agg, passthrough.set_index(["region", "year"])[list(regions.columns)]])
    return agg.sort_index()


def _target_coords(
    coords: pd.DataFrame | None, cw: Crosswalk, table: pd.DataFrame
) -> pd.DataFrame | None:
    if coords is None and cw.coords is None:
        return None
    targets = sorted(set(table["to_region"]))
    base = coords[["lat", "lon"]] if coords is not None else pd.DataFrame(columns=["lat", "lon"])
    if cw.coords is not None:
        base = pd.concat([cw.coords[["lat", "lon"]], base[~base.index.isin(cw.coords.index)]])
    have = base[base.index.isin(targets)]
    have.index.name = "region"
    return have.sort_index() if len(have) else None


def _aggregate_distances(distances: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    m = table[["from_region", "to_region"]]
    d = distances.merge(m.rename(columns={"from_region": "origin", "to_region": "o2"}), on="origin")
    d = d.merge(
        m.rename(columns={"from_region": "destination", "to_region": "d2"}), on="destination"
    )
    d = d[d["o2"] != d["d2"]]
    out = d.groupby(["o2", "d2"])["distance"].mean().reset_index()
    return out.rename(columns={"o2": "origin", "d2": "destination"})


def _count(total: float) -> int | float:
    """A sum of flows as an int when whole (persons), else the float."""
    return int(total) if float(total).is_integer() else float(total)
