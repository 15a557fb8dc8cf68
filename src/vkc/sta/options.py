"""SensorThings API 1.1 query options (OGC 18-088 §9.3), parsed into a syntax tree.

``$filter`` and ``$orderby`` follow the OData 4.0 expression grammar that
§9.3.3.5 adopts: comparison (``eq ne gt ge lt le``), logical (``and or not``)
and arithmetic (``add sub mul div mod``) operators, parentheses, the string,
date, math and geospatial functions of Table 23, and literals — strings
(``'O''Brien'``), numbers, ``true``/``false``/``null``, ISO 8601 times and
dates, and ``geography'POINT(105.8 21.0)'`` (or ``geometry'…'``) in WKT.
``$expand`` takes nested options in parentheses separated by ``;`` and the
path form ``Datastreams/Observations``. Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import shapely

from vkc.errors import InputError


@dataclass(frozen=True)
class Path:
    segments: tuple[str, ...]


@dataclass(frozen=True)
class Geometry:
    wkt: str
    shape: Any


@dataclass(frozen=True)
class Arith:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Negate:
    operand: Any


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class And:
    left: Any
    right: Any


@dataclass(frozen=True)
class Or:
    left: Any
    right: Any


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class OrderItem:
    expr: Any
    descending: bool = False


@dataclass(frozen=True)
class QueryOptions:
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
    path: tuple[str, ...]
    options: QueryOptions = QueryOptions()


#: function name → allowed numbers of arguments
FUNCTIONS: dict[str, tuple[int, ...]] = {
    **{f: (2,) for f in ("substringof", "endswith", "startswith", "indexof", "concat")},
    "substring": (2, 3),
    **{f: (1,) for f in ("length", "tolower", "toupper", "trim")},
    **{f: (1,) for f in ("year", "month", "day", "hour", "minute", "second", "fractionalseconds", "date", "time", "totaloffsetminutes")},
    **{f: (0,) for f in ("now",)},
    **{f: (1,) for f in ("mindatetime", "maxdatetime", "round", "floor", "ceiling", "geo.length")},
    **{f: (2,) for f in ("geo.distance", "geo.intersects")},
    **{f"st_{f}": (2,) for f in ("equals", "disjoint", "touches", "within", "overlaps", "crosses", "intersects", "contains")},
    "st_relate": (3,),
}
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
ADDITIVE = ("add", "sub")
MULTIPLICATIVE = ("mul", "div", "mod")
OPTIONS = ("$filter", "$orderby", "$select", "$expand", "$top", "$skip", "$count", "$resultFormat")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<geo>(?:geography|geometry)'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT:]))
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<name>@iot\.id|[A-Za-z_][\w.]*(?:/(?:[A-Za-z_@][\w.]*))*)
  | (?P<punct>[(),-])
    """,
    re.VERBOSE,
)


@dataclass
class _Token:
    kind: str
    text: str
    pos: int


