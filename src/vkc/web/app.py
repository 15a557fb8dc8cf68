"""The application factory: the kernel's error mapping, OpenAPI, audit, user and sign-in routes, and every installed component's routers.

Nothing here knows a component: routers, conformance classes and server
tasks come from :func:`vkc.component.installed` (or the components given).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from vkc import __version__
from vkc.auth import oidc
from vkc.component import Component, installed
from vkc.config import SERVER_CONNECTIONS, Settings
from vkc.store import open_store
from vkc.web import audit_routes, signin_routes, user_routes
from vkc.web.costly import CostlyRequests
from vkc.web.http import HttpSemantics
from vkc.web.openapi import openapi_document
from vkc.web.problems import install_error_handlers, problem
from vkc.web.rate_limit import RateLimits
from vkc.web.security import CORS, SecurityHeaders


def create_app(settings: Settings, components: Sequence[Component] | None = None, *, provider: oidc.Provider | None = None) -> FastAPI:
    """Build the application for ``settings``; the store opens at start-up and closes at shutdown.

    ``provider``: the OpenID Connect provider people may sign in with; by default the one the
    environment configures (:meth:`vkc.auth.oidc.Provider.from_env`), if any.
    """
    chosen = tuple(installed() if components is None else components)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(
            settings.database, connections=settings.connections, components=chosen, statement_timeout=settings.statement_timeout or None
        )
        try:
            yield
        finally:
            await app.state.store.close_async()
            app.state.store.close()

    # the interactive documentation is a component's page (the portal serves Swagger UI from the package, no CDN)
    app = FastAPI(title="VKC smart-city platform", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.components = chosen
    app.state.conformance = conformance(chosen)
    app.state.oidc = provider if provider is not None else oidc.Provider.from_env()
    app.state.resource_page = next((c.resource_page for c in chosen if c.resource_page is not None), None)
    app.include_router(audit_routes.router)
    app.include_router(signin_routes.router)
    app.include_router(user_routes.router)
    for c in chosen:
        for router in c.routers() if c.routers is not None else ():
            app.include_router(router)
    install_error_handlers(app, next((c.error_page for c in chosen if c.error_page is not None), None))
    classifiers = [c.costly for c in chosen if c.costly is not None]
    app.add_middleware(CostlyRequests, classifiers=classifiers, concurrency=settings.costly_concurrency, queue=settings.costly_queue)  # innermost: just before the routes
    app.add_middleware(HttpSemantics)
    app.add_middleware(CORSMiddleware, **CORS)
    app.add_middleware(RateLimits, rate=settings.rate_limit, burst=settings.rate_burst)
    app.add_middleware(SecurityHeaders)  # outermost: on every response, CORS preflights and errors included
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]  # FastAPI's documented way to replace the schema
    return app


def conformance(components: Sequence[Component]) -> dict[str, list[str]]:
    """The conformance classes of each API root, as the components declare them."""
    found: dict[str, dict[str, None]] = {}  # an ordered set per root
    for c in components:
        for root, classes in c.conformance.items():
            found.setdefault(root, {}).update(dict.fromkeys(classes))
    return {root: list(classes) for root, classes in found.items()}


__all__ = ["SERVER_CONNECTIONS", "conformance", "create_app", "problem"]
