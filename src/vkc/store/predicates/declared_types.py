"""Values typed by a schema (a feature collection's properties): literals are checked against, and converted to, the type they meet.

So ``population = 'many'`` is refused with a message rather than compared as
text. A queryable's kind is its property type, or ``feature_time`` (the
feature's own time, an interval with open ends allowed) or ``geometry``.
Temporal functions follow CQL2's interval relations (after Allen): an
instant is an interval with equal ends, an open end is infinite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import shapely

from vkc.errors import InputError
from vkc.store import filters as F
from vkc.store.model import FieldType
from vkc.store.predicates.operand import Fragment, Operand, condition
from vkc.store.values import PY_TYPES, format_datetime

if TYPE_CHECKING:
    from vkc.store.predicates.compiler import PredicateCompiler

#: what an operand of a comparison is: a property's type, or the feature's own time
OperandType = str
#: (kind, value) of one end of a temporal operand: ("sql", text) or ("val", a parameter)
Bound = tuple[str, Any]
_NUMERIC = {"integer", "real"}
#: the start and end of the feature's time (``Call`` names as OData spells them)
_INTERVAL_ENDS = ("mindatetime", "maxdatetime")


class DeclaredTypes:
    def __init__(self, compiler: PredicateCompiler) -> None:
        self.c = compiler
        self.d = compiler.dialect
        #: whether literals must be of the type they meet (False: conditions a caller built, converted as they are)
        self.checked: bool = getattr(compiler.queryables, "literals_checked", True)

    # -- conditions ---------------------------------------------------------------------
    def predicate(self, node: Any) -> Operand:
        if isinstance(node, F.Compare):
            return self.compare(node)
        if isinstance(node, F.Like):
            return self.like(node)
        if isinstance(node, F.Between):
            return self.between(node)
        if isinstance(node, F.In):
            return self.in_list(node)
        if isinstance(node, F.IsNull):
            return self.is_null(node)
        if isinstance(node, F.Spatial):
            return self.spatial(node)
        if isinstance(node, F.Temporal):
            return self.temporal(node)
        raise self.c.fail(f"{self.c.describe(node)} is not a condition (true or false)")

    def compare(self, node: F.Compare) -> Operand:
        left, right, op = node.left, node.right, node.op
        if not isinstance(left, F.Prop | F.Call) and isinstance(right, F.Prop | F.Call):
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)  # type: ignore[assignment]
        ltype = self.type_of(left)
        lsql, lparams = self.operand(left, ltype)
        rsql, rparams = self.operand(right, ltype)
        if op not in F.COMPARISON_OPS:
            raise self.c.fail(f"unknown comparison {op!r}")
        return condition(f"({lsql} {op} {rsql})", [*lparams, *rparams])

    def like(self, node: F.Like) -> Operand:
        ltype = self.type_of(node.value)
        if ltype != "text":
            raise self.c.fail(f"LIKE needs a text property, {self.c.describe(node.value)} is {ltype}")
        if not isinstance(node.pattern, str):
            raise self.c.fail("the pattern of LIKE must be a string")
        column, params = self.operand(node.value, ltype)
        return condition(f"({self.d.like(column, '?')})", [*params, self.d.like_pattern(node.pattern)])

    def between(self, node: F.Between) -> Operand:
        ltype = self.type_of(node.value)
        if ltype not in ("integer", "real", "date", "datetime", "text"):
            raise self.c.fail(f"BETWEEN needs a number, text or date property, {self.c.describe(node.value)} is {ltype}")
        (column, p0), (low, p1), (high, p2) = (self.operand(n, ltype) for n in (node.value, node.low, node.high))
        return condition(f"({column} BETWEEN {low} AND {high})", [*p0, *p1, *p2])

    def in_list(self, node: F.In) -> Operand:
        ltype = self.type_of(node.value)
        if not node.items:
            return condition("(1 = 0)")
        column, params = self.operand(node.value, ltype)
        items = [self.operand(v, ltype) for v in node.items]
        return condition(f"({column} IN ({', '.join(sql for sql, _ in items)}))", [*params, *(p for _, ps in items for p in ps)])

    def is_null(self, node: F.IsNull) -> Operand:
        if isinstance(node.value, F.Prop):
            queryable = self.c.resolve(node.value)
            if queryable.kind == "geometry":
                return condition(f"({queryable.sql} IS NULL)")
            if queryable.end is not None:
                return condition(f"({queryable.sql} IS NULL AND {queryable.end.sql} IS NULL)")
        ltype = self.type_of(node.value, allow_json=True)
        sql, params = self.operand(node.value, ltype)
        return condition(f"({sql} IS NULL)", params)

    def spatial(self, node: F.Spatial) -> Operand:
        sides = []
        for side in (node.left, node.right):
            operand = self.c.geometry_literal(side) if isinstance(side, shapely.Geometry) else None
            if operand is None and isinstance(side, F.Prop):
                try:
                    queryable = self.c.resolve(side)
                except InputError:  # not a queryable at all: the message says what the function compares
                    queryable = None
                operand = queryable if queryable is not None and queryable.kind == "geometry" else None
            if operand is None:
                raise self.c.fail(
                    f"{node.op.upper()} compares the property 'geometry' with a geometry literal; got {self.c.describe(side)}"
                )
            sides.append(operand)
        a, b = sides
        if a.is_literal != b.is_literal and shapely.is_empty((a if a.is_literal else b).value):
            raise self.c.fail(f"{node.op.upper()} with an empty geometry")
        return self.c.spatial_relation(node.op[2:], a, b)

    def temporal(self, node: F.Temporal) -> Operand:
        kind = self.time_kind(node.left) or self.time_kind(node.right)
        if kind is None:
            raise self.c.fail(f"{node.op.upper()} needs 'datetime' or a date/time property on one side")
        params: list[Any] = []
        a = self.time_bounds(node.left, kind)
        b = self.time_bounds(node.right, kind)
        guards = [g for g in (a[2], b[2]) if g]
        relation = self.allen(node.op, (a[0], a[1]), (b[0], b[1]), params)
        return condition("(" + " AND ".join([*guards, relation]) + ")", params)

    def order(self, items: Sequence[tuple[Any, bool]]) -> Fragment:
        raise self.c.fail("ordering by expressions is not supported here")

    # -- operands -----------------------------------------------------------------------
    def type_of(self, node: Any, *, allow_json: bool = False) -> OperandType:
        if isinstance(node, F.Call):
            return self.call(node).kind
        if not isinstance(node, F.Prop):
            return _literal_type(node, self.c)
        queryable = self.c.resolve(node)
        if queryable.kind == "geometry":
            raise self.c.fail("the geometry can only be used in spatial functions (S_INTERSECTS, ...) and IS NULL")
        if queryable.kind == "json" and not allow_json and self.checked:
            raise self.c.fail(f"property {node.name!r} holds JSON; only IS NULL applies to it")
        return queryable.kind

    def call(self, node: F.Call) -> Operand:
        """A function of a queryable: the start or end of the feature's time; CASEI and ACCENTI are not supported."""
        if node.name in _INTERVAL_ENDS and len(node.args) == 1 and isinstance(node.args[0], F.Prop):
            queryable = self.c.resolve(node.args[0])
            if queryable.end is not None:
                return queryable if node.name == "mindatetime" else queryable.end
        inner = self.type_of(node.args[0]) if node.args else None
        if node.name in F.FUNCTIONS and inner != "text":
            raise self.c.fail(f"{node.name.upper()} needs text, {self.c.describe(node.args[0])} is {inner}")
        raise self.c.fail(f"{node.name.upper()} is not supported by this server")

    def operand(self, node: Any, ftype: OperandType) -> Fragment:
        if isinstance(node, F.Call):
            return self.call(node).fragment
        if isinstance(node, F.Prop):
            queryable = self.c.resolve(node)
            if queryable.kind == "feature_time":
                return queryable.fragment
            own = self.type_of(node)
            if own != ftype and {own, ftype} != _NUMERIC:
                raise self.c.fail(f"cannot compare {self.c.describe(node)} ({own}) with a {ftype} value")
            return queryable.fragment
        return "?", [self.literal(node, ftype)]

    def literal(self, value: Any, ftype: OperandType) -> Any:
        kind = "text" if not self.checked and isinstance(value, str) else _literal_type(value, self.c)
        if ftype == "feature_time":
            if isinstance(value, datetime):
                return self.d.feature_time_in(value)
            if isinstance(value, date):
                return self.d.feature_time_in(datetime.combine(value, time(), UTC))
            raise self.c.fail(f"'datetime' is compared with TIMESTAMP(...) or DATE(...), not {self.c.describe(value)}")
        if not self.checked:
            return self.d.property_value(value, ftype)  # type: ignore[arg-type]
        compatible = kind == ftype or (kind in _NUMERIC and ftype in _NUMERIC) or (kind == "date" and ftype == "datetime")
        if not compatible:
            raise self.c.fail(f"a {ftype} property cannot be compared with {self.c.describe(value)} ({kind})")
        if ftype == "datetime" and kind == "date":
            value = datetime.combine(value, time(), UTC)
        return self.d.property_value(value, ftype)  # type: ignore[arg-type]

    # -- times --------------------------------------------------------------------------
    def time_kind(self, node: Any) -> str | None:
        if not isinstance(node, F.Prop):
            return None
        ftype = self.type_of(node)
        if ftype not in ("feature_time", "date", "datetime"):
            raise self.c.fail(f"temporal functions need a date or time; {self.c.describe(node)} is {ftype}")
        return ftype

    def time_bounds(self, node: Any, kind: str) -> tuple[Bound, Bound, str | None]:
        """(start, end, guard) of a temporal operand: SQL text for columns, values or open ends for literals."""
        if isinstance(node, F.Prop):
            queryable = self.c.resolve(node)
            if self.time_kind(node) == "feature_time" and queryable.end is not None:
                begins = f"COALESCE({queryable.sql}, {self.d.feature_time_open_start_sql()})"
                return ("sql", begins), ("sql", queryable.end.sql), f"{queryable.end.sql} IS NOT NULL"
            return ("sql", queryable.sql), ("sql", queryable.sql), f"{queryable.sql} IS NOT NULL"
        if isinstance(node, F.Interval):
            start = self.open_end(kind, end=False) if node.start is None else self.instant(node.start, kind, end=False)
            end = self.open_end(kind, end=True) if node.end is None else self.instant(node.end, kind, end=True)
            return start, end, None
        if isinstance(node, date):
            return self.instant(node, kind, end=False), self.instant(node, kind, end=True), None
        raise self.c.fail(f"temporal functions take times, dates, intervals or time properties; got {self.c.describe(node)}")

    def open_end(self, kind: str, *, end: bool) -> Bound:
        """An open end ('..') as the value the store keeps for one, so that open ends compare equal."""
        if kind == "feature_time":
            return "sql", self.d.feature_time_open_end_sql() if end else self.d.feature_time_open_start_sql()
        return "val", "9999-12-31T23:59:59.999Z" if end else "0000-01-01"

    def instant(self, value: Any, kind: str, *, end: bool) -> Bound:
        """A literal instant as compared with a column of ``kind``; a date is the whole day."""
        if isinstance(value, F.Prop):
            raise self.c.fail("intervals bounded by properties are not supported")
        if not isinstance(value, date):
            raise self.c.fail(f"{self.c.describe(value)} is not a time")
        if kind == "date":
            return "val", value.isoformat() if not isinstance(value, datetime) else value.astimezone(UTC).date().isoformat()
        if isinstance(value, datetime):
            moment = value
        else:
            moment = datetime.combine(value, time(), UTC)
            if end:
                moment += timedelta(days=1) - timedelta(milliseconds=1)
        return "val", self.d.feature_time_in(moment) if kind == "feature_time" else format_datetime(moment)

    def allen(self, op: str, a: tuple[Bound, Bound], b: tuple[Bound, Bound], params: list[Any]) -> str:
        """One of CQL2's 15 interval relations between intervals ``a`` and ``b``; parameters appended to ``params``."""
        (a0, a1), (b0, b1) = a, b
        relations: dict[str, list[tuple[Bound, str, Bound]]] = {
            "t_after": [(a0, ">", b1)],
            "t_before": [(a1, "<", b0)],
            "t_contains": [(a0, "<", b0), (a1, ">", b1)],
            "t_during": [(a0, ">", b0), (a1, "<", b1)],
            "t_equals": [(a0, "=", b0), (a1, "=", b1)],
            "t_finishedby": [(a0, "<", b0), (a1, "=", b1)],
            "t_finishes": [(a0, ">", b0), (a1, "=", b1)],
            "t_intersects": [(a0, "<=", b1), (a1, ">=", b0)],
            "t_meets": [(a1, "=", b0)],
            "t_metby": [(a0, "=", b1)],
            "t_overlappedby": [(a0, ">", b0), (a0, "<", b1), (a1, ">", b1)],
            "t_overlaps": [(a0, "<", b0), (a1, ">", b0), (a1, "<", b1)],
            "t_startedby": [(a0, "=", b0), (a1, ">", b1)],
            "t_starts": [(a0, "=", b0), (a1, "<", b1)],
        }
        if op == "t_disjoint":
            return f"(NOT {self.allen('t_intersects', a, b, params)})"
        if op not in relations:
            raise self.c.fail(f"unknown temporal function {op.upper()}")

        def side(bound: Bound) -> str:
            kind, value = bound
            if kind == "sql":
                return str(value)
            params.append(value)
            return "?"

        parts = [f"{side(x)} {cmp} {side(y)}" for x, cmp, y in relations[op]]
        return "(" + " AND ".join(parts) + ")"


def _literal_type(value: Any, compiler: PredicateCompiler) -> FieldType:
    kind = "text" if isinstance(value, str) else PY_TYPES.get(type(value))
    if kind is not None and kind != "json":
        return kind
    if isinstance(value, shapely.Geometry):
        raise compiler.fail("a geometry can only be used in spatial functions (S_INTERSECTS, ...)")
    if isinstance(value, F.Interval):
        raise compiler.fail("an interval can only be used in temporal functions (T_INTERSECTS, ...)")
    raise compiler.fail(f"{compiler.describe(value)} cannot be used here")
