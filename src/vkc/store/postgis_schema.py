"""DDL and type mapping of the PostgreSQL + PostGIS store, with a versioned schema."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from vkc.alerts.schema import ddl as alert_ddl
from vkc.errors import StoreError
from vkc.geo.geometry_types import OGC_NAMES
from vkc.sensors.schema import ddl as sensor_ddl

#: the schema version this code writes; a newer one in the database is refused
SCHEMA_VERSION = 4
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
_MIGRATIONS: dict[int, list[str]] = {
    1: [
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
    ],
    2: [
        # Small platform records (access tokens, later subscriptions), keyed by kind and key.
        """CREATE TABLE IF NOT EXISTS vkc_records (
             kind text NOT NULL, key text NOT NULL, value jsonb NOT NULL,
             updated timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (kind, key))""",
    ],
    # The SensorThings model (vkc.sensors.schema); observations partitioned by month.
    3: sensor_ddl("postgres"),
    # Air quality alerts: subscriptions, their state per station, the outbox (vkc.alerts.schema).
    4: alert_ddl("postgres"),
}


def current_version(conn: Any) -> int:
    if conn.execute("SELECT to_regclass('vkc_schema_version')").fetchone()[0] is None:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM vkc_schema_version").fetchone()[0]


def check(conn: Any, url: str) -> None:
    """On open: an empty database gets the schema; an older one must be upgraded on purpose; a newer one is refused."""
    current = current_version(conn)
    if current == 0:
        upgrade(conn)
    elif current > SCHEMA_VERSION:
        raise StoreError(f"the database schema is version {current}, newer than this vkc knows ({SCHEMA_VERSION}); install a newer vkc")
    elif current < SCHEMA_VERSION:
        raise StoreError(f"the database schema is version {current}, older than this vkc ({SCHEMA_VERSION}); run `vkc db upgrade --db {url}`")


def upgrade(conn: Any) -> int:
    """Bring the database schema to SCHEMA_VERSION (idempotent); returns the version now in place."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    conn.execute("CREATE TABLE IF NOT EXISTS vkc_schema_version (version integer NOT NULL)")
    conn.execute("LOCK TABLE vkc_schema_version IN EXCLUSIVE MODE")
    current = current_version(conn)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"the database schema is version {current}, newer than this vkc knows ({SCHEMA_VERSION}); install a newer vkc"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        for statement in _MIGRATIONS[version]:
            conn.execute(statement)
        conn.execute("INSERT INTO vkc_schema_version VALUES (%s)", (version,))
    return SCHEMA_VERSION


def create_feature_table(conn: Any, table: str, geometry_type: str, columns: list[tuple[str, str]]) -> None:
    t = sql.Identifier(table)
    cols = sql.SQL("").join(sql.SQL(", {} {}").format(sql.Identifier(n), sql.SQL(PG_TYPES[ty])) for n, ty in columns)
    conn.execute(
        sql.SQL(
            "CREATE TABLE {t} (fid bigserial PRIMARY KEY, vkc_id text NOT NULL UNIQUE, "
            "geom geometry({g}, 4326), vkc_time timestamptz, vkc_time_end timestamptz{cols})"
        ).format(t=t, g=sql.SQL(GEOMETRY_TYPMOD[geometry_type]), cols=cols)
    )
    conn.execute(sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(sql.Identifier(f"{table}_geom_gist"), t))
    conn.execute(sql.SQL("CREATE INDEX {} ON {} (vkc_time)").format(sql.Identifier(f"{table}_time"), t))
    conn.execute(sql.SQL("CREATE INDEX {} ON {} (vkc_time_end)").format(sql.Identifier(f"{table}_time_end"), t))
