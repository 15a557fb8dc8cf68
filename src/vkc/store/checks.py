"""Checks and conversions every store backend applies the same way before it writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from vkc.errors import InputError
from vkc.store.model import CONTROL_CHARACTERS, MAX_NAME_BYTES, RESERVED_NAMES, Collection, EncodedBatch, Field, FieldType
from vkc.store.values import column_type, to_sql, widen


def needed_fields(coll: Collection, columns: dict[str, list[Any]]) -> list[Field]:
    """Fields to add, or to widen, so that a batch's columns fit the collection's schema."""
    known = coll.field_map()
    needed = []
    for key, column in columns.items():
        current = known.get(key)
        ftype = column_type(column, current.type if current else None)
        if current is None:
            needed.append(Field(key, ftype or "text"))
        elif ftype is not None and widen(current.type, ftype) != current.type:
            needed.append(Field(key, ftype))
    return needed


def plan_fields(coll: Collection, fields: Iterable[Field]) -> tuple[list[Field], list[Field], list[Field]]:
    """What adding ``fields`` to a collection means: (columns to add, columns to widen, the new schema).

    Names are compared without case, as GeoPackage (SQLite) does; a name that
    differs from an existing one only in case is refused.
    """
    current = coll.field_map()
    lower = {n.lower(): n for n in current}
    schema = list(coll.fields)
    added: list[Field] = []
    widened: list[Field] = []
    for f in fields:
        existing = current.get(f.name)
        if existing is None:
            if f.name.lower() in lower:
                raise InputError(
                    f"property {f.name!r} differs only in letter case from {lower[f.name.lower()]!r}; "
                    "property names are compared without case",
                    field=f.name,
                )
            check_field_names([f])
            schema.append(f)
            added.append(f)
            current[f.name] = f
            lower[f.name.lower()] = f.name
            continue
        wider = widen(existing.type, f.type)
        if wider != existing.type:
            new = Field(f.name, wider)
            schema[next(i for i, s in enumerate(schema) if s.name == f.name)] = current[f.name] = new
            widened.append(new)
    return added, widened, schema


def check_duplicate_ids(name: str, ids: list[str]) -> None:
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dupes: list[str] = []
        for i in ids:
            if i in seen:
                dupes.append(i)
            seen.add(i)
        raise InputError(f"duplicate feature ids in one write to {name!r}: {', '.join(map(repr, dupes[:5]))}")


def columns_of(properties: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Properties column by column, keys in first-seen order."""
    keys: dict[str, None] = {}
    for props in properties:
        keys.update(dict.fromkeys(props))
    return {k: [p.get(k) for p in properties] for k in keys}


def column_to_sql(column: list[Any] | None, ftype: FieldType, n: int) -> list[Any]:
    if column is None:
        return [None] * n
    kinds = set(map(type, column))
    kinds.discard(type(None))
    natives: dict[str, set[type]] = {"integer": {int}, "real": {int, float}, "text": {str}, "date": {str}, "datetime": {str}}
    native = natives.get(ftype)
    if native is not None and kinds <= native:
        return column
    return [to_sql(v, ftype) for v in column]


def check_field_names(fields: Iterable[Field]) -> None:
    seen: set[str] = set()
    for f in fields:
        low = f.name.lower()
        if low in RESERVED_NAMES:
            raise InputError(f"property name {f.name!r} is reserved by the store", field=f.name)
        control = CONTROL_CHARACTERS.search(f.name)
        if control is not None or not f.name:
            what = "is empty" if control is None else f"holds a control or invisible character (U+{ord(control.group()):04X})"
            raise InputError(f"property name {f.name!r} {what}; rename it", field="properties")
        size = len(f.name.encode("utf-8"))
        if size > MAX_NAME_BYTES:
            raise InputError(
                f"property name {f.name!r} is {size} bytes in UTF-8; the store keeps names of at most {MAX_NAME_BYTES} "
                "(PostgreSQL's limit, where letters with Vietnamese diacritics take 2 or 3 bytes each): shorten it",
                field=f.name,
            )
        if low in seen:
            raise InputError(f"property {f.name!r} appears twice (names are case-insensitive)", field=f.name)
        seen.add(low)


_TYPE_IDS = {
    "POINT": {0},
    "LINESTRING": {1},
    "POLYGON": {3},
    "MULTIPOINT": {4},
    "MULTILINESTRING": {5},
    "MULTIPOLYGON": {6},
    "GEOMETRYCOLLECTION": {7},
}


def check_geometry_types(coll: Collection, batch: EncodedBatch) -> None:
    allowed = _TYPE_IDS.get(coll.geometry_type)
    if allowed is None:
        return
    bad = np.flatnonzero(~np.isin(batch.type_ids, list(allowed) + [-1]))
    if bad.size:
        from vkc.geo.geometry_types import type_name

        i = int(bad[0])
        raise InputError(
            f"feature {batch.ids[i]!r}: a {type_name(int(batch.type_ids[i]))} in {coll.geometry_type} collection {coll.name!r}",
            id=batch.ids[i],
        )
