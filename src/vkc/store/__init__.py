"""Persistence behind one interface: :func:`open_store` picks the backend from the URL.

- a path (``city.gpkg``) or ``sqlite:///path``: the embedded GeoPackage store;
- ``postgresql://...``: PostgreSQL + PostGIS (the production store).
"""

from __future__ import annotations

import os

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


def open_store(url: str | os.PathLike[str], *, create: bool = True, connections: int | None = None) -> Store:
    """Open the store at ``url`` (a file path, ``sqlite:///path`` or ``postgresql://...``).

    ``connections``: PostGIS keeps exactly this many connections open (servers);
    by default it opens one and grows to four as needed (command-line use).
    """
    text = os.fspath(url)
    if text.startswith(("postgresql://", "postgres://")):
        from vkc.store.postgis import PostGISStore

        return PostGISStore(text) if connections is None else PostGISStore(text, min_size=connections, max_size=connections)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    elif "://" in text:
        raise InputError(f"unsupported database URL {text!r}: use a file path or postgresql://...", field="db")
    from vkc.store.gpkg import GeoPackageStore

    return GeoPackageStore(text, create=create)


def upgrade_store(url: str | os.PathLike[str] | None) -> int:
    """Bring a store's schema to this version (idempotent); returns the schema version."""
    from vkc.config import resolve_database

    text = resolve_database(url)
    if text.startswith(("postgresql://", "postgres://")):
        from vkc.store.postgis import PostGISStore

        return PostGISStore.upgrade(text)
    with open_store(text):  # the GeoPackage layout is created or completed on open
        return 1


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
