"""A small toolkit for the platform's hand-written parsers (CQL2 Text, OData expressions of SensorThings, …).

- :class:`SourceText`: the text (or a span of it) and the one way errors
  about it are worded, ``label: message at position N …`` with 1-based
  positions;
- :class:`Lexer`, :class:`Rule`, :class:`Token`: a tokenizer driven by a
  table of regular expressions;
- :class:`Parser`: the recursive-descent helpers (peek, accept, expect,
  nesting) over the tokens, and levels of binary operators (:class:`Infix`);
- :class:`Limits`: the longest text and the deepest nesting accepted;
- :func:`shorten`, :func:`literal_phrase`: how messages show what they found;
- :mod:`vkc.parsing.times`: the one reader of RFC 3339 instants and dates.

Part of the platform kernel: it imports nothing from :mod:`vkc` but :mod:`vkc.errors`.
"""

from vkc.parsing.descent import Infix, Parser, fold_left
from vkc.parsing.limits import MAX_DEPTH, MAX_LENGTH, Fail, Limits, Nesting
from vkc.parsing.phrases import literal_phrase, shorten
from vkc.parsing.source import SourceText, excerpt
from vkc.parsing.tokens import BLANKS, END, NAME, NUMBER, STRING, SYMBOL, Lexer, Rule, Token, plain, quoted, symbols, unquote

__all__ = [
    "BLANKS",
    "END",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "NAME",
    "NUMBER",
    "STRING",
    "SYMBOL",
    "Fail",
    "Infix",
    "Lexer",
    "Limits",
    "Nesting",
    "Parser",
    "Rule",
    "SourceText",
    "Token",
    "excerpt",
    "fold_left",
    "literal_phrase",
    "plain",
    "quoted",
    "shorten",
    "symbols",
    "unquote",
]
