"""How each backend spells the predicates the compiler (:mod:`vkc.store.predicates`) writes: part of the :class:`~vkc.store.dialect.Dialect`.

The compiler writes SQL with ``?`` placeholders and asks the dialect for
everything that differs: the values and open ends of feature times, LIKE,
geometry literals and spatial tests (a bounding-box narrowing through the
geometries' index, then PostGIS' functions or :mod:`vkc.store.sqlite_spatial`), JSON access,
arithmetic, the date, string and rounding functions, and IN lists. Each
method returns SQL text, or SQL text and its parameters in the order of their
placeholders.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import shapely

from vkc.store.values import format_datetime, to_sql

if TYPE_CHECKING:
    from vkc.store.model import FieldType
    from vkc.store.predicates.operand import Operand

Fragment = tuple[str, list[Any]]
"""SQL text and its parameters."""

#: string functions of OData: SQL templates, ``{i}`` standing for argument i
_STRING_FUNCTIONS = {
    "substringof": "(instr({1}, {0}) > 0)",
    "startswith": "(substr({0}, 1, length({1})) = {1})",
    "endswith": "(length({1}) = 0 OR substr({0}, -length({1})) = {1})",
    "length": "length({0})",
    "indexof": "(instr({0}, {1}) - 1)",
    "substring": "substr({0}, {1} + 1)",
    "substring3": "substr({0}, {1} + 1, {2})",
    "tolower": "lower({0})",
    "toupper": "upper({0})",
    "trim": "trim({0})",
    "concat": "({0} || {1})",
}
_POSTGRES_STRING_FUNCTIONS = {
    **_STRING_FUNCTIONS,
    "substringof": "(strpos({1}, {0}) > 0)",
    "startswith": "starts_with({0}, {1})",
    "endswith": "(right({0}, length({1})) = {1})",
    "length": "char_length({0})",
    "indexof": "(strpos({0}, {1}) - 1)",
}
_PARTS = (("year", "%Y"), ("month", "%m"), ("day", "%d"), ("hour", "%H"), ("minute", "%M"))
#: parts of UTC instants (times as the components store them): SQL templates of ``{0}`` and the kind of their value
_SQLITE_TIME_PARTS = {
    **{name: (f"CAST(strftime('{fmt}', {{0}} / 1000000, 'unixepoch') AS INTEGER)", "number") for name, fmt in _PARTS},
    "second": ("CAST(strftime('%S', {0} / 1000000, 'unixepoch') AS INTEGER)", "number"),
    "fractionalseconds": ("(({0} % 1000000) / 1000000.0)", "number"),
    "date": ("date({0} / 1000000, 'unixepoch')", "date"),
    "time": ("time({0} / 1000000, 'unixepoch')", "string"),
    "totaloffsetminutes": ("0", "number"),  # times are stored in UTC
}
_POSTGRES_TIME_PARTS = {
    **{name: (f"CAST(EXTRACT({name.upper()} FROM {{0}} AT TIME ZONE 'UTC') AS integer)", "number") for name, _ in _PARTS},
    "second": ("CAST(floor(EXTRACT(SECOND FROM {0})) AS integer)", "number"),
    "fractionalseconds": ("(EXTRACT(MICROSECONDS FROM {0}) - floor(EXTRACT(SECOND FROM {0})) * 1000000) / 1000000.0", "number"),
    "date": ("CAST({0} AT TIME ZONE 'UTC' AS date)", "date"),
    "time": ("CAST({0} AT TIME ZONE 'UTC' AS time)", "string"),
    "totaloffsetminutes": ("0", "number"),
}


class PredicateSpelling:
    """The predicate part of a dialect; :class:`SQLitePredicates` and :class:`PostgresPredicates` fill it in."""

    # -- values of feature tables ---------------------------------------------------
    def feature_time_in(self, value: datetime) -> Any:
        """An instant as feature tables keep it (``vkc_time``, datetime properties)."""
        raise NotImplementedError

    def feature_time_open_start_sql(self) -> str:
        """SQL for the start of a feature time that has none (open start)."""
        raise NotImplementedError

    def feature_time_open_end_sql(self) -> str:
        """SQL for the end feature tables keep for an open-ended time (``OPEN_END``)."""
        raise NotImplementedError

    def property_value(self, value: Any, ftype: FieldType) -> Any:
        """A literal compared with a property of type ``ftype``, as the property's column holds it."""
        return to_sql(value, ftype)

    # -- text --------------------------------------------------------------------
    def like(self, value_sql: str, pattern_sql: str) -> str:
        """CQL2's case-sensitive LIKE."""
        raise NotImplementedError

    def like_pattern(self, pattern: str) -> str:
        """A LIKE pattern (``%``, ``_``, ``\\`` escapes) as :meth:`like` takes it."""
        return pattern

    def string_function(self, name: str) -> str:
        """The SQL template of an OData string function (``{0}``, ``{1}`` … its arguments)."""
        raise NotImplementedError

    # -- geometries --------------------------------------------------------------
    def geometry_literal_sql(self) -> str:
        """The SQL of a geometry given as a WKB parameter."""
        raise NotImplementedError

    def spatial_narrowing(self, column: Operand, literal: Operand) -> Fragment | None:
        """A test that ``column``'s bounding box overlaps ``literal``'s, narrowing a spatial test to candidates through an index."""
        raise NotImplementedError

    def spatial_test(self, relation: str, a: Operand, b: Operand, pattern: str | None = None) -> Fragment:
        """``relation(a, b)`` (``intersects`` … ``contains``, or ``relate`` with a DE-9IM ``pattern``)."""
        raise NotImplementedError

    def geometry_measure(self, what: str, a: Operand, b: Operand | None) -> Fragment:
        """``distance`` between ``a`` and ``b``, or ``length`` of ``a``, in the units of the CRS."""
        raise NotImplementedError

    # -- values of component tables (times as ``Dialect.time_in`` keeps them) ----------
    def date_literal(self, value: date) -> Fragment:
        raise NotImplementedError

    def time_part(self, name: str) -> tuple[str, str]:
        """The SQL template (``{0}``: the time) of an OData date function, and the kind of its value."""
        raise NotImplementedError

    # -- JSON ----------------------------------------------------------------------
    def json_text(self, root: str, keys: tuple[str, ...]) -> Fragment:
        """The JSON value at ``keys`` in the JSON of ``root``, as text (numbers and booleans as SQLite's json_extract gives them)."""
        raise NotImplementedError

    def json_number(self, root: str, keys: tuple[str, ...]) -> Fragment:
        """The JSON value at ``keys`` if it is a number (null otherwise)."""
        raise NotImplementedError

    def json_boolean(self, root: str, keys: tuple[str, ...]) -> Fragment:
        """The JSON value at ``keys`` if it is a boolean."""
        raise NotImplementedError

    # -- numbers -------------------------------------------------------------------
    def arithmetic(self, op: str, a: str, b: str) -> str:
        """``a op b`` for op one of ``+ - * / %``; division is of reals, by zero null."""
        return f"({a} {op} {b})"

    def rounding(self, name: str, x: Fragment) -> Fragment:
        """OData's ``round``, ``floor`` or ``ceiling`` of ``x``."""
        raise NotImplementedError

    def in_list(self, column: str, values: list[Any]) -> Fragment:
        """``column`` is one of ``values`` (at least one)."""
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)


