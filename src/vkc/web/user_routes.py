"""``/api/users``: users, their grants and tokens over HTTP, as ``vkc user`` and ``vkc token --user`` manage them.

Admins (the scope ``users:manage``) manage everyone; a user reads their own
record, changes their own password (giving the current one), makes, lists
and revokes their own tokens, and lists and ends their own browser sessions. Every change is an audit entry in the
name of whoever made it (:mod:`vkc.auth.users` records it). Password hashes
and tokens never appear in an answer, but for the one answer that makes a
token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vkc import auth
from vkc.auth import second_factor, sessions, users
from vkc.errors import InputError
from vkc.permissions import Grant
from vkc.store import Store
from vkc.web import credentials
from vkc.web.body import PROBLEM_CONTENT, json_response, read_json

router = APIRouter(prefix="/api/users", tags=["users"])
UserName = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._@-]+$", description="The user's name")]
TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{8}$", description="The token's id (the 8 hex digits after vkc_)")]
SessionId = Annotated[str, Path(pattern=r"^[0-9a-f]{8}$", description="The session's id (as the list of sessions gives it; never its cookie)")]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A malformed body or value", **PROBLEM_CONTENT},
    401: {"description": "No valid bearer token", **PROBLEM_CONTENT},
    403: {"description": "The token may not manage users (users:manage), nor is it this user's", **PROBLEM_CONTENT},
    404: {"description": "No such user, grant or token", **PROBLEM_CONTENT},
}
T = TypeVar("T")


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """An operation's JSON request body, as the OpenAPI document shows it."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _json_answer(schema: dict[str, Any], description: str, **more: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **more}


_TIME = {"type": "string", "format": "date-time"}
_OPTIONAL_TIME = {"anyOf": [_TIME, {"type": "null"}]}
USER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "display_name", "disabled", "grants", "created", "has_password"],
    "properties": {
        "name": {"type": "string"},
        "display_name": {"type": "string"},
        "disabled": {**_OPTIONAL_TIME, "description": "When the user was disabled; null while enabled"},
        "grants": {
            "type": "array",
            "items": {"type": "object", "required": ["role", "target"], "properties": {"role": {"enum": list(users.ROLES)}, "target": {"type": "string"}}},
        },
        "created": _TIME,
        "has_password": {"type": "boolean"},
        "second_factor": {"enum": [None, "pending", "confirmed"], "description": "Whether one-time codes are enrolled (pending until a code confirms them)"},
    },
}
TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A token's record; never the token",
    "required": ["id", "role", "user", "name", "created", "expires", "revoked"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{8}$"},
        "role": {"const": "user"},
        "user": {"type": "string"},
        "name": {"type": "string"},
        "created": _TIME,
        "expires": _OPTIONAL_TIME,
        "revoked": _OPTIONAL_TIME,
    },
}
SESSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A browser session that has not ended; never its cookie or its CSRF token",
    "required": ["id", "user", "via", "address", "created", "seen", "expires"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{8}$"},
        "user": {"type": "string"},
        "via": {"type": "string", "description": "password, or oidc:<issuer>"},
        "address": {"type": "string", "description": "The address it was opened from (empty if not known)"},
        "created": _TIME,
        "seen": _TIME,
        "expires": _TIME,
    },
}
_NAME_SCHEMA = {"type": "string", "minLength": 2, "maxLength": 64, "pattern": r"^[a-z0-9][a-z0-9._@-]+$"}
_USER_PATH = "/api/users/{name}"


