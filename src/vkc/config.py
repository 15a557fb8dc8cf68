"""Settings, passed explicitly; nothing is read at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

DEFAULT_DATABASE = "vkc.gpkg"
DATABASE_ENV = "VKC_DATABASE_URL"


def resolve_database(db: str | os.PathLike[str] | None = None) -> str:
    """The store location: ``db`` if given, else ``$VKC_DATABASE_URL``, else ``./vkc.gpkg``."""
    if db:
        return os.fspath(db)
    return os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE


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


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What the web application needs to run."""

    database: str = DEFAULT_DATABASE
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    #: run the components' server tasks (the alert worker) beside the server
    tasks: bool = True

    @classmethod
    def from_env(cls, db: str | None = None, **overrides: Unpack[_Overrides]) -> Settings:
        return cls(database=resolve_database(db), **overrides)

    @property
    def database_path(self) -> Path:
        return Path(self.database)
