"""Input files for the import tests, written on the fly (small, synthetic, in Vietnam's cities)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from layer_inputs import HANOI, feature_collection, point_feature, write_ogr


@pytest.fixture
def points_geojson(tmp_path: Path) -> Path:
    feats = [point_feature(i, HANOI[0] + i * 0.001, HANOI[1] + i * 0.0005, code=f"HN{i:03d}") for i in range(50)]
    path = tmp_path / "stops.geojson"
    path.write_text(json.dumps(feature_collection(feats), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def pretty_geojson(tmp_path: Path) -> Path:
    """Pretty-printed (several lines per feature): read by the general streaming parser."""
    feats = [point_feature(i, HANOI[0] + i * 0.001, HANOI[1], code=f"HN{i:03d}") for i in range(30)]
    path = tmp_path / "pretty.geojson"
    path.write_text(json.dumps(feature_collection(feats), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def parcels_gpkg(tmp_path: Path) -> Path:
    geoms = [shapely.box(HANOI[0] + i * 0.01, HANOI[1], HANOI[0] + i * 0.01 + 0.005, HANOI[1] + 0.005) for i in range(20)]
    return write_ogr(tmp_path / "parcels.gpkg", "GPKG", geoms, {"parcel": [f"P{i}" for i in range(20)], "area": [float(i) for i in range(20)]}, "EPSG:4326")