def _link(path: str, method: str, description: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to the operation ``method path`` of this router, its parameters runtime expressions."""
    return {"operationRef": f"#/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}", "description": description, "parameters": parameters}


async def _authenticated(request: Request) -> Grant:
    """The grant of the request's token (401 without a valid one), before anything else is read."""
    return await run_in_threadpool(credentials.grant_of, request.app.state.store, request)


async def _run(request: Request, grant: Grant, work: Callable[[Store, Grant], T]) -> T:
    """``work(store, grant)`` in a worker thread."""
    return await run_in_threadpool(work, request.app.state.store, grant)


def _self_or_manager(grant: Grant, name: str) -> None:
    if grant.user != name:
        grant.require(users.MANAGE)


def _object(body: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InputError("expected a JSON object", field="body")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InputError(f"unknown {', '.join(unknown)}; known: {', '.join(sorted(allowed))}", field=unknown[0])
    return body


def _text(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InputError(f"{key}: expected text", field=key)
    return value


@router.get(
    "",
    summary="Every user (admins)",
    responses={**ERRORS, 200: _json_answer({"type": "object", "required": ["users"], "properties": {"users": {"type": "array", "items": USER_SCHEMA}}}, "Every user")},
)
async def list_users(request: Request) -> Response:
    def work(store: Store, grant: Grant) -> list[dict[str, Any]]:
        grant.require(users.MANAGE)
        return users.list_users(store)

    return json_response({"users": await _run(request, await _authenticated(request), work)})


@router.post(
    "",
    summary="Add a user (admins)",
    status_code=201,
    openapi_extra=_json_body(
        {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": _NAME_SCHEMA,
                "display_name": {"type": "string"},
                "password": {"type": "string", "minLength": users.MIN_PASSWORD, "maxLength": users.MAX_PASSWORD},
            },
        }
    ),
    responses={
        **ERRORS,
        201: _json_answer(
            USER_SCHEMA,
            "Added; Location names the user",
            headers={"Location": {"description": "The new user's URL", "schema": {"type": "string"}}},
            links={
                "GetUser": _link(_USER_PATH, "get", "The user added", name="$response.body#/name"),
                "ChangeUser": _link(_USER_PATH, "patch", "Disable or enable the user added", name="$response.body#/name"),
                "GrantUser": _link(f"{_USER_PATH}/grants", "post", "Grant the user added a role", name="$response.body#/name"),
                "MakeToken": _link(f"{_USER_PATH}/tokens", "post", "Make a token for the user added", name="$response.body#/name"),
            },
        ),
        409: {"description": "The name is taken", **PROBLEM_CONTENT},
    },
)
async def add_user(request: Request) -> Response:
    grant = await _authenticated(request)
    body = _object(await read_json(request), {"name", "display_name", "password"})

    def work(store: Store, grant: Grant) -> dict[str, Any]:
        name = _text(body, "name", required=True) or ""
        display = _text(body, "display_name") or ""
        return users.add_user(store, name, password=_text(body, "password"), display_name=display, by=grant)

    created = await _run(request, grant, work)
    return json_response(created, 201, {"Location": f"{request.url}/{created['name']}"})


@router.get("/{name}", summary="One user (admins, or the user)", responses={**ERRORS, 200: _json_answer(USER_SCHEMA, "The user")})
async def get_user(request: Request, name: UserName) -> Response:
    def work(store: Store, grant: Grant) -> dict[str, Any]:
        _self_or_manager(grant, name)
        return users.public(users.get_user(store, name))

    return json_response(await _run(request, await _authenticated(request), work))


@router.patch(
    "/{name}",
    summary="Disable or enable a user (admins)",
    openapi_extra=_json_body({"type": "object", "required": ["disabled"], "additionalProperties": False, "properties": {"disabled": {"type": "boolean"}}}),
    responses={**ERRORS, 200: _json_answer(USER_SCHEMA, "The user as changed")},
)
async def change_user(request: Request, name: UserName) -> Response:
    grant = await _authenticated(request)
    body = _object(await read_json(request), {"disabled"})
    if not isinstance(body.get("disabled"), bool):
        raise InputError("disabled: expected true or false", field="disabled")

    def work(store: Store, grant: Grant) -> dict[str, Any]:
        return users.set_disabled(store, name, body["disabled"], by=grant)

    return json_response(await _run(request, grant, work))


@router.put(
    "/{name}/password",
    summary="Set a password (admins; a user for themselves, with the current one)",
    status_code=204,
    openapi_extra=_json_body(
        {
            "type": "object",
            "required": ["password"],
            "additionalProperties": False,
            "properties": {
                "password": {"type": "string", "minLength": users.MIN_PASSWORD, "maxLength": users.MAX_PASSWORD},
                "current": {"type": "string", "description": "The current password (a user changing their own)"},
            },
        }
    ),
    responses=ERRORS,
)
async def set_password(request: Request, name: UserName) -> Response:
    grant = await _authenticated(request)
    body = _object(await read_json(request), {"password", "current"})

    def work(store: Store, grant: Grant) -> None:
        password = _text(body, "password", required=True) or ""
        if grant.user == name and not grant.allows(users.MANAGE):
            if users.check_credentials(store, name, _text(body, "current") or "") is None:
                raise InputError("current: that is not your current password", field="current")
        users.set_password(store, name, password, by=grant)

    await _run(request, grant, work)
    return Response(status_code=204)


@router.post(
    "/{name}/grants",
    summary="Grant a role on a target (admins)",
    openapi_extra=_json_body(
        {
            "type": "object",
            "required": ["role"],
            "additionalProperties": False,
            "properties": {
                "role": {"enum": list(users.ROLES)},
                "target": {"type": "string", "description": "collection:NAME, component:NAME, province:CODE@DATE, or * (the default)"},
            },
        }
    ),
    responses={**ERRORS, 200: _json_answer(USER_SCHEMA, "The user with the grant")},
)
async def add_grant(request: Request, name: UserName) -> Response:
    grant = await _authenticated(request)
    body = _object(await read_json(request), {"role", "target"})

    def work(store: Store, grant: Grant) -> dict[str, Any]:
        role, target = _text(body, "role", required=True) or "", _text(body, "target") or "*"
        return users.grant(store, name, role, target, components=auth.component_scopes(store), by=grant)

    return json_response(await _run(request, grant, work))


@router.delete("/{name}/grants", summary="Revoke a grant (admins)", responses={**ERRORS, 200: _json_answer(USER_SCHEMA, "The user without the grant")})
async def revoke_grant(
    request: Request,
    name: UserName,
    role: Annotated[str | None, Query(max_length=32, description="The role granted (required)")] = None,
    target: Annotated[str, Query(max_length=200, description="collection:NAME, component:NAME, province:CODE@DATE, or *")] = "*",
) -> Response:
    def work(store: Store, grant: Grant) -> dict[str, Any]:
        grant.require(users.MANAGE)
        users.get_user(store, name)
        if not role:
            raise InputError("role: name the role of the grant to revoke", field="role")
        return users.revoke(store, name, role, target, by=grant)

    return json_response(await _run(request, await _authenticated(request), work))


@router.get(
    "/{name}/tokens",
    summary="The user's tokens, never the tokens themselves (admins, or the user)",
    responses={**ERRORS, 200: _json_answer({"type": "object", "required": ["tokens"], "properties": {"tokens": {"type": "array", "items": TOKEN_SCHEMA}}}, "The user's tokens")},
)
async def list_tokens(request: Request, name: UserName) -> Response:
    def work(store: Store, grant: Grant) -> list[dict[str, Any]]:
        _self_or_manager(grant, name)
        users.get_user(store, name)
        return auth.user_tokens(store, name)

    return json_response({"tokens": await _run(request, await _authenticated(request), work)})


@router.post(
    "/{name}/tokens",
    summary="Make a token for the user, shown in this answer only (admins, or the user)",
    status_code=201,
    openapi_extra=_json_body(
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "description": "What the token is for"},
                "expires_days": {"type": "integer", "minimum": 1, "maximum": 366, "default": auth.USER_TOKEN_DAYS},
            },
        }
    ),
    responses={
        **ERRORS,
        201: _json_answer(
            {
                "type": "object",
                "required": ["id", "token", "user", "expires"],
                "properties": {"id": {"type": "string", "pattern": "^[0-9a-f]{8}$"}, "token": {"type": "string"}, "user": {"type": "string"}, "expires": _TIME},
            },
            "The token, shown this once",
            links={
                "RevokeToken": _link(f"{_USER_PATH}/tokens/{{token_id}}", "delete", "Revoke the token made", name="$request.path.name", token_id="$response.body#/id")
            },
        ),
    },
)
async def create_token(request: Request, name: UserName) -> Response:
    grant = await _authenticated(request)
    body = _object(await read_json(request), {"name", "expires_days"})
    days = body.get("expires_days", auth.USER_TOKEN_DAYS)
    if isinstance(days, float) and days.is_integer():
        days = int(days)  # an integer as JSON Schema (and the document) has it: 30.0 is one
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
        raise InputError("expires_days: a whole number of days, 1 to 366", field="expires_days")
    expires = datetime.now(UTC) + timedelta(days=days)

    def work(store: Store, grant: Grant) -> dict[str, Any]:
        token_id, token = auth.create_user_token(store, name, expires=expires, name=_text(body, "name") or "", by=grant)
        return {"id": token_id, "token": token, "user": name, "expires": expires.isoformat()}

    return json_response(await _run(request, grant, work), 201)


