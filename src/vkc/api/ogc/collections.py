"""``/ogc/collections``, ``/ogc/collections/{id}`` and its queryables."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from vkc.api.ogc.common import (
    GEOJSON,
    HTML,
    JSON,
    LINKS_SCHEMA,
    PROBLEM,
    SCHEMA,
    base_url,
    json_response,
    link,
    self_links,
    store_of,
    wants_html,
)
from vkc.api.ogc.html import render
from vkc.ogc.crs import CRS84, OFFERED
from vkc.store.model import OPEN_END, Collection
from vkc.store.values import format_datetime

router = APIRouter()
_F = Query(None, description="Representation: json or html.")
NOT_FOUND = {404: {"description": "No such collection", "content": {PROBLEM: {}}}}
_JSON_TYPES = {"integer": "integer", "real": "number", "text": "string", "boolean": "boolean", "date": "string", "datetime": "string"}
_GEOMETRY_FORMATS = {
    "POINT": "geometry-point",
    "LINESTRING": "geometry-linestring",
    "POLYGON": "geometry-polygon",
    "MULTIPOINT": "geometry-multipoint",
    "MULTILINESTRING": "geometry-multilinestring",
    "MULTIPOLYGON": "geometry-multipolygon",
    "GEOMETRYCOLLECTION": "geometry-geometrycollection",
}


COLLECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "links"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "itemType": {"type": "string"},
        "crs": {"type": "array", "items": {"type": "string"}},
        "storageCrs": {"type": "string"},
        "links": LINKS_SCHEMA,
        "extent": {"type": "object"},
    },
}
COLLECTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["links", "collections"],
    "properties": {"links": LINKS_SCHEMA, "collections": {"type": "array", "items": COLLECTION_SCHEMA}},
}


def collection_json(request: Request, coll: Collection) -> dict[str, Any]:
    base = f"{base_url(request)}/collections/{coll.name}"
    out: dict[str, Any] = {
        "id": coll.name,
        "title": coll.title or coll.name,
        "description": coll.description,
        "itemType": "feature",
        "crs": list(OFFERED),
        "storageCrs": CRS84,
        "links": [
            link(base, "self", JSON, "This collection"),
            link(f"{base}?f=html", "alternate", HTML, "This collection as HTML"),
            link(f"{base}/items", "items", GEOJSON, "The features"),
            link(f"{base}/items?f=html", "items", HTML, "The features as HTML"),
            link(f"{base}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", SCHEMA, "Queryables"),
            link(f"{base}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/vector-tilesets", JSON, "Vector tiles"),
        ],
    }
    extent: dict[str, Any] = {}
    if coll.extent:
        extent["spatial"] = {"bbox": [list(coll.extent)], "crs": CRS84}
    if coll.time_extent:
        start, end = coll.time_extent
        extent["temporal"] = {
            "interval": [[format_datetime(start) if start else None, format_datetime(end) if end and end != OPEN_END else None]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    if extent:
        out["extent"] = extent
    for key in ("source", "license", "synthetic"):
        if key in coll.metadata:
            out[key] = coll.metadata[key]
    return out


@router.get("/collections", summary="The collections", responses={200: {"content": {JSON: {"schema": COLLECTIONS_SCHEMA}, HTML: {}}}})
def collections(request: Request, f: str | None = _F) -> Response:
    html = wants_html(request, f)
    body = {
        "links": self_links(request, html, title="The collections"),
        "collections": [collection_json(request, c) for c in store_of(request).collections(count=False)],
    }
    return render(request, "collections", "Collections", body) if html else json_response(body)


@router.get("/collections/{collectionId}", summary="One collection", responses={200: {"content": {JSON: {"schema": COLLECTION_SCHEMA}, HTML: {}}}, **NOT_FOUND})
def collection(request: Request, collectionId: str, f: str | None = _F) -> Response:  # noqa: N803  (the OGC path parameter's name)
    html = wants_html(request, f)
    coll = store_of(request).collection(collectionId, count=False)
    body = collection_json(request, coll)
    return render(request, "collection", body["title"], body) if html else json_response(body)


def queryables_json(request: Request, coll: Collection) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": {"title": "Feature id", "type": "string"},
        "geometry": {"title": "Geometry", "format": _GEOMETRY_FORMATS.get(coll.geometry_type, "geometry-any"), "x-ogc-role": "primary-geometry"},
        "datetime": {"title": "Time of the feature (instant or interval)", "type": "string", "format": "date-time", "x-ogc-role": "primary-instant"},
    }
    for f in coll.fields:
        if f.type == "json":
            continue
        schema: dict[str, Any] = {"title": f.name, "type": _JSON_TYPES[f.type]}
        if f.type in ("date", "datetime"):
            schema["format"] = "date" if f.type == "date" else "date-time"
        props[f.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url(request)}/collections/{coll.name}/queryables",
        "type": "object",
        "title": coll.title or coll.name,
        "properties": props,
        "additionalProperties": False,
    }


@router.get(
    "/collections/{collectionId}/queryables",
    summary="What a filter can name in a collection",
    responses={200: {"content": {SCHEMA: {}, HTML: {}}}, **NOT_FOUND},
)
def queryables(request: Request, collectionId: str, f: str | None = _F) -> Response:  # noqa: N803
    html = wants_html(request, f)
    body = queryables_json(request, store_of(request).collection(collectionId, count=False))
    return render(request, "queryables", f"Queryables of {body['title']}", body) if html else json_response(body, SCHEMA)
