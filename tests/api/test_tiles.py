"""Vector tiles: the same features on both backends, decoded by GDAL's MVT driver and by mapbox-vector-tile."""

from __future__ import annotations

import subprocess

import mapbox_vector_tile
import pytest
import shapely

from vkc.ogc.tiles import tile_lonlat_bounds
from vkc.store import Collection, Feature


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_tileset_metadata_and_tms(client):
    ts = client.get("/ogc/collections/places/tiles/WebMercatorQuad").json()
    template = next(link for link in ts["links"] if link["rel"] == "item")
    assert template["templated"] and template["href"].endswith("/{tileMatrix}/{tileRow}/{tileCol}")
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["tileMatrices"][14]["matrixWidth"] == 16384
    assert client.get("/ogc/collections/places/tiles").json()["tilesets"][0]["dataType"] == "vector"
    assert client.get("/ogc/collections/places/tiles/WorldCRS84Quad").status_code == 404


def test_tile_holds_the_features_with_properties(client):
    x, y = tile_of(105.75, 21.005, 12)
    r = client.get(f"/ogc/collections/places/tiles/WebMercatorQuad/12/{y}/{x}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layer = mapbox_vector_tile.decode(r.content)["places"]
    west, south, east, north = tile_lonlat_bounds(12, x, y)
    expected = {f"p{i:02d}" for i in range(25) if west <= 105.70 + i * 0.01 <= east}
    assert {f["properties"]["id"] for f in layer["features"]} == expected
    first = min(expected)
    one = next(f for f in layer["features"] if f["properties"]["id"] == first)
    assert one["properties"]["name"] == f"Điểm {int(first[1:])}" and one["properties"]["rank"] == int(first[1:])


def test_polygon_tile_read_by_gdal(client, tmp_path):
    x, y = tile_of(105.8, 21.0, 8)  # one tile holds both boxes whole
    r = client.get(f"/ogc/collections/zones/tiles/WebMercatorQuad/8/{y}/{x}")
    assert r.status_code == 200
    path = tmp_path / f"{y}.mvt"
    path.write_bytes(r.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-oo", f"X={x}", "-oo", f"Y={y}", "-oo", "Z=8", f"MVT:{path}"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("OGRFeature(zones)") == 2 and "label (String) = West" in out.stdout
    assert "MULTIPOLYGON" in out.stdout or "POLYGON" in out.stdout
    decoded = mapbox_vector_tile.decode(r.content)["zones"]["features"]
    areas = sorted(shapely.geometry.shape(f["geometry"]).area for f in decoded)
    assert areas[0] > 0 and areas[1] / areas[0] == pytest.approx(1.0, rel=0.05)  # two equal boxes stay equal


def test_empty_out_of_range_and_bad_zoom(client):
    assert client.get("/ogc/collections/places/tiles/WebMercatorQuad/10/0/0").status_code == 204
    assert client.get("/ogc/collections/places/tiles/WebMercatorQuad/2/4/0").status_code == 404
    assert client.get("/ogc/collections/places/tiles/WebMercatorQuad/30/0/0").status_code == 400
    assert client.get("/ogc/collections/places/tiles/WebMercatorQuad/x/0/0").status_code == 400
    assert client.get("/ogc/collections/nowhere/tiles/WebMercatorQuad/1/0/0").status_code == 404


def test_dense_points_are_thinned_up_to_zoom_14(store):
    store.create_collection(Collection(name="dense", geometry_type="POINT"))
    store.upsert("dense", [Feature(id=str(i), geometry=shapely.Point(105.8 + (i % 100) * 1e-5, 21.0 + (i // 100) * 1e-5)) for i in range(10_000)])
    from vkc.ogc.tiles import vector_tile

    coll = store.collection("dense")
    x, y = tile_of(105.8005, 21.0005, 10)
    thinned = mapbox_vector_tile.decode(vector_tile(store, coll, 10, y, x))["dense"]["features"]
    x, y = tile_of(105.8005, 21.0005, 18)
    full = mapbox_vector_tile.decode(vector_tile(store, coll, 18, y, x))["dense"]["features"]
    assert len(thinned) < 10
    assert len(full) > 1000


