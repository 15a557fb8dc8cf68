"""Writing a GeoPackage store: transactions, upserts with the R*Tree kept in step, schema changes."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import shapely

from vkc.errors import ConflictError, InputError
from vkc.store import gpkg_binary, gpkg_schema, indexes, rtree_bulk
from vkc.store.base import Transaction
from vkc.store.checks import (
    check_field_names,
    column_to_sql,
    columns_of,
    plan_fields,
)
from vkc.store.dialect import SQLITE
from vkc.store.gpkg_read import read_collection, row_feature, select_list, where_sql
from vkc.store.gpkg_schema import q, rtree_name
from vkc.store.model import Collection, EncodedBatch, Feature, FeatureBatch, Field, Query, WriteResult, check_collection_name
from vkc.store.values import SQL_TYPES, format_datetime

#: a write of fewer features than this, into a table with an index already (the first rows are packed in bulk)
#: that no bigger write of the same transaction has taken over, leaves the R*Tree to the GeoPackage's own
#: triggers. A bigger one drops their write triggers, keeps the index itself and recreates them at commit:
#: each of those changes the file's schema, and a reader on another connection whose query is under way then
#: fails with "database schema has changed" (one POST of a feature at a time under load did it, bench/run_load.py).
BULK_ROWS = 1000


def _now() -> str:
    return format_datetime(datetime.now(UTC))


class GeoPackageTransaction(Transaction):
    """Writes inside one ``BEGIN IMMEDIATE`` transaction of a :class:`GeoPackageStore`."""

    dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._bulk_tables: set[str] = set()
        self._touched: dict[str, list[float]] = {}
        self._shrunk: set[str] = set()
        #: the collections whose features this transaction wrote or deleted (their revision changes)
        self._written: set[str] = set()
        self._next_fid: dict[str, int] = {}
        self._staged: dict[str, rtree_bulk.Staging] = {}  # tables whose R*Tree is bulk-loaded at commit

    # -- collections ---------------------------------------------------------
    def _collection(self, name: str) -> Collection:
        return read_collection(self.conn, name)

    def feature_for_update(self, name: str, feature_id: str) -> Feature | None:
        # BEGIN IMMEDIATE already holds the database's write lock
        coll = self._collection(name)
        sql, params = where_sql(coll, Query(ids=(feature_id,)), select=select_list(coll.fields))
        row = self.conn.execute(sql, params).fetchone()
        if row is None:
            return None
        return row_feature(row, gpkg_binary.decode_one(row[2]), [f.name for f in coll.fields], [f.type for f in coll.fields])

    def collection(self, name: str) -> Collection:
        return read_collection(self.conn, name, with_stats=True)

    def create_collection(self, collection: Collection, *, exist_ok: bool = False) -> Collection:
        name = check_collection_name(collection.name)
        exists = self.conn.execute("SELECT 1 FROM gpkg_contents WHERE lower(table_name) = lower(?)", (name,)).fetchone()
        if exists:
            if not exist_ok:
                raise ConflictError(f"collection {name!r} exists already", collection=name)
            current = self._collection(name)
            if collection.geometry_type != current.geometry_type and collection.geometry_type != "GEOMETRY":
                raise ConflictError(
                    f"collection {name!r} holds {current.geometry_type} geometries, not {collection.geometry_type}",
                    collection=name,
                )
            self.add_fields(name, collection.fields)
            self._update_descriptive(name, collection)
            return self._collection(name)
        check_field_names(collection.fields)
        now = _now()
        gpkg_schema.create_feature_table(
            self.conn, name, collection.geometry_type, [(f.name, SQL_TYPES[f.type]) for f in collection.fields]
        )
        if any(f.type == "json" for f in collection.fields):
            gpkg_schema.declare_json_columns(self.conn, name, {f.name: True for f in collection.fields if f.type == "json"})
        self.conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) "
            "VALUES (?, 'features', ?, ?, ?, ?)",
            (name, name, collection.title or collection.description, now, gpkg_binary.SRS_ID_WGS84),
        )
        self.conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)",
            (name, collection.geometry_type, gpkg_binary.SRS_ID_WGS84),
        )
        self.conn.execute(
            "INSERT INTO vkc_collections VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                collection.title,
                collection.description,
                collection.geometry_type,
                orjson.dumps([[f.name, f.type] for f in collection.fields]).decode(),
                orjson.dumps(indexes.with_declared(collection.metadata, []), default=str).decode(),
                now,
                now,
            ),
        )
        return self._collection(name)

    def _update_descriptive(self, name: str, collection: Collection) -> None:
        if collection.title:
            self.conn.execute("UPDATE vkc_collections SET title = ? WHERE name = ?", (collection.title, name))
            self.conn.execute("UPDATE gpkg_contents SET description = ? WHERE table_name = ?", (collection.title, name))
        if collection.description:
            self.conn.execute("UPDATE vkc_collections SET description = ? WHERE name = ?", (collection.description, name))
        if collection.metadata:
            self.set_metadata(name, collection.metadata)

    def drop_collection(self, name: str) -> None:
        self._collection(name)
        gpkg_schema.drop_feature_table(self.conn, name)
        self._staged.pop(name, None)
        self._bulk_tables.discard(name)
        self._next_fid.pop(name, None)
        self._touched.pop(name, None)

    def set_metadata(self, name: str, metadata: dict[str, Any]) -> None:
        current = self._collection(name)
        self._write_metadata(name, indexes.with_declared(metadata, indexes.declared(current)))

    def _write_metadata(self, name: str, metadata: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE vkc_collections SET metadata = ?, updated = ? WHERE name = ?",
            (orjson.dumps(metadata, default=str).decode(), _now(), name),
        )

    def _create_index(self, coll: Collection, properties: tuple[str, ...]) -> None:
        gpkg_schema.create_property_index(self.conn, coll.name, properties)

    def _drop_index(self, coll: Collection, properties: tuple[str, ...]) -> None:
        self.conn.execute(f"DROP INDEX IF EXISTS {q(indexes.index_name(coll.name, properties))}")

    def add_fields(self, name: str, fields: Iterable[Field]) -> None:
        coll = self._collection(name)
        added, widened, schema = plan_fields(coll, fields)
        for f in added:
            self.conn.execute(f"ALTER TABLE {q(name)} ADD COLUMN {q(f.name)} {SQL_TYPES[f.type]}")
        self.conn.execute(
            "UPDATE vkc_collections SET fields = ? WHERE name = ?",
            (orjson.dumps([[f.name, f.type] for f in schema]).decode(), name),
        )
        was_json = {f.name for f in coll.fields if f.type == "json"}
        json_now = {f.name: f.type == "json" for f in schema if f.type == "json" or f.name in was_json}
        if json_now:
            gpkg_schema.declare_json_columns(self.conn, name, json_now)
        if widened:
            self._rebuild_table(name, schema)

    def _change_geometry_type(self, coll: Collection, geometry_type: str, *, promote: bool) -> None:
        name = coll.name
        if promote:
            self._promote_stored(name)
        self.conn.execute("UPDATE vkc_collections SET geometry_type = ? WHERE name = ?", (geometry_type, name))
        self.conn.execute("UPDATE gpkg_geometry_columns SET geometry_type_name = ? WHERE table_name = ?", (geometry_type, name))
        self._rebuild_table(name, coll.fields)

    def _promote_stored(self, name: str) -> None:
        from vkc.geo.geometry_types import promote

        self._begin_bulk(name)
        last = 0
        while True:
            rows = self.conn.execute(
                f"SELECT fid, geom FROM {q(name)} WHERE fid > ? AND geom IS NOT NULL ORDER BY fid LIMIT 5000", (last,)
            ).fetchall()
            if not rows:
                return
            blobs, _ = gpkg_binary.encode(promote(gpkg_binary.decode([r[1] for r in rows])))
            self.conn.executemany(f"UPDATE {q(name)} SET geom = ? WHERE fid = ?", [(b, r[0]) for b, r in zip(blobs, rows)])
            last = rows[-1][0]

    def _rebuild_table(self, name: str, fields: list[Field]) -> None:
        """SQLite cannot change a column's declared type: copy into a new table (fids kept)."""
        coll = self._collection(name)
        tmp = f"vkc_rebuild_{name}"
        for suffix in ("insert", "update1", "update2", "update3", "update4", "delete"):
            self.conn.execute(f"DROP TRIGGER IF EXISTS {q(rtree_name(name) + '_' + suffix)}")
        cols = "".join(f", {q(f.name)} {SQL_TYPES[f.type]}" for f in fields)
        self.conn.execute(
            f"CREATE TABLE {q(tmp)} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {coll.geometry_type}, "
            f"vkc_id TEXT NOT NULL UNIQUE, vkc_time DATETIME, vkc_time_end DATETIME{cols})"
        )
        self.conn.execute(f"INSERT INTO {q(tmp)} SELECT * FROM {q(name)}")
        self.conn.execute(f"DROP TABLE {q(name)}")
        self.conn.execute(f"ALTER TABLE {q(tmp)} RENAME TO {q(name)}")
        gpkg_schema.create_time_indexes(self.conn, name)
        for properties in indexes.declared(coll):
            gpkg_schema.create_property_index(self.conn, name, properties)
        gpkg_schema.create_rtree_triggers(self.conn, name, delete_only=name in self._bulk_tables)

    # -- features ----------------------------------------------------------
    def _begin_bulk(self, name: str) -> None:
        if name in self._bulk_tables:
            return
        gpkg_schema.drop_write_triggers(self.conn, name)
        self._bulk_tables.add(name)
        self._first_fid(name)
        if self._rtree_empty(name):
            self._staged[name] = rtree_bulk.Staging()

    def _rtree_empty(self, name: str) -> bool:
        return self.conn.execute(f"SELECT 1 FROM {q(rtree_name(name) + '_rowid')} LIMIT 1").fetchone() is None

    def _first_fid(self, name: str) -> None:
        """The fid the next new row of ``name`` gets in this transaction, looked up at its first write."""
        if name not in self._next_fid:
            seq = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,)).fetchone()
            top = self.conn.execute(f"SELECT max(fid) FROM {q(name)}").fetchone()[0]
            self._next_fid[name] = max(seq[0] if seq else 0, top or 0) + 1

    def encode(self, batch: FeatureBatch) -> EncodedBatch:
        return encode_batch(batch)

    def schema(self, name: str) -> Collection:
        return self._collection(name)

    def _fit_to_multi(self, coll: Collection, batch: EncodedBatch) -> EncodedBatch:
        multi = {"MULTIPOINT": 4, "MULTILINESTRING": 5, "MULTIPOLYGON": 6}.get(coll.geometry_type)
        if multi is None:
            return batch
        geometries, type_ids = gpkg_binary.promote(batch.geometries, batch.type_ids, multi)
        return dataclasses.replace(batch, geometries=geometries, type_ids=type_ids)

    def _write(self, coll: Collection, batch: EncodedBatch) -> WriteResult:
        name, n = coll.name, len(batch)
        bulk = name in self._bulk_tables or n >= BULK_ROWS or self._rtree_empty(name)
        if bulk:
            self._begin_bulk(name)
        else:
            self._first_fid(name)
        names = [f.name for f in coll.fields]
        values = [column_to_sql(batch.columns.get(f.name), f.type, n) for f in coll.fields]
        blobs, bounds, times, ends = batch.geometries, batch.bounds, batch.times, batch.times_end
        new_rows, old_rows, fids = self._insert_new(name, names, blobs, batch.ids, times, ends, values)
        if old_rows:
            sets = ", ".join(f"{q(c)} = ?" for c in ["geom", "vkc_time", "vkc_time_end", *names])
            try:
                self.conn.executemany(f"UPDATE {q(name)} SET {sets} WHERE fid = ?", old_rows)
            except OverflowError as exc:
                raise InputError(f"cannot write to {name!r}: {exc}") from exc
        if bulk:
            self._index(name, fids, bounds, replaced=bool(old_rows))  # else the R*Tree triggers did it, row by row
        self._extend(name, bounds)
        return WriteResult(inserted=new_rows, updated=len(old_rows))

    def _insert_new(
        self,
        name: str,
        names: list[str],
        blobs: list[bytes | None],
        ids: list[str],
        times: list[str | None],
        ends: list[str | None],
        values: list[list[Any]],
    ) -> tuple[int, list[tuple[Any, ...]], list[int]]:
        """Insert rows with fresh fids; rows whose id exists already come back for an UPDATE.

        Optimistic: one INSERT .. ON CONFLICT DO NOTHING; only if SQLite reports
        fewer changes than rows are the existing fids looked up.
        """
        start = self._next_fid[name]
        n = len(ids)
        fids = list(range(start, start + n))
        cols = ["fid", "geom", "vkc_id", "vkc_time", "vkc_time_end", *names]
        before = self.conn.total_changes
        try:
            self.conn.executemany(
                f"INSERT INTO {q(name)} ({', '.join(q(c) for c in cols)}) VALUES ({', '.join('?' * len(cols))}) "
                "ON CONFLICT(vkc_id) DO NOTHING",
                zip(fids, blobs, ids, times, ends, *values),
            )
        except (sqlite3.IntegrityError, OverflowError) as exc:
            raise InputError(f"cannot write to {name!r}: {exc}") from exc
        inserted = self.conn.total_changes - before
        self._next_fid[name] = start + n
        if inserted == n:
            return inserted, [], fids
        actual = self._existing_fids(name, ids)
        old_rows = []
        for i, row in enumerate(zip(blobs, times, ends, *values)):
            fid = actual[ids[i]]
            if fid != fids[i]:
                fids[i] = fid
                old_rows.append((*row, fid))
        return inserted, old_rows, fids

    def _existing_fids(self, name: str, ids: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(ids), 30000):
            chunk = ids[start : start + 30000]
            sql = f"SELECT vkc_id, fid FROM {q(name)} WHERE vkc_id IN ({', '.join('?' * len(chunk))})"
            found.update(self.conn.execute(sql, chunk).fetchall())
        return found

    def _index(self, name: str, fids: list[int], bounds: np.ndarray, *, replaced: bool) -> None:
        """Keep the R*Tree in step: staged for a bulk load when it started empty, else row by row."""
        valid = ~np.isnan(bounds[:, 0])
        all_valid = bool(valid.all())
        live_fids = fids if all_valid else [f for f, ok in zip(fids, valid.tolist()) if ok]
        live = bounds if all_valid else bounds[valid]
        gone = [] if all_valid else [f for f, ok in zip(fids, valid.tolist()) if not ok]
        staging = self._staged.get(name)
        if staging is not None:
            if len(live_fids):
                staging.add(live_fids, live)
            if gone and replaced:
                staging.remove(gone)
            return
        rtree = q(rtree_name(name))
        if len(live_fids):
            self.conn.executemany(
                f"INSERT OR REPLACE INTO {rtree} (id, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?)",
                zip(live_fids, live[:, 0].tolist(), live[:, 2].tolist(), live[:, 1].tolist(), live[:, 3].tolist()),
            )
        if gone and replaced:
            self.conn.executemany(f"DELETE FROM {rtree} WHERE id = ?", ((f,) for f in gone))

    def _extend(self, name: str, bounds: np.ndarray) -> None:
        self._written.add(name)
        if np.isnan(bounds[:, 0]).all():
            return
        box = [np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1]), np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3])]
        cur = self._touched.get(name)
        if cur is None:
            self._touched[name] = [float(v) for v in box]
        else:
            self._touched[name] = [min(cur[0], box[0]), min(cur[1], box[1]), max(cur[2], box[2]), max(cur[3], box[3])]

    def delete(self, name: str, ids: Iterable[str]) -> WriteResult:
        self._collection(name)
        ids = list(ids)
        deleted = 0
        for start in range(0, len(ids), 30000):
            chunk = ids[start : start + 30000]
            marks = ", ".join("?" * len(chunk))
            if name in self._staged:
                gone = self.conn.execute(f"SELECT fid FROM {q(name)} WHERE vkc_id IN ({marks})", chunk).fetchall()
                self._staged[name].remove([g[0] for g in gone])
            cur = self.conn.execute(f"DELETE FROM {q(name)} WHERE vkc_id IN ({', '.join('?' * len(chunk))})", chunk)
            deleted += cur.rowcount
        if deleted:
            self._shrunk.add(name)
            self._written.add(name)
        return WriteResult(deleted=deleted)

    def finish(self) -> None:
        """Before commit: recreate the triggers, bring extents and change times up to date."""
        now = _now()
        for name, staging in self._staged.items():
            rtree_bulk.load(self.conn, rtree_name(name), staging)
        for name in self._bulk_tables:
            gpkg_schema.create_rtree_triggers(self.conn, name)
        for name in self._shrunk | set(self._touched):
            row: Sequence[float | None]
            if name in self._shrunk:
                row = _exact_extent(self.conn, name)
            else:
                old = self.conn.execute(
                    "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?", (name,)
                ).fetchone()
                box = self._touched[name]
                row = box if old[0] is None else (min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]), max(old[3], box[3]))
            self.conn.execute(
                "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, last_change = ? WHERE table_name = ?",
                (*row, now, name),
            )
        # a new revision (Store.collection_revision), also when no extent changed; to the microsecond, as commits to one
        # file follow each other no faster
        revision = datetime.now(UTC).isoformat(timespec="microseconds")
        for name in self._written:
            self.conn.execute("UPDATE vkc_collections SET updated = ? WHERE name = ?", (revision, name))


