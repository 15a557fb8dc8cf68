"""WKT geometries and signed numbers in CQL2 Text: the lowest layer of its parser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import shapely

from vkc.ogc.cql2.checks import LIMITS, error
from vkc.ogc.cql2.geometry import GEOMETRY_TYPES, build_geometry, collection
from vkc.ogc.cql2.lexer import CQL2Lexer
from vkc.parsing import NUMBER, Parser, SourceText


class WktParser(Parser):
    """The token access of CQL2 Text, signed numbers and WKT geometries."""

    subject: ClassVar[str] = "filter"
    end_shown: ClassVar[str] = "the end of the filter"

    def __init__(self, text: str) -> None:
        source = SourceText(text, "filter", "filter")
        super().__init__(CQL2Lexer(source).tokens(), source, LIMITS)

    def signed_number(self, what: str) -> float:
        sign = 1
        if self.at_symbol("-") or self.at_symbol("+"):
            sign = -1 if self.advance().value == "-" else 1
            if self.tok.kind != NUMBER:
                shown, where = self.shown(self.tok), self.at(self.tok)
                raise error(f"arithmetic (a sign before {shown} {where}) is not supported; only numbers may be signed")
        if self.tok.kind != NUMBER:
            raise self.expected(what)
        return sign * self.advance().value

    def coordinate(self, what: str = "a coordinate") -> float:
        token = self.tok
        value = self.signed_number(what)
        try:
            return float(value)
        except OverflowError:
            raise error(f"the number {token.text[:40]} {self.at(token)} is out of range") from None

    def geometry(self) -> shapely.Geometry:
        token = self.advance()
        kind = GEOMETRY_TYPES[token.word or ""]
        want_z = False
        tag = self.tok.word
        if tag == "Z":
            self.advance()
            want_z = True
        elif tag in ("M", "ZM"):
            raise error(f"measured (M) coordinates are not supported ({self.at(self.tok)})")
        elif tag == "EMPTY":
            raise error(f"empty geometries are not supported ({self.at(self.tok)})")
        where = self.at(token)
        with self.nested(token):
            if kind == "GeometryCollection":
                return collection(self.sequence(self.geometry_member), where)
            coords = self.coordinates(kind)
        return build_geometry(kind, coords, where, want_z=want_z)

    def geometry_member(self) -> shapely.Geometry:
        if self.tok.word in GEOMETRY_TYPES:
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

    def sequence(self, item: Callable[[], Any], *, single: bool = False) -> list[Any]:
        """``( item, item, ... )``."""
        self.expect_symbol("(")
        items = [item()]
        while not single and self.accept_symbol(","):
            items.append(item())
        if not self.at_symbol(")"):
            raise self.expected("')'" if single else "',' or ')'")
        self.advance()
        return items

    def multipoint_member(self) -> tuple[float, ...]:
        if self.at_symbol("("):
            return self.sequence(self.position, single=True)[0]
        return self.position()

    def position(self) -> tuple[float, ...]:
        values = [self.coordinate()]
        while self.tok.kind == NUMBER or self.at_symbol("-") or self.at_symbol("+"):
            if len(values) == 3:
                raise error(f"a position has at most 3 coordinates (x y z) ({self.at(self.tok)})")
            values.append(self.coordinate())
        if len(values) < 2:
            raise self.expected("a second coordinate")
        return tuple(values)
