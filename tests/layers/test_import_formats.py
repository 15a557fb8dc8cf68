"""Importing each format: GeoJSON (line-per-feature and pretty), GeoPackage, zipped Shapefile, CSV; export round trips."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import shapely

from vkc.layers import export_layer, import_layer
from vkc.layers.importer import ImportOptions
from vkc.store import Query

from layer_inputs import HANOI, point_feature, write_ogr, zip_shapefile


def _ids(store, name):
    return sorted(f.id for f in store.features(name, Query()))


def test_geojson_both_layouts_give_the_same_layer(store, points_geojson, pretty_geojson):
    a = import_layer(store, points_geojson, "a")
    b = import_layer(store, pretty_geojson, "b")
    assert (a.read, a.inserted, b.read, b.inserted) == (50, 50, 30, 30)
    fa, fb = store.feature("a", "1"), store.feature("b", "1")
    # without --id-field and source ids, a feature's id is its position in the file
    assert fa.properties == fb.properties == {"name": "Điểm 0", "n": 0, "code": "HN000"}
    assert fa.geometry.equals(fb.geometry)
    coll = store.collection("a")
    assert coll.geometry_type == "POINT" and coll.metadata["source_crs"] == "OGC:CRS84"


def test_reimport_is_idempotent_and_id_field_is_used(store, points_geojson):
    first = import_layer(store, points_geojson, "stops", ImportOptions(id_field="code"))
    again = import_layer(store, points_geojson, "stops", ImportOptions(id_field="code"))
    assert (first.inserted, first.updated, again.inserted, again.updated) == (50, 0, 0, 50)
    assert store.count("stops") == 50
    assert _ids(store, "stops")[:2] == ["HN000", "HN001"]


def test_geopackage_source(store, parcels_gpkg):
    report = import_layer(store, parcels_gpkg, "parcels")
    assert report.inserted == 20 and store.collection("parcels").geometry_type == "POLYGON"
    f = store.feature("parcels", "3")  # the OGR FID
    assert f.properties["parcel"] == "P2" or f.properties["parcel"] == "P3"


def test_zipped_shapefile_in_vn2000(store, tmp_path):
    from vkc.geo import from_crs84, resolve_crs

    lonlat = np.array([shapely.Point(HANOI[0] + i * 0.002, HANOI[1]) for i in range(5)], dtype=object)
    projected = from_crs84(lonlat, resolve_crs("EPSG:9210"))
    shp = write_ogr(tmp_path / "wells.shp", "ESRI Shapefile", list(projected), {"well": [f"W{i}" for i in range(5)]}, "EPSG:9210")
    report = import_layer(store, zip_shapefile(shp), "wells")
    assert report.source_crs == "EPSG:9210" and report.inserted == 5
    for i, f in enumerate(sorted(store.features("wells", Query()), key=lambda f: f.properties["well"])):
        assert f.geometry.distance(lonlat[i]) < 1e-8  # round trip through VN-2000 TM-3 and back


def test_csv_lon_lat_and_survey_xy(store, tmp_path):
    from vkc.geo import from_crs84, resolve_crs

    plain = tmp_path / "schools.csv"
    plain.write_text("ma,ten,lon,lat,hoc_sinh\nS01,Trường A,105.85,21.03,1200\nS02,Trường B,105.86,21.04,900\n", encoding="utf-8")
    report = import_layer(store, plain, "schools", ImportOptions(id_field="ma"))
    assert report.inserted == 2
    assert store.feature("schools", "S02").properties == {"ma": "S02", "ten": "Trường B", "hoc_sinh": 900}

    # a survey table in VN-2000 TM-3 105°45′: X is northing, Y is easting
    p = from_crs84(np.array([shapely.Point(105.85, 21.03)], dtype=object), resolve_crs("EPSG:9210"))[0]
    survey = tmp_path / "moc.csv"
    survey.write_text(f"diem,X,Y\nM1,{p.y:.3f},{p.x:.3f}\n", encoding="utf-8")
    report = import_layer(store, survey, "moc", ImportOptions(crs="EPSG:9210", axis_order="ne", id_field="diem"))
    assert report.source_crs == "EPSG:9210"
    assert store.feature("moc", "M1").geometry.distance(shapely.Point(105.85, 21.03)) < 1e-7


def test_single_and_multi_polygons_mix_by_promotion(store, tmp_path):
    box = shapely.box(105.8, 21.0, 105.81, 21.01)
    multi = shapely.MultiPolygon([shapely.box(105.9, 21.0, 105.91, 21.01), shapely.box(105.92, 21.0, 105.93, 21.01)])
    feats = [{"type": "Feature", "properties": {"k": i}, "geometry": json.loads(shapely.to_geojson(g))} for i, g in enumerate([box] * 3 + [multi])]
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    import_layer(store, path, "areas", ImportOptions(batch_size=2))  # the multi arrives in a later batch
    coll = store.collection("areas")
    assert coll.geometry_type == "MULTIPOLYGON" and coll.count == 4
    assert {f.geometry.geom_type for f in store.features("areas", Query())} == {"MultiPolygon"}


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "geoparquet"])
def test_export_round_trip(store, points_geojson, tmp_path, fmt):
    import_layer(store, points_geojson, "stops", ImportOptions(id_field="code"))
    out = tmp_path / f"out.{ {'geoparquet': 'parquet'}.get(fmt, fmt) }"
    assert export_layer(store, "stops", out, fmt) == 50
    if fmt == "geoparquet":
        import pyarrow.parquet as pq

        table = pq.read_table(out)
        geo = json.loads(table.schema.metadata[b"geo"])
        assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["encoding"] == "WKB"
        assert table.num_rows == 50 and shapely.from_wkb(table.column("geometry")[0].as_py()).equals(store.feature("stops", "HN000").geometry)
        return
    back = import_layer(store, out, "copy", ImportOptions(id_field="code"))
    assert back.inserted == 50
    for fid in ("HN000", "HN049"):
        a, b = store.feature("stops", fid), store.feature("copy", fid)
        assert a.geometry.equals_exact(b.geometry, 1e-9)
        assert {k: v for k, v in b.properties.items() if k in a.properties} == a.properties


def test_export_in_vn2000(store, points_geojson, tmp_path):
    import_layer(store, points_geojson, "stops")
    out = tmp_path / "stops_vn2000.csv"
    export_layer(store, "stops", out, "csv", crs="EPSG:9210")
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert 500_000 < float(rows[0]["x"]) < 520_000 and 2_320_000 < float(rows[0]["y"]) < 2_330_000
    back = import_layer(store, out, "back", ImportOptions(crs="EPSG:9210", id_field="id"))
    assert back.inserted == 50
    assert store.feature("back", "1").geometry.distance(store.feature("stops", "1").geometry) < 1e-7


def test_exports_that_other_tools_read(store, points_geojson, tmp_path):
    """A GeoPackage export is 1.3, as the store is, so Debian's GDAL 3.6 (QGIS LTR's) opens it without a warning; a
    GeoParquet export in VN-2000 names its CRS by EPSG code in the PROJJSON (not a BoundCRS called "unknown")."""
    import sqlite3
    import subprocess

    import pyarrow.parquet as pq

    import_layer(store, points_geojson, "stops")
    gpkg = tmp_path / "stops.gpkg"
    export_layer(store, "stops", gpkg, "gpkg")
    assert sqlite3.connect(gpkg).execute("PRAGMA user_version").fetchone() == (10300,)
    opened = subprocess.run(["ogrinfo", "-so", "-ro", str(gpkg), "stops"], capture_output=True, text=True, timeout=60)
    assert opened.returncode == 0 and "Warning" not in opened.stderr + opened.stdout, opened.stderr
    parquet = tmp_path / "stops.parquet"
    export_layer(store, "stops", parquet, "geoparquet", crs="EPSG:9210")
    crs = json.loads(pq.read_schema(parquet).metadata[b"geo"])["columns"]["geometry"]["crs"]
    assert crs["id"] == {"authority": "EPSG", "code": 9210} and crs["type"] == "ProjectedCRS"


def test_time_field_gives_features_their_time(store, tmp_path):
    from datetime import UTC, datetime

    from vkc.errors import InputError

    feats = [point_feature(i, HANOI[0], HANOI[1], observed=f"2025-01-0{i + 1}T08:00:00+07:00") for i in range(3)]
    path = tmp_path / "timed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    import_layer(store, path, "timed", ImportOptions(time_field="observed"))
    day2 = (datetime(2025, 1, 2, tzinfo=UTC), datetime(2025, 1, 2, 23, 59, tzinfo=UTC))
    assert [f.id for f in store.features("timed", Query(time=day2))] == ["2"]
    assert store.feature("timed", "1").time == datetime(2025, 1, 1, 1, 0, tzinfo=UTC)
    feats[1]["properties"]["observed"] = "2025-01-02T08:00:00"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with pytest.raises(InputError, match="feature #2: time '2025-01-02T08:00:00' has no time zone"):
        import_layer(store, path, "timed2", ImportOptions(time_field="observed"))


def test_properties_named_like_store_columns_are_renamed(store, tmp_path):
    feats = [point_feature(i, HANOI[0], HANOI[1], fid=i * 10, geom="x", Name="A") for i in range(3)]
    path = tmp_path / "clash.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    import_layer(store, path, "clash")
    coll = store.collection("clash")
    assert coll.metadata["renamed_properties"] == {"fid": "fid_1", "geom": "geom_1", "Name": "Name_1"}
    assert store.feature("clash", "2").properties == {"name": "Điểm 1", "n": 1, "fid_1": 10, "geom_1": "x", "Name_1": "A"}


def test_csv_with_semicolons_and_decimal_commas(store, tmp_path):
    path = tmp_path / "tram.csv"
    path.write_text("ma;ten;kinh_do;vi_do\nT1;Trạm 1;105,8524;21,0287\n", encoding="utf-8")
    import_layer(store, path, "tram", ImportOptions(id_field="ma"))
    assert store.feature("tram", "T1").geometry.equals(shapely.Point(105.8524, 21.0287))


def test_a_geopackage_with_several_layers_needs_layer(store, tmp_path):
    from vkc.errors import FormatError

    path = tmp_path / "two.gpkg"
    write_ogr(path, "GPKG", [shapely.Point(105.85, 21.03)], {"k": ["a"]}, "EPSG:4326")
    from pyogrio.raw import write

    write(str(path), shapely.to_wkb(np.array([shapely.Point(105.86, 21.04)], dtype=object)), [np.array(["b"], dtype=object)], ["k"], layer="second", driver="GPKG", geometry_type="Point", crs="EPSG:4326", append=True)
    with pytest.raises(FormatError, match="2 layers .*--layer"):
        import_layer(store, path, "x")
    import_layer(store, path, "x", ImportOptions(layer="second"))
    assert [f.properties["k"] for f in store.features("x", Query())] == ["b"]
