"""What the compiler asks of the rows an expression is about: the caller's resolver of queryables.

The store supplies :class:`~vkc.store.feature_queryables.FeatureQueryables`
for a feature collection; a component supplies its own (the sensors component
resolves SensorThings paths), so the kernel knows nothing of their tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

from vkc.errors import InputError
from vkc.store import filters as F
from vkc.store.predicates.operand import Operand

Typing = Literal["declared", "dynamic"]
"""How values are typed: ``declared`` by a schema (a literal must be of the type of the property it meets, and is
converted to it), or ``dynamic`` (values carry their own types, and a column holding several adapts to the literal)."""


class Queryables(Protocol):
    typing: Typing

    def resolve(self, prop: F.Prop, fail: Callable[[str], InputError]) -> Operand:
        """What ``prop`` (and the path into it) is in SQL; ``fail`` makes the error when it is nothing."""
        ...

    def describe(self, node: Any) -> str:
        """How error messages name ``node`` (in the words of the language the expressions come in)."""
        ...
