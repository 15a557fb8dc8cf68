"""OGC CQL2 (OGC 21-065r2) filters, CQL2 Text and CQL2 JSON, parsed into :mod:`vkc.store.filters` trees.

:func:`parse_text` is a hand-written recursive-descent parser over a small
tokenizer; :func:`parse_json` converts already-decoded CQL2 JSON; :func:`parse`
picks one by the ``filter-lang`` value. Every malformed filter raises
:class:`~vkc.errors.InputError` (``field="filter"``) whose message says what is
wrong and where: a 1-based character position for text, a JSON path such as
``$.args[1]`` for JSON.

Supported: the boolean operators, comparisons, LIKE, BETWEEN, IN, IS NULL,
CASEI / ACCENTI, the spatial and temporal functions, and the literals of both
encodings (strings, numbers, booleans, DATE, TIMESTAMP, INTERVAL, WKT or
GeoJSON geometries, BBOX). Not supported, refused with a message naming them:
arithmetic, array functions and literals, and any other function.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import orjson
import shapely
from shapely.errors import ShapelyError

from vkc.errors import InputError
from vkc.geo.geometry_types import OGC_NAMES
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
    Func,
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

__all__ = ["LANGS", "MAX_DEPTH", "MAX_LENGTH", "parse", "parse_json", "parse_text"]

LANGS = ("cql2-text", "cql2-json")
MAX_LENGTH = 100_000
MAX_DEPTH = 100

_PREDICATES = (Compare, Like, Between, In, IsNull, And, Or, Not, BoolValue, Spatial, Temporal)
_ARITHMETIC = ("+", "-", "*", "/", "^", "%", "div")
_RESERVED = ("AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL")
_GEOMETRY_TYPES = OGC_NAMES
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIMESTAMP_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?", re.ASCII)


def parse(value: str, lang: str) -> Expr:
    """Parse a filter given as the ``filter`` and ``filter-lang`` query parameters."""
    key = lang.strip().lower() if isinstance(lang, str) else None
    if key == "cql2-text":
        return parse_text(value)
    if key == "cql2-json":
        return parse_json(_decode_json(value))
    raise InputError(f"filter-lang: unsupported value {lang!r}; valid values: {', '.join(LANGS)}", field="filter-lang")


def parse_text(text: str) -> Expr:
    """Parse a CQL2 Text filter."""
    if not isinstance(text, str):
        raise _error(f"a CQL2 Text filter must be a string, not {type(text).__name__}")
    _check_length(text)
    if not text.strip():
        raise _error("the filter is empty")
    try:
        return _TextParser(text).parse()
    except RecursionError:
        raise _error(f"the filter is nested too deeply (more than {MAX_DEPTH} levels)") from None


def parse_json(obj: Any) -> Expr:
    """Convert a decoded CQL2 JSON filter (a dict, or ``true`` / ``false``)."""
    try:
        return _JsonConverter().predicate(obj, "$")
    except RecursionError:
        raise _error(f"the filter is nested too deeply (more than {MAX_DEPTH} levels)") from None


# -- shared helpers ----------------------------------------------------------


def _error(message: str) -> InputError:
    return InputError(f"filter: {message}", field="filter")


def _check_length(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise _error(f"the filter is {len(text)} characters long; the limit is {MAX_LENGTH}")


def _decode_json(value: str) -> Any:
    if not isinstance(value, str):
        raise _error(f"a CQL2 JSON filter must be a JSON string, not {type(value).__name__}")
    _check_length(value)
    if not value.strip():
        raise _error("the filter is empty")
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise _error(f"not valid JSON ({exc})") from None


def _is_predicate(node: Any) -> bool:
    return isinstance(node, _PREDICATES)


def _join(cls: type[And] | type[Or], items: list[Any]) -> And | Or:
    """``And`` / ``Or`` of the items, with nested ones of the same kind flattened."""
    flat: list[Any] = []
    for item in items:
        flat.extend(item.items if isinstance(item, cls) else (item,))
    return cls(tuple(flat))


def _describe(value: Any) -> str:
    """A short phrase naming what a node is, for messages."""
    if _is_predicate(value):
        return "a condition"
    if isinstance(value, Prop):
        return f"the property {value.name!r}"
    if isinstance(value, Func):
        return f"{value.name.upper()}(...)"
    if isinstance(value, Interval):
        return "an interval"
    if isinstance(value, shapely.Geometry):
        return f"a geometry ({value.geom_type})"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, datetime):
        return f"the timestamp {value.isoformat()}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return type(value).__name__


def _as_predicate(node: Any, where: str) -> Expr:
    if _is_predicate(node):
        return node
    if isinstance(node, bool):
        return BoolValue(node)
    hint = f"; compare it, e.g. {node.name} = TRUE" if isinstance(node, Prop) else ""
    raise _error(f"expected a condition {where}, found {_describe(node)}{hint}")


def _check_scalar(value: Any, role: str, where: str) -> None:
    """Operands of comparisons, BETWEEN and IN: properties, CASEI/ACCENTI, strings, numbers, booleans, dates, timestamps."""
    if isinstance(value, (Prop, Func, str, int, float, date)):
        return
    if isinstance(value, shapely.Geometry):
        raise _error(f"{role} is a geometry {where}; geometries can only be used in spatial functions (S_INTERSECTS, ...)")
    if isinstance(value, Interval):
        raise _error(f"{role} is an interval {where}; intervals can only be used in temporal functions (T_INTERSECTS, ...)")
    raise _error(f"{role} must be a value (a property, string, number, boolean, date or timestamp) {where}, not {_describe(value)}")


def _check_text(value: Any, role: str, where: str) -> None:
    """Arguments of CASEI / ACCENTI and the left side of LIKE: a string, a property or CASEI/ACCENTI."""
    if not isinstance(value, (Prop, Func, str)):
        raise _error(f"{role} must be a string, a property or CASEI/ACCENTI(...) {where}, not {_describe(value)}")


def _check_pattern(value: Any, where: str) -> None:
    """A LIKE pattern: a string, possibly inside CASEI / ACCENTI."""
    inner = value
    while isinstance(inner, Func):
        inner = inner.arg
    if not isinstance(inner, str):
        raise _error(f"the pattern of LIKE must be a quoted string (optionally inside CASEI/ACCENTI) {where}, not {_describe(inner)}")


def _check_spatial_arg(value: Any, op: str, index: int, where: str) -> None:
    if not isinstance(value, (Prop, shapely.Geometry)):
        raise _error(f"{op.upper()} argument {index} must be a geometry, a BBOX or a property {where}, not {_describe(value)}")


def _check_temporal_arg(value: Any, op: str, index: int, where: str) -> None:
    if isinstance(value, (Prop, date, Interval)):
        return
    hint = "; write DATE('...') or TIMESTAMP('...')" if isinstance(value, str) else ""
    raise _error(f"{op.upper()} argument {index} must be a DATE, TIMESTAMP, INTERVAL or a property {where}, not {_describe(value)}{hint}")


def _parse_date(text: str, where: str) -> date:
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise _error(f"{text!r} is not a date of the form YYYY-MM-DD {where}")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise _error(f"{text!r} is not a valid date ({exc}) {where}") from None


def _parse_timestamp(text: str, where: str) -> datetime:
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        raise _error(f"{text!r} is not a timestamp of the form YYYY-MM-DDTHH:MM:SS[.fff]Z {where}")
    if match[8] is None and match[9] is None:
        raise _error(f"the timestamp {text!r} has no time zone {where}; CQL2 requires 'Z' (UTC) or an offset such as +07:00")
    fraction = (match[7] or "")[:6].ljust(6, "0")
    try:
        zone = UTC
        if match[9] is not None:
            offset = timedelta(hours=int(match[10]), minutes=int(match[11]))
            zone = timezone(-offset if match[9] == "-" else offset)
        moment = datetime(
            int(match[1]), int(match[2]), int(match[3]), int(match[4]), int(match[5]), int(match[6]), int(fraction), tzinfo=zone
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _error(f"{text!r} is not a valid timestamp ({exc}) {where}") from None


def _parse_instant_string(text: str, where: str) -> date | datetime | None:
    """An interval bound given as a string: a date, a timestamp, or '..' (open)."""
    if text == "..":
        return None
    if _DATE_RE.fullmatch(text):
        return _parse_date(text, where)
    if "T" in text.upper():
        return _parse_timestamp(text, where)
    raise _error(f"an interval bound must be a date, a timestamp or '..' {where}, not {text!r}")


def _instant_range(value: date | datetime) -> tuple[datetime, datetime]:
    if isinstance(value, datetime):
        return value, value
    return datetime.combine(value, time.min, UTC), datetime.combine(value, time.max, UTC)


def _interval(start: Any, end: Any, where: str) -> Interval:
    for role, bound in (("start", start), ("end", end)):
        if not (bound is None or isinstance(bound, (date, Prop))):
            raise _error(f"the {role} of an interval must be a date, a timestamp, '..' or a property {where}, not {_describe(bound)}")
    if isinstance(start, date) and isinstance(end, date) and _instant_range(start)[0] > _instant_range(end)[1]:
        raise _error(f"the interval starts ({start.isoformat()}) after it ends ({end.isoformat()}) {where}")
    return Interval(start, end)


def _bbox(values: list[float], where: str) -> shapely.Polygon:
    if len(values) == 4:
        minx, miny, maxx, maxy = values
    elif len(values) == 6:
        minx, miny, minz, maxx, maxy, maxz = values
        if minz > maxz:
            raise _error(f"BBOX has its minimum elevation {minz} above its maximum {maxz} {where}")
    else:
        raise _error(f"BBOX takes 4 numbers (minx, miny, maxx, maxy) or 6 (with elevations), got {len(values)} {where}")
    if miny > maxy:
        raise _error(f"BBOX has its south edge {miny} above its north edge {maxy} {where}")
    if minx > maxx:
        raise _error(f"BBOX crosses the antimeridian (west {minx} > east {maxx}) {where}; antimeridian-crossing boxes are not supported")
    return shapely.box(minx, miny, maxx, maxy)


def _build_geometry(kind: str, coords: Any, where: str, *, want_z: bool = False) -> shapely.Geometry:
    """A shapely geometry of GeoJSON type ``kind`` from nested lists of positions (tuples of 2 or 3 floats)."""
    positions = list(_positions_of(kind, coords))
    dims = {len(p) for p in positions}
    if len(dims) > 1:
        raise _error(f"the {kind} mixes 2D and 3D coordinates {where}")
    if want_z and dims != {3}:
        raise _error(f"the {kind} is tagged Z but its coordinates are not all 3D {where}")
    if kind == "LineString":
        _check_line(coords, kind, where)
    elif kind == "Polygon":
        _check_polygon(coords, kind, where)
    elif kind == "MultiLineString":
        _check_parts(coords, kind, where)
        for line in coords:
            _check_line(line, kind, where)
    elif kind == "MultiPolygon":
        _check_parts(coords, kind, where)
        for polygon in coords:
            _check_polygon(polygon, kind, where)
    elif kind == "MultiPoint":
        _check_parts(coords, kind, where)
    try:
        return _construct(kind, coords)
    except (ShapelyError, ValueError, TypeError) as exc:
        raise _error(f"invalid {kind} {where}: {exc}") from None


def _positions_of(kind: str, coords: Any) -> Iterator[tuple[float, ...]]:
    depth = {"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}[kind]

    def walk(node: Any, level: int) -> Iterator[tuple[float, ...]]:
        if level == 0:
            yield node
        else:
            for child in node:
                yield from walk(child, level - 1)

    return walk(coords, depth)


def _check_parts(parts: list[Any], kind: str, where: str) -> None:
    if not parts:
        raise _error(f"the {kind} is empty {where}; empty geometries are not supported")


def _check_line(line: list[Any], kind: str, where: str) -> None:
    if len(line) < 2:
        raise _error(f"a line in the {kind} has {len(line)} position(s), at least 2 are needed {where}")


def _check_polygon(rings: list[Any], kind: str, where: str) -> None:
    if not rings:
        raise _error(f"a polygon in the {kind} has no rings {where}")
    for ring in rings:
        if len(ring) < 4:
            raise _error(f"a ring in the {kind} has {len(ring)} position(s), at least 4 are needed {where}")
        if ring[0] != ring[-1]:
            raise _error(f"a ring in the {kind} is not closed (first position {ring[0]} differs from last {ring[-1]}) {where}")


def _construct(kind: str, coords: Any) -> shapely.Geometry:
    if kind == "Point":
        return shapely.Point(coords)
    if kind == "LineString":
        return shapely.LineString(coords)
    if kind == "Polygon":
        return shapely.Polygon(coords[0], coords[1:])
    if kind == "MultiPoint":
        return shapely.MultiPoint(coords)
    if kind == "MultiLineString":
        return shapely.MultiLineString(coords)
    return shapely.MultiPolygon([shapely.Polygon(rings[0], rings[1:]) for rings in coords])


# -- CQL2 Text ---------------------------------------------------------------

_NUM, _STR, _IDENT, _QIDENT, _SYM, _EOF = "number", "string", "name", "quoted name", "symbol", "end"
_DIGITS = "0123456789"
_SYMBOLS = ("<>", "<=", ">=", "!=", "(", ")", ",", "[", "]", "=", "<", ">", "+", "-", "*", "/", "^", "%")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    value: Any
    pos: int  # 0-based offset into the filter

    def shown(self) -> str:
        if self.kind == _EOF:
            return "the end of the filter"
        text = self.text if len(self.text) <= 40 else self.text[:37] + "..."
        return f"the string {text}" if self.kind == _STR else f"'{text}'"

    def word(self) -> str | None:
        """The upper-cased name of an unquoted identifier, else None."""
        return self.value.upper() if self.kind == _IDENT else None


def _is_name_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_"


def _is_name_part(ch: str) -> bool:
    return ch.isalnum() or ch in "_.:" or unicodedata.category(ch).startswith("M")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            token = _scan_number(text, i)
            tokens.append(token)
            i += len(token.text)
        elif ch in "'\"":
            token = _scan_quoted(text, i)
            tokens.append(token)
            i += len(token.text)
        elif _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_part(text[j]):
                j += 1
            tokens.append(_Token(_IDENT, text[i:j], text[i:j], i))
            i = j
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
            if symbol is None:
                raise _error(f"unexpected character {ch!r} at position {i + 1}")
            tokens.append(_Token(_SYM, symbol, symbol, i))
            i += len(symbol)
    tokens.append(_Token(_EOF, "", None, n))
    return tokens


_NUMBER_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _scan_number(text: str, start: int) -> _Token:
    match = _NUMBER_RE.match(text, start)
    assert match is not None  # the caller saw a digit, or a period and a digit
    literal = match.group(0)
    try:
        value: int | float = float(literal) if ("." in literal or match[2]) else int(literal)
    except ValueError:
        raise _error(f"the number at position {start + 1} has too many digits") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise _error(f"the number {literal} at position {start + 1} is out of range")
    return _Token(_NUM, literal, value, start)


def _scan_quoted(text: str, start: int) -> _Token:
    """A 'string' or a "quoted name"; the quote character doubled stands for itself."""
    quote = text[start]
    parts: list[str] = []
    i = start + 1
    while True:
        end = text.find(quote, i)
        if end < 0:
            what = "string" if quote == "'" else "quoted property name"
            raise _error(f"unterminated {what} starting at position {start + 1}; a closing {quote} is missing")
        parts.append(text[i:end])
        if text.startswith(quote * 2, end):
            parts.append(quote)
            i = end + 2
            continue
        value = "".join(parts)
        if quote == '"' and not value:
            raise _error(f'empty property name "" at position {start + 1}')
        return _Token(_STR if quote == "'" else _QIDENT, text[start : end + 1], value, start)


class _TextParser:
    """Recursive descent over the tokens; precedence NOT > AND > OR."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    # -- token access ------------------------------------------------------
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        if token.kind != _EOF:
            self.i += 1
        return token

    def at_sym(self, symbol: str, token: _Token | None = None) -> bool:
        token = token or self.tok
        return token.kind == _SYM and token.value == symbol

    def at_word(self, word: str, token: _Token | None = None) -> bool:
        return (token or self.tok).word() == word

    def expect_sym(self, symbol: str) -> _Token:
        if not self.at_sym(symbol):
            raise self.expected(f"'{symbol}'")
        return self.advance()

    def expect_word(self, word: str) -> _Token:
        if not self.at_word(word):
            raise self.expected(word)
        return self.advance()

    def expected(self, what: str, token: _Token | None = None) -> InputError:
        token = token or self.tok
        return _error(f"expected {what} at position {token.pos + 1}, found {token.shown()}")

    @staticmethod
    def at(token: _Token) -> str:
        return f"at position {token.pos + 1}"

    @contextmanager
    def nested(self, token: _Token) -> Iterator[None]:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _error(f"the filter is nested more than {MAX_DEPTH} levels deep at position {token.pos + 1}")
            yield
        finally:
            self.depth -= 1

    # -- boolean structure -------------------------------------------------
    def parse(self) -> Expr:
        start = self.tok
        node = self.disjunction()
        if self.tok.kind != _EOF:
            raise self.expected("AND, OR or the end of the filter")
        return _as_predicate(node, self.at(start))

    def disjunction(self) -> Any:
        return self.chain("OR", self.conjunction, Or)

    def conjunction(self) -> Any:
        return self.chain("AND", self.negation, And)

    def chain(self, word: str, operand: Any, cls: type[And] | type[Or]) -> Any:
        start = self.tok
        first = operand()
        if not self.at_word(word):
            return first
        items = [_as_predicate(first, self.at(start))]
        while self.at_word(word):
            self.advance()
            start = self.tok
            items.append(_as_predicate(operand(), self.at(start)))
        return _join(cls, items)

    def negation(self) -> Any:
        if not self.at_word("NOT"):
            return self.primary()
        token = self.advance()
        with self.nested(token):
            start = self.tok
            return Not(_as_predicate(self.negation(), self.at(start)))

    def primary(self) -> Any:
        if self.at_sym("("):
            token = self.advance()
            with self.nested(token):
                node = self.disjunction()
                self.expect_sym(")")
        else:
            node = self.operand()
        return self.predicate_tail(node)

    # -- predicates after a first operand ----------------------------------
    def predicate_tail(self, left: Any) -> Any:
        token = self.tok
        if token.kind == _SYM and token.value in COMPARISON_OPS:
            return self.comparison(left)
        if self.at_sym("!="):
            raise _error(f"'!=' is not a CQL2 operator ({self.at(token)}); write '<>' for 'not equal'")
        self.refuse_arithmetic()
        negated = False
        if self.at_word("NOT") and self.peek().word() in ("LIKE", "BETWEEN", "IN"):
            self.advance()
            negated = True
        word = self.tok.word()
        if word == "LIKE":
            node: Any = self.like(left)
        elif word == "BETWEEN":
            node = self.between(left)
        elif word == "IN":
            node = self.in_list(left)
        elif word == "IS":
            return self.is_null(left)
        elif self.at_word("NOT"):
            raise self.expected("LIKE, BETWEEN or IN after NOT", self.peek())
        else:
            return left
        return Not(node) if negated else node

    def comparison(self, left: Any) -> Compare:
        op_token = self.advance()
        where = self.at(op_token)
        _check_scalar(left, f"the left side of '{op_token.value}'", where)
        start = self.tok
        right = self.operand()
        _check_scalar(right, f"the right side of '{op_token.value}'", self.at(start))
        return Compare(op_token.value, left, right)

    def like(self, left: Any) -> Like:
        token = self.advance()
        _check_text(left, "the left side of LIKE", self.at(token))
        start = self.tok
        pattern = self.pattern()
        _check_pattern(pattern, self.at(start))
        return Like(left, pattern)

    def pattern(self) -> Any:
        token = self.tok
        if token.kind == _STR:
            return self.advance().value
        if token.word() in ("CASEI", "ACCENTI") and self.at_sym("(", self.peek()):
            self.advance()
            self.advance()
            with self.nested(token):
                inner = self.pattern()
                self.expect_sym(")")
            return Func(token.word().lower(), inner)
        raise self.expected("a quoted pattern after LIKE (optionally inside CASEI/ACCENTI)")

    def between(self, left: Any) -> Between:
        token = self.advance()
        _check_scalar(left, "the value before BETWEEN", self.at(token))
        low = self.scalar("the lower bound of BETWEEN")
        self.expect_word("AND")
        high = self.scalar("the upper bound of BETWEEN")
        return Between(left, low, high)

    def in_list(self, left: Any) -> In:
        token = self.advance()
        _check_scalar(left, "the value before IN", self.at(token))
        self.expect_sym("(")
        if self.at_sym(")"):
            raise self.expected("at least one value in the IN list")
        items = [self.scalar("an item of the IN list")]
        while self.at_sym(","):
            self.advance()
            items.append(self.scalar("an item of the IN list"))
        self.expect_sym(")")
        return In(left, tuple(items))

    def is_null(self, left: Any) -> Any:
        token = self.advance()
        if _is_predicate(left):
            raise _error(f"IS NULL applies to a value, not a condition ({self.at(token)})")
        negated = self.at_word("NOT")
        if negated:
            self.advance()
        self.expect_word("NULL")
        return Not(IsNull(left)) if negated else IsNull(left)

    def scalar(self, role: str) -> Any:
        start = self.tok
        value = self.operand()
        _check_scalar(value, role, self.at(start))
        return value

    # -- operands ----------------------------------------------------------
    def operand(self) -> Any:
        value = self.term()
        self.refuse_arithmetic()
        return value

    def refuse_arithmetic(self) -> None:
        token = self.tok
        if (token.kind == _SYM and token.value in _ARITHMETIC) or token.word() == "DIV":
            raise _error(f"arithmetic ('{token.text}' {self.at(token)}) is not supported")

    def term(self) -> Any:
        token = self.tok
        if token.kind in (_NUM, _STR):
            return self.advance().value
        if token.kind == _QIDENT:
            return Prop(self.advance().value)
        if token.kind == _SYM:
            return self.symbol_operand(token)
        if token.kind == _IDENT:
            return self.name_operand(token)
        raise self.expected("a value")

    def symbol_operand(self, token: _Token) -> Any:
        if token.value in ("-", "+"):
            return self.signed_number("a value")
        if token.value == "(":
            self.advance()
            with self.nested(token):
                value = self.operand()
                self.expect_sym(")")
            return value
        if token.value == "[":
            raise _error(f"array literals ({self.at(token)}) are not supported")
        raise self.expected("a value")

    def name_operand(self, token: _Token) -> Any:
        word = token.word()
        following = self.peek()
        if word in ("TRUE", "FALSE"):
            self.advance()
            return word == "TRUE"
        if word in _RESERVED:
            raise self.expected("a value (a reserved word used as a property name must be double-quoted)")
        if word in _GEOMETRY_TYPES and (self.at_sym("(", following) or following.word() in ("Z", "M", "ZM", "EMPTY")):
            return self.geometry()
        if self.at_sym("(", following):
            return self.function(token)
        return Prop(self.advance().value)

    def signed_number(self, what: str) -> float:
        sign = 1
        if self.at_sym("-") or self.at_sym("+"):
            sign = -1 if self.advance().value == "-" else 1
            if self.tok.kind != _NUM:
                shown, where = self.tok.shown(), self.at(self.tok)
                raise _error(f"arithmetic (a sign before {shown} {where}) is not supported; only numbers may be signed")
        if self.tok.kind != _NUM:
            raise self.expected(what)
        return sign * self.advance().value

    # -- functions ---------------------------------------------------------
    def function(self, name_token: _Token) -> Any:
        word = name_token.word() or ""
        lower = word.lower()
        if lower in SPATIAL_OPS:
            left, right = self.arguments(name_token, 2)
            _check_spatial_arg(left[0], lower, 1, self.at(left[1]))
            _check_spatial_arg(right[0], lower, 2, self.at(right[1]))
            return Spatial(lower, left[0], right[0])
        if lower in TEMPORAL_OPS:
            left, right = self.arguments(name_token, 2)
            _check_temporal_arg(left[0], lower, 1, self.at(left[1]))
            _check_temporal_arg(right[0], lower, 2, self.at(right[1]))
            return Temporal(lower, left[0], right[0])
        if lower in FUNCTIONS:
            ((arg, start),) = self.arguments(name_token, 1)
            _check_text(arg, f"the argument of {word}", self.at(start))
            return Func(lower, arg)
        if word in ("DATE", "TIMESTAMP"):
            return self.instant(name_token)
        if word == "INTERVAL":
            return self.interval(name_token)
        if word == "BBOX":
            return self.bbox(name_token)
        raise _unsupported_function(name_token.value, self.at(name_token))

    def arguments(self, name_token: _Token, count: int) -> list[tuple[Any, _Token]]:
        """``count`` comma-separated operands in parentheses, each with its first token."""
        self.advance()
        self.expect_sym("(")
        args: list[tuple[Any, _Token]] = []
        with self.nested(name_token):
            while True:
                start = self.tok
                args.append((self.operand(), start))
                if not self.at_sym(","):
                    break
                self.advance()
            if len(args) != count or not self.at_sym(")"):
                if self.at_sym(")"):
                    raise _error(f"{name_token.word()} takes {count} argument(s), got {len(args)} ({self.at(name_token)})")
                raise self.expected(f"',' or ')' in the arguments of {name_token.word()}")
            self.advance()
        return args

    def quoted(self, name_token: _Token, example: str) -> str:
        if self.tok.kind != _STR:
            raise self.expected(f"a quoted string in {name_token.word()}(...), e.g. {example}")
        return self.advance().value

    def instant(self, name_token: _Token) -> date | datetime:
        word = name_token.word()
        self.advance()
        self.expect_sym("(")
        start = self.tok
        if word == "DATE":
            value: date = _parse_date(self.quoted(name_token, "DATE('2020-01-31')"), self.at(start))
        else:
            value = _parse_timestamp(self.quoted(name_token, "TIMESTAMP('2020-01-31T10:00:00Z')"), self.at(start))
        self.expect_sym(")")
        return value

    def interval(self, name_token: _Token) -> Interval:
        self.advance()
        self.expect_sym("(")
        start = self.interval_bound()
        self.expect_sym(",")
        end = self.interval_bound()
        self.expect_sym(")")
        return _interval(start, end, self.at(name_token))

    def interval_bound(self) -> Any:
        token = self.tok
        if token.kind == _STR:
            return _parse_instant_string(self.advance().value, self.at(token))
        if token.kind == _QIDENT or (token.kind == _IDENT and token.word() not in ("DATE", "TIMESTAMP")):
            if self.at_sym("(", self.peek()):
                raise _error(f"an interval bound must be a date, a timestamp, '..' or a property ({self.at(token)}), not a function call")
            if token.word() in _RESERVED or token.word() in ("TRUE", "FALSE"):
                raise self.expected("a date, a timestamp, '..' or a property as an interval bound")
            return Prop(self.advance().value)
        if token.kind == _IDENT and self.at_sym("(", self.peek()):
            return self.instant(token)
        raise self.expected("a date, a timestamp, '..' or a property as an interval bound")

    def bbox(self, name_token: _Token) -> shapely.Polygon:
        self.advance()
        self.expect_sym("(")
        values = [self.coordinate("a number in BBOX")]
        while self.at_sym(","):
            self.advance()
            values.append(self.coordinate("a number in BBOX"))
        self.expect_sym(")")
        return _bbox(values, self.at(name_token))

    # -- WKT geometries ----------------------------------------------------
    def geometry(self) -> shapely.Geometry:
        token = self.advance()
        kind = _GEOMETRY_TYPES[token.word() or ""]
        want_z = False
        tag = self.tok.word()
        if tag == "Z":
            self.advance()
            want_z = True
        elif tag in ("M", "ZM"):
            raise _error(f"measured (M) coordinates are not supported ({self.at(self.tok)})")
        elif tag == "EMPTY":
            raise _error(f"empty geometries are not supported ({self.at(self.tok)})")
        where = self.at(token)
        with self.nested(token):
            if kind == "GeometryCollection":
                members = self.sequence(self.geometry_member)
                try:
                    return shapely.GeometryCollection(members)
                except (ShapelyError, ValueError, TypeError) as exc:
                    raise _error(f"invalid GeometryCollection {where}: {exc}") from None
            coords = self.coordinates(kind)
        return _build_geometry(kind, coords, where, want_z=want_z)

    def geometry_member(self) -> shapely.Geometry:
        if self.tok.word() in _GEOMETRY_TYPES:
            return self.geometry()
        raise self.expected("a WKT geometry (POINT, LINESTRING, ...) inside GEOMETRYCOLLECTION")

    def coordinates(self, kind: str) -> Any:
        if kind == "Point":
            return self.sequence(self.position, single=True)[0]
        if kind == "LineString":
            return self.sequence(self.position)
        if kind == "Polygon":
            return self.sequence(lambda: self.sequence(self.position))
        if kind == "MultiPoint":
            return self.sequence(self.multipoint_member)
        if kind == "MultiLineString":
            return self.sequence(lambda: self.sequence(self.position))
        return self.sequence(lambda: self.sequence(lambda: self.sequence(self.position)))

    def sequence(self, item: Any, *, single: bool = False) -> list[Any]:
        """``( item, item, ... )``."""
        self.expect_sym("(")
        items = [item()]
        while not single and self.at_sym(","):
            self.advance()
            items.append(item())
        if not self.at_sym(")"):
            raise self.expected("')'" if single else "',' or ')'")
        self.advance()
        return items

    def multipoint_member(self) -> tuple[float, ...]:
        if self.at_sym("("):
            return self.sequence(self.position, single=True)[0]
        return self.position()

    def position(self) -> tuple[float, ...]:
        values = [self.coordinate()]
        while self.tok.kind == _NUM or self.at_sym("-") or self.at_sym("+"):
            if len(values) == 3:
                raise _error(f"a position has at most 3 coordinates (x y z) ({self.at(self.tok)})")
            values.append(self.coordinate())
        if len(values) < 2:
            raise self.expected("a second coordinate")
        return tuple(values)

    def coordinate(self, what: str = "a coordinate") -> float:
        token = self.tok
        value = self.signed_number(what)
        try:
            return float(value)
        except OverflowError:
            raise _error(f"the number {token.text[:40]} {self.at(token)} is out of range") from None


