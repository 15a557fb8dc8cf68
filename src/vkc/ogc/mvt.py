"""Mapbox Vector Tile 2.1 encoding of shapely geometries in tile coordinates, vectorised with numpy.

Input geometries are already in the tile's integer grid (0..extent, y down).
The protobuf wire format is written directly: a tile is one ``Layer`` with
``Feature`` messages whose geometry is the spec's command stream (MoveTo,
LineTo, ClosePath; zig-zag encoded deltas). Polygon exterior rings are
clockwise in tile coordinates (positive area with y down), holes the other
way round, as the spec requires.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import shapely

_POINT, _LINE, _POLYGON = 1, 2, 3
_MOVE, _LINE_TO, _CLOSE = 1, 2, 7


_FEW = 24  # below this many values a Python loop is faster than numpy's set-up


def varints(values: np.ndarray | list[int]) -> bytes:
    """Protobuf varints of non-negative integers (< 2**35), all at once."""
    if len(values) < _FEW:
        items = values.tolist() if isinstance(values, np.ndarray) else values
        return b"".join([_SMALL[n] if n < _SMALL_BELOW else _varint(n) for n in items])
    v = np.asarray(values, dtype=np.uint64)
    groups = np.stack([(v >> np.uint64(7 * i)) & np.uint64(0x7F) for i in range(5)], axis=1).astype(np.uint8)
    length = np.ones(v.shape, dtype=np.int64)
    for i in range(1, 5):
        length += v >= np.uint64(1 << (7 * i))
    keep = np.arange(5)[None, :] < length[:, None]
    more = np.arange(5)[None, :] < (length[:, None] - 1)
    groups |= (more * 0x80).astype(np.uint8)
    return groups[keep].tobytes()


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL_BELOW = 1 << 14
_SMALL = [_varint(n) for n in range(_SMALL_BELOW)]  # the one- and two-byte varints, ready


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    n = len(payload)
    return _SMALL[(number << 3) | 2] + (_SMALL[n] if n < _SMALL_BELOW else _varint(n)) + payload


def _zigzag(d: np.ndarray) -> np.ndarray:
    d = d.astype(np.int64)
    return ((d << 1) ^ (d >> 63)).astype(np.uint64)


def _path(coords: np.ndarray, cursor: np.ndarray, *, closed: bool) -> list[np.ndarray]:
    """Commands for one line or ring (integer coords, repeated points removed); updates the cursor."""
    if closed:
        coords = coords[:-1]  # ClosePath returns to the start
    deltas = np.diff(np.vstack([cursor, coords]), axis=0)
    keep = np.ones(len(deltas), dtype=bool)
    keep[1:] = np.any(deltas[1:] != 0, axis=1)
    deltas, coords = deltas[keep], coords[keep]
    minimum = 3 if closed else 2
    if len(coords) < minimum:
        return []
    cursor[:] = coords[-1]
    zz = _zigzag(deltas).reshape(-1)
    parts = [np.array([(1 << 3) | _MOVE], dtype=np.uint64), zz[:2], np.array([((len(coords) - 1) << 3) | _LINE_TO], dtype=np.uint64), zz[2:]]
    if closed:
        parts.append(np.array([(1 << 3) | _CLOSE], dtype=np.uint64))
    return parts


def _ring_area(coords: np.ndarray) -> float:
    x, y = coords[:, 0], coords[:, 1]
    return float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) / 2


def encode_geometry(geom: shapely.Geometry) -> tuple[int, np.ndarray] | None:
    """(type, command stream) of a geometry in integer tile coordinates; None if nothing is left."""
    kind = shapely.get_type_id(geom)
    if kind == 0 and not geom.is_empty:  # a Point, the most common feature of a tile: no arrays
        x, y = int(geom.x), int(geom.y)
        return _POINT, np.array([(1 << 3) | _MOVE, (x << 1) ^ (x >> 63), (y << 1) ^ (y >> 63)], dtype=np.uint64)
    cursor = np.zeros(2, dtype=np.int64)
    parts: list[np.ndarray] = []
    if kind in (0, 4):  # Point, MultiPoint
        pts = shapely.get_coordinates(geom).astype(np.int64)
        if len(pts) == 0:
            return None
        deltas = np.diff(np.vstack([cursor, pts]), axis=0)
        parts = [np.array([(len(pts) << 3) | _MOVE], dtype=np.uint64), _zigzag(deltas).reshape(-1)]
        return _POINT, np.concatenate(parts)
    if kind in (1, 5):  # LineString, MultiLineString
        for line in shapely.get_parts(geom):
            parts += _path(shapely.get_coordinates(line).astype(np.int64), cursor, closed=False)
        return (_LINE, np.concatenate(parts)) if parts else None
    if kind in (3, 6):  # Polygon, MultiPolygon
        for poly in shapely.get_parts(geom):
            rings = shapely.get_rings(poly)
            for i, ring in enumerate(rings):
                coords = shapely.get_coordinates(ring).astype(np.int64)
                area = _ring_area(coords)
                if area == 0:
                    if i == 0:
                        break  # the exterior collapsed: skip the polygon
                    continue
                exterior = i == 0
                if (area > 0) != exterior:  # exterior: positive area with y down (clockwise on screen)
                    coords = coords[::-1]
                parts += _path(coords, cursor, closed=True)
        return (_POLYGON, np.concatenate(parts)) if parts else None
    if kind == 7:  # GeometryCollection: its first non-empty part
        for part in shapely.get_parts(geom):
            encoded = encode_geometry(part)
            if encoded:
                return encoded
    return None


def _value(value: Any) -> bytes:
    if isinstance(value, bool):
        return _varint((7 << 3) | 0) + (b"\x01" if value else b"\x00")
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return _varint((6 << 3) | 0) + _varint(((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF)
    if isinstance(value, float):
        return _varint((3 << 3) | 1) + struct.pack("<d", value)
    return _field(1, str(value).encode())


class LayerEncoder:
    """Collects features of one layer and writes the tile."""

    def __init__(self, name: str, extent: int = 4096) -> None:
        self.name, self.extent = name, extent
        self._keys: dict[str, int] = {}
        self._values: dict[tuple[type, Any], int] = {}
        self._features: list[bytes] = []

    def add(self, geom: shapely.Geometry, properties: dict[str, Any], feature_id: int | None = None) -> bool:
        encoded = encode_geometry(geom)
        if encoded is None:
            return False
        kind, commands = encoded
        tags: list[int] = []
        for key, value in properties.items():
            if value is None or isinstance(value, (dict, list)):
                continue
            k = self._keys.setdefault(key, len(self._keys))
            v = self._values.setdefault((type(value), value), len(self._values))
            tags += (k, v)
        body = b""
        if feature_id is not None and feature_id >= 0:
            body += _varint((1 << 3) | 0) + _varint(feature_id)
        if tags:
            body += _field(2, varints(tags))
        body += _varint((3 << 3) | 0) + _varint(kind) + _field(4, varints(commands))
        self._features.append(_field(2, body))
        return True

    def __len__(self) -> int:
        return len(self._features)

    def tile(self) -> bytes:
        if not self._features:
            return b""
        layer = _varint((15 << 3) | 0) + _varint(2) + _field(1, self.name.encode())
        layer += b"".join(self._features)
        layer += b"".join(_field(3, k.encode()) for k in self._keys)
        layer += b"".join(_field(4, _value(v)) for (_, v) in self._values)
        layer += _varint((5 << 3) | 0) + _varint(self.extent)
        return _field(3, layer)
