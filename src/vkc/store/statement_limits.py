"""How long one statement may run, so that one expensive query cannot starve the others.

PostgreSQL has it built in: ``statement_timeout``, set on every connection of
the store's pools. SQLite has no timer, but calls a progress handler every
:data:`STEPS` virtual-machine instructions: :class:`StatementClock` adds up
the time a statement keeps the machine busy and interrupts it past the
limit. A statement starts its clock afresh (SQLite's trace callback marks
each start); the pauses while the caller handles a row it was given (a gap
of more than :data:`PAUSE` between two calls) do not count, so a streamed
result is judged by the database's work, as PostgreSQL judges each fetch
of a cursor.

Either way, the interrupted statement raises :class:`vkc.errors.QueryTimeout`
(503) through :func:`database_error`, the one place database errors become
the platform's.
"""

from __future__ import annotations

import sqlite3
import time

import psycopg

from vkc.errors import QueryTimeout, StoreError, VKCError, first_line

#: virtual-machine instructions between two calls of the progress handler (a fraction of a millisecond)
STEPS = 10_000
#: a longer gap between two calls is the caller's time, not the statement's
PAUSE = 0.005


class StatementClock:
    """Interrupts a SQLite statement once it has kept the database busy for longer than ``limit`` seconds."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.busy = 0.0
        self.last = time.monotonic()

    def install(self, conn: sqlite3.Connection) -> None:
        conn.set_trace_callback(self._started)
        conn.set_progress_handler(self._progress, STEPS)

    def _started(self, _statement: str) -> None:
        self.busy, self.last = 0.0, time.monotonic()

    def _progress(self) -> int:
        now = time.monotonic()
        gap, self.last = now - self.last, now
        if gap < PAUSE:
            self.busy += gap
        return 1 if self.busy > self.limit else 0  # non-zero: SQLite stops the statement ("interrupted")


def postgres_options(limit: float) -> dict[str, str]:
    """Connection keywords that give every statement of a PostgreSQL connection ``limit`` seconds."""
    return {"options": f"-c statement_timeout={max(1, round(limit * 1000))}"}


def is_timeout(exc: BaseException) -> bool:
    """Whether a driver's error says the statement ran past its limit."""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return True
    return isinstance(exc, sqlite3.OperationalError) and str(exc) == "interrupted"


def database_error(exc: sqlite3.Error | psycopg.Error, what: str = "the database") -> VKCError:
    """The platform's error for a driver's: a statement past its limit is the caller's to narrow (503), the rest the store's (500, "``what`` failed")."""
    if is_timeout(exc):
        return QueryTimeout(
            "the query ran longer than this server allows one statement; ask for less: a smaller area or page, a more selective filter"
        )
    return StoreError(f"{what} failed: {first_line(exc)}")


__all__ = ["PAUSE", "STEPS", "StatementClock", "database_error", "is_timeout", "postgres_options"]