def _unsupported_function(name: str, where: str) -> InputError:
    upper = name.upper()
    if upper.startswith("A_"):
        return _error(f"the array function {upper} ({where}) is not supported")
    if upper.startswith("S_"):
        return _error(f"unknown spatial function {upper} ({where}); supported: {', '.join(op.upper() for op in SPATIAL_OPS)}")
    if upper.startswith("T_"):
        return _error(f"unknown temporal function {upper} ({where}); supported: {', '.join(op.upper() for op in TEMPORAL_OPS)}")
    return _error(f"the function {name!r} ({where}) is not supported; supported functions: CASEI, ACCENTI")


# -- CQL2 JSON ---------------------------------------------------------------

_JSON_GEOMETRY_TYPES = tuple(_GEOMETRY_TYPES.values())


def _at(path: str) -> str:
    if len(path) > 80:
        path = path[:30] + "..." + path[-40:]
    return f"at {path}"


class _JsonConverter:
    """CQL2 JSON to the filter tree; ``path`` is the JSON path of the node being converted."""

    def __init__(self) -> None:
        self.depth = 0

    @contextmanager
    def nested(self, path: str) -> Iterator[None]:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _error(f"the filter is nested more than {MAX_DEPTH} levels deep at {path}")
            yield
        finally:
            self.depth -= 1

    # -- predicates --------------------------------------------------------
    def predicate(self, obj: Any, path: str) -> Expr:
        if isinstance(obj, bool):
            return BoolValue(obj)
        if not (isinstance(obj, dict) and "op" in obj):
            raise _error(f'expected a condition (an object with "op" and "args", or true/false) {_at(path)}, found {self.shown(obj)}')
        op, args = self.op_and_args(obj, path)
        with self.nested(path):
            return self.dispatch(op, args, path)

    def dispatch(self, op: str, args: list[Any], path: str) -> Expr:
        if op in ("and", "or"):
            self.arity(op, args, path, minimum=2)
            items = [self.predicate(arg, f"{path}.args[{i}]") for i, arg in enumerate(args)]
            return _join(And if op == "and" else Or, items)
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
            if _is_predicate(value):
                raise _error(f"isNull applies to a value, not a condition {_at(path + '.args[0]')}")
            return IsNull(value)
        if op in SPATIAL_OPS:
            left, right = self.pair(op, args, path)
            _check_spatial_arg(left, op, 1, _at(f"{path}.args[0]"))
            _check_spatial_arg(right, op, 2, _at(f"{path}.args[1]"))
            return Spatial(op, left, right)
        if op in TEMPORAL_OPS:
            left, right = self.pair(op, args, path)
            _check_temporal_arg(left, op, 1, _at(f"{path}.args[0]"))
            _check_temporal_arg(right, op, 2, _at(f"{path}.args[1]"))
            return Temporal(op, left, right)
        if op in FUNCTIONS:
            raise _error(f'{op!r} gives a value, not a condition {_at(path)}; compare it, e.g. {{"op": "=", "args": [...]}}')
        raise self.unsupported(op, path)

    def op_and_args(self, obj: dict[str, Any], path: str) -> tuple[str, list[Any]]:
        op = obj["op"]
        if not isinstance(op, str):
            raise _error(f'"op" must be a string {_at(path)}, not {self.shown(op)}')
        extra = sorted(set(obj) - {"op", "args"}, key=repr)
        if extra:
            raise _error(f"unexpected member(s) {', '.join(map(repr, extra))} in the {op!r} object {_at(path)}")
        if "args" not in obj:
            raise _error(f'the {op!r} object has no "args" {_at(path)}')
        args = obj["args"]
        if not isinstance(args, list):
            raise _error(f'"args" of {op!r} must be an array {_at(path)}, not {self.shown(args)}')
        return op.lower(), args

    def arity(self, op: str, args: list[Any], path: str, count: int | None = None, *, minimum: int | None = None) -> None:
        if count is not None and len(args) != count:
            raise _error(f"{op!r} expects {count} argument(s), got {len(args)} {_at(path)}")
        if minimum is not None and len(args) < minimum:
            raise _error(f"{op!r} expects at least {minimum} arguments, got {len(args)} {_at(path)}")

    def pair(self, op: str, args: list[Any], path: str) -> tuple[Any, Any]:
        self.arity(op, args, path, 2)
        return self.operand(args[0], f"{path}.args[0]"), self.operand(args[1], f"{path}.args[1]")

    def scalars(self, op: str, args: list[Any], path: str, count: int) -> list[Any]:
        self.arity(op, args, path, count)
        values = []
        for i, arg in enumerate(args):
            where = f"{path}.args[{i}]"
            value = self.operand(arg, where)
            _check_scalar(value, f"argument {i + 1} of {op!r}", _at(where))
            values.append(value)
        return values

    def like(self, args: list[Any], path: str) -> Like:
        value, pattern = self.pair("like", args, path)
        _check_text(value, "argument 1 of 'like'", _at(f"{path}.args[0]"))
        _check_pattern(pattern, _at(f"{path}.args[1]"))
        return Like(value, pattern)

    def in_list(self, args: list[Any], path: str) -> In:
        self.arity("in", args, path, 2)
        value = self.operand(args[0], f"{path}.args[0]")
        _check_scalar(value, "argument 1 of 'in'", _at(f"{path}.args[0]"))
        items = args[1]
        if not isinstance(items, list):
            raise _error(f"argument 2 of 'in' must be an array of values {_at(path + '.args[1]')}, not {self.shown(items)}")
        converted = []
        for i, item in enumerate(items):
            where = f"{path}.args[1][{i}]"
            item_value = self.operand(item, where)
            _check_scalar(item_value, "an item of the 'in' list", _at(where))
            converted.append(item_value)
        return In(value, tuple(converted))

    # -- operands ----------------------------------------------------------
    def operand(self, obj: Any, path: str) -> Any:
        if isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, float)):
            if isinstance(obj, float) and not math.isfinite(obj):
                raise _error(f"the number {obj} {_at(path)} is not finite")
            return obj
        if isinstance(obj, dict):
            with self.nested(path):
                return self.object_operand(obj, path)
        if isinstance(obj, list):
            raise _error(f"array literals {_at(path)} are not supported")
        if obj is None:
            raise _error(f'null is not a CQL2 value {_at(path)}; test for missing values with {{"op": "isNull", ...}}')
        raise _error(f"{self.shown(obj)} is not a CQL2 value {_at(path)}")

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
        raise _error(f"unrecognised object ({keys}) {_at(path)}; expected one with {expected}")

    def function(self, obj: dict[str, Any], path: str) -> Any:
        op, args = self.op_and_args(obj, path)
        if op in FUNCTIONS:
            self.arity(op, args, path, 1)
            arg = self.operand(args[0], f"{path}.args[0]")
            _check_text(arg, f"the argument of {op!r}", _at(f"{path}.args[0]"))
            return Func(op, arg)
        # a condition where a value is expected: converting it names the real problem, if any
        return self.dispatch(op, args, path)

    def only(self, obj: dict[str, Any], key: str, path: str) -> None:
        extra = sorted(set(obj) - {key}, key=repr)
        if extra:
            raise _error(f"unexpected member(s) {', '.join(map(repr, extra))} next to {key!r} {_at(path)}")

    def property(self, name: Any, path: str) -> Prop:
        if not isinstance(name, str) or not name:
            raise _error(f"a property name must be a non-empty string {_at(path)}, not {self.shown(name)}")
        return Prop(name)

    def date(self, value: Any, path: str) -> date:
        if not isinstance(value, str):
            raise _error(f'a date must be a string such as "2020-01-31" {_at(path)}, not {self.shown(value)}')
        return _parse_date(value, _at(path))

    def timestamp(self, value: Any, path: str) -> datetime:
        if not isinstance(value, str):
            raise _error(f'a timestamp must be a string such as "2020-01-31T10:00:00Z" {_at(path)}, not {self.shown(value)}')
        return _parse_timestamp(value, _at(path))

    def interval(self, value: Any, path: str) -> Interval:
        if not isinstance(value, list) or len(value) != 2:
            raise _error(f"an interval must be an array of 2 bounds {_at(path)}, not {self.shown(value)}")
        start = self.interval_bound(value[0], f"{path}[0]")
        end = self.interval_bound(value[1], f"{path}[1]")
        return _interval(start, end, _at(path))

    def interval_bound(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return _parse_instant_string(value, _at(path))
        if isinstance(value, dict) and len(value) == 1:
            key = next(iter(value))
            converters = {"property": self.property, "date": self.date, "timestamp": self.timestamp}
            if key in converters:
                return converters[key](value[key], f"{path}.{key}")
        raise _error(f'an interval bound must be a date or timestamp string, ".." or a property/date/timestamp object {_at(path)}')

    def bbox(self, value: Any, path: str) -> shapely.Polygon:
        if not isinstance(value, list) or not all(self.is_number(v) for v in value):
            raise _error(f"bbox must be an array of 4 or 6 numbers {_at(path)}, not {self.shown(value)}")
        return _bbox([float(v) for v in value], _at(path))

    # -- GeoJSON -----------------------------------------------------------
    def geometry(self, obj: dict[str, Any], path: str) -> shapely.Geometry:
        kind = obj["type"]
        if kind not in _JSON_GEOMETRY_TYPES:
            expected = ", ".join(_JSON_GEOMETRY_TYPES)
            raise _error(f"{self.shown(kind)} is not a GeoJSON geometry type {_at(path)}; expected one of {expected}")
        if kind == "GeometryCollection":
            members = obj.get("geometries")
            if not isinstance(members, list) or not members:
                raise _error(f'a GeometryCollection needs a non-empty "geometries" array {_at(path)}')
            parts = []
            for i, member in enumerate(members):
                where = f"{path}.geometries[{i}]"
                if not (isinstance(member, dict) and "type" in member):
                    raise _error(f"expected a GeoJSON geometry {_at(where)}, found {self.shown(member)}")
                with self.nested(where):
                    parts.append(self.geometry(member, where))
            try:
                return shapely.GeometryCollection(parts)
            except (ShapelyError, ValueError, TypeError) as exc:
                raise _error(f"invalid GeometryCollection {_at(path)}: {exc}") from None
        if "coordinates" not in obj:
            raise _error(f'the {kind} has no "coordinates" {_at(path)}')
        levels = {"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}[kind]
        coords = self.coordinates(obj["coordinates"], levels, f"{path}.coordinates")
        return _build_geometry(kind, coords, _at(path))

    def coordinates(self, value: Any, levels: int, path: str) -> Any:
        """Nested arrays ``levels`` deep around positions, positions as tuples of floats."""
        if levels == 0:
            if not (isinstance(value, list) and 2 <= len(value) <= 3 and all(self.is_number(v) for v in value)):
                raise _error(f"a position must be an array of 2 or 3 numbers {_at(path)}, not {self.shown(value)}")
            return tuple(float(v) for v in value)
        if not isinstance(value, list):
            raise _error(f"expected an array of coordinates {_at(path)}, not {self.shown(value)}")
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
        return _describe(value)

    @staticmethod
    def unsupported(op: str, path: str) -> InputError:
        if op in _ARITHMETIC:
            return _error(f"arithmetic ({op!r}) {_at(path)} is not supported")
        if op.startswith("a_"):
            return _error(f"the array function {op!r} {_at(path)} is not supported")
        if op.startswith(("s_", "t_")):
            kind, ops = ("spatial", SPATIAL_OPS) if op.startswith("s_") else ("temporal", TEMPORAL_OPS)
            return _error(f"unknown {kind} operator {op!r} {_at(path)}; supported: {', '.join(ops)}")
        return _error(f"unknown or unsupported operator {op!r} {_at(path)}")
