"""The OData expression grammar of SensorThings API 1.1 ``$filter`` and ``$orderby`` (OGC 18-088 §9.3.3.4, §9.3.3.5).

OGC 18-088 §9.3.3.5 adopts the OData 4.0 expression syntax (OData 4.0 Part 2,
URL Conventions, §5.1.1 and its ABNF); this package parses that subset into a
syntax tree of frozen dataclasses. It does no evaluation and knows nothing of
the database: another module translates the tree to SQL.

Grammar (keywords and function names case-insensitive, property names not)::

    expression     = or
    or             = and *( "or" and )
    and            = comparison *( "and" comparison )
    comparison     = additive *( ("eq" / "ne" / "gt" / "ge" / "lt" / "le") additive )
    additive       = multiplicative *( ("add" / "sub") multiplicative )
    multiplicative = unary *( ("mul" / "div" / "mod") unary )
    unary          = "not" unary / "-" unary / primary
    primary        = "(" expression ")" / literal / function "(" [ expression *( "," expression ) ] ")" / path
    path           = name *( "/" name )              ; no spaces around "/"; @iot.id and id are both Path(("id",))

Binary operators are left-associative; ``not`` and unary minus bind tightest,
as in the OData precedence table (URL Conventions §5.1.1.9). Because of that,
``not name eq 'x'`` would negate only ``name``; that reading is almost never
meant, so it is refused with a message asking for ``not (name eq 'x')``.

Literals: ``'strings'`` (a doubled ``''`` stands for one quote), integers,
decimals and exponents, ``true`` / ``false`` / ``null``, ISO 8601 times with a
zone (``2016-01-01T07:00:00.123+07:00``, converted to UTC), dates
(``2016-01-01``), times of day (``12:30:00``), ``duration'P1DT2H'`` and
``geography'POINT(1 2)'`` / ``geometry'…'`` holding WKT (an ``SRID=4326;``
prefix is accepted). The functions are those of the table of built-in query
functions in OGC 18-088 §9.3.3.5.2, each checked for its number of arguments.

Not supported: lambda operators (``any`` / ``all``), ``has`` and ``in``, the
OData 4.0 functions that 18-088 does not list (``contains``, ``cast``,
``isof`` …), ``INF`` / ``NaN``, GUID, binary and enumeration literals,
time intervals (``…Z/…Z``).
The modules: :mod:`~vkc.sta.odata_expr.tree` (the nodes, the operator and
function tables, :class:`Source`), :mod:`~vkc.sta.odata_expr.lexer` (the
tokens and literals) and :mod:`~vkc.sta.odata_expr.parser`, all on the
:mod:`vkc.parsing` toolkit.
"""

from __future__ import annotations

from vkc.sta.odata_expr.parser import parse_expression, parse_orderby_items
from vkc.sta.odata_expr.tree import (
    ARITHMETIC_OPS,
    BOOLEAN_FUNCTIONS,
    COMPARISON_OPS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Arith,
    Call,
    Compare,
    Duration,
    Geometry,
    Negate,
    Not,
    Or,
    Path,
    Source,
    is_condition,
)

__all__ = [
    "ARITHMETIC_OPS",
    "BOOLEAN_FUNCTIONS",
    "COMPARISON_OPS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "And",
    "Arith",
    "Call",
    "Compare",
    "Duration",
    "Geometry",
    "Negate",
    "Not",
    "Or",
    "Path",
    "Source",
    "is_condition",
    "parse_expression",
    "parse_orderby_items",
]
