"""The embedded store: one SQLite file in GeoPackage 1.3 layout that GDAL and QGIS open as-is.

Design:

- **One writer.** All writes of a process go through one connection guarded
  by a lock, each ``with store.transaction()`` block is one ``BEGIN
  IMMEDIATE`` transaction; other processes wait on SQLite's lock (busy
  timeout). Readers use one read-only connection per thread and run
  concurrently with the writer (WAL).
- **R*Tree in step.** Each feature table has the GeoPackage R*Tree index and
  its standard triggers, so other writers (GDAL, QGIS) keep it in step. Our
  own writes of many features drop the per-row write triggers, maintain the
  index in bulk from bounds computed vectorised (an empty index is packed in
  one go, :mod:`vkc.store.rtree_bulk`), and recreate the triggers before
  commit: the triggers would call ``ST_MinX`` and friends once per row. Writes
  of a few features (under ``gpkg_write.BULK_ROWS``) leave it to the triggers,
  whose functions the writer connection defines: dropping and recreating
  triggers changes the file's schema, and readers mid-query fail when it does.
- **Modules.** Reads build SQL in :mod:`vkc.store.gpkg_read`, writes live in
  :mod:`vkc.store.gpkg_write`, DDL in :mod:`vkc.store.gpkg_schema`.
- **Ids.** ``fid`` is GeoPackage's integer key; the feature id the platform
  speaks is the unique text column ``vkc_id``. Upserts keep the ``fid``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import shapely

from vkc.errors import FeatureNotFound, InputError, StoreError
from vkc.store import audit, gpkg_binary, gpkg_schema, gpkg_tiles, indexes, migrations, sqlite_spatial
from vkc.store.base import Store
from vkc.store.dialect import SQLITE, Conn
from vkc.store.gpkg_read import read_collection, row_feature, select_list, where_sql
from vkc.store.gpkg_write import GeoPackageTransaction, encode_batch
from vkc.store.model import Collection, EncodedBatch, Feature, FeatureBatch, Query, selected_fields
from vkc.store.statement_limits import StatementClock, database_error

if TYPE_CHECKING:
    from vkc.component import Component

LOGGER = logging.getLogger(__name__)
_FETCH = 2000
_EPS = 1e-4  # well above the R*Tree's 32-bit rounding (about 1e-5 degrees at Vietnam's longitudes)
_INDEX_ROW_COST = 4  # reading a row through an index (and sorting it) against scanning past one, roughly
_COUNTS_KEPT = 256  # remembered counts per reader thread; all are forgotten when the file changes
_SPARE_STREAM_READERS = 8  # connections kept for streamed reads once their stream has ended


def _connect(
    path: str, *, readonly: bool, functions: Sequence[Callable[[sqlite3.Connection], None]] = (), statement_timeout: float | None = None
) -> sqlite3.Connection:
    if readonly:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30)
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA cache_size = -16384")
    sqlite_spatial.register(conn)
    if not readonly:
        gpkg_binary.register_trigger_functions(conn)  # small writes leave the R*Tree to its triggers (gpkg_write.BULK_ROWS)
    for register in functions:
        register(conn)
    if statement_timeout:
        StatementClock(statement_timeout).install(conn)
    return conn


class GeoPackageStore(Store):
    """A store in one GeoPackage file. Thread-safe; one writer at a time, readers concurrent."""

    dialect = SQLITE

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        components: Sequence[Component] | None = None,
        upgrade: bool = False,
        statement_timeout: float | None = None,
    ) -> None:
        """Open (or create) the file; ``components`` default to the installed ones; ``upgrade`` applies pending migrations.

        ``statement_timeout``: seconds one read statement may keep the database busy (None: no limit; writes have none).
        """
        from vkc.component import installed

        self.path = os.fspath(path)
        self.url = self.path
        self.statement_timeout = statement_timeout
        self.components = tuple(installed() if components is None else components)
        self._functions = [c.sqlite_functions for c in self.components if c.sqlite_functions is not None]
        exists = os.path.exists(self.path)
        if not exists and not create:
            raise InputError(f"store {self.path} does not exist", field="db")
        if exists and os.path.getsize(self.path) > 0:
            with open(self.path, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise InputError(f"{self.path} is not a GeoPackage (not an SQLite file)", field="db")
        parent = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(parent):
            raise InputError(f"cannot create store {self.path}: folder {parent} does not exist", field="db")
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._spare_stream_readers: list[sqlite3.Connection] = []
        self._current_tx: GeoPackageTransaction | None = None  # the open transaction() on the writer
        try:
            self._writer = _connect(self.path, readonly=False, functions=self._functions)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"cannot open store {self.path}: {exc}", field="db") from exc
        try:
            _refuse_foreign_database(self._writer, self.path)
            self._writer.execute("PRAGMA journal_mode = WAL")
            self._writer.execute("PRAGMA synchronous = NORMAL")
            #: each component's schema version in this file
            self.versions = self._migrate(upgrade)
        except sqlite3.DatabaseError as exc:
            self._writer.close()
            raise InputError(f"cannot open store {self.path}: {exc}", field="db") from exc
        except BaseException:
            self._writer.close()
            raise
        self._closed = False

    def _migrate(self, upgrade: bool) -> dict[str, int]:
        """Check the file's component versions; create a new file's tables, or upgrade an old one's if asked.

        Opening a current file only reads: no write lock is taken and nothing is committed, so other
        connections' ``PRAGMA data_version`` (and the counts remembered by it) stay as they are.
        """
        schemas = migrations.schemas(gpkg_schema.MIGRATIONS, self.components, audit=audit.MIGRATIONS)
        conn = Conn(self._writer, SQLITE)
        with self._write_lock:
            if not upgrade:
                versions = migrations.check(conn, schemas, gpkg_schema.legacy_versions, where=self.path)
                if versions is not None and gpkg_schema.is_prepared(self._writer):
                    return versions
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                versions = migrations.upgrade(conn, schemas, gpkg_schema.legacy_versions)
                gpkg_schema.prepare_file(self._writer)
                self._writer.execute("COMMIT")
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
        return versions

    # -- connections -------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._new_reader()
        return conn

    def _new_reader(self) -> sqlite3.Connection:
        """A read-only connection, closed with the store."""
        conn = _connect(self.path, readonly=True, functions=self._functions, statement_timeout=self.statement_timeout)
        with self._readers_lock:
            self._readers.append(conn)
        return conn

    def close(self) -> None:
        if getattr(self, "_closed", True):
            return
        self._closed = True
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._spare_stream_readers.clear()
        with self._write_lock:
            try:
                self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError:
                pass  # another process holds the database; the WAL is checkpointed later
            self._writer.close()

    @contextmanager
    def reading(self) -> Iterator[Conn]:
        yield Conn(self._reader(), SQLITE)

    @contextmanager
    def writing(self) -> Iterator[Conn]:
        with self.transaction():
            yield Conn(self._writer, SQLITE)

    # -- reads -------------------------------------------------------------
    def collections(self, *, count: bool = True) -> list[Collection]:
        rows = self._reader().execute("SELECT name FROM vkc_collections ORDER BY name").fetchall()
        return [self.collection(name, count=count) for (name,) in rows]

    def collection(self, name: str, *, count: bool = True) -> Collection:
        coll = read_collection(self._reader(), name, with_stats=True, with_count=False)
        if count:
            coll.count = self.count(coll)
        return coll

    def schema(self, name: str) -> Collection:
        return read_collection(self._reader(), name)

    def collection_revision(self, name: str) -> str | None:
        """The platform's change time of the collection and GeoPackage's own (``last_change``, which GDAL keeps too)."""
        row = self._reader().execute(
            "SELECT c.updated, g.last_change FROM vkc_collections c JOIN gpkg_contents g ON g.table_name = c.name WHERE c.name = ?", (name,)
        ).fetchone()
        return None if row is None else f"{row[0]}|{row[1]}"

    def count(self, name: str | Collection, query: Query | None = None) -> int:
        """How many features match; remembered until the file changes (any writer, any process: see ``_counts``)."""
        conn = self._reader()
        coll = name if isinstance(name, Collection) else read_collection(conn, name)
        unpaged = replace(query or Query(), limit=None, offset=0, sort=(), properties=())
        sql, params = where_sql(coll, unpaged, select="count(*)")
        key = (coll.name, unpaged.bbox, sql, tuple(params))
        counts = self._counts(conn)  # before counting: a write committed meanwhile changes the version again
        found = counts.get(key)
        if found is None:
            found = counts[key] = self._count_now(conn, coll, unpaged, sql, params)
        return found

    def _counts(self, conn: sqlite3.Connection) -> dict[tuple[Any, ...], int]:
        """This thread's remembered counts, valid for the file as this connection now sees it.

        ``PRAGMA data_version`` changes whenever another connection, in this process or
        another (GDAL, QGIS, a second server worker), has committed to the file since this
        connection last looked; readers never write, so every commit counts. The value is
        each connection's own, hence one set of counts per reader connection (per thread).
        """
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        local = self._local
        if getattr(local, "counts_version", None) != version or len(local.counts) >= _COUNTS_KEPT:
            local.counts_version = version
            local.counts = {}
        counts: dict[tuple[Any, ...], int] = local.counts
        return counts

    def _count_now(self, conn: sqlite3.Connection, coll: Collection, query: Query, sql: str, params: list[Any]) -> int:
        if query.bbox is None:
            return int(conn.execute(sql, params).fetchone()[0])
        # The R*Tree keeps 32-bit boxes rounded outwards: entries whose box lies inside the query box
        # certainly match; only those on its border need the exact geometry test.
        minx, miny, maxx, maxy = query.bbox
        inner = (minx + _EPS, miny + _EPS, maxx - _EPS, maxy - _EPS)
        sure = 0
        if inner[0] <= inner[2] and inner[1] <= inner[3]:
            sql, params = where_sql(coll, query, select="count(*)", inside=inner)
            sure = int(conn.execute(sql, params).fetchone()[0])
        return sure + sum(1 for _ in self._select(conn, coll, query, outside=inner if sure else None))

    def features(self, name: str | Collection, query: Query | None = None) -> Iterator[Feature]:
        coll = name if isinstance(name, Collection) else read_collection(self._reader(), name)
        return self._streamed(coll, query or Query())

    def _streamed(self, coll: Collection, query: Query) -> Iterator[Feature]:
        """Features read on a connection of the stream's own for as long as it is read.

        An SQLite statement in progress holds its connection's snapshot: on the thread's reader, a
        stream left open (a page being sent, in steps that may run on other threads) made every later
        read on that thread see the store as it was when the stream began: a feature or user just
        made answered 404 to the client that made it.
        """
        with self._stream_reader() as conn:
            yield from self._select(conn, coll, query)

    @contextmanager
    def _stream_reader(self) -> Iterator[sqlite3.Connection]:
        """A reader of one stream's own, a spare one if there is one; kept as a spare afterwards (8 at most)."""
        with self._readers_lock:
            conn = self._spare_stream_readers.pop() if self._spare_stream_readers else None
        conn = conn or self._new_reader()
        try:
            yield conn
        finally:
            with self._readers_lock:
                if getattr(self, "_closed", False):
                    pass  # closed with the store
                elif len(self._spare_stream_readers) < _SPARE_STREAM_READERS:
                    self._spare_stream_readers.append(conn)
                else:
                    self._readers.remove(conn)
                    conn.close()

    def feature(self, name: str, feature_id: str) -> Feature:
        found = list(self.features(name, Query(ids=(feature_id,))))
        if not found:
            raise FeatureNotFound(f"no feature {feature_id!r} in collection {name!r}", collection=name, id=feature_id)
        return found[0]

    def thinned_points(
        self, coll: Collection, z: int, x: int, y: int, *, bbox: tuple[float, float, float, float], properties: tuple[str, ...], extent: int, cell: int
    ) -> list[Feature]:
        """The points of ``bbox`` (tile ``z/x/y`` grown by its buffer) that may stand for their cells of ``cell`` tile units,
        in row order: among them, the lowest row key of every cell (see :mod:`vkc.store.gpkg_tiles`). Read in one snapshot."""
        if coll.geometry_type != "POINT":
            raise InputError(f"{coll.name!r} holds {coll.geometry_type} geometries: only a POINT layer is thinned in SQL")
        sql, params = gpkg_tiles.candidates_sql(gpkg_schema.rtree_name(coll.name), z, x, y, bbox, extent=extent, cell=cell)
        with self._stream_reader() as conn:
            conn.execute("BEGIN")
            try:
                try:
                    keys = [row[0] for row in conn.execute(sql, params)]
                except sqlite3.OperationalError as exc:
                    raise database_error(exc, f"tile of {coll.name!r}") from exc
                return list(self._select(conn, coll, Query(bbox=bbox, properties=properties), row_keys=orjson.dumps(keys).decode()))
            finally:
                conn.execute("COMMIT")

    def _select(
        self,
        conn: sqlite3.Connection,
        coll: Collection,
        query: Query,
        *,
        outside: tuple[float, float, float, float] | None = None,
        row_keys: str | None = None,
    ) -> Iterator[Feature]:
        exact = query.bbox is not None
        fields = selected_fields(coll, query.properties)
        select = select_list(fields)
        # The R*Tree only narrows a bbox down (its boxes are 32-bit); the exact test runs here, after SQL,
        # so paging is applied here too.
        sql_query = replace(query, limit=None, offset=0) if exact else query
        scan = self._scan_in_order(coll, query)
        sql, params = where_sql(coll, sql_query, select=select, order=True, outside=outside, not_indexed=scan, row_keys=row_keys)
        try:
            cursor = conn.execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise database_error(exc, f"query on {coll.name!r}") from exc
        types = [f.type for f in fields]
        names = [f.name for f in fields]
        box = shapely.box(*query.bbox) if query.bbox is not None else None  # exactly when ``exact``
        skip = query.offset if exact else 0
        remaining = query.limit if exact else None
        while True:
            rows = cursor.fetchmany(_FETCH)
            if not rows:
                return
            geoms = gpkg_binary.decode([r[2] for r in rows])
            keep = shapely.intersects(geoms, box) if box is not None else None
            for i, row in enumerate(rows):
                if keep is not None and not keep[i]:
                    continue
                if skip:
                    skip -= 1
                    continue
                if remaining is not None:
                    if remaining <= 0:
                        return
                    remaining -= 1
                yield row_feature(row, geoms[i], names, types)

    def _scan_in_order(self, coll: Collection, query: Query) -> bool:
        """Whether a page of a filter is read faster by scanning the table in its order than through a property index.

        SQLite, without statistics, takes any index it can for an equality: right for
        a selective filter, but a filter that matches many rows fills a page from the
        first rows it scans, while the index would read (and sort) every match. With
        the count known (and remembered, see ``count``): scanning reads about
        (offset + limit) · total / matched rows, the index about ``matched`` at a few
        times the cost of each.
        """
        if query.limit is None or query.bbox is not None or query.time is not None or query.ids is not None or query.sort:
            return False
        if (query.filter is None and not query.where) or not indexes.declared(coll):
            return False
        matched = self.count(coll, query)
        return (query.offset + query.limit) * self.count(coll) < _INDEX_ROW_COST * matched * matched

    # -- records -----------------------------------------------------------
    def put_record(self, kind: str, key: str, value: dict[str, Any], *, change: audit.Change | None = None) -> None:
        with self.transaction() as tx:
            self._writer.execute(
                "INSERT OR REPLACE INTO vkc_records (kind, key, value, updated) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                (kind, key, orjson.dumps(value).decode()),
            )
            if change is not None:
                tx.record(change)

    def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        row = self._reader().execute("SELECT value FROM vkc_records WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None else orjson.loads(row[0])

    def delete_record(self, kind: str, key: str) -> bool:
        with self.transaction():
            return self._writer.execute("DELETE FROM vkc_records WHERE kind = ? AND key = ?", (kind, key)).rowcount > 0

    def records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        rows = self._reader().execute("SELECT key, value FROM vkc_records WHERE kind = ? ORDER BY key", (kind,))
        return [(k, orjson.loads(v)) for k, v in rows]

    def record_kinds(self) -> list[str]:
        return [k for (k,) in self._reader().execute("SELECT DISTINCT kind FROM vkc_records ORDER BY kind")]

    def put_records(self, kind: str, records: Iterable[tuple[str, dict[str, Any]]]) -> int:
        written = 0
        with self.transaction():
            for key, value in records:
                written += self._writer.execute(
                    "INSERT INTO vkc_records (kind, key, value, updated) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now')) "
                    "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated = excluded.updated "
                    "WHERE json(value) IS NOT json(excluded.value)",
                    (kind, key, orjson.dumps(value).decode()),
                ).rowcount
        return written

    # -- writes ------------------------------------------------------------
    @property
    def encoder(self) -> Callable[[FeatureBatch], EncodedBatch]:
        return encode_batch

    @contextmanager
    def transaction(self) -> Iterator[GeoPackageTransaction]:
        with self._write_lock:
            conn = self._writer
            if conn.in_transaction:  # nested use inside an open transaction: join it
                assert self._current_tx is not None, "the writer is in a transaction that transaction() did not open"
                yield self._current_tx
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"store {self.path} is busy or read-only: {exc}") from exc
            tx = GeoPackageTransaction(conn)
            self._current_tx = tx
            try:
                yield tx
                tx.finish()
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._current_tx = None


_GPKG_APPLICATION_IDS = {0x47504B47, 0x47503130, 0x47503131}  # 'GPKG', and 'GP10'/'GP11' of GeoPackage 1.0/1.1


def _refuse_foreign_database(conn: sqlite3.Connection, path: str) -> None:
    """Never add GeoPackage tables to somebody else's SQLite database."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id in _GPKG_APPLICATION_IDS:
        return
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "gpkg_contents" not in tables:
        raise InputError(f"{path} is an SQLite database but not a GeoPackage; choose another file for the store", field="db")


__all__ = ["GeoPackageStore", "GeoPackageTransaction", "encode_batch"]
