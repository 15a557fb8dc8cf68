"""Copy collections between stores (either backend to either): schema, metadata, features, times, property indexes."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from vkc.store import indexes
from vkc.store.base import Store
from vkc.store.model import Collection, Feature, FeatureBatch, Query

BATCH = 10_000


def copy_store(
    source: Store,
    target: Store,
    names: Iterable[str] | None = None,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy every collection (or those named) from ``source`` into ``target``, one transaction each.

    Ids are kept, so copying again replaces rather than duplicates.
    """
    wanted = list(names) if names is not None else [c.name for c in source.collections()]
    copied: dict[str, int] = {}
    for name in wanted:
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
        copied[name] = count
    return copied
