"""The tokens of SensorThings OData expressions: numbers, date/time literals, 'strings', typed literals, names and symbols."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import time
from typing import ClassVar

import shapely
from shapely.errors import ShapelyError

from vkc.parsing import BLANKS, NUMBER, STRING, SYMBOL, Lexer, Rule, Token, plain, quoted, times, unquote
from vkc.sta.odata_expr.tree import Duration, Geometry

LITERAL = "literal"  # date/time and typed literals, the value already converted

_DATETIME = times.Form(optional_seconds=True)  # RFC 3339 date-times, the seconds optional
_TIME_RE = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?", re.ASCII)
_NUMBER_RE = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?", re.ASCII)
_STRING_RE = quoted("'")
# a name starts with a letter, '_' or '@' (the pattern lets through a few more, which name_or_literal() declines)
_NAME_RE = re.compile(r"(?:[^\W\d]|@)[\w.]*")
_SYMBOLS_RE = re.compile(r"[(),/-]")
_DURATION_RE = re.compile(r"([+-])?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.ASCII | re.IGNORECASE)
_SRID_RE = re.compile(r"\s*SRID\s*=\s*(\d+)\s*;", re.ASCII | re.IGNORECASE)
_TYPED_LITERALS = ("geography", "geometry", "duration")


def _is_name_part(ch: str) -> bool:
    return ch.isalnum() or ch in "_."


class ODataLexer(Lexer):
    def hint(self, char: str) -> str:
        if char in "=<>!":
            return "; OData writes comparisons as eq, ne, gt, ge, lt, le"
        if char in "+*%":
            return "; OData writes arithmetic as add, sub, mul, div, mod"
        if char == '"':
            return "; strings are quoted with single quotes"
        return ""

    def runs_on(self, stop: int) -> bool:
        """Whether a literal ending at ``stop`` runs on into letters, digits or date/time punctuation."""
        return stop < self.stop and (_is_name_part(self.text[stop]) or self.text[stop] in ":")

    # -- numbers and date/time literals ---------------------------------------
    def number(self, match: re.Match[str]) -> Token:
        literal, start, end = match.group(0), match.start(), match.end()
        if self.runs_on(end) or (end < self.stop and self.text[end] == "-"):
            stop = self.extend(end, lambda ch: _is_name_part(ch) or ch in ":-+")
            raise self.source.error(f"malformed number or date/time {self.text[start:stop]!r}", start)
        if match[1] is None and match[2] is None:
            return self.token(NUMBER, match, int(literal))
        value = float(literal)
        if not math.isfinite(value):
            raise self.source.error(f"the number {literal} is out of range", start)
        return self.token(NUMBER, match, value)

    def datetime(self, match: re.Match[str]) -> Token | None:
        if self.runs_on(match.end()):
            return None
        try:
            return self.token(LITERAL, match, times.instant_of(match, _DATETIME))
        except times.NoTimeZone:
            message = f"the date-time {match.group(0)} has no time zone; add Z (UTC) or an offset such as +07:00"
        except times.InvalidTime as exc:
            message = f"{match.group(0)} is not a valid date-time ({exc})"
        raise self.source.error(message, match.start())

    def date(self, match: re.Match[str]) -> Token | None:
        if self.runs_on(match.end()):
            return None
        try:
            return self.token(LITERAL, match, times.date_of(match))
        except times.InvalidTime as exc:
            raise self.source.error(f"{match.group(0)} is not a valid date ({exc})", match.start()) from None

    def time_of_day(self, match: re.Match[str]) -> Token | None:
        if self.runs_on(match.end()):
            return None
        fraction = (match[4] or "")[:6].ljust(6, "0")
        try:
            return self.token(LITERAL, match, time(int(match[1]), int(match[2]), int(match[3] or 0), int(fraction)))
        except ValueError as exc:
            raise self.source.error(f"{match.group(0)} is not a valid time of day ({exc})", match.start()) from None

    # -- strings, names and typed literals ------------------------------------
    def string(self, match: re.Match[str]) -> Token:
        return self.token(STRING, match, self.unquoted(match))

    def unquoted(self, match: re.Match[str]) -> str:
        if match[2] is None:
            raise self.source.error("unterminated string (a closing ' is missing)", match.start())
        return unquote(match[1], "'")

    def name_or_literal(self, match: re.Match[str]) -> Token | None:
        start, end = match.start(), match.end()
        name = match.group(0)
        if not (name[0].isalpha() or name[0] in "_@"):
            return None
        prefix = name.lower()
        if prefix in _TYPED_LITERALS and end < self.stop and self.text[end] == "'":
            body = _STRING_RE.match(self.text, end, self.stop)
            assert body is not None  # a quote is there
            value = self.typed_literal(prefix, self.unquoted(body), start)
            return Token(LITERAL, self.text[start : body.end()], value, start)
        return self.name(name, start)

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
        except (ShapelyError, ValueError, TypeError):  # GEOS's own words stay here: they name its internals, not the fix
            raise self.source.error(
                f"the {prefix} literal is not valid WKT: write e.g. {prefix}'POINT(105.85 21.03)' or "
                f"{prefix}'POLYGON((105.8 21.0, 105.9 21.0, 105.9 21.1, 105.8 21.0))' (rings closed, at least 4 positions)",
                start,
            ) from None
        return Geometry(wkt, shape)

    def duration(self, body: str, start: int) -> Duration:
        match = _DURATION_RE.fullmatch(body.strip())
        if match is None or all(part is None for part in match.groups()[1:]) or body.strip().upper().endswith("T"):
            raise self.source.error(f"{body!r} is not a duration of days, hours, minutes and seconds such as 'P1DT2H30M'", start)
        sign, days, hours, minutes, seconds = match.groups()
        total = int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
        return Duration(-total if sign == "-" else float(total))

    # the commonest tokens first; of the patterns only the four starting with a digit overlap, tried longest first
    rules: ClassVar[Sequence[Rule]] = (
        Rule(_NAME_RE, name_or_literal),
        Rule(BLANKS),
        Rule(_SYMBOLS_RE, plain(SYMBOL)),
        Rule(_STRING_RE, string),
        Rule(_DATETIME.pattern, datetime),
        Rule(times.DATE_RE, date),
        Rule(_TIME_RE, time_of_day),
        Rule(_NUMBER_RE, number),
    )
