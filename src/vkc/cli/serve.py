"""``vkc serve``: run the web application over a store."""

from __future__ import annotations

import typer

from vkc.cli.common import DbOption
from vkc.config import COSTLY_CONCURRENCY, SERVE_RATE_LIMIT, SERVE_STATEMENT_TIMEOUT, SERVER_CONNECTIONS, Settings, resolve_database


def serve(
    db: DbOption = None,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (each opens the store itself)."),
    no_tasks: bool = typer.Option(False, "--no-tasks", help="Do not run the components' background work (the alert worker) in this server."),
    rate_limit: float = typer.Option(SERVE_RATE_LIMIT, "--rate-limit", min=0, help="Requests a second per client address and per token, in each worker (0: no limit)."),
    statement_timeout: float = typer.Option(
        SERVE_STATEMENT_TIMEOUT, "--statement-timeout", min=0, help="Seconds one database statement may run; longer ones are stopped, answered 503 (0: no limit)."
    ),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="A line per request on standard error."),
    connections: int = typer.Option(SERVER_CONNECTIONS, "--db-connections", min=1, help="Database connections each worker keeps open (PostGIS)."),
    costly_concurrency: int = typer.Option(
        COSTLY_CONCURRENCY, "--costly-concurrency", min=0,
        help="Costly requests (pages over 100 features, CQL2 filters, tiles below zoom 11) run at once in each worker; more wait in a short queue, then get 503 (0: no bound).",
    ),
) -> None:
    """Serve the platform over HTTP: every installed component's API and pages; the alert worker runs beside them."""
    from vkc.web import run_server

    settings = Settings(
        database=resolve_database(db), host=host, port=port, workers=workers, tasks=not no_tasks, rate_limit=rate_limit, statement_timeout=statement_timeout,
        access_log=access_log,
        costly_concurrency=costly_concurrency, connections=connections,
    )
    run_server(settings)
