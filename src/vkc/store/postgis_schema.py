"""DDL and type mapping of the PostgreSQL + PostGIS store, with a versioned schema."""

from __future__ import annotations

import hashlib
from typing import Any

from psycopg import sql

from vkc.geo.geometry_types import OGC_NAMES
from vkc.store.dialect import Conn
from vkc.store.migrations import Migration
from vkc.store.model import MAX_NAME_BYTES

PG_TYPES = {
    "integer": "bigint",
    "real": "double precision",
    "text": "text",
    "boolean": "boolean",
    # Dates stay ISO text, as in the GeoPackage store, so both return the values they were given.
    "date": "text",
    "datetime": "text",
    "json": "jsonb",
}
GEOMETRY_TYPMOD = {"GEOMETRY": "Geometry", **OGC_NAMES}
#: the single schema version vkc 0.1.0 kept in ``vkc_schema_version`` (1-2 the store, 3 sensors, 4 alerts);
#: a database with per-component versions says 5 there, so that an older vkc refuses it instead of writing to it
LEGACY_VERSION_TABLE = "vkc_schema_version"
COMPONENT_LAYOUT = 5

#: the store's own tables in PostgreSQL (the component ``store``)
MIGRATIONS = (
    Migration(
        1,
        "collections and their extents",
        postgres=(
            """CREATE TABLE IF NOT EXISTS vkc_collections (
                 name text PRIMARY KEY, title text NOT NULL DEFAULT '', description text NOT NULL DEFAULT '',
                 geometry_type text NOT NULL, fields jsonb NOT NULL DEFAULT '[]', metadata jsonb NOT NULL DEFAULT '{}',
                 created timestamptz NOT NULL DEFAULT now(), updated timestamptz NOT NULL DEFAULT now())""",
            # Extents grow by appending a row per write: appends never wait on each other, so concurrent
            # writers of one collection do not queue (or deadlock) on a shared row.
            """CREATE TABLE IF NOT EXISTS vkc_extent_log (
                 name text NOT NULL, min_x double precision, min_y double precision,
                 max_x double precision, max_y double precision, at timestamptz NOT NULL DEFAULT now())""",
            "CREATE INDEX IF NOT EXISTS vkc_extent_log_name ON vkc_extent_log (name)",
        ),
    ),
    Migration(
        2,
        "small platform records (access tokens), keyed by kind and key",
        postgres=(
            """CREATE TABLE IF NOT EXISTS vkc_records (
                 kind text NOT NULL, key text NOT NULL, value jsonb NOT NULL,
                 updated timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (kind, key))""",
        ),
    ),
    Migration(
        3,
        "versions per component: an older vkc refuses the database",
        postgres=(
            f"CREATE TABLE IF NOT EXISTS {LEGACY_VERSION_TABLE} (version integer NOT NULL)",
            f"INSERT INTO {LEGACY_VERSION_TABLE} VALUES ({COMPONENT_LAYOUT})",
        ),
    ),
)


def legacy_versions(conn: Conn) -> dict[str, int] | None:
    """The versions of a database laid out by vkc 0.1.0, from its single schema version (None: no platform tables)."""
    if not conn.execute("SELECT to_regclass(?) IS NOT NULL", (LEGACY_VERSION_TABLE,)).fetchone()[0]:
        return None
    version = conn.execute(f"SELECT coalesce(max(version), 0) FROM {LEGACY_VERSION_TABLE}").fetchone()[0]
    if version >= COMPONENT_LAYOUT:
        return {}  # per-component versions were here and are gone: every component is behind
    versions = {"store": min(version, 2)}
    if version >= 3:
        versions["sensors"] = 1
    if version >= 4:
        versions["alerts"] = 1
    return versions


def derived_name(table: str, suffix: str) -> str:
    """The name of an index of ``table``: ``vkc_<table>_<suffix>``, which no collection can be named (indexes and
    tables share one name space), its table's name cut and a digest of it added past PostgreSQL's 63 bytes, so
    that two long collection names that begin alike never share an index name either."""
    name = f"vkc_{table}_{suffix}"
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    digest = hashlib.sha1(table.encode()).hexdigest()[:8]
    return f"vkc_{table[: MAX_NAME_BYTES - len(suffix) - 14]}_{digest}_{suffix}"


def create_feature_table(conn: Any, table: str, geometry_type: str, columns: list[tuple[str, str]]) -> None:
    t = sql.Identifier(table)
    cols = sql.SQL("").join(sql.SQL(", {} {}").format(sql.Identifier(n), sql.SQL(PG_TYPES[ty])) for n, ty in columns)
    conn.execute(
        sql.SQL(
            "CREATE TABLE {t} (fid bigserial PRIMARY KEY, vkc_id text NOT NULL UNIQUE, "
            "geom geometry({g}, 4326), vkc_time timestamptz, vkc_time_end timestamptz{cols})"
        ).format(t=t, g=sql.SQL(GEOMETRY_TYPMOD[geometry_type]), cols=cols)
    )
    conn.execute(sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(sql.Identifier(derived_name(table, "geom_gist")), t))
    conn.execute(sql.SQL("CREATE INDEX {} ON {} (vkc_time)").format(sql.Identifier(derived_name(table, "time")), t))
    conn.execute(sql.SQL("CREATE INDEX {} ON {} (vkc_time_end)").format(sql.Identifier(derived_name(table, "time_end")), t))
