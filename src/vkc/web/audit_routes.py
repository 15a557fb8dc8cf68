"""``/api/audit``: the audit trail over HTTP, for holders of the scope ``audit:read`` (admins).

``GET /api/audit`` lists entries newest first, filtered as ``vkc audit list``
filters them, a page at a time (``before`` is the cursor the ``next`` link
carries); ``GET /api/audit/verify`` checks the chain as ``vkc audit verify``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vkc import auth
from vkc.store import Store, audit
from vkc.web import credentials
from vkc.web.body import PROBLEM_CONTENT, json_response

#: reading the trail (who changed what: not for everyone); admins hold it, a machine token may be given it
READ = auth.AUDIT_READ
PAGE_MAX = 1000

router = APIRouter(prefix="/api/audit", tags=["audit"])
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["seq", "at", "actor", "action", "target", "before", "after", "prev", "hash"],
    "properties": {
        "seq": {"type": "integer", "minimum": 1},
        "at": {"type": "string", "format": "date-time"},
        "actor": {"type": "string"},
        "action": {"type": "string"},
        "target": {"type": "string"},
        "before": {"description": "The thing before the change (null for a creation)"},
        "after": {"description": "The thing after the change (null for a deletion)"},
        "prev": _SHA256,
        "hash": _SHA256,
    },
}
LIST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["entries", "links"],
    "properties": {
        "entries": {"type": "array", "items": ENTRY_SCHEMA},
        "links": {"type": "array", "items": {"type": "object", "required": ["rel", "href"], "properties": {"rel": {"const": "next"}, "href": {"type": "string"}}}},
    },
}
VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["intact", "entries", "head", "broken_at", "reason"],
    "properties": {
        "intact": {"type": "boolean"},
        "entries": {"type": "integer", "minimum": 0},
        "head": _SHA256,
        "broken_at": {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "The first entry that does not chain"},
        "reason": {"type": "string"},
    },
}


def _answer(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A malformed filter", **PROBLEM_CONTENT},
    401: {"description": "No valid bearer token", **PROBLEM_CONTENT},
    403: {"description": "The token does not hold audit:read", **PROBLEM_CONTENT},
}


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    credentials.require(store, request, READ)
    return store


@router.get("", summary="Audit trail entries, newest first", responses={**ERRORS, 200: _answer(LIST_SCHEMA, "A page of entries")})
async def list_entries(
    request: Request,
    actor: Annotated[str | None, Query(max_length=200, description="Only this actor: user:NAME, token:ID, local:OS-USER")] = None,
    action: Annotated[str | None, Query(max_length=200, description="Only actions starting so (feature. for every feature change)")] = None,
    target: Annotated[str | None, Query(max_length=2000, description="Only targets starting so (features:parks)")] = None,
    since: Annotated[datetime | None, Query(description="From this time on (RFC 3339, with offset)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time (RFC 3339, with offset)")] = None,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Entries numbered below this (the next page's cursor)")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 100,
) -> Response:
    store = await run_in_threadpool(_store, request)
    selection = audit.Selection(actor, action, target, since, until, before_seq=before, limit=limit, newest_first=True)

    def read() -> list[dict[str, Any]]:
        with store.reading() as conn:
            return [e.json() for e in audit.entries(conn, selection)]

    found = await run_in_threadpool(read)
    links = []
    if len(found) == limit and found[-1]["seq"] > 1:
        query = {k: v for k, v in request.query_params.items() if k != "before"}
        links.append(
            {
                "rel": "next",
                "href": f"{request.url.remove_query_params(list(request.query_params))}?{urlencode({**query, 'before': found[-1]['seq']})}",
            }
        )
    return json_response({"entries": found, "links": links})


@router.get(
    "/verify",
    summary="Check the audit chain: intact, or the first broken entry",
    responses={**ERRORS, 200: _answer(VERDICT_SCHEMA, "The verdict on the chain")},
)
async def verify_chain(request: Request, head: Annotated[str | None, Query(pattern="^[0-9a-f]{64}$")] = None) -> Response:
    store = await run_in_threadpool(_store, request)

    def check() -> audit.Verdict:
        with store.reading() as conn:
            return audit.verify(conn, head=head)

    verdict = await run_in_threadpool(check)
    return json_response(
        {
            "intact": verdict.intact,
            "entries": verdict.entries,
            "head": verdict.head,
            "broken_at": verdict.broken_at,
            "reason": verdict.reason,
        }
    )
