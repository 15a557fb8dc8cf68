"""OGC CQL2 (OGC 21-065r2) filters, CQL2 Text and CQL2 JSON, parsed into :mod:`vkc.store.filters` trees.

:func:`parse_text` is a hand-written recursive-descent parser (on the
:mod:`vkc.parsing` toolkit) over a small tokenizer; :func:`parse_json`
converts already-decoded CQL2 JSON; :func:`parse` picks one by the
``filter-lang`` value. Every malformed filter raises
:class:`~vkc.errors.InputError` (``field="filter"``) whose message says what is
wrong and where: a 1-based character position for text, a JSON path such as
``$.args[1]`` for JSON.

Supported: the boolean operators, comparisons, LIKE, BETWEEN, IN, IS NULL,
CASEI / ACCENTI, the spatial and temporal functions, and the literals of both
encodings (strings, numbers, booleans, DATE, TIMESTAMP, INTERVAL, WKT or
GeoJSON geometries, BBOX). Not supported, refused with a message naming them:
arithmetic, array functions and literals, and any other function.

The modules: :mod:`~vkc.ogc.cql2.checks` (what may stand where, shared by
both encodings), :mod:`~vkc.ogc.cql2.literals` (dates, timestamps, intervals,
boxes), :mod:`~vkc.ogc.cql2.geometry`, :mod:`~vkc.ogc.cql2.lexer`,
:mod:`~vkc.ogc.cql2.wkt`, :mod:`~vkc.ogc.cql2.operands` and
:mod:`~vkc.ogc.cql2.text` (CQL2 Text, in layers), :mod:`~vkc.ogc.cql2.json_values`
and :mod:`~vkc.ogc.cql2.json` (CQL2 JSON).
"""

from __future__ import annotations

from vkc.errors import InputError
from vkc.ogc.cql2.checks import MAX_DEPTH, MAX_LENGTH
from vkc.ogc.cql2.json import decode_json, parse_json
from vkc.ogc.cql2.text import parse_text
from vkc.store.filters import Expr

__all__ = ["LANGS", "MAX_DEPTH", "MAX_LENGTH", "parse", "parse_json", "parse_text"]

LANGS = ("cql2-text", "cql2-json")


def parse(value: str, lang: str) -> Expr:
    """Parse a filter given as the ``filter`` and ``filter-lang`` query parameters."""
    key = lang.strip().lower() if isinstance(lang, str) else None
    if key == "cql2-text":
        return parse_text(value)
    if key == "cql2-json":
        return parse_json(decode_json(value))
    raise InputError(f"filter-lang: unsupported value {lang!r}; valid values: {', '.join(LANGS)}", field="filter-lang")
