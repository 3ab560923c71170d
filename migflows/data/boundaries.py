"""Region boundary polygons: the shipped Kazakhstan outlines and any user GeoJSON.

The outlines are plain GeoJSON read with :mod:`json` (no GIS dependency at run time): a
``Boundaries`` object maps each region key to its list of polygon rings in longitude/latitude.
:func:`kazakhstan_boundaries` returns the shipped version of 2017 (16 regions, Natural Earth
admin-1) or 2022 (20 regions; the four regions created in 2018 and 2022 are cut out
schematically, see the DATASHEET). :func:`read_boundaries` reads a user's own GeoJSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from migflows.errors import InvalidOptionError, MissingRegionError, format_values

__all__ = ["Boundaries", "boundaries_for", "kazakhstan_boundaries", "read_boundaries", "require"]

Ring = list[tuple[float, float]]

VERSIONS: tuple[str, ...] = ("2017", "2022")


@dataclass(frozen=True)
class Boundaries:
    """Polygon outlines of regions, in longitude/latitude.

    Attributes
    ----------
    polygons : dict
        Region key -> list of polygons; a polygon is a list of rings (the exterior first,
        then holes), a ring a list of ``(lon, lat)`` points.
    source : str
        Where the outlines come from (shown under maps).
    """

    polygons: Mapping[str, list[list[Ring]]]
    source: str

    @property
    def regions(self) -> list[str]:
        """The region keys that have an outline."""
        return list(self.polygons)

    def bounds(self) -> tuple[float, float, float, float]:
        """``(lon_min, lat_min, lon_max, lat_max)`` over all outlines."""
        xs = [x for polys in self.polygons.values() for p in polys for r in p for x, _ in r]
        ys = [y for polys in self.polygons.values() for p in polys for r in p for _, y in r]
        return min(xs), min(ys), max(xs), max(ys)

    def missing(self, keys: Iterable[str]) -> list[str]:
        """The keys among ``keys`` that have no outline."""
        return [k for k in keys if k not in self.polygons]


def _rings(geometry: Mapping[str, Any]) -> list[list[Ring]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates", [])
    polys = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
    if polys is None:
        raise InvalidOptionError(
            f"boundary geometry of type {kind!r} is not supported; use Polygon or MultiPolygon."
        )
    return [[[(float(x), float(y)) for x, y, *_ in ring] for ring in poly] for poly in polys]


def _from_features(
    features: Iterable[Mapping[str, Any]], key: str, source: str, version: str | None = None
) -> Boundaries:
    polygons: dict[str, list[list[Ring]]] = {}
    for i, feat in enumerate(features):
        props = feat.get("properties") or {}
        if version is not None and str(props.get("version")) != version:
            continue
        if key not in props:
            raise InvalidOptionError(
                f"feature {i} of the boundaries has no property {key!r} (it has "
                f"{format_values(sorted(props))}); pass key= naming the property that holds "
                "the region keys of your panel."
            )
        polygons.setdefault(str(props[key]), []).extend(_rings(feat["geometry"]))
    return Boundaries(polygons, source)


@cache
def _shipped() -> dict[str, Any]:
    path = resources.files("migflows.data.datasets").joinpath("kazakhstan/boundaries.geojson")
    with path.open("r", encoding="utf-8") as fh:
        return json.load(fh)


def kazakhstan_boundaries(version: int | str = 2022) -> Boundaries:
    """Simplified outlines of Kazakhstan's regions in one boundary version.

    Parameters
    ----------
    version : {2022, 2017}, default 2022
        ``2022``: the 20 regions since 2022; ``2017``: the 16 regions of 1997-2017 (with
        ``south_kazakhstan``). Source: Natural Earth admin-1 (public domain), simplified; in
        2022 the outlines of Shymkent, Abai, Zhetisu and Ulytau (and what remains of their
        parents) are schematic, drawn to the official areas (see the DATASHEET).

    Returns
    -------
    Boundaries

    Raises
    ------
    InvalidOptionError
        ``version`` is not 2017 or 2022.

    Examples
    --------
    >>> len(kazakhstan_boundaries().regions), len(kazakhstan_boundaries(2017).regions)
    (20, 16)
    """
    v = str(version)
    if v not in VERSIONS:
        raise InvalidOptionError(
            f"version={version!r} is not a shipped boundary version; use 2022 (20 regions) or "
            "2017 (16 regions)."
        )
    data = _shipped()
    source = "Boundaries: Natural Earth admin-1 (public domain), simplified" + (
        "; 2018/2022 splits schematic" if v == "2022" else ""
    )
    return _from_features(data["features"], "region", source, version=v)


def read_boundaries(path_or_data: str | Path | Mapping[str, Any], *, key: str) -> Boundaries:
    """Read region outlines from a GeoJSON FeatureCollection (longitude/latitude).

    Parameters
    ----------
    path_or_data : str, Path or dict
        A GeoJSON file or the parsed collection.
    key : str
        The feature property holding the region keys of the panel.

    Returns
    -------
    Boundaries

    Examples
    --------
    >>> square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    >>> fc = {"type": "FeatureCollection",
    ...       "features": [{"type": "Feature", "properties": {"id": "a"}, "geometry": square}]}
    >>> read_boundaries(fc, key="id").regions
    ['a']
    """
    if isinstance(path_or_data, (str, Path)):
        data = json.loads(Path(path_or_data).read_text(encoding="utf-8"))
        source = f"Boundaries: {Path(path_or_data).name}"
    else:
        data, source = path_or_data, "Boundaries: user GeoJSON"
    if data.get("type") != "FeatureCollection":
        raise InvalidOptionError(
            f"boundaries must be a GeoJSON FeatureCollection, got type {data.get('type')!r}."
        )
    return _from_features(data["features"], key, source)


def boundaries_for(keys: Iterable[str]) -> Boundaries | None:
    """The shipped Kazakhstan version covering every key, or None for other panels.

    Examples
    --------
    >>> boundaries_for(["south_kazakhstan", "astana_city"]).source.endswith("simplified")
    True
    >>> boundaries_for(["a", "b"]) is None
    True
    """
    keys = list(keys)
    for v in ("2022", "2017"):
        b = kazakhstan_boundaries(v)
        if not b.missing(keys):
            return b
    return None


def require(boundaries: Boundaries, keys: Iterable[str]) -> None:
    """Raise MissingRegionError when some keys have no outline."""
    absent = boundaries.missing(keys)
    if absent:
        raise MissingRegionError(
            f"{len(absent)} region(s) have no boundary polygon: {format_values(absent)}; "
            f"the boundaries have {format_values(boundaries.regions, limit=25)}. Pass "
            "boundaries=read_boundaries(path, key=...) whose key property holds these keys."
        )
