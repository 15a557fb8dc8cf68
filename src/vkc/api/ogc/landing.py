"""``/ogc``, ``/ogc/conformance`` and ``/ogc/api``: what the service is and which standards it meets."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from vkc.api.ogc.common import HTML, JSON, OPENAPI, base_url, json_response, link, self_links, wants_html
from vkc.api.ogc.html import render
from vkc.errors import InputError

#: exactly the conformance classes implemented and tested (tests/api/test_conformance.py checks each has tests)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]

router = APIRouter()
_F = Query(None, description="Representation: json or html (default: by the Accept header, else json).")


@router.get("", summary="Landing page", responses={200: {"content": {JSON: {}, HTML: {}}}})
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


@router.get("/conformance", summary="Conformance classes", responses={200: {"content": {JSON: {}, HTML: {}}}})
def conformance(request: Request, f: str | None = _F) -> Response:
    body = {"conformsTo": CONFORMANCE}
    if wants_html(request, f):
        return render(request, "conformance", "Conformance", body)
    return json_response(body)


@router.get("/api", summary="The API definition (OpenAPI)", responses={200: {"content": {OPENAPI: {}}}})
def api_definition(request: Request, f: str | None = Query(None, description="Representation: json (the only one).")) -> Response:
    if f is not None and f.lower() != "json":
        raise InputError(f"f: the API definition is offered as json only, not {f!r}; its HTML is /docs", field="f")
    return json_response(request.app.openapi(), media_type=OPENAPI)