@router.delete(
    "/{name}/tokens/{token_id}",
    summary="Revoke one of the user's tokens (admins, or the user)",
    responses={**ERRORS, 200: _json_answer(TOKEN_SCHEMA, "The token's record, revoked")},
)
async def revoke_token(request: Request, name: UserName, token_id: TokenId) -> Response:
    def work(store: Store, grant: Grant) -> dict[str, Any]:
        _self_or_manager(grant, name)
        return auth.revoke_token(store, token_id, user=name, by=grant)

    return json_response(await _run(request, await _authenticated(request), work))


@router.get(
    "/{name}/sessions",
    summary="The user's browser sessions that have not ended, the newest first (admins, or the user)",
    responses={**ERRORS, 200: _json_answer({"type": "object", "required": ["sessions"], "properties": {"sessions": {"type": "array", "items": SESSION_SCHEMA}}}, "The sessions")},
)
async def list_sessions(request: Request, name: UserName) -> Response:
    def work(store: Store, grant: Grant) -> list[dict[str, Any]]:
        _self_or_manager(grant, name)
        users.get_user(store, name)
        return sessions.user_sessions(store, name)

    return json_response({"sessions": await _run(request, await _authenticated(request), work)}, headers={"Cache-Control": "no-store"})


@router.delete(
    "/{name}/sessions/{session_id}",
    status_code=204,
    summary="End one of the user's browser sessions: that browser is signed out at its next request (admins, or the user)",
    responses={**ERRORS, 204: {"description": "Ended"}},
)
async def end_session(request: Request, name: UserName, session_id: SessionId) -> Response:
    def work(store: Store, grant: Grant) -> None:
        _self_or_manager(grant, name)
        users.get_user(store, name)
        sessions.end_user_sessions(store, name, [session_id], by=grant)

    await _run(request, await _authenticated(request), work)
    return Response(status_code=204)


