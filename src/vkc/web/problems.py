"""The one place errors become RFC 9457 problem+json."""

from __future__ import annotations

import logging
import sqlite3

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from vkc.errors import InputError, VKCError
from vkc.store.statement_limits import database_error

LOGGER = logging.getLogger(__name__)


def problem(exc: VKCError, instance: str | None = None) -> JSONResponse:
    """The platform's one error body: RFC 9457 problem details; an error naming a ``field`` has it in ``invalid-params`` too."""
    body: dict[str, object] = {
        "type": f"https://vkc.example/problems/{exc.code}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.message if exc.status < 500 or exc.exposed else "the server could not complete the request",
    }
    if instance:
        body["instance"] = instance
    field = exc.detail.get("field")
    if field is not None and exc.status < 500:
        body["field"] = str(field)
        body["invalid-params"] = [{"name": str(field), "reason": exc.message}]
    response = JSONResponse(body, status_code=exc.status, media_type="application/problem+json")
    retry_after = exc.detail.get("retry_after")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Map the platform's errors, FastAPI's request validation and Starlette's HTTP errors to problem+json."""

    @app.exception_handler(VKCError)
    async def _vkc_error(request: Request, exc: VKCError) -> JSONResponse:
        if exc.status >= 500:
            (LOGGER.warning if exc.exposed else LOGGER.error)("%s: %s", request.url.path, exc)
        return problem(exc, request.url.path)

    @app.exception_handler(sqlite3.Error)
    @app.exception_handler(psycopg.Error)
    async def _database_error(request: Request, exc: sqlite3.Error | psycopg.Error) -> JSONResponse:
        """A driver's error that reached the app unwrapped (reads on the driver's own connection): a statement past its limit is 503."""
        return await _vkc_error(request, database_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = first.get("loc", ("request",))[-1]
        return problem(InputError(f"{where}: {first.get('msg', 'invalid value')} (got {first.get('input')!r})", field=str(where)), request.url.path)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        error = VKCError(str(exc.detail))
        error.status, error.code, error.title = exc.status_code, f"http-{exc.status_code}", str(exc.detail)
        response = problem(error, request.url.path)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response
