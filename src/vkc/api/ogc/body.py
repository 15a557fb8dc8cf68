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
PATCH_BODY = {"required": True, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}}

__all__ = ["MAX_BODY", "PATCH_BODY", "REQUEST_BODY", "read_json"]
