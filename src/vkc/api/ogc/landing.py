"""``/ogc``, ``/ogc/conformance`` and ``/ogc/api``: what the service is and which standards it meets."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from vkc.api.ogc.common import HTML, JSON, LINKS_SCHEMA, OPENAPI, base_url, json_response, link, self_links, wants_html
from vkc.api.ogc.html import render
from vkc.errors import InputError
from vkc.ogc.conformance import OGC_CONFORMANCE

#: the classes this package implements and tests (tests/api/test_conformance.py checks each has tests);
#: /ogc/conformance lists those of every installed component that declares classes for /ogc
CONFORMANCE = list(OGC_CONFORMANCE)

router = APIRouter()
_F = Query(None, description="Representation: json or html (default: by the Accept header, else json).")


@router.get(
    "",
    summary="Landing page",
    responses={200: {"content": {JSON: {"schema": {"type": "object", "required": ["links"], "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": LINKS_SCHEMA}}}, HTML: {}}}},
)
def landing(request: Request, f: str | None = _F) -> Response:
    html = wants_html(request, f)
    base = base_url(request)
    body = {
        "title": "VKC smart-city platform: OGC API",
        "description": "Vietnam's urban spatial data through OGC API – Features (Parts 1–4) and OGC API – Tiles.",
        "links": [
            *self_links(request, html, title="This document"),
            link(f"{base}/api", "service-desc", OPENAPI, "The API definition (OpenAPI)"),
            link(f"{str(request.base_url).rstrip('/')}/docs", "service-doc", HTML, "The API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "Conformance classes implemented"),
            link(f"{base}/conformance", "http://www.opengis.net/def/rel/ogc/1.0/conformance", JSON, "Conformance classes implemented"),
            link(f"{base}/collections", "data", JSON, "The collections"),
            link(f"{base}/collections", "http://www.opengis.net/def/rel/ogc/1.0/data", JSON, "The collections"),
            link(f"{base}/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", JSON, "Tile matrix sets"),
        ],
    }
    if html:
        return render(request, "landing", body["title"], body)
    return json_response(body)


@router.get(
    "/conformance",
    summary="Conformance classes",
    responses={200: {"content": {JSON: {"schema": {"type": "object", "required": ["conformsTo"], "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}}}, HTML: {}}}},
)
def conformance(request: Request, f: str | None = _F) -> Response:
    body = {"conformsTo": request.app.state.conformance.get("/ogc", [])}
    if wants_html(request, f):
        return render(request, "conformance", "Conformance", body)
    return json_response(body)


@router.get("/api", summary="The API definition (OpenAPI)", responses={200: {"content": {OPENAPI: {}}}})
def api_definition(request: Request, f: str | None = Query(None, description="Representation: json (the only one).")) -> Response:
    if f is not None and f.lower() != "json":
        raise InputError(f"f: the API definition is offered as json only, not {f!r}; its HTML is /docs", field="f")
    return json_response(request.app.openapi(), media_type=OPENAPI)
