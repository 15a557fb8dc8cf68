"""How large an expression the compiler takes, and which numbers it can hand to a database.

A parser bounds the text (its length) and its nesting (parentheses and
calls), but runs of operators (``a or b or …``, ``x add 1 add 1 …``) build
trees as large and deep as the text allows, and the SQL of a deep tree is
refused by the database (SQLite: "Expression tree is too large"). So every
expression a request brings is measured before it is compiled: its parts
(operators, functions, properties and values, each item of an IN list
counted) and its depth (a run of AND or OR items is one level: the compiler
writes long runs as balanced SQL). Numbers must fit the databases too:
integers in 64 bits, reals finite.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from vkc.errors import InputError
from vkc.store import filters as F

MAX_NODES = 2000
MAX_DEPTH = 150
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class ExpressionLimits:
    """The most parts and the deepest nesting of one expression (or of all the items of one ``$orderby``)."""

    max_nodes: int = MAX_NODES
    max_depth: int = MAX_DEPTH

    def check(self, trees: list[Any], fail: Callable[[str], InputError]) -> None:
        """Refuse ``trees`` if together they have too many parts, if one is too deep, or if a number in them is out of range."""
        nodes = depth = 0
        stack: list[tuple[Any, int]] = [(tree, 1) for tree in trees]
        while stack:
            node, level = stack.pop()
            nodes += 1
            depth = max(depth, level)
            check_number(node, fail)
            stack.extend((child, level + 1) for child in _children(node))
        if nodes > self.max_nodes:
            raise fail(f"the expression has {nodes} parts (operators, functions, properties and values); the limit is {self.max_nodes}")
        if depth > self.max_depth:
            raise fail(f"the expression is nested {depth} levels deep; the limit is {self.max_depth}")


def check_number(value: Any, fail: Callable[[str], InputError]) -> None:
    """Refuse an integer outside 64 bits or a real that is not finite; anything else passes."""
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        raise fail(
            f"the integer {value} is out of range: integers are 64-bit, from {INT64_MIN} to {INT64_MAX}; "
            f"write it as a real number ({float(value)!r}) to compare with it"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(f"the number {value} is not finite")


#: nodes with no operands below them, and the fields that name an operator or a function rather than hold an operand
_LEAVES = (F.Prop, F.WktGeometry, F.Duration)
_NAMING_FIELDS = ("op", "name")


def _children(node: Any) -> list[Any]:
    if not is_dataclass(node) or isinstance(node, _LEAVES):
        return []
    out: list[Any] = []
    for spec in fields(node):
        if spec.name in _NAMING_FIELDS:
            continue
        value = getattr(node, spec.name)
        if isinstance(value, tuple):
            out.extend(value)  # the items of And, Or and In, and the arguments of a call: each one level below
        else:
            out.append(value)
    return out


LIMITS = ExpressionLimits()
