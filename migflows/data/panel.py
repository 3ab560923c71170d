"""The validated origin–destination panel every model reads: :class:`FlowPanel`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from migflows.data import panel_inputs as inputs
from migflows.data import validation as v
from migflows.data.covariates import CovariateContext, covariate_table
from migflows.data.panel_inputs import validate_panel_inputs
from migflows.errors import (
    InvalidOptionError,
    MissingRegionError,
    PanelStructureError,
    format_values,
)

if TYPE_CHECKING:
    from migflows.data.crosswalk import Crosswalk
    from migflows.data.quality import QualityReport

VALID_YEARS = (1900, 2100)


class FlowPanel:
    """A validated long panel of migration flows with region attributes and geography.

    Build it with :meth:`FlowPanel.from_frame`, :func:`migflows.read_od_matrix` or
    :func:`migflows.load_kazakhstan`; it is immutable (every method returns a new panel and
    every view is a copy). Flows are off-diagonal: intra-regional moves, when kept, live in
    :attr:`intra`. Rows dropped under a documented option stay inspectable in :attr:`dropped`.

    Attributes
    ----------
    flows : DataFrame
        ``origin, destination, year, flow`` sorted by year, origin, destination.
    regions : DataFrame or None
        Region-year attributes indexed by ``(region, year)`` (e.g. ``population``, ``wage``).
    distances : DataFrame or None
        ``origin, destination, distance`` (km) for every ordered pair of regions.
    coords : DataFrame or None
        ``lat``, ``lon`` (and optional names) indexed by region.

    Examples
    --------
    >>> import pandas as pd
    >>> import migflows
    >>> df = pd.DataFrame({"from": ["a", "b", "a"], "to": ["b", "a", "c"],
    ...                    "yr": [2020, 2020, 2020], "n": [10, 4, 0]})
    >>> panel = migflows.FlowPanel.from_frame(
    ...     df, origin="from", destination="to", year="yr", flow="n"
    ... )
    >>> panel.nobs, panel.region_keys
    (3, ['a', 'b', 'c'])
    """

    def __init__(
        self,
        flows: pd.DataFrame,
        *,
        regions: pd.DataFrame | None = None,
        distances: pd.DataFrame | None = None,
        coords: pd.DataFrame | None = None,
        intra: pd.DataFrame | None = None,
        dropped: pd.DataFrame | None = None,
        pair_vars: pd.DataFrame | None = None,
        aggregates: pd.DataFrame | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        # Internal constructor: trusts frames already validated by from_frame / loaders.
        self._flows = flows
        self._regions = regions
        self._distances = distances
        self._coords = coords
        self._intra = intra if intra is not None else flows.iloc[0:0]
        self._dropped = dropped if dropped is not None else pd.DataFrame(columns=["reason"])
        self._pair_vars = pair_vars
        self._aggregates = aggregates
        self._meta = dict(meta or {})

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(
        cls,
        flows: pd.DataFrame,
        *,
        origin: str = "origin",
        destination: str = "destination",
        year: str = "year",
        flow: str = "flow",
        regions: pd.DataFrame | None = None,
        region: str = "region",
        region_year: str = "year",
        distances: pd.DataFrame | None = None,
        coords: pd.DataFrame | None = None,
        pair_vars: Sequence[str] = (),
        aggregates: pd.DataFrame | None = None,
        self_flows: v.SelfFlows = "error",
        duplicates: v.Duplicates = "error",
        missing: v.Missing = "error",
        fill_zeros: bool = False,
        valid_years: tuple[int, int] = VALID_YEARS,
        meta: Mapping[str, Any] | None = None,
    ) -> FlowPanel:
        """Build a validated panel from a long flow table.

        Parameters
        ----------
        flows : DataFrame
            One row per origin, destination and year. Never modified.
        origin, destination, year, flow : str
            Column names in ``flows``.
        regions : DataFrame, optional
            Region-year attributes: columns ``region``, ``year`` (names set by ``region=``,
            ``region_year=``) or a ``(region, year)`` MultiIndex, and numeric attribute
            columns such as ``population``, ``wage``, ``grp_pc``, ``unemployment``. Missing
            values are allowed (covariates become NaN and are reported); every region in the
            flows must appear.
        distances : DataFrame, optional
            Pairwise distances (km): long ``origin, destination, distance`` or a square table.
            One direction per pair suffices (symmetry is assumed).
        coords : DataFrame, optional
            ``region, lat, lon`` of admin centres; distances are computed from them by
            great-circle distance when ``distances`` is not given.
        pair_vars : sequence of str
            Further columns of ``flows`` to keep as pair-year variables (e.g. ``contig``).
        aggregates : DataFrame, optional
            Observed attributes of unions of regions, e.g. a parent region before it was
            split: columns ``territory`` (region keys joined by ``+``, such as
            ``"abai+east_kazakhstan"``), ``year`` and the attribute columns.
            :meth:`harmonize` uses them in preference to aggregating the parts.
        self_flows : {"error", "drop", "keep"}
            Rows with origin == destination: raise (default), drop with a warning, or keep
            them apart as intra-regional moves in :attr:`intra`.
        duplicates : {"error", "sum"}
            Repeated (origin, destination, year): raise (default) or add up with a warning.
        missing : {"error", "drop"}
            Missing flows: raise (default) or drop with a warning (see :attr:`dropped`).
        fill_zeros : bool, default False
            Add the absent ordered pairs of each year as explicit zero flows (PPML needs
            zeros; many offices omit them). The count added is in ``meta['zeros_filled']``.
        valid_years : (int, int)
            Allowed year range.
        meta : mapping, optional
            Free-form metadata carried along (source, units).

        Returns
        -------
        FlowPanel

        Raises
        ------
        MissingColumnError, NonNumericError, MissingValueError, NegativeFlowError,
        DuplicateFlowError, SelfFlowError, YearRangeError, RegionCodeError,
        MissingRegionError, InvalidDistanceError
            With a message naming the column, the values and their count.

        Examples
        --------
        >>> import pandas as pd
        >>> from migflows import FlowPanel
        >>> df = pd.DataFrame({"origin": ["a", "b"], "destination": ["b", "a"],
        ...                    "year": [2020, 2020], "flow": [5, 3]})
        >>> coords = pd.DataFrame({"region": ["a", "b"], "lat": [0.0, 0.0], "lon": [0.0, 1.0]})
        >>> FlowPanel.from_frame(df, coords=coords).covariates(["log_dist"]).round(3)
           log_dist
        0     4.711
        1     4.711
        """
        parts = validate_panel_inputs(
            flows,
            origin=origin,
            destination=destination,
            year=year,
            flow=flow,
            regions=regions,
            region=region,
            region_year=region_year,
            distances=distances,
            coords=coords,
            pair_vars=pair_vars,
            aggregates=aggregates,
            self_flows=self_flows,
            duplicates=duplicates,
            missing=missing,
            valid_years=valid_years,
        )
        panel = cls(parts.pop("flows"), **parts, meta=meta)
        return panel.complete() if fill_zeros else panel

    def _replace(self, **changes: Any) -> FlowPanel:
        parts = ("regions", "distances", "coords", "intra", "dropped", "pair_vars", "aggregates")
        state: dict[str, Any] = {name: getattr(self, f"_{name}") for name in (*parts, "meta")}
        state.update(changes)
        return type(self)(state.pop("flows", self._flows), **state)

    # ------------------------------------------------------------------ views
    @property
    def flows(self) -> pd.DataFrame:
        """Long flow table ``origin, destination, year, flow`` (a copy; whole flows as int)."""
        return v.integer_counts(self._flows.copy(), ["flow"])

    @property
    def regions(self) -> pd.DataFrame | None:
        """Region-year attributes indexed by ``(region, year)`` (a copy), or None."""
        return None if self._regions is None else self._regions.copy()

    @property
    def distances(self) -> pd.DataFrame | None:
        """Pairwise distances ``origin, destination, distance`` in km (a copy), or None."""
        return None if self._distances is None else self._distances.copy()

    @property
    def coords(self) -> pd.DataFrame | None:
        """Admin-centre coordinates indexed by region (a copy), or None."""
        return None if self._coords is None else self._coords.copy()

    @property
    def aggregates(self) -> pd.DataFrame | None:
        """Observed attributes of unions of regions, indexed by ``(territory, year)``, or None."""
        return None if self._aggregates is None else self._aggregates.copy()

    @property
    def intra(self) -> pd.DataFrame:
        """Intra-regional moves (origin == destination) kept with ``self_flows='keep'``."""
        return self._intra.copy()

    @property
    def dropped(self) -> pd.DataFrame:
        """Rows dropped under a documented option, with a ``reason`` column."""
        return self._dropped.copy()

    @property
    def meta(self) -> dict[str, Any]:
        """Free-form metadata (source, units, boundary version)."""
        return dict(self._meta)

    @property
    def pair_variables(self) -> pd.DataFrame | None:
        """User pair-year variables (``origin, destination, year`` + columns), or None."""
        return None if self._pair_vars is None else self._pair_vars.copy()

    @property
    def years(self) -> list[int]:
        """Sorted years with flows."""
        return sorted(int(y) for y in self._flows["year"].unique())

    @property
    def region_keys(self) -> list[str]:
        """Sorted region codes appearing in the flows."""
        return sorted(set(self._flows["origin"]).union(self._flows["destination"]))

    @property
    def nobs(self) -> int:
        """Number of origin–destination–year observations."""
        return len(self._flows)

    @property
    def attributes(self) -> list[str]:
        """Names of the region-year attributes."""
        return [] if self._regions is None else [str(c) for c in self._regions.columns]

    @property
    def is_balanced(self) -> bool:
        """True when every ordered pair of regions is observed in every year."""
        n = len(self.region_keys)
        return self.nobs == n * (n - 1) * len(self.years)

    @property
    def pairs(self) -> pd.DataFrame:
        """Flows with distance and the attributes of origin (``_o``) and destination (``_d``).

        Derived covariates (``log_wage_ratio`` …) come from :meth:`covariates`.
        """
        out = self.flows
        names: list[str] = []
        if self._distances is not None:
            names += ["distance", "log_dist"]
        for attr in self.attributes:
            names += [f"{attr}_o", f"{attr}_d"]
        if self._pair_vars is not None:
            names += [
                c for c in self._pair_vars.columns if c not in ("origin", "destination", "year")
            ]
        if names:
            out = pd.concat([out, self.covariates(names)], axis=1)
        return out

    # ------------------------------------------------------------------ covariates
    def covariates(
        self,
        names: Iterable[str],
        *,
        missing: Literal["keep", "error", "drop"] = "keep",
    ) -> pd.DataFrame:
        """Compute dyadic covariates aligned with :attr:`flows`.

        Parameters
        ----------
        names : iterable of str
            Names from the grammar of :mod:`migflows.data.covariates`: ``log_dist``,
            ``log_pop_o``, ``log_pop_d``, ``log_wage_ratio`` (destination over origin),
            ``wage_gap``, ``log_grp_pc_ratio``, ``unemp_diff``, ``lag(var, k)`` …
        missing : {"keep", "error", "drop"}
            What to do with rows where a covariate is missing: keep NaN (default), raise
            :class:`~migflows.errors.MissingValueError` naming the region-years, or drop the
            rows with a :class:`~migflows.errors.DroppedRowsWarning` giving the count.

        Returns
        -------
        DataFrame
            One column per name, index aligned with ``panel.flows``.

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan(years=[2020, 2021])
        >>> X = kz.covariates(["log_dist", "log_pop_o", "log_pop_d"])
        >>> X.shape
        (760, 3)
        """
        return covariate_table(self._context(), names, self._flows.index, missing)

    def _context(self) -> CovariateContext:
        return CovariateContext(
            keys=self._flows[["origin", "destination", "year"]],
            regions=self._regions,
            distances=self._distances,
            flows=self._flows,
            pair_vars=self._pair_vars,
        )

    def coverage(self) -> pd.DataFrame:
        """Share of regions with a non-missing value, by attribute (rows) and flow year (columns).

        Examples
        --------
        >>> import migflows
        >>> float(migflows.load_kazakhstan().coverage().loc["population", 2021])
        1.0
        """
        from migflows.data.panel_indices import attribute_coverage

        return attribute_coverage(self)

    def assign(
        self, **variables: pd.Series | np.ndarray | Callable[[pd.DataFrame], Any]
    ) -> FlowPanel:
        """Add user-defined pair-year variables and return a new panel.

        Each value is an array or Series aligned with :attr:`flows`, or a function of the
        :attr:`pairs` frame returning one. The names become usable in :meth:`covariates`
        and in formulas (lags included).

        Examples
        --------
        >>> import migflows
        >>> kz = migflows.load_kazakhstan(years=[2021])
        >>> south = ["turkistan", "zhambyl"]
        >>> kz2 = kz.assign(south=lambda p: p["origin"].isin(south).astype(float))
        >>> float(kz2.covariates(["south"])["south"].sum())
        38.0
        """
        base = (
            self._flows[["origin", "destination", "year"]].copy()
            if self._pair_vars is None
            else self._pair_vars.copy()
        )
        pairs = self.pairs
        for name, value in variables.items():
            result = value(pairs) if callable(value) else value
            base[name] = inputs.assigned_values(name, result, pairs.index)
        return self._replace(pair_vars=base)

    # ------------------------------------------------------------------ reshaping
    def select(
        self, *, years: Iterable[int] | None = None, regions: Iterable[str] | None = None
    ) -> FlowPanel:
        """Keep some years and/or regions (flows between kept regions only).

        Examples
        --------
        >>> import migflows
        >>> migflows.load_kazakhstan().select(years=[2023]).years
        [2023]
        """
        mask = pd.Series(True, index=self._flows.index)
        if years is not None:
            wanted = set(inputs.whole_years(years, "years"))
            absent = sorted(wanted - set(self.years))
            if absent:
                raise InvalidOptionError(
                    f"years {format_values(absent)} have no flows; available: {self.years}."
                )
            mask &= self._flows["year"].isin(wanted)
        if regions is not None:
            keep = {str(r) for r in ([regions] if isinstance(regions, str) else regions)}
            absent_r = sorted(keep - set(self.region_keys))
            if absent_r:
                raise MissingRegionError(
                    f"regions {format_values(absent_r)} are not in the panel; available: "
                    f"{format_values(self.region_keys, limit=30)}."
                )
            mask &= self._flows["origin"].isin(keep) & self._flows["destination"].isin(keep)
        flows = self._flows[mask].reset_index(drop=True)
        if len(flows) == 0:
            raise PanelStructureError(
                "The selection keeps no flow: no pair of the kept regions has a flow in the "
                "kept years. Keep at least two regions that exchange migrants."
            )
        pair_vars = None
        if self._pair_vars is not None:
            pair_vars = self._pair_vars[mask.to_numpy()].reset_index(drop=True)
        intra = self._intra
        if len(intra):
            intra = intra[
                intra["year"].isin(flows["year"])
                & intra["origin"].isin(set(flows["origin"]) | set(flows["destination"]))
            ].reset_index(drop=True)
        return self._replace(flows=flows, pair_vars=pair_vars, intra=intra)

    def complete(self, fill: float = 0.0) -> FlowPanel:
        """Add every absent ordered pair of regions in each year as an explicit flow ``fill``.

        Many statistical offices omit zero cells; PPML needs them. Pair variables of the
        added rows are missing (NaN).

        Examples
        --------
        >>> import pandas as pd, migflows
        >>> df = pd.DataFrame({"origin": ["a"], "destination": ["b"], "year": [2020], "flow": [3]})
        >>> migflows.FlowPanel.from_frame(df).complete().nobs
        2
        """
        inputs.check_fill(fill)
        keys = self.region_keys
        full = pd.MultiIndex.from_tuples(
            [(y, o, d) for y in self.years for o in keys for d in keys if o != d],
            names=["year", "origin", "destination"],
        )
        cur = self._flows.set_index(["year", "origin", "destination"])["flow"]
        added = len(full) - len(cur)
        flows = (
            cur.reindex(full, fill_value=fill)
            .reset_index()[["origin", "destination", "year", "flow"]]
            .astype({"flow": "float64"})
        )
        meta = {**self._meta, "zeros_filled": int(added) + int(self._meta.get("zeros_filled", 0))}
        pair_vars = None
        if self._pair_vars is not None:
            pair_vars = flows[["origin", "destination", "year"]].merge(
                self._pair_vars, on=["origin", "destination", "year"], how="left"
            )
        return self._replace(flows=flows, pair_vars=pair_vars, meta=meta)

    def to_matrix(self, year: int) -> pd.DataFrame:
        """Square origin × destination matrix of one year (diagonal and absent cells 0).

        Examples
        --------
        >>> import migflows
        >>> m = migflows.load_kazakhstan().to_matrix(2023)
        >>> m.shape
        (20, 20)
        """
        if int(year) not in self.years:
            raise InvalidOptionError(f"year={year!r} has no flows; available: {self.years}.")
        sub = self._flows[self._flows["year"] == int(year)]
        keys = self.region_keys
        mat = sub.pivot(index="origin", columns="destination", values="flow")
        return mat.reindex(index=keys, columns=keys).fillna(0.0)

    # ------------------------------------------------------------------ delegates
    def harmonize(
        self,
        boundaries: str | None = None,
        *,
        crosswalk: Crosswalk | pd.DataFrame | None = None,
        rules: Mapping[str, str] | None = None,
    ) -> FlowPanel:
        """Aggregate to other boundaries; see :func:`migflows.data.crosswalk.harmonize`."""
        from migflows.data.crosswalk import harmonize

        return harmonize(self, boundaries=boundaries, crosswalk=crosswalk, rules=rules)

    def check_quality(self, *, warn: bool = True) -> QualityReport:
        """Run the data-quality checks; see :func:`migflows.data.quality.check_quality`."""
        from migflows.data.quality import check_quality

        return check_quality(self, warn=warn)

    def balances(self) -> pd.DataFrame:
        """Arrivals, departures, net and gross migration by region and year.

        With rates per 1,000 population (NaN in years without population for every region),
        the migration-attractiveness coefficient (arrivals / departures) and the regional
        effectiveness; see :func:`migflows.data.indices.balances`.

        Examples
        --------
        >>> import migflows
        >>> b = migflows.load_kazakhstan(years=[2023]).balances()
        >>> int(b.loc[("astana_city", 2023), "net"]) > 0
        True
        """
        from migflows.data.panel_indices import panel_balances

        return panel_balances(self)

    def indices(
        self,
        which: Iterable[Literal["intensity", "impact", "connectivity", "distance"]] = (
            "intensity",
            "impact",
            "connectivity",
            "distance",
        ),
    ) -> pd.DataFrame:
        """System-level migration indices per year, after the R package migest.

        ``intensity`` (crude migration probability, Courgeau's k) and ``impact``
        (effectiveness, aggregate net migration rate, …) need ``population`` and are NaN in
        years without population for every region; ``distance``
        (mean, median, distance decay) needs distances. Indices whose inputs the panel
        lacks are left out with no error only when ``which`` is the default.

        Returns
        -------
        DataFrame
            One row per year; columns prefixed by the index family (``impact_effectiveness``).

        Examples
        --------
        >>> import migflows
        >>> ix = migflows.load_kazakhstan(years=[2023]).indices(["impact"])
        >>> bool(0 < ix.loc[2023, "impact_effectiveness"] < 100)
        True
        """
        from migflows.data.panel_indices import system_indices

        return system_indices(self, which)

    def complete_years(self, *attributes: str) -> list[int]:
        """Flow years in which every region with flows that year has all ``attributes``.

        Examples
        --------
        >>> import migflows
        >>> migflows.load_kazakhstan().complete_years("population", "wage")
        [2020, 2021, 2023]
        """
        if self._regions is None:
            return [] if attributes else self.years
        unknown = [a for a in attributes if a not in self._regions.columns]
        if unknown:
            raise InvalidOptionError(
                f"attributes {format_values(unknown)} are not in the panel; available: "
                f"{format_values(self.attributes, limit=20)}."
            )
        present = self._regions[list(attributes)].notna().all(axis=1)
        have = set(present.index[present.to_numpy()])
        out = []
        for year, sub in self._flows.groupby("year"):
            keys = set(sub["origin"]) | set(sub["destination"])
            if all((k, year) in have for k in keys):
                out.append(int(str(year)))
        return out

    def population(self) -> pd.Series | None:
        """Population by ``(region, year)`` if the panel has a ``population`` attribute."""
        if self._regions is None or "population" not in self._regions.columns:
            return None
        return self._regions["population"].dropna().copy()

    # ------------------------------------------------------------------ display
    def _summary_rows(self) -> list[tuple[str, str]]:
        from migflows.data.panel_indices import summary_rows

        return summary_rows(self)

    def __repr__(self) -> str:
        body = "\n".join(f"  {k:<20}{val}" for k, val in self._summary_rows())
        return f"FlowPanel\n{body}"

    def _repr_html_(self) -> str:
        import html

        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
            f"{html.escape(val)}</td></tr>"
            for k, val in self._summary_rows()
        )
        return f"<table><caption>FlowPanel</caption>{cells}</table>"
