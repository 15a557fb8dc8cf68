"""Geometry type families: a layer holds one family; single and multi parts of it mix by promotion."""

from __future__ import annotations

import numpy as np
import shapely

_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
_FAMILY = {0: "point", 4: "point", 1: "line", 2: "line", 5: "line", 3: "polygon", 6: "polygon", 7: "collection"}
_SINGLE = {"point": "POINT", "line": "LINESTRING", "polygon": "POLYGON", "collection": "GEOMETRYCOLLECTION"}
_MULTI = {"point": "MULTIPOINT", "line": "MULTILINESTRING", "polygon": "MULTIPOLYGON", "collection": "GEOMETRYCOLLECTION"}
_MULTI_IDS = {4, 5, 6, 7}
#: layer geometry types (WKT keywords) and their OGC/GeoJSON names
OGC_NAMES = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
    "GEOMETRYCOLLECTION": "GeometryCollection",
}


def type_name(type_id: int) -> str:
    return _NAMES.get(type_id, "unknown")


def family_of(type_id: int) -> str | None:
    return _FAMILY.get(type_id)


def family_of_layer(geometry_type: str) -> str | None:
    for fam, name in (*_SINGLE.items(), *_MULTI.items()):
        if name == geometry_type:
            return fam
    return None


def layer_type(family: str, has_multi: bool) -> str:
    return _MULTI[family] if has_multi else _SINGLE[family]


def is_multi_layer(geometry_type: str) -> bool:
    return geometry_type.startswith("MULTI")


def promote(geometries: np.ndarray) -> np.ndarray:
    """Single geometries to their multi form (None stays None); multis are unchanged."""
    out = geometries.copy()
    type_ids = shapely.get_type_id(geometries)
    for tid, make in ((0, shapely.multipoints), (1, shapely.multilinestrings), (3, shapely.multipolygons)):
        idx = np.flatnonzero(type_ids == tid)
        if idx.size:
            out[idx] = [make([g]) for g in geometries[idx]]
    return out


def batch_has_multi(type_ids: np.ndarray) -> bool:
    return bool(np.isin(type_ids, list(_MULTI_IDS)).any())
