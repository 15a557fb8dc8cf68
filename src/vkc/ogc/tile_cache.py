"""Vector tiles kept in memory, each with the revision of its collection: a tile is built again only when that changes.

Low-zoom tiles cost the most (the whole layer cut and simplified) and are the
ones every visitor's first view asks for: the provinces at zoom 4–6 on the
portal's home map. The store says when a collection changes
(``Store.collection_revision``: every write through the platform, in any
process); a writer outside the platform (GDAL, QGIS, SQL) may not say so, hence
a bound on how long a tile is kept, :data:`KEEP_SECONDS`. A store that cannot
tell keeps nothing. At most :data:`MAX_BYTES` per process, the least recently
used going first.

The costly-request bound (:mod:`vkc.layers.costly`) lets a tile that is held
here through at once: answering it costs a lookup.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from typing import Any

#: seconds a tile is kept whatever its collection's revision says (writers outside the platform)
KEEP_SECONDS = 60.0
#: bytes of tiles one process keeps: $VKC_TILE_CACHE_MB megabytes (default 64; 0 keeps none, as a benchmark of the
#: tiles' building wants)
MAX_BYTES = int(float(os.environ.get("VKC_TILE_CACHE_MB", "64")) * 1024 * 1024)

#: (store, collection, z, x, y)
Key = tuple[Any, str, int, int, int]


class TileCache:
    """A bounded LRU of tiles by key, each valid for one revision of its collection and at most ``keep`` seconds."""

    def __init__(self, max_bytes: int = MAX_BYTES, keep: float = KEEP_SECONDS) -> None:
        self.max_bytes, self.keep = max_bytes, keep
        self._tiles: OrderedDict[Key, tuple[str, float, bytes]] = OrderedDict()
        self._bytes = 0
        #: (collection, z, x, y) -> when a tile of that address was last kept, whatever the store
        self._addresses: dict[tuple[str, int, int, int], float] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Key, revision: str) -> bytes | None:
        with self._lock:
            entry = self._tiles.get(key)
            if entry is None or entry[0] != revision or time.monotonic() - entry[1] > self.keep:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return entry[2]

    def put(self, key: Key, revision: str, tile: bytes) -> None:
        if len(tile) > self.max_bytes // 16:  # one tile never crowds out the rest (and none is kept at 0)
            return
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= len(old[2])
            now = time.monotonic()
            self._tiles[key] = (revision, now, tile)
            self._addresses[key[1:]] = now
            self._bytes += len(tile)
            while self._bytes > self.max_bytes:
                dropped_key, (_, _, dropped) = self._tiles.popitem(last=False)
                self._addresses.pop(dropped_key[1:], None)
                self._bytes -= len(dropped)

    def holds(self, collection: str, z: int, x: int, y: int) -> bool:
        """Whether a tile of that address is kept and young enough, for any store (its revision is checked when it is asked for)."""
        with self._lock:
            stored = self._addresses.get((collection, z, x, y))
        return stored is not None and time.monotonic() - stored <= self.keep

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self._addresses.clear()
            self._bytes = 0


#: this process's tiles
TILES = TileCache()
