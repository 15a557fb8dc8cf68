"""A text to parse, or a span of one, and the one way errors about it are worded."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

from vkc.errors import InputError

__all__ = ["SourceText", "excerpt"]


@dataclass(frozen=True, slots=True)
class SourceText:
    """The span ``text[start:end]`` of a text to parse, and how the errors about it are worded.

    Positions are 0-based offsets into the whole ``text`` (a span keeps the
    offsets of the text it is cut from); messages show them 1-based, as
    ``at position 5``. ``label`` starts every message and ``field`` is the
    :class:`~vkc.errors.InputError` field. With ``excerpt`` a position is
    followed by the text it is in (`` in "name eq 'x'"``, cut around the
    position when the text is long); ``found`` joins a message to what was
    found instead (``expected ')' at position 5, found 'x'``).
    """

    text: str
    field: str
    label: str
    start: int = 0
    end: int | None = None  # None: the end of the text
    excerpt: bool = False
    found: str = ", found "

    @classmethod
    def of(cls, text: str, field: str) -> Self:
        """The whole of ``text``, its messages labelled with ``field``."""
        return cls(text, field, field, 0, len(text))

    @property
    def stop(self) -> int:
        """The offset just past the span."""
        return len(self.text) if self.end is None else self.end

    @property
    def value(self) -> str:
        """The text of the span."""
        return self.text[self.start : self.stop]

    def part(self, start: int, end: int, label: str) -> Self:
        """The span ``text[start:end]`` of the same text, its messages labelled ``label``."""
        return replace(self, start=start, end=end, label=label)

    def at(self, pos: int) -> str:
        """``at position N`` (1-based) for the offset ``pos``, with the excerpt if the messages show one."""
        where = f"at position {pos + 1}"
        return f"{where} in {excerpt(self.text, pos)}" if self.excerpt else where

    def error(self, message: str, pos: int | None = None, found: str | None = None, hint: str | None = None) -> InputError:
        """``label: message at position N<found …>; hint`` as an InputError (only the parts given)."""
        where = "" if pos is None else f" {self.at(pos)}"
        tail = "" if found is None else f"{self.found}{found}"
        advice = "" if hint is None else f"; {hint}"
        return InputError(f"{self.label}: {message}{where}{tail}{advice}", field=self.field)


def excerpt(text: str, pos: int, *, width: int = 100, whole: int = 120) -> str:
    """``text`` in double quotes; one longer than ``whole`` cut to ``width`` characters around ``pos``, with ``...`` where cut."""
    if len(text) <= whole:
        return f'"{text}"'
    start = max(0, min(pos - width // 2, len(text) - width))
    head = "..." if start > 0 else ""
    tail = "..." if start + width < len(text) else ""
    return f'"{head}{text[start : start + width]}{tail}"'
