"""CQL2 JSON: an already-decoded filter (or its JSON text) converted to the filter tree."""

from __future__ import annotations

from typing import Any

import orjson

from vkc.ogc.cql2.checks import (
    LIMITS,
    check_pattern,
    check_scalar,
    check_spatial_arg,
    check_temporal_arg,
    check_text,
    error,
    filter_text,
    is_predicate,
    join,
)
from vkc.ogc.cql2.json_values import JsonValues, at
from vkc.store.filters import (
    COMPARISON_OPS,
    FUNCTIONS,
    SPATIAL_OPS,
    TEMPORAL_OPS,
    And,
    Between,
    BoolValue,
    Compare,
    Expr,
    In,
    IsNull,
    Like,
    Not,
    Or,
    Spatial,
    Temporal,
)


def parse_json(obj: Any) -> Expr:
    """Convert a decoded CQL2 JSON filter (a dict, or ``true`` / ``false``)."""
    return LIMITS.run(lambda: _JsonConverter().predicate(obj, "$"), "filter", error)


def decode_json(value: str) -> Any:
    """The decoded value of a CQL2 JSON filter's text."""
    try:
        return orjson.loads(filter_text(value, "a CQL2 JSON filter must be a JSON string"))
    except orjson.JSONDecodeError as exc:
        raise error(f"not valid JSON ({exc})") from None


class _JsonConverter(JsonValues):
    """CQL2 JSON to the filter tree; ``path`` is the JSON path of the node being converted."""

    def predicate(self, obj: Any, path: str) -> Expr:
        if isinstance(obj, bool):
            return BoolValue(obj)
        if not (isinstance(obj, dict) and "op" in obj):
            raise error(f'expected a condition (an object with "op" and "args", or true/false) {at(path)}, found {self.shown(obj)}')
        op, args = self.op_and_args(obj, path)
        with self.nested(path):
            return self.dispatch(op, args, path)

    def dispatch(self, op: str, args: list[Any], path: str) -> Expr:
        if op in ("and", "or"):
            self.arity(op, args, path, minimum=2)
            items = [self.predicate(arg, f"{path}.args[{i}]") for i, arg in enumerate(args)]
            return join(And if op == "and" else Or, items)
        if op == "not":
            self.arity(op, args, path, 1)
            return Not(self.predicate(args[0], f"{path}.args[0]"))
        if op in COMPARISON_OPS:
            left, right = self.scalars(op, args, path, 2)
            return Compare(op, left, right)
        if op == "like":
            return self.like(args, path)
        if op == "between":
            return Between(*self.scalars(op, args, path, 3))
        if op == "in":
            return self.in_list(args, path)
        if op == "isnull":
            self.arity("isNull", args, path, 1)
            value = self.operand(args[0], f"{path}.args[0]")
            if is_predicate(value):
                raise error(f"isNull applies to a value, not a condition {at(path + '.args[0]')}")
            return IsNull(value)
        if op in SPATIAL_OPS:
            left, right = self.pair(op, args, path)
            check_spatial_arg(left, op, 1, at(f"{path}.args[0]"))
            check_spatial_arg(right, op, 2, at(f"{path}.args[1]"))
            return Spatial(op, left, right)
        if op in TEMPORAL_OPS:
            left, right = self.pair(op, args, path)
            check_temporal_arg(left, op, 1, at(f"{path}.args[0]"))
            check_temporal_arg(right, op, 2, at(f"{path}.args[1]"))
            return Temporal(op, left, right)
        if op in FUNCTIONS:
            raise error(f'{op!r} gives a value, not a condition {at(path)}; compare it, e.g. {{"op": "=", "args": [...]}}')
        raise self.unsupported(op, path)

    def pair(self, op: str, args: list[Any], path: str) -> tuple[Any, Any]:
        self.arity(op, args, path, 2)
        return self.operand(args[0], f"{path}.args[0]"), self.operand(args[1], f"{path}.args[1]")

    def scalars(self, op: str, args: list[Any], path: str, count: int) -> list[Any]:
        self.arity(op, args, path, count)
        values = []
        for i, arg in enumerate(args):
            where = f"{path}.args[{i}]"
            value = self.operand(arg, where)
            check_scalar(value, f"argument {i + 1} of {op!r}", at(where))
            values.append(value)
        return values

    def like(self, args: list[Any], path: str) -> Like:
        value, pattern = self.pair("like", args, path)
        check_text(value, "argument 1 of 'like'", at(f"{path}.args[0]"))
        check_pattern(pattern, at(f"{path}.args[1]"))
        return Like(value, pattern)

    def in_list(self, args: list[Any], path: str) -> In:
        self.arity("in", args, path, 2)
        value = self.operand(args[0], f"{path}.args[0]")
        check_scalar(value, "argument 1 of 'in'", at(f"{path}.args[0]"))
        items = args[1]
        if not isinstance(items, list):
            raise error(f"argument 2 of 'in' must be an array of values {at(path + '.args[1]')}, not {self.shown(items)}")
        converted = []
        for i, item in enumerate(items):
            where = f"{path}.args[1][{i}]"
            item_value = self.operand(item, where)
            check_scalar(item_value, "an item of the 'in' list", at(where))
            converted.append(item_value)
        return In(value, tuple(converted))
