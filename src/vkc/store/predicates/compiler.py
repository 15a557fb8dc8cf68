"""The predicate compiler: one expression tree (:mod:`vkc.store.filters`) to SQL, for either backend.

A :class:`PredicateCompiler` is made for one backend's
:class:`~vkc.store.dialect.Dialect` and one set of
:class:`~vkc.store.predicates.queryables.Queryables` (a feature collection, a
SensorThings entity type …), which say what each property is in SQL. It
writes the boolean structure, spatial relations (narrowed by bounding box
where the backend needs it) and the literals' parameters itself; how values
of each kind compare is the business of the queryables' typing
(:mod:`~vkc.store.predicates.declared_types` for schemas,
:mod:`~vkc.store.predicates.dynamic_types` for self-typed values). Every
error is an :class:`~vkc.errors.InputError` naming the request parameter
being compiled (``filter``, ``$filter``, ``$orderby`` …).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import shapely

from vkc.errors import InputError
from vkc.store import filters as F
from vkc.store.predicates.declared_types import DeclaredTypes
from vkc.store.predicates.dynamic_types import DynamicTypes
from vkc.store.predicates.limits import LIMITS, ExpressionLimits
from vkc.store.predicates.operand import Fragment, Operand, condition

if TYPE_CHECKING:
    from vkc.store.dialect import Dialect
    from vkc.store.predicates.queryables import Queryables

#: runs of AND / OR longer than this are written as balanced groups, so that the SQL nests logarithmically deep
_FLAT_RUN = 8
#: spatial relations that hold of a geometry with itself (when it is not empty)
_REFLEXIVE = ("intersects", "equals", "within", "contains")


class PredicateCompiler:
    """Compiles expressions about the rows the ``queryables`` describe into SQL with ``?`` placeholders."""

    def __init__(self, dialect: Dialect, queryables: Queryables, *, limits: ExpressionLimits = LIMITS) -> None:
        self.dialect = dialect
        self.queryables = queryables
        self.limits = limits
        self.types: DeclaredTypes | DynamicTypes = DeclaredTypes(self) if queryables.typing == "declared" else DynamicTypes(self)
        self.field = "filter"

    # -- entry points -----------------------------------------------------------------
    def condition(self, expr: Any, field: str, *, bounded: bool = True) -> Fragment:
        """The SQL of a condition given as the request parameter ``field``; ``bounded``: measured against the limits first
        (what a request sends is; conditions the store builds itself are not)."""
        self.field = field
        if bounded:
            self.limits.check([expr], self.fail)
        return self.predicate(expr).fragment

    def order(self, items: Sequence[tuple[Any, bool]], field: str) -> Fragment:
        """``ORDER BY`` terms of (expression, descending) items given as the request parameter ``field``."""
        self.field = field
        self.limits.check([expr for expr, _ in items], self.fail)
        return self.types.order(items)

    def fail(self, message: str) -> InputError:
        """An error about the parameter being compiled."""
        return InputError(f"{self.field}: {message}", field=self.field)

    # -- conditions ---------------------------------------------------------------------
    def predicate(self, node: Any) -> Operand:
        if isinstance(node, F.And | F.Or):
            items = [self.predicate(item) for item in node.items]
            return condition(*_joined("AND" if isinstance(node, F.And) else "OR", [i.fragment for i in items]))
        if isinstance(node, F.Not):
            inner = self.predicate(node.item)
            return condition(f"(NOT {inner.sql})", inner.params)
        if isinstance(node, F.BoolValue):
            return condition("(1 = 1)" if node.value else "(1 = 0)")
        return self.types.predicate(node)

    def resolve(self, prop: F.Prop) -> Operand:
        """What a queryable is in SQL."""
        return self.queryables.resolve(prop, self.fail)

    def describe(self, node: Any) -> str:
        """How messages name a node."""
        return self.queryables.describe(node)

    # -- geometries -------------------------------------------------------------------
    def geometry_literal(self, shape: shapely.Geometry) -> Operand:
        wkb = shapely.to_wkb(shape, flavor="iso", output_dimension=2)
        return Operand(self.dialect.geometry_literal_sql(), [wkb], "geometry", value=shape)

    def spatial_relation(self, relation: str, a: Operand, b: Operand, pattern: str | None = None) -> Operand:
        """``relation(a, b)`` of two geometries (``intersects`` … ``contains``, or ``relate`` with a DE-9IM ``pattern``).

        Two literals are decided here; a geometry with itself holds the
        reflexive relations when it is there; a column meeting a literal is
        narrowed to the rows whose box overlaps the literal's, through the
        backend's index, before the exact test.
        """
        if a.is_literal and b.is_literal:
            holds = shapely.relate_pattern(a.value, b.value, pattern) if pattern else getattr(shapely, relation)(a.value, b.value)
            return condition("(1 = 1)" if bool(holds) else "(1 = 0)")
        if pattern is None and not a.params and not b.params and a.sql == b.sql:
            return condition(f"({a.sql} IS NOT NULL)" if relation in _REFLEXIVE else "(1 = 0)")
        test = self.dialect.spatial_test(relation, a, b, pattern)
        column, literal = (a, b) if b.is_literal else (b, a)
        if pattern is not None or relation == "disjoint" or not literal.is_literal or shapely.is_empty(literal.value):
            return condition(*test)
        narrowing = self.dialect.spatial_narrowing(column, literal)
        if narrowing is None:
            return condition(*test)
        return condition(f"({narrowing[0]} AND {test[0]})", [*narrowing[1], *test[1]])


def _joined(word: str, parts: list[Fragment]) -> Fragment:
    """``(a AND b AND …)``; a long run as balanced groups, so that databases need not nest one level per item."""
    if len(parts) <= _FLAT_RUN:
        return "(" + f" {word} ".join(sql for sql, _ in parts) + ")", [p for _, params in parts for p in params]
    half = len(parts) // 2
    (left, lp), (right, rp) = _joined(word, parts[:half]), _joined(word, parts[half:])
    return f"({left} {word} {right})", [*lp, *rp]
