"""One feature as a GeoJSON document (RFC 7946, with the JSON-FG ``time`` member), both ways.

Reading: a parsed GeoJSON Feature (a ``dict``) in a given CRS becomes a store
:class:`~vkc.store.model.Feature`, checked before anything is written; RFC 7396
merge patches of one. Writing: features as GeoJSON, their geometries
serialised in bulk with orjson; the ETag of a feature's content.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import shapely

from vkc.errors import GeometryError, InputError
from vkc.geo import geojson_geometry
from vkc.geo.geojson_text import TextCache
from vkc.ogc.crs import CRS84, ApiCrs, api_crs
from vkc.parsing import times
from vkc.store.model import OPEN_END, RESERVED_NAMES, Feature, feature_id_problem
from vkc.store.values import format_datetime

# -- writing ---------------------------------------------------------------------------------------

#: this process's GeoJSON texts of large geometries (boundaries asked for again and again)
TEXTS = TextCache()


def geometries_json(features: list[Feature], crs: ApiCrs) -> list[orjson.Fragment | None]:
    """Each feature's geometry as a ready JSON fragment, reprojected to ``crs`` (vectorised)."""
    geoms = np.empty(len(features), dtype=object)
    geoms[:] = [f.geometry for f in features]
    if crs.crs is not None or crs.lat_first:
        geoms = crs.from_storage(geoms)
    return [None if text is None else orjson.Fragment(text) for text in TEXTS.texts(geoms)]


def time_json(feature: Feature) -> dict[str, Any] | None:
    """JSON-FG ``time``: an instant, or an interval with '..' for an open end."""
    if feature.time is None and feature.time_end is None:
        return None
    if feature.time_end is None:
        return {"timestamp": _iso(feature.time)}
    start = ".." if feature.time is None else _iso(feature.time)
    end = ".." if feature.time_end == OPEN_END else _iso(feature.time_end)
    return {"interval": [start, end]}


def _iso(value: datetime | None) -> str:
    return format_datetime(value) if value is not None else ".."


def feature_json(feature: Feature, geometry: orjson.Fragment | None, links: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A GeoJSON Feature of ``feature`` with its ``geometry`` as serialised by :func:`geometries_json`."""
    out: dict[str, Any] = {"type": "Feature", "id": feature.id, "geometry": geometry, "properties": feature.properties}
    when = time_json(feature)
    if when is not None:
        out["time"] = when
    if links:
        out["links"] = links
    return out


def etag(feature: Feature) -> str:
    """A strong validator of a feature's content (geometry, properties, time), quoted as HTTP wants."""
    wkb = None if feature.geometry is None else shapely.to_wkb(feature.geometry, flavor="iso", output_dimension=2).hex()
    body = orjson.dumps(
        {"g": wkb, "p": feature.properties, "t": time_json(feature)}, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# -- reading ---------------------------------------------------------------------------------------

def parse_feature(doc: Any, *, feature_id: str | None, content_crs: str | None = None) -> Feature:
    """A GeoJSON Feature (with an optional JSON-FG ``time``) with coordinates in ``content_crs`` (a CRS URI; CRS84 if None), as a store feature.

    ``feature_id``: the id the feature must have (the body's id may repeat it); None takes the body's id, or none ("").
    """
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        raise InputError("the body must be a GeoJSON object with \"type\": \"Feature\"", field="body")
    properties = check_properties(doc.get("properties") or {})
    given_id = doc.get("id")
    if given_id is not None and not isinstance(given_id, (str, int)):
        raise InputError("\"id\" must be a string or a number", field="id")
    for candidate in (feature_id, None if given_id is None else str(given_id)):
        problem = None if candidate is None else feature_id_problem(candidate)
        if problem is not None:
            raise InputError(f"\"id\": {problem}", field="id")
    if feature_id is not None and given_id is not None and str(given_id) != feature_id:
        raise InputError(f"the body's id {given_id!r} differs from the id in the path {feature_id!r}", field="id")
    geometry = parse_geometry(doc.get("geometry"), content_crs)
    time, time_end = parse_time(doc.get("time"))
    return Feature(id=feature_id or (str(given_id) if given_id is not None else ""), geometry=geometry, properties=properties, time=time, time_end=time_end)


def check_properties(properties: Any) -> dict[str, Any]:
    """A feature's ``properties``: an object whose names the store does not keep for itself."""
    if not isinstance(properties, dict):
        raise InputError("\"properties\" must be an object or null", field="properties")
    reserved = sorted(k for k in properties if k.lower() in RESERVED_NAMES)
    if reserved:
        raise InputError(f"property name {reserved[0]!r} is reserved by the store; rename it", field="properties")
    return properties


def parse_geometry(value: Any, content_crs: str | None) -> shapely.Geometry | None:
    """A GeoJSON geometry (or None) in ``content_crs`` (``<URI>`` or URI; CRS84 if None) as a valid CRS84 geometry."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise GeometryError("\"geometry\" must be a GeoJSON geometry object or null", field="geometry")
    geom = geojson_geometry.parse_geometry(value, "geometry")
    if geom is None or geom.is_empty:
        raise GeometryError("\"geometry\" is empty; use null for a feature without geometry", field="geometry")
    crs = api_crs((content_crs or CRS84).strip("<>"), "Content-Crs")
    if crs.crs is not None or crs.lat_first:
        geom = crs.to_storage(np.array([geom], dtype=object))[0]
    geojson_geometry.check_lonlat(geom, "geometry")
    reason = shapely.is_valid_reason(geom)
    if reason != "Valid Geometry":
        raise GeometryError(f"the geometry is invalid: {reason}", field="geometry")
    return geom


def parse_time(value: Any) -> tuple[datetime | None, datetime | None]:
    """JSON-FG ``time``: ``{"timestamp": ...}``, ``{"date": ...}`` or ``{"interval": [start, end]}`` ('..' open)."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise InputError("\"time\" must be a JSON-FG time object", field="time")
    if "timestamp" in value:
        return _instant(value["timestamp"]), None
    if "date" in value:
        return _instant(str(value["date"]) + "T00:00:00Z"), None
    interval = value.get("interval")
    if not isinstance(interval, list) or len(interval) != 2:
        raise InputError("\"time\" needs \"timestamp\", \"date\" or a two-element \"interval\"", field="time")
    start = None if interval[0] == ".." else _instant(interval[0])
    end = OPEN_END if interval[1] == ".." else _instant(interval[1])
    if start is not None and start > end:
        raise InputError("\"time\": the interval starts after it ends", field="time")
    return start, end


def _instant(text: Any) -> datetime:
    try:
        value = times.parse_instant(str(text), times.DATA)
    except times.TimeTextError:
        raise InputError(f"\"time\": {text!r} is not an RFC 3339 date-time", field="time") from None
    if value.tzinfo is None:
        raise InputError(f"\"time\": {text!r} has no time zone", field="time")
    return value.astimezone(UTC)


def merge_patch(target: dict[str, Any], patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key, {}), value)
    return out
