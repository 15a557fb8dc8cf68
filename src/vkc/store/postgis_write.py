"""Writing the PostGIS store: one PostgreSQL transaction; batches COPYed into a temporary table and upserted."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson
import psycopg
import shapely
from psycopg import sql
from psycopg.types.json import Jsonb

from vkc.errors import ConflictError, InputError
from vkc.store import indexes, postgis_schema
from vkc.store.base import Transaction
from vkc.store.checks import (
    check_field_names,
    column_to_sql,
    columns_of,
    plan_fields,
)
from vkc.store.dialect import POSTGRES
from vkc.store.model import Collection, EncodedBatch, Feature, FeatureBatch, Field, FieldType, Query, WriteResult, check_collection_name
from vkc.store.postgis_read import read_collection, rows_features, select_list, where_sql
from vkc.store.postgis_schema import PG_TYPES, derived_name
from vkc.store.values import format_datetime

_MULTI = {"MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON"}


def encode_batch(batch: FeatureBatch) -> EncodedBatch:
    """FeatureBatch → EncodedBatch for PostGIS: ISO WKB (pure, picklable)."""
    geoms = np.asarray(batch.geometries, dtype=object)
    n = len(batch)
    times: list[str | None] = [None if t is None else format_datetime(t) for t in batch.times] if batch.times else [None] * n
    ends = [t if e is None else format_datetime(e) for t, e in zip(times, batch.times_end)] if batch.times_end else times
    return EncodedBatch(
        ids=list(batch.ids),
        geometries=shapely.to_wkb(geoms, flavor="iso", output_dimension=2).tolist(),
        bounds=shapely.bounds(geoms),
        type_ids=shapely.get_type_id(geoms),
        columns=columns_of(batch.properties),
        times=times,
        times_end=ends,
    )


class PostGISTransaction(Transaction):
    dialect = POSTGRES

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._touched: dict[str, list[float]] = {}
        self._shrunk: set[str] = set()
        #: the collections whose features this transaction wrote or deleted (their revision changes)
        self._written: set[str] = set()
        self._checked: set[str] = set()
        self._deferred_index: set[str] = set()  # tables loaded from empty: GiST index built once at the end

    # -- collections ---------------------------------------------------------
    def collection(self, name: str) -> Collection:
        return read_collection(self.conn, name, with_stats=True)

    def _collection(self, name: str) -> Collection:
        return read_collection(self.conn, name)

    def feature_for_update(self, name: str, feature_id: str) -> Feature | None:
        coll = self._collection(name)
        stmt, params = where_sql(coll, Query(ids=(feature_id,)), select=select_list(coll.fields))
        rows = self.conn.execute(sql.SQL("{} FOR UPDATE OF t").format(stmt), params).fetchall()
        return next(rows_features(rows, coll.fields), None)

    def _lock_schema(self, name: str) -> None:
        """Schema changes of one collection wait for each other (until commit), so concurrent writers
        that both meet a new property do not both try to add it."""
        self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('vkc_collection:' || %s))", (name.lower(),))

    def create_collection(self, collection: Collection, *, exist_ok: bool = False) -> Collection:
        name = check_collection_name(collection.name)
        self._lock_schema(name)
        exists = self.conn.execute("SELECT 1 FROM vkc_collections WHERE lower(name) = lower(%s)", (name,)).fetchone()
        if exists:
            if not exist_ok:
                raise ConflictError(f"collection {name!r} exists already", collection=name)
            current = self._collection(name)
            if collection.geometry_type not in (current.geometry_type, "GEOMETRY"):
                raise ConflictError(f"collection {name!r} holds {current.geometry_type} geometries, not {collection.geometry_type}", collection=name)
            self.add_fields(name, collection.fields)
            for column, value in (("title", collection.title), ("description", collection.description)):
                if value:
                    self.conn.execute(sql.SQL("UPDATE vkc_collections SET {} = %s WHERE name = %s").format(sql.Identifier(column)), (value, name))
            if collection.metadata:
                self.set_metadata(name, collection.metadata)
            return self._collection(name)
        check_field_names(collection.fields)
        postgis_schema.create_feature_table(self.conn, name, collection.geometry_type, [(f.name, f.type) for f in collection.fields])
        self.conn.execute(
            "INSERT INTO vkc_collections (name, title, description, geometry_type, fields, metadata) VALUES (%s, %s, %s, %s, %s, %s)",
            (name, collection.title, collection.description, collection.geometry_type,
             Jsonb([[f.name, f.type] for f in collection.fields]), Jsonb(_plain(indexes.with_declared(collection.metadata, [])))),
        )
        return self._collection(name)

    def drop_collection(self, name: str) -> None:
        self._collection(name)
        self.conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
        self.conn.execute("DELETE FROM vkc_collections WHERE name = %s", (name,))
        self.conn.execute("DELETE FROM vkc_extent_log WHERE name = %s", (name,))
        self._touched.pop(name, None)
        self._shrunk.discard(name)
        self._deferred_index.discard(name)
        self._checked.discard(name)

    def set_metadata(self, name: str, metadata: dict[str, Any]) -> None:
        current = self._collection(name)
        self._write_metadata(name, indexes.with_declared(metadata, indexes.declared(current)))

    def _write_metadata(self, name: str, metadata: dict[str, Any]) -> None:
        self.conn.execute("UPDATE vkc_collections SET metadata = %s, updated = now() WHERE name = %s", (Jsonb(_plain(metadata)), name))

    def _create_index(self, coll: Collection, properties: tuple[str, ...]) -> None:
        self._lock_schema(coll.name)
        columns = sql.SQL(", ").join(sql.Identifier(p) for p in properties)
        self.conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                sql.Identifier(indexes.index_name(coll.name, properties)), sql.Identifier(coll.name), columns
            )
        )

    def _drop_index(self, coll: Collection, properties: tuple[str, ...]) -> None:
        self._lock_schema(coll.name)
        self.conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(indexes.index_name(coll.name, properties))))

    def add_fields(self, name: str, fields: Iterable[Field]) -> None:
        self._lock_schema(name)
        coll = self._collection(name)  # read after the lock: another writer may have added them meanwhile
        added, widened, schema = plan_fields(coll, fields)
        t = sql.Identifier(name)
        for f in added:
            self.conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(t, sql.Identifier(f.name), sql.SQL(PG_TYPES[f.type])))
        for f in widened:
            column, pg_type = sql.Identifier(f.name), sql.SQL(PG_TYPES[f.type])
            using = sql.SQL("to_jsonb({})").format(column) if f.type == "json" else sql.SQL("{}::{}").format(column, pg_type)
            self.conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE {} USING {}").format(t, column, pg_type, using))
        if added or widened:
            self.conn.execute("UPDATE vkc_collections SET fields = %s WHERE name = %s", (Jsonb([[f.name, f.type] for f in schema]), name))

    def _change_geometry_type(self, coll: Collection, geometry_type: str, *, promote: bool) -> None:
        self._lock_schema(coll.name)
        self.conn.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN geom TYPE geometry({}, 4326) USING {}").format(
                sql.Identifier(coll.name),
                sql.SQL(postgis_schema.GEOMETRY_TYPMOD[geometry_type]),
                sql.SQL("ST_Multi(geom)" if promote else "geom"),
            )
        )
        self.conn.execute("UPDATE vkc_collections SET geometry_type = %s WHERE name = %s", (geometry_type, coll.name))

    # -- features ------------------------------------------------------------
    def encode(self, batch: FeatureBatch) -> EncodedBatch:
        return encode_batch(batch)

    def schema(self, name: str) -> Collection:
        return self._collection(name)

    def _fit_to_multi(self, coll: Collection, batch: EncodedBatch) -> EncodedBatch:
        single = {"MULTIPOINT": 0, "MULTILINESTRING": 1, "MULTIPOLYGON": 3}.get(coll.geometry_type)
        if single is None:
            return batch
        # the geometries themselves become multis in SQL (ST_Multi); the type ids say so already
        return dataclasses.replace(batch, type_ids=np.where(batch.type_ids == single, single + 3, batch.type_ids))

    def _defer_index_if_empty(self, name: str) -> None:
        """Filling an empty table: drop its GiST index and build it at commit (a sorted build, much
        faster than a million inserts into the tree), as the GeoPackage store packs its R*Tree."""
        if name in self._checked:
            return
        self._checked.add(name)
        if self.conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(name))).fetchone() is None:
            # the geometry index, under whatever name it was made (before index names began with vkc_: <table>_geom_gist)
            found = self.conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s AND indexdef LIKE %s",
                (name, "% USING gist (geom)"),
            ).fetchall()
            for (index,) in found:
                self.conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
            self._deferred_index.add(name)

    def _write(self, coll: Collection, batch: EncodedBatch) -> WriteResult:
        name, n = coll.name, len(batch)
        self._defer_index_if_empty(name)
        names = [f.name for f in coll.fields]
        values = [_copy_column(batch.columns.get(f.name), f.type, n) for f in coll.fields]
        load = sql.Identifier("vkc_load")
        self.conn.execute("DROP TABLE IF EXISTS vkc_load")
        self.conn.execute(
            sql.SQL("CREATE TEMP TABLE {} (vkc_id text, geom bytea, vkc_time timestamptz, vkc_time_end timestamptz{})").format(
                load, sql.SQL("").join(sql.SQL(", {} {}").format(sql.Identifier(c), sql.SQL(PG_TYPES[f.type])) for c, f in zip(names, coll.fields))
            )
        )
        cols = [sql.Identifier(c) for c in ["vkc_id", "geom", "vkc_time", "vkc_time_end", *names]]
        try:
            with self.conn.cursor() as cur:
                with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(load, sql.SQL(", ").join(cols))) as copy:
                    for row in zip(batch.ids, batch.geometries, batch.times, batch.times_end, *values):
                        copy.write_row(row)
                geom = sql.SQL("ST_Multi(ST_GeomFromWKB(geom, 4326))" if coll.geometry_type in _MULTI else "ST_GeomFromWKB(geom, 4326)")
                props = [sql.Identifier(c) for c in names]
                updates = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(c) for c in [sql.Identifier("geom"), sql.Identifier("vkc_time"), sql.Identifier("vkc_time_end"), *props])
                cur.execute(
                    sql.SQL(
                        "INSERT INTO {t} (vkc_id, geom, vkc_time, vkc_time_end{pc}) SELECT vkc_id, {g}, vkc_time, vkc_time_end{pc} FROM {load} "
                        "ON CONFLICT (vkc_id) DO UPDATE SET {u} RETURNING (xmax = 0)"
                    ).format(t=sql.Identifier(name), pc=sql.SQL("").join(sql.SQL(", {}").format(p) for p in props), g=geom, load=load, u=updates)
                )
                flags = [r[0] for r in cur.fetchall()]
        except psycopg.errors.DataError as exc:
            raise InputError(f"cannot write to {name!r}: {str(exc).strip().splitlines()[0]}") from exc
        self._extend(name, batch.bounds)
        inserted = sum(flags)
        return WriteResult(inserted=inserted, updated=len(flags) - inserted)

    def delete(self, name: str, ids: Iterable[str]) -> WriteResult:
        self._collection(name)
        cur = self.conn.execute(sql.SQL("DELETE FROM {} WHERE vkc_id = ANY(%s)").format(sql.Identifier(name)), (list(ids),))
        if cur.rowcount:
            self._shrunk.add(name)
            self._written.add(name)
        return WriteResult(deleted=cur.rowcount)

    def _extend(self, name: str, bounds: np.ndarray) -> None:
        self._written.add(name)
        if not len(bounds) or np.isnan(bounds[:, 0]).all():
            return
        box = [float(np.nanmin(bounds[:, 0])), float(np.nanmin(bounds[:, 1])), float(np.nanmax(bounds[:, 2])), float(np.nanmax(bounds[:, 3]))]
        cur = self._touched.get(name)
        self._touched[name] = box if cur is None else [min(cur[0], box[0]), min(cur[1], box[1]), max(cur[2], box[2]), max(cur[3], box[3])]

    def finish(self) -> None:
        """Before commit: build deferred indexes, record how the written collections' extents changed, give each
        written collection a new revision (``Store.collection_revision``)."""
        if self._written:
            self.conn.execute("UPDATE vkc_collections SET updated = clock_timestamp() WHERE name = ANY(%s)", (sorted(self._written),))
        for name in self._deferred_index:
            self.conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist (geom)").format(sql.Identifier(derived_name(name, "geom_gist")), sql.Identifier(name)))
        for name in self._shrunk:
            self.conn.execute("DELETE FROM vkc_extent_log WHERE name = %s", (name,))
            self.conn.execute(
                sql.SQL(
                    "INSERT INTO vkc_extent_log (name, min_x, min_y, max_x, max_y) "
                    "SELECT %s, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)::geometry AS e FROM {}) s "
                    "WHERE e IS NOT NULL"
                ).format(sql.Identifier(name)),
                (name,),
            )
        for name, box in self._touched.items():
            if name not in self._shrunk:
                self.conn.execute("INSERT INTO vkc_extent_log (name, min_x, min_y, max_x, max_y) VALUES (%s, %s, %s, %s, %s)", (name, *box))


def _copy_column(column: list[Any] | None, ftype: FieldType, n: int) -> list[Any]:
    values = column_to_sql(column, ftype, n)
    if ftype == "boolean":
        return [None if v is None else bool(v) for v in values]
    return values


def _plain(metadata: dict[str, Any]) -> Any:
    return orjson.loads(orjson.dumps(metadata, default=str))


__all__ = ["PostGISTransaction", "encode_batch"]
