"""Rate limits per client address and per token: a token bucket each, answered with 429 and Retry-After.

Every request takes one unit from the bucket of its address and, when it
carries a token (``vkc_<id>_…``, Bearer or Basic), from the bucket of that
token id too, so one token cannot be spread over many addresses to go faster.
A bucket holds ``burst`` units and refills at ``rate`` a second. Buckets live
in the serving process: with ``--workers N`` each worker keeps its own, so
the limit a client meets is up to N times the setting. A ``rate`` of 0
turns the limits off (benchmarks on loopback do).
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from vkc.auth import presented_token
from vkc.errors import AuthenticationError, TooManyRequests
from vkc.web.problems import problem

_TOKEN_ID = re.compile(r"vkc_([0-9a-f]{8})_")
MAX_BUCKETS = 100_000


@dataclass(slots=True)
class _Bucket:
    units: float
    stamp: float


class RateLimits:
    """ASGI middleware: ``rate`` requests a second per address and per token, bursts of ``burst``."""

    def __init__(self, app: ASGIApp, *, rate: float, burst: int) -> None:
        self.app, self.rate, self.burst = app, rate, burst
        self.buckets: dict[bytes, _Bucket] = {}
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rate <= 0:
            await self.app(scope, receive, send)
            return
        keys = [b"addr:" + str((scope.get("client") or ("?", 0))[0]).encode()]
        token = _token_id(scope)
        if token is not None:
            keys.append(b"token:" + token)
        wait = max(self._take(key) for key in keys)
        if wait > 0:
            seconds = math.ceil(wait)
            refusal = TooManyRequests(f"too many requests; at most {self.rate:g} a second (bursts of {self.burst}); try again in {seconds} s", retry_after=seconds)
            await problem(refusal, scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _take(self, key: bytes) -> float:
        """Take one unit from ``key``'s bucket; 0 if there was one, else the seconds until there is."""
        now = time.monotonic()
        with self.lock:
            bucket = self.buckets.get(key)
            if bucket is None:
                if len(self.buckets) >= MAX_BUCKETS:
                    self._forget_full(now)
                bucket = self.buckets[key] = _Bucket(self.burst, now)
            bucket.units = min(self.burst, bucket.units + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.units >= 1:
                bucket.units -= 1
                return 0.0
            return (1 - bucket.units) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled (they hold nothing a new one would not)."""
        full = [k for k, b in self.buckets.items() if b.units + (now - b.stamp) * self.rate >= self.burst]
        for key in full or list(self.buckets)[: MAX_BUCKETS // 10]:
            del self.buckets[key]


def _token_id(scope: Scope) -> bytes | None:
    header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
    if header is None:
        return None
    try:
        token = presented_token(header.decode("latin-1"))
    except AuthenticationError:
        return None
    match = _TOKEN_ID.match(token)
    return match.group(1).encode() if match else None
