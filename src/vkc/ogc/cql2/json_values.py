"""CQL2 JSON operands: literals, properties, functions, dates, timestamps, intervals, bounding boxes and GeoJSON geometries.

Each converter takes a decoded JSON value and ``path``, its JSON path
(``$.args[1]``), which messages give as the place of a problem.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any

import shapely

from vkc.errors import InputError
from vkc.ogc.cql2.checks import ARITHMETIC, LIMITS, check_text, describe, error
from vkc.ogc.cql2.geometry import JSON_GEOMETRY_TYPES, LEVELS, build_geometry, collection
from vkc.ogc.cql2.literals import bbox, interval, parse_date, parse_instant_string, parse_timestamp
from vkc.store.filters import FUNCTIONS, SPATIAL_OPS, TEMPORAL_OPS, Expr, Func, Interval, Prop


def at(path: str) -> str:
    """``at <path>`` for messages, a long path cut in the middle."""
    if len(path) > 80:
        path = path[:30] + "..." + path[-40:]
    return f"at {path}"


class JsonValues:
    """Converts CQL2 JSON operands to filter-tree values; conditions standing as operands go to :meth:`dispatch`."""

    def __init__(self) -> None:
        self.nesting = LIMITS.nesting("filter")

    def nested(self, path: str) -> AbstractContextManager[None]:
        return self.nesting.deeper(lambda message: error(f"{message} at {path}"))

    def dispatch(self, op: str, args: list[Any], path: str) -> Expr:
        raise NotImplementedError

    def op_and_args(self, obj: dict[str, Any], path: str) -> tuple[str, list[Any]]:
        op = obj["op"]
        if not isinstance(op, str):
            raise error(f'"op" must be a string {at(path)}, not {self.shown(op)}')
        extra = sorted(set(obj) - {"op", "args"}, key=repr)
        if extra:
            raise error(f"unexpected member(s) {', '.join(map(repr, extra))} in the {op!r} object {at(path)}")
        if "args" not in obj:
            raise error(f'the {op!r} object has no "args" {at(path)}')
        args = obj["args"]
        if not isinstance(args, list):
            raise error(f'"args" of {op!r} must be an array {at(path)}, not {self.shown(args)}')
        return op.lower(), args

    def arity(self, op: str, args: list[Any], path: str, count: int | None = None, *, minimum: int | None = None) -> None:
        if count is not None and len(args) != count:
            raise error(f"{op!r} expects {count} argument(s), got {len(args)} {at(path)}")
        if minimum is not None and len(args) < minimum:
            raise error(f"{op!r} expects at least {minimum} arguments, got {len(args)} {at(path)}")

    # -- operands ----------------------------------------------------------
    def operand(self, obj: Any, path: str) -> Any:
        if isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, float)):
            if isinstance(obj, float) and not math.isfinite(obj):
                raise error(f"the number {obj} {at(path)} is not finite")
            return obj
        if isinstance(obj, dict):
            with self.nested(path):
                return self.object_operand(obj, path)
        if isinstance(obj, list):
            raise error(f"array literals {at(path)} are not supported")
        if obj is None:
            raise error(f'null is not a CQL2 value {at(path)}; test for missing values with {{"op": "isNull", ...}}')
        raise error(f"{self.shown(obj)} is not a CQL2 value {at(path)}")

    def object_operand(self, obj: dict[str, Any], path: str) -> Any:
        if "op" in obj:
            return self.function(obj, path)
        for key, convert in (
            ("property", self.property),
            ("date", self.date),
            ("timestamp", self.timestamp),
            ("interval", self.interval),
            ("bbox", self.bbox),
        ):
            if key in obj:
                self.only(obj, key, path)
                return convert(obj[key], f"{path}.{key}")
        if "type" in obj:
            return self.geometry(obj, path)
        keys = ", ".join(map(repr, obj)) or "no members"
        expected = "property, date, timestamp, interval, bbox, op or a GeoJSON geometry"
        raise error(f"unrecognised object ({keys}) {at(path)}; expected one with {expected}")

    def function(self, obj: dict[str, Any], path: str) -> Any:
        op, args = self.op_and_args(obj, path)
        if op in FUNCTIONS:
            self.arity(op, args, path, 1)
            arg = self.operand(args[0], f"{path}.args[0]")
            check_text(arg, f"the argument of {op!r}", at(f"{path}.args[0]"))
            return Func(op, arg)
        # a condition where a value is expected: converting it names the real problem, if any
        return self.dispatch(op, args, path)

    def only(self, obj: dict[str, Any], key: str, path: str) -> None:
        extra = sorted(set(obj) - {key}, key=repr)
        if extra:
            raise error(f"unexpected member(s) {', '.join(map(repr, extra))} next to {key!r} {at(path)}")

    def property(self, name: Any, path: str) -> Prop:
        if not isinstance(name, str) or not name:
            raise error(f"a property name must be a non-empty string {at(path)}, not {self.shown(name)}")
        return Prop(name)

    def date(self, value: Any, path: str) -> date:
        if not isinstance(value, str):
            raise error(f'a date must be a string such as "2020-01-31" {at(path)}, not {self.shown(value)}')
        return parse_date(value, at(path))

    def timestamp(self, value: Any, path: str) -> datetime:
        if not isinstance(value, str):
            raise error(f'a timestamp must be a string such as "2020-01-31T10:00:00Z" {at(path)}, not {self.shown(value)}')
        return parse_timestamp(value, at(path))

    def interval(self, value: Any, path: str) -> Interval:
        if not isinstance(value, list) or len(value) != 2:
            raise error(f"an interval must be an array of 2 bounds {at(path)}, not {self.shown(value)}")
        start = self.interval_bound(value[0], f"{path}[0]")
        end = self.interval_bound(value[1], f"{path}[1]")
        return interval(start, end, at(path))

    def interval_bound(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return parse_instant_string(value, at(path))
        if isinstance(value, dict) and len(value) == 1:
            key = next(iter(value))
            converters = {"property": self.property, "date": self.date, "timestamp": self.timestamp}
            if key in converters:
                return converters[key](value[key], f"{path}.{key}")
        raise error(f'an interval bound must be a date or timestamp string, ".." or a property/date/timestamp object {at(path)}')

    def bbox(self, value: Any, path: str) -> shapely.Polygon:
        if not isinstance(value, list) or not all(self.is_number(v) for v in value):
            raise error(f"bbox must be an array of 4 or 6 numbers {at(path)}, not {self.shown(value)}")
        return bbox([float(v) for v in value], at(path))

    # -- GeoJSON -----------------------------------------------------------
    def geometry(self, obj: dict[str, Any], path: str) -> shapely.Geometry:
        kind = obj["type"]
        if kind not in JSON_GEOMETRY_TYPES:
            expected = ", ".join(JSON_GEOMETRY_TYPES)
            raise error(f"{self.shown(kind)} is not a GeoJSON geometry type {at(path)}; expected one of {expected}")
        if kind == "GeometryCollection":
            members = obj.get("geometries")
            if not isinstance(members, list) or not members:
                raise error(f'a GeometryCollection needs a non-empty "geometries" array {at(path)}')
            parts = []
            for i, member in enumerate(members):
                where = f"{path}.geometries[{i}]"
                if not (isinstance(member, dict) and "type" in member):
                    raise error(f"expected a GeoJSON geometry {at(where)}, found {self.shown(member)}")
                with self.nested(where):
                    parts.append(self.geometry(member, where))
            return collection(parts, at(path))
        if "coordinates" not in obj:
            raise error(f'the {kind} has no "coordinates" {at(path)}')
        coords = self.coordinates(obj["coordinates"], LEVELS[kind], f"{path}.coordinates")
        return build_geometry(kind, coords, at(path))

    def coordinates(self, value: Any, levels: int, path: str) -> Any:
        """Nested arrays ``levels`` deep around positions, positions as tuples of floats."""
        if levels == 0:
            if not (isinstance(value, list) and 2 <= len(value) <= 3 and all(self.is_number(v) for v in value)):
                raise error(f"a position must be an array of 2 or 3 numbers {at(path)}, not {self.shown(value)}")
            return tuple(float(v) for v in value)
        if not isinstance(value, list):
            raise error(f"expected an array of coordinates {at(path)}, not {self.shown(value)}")
        return [self.coordinates(item, levels - 1, f"{path}[{i}]") for i, item in enumerate(value)]

    # -- messages ----------------------------------------------------------
    @staticmethod
    def is_number(value: Any) -> bool:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        try:
            return math.isfinite(value)
        except OverflowError:  # an int too large for a float
            return False

    @staticmethod
    def shown(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict):
            keys = ", ".join(repr(k) for k in list(value)[:5])
            return f"an object ({keys})" if keys else "an empty object"
        return describe(value)

    @staticmethod
    def unsupported(op: str, path: str) -> InputError:
        if op in ARITHMETIC:
            return error(f"arithmetic ({op!r}) {at(path)} is not supported")
        if op.startswith("a_"):
            return error(f"the array function {op!r} {at(path)} is not supported")
        if op.startswith(("s_", "t_")):
            kind, ops = ("spatial", SPATIAL_OPS) if op.startswith("s_") else ("temporal", TEMPORAL_OPS)
            return error(f"unknown {kind} operator {op!r} {at(path)}; supported: {', '.join(ops)}")
        return error(f"unknown or unsupported operator {op!r} {at(path)}")
