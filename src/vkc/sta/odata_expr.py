"""The OData expression grammar of SensorThings API 1.1 ``$filter`` and ``$orderby`` (OGC 18-088 §9.3.3.4, §9.3.3.5).

OGC 18-088 §9.3.3.5 adopts the OData 4.0 expression syntax (OData 4.0 Part 2,
URL Conventions, §5.1.1 and its ABNF); this module parses that subset into a
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
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import shapely
from shapely.errors import ShapelyError

from vkc.errors import InputError

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

MAX_LENGTH = 100_000
MAX_DEPTH = 100

COMPARISON_OPS = ("eq", "ne", "gt", "ge", "lt", "le")
ARITHMETIC_OPS = ("add", "sub", "mul", "div", "mod")
_ADDITIVE = ("add", "sub")
_MULTIPLICATIVE = ("mul", "div", "mod")
_KEYWORDS = frozenset(("and", "or", "not", *COMPARISON_OPS, *ARITHMETIC_OPS))

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

_FUNCTION_HINTS = {
    "contains": "substringof(p0, p1) (note the order: substringof('text', name))",
    "st_distance": "geo.distance(p0, p1)",
    "st_length": "geo.length(p0)",
    "ceil": "ceiling(p0)",
    "lower": "tolower(p0)",
    "upper": "toupper(p0)",
}


# -- the tree ----------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """A property or navigation path: ``name``, ``Datastream/Thing/name``, ``properties/owner/name``."""

    segments: tuple[str, ...]


@dataclass(frozen=True)
class Duration:
    """An OData ``duration'P1DT2H'`` literal, as a (possibly negative) number of seconds."""

    seconds: float


@dataclass(frozen=True)
class Geometry:
    """A ``geography'…'`` or ``geometry'…'`` literal: its WKT (without an SRID prefix) and the shapely geometry."""

    wkt: str
    shape: Any


@dataclass(frozen=True)
class Arith:
    """``left op right`` with op one of ``add sub mul div mod``."""

    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Negate:
    """Unary minus on something other than a number literal (number literals are negated in place)."""

    operand: Any


@dataclass(frozen=True)
class Compare:
    """``left op right`` with op one of ``eq ne gt ge lt le``."""

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
    """A built-in function call; ``name`` is lower-case (``geo.intersects``, ``st_within``, ``substring`` …)."""

    name: str
    args: tuple[Any, ...]


# -- where the text comes from, for messages ----------------------------------


@dataclass(frozen=True)
class Source:
    """A span ``text[start:end]`` of one query option value, and how errors about it are worded.

    ``field`` is the top-level option (``$filter``, ``$expand`` …) that
    errors carry; ``label`` starts their message (``$filter``, or
    ``$expand: $filter of Datastreams`` for an option nested in an expand).
    Positions in messages are 1-based offsets into the whole ``text``.
    """

    text: str
    field: str
    label: str
    start: int = 0
    end: int = -1

    @classmethod
    def of(cls, text: str, field: str) -> Source:
        return cls(text, field, field, 0, len(text))

    @property
    def stop(self) -> int:
        return len(self.text) if self.end < 0 else self.end

    @property
    def value(self) -> str:
        return self.text[self.start : self.stop]

    def error(self, message: str, pos: int | None = None, found: str | None = None, hint: str | None = None) -> InputError:
        where = "" if pos is None else f" at position {pos + 1} in {_show_text(self.text, pos)}"
        tail = "" if found is None else f"; found {found}"
        advice = "" if hint is None else f"; {hint}"
        return InputError(f"{self.label}: {message}{where}{tail}{advice}", field=self.field)


def _show_text(text: str, pos: int) -> str:
    """The text in double quotes, cut around ``pos`` if it is long."""
    if len(text) <= 120:
        return f'"{text}"'
    start = max(0, min(pos - 50, len(text) - 100))
    head = "..." if start > 0 else ""
    tail = "..." if start + 100 < len(text) else ""
    return f'"{head}{text[start : start + 100]}{tail}"'


# -- tokens --------------------------------------------------------------------

_NUMBER, _STRING, _LITERAL, _NAME, _SYMBOL, _END = "number", "string", "literal", "name", "symbol", "end"
_SYMBOLS = "(),/-"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    value: Any
    pos: int  # offset into Source.text

    def word(self) -> str | None:
        """The lower-cased name of a name token, else None."""
        return self.value.lower() if self.kind == _NAME else None

    def shown(self) -> str:
        if self.kind == _END:
            return "the end of the value"
        text = self.text if len(self.text) <= 40 else self.text[:37] + "..."
        return f"the string {text}" if self.kind == _STRING else f"'{text}'"


_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))?",
    re.ASCII,
)
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIME_RE = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?", re.ASCII)
_NUMBER_RE = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?", re.ASCII)
_DURATION_RE = re.compile(r"([+-])?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.ASCII | re.IGNORECASE)
_SRID_RE = re.compile(r"\s*SRID\s*=\s*(\d+)\s*;", re.ASCII | re.IGNORECASE)
_DE9IM_RE = re.compile(r"[012TF*]{9}", re.ASCII | re.IGNORECASE)
_TYPED_LITERALS = ("geography", "geometry", "duration")


def _is_name_start(ch: str) -> bool:
    return ch.isalpha() or ch in "_@"


def _is_name_part(ch: str) -> bool:
    return ch.isalnum() or ch in "_."


class _Tokenizer:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text

    def tokens(self) -> list[_Token]:
        text, end = self.text, self.source.stop
        tokens: list[_Token] = []
        i = self.source.start
        while i < end:
            ch = text[i]
            if ch.isspace():
                i += 1
            elif ch.isdigit() and ch.isascii():
                token = self.number_or_time(i, end)
                tokens.append(token)
                i += len(token.text)
            elif ch == "'":
                value, stop = self.quoted(i, end)
                tokens.append(_Token(_STRING, text[i:stop], value, i))
                i = stop
            elif _is_name_start(ch):
                j = i + 1
                while j < end and _is_name_part(text[j]):
                    j += 1
                name = text[i:j]
                if name.lower() in _TYPED_LITERALS and j < end and text[j] == "'":
                    body, stop = self.quoted(j, end)
                    tokens.append(_Token(_LITERAL, text[i:stop], self.typed_literal(name.lower(), body, i), i))
                    i = stop
                else:
                    tokens.append(_Token(_NAME, name, name, i))
                    i = j
            elif ch in _SYMBOLS:
                tokens.append(_Token(_SYMBOL, ch, ch, i))
                i += 1
            else:
                hint = ""
                if ch in "=<>!":
                    hint = "; OData writes comparisons as eq, ne, gt, ge, lt, le"
                elif ch in "+*%":
                    hint = "; OData writes arithmetic as add, sub, mul, div, mod"
                elif ch == '"':
                    hint = "; strings are quoted with single quotes"
                raise self.source.error(f"unexpected character {ch!r}{hint}", i)
        tokens.append(_Token(_END, "", None, end))
        return tokens

    def quoted(self, start: int, end: int) -> tuple[str, int]:
        """A '...' string from ``start`` (the opening quote); '' stands for one quote. Returns the value and the offset after it."""
        parts: list[str] = []
        i = start + 1
        while True:
            close = self.text.find("'", i, end)
            if close < 0:
                raise self.source.error("unterminated string (a closing ' is missing)", start)
            parts.append(self.text[i:close])
            if close + 1 < end and self.text[close + 1] == "'":
                parts.append("'")
                i = close + 2
                continue
            return "".join(parts), close + 1

    def number_or_time(self, start: int, end: int) -> _Token:
        text = self.text[:end]
        for pattern, convert in ((_DATETIME_RE, self.datetime), (_DATE_RE, self.date), (_TIME_RE, self.time_of_day)):
            match = pattern.match(text, start)
            if match is not None and not self.runs_on(match.end(), end):
                return _Token(_LITERAL, match.group(0), convert(match, start), start)
        match = _NUMBER_RE.match(text, start)
        assert match is not None  # the caller saw a digit
        literal = match.group(0)
        if self.runs_on(match.end(), end) or (match.end() < end and text[match.end()] == "-"):
            stop = match.end()
            while stop < end and (_is_name_part(text[stop]) or text[stop] in ":-+"):
                stop += 1
            raise self.source.error(f"malformed number or date/time {text[start:stop]!r}", start)
        if match[1] is None and match[2] is None:
            return _Token(_NUMBER, literal, int(literal), start)
        value = float(literal)
        if not math.isfinite(value):
            raise self.source.error(f"the number {literal} is out of range", start)
        return _Token(_NUMBER, literal, value, start)

    def runs_on(self, stop: int, end: int) -> bool:
        """Whether a literal ending at ``stop`` runs on into letters, digits or date/time punctuation."""
        return stop < end and (_is_name_part(self.text[stop]) or self.text[stop] in ":")

    def datetime(self, match: re.Match[str], start: int) -> datetime:
        if match[8] is None and match[9] is None:
            raise self.source.error(f"the date-time {match.group(0)} has no time zone; add Z (UTC) or an offset such as +07:00", start)
        fraction = (match[7] or "")[:6].ljust(6, "0")
        try:
            zone = UTC
            if match[9] is not None:
                offset = timedelta(hours=int(match[10]), minutes=int(match[11]))
                if offset >= timedelta(hours=24):
                    raise ValueError("the offset must be less than 24 hours")
                zone = timezone(-offset if match[9] == "-" else offset)
            moment = datetime(
                int(match[1]), int(match[2]), int(match[3]), int(match[4]), int(match[5]), int(match[6] or 0), int(fraction), tzinfo=zone
            )
            return moment.astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            raise self.source.error(f"{match.group(0)} is not a valid date-time ({exc})", start) from None

    def date(self, match: re.Match[str], start: int) -> date:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise self.source.error(f"{match.group(0)} is not a valid date ({exc})", start) from None

    def time_of_day(self, match: re.Match[str], start: int) -> time:
        fraction = (match[4] or "")[:6].ljust(6, "0")
        try:
            return time(int(match[1]), int(match[2]), int(match[3] or 0), int(fraction))
        except ValueError as exc:
            raise self.source.error(f"{match.group(0)} is not a valid time of day ({exc})", start) from None

    def typed_literal(self, prefix: str, body: str, start: int) -> Duration | Geometry:
        if prefix == "duration":
            return self.duration(body, start)
        wkt = body
        srid = _SRID_RE.match(wkt)
        if srid is not None:
            if int(srid[1]) != 4326:
                raise self.source.error(f"{prefix} literal with SRID={srid[1]}: only SRID=4326 (WGS 84) is supported", start)
            wkt = wkt[srid.end() :]
        wkt = wkt.strip()
        if not wkt:
            raise self.source.error(f"empty {prefix} literal; write e.g. {prefix}'POINT(105.85 21.03)'", start)
        try:
            shape = shapely.from_wkt(wkt)
        except (ShapelyError, ValueError, TypeError) as exc:
            raise self.source.error(f"invalid WKT in the {prefix} literal ({exc})", start) from None
        return Geometry(wkt, shape)

    def duration(self, body: str, start: int) -> Duration:
        match = _DURATION_RE.fullmatch(body.strip())
        if match is None or all(part is None for part in match.groups()[1:]) or body.strip().upper().endswith("T"):
            raise self.source.error(f"{body!r} is not a duration of days, hours, minutes and seconds such as 'P1DT2H30M'", start)
        sign, days, hours, minutes, seconds = match.groups()
        total = int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
        return Duration(-total if sign == "-" else float(total))


# -- the parser ------------------------------------------------------------------


def _describe(node: Any) -> str:
    """A short phrase naming what a node is, for messages."""
    if isinstance(node, Path):
        return f"the property {'/'.join(node.segments)!r}"
    if isinstance(node, Call):
        return f"{node.name}(...)"
    if isinstance(node, Compare | And | Or | Not):
        return "a condition"
    if isinstance(node, Arith | Negate):
        return "an arithmetic expression"
    if isinstance(node, bool):
        return "true" if node else "false"
    if node is None:
        return "null"
    if isinstance(node, int | float):
        return f"the number {node!r}"
    if isinstance(node, str):
        shown = node if len(node) <= 40 else node[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(node, datetime):
        return f"the date-time {node.isoformat()}"
    if isinstance(node, date):
        return f"the date {node.isoformat()}"
    if isinstance(node, time):
        return f"the time {node.isoformat()}"
    if isinstance(node, Duration):
        return "a duration"
    if isinstance(node, Geometry):
        return f"a geometry ({node.shape.geom_type})"
    return type(node).__name__


def is_condition(node: Any) -> bool:
    """Whether a node can be a condition: a comparison, and/or/not, true/false, a boolean function, or a (boolean) property."""
    if isinstance(node, Compare | And | Or | Not | Path | bool):
        return True
    return isinstance(node, Call) and node.name in BOOLEAN_FUNCTIONS


class _Parser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.tokens = _Tokenizer(source).tokens()
        self.i = 0
        self.depth = 0

    # -- token access ------------------------------------------------------
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def peek(self) -> _Token:
        return self.tokens[min(self.i + 1, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        if token.kind != _END:
            self.i += 1
        return token

    def at_symbol(self, symbol: str, token: _Token | None = None) -> bool:
        token = token or self.tok
        return token.kind == _SYMBOL and token.value == symbol

    def expect_symbol(self, symbol: str, what: str | None = None) -> _Token:
        if not self.at_symbol(symbol):
            raise self.expected(what or f"'{symbol}'")
        return self.advance()

    def expected(self, what: str, token: _Token | None = None) -> InputError:
        token = token or self.tok
        return self.source.error(f"expected {what}", token.pos, token.shown())

    def fail(self, message: str, token: _Token, hint: str | None = None) -> InputError:
        return self.source.error(message, token.pos, hint=hint)

    @contextmanager
    def nested(self, token: _Token) -> Iterator[None]:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.fail(f"the expression is nested more than {MAX_DEPTH} levels deep", token)
            yield
        finally:
            self.depth -= 1

    def check_condition(self, node: Any, token: _Token, role: str) -> Any:
        if not is_condition(node):
            raise self.fail(f"{role} must be a condition, not {_describe(node)}", token)
        return node

    def check_number_like(self, node: Any, token: _Token, role: str) -> Any:
        """Operands of arithmetic and unary minus: anything but conditions, strings, booleans and geometries."""
        if isinstance(node, Compare | And | Or | Not | bool | str | Geometry) or (isinstance(node, Call) and node.name in BOOLEAN_FUNCTIONS):
            raise self.fail(f"{role} must be a number, a date/time or a duration, not {_describe(node)}", token)
        return node

    # -- the grammar ---------------------------------------------------------
    def expression(self) -> Any:
        return self.disjunction()

    def disjunction(self) -> Any:
        start = self.tok
        node = self.conjunction()
        while self.tok.word() == "or":
            self.check_condition(node, start, "the left side of 'or'")
            self.advance()
            right_start = self.tok
            right = self.check_condition(self.conjunction(), right_start, "the right side of 'or'")
            node = Or(node, right)
        return node

    def conjunction(self) -> Any:
        start = self.tok
        node = self.comparison()
        while self.tok.word() == "and":
            self.check_condition(node, start, "the left side of 'and'")
            self.advance()
            right_start = self.tok
            right = self.check_condition(self.comparison(), right_start, "the right side of 'and'")
            node = And(node, right)
        return node

    def comparison(self) -> Any:
        node = self.additive()
        while self.tok.word() in COMPARISON_OPS:
            op = self.advance().word()
            node = Compare(op, node, self.additive())
        return node

    def additive(self) -> Any:
        start = self.tok
        node = self.multiplicative()
        while self.tok.word() in _ADDITIVE:
            op = self.advance().word()
            self.check_number_like(node, start, f"the left side of '{op}'")
            right_start = self.tok
            right = self.check_number_like(self.multiplicative(), right_start, f"the right side of '{op}'")
            node = Arith(op, node, right)
        return node

    def multiplicative(self) -> Any:
        start = self.tok
        node = self.unary()
        while self.tok.word() in _MULTIPLICATIVE:
            op = self.advance().word()
            self.check_number_like(node, start, f"the left side of '{op}'")
            right_start = self.tok
            right = self.check_number_like(self.unary(), right_start, f"the right side of '{op}'")
            node = Arith(op, node, right)
        return node

    def unary(self) -> Any:
        token = self.tok
        if token.word() == "not" and not self.at_symbol("/", self.peek()):
            self.advance()
            with self.nested(token):
                operand_start = self.tok
                operand = self.check_condition(self.unary(), operand_start, "the operand of 'not'")
            following = self.tok.word()
            if following in COMPARISON_OPS or following in ARITHMETIC_OPS:
                raise self.fail(
                    f"'not' binds tighter than '{following}', so it would negate only {_describe(operand)}",
                    token,
                    f"write not (... {following} ...) to negate the whole expression, or (not ...) {following} ... if that is meant",
                )
            return Not(operand)
        if self.at_symbol("-"):
            self.advance()
            with self.nested(token):
                operand_start = self.tok
                operand = self.unary()
            if isinstance(operand, int | float) and not isinstance(operand, bool):
                return -operand
            if isinstance(operand, Duration):
                return Duration(-operand.seconds)
            return Negate(self.check_number_like(operand, operand_start, "the operand of unary '-'"))
        return self.primary()

    def primary(self) -> Any:
        token = self.tok
        if token.kind in (_NUMBER, _STRING, _LITERAL):
            return self.advance().value
        if self.at_symbol("("):
            self.advance()
            with self.nested(token):
                node = self.expression()
                self.expect_symbol(")", "')' or an operator")
            return node
        if token.kind == _NAME:
            return self.name_operand(token)
        raise self.expected("a value (a property, a literal or a function call)")

    def name_operand(self, token: _Token) -> Any:
        word = token.word()
        following = self.peek()
        if self.at_symbol("(", following):
            return self.call(token)
        if word in ("true", "false"):
            self.advance()
            return word == "true"
        if word == "null":
            self.advance()
            return None
        if word in _KEYWORDS:
            raise self.expected("a value (a property, a literal or a function call)")
        previous = self.advance()
        segments = [self.segment(previous)]
        while self.at_symbol("/") and self.tok.pos == previous.pos + len(previous.text):
            slash = self.advance()
            if self.tok.kind != _NAME or self.tok.pos != slash.pos + 1:
                raise self.expected("a property name right after '/'")
            previous = self.advance()
            segments.append(self.segment(previous))
        if self.at_symbol("("):
            raise self.fail(f"'{'/'.join(segments)}(' is not a function; lambda operators and bound functions are not supported", token)
        return Path(tuple(segments))

    def segment(self, token: _Token) -> str:
        name = token.value
        if name == "@iot.id":
            return "id"
        if name.startswith("@"):
            raise self.fail(f"{name!r} cannot be used in an expression; of the annotations only @iot.id can", token)
        return name

    def call(self, name_token: _Token) -> Call:
        name = name_token.value.lower()
        arities = FUNCTIONS.get(name)
        if arities is None:
            hint = _FUNCTION_HINTS.get(name)
            raise self.fail(f"unknown function {name_token.value!r}", name_token, f"did you mean {hint}?" if hint else None)
        self.advance()
        self.expect_symbol("(")
        args: list[Any] = []
        with self.nested(name_token):
            if not self.at_symbol(")"):
                args.append(self.expression())
                while self.at_symbol(","):
                    self.advance()
                    args.append(self.expression())
            self.expect_symbol(")", f"',' or ')' in the arguments of {name}")
        if len(args) not in arities:
            takes = " or ".join(str(n) for n in arities)
            plural = "" if arities == (1,) else "s"
            raise self.fail(f"{name} takes {takes} argument{plural}, got {len(args)}", name_token)
        if name == "st_relate" and isinstance(args[2], str) and not _DE9IM_RE.fullmatch(args[2]):
            raise self.fail(f"st_relate: {args[2]!r} is not an intersection pattern (9 characters of 0, 1, 2, T, F or *)", name_token)
        return Call(name, tuple(args))


# -- entry points ----------------------------------------------------------------


def _run(source: Source, body: Any) -> Any:
    try:
        return body()
    except RecursionError:
        raise source.error(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)") from None


def parse_expression(source: Source) -> Any:
    """A ``$filter`` value: one expression, which must be a condition."""

    def body() -> Any:
        parser = _Parser(source)
        start = parser.tok
        if start.kind == _END:
            raise source.error("the expression is empty")
        node = parser.expression()
        if parser.tok.kind != _END:
            raise parser.expected("an operator or the end of the expression")
        return parser.check_condition(node, start, "the filter")

    return _run(source, body)


def parse_orderby_items(source: Source) -> list[tuple[Any, bool]]:
    """An ``$orderby`` value: ``expression [asc|desc]`` items separated by commas, as (expression, descending) pairs."""

    def body() -> list[tuple[Any, bool]]:
        parser = _Parser(source)
        if parser.tok.kind == _END:
            raise source.error("the value is empty")
        items: list[tuple[Any, bool]] = []
        while True:
            if parser.at_symbol(",") or parser.tok.kind == _END:
                raise parser.expected("an expression to order by")
            expr = parser.expression()
            descending = False
            if parser.tok.word() in ("asc", "desc"):
                descending = parser.advance().word() == "desc"
            items.append((expr, descending))
            if parser.tok.kind == _END:
                return items
            parser.expect_symbol(",", "'asc', 'desc', ',' or the end of $orderby")

    return _run(source, body)
