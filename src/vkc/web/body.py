"""Request bodies over HTTP, for every API and form: read with a size limit and parsed (JSON, HTML forms); JSON answers serialised."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from vkc.errors import InputError, LengthRequired, PayloadTooLarge, UnsupportedMediaType

MAX_BODY = 16 * 1024 * 1024
#: the largest HTML form the platform's pages post (sign-in, sign-out)
MAX_FORM = 16 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
UPLOAD_TYPE = "multipart/form-data"
#: what an upload's fields and part headers may add to its file
_UPLOAD_OVERHEAD = 64 * 1024
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


async def read_upload(request: Request, limit: int) -> tuple[dict[str, str], UploadFile]:
    """A ``multipart/form-data`` body with one file (the part named ``file``) of at most ``limit`` bytes, and its text fields.

    The body must declare its length (411 otherwise; browsers and curl do), and is refused
    with 413 before it is read when that passes the limit; the file part is spooled to a
    temporary file, not held in memory.
    """
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != UPLOAD_TYPE:
        raise UnsupportedMediaType(f"the body is {media or 'of no type'!r}; send the file as {UPLOAD_TYPE} (curl -F file=@FILE)", field="Content-Type")
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise LengthRequired("an upload must say its size in Content-Length (chunked bodies are not accepted)")
    if int(declared) > limit + _UPLOAD_OVERHEAD:
        raise PayloadTooLarge(f"the body has {declared} bytes; a file of at most {limit // 2**20} MB is accepted")
    try:
        form = await request.form(max_files=1, max_fields=32, max_part_size=_UPLOAD_OVERHEAD)
    except HTTPException as exc:  # Starlette's word for a malformed multipart body
        raise InputError(f"the upload is not valid {UPLOAD_TYPE}: {exc.detail}", field="body") from None
    fields = {key: value for key, value in reversed(form.multi_items()) if isinstance(value, str)}  # a field sent twice: the first
    files = {key: value for key, value in form.multi_items() if not isinstance(value, str)}
    upload = files.pop("file", None)
    if files or upload is None or not upload.filename:
        await form.close()  # the spooled files
        problem = f"the form sends a file as {next(iter(files))!r}; send it as 'file'" if files else (
            "the form has no file: send it in the part named 'file', with its file name")
        raise InputError(problem, field="file")
    return fields, upload


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
