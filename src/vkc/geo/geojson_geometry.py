"""GeoJSON geometry objects checked before they are parsed, with messages that say what is wrong and where.

RFC 7946 §3.1: a geometry has a ``type`` and ``coordinates`` nested as deep
as its type says (a Point one position, a MultiPolygon lists of lists of
lists of positions); a position is two or three finite numbers. The checks
here come first, so that a malformed object gets a message naming the member
at fault (``coordinates[0][3]``) rather than the geometry engine's parser
text, and so that no depth of nesting or size of number reaches it.
:func:`check_lonlat` then refuses coordinates no place on Earth has.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
import shapely

from vkc.errors import GeometryError

#: how deep ``coordinates`` nest for each type: 1 is a position
COORDINATE_DEPTH = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4}
MAX_COLLECTION_DEPTH = 4


def parse_geometry(value: Any, field: str) -> shapely.Geometry:
    """The geometry of a GeoJSON geometry object, after checking its structure; :class:`GeometryError` names ``field`` and the member."""
    check_structure(value, field)
    try:
        return shapely.from_geojson(orjson.dumps(value))
    except (shapely.errors.GEOSException, ValueError, TypeError):
        raise GeometryError(f"{field}: not a valid GeoJSON geometry", field=field) from None


def check_structure(value: Any, field: str, depth: int = 0) -> None:
    if not isinstance(value, dict):
        raise GeometryError(f"{field}: expected a GeoJSON geometry object", field=field)
    kind = value.get("type")
    if kind == "GeometryCollection":
        members = value.get("geometries")
        if not isinstance(members, list):
            raise GeometryError(f"{field}: a GeometryCollection needs a \"geometries\" array", field=field)
        if depth >= MAX_COLLECTION_DEPTH:
            raise GeometryError(f"{field}: GeometryCollections are nested more than {MAX_COLLECTION_DEPTH} deep", field=field)
        for n, member in enumerate(members):
            check_structure(member, f"{field}.geometries[{n}]", depth + 1)
        return
    if kind not in COORDINATE_DEPTH:
        known = ", ".join([*COORDINATE_DEPTH, "GeometryCollection"])
        raise GeometryError(f"{field}: unknown geometry type {kind!r}; GeoJSON has {known}", field=field)
    if "coordinates" not in value:
        raise GeometryError(f"{field}: a {kind} needs \"coordinates\"", field=field)
    _check_coordinates(value["coordinates"], COORDINATE_DEPTH[kind], kind, f"{field}.coordinates", field)


def _check_coordinates(value: Any, depth: int, kind: str, where: str, field: str) -> None:
    if depth == 1:
        if (
            not isinstance(value, list)
            or not 2 <= len(value) <= 3
            or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in value)
        ):
            raise GeometryError(f"{where}: a position is [longitude, latitude] or [longitude, latitude, height] in numbers", field=field)
        if not all(math.isfinite(n) for n in value):
            raise GeometryError(f"{where}: coordinates must be finite numbers", field=field)
        return
    if not isinstance(value, list):
        raise GeometryError(f"{where}: expected an array (the coordinates of a {kind} nest {COORDINATE_DEPTH[kind]} arrays deep)", field=field)
    for n, item in enumerate(value):
        _check_coordinates(item, depth - 1, kind, f"{where}[{n}]", field)


def check_lonlat(geom: shapely.Geometry, field: str) -> None:
    """Refuse longitudes outside [-180, 180] and latitudes outside [-90, 90] (``geom`` in CRS84)."""
    minx, miny, maxx, maxy = shapely.bounds(geom).tolist()
    if minx < -180 or maxx > 180:
        bad = minx if minx < -180 else maxx
        raise GeometryError(f"{field}: longitude {bad:.10g} is outside -180…180 (are the coordinates in another CRS?)", field=field)
    if miny < -90 or maxy > 90:
        bad = miny if miny < -90 else maxy
        raise GeometryError(f"{field}: latitude {bad:.10g} is outside -90…90 (are longitude and latitude swapped?)", field=field)
