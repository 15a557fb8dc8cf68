"""Costly requests wait their turn: a few at a time in each server process, a short queue, 503 with Retry-After beyond it.

A request is costly when its cost grows with the data rather than with what a
dashboard shows; the components say which of their requests are
(``Component.costly``: for the features component a page of more than 100
features, an items request with a CQL2 ``filter``, a vector tile below zoom 11,
see :mod:`vkc.layers.costly`). Under load, such
requests each held a worker thread, a database connection and a share of the
process's one interpreter for seconds; with a few dozen of them in flight, an
items page of 20 features or a station's latest AQI waited behind them (200
clients on 2 cores: p99 of 4–5 s for every dashboard read, ``bench/run_load.py``).

:class:`CostlyRequests` is ASGI middleware in front of the routes: at most
``concurrency`` costly requests run at once in a process; the next ``queue``
wait in order, holding no thread and no connection while they wait, for at most
``wait`` seconds, and leave the queue as soon as their client goes away (a map
cancels the tiles it no longer needs while it moves: they must not hold the
places of the ones it asks for next). A costly request beyond the queue, or one that waited its
``wait`` out, is answered ``503`` with ``Retry-After`` (problem type ``busy``),
counted in :attr:`CostlyRequests.shed` and logged (at most every
:data:`LOG_EVERY` seconds, with the count since the last line). Cheap requests
never pass through the queue. ``concurrency`` 0 turns the bound off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vkc.config import COSTLY_CONCURRENCY
from vkc.errors import ServerBusy
from vkc.web.problems import problem

LOGGER = logging.getLogger(__name__)

#: costly requests waiting in one process beyond those running; more are answered 503 at once
COSTLY_QUEUE = 16
#: seconds a costly request waits for its turn before it is answered 503
COSTLY_WAIT = 10.0
#: the Retry-After of a shed request, seconds
RETRY_AFTER = 2
#: seconds between two log lines about shed requests
LOG_EVERY = 10.0


#: why a waiting request left the queue when its client went away
_GONE = "client gone"
#: how a component says a request to its routes is costly: (method, path, query string) → why, or None
Classifier = Callable[[str, str, str], str | None]


def costly_kind(scope: Scope, classifiers: Sequence[Classifier]) -> str | None:
    """Why the request of ``scope`` is costly, as the first component that says so puts it; None when none does."""
    method, path, query = scope.get("method", ""), scope["path"], scope.get("query_string", b"").decode("latin-1")
    return next((kind for classify in classifiers if (kind := classify(method, path, query)) is not None), None)


class CostlyRequests:
    """ASGI middleware: ``concurrency`` costly requests at a time per process, ``queue`` more waiting up to ``wait`` s, 503 beyond."""

    def __init__(
        self, app: ASGIApp, *, classifiers: Sequence[Classifier], concurrency: int = COSTLY_CONCURRENCY, queue: int = COSTLY_QUEUE, wait: float = COSTLY_WAIT
    ) -> None:
        self.app, self.classifiers, self.concurrency, self.queue, self.wait = app, tuple(classifiers), concurrency, queue, wait
        self.running = 0
        self.waiting: deque[asyncio.Future[bool]] = deque()
        #: costly requests answered 503, by reason ("queue full", "waited too long")
        self.shed: dict[str, int] = {}
        #: costly requests whose client went away while they waited (answered nothing, never run)
        self.abandoned = 0
        self._unlogged = 0
        self._logged_at = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = costly_kind(scope, self.classifiers) if scope["type"] == "http" and self.concurrency > 0 and self.classifiers else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        if not self._free_turn():
            receive, refused = await self._wait_for_turn(receive)
            if refused == _GONE:
                self.abandoned += 1
                return
            if refused:
                await self._refuse(kind, refused, scope, receive, send)
                return
        try:
            await self.app(scope, receive, send)
        finally:
            self._release()

    async def _wait_for_turn(self, receive: Receive) -> tuple[Receive, str | None]:
        """Wait for a turn while listening for the client's going away; the messages read meanwhile are given to the app again."""
        read: list[Message] = []
        gone = asyncio.Event()

        async def listen() -> None:
            while True:
                message = await receive()
                read.append(message)
                if message["type"] == "http.disconnect":
                    gone.set()
                    return

        listener = asyncio.ensure_future(listen())
        try:
            refused = await self._acquire(gone)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

        async def replayed() -> Message:
            return read.pop(0) if read else await receive()

        return replayed, refused

    async def _acquire(self, gone: asyncio.Event | None = None) -> str | None:
        """Take a turn; None once it is this request's, else why not (``_GONE`` when ``gone`` is set first)."""
        if self._free_turn():
            return None
        if len(self.waiting) >= self.queue:
            return "queue full"
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[bool] = loop.create_future()  # True: the turn is this request's; False: its wait is over
        self.waiting.append(turn)
        timer = loop.call_later(self.wait, _expire, turn)
        try:
            if gone is not None:
                client_gone: asyncio.Future[bool] = asyncio.ensure_future(gone.wait())
                try:
                    await asyncio.wait((turn, client_gone), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    client_gone.cancel()
                if not turn.done():
                    turn.set_result(False)
                    return _GONE
            granted = await turn
        except BaseException:
            if turn.done() and not turn.cancelled() and turn.result():  # the turn came just as the request was cancelled
                self._release()
            raise
        finally:
            timer.cancel()
            if turn in self.waiting:
                self.waiting.remove(turn)
        return None if granted else "waited too long"

    def _free_turn(self) -> bool:
        """Take a turn if one is free and nobody waits for it."""
        if self.running < self.concurrency and not self.waiting:
            self.running += 1
            return True
        return False

    def _release(self) -> None:
        """End a turn: the first request still waiting gets it, else one fewer runs."""
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(True)
                return
        self.running -= 1

    async def _refuse(self, kind: str, reason: str, scope: Scope, receive: Receive, send: Send) -> None:
        self.shed[reason] = self.shed.get(reason, 0) + 1
        self._unlogged += 1
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY:
            LOGGER.warning("shed %d costly requests (503) since the last report; now %s (%s): %s", self._unlogged, kind, reason, scope["path"])
            self._unlogged, self._logged_at = 0, now
        busy = ServerBusy(
            f"the server is busy with other costly requests ({kind}: {self.concurrency} at a time, {self.queue} waiting); "
            f"try again in {RETRY_AFTER} s, or ask for less (a smaller page, a higher zoom)",
            retry_after=RETRY_AFTER,
        )
        await problem(busy, scope["path"])(scope, receive, send)


def _expire(turn: asyncio.Future[bool]) -> None:
    if not turn.done():
        turn.set_result(False)
