"""Part 4: create, replace, update and delete features, with bearer tokens and no lost updates.

Replacing, updating and deleting must say which version they change
(``If-Match`` with the ETag of the feature as read): a stale ETag is 412, a
missing one 428. The check and the write happen in one store transaction
that holds the feature against other writers.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vkc import auth
from vkc.api.ogc.body import (
    PATCH_BODY,
    REQUEST_BODY,
    check_properties,
    check_schema,
    merge_patch,
    parse_feature,
    parse_geometry,
    parse_time,
    read_json,
)
from vkc.api.ogc.collections import NOT_FOUND
from vkc.api.ogc.common import GEOJSON, PROBLEM, base_url, json_response, store_of
from vkc.api.ogc.geojson import etag, feature_json, geometries_json, time_json
from vkc.api.ogc.items import BAD_REQUEST
from vkc.errors import ConflictError, FeatureNotFound, InputError, PreconditionFailed, PreconditionRequired
from vkc.ogc.crs import CRS84, api_crs
from vkc.permissions import Grant, features
from vkc.store.base import Transaction
from vkc.store.model import Feature

router = APIRouter()


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM: {}}}


AUTH = {401: _problem("No valid bearer token"), 403: _problem("The token may not write this collection"), 413: _problem("Body too large")}
VERSIONED = {412: _problem("If-Match names an older version"), 428: _problem("If-Match is missing")}


def _grant(request: Request, collection: str) -> Grant:
    store = store_of(request)
    store.schema(collection)  # 404 before 401 tells nothing a reader could not see
    return auth.require(store, request.headers.get("authorization"), features(collection))


def _write(tx: Transaction, collection: str, feature: Feature) -> Feature:
    """Write one feature whose properties fit the collection's schema; returns it as stored."""
    check_schema(tx.schema(collection), feature.properties)
    tx.upsert(collection, [feature])
    stored = tx.feature_for_update(collection, feature.id)
    assert stored is not None
    return stored


def _check_version(request: Request, current: Feature | None, collection: str, feature_id: str) -> Feature:
    if current is None:
        raise FeatureNotFound(f"no feature {feature_id!r} in collection {collection!r}", collection=collection, id=feature_id)
    wanted = request.headers.get("if-match")
    if not wanted:
        raise PreconditionRequired(f"send If-Match with the ETag of feature {feature_id!r} as you read it, so no update is lost")
    now = etag(current)
    if wanted.strip() != "*" and now not in [w.strip().removeprefix("W/") for w in wanted.split(",")]:
        raise PreconditionFailed(f"feature {feature_id!r} changed since you read it (now {now}); read it again and reapply your change")
    return current


@router.post(
    "/collections/{collectionId}/items",
    status_code=201,
    summary="Add a feature",
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={201: {"description": "Created; Location names the new feature"}, **BAD_REQUEST, **AUTH, **NOT_FOUND, 409: _problem("The id exists already")},
)
async def create(request: Request, collectionId: str) -> Response:  # noqa: N803
    _grant(request, collectionId)
    feature = parse_feature(await read_json(request), request, feature_id=None)
    if not feature.id:
        feature = replace(feature, id=str(uuid.uuid4()))
    store = store_of(request)
    with store.transaction() as tx:
        if tx.feature_for_update(collectionId, feature.id) is not None:
            raise ConflictError(f"feature {feature.id!r} exists already in {collectionId!r}; use PUT to replace it", collection=collectionId)
        stored = _write(tx, collectionId, feature)
    location = f"{base_url(request)}/collections/{collectionId}/items/{feature.id}"
    return Response(status_code=201, headers={"Location": location, "ETag": etag(stored)})


@router.put(
    "/collections/{collectionId}/items/{featureId}",
    status_code=204,
    summary="Replace a feature (If-Match required)",
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={204: {"description": "Replaced; ETag is the new version"}, **BAD_REQUEST, **AUTH, **NOT_FOUND, **VERSIONED},
)
async def replace_feature(request: Request, collectionId: str, featureId: str) -> Response:  # noqa: N803
    _grant(request, collectionId)
    feature = parse_feature(await read_json(request), request, feature_id=featureId)
    with store_of(request).transaction() as tx:
        _check_version(request, tx.feature_for_update(collectionId, featureId), collectionId, featureId)
        stored = _write(tx, collectionId, feature)
    return Response(status_code=204, headers={"ETag": etag(stored)})


@router.patch(
    "/collections/{collectionId}/items/{featureId}",
    summary="Update part of a feature (JSON Merge Patch; If-Match required)",
    openapi_extra={"requestBody": PATCH_BODY},
    responses={200: {"description": "Updated; the feature as it is now", "content": {"application/geo+json": {}}}, **BAD_REQUEST, **AUTH, **NOT_FOUND, **VERSIONED},
)
async def update(request: Request, collectionId: str, featureId: str) -> Response:  # noqa: N803
    _grant(request, collectionId)
    patch = await read_json(request)
    if not isinstance(patch, dict):
        raise InputError("a merge patch must be a JSON object", field="body")
    with store_of(request).transaction() as tx:
        current = _check_version(request, tx.feature_for_update(collectionId, featureId), collectionId, featureId)
        properties = merge_patch(current.properties, patch.get("properties", {}))
        geometry = parse_geometry(patch["geometry"], request.headers.get("content-crs")) if "geometry" in patch else current.geometry
        time, time_end = parse_time(merge_patch(time_json(current) or {}, patch["time"])) if "time" in patch else (current.time, current.time_end)
        updated = Feature(id=featureId, geometry=geometry, properties=check_properties(properties), time=time, time_end=time_end)
        stored = _write(tx, collectionId, updated)
    body = feature_json(stored, geometries_json([stored], api_crs(CRS84))[0])
    return json_response(body, GEOJSON, headers={"ETag": etag(stored)})


@router.delete(
    "/collections/{collectionId}/items/{featureId}",
    status_code=204,
    summary="Delete a feature (If-Match required)",
    responses={204: {"description": "Deleted"}, **AUTH, **NOT_FOUND, **VERSIONED},
)
def delete(request: Request, collectionId: str, featureId: str) -> Response:  # noqa: N803
    _grant(request, collectionId)
    with store_of(request).transaction() as tx:
        _check_version(request, tx.feature_for_update(collectionId, featureId), collectionId, featureId)
        tx.delete(collectionId, [featureId])
    return Response(status_code=204)
