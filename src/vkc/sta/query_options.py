"""SensorThings API 1.1 query options (OGC 18-088 §9.3), parsed into a syntax tree.

:func:`parse_query_options` takes the raw query parameters of a request and
returns a :class:`QueryOptions`: ``$filter`` (§9.3.3.5) and ``$orderby``
(§9.3.3.1) as expression trees from :mod:`vkc.sta.odata_expr`, ``$select``
(§9.3.2.2) as property names, ``$expand`` (§9.3.2.1) as :class:`Expand`
nodes with their own options, ``$top`` (§9.3.3.2), ``$skip`` (§9.3.3.3),
``$count`` (§9.3.3.4) and ``$resultFormat=dataArray`` (the Data Array
extension, §14). The options are the OData 4.0 system query
options (OData 4.0 Part 2, URL Conventions §5); option names are matched
case-insensitively, parameters not starting with ``$`` are ignored.

``$expand`` grammar::

    expand  = item *( "," item )
    item    = name *( "/" name ) [ "(" option *( ";" option ) ")" ]
    option  = "$filter=" … / "$orderby=" … / "$select=" … / "$expand=" … / "$top=" … / "$skip=" … / "$count=" …

The path form ``Datastreams/Observations`` is returned as nested expansion —
``Expand(("Datastreams",), QueryOptions(expand=(Expand(("Observations",), …),)))`` —
and items naming the same navigation property are merged, so every
:class:`Expand` has a one-segment path. A ``$top`` above ``max_top`` is
lowered to ``max_top`` (the service then pages with ``@iot.nextLink``), at
every level. Expansions reach at most :data:`MAX_EXPAND_LEVELS` levels below
the addressed entities, counting both the path form and nesting
(``Thing/Datastreams($expand=Observations)`` reaches three), because each
level can multiply the size of the response.

Every malformed option raises :class:`~vkc.errors.InputError` whose ``field``
is the option (``$filter`` …) and whose message names the option, the problem
and, for syntax errors, the 1-based position in the option's value.
Nothing here evaluates anything or touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from vkc.errors import InputError
from vkc.parsing.numbers import parse_integer
from vkc.sta.odata_expr import (
    FUNCTIONS,
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
    parse_expression,
    parse_orderby_items,
)
from vkc.sta.odata_expr.tree import LIMITS

__all__ = [
    "FUNCTIONS",
    "MAX_EXPAND_LEVELS",
    "OPTIONS",
    "And",
    "Arith",
    "Call",
    "Compare",
    "Duration",
    "Expand",
    "Geometry",
    "Negate",
    "Not",
    "Or",
    "OrderItem",
    "Path",
    "QueryOptions",
    "parse_expand",
    "parse_filter",
    "parse_orderby",
    "parse_query_options",
    "parse_select",
]

OPTIONS = ("$filter", "$orderby", "$select", "$expand", "$top", "$skip", "$count", "$resultFormat")
_TOP_LEVEL_ONLY = ("$resultFormat",)
_CANONICAL = {name.lower(): name for name in OPTIONS}
_FIELD_OF = {
    "$filter": "filter",
    "$orderby": "orderby",
    "$select": "select",
    "$expand": "expand",
    "$top": "top",
    "$skip": "skip",
    "$count": "count",
    "$resultFormat": "result_format",
}
_OPTION_OF = {attribute: option for option, attribute in _FIELD_OF.items()}
RESULT_FORMATS = ("dataArray",)
#: how many levels an expansion may reach below the addressed entities (Things/Datastreams/Observations/FeatureOfInterest is 4)
MAX_EXPAND_LEVELS = 6

_DIGITS_RE = re.compile(r"[0-9]+", re.ASCII)
_SELECT_NAME_RE = re.compile(r"@iot\.id|[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_NAVIGATION_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_OPTION_NAME_RE = re.compile(r"\$[A-Za-z]+", re.ASCII)


@dataclass(frozen=True)
class OrderItem:
    """One ``$orderby`` item: an expression and its direction."""

    expr: Any
    descending: bool = False


@dataclass(frozen=True)
class QueryOptions:
    """The query options of one request, or of one expanded navigation property."""

    filter: Any = None
    orderby: tuple[OrderItem, ...] = ()
    select: tuple[str, ...] = ()
    expand: tuple[Expand, ...] = ()
    top: int | None = None
    skip: int = 0
    count: bool | None = None
    result_format: str | None = None


@dataclass(frozen=True)
class Expand:
    """One expanded navigation property (``path`` has one segment) and the options applied to it."""

    path: tuple[str, ...]
    options: QueryOptions = field(default_factory=QueryOptions)


# -- entry points ------------------------------------------------------------------


def parse_query_options(params: Mapping[str, str], *, max_top: int | None = None) -> QueryOptions:
    """The options among a request's query parameters (keys as sent, e.g. ``$filter``)."""
    sources: dict[str, Source] = {}
    for key, value in params.items():
        if not isinstance(key, str) or not key.startswith("$"):
            continue
        option = _CANONICAL.get(key.lower())
        if option is None:
            raise InputError(f"{key}: unknown query option; the supported options are {', '.join(OPTIONS)}", field=key)
        if option in sources:
            raise InputError(f"{option}: the option is given twice", field=option)
        sources[option] = _top_source(value, option)
    return _build_options(sources, max_top=max_top, path=(), depth=0)


