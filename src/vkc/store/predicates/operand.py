"""What the compiler makes of a value: its SQL, parameters and kind, and what some kinds carry with them.

Kinds of values whose type a schema declares (feature collections):
``integer``, ``real``, ``text``, ``boolean``, ``date``, ``datetime``, ``json``
(the property types), ``feature_time`` (a feature's own time: an interval,
``end`` its end) and ``geometry``.

Kinds of values that carry their own type (SensorThings): ``number``,
``string``, ``bool``, ``time``, ``date``, ``interval`` (``end`` its end),
``geometry``, ``json`` (a path into a JSON column, ``json`` its root and
keys), ``json_whole`` (a JSON column itself), ``variant`` (a value kept in a
number, a string and a JSON column, ``variant`` those three), ``null``
and ``any``.

A literal carries its Python value (a geometry its shapely shape), so that
geometry tests can narrow by its bounds and relations of two literals can be
decided at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

Fragment = tuple[str, list[Any]]
"""SQL text and its parameters, in the order of their placeholders."""

#: no literal value (None is the literal null)
NO_VALUE: Any = type("NoValue", (), {"__repr__": lambda self: "NO_VALUE"})()


class Envelope(Protocol):
    """How rows are narrowed by their geometry's bounding box in SQLite (PostgreSQL's GiST needs none)."""

    def overlaps(self, bounds: tuple[float, float, float, float]) -> Fragment:
        """SQL keeping the rows whose box overlaps ``bounds`` (minx, miny, maxx, maxy)."""
        ...

    def lifted(self, wrap: Callable[[str], str]) -> Envelope:
        """The same boxes read through ``wrap`` (a subquery over a related row)."""
        ...


@dataclass(frozen=True)
class RTreeEnvelope:
    """A GeoPackage R*Tree (``rtree``, quoted) indexing the rows of a feature table by ``key``."""

    rtree: str
    key: str = "t.fid"

    def overlaps(self, bounds: tuple[float, float, float, float]) -> Fragment:
        minx, miny, maxx, maxy = bounds
        sql = f"{self.key} IN (SELECT id FROM {self.rtree} WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)"
        return sql, [maxx, minx, maxy, miny]

    def lifted(self, wrap: Callable[[str], str]) -> Envelope:
        return replace(self, key=wrap(self.key))


@dataclass(frozen=True)
class EnvelopeColumns:
    """The bounding-box columns kept beside a geometry column (``Dialect.geometry_columns``)."""

    minx: str
    miny: str
    maxx: str
    maxy: str

    def overlaps(self, bounds: tuple[float, float, float, float]) -> Fragment:
        minx, miny, maxx, maxy = bounds
        return f"{self.maxx} >= ? AND {self.minx} <= ? AND {self.maxy} >= ? AND {self.miny} <= ?", [minx, maxx, miny, maxy]

    def lifted(self, wrap: Callable[[str], str]) -> Envelope:
        return EnvelopeColumns(wrap(self.minx), wrap(self.miny), wrap(self.maxx), wrap(self.maxy))


@dataclass(frozen=True)
class JsonPath:
    """The value at ``keys`` in the JSON held by ``root`` (a column, or a subquery reading one)."""

    root: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Operand:
    sql: str
    params: list[Any] = field(default_factory=list)
    kind: str = "any"
    #: an interval's end (``sql`` is its start)
    end: Operand | None = None
    #: a geometry column's boxes, for narrowing in SQLite
    envelope: Envelope | None = None
    json: JsonPath | None = None
    #: a value of several types: its number, string and JSON columns
    variant: tuple[str, str, str] | None = None
    #: a literal's value (NO_VALUE for anything else)
    value: Any = NO_VALUE

    @property
    def is_literal(self) -> bool:
        return self.value is not NO_VALUE

    @property
    def fragment(self) -> Fragment:
        return self.sql, list(self.params)


def condition(sql: str, params: list[Any] | None = None) -> Operand:
    """A true-or-false value."""
    return Operand(sql, params or [], "bool")
