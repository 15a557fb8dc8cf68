"""The two-reader pipeline gives exactly what a serial import gives, errors included."""

from __future__ import annotations

import json

import pytest
import shapely

from vkc.errors import GeometryError
from vkc.layers import import_layer
from vkc.layers.importer import ImportOptions
from vkc.store import Query

from layer_inputs import HANOI, point_feature


def _lines_file(path, features):
    """One feature per line, as GDAL writes GeoJSON."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        out.write(",\n".join(json.dumps(f, ensure_ascii=False) for f in features))
        out.write("\n]}\n")
    return path


def _dump(store, name):
    return [(f.id, f.geometry.wkt if f.geometry else None, f.properties) for f in store.features(name, Query())]


@pytest.mark.parametrize("n", [1, 7, 50, 53])
def test_parallel_equals_serial(store, tmp_path, n):
    path = _lines_file(tmp_path / "p.geojson", [point_feature(i, HANOI[0] + i * 1e-4, HANOI[1]) for i in range(n)])
    serial = import_layer(store, path, "serial", ImportOptions(parallel=False, batch_size=5))
    parallel = import_layer(store, path, "parallel", ImportOptions(parallel=True, batch_size=5))
    assert (serial.read, serial.inserted) == (parallel.read, parallel.inserted) == (n, n)
    assert _dump(store, "serial") == _dump(store, "parallel")


def test_mixed_kinds_across_readers_are_caught(store, tmp_path):
    feats = [point_feature(i, HANOI[0], HANOI[1]) for i in range(10)]
    feats[7] = {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(shapely.box(105.8, 21.0, 105.81, 21.01)))}
    path = _lines_file(tmp_path / "mixed.geojson", feats)
    with pytest.raises(GeometryError, match="feature #8: mixed geometry types"):
        import_layer(store, path, "x", ImportOptions(parallel=True, batch_size=5))  # batch 2 goes to the second reader
    report = import_layer(store, path, "x", ImportOptions(parallel=True, batch_size=5, skip_invalid=True))
    assert report.inserted == 9 and [r.position for r in report.rejected] == [8]


def test_multi_in_the_second_reader_promotes_the_layer(store, tmp_path):
    box = json.loads(shapely.to_geojson(shapely.box(105.8, 21.0, 105.81, 21.01)))
    multi = json.loads(shapely.to_geojson(shapely.MultiPolygon([shapely.box(105.9, 21.0, 105.91, 21.01)])))
    feats = [{"type": "Feature", "properties": {"k": i}, "geometry": multi if i == 6 else box} for i in range(12)]
    import_layer(store, _lines_file(tmp_path / "m.geojson", feats), "areas", ImportOptions(parallel=True, batch_size=3))
    coll = store.collection("areas")
    assert coll.geometry_type == "MULTIPOLYGON" and coll.count == 12
    assert {f.geometry.geom_type for f in store.features("areas", Query())} == {"MultiPolygon"}


def test_a_file_that_stops_being_line_oriented_is_read_again_whole(store, tmp_path):
    feats = [point_feature(i, HANOI[0] + i * 1e-4, HANOI[1]) for i in range(20)]
    text = '{"type": "FeatureCollection", "features": [\n' + ",\n".join(json.dumps(f) for f in feats[:12]) + ",\n"
    text += ",\n".join(json.dumps(f, indent=2) for f in feats[12:]) + "\n]}\n"
    path = tmp_path / "half.geojson"
    path.write_text(text)
    report = import_layer(store, path, "half", ImportOptions(parallel=True, batch_size=4))
    assert (report.read, report.inserted) == (20, 20)
    assert [f.id for f in store.features("half", Query())] == [str(i) for i in range(1, 21)]


def test_spawned_readers_give_the_same_layer(store, tmp_path):
    """Beside threads (a PostGIS connection pool, a web server) readers are spawned, not forked."""
    path = _lines_file(tmp_path / "s.geojson", [point_feature(i, HANOI[0] + i * 1e-4, HANOI[1]) for i in range(23)])
    serial = import_layer(store, path, "serial", ImportOptions(parallel=False, batch_size=5))
    spawned = import_layer(store, path, "spawned", ImportOptions(parallel=True, batch_size=5, start_method="spawn"))
    assert serial.inserted == spawned.inserted == 23
    assert _dump(store, "serial") == _dump(store, "spawned")
