"""Versioned schema migrations per component, on both backends.

Each component numbers its own migrations 1, 2, 3, …; the store keeps, per
component, the last one applied in the table ``vkc_components``. Opening a
store checks every installed component against it:

- a new, empty store gets every migration at once;
- a store behind this code is refused with "run `vkc db upgrade`" (an
  upgrade is a decision: it may take time and an older vkc cannot read the
  result);
- a store ahead of this code (written by a newer vkc) is refused.

The store's own tables are the component ``store``. A migration step is an
SQL statement or a function of a :class:`~vkc.store.dialect.Conn`; each
component's pending steps run in the caller's transaction, so an upgrade
is all or nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from vkc.errors import StoreError
from vkc.store.dialect import Conn, DialectName

Step = str | Callable[[Conn], None]
VERSIONS_TABLE = "vkc_components"


@dataclass(frozen=True)
class Migration:
    """One numbered change of a component's tables, spelt for each backend."""

    version: int
    description: str
    postgres: Sequence[Step] = ()
    sqlite: Sequence[Step] = ()

    def steps(self, dialect: DialectName) -> Sequence[Step]:
        return self.postgres if dialect == "postgres" else self.sqlite


def migration(version: int, description: str, steps: Callable[[DialectName], Sequence[Step]]) -> Migration:
    """A migration whose steps one function writes for both backends."""
    return Migration(version, description, postgres=tuple(steps("postgres")), sqlite=tuple(steps("sqlite")))


@dataclass(frozen=True)
class Schema:
    """The migrations of one component (the kernel's own store tables included)."""

    component: str
    migrations: Sequence[Migration] = field(default_factory=tuple)

    @property
    def version(self) -> int:
        """The version this code brings the component to."""
        return max((m.version for m in self.migrations), default=0)

    def __post_init__(self) -> None:
        numbers = [m.version for m in self.migrations]
        if numbers != list(range(1, len(numbers) + 1)):
            raise StoreError(f"component {self.component!r}: migrations must be numbered 1, 2, 3, … in order (got {numbers})")


def schemas(store_migrations: Sequence[Migration], components: Iterable[Any], *, audit: Sequence[Migration] = ()) -> list[Schema]:
    """The schemas a store holds: its own tables (the component ``store``), the audit trail, then each component's that has tables."""
    kernel = [Schema("store", store_migrations), *([Schema("audit", audit)] if audit else [])]
    return [*kernel, *(Schema(c.name, c.migrations) for c in components if c.migrations)]


def _versions_ddl(dialect: DialectName) -> str:
    updated = "timestamptz NOT NULL DEFAULT now()" if dialect == "postgres" else "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    return f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} (component text PRIMARY KEY, version integer NOT NULL, updated {updated})"


def _table_exists(conn: Conn, table: str) -> bool:
    if conn.dialect.name == "postgres":
        return bool(conn.execute("SELECT to_regclass(?) IS NOT NULL", (table,)).fetchone()[0])
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None


def stored_versions(conn: Conn, legacy: Callable[[Conn], dict[str, int] | None]) -> dict[str, int] | None:
    """Each component's version in the store; None for a store with no platform tables at all.

    ``legacy`` reads the versions of a store laid out before this table existed (None if it is not one).
    """
    if _table_exists(conn, VERSIONS_TABLE):
        return {name: version for name, version in conn.execute(f"SELECT component, version FROM {VERSIONS_TABLE}")}
    return legacy(conn)


def pending(schemas: Iterable[Schema], versions: Mapping[str, int]) -> list[tuple[Schema, int]]:
    """The components behind this code, each with the version stored."""
    return [(s, versions.get(s.component, 0)) for s in schemas if versions.get(s.component, 0) < s.version]


def _refuse_newer(schema: Schema, stored: int) -> None:
    if stored > schema.version:
        raise StoreError(
            f"the store's {schema.component!r} tables are at version {stored}, newer than this vkc knows ({schema.version}); install a newer vkc"
        )


def check(conn: Conn, schemas: Sequence[Schema], legacy: Callable[[Conn], dict[str, int] | None], *, where: str) -> dict[str, int] | None:
    """On open: each component's version, or None if the store is new (the caller then runs :func:`upgrade`); raises if it is behind or ahead."""
    versions = stored_versions(conn, legacy)
    if versions is None:
        return None
    for schema in schemas:
        stored = versions.get(schema.component, 0)
        _refuse_newer(schema, stored)
    behind = pending(schemas, versions)
    if behind:
        listed = ", ".join(f"{s.component} {v} → {s.version}" for s, v in behind)
        raise StoreError(f"the store {where} is older than this vkc ({listed}); run `vkc db upgrade --db {where}`")
    return versions


def upgrade(conn: Conn, schemas: Sequence[Schema], legacy: Callable[[Conn], dict[str, int] | None]) -> dict[str, int]:
    """Apply every pending migration in the caller's transaction; returns each component's version now.

    Only the versions that changed are written, so upgrading a current store changes nothing in it.
    """
    dialect = conn.dialect.name
    recorded = _table_exists(conn, VERSIONS_TABLE)
    versions = stored_versions(conn, legacy) or {}
    changed = set() if recorded else set(versions)
    conn.raw.execute(_versions_ddl(dialect))
    for schema in schemas:
        stored = versions.get(schema.component, 0)
        _refuse_newer(schema, stored)
        for m in schema.migrations[stored:]:
            try:
                for step in m.steps(dialect):
                    if isinstance(step, str):
                        conn.raw.execute(step)
                    else:
                        step(conn)
            except (sqlite3.Error, psycopg.Error) as exc:
                reason = str(exc).strip().splitlines()[0]
                raise StoreError(f"migration {m.version} of component {schema.component!r} ({m.description}) failed: {reason}") from exc
        if schema.version > stored:
            versions[schema.component] = schema.version
            changed.add(schema.component)
    in_order = {s.component: versions[s.component] for s in schemas if s.component in versions}
    versions = {**in_order, **versions}  # the schemas' order first, then components no longer installed
    for component, version in versions.items():
        if component not in changed:
            continue
        conn.execute(f"DELETE FROM {VERSIONS_TABLE} WHERE component = ?", (component,))
        conn.execute(f"INSERT INTO {VERSIONS_TABLE} (component, version) VALUES (?, ?)", (component, version))
    return versions


__all__ = ["VERSIONS_TABLE", "Migration", "Schema", "Step", "check", "migration", "pending", "schemas", "stored_versions", "upgrade"]
