"""Bad input: a clear error naming the file, the feature and the reason; the store exactly as before."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from vkc.errors import CRSError, FormatError, GeometryError, InputError
from vkc.layers import import_layer
from vkc.layers.importer import ImportOptions

from layer_inputs import HANOI, feature_collection, point_feature, write_ogr, zip_shapefile

BOWTIE = {"type": "Polygon", "coordinates": [[[105.80, 21.00], [105.81, 21.01], [105.81, 21.00], [105.80, 21.01], [105.80, 21.00]]]}


def snapshot(path: Path) -> str:
    """Everything the store holds, as one digest (read with plain sqlite3, not our code)."""
    conn = sqlite3.connect(path)
    digest = hashlib.sha256()
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name")]
    for table in tables:
        digest.update(table.encode())
        for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


@pytest.fixture
def seeded(store, store_path, points_geojson):
    import_layer(store, points_geojson, "stops")
    return store


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def _bad_cases(tmp_path: Path) -> list[tuple[Path, ImportOptions, type, list[str]]]:
    good = [point_feature(i, HANOI[0], HANOI[1]) for i in range(5)]
    bowtie = feature_collection(good + [{"type": "Feature", "properties": {"n": 99}, "geometry": BOWTIE}])
    far = feature_collection(good + [point_feature(7, 2.35, 48.85)])  # Paris
    metres = feature_collection([point_feature(1, 585000.0, 2326000.0)])  # VN-2000 metres given as degrees
    mixed = feature_collection(good + [{"type": "Feature", "properties": {}, "geometry": BOWTIE | {"coordinates": [[[105.8, 21.0], [105.9, 21.0], [105.9, 21.1], [105.8, 21.0]]]}}])
    shp = write_ogr(tmp_path / "noprj.shp", "ESRI Shapefile", [__import__("shapely").Point(585000, 2326000)], {"k": ["a"]}, "EPSG:9210")
    return [
        (_write(tmp_path, "notjson.geojson", "this is not json"), ImportOptions(), FormatError, ["notjson.geojson", "not GeoJSON"]),
        (_write(tmp_path, "cut.geojson", json.dumps(feature_collection(good))[:-40]), ImportOptions(), FormatError, ["cut.geojson", "malformed JSON"]),
        (_write(tmp_path, "text.gpkg", "hello"), ImportOptions(), FormatError, ["text.gpkg", "cannot be read as gpkg"]),
        (_write(tmp_path, "bowtie.geojson", json.dumps(bowtie)), ImportOptions(), GeometryError, ["bowtie.geojson", "feature #6", "Self-intersection"]),
        (_write(tmp_path, "far.geojson", json.dumps(far)), ImportOptions(), GeometryError, ["far.geojson", "feature #6", "outside Vietnam", "--crs"]),
        (_write(tmp_path, "metres.geojson", json.dumps(metres)), ImportOptions(), GeometryError, ["metres.geojson", "feature #1", "projected metres"]),
        (_write(tmp_path, "mixed.geojson", json.dumps(mixed)), ImportOptions(), GeometryError, ["mixed.geojson", "feature #6", "mixed geometry types"]),
        (zip_shapefile(shp, with_prj=False), ImportOptions(), CRSError, ["noprj.zip", ".prj", "--crs"]),
        (_write(tmp_path, "noid.geojson", json.dumps(feature_collection(good))), ImportOptions(id_field="code"), InputError, ["noid.geojson", "feature #1", "'code'"]),
        (_write(tmp_path, "what.xyz", "1,2"), ImportOptions(), FormatError, ["what.xyz", "--format"]),
        (_write(tmp_path, "nocoords.csv", "a,b\n1,2\n"), ImportOptions(), FormatError, ["nocoords.csv", "no coordinate columns"]),
        (_write(tmp_path, "ragged.csv", "lon,lat,k\n105.8,21.0,1\n105.8,21.0\n"), ImportOptions(), FormatError, ["ragged.csv", "row 3"]),
        # a CSV's positions are its lines as a spreadsheet numbers them (the header is row 1), not "feature #2"
        (_write(tmp_path, "paris.csv", "lon,lat\n2.35,48.85\n"), ImportOptions(), GeometryError, ["paris.csv: row 2:", "outside Vietnam"]),
        (_write(tmp_path, "noid.csv", "lon,lat,code\n105.8,21.0,\n"), ImportOptions(id_field="code"), InputError, ["noid.csv: row 2:", "empty"]),
        (_write(tmp_path, "badcrs.geojson", json.dumps(feature_collection(good))), ImportOptions(crs="EPSG:999999"), CRSError, ["EPSG:999999"]),
        (_write(tmp_path, "nulid.geojson", json.dumps(feature_collection(good + [dict(point_feature(9, *HANOI), id="a\x00b")]))), ImportOptions(), InputError, ["nulid.geojson", "feature #6", "U+0000"]),
        (_write(tmp_path, "longid.geojson", json.dumps(feature_collection([dict(point_feature(9, *HANOI), id="x" * 300)]))), ImportOptions(), InputError, ["feature #1", "at most 256"]),
        (_write(tmp_path, "deep.geojson", '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":' + "[" * 100_000 + "]" * 100_000 + "}}]}"), ImportOptions(), FormatError, ["deep.geojson", "nests more than 256 levels deep"]),
        (_write(tmp_path, "deepprop.geojson", '{"type": "FeatureCollection", "features": [\n' + json.dumps(dict(point_feature(9, *HANOI), properties={"a": json.loads("[" * 300 + "]" * 300)})) + "\n]}"), ImportOptions(), InputError, ["cannot be stored as JSON"]),  # one feature per line: the fast reader
        (_write(tmp_path, "nulkey.geojson", json.dumps(feature_collection([dict(point_feature(9, *HANOI), properties={"a\x00b": 1})]))), ImportOptions(), InputError, ["control or invisible character (U+0000)"]),
        (_write(tmp_path, "slashid.geojson", json.dumps(feature_collection([dict(point_feature(9, *HANOI), id="HN/")]))), ImportOptions(), InputError, ["feature #1", "ends with '/'"]),
    ]


def test_every_bad_input_is_refused_and_changes_nothing(seeded, store_path, tmp_path):
    for path, options, error, words in _bad_cases(tmp_path):
        before = snapshot(store_path)
        with pytest.raises(error) as info:
            import_layer(seeded, path, "stops", options)
        for word in words:
            assert word in str(info.value), (path.name, str(info.value))
        assert snapshot(store_path) == before, path.name


def test_skip_invalid_imports_the_rest_and_reports_each_reject(store, tmp_path):
    good = [point_feature(i, HANOI[0], HANOI[1]) for i in range(5)]
    path = _write(tmp_path, "some_bad.geojson", json.dumps(feature_collection(good + [point_feature(5, 2.35, 48.85), {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": ["x", 1]}}])))
    report = import_layer(store, path, "stops", ImportOptions(skip_invalid=True))
    assert report.inserted == 5 and [r.position for r in report.rejected] == [6, 7]
    assert "outside Vietnam" in report.rejected[0].reason and "not numbers" in report.rejected[1].reason


def test_repair_makes_invalid_geometries_valid(store, tmp_path):
    path = _write(tmp_path, "bowtie.geojson", json.dumps(feature_collection([{"type": "Feature", "properties": {}, "geometry": BOWTIE}])))
    report = import_layer(store, path, "areas", ImportOptions(repair=True))
    assert report.repaired == 1 and report.inserted == 1
    geom = store.feature("areas", "1").geometry
    assert geom.is_valid and geom.area > 0 and geom.geom_type == "MultiPolygon"
