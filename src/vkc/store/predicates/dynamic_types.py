"""Values that carry their own type (SensorThings results and JSON documents): literals keep theirs, and columns adapt.

Each compiled operand has a kind (:mod:`~vkc.store.predicates.operand`),
which decides how comparisons are written:

- a ``variant`` value (a result kept as a number, a string or any JSON) is
  compared as a number, a string or a boolean according to the other operand;
- a path into JSON (``properties/owner``) is compared as that JSON value;
- an interval is after ``t`` when it starts after ``t`` and before ``t`` when
  it ends before ``t``;
- ``null`` is compared with ``=`` and ``<>`` only.

Arithmetic and the OData functions (string, date, rounding, geometry) are
written by the dialect.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from vkc.store import filters as F
from vkc.store.predicates.operand import Fragment, Operand, condition

if TYPE_CHECKING:
    from vkc.store.predicates.compiler import PredicateCompiler

#: the spatial relation of each OData function
SPATIAL_FUNCTIONS = {
    "geo.intersects": "intersects",
    "st_intersects": "intersects",
    "st_equals": "equals",
    "st_disjoint": "disjoint",
    "st_touches": "touches",
    "st_within": "within",
    "st_overlaps": "overlaps",
    "st_crosses": "crosses",
    "st_contains": "contains",
}
#: OData's string functions: the kinds of their arguments (s: string, n: number) and of their value
_STRING_FUNCTIONS = {
    "substringof": ("ss", "bool"),
    "startswith": ("ss", "bool"),
    "endswith": ("ss", "bool"),
    "length": ("s", "number"),
    "indexof": ("ss", "number"),
    "substring": ("sn", "string"),
    "substring3": ("snn", "string"),
    "tolower": ("s", "string"),
    "toupper": ("s", "string"),
    "trim": ("s", "string"),
    "concat": ("ss", "string"),
}
_OPERATOR_WORDS = {"=": "eq", "<>": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


class DynamicTypes:
    def __init__(self, compiler: PredicateCompiler) -> None:
        self.c = compiler
        self.d = compiler.dialect

    # -- conditions ---------------------------------------------------------------------
    def predicate(self, node: Any) -> Operand:
        if isinstance(node, F.Compare):
            return self.compare(node)
        op = self.value(node)
        if op.kind not in ("bool", "any"):
            raise self.c.fail(f"{self.c.describe(node)} is not a condition (true or false)")
        if op.kind == "any" and isinstance(node, F.Prop):
            return condition(f"({op.sql} = ?)", [*op.params, True])
        return op

    def compare(self, node: F.Compare) -> Operand:
        left, right = self.value(node.left), self.value(node.right)
        if right.kind == "null" or left.kind == "null":
            other = left if right.kind == "null" else right
            test = "IS NULL" if node.op == "=" else "IS NOT NULL" if node.op == "<>" else None
            if test is None:
                raise self.c.fail(f"null can only be compared with eq or ne, not {_OPERATOR_WORDS[node.op]}")
            columns = self.value_columns(other)
            joined = (" AND " if test == "IS NULL" else " OR ").join(f"{sql} {test}" for sql, _ in columns)
            return condition(f"({joined})", [p for _, params in columns for p in params])
        left, right = self.fit(left, right), self.fit(right, left)
        if left.kind == "interval" or right.kind == "interval":
            return self.compare_interval(node.op, left, right)
        return condition(f"({left.sql} {node.op} {right.sql})", [*left.params, *right.params])

    def compare_interval(self, op: str, left: Operand, right: Operand) -> Operand:
        """An interval is after ``t`` when it starts after it, before ``t`` when it ends before it."""

        def end(o: Operand) -> Operand:
            return o.end or o

        if op in (">", ">="):
            a, b = left, end(right)
        elif op in ("<", "<="):
            a, b = end(left), right
        else:
            a2, b2 = end(left), end(right)
            sql = f"({left.sql} {op} {right.sql} {'AND' if op == '=' else 'OR'} {a2.sql} {op} {b2.sql})"
            return condition(sql, [*left.params, *right.params, *a2.params, *b2.params])
        return condition(f"({a.sql} {op} {b.sql})", [*a.params, *b.params])

    def fit(self, op: Operand, other: Operand) -> Operand:
        """A variant or a JSON path as a value of the other operand's kind."""
        if op.variant is not None:
            number, string, json = op.variant
            if other.kind == "bool":
                return Operand(*self.d.json_boolean(json, ()), "bool")
            if other.kind == "string":
                return Operand(string, [], "string")
            return Operand(number, [], "number")
        if op.json is not None:
            root, keys = op.json.root, op.json.keys
            if other.kind == "number":
                return Operand(*self.d.json_number(root, keys), "number")
            if other.kind == "bool":
                return Operand(*self.d.json_boolean(root, keys), "bool")
            return Operand(*self.d.json_text(root, keys), "string")
        if op.kind == "time" and other.kind == "string":
            raise self.c.fail("a time is compared with a string; write the time without quotes")
        return op

    def value_columns(self, op: Operand) -> list[Fragment]:
        """The columns a value is kept in, each null when the value is."""
        if op.variant is not None:
            return [(column, []) for column in op.variant]
        if op.json is not None:
            return [self.d.json_text(op.json.root, op.json.keys)]
        return [op.fragment]

    def order(self, items: Sequence[tuple[Any, bool]]) -> Fragment:
        """``ORDER BY`` terms; nulls in each backend's own order (PostgreSQL: as the largest values, SQLite: as the smallest)."""
        parts: list[str] = []
        params: list[Any] = []
        for expr, descending in items:
            op = self.value(expr)
            if op.variant is not None:
                columns = list(op.variant[:2])
            elif op.json is not None:
                sql, found = self.d.json_text(op.json.root, op.json.keys)
                columns, params = [sql], [*params, *found]
            else:
                columns, params = [op.sql], [*params, *op.params]
            parts += [f"{c} DESC" if descending else c for c in columns]
        return ", ".join(parts), params

    # -- values -------------------------------------------------------------------------
    def value(self, node: Any) -> Operand:
        if isinstance(node, F.Prop):
            return self.c.resolve(node)
        if isinstance(node, F.Call):
            return self.call(node)
        if isinstance(node, F.Arith):
            return self.arithmetic(node)
        if isinstance(node, F.Negate):
            inner = self.numeric(self.value(node.operand), node.operand)
            return Operand(f"(-{inner.sql})", inner.params, "number")
        if isinstance(node, F.Compare | F.And | F.Or | F.Not | F.BoolValue):
            return self.c.predicate(node)
        return self.literal(node)

    def literal(self, value: Any) -> Operand:
        if value is None:
            return Operand("NULL", [], "null", value=None)
        if isinstance(value, bool):
            return Operand("?", [value], "bool", value=value)
        if isinstance(value, int | float):
            return Operand("?", [value], "number", value=value)
        if isinstance(value, str):
            return Operand("?", [value], "string", value=value)
        if isinstance(value, datetime):
            return Operand("?", [self.d.time_in(value.astimezone(UTC))], "time", value=value)
        if isinstance(value, date):
            sql, params = self.d.date_literal(value)
            return Operand(sql, params, "date", value=value)
        if isinstance(value, F.WktGeometry):
            return self.c.geometry_literal(value.shape)
        raise self.c.fail(f"cannot use the value {value!r} here")

    def numeric(self, op: Operand, node: Any) -> Operand:
        if op.variant is not None:
            return Operand(op.variant[0], [], "number")
        if op.json is not None:
            return self.fit(op, Operand("", [], "number"))
        if op.kind not in ("number", "any"):
            raise self.c.fail(f"{self.c.describe(node)} is not a number")
        return op

    def arithmetic(self, node: F.Arith) -> Operand:
        a = self.numeric(self.value(node.left), node.left)
        b = self.numeric(self.value(node.right), node.right)
        return Operand(self.d.arithmetic(node.op, a.sql, b.sql), [*a.params, *b.params], "number")

    # -- functions ----------------------------------------------------------------------
    def call(self, node: F.Call) -> Operand:
        name, args = node.name, node.args
        if name in SPATIAL_FUNCTIONS:
            return self.c.spatial_relation(SPATIAL_FUNCTIONS[name], self.geometry(args[0]), self.geometry(args[1]))
        if name == "st_relate":
            a, b, pattern = self.geometry(args[0]), self.geometry(args[1]), args[2]
            if not isinstance(pattern, str):
                raise self.c.fail("st_relate needs a DE-9IM pattern string as its third argument")
            return self.c.spatial_relation("relate", a, b, pattern)
        if name in ("geo.distance", "geo.length"):
            ops = [self.geometry(a) for a in args]
            sql, params = self.d.geometry_measure(name[4:], ops[0], ops[1] if len(ops) > 1 else None)
            return Operand(sql, params, "number")
        if name in ("now", "mindatetime", "maxdatetime"):
            return self.instant(name, args)
        if name == "substring" and len(args) == 3:
            name = "substring3"
        if name in _STRING_FUNCTIONS:
            kinds, result = _STRING_FUNCTIONS[name]
            parts = [self.text(a) if k == "s" else self.numeric(self.value(a), a).fragment for a, k in zip(args, kinds, strict=True)]
            return _filled(self.d.string_function(name), parts, result)
        ops = [self.value(a) for a in args]
        if name in ("round", "floor", "ceiling"):
            return Operand(*self.d.rounding(name, self.numeric(ops[0], args[0]).fragment), "number")
        return self.time_part(name, ops[0], args[0])

    def instant(self, name: str, args: tuple[Any, ...]) -> Operand:
        if name == "now":
            return Operand("?", [self.d.time_in(datetime.now(UTC))], "time")
        if not args:  # OData's constants: the earliest and latest times there are
            bound = datetime.min if name == "mindatetime" else datetime.max
            return Operand("?", [self.d.time_in(bound.replace(tzinfo=UTC))], "time")
        op = self.value(args[0])
        if op.kind != "interval":
            return op
        if name == "mindatetime":
            return Operand(op.sql, op.params, "time")
        end = op.end or op
        return Operand(end.sql, end.params, "time")

    def text(self, node: Any) -> Fragment:
        op = self.value(node)
        if op.json is not None:
            return self.d.json_text(op.json.root, op.json.keys)
        if op.variant is not None:
            return op.variant[1], []
        if op.kind not in ("string", "any"):
            raise self.c.fail(f"{self.c.describe(node)} is not a string")
        return op.fragment

    def time_part(self, name: str, op: Operand, node: Any) -> Operand:
        if op.kind not in ("time", "interval"):
            raise self.c.fail(f"{name}() needs a time, not {self.c.describe(node)}")
        template, kind = self.d.time_part(name)
        return _filled(template, [op.fragment], kind)

    def geometry(self, node: Any) -> Operand:
        op = self.value(node)
        if op.kind != "geometry":
            raise self.c.fail(f"{self.c.describe(node)} is not a geometry")
        return op


def _filled(template: str, parts: list[Fragment], kind: str) -> Operand:
    """``template`` with ``{i}`` replaced by argument i's SQL, the parameters collected in the order they appear."""
    params: list[Any] = []

    def one(match: re.Match[str]) -> str:
        sql, found = parts[int(match.group(1))]
        params.extend(found)
        return sql

    return Operand(re.sub(r"\{(\d)\}", one, template), params, kind)
