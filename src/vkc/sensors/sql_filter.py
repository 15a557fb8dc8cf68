"""SensorThings ``$filter`` and ``$orderby`` expressions as SQL, for PostgreSQL and SQLite.

The tree comes from :mod:`vkc.sta.query_options`; here it becomes a ``WHERE``
or ``ORDER BY`` fragment with ``?`` parameters, so the database filters and
sorts, never Python. Each compiled operand carries a kind (number, string,
time, geometry, …), which decides how comparisons are written:

- ``result`` is compared as a number, a string or a boolean according to the
  other operand;
- a path into JSON (``properties/owner``) is compared as that JSON value;
- an interval (``phenomenonTime`` of an observation over a period) is after
  ``t`` when it starts after ``t`` and before ``t`` when it ends before ``t``;
- paths through to-one relations (``Datastream/Thing/name``) become scalar
  subqueries; a foreign key is used directly where the path ends in ``id``.

Spatial functions use PostGIS in PostgreSQL. In SQLite a bounding-box test on
indexed columns narrows candidates and a registered shapely function decides
(:mod:`vkc.sensors.sqlite_functions`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import shapely

from vkc.errors import InputError
from vkc.sensors.db import SensorDb
from vkc.sensors.entities import ENTITY_TYPES, EntityType
from vkc.sta.odata_expr.tree import OPERATOR_WORDS
from vkc.store import filters as F
from vkc.store.dialect import BBOX_SUFFIXES

_ARITH = ("+", "-", "*")
_SPATIAL = {
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


@dataclass
class Operand:
    sql: str
    params: list[Any] = field(default_factory=list)
    kind: str = "any"  # number string bool time date interval geometry json result null any
    end_sql: str | None = None  # intervals: the end (an instant's end is its start)
    end_params: list[Any] = field(default_factory=list)
    bbox: tuple[str, ...] | None = None  # SQLite geometry columns: (minx, miny, maxx, maxy)
    json_root: str | None = None  # JSON paths: column and keys, so each dialect extracts as it needs
    json_keys: tuple[str, ...] = ()


class FilterCompiler:
    """Compiles expressions about one entity set, whose table is aliased ``alias``."""

    def __init__(self, db: SensorDb, et: EntityType, alias: str = "e") -> None:
        self.db = db
        self.pg = db.dialect == "postgres"
        self.et = et
        self.alias = alias
        self._aliases = itertools.count(1)

    # -- entry points ----------------------------------------------------------
    def where(self, node: Any) -> tuple[str, list[Any]]:
        op = self._bool(node)
        return op.sql, op.params

    def order(self, items: tuple[Any, ...]) -> tuple[str, list[Any]]:
        """``$orderby`` items as SQL; what is wrong with an expression is said of ``$orderby``."""
        try:
            return self._order(items)
        except InputError as exc:
            if exc.detail.get("field") != "$filter":
                raise
            raise type(exc)("$orderby" + exc.message.removeprefix("$filter"), field="$orderby") from None

    def _order(self, items: tuple[Any, ...]) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for item in items:
            op = self.operand(item.expr)
            if op.kind == "result":
                cols = [f"{op.sql}_number", f"{op.sql}_string"]
            elif op.kind == "json":
                cols = [self._json_text(op)[0]]
                params += self._json_text(op)[1]
            else:
                cols = [op.sql]
                params += op.params
            direction = " DESC" if item.descending else ""
            nulls = " NULLS LAST" if self.pg and not item.descending else (" NULLS FIRST" if self.pg else "")
            parts += [f"{c}{direction}{nulls}" for c in cols]
        return ", ".join(parts), params

    # -- boolean expressions ---------------------------------------------------
    def _bool(self, node: Any) -> Operand:
        if isinstance(node, F.And | F.Or):
            items = [self._bool(i) for i in node.items]
            word = " AND " if isinstance(node, F.And) else " OR "
            return Operand(f"({word.join(i.sql for i in items)})", [p for i in items for p in i.params], "bool")
        if isinstance(node, F.Not):
            inner = self._bool(node.item)
            return Operand(f"(NOT {inner.sql})", inner.params, "bool")
        if isinstance(node, F.Compare):
            return self._compare(node)
        op = self.operand(node)
        if op.kind not in ("bool", "any"):
            raise InputError(f"$filter: {_describe(node)} is not a condition (true or false)", field="$filter")
        if op.kind == "any" and isinstance(node, F.Prop):
            return Operand(f"({op.sql} = ?)", [*op.params, True], "bool")
        return op

    def _compare(self, node: Any) -> Operand:
        left, right = self.operand(node.left), self.operand(node.right)
        sym = node.op
        if right.kind == "null" or left.kind == "null":
            other = left if right.kind == "null" else right
            test = "IS NULL" if node.op == "=" else "IS NOT NULL" if node.op == "<>" else None
            if test is None:
                raise InputError(f"$filter: null can only be compared with eq or ne, not {OPERATOR_WORDS[node.op]}", field="$filter")
            cols = self._value_columns(other)
            joined = " AND ".join(f"{c} {test}" for c in cols) if test == "IS NULL" else " OR ".join(f"{c} {test}" for c in cols)
            return Operand(f"({joined})", other.params * len(cols), "bool")
        left, right = self._fit(left, right), self._fit(right, left)
        if left.kind == "interval" or right.kind == "interval":
            return self._compare_interval(sym, left, right)
        return Operand(f"({left.sql} {sym} {right.sql})", left.params + right.params, "bool")

    def _compare_interval(self, sym: str, left: Operand, right: Operand) -> Operand:
        """An interval is after ``t`` when it starts after it, before ``t`` when it ends before it."""

        def start(o: Operand) -> tuple[str, list[Any]]:
            return o.sql, o.params

        def end(o: Operand) -> tuple[str, list[Any]]:
            return (o.end_sql, o.end_params) if o.end_sql else (o.sql, o.params)

        if sym in (">", ">="):
            (a, pa), (b, pb) = start(left), end(right)
        elif sym in ("<", "<="):
            (a, pa), (b, pb) = end(left), start(right)
        else:
            (a1, p1), (b1, q1) = start(left), start(right)
            (a2, p2), (b2, q2) = end(left), end(right)
            return Operand(f"({a1} {sym} {b1} {'AND' if sym == '=' else 'OR'} {a2} {sym} {b2})", p1 + q1 + p2 + q2, "bool")
        return Operand(f"({a} {sym} {b})", pa + pb, "bool")

    def _fit(self, op: Operand, other: Operand) -> Operand:
        """Turn ``result`` and JSON paths into a column of the other operand's kind."""
        if op.kind == "result":
            column = {"string": "_string", "bool": "_json"}.get(other.kind, "_number")
            if other.kind == "bool":
                j = f"{op.sql}_json"
                if self.pg:
                    return Operand(f"(CASE WHEN jsonb_typeof({j}) = 'boolean' THEN ({j} #>> '{{}}')::boolean END)", [], "bool")
                return Operand(f"json_extract({j}, '$')", [], "bool")
            return Operand(op.sql + column, [], "string" if column == "_string" else "number")
        if op.kind == "json":
            if other.kind == "number":
                if self.pg:
                    j, p = self._json_value(op)
                    return Operand(f"(CASE WHEN jsonb_typeof({j}) = 'number' THEN ({j} #>> '{{}}')::double precision END)", p * 2, "number")
                return Operand(*self._json_text(op), "number")
            if other.kind == "bool" and self.pg:
                j, p = self._json_value(op)
                return Operand(f"(CASE WHEN jsonb_typeof({j}) = 'boolean' THEN ({j} #>> '{{}}')::boolean END)", p * 2, "bool")
            return Operand(*self._json_text(op), "string")
        if op.kind == "time" and other.kind == "string":
            raise InputError("$filter: a time is compared with a string; write the time without quotes", field="$filter")
        return op

    def _value_columns(self, op: Operand) -> list[str]:
        if op.kind == "result":
            return [f"{op.sql}_number", f"{op.sql}_string", f"{op.sql}_json"]
        if op.kind == "json":
            return [self._json_text(op)[0]]
        return [op.sql]

    def _json_value(self, op: Operand) -> tuple[str, list[Any]]:
        keys = "{" + ",".join(k.replace('"', '\\"') for k in op.json_keys) + "}"
        return f"({op.json_root} #> ?::text[])", [keys]

    def _json_text(self, op: Operand) -> tuple[str, list[Any]]:
        if self.pg:
            keys = "{" + ",".join(op.json_keys) + "}"
            return f"({op.json_root} #>> ?::text[])", [keys]
        path = "$" + "".join(f'."{k}"' for k in op.json_keys)
        return f"json_extract({op.json_root}, ?)", [path]

    # -- operands --------------------------------------------------------------
    def operand(self, node: Any) -> Operand:
        if isinstance(node, F.Prop):
            return self.path(self.et, self.alias, node.steps)
        if isinstance(node, F.Call):
            return self._call(node)
        if isinstance(node, F.Arith):
            return self._arith(node)
        if isinstance(node, F.Negate):
            inner = self._numeric(self.operand(node.operand), node.operand)
            return Operand(f"(-{inner.sql})", inner.params, "number")
        if isinstance(node, F.Compare | F.And | F.Or | F.Not):
            return self._bool(node)
        return self._literal(node)

    def _literal(self, value: Any) -> Operand:
        if value is None:
            return Operand("NULL", [], "null")
        if isinstance(value, bool):
            return Operand("?", [value], "bool")
        if isinstance(value, int | float):
            return Operand("?", [value], "number")
        if isinstance(value, str):
            return Operand("?", [value], "string")
        if isinstance(value, datetime):
            return Operand("?", [self.db.time_in(value.astimezone(UTC))], "time")
        if isinstance(value, date):
            return Operand("?::date" if self.pg else "?", [value if self.pg else value.isoformat()], "date")
        if isinstance(value, F.WktGeometry):
            if self.pg:
                return Operand("ST_GeomFromText(?, 4326)", [value.shape.wkt], "geometry")
            return Operand("?", [shapely.to_wkb(value.shape)], "geometry", bbox=tuple(shapely.bounds(value.shape).tolist()))
        raise InputError(f"$filter: cannot use the value {value!r} here", field="$filter")

    def path(self, et: EntityType, alias: str, segments: tuple[str, ...]) -> Operand:
        head, rest = segments[0], segments[1:]
        if head in ("id", "@iot.id"):
            if rest:
                raise InputError(f"$filter: {'/'.join(segments)}: id has no parts", field="$filter")
            return Operand(f"{alias}.id", [], "number")
        fld = et.field(head)
        if fld is not None:
            column = f"{alias}.{fld.column}"
            if fld.kind == "json":
                return Operand(column, [], "json", json_root=column, json_keys=rest) if rest else Operand(column, [], "json_whole")
            if rest:
                raise InputError(f"$filter: {et.name}/{head} has no property {rest[0]!r}", field="$filter")
            if fld.kind == "interval":
                return Operand(f"{column}_start", [], "interval", end_sql=f"coalesce({column}_end, {column}_start)")
            if fld.kind == "time":
                return Operand(column, [], "time")
            if fld.kind == "result":
                return Operand(f"{alias}.result", [], "result")
            if fld.kind == "geometry":
                bbox = None if self.pg else tuple(column + s for s in BBOX_SUFFIXES)
                return Operand(column, [], "geometry", bbox=bbox)
            return Operand(column, [], "string")
        rel = et.relation(head)
        if rel is None:
            raise InputError(f"$filter: {et.name} has no property or relation {head!r}", field="$filter")
        if rel.many:
            raise InputError(f"$filter: {et.name}/{head} leads to many entities; filter from the other side", field="$filter")
        if not rest:
            raise InputError(f"$filter: {et.name}/{head} is an entity, not a value; name one of its properties", field="$filter")
        if rest in (("id",), ("@iot.id",)):
            return Operand(f"{alias}.{rel.fk}", [], "number")
        target = ENTITY_TYPES[rel.target]
        inner_alias = f"{self.alias}{next(self._aliases)}"
        inner = self.path(target, inner_alias, rest)
        if inner.kind in ("geometry", "interval", "result", "json"):
            return self._lift(inner, target, inner_alias, f"{alias}.{rel.fk}")
        return Operand(f"(SELECT {inner.sql} FROM {target.table} {inner_alias} WHERE {inner_alias}.id = {alias}.{rel.fk})", inner.params, inner.kind)

    def _lift(self, inner: Operand, target: EntityType, inner_alias: str, fk: str) -> Operand:
        def sub(expr: str) -> str:
            return f"(SELECT {expr} FROM {target.table} {inner_alias} WHERE {inner_alias}.id = {fk})"

        if inner.kind == "result":
            raise InputError("$filter: result can only be filtered on Observations", field="$filter")
        if inner.kind == "json":
            return Operand(sub(inner.json_root or inner.sql), [], "json", json_root=sub(inner.json_root or inner.sql), json_keys=inner.json_keys)
        if inner.kind == "interval":
            return Operand(sub(inner.sql), [], "interval", end_sql=sub(inner.end_sql or inner.sql))
        bbox = tuple(sub(c) for c in inner.bbox) if inner.bbox else None
        return Operand(sub(inner.sql), [], "geometry", bbox=bbox)

    def _numeric(self, op: Operand, node: Any) -> Operand:
        if op.kind == "result":
            return Operand(f"{op.sql}_number", [], "number")
        if op.kind == "json":
            return self._fit(op, Operand("", [], "number"))
        if op.kind not in ("number", "any"):
            raise InputError(f"$filter: {_describe(node)} is not a number", field="$filter")
        return op

    def _arith(self, node: Any) -> Operand:
        a = self._numeric(self.operand(node.left), node.left)
        b = self._numeric(self.operand(node.right), node.right)
        params = a.params + b.params
        if node.op in _ARITH:
            return Operand(f"({a.sql} {node.op} {b.sql})", params, "number")
        if node.op == "/":
            return Operand(f"(CAST({a.sql} AS double precision) / NULLIF({b.sql}, 0))" if self.pg else f"(CAST({a.sql} AS REAL) / {b.sql})", params, "number")
        if self.pg:
            return Operand(f"mod(CAST({a.sql} AS numeric), CAST({b.sql} AS numeric))", params, "number")
        return Operand(f"({a.sql} % {b.sql})", params, "number")

    # -- functions -------------------------------------------------------------
    def _call(self, node: Any) -> Operand:
        name, args = node.name, node.args
        if name in _SPATIAL or name == "st_relate":
            return self._spatial(name, args)
        if name in ("geo.distance", "geo.length"):
            ops = [self._geometry(a) for a in args]
            if self.pg:
                fn = "ST_Distance" if name == "geo.distance" else "ST_Length"
                return Operand(f"{fn}({', '.join(o.sql for o in ops)})", [p for o in ops for p in o.params], "number")
            second = ops[1] if len(ops) > 1 else Operand("NULL")
            return Operand(f"vkc_sta_measure(?, {ops[0].sql}, {second.sql})", [name[4:], *ops[0].params, *second.params], "number")
        if name in ("now", "mindatetime", "maxdatetime"):
            if name == "now":
                return Operand("?", [self.db.time_in(datetime.now(UTC))], "time")
            if not args:  # OData's constants: the earliest and latest times there are
                bound = datetime.min if name == "mindatetime" else datetime.max
                return Operand("?", [self.db.time_in(bound.replace(tzinfo=UTC))], "time")
            op = self.operand(args[0])
            if op.kind != "interval":
                return op
            return Operand(op.sql, op.params, "time") if name == "mindatetime" else Operand(op.end_sql or op.sql, op.end_params, "time")
        if name == "substring" and len(args) == 3:
            name = "substring3"
        if name in _STRING_FUNCTIONS:
            template, kinds = _STRING_FUNCTIONS[name][0 if self.pg else 1], _STRING_FUNCTIONS[name][2]
            parts = [self._text(a) if k == "s" else self._number_part(a) for a, k in zip(args, kinds, strict=True)]
            return _fill(template, parts, "bool" if name in ("substringof", "startswith", "endswith") else ("string" if name in ("substring", "tolower", "toupper", "trim", "concat") else "number"))
        ops = [self.operand(a) for a in args]
        if name in ("round", "floor", "ceiling"):
            x = self._numeric(ops[0], args[0])
            if self.pg:
                fn = {"round": "round", "floor": "floor", "ceiling": "ceil"}[name]
                return Operand(f"{fn}(CAST({x.sql} AS numeric))", x.params, "number")
            if name == "round":
                return Operand(f"round({x.sql})", x.params, "number")
            sign = "-" if name == "floor" else "+"
            cmp = "<" if name == "floor" else ">"
            return Operand(f"(CAST({x.sql} AS INTEGER) {sign} ({x.sql} {cmp} CAST({x.sql} AS INTEGER)))", x.params * 3, "number")
        return self._date_function(name, ops[0], args[0])

    def _text(self, node: Any) -> tuple[str, list[Any]]:
        op = self.operand(node)
        if op.kind == "json":
            return self._json_text(op)
        if op.kind == "result":
            return f"{op.sql}_string", []
        if op.kind not in ("string", "any"):
            raise InputError(f"$filter: {_describe(node)} is not a string", field="$filter")
        return op.sql, op.params

    def _number_part(self, node: Any) -> tuple[str, list[Any]]:
        op = self._numeric(self.operand(node), node)
        return op.sql, op.params

    def _date_function(self, name: str, op: Operand, node: Any) -> Operand:
        if op.kind not in ("time", "interval"):
            raise InputError(f"$filter: {name}() needs a time, not {_describe(node)}", field="$filter")
        pg, sqlite, kind = _DATE_FUNCTIONS[name]
        return _fill(pg if self.pg else sqlite, [(op.sql, op.params)], kind)

    def _geometry(self, node: Any) -> Operand:
        op = self.operand(node)
        if op.kind != "geometry":
            raise InputError(f"$filter: {_describe(node)} is not a geometry", field="$filter")
        return op

    def _spatial(self, name: str, args: tuple[Any, ...]) -> Operand:
        a, b = self._geometry(args[0]), self._geometry(args[1])
        params = a.params + b.params
        if name == "st_relate":
            pattern = args[2]
            if not isinstance(pattern, str):
                raise InputError("$filter: st_relate needs a DE-9IM pattern string as its third argument", field="$filter")
            if self.pg:
                return Operand(f"ST_Relate({a.sql}, {b.sql}, ?)", [*params, pattern], "bool")
            return Operand(f"vkc_sta_spatial(?, {a.sql}, {b.sql})", ["relate:" + pattern, *params], "bool")
        op = _SPATIAL[name]
        if self.pg:
            fn = "ST_" + op.capitalize()
            return Operand(f"{fn}({a.sql}, {b.sql})", params, "bool")
        exact = Operand(f"vkc_sta_spatial(?, {a.sql}, {b.sql})", [op, *params], "bool")
        if op == "disjoint":
            return exact
        column, literal = (a, b) if a.params == [] else (b, a)
        if column.bbox and literal.params and isinstance(literal.bbox, tuple) and all(isinstance(v, float) for v in literal.bbox):
            minx, miny, maxx, maxy = literal.bbox
            cx0, cy0, cx1, cy1 = column.bbox
            narrow = f"{cx1} >= ? AND {cx0} <= ? AND {cy1} >= ? AND {cy0} <= ?"
            return Operand(f"({narrow} AND {exact.sql})", [minx, maxx, miny, maxy, *exact.params], "bool")
        return exact


