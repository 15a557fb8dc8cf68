"""Settings, passed explicitly; nothing is read at import time."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypedDict, Unpack

DEFAULT_DATABASE = "vkc.gpkg"
#: the rate limit ``vkc serve`` applies unless told otherwise (requests a second per address and per token)
SERVE_RATE_LIMIT = 50.0
#: the seconds one database statement may run in a ``vkc serve`` server unless told otherwise
SERVE_STATEMENT_TIMEOUT = 30.0
#: costly requests (large pages, CQL2 filters, low-zoom tiles; :mod:`vkc.web.costly`) running at once in each server process
COSTLY_CONCURRENCY = 1
#: database connections each server process keeps open (PostGIS): a fixed pool, since growing one
#: under load made requests wait for seconds (bench/run_api.py, case d); 8, not 4: at 200 clients the
#: synchronous routes' 40 threads queued for 4 connections (dashboard p99 1.0-1.5 s; with 8: 0.5-0.7 s,
#: bench/results/load_no_access_log.md against load_postgis_8_connections.md)
SERVER_CONNECTIONS = 8
DATABASE_ENV = "VKC_DATABASE_URL"
#: the whole Settings of a server, as JSON, for its worker processes
SETTINGS_ENV = "VKC_SERVER_SETTINGS"


def resolve_database(db: str | os.PathLike[str] | None = None) -> str:
    """The store location: ``db`` if given, else ``$VKC_DATABASE_URL``, else ``./vkc.gpkg``."""
    if db:
        return os.fspath(db)
    return os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE


def megabytes(name: str, default: float) -> int:
    """A size the environment sets in MB (``name``), in bytes; ``default`` MB without it; an error naming it if it is no positive number."""
    from vkc.errors import VKCError

    text = os.environ.get(name, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        value = -1.0
    if not value > 0:
        raise VKCError(f"{name}={text!r}: expected a positive number of megabytes")
    return int(value * 2**20)


def redact(url: str) -> str:
    """A database URL without its password, for messages and pages."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    return url


class _Overrides(TypedDict, total=False):
    """The settings ``Settings.from_env`` takes as given, beside the database."""

    host: str
    port: int
    workers: int
    tasks: bool
    rate_limit: float
    statement_timeout: float
    access_log: bool
    costly_concurrency: int
    connections: int
    costly_queue: int


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What the web application needs to run."""

    database: str = DEFAULT_DATABASE
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    #: run the components' server tasks (the alert worker) beside the server
    tasks: bool = True
    #: requests a second per client address and per token, with bursts of ``rate_burst``; 0 (the library's
    #: default, for embedded and in-process use): no limit. ``vkc serve`` sets :data:`SERVE_RATE_LIMIT`.
    rate_limit: float = 0.0
    rate_burst: int = 200
    #: seconds one database statement may run before it is stopped and the request answered 503; 0 (the library's
    #: default): no limit. ``vkc serve`` sets :data:`SERVE_STATEMENT_TIMEOUT`.
    statement_timeout: float = 0.0
    #: a line per request on standard error (uvicorn's access log), with one worker or several alike
    access_log: bool = True
    #: costly requests running at once in each server process, the next ``costly_queue`` waiting their turn;
    #: 0 (the library's default): no bound. ``vkc serve`` sets :data:`COSTLY_CONCURRENCY`.
    costly_concurrency: int = 0
    costly_queue: int = 16
    #: database connections each server process keeps open (PostGIS; GeoPackage has one writer and a reader per thread)
    connections: int = SERVER_CONNECTIONS

    @classmethod
    def from_env(cls, db: str | None = None, **overrides: Unpack[_Overrides]) -> Settings:
        return cls(database=resolve_database(db), **overrides)

    def to_env(self) -> str:
        """These settings as the text a worker process reads back with :meth:`from_worker_env`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_worker_env(cls) -> Settings:
        """The settings the serving process handed its workers; without them, the environment's database."""
        text = os.environ.get(SETTINGS_ENV)
        return cls(**json.loads(text)) if text else cls.from_env()

    @property
    def database_path(self) -> Path:
        return Path(self.database)
