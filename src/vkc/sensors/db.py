"""One way into either store's database for the SensorThings tables.

SQL here is written once with ``?`` placeholders; :class:`SensorDb` adapts it
to psycopg (``%s``) for PostgreSQL. Values cross the boundary through the
dialect's converters: times are ``timestamptz`` in PostgreSQL and integer
microseconds (UTC) in SQLite; JSON is ``jsonb`` or text; geometries are
PostGIS geometries or GeoJSON text with a bounding box beside it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
import shapely
from psycopg.types.json import Jsonb

from vkc.errors import StoreError
from vkc.sensors.schema import Dialect
from vkc.store.gpkg import GeoPackageStore

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Conn:
    """A connection that takes ``?`` placeholders on both databases."""

    def __init__(self, raw: Any, dialect: Dialect) -> None:
        self.raw = raw
        self.dialect = dialect

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        if self.dialect == "postgres":
            statement = statement.replace("%", "%%").replace("?", "%s")
        try:
            return self.raw.execute(statement, params)
        except (sqlite3.Error, psycopg.Error) as exc:
            raise StoreError(f"the database failed: {str(exc).strip().splitlines()[0]}") from exc


class SensorDb:
    """Reads and transactions on the store's database, for the SensorThings tables."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.dialect: Dialect = "sqlite" if isinstance(store, GeoPackageStore) else "postgres"

    @contextmanager
    def reading(self) -> Iterator[Conn]:
        if self.dialect == "sqlite":
            yield Conn(self.store._reader(), "sqlite")
            return
        with self.store._reading() as raw:  # autocommit: no BEGIN/ROLLBACK round trips around a read
            yield Conn(raw, "postgres")

    @contextmanager
    def writing(self) -> Iterator[Conn]:
        """One transaction: committed when the block ends, rolled back on any error."""
        if self.dialect == "sqlite":
            with self.store.transaction():
                yield Conn(self.store._writer, "sqlite")
            return
        with self.store._pool.connection() as raw:
            try:
                yield Conn(raw, "postgres")
                raw.commit()
            except BaseException:
                raw.rollback()
                raise

    # -- values ------------------------------------------------------------
    def time_in(self, t: datetime | None) -> Any:
        if t is None:
            return None
        if self.dialect == "postgres":
            return t
        delta = t - EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

    def time_out(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)

    def json_in(self, value: Any) -> Any:
        if value is None:
            return None
        if self.dialect == "postgres":
            return Jsonb(value)
        return orjson.dumps(value).decode()

    def json_out(self, value: Any) -> Any:
        if value is None or self.dialect == "postgres":
            return value
        return orjson.loads(value)

    def hour_start_sql(self, column: str) -> str:
        """SQL of the start of the UTC clock hour holding time ``column`` (UTC whatever the session's zone)."""
        if self.dialect == "postgres":
            return f"date_trunc('hour', {column}, 'UTC')"
        return f"({column} / 3600000000) * 3600000000"

    def geometry_in_sql(self) -> str:
        """The SQL of one geometry value given as a GeoJSON text parameter."""
        return "ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)" if self.dialect == "postgres" else "?"

    def geometry_params(self, geojson: dict | None) -> list[Any]:
        """Parameters of a geometry column: the GeoJSON, plus its bbox columns in SQLite."""
        text = None if geojson is None else orjson.dumps(geojson).decode()
        if self.dialect == "postgres":
            return [text]
        if text is None:
            return [None, None, None, None, None]
        return [text, *shapely.bounds(shapely.from_geojson(text)).tolist()]

    def geometry_select(self, column: str) -> str:
        return f"ST_AsGeoJSON({column})" if self.dialect == "postgres" else column

    def geometry_out(self, value: Any) -> Any:
        return None if value is None else orjson.loads(value)