class _ExpressionParser:
    def __init__(self, text: str, option: str) -> None:
        self.text = text
        self.option = option
        self.tokens = self._tokenize(text)
        self.i = 0

    def error(self, message: str, pos: int | None = None) -> InputError:
        where = f" at position {pos}" if pos is not None else ""
        return InputError(f"{self.option}: {message}{where} in {self.text!r}", field=self.option)

    def _tokenize(self, text: str) -> list[_Token]:
        tokens, pos = [], 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise self.error(f"unexpected character {text[pos]!r}", pos)
            if m.lastgroup != "ws":
                tokens.append(_Token(m.lastgroup or "", m.group(), pos))
            pos = m.end()
        tokens.append(_Token("end", "", len(text)))
        return tokens

    # -- helpers -------------------------------------------------------------
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def keyword(self, *words: str) -> str | None:
        t = self.tok
        if t.kind == "name" and t.text.lower() in words:
            self.i += 1
            return t.text.lower()
        return None

    def expect(self, text: str) -> None:
        if self.tok.text != text:
            found = "the end" if self.tok.kind == "end" else repr(self.tok.text)
            raise self.error(f"expected {text!r}, found {found}", self.tok.pos)
        self.i += 1

    def done(self) -> None:
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}", self.tok.pos)

    # -- grammar -------------------------------------------------------------
    def expression(self) -> Any:
        left = self.conjunction()
        while self.keyword("or"):
            left = Or(left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.keyword("and"):
            left = And(left, self.negation())
        return left

    def negation(self) -> Any:
        if self.keyword("not"):
            return Not(self.negation())
        return self.comparison()

    def comparison(self) -> Any:
        left = self.additive()
        op = self.keyword(*COMPARISONS)
        if op:
            return Compare(op, left, self.additive())
        return left

    def additive(self) -> Any:
        left = self.multiplicative()
        while op := self.keyword(*ADDITIVE):
            left = Arith(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Any:
        left = self.unary()
        while op := self.keyword(*MULTIPLICATIVE):
            left = Arith(op, left, self.unary())
        return left

    def unary(self) -> Any:
        if self.tok.text == "-":
            self.i += 1
            operand = self.unary()
            if isinstance(operand, int | float) and not isinstance(operand, bool):
                return -operand
            return Negate(operand)
        return self.primary()

    def primary(self) -> Any:
        t = self.tok
        if t.text == "(":
            self.i += 1
            inner = self.expression()
            self.expect(")")
            return inner
        if t.kind == "end":
            raise self.error("the expression ends too early", t.pos)
        self.i += 1
        if t.kind == "string":
            return t.text[1:-1].replace("''", "'")
        if t.kind == "number":
            return float(t.text) if any(c in t.text for c in ".eE") else int(t.text)
        if t.kind == "datetime":
            return datetime.fromisoformat(t.text.replace("Z", "+00:00")).astimezone(UTC)
        if t.kind == "date":
            try:
                return date.fromisoformat(t.text)
            except ValueError:
                raise self.error(f"{t.text!r} is not a date", t.pos) from None
        if t.kind == "geo":
            return self._geometry(t)
        if t.kind == "name":
            lower = t.text.lower()
            if lower in ("true", "false"):
                return lower == "true"
            if lower == "null":
                return None
            if self.tok.text == "(" and "/" not in t.text:
                return self._call(t)
            segments = tuple("id" if s == "@iot.id" else s for s in t.text.split("/"))
            return Path(segments)
        raise self.error(f"unexpected {t.text!r}", t.pos)

    def _call(self, t: _Token) -> Call:
        name = t.text.lower()
        if name not in FUNCTIONS:
            raise self.error(f"unknown function {t.text!r}", t.pos)
        self.expect("(")
        args: list[Any] = []
        if self.tok.text != ")":
            args.append(self.expression())
            while self.tok.text == ",":
                self.i += 1
                args.append(self.expression())
        self.expect(")")
        if len(args) not in FUNCTIONS[name]:
            wanted = " or ".join(str(n) for n in FUNCTIONS[name])
            raise self.error(f"{name}() takes {wanted} argument{'s' if wanted != '1' else ''}, got {len(args)}", t.pos)
        return Call(name, tuple(args))

    def _geometry(self, t: _Token) -> Geometry:
        wkt = t.text[t.text.index("'") + 1 : -1].replace("''", "'")
        body = re.sub(r"^\s*SRID=\d+;", "", wkt, flags=re.IGNORECASE)
        try:
            shape = shapely.from_wkt(body)
        except Exception as exc:  # shapely raises GEOSException
            raise self.error(f"not valid WKT {wkt!r}: {str(exc).split(':')[-1].strip()}", t.pos) from None
        return Geometry(body, shape)

    def orderby(self) -> tuple[OrderItem, ...]:
        items = []
        while True:
            expr = self.additive()
            direction = self.keyword("asc", "desc")
            items.append(OrderItem(expr, direction == "desc"))
            if self.tok.text != ",":
                break
            self.i += 1
        return tuple(items)


def parse_filter(text: str) -> Any:
    parser = _ExpressionParser(text, "$filter")
    if parser.tok.kind == "end":
        raise parser.error("is empty")
    tree = parser.expression()
    parser.done()
    return tree


def parse_orderby(text: str) -> tuple[OrderItem, ...]:
    parser = _ExpressionParser(text, "$orderby")
    if parser.tok.kind == "end":
        raise parser.error("is empty")
    items = parser.orderby()
    parser.done()
    return items


def parse_select(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(","))
    for n in names:
        if not re.fullmatch(r"@iot\.(id|selfLink)|[A-Za-z_]\w*(/[A-Za-z_]\w*)*", n):
            raise InputError(f"$select: {n!r} is not a property name in {text!r}", field="$select")
    return tuple("id" if n == "@iot.id" else n for n in names)


def _split(text: str, sep: str, option: str) -> list[str]:
    """Split at ``sep`` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise InputError(f"{option}: unbalanced ')' at position {i} in {text!r}", field=option)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth or quoted:
        raise InputError(f"{option}: unbalanced {'quote' if quoted else '('} in {text!r}", field=option)
    parts.append(text[start:])
    return parts


def parse_expand(text: str) -> tuple[Expand, ...]:
    items = []
    for raw in _split(text, ",", "$expand"):
        item = raw.strip()
        m = re.fullmatch(r"([A-Za-z]+(?:/[A-Za-z]+)*)\s*(?:\((.*)\))?", item, re.DOTALL)
        if m is None:
            raise InputError(f"$expand: {item!r} is not a navigation path with optional (options)", field="$expand")
        options = QueryOptions()
        if m.group(2) is not None and m.group(2).strip():
            pairs = {}
            for part in _split(m.group(2), ";", "$expand"):
                key, eq, value = part.strip().partition("=")
                if not eq:
                    raise InputError(f"$expand: {part.strip()!r} in {item!r} is not $option=value", field="$expand")
                pairs[key.strip()] = value.strip()
            options = parse_query_options(pairs, nested=True)
        path = tuple(m.group(1).split("/"))
        expand = Expand(path[-1:], options)
        for segment in reversed(path[:-1]):
            expand = Expand((segment,), QueryOptions(expand=(expand,)))
        items.append(expand)
    return tuple(items)


def _non_negative(option: str, value: str) -> int:
    if not re.fullmatch(r"\d+", value.strip()):
        raise InputError(f"{option}: must be a non-negative integer, got {value!r}", field=option)
    return int(value)


def parse_query_options(params: Mapping[str, str], *, nested: bool = False) -> QueryOptions:
    """The ``$`` options of a request (other keys are ignored); an unknown ``$option`` is an error."""
    unknown = [k for k in params if k.startswith("$") and k not in OPTIONS]
    if unknown:
        raise InputError(f"{unknown[0]}: unknown query option; the options are {', '.join(OPTIONS)}", field=unknown[0])
    count = params.get("$count")
    if count is not None and count.lower() not in ("true", "false"):
        raise InputError(f"$count: must be true or false, got {count!r}", field="$count")
    result_format = params.get("$resultFormat")
    if result_format is not None and result_format != "dataArray":
        raise InputError(f"$resultFormat: only dataArray is supported, got {result_format!r}", field="$resultFormat")
    if nested and result_format:
        raise InputError("$resultFormat: not allowed inside $expand", field="$resultFormat")
    return QueryOptions(
        filter=parse_filter(params["$filter"]) if "$filter" in params else None,
        orderby=parse_orderby(params["$orderby"]) if "$orderby" in params else (),
        select=parse_select(params["$select"]) if "$select" in params else (),
        expand=parse_expand(params["$expand"]) if "$expand" in params else (),
        top=_non_negative("$top", params["$top"]) if "$top" in params else None,
        skip=_non_negative("$skip", params["$skip"]) if "$skip" in params else 0,
        count=None if count is None else count.lower() == "true",
        result_format=result_format,
    )
