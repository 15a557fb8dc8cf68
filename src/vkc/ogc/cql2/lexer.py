"""The tokens of CQL2 Text: numbers, 'strings', names, "quoted names" and symbols."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import ClassVar

from vkc.parsing import BLANKS, NUMBER, STRING, SYMBOL, Lexer, Rule, Token, plain, quoted, symbols, unquote

QUOTED_NAME = "quoted name"

_NUMBER_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_STRING_RE = quoted("'")
_QUOTED_NAME_RE = quoted('"')
# a name starts with a letter or '_' (the pattern lets through a few more, which name() declines)
_NAME_RE = re.compile(r"[^\W\d][\w.:]*")
_SYMBOLS_RE = symbols("<>", "<=", ">=", "!=", "(", ")", ",", "[", "]", "=", "<", ">", "+", "-", "*", "/", "^", "%")


def _is_name_part(ch: str) -> bool:
    return ch.isalnum() or ch in "_.:" or unicodedata.category(ch).startswith("M")


class CQL2Lexer(Lexer):
    def word(self, name: str) -> str:
        return name.upper()

    def number(self, match: re.Match[str]) -> Token:
        literal, start = match.group(0), match.start()
        try:
            value: int | float = float(literal) if ("." in literal or match[2]) else int(literal)
        except ValueError:
            raise self.source.error(f"the number {self.source.at(start)} has too many digits") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.source.error(f"the number {literal} {self.source.at(start)} is out of range")
        return self.token(NUMBER, match, value)

    def quoted(self, match: re.Match[str]) -> Token:
        """A 'string' or a "quoted name"; the quote character doubled stands for itself."""
        quote, start = match.group(0)[0], match.start()
        if match[2] is None:
            what = "string" if quote == "'" else "quoted property name"
            raise self.source.error(f"unterminated {what} starting {self.source.at(start)}; a closing {quote} is missing")
        value = unquote(match[1], quote)
        if quote == '"' and not value:
            raise self.source.error(f'empty property name "" {self.source.at(start)}')
        return self.token(STRING if quote == "'" else QUOTED_NAME, match, value)

    def name_token(self, match: re.Match[str]) -> Token | None:
        start = match.start()
        first = self.text[start]
        if not (first.isalpha() or first == "_"):
            return None
        return self.name(self.text[start : self.extend(match.end(), _is_name_part)], start)

    # no two patterns match at the same offset, so the commonest tokens are tried first
    rules: ClassVar[Sequence[Rule]] = (
        Rule(_NAME_RE, name_token),
        Rule(BLANKS),
        Rule(_SYMBOLS_RE, plain(SYMBOL)),
        Rule(_NUMBER_RE, number),
        Rule(_STRING_RE, quoted),
        Rule(_QUOTED_NAME_RE, quoted),
    )
