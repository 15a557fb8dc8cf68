"""The SQLite functions the predicate compiler's spatial tests need (SQLite has no spatial functions of its own).

``vkc_spatial(relation, a, b)`` is ``relation(a, b)`` (``intersects``,
``within`` … or ``relate:<DE-9IM pattern>``) and ``vkc_measure(what, a, b)``
the ``distance`` between two geometries or the ``length`` of one. A geometry
reaches them as a GeoPackage geometry blob (feature tables), GeoJSON text
(SensorThings tables) or WKB (a query's literal). Literals and GeoJSON texts
are parsed once into one shape cache, since one literal meets every candidate
row; a literal is prepared too, and tested first (as the converse relation)
when it stands second. Registered on every GeoPackage store connection.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import shapely

from vkc.store import gpkg_binary

#: relation(a, b) is converse(b, a)
_CONVERSE = {
    "intersects": "intersects",
    "disjoint": "disjoint",
    "equals": "equals",
    "touches": "touches",
    "overlaps": "overlaps",
    "crosses": "crosses",
    "within": "contains",
    "contains": "within",
}
_GPKG_MAGIC = b"GP"


@lru_cache(maxsize=4096)
def _cached_shape(value: str | bytes) -> shapely.Geometry:
    if isinstance(value, str):
        return shapely.from_geojson(value)
    geom = shapely.from_wkb(value)
    shapely.prepare(geom)  # a literal: it meets every candidate row
    return geom


def _is_literal(value: str | bytes) -> bool:
    return isinstance(value, bytes) and not value.startswith(_GPKG_MAGIC)


def _shape(value: str | bytes) -> shapely.Geometry | None:
    """The geometry of a value; None for an empty GeoPackage geometry (a feature's, which no relation holds for)."""
    if isinstance(value, bytes) and value.startswith(_GPKG_MAGIC):
        feature = gpkg_binary.decode_one(value)
        return None if feature is None or feature.is_empty else feature
    return _cached_shape(value)


def spatial(relation: str, a: str | bytes | None, b: str | bytes | None) -> int | None:
    """``relation(a, b)``: 1 or 0, None when either is null."""
    if a is None or b is None:
        return None
    ga, gb = _shape(a), _shape(b)
    if ga is None or gb is None:
        return 0
    if relation.startswith("relate:"):
        return int(shapely.relate_pattern(ga, gb, relation[7:]))
    if _is_literal(b) and not _is_literal(a):
        return int(getattr(shapely, _CONVERSE[relation])(gb, ga))
    return int(getattr(shapely, relation)(ga, gb))


def measure(what: str, a: str | bytes | None, b: str | bytes | None) -> float | None:
    """``distance`` between two geometries or ``length`` of one, in the units of their CRS (degrees)."""
    if a is None or (what == "distance" and b is None):
        return None
    ga = _shape(a)
    if what == "length":
        return None if ga is None else float(shapely.length(ga))
    gb = _shape(b) if b is not None else None
    return None if ga is None or gb is None else float(shapely.distance(ga, gb))


def register(conn: sqlite3.Connection) -> None:
    conn.create_function("vkc_spatial", 3, spatial, deterministic=True)
    conn.create_function("vkc_measure", 3, measure, deterministic=True)