def _exact_extent(conn: sqlite3.Connection, name: str) -> tuple[float | None, ...]:
    """The collection's extent in full precision: the R*Tree keeps 32-bit bounds rounded outwards, so each side is
    read from the envelopes (doubles, in the blobs) of the few features whose rounded bound is the tree's."""
    tree, table = q(rtree_name(name)), q(name)
    rounded = conn.execute(f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM {tree}").fetchone()
    if rounded[0] is None:
        return tuple(rounded)
    exact = []
    # the tree's columns beside the envelope's (minx, maxx, miny, maxy) index, and whether the side is a minimum
    for value, column, at, lowest in zip(rounded, ("minx", "miny", "maxx", "maxy"), (0, 2, 1, 3), (True, True, False, False), strict=True):
        blobs = conn.execute(f"SELECT t.geom FROM {tree} r JOIN {table} t ON t.fid = r.id WHERE r.{column} = ?", (value,))
        sides = [envelope[at] for (blob,) in blobs if (envelope := gpkg_binary.envelope(blob)) is not None]
        exact.append((min(sides) if lowest else max(sides)) if sides else value)
    return tuple(exact)


def encode_batch(batch: FeatureBatch) -> EncodedBatch:
    """FeatureBatch → EncodedBatch for the GeoPackage store (pure, picklable)."""
    blobs, bounds = gpkg_binary.encode(batch.geometries)
    n = len(batch)
    times: list[str | None] = [None if t is None else format_datetime(t) for t in batch.times] if batch.times else [None] * n
    if batch.times_end:
        ends = [t if e is None else format_datetime(e) for t, e in zip(times, batch.times_end)]
    else:
        ends = times  # an instant is stored with equal start and end
    return EncodedBatch(
        ids=list(batch.ids),
        geometries=blobs,
        bounds=bounds,
        type_ids=shapely.get_type_id(batch.geometries),
        columns=columns_of(batch.properties),
        times=times,
        times_end=ends,
    )


__all__ = ["GeoPackageTransaction", "encode_batch"]
