"""The one expression tree of the store's predicates: what CQL2 (text and JSON) and SensorThings OData parse into.

The predicate compiler (:mod:`vkc.store.predicates`) translates a tree into
SQL; nothing here evaluates an expression row by row. Conditions are
:class:`Compare`, :class:`Like`, :class:`Between`, :class:`In`,
:class:`IsNull`, :class:`And` / :class:`Or` / :class:`Not`,
:class:`BoolValue` (or a plain ``bool``), :class:`Spatial` and
:class:`Temporal`, and a :class:`Call` of a boolean function. Values are
:class:`Prop` (a queryable, with a path into it), :class:`Arith`,
:class:`Negate`, :class:`Call`, and literals: ``str``, ``int``, ``float``,
``bool``, ``None`` (null), ``date``, aware ``datetime`` (UTC), ``time`` (of
day), :class:`Duration`, :class:`Interval`, shapely geometries (CRS84) and
:class:`WktGeometry` (a geometry literal with the text it was written in).

Operators are spelt once: comparisons ``= <> < <= > >=``, arithmetic
``+ - * / %``; each parser maps its language's words (``eq``, ``add`` …) onto
them. Function names are lower-case as the language writes them
(``casei``, ``startswith``, ``st_within``, ``geo.distance`` …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

COMPARISON_OPS = ("=", "<>", "<", "<=", ">", ">=")
ARITHMETIC_OPS = ("+", "-", "*", "/", "%")
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
#: CQL2's text functions (``CASEI(x)``, ``ACCENTI(x)``), calls of one argument
FUNCTIONS = ("casei", "accenti")


@dataclass(frozen=True)
class Prop:
    """A queryable (``name``: a property, or ``geometry`` / ``datetime`` / ``id``) and a ``path`` into it.

    The path holds the steps after the first one of a SensorThings path:
    ``properties/owner`` is ``Prop("properties", ("owner",))``,
    ``Datastream/Thing/name`` is ``Prop("Datastream", ("Thing", "name"))``.
    """

    name: str
    path: tuple[str, ...] = ()

    @property
    def steps(self) -> tuple[str, ...]:
        """The whole path, the name first."""
        return (self.name, *self.path)


@dataclass(frozen=True)
class Interval:
    """A time interval; ``None`` is an open end (``'..'`` in CQL2)."""

    start: date | datetime | Prop | None
    end: date | datetime | Prop | None


@dataclass(frozen=True)
class Duration:
    """A length of time (OData ``duration'P1DT2H'``), as a (possibly negative) number of seconds."""

    seconds: float


@dataclass(frozen=True)
class WktGeometry:
    """A geometry literal as written (WKT, without an SRID prefix) and its shapely geometry (CRS84)."""

    wkt: str
    shape: Any


@dataclass(frozen=True)
class Call:
    """A function applied to its arguments; ``name`` is lower-case (``casei``, ``substring``, ``st_within``, ``geo.distance`` …)."""

    name: str
    args: tuple[Any, ...]


def Func(name: Literal["casei", "accenti"], arg: Any) -> Call:  # noqa: N802 - builds a node, as the classes do
    """``CASEI(x)`` or ``ACCENTI(x)``: the call of a CQL2 text function."""
    return Call(name, (arg,))


@dataclass(frozen=True)
class Arith:
    """``left op right`` with op one of ``+ - * / %``."""

    op: Literal["+", "-", "*", "/", "%"]
    left: Any
    right: Any


@dataclass(frozen=True)
class Negate:
    """``-x`` of something other than a number literal (number literals are negated in place)."""

    operand: Any


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
    """``S_INTERSECTS(a, b)`` and the other spatial relations; operands are geometries (a Prop or a literal)."""

    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Temporal:
    """``T_AFTER(a, b)`` and the other interval relations; operands are Prop, instants or Interval."""

    op: str
    left: Any
    right: Any


def conjunction(items: list[Any]) -> Any:
    """``And`` of the items, nested ``And`` flattened; one item alone is itself."""
    return _joined(And, items)


def disjunction(items: list[Any]) -> Any:
    """``Or`` of the items, nested ``Or`` flattened; one item alone is itself."""
    return _joined(Or, items)


def _joined(cls: type[And] | type[Or], items: list[Any]) -> Any:
    flat: list[Any] = []
    for item in items:
        flat.extend(item.items if isinstance(item, cls) else (item,))
    return flat[0] if len(flat) == 1 else cls(tuple(flat))


Expr = Compare | Like | Between | In | IsNull | And | Or | Not | BoolValue | Spatial | Temporal | Call
