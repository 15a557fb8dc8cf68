"""Geometries of CQL2 filters (WKT in CQL2 Text, GeoJSON in CQL2 JSON) built from nested lists of positions, with their checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import shapely
from shapely.errors import ShapelyError

from vkc.geo.geometry_types import OGC_NAMES
from vkc.ogc.cql2.checks import error

GEOMETRY_TYPES = OGC_NAMES  # WKT name (upper case) -> GeoJSON type
JSON_GEOMETRY_TYPES = tuple(GEOMETRY_TYPES.values())
# how many levels of arrays are around the positions of each GeoJSON type
LEVELS = {"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}


def build_geometry(kind: str, coords: Any, where: str, *, want_z: bool = False) -> shapely.Geometry:
    """A shapely geometry of GeoJSON type ``kind`` from nested lists of positions (tuples of 2 or 3 floats)."""
    positions = list(_positions_of(kind, coords))
    dims = {len(p) for p in positions}
    if len(dims) > 1:
        raise error(f"the {kind} mixes 2D and 3D coordinates {where}")
    if want_z and dims != {3}:
        raise error(f"the {kind} is tagged Z but its coordinates are not all 3D {where}")
    if kind == "LineString":
        _check_line(coords, kind, where)
    elif kind == "Polygon":
        _check_polygon(coords, kind, where)
    elif kind == "MultiLineString":
        _check_parts(coords, kind, where)
        for line in coords:
            _check_line(line, kind, where)
    elif kind == "MultiPolygon":
        _check_parts(coords, kind, where)
        for polygon in coords:
            _check_polygon(polygon, kind, where)
    elif kind == "MultiPoint":
        _check_parts(coords, kind, where)
    try:
        return _construct(kind, coords)
    except (ShapelyError, ValueError, TypeError) as exc:
        raise error(f"invalid {kind} {where}: {exc}") from None


def collection(parts: list[shapely.Geometry], where: str) -> shapely.GeometryCollection:
    try:
        return shapely.GeometryCollection(parts)
    except (ShapelyError, ValueError, TypeError) as exc:
        raise error(f"invalid GeometryCollection {where}: {exc}") from None


def _positions_of(kind: str, coords: Any) -> Iterator[tuple[float, ...]]:
    def walk(node: Any, level: int) -> Iterator[tuple[float, ...]]:
        if level == 0:
            yield node
        else:
            for child in node:
                yield from walk(child, level - 1)

    return walk(coords, LEVELS[kind])


def _check_parts(parts: list[Any], kind: str, where: str) -> None:
    if not parts:
        raise error(f"the {kind} is empty {where}; empty geometries are not supported")


def _check_line(line: list[Any], kind: str, where: str) -> None:
    if len(line) < 2:
        raise error(f"a line in the {kind} has {len(line)} position(s), at least 2 are needed {where}")


def _check_polygon(rings: list[Any], kind: str, where: str) -> None:
    if not rings:
        raise error(f"a polygon in the {kind} has no rings {where}")
    for ring in rings:
        if len(ring) < 4:
            raise error(f"a ring in the {kind} has {len(ring)} position(s), at least 4 are needed {where}")
        if ring[0] != ring[-1]:
            raise error(f"a ring in the {kind} is not closed (first position {ring[0]} differs from last {ring[-1]}) {where}")


def _construct(kind: str, coords: Any) -> shapely.Geometry:
    if kind == "Point":
        return shapely.Point(coords)
    if kind == "LineString":
        return shapely.LineString(coords)
    if kind == "Polygon":
        return shapely.Polygon(coords[0], coords[1:])
    if kind == "MultiPoint":
        return shapely.MultiPoint(coords)
    if kind == "MultiLineString":
        return shapely.MultiLineString(coords)
    return shapely.MultiPolygon([shapely.Polygon(rings[0], rings[1:]) for rings in coords])