@router.post(
    "/{name}/mfa",
    summary="Enrol an authenticator app: a new one-time-code secret and its otpauth URI, shown in this answer only (admins, or the user)",
    status_code=201,
    openapi_extra=_json_body({"type": "object", "additionalProperties": False, "properties": {}}),
    responses={
        **ERRORS,
        201: _json_answer(
            {"type": "object", "required": ["secret", "uri"], "properties": {"secret": {"type": "string"}, "uri": {"type": "string", "pattern": "^otpauth://totp/"}}},
            "The secret (base32) and its otpauth URI for the app's QR scanner, shown this once",
        ),
        409: {"description": "A confirmed second factor exists: an admin removes it first", **PROBLEM_CONTENT},
    },
)
async def enrol_second_factor(request: Request, name: UserName) -> Response:
    grant = await _authenticated(request)
    _object(await read_json(request), set())  # {}: nothing to say yet, as for a token

    def work(store: Store, grant: Grant) -> dict[str, str]:
        return second_factor.enrol(store, name, by=grant)

    return json_response(await _run(request, grant, work), 201, {"Cache-Control": "no-store"})


@router.post(
    "/{name}/mfa/confirm",
    summary="Confirm the enrolment with a code from the app (admins, or the user)",
    openapi_extra=_json_body(
        {"type": "object", "required": ["code"], "additionalProperties": False, "properties": {"code": {"type": "string", "description": "The app's current 6-digit code"}}}
    ),
    responses={**ERRORS, 200: _json_answer(USER_SCHEMA, "The user, its second factor confirmed")},
)
async def confirm_second_factor(request: Request, name: UserName) -> Response:
    grant = await _authenticated(request)
    body = _object(await read_json(request), {"code"})

    def work(store: Store, grant: Grant) -> dict[str, Any]:
        return second_factor.confirm(store, name, _text(body, "code", required=True) or "", by=grant)

    return json_response(await _run(request, grant, work))


@router.delete(
    "/{name}/mfa", summary="Remove the user's second factor, for a lost phone (admins)", responses={**ERRORS, 200: _json_answer(USER_SCHEMA, "The user without it")}
)
async def remove_second_factor(request: Request, name: UserName) -> Response:
    def work(store: Store, grant: Grant) -> dict[str, Any]:
        return second_factor.remove(store, name, by=grant)

    return json_response(await _run(request, await _authenticated(request), work))
