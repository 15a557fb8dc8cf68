"""``/ogc/collections/{id}/items`` and ``/items/{featureId}``: reading features (Parts 1–3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from vkc.api.ogc.body import FEATURE_SCHEMA
from vkc.api.ogc.collections import NOT_FOUND
from vkc.api.ogc.common import GEOJSON, HTML, JSON, PROBLEM, base_url, json_response, link, store_of, wants_html, with_query
from vkc.api.ogc.html import render
from vkc.api.ogc.params import DEFAULT_LIMIT, MAX_LIMIT, check_known, parse_items
from vkc.layers.documents import etag, feature_json, geometries_json
from vkc.ogc.crs import CRS84, api_crs

router = APIRouter()
BAD_REQUEST = {400: {"description": "A parameter is malformed or unknown; the problem names it", "content": {PROBLEM: {}}}}
NOT_ACCEPTABLE = {406: {"description": "No representation the client accepts", "content": {PROBLEM: {}}}}

#: a page of features (RFC 7946 with the counts and links of OGC API - Features)
FEATURE_COLLECTION_SCHEMA = {
    "type": "object",
    "required": ["type", "features", "links", "numberReturned"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": FEATURE_SCHEMA},
        "links": {"type": "array", "items": {"type": "object", "required": ["href", "rel"]}},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "timeStamp": {"type": "string", "format": "date-time"},
    },
}

_DOC = {
    "limit": f"At most this many features (default {DEFAULT_LIMIT}; larger values than {MAX_LIMIT} are clamped to it and the response says so).",
    "offset": "Skip this many features (the next and prev links carry it).",
    "bbox": "minx,miny,maxx,maxy (or 6 numbers with heights) in bbox-crs; features that intersect it.",
    "bbox-crs": "CRS of bbox (default CRS84).",
    "datetime": "An RFC 3339 instant or interval (a/b, ../b, a/..); features whose time overlaps it.",
    "crs": "CRS of the response geometries (default CRS84); see the collection's crs list.",
    "filter": "A CQL2 filter (text or JSON, see filter-lang).",
    "filter-lang": "cql2-text (default) or cql2-json.",
    "filter-crs": "CRS of the geometries in filter (default CRS84).",
    "sortby": "Comma-separated queryables, each with a + (ascending, the default) or - (descending) prefix.",
    "properties": "Comma-separated properties to return (default all).",
    "f": "Representation: json or html.",
}


def _q(name: str) -> Any:
    return Query(None, alias=name, description=_DOC[name])


@router.get(
    "/collections/{collectionId}/items",
    summary="Features of a collection",
    responses={200: {"content": {GEOJSON: {"schema": FEATURE_COLLECTION_SCHEMA}, HTML: {}}}, **BAD_REQUEST, **NOT_FOUND, **NOT_ACCEPTABLE},
)
def items(
    request: Request,
    collectionId: str,  # noqa: N803  (the OGC path parameter's name)
    limit: int | None = Query(None, ge=1, description=_DOC["limit"]),
    offset: int | None = Query(None, ge=0, description=_DOC["offset"]),
    bbox: str | None = _q("bbox"),
    bbox_crs: str | None = _q("bbox-crs"),
    datetime_: str | None = _q("datetime"),
    crs: str | None = _q("crs"),
    filter_: str | None = _q("filter"),
    filter_lang: str | None = _q("filter-lang"),
    filter_crs: str | None = _q("filter-crs"),
    sortby: str | None = _q("sortby"),
    properties: str | None = _q("properties"),
    f: str | None = _q("f"),
) -> Response:
    store = store_of(request)
    html = wants_html(request, f, GEOJSON)
    coll = store.schema(collectionId)
    params = dict(request.query_params)
    req = parse_items(coll, params)
    query = req.query
    page = list(store.features(coll, replace(query, limit=query.limit + 1)))  # one more: is there a next page?
    more = len(page) > query.limit
    page = page[: query.limit]
    if not more and (page or not query.offset):  # the last page: every match has been read
        matched, exact = query.offset + len(page), True
    else:
        matched, exact = store.number_matched(coll, query)
    base = f"{base_url(request)}/collections/{coll.name}/items"
    keep = {k: v for k, v in params.items() if k not in ("offset", "f")}
    links = [
        link(with_query(base, {**keep, "offset": query.offset or None}), "alternate" if html else "self", GEOJSON, "This page as GeoJSON"),
        link(with_query(base, {**keep, "offset": query.offset or None, "f": "html"}), "self" if html else "alternate", HTML, "This page as HTML"),
        link(f"{base_url(request)}/collections/{coll.name}", "collection", JSON, "The collection"),
    ]
    if more:
        links.append(link(with_query(base, {**keep, "offset": query.offset + query.limit}), "next", GEOJSON, "Next page"))
    if query.offset:
        links.append(link(with_query(base, {**keep, "offset": max(0, query.offset - query.limit) or None}), "prev", GEOJSON, "Previous page"))
    geometries = geometries_json(page, req.crs)
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [feature_json(feat, geom) for feat, geom in zip(page, geometries)],
        "links": links,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberMatched": matched,
        "numberReturned": len(page),
    }
    if not exact:
        body["numberMatchedIsEstimate"] = True
    if req.requested_limit > query.limit:
        body["limitApplied"] = query.limit
    headers = {"Content-Crs": f"<{req.crs.uri}>"}
    if html:
        return render(request, "items", coll.title or coll.name, body, headers=headers)
    return json_response(body, GEOJSON, headers=headers)


@router.get(
    "/collections/{collectionId}/items/{featureId:feature_id}",
    summary="One feature",
    responses={
        200: {
            "content": {GEOJSON: {"schema": FEATURE_SCHEMA}, HTML: {}},
            "headers": {"ETag": {"description": "The feature's version, for If-Match", "schema": {"type": "string"}}},
        },
        **BAD_REQUEST, **NOT_FOUND, **NOT_ACCEPTABLE,
    },
)
async def item(
    request: Request,
    collectionId: str,  # noqa: N803
    featureId: str,  # noqa: N803
    crs: str | None = _q("crs"),
    f: str | None = _q("f"),
) -> Response:
    store = store_of(request)
    html = wants_html(request, f, GEOJSON)
    check_known(request.query_params, ("crs", "f"))
    out_crs = api_crs(crs or CRS84, "crs")
    feat = await store.feature_async(collectionId, featureId)
    base = f"{base_url(request)}/collections/{collectionId}"
    here = f"{base}/items/{quote(featureId, safe='')}"
    links = [
        link(here, "alternate" if html else "self", GEOJSON, "This feature as GeoJSON"),
        link(f"{here}?f=html", "self" if html else "alternate", HTML, "This feature as HTML"),
        link(base, "collection", JSON, "The collection"),
    ]
    body = feature_json(feat, geometries_json([feat], out_crs)[0], links)
    headers = {"Content-Crs": f"<{out_crs.uri}>", "ETag": etag(feat)}
    if html:
        return render(request, "item", f"{collectionId}: {featureId}", body, headers=headers)
    return json_response(body, GEOJSON, headers=headers)
