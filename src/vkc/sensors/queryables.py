"""What SensorThings ``$filter`` and ``$orderby`` paths are in SQL: the queryables of an entity type, for the predicate compiler.

The database filters and sorts, never Python: :func:`compiler` gives the
kernel's :class:`~vkc.store.predicates.PredicateCompiler` for one entity set,
with :class:`EntityQueryables` resolving its paths:

- a field is its column; ``result`` a value kept in a number, a string and a
  JSON column; an interval (``phenomenonTime`` of an observation over a
  period) its start and end columns; a geometry its GeoJSON column and, in
  SQLite, the bounding-box columns beside it;
- a path into a JSON field (``properties/owner``) is that JSON value;
- a path through to-one relations (``Datastream/Thing/name``) is a scalar
  subquery; a foreign key is used directly where the path ends in ``id``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from vkc.errors import InputError
from vkc.sensors.db import SensorDb
from vkc.sensors.entities import ENTITY_TYPES, EntityType
from vkc.store import filters as F
from vkc.store.dialect import BBOX_SUFFIXES
from vkc.store.predicates import EnvelopeColumns, JsonPath, Operand, PredicateCompiler, Typing

Fail = Callable[[str], InputError]


def compiler(db: SensorDb, et: EntityType, alias: str = "e") -> PredicateCompiler:
    """The predicate compiler for expressions about ``et``'s entities, its table aliased ``alias``."""
    return PredicateCompiler(db.sql, EntityQueryables(et, alias))


class EntityQueryables:
    typing: Typing = "dynamic"

    def __init__(self, et: EntityType, alias: str = "e") -> None:
        self.et = et
        self.alias = alias
        self._aliases = itertools.count(1)  # the aliases of related tables in subqueries: e1, e2, …

    def resolve(self, prop: F.Prop, fail: Fail) -> Operand:
        return self.path(self.et, self.alias, prop.steps, fail)

    def describe(self, node: Any) -> str:
        if isinstance(node, F.Prop):
            return "/".join(node.steps)
        if isinstance(node, F.Call):
            return f"{node.name}(…)"
        return repr(node)

    def path(self, et: EntityType, alias: str, segments: tuple[str, ...], fail: Fail) -> Operand:
        head, rest = segments[0], segments[1:]
        if head in ("id", "@iot.id"):
            if rest:
                raise fail(f"{'/'.join(segments)}: id has no parts")
            return Operand(f"{alias}.id", kind="number")
        field = et.field(head)
        if field is not None:
            return self.field(et, head, f"{alias}.{field.column}", field.kind, rest, fail)
        rel = et.relation(head)
        if rel is None:
            raise fail(f"{et.name} has no property or relation {head!r}")
        if rel.many:
            raise fail(f"{et.name}/{head} leads to many entities; filter from the other side")
        if not rest:
            raise fail(f"{et.name}/{head} is an entity, not a value; name one of its properties")
        if rest in (("id",), ("@iot.id",)):
            return Operand(f"{alias}.{rel.fk}", kind="number")
        target = ENTITY_TYPES[rel.target]
        inner_alias = f"{self.alias}{next(self._aliases)}"
        inner = self.path(target, inner_alias, rest, fail)

        def related(expr: str) -> str:
            return f"(SELECT {expr} FROM {target.table} {inner_alias} WHERE {inner_alias}.id = {alias}.{rel.fk})"

        return _lifted(inner, related, fail)

    def field(self, et: EntityType, head: str, column: str, kind: str, rest: tuple[str, ...], fail: Fail) -> Operand:
        if kind == "json":
            return Operand(column, kind="json", json=JsonPath(column, rest)) if rest else Operand(column, kind="json_whole")
        if rest:
            raise fail(f"{et.name}/{head} has no property {rest[0]!r}")
        if kind == "interval":
            return Operand(f"{column}_start", kind="interval", end=Operand(f"coalesce({column}_end, {column}_start)", kind="time"))
        if kind == "result":
            return Operand(column, kind="variant", variant=(f"{column}_number", f"{column}_string", f"{column}_json"))
        if kind == "geometry":
            return Operand(column, kind="geometry", envelope=EnvelopeColumns(*(column + s for s in BBOX_SUFFIXES)))
        if kind == "time":
            return Operand(column, kind="time")
        return Operand(column, kind="string")


def _lifted(inner: Operand, related: Callable[[str], str], fail: Fail) -> Operand:
    """A value of a related entity, read through the subquery ``related``."""
    if inner.variant is not None:
        raise fail("result can only be filtered on Observations")
    if inner.json is not None:
        root = related(inner.json.root)
        return Operand(root, kind="json", json=JsonPath(root, inner.json.keys))
    if inner.end is not None:
        return Operand(related(inner.sql), kind="interval", end=Operand(related(inner.end.sql), kind="time"))
    envelope = inner.envelope.lifted(related) if inner.envelope is not None else None
    return Operand(related(inner.sql), inner.params, inner.kind, envelope=envelope)