#: date functions over UTC times: (PostgreSQL template, SQLite template (integer microseconds), result kind)
_DATE_FUNCTIONS = {
    **{
        name: (f"CAST(EXTRACT({name.upper()} FROM {{0}} AT TIME ZONE 'UTC') AS integer)", f"CAST(strftime('{fmt}', {{0}} / 1000000, 'unixepoch') AS INTEGER)", "number")
        for name, fmt in (("year", "%Y"), ("month", "%m"), ("day", "%d"), ("hour", "%H"), ("minute", "%M"))
    },
    "second": ("CAST(floor(EXTRACT(SECOND FROM {0})) AS integer)", "CAST(strftime('%S', {0} / 1000000, 'unixepoch') AS INTEGER)", "number"),
    "fractionalseconds": ("(EXTRACT(MICROSECONDS FROM {0}) - floor(EXTRACT(SECOND FROM {0})) * 1000000) / 1000000.0", "(({0} % 1000000) / 1000000.0)", "number"),
    "date": ("CAST({0} AT TIME ZONE 'UTC' AS date)", "date({0} / 1000000, 'unixepoch')", "date"),
    "time": ("CAST({0} AT TIME ZONE 'UTC' AS time)", "time({0} / 1000000, 'unixepoch')", "string"),
    "totaloffsetminutes": ("0", "0", "number"),  # times are stored in UTC
}
#: string functions: (PostgreSQL template, SQLite template, argument kinds); {i} is argument i
_STRING_FUNCTIONS = {
    "substringof": ("(strpos({1}, {0}) > 0)", "(instr({1}, {0}) > 0)", "ss"),
    "startswith": ("starts_with({0}, {1})", "(substr({0}, 1, length({1})) = {1})", "ss"),
    "endswith": ("(right({0}, length({1})) = {1})", "(length({1}) = 0 OR substr({0}, -length({1})) = {1})", "ss"),
    "length": ("char_length({0})", "length({0})", "s"),
    "indexof": ("(strpos({0}, {1}) - 1)", "(instr({0}, {1}) - 1)", "ss"),
    "substring": ("substr({0}, {1} + 1)", "substr({0}, {1} + 1)", "sn"),
    "substring3": ("substr({0}, {1} + 1, {2})", "substr({0}, {1} + 1, {2})", "snn"),
    "tolower": ("lower({0})", "lower({0})", "s"),
    "toupper": ("upper({0})", "upper({0})", "s"),
    "trim": ("trim({0})", "trim({0})", "s"),
    "concat": ("({0} || {1})", "({0} || {1})", "ss"),
}


def _fill(template: str, parts: list[tuple[str, list[Any]]], kind: str) -> Operand:
    """Fill ``{i}`` with argument i's SQL, collecting parameters in the order they appear."""
    params: list[Any] = []

    def one(match: re.Match[str]) -> str:
        sql, p = parts[int(match.group(1))]
        params.extend(p)
        return sql

    return Operand(re.sub(r"\{(\d)\}", one, template), params, kind)


def _describe(node: Any) -> str:
    if isinstance(node, F.Prop):
        return "/".join(node.steps)
    if isinstance(node, F.Call):
        return f"{node.name}(…)"
    return repr(node)
