"""Integers in query parameters and paths: ASCII digits only, within what both stores hold (signed 64 bits)."""

from __future__ import annotations

import re
from collections.abc import Callable

from vkc.errors import InputError

#: the largest integer SQLite and PostgreSQL (bigint) hold
INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"-?[0-9]{1,19}", re.ASCII)


def parse_integer(
    text: str, name: str, *, minimum: int = 0, maximum: int = INT64_MAX, fail: Callable[[str], Exception] | None = None
) -> int:
    """``text`` as an integer from ``minimum`` to ``maximum``; otherwise ``fail(message)`` (default: an InputError naming ``name``)."""
    def refuse(message: str) -> Exception:
        return fail(message) if fail is not None else InputError(f"{name}: {message}", field=name)

    stripped = text.strip()
    if not _INTEGER.fullmatch(stripped):
        if re.fullmatch(r"-?[0-9]+", stripped, re.ASCII):
            raise refuse(f"{_shown(stripped)} is out of range; the largest is {maximum:,}")
        raise refuse(f"{_shown(stripped)} is not an integer")
    value = int(stripped)
    if value < minimum:
        raise refuse(f"must be at least {minimum}, got {value}")
    if value > maximum:
        raise refuse(f"{value} is out of range; the largest is {maximum:,}")
    return value


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")
