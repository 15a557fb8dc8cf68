"""The production store: PostgreSQL + PostGIS behind the same interface as the GeoPackage store.

Connections come from a psycopg pool; each ``with store.transaction()`` is one
PostgreSQL transaction, so concurrent writers are safe (upserts use ``ON
CONFLICT``). Reads stream through server-side cursors. Geometry columns carry
GiST indexes, time columns B-tree indexes; a bbox query is ``&&`` on the index
plus an exact ``ST_Intersects``, both in SQL, so paging happens in SQL too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg_pool import ConnectionPool

from vkc.config import redact
from vkc.errors import CollectionNotFound, FeatureNotFound, InputError, StoreError
from vkc.store import postgis_schema
from vkc.store.base import Store
from vkc.store.model import Collection, EncodedBatch, Feature, FeatureBatch, Field, Query
from vkc.store.postgis_write import PostGISTransaction, encode_batch
from vkc.store.values import format_datetime, to_sql

LOGGER = logging.getLogger(__name__)
_FETCH = 2000


class PostGISStore(Store):
    """A store in a PostgreSQL database with PostGIS. Thread-safe."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 4) -> None:
        self.url = url
        try:  # one plain connection first: a wrong URL or a server that is down fails at once, clearly
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {redact(url)}: {str(exc).strip().splitlines()[0]}") from exc
        try:
            self._pool = ConnectionPool(url, min_size=min_size, max_size=max_size, open=False, kwargs={"autocommit": False})
            self._pool.open(wait=True, timeout=15)
        except psycopg.OperationalError as exc:
            raise StoreError(f"cannot connect to {redact(url)}: {str(exc).strip().splitlines()[0]}") from exc
        except Exception as exc:  # pool timeout: the server does not answer
            raise StoreError(f"cannot connect to {redact(url)}: {exc}") from exc
        self._closed = False
        try:
            with self._pool.connection() as conn:
                postgis_schema.check(conn, redact(url))
        except BaseException:
            self.close()
            raise

    @staticmethod
    def upgrade(url: str) -> int:
        """Run the schema migrations this version knows (idempotent); returns the schema version."""
        try:
            with psycopg.connect(url, connect_timeout=10) as conn:
                return postgis_schema.upgrade(conn)
        except psycopg.Error as exc:
            raise StoreError(f"cannot upgrade {redact(url)}: {str(exc).strip().splitlines()[0]}") from exc

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._pool.close()

    # -- reads -------------------------------------------------------------
    def collections(self) -> list[Collection]:
        with self._pool.connection() as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM vkc_collections ORDER BY name")]
            return [read_collection(conn, n, with_stats=True) for n in names]

    def collection(self, name: str) -> Collection:
        with self._pool.connection() as conn:
            return read_collection(conn, name, with_stats=True)

    def count(self, name: str, query: Query | None = None) -> int:
        query = query or Query()
        with self._pool.connection() as conn:
            coll = read_collection(conn, name)
            stmt, params = where_sql(coll, Query(bbox=query.bbox, where=query.where, time=query.time, ids=query.ids), select=sql.SQL("count(*)"))
            return int(conn.execute(stmt, params).fetchone()[0])

    def features(self, name: str, query: Query | None = None) -> Iterator[Feature]:
        query = query or Query()
        with self._pool.connection() as conn:
            coll = read_collection(conn, name)
            names = [f.name for f in coll.fields]
            select = sql.SQL(", ").join(
                [sql.SQL("t.vkc_id, ST_AsBinary(t.geom), t.vkc_time, t.vkc_time_end")]
                + [sql.SQL("t.{}").format(sql.Identifier(n)) for n in names]
            )
            stmt, params = where_sql(coll, query, select=select, order=True)
            with conn.transaction(), conn.cursor(name="vkc_features") as cur:  # server-side: streamed
                cur.itersize = _FETCH
                cur.execute(stmt, params)
                while True:
                    rows = cur.fetchmany(_FETCH)
                    if not rows:
                        break
                    geoms = shapely.from_wkb(np.array([None if r[1] is None else bytes(r[1]) for r in rows], dtype=object))
                    for row, geom in zip(rows, geoms.tolist()):
                        yield _row_feature(row, geom, coll.fields)

    def feature(self, name: str, feature_id: str) -> Feature:
        found = list(self.features(name, Query(ids=(feature_id,))))
        if not found:
            raise FeatureNotFound(f"no feature {feature_id!r} in collection {name!r}", collection=name, id=feature_id)
        return found[0]

    # -- writes ------------------------------------------------------------
    @property
    def encoder(self) -> Callable[[FeatureBatch], EncodedBatch]:
        return encode_batch

    @contextmanager
    def transaction(self) -> Iterator[PostGISTransaction]:
        try:
            with self._pool.connection() as conn, conn.transaction():
                tx = PostGISTransaction(conn)
                yield tx
                tx.finish()
        except psycopg.OperationalError as exc:
            raise StoreError(f"the database failed during a write: {str(exc).strip().splitlines()[0]}") from exc


