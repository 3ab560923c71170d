"""Data layer: the validated OD panel, readers, boundary crosswalks, indices, embedded data."""

from migflows.data.crosswalk import Crosswalk, harmonize, kazakhstan_crosswalk
from migflows.data.geo import distance_table, great_circle_km
from migflows.data.io import read_od_matrix
from migflows.data.kazakhstan import kazakhstan_tables, load_kazakhstan
from migflows.data.panel import FlowPanel
from migflows.data.quality import QualityReport, check_quality
from migflows.data.regional_panel import kazakhstan_series, load_kazakhstan_regions
from migflows.data.regions import kazakhstan_regions, match_kazakhstan

__all__ = [
    "Crosswalk",
    "FlowPanel",
    "QualityReport",
    "check_quality",
    "distance_table",
    "great_circle_km",
    "harmonize",
    "kazakhstan_crosswalk",
    "kazakhstan_regions",
    "kazakhstan_series",
    "kazakhstan_tables",
    "load_kazakhstan",
    "load_kazakhstan_regions",
    "match_kazakhstan",
    "read_od_matrix",
]
