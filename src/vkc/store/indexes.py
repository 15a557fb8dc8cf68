"""Property indexes a user declares on a collection (``vkc index create COLLECTION PROPERTY...``).

An index is a B-tree on one property column, or a composite one on several, in
the order given (an equality on the first and a range on the second is the case
it is made for). The store records each collection's declared indexes in its
metadata under :data:`METADATA_KEY`, a list of property lists, so that ``vkc
store copy`` and GeoPackage exports can make them again; the key is the
store's own: ``set_metadata`` and ``create_collection`` keep it as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from vkc.errors import InputError
from vkc.store.model import Collection

METADATA_KEY = "indexes"
#: queryables the store indexes by itself
_BUILT_IN = {"id": "the feature id has a unique index", "datetime": "the feature time has indexes", "geometry": "the geometry has a spatial index"}


def declared(coll: Collection) -> list[tuple[str, ...]]:
    """The property indexes declared on ``coll``, in the order they were made."""
    return [tuple(p) for p in coll.metadata.get(METADATA_KEY) or []]


def check_properties(coll: Collection, properties: Sequence[str]) -> tuple[str, ...]:
    """The properties of an index on ``coll``, checked: known, indexable, none twice."""
    props = tuple(properties)
    if not props:
        raise InputError("an index needs at least one property", field="properties")
    fields = coll.field_map()
    for name in props:
        if name in _BUILT_IN and name not in fields:
            raise InputError(f"{name!r} needs no index of its own: {_BUILT_IN[name]}", field="properties")
        if name not in fields:
            raise InputError(
                f"collection {coll.name!r} has no property {name!r}; properties: {', '.join(fields) or 'none'}", field="properties"
            )
        if fields[name].type == "json":
            raise InputError(f"property {name!r} of {coll.name!r} holds JSON, which filters only test for null: it is not indexed", field="properties")
    if len(set(props)) != len(props):
        raise InputError(f"an index names each property once: {', '.join(props)}", field="properties")
    return props


def index_name(table: str, properties: Sequence[str]) -> str:
    """The database name of an index: readable, unique per (table, properties), at most 63 characters (PostgreSQL's limit)."""
    digest = hashlib.sha1("\x00".join([table, *properties]).encode()).hexdigest()[:8]
    readable = "_".join(["vkc_pidx", table, *properties])[:50]
    return f"{readable}_{digest}"


def with_declared(metadata: dict[str, Any], indexes: Iterable[Sequence[str]]) -> dict[str, Any]:
    """``metadata`` carrying exactly ``indexes`` under the store's key (left out when there are none)."""
    out = {k: v for k, v in metadata.items() if k != METADATA_KEY}
    listed = [list(p) for p in indexes]
    if listed:
        out[METADATA_KEY] = listed
    return out
