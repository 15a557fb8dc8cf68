"""Persistence behind one interface: :func:`open_store` picks the backend from the URL.

- a path (``city.gpkg``) or ``sqlite:///path``: the embedded GeoPackage store;
- ``postgresql://...``: PostgreSQL + PostGIS (the production store).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from vkc.errors import InputError
from vkc.store.base import Store, Transaction
from vkc.store.model import (
    Collection,
    Condition,
    Feature,
    FeatureBatch,
    Field,
    Query,
    WriteResult,
)

if TYPE_CHECKING:
    from vkc.component import Component


def open_store(
    url: str | os.PathLike[str],
    *,
    create: bool = True,
    connections: int | None = None,
    components: Sequence[Component] | None = None,
    statement_timeout: float | None = None,
) -> Store:
    """Open the store at ``url`` (a file path, ``sqlite:///path`` or ``postgresql://...``).

    ``connections``: PostGIS keeps exactly this many connections open (servers);
    by default it opens one and grows to four as needed (command-line use).
    ``components``: whose tables the store holds (default: every installed component).
    ``statement_timeout``: seconds one statement may run (servers; see :mod:`vkc.store.statement_limits`); None: no limit.
    """
    text = os.fspath(url)
    if text.startswith(("postgresql://", "postgres://")):
        from vkc.store.postgis import PostGISStore

        if connections is None:
            return PostGISStore(text, components=components, statement_timeout=statement_timeout)
        return PostGISStore(text, min_size=connections, max_size=connections, components=components, statement_timeout=statement_timeout)
    from vkc.store.gpkg import GeoPackageStore

    return GeoPackageStore(_sqlite_path(text), create=create, components=components, statement_timeout=statement_timeout)


def upgrade_store(url: str | os.PathLike[str] | None) -> dict[str, int]:
    """Apply every pending migration of every installed component (idempotent); returns each component's version."""
    from vkc.config import resolve_database

    text = resolve_database(url)
    if text.startswith(("postgresql://", "postgres://")):
        from vkc.store.postgis import PostGISStore

        with PostGISStore(text, upgrade=True) as pg:
            return dict(pg.versions)
    from vkc.store.gpkg import GeoPackageStore

    with GeoPackageStore(_sqlite_path(text), upgrade=True) as gpkg:
        return dict(gpkg.versions)


def _sqlite_path(text: str) -> str:
    if text.startswith("sqlite:///"):
        return text[len("sqlite:///") :]
    if "://" in text:
        raise InputError(f"unsupported database URL {text!r}: use a file path or postgresql://...", field="db")
    return text


__all__ = [
    "Collection",
    "Condition",
    "Feature",
    "FeatureBatch",
    "Field",
    "Query",
    "Store",
    "Transaction",
    "WriteResult",
    "open_store",
    "upgrade_store",
]
