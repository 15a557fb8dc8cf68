"""Bounds on one SensorThings response: rows read, entities returned, bytes returned.

An expansion can multiply a response at every level: with
``$expand=Thing/Datastreams/Thing/Datastreams``, every Datastream repeats its
Thing and every Thing all its Datastreams, so a few hundred rows become
millions of entities in the JSON. The reader shares expanded entities
between their parents in memory, so the rows it reads stay few; what grows is
the response. :class:`ResponseBudget` therefore counts two things, each
against its own limit, and refuses the request (HTTP 400 naming ``$expand`` or
``$top``) before anything is serialised:

* the rows read from the store for this request (:meth:`ResponseBudget.read`);
* the size of the response, entity by entity: every entity carries a
  :class:`Size` (itself plus the sizes of everything expanded under it, as
  often as it appears) that :meth:`ResponseBudget.attach` adds up bottom-up.

Sizes in bytes are estimates (the text read plus the links the entity will
carry), close enough to bound memory, not to predict ``Content-Length``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vkc.errors import InputError

#: the most entities (at every level, counting repeats) one response may hold
MAX_ENTITIES = 100_000
#: the most bytes, estimated, one response may hold
MAX_BYTES = 64 * 2**20
_LINK_BYTES = 48  # one navigation link's key and the part of its URL after the base


@dataclass(slots=True)
class Size:
    """How much of the response one entity makes, with what is expanded under it."""

    entities: int = 0
    bytes: int = 0

    def add(self, other: Size) -> None:
        self.entities += other.entities
        self.bytes += other.bytes


class ResponseBudget:
    """The limits of one request; ``has_expand`` decides which option a refusal names."""

    def __init__(self, *, has_expand: bool, max_entities: int = MAX_ENTITIES, max_bytes: int = MAX_BYTES) -> None:
        self.field = "$expand" if has_expand else "$top"
        self.max_entities = max_entities
        self.max_bytes = max_bytes
        self.rows_left = max_entities

    def rows_allowed(self) -> int:
        """How many more rows this request may read; a query asks for one more to tell when it went over."""
        return self.rows_left

    def read(self, count: int) -> None:
        """Account for ``count`` rows read; refuse the request once they pass the limit."""
        self.rows_left -= count
        if self.rows_left < 0:
            raise self._refusal(f"reads more than {self.max_entities:,} entities")

    def size_of_row(self, row: tuple[Any, ...], links: int, base: str) -> Size:
        """The estimated size of one entity decoded from ``row``, with ``links`` links under ``base``."""
        text = sum(len(value) for value in row if isinstance(value, str | bytes))
        return Size(1, text + 16 * len(row) + (links + 1) * (len(base) + _LINK_BYTES))

    def attach(self, parent: Size, child: Size) -> None:
        """``child`` is expanded under ``parent``; refuse the request when ``parent`` passes a limit."""
        parent.add(child)
        self.check(parent)

    def check_all(self, sizes: Iterable[Size]) -> None:
        """Refuse the request when ``sizes`` (a page's entities) together pass a limit."""
        total = Size()
        for size in sizes:
            self.attach(total, size)

    def check(self, size: Size) -> None:
        if size.entities > self.max_entities:
            raise self._refusal(f"would hold more than {self.max_entities:,} entities")
        if size.bytes > self.max_bytes:
            raise self._refusal(f"would hold more than {self.max_bytes // 2**20} MiB")

    def _refusal(self, what: str) -> InputError:
        hint = "expand fewer levels or set a lower $top inside $expand" if self.field == "$expand" else "set a lower $top or $select fewer properties"
        return InputError(f"{self.field}: the response {what}; {hint}", field=self.field)
