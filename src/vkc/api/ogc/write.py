"""Part 4 over HTTP: create, replace, update and delete features, with bearer tokens and no lost updates.

The rules (If-Match, schema fit, merge patches, CRS of the body) are
:mod:`vkc.layers.features_service`'s; here are the HTTP sides: the token in
``Authorization``, the body read with its size limit, ``If-Match`` and
``Content-Crs``, and the status, ``Location`` and ``ETag`` of the answer.

The store work (the token, the write) runs in worker threads: a writer that
waits for the GeoPackage's lock (up to its busy timeout) stalls no other
request.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vkc.api.ogc.body import FEATURE_SCHEMA, IF_MATCH, PATCH_BODY, REQUEST_BODY, read_json
from vkc.api.ogc.collections import NOT_FOUND
from vkc.api.ogc.common import GEOJSON, PROBLEM, base_url, json_response, store_of
from vkc.api.ogc.items import BAD_REQUEST
from vkc.layers import features_service as service
from vkc.layers.documents import feature_json, geometries_json
from vkc.ogc.crs import CRS84, api_crs
from vkc.permissions import Grant, features
from vkc.web import credentials

router = APIRouter()


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM: {}}}


AUTH = {401: _problem("No valid bearer token"), 403: _problem("The token may not write this collection"), 413: _problem("Body too large")}
_ITEM = "#/paths/~1ogc~1collections~1{collectionId}~1items~1{featureId}"
_ETAG = {"ETag": {"description": "The feature's version, for If-Match", "schema": {"type": "string"}}}


def _links(feature_id: str) -> dict[str, dict]:
    """Links from an answer about one feature to reading, replacing, updating and deleting it at the version the answer carries."""
    here = {"collectionId": "$request.path.collectionId", "featureId": feature_id}
    versioned = {**here, "header.If-Match": "$response.header.ETag"}
    return {
        "GetFeature": {"operationRef": f"{_ITEM}/get", "parameters": here},
        "ReplaceFeature": {"operationRef": f"{_ITEM}/put", "parameters": versioned},
        "UpdateFeature": {"operationRef": f"{_ITEM}/patch", "parameters": versioned},
        "DeleteFeature": {"operationRef": f"{_ITEM}/delete", "parameters": versioned},
    }


VERSIONED = {412: _problem("If-Match names an older version"), 428: _problem("If-Match is missing")}


def _grant(request: Request, collection: str) -> Grant:
    store = store_of(request)
    store.schema(collection)  # 404 before 401 tells nothing a reader could not see
    grant = credentials.grant_of(store, request)
    grant.require_somewhere(features(collection))  # a province grant is judged by the service, where the feature lies
    return grant


@router.post(
    "/collections/{collectionId}/items",
    status_code=201,
    summary="Add a feature",
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        201: {
            "description": "Created; Location names the new feature, the body is it as stored",
            "content": {GEOJSON: {"schema": FEATURE_SCHEMA}},
            "headers": {"Location": {"description": "The new feature's URL", "schema": {"type": "string"}}, **_ETAG},
            "links": _links("$response.body#/id"),
        },
        **BAD_REQUEST, **AUTH, **NOT_FOUND, 409: _problem("The id exists already"),
    },
)
async def create(request: Request, collectionId: str) -> Response:  # noqa: N803
    grant = await run_in_threadpool(_grant, request, collectionId)
    doc = await read_json(request)
    stored = await run_in_threadpool(service.create_feature, store_of(request), collectionId, doc, grant, content_crs=request.headers.get("content-crs"))
    location = f"{base_url(request)}/collections/{collectionId}/items/{quote(stored.feature.id, safe='')}"
    body = feature_json(stored.feature, geometries_json([stored.feature], api_crs(CRS84))[0])
    return json_response(body, GEOJSON, status_code=201, headers={"Location": location, "ETag": stored.etag})


@router.put(
    "/collections/{collectionId}/items/{featureId:feature_id}",
    status_code=204,
    summary="Replace a feature (If-Match required)",
    openapi_extra={"requestBody": REQUEST_BODY, "parameters": [IF_MATCH]},
    responses={
        204: {"description": "Replaced; ETag is the new version", "headers": _ETAG, "links": _links("$request.path.featureId")},
        **BAD_REQUEST, **AUTH, **NOT_FOUND, **VERSIONED,
    },
)
async def replace_feature(request: Request, collectionId: str, featureId: str) -> Response:  # noqa: N803
    grant = await run_in_threadpool(_grant, request, collectionId)
    doc = await read_json(request)
    stored = await run_in_threadpool(
        service.replace_feature, store_of(request), collectionId, featureId, doc, grant,
        if_match=request.headers.get("if-match"), content_crs=request.headers.get("content-crs"),
    )
    return Response(status_code=204, headers={"ETag": stored.etag})


@router.patch(
    "/collections/{collectionId}/items/{featureId:feature_id}",
    summary="Update part of a feature (JSON Merge Patch; If-Match required)",
    openapi_extra={"requestBody": PATCH_BODY, "parameters": [IF_MATCH]},
    responses={
        200: {"description": "Updated; the feature as it is now", "content": {GEOJSON: {"schema": FEATURE_SCHEMA}}, "headers": _ETAG, "links": _links("$request.path.featureId")},
        **BAD_REQUEST, **AUTH, **NOT_FOUND, **VERSIONED,
    },
)
async def update(request: Request, collectionId: str, featureId: str) -> Response:  # noqa: N803
    grant = await run_in_threadpool(_grant, request, collectionId)
    patch = await read_json(request)
    stored = await run_in_threadpool(
        service.update_feature, store_of(request), collectionId, featureId, patch, grant,
        if_match=request.headers.get("if-match"), content_crs=request.headers.get("content-crs"),
    )
    body = feature_json(stored.feature, geometries_json([stored.feature], api_crs(CRS84))[0])
    return json_response(body, GEOJSON, headers={"ETag": stored.etag})


@router.delete(
    "/collections/{collectionId}/items/{featureId:feature_id}",
    status_code=204,
    summary="Delete a feature (If-Match required)",
    openapi_extra={"parameters": [IF_MATCH]},
    responses={204: {"description": "Deleted"}, **AUTH, **NOT_FOUND, **VERSIONED},
)
def delete(request: Request, collectionId: str, featureId: str) -> Response:  # noqa: N803  (no body to read: a sync route, in a worker thread)
    grant = _grant(request, collectionId)
    service.delete_feature(store_of(request), collectionId, featureId, grant, if_match=request.headers.get("if-match"))
    return Response(status_code=204)
