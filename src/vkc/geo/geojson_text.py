"""GeoJSON geometry text written in bulk, without GEOS's GeoJSON writer.

Coordinates go from shapely's ragged arrays (one coordinate array and its
offsets per geometry family) straight to orjson's numpy serialiser. The decimal
text is the same shortest round-trip form GEOS writes, so a client reads back
the very doubles stored, and a page of polygons is written about 2.5 times
faster (``bench/results/api.md``). Empty geometries, linear rings, collections
and families mixing 2D and 3D go through ``shapely.to_geojson``, as do
small inputs, for which it is the faster.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import orjson
import shapely

from vkc.geo.geometry_types import type_name

#: the single and multi type ids of each family ``shapely.to_ragged_array`` writes
_FAMILIES = ((0, 4), (1, 5), (3, 6))
_SINGLE_IDS = frozenset({0, 1, 3})
_FEW_COORDINATES = 2000


def geojson_texts(geoms: np.ndarray) -> list[bytes | None]:
    """Each geometry's GeoJSON ``geometry`` member as UTF-8 text (None for a missing geometry)."""
    out: list[bytes | None] = [None] * len(geoms)
    if shapely.get_num_coordinates(geoms).sum() < _FEW_COORDINATES:  # the set-up below costs more than it saves
        return [None if text is None else text.encode() for text in shapely.to_geojson(geoms).tolist()]
    types = shapely.get_type_id(geoms)
    plain = ~shapely.is_empty(geoms)
    has_z = shapely.has_z(geoms)
    written = np.zeros(len(geoms), dtype=bool)
    for family in _FAMILIES:
        members = np.flatnonzero(np.isin(types, family) & plain)
        if not len(members):
            continue
        z = has_z[members]
        if z.any() and not z.all():
            continue  # a family mixing 2D and 3D: the fallback writes each as it is
        kind, coords, offsets = shapely.to_ragged_array(geoms[members], include_z=bool(z[0]))
        unwrap_single = kind.name.startswith("MULTI")  # singles mixed with multi-parts come back as one-part multis
        for index, coordinates in zip(members.tolist(), _nested(coords, offsets)):
            type_id = int(types[index])
            if unwrap_single and type_id in _SINGLE_IDS:
                coordinates = coordinates[0]
            out[index] = orjson.dumps({"type": type_name(type_id), "coordinates": coordinates}, option=orjson.OPT_SERIALIZE_NUMPY)
        written[members] = True
    rest = np.flatnonzero(~written & (types >= 0))
    if len(rest):
        for index, text in zip(rest.tolist(), shapely.to_geojson(geoms[rest]).tolist()):
            out[index] = text.encode()
    return out


def _nested(coords: np.ndarray, offsets: tuple[np.ndarray, ...]) -> list[Any]:
    """Per geometry, its coordinates nested as GeoJSON nests them (row views of ``coords``, no copies)."""
    parts: Any = coords
    for level in offsets:
        bounds = level.tolist()
        parts = [parts[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]
    return list(parts)


class TextCache:
    """GeoJSON texts of large geometries, remembered by content (their WKB), least recently used first out.

    A server hands out the same boundaries again and again (a page of provinces is
    100 000 coordinates, about 9 ms to write); keying one costs its WKB and a hash
    of it, about a tenth of that. Keyed by content, an entry can never be stale:
    a changed or reprojected geometry is another key. Thread-safe.
    """

    def __init__(self, max_bytes: int = 64 << 20, min_coordinates: int = 1000) -> None:
        self.max_bytes = max_bytes
        self.min_coordinates = min_coordinates
        self._texts: OrderedDict[bytes, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def texts(self, geoms: np.ndarray) -> list[bytes | None]:
        """``geojson_texts(geoms)``, the large geometries' texts from the cache where they are in it."""
        large = np.flatnonzero(shapely.get_num_coordinates(geoms) >= self.min_coordinates)
        if not len(large):
            return geojson_texts(geoms)
        keys = shapely.to_wkb(geoms[large]).tolist()
        with self._lock:
            found = [self._texts.get(k) for k in keys]
            for k, text in zip(keys, found):
                if text is not None:
                    self._texts.move_to_end(k)
        missing = np.ones(len(geoms), dtype=bool)
        missing[large[[i for i, text in enumerate(found) if text is not None]]] = False
        out: list[bytes | None] = [None] * len(geoms)
        if missing.any():
            for index, text in zip(np.flatnonzero(missing).tolist(), geojson_texts(geoms[missing])):
                out[index] = text
        new: list[tuple[bytes, bytes]] = []
        for index, key, text in zip(large.tolist(), keys, found):
            if text is None:
                new.append((key, out[index]))  # type: ignore[arg-type]  # a large geometry has a text
            else:
                out[index] = text
        if new:
            with self._lock:
                for key, text in new:
                    if key not in self._texts:
                        self._texts[key] = text
                        self._bytes += len(key) + len(text)
                while self._bytes > self.max_bytes and self._texts:
                    key, text = self._texts.popitem(last=False)
                    self._bytes -= len(key) + len(text)
        return out
