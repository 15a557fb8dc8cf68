"""Operands in CQL2 Text: literals, properties, function calls, DATE / TIMESTAMP / INTERVAL / BBOX and geometries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import shapely

from vkc.errors import InputError
from vkc.ogc.cql2.checks import ARITHMETIC, check_spatial_arg, check_temporal_arg, check_text, error
from vkc.ogc.cql2.geometry import GEOMETRY_TYPES
from vkc.ogc.cql2.lexer import QUOTED_NAME
from vkc.ogc.cql2.literals import bbox, interval, parse_date, parse_instant_string, parse_timestamp
from vkc.ogc.cql2.wkt import WktParser
from vkc.parsing import NAME, NUMBER, STRING, SYMBOL, Token
from vkc.store.filters import FUNCTIONS, SPATIAL_OPS, TEMPORAL_OPS, Func, Interval, Prop, Spatial, Temporal

RESERVED = ("AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL")


class OperandParser(WktParser):
    def operand(self) -> Any:
        value = self.term()
        self.refuse_arithmetic()
        return value

    def refuse_arithmetic(self) -> None:
        token = self.tok
        if (token.kind == SYMBOL and token.value in ARITHMETIC) or token.word == "DIV":
            raise error(f"arithmetic ('{token.text}' {self.at(token)}) is not supported")

    def term(self) -> Any:
        token = self.tok
        if token.kind in (NUMBER, STRING):
            return self.advance().value
        if token.kind == QUOTED_NAME:
            return Prop(self.advance().value)
        if token.kind == SYMBOL:
            return self.symbol_operand(token)
        if token.kind == NAME:
            return self.name_operand(token)
        raise self.expected("a value")

    def symbol_operand(self, token: Token) -> Any:
        if token.value in ("-", "+"):
            return self.signed_number("a value")
        if token.value == "(":
            self.advance()
            with self.nested(token):
                value = self.operand()
                self.expect_symbol(")")
            return value
        if token.value == "[":
            raise error(f"array literals ({self.at(token)}) are not supported")
        raise self.expected("a value")

    def name_operand(self, token: Token) -> Any:
        word = token.word
        following = self.peek()
        if word in ("TRUE", "FALSE"):
            self.advance()
            return word == "TRUE"
        if word in RESERVED:
            raise self.expected("a value (a reserved word used as a property name must be double-quoted)")
        if word in GEOMETRY_TYPES and (self.at_symbol("(", following) or following.word in ("Z", "M", "ZM", "EMPTY")):
            return self.geometry()
        if self.at_symbol("(", following):
            return self.function(token)
        return Prop(self.advance().value)

    # -- functions ---------------------------------------------------------
    def function(self, name_token: Token) -> Any:
        word = name_token.word or ""
        lower = word.lower()
        if lower in SPATIAL_OPS:
            left, right = self.arguments(name_token, 2)
            check_spatial_arg(left[0], lower, 1, self.at(left[1]))
            check_spatial_arg(right[0], lower, 2, self.at(right[1]))
            return Spatial(lower, left[0], right[0])
        if lower in TEMPORAL_OPS:
            left, right = self.arguments(name_token, 2)
            check_temporal_arg(left[0], lower, 1, self.at(left[1]))
            check_temporal_arg(right[0], lower, 2, self.at(right[1]))
            return Temporal(lower, left[0], right[0])
        if lower in FUNCTIONS:
            ((arg, start),) = self.arguments(name_token, 1)
            check_text(arg, f"the argument of {word}", self.at(start))
            return Func(lower, arg)
        if word in ("DATE", "TIMESTAMP"):
            return self.instant(name_token)
        if word == "INTERVAL":
            return self.interval(name_token)
        if word == "BBOX":
            return self.bbox(name_token)
        raise _unsupported_function(name_token.value, self.at(name_token))

    def arguments(self, name_token: Token, count: int) -> list[tuple[Any, Token]]:
        """``count`` comma-separated operands in parentheses, each with its first token."""
        self.advance()
        self.expect_symbol("(")
        args: list[tuple[Any, Token]] = []
        with self.nested(name_token):
            while True:
                start = self.tok
                args.append((self.operand(), start))
                if not self.accept_symbol(","):
                    break
            if len(args) != count or not self.at_symbol(")"):
                if self.at_symbol(")"):
                    raise error(f"{name_token.word} takes {count} argument(s), got {len(args)} ({self.at(name_token)})")
                raise self.expected(f"',' or ')' in the arguments of {name_token.word}")
            self.advance()
        return args

    def quoted(self, name_token: Token, example: str) -> str:
        if self.tok.kind != STRING:
            raise self.expected(f"a quoted string in {name_token.word}(...), e.g. {example}")
        return self.advance().value

    def instant(self, name_token: Token) -> date | datetime:
        word = name_token.word
        self.advance()
        self.expect_symbol("(")
        start = self.tok
        if word == "DATE":
            value: date = parse_date(self.quoted(name_token, "DATE('2020-01-31')"), self.at(start))
        else:
            value = parse_timestamp(self.quoted(name_token, "TIMESTAMP('2020-01-31T10:00:00Z')"), self.at(start))
        self.expect_symbol(")")
        return value

    def interval(self, name_token: Token) -> Interval:
        self.advance()
        self.expect_symbol("(")
        start = self.interval_bound()
        self.expect_symbol(",")
        end = self.interval_bound()
        self.expect_symbol(")")
        return interval(start, end, self.at(name_token))

    def interval_bound(self) -> Any:
        token = self.tok
        if token.kind == STRING:
            return parse_instant_string(self.advance().value, self.at(token))
        if token.kind == QUOTED_NAME or (token.kind == NAME and token.word not in ("DATE", "TIMESTAMP")):
            if self.at_symbol("(", self.peek()):
                raise error(f"an interval bound must be a date, a timestamp, '..' or a property ({self.at(token)}), not a function call")
            if token.word in RESERVED or token.word in ("TRUE", "FALSE"):
                raise self.expected("a date, a timestamp, '..' or a property as an interval bound")
            return Prop(self.advance().value)
        if token.kind == NAME and self.at_symbol("(", self.peek()):
            return self.instant(token)
        raise self.expected("a date, a timestamp, '..' or a property as an interval bound")

    def bbox(self, name_token: Token) -> shapely.Polygon:
        self.advance()
        self.expect_symbol("(")
        values = [self.coordinate("a number in BBOX")]
        while self.accept_symbol(","):
            values.append(self.coordinate("a number in BBOX"))
        self.expect_symbol(")")
        return bbox(values, self.at(name_token))


def _unsupported_function(name: str, where: str) -> InputError:
    upper = name.upper()
    if upper.startswith("A_"):
        return error(f"the array function {upper} ({where}) is not supported")
    if upper.startswith("S_"):
        return error(f"unknown spatial function {upper} ({where}); supported: {', '.join(op.upper() for op in SPATIAL_OPS)}")
    if upper.startswith("T_"):
        return error(f"unknown temporal function {upper} ({where}); supported: {', '.join(op.upper() for op in TEMPORAL_OPS)}")
    return error(f"the function {name!r} ({where}) is not supported; supported functions: CASEI, ACCENTI")
