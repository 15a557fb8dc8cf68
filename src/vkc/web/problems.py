"""The one place errors become RFC 9457 problem+json — or, for a browser asking for a page, the same problem as HTML.

A request wants a page when it says ``f=html`` or its ``Accept`` names
``text/html`` (a browser's navigation does; its scripts' ``fetch`` and every
API client do not); the page is drawn by the component that offers one
(:attr:`vkc.component.Component.error_page`), if any is installed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import orjson
import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
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


#: draws a problem (its JSON body) as a page for a browser, with the problem's status and headers
ErrorPage = Callable[[Request, dict[str, Any]], Response]


def wants_page(request: Request) -> bool:
    """Whether the client asked for an HTML page rather than data (see the module's docstring)."""
    f = request.query_params.get("f")
    if f is not None:
        return f == "html"
    return "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI, error_page: ErrorPage | None = None) -> None:
    """Map the platform's errors, FastAPI's request validation and Starlette's HTTP errors to problem+json
    (to ``error_page``'s HTML for a browser asking for a page)."""

    def answer(request: Request, response: JSONResponse) -> Response:
        if error_page is None or not wants_page(request):
            return response
        try:
            page = error_page(request, orjson.loads(response.body))
        except Exception:  # the page could not be drawn (its own error): the problem as data still answers
            LOGGER.exception("%s: the error page could not be drawn", request.url.path)
            return response
        page.status_code = response.status_code
        for key in ("Retry-After", "WWW-Authenticate", "Allow"):
            if key in response.headers:
                page.headers[key] = response.headers[key]
        return page

    @app.exception_handler(VKCError)
    async def _vkc_error(request: Request, exc: VKCError) -> Response:
        if exc.status >= 500:
            (LOGGER.warning if exc.exposed else LOGGER.error)("%s: %s", request.url.path, exc)
        return answer(request, problem(exc, request.url.path))

    @app.exception_handler(sqlite3.Error)
    @app.exception_handler(psycopg.Error)
    async def _database_error(request: Request, exc: sqlite3.Error | psycopg.Error) -> Response:
        """A driver's error that reached the app unwrapped (reads on the driver's own connection): a statement past its limit is 503."""
        return await _vkc_error(request, database_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = first.get("loc", ("request",))[-1]
        error = InputError(f"{where}: {first.get('msg', 'invalid value')} (got {first.get('input')!r})", field=str(where))
        return answer(request, problem(error, request.url.path))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        error = VKCError(str(exc.detail))
        error.status, error.code, error.title = exc.status_code, f"http-{exc.status_code}", str(exc.detail)
        response = problem(error, request.url.path)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return answer(request, response)