class SQLitePredicates(PredicateSpelling):
    """SQLite: GeoPackage DATETIME text in feature tables, GLOB for LIKE, R*Tree or bounding-box columns and ``vkc_spatial``."""

    def feature_time_in(self, value: datetime) -> Any:
        return format_datetime(value)

    def feature_time_open_start_sql(self) -> str:
        return "'0000-01-01T00:00:00.000Z'"

    def feature_time_open_end_sql(self) -> str:
        return "'9999-12-31T23:59:59.999Z'"

    def like(self, value_sql: str, pattern_sql: str) -> str:
        return f"{value_sql} GLOB {pattern_sql}"  # unlike SQLite's LIKE, case-sensitive

    def like_pattern(self, pattern: str) -> str:
        return like_to_glob(pattern)

    def string_function(self, name: str) -> str:
        return _STRING_FUNCTIONS[name]

    def geometry_literal_sql(self) -> str:
        return "?"

    def spatial_narrowing(self, column: Operand, literal: Operand) -> Fragment | None:
        if column.envelope is None:
            return None
        return column.envelope.overlaps(tuple(shapely.bounds(literal.value).tolist()))  # the R*Tree or the box columns

    def spatial_test(self, relation: str, a: Operand, b: Operand, pattern: str | None = None) -> Fragment:
        name = relation if pattern is None else f"relate:{pattern}"
        return f"vkc_spatial(?, {a.sql}, {b.sql})", [name, *a.params, *b.params]

    def geometry_measure(self, what: str, a: Operand, b: Operand | None) -> Fragment:
        second, params = ("NULL", []) if b is None else (b.sql, b.params)
        return f"vkc_measure(?, {a.sql}, {second})", [what, *a.params, *params]

    def date_literal(self, value: date) -> Fragment:
        return "?", [value.isoformat()]

    def time_part(self, name: str) -> tuple[str, str]:
        return _SQLITE_TIME_PARTS[name]

    def json_text(self, root: str, keys: tuple[str, ...]) -> Fragment:
        return f"json_extract({root}, ?)", ["$" + "".join(f'."{k}"' for k in keys)]

    json_number = json_text
    json_boolean = json_text

    def arithmetic(self, op: str, a: str, b: str) -> str:
        if op == "/":
            return f"(CAST({a} AS REAL) / {b})"
        return f"({a} {op} {b})"

    def rounding(self, name: str, x: Fragment) -> Fragment:
        sql, params = x
        if name == "round":
            return f"round({sql})", params
        sign, cmp = ("-", "<") if name == "floor" else ("+", ">")
        return f"(CAST({sql} AS INTEGER) {sign} ({sql} {cmp} CAST({sql} AS INTEGER)))", params * 3


