"""The GeoPackage (SQLite) side of filter translation.

SQLite has no spatial functions, so a spatial predicate becomes an R*Tree
look-up of the literal's box (narrowing to candidates through the index) and
``vkc_spatial(op, geom, literal, literal_first)``, a SQL function registered
on every connection that tests the candidates exactly with shapely against
the prepared literal. ``LIKE`` becomes ``GLOB``, which, unlike SQLite's
``LIKE``, is case-sensitive as CQL2 requires.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any

import shapely

from vkc.store import gpkg_binary
from vkc.store.filter_sql import SqlDialect
from vkc.store.gpkg_schema import q, rtree_name

# op(feature, literal) evaluated as converse(literal, feature), so the prepared literal comes first
_CONVERSE = {
    "s_intersects": "intersects",
    "s_disjoint": "disjoint",
    "s_equals": "equals",
    "s_touches": "touches",
    "s_overlaps": "overlaps",
    "s_crosses": "crosses",
    "s_within": "contains",
    "s_contains": "within",
}
_DIRECT = {op: op[2:] for op in _CONVERSE}


class GeoPackageDialect(SqlDialect):
    placeholder = "?"

    def __init__(self, table: str) -> None:
        self.table = table

    def time_start_open(self) -> str:
        return "'0000-01-01T00:00:00.000Z'"

    def spatial(self, op: str, literal: shapely.Geometry, *, literal_first: bool) -> tuple[str, list[Any]]:
        wkb = shapely.to_wkb(literal, flavor="iso", output_dimension=2)
        exact = "vkc_spatial(?, t.geom, ?, ?)"
        params: list[Any] = [op, wkb, int(literal_first)]
        if op == "s_disjoint":
            return f"(t.geom IS NOT NULL AND {exact})", params
        minx, miny, maxx, maxy = shapely.bounds(literal).tolist()
        narrow = f"t.fid IN (SELECT id FROM {q(rtree_name(self.table))} WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)"
        return f"({narrow} AND {exact})", [maxx, minx, maxy, miny, *params]

    def like(self, column: str, pattern: str) -> str:
        return f"{column} GLOB {pattern}"

    def like_pattern(self, pattern: str) -> str:
        return like_to_glob(pattern)


def like_to_glob(pattern: str) -> str:
    """A CQL2 LIKE pattern (``%``, ``_``, ``\\`` escapes) as an SQLite GLOB pattern."""
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            ch = next(chars, "\\")
            out.append(f"[{ch}]" if ch in "*?[" else ch)
        elif ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=64)
def _prepared(wkb: bytes) -> shapely.Geometry:
    geom = shapely.from_wkb(wkb)
    shapely.prepare(geom)
    return geom


def _spatial(op: str, blob: bytes | None, wkb: bytes, literal_first: int) -> int | None:
    if blob is None:
        return None
    feature = gpkg_binary.decode_one(blob)
    if feature is None or feature.is_empty:
        return 0
    literal = _prepared(wkb)
    if literal_first:
        return int(getattr(shapely, _DIRECT[op])(literal, feature))
    return int(getattr(shapely, _CONVERSE[op])(literal, feature))


def register_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("vkc_spatial", 4, _spatial, deterministic=True)
