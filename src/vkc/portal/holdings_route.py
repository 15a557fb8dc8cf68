"""``GET /api/provinces/{gso_code}/holdings``: what the platform holds for a province, as JSON (:mod:`vkc.portal.holdings`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from vkc.api.ogc.common import JSON, PROBLEM, json_response, store_of
from vkc.portal import holdings

router = APIRouter(prefix="/api/provinces", tags=["Provinces"])
PATH = "/api/provinces/{gso_code}/holdings"

_ENTRY_BASE: dict[str, Any] = {
    "id": {"type": "string"},
    "title": {"type": "string"},
    "href": {"type": "string", "description": "Where a browser sees it"},
}
_INDEX = {
    "type": ["object", "null"],
    "description": "The latest hourly index (null when the station's latest hour has no data)",
    "required": ["aqi", "category"],
    "properties": {
        "aqi": {"type": "integer", "minimum": 0},
        "category": {"type": "object", "required": ["en", "color"], "properties": {"vi": {"type": "string"}, "en": {"type": "string"}, "ko": {"type": "string"}, "color": {"type": "string"}}},
        "dominant": {"type": ["string", "null"]},
    },
}
_SECTION_ENTRIES = {
    "collections": {
        "type": "object",
        "required": ["id", "title", "href", "count", "exact"],
        "properties": {
            **_ENTRY_BASE,
            "href": {"type": "string", "description": "The collection's items page in the unit's bounding box (a superset of those counted)"},
            "count": {"type": "integer", "minimum": 0, "description": "Features whose geometry intersects the unit's boundary"},
            "exact": {"type": "boolean", "description": "False when the count is the store's estimate"},
        },
    },
    "air_quality_stations": {
        "type": "object",
        "required": ["id", "title", "href", "time", "vn", "us"],
        "properties": {**_ENTRY_BASE, "time": {"type": ["string", "null"], "format": "date-time"}, "vn": _INDEX, "us": _INDEX},
    },
}
HOLDINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["date", "unit", "holdings"],
    "properties": {
        "date": {"type": "string", "format": "date"},
        "unit": {
            "type": "object",
            "required": ["key", "gso_code", "name_vi", "name_en", "type", "valid_from", "valid_to", "bbox"],
            "properties": {
                "key": {"type": "string"},
                "gso_code": {"type": "string"},
                "name_vi": {"type": "string"},
                "name_en": {"type": "string"},
                "name_ko": {"type": ["string", "null"]},
                "type": {"type": "string"},
                "type_en": {"type": "string"},
                "valid_from": {"type": ["string", "null"], "format": "date"},
                "valid_to": {"type": ["string", "null"], "format": "date"},
                "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
            },
        },
        "holdings": {
            "type": "array",
            "description": "Sections, one per kind of holding; a client shows the kinds it knows (more may come)",
            "items": {
                "type": "object",
                "required": ["kind", "entries"],
                "properties": {"kind": {"type": "string"}, "entries": {"type": "array"}},
                "oneOf": [
                    {"properties": {"kind": {"const": kind}, "entries": {"type": "array", "items": entry}}} for kind, entry in _SECTION_ENTRIES.items()
                ],
            },
        },
    },
}


@router.get(
    "/{gso_code}/holdings",
    summary="What the platform holds for a province: each collection's features in it, its air-quality stations",
    description=holdings.__doc__,
    responses={
        200: {"description": "The unit and its holdings", "content": {JSON: {"schema": HOLDINGS_SCHEMA}}},
        400: {"description": "The date is not YYYY-MM-DD", "content": {PROBLEM: {}}},
        404: {"description": "No unit had this GSO code on that date", "content": {PROBLEM: {}}},
    },
)
def province_holdings(
    request: Request,
    gso_code: str = Path(description="The unit's GSO code, such as 01 (Hà Nội); a key only with the date"),
    date: str | None = Query(None, description="The day the unit was valid, YYYY-MM-DD (default: today)"),
) -> Response:
    return json_response(holdings.holdings(store_of(request), gso_code, date))
