"""A guard on how deep a JSON file nests, read as a stream, before a streaming parser builds anything.

A streaming parser (ijson) keeps the path to every value it reports, so a
file of 200 KB nested 100 000 deep costs it gigabytes. :class:`DepthGuard`
wraps the binary file the parser reads and scans each chunk first, at numpy
speed: brackets outside strings (quotes escaped by an odd run of
backslashes do not end a string, across chunk boundaries too) are counted,
and the read fails with a :class:`~vkc.errors.FormatError` as soon as the
depth passes the limit.
"""

from __future__ import annotations

from typing import IO

import numpy as np

from vkc.errors import FormatError

#: deeper than any GeoJSON geometry and than what a property can be stored as (254 levels of JSON)
MAX_DEPTH = 256
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


class DepthGuard:
    """``fh`` as ijson reads it (``read``), refusing JSON nested more than ``limit`` levels; ``path`` names the file in the error."""

    def __init__(self, fh: IO[bytes], path: str, limit: int = MAX_DEPTH) -> None:
        self.fh, self.path, self.limit = fh, path, limit
        self.depth = 0
        self.in_string = False
        self.backslashes = 0  # the run of backslashes that ended the previous chunk
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size)
        if chunk:
            self._scan(chunk)
        return chunk

    def _scan(self, chunk: bytes) -> None:
        a = np.frombuffer(chunk, dtype=np.uint8)
        n = a.size
        positions = np.arange(n)
        last_other = np.maximum.accumulate(np.where(a != _BACKSLASH, positions, -1))
        quotes = np.flatnonzero(a == _QUOTE)
        if quotes.size:
            before = quotes - 1
            last = np.where(before >= 0, last_other[np.maximum(before, 0)], -1)
            run = before - last  # backslashes right before each quote
            run = np.where(last < 0, run + self.backslashes, run)
            real = quotes[run % 2 == 0]
        else:
            real = quotes
        toggles = np.zeros(n, dtype=np.int64)
        toggles[real] = 1
        inside = ((np.cumsum(toggles) - toggles + int(self.in_string)) & 1).astype(bool)
        delta = np.where(inside, 0, _OPEN[a]).astype(np.int64)
        depth = self.depth + np.cumsum(delta)
        if depth.size and depth.max() > self.limit:
            at = self.offset + int(np.argmax(depth > self.limit))
            raise FormatError(f"{self.path}: the JSON nests more than {self.limit} levels deep (at byte {at:,}); GeoJSON needs far fewer", field="file")
        self.depth = int(depth[-1])
        self.in_string = bool((int(self.in_string) + real.size) & 1)
        self.backslashes = self.backslashes + n if last_other[-1] < 0 else n - 1 - int(last_other[-1])
        self.offset += n
