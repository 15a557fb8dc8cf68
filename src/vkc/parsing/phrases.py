"""Phrases that parser messages use to show what they found."""

from __future__ import annotations

from datetime import date, datetime, time

__all__ = ["literal_phrase", "shorten"]


def shorten(text: str, limit: int = 40) -> str:
    """``text``, or its start and ``...`` if it is longer than ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def literal_phrase(value: object, *, true: str = "true", false: str = "false", timestamp: str = "date-time") -> str | None:
    """A short phrase naming a literal value (``the number 5``, ``the string 'x'`` …); None if it is not one.

    ``true`` / ``false`` are how the language writes the booleans, ``timestamp`` what it calls a date with a time.
    """
    if isinstance(value, bool):
        return true if value else false
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {shorten(value)!r}"
    if isinstance(value, datetime):
        return f"the {timestamp} {value.isoformat()}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, time):
        return f"the time {value.isoformat()}"
    return None
