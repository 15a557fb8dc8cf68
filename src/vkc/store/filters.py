"""The store's filter expressions: the tree a CQL2 filter (text or JSON) parses into.

Backends translate a tree into SQL (``filter_sql``); nothing here evaluates a
filter feature by feature. Operands are :class:`Prop` (a queryable), plain
Python literals (``str``, ``int``, ``float``, ``bool``), ``date``, aware
``datetime`` (UTC), :class:`Interval`, shapely geometries (CRS84), or
:class:`Func` (``casei`` / ``accenti`` of an operand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

COMPARISON_OPS = ("=", "<>", "<", "<=", ">", ">=")
SPATIAL_OPS = ("s_intersects", "s_disjoint", "s_equals", "s_touches", "s_within", "s_overlaps", "s_crosses", "s_contains")
TEMPORAL_OPS = (
    "t_after",
    "t_before",
    "t_contains",
    "t_disjoint",
    "t_during",
    "t_equals",
    "t_finishedby",
    "t_finishes",
    "t_intersects",
    "t_meets",
    "t_metby",
    "t_overlappedby",
    "t_overlaps",
    "t_startedby",
    "t_starts",
)
FUNCTIONS = ("casei", "accenti")


@dataclass(frozen=True)
class Prop:
    """A queryable: a property name, or ``geometry`` / ``datetime`` / ``id``."""

    name: str


@dataclass(frozen=True)
class Interval:
    """A time interval; ``None`` is an open end (``'..'`` in CQL2)."""

    start: date | datetime | Prop | None
    end: date | datetime | Prop | None


@dataclass(frozen=True)
class Func:
    """``CASEI(x)`` or ``ACCENTI(x)``."""

    name: Literal["casei", "accenti"]
    arg: Any


@dataclass(frozen=True)
class Compare:
    op: Literal["=", "<>", "<", "<=", ">", ">="]
    left: Any
    right: Any


@dataclass(frozen=True)
class Like:
    """``value LIKE pattern``: ``%`` any run, ``_`` one character, ``\\`` escapes."""

    value: Any
    pattern: Any


@dataclass(frozen=True)
class Between:
    value: Any
    low: Any
    high: Any


@dataclass(frozen=True)
class In:
    value: Any
    items: tuple[Any, ...]


@dataclass(frozen=True)
class IsNull:
    value: Any


@dataclass(frozen=True)
class And:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    item: Any


@dataclass(frozen=True)
class BoolValue:
    """``TRUE`` or ``FALSE`` standing as a whole predicate."""

    value: bool


@dataclass(frozen=True)
class Spatial:
    """``S_INTERSECTS(a, b)`` and the other spatial functions; operands are Prop or shapely geometries."""

    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Temporal:
    """``T_AFTER(a, b)`` and the other temporal functions; operands are Prop, instants or Interval."""

    op: str
    left: Any
    right: Any


Expr = Compare | Like | Between | In | IsNull | And | Or | Not | BoolValue | Spatial | Temporal

