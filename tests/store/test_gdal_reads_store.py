"""GDAL itself reads the store as a GeoPackage: counts, extents, SRS, every feature, and its own writes keep our index."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import shapely

from vkc.store import Collection, Feature, Query, open_store

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin is installed by `make test`")


def _ogr(*args: str) -> str:
    out = subprocess.run(list(args), capture_output=True, text=True, check=True)
    return out.stdout


@pytest.fixture
def filled(gpkg_store, store_path):
    store = gpkg_store
    store.create_collection(Collection(name="stops", title="Bus stops", geometry_type="POINT"))
    store.upsert("stops", [Feature(f"s{i}", shapely.Point(105.8 + i / 1000, 21 + i / 1000), {"n": i, "name": f"Trạm {i}"}) for i in range(250)])
    store.create_collection(Collection(name="parks", geometry_type="MULTIPOLYGON"))
    store.upsert("parks", [Feature("p1", shapely.MultiPolygon([shapely.box(105.83, 21.02, 105.84, 21.03)]), {"area_m2": 1.5e4, "open": True})])
    store.close()
    return store_path


def test_ogrinfo_summary(filled):
    text = _ogr("ogrinfo", "-so", "-ro", str(filled), "stops")
    assert "Feature Count: 250" in text
    assert "Extent: (105.800000, 21.000000) - (106.049000, 21.249000)" in text
    assert 'ID["EPSG",4326]' in text or 'AUTHORITY["EPSG","4326"]' in text
    assert "Geometry: Point" in text
    assert "name: String" in text and "n: Integer64" in text


def test_ogr2ogr_round_trip_identical(filled, tmp_path):
    out = tmp_path / "copy.geojson"
    _ogr("ogr2ogr", "-f", "GeoJSON", str(out), str(filled), "stops")
    data = json.loads(out.read_text())
    assert len(data["features"]) == 250
    with open_store(filled) as s:
        ours = {f.id: f for f in s.features("stops", Query())}
    for feat in data["features"]:
        mine = ours[feat["properties"]["vkc_id"]]
        assert shapely.geometry.shape(feat["geometry"]).equals_exact(mine.geometry, 1e-12)
        assert feat["properties"]["n"] == mine.properties["n"] and feat["properties"]["name"] == mine.properties["name"]


def test_gdal_spatial_filter_uses_our_index(filled):
    text = _ogr("ogrinfo", "-ro", "-q", "-sql", "SELECT count(*) AS c FROM rtree_stops_geom WHERE minx <= 105.8095 AND maxx >= 105.8 AND miny <= 21.0095 AND maxy >= 21", str(filled))
    assert "c (Integer) = 10" in text or "c (Integer64) = 10" in text


def test_gdal_writes_keep_the_index_in_step(filled):
    """GDAL runs the UPDATE with its own ST_* functions, so the standard R*Tree triggers fire."""
    import numpy as np

    from vkc.store import gpkg_binary

    blob = gpkg_binary.encode(np.array([shapely.Point(107.0, 16.0)], dtype=object))[0][0]
    _ogr("ogrinfo", "-q", str(filled), "-sql", f"UPDATE stops SET geom = X'{blob.hex()}' WHERE vkc_id = 's0'")
    _ogr("ogrinfo", "-q", str(filled), "-sql", "DELETE FROM stops WHERE vkc_id = 's1'")
    with open_store(filled) as s:
        assert [f.id for f in s.features("stops", Query(bbox=(106.9, 15.9, 107.1, 16.1)))] == ["s0"]
        assert s.count("stops") == 249


def test_json_properties_are_declared_to_gdal(gpkg_store, store_path):
    store = gpkg_store
    store.create_collection(Collection(name="st", geometry_type="POINT"))
    store.upsert("st", [Feature("a", shapely.Point(105.85, 21.03), {"pollutants": ["PM2.5", "NO2"], "name": "x"})])
    store.close()
    text = _ogr("ogrinfo", "-so", "-ro", str(store_path), "st")
    assert "pollutants: String(JSON)" in text and "name: String (0.0)" in text