class PostgresPredicates(PredicateSpelling):
    """PostgreSQL + PostGIS: timestamptz, LIKE, PostGIS' GiST-assisted functions, jsonb paths."""

    def feature_time_in(self, value: datetime) -> Any:
        return value

    def feature_time_open_start_sql(self) -> str:
        return "'-infinity'::timestamptz"

    def feature_time_open_end_sql(self) -> str:
        return "'9999-12-31 23:59:59.999+00'::timestamptz"

    def property_value(self, value: Any, ftype: FieldType) -> Any:
        return value if ftype == "boolean" else to_sql(value, ftype)

    def like(self, value_sql: str, pattern_sql: str) -> str:
        return f"{value_sql} LIKE {pattern_sql}"

    def string_function(self, name: str) -> str:
        return _POSTGRES_STRING_FUNCTIONS[name]

    def geometry_literal_sql(self) -> str:
        return "ST_GeomFromWKB(?, 4326)"

    def spatial_narrowing(self, column: Operand, literal: Operand) -> Fragment | None:
        return f"{column.sql} && {literal.sql}", [*column.params, *literal.params]  # the GiST index

    def spatial_test(self, relation: str, a: Operand, b: Operand, pattern: str | None = None) -> Fragment:
        if pattern is not None:
            return f"ST_Relate({a.sql}, {b.sql}, ?)", [*a.params, *b.params, pattern]
        return f"ST_{relation.capitalize()}({a.sql}, {b.sql})", [*a.params, *b.params]

    def geometry_measure(self, what: str, a: Operand, b: Operand | None) -> Fragment:
        if b is None:
            return f"ST_Length({a.sql})", list(a.params)
        return f"ST_Distance({a.sql}, {b.sql})", [*a.params, *b.params]

    def date_literal(self, value: date) -> Fragment:
        return "?::date", [value]

    def time_part(self, name: str) -> tuple[str, str]:
        return _POSTGRES_TIME_PARTS[name]

    def json_text(self, root: str, keys: tuple[str, ...]) -> Fragment:
        return f"({root} #>> ?::text[])", ["{" + ",".join(keys) + "}"]

    def json_number(self, root: str, keys: tuple[str, ...]) -> Fragment:
        value, params = self._json_value(root, keys)
        return f"(CASE WHEN jsonb_typeof({value}) = 'number' THEN ({value} #>> '{{}}')::double precision END)", params * 2

    def json_boolean(self, root: str, keys: tuple[str, ...]) -> Fragment:
        value, params = self._json_value(root, keys)
        return f"(CASE WHEN jsonb_typeof({value}) = 'boolean' THEN ({value} #>> '{{}}')::boolean END)", params * 2

    @staticmethod
    def _json_value(root: str, keys: tuple[str, ...]) -> Fragment:
        if not keys:
            return root, []
        return f"({root} #> ?::text[])", ["{" + ",".join(k.replace('"', '\\"') for k in keys) + "}"]

    def arithmetic(self, op: str, a: str, b: str) -> str:
        if op == "/":
            return f"(CAST({a} AS double precision) / NULLIF({b}, 0))"
        if op == "%":
            return f"mod(CAST({a} AS numeric), CAST({b} AS numeric))"
        return f"({a} {op} {b})"

    def rounding(self, name: str, x: Fragment) -> Fragment:
        sql, params = x
        function = {"round": "round", "floor": "floor", "ceiling": "ceil"}[name]
        return f"{function}(CAST({sql} AS numeric))", params

    def in_list(self, column: str, values: list[Any]) -> Fragment:
        return f"{column} = ANY(?)", [list(values)]


def like_to_glob(pattern: str) -> str:
    """A CQL2 LIKE pattern (``%``, ``_``, ``\\`` escapes) as an SQLite GLOB pattern."""
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            ch = next(chars, "\\")
            out.append(f"[{ch}]" if ch in "*?[" else ch)
        elif ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "".join(out)
