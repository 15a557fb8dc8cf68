"""FastAPI application factory, the one place errors become RFC 9457 problem+json, and the landing page.

The OGC APIs land under ``/ogc`` in the next issue; for now the landing page
summarises the store: its collections, their counts and extents, and the
administrative units.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from vkc import __version__
from vkc.config import Settings
from vkc.errors import InputError, VKCError
from vkc.store import Store, open_store
from vkc.web.http import HttpSemantics

LOGGER = logging.getLogger(__name__)
#: database connections each server process keeps open (PostGIS): a fixed pool, since
#: growing one under load made requests wait for seconds (bench/run_api.py, case d)
SERVER_CONNECTIONS = 4
_TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def problem(exc: VKCError, instance: str | None = None) -> JSONResponse:
    """The platform's one error body: RFC 9457 problem details; an error naming a ``field`` has it in ``invalid-params`` too."""
    body: dict[str, object] = {
        "type": f"https://vkc.example/problems/{exc.code}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.message if exc.status < 500 else "the server could not complete the request",
    }
    if instance:
        body["instance"] = instance
    field = exc.detail.get("field")
    if field is not None and exc.status < 500:
        body["field"] = str(field)
        body["invalid-params"] = [{"name": str(field), "reason": exc.message}]
    return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")


def create_app(settings: Settings) -> FastAPI:
    """Build the application for ``settings``; the store opens at start-up and closes at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(settings.database, connections=SERVER_CONNECTIONS)
        try:
            yield
        finally:
            await app.state.store.close_async()
            app.state.store.close()

    app = FastAPI(title="VKC smart-city platform", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    from vkc.api.alerts import router as alerts_router
    from vkc.api.ogc import router as ogc_router
    from vkc.api.sensors import router as sensors_router
    from vkc.api.sta import router as sta_router

    app.include_router(ogc_router())
    app.include_router(sta_router)
    app.include_router(sensors_router)
    app.include_router(alerts_router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(HttpSemantics)

    @app.exception_handler(VKCError)
    async def _vkc_error(request: Request, exc: VKCError) -> JSONResponse:
        if exc.status >= 500:
            LOGGER.error("%s: %s", request.url.path, exc)
        return problem(exc, request.url.path)

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

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def landing(request: Request) -> HTMLResponse:
        return _TEMPLATES.TemplateResponse(request, "landing.html", summary(request.app.state.store))

    @app.get("/summary", summary="What the store holds: collections with counts and extents, admin units")
    def summary_json(request: Request) -> dict:
        return summary(request.app.state.store)

    @app.get("/health", include_in_schema=False)
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    return app


_PROBLEM_RESPONSE = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": "string", "description": "The parameter, header or body member at fault, when one is (the name in invalid-params)"},
        "invalid-params": {
            "type": "array",
            "description": "The parameters at fault and why (RFC 9457 §3)",
            "items": {"type": "object", "required": ["name", "reason"], "properties": {"name": {"type": "string"}, "reason": {"type": "string"}}},
        },
    },
}


def _openapi(app: FastAPI) -> dict:
    """FastAPI's document, saying what the error handlers really send: 400 problem+json, never 422."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=app.title, version=app.version, routes=app.routes, description="VKC smart-city platform")
    doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = _PROBLEM_SCHEMA
    doc["components"]["schemas"].pop("HTTPValidationError", None)
    doc["components"]["schemas"].pop("ValidationError", None)
    for path in doc["paths"].values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault("400", {"description": "Bad request: the problem names the parameter"})
            for code, response in responses.items():
                if code[0] in "45":
                    response["content"] = _PROBLEM_RESPONSE
    app.openapi_schema = doc
    return doc


def summary(store: Store) -> dict:
    collections = [
        {
            "name": c.name,
            "title": c.title or c.name,
            "geometry_type": c.geometry_type,
            "count": c.count,
            "extent": list(c.extent) if c.extent else None,
            "synthetic": c.metadata.get("synthetic"),
            "source": c.metadata.get("source") or c.metadata.get("source_file"),
        }
        for c in store.collections()
    ]
    from vkc import admin

    today = date.today()
    units = admin.units(on=today)
    return {
        "version": __version__,
        "collections": collections,
        "admin_units": {
            "date": today.isoformat(),
            "count": len(units),
            "units": [
                {"gso_code": u.gso_code, "name_vi": u.name_vi, "name_en": u.name_en, "name_ko": u.name_ko, "type": u.type, "type_en": u.type_en}
                for u in units
            ],
        },
    }


def app_from_environment() -> FastAPI:
    """The application for worker processes: the store named by ``$VKC_DATABASE_URL``."""
    app = create_app(Settings.from_env())
    _freeze_start_up_objects()
    return app


def _freeze_start_up_objects() -> None:
    """Leave what a server process made before serving (modules, routes) out of full garbage collections.

    It lives as long as the process; each full collection would otherwise walk
    all of it while requests wait (items pages had a 54 ms p99 from this alone).
    """
    gc.collect()
    gc.freeze()


def run_server(settings: Settings) -> None:
    """Serve the application with uvicorn until interrupted; several worker processes if asked."""
    import os

    import uvicorn

    if settings.workers > 1:
        os.environ["VKC_DATABASE_URL"] = settings.database
        uvicorn.run("vkc.web.app:app_from_environment", factory=True, host=settings.host, port=settings.port, workers=settings.workers, log_level="warning")
    else:
        app = create_app(settings)
        _freeze_start_up_objects()
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
