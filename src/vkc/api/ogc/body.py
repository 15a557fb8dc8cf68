"""The bodies of Part 4 writes as the OpenAPI document describes them; read by :func:`vkc.web.body.read_json` (what they must hold: :mod:`vkc.layers.documents`)."""

from __future__ import annotations

from vkc.web.body import MAX_BODY, read_json

REQUEST_BODY = {
    "required": True,
    "content": {
        "application/geo+json": {"schema": {"type": "object", "required": ["type"], "properties": {"type": {"const": "Feature"}}}},
        "application/json": {"schema": {"type": "object"}},
    },
}
#: a GeoJSON Feature as the API answers with one (RFC 7946; ``time`` is JSON-FG's)
FEATURE_SCHEMA = {
    "type": "object",
    "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": "string"},
        "geometry": {"anyOf": [{"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}}, {"type": "null"}]},
        "properties": {"anyOf": [{"type": "object"}, {"type": "null"}]},
        "links": {"type": "array", "items": {"type": "object", "required": ["href", "rel"]}},
    },
}
#: the version a write is made against (the ETag of a read): required by PUT, PATCH and DELETE
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The feature's ETag as last read; 412 if it has changed since, 428 without it",
    "schema": {"type": "string"},
}
PATCH_BODY = {"required": True, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}}

__all__ = ["FEATURE_SCHEMA", "IF_MATCH", "MAX_BODY", "PATCH_BODY", "REQUEST_BODY", "read_json"]
