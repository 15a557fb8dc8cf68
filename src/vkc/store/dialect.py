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
boolean         boolean                     INTEGER 0 / 1
advisory lock   ``pg_advisory_xact_lock``   none needed: one writer per file
==============  ==========================  ===========================================
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import psycopg
import shapely
from psycopg.types.json import Jsonb

from vkc.store.dialect_predicates import PostgresPredicates, PredicateSpelling, SQLitePredicates
from vkc.store.statement_limits import database_error

DialectName = Literal["postgres", "sqlite"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: the columns beside a geometry column in SQLite that hold its bounding box
BBOX_SUFFIXES = ("_minx", "_miny", "_maxx", "_maxy")


class Dialect(PredicateSpelling):
    """How one backend spells what differs between the two; pure: no connection of its own.

    The spelling of predicates (spatial tests, LIKE, feature times, JSON access …) is
    :class:`~vkc.store.dialect_predicates.PredicateSpelling`'s part of it.
    """

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

    def geometry_select(self, column: str, *, exact: bool = False) -> str:
        """The SQL reading geometry ``column`` as GeoJSON text; ``exact``: every coordinate as stored (not rounded for display)."""
        raise NotImplementedError

    def geometry_out(self, value: Any) -> Any:
        return None if value is None else orjson.loads(value)

    def geometry_columns(self, column: str) -> list[str]:
        """The columns a geometry column is stored in (itself, plus its bbox columns in SQLite), as ``geometry_params`` fills them."""
        return [column]

    def boolean_in(self, value: Any) -> Any:
        return None if value is None else bool(value)

    def boolean_out(self, value: Any) -> bool | None:
        return None if value is None else bool(value)

    def advisory_lock(self, conn: Conn, key: str) -> None:
        """Serialise the rest of the caller's transaction against others taking the same ``key``."""

    # -- what copying a table needs ------------------------------------------------------
    def table_columns(self, conn: Conn, table: str) -> dict[str, str]:
        """A table's columns in order, each with its type as the catalogue spells it (empty: no such table)."""
        raise NotImplementedError

    def kind_of_type(self, sqltype: str) -> str | None:
        """The kind of value (``time``, ``json``, ``geometry``, ``boolean``; ``""`` for any other) a column type holds,
        or None where the type does not tell (SQLite: INTEGER may hold times or booleans, TEXT JSON or geometries)."""
        return None

    def stream(self, conn: Conn, statement: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``statement`` in lists of at most ``size``, without holding them all in memory."""
        raise NotImplementedError

    def upsert_many(self, conn: Conn, upsert: Upsert, rows: Sequence[Sequence[Any]], *, fresh: bool = False) -> bool:
        """Insert ``rows``, or replace the stored rows with the same key, as ``upsert.sql()`` does one row.

        ``fresh``: the rows are probably all new (the table was empty), so a plain load is tried first where the
        backend has a faster one; returns whether it did the batch. The driver's errors are not wrapped: the caller finds the row.
        """
        raise NotImplementedError

    def advance_serial(self, conn: Conn, table: str, column: str) -> None:
        """Make the numbers the database gives ``column`` of new rows start past those stored (after rows came with theirs)."""

    def __repr__(self) -> str:
        return f"<Dialect {self.name}>"


class PostgresDialect(PostgresPredicates, Dialect):
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

    def geometry_select(self, column: str, *, exact: bool = False) -> str:
        # 9 decimals (PostGIS' default) for display; 20 lets each coordinate out in its shortest exact form
        return f"ST_AsGeoJSON({column}, 20)" if exact else f"ST_AsGeoJSON({column})"

    def advisory_lock(self, conn: Conn, key: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (key,))

    _KINDS = {"timestamptz": "time", "jsonb": "json", "geometry": "geometry", "bool": "boolean"}

    def table_columns(self, conn: Conn, table: str) -> dict[str, str]:
        rows = conn.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return dict(rows.fetchall())

    def kind_of_type(self, sqltype: str) -> str | None:
        return self._KINDS.get(sqltype, "")

    def stream(self, conn: Conn, statement: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        raw = conn.raw
        try:
            with raw.transaction(), raw.cursor(name="vkc_stream") as cur:  # server-side: one snapshot, streamed
                cur.itersize = size
                cur.execute(self.adapt(statement))
                while rows := cur.fetchmany(size):
                    yield rows
        except psycopg.Error as exc:
            raise database_error(exc) from exc

    def upsert_many(self, conn: Conn, upsert: Upsert, rows: Sequence[Sequence[Any]], *, fresh: bool = False) -> bool:
        # A fresh table whose values are plain: COPY straight in, under a savepoint (about twice the speed of the upsert).
        # A key already stored rolls the savepoint back, and the batch takes the upsert.
        names = ", ".join(upsert.columns)
        raw = conn.raw
        if fresh and all(v == "?" for v in upsert.values):
            raw.execute("SAVEPOINT vkc_upsert_direct")
            try:
                with raw.cursor() as cur, cur.copy(f"COPY {upsert.table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            except psycopg.errors.UniqueViolation:
                raw.execute("ROLLBACK TO SAVEPOINT vkc_upsert_direct")
            else:
                raw.execute("RELEASE SAVEPOINT vkc_upsert_direct")
                return True
        # COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT: many times faster than a statement per row.
        # A value given through an expression (a geometry from GeoJSON) is staged as the text its parameter is.
        types = self.table_columns(conn, upsert.table)
        pairs = list(zip(upsert.columns, upsert.values, strict=True))
        staged = ", ".join(f"{c} {types[c] if v == '?' else 'text'}" for c, v in pairs)
        exprs = ", ".join(c if v == "?" else v.replace("?", c) for c, v in pairs)
        raw.execute(f"CREATE TEMPORARY TABLE vkc_upsert_in ({staged}) ON COMMIT DROP")
        with raw.cursor() as cur, cur.copy(f"COPY vkc_upsert_in ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.execute(upsert.sql(select=f"SELECT {exprs} FROM vkc_upsert_in"))
        raw.execute("DROP TABLE vkc_upsert_in")
        return False

    def advance_serial(self, conn: Conn, table: str, column: str) -> None:
        # never backwards: numbers the target gave out before (rows deleted since) stay used
        conn.execute(
            f"SELECT setval(s.seq, greatest(m.top, coalesce(pg_sequence_last_value(s.seq), 0))) "
            f"FROM (SELECT pg_get_serial_sequence(?, ?)::regclass AS seq) s, (SELECT max({column}) AS top FROM {table}) m "
            "WHERE m.top IS NOT NULL",
            (table, column),
        )


class SQLiteDialect(SQLitePredicates, Dialect):
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

    def geometry_select(self, column: str, *, exact: bool = False) -> str:
        return column

    def geometry_columns(self, column: str) -> list[str]:
        return [column, *(column + s for s in BBOX_SUFFIXES)]

    def boolean_in(self, value: Any) -> Any:
        return None if value is None else int(bool(value))

    def table_columns(self, conn: Conn, table: str) -> dict[str, str]:
        return {name: sqltype for _, name, sqltype, *_ in conn.execute(f"PRAGMA table_info({table})").fetchall()}

    def stream(self, conn: Conn, statement: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        cur = conn.execute(statement)
        try:
            while rows := cur.fetchmany(size):
                yield rows
        except sqlite3.Error as exc:
            raise database_error(exc) from exc
        finally:
            cur.close()

    def upsert_many(self, conn: Conn, upsert: Upsert, rows: Sequence[Sequence[Any]], *, fresh: bool = False) -> bool:
        conn.raw.executemany(upsert.sql(), rows)  # one prepared statement: as fast as a plain load
        return False

    def advance_serial(self, conn: Conn, table: str, column: str) -> None:
        # Only AUTOINCREMENT tables keep a counter (sqlite_sequence); others number from max(rowid) anyway. SQLite
        # raises the counter itself when a row comes with a larger id; this makes sure of it, and never lowers it.
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").fetchone() is None:
            return
        (top,) = conn.execute(f"SELECT max({column}) FROM {table}").fetchone()
        if top is None:
            return
        if conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (top, table)).rowcount == 0:
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
            if sql is not None and "AUTOINCREMENT" in sql[0].upper():
                conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, top))


@dataclass(frozen=True)
class Upsert:
    """Rows of ``table`` inserted, or replacing the stored row with the same ``key``."""

    table: str
    columns: tuple[str, ...]
    #: the SQL of each column's value: ``?``, or an expression of one parameter (``geometry_in_sql``)
    values: tuple[str, ...]
    key: tuple[str, ...]

    def sql(self, *, select: str | None = None) -> str:
        """The statement of one row (or of the rows of ``select``); the same SQL on both backends."""
        updates = [f"{c} = excluded.{c}" for c in self.columns if c not in self.key]
        action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
        rows = select if select is not None else f"VALUES ({', '.join(self.values)})"
        return f"INSERT INTO {self.table} ({', '.join(self.columns)}) {rows} ON CONFLICT ({', '.join(self.key)}) {action}"


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
            raise database_error(exc) from exc

    def __repr__(self) -> str:
        return f"<Conn {self.dialect.name}>"


__all__ = ["BBOX_SUFFIXES", "POSTGRES", "SQLITE", "Conn", "Dialect", "DialectName", "PostgresDialect", "SQLiteDialect", "Upsert"]
