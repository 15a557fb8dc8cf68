"""A whole collection as a file: what the portal's layer pages offer, read back by GDAL (pyogrio) and as CSV."""

from __future__ import annotations

import csv
import io

import pyogrio


def test_a_layer_downloads_as_geopackage_geojson_and_csv(client, tmp_path):
    gpkg = client.get("/ogc/collections/places/download?format=gpkg")
    assert gpkg.status_code == 200 and gpkg.headers["content-type"] == "application/geopackage+sqlite3"
    assert 'filename="places.gpkg"' in gpkg.headers["content-disposition"]
    path = tmp_path / "places.gpkg"
    path.write_bytes(gpkg.content)
    info = pyogrio.read_info(path)
    assert info["features"] == 25 and "name" in list(info["fields"])
    geojson = client.get("/ogc/collections/places/download")
    assert geojson.headers["content-type"] == "application/geo+json" and len(geojson.json()["features"]) == 25
    table = client.get("/ogc/collections/places/download?format=csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert len(rows) == 25 and {"name", "rank"} <= set(rows[0]) and any(r["name"] == "Điểm 3" for r in rows)


def test_a_download_names_its_problem(client):
    bad = client.get("/ogc/collections/places/download?format=shp")
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json" and "format" in bad.text
    assert client.get("/ogc/collections/nowhere/download").status_code == 404
