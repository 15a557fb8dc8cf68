"""Filter expressions (:mod:`vkc.store.filters`) translated to SQL, for both backends.

The queryables of a collection are its properties plus ``id`` (the feature
id), ``geometry`` and ``datetime`` (the feature's time: an instant or an
interval, open ends allowed). Literals are checked against the type of the
property they meet, so ``population = 'many'`` is refused with a message
rather than compared as text.

Temporal functions follow CQL2's interval relations (after Allen): an
instant is an interval with equal ends, an open end is infinite. Spatial
functions are the eight of the Dimensionally Extended 9-Intersection Model.
The GeoPackage dialect narrows them with the R*Tree and tests exactly with
shapely in a registered SQL function; PostGIS uses its own functions and
GiST index.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import shapely
from shapely.geometry.base import BaseGeometry

from vkc.errors import InputError
from vkc.store import filters as F
from vkc.store.model import Collection, FieldType
from vkc.store.values import PY_TYPES, format_datetime, to_sql


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: What an operand of a comparison is: a property's type, or the feature's own time (``datetime``).
OperandType = FieldType | Literal["feature_time"]


class SqlDialect:
    """What differs between SQLite and PostgreSQL; subclasses fill it in."""

    placeholder = "?"

    def time_value(self, value: datetime) -> Any:
        return format_datetime(value)

    def value(self, value: Any, ftype: FieldType) -> Any:
        return to_sql(value, ftype)

    def time_start_open(self) -> str:
        """SQL for the start of a feature time that has none (open start)."""
        raise NotImplementedError

    def time_end_open(self) -> str:
        """SQL for the end the store keeps for an open-ended feature time (``OPEN_END``)."""
        return "'9999-12-31T23:59:59.999Z'"

    def time_start(self) -> str:
        return f"COALESCE(t.vkc_time, {self.time_start_open()})"

    def spatial(self, op: str, literal: shapely.Geometry, *, literal_first: bool) -> tuple[str, list[Any]]:
        """``op(t.geom, literal)`` (or ``op(literal, t.geom)``) with its parameters."""
        raise NotImplementedError

    def like(self, column: str, pattern: str) -> str:
        raise NotImplementedError

    def like_pattern(self, pattern: str) -> str:
        return pattern


class FilterCompiler:
    """Compiles one expression for one collection into ``(sql, params)``."""

    def __init__(self, coll: Collection, dialect: SqlDialect) -> None:
        self.coll = coll
        self.d = dialect
        self.fields = coll.field_map()
        self.params: list[Any] = []

    # -- entry point -------------------------------------------------------
    def compile(self, expr: Any) -> tuple[str, list[Any]]:
        self.params = []
        text = self._predicate(expr)
        return text, self.params

    def _p(self, value: Any) -> str:
        self.params.append(value)
        return self.d.placeholder

    # -- predicates --------------------------------------------------------
    def _predicate(self, node: Any) -> str:
        method: Callable[[Any], str] | None = getattr(self, "_" + type(node).__name__.lower(), None)
        if method is None or not hasattr(node, "__dataclass_fields__") or isinstance(node, (F.Prop, F.Interval, F.Call)):
            raise InputError(f"filter: {_show(node)} is not a condition (true or false)", field="filter")
        return method(node)

    def _and(self, node: F.And) -> str:
        return "(" + " AND ".join(self._predicate(i) for i in node.items) + ")"

    def _or(self, node: F.Or) -> str:
        return "(" + " OR ".join(self._predicate(i) for i in node.items) + ")"

    def _not(self, node: F.Not) -> str:
        return f"(NOT {self._predicate(node.item)})"

    def _boolvalue(self, node: F.BoolValue) -> str:
        return "(1 = 1)" if node.value else "(1 = 0)"

    def _compare(self, node: F.Compare) -> str:
        left, right = node.left, node.right
        if not isinstance(left, (F.Prop, F.Call)) and isinstance(right, (F.Prop, F.Call)):
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(node.op, node.op)
        else:
            op = node.op
        ltype = self._type_of(left)
        lsql = self._operand(left, ltype)
        rsql = self._operand(right, ltype)
        if op not in F.COMPARISON_OPS:
            raise InputError(f"filter: unknown comparison {op!r}", field="filter")
        return f"({lsql} {op} {rsql})"

    def _like(self, node: F.Like) -> str:
        ltype = self._type_of(node.value)
        if ltype != "text":
            raise InputError(f"filter: LIKE needs a text property, {_show(node.value)} is {ltype}", field="filter")
        if not isinstance(node.pattern, str):
            raise InputError("filter: the pattern of LIKE must be a string", field="filter")
        column = self._operand(node.value, ltype)
        return f"({self.d.like(column, self._p(self.d.like_pattern(node.pattern)))})"

    def _between(self, node: F.Between) -> str:
        ltype = self._type_of(node.value)
        if ltype not in ("integer", "real", "date", "datetime", "text"):
            raise InputError(f"filter: BETWEEN needs a number, text or date property, {_show(node.value)} is {ltype}", field="filter")
        column = self._operand(node.value, ltype)
        return f"({column} BETWEEN {self._operand(node.low, ltype)} AND {self._operand(node.high, ltype)})"

    def _in(self, node: F.In) -> str:
        ltype = self._type_of(node.value)
        if not node.items:
            return "(1 = 0)"
        column = self._operand(node.value, ltype)
        return f"({column} IN ({', '.join(self._operand(v, ltype) for v in node.items)}))"

    def _isnull(self, node: F.IsNull) -> str:
        value = node.value
        if isinstance(value, F.Prop) and value.name == "geometry":
            return "(t.geom IS NULL)"
        if isinstance(value, F.Prop) and value.name == "datetime":
            return "(t.vkc_time IS NULL AND t.vkc_time_end IS NULL)"
        ltype = self._type_of(value, allow_json=True)
        return f"({self._operand(value, ltype)} IS NULL)"

    def _spatial(self, node: F.Spatial) -> str:
        left, right = node.left, node.right
        geo_left, geo_right = isinstance(left, shapely.Geometry), isinstance(right, shapely.Geometry)
        if geo_left and geo_right:
            return "(1 = 1)" if bool(getattr(shapely, node.op[2:])(left, right)) else "(1 = 0)"
        for side in (left, right):
            if not (isinstance(side, shapely.Geometry) or (isinstance(side, F.Prop) and side.name == "geometry")):
                raise InputError(
                    f"filter: {node.op.upper()} compares the property 'geometry' with a geometry literal; got {_show(side)}", field="filter"
                )
        if not geo_left and not geo_right:  # geometry with itself
            return "(t.geom IS NOT NULL)" if node.op in ("s_intersects", "s_equals", "s_within", "s_contains") else "(1 = 0)"
        literal = right if geo_right else left
        if shapely.is_empty(literal):
            raise InputError(f"filter: {node.op.upper()} with an empty geometry", field="filter")
        text, params = self.d.spatial(node.op, literal, literal_first=geo_left)
        self.params.extend(params)
        return text

    def _temporal(self, node: F.Temporal) -> str:
        kind = self._time_kind(node.left) or self._time_kind(node.right)
        if kind is None:
            raise InputError(f"filter: {node.op.upper()} needs 'datetime' or a date/time property on one side", field="filter")
        a = self._time_bounds(node.left, kind)
        b = self._time_bounds(node.right, kind)
        guards = [g for g in (a[2], b[2]) if g]
        relation = _allen(node.op, a[:2], b[:2], self)
        return "(" + " AND ".join([*guards, relation]) + ")"

    # -- operands ----------------------------------------------------------
    def _type_of(self, node: Any, *, allow_json: bool = False) -> OperandType:
        if isinstance(node, F.Call):
            inner = self._type_of(node.args[0])
            if inner != "text":
                raise InputError(f"filter: {node.name.upper()} needs text, {_show(node.args[0])} is {inner}", field="filter")
            raise InputError(f"filter: {node.name.upper()} is not supported by this server", field="filter")
        if not isinstance(node, F.Prop):
            return _literal_type(node)
        if node.name == "id" and "id" not in self.fields:
            return "text"
        if node.name == "datetime" and "datetime" not in self.fields:
            return "feature_time"
        if node.name == "geometry" and "geometry" not in self.fields:
            raise InputError("filter: the geometry can only be used in spatial functions (S_INTERSECTS, ...) and IS NULL", field="filter")
        field = self.fields.get(node.name)
        if field is None:
            names = ", ".join(dict.fromkeys(["id", "geometry", "datetime", *self.fields]))
            raise InputError(f"filter: collection {self.coll.name!r} has no queryable {node.name!r}; queryables: {names}", field="filter")
        if field.type == "json" and not allow_json:
            raise InputError(f"filter: property {node.name!r} holds JSON; only IS NULL applies to it", field="filter")
        return field.type

    def _operand(self, node: Any, ftype: OperandType) -> str:
        if isinstance(node, F.Call):
            self._type_of(node)
        if isinstance(node, F.Prop):
            if node.name == "id" and "id" not in self.fields:
                return "t.vkc_id"
            if node.name == "datetime" and "datetime" not in self.fields:
                return "t.vkc_time"
            own = self._type_of(node)
            if own != ftype and {own, ftype} != {"integer", "real"}:
                raise InputError(f"filter: cannot compare {_show(node)} ({own}) with a {ftype} value", field="filter")
            return f"t.{quote(node.name)}"
        return self._p(self._literal(node, ftype))

    def _literal(self, value: Any, ftype: OperandType) -> Any:
        kind = _literal_type(value)
        if ftype == "feature_time":
            if isinstance(value, datetime):
                return self.d.time_value(value)
            if isinstance(value, date):
                return self.d.time_value(datetime.combine(value, time(), UTC))
            raise InputError(f"filter: 'datetime' is compared with TIMESTAMP(...) or DATE(...), not {_show(value)}", field="filter")
        compatible = kind == ftype or (kind in ("integer", "real") and ftype in ("integer", "real")) or (kind == "date" and ftype == "datetime")
        if not compatible:
            raise InputError(f"filter: a {ftype} property cannot be compared with {_show(value)} ({kind})", field="filter")
        if ftype == "datetime" and kind == "date":
            value = datetime.combine(value, time(), UTC)
        return self.d.value(value, ftype)

    def _time_kind(self, node: Any) -> str | None:
        if not isinstance(node, F.Prop):
            return None
        ftype = self._type_of(node)
        if ftype not in ("feature_time", "date", "datetime"):
            raise InputError(f"filter: temporal functions need a date or time; {_show(node)} is {ftype}", field="filter")
        return ftype

    def _time_bounds(self, node: Any, kind: str) -> tuple[Any, Any, str | None]:
        """(start, end, guard) of a temporal operand: SQL text for columns, values or ±inf for literals."""
        if isinstance(node, F.Prop):
            own = self._time_kind(node)
            if own == "feature_time":
                return ("sql", self.d.time_start()), ("sql", "t.vkc_time_end"), "t.vkc_time_end IS NOT NULL"
            column = ("sql", f"t.{quote(node.name)}")
            return column, column, f"t.{quote(node.name)} IS NOT NULL"
        if isinstance(node, F.Interval):
            start = self._open_end(kind, end=False) if node.start is None else self._instant(node.start, kind, end=False)
            end = self._open_end(kind, end=True) if node.end is None else self._instant(node.end, kind, end=True)
            return start, end, None
        if isinstance(node, (date, datetime)):
            return self._instant(node, kind, end=False), self._instant(node, kind, end=True), None
        raise InputError(f"filter: temporal functions take times, dates, intervals or time properties; got {_show(node)}", field="filter")

    def _open_end(self, kind: str, *, end: bool) -> Any:
        """An open end ('..') as the value the store keeps for one, so that open ends compare equal."""
        if kind == "feature_time":
            return ("sql", self.d.time_end_open() if end else self.d.time_start_open())
        return ("val", "9999-12-31T23:59:59.999Z" if end else "0000-01-01")

    def _instant(self, value: Any, kind: str, *, end: bool) -> Any:
        """A literal instant as compared with a column of ``kind``; a date is the whole day."""
        if isinstance(value, F.Prop):
            raise InputError("filter: intervals bounded by properties are not supported", field="filter")
        if not isinstance(value, date):
            raise InputError(f"filter: {_show(value)} is not a time", field="filter")
        if kind == "date":
            return ("val", value.isoformat() if not isinstance(value, datetime) else value.astimezone(UTC).date().isoformat())
        if isinstance(value, datetime):
            moment = value
        else:
            moment = datetime.combine(value, time(), UTC)
            if end:
                moment += timedelta(days=1) - timedelta(milliseconds=1)
        return ("val", self.d.time_value(moment) if kind == "feature_time" else format_datetime(moment))

    def side(self, bound: Any) -> str:
        kind, value = bound
        return value if kind == "sql" else self._p(value)


def _allen(op: str, a: tuple[Any, Any], b: tuple[Any, Any], c: FilterCompiler) -> str:
    """One of CQL2's 15 interval relations between intervals ``a`` and ``b``."""
    (a0, a1), (b0, b1) = a, b
    relations: dict[str, list[tuple[Any, str, Any]]] = {
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
        return f"(NOT {_allen('t_intersects', a, b, c)})"
    if op not in relations:
        raise InputError(f"filter: unknown temporal function {op.upper()}", field="filter")
    parts = [f"{c.side(x)} {cmp} {c.side(y)}" for x, cmp, y in relations[op]]
    return "(" + " AND ".join(parts) + ")"


def _literal_type(value: Any) -> FieldType:
    kind = "text" if isinstance(value, str) else PY_TYPES.get(type(value))
    if kind is not None and kind != "json":
        return kind
    if isinstance(value, shapely.Geometry):
        raise InputError("filter: a geometry can only be used in spatial functions (S_INTERSECTS, ...)", field="filter")
    if isinstance(value, F.Interval):
        raise InputError("filter: an interval can only be used in temporal functions (T_INTERSECTS, ...)", field="filter")
    raise InputError(f"filter: {_show(value)} cannot be used here", field="filter")


def _show(node: Any) -> str:
    if isinstance(node, F.Prop):
        return f"property {node.name!r}"
    if isinstance(node, BaseGeometry):  # every shapely geometry; shapely.Geometry is its untyped C base
        return node.geom_type
    if isinstance(node, str):
        return repr(node)
    if isinstance(node, (int, float, bool, date)):
        return repr(node) if not isinstance(node, date) else node.isoformat()
    return type(node).__name__


def order_sql(coll: Collection, sort: tuple[tuple[str, bool], ...]) -> str:
    """``ORDER BY`` terms for ``sortby``, ending with the row key so paging is stable."""
    fields = coll.field_map()
    terms = []
    for name, descending in sort:
        if name in fields:
            column = f"t.{quote(name)}"
            if fields[name].type == "json":
                raise InputError(f"sortby: property {name!r} holds JSON and cannot be sorted", field="sortby")
        elif name == "id":
            column = "t.vkc_id"
        elif name == "datetime":
            column = "t.vkc_time"
        else:
            raise InputError(
                f"sortby: collection {coll.name!r} has no sortable property {name!r}; sortables: {', '.join(dict.fromkeys(['id', 'datetime', *fields]))}",
                field="sortby",
            )
        # nulls sort as the largest values on both backends (PostgreSQL's rule; SQLite's is the opposite)
        terms.append(f"{column} DESC NULLS FIRST" if descending else f"{column} ASC NULLS LAST")
    return ", ".join([*terms, "t.fid"])
