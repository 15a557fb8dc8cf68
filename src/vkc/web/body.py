"""JSON bodies over HTTP, for every API: requests read with a size limit and parsed, answers serialised."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from vkc.errors import InputError, PayloadTooLarge, UnsupportedMediaType

MAX_BODY = 16 * 1024 * 1024
#: how a route's OpenAPI ``responses`` declare an error answer
PROBLEM_CONTENT: dict[str, Any] = {"content": {"application/problem+json": {}}}


def json_response(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``body`` as JSON (orjson: UTF-8, times as RFC 3339)."""
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json", headers=headers)


def is_json_type(content_type: str) -> bool:
    """Whether a Content-Type is JSON: ``application/json`` or any ``…/…+json`` (GeoJSON, merge patch, JSON Patch)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_json(request: Request) -> Any:
    """The body as JSON; 415 for a Content-Type that is not JSON (none is taken as JSON), 413 past ``MAX_BODY`` (checked while reading)."""
    content_type = request.headers.get("content-type")
    if content_type is not None and not is_json_type(content_type):
        raise UnsupportedMediaType(
            f"the body is {content_type.split(';', 1)[0].strip()!r}; send JSON (application/json, application/geo+json …)", field="Content-Type"
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"the body has {declared} bytes; at most {MAX_BODY} are accepted")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(f"the body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise InputError("the request has no body; send a JSON document", field="body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the body is not JSON: {exc}", field="body") from None
