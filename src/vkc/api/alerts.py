"""Alert subscriptions over HTTP: ``/api/alerts/subscriptions``. Every route needs a bearer token (URLs may be private)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vkc.alerts import subscriptions
from vkc.alerts.scopes import MANAGE
from vkc.api.ogc.common import PROBLEM, json_response, store_of
from vkc.errors import InputError
from vkc.parsing.numbers import INT64_MAX
from vkc.permissions import Grant
from vkc.sensors.db import SensorDb
from vkc.web import credentials
from vkc.web.body import read_json

router = APIRouter(prefix="/api/alerts", tags=["Air quality alerts"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM: {}}}
    for code, text in ((400, "A malformed subscription"), (401, "No valid bearer token"), (403, "The token may not manage alerts"), (404, "No such subscription"))
}


_TIME = {"type": "string", "format": "date-time"}
CONDITION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["above"],
    "additionalProperties": False,
    "properties": {
        "index": {"enum": list(subscriptions.INDICES), "default": "vn"},
        "above": {"type": "number", "minimum": 0, "maximum": 500},
        "province": {"type": "string", "description": "A GSO code of today's units, such as 01"},
        "stations": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
    },
}
SUBSCRIPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "url", "condition", "description", "created", "active"],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "condition": CONDITION_SCHEMA,
        "description": {"type": "string"},
        "created": _TIME,
        "active": {"type": "boolean"},
        "made_by": {"type": "string", "description": "Who made it, as the audit trail names them (user:NAME, token:ID, local:OS-USER); empty if made before this was kept"},
    },
}
SUBSCRIBE_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["url", "condition"],
                "additionalProperties": False,
                "properties": {
                    "url": {"type": "string", "format": "uri", "pattern": "^https?://", "description": "The webhook: public addresses only"},
                    "condition": CONDITION_SCHEMA,
                    "description": {"type": "string"},
                },
            }
        }
    },
}
_ONE = "#/paths/~1api~1alerts~1subscriptions~1{subscription_id}"


def _answer(schema: dict[str, Any], description: str, **more: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **more}


SubscriptionId = Annotated[int, Path(ge=1, le=INT64_MAX, description="The subscription's id")]


def _db(request: Request) -> SensorDb:
    """The sensor tables, if the token may manage alerts (a store read: for a worker thread)."""
    return _authorised(request)[0]


def _authorised(request: Request) -> tuple[SensorDb, Grant]:
    """The sensor tables and the grant of a token that may manage alerts (a store read: for a worker thread)."""
    grant = credentials.require(store_of(request), request, MANAGE)
    return SensorDb(store_of(request)), grant


@router.post(
    "/subscriptions",
    summary="Subscribe a webhook to crossings of an air quality index threshold",
    description=subscriptions.__doc__,
    status_code=201,
    openapi_extra={"requestBody": SUBSCRIBE_BODY},
    responses={
        **ERRORS,
        201: _answer(
            {**SUBSCRIPTION_SCHEMA, "required": [*SUBSCRIPTION_SCHEMA["required"], "secret"], "properties": {**SUBSCRIPTION_SCHEMA["properties"], "secret": {"type": "string"}}},
            "Subscribed; the secret is shown this once, Location names the subscription",
            headers={"Location": {"description": "The subscription's URL", "schema": {"type": "string"}}},
            links={
                "GetSubscription": {"operationRef": f"{_ONE}/get", "parameters": {"subscription_id": "$response.body#/id"}},
                "CancelSubscription": {"operationRef": f"{_ONE}/delete", "parameters": {"subscription_id": "$response.body#/id"}},
                "SubscriptionEvents": {"operationRef": f"{_ONE}~1events/get", "parameters": {"subscription_id": "$response.body#/id"}},
            },
        ),
    },
)
async def subscribe(request: Request) -> Response:
    db, grant = await run_in_threadpool(_authorised, request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise InputError("expected a JSON object with url and condition", field="body")
    unknown = sorted(set(body) - {"url", "condition", "description"})
    if unknown:
        raise InputError(f"unknown {', '.join(unknown)}; a subscription has url, condition and description", field="body")
    created = await run_in_threadpool(
        partial(subscriptions.create, db, body.get("url"), body.get("condition"), body.get("description", ""), by=grant)
    )
    return json_response(created, status_code=201, headers={"Location": f"{request.url}/{created['id']}"})


@router.get(
    "/subscriptions",
    summary="Every subscription (secrets are never shown again)",
    responses={**ERRORS, 200: _answer({"type": "object", "required": ["subscriptions"], "properties": {"subscriptions": {"type": "array", "items": SUBSCRIPTION_SCHEMA}}}, "Every subscription")},
)
def list_subscriptions(request: Request) -> Response:
    return json_response({"subscriptions": subscriptions.listing(_db(request))})


@router.get("/subscriptions/{subscription_id}", summary="One subscription", responses={**ERRORS, 200: _answer(SUBSCRIPTION_SCHEMA, "The subscription")})
def get_subscription(subscription_id: SubscriptionId, request: Request) -> Response:
    return json_response(subscriptions.get(_db(request), subscription_id))


@router.delete(
    "/subscriptions/{subscription_id}",
    summary="Stop a subscription (its record and events stay)",
    responses={**ERRORS, 200: _answer(SUBSCRIPTION_SCHEMA, "The subscription, stopped")},
)
def cancel_subscription(subscription_id: SubscriptionId, request: Request) -> Response:
    db, grant = _authorised(request)
    return json_response(subscriptions.cancel(db, subscription_id, by=grant))


@router.get("/subscriptions/{subscription_id}/events", summary="A subscription's events, newest first, with their delivery state", responses=ERRORS)
def subscription_events(subscription_id: SubscriptionId, request: Request, limit: int = Query(100, ge=1, le=10_000)) -> Response:
    return json_response({"events": subscriptions.deliveries(_db(request), subscription_id, limit=limit)})
