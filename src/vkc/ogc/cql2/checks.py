"""What may stand where in a CQL2 filter, and the messages when something does not; shared by CQL2 Text and CQL2 JSON.

``where`` arguments are phrases such as ``at position 5`` or ``at $.args[1]``
that messages include as they are.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely

from vkc.errors import InputError
from vkc.parsing import Limits
from vkc.parsing.phrases import literal_phrase
from vkc.store.filters import (
    FUNCTIONS,
    And,
    Between,
    BoolValue,
    Call,
    Compare,
    Expr,
    In,
    Interval,
    IsNull,
    Like,
    Not,
    Or,
    Prop,
    Spatial,
    Temporal,
)

LIMITS = Limits()
MAX_LENGTH = LIMITS.max_length
MAX_DEPTH = LIMITS.max_depth

PREDICATES = (Compare, Like, Between, In, IsNull, And, Or, Not, BoolValue, Spatial, Temporal)
ARITHMETIC = ("+", "-", "*", "/", "^", "%", "div")


def error(message: str) -> InputError:
    """An error about the filter; the message says where (a position or a JSON path) itself."""
    return InputError(f"filter: {message}", field="filter")


def filter_text(value: Any, must_be: str) -> str:
    """``value`` if it is a string, not blank and not too long; ``must_be`` starts the message if it is not a string."""
    if not isinstance(value, str):
        raise error(f"{must_be}, not {type(value).__name__}")
    LIMITS.check_length(value, "filter", error)
    if not value.strip():
        raise error("the filter is empty")
    return value


def is_predicate(node: Any) -> bool:
    return isinstance(node, PREDICATES)


def is_text_function(node: Any) -> bool:
    """Whether ``node`` is ``CASEI(...)`` or ``ACCENTI(...)``."""
    return isinstance(node, Call) and node.name in FUNCTIONS


def join(cls: type[And] | type[Or], items: list[Any]) -> And | Or:
    """``And`` / ``Or`` of the items, with nested ones of the same kind flattened."""
    flat: list[Any] = []
    for item in items:
        flat.extend(item.items if isinstance(item, cls) else (item,))
    return cls(tuple(flat))


def describe(value: Any) -> str:
    """A short phrase naming what a node is, for messages."""
    if is_predicate(value):
        return "a condition"
    if isinstance(value, Prop):
        return f"the property {value.name!r}"
    if is_text_function(value):
        return f"{value.name.upper()}(...)"
    if isinstance(value, Interval):
        return "an interval"
    if isinstance(value, shapely.Geometry):
        return f"a geometry ({value.geom_type})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return literal_phrase(value, true="TRUE", false="FALSE", timestamp="timestamp") or type(value).__name__


def as_predicate(node: Any, where: str) -> Expr:
    if is_predicate(node):
        return node
    if isinstance(node, bool):
        return BoolValue(node)
    hint = f"; compare it, e.g. {node.name} = TRUE" if isinstance(node, Prop) else ""
    raise error(f"expected a condition {where}, found {describe(node)}{hint}")


def check_scalar(value: Any, role: str, where: str) -> None:
    """Operands of comparisons, BETWEEN and IN: properties, CASEI/ACCENTI, strings, numbers, booleans, dates, timestamps."""
    if isinstance(value, (Prop, str, int, float, date)) or is_text_function(value):
        return
    if isinstance(value, shapely.Geometry):
        raise error(f"{role} is a geometry {where}; geometries can only be used in spatial functions (S_INTERSECTS, ...)")
    if isinstance(value, Interval):
        raise error(f"{role} is an interval {where}; intervals can only be used in temporal functions (T_INTERSECTS, ...)")
    raise error(f"{role} must be a value (a property, string, number, boolean, date or timestamp) {where}, not {describe(value)}")


def check_text(value: Any, role: str, where: str) -> None:
    """Arguments of CASEI / ACCENTI and the left side of LIKE: a string, a property or CASEI/ACCENTI."""
    if not (isinstance(value, (Prop, str)) or is_text_function(value)):
        raise error(f"{role} must be a string, a property or CASEI/ACCENTI(...) {where}, not {describe(value)}")


def check_pattern(value: Any, where: str) -> None:
    """A LIKE pattern: a string, possibly inside CASEI / ACCENTI."""
    inner = value
    while is_text_function(inner):
        inner = inner.args[0]
    if not isinstance(inner, str):
        raise error(f"the pattern of LIKE must be a quoted string (optionally inside CASEI/ACCENTI) {where}, not {describe(inner)}")


def check_spatial_arg(value: Any, op: str, index: int, where: str) -> None:
    if not isinstance(value, (Prop, shapely.Geometry)):
        raise error(f"{op.upper()} argument {index} must be a geometry, a BBOX or a property {where}, not {describe(value)}")


def check_temporal_arg(value: Any, op: str, index: int, where: str) -> None:
    if isinstance(value, (Prop, date, Interval)):
        return
    hint = "; write DATE('...') or TIMESTAMP('...')" if isinstance(value, str) else ""
    raise error(f"{op.upper()} argument {index} must be a DATE, TIMESTAMP, INTERVAL or a property {where}, not {describe(value)}{hint}")