def parse_filter(text: str) -> Any:
    """A ``$filter`` value: a condition tree."""
    source = _top_source(text, "$filter")
    _check_not_blank(source)
    return parse_expression(source)


def parse_orderby(text: str) -> tuple[OrderItem, ...]:
    """An ``$orderby`` value, e.g. ``phenomenonTime desc, id``."""
    return _orderby(_top_source(text, "$orderby"))


def parse_select(text: str) -> tuple[str, ...]:
    """A ``$select`` value, e.g. ``name,@iot.id`` (``@iot.id`` is returned as ``id``)."""
    return _select(_top_source(text, "$select"))


def parse_expand(text: str, *, max_top: int | None = None) -> tuple[Expand, ...]:
    """An ``$expand`` value, e.g. ``Datastreams($top=2;$expand=Observations),Locations``."""
    source = _top_source(text, "$expand")
    _check_not_blank(source)
    return _ExpandParser(source, max_top=max_top, path=(), depth=1).parse()


# -- the options -------------------------------------------------------------------


def _top_source(value: Any, option: str) -> Source:
    if not isinstance(value, str):
        raise InputError(f"{option}: expected one text value, not {type(value).__name__}", field=option)
    source = Source.of(value, option)
    LIMITS.check_length(value, "value", source.error)
    return source


def _check_not_blank(source: Source) -> None:
    if not source.value.strip():
        raise source.error("the value is empty")


def _build_options(sources: Mapping[str, Source], *, max_top: int | None, path: tuple[str, ...], depth: int) -> QueryOptions:
    values: dict[str, Any] = {}
    for option, source in sources.items():
        _check_not_blank(source)
        if option == "$filter":
            value: Any = parse_expression(source)
        elif option == "$orderby":
            value = _orderby(source)
        elif option == "$select":
            value = _select(source)
        elif option == "$expand":
            value = _ExpandParser(source, max_top=max_top, path=path, depth=depth + 1).parse()
        elif option == "$top":
            value = _non_negative_integer(source)
            if max_top is not None:
                value = min(value, max_top)
        elif option == "$skip":
            value = _non_negative_integer(source)
        elif option == "$count":
            value = _boolean(source)
        else:
            value = _result_format(source)
        values[_FIELD_OF[option]] = value
    return QueryOptions(**values)


def _orderby(source: Source) -> tuple[OrderItem, ...]:
    _check_not_blank(source)
    return tuple(OrderItem(expr, descending) for expr, descending in parse_orderby_items(source))


def _found(text: str, pos: int, stop: int) -> str:
    return "the end of the value" if pos >= stop else repr(text[pos])


def _skip_space(text: str, pos: int, stop: int) -> int:
    while pos < stop and text[pos].isspace():
        pos += 1
    return pos


def _select(source: Source) -> tuple[str, ...]:
    _check_not_blank(source)
    text, pos, stop = source.text, source.start, source.stop
    names: list[str] = []
    while True:
        pos = _skip_space(text, pos, stop)
        match = _SELECT_NAME_RE.match(text, pos, stop)
        if match is None:
            hint = "of the annotations only @iot.id can be selected" if text.startswith("@", pos) else None
            raise source.error("expected a property name", pos, _found(text, pos, stop), hint)
        name = "id" if match.group(0) == "@iot.id" else match.group(0)
        if name not in names:
            names.append(name)
        pos = _skip_space(text, match.end(), stop)
        if pos >= stop:
            return tuple(names)
        if text[pos] == "/":
            raise source.error("takes property names, not paths", pos)
        if text[pos] != ",":
            raise source.error("expected ',' or the end of the value", pos, _found(text, pos, stop))
        pos += 1


def _non_negative_integer(source: Source) -> int:
    value = source.value.strip()
    if not _DIGITS_RE.fullmatch(value):
        raise source.error(f"must be a non-negative integer, got {value!r}")
    return parse_integer(value, source.field, fail=source.error)


def _boolean(source: Source) -> bool:
    value = source.value.strip()
    if value.lower() not in ("true", "false"):
        raise source.error(f"must be true or false, got {value!r}")
    return value.lower() == "true"


def _result_format(source: Source) -> str:
    value = source.value.strip()
    for known in RESULT_FORMATS:
        if value.lower() == known.lower():
            return known
    raise source.error(f"unsupported value {value!r}; supported: {', '.join(RESULT_FORMATS)}")


# -- $expand -----------------------------------------------------------------------


