"""SensorThings OData expressions: the operator and function tables, the constructors of their nodes, and where a text comes from.

The nodes are those of the one expression tree, :mod:`vkc.store.filters`; the
constructors here take OData's spelling (``Compare("eq", …)``, ``And(left, right)``,
``Path(("Datastream", "id"))``) and build them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vkc.parsing import Limits, SourceText, literal_phrase
from vkc.store import filters as F

LIMITS = Limits()
MAX_LENGTH = LIMITS.max_length
MAX_DEPTH = LIMITS.max_depth

COMPARISON_OPS = ("eq", "ne", "gt", "ge", "lt", "le")
ARITHMETIC_OPS = ("add", "sub", "mul", "div", "mod")
ADDITIVE = ("add", "sub")
MULTIPLICATIVE = ("mul", "div", "mod")
KEYWORDS = frozenset(("and", "or", "not", *COMPARISON_OPS, *ARITHMETIC_OPS))

_SPATIAL_RELATIONS = ("st_equals", "st_disjoint", "st_touches", "st_within", "st_overlaps", "st_crosses", "st_intersects", "st_contains")

# OGC 18-088 §9.3.3.5.2, built-in query functions: function name -> the numbers of arguments it takes
FUNCTIONS: dict[str, tuple[int, ...]] = {
    # string functions
    "substringof": (2,),
    "endswith": (2,),
    "startswith": (2,),
    "length": (1,),
    "indexof": (2,),
    "substring": (2, 3),
    "tolower": (1,),
    "toupper": (1,),
    "trim": (1,),
    "concat": (2,),
    # date functions
    "year": (1,),
    "month": (1,),
    "day": (1,),
    "hour": (1,),
    "minute": (1,),
    "second": (1,),
    "fractionalseconds": (1,),
    "date": (1,),
    "time": (1,),
    "totaloffsetminutes": (1,),
    "now": (0,),
    # OData's constants (no argument), and the start or end of a time interval (one argument)
    "mindatetime": (0, 1),
    "maxdatetime": (0, 1),
    # math functions
    "round": (1,),
    "floor": (1,),
    "ceiling": (1,),
    # geospatial functions
    "geo.distance": (2,),
    "geo.length": (1,),
    "geo.intersects": (2,),
    # spatial relationship functions
    **{name: (2,) for name in _SPATIAL_RELATIONS},
    "st_relate": (3,),
}

# functions whose value is a boolean, so they can stand as a condition on their own
BOOLEAN_FUNCTIONS = frozenset(("substringof", "endswith", "startswith", "geo.intersects", "st_relate", *_SPATIAL_RELATIONS))

FUNCTION_HINTS = {
    "contains": "substringof(p0, p1) (note the order: substringof('text', name))",
    "st_distance": "geo.distance(p0, p1)",
    "st_length": "geo.length(p0)",
    "ceil": "ceiling(p0)",
    "lower": "tolower(p0)",
    "upper": "toupper(p0)",
}


# -- the tree: OData's spelling of the shared nodes of vkc.store.filters ------------

#: OData's operator words and the tree's symbols
COMPARISON_SYMBOLS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
ARITHMETIC_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%"}
OPERATOR_WORDS = {symbol: word for word, symbol in (*COMPARISON_SYMBOLS.items(), *ARITHMETIC_SYMBOLS.items())}

Duration = F.Duration
#: a ``geography'…'`` or ``geometry'…'`` literal: its WKT (without an SRID prefix) and the shapely geometry
Geometry = F.WktGeometry
Negate = F.Negate
Not = F.Not
Call = F.Call


def Path(segments: tuple[str, ...]) -> F.Prop:  # noqa: N802 - builds a node, as the classes do
    """A property or navigation path: ``name``, ``Datastream/Thing/name``, ``properties/owner/name``."""
    return F.Prop(segments[0], segments[1:])


def Compare(op: str, left: Any, right: Any) -> F.Compare:  # noqa: N802
    """``left op right`` with op one of ``eq ne gt ge lt le``."""
    return F.Compare(COMPARISON_SYMBOLS[op], left, right)


def Arith(op: str, left: Any, right: Any) -> F.Arith:  # noqa: N802
    """``left op right`` with op one of ``add sub mul div mod``."""
    return F.Arith(ARITHMETIC_SYMBOLS[op], left, right)


def And(left: Any, right: Any) -> Any:  # noqa: N802
    """``left and right``, runs of ``and`` as one node."""
    return F.conjunction([left, right])


def Or(left: Any, right: Any) -> Any:  # noqa: N802
    """``left or right``, runs of ``or`` as one node."""
    return F.disjunction([left, right])


def describe(node: Any) -> str:
    """A short phrase naming what a node is, for messages."""
    if isinstance(node, F.Prop):
        return f"the property {'/'.join(node.steps)!r}"
    if isinstance(node, F.Call):
        return f"{node.name}(...)"
    if isinstance(node, F.Compare | F.And | F.Or | F.Not):
        return "a condition"
    if isinstance(node, F.Arith | F.Negate):
        return "an arithmetic expression"
    if isinstance(node, F.Duration):
        return "a duration"
    if isinstance(node, F.WktGeometry):
        return f"a geometry ({node.shape.geom_type})"
    return literal_phrase(node) or type(node).__name__


def is_condition(node: Any) -> bool:
    """Whether a node can be a condition: a comparison, and/or/not, true/false, a boolean function, or a (boolean) property."""
    if isinstance(node, F.Compare | F.And | F.Or | F.Not | F.Prop | bool):
        return True
    return isinstance(node, F.Call) and node.name in BOOLEAN_FUNCTIONS


# -- where the text comes from, for messages ----------------------------------


@dataclass(frozen=True, slots=True)
class Source(SourceText):
    """A span ``text[start:end]`` of one query option value, and how errors about it are worded.

    ``field`` is the top-level option (``$filter``, ``$expand`` …) that
    errors carry; ``label`` starts their message (``$filter``, or
    ``$expand: $filter of Datastreams`` for an option nested in an expand).
    Positions in messages are 1-based offsets into the whole ``text``,
    followed by the text (`` at position 5 in "name eq 'x'"``); what was
    found instead follows after ``; found``.
    """

    excerpt: bool = True
    found: str = "; found "
