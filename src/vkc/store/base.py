"""The store interface every backend implements (GeoPackage now, PostGIS next).

Reads are methods of :class:`Store`; writes happen inside
``with store.transaction() as tx:`` and are all-or-nothing. A backend
serialises writers (one writer at a time) and lets readers run concurrently.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Self

from vkc.errors import ConflictError
from vkc.store import audit, indexes
from vkc.store.checks import check_duplicate_ids, check_geometry_types, needed_fields
from vkc.store.dialect import Conn, Dialect
from vkc.store.model import Collection, EncodedBatch, Feature, FeatureBatch, Field, Query, WriteResult

#: the prefix of record kinds that hold short-lived state, which copies leave behind
TRANSIENT_KIND = "transient:"

if TYPE_CHECKING:
    from vkc.component import Component


class Transaction(abc.ABC):
    """Writes that commit together when the ``with`` block ends without error."""

    #: the driver's connection the transaction runs on, and its backend
    conn: Any
    dialect: Dialect

    def record(self, change: audit.Change) -> None:
        """Append ``change`` to the audit trail, committed with this transaction's writes (:mod:`vkc.store.audit`)."""
        audit.append(Conn(self.conn, self.dialect), change)

    @abc.abstractmethod
    def collection(self, name: str) -> Collection:
        """A collection as this transaction sees it (its own writes included)."""

    @abc.abstractmethod
    def create_collection(self, collection: Collection, *, exist_ok: bool = False) -> Collection: ...

    @abc.abstractmethod
    def drop_collection(self, name: str) -> None: ...

    @abc.abstractmethod
    def add_fields(self, name: str, fields: Iterable[Field]) -> None:
        """Add properties to a collection's schema (existing names: type is widened if needed)."""

    @abc.abstractmethod
    def set_metadata(self, name: str, metadata: dict[str, Any]) -> None:
        """Replace a collection's metadata (title/description stay as they are)."""

    def set_geometry_type(self, name: str, geometry_type: str) -> None:
        """Change a collection's geometry type: to the multi form of its type (single geometries already
        stored are promoted) or to GEOMETRY."""
        coll = self.schema(name)
        new = Collection(name=name, geometry_type=geometry_type).geometry_type
        if new == coll.geometry_type:
            return
        promote = new.startswith("MULTI") and coll.geometry_type == new[len("MULTI") :]
        if not promote and new != "GEOMETRY":
            raise ConflictError(f"collection {name!r} holds {coll.geometry_type} geometries; they cannot become {new}", collection=name)
        self._change_geometry_type(coll, new, promote=promote)

    @abc.abstractmethod
    def _change_geometry_type(self, coll: Collection, geometry_type: str, *, promote: bool) -> None: ...

    # -- property indexes (see vkc.store.indexes) ---------------------------------
    def create_index(self, name: str, properties: Sequence[str]) -> bool:
        """A B-tree on the properties' columns (composite, in this order, when several); False if it was declared already.

        Idempotent: a declared index the database has lost (a table rebuilt by another writer) is made again.
        """
        coll = self.schema(name)
        props = indexes.check_properties(coll, properties)
        have = indexes.declared(coll)
        self._create_index(coll, props)
        if props in have:
            return False
        self._write_metadata(name, indexes.with_declared(coll.metadata, [*have, props]))
        return True

    def drop_index(self, name: str, properties: Sequence[str]) -> bool:
        """Drop the index on exactly these properties; False if there was none."""
        coll = self.schema(name)
        props = tuple(properties)
        have = indexes.declared(coll)
        self._drop_index(coll, props)
        if props not in have:
            return False
        self._write_metadata(name, indexes.with_declared(coll.metadata, [p for p in have if p != props]))
        return True

    @abc.abstractmethod
    def _create_index(self, coll: Collection, properties: tuple[str, ...]) -> None:
        """``CREATE INDEX IF NOT EXISTS`` on the properties' columns."""

    @abc.abstractmethod
    def _drop_index(self, coll: Collection, properties: tuple[str, ...]) -> None:
        """``DROP INDEX IF EXISTS``."""

    @abc.abstractmethod
    def _write_metadata(self, name: str, metadata: dict[str, Any]) -> None:
        """Store ``metadata`` as it is, the store's own keys included."""

    @abc.abstractmethod
    def schema(self, name: str) -> Collection:
        """A collection's schema and metadata, without the (costlier) counts and extents."""

    @abc.abstractmethod
    def encode(self, batch: FeatureBatch) -> EncodedBatch:
        """Encode for this backend (pure: may run in another process, see ``Store.encoder``)."""

    def upsert_encoded(self, name: str, batch: EncodedBatch) -> WriteResult:
        """Insert or replace features by id. Unknown properties are added to the schema, narrow types widened."""
        coll = self.schema(name)
        if len(batch) == 0:
            return WriteResult()
        check_duplicate_ids(name, batch.ids)
        needed = needed_fields(coll, batch.columns)
        if needed:
            self.add_fields(name, needed)
            coll = self.schema(name)
        batch = self._fit_to_multi(coll, batch)
        check_geometry_types(coll, batch)
        return self._write(coll, batch)

    @abc.abstractmethod
    def _fit_to_multi(self, coll: Collection, batch: EncodedBatch) -> EncodedBatch:
        """Single geometries written to a MULTI* collection are stored as one-part multis."""

    @abc.abstractmethod
    def _write(self, coll: Collection, batch: EncodedBatch) -> WriteResult:
        """Insert or replace the (checked) batch."""

    def upsert_batch(self, name: str, batch: FeatureBatch) -> WriteResult:
        return self.upsert_encoded(name, self.encode(batch))

    def upsert(self, name: str, features: Iterable[Feature]) -> WriteResult:
        return self.upsert_batch(name, FeatureBatch.from_features(list(features)))

    @abc.abstractmethod
    def delete(self, name: str, ids: Iterable[str]) -> WriteResult: ...

    @abc.abstractmethod
    def feature_for_update(self, name: str, feature_id: str) -> Feature | None:
        """One feature as it is now, held against other writers until commit (None if there is none)."""


