"""Request bodies of Part 4: one GeoJSON feature, checked before anything is written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import orjson
import shapely
from fastapi import Request

from vkc.errors import GeometryError, InputError, PayloadTooLarge
from vkc.ogc.crs import CRS84, api_crs
from vkc.parsing import times
from vkc.store.model import OPEN_END, RESERVED_NAMES, Collection, Feature
from vkc.store.values import column_type, widen

MAX_BODY = 16 * 1024 * 1024
REQUEST_BODY = {
    "required": True,
    "content": {
        "application/geo+json": {"schema": {"type": "object", "required": ["type"], "properties": {"type": {"const": "Feature"}}}},
        "application/json": {"schema": {"type": "object"}},
    },
}
PATCH_BODY = {"required": True, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}}


async def read_json(request: Request) -> Any:
    """The body as JSON; 413 past ``MAX_BODY`` (checked while reading, not trusted from Content-Length)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"the body has {declared} bytes; at most {MAX_BODY} are accepted")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(f"the body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise InputError("the request has no body; send a GeoJSON Feature", field="body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the body is not JSON: {exc}", field="body") from None


def parse_feature(doc: Any, request: Request, *, feature_id: str | None) -> Feature:
    """A GeoJSON Feature (with an optional JSON-FG ``time``) in the ``Content-Crs`` of the request, as a store feature."""
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        raise InputError("the body must be a GeoJSON object with \"type\": \"Feature\"", field="body")
    properties = check_properties(doc.get("properties") or {})
    given_id = doc.get("id")
    if given_id is not None and not isinstance(given_id, (str, int)):
        raise InputError("\"id\" must be a string or a number", field="id")
    if feature_id is not None and given_id is not None and str(given_id) != feature_id:
        raise InputError(f"the body's id {given_id!r} differs from the id in the path {feature_id!r}", field="id")
    geometry = parse_geometry(doc.get("geometry"), request.headers.get("content-crs"))
    time, time_end = parse_time(doc.get("time"))
    return Feature(id=feature_id or (str(given_id) if given_id is not None else ""), geometry=geometry, properties=properties, time=time, time_end=time_end)


def check_properties(properties: Any) -> dict[str, Any]:
    if not isinstance(properties, dict):
        raise InputError("\"properties\" must be an object or null", field="properties")
    reserved = sorted(k for k in properties if k.lower() in RESERVED_NAMES)
    if reserved:
        raise InputError(f"property name {reserved[0]!r} is reserved by the store; rename it", field="properties")
    return properties


def check_schema(coll: Collection, properties: dict[str, Any]) -> None:
    """Writes through the API keep the collection's schema: known properties, values of their type."""
    fields = coll.field_map()
    for name, value in properties.items():
        field = fields.get(name)
        if field is None:
            raise InputError(
                f"property {name!r} is not in the schema of {coll.name!r} ({', '.join(fields) or 'no properties'}); "
                "new properties come with an import",
                field=name,
            )
        kind = column_type([value], field.type)
        if kind is not None and widen(field.type, kind) != field.type:
            raise InputError(f"property {name!r} holds {field.type} values; {value!r} is {kind}", field=name)


def parse_geometry(value: Any, content_crs: str | None) -> shapely.Geometry | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise GeometryError("\"geometry\" must be a GeoJSON geometry object or null", field="geometry")
    try:
        geom = shapely.from_geojson(orjson.dumps(value))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        raise GeometryError(f"\"geometry\" is not valid GeoJSON: {exc}", field="geometry") from None
    if geom is None or geom.is_empty:
        raise GeometryError("\"geometry\" is empty; use null for a feature without geometry", field="geometry")
    crs = api_crs((content_crs or CRS84).strip("<>"), "Content-Crs")
    if crs.crs is not None or crs.lat_first:
        geom = crs.to_storage(np.array([geom], dtype=object))[0]
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
    return value


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
