"""The SQL dialect of each backend, and the connection every component's SQL goes through.

Components write their SQL once, with ``?`` placeholders, against
:class:`Conn`; the backend's :class:`Dialect` says how values cross the
boundary and how the few statements that differ are spelt:

==============  ==========================  ===========================================
kind            PostgreSQL + PostGIS        GeoPackage (SQLite)
==============  ==========================  ===========================================
placeholder     ``%s`` (``?`` rewritten)    ``?``
time            timestamptz                 INTEGER microseconds since 1970-01-01 UTC
json            jsonb                       TEXT (JSON)
geometry        geometry(Geometry, 4326)    TEXT GeoJSON, plus ``_minx`` … ``_maxy``
advisory lock   ``pg_advisory_xact_lock``   none needed: one writer per file
==============  ==========================  ===========================================
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import psycopg
import shapely
from psycopg.types.json import Jsonb

from vkc.errors import StoreError

DialectName = Literal["postgres", "sqlite"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Dialect:
    """How one backend spells what differs between the two; pure: no connection of its own."""

    name: DialectName

    def adapt(self, statement: str) -> str:
        """``statement`` written with ``?`` placeholders, as this backend's driver takes it."""
        return statement

    def time_in(self, t: datetime | None) -> Any:
        raise NotImplementedError

    def time_out(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)

    def json_in(self, value: Any) -> Any:
        raise NotImplementedError

    def json_out(self, value: Any) -> Any:
        raise NotImplementedError

    def hour_start_sql(self, column: str) -> str:
        """SQL of the start of the UTC clock hour holding time ``column`` (UTC whatever the session's zone)."""
        raise NotImplementedError

    def geometry_in_sql(self) -> str:
        """The SQL of one geometry value given as a GeoJSON text parameter."""
        raise NotImplementedError

    def geometry_params(self, geojson: dict[str, Any] | None) -> list[Any]:
        """Parameters of a geometry column: the GeoJSON, plus its bbox columns in SQLite."""
        raise NotImplementedError

    def geometry_select(self, column: str) -> str:
        raise NotImplementedError

    def geometry_out(self, value: Any) -> Any:
        return None if value is None else orjson.loads(value)

    def advisory_lock(self, conn: Conn, key: str) -> None:
        """Serialise the rest of the caller's transaction against others taking the same ``key``."""

    def __repr__(self) -> str:
        return f"<Dialect {self.name}>"


class PostgresDialect(Dialect):
    name: DialectName = "postgres"

    def adapt(self, statement: str) -> str:
        return statement.replace("%", "%%").replace("?", "%s")

    def time_in(self, t: datetime | None) -> Any:
        return t

    def json_in(self, value: Any) -> Any:
        return None if value is None else Jsonb(value)

    def json_out(self, value: Any) -> Any:
        return value

    def hour_start_sql(self, column: str) -> str:
        return f"date_trunc('hour', {column}, 'UTC')"

    def geometry_in_sql(self) -> str:
        return "ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)"

    def geometry_params(self, geojson: dict[str, Any] | None) -> list[Any]:
        return [None if geojson is None else orjson.dumps(geojson).decode()]

    def geometry_select(self, column: str) -> str:
        return f"ST_AsGeoJSON({column})"

    def advisory_lock(self, conn: Conn, key: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (key,))


class SQLiteDialect(Dialect):
    name: DialectName = "sqlite"

    def time_in(self, t: datetime | None) -> Any:
        if t is None:
            return None
        delta = t - EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

    def json_in(self, value: Any) -> Any:
        return None if value is None else orjson.dumps(value).decode()

    def json_out(self, value: Any) -> Any:
        return None if value is None else orjson.loads(value)

    def hour_start_sql(self, column: str) -> str:
        return f"({column} / 3600000000) * 3600000000"

    def geometry_in_sql(self) -> str:
        return "?"

    def geometry_params(self, geojson: dict[str, Any] | None) -> list[Any]:
        if geojson is None:
            return [None, None, None, None, None]
        text = orjson.dumps(geojson).decode()
        return [text, *shapely.bounds(shapely.from_geojson(text)).tolist()]

    def geometry_select(self, column: str) -> str:
        return column


POSTGRES = PostgresDialect()
SQLITE = SQLiteDialect()


class Conn:
    """A database connection that takes ``?`` placeholders on both backends.

    ``raw`` is the driver's own connection (sqlite3 or psycopg), for the bulk
    paths that need what only one driver has (``COPY``, ``executemany``).
    """

    def __init__(self, raw: Any, dialect: Dialect) -> None:
        self.raw = raw
        self.dialect = dialect

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.raw.execute(self.dialect.adapt(statement), params)
        except (sqlite3.Error, psycopg.Error) as exc:
            raise StoreError(f"the database failed: {str(exc).strip().splitlines()[0]}") from exc

    def __repr__(self) -> str:
        return f"<Conn {self.dialect.name}>"


__all__ = ["POSTGRES", "SQLITE", "Conn", "Dialect", "DialectName", "PostgresDialect", "SQLiteDialect"]
