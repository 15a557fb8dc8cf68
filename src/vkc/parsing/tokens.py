"""Tokens, and a tokenizer driven by a table of regular expressions.

A :class:`Lexer` subclass lists its :class:`Rule` s in :attr:`Lexer.rules`;
at each offset the rules are tried in order and the first whose pattern
matches there and whose ``make`` gives a token wins (``make`` may also decline
with ``None``, so the next rule is tried, or raise an error about the text).
A rule without ``make`` skips what it matches (blanks). Where no rule applies
the lexer reports the unexpected character.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, NamedTuple

from vkc.errors import InputError
from vkc.parsing.source import SourceText

__all__ = ["BLANKS", "END", "NAME", "NUMBER", "STRING", "SYMBOL", "Lexer", "Rule", "Token", "plain", "quoted", "symbols", "unquote"]

# token kinds every language has; a language may add its own (a kind is a word or two that messages can name)
NUMBER, STRING, NAME, SYMBOL, END = "number", "string", "name", "symbol", "end"

BLANKS = re.compile(r"\s+")
"""White space of every kind (what :meth:`str.isspace` accepts)."""


class Token(NamedTuple):
    """One token: its kind, its text as written, its value and its offset in the source text."""

    kind: str
    text: str
    value: Any
    pos: int
    word: str | None = None  # for names, the case-folded text keywords are compared with

    @property
    def end(self) -> int:
        """The offset just past the token."""
        return self.pos + len(self.text)


class Rule(NamedTuple):
    """A pattern matched at the current offset, and what makes a token of the match (None: skip the match)."""

    pattern: re.Pattern[str]
    make: Callable[[Any, re.Match[str]], Token | None] | None = None  # called with the lexer and the match


def plain(kind: str) -> Callable[[Lexer, re.Match[str]], Token]:
    """A ``make`` for tokens of ``kind`` whose value is the matched text (symbols, say)."""
    return lambda lexer, match: lexer.token(kind, match)


def symbols(*texts: str) -> re.Pattern[str]:
    """A pattern matching any of the ``texts``, the longest first."""
    return re.compile("|".join(re.escape(text) for text in sorted(texts, key=len, reverse=True)))


def quoted(quote: str) -> re.Pattern[str]:
    """Text in ``quote`` characters, where the quote doubled stands for itself.

    Group 1 is the body as written (see :func:`unquote`), group 2 the closing
    quote, None if the text ends before one: an unterminated string.
    """
    q = re.escape(quote)
    return re.compile(f"{q}([^{q}]*+(?:{q}{q}[^{q}]*+)*+)({q})?")


def unquote(body: str, quote: str) -> str:
    """The value of a quoted body: each doubled quote as one."""
    return body.replace(quote * 2, quote)


class Lexer:
    """Splits a :class:`SourceText` span into tokens by the table of :attr:`rules`; the list ends with an END token."""

    rules: ClassVar[Sequence[Rule]] = ()  # in the order they are tried; the makes are the subclass's functions

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.text = source.text
        self.stop = source.stop

    def tokens(self) -> list[Token]:
        rules = self.rules
        text, pos, stop = self.text, self.source.start, self.stop
        tokens: list[Token] = []
        while pos < stop:
            for rule in rules:
                match = rule.pattern.match(text, pos, stop)
                if match is None or match.end() == pos:
                    continue
                if rule.make is None:
                    pos = match.end()
                    break
                token = rule.make(self, match)
                if token is not None:
                    tokens.append(token)
                    pos = token.pos + len(token.text)
                    break
            else:
                raise self.unexpected(pos)
        tokens.append(Token(END, "", None, stop))
        return tokens

    # -- for the rules -------------------------------------------------------
    def word(self, name: str) -> str:
        """How a name is case-folded to compare it with keywords."""
        return name.lower()

    def token(self, kind: str, match: re.Match[str], value: Any = None) -> Token:
        """A token of the whole match; its value is ``value``, or the matched text if that is None."""
        text = match.group(0)
        return Token(kind, text, text if value is None else value, match.start())

    def name(self, text: str, pos: int) -> Token:
        return Token(NAME, text, text, pos, self.word(text))

    def extend(self, pos: int, part: Callable[[str], bool]) -> int:
        """The offset of the first character from ``pos`` on for which ``part`` is false (or the end)."""
        text, stop = self.text, self.stop
        while pos < stop and part(text[pos]):
            pos += 1
        return pos

    def unexpected(self, pos: int) -> InputError:
        char = self.text[pos]
        return self.source.error(f"unexpected character {char!r}{self.hint(char)}", pos)

    def hint(self, char: str) -> str:
        """Advice to add after ``unexpected character …`` (starting with ``; ``), or nothing."""
        return ""
