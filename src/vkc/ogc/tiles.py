"""OGC API – Tiles over the store: the WebMercatorQuad tile matrix set and vector tiles of a collection.

Both backends follow the same rules so a map looks the same on either:

- tiles are 4096 units wide with a 64-unit buffer, one MVT layer named after the collection;
- below zoom ``POINT_FULL_ZOOM`` (z0-z14) point layers are thinned to one point per
  16×16-unit cell (256 × 256 per tile), so a million points stay drawable;
- lines and polygons are simplified to half a unit and snapped to the integer
  grid; what collapses below a unit is dropped;
- properties are the collection's scalar properties plus ``id``; the MVT
  feature id is the store's integer row key where the backend has one.

PostGIS builds tiles in the database with ``ST_AsMVT`` (:mod:`vkc.store.postgis_tiles`);
the embedded store reads the tile's features through the R*Tree and encodes
them here with :mod:`vkc.ogc.mvt`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely

from vkc.errors import InputError, NotFoundError
from vkc.ogc import tile_cache
from vkc.ogc.mvt import LayerEncoder
from vkc.store import Store
from vkc.store.model import Collection, Feature, Query

EXTENT = 4096
BUFFER = 64
POINT_FULL_ZOOM = 15
POINT_CELL = 16
MAX_ZOOM = 24
TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
EPSG_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
_HALF = 20037508.3427892
_POINT_TYPES = ("POINT", "MULTIPOINT")


def check_tile(z: int, y: int, x: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise InputError(f"tileMatrix: {z} is not a zoom level of {TMS_ID} (0-{MAX_ZOOM})", field="tileMatrix")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise NotFoundError(f"tile {z}/{y}/{x} is outside {TMS_ID}: rows and columns run 0-{n - 1} at zoom {z}")


def tile_lonlat_bounds(z: int, x: int, y: int, buffer: float = 0.0) -> tuple[float, float, float, float]:
    """CRS84 bounds of a tile grown by ``buffer`` tile units on each side."""
    n = 1 << z
    grow = buffer / EXTENT

    def lon(col: float) -> float:
        return col / n * 360.0 - 180.0

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return (max(lon(x - grow), -180.0), max(lat(y + 1 + grow), -85.06), min(lon(x + 1 + grow), 180.0), min(lat(y - grow), 85.06))


def to_tile_units(geoms: np.ndarray, z: int, x: int, y: int) -> np.ndarray:
    """CRS84 geometries in the tile's integer-grid units (y down), before snapping."""
    scale = (1 << z) * EXTENT

    def project(c: np.ndarray) -> np.ndarray:
        lon, lat = c[:, 0], np.clip(c[:, 1], -85.0511287798, 85.0511287798)
        px = (lon + 180.0) / 360.0 * scale - x * EXTENT
        rad = np.radians(lat)
        py = (1.0 - np.log(np.tan(rad) + 1.0 / np.cos(rad)) / math.pi) / 2.0 * scale - y * EXTENT
        return np.column_stack([px, py])

    return shapely.transform(geoms, project)


def scalar_fields(coll: Collection) -> tuple[str, ...]:
    return tuple(f.name for f in coll.fields if f.type != "json")


def vector_tile(store: Store, coll: Collection, z: int, y: int, x: int) -> bytes:
    """The MVT of one tile of a collection (empty bytes if nothing is in it), from :data:`tile_cache.TILES` while the
    collection's revision is the one it was built at. The revision is read first: a tile built from data newer than
    it is kept under the older revision, never the other way round."""
    check_tile(z, y, x)
    revision = store.collection_revision(coll.name)
    key = (getattr(store, "url", id(store)), coll.name, z, x, y)
    if revision is not None:
        kept = tile_cache.TILES.get(key, revision)
        if kept is not None:
            return kept
    tile = _build_tile(store, coll, z, x, y)
    if revision is not None:
        tile_cache.TILES.put(key, revision, tile)
    return tile


def _build_tile(store: Store, coll: Collection, z: int, x: int, y: int) -> bytes:
    thin = coll.geometry_type in _POINT_TYPES and z < POINT_FULL_ZOOM
    mvt = getattr(store, "mvt", None)
    if mvt is not None:
        return mvt(coll, z, x, y, properties=scalar_fields(coll), extent=EXTENT, buffer=BUFFER, thin_cell=POINT_CELL if thin else 0)
    return _python_tile(store, coll, z, x, y, thin=thin)


def _python_tile(store: Store, coll: Collection, z: int, x: int, y: int, *, thin: bool) -> bytes:
    bbox = tile_lonlat_bounds(z, x, y, BUFFER)
    features = [f for f in _tile_features(store, coll, z, x, y, bbox, thin=thin) if f.geometry is not None]
    if not features:
        return b""
    geoms = np.empty(len(features), dtype=object)
    geoms[:] = [f.geometry for f in features]
    geoms = to_tile_units(geoms, z, x, y)
    points = shapely.get_type_id(geoms) == 0
    lo, hi = -BUFFER, EXTENT + BUFFER
    if not points.all():
        shaped = ~points
        geoms[shaped] = shapely.set_precision(shapely.simplify(shapely.clip_by_rect(geoms[shaped], lo, lo, hi, hi), 0.5), 1.0)
    if points.any():
        geoms[points] = shapely.set_precision(geoms[points], 1.0)
    order = np.arange(len(features))
    if thin:
        xy = shapely.get_coordinates(shapely.centroid(geoms))
        cells = np.floor(xy / POINT_CELL).astype(np.int64)
        _, order = np.unique(cells[:, 0] * 1_000_003 + cells[:, 1], return_index=True)
        order.sort()
    layer = LayerEncoder(coll.name, EXTENT)
    has_id_field = "id" in coll.field_map()
    for i in order.tolist():
        geom = geoms[i]
        if geom is None or geom.is_empty:
            continue
        props: dict[str, Any] = dict(features[i].properties)
        if not has_id_field:
            props["id"] = features[i].id
        layer.add(geom, props)
    return layer.tile()


def _tile_features(
    store: Store, coll: Collection, z: int, x: int, y: int, bbox: tuple[float, float, float, float], *, thin: bool
) -> list[Feature]:
    """The features a tile is drawn from, in row order: all of them, or for a thinned point layer on a store
    that can choose them in SQL, a superset of the one point kept per cell (the thinning below picks the same)."""
    properties = scalar_fields(coll)
    thinned_points = getattr(store, "thinned_points", None)
    if thin and coll.geometry_type == "POINT" and thinned_points is not None:
        return list(thinned_points(coll, z, x, y, bbox=bbox, properties=properties, extent=EXTENT, cell=POINT_CELL))
    return list(store.features(coll, Query(bbox=bbox, properties=properties)))


def tile_matrix_set() -> dict[str, Any]:
    """The OGC TMS 2.0 definition of WebMercatorQuad, zoom 0 to ``MAX_ZOOM``."""
    return {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": EPSG_3857,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": [
            {
                "id": str(z),
                "scaleDenominator": 559082264.0287178 / (1 << z),
                "cellSize": 156543.03392804097 / (1 << z),
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-_HALF, _HALF],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": 1 << z,
                "matrixHeight": 1 << z,
            }
            for z in range(MAX_ZOOM + 1)
        ],
    }