def read_collection(conn: Any, name: str, *, with_stats: bool = False) -> Collection:
    row = conn.execute(
        "SELECT name, title, description, geometry_type, fields, metadata FROM vkc_collections WHERE name = %s", (name,)
    ).fetchone()
    if row is None:
        raise CollectionNotFound(f"no collection named {name!r}", collection=name)
    coll = Collection(
        name=row[0], title=row[1], description=row[2], geometry_type=row[3],
        fields=[Field(n, t) for n, t in row[4]], metadata=row[5],
    )
    if with_stats:
        t = sql.Identifier(name)
        coll.count = int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(t)).fetchone()[0])
        box = conn.execute(
            "SELECT min(min_x), min(min_y), max(max_x), max(max_y) FROM vkc_extent_log WHERE name = %s", (name,)
        ).fetchone()
        if box[0] is not None:
            coll.extent = tuple(box)
        tmin, tmax = conn.execute(sql.SQL("SELECT min(vkc_time), max(vkc_time_end) FROM {}").format(t)).fetchone()
        if tmin is not None or tmax is not None:
            coll.time_extent = (tmin, tmax)
    return coll


def where_sql(coll: Collection, query: Query, *, select: sql.Composable, order: bool = False) -> tuple[sql.Composed, list[Any]]:
    params: list[Any] = []
    clauses: list[sql.Composable] = []
    if query.bbox is not None:
        clauses.append(sql.SQL("t.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) AND ST_Intersects(t.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))"))
        params += [*query.bbox, *query.bbox]
    fields = coll.field_map()
    for cond in query.where:
        if cond.field == "id":
            column, ftype = sql.SQL("t.vkc_id"), "text"
        elif cond.field in fields:
            column, ftype = sql.SQL("t.{}").format(sql.Identifier(cond.field)), fields[cond.field].type
        else:
            raise InputError(
                f"collection {coll.name!r} has no property {cond.field!r}; properties: {', '.join(fields) or 'none'}",
                field=cond.field,
            )
        if cond.op == "is_null":
            clauses.append(sql.SQL("{} IS NULL").format(column))
        elif cond.op == "not_null":
            clauses.append(sql.SQL("{} IS NOT NULL").format(column))
        elif cond.op == "in":
            clauses.append(sql.SQL("{} = ANY(%s)").format(column))
            params.append([_param(v, ftype) for v in cond.value])
        elif cond.op == "like":
            clauses.append(sql.SQL("{} LIKE %s ESCAPE '\\'").format(column))
            params.append(cond.value)
        else:
            clauses.append(sql.SQL("{} " + cond.op + " %s").format(column))
            params.append(_param(cond.value, ftype))
    if query.ids is not None:
        clauses.append(sql.SQL("t.vkc_id = ANY(%s)"))
        params.append(list(query.ids))
    if query.time is not None:
        start, end = query.time
        clauses.append(sql.SQL("(t.vkc_time IS NOT NULL OR t.vkc_time_end IS NOT NULL)"))
        if start is not None:
            clauses.append(sql.SQL("t.vkc_time_end >= %s"))
            params.append(start)
        if end is not None:
            clauses.append(sql.SQL("(t.vkc_time IS NULL OR t.vkc_time <= %s)"))
            params.append(end)
    stmt = sql.SQL("SELECT {} FROM {} t").format(select, sql.Identifier(coll.name))
    if clauses:
        stmt = sql.SQL("{} WHERE {}").format(stmt, sql.SQL(" AND ").join(clauses))
    if order:
        stmt = sql.SQL("{} ORDER BY t.fid").format(stmt)
        if query.limit is not None:
            stmt = sql.SQL("{} LIMIT %s").format(stmt)
            params.append(query.limit)
        if query.offset:
            stmt = sql.SQL("{} OFFSET %s").format(stmt)
            params.append(query.offset)
    return stmt, params


def _param(value: Any, ftype: str) -> Any:
    if ftype == "json":
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return to_sql(value, ftype)


def _row_feature(row: tuple, geometry: Any, fields: list[Field]) -> Feature:
    props = {}
    for f, value in zip(fields, row[4:]):
        if isinstance(value, datetime):
            value = format_datetime(value)
        elif isinstance(value, date):
            value = value.isoformat()
        props[f.name] = value
    time, end = row[2], row[3]
    if end is not None and end == time:
        end = None  # an instant is stored with equal start and end
    return Feature(id=row[0], geometry=geometry, properties=props, time=time, time_end=end)


__all__ = ["PostGISStore"]
