"""SQL functions the SensorThings queries need in SQLite, which has no spatial functions of its own.

Geometries reach these functions as GeoJSON text (stored columns) or WKB
(query literals); parsed shapes are cached, since one literal meets every
candidate row. Registered on every GeoPackage store connection.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import shapely

from vkc.sensors.stats import P95


@lru_cache(maxsize=4096)
def _shape(value: str | bytes) -> shapely.Geometry:
    if isinstance(value, bytes):
        return shapely.from_wkb(value)
    return shapely.from_geojson(value)


def _spatial(op: str, a: str | bytes | None, b: str | bytes | None) -> int | None:
    """``op(a, b)``: intersects, equals, disjoint, … or ``relate:<DE-9IM pattern>``."""
    if a is None or b is None:
        return None
    ga, gb = _shape(a), _shape(b)
    if op.startswith("relate:"):
        return int(ga.relate_pattern(gb, op[7:]))
    return int(getattr(ga, op)(gb))


def _measure(what: str, a: str | bytes | None, b: str | bytes | None) -> float | None:
    """``distance`` between two geometries or ``length`` of one, in the units of their CRS (degrees)."""
    if a is None or (what == "distance" and b is None):
        return None
    if what == "length":
        return float(_shape(a).length)
    return float(_shape(a).distance(_shape(b)))


def register(conn: sqlite3.Connection) -> None:
    conn.create_function("vkc_sta_spatial", 3, _spatial, deterministic=True)
    conn.create_function("vkc_sta_measure", 3, _measure, deterministic=True)
    conn.create_aggregate("vkc_p95", 1, P95)
