"""How long a text and how deeply nested an expression a parser accepts, and the messages when one is over."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from vkc.errors import InputError

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Fail", "Limits", "Nesting"]

MAX_LENGTH = 100_000
MAX_DEPTH = 100

T = TypeVar("T")

Fail = Callable[[str], InputError]
"""Turns a message into the error to raise (``SourceText.error``, or a parser's own)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """The longest text (in characters) and the deepest nesting a parser accepts."""

    max_length: int = MAX_LENGTH
    max_depth: int = MAX_DEPTH

    def check_length(self, text: str, subject: str, fail: Fail) -> None:
        """Refuse ``text`` if it is longer than ``max_length``; ``subject`` is what messages call it ("filter", "value")."""
        if len(text) > self.max_length:
            raise fail(f"the {subject} is {len(text)} characters long; the limit is {self.max_length}")

    def nesting(self, subject: str) -> Nesting:
        """A depth counter refusing more than ``max_depth`` levels of ``subject``."""
        return Nesting(self.max_depth, subject)

    def run(self, call: Callable[[], T], subject: str, fail: Fail) -> T:
        """``call()``, with Python's recursion limit, if a parser reaches it, reported as too deep a ``subject``."""
        try:
            return call()
        except RecursionError:
            raise fail(f"the {subject} is nested too deeply (more than {self.max_depth} levels)") from None


class Nesting:
    """How many levels deep a parser is; entering one more than ``limit`` fails."""

    def __init__(self, limit: int, subject: str) -> None:
        self.limit = limit
        self.subject = subject
        self.depth = 0

    @contextmanager
    def deeper(self, fail: Fail) -> Iterator[None]:
        """One level deeper for the ``with`` body; ``fail`` makes the error if that is over the limit."""
        self.depth += 1
        try:
            if self.depth > self.limit:
                raise fail(f"the {self.subject} is nested more than {self.limit} levels deep")
            yield
        finally:
            self.depth -= 1
