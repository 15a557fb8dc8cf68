"""What a component says about each of its tables, so that ``vkc store copy`` carries them between backends.

The copier (:mod:`vkc.store.copy`) reads a table's columns from the source
store's catalogue; what it cannot read there is what a value *means* when the
two backends spell it differently. A :class:`Table` says that, for the columns
where it matters (see the table in :mod:`vkc.store.dialect`):

==========  ==========================  ===========================================
kind        PostgreSQL + PostGIS        GeoPackage (SQLite)
==========  ==========================  ===========================================
time        timestamptz                 INTEGER microseconds since 1970-01-01 UTC
json        jsonb                       TEXT (JSON)
geometry    geometry(Geometry, 4326)    TEXT GeoJSON, plus ``_minx`` … ``_maxy``
boolean     boolean                     INTEGER 0 / 1
==========  ==========================  ===========================================

Every other column is copied as it is. When one of the stores is PostgreSQL,
the copier checks the declaration against its catalogue first (a
``timestamptz`` column not declared ``time`` is refused), so a declaration
that has fallen behind its table stops the copy instead of corrupting it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from vkc.store.dialect import Conn

ColumnKind = Literal["time", "json", "geometry", "boolean"]
COLUMN_KINDS: tuple[ColumnKind, ...] = ("time", "json", "geometry", "boolean")

#: run in the target's transaction before each batch is written: the target connection, the columns, the batch's rows
#: (decoded: times as aware datetimes, JSON as Python values, geometries as GeoJSON dicts, booleans as bool)
Prepare = Callable[[Conn, Sequence[str], Sequence[Sequence[Any]]], None]


@dataclass(frozen=True)
class Table:
    """One table of a component, as ``vkc store copy`` carries it."""

    name: str
    #: the columns that identify a row (a primary key or unique constraint): copying again replaces the row with the same key
    key: tuple[str, ...]
    #: the columns whose representation differs between the backends, by kind; other columns are copied as they are
    kinds: Mapping[str, ColumnKind] = field(default_factory=dict)
    #: an integer column the database numbers (identity, sequence, AUTOINCREMENT), advanced past the copied values
    serial: str | None = None
    #: work the target needs before a batch lands (e.g. the partitions its rows fall in)
    prepare: Prepare | None = None

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError(f"table {self.name}: a key is needed, so that copying again replaces rows")
        wrong = {c: k for c, k in self.kinds.items() if k not in COLUMN_KINDS}
        if wrong:
            raise ValueError(f"table {self.name}: unknown column kinds {wrong} (known: {', '.join(COLUMN_KINDS)})")


__all__ = ["COLUMN_KINDS", "ColumnKind", "Prepare", "Table"]
