"""The production store: PostgreSQL + PostGIS behind the same interface as the GeoPackage store.

Connections come from a psycopg pool; each ``with store.transaction()`` is one
PostgreSQL transaction, so concurrent writers are safe (upserts use ``ON
CONFLICT``). Reads stream through server-side cursors. Geometry columns carry
GiST indexes, time columns B-tree indexes; a bbox query is ``&&`` on the index
plus an exact ``ST_Intersects``, both in SQL, so paging happens in SQL too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from vkc.config import redact
from vkc.errors import CollectionNotFound, FeatureNotFound, StoreError
from vkc.store import audit, indexes, migrations, postgis_schema
from vkc.store.base import Store
from vkc.store.dialect import POSTGRES, Conn
from vkc.store.model import Collection, EncodedBatch, Feature, FeatureBatch, Query, selected_fields
from vkc.store.postgis_read import feature_by_id_sql, joined_feature, read_collection, rows_features, select_list, where_sql
from vkc.store.postgis_tiles import mvt_statement
from vkc.store.postgis_write import PostGISTransaction, encode_batch
from vkc.store.statement_limits import postgres_options

if TYPE_CHECKING:
    from vkc.component import Component

LOGGER = logging.getLogger(__name__)
_FETCH = 2000
_COLLECTION_NAMES = "SELECT name FROM vkc_collections"
_INDEX_ROW_COST = 4  # reading a row through an index (and sorting it) against walking past one, roughly


class PostGISStore(Store):
    """A store in a PostgreSQL database with PostGIS. Thread-safe."""

    dialect = POSTGRES

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 4,
        components: Sequence[Component] | None = None,
        upgrade: bool = False,
        statement_timeout: float | None = None,
    ) -> None:
        """Connect; ``components`` default to the installed ones; ``upgrade`` applies pending migrations.

        ``statement_timeout``: seconds any one statement may run (PostgreSQL's ``statement_timeout``; None: no limit).
        """
        from vkc.component import installed

        self.url = url
        self.components = tuple(installed() if components is None else components)
        try:  # one plain connection first: a wrong URL or a server that is down fails at once, clearly
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {redact(url)}: {str(exc).strip().splitlines()[0]}") from exc
        try:
            limits = postgres_options(statement_timeout) if statement_timeout else {}
            self._pool = ConnectionPool(url, min_size=min_size, max_size=max_size, open=False, kwargs={"autocommit": False, **limits})
            self._pool.open(wait=True, timeout=15)
        except psycopg.OperationalError as exc:
            raise StoreError(f"cannot connect to {redact(url)}: {str(exc).strip().splitlines()[0]}") from exc
        except Exception as exc:  # pool timeout: the server does not answer
            raise StoreError(f"cannot connect to {redact(url)}: {exc}") from exc
        self._closed = False
        self._known_names: set[str] = set()  # read again whenever a name not in it is asked for
        self._estimates: dict[tuple[str, str], tuple[float, tuple[int, float, bool]]] = {}  # see _estimate
        self._async_pool = AsyncConnectionPool(url, min_size=min_size, max_size=max_size, open=False, kwargs={"autocommit": True, **limits})
        self._async_opened = False  # opened by the first async read, on the server's event loop
        self._async_opening = asyncio.Lock()
        try:
            #: each component's schema version in this database
            self.versions = self._migrate(upgrade)
        except BaseException:
            self.close()
            raise

    def _migrate(self, upgrade: bool) -> dict[str, int]:
        """Check the database's component versions; create a new database's tables, or upgrade an old one's if asked."""
        schemas = migrations.schemas(postgis_schema.MIGRATIONS, self.components, audit=audit.MIGRATIONS)
        legacy = postgis_schema.legacy_versions
        try:
            with self._pool.connection() as raw, raw.transaction():
                conn = Conn(raw, POSTGRES)
                versions = None if upgrade else migrations.check(conn, schemas, legacy, where=redact(self.url))
                if versions is not None:
                    return versions
                raw.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                raw.execute("SELECT pg_advisory_xact_lock(hashtext('vkc migrations'))")  # one upgrade at a time
                return migrations.upgrade(conn, schemas, legacy)
        except psycopg.Error as exc:
            raise StoreError(f"cannot upgrade {redact(self.url)}: {str(exc).strip().splitlines()[0]}") from exc

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._pool.close()

    @contextmanager
    def reading(self) -> Iterator[Conn]:
        with self._reading() as raw:
            yield Conn(raw, POSTGRES)

    @contextmanager
    def writing(self) -> Iterator[Conn]:
        with self._pool.connection() as raw:
            try:
                yield Conn(raw, POSTGRES)
                raw.commit()
            except BaseException:
                raw.rollback()
                raise

    # -- reads -------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection]:
        """A pooled connection in autocommit: a read costs no BEGIN and COMMIT round trips.

        Each statement sees its own snapshot; a read that needs one snapshot
        across statements opens ``conn.transaction()`` itself.
        """
        with self._pool.connection() as conn:
            conn.autocommit = True
            try:
                yield conn
            finally:
                if conn.pgconn.transaction_status == TransactionStatus.IDLE:
                    conn.autocommit = False  # else it was cut off mid-statement, and the pool discards it

    def collections(self, *, count: bool = True) -> list[Collection]:
        with self._reading() as conn:
            names = sorted(r[0] for r in conn.execute(_COLLECTION_NAMES))
            return [read_collection(conn, n, with_stats=True, with_count=count) for n in names]

    def collection(self, name: str, *, count: bool = True) -> Collection:
        with self._reading() as conn:
            return read_collection(conn, name, with_stats=True, with_count=count)

    def schema(self, name: str) -> Collection:
        with self._reading() as conn:
            return read_collection(conn, name)

    def collection_revision(self, name: str) -> str | None:
        """The clock time of the last transaction that wrote the collection's features (microseconds)."""
        with self._reading() as conn:
            row = conn.execute("SELECT updated FROM vkc_collections WHERE name = %s", (name,)).fetchone()
        return None if row is None else row[0].isoformat()

    def count(self, name: str | Collection, query: Query | None = None) -> int:
        query = query or Query()
        with self._reading() as conn:
            coll = name if isinstance(name, Collection) else read_collection(conn, name)
            stmt, params = where_sql(coll, replace(query, limit=None, offset=0, sort=()), select=sql.SQL("count(*)"))
            return int(_one(conn.execute(stmt, params))[0])

    #: above this planner cost an exact count is not made: the estimate is given (about a few ms of work)
    EXACT_COUNT_MAX_COST = 20_000.0

    def number_matched(self, name: str | Collection, query: Query, *, exact_up_to: int = 10_000) -> tuple[int, bool]:
        """Exact where that is cheap, PostgreSQL's estimate where it is not.

        The planner is asked first (EXPLAIN, well under a millisecond, and its answer
        kept a while, see ``_estimate``): if counting would cost more than
        ``EXACT_COUNT_MAX_COST`` or match more than ``exact_up_to`` rows, its row
        estimate is the answer (the table's statistics when there are no
        conditions); otherwise the rows are counted.
        """
        unpaged = replace(query, limit=None, offset=0, sort=(), properties=())
        with self._reading() as conn:
            coll = name if isinstance(name, Collection) else read_collection(conn, name)
            stmt, params = where_sql(coll, unpaged, select=sql.SQL("1"))
            rows, cost, _ = self._estimate(conn, stmt, params)
            if cost <= self.EXACT_COUNT_MAX_COST or rows <= exact_up_to // 10:
                bounded = sql.SQL("SELECT count(*) FROM ({} LIMIT %s) s").format(stmt)
                n = int(_one(conn.execute(bounded, [*params, exact_up_to + 1]))[0])
                if n <= exact_up_to:
                    return n, True
            if unpaged == Query():
                estimate = _one(conn.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (sql.Identifier(coll.name).as_string(conn),)))[0]
                if estimate >= 0:
                    return int(estimate), False
            return rows, False

    #: how long the planner's estimate of a query is kept (estimates only steer plans and flagged counts)
    ESTIMATE_SECONDS = 30.0

    def _estimate(self, conn: psycopg.Connection, stmt: sql.Composed, params: list[Any]) -> tuple[int, float, bool]:
        """The planner's rows and cost for ``stmt``, and whether it would find them through an index."""
        key = (stmt.as_string(conn), repr(params))
        now = time.monotonic()
        found = self._estimates.get(key)
        if found is not None and now - found[0] < self.ESTIMATE_SECONDS:
            return found[1]
        plan = _one(conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) {}").format(stmt), params))[0][0]["Plan"]
        nodes, uses_index = [plan], False
        while nodes:
            node = nodes.pop()
            uses_index = uses_index or "Index" in node["Node Type"]
            nodes.extend(node.get("Plans", ()))
        answer = (int(plan["Plan Rows"]), float(plan["Total Cost"]), uses_index)
        if len(self._estimates) >= 1024:
            self._estimates.clear()
        self._estimates[key] = (now, answer)
        return answer

    def _sort_matches(self, conn: psycopg.Connection, coll: Collection, query: Query) -> bool:
        """Whether a page of a filter is read faster by finding every match through a property index and sorting them.

        PostgreSQL, asked for the first rows in key order, walks the key's index and
        tests each row until the page is full, expecting the matches to be spread
        evenly; a selective filter (0.1 %) then reads a hundred thousand rows for a
        page of a hundred. Walking reads about (offset + limit) · total / matched
        rows, the index about ``matched`` at a few times the cost of each.
        """
        if query.limit is None or query.sort or query.ids is not None or (query.filter is None and not query.where) or not indexes.declared(coll):
            return False
        stmt, params = where_sql(coll, replace(query, limit=None, offset=0, properties=()), select=sql.SQL("1"))
        matched, _, through_index = self._estimate(conn, stmt, params)
        total, _, _ = self._estimate(conn, *where_sql(coll, Query(), select=sql.SQL("1")))
        return through_index and (query.offset + query.limit) * total >= _INDEX_ROW_COST * matched * matched

    def mvt(self, coll: Collection, z: int, x: int, y: int, *, properties: tuple[str, ...], extent: int, buffer: int, thin_cell: int) -> bytes:
        """One Mapbox Vector Tile of ``coll``, built by PostGIS (see :mod:`vkc.ogc.tiles` for the rules)."""
        stmt, params = mvt_statement(coll, properties, extent=extent, buffer=buffer, thin_cell=thin_cell)
        with self._reading() as conn:
            row = conn.execute(stmt, {**params, "z": z, "x": x, "y": y}).fetchone()
        return bytes(row[0]) if row and row[0] else b""

    def features(self, name: str | Collection, query: Query | None = None) -> Iterator[Feature]:
        query = query or Query()
        with self._reading() as conn:
            coll = name if isinstance(name, Collection) else read_collection(conn, name)
            fields = selected_fields(coll, query.properties)
            stmt, params = where_sql(coll, query, select=select_list(fields), order=True, sort_matches=self._sort_matches(conn, coll, query))
            small = query.ids is not None or (query.limit is not None and query.limit <= _FETCH)
            if small:  # a page: one round trip, no server-side cursor
                yield from rows_features(conn.execute(stmt, params, binary=True).fetchall(), fields)
                return
            with conn.transaction(), conn.cursor(name="vkc_features", binary=True) as cur:  # server-side: streamed
                cur.itersize = _FETCH
                cur.execute(stmt, params)
                while True:
                    rows = cur.fetchmany(_FETCH)
                    if not rows:
                        break
                    yield from rows_features(rows, fields)

    def feature(self, name: str, feature_id: str) -> Feature:
        """One feature in one round trip: its row joined to its collection's fields (no schema read first)."""
        with self._reading() as conn:
            if name not in self._known_names:
                self._learn_names(name, [r[0] for r in conn.execute(_COLLECTION_NAMES)])
            try:
                cur = conn.execute(feature_by_id_sql(name), (feature_id, name), binary=True)
                return self._found(name, feature_id, cur.fetchone(), cur.description)
            except psycopg.errors.UndefinedTable:  # dropped since the names were read
                return self._found(name, feature_id, None, None)

    async def feature_async(self, name: str, feature_id: str) -> Feature:
        """``feature`` with psycopg's async connections on the caller's event loop: no worker thread, no lock handed between threads."""
        if not self._async_opened:
            async with self._async_opening:  # the first requests arrive together
                if not self._async_opened:
                    await self._async_pool.open(wait=True, timeout=15)
                    self._async_opened = True
        async with self._async_pool.connection() as conn:
            if name not in self._known_names:
                self._learn_names(name, [r[0] for r in await (await conn.execute(_COLLECTION_NAMES)).fetchall()])
            try:
                cur = await conn.execute(feature_by_id_sql(name), (feature_id, name), binary=True)
                return self._found(name, feature_id, await cur.fetchone(), cur.description)
            except psycopg.errors.UndefinedTable:
                return self._found(name, feature_id, None, None)

    async def close_async(self) -> None:
        if self._async_opened:
            self._async_opened = False
            await self._async_pool.close()

    def _learn_names(self, name: str, names: list[str]) -> None:
        """Take the collection names just read; raise CollectionNotFound if ``name`` is not among them."""
        self._known_names = set(names)
        if name not in self._known_names:
            raise CollectionNotFound(f"no collection named {name!r}", collection=name)

    def _found(self, name: str, feature_id: str, row: tuple[Any, ...] | None, description: Any) -> Feature:
        """The feature of a ``feature_by_id_sql`` row, or the error its absence means."""
        if row is None:  # the collection is gone
            self._known_names.discard(name)
            raise CollectionNotFound(f"no collection named {name!r}", collection=name)
        found = joined_feature(row, [c.name for c in description])
        if found is None:
            raise FeatureNotFound(f"no feature {feature_id!r} in collection {name!r}", collection=name, id=feature_id)
        return found

    # -- records -----------------------------------------------------------
    def put_record(self, kind: str, key: str, value: dict[str, Any], *, change: audit.Change | None = None) -> None:
        with self.transaction() as tx:
            tx.conn.execute(
                "INSERT INTO vkc_records (kind, key, value) VALUES (%s, %s, %s) "
                "ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value, updated = now()",
                (kind, key, Jsonb(value)),
            )
            if change is not None:
                tx.record(change)

    def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._reading() as conn:
            row = conn.execute("SELECT value FROM vkc_records WHERE kind = %s AND key = %s", (kind, key)).fetchone()
        return None if row is None else row[0]

    def delete_record(self, kind: str, key: str) -> bool:
        with self.transaction() as tx:
            deleted: int = tx.conn.execute("DELETE FROM vkc_records WHERE kind = %s AND key = %s", (kind, key)).rowcount
        return deleted > 0

    def records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        with self._reading() as conn:
            return [(k, v) for k, v in conn.execute("SELECT key, value FROM vkc_records WHERE kind = %s ORDER BY key", (kind,))]

    def record_kinds(self) -> list[str]:
        with self._reading() as conn:
            return [k for (k,) in conn.execute("SELECT DISTINCT kind FROM vkc_records ORDER BY kind")]

    def put_records(self, kind: str, records: Iterable[tuple[str, dict[str, Any]]]) -> int:
        written = 0
        with self.transaction() as tx:
            for key, value in records:
                written += tx.conn.execute(
                    "INSERT INTO vkc_records (kind, key, value) VALUES (%s, %s, %s) "
                    "ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value, updated = now() "
                    "WHERE vkc_records.value IS DISTINCT FROM EXCLUDED.value",
                    (kind, key, Jsonb(value)),
                ).rowcount
        return written

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


def _one(cursor: psycopg.Cursor[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The row of a statement that always returns exactly one (an aggregate, EXPLAIN)."""
    row = cursor.fetchone()
    assert row is not None, "the statement returned no row"
    return row


__all__ = ["PostGISStore"]
