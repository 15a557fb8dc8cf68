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




class _EveryFeature:
    """The embedded store's plain read: a tile drawn from every feature of its box, the path the SQL thinning must match."""

    def __init__(self, store):
        self.features = store.features


def _lonlat(z: int, x: int, y: int, px: float, py: float) -> tuple[float, float]:
    """The CRS84 position of tile units ``px, py`` of tile ``z/x/y``."""
    import math

    n = (1 << z) * 4096
    lon = (x * 4096 + px) / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y * 4096 + py) / n))))
    return lon, lat


@pytest.mark.parametrize("z", [3, 8, 11, 14])
def test_thinned_point_tiles_chosen_in_sql_equal_those_read_whole(tmp_path, z):
    """On the embedded store a thinned point tile reads a superset of its kept points from the R*Tree alone;
    the tile is the one drawn from every point, also with points on cells' edges and on the buffered box's edges."""
    import random

    from vkc.ogc.tiles import _python_tile
    from vkc.store import open_store

    rng = random.Random(z)
    x, y = tile_of(105.85, 21.03, z)
    west, south, east, north = tile_lonlat_bounds(z, x, y, 64)
    positions = [_lonlat(z, x, y, rng.uniform(1000, 1400), rng.uniform(2000, 2400)) for _ in range(8000)]  # 625 cells
    positions += [_lonlat(z, x, y, rng.uniform(-80, 4176), rng.uniform(-80, 4176)) for _ in range(1000)]
    # on a cell's edge: tile units round to the grid, so a cell begins at 16 k - 0.5
    positions += [_lonlat(z, x, y, 16 * rng.randint(-4, 260) - 0.5, rng.uniform(-64, 4160)) for _ in range(300)]
    positions += [_lonlat(z, x, y, rng.uniform(-64, 4160), 16 * rng.randint(-4, 260) - 0.5) for _ in range(300)]
    positions += [(west, rng.uniform(south, north)) for _ in range(50)] + [(rng.uniform(west, east), north) for _ in range(50)]
    positions += [(east, south), (west, north)]
    with open_store(tmp_path / "dense.gpkg") as store:
        store.create_collection(Collection(name="dense", geometry_type="POINT", fields=[]))
        features = [Feature(id=f"p{i}", geometry=shapely.Point(lon, lat), properties={}) for i, (lon, lat) in enumerate(positions)]
        rng.shuffle(features)  # row keys in no spatial order
        store.upsert("dense", features)
        coll = store.collection("dense")
        fast = _python_tile(store, coll, z, x, y, thin=True)
        assert fast == _python_tile(_EveryFeature(store), coll, z, x, y, thin=True)
        kept = mapbox_vector_tile.decode(fast)["dense"]["features"]
        candidates = store.thinned_points(coll, z, x, y, bbox=(west, south, east, north), properties=(), extent=4096, cell=16)
        assert len(kept) <= len(candidates) < len(positions) // 2
        # a kept point deleted, another moved: the next lowest key of its cell stands for it
        store.delete("dense", [kept[0]["properties"]["id"]])
        lon, lat = _lonlat(z, x, y, 2000.2, 2000.2)
        store.upsert("dense", [Feature(id=kept[1]["properties"]["id"], geometry=shapely.Point(lon, lat), properties={})])
        again = _python_tile(store, coll, z, x, y, thin=True)
        assert again != fast and again == _python_tile(_EveryFeature(store), coll, z, x, y, thin=True)


def test_multipoints_are_thinned_from_every_feature(tmp_path):
    from vkc.errors import InputError
    from vkc.ogc.tiles import vector_tile
    from vkc.store import open_store

    with open_store(tmp_path / "multi.gpkg") as store:
        store.create_collection(Collection(name="multi", geometry_type="MULTIPOINT", fields=[]))
        store.upsert("multi", [Feature(id=str(i), geometry=shapely.MultiPoint([(105.8 + i * 1e-4, 21.0), (105.9, 21.1)]), properties={}) for i in range(500)])
        coll = store.collection("multi")
        x, y = tile_of(105.85, 21.05, 9)
        assert len(mapbox_vector_tile.decode(vector_tile(store, coll, 9, y, x))["multi"]["features"]) < 500
        with pytest.raises(InputError, match="only a POINT layer"):
            store.thinned_points(coll, 9, x, y, bbox=tile_lonlat_bounds(9, x, y, 64), properties=(), extent=4096, cell=16)


def test_the_tile_cache_bounds_its_bytes_and_age_and_follows_revisions(monkeypatch):
    from vkc.ogc import tile_cache

    cache = tile_cache.TileCache(max_bytes=16 * 100, keep=60)
    key = ("store", "layer", 4, 12, 7)
    assert cache.get(key, "r1") is None
    cache.put(key, "r1", b"tile")
    assert cache.get(key, "r1") == b"tile" and cache.get(key, "r2") is None and cache.holds("layer", 4, 12, 7)
    for i in range(20):  # 100-byte tiles: the oldest go first
        cache.put(("store", "layer", 9, i, 0), "r1", b"x" * 100)
    assert cache.get(key, "r1") is None and not cache.holds("layer", 4, 12, 7) and cache.get(("store", "layer", 9, 19, 0), "r1")
    now = tile_cache.time.monotonic()
    monkeypatch.setattr(tile_cache.time, "monotonic", lambda: now + 61)  # a writer outside the platform: kept no longer
    assert cache.get(("store", "layer", 9, 19, 0), "r1") is None and not cache.holds("layer", 9, 19, 0)


def test_a_tile_is_built_again_when_its_collection_changes_and_only_then(store):
    from vkc.layers.costly import costly_request
    from vkc.ogc import tile_cache
    from vkc.ogc.tiles import vector_tile

    store.create_collection(Collection(name="spots", geometry_type="POINT"))
    store.create_collection(Collection(name="other", geometry_type="POINT"))
    store.upsert("spots", [Feature(id="a", geometry=shapely.Point(105.85, 21.03))])
    x, y = tile_of(105.85, 21.03, 6)
    path = f"/ogc/collections/spots/tiles/WebMercatorQuad/6/{y}/{x}"
    tile_cache.TILES.clear()
    assert costly_request("GET", path, "") == "low-zoom tile"
    first = vector_tile(store, store.collection("spots"), 6, y, x)
    assert costly_request("GET", path, "") is None  # kept: a lookup, not costly
    hits = tile_cache.TILES.hits
    assert vector_tile(store, store.collection("spots"), 6, y, x) == first and tile_cache.TILES.hits == hits + 1
    store.upsert("other", [Feature(id="z", geometry=shapely.Point(105.86, 21.04))])  # another collection: still kept
    assert vector_tile(store, store.collection("spots"), 6, y, x) == first and tile_cache.TILES.hits == hits + 2
    store.upsert("spots", [Feature(id="b", geometry=shapely.Point(105.9, 21.05))])
    second = vector_tile(store, store.collection("spots"), 6, y, x)
    assert {f["properties"]["id"] for f in mapbox_vector_tile.decode(second)["spots"]["features"]} == {"a", "b"}
    store.delete("spots", ["a"])
    assert {f["properties"]["id"] for f in mapbox_vector_tile.decode(vector_tile(store, store.collection("spots"), 6, y, x))["spots"]["features"]} == {"b"}