class _ExpandParser:
    """A character scanner over one ``$expand`` value; nested option values are handed to their own parsers."""

    def __init__(self, source: Source, *, max_top: int | None, path: tuple[str, ...], depth: int) -> None:
        self.source = source
        self.text = source.text
        self.pos = source.start
        self.stop = source.stop
        self.max_top = max_top
        self.path = path
        self.depth = depth

    def error(self, message: str, pos: int, *, found: bool = True) -> InputError:
        return self.source.error(message, pos, _found(self.text, pos, self.stop) if found else None)

    def skip_space(self) -> None:
        self.pos = _skip_space(self.text, self.pos, self.stop)

    def at(self, char: str) -> bool:
        self.skip_space()
        return self.pos < self.stop and self.text[self.pos] == char

    def parse(self) -> tuple[Expand, ...]:
        if self.depth > MAX_EXPAND_LEVELS:
            raise self.source.error(f"expansions reach more than {MAX_EXPAND_LEVELS} levels deep")
        items = [self.item()]
        while self.at(","):
            self.pos += 1
            items.append(self.item())
        self.skip_space()
        if self.pos < self.stop:
            raise self.error("expected ',' or the end of the value", self.pos)
        return _merge(items, self.path, self.source)

    def item(self) -> Expand:
        start = self.pos
        names = [self.name()]
        while self.at("/"):
            self.pos += 1
            names.append(self.name())
            if self.depth + len(names) - 1 > MAX_EXPAND_LEVELS:
                raise self.error(f"expansions reach more than {MAX_EXPAND_LEVELS} levels deep (counting each step of a path)", start, found=False)
        options = QueryOptions()
        if self.at("("):
            self.pos += 1
            options = self.options((*self.path, *names), self.depth + len(names) - 1)
            if not self.at(")"):
                raise self.error("expected ';' or ')' after an option", self.pos)
            self.pos += 1
        node = Expand((names[-1],), options)
        for name in reversed(names[:-1]):
            node = Expand((name,), QueryOptions(expand=(node,)))
        return node

    def name(self) -> str:
        self.skip_space()
        match = _NAVIGATION_RE.match(self.text, self.pos, self.stop)
        if match is None:
            raise self.error("expected a navigation property name (e.g. Datastreams)", self.pos)
        self.pos = match.end()
        return match.group(0)

    def options(self, path: tuple[str, ...], depth: int) -> QueryOptions:
        shown_path = "/".join(path)
        sources: dict[str, Source] = {}
        while True:
            self.skip_space()
            option_pos = self.pos
            match = _OPTION_NAME_RE.match(self.text, self.pos, self.stop)
            if match is None:
                raise self.error(f"expected a query option such as $top=5 in the options of {shown_path}", self.pos)
            option = _CANONICAL.get(match.group(0).lower())
            if option is None:
                raise self.error(f"unknown query option {match.group(0)!r} in the options of {shown_path}", option_pos, found=False)
            if option in _TOP_LEVEL_ONLY:
                raise self.error(f"{option} is allowed only at the top level, not in the options of {shown_path}", option_pos, found=False)
            if option in sources:
                raise self.error(f"{option} is given twice in the options of {shown_path}", option_pos, found=False)
            self.pos = match.end()
            if not self.at("="):
                raise self.error(f"expected '=' after {option}", self.pos)
            start = self.pos + 1
            end = self.value_end(start)
            sources[option] = self.source.part(start, end, f"{self.source.field}: {option} of {shown_path}")
            self.pos = end
            if not self.at(";"):
                break
            self.pos += 1
        return _build_options(sources, max_top=self.max_top, path=path, depth=depth)

    def value_end(self, start: int) -> int:
        """Where an option value starting at ``start`` ends: the first ';' or unmatched ')' outside quotes and parentheses."""
        depth = 0
        i = start
        while i < self.stop:
            char = self.text[i]
            if char == "'":
                close = self.text.find("'", i + 1, self.stop)
                if close < 0:
                    return self.stop  # the value's own parser reports the unterminated string
                i = close + 1  # a doubled '' simply reopens the string on the next pass
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    return i
                depth -= 1
            elif char == ";" and depth == 0:
                return i
            i += 1
        return self.stop


def _merge(items: list[Expand], path: tuple[str, ...], source: Source) -> tuple[Expand, ...]:
    """Items naming the same navigation property merged into one, in the order first named."""
    merged: dict[str, Expand] = {}
    for item in items:
        name = item.path[0]
        if name in merged:
            options = _merge_options(merged[name].options, item.options, (*path, name), source)
            merged[name] = Expand((name,), options)
        else:
            merged[name] = item
    return tuple(merged.values())


def _merge_options(first: QueryOptions, second: QueryOptions, path: tuple[str, ...], source: Source) -> QueryOptions:
    changes: dict[str, Any] = {}
    for spec in fields(QueryOptions):
        if spec.name == "expand":
            continue
        mine, theirs = getattr(first, spec.name), getattr(second, spec.name)
        if theirs == spec.default or theirs == mine:
            continue
        if mine != spec.default:
            raise source.error(f"{'/'.join(path)} is expanded twice with different {_OPTION_OF[spec.name]}")
        changes[spec.name] = theirs
    changes["expand"] = _merge([*first.expand, *second.expand], path, source)
    return replace(first, **changes)
