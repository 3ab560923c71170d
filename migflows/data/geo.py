"""Geography: great-circle distances between region centres."""

from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""


def great_circle_km(
    lat1: np.ndarray | float,
    lon1: np.ndarray | float,
    lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle (haversine) distance in km between points given in degrees.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Latitudes and longitudes in decimal degrees; broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Distances in km on a sphere of radius :data:`EARTH_RADIUS_KM`.

    Examples
    --------
    >>> round(float(great_circle_km(51.1801, 71.44598, 43.25249, 76.9115)), 1)  # Astana–Almaty
    972.7
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def distance_table(coords: pd.DataFrame) -> pd.DataFrame:
    """All ordered pairs of distinct regions with their great-circle distance.

    Parameters
    ----------
    coords : DataFrame
        Indexed by region, with ``lat`` and ``lon`` columns in degrees.

    Returns
    -------
    DataFrame
        Columns ``origin``, ``destination``, ``distance`` (km), sorted.

    Examples
    --------
    >>> c = pd.DataFrame({"lat": [0.0, 0.0], "lon": [0.0, 1.0]}, index=["a", "b"])
    >>> distance_table(c).round(1)
      origin destination  distance
    0      a           b     111.2
    1      b           a     111.2
    """
    keys = coords.index.astype(str).to_numpy()
    o, d = np.meshgrid(np.arange(len(keys)), np.arange(len(keys)), indexing="ij")
    mask = o != d
    o, d = o[mask], d[mask]
    lat = coords["lat"].to_numpy(dtype=float)
    lon = coords["lon"].to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "origin": keys[o],
            "destination": keys[d],
            "distance": great_circle_km(lat[o], lon[o], lat[d], lon[d]),
        }
    )
    return out.sort_values(["origin", "destination"]).reset_index(drop=True)
