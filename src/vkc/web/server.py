"""Serving the application with uvicorn, with the components' tasks running beside it."""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from vkc.component import installed
from vkc.config import SETTINGS_ENV, Settings
from vkc.store import open_store
from vkc.web.app import create_app

LOGGER = logging.getLogger(__name__)


def platform_log() -> None:
    """The platform's own messages (sign-ins, refused tokens, timeouts) on standard error from INFO up, beside uvicorn's."""
    logger = logging.getLogger("vkc")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-9s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def app_from_environment() -> FastAPI:
    """The application for worker processes: the settings the serving process handed over (``$VKC_SERVER_SETTINGS``)."""
    platform_log()
    app = create_app(Settings.from_worker_env())
    _freeze_start_up_objects()
    return app


def _freeze_start_up_objects() -> None:
    """Leave what a server process made before serving (modules, routes) out of full garbage collections.

    It lives as long as the process; each full collection would otherwise walk
    all of it while requests wait (items pages had a 54 ms p99 from this alone).
    """
    gc.collect()
    gc.freeze()


@contextmanager
def server_tasks(settings: Settings) -> Iterator[list[str]]:
    """Run every component's server task in a thread of its own (in this, the supervising process) until the block ends."""
    tasks = [(name, task) for c in installed() for name, task in c.server_tasks]
    if not settings.tasks or not tasks:
        yield []
        return
    stop = threading.Event()
    store = open_store(settings.database)
    threads = [threading.Thread(target=task, args=(store, stop), name=name, daemon=True) for name, task in tasks]
    for thread in threads:
        thread.start()
    try:
        yield [name for name, _ in tasks]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        store.close()


def run_server(settings: Settings) -> None:
    """Serve the application with uvicorn until interrupted; several worker processes if asked."""
    import uvicorn

    platform_log()
    with server_tasks(settings) as running:
        if running:
            LOGGER.warning("running beside the server: %s", ", ".join(running))
        if settings.workers > 1:
            os.environ[SETTINGS_ENV] = settings.to_env()
            uvicorn.run(
                "vkc.web.server:app_from_environment",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=settings.workers,
                log_level="info",
                access_log=settings.access_log,
            )
        else:
            app = create_app(settings)
            _freeze_start_up_objects()
            uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", access_log=settings.access_log)
