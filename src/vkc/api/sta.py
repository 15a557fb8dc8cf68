"""OGC SensorThings API 1.1 at ``/sta/v1.1``: a thin HTTP layer over :class:`vkc.sta.service.SensorThings`.

Reads are open; creating, changing and deleting need a bearer token (an
editor token not limited to one collection, or an admin token).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from vkc.api.ogc.common import JSON, PROBLEM, json_response, store_of
from vkc.permissions import Grant
from vkc.sensors.scopes import SENSORTHINGS
from vkc.sta.service import VERSION, SensorThings
from vkc.web import credentials
from vkc.web.body import read_json

PREFIX = f"/sta/{VERSION}"
router = APIRouter(prefix=PREFIX, tags=["SensorThings API 1.1"])


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {}}}


READ_ERRORS: dict[int | str, dict[str, Any]] = {400: _problem("A malformed path or query option"), 404: _problem("No such entity set, entity or property")}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    401: _problem("No valid bearer token"),
    403: _problem("The token may not write sensor data"),
    409: _problem("The change conflicts with another observation's key"),
    413: _problem("Body too large"),
}


_ENTITY = "#/paths/~1sta~1v1.1~1{path}"
#: an entity created: its path is the path posted to (an entity set, or a navigation such as Things(1)/Locations) and its id
_CREATED = "{$request.path.path}({$response.body#/@iot.id})"
ENTITY_SCHEMA: dict[str, Any] = {"type": "object", "description": "An entity (OGC 18-088), with @iot.id and @iot.selfLink"}
ENTITY_BODY: dict[str, Any] = {"required": True, "content": {JSON: {"schema": {"type": "object", "description": "An entity, related entities inline or by @iot.id"}}}}
PATCH_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        JSON: {"schema": {"type": "object", "description": "The properties to change (JSON merge)"}},
        "application/json-patch+json": {"schema": {"type": "array", "items": {"type": "object", "required": ["op", "path"]}}},
    },
}
DATA_ARRAY_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        JSON: {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["Datastream", "components", "dataArray"],
                    "properties": {
                        "Datastream": {"type": "object", "required": ["@iot.id"], "properties": {"@iot.id": {"type": "integer"}}},
                        "components": {"type": "array", "items": {"type": "string"}},
                        "dataArray": {"type": "array", "items": {"type": "array"}},
                    },
                },
            }
        }
    },
}


def _service(request: Request) -> SensorThings:
    return SensorThings(store_of(request), str(request.base_url).rstrip("/") + PREFIX)


def _authorise(request: Request) -> Grant:
    """The grant of a token that may write SensorThings, else raise (a store read: for a worker thread)."""
    return credentials.require(store_of(request), request, SENSORTHINGS)


@router.get("", summary="Service root: the entity sets and the conformance classes")
def service_root(request: Request) -> Response:
    return json_response(_service(request).root())


@router.post(
    "/CreateObservations",
    summary="Create many observations at once (dataArray, OGC 18-088 §14)",
    status_code=201,
    openapi_extra={"requestBody": DATA_ARRAY_BODY},
    responses={
        **WRITE_ERRORS,
        201: {
            "description": "The selfLink of each observation created (all in one transaction)",
            "content": {JSON: {"schema": {"type": "array", "items": {"type": "string"}}}},
        },
    },
)
async def create_observations(request: Request) -> Response:
    grant = await run_in_threadpool(_authorise, request)
    body = await read_json(request)
    links = await run_in_threadpool(partial(_service(request).create_observations, body, by=grant))
    return json_response(links, status_code=201)


@router.get(
    "/{path:path}",
    summary="Read entities, a navigation path, a property, $value or $ref",
    responses={
        **READ_ERRORS,
        200: {
            "description": "The entities, the entity, the property; a property's $value as text",
            "content": {JSON: {"schema": {"type": "object"}}, "text/plain": {"schema": {"type": "string"}}},
        },
    },
)
def read(path: str, request: Request) -> Response:
    result = _service(request).get(path, dict(request.query_params))
    if isinstance(result, str):
        return PlainTextResponse(result)
    return json_response(result, JSON)


@router.post(
    "/{path:path}",
    summary="Create an entity (deep insert allowed)",
    status_code=201,
    openapi_extra={"requestBody": ENTITY_BODY},
    responses={
        **WRITE_ERRORS,
        201: {
            "description": "Created; Location is the entity's selfLink",
            "content": {JSON: {"schema": ENTITY_SCHEMA}},
            "headers": {"Location": {"description": "The entity's selfLink", "schema": {"type": "string"}}},
            "links": {
                "GetEntity": {"operationRef": f"{_ENTITY}/get", "parameters": {"path": _CREATED}},
                "UpdateEntity": {"operationRef": f"{_ENTITY}/patch", "parameters": {"path": _CREATED}},
                "ReplaceEntity": {"operationRef": f"{_ENTITY}/put", "parameters": {"path": _CREATED}},
                "DeleteEntity": {"operationRef": f"{_ENTITY}/delete", "parameters": {"path": _CREATED}},
            },
        },
    },
)
async def create(path: str, request: Request) -> Response:
    grant = await run_in_threadpool(_authorise, request)
    body = await read_json(request)
    entity, location = await run_in_threadpool(partial(_service(request).create, path, body, by=grant))
    return json_response(entity, status_code=201, headers={"Location": location})


async def _update(path: str, request: Request, *, replace: bool) -> Response:
    grant = await run_in_threadpool(_authorise, request)
    body: Any = await read_json(request)
    json_patch = request.headers.get("content-type", "").split(";")[0].strip() == "application/json-patch+json"
    entity = await run_in_threadpool(partial(_service(request).update, path, body, replace=replace, json_patch=json_patch, by=grant))
    return json_response(entity)


@router.patch(
    "/{path:path}",
    summary="Change some properties of an entity (JSON merge, or JSON Patch with application/json-patch+json)",
    openapi_extra={"requestBody": PATCH_BODY},
    responses={**WRITE_ERRORS, 200: {"description": "The entity as changed", "content": {JSON: {"schema": ENTITY_SCHEMA}}}},
)
async def patch(path: str, request: Request) -> Response:
    return await _update(path, request, replace=False)


@router.put(
    "/{path:path}",
    summary="Replace an entity's properties",
    openapi_extra={"requestBody": ENTITY_BODY},
    responses={**WRITE_ERRORS, 200: {"description": "The entity as replaced", "content": {JSON: {"schema": ENTITY_SCHEMA}}}},
)
async def put(path: str, request: Request) -> Response:
    return await _update(path, request, replace=True)


@router.delete(
    "/{path:path}",
    summary="Delete an entity (and what cannot exist without it)",
    status_code=200,
    response_class=Response,
    responses={**WRITE_ERRORS, 200: {"description": "Deleted; no body"}},
)
async def delete(path: str, request: Request) -> Response:
    grant = await run_in_threadpool(_authorise, request)
    await run_in_threadpool(partial(_service(request).delete, path, by=grant))
    return Response(status_code=200)
