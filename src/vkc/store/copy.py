"""Copy a whole store into another, either backend to either: collections, every component's tables, records.

- **Collections**: schema, metadata, features and times, one transaction each.
- **Component tables**, as the installed components declare them
  (:attr:`vkc.component.Component.tables`, parents before children): each
  table's columns come from the source's catalogue, its rows are streamed in
  batches of :data:`BATCH`, each batch written in one transaction of the
  target. Values whose representation differs between the backends (times,
  JSON, geometries, booleans: see :mod:`vkc.store.tables`) pass through the
  two stores' :class:`~vkc.store.dialect.Dialect` objects: decoded by the
  source's, encoded by the target's.
- **Records** (access tokens and the like), every kind.
- **The audit trail**, entry by entry with its hashes (:func:`vkc.store.audit.copy_trail`).

Ids are kept: rows are upserted on their table's key, so copying again
replaces rather than doubles, and a second copy changes nothing. Numbers the
database hands out (PostgreSQL's identity columns and sequences, SQLite's
AUTOINCREMENT) are then moved past the copied ones, so entities created after
a copy do not collide with copied ones. A row that cannot be written stops the
copy with an error naming its table and key; the batches before it stay.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from vkc.errors import StoreError, VKCError, first_line
from vkc.permissions import local_actor
from vkc.store import audit, indexes
from vkc.store.base import TRANSIENT_KIND, Store
from vkc.store.dialect import Dialect, Upsert
from vkc.store.model import Collection, Feature, FeatureBatch, Query
from vkc.store.tables import Table

BATCH = 10_000
Progress = Callable[[str, int], None]


@dataclass
class CopyCounts:
    """What a copy carried: features per collection, rows per table, records per kind."""

    collections: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    audit_entries: int = 0

    def lines(self) -> list[str]:
        """One line per collection, table and kind of record, as ``vkc store copy`` prints them."""
        return [
            *(f"{name}: {n} features" for name, n in self.collections.items()),
            *(f"{name}: {n} rows" for name, n in self.tables.items()),
            *(f"records {kind}: {n}" for kind, n in self.records.items()),
            f"audit trail: {self.audit_entries} entries",
        ]


def copy_store(
    source: Store,
    target: Store,
    names: Iterable[str] | None = None,
    *,
    progress: Progress | None = None,
    tables: Sequence[Table] | None = None,
) -> CopyCounts:
    """Copy everything in ``source`` into ``target``: collections, component tables and records.

    With ``names``, only those collections are copied (no tables, no records).
    ``tables`` default to those of the target's components.
    """
    if _place(source) == _place(target):
        raise StoreError("a store cannot be copied into itself: give another store as the target")
    counts = CopyCounts()
    wanted = list(names) if names is not None else [c.name for c in source.collections()]
    for name in wanted:
        counts.collections[name] = copy_collection(source, target, name, progress=progress)
    if names is not None:
        return counts
    for table in component_tables(target) if tables is None else tables:
        counts.tables[table.name] = copy_table(source, target, table, progress=progress)
    for kind in source.record_kinds():
        if kind.startswith(TRANSIENT_KIND):
            continue  # sign-in sessions and the like belong to the store they were made in
        records = source.records(kind)
        target.put_records(kind, records)
        counts.records[kind] = len(records)
    with source.reading() as src, target.writing() as out:
        counts.audit_entries = audit.copy_trail(src, out, local_actor())
    return counts


def _place(store: Store) -> str:
    return store.url if store.dialect.name == "postgres" else os.path.realpath(store.url)


def component_tables(store: Store) -> list[Table]:
    """The tables of a store's components, each component's parents before children, components in dependency order."""
    return [t for c in store.components for t in c.tables]


def copy_collection(source: Store, target: Store, name: str, *, progress: Progress | None = None) -> int:
    """Copy one collection (schema, metadata, features, property indexes) in one transaction of ``target``; returns the number of features."""
    coll = source.collection(name)
    with target.transaction() as tx:
        tx.create_collection(
            Collection(
                name=coll.name, title=coll.title, description=coll.description,
                geometry_type=coll.geometry_type, fields=coll.fields, metadata=coll.metadata,
            ),
            exist_ok=True,
        )
        count = 0
        batch: list[Feature] = []
        for feature in source.features(name, Query()):
            batch.append(feature)
            if len(batch) >= BATCH:
                tx.upsert_batch(name, FeatureBatch.from_features(batch))
                count += len(batch)
                batch = []
                if progress:
                    progress(name, count)
        if batch:
            tx.upsert_batch(name, FeatureBatch.from_features(batch))
            count += len(batch)
        for properties in indexes.declared(coll):  # after the rows: one sorted build, not a million inserts
            tx.create_index(name, properties)
    return count


# -- component tables ----------------------------------------------------------------------


def copy_table(source: Store, target: Store, table: Table, *, batch: int = BATCH, progress: Progress | None = None) -> int:
    """Copy the rows of one declared table, ids kept, one transaction of ``target`` per batch; returns how many."""
    plan = _Plan.make(source, target, table)
    with target.reading() as conn:
        fresh = conn.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is None
    count = 0
    with source.reading() as conn:
        for rows in source.dialect.stream(conn, plan.select, batch):
            decoded = [plan.decode(row) for row in rows]
            params = [plan.encode(row) for row in decoded]
            try:
                with target.writing() as out:
                    if table.prepare is not None:
                        table.prepare(out, plan.columns, decoded)
                    try:
                        fresh = target.dialect.upsert_many(out, plan.upsert, params, fresh=fresh)
                    except _DB_ERRORS as exc:
                        raise _BatchFailed from exc
            except _BatchFailed as failed:  # rolled back: find the row, in a transaction rolled back too
                raise _row_error(target, plan, decoded, params, failed.__cause__) from failed.__cause__
            except (psycopg.Error, sqlite3.Error) as exc:  # the commit itself
                raise StoreError(f"copying table {table.name}: a batch of {len(rows)} rows failed: {first_line(exc)}", table=table.name) from exc
            count += len(rows)
            if progress:
                progress(table.name, count)
    if table.serial is not None and count:
        with target.writing() as out:
            target.dialect.advance_serial(out, table.name, table.serial)
    return count


_DB_ERRORS = (StoreError, psycopg.Error, sqlite3.Error)


class _BatchFailed(Exception):
    """A batch the target refused (its cause is the driver's error); raised inside the transaction so that it rolls back."""


@dataclass(frozen=True)
class _Plan:
    """How one table's rows cross: the columns, the SELECT on the source, the upsert on the target, the conversions."""

    table: Table
    columns: tuple[str, ...]  # the table's columns, a geometry's bbox columns left out
    select: str
    upsert: Upsert  # the target's columns written (a geometry's bbox included), the SQL of each one's value
    #: (column index, conversion) of the columns converted; a NULL stays NULL and is not converted
    decoders: tuple[tuple[int, Callable[[Any], Any]], ...]
    encoders: tuple[tuple[int, Callable[[Any], Any]], ...]
    #: (column index, conversion to its parameters) of the geometry columns, whose value may take several parameters
    geometries: tuple[tuple[int, Callable[[Any], list[Any]]], ...]

    @classmethod
    def make(cls, source: Store, target: Store, table: Table) -> _Plan:
        with source.reading() as conn:
            src_columns = source.dialect.table_columns(conn, table.name)
        with target.reading() as conn:
            dst_columns = target.dialect.table_columns(conn, table.name)
        for store, catalogue in ((source, src_columns), (target, dst_columns)):
            if not catalogue:
                raise StoreError(f"copying table {table.name}: the store {store.url} has no such table (run `vkc db upgrade` on it)")
            _check_kinds(table, store.dialect, catalogue)
        columns = _logical_columns(table, source.dialect, src_columns)
        missing = [c for c in _physical_columns(table, target.dialect, columns) if c not in dst_columns]
        extra = [c for c in _logical_columns(table, target.dialect, dst_columns) if c not in columns]
        if missing or extra:
            raise StoreError(
                f"copying table {table.name}: the stores' columns differ (the target lacks {missing or 'none'}, "
                f"the source lacks {extra or 'none'}); bring both to this vkc's version with `vkc db upgrade`"
            )
        src, dst = source.dialect, target.dialect
        selected = [src.geometry_select(c, exact=True) if table.kinds.get(c) == "geometry" else c for c in columns]
        select = f"SELECT {', '.join(selected)} FROM {table.name} ORDER BY {', '.join(table.key)}"
        names: list[str] = []
        values: list[str] = []
        for c in columns:
            if table.kinds.get(c) == "geometry":
                stored = dst.geometry_columns(c)
                names += stored
                values += [dst.geometry_in_sql(), *["?"] * (len(stored) - 1)]
            else:
                names.append(c)
                values.append("?")
        return cls(
            table=table,
            columns=tuple(columns),
            select=select,
            upsert=Upsert(table.name, tuple(names), tuple(values), table.key),
            decoders=tuple((i, f) for i, c in enumerate(columns) if (f := _decoder(src, table.kinds.get(c))) is not None),
            encoders=tuple(
                (i, f) for i, c in enumerate(columns) if table.kinds.get(c) != "geometry" and (f := _encoder(dst, table.kinds.get(c))) is not None
            ),
            geometries=tuple((i, dst.geometry_params) for i, c in enumerate(columns) if table.kinds.get(c) == "geometry"),
        )

    def decode(self, row: Sequence[Any]) -> list[Any]:
        """A source row in Python's values: times as aware datetimes, JSON parsed, geometries as GeoJSON dicts, booleans."""
        out = list(row)
        try:
            for i, f in self.decoders:
                if out[i] is not None:
                    out[i] = f(out[i])
        except (ValueError, TypeError) as exc:
            raise self.error(row, f"cannot read it: {exc}") from exc
        return out

    def encode(self, row: Sequence[Any]) -> list[Any]:
        """A decoded row as the target's parameters (a geometry may take several: its bbox in SQLite)."""
        out = list(row)
        try:
            for i, f in self.encoders:
                if out[i] is not None:
                    out[i] = f(out[i])
            for i, f in reversed(self.geometries):
                out[i : i + 1] = f(out[i])
        except (ValueError, TypeError, VKCError) as exc:
            raise self.error(row, f"cannot write it: {exc}") from exc
        return out

    def key_of(self, row: Sequence[Any]) -> str:
        at = {c: i for i, c in enumerate(self.columns)}
        return ", ".join(f"{k}={row[at[k]]!r}" for k in self.table.key if k in at)

    def error(self, row: Sequence[Any], reason: str) -> StoreError:
        return StoreError(f"copying table {self.table.name}: the row with {self.key_of(row)} failed: {reason}", table=self.table.name)


def _logical_columns(table: Table, dialect: Dialect, catalogue: dict[str, str]) -> list[str]:
    """The catalogue's columns less those a geometry column brings along (its bbox in SQLite)."""
    beside = {c for g, kind in table.kinds.items() if kind == "geometry" for c in dialect.geometry_columns(g)[1:]}
    return [c for c in catalogue if c not in beside]


def _physical_columns(table: Table, dialect: Dialect, columns: Sequence[str]) -> list[str]:
    return [s for c in columns for s in (dialect.geometry_columns(c) if table.kinds.get(c) == "geometry" else [c])]


def _check_kinds(table: Table, dialect: Dialect, catalogue: dict[str, str]) -> None:
    """Refuse a declaration its table contradicts, where the catalogue tells kinds (PostgreSQL)."""
    undeclared = [c for c in table.kinds if c not in catalogue]
    if undeclared:
        raise StoreError(f"copying table {table.name}: its declaration names columns it does not have: {', '.join(undeclared)}")
    for column, sqltype in catalogue.items():
        kind = dialect.kind_of_type(sqltype)
        if kind is not None and kind != table.kinds.get(column, ""):
            said = table.kinds.get(column, "a plain value")
            raise StoreError(
                f"copying table {table.name}: column {column} is {sqltype} in {dialect.name}, but its component declares it {said}; "
                "the component's table declaration needs fixing"
            )


def _decoder(dialect: Dialect, kind: str | None) -> Callable[[Any], Any] | None:
    decoders: dict[str, Callable[[Any], Any]] = {"time": dialect.time_out, "json": dialect.json_out, "geometry": dialect.geometry_out, "boolean": dialect.boolean_out}
    return decoders.get(kind or "")


def _encoder(dialect: Dialect, kind: str | None) -> Callable[[Any], Any] | None:
    encoders: dict[str, Callable[[Any], Any]] = {"time": dialect.time_in, "json": dialect.json_in, "geometry": dialect.geometry_params, "boolean": dialect.boolean_in}
    return encoders.get(kind or "")


class _RolledBack(Exception):
    pass


def _row_error(target: Store, plan: _Plan, decoded: Sequence[Sequence[Any]], params: Sequence[Sequence[Any]], exc: BaseException | None) -> StoreError:
    """The error naming the first row of a failed batch that the target refuses (tried row by row, then rolled back)."""
    found: StoreError | None = None
    try:
        with target.writing() as out:
            if plan.table.prepare is not None:
                plan.table.prepare(out, plan.columns, decoded)
            for row, p in zip(decoded, params, strict=True):
                try:
                    target.dialect.upsert_many(out, plan.upsert, [p])
                except _DB_ERRORS as row_exc:
                    found = plan.error(row, first_line(row_exc))
                    break
            raise _RolledBack
    except _RolledBack:
        pass
    if found is None:  # every row goes in alone: the batch failed as a whole
        reason = first_line(exc) if exc is not None else "unknown"
        return StoreError(f"copying table {plan.table.name}: a batch of {len(params)} rows failed: {reason}", table=plan.table.name)
    return found


__all__ = ["BATCH", "CopyCounts", "component_tables", "copy_collection", "copy_store", "copy_table"]