class Store(abc.ABC):
    """A place that keeps collections of features, and the tables of the components installed with it.

    Components reach the database through :meth:`reading` and :meth:`writing`
    only, with SQL spelt for :attr:`dialect`.
    """

    url: str
    dialect: Dialect
    #: the components whose tables the store holds, in dependency order
    components: tuple[Component, ...]

    # -- the seams components use ----------------------------------------------
    @abc.abstractmethod
    def reading(self) -> AbstractContextManager[Conn]:
        """A connection for reads; each statement sees the latest committed data."""

    @abc.abstractmethod
    def writing(self) -> AbstractContextManager[Conn]:
        """One transaction: committed when the block ends, rolled back on any error (one writer at a time per GeoPackage file)."""

    # -- reads ---------------------------------------------------------
    @abc.abstractmethod
    def collections(self, *, count: bool = True) -> list[Collection]:
        """All collections with their schema, metadata, extent and (unless ``count=False``: it costs a scan) count."""

    @abc.abstractmethod
    def collection(self, name: str, *, count: bool = True) -> Collection:
        """One collection; raises CollectionNotFound."""

    @abc.abstractmethod
    def schema(self, name: str) -> Collection:
        """One collection's schema and metadata, without counts or extents (cheap); raises CollectionNotFound."""

    @abc.abstractmethod
    def features(self, name: str | Collection, query: Query | None = None) -> Iterator[Feature]:
        """Features matching ``query``, streamed in a stable order.

        ``name`` may be a collection already read (``schema()``), which saves reading it again.
        """

    @abc.abstractmethod
    def count(self, name: str | Collection, query: Query | None = None) -> int: ...

    def collection_revision(self, name: str) -> str | None:
        """A text that changes whenever the platform writes or deletes features of collection ``name`` (in any process),
        for caches of what is derived from it; None when the backend cannot tell (nothing may then be cached).
        A writer outside the platform (GDAL, QGIS, SQL) may not change it: caches also bound how long they keep."""
        return None

    def number_matched(self, name: str | Collection, query: Query, *, exact_up_to: int = 10_000) -> tuple[int, bool]:
        """How many features match ``query``, and whether that is exact.

        Exact where that is cheap; a backend whose exact counts cost a full scan
        gives an estimate once the count passes ``exact_up_to``.
        """
        return self.count(name, query), True

    @abc.abstractmethod
    def feature(self, name: str, feature_id: str) -> Feature:
        """One feature by id; raises FeatureNotFound."""

    async def feature_async(self, name: str, feature_id: str) -> Feature:
        """``feature`` for a handler on an event loop; here in a worker thread, natively where the backend can."""
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.feature, name, feature_id)

    async def close_async(self) -> None:  # noqa: B027  (a default that has nothing to release, not a missing method)
        """Release what the async methods opened on the current event loop (nothing here)."""

    # -- small records (access tokens, subscriptions): JSON objects by kind and key ------------
    # A kind named ``transient:<name>`` holds state that lives for hours (sign-in sessions, failed
    # sign-ins): ``vkc store copy`` leaves it behind (:data:`TRANSIENT_KIND`).
    @abc.abstractmethod
    def put_record(self, kind: str, key: str, value: dict[str, Any], *, change: audit.Change | None = None) -> None:
        """Insert or replace one record; ``change`` goes to the audit trail in the same transaction."""

    @abc.abstractmethod
    def get_record(self, kind: str, key: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    def delete_record(self, kind: str, key: str) -> bool:
        """Remove one record; whether there was one."""

    @abc.abstractmethod
    def records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """All records of a kind, by key."""

    @abc.abstractmethod
    def record_kinds(self) -> list[str]:
        """The kinds of the records stored, in order."""

    @abc.abstractmethod
    def put_records(self, kind: str, records: Iterable[tuple[str, dict[str, Any]]]) -> int:
        """Insert or replace records of one kind in one transaction; a record whose value is already stored is left as it is.

        Returns how many were written (new or changed).
        """

    # -- writes --------------------------------------------------------
    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]: ...

    @property
    @abc.abstractmethod
    def encoder(self) -> Callable[[FeatureBatch], EncodedBatch]:
        """A picklable module-level function encoding batches for this backend."""

    def upsert(self, name: str, features: Iterable[Feature]) -> WriteResult:
        with self.transaction() as tx:
            return tx.upsert(name, features)

    def delete(self, name: str, ids: Iterable[str]) -> WriteResult:
        with self.transaction() as tx:
            return tx.delete(name, ids)

    def create_collection(self, collection: Collection, *, exist_ok: bool = False) -> Collection:
        with self.transaction() as tx:
            return tx.create_collection(collection, exist_ok=exist_ok)

    def drop_collection(self, name: str) -> None:
        with self.transaction() as tx:
            tx.drop_collection(name)

    def create_index(self, name: str, properties: Sequence[str]) -> bool:
        """Index a collection's properties (see :meth:`Transaction.create_index`); False if declared already."""
        with self.transaction() as tx:
            return tx.create_index(name, properties)

    def drop_index(self, name: str, properties: Sequence[str]) -> bool:
        """Drop the index on exactly these properties; False if there was none."""
        with self.transaction() as tx:
            return tx.drop_index(name, properties)

    def indexes(self, name: str) -> list[tuple[str, ...]]:
        """The property indexes declared on a collection."""
        return indexes.declared(self.schema(name))

    # -- life cycle ----------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
