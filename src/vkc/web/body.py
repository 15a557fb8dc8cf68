"""Request bodies over HTTP, for every API and form: read with a size limit and parsed (JSON, HTML forms); JSON answers serialised."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import Request
from fastapi.responses import Response

from vkc.errors import InputError, PayloadTooLarge, UnsupportedMediaType

MAX_BODY = 16 * 1024 * 1024
#: the largest HTML form the platform's pages post (sign-in, sign-out)
MAX_FORM = 16 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
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
    raw = await _read(request, MAX_BODY)
    if not raw:
        raise InputError("the request has no body; send a JSON document", field="body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the body is not JSON: {exc}", field="body") from None


async def read_form(request: Request) -> dict[str, str]:
    """An HTML form's fields (``application/x-www-form-urlencoded``, UTF-8); 415 for another type, 413 past ``MAX_FORM``.

    A field sent twice keeps its first value.
    """
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != FORM_TYPE:
        raise UnsupportedMediaType(f"the body is {media or 'of no type'!r}; send the form as {FORM_TYPE}", field="Content-Type")
    raw = await _read(request, MAX_FORM)
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw), max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        raise InputError("the form is not valid URL-encoded UTF-8", field="body") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


async def _read(request: Request, limit: int) -> bytes:
    """The whole body, refused with 413 once it passes ``limit`` bytes (declared or read)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body has {declared} bytes; at most {limit} are accepted")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
