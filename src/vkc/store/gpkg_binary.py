"""GeoPackage binary geometry (GeoPackage 1.3, clause 2.1.3), vectorised.

A blob is ``'GP'``, a version byte (0), a flags byte, the int32 ``srs_id``,
an optional envelope, then ISO WKB. Points carry no envelope (as GDAL writes
them); other geometries carry [minx, maxx, miny, maxy]; empty geometries set
the empty flag and a NaN envelope.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

SRS_ID_WGS84 = 4326
_LITTLE = 0x01
_ENV_XY = 0x02  # envelope indicator 1 in bits 1-3
_EMPTY = 0x10
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_HEAD_POINT = struct.pack("<2sBBi", b"GP", 0, _LITTLE, SRS_ID_WGS84)
_HEAD_ENV = struct.Struct("<2sBBi4d")
_NAN4 = (float("nan"),) * 4


def encode(geometries: np.ndarray) -> tuple[list[bytes | None], np.ndarray]:
    """Encode an object array of shapely geometries (or None).

    Returns the blobs and their bounds as an (N, 4) array of
    (minx, miny, maxx, maxy), NaN for missing or empty geometries.
    """
    geometries = np.asarray(geometries, dtype=object)
    wkb = shapely.to_wkb(geometries, flavor="iso", byte_order=1, output_dimension=2)
    bounds = shapely.bounds(geometries)
    type_ids = shapely.get_type_id(geometries)
    empty = shapely.is_empty(geometries)
    if (type_ids == 0).all() and not empty.any():  # the common all-points case: one constant header
        head = _HEAD_POINT
        return [head + w for w in wkb.tolist()], bounds
    blobs: list[bytes | None] = []
    append = blobs.append
    pack = _HEAD_ENV.pack
    for w, b, t, e in zip(wkb.tolist(), bounds.tolist(), type_ids.tolist(), empty.tolist()):
        if w is None:
            append(None)
        elif e:
            append(pack(b"GP", 0, _LITTLE | _ENV_XY | _EMPTY, SRS_ID_WGS84, *_NAN4) + w)
        elif t == 0:
            append(_HEAD_POINT + w)
        else:
            append(pack(b"GP", 0, _LITTLE | _ENV_XY, SRS_ID_WGS84, b[0], b[2], b[1], b[3]) + w)
    return blobs, bounds


_MULTI_OF = {0: 4, 1: 5, 3: 6}


def promote(blobs: list[bytes | None], type_ids: np.ndarray, multi_type_id: int) -> tuple[list[bytes | None], np.ndarray]:
    """Single geometries as one-part multis (MultiPoint 4, MultiLineString 5, MultiPolygon 6), on the bytes.

    A WKB multi-geometry is its own header and count followed by the parts' WKB,
    so wrapping needs no decoding.
    """
    single = multi_type_id - 3
    idx = np.flatnonzero(type_ids == single)
    if not idx.size:
        return blobs, type_ids
    out = list(blobs)
    wrap = struct.pack("<BII", 1, multi_type_id, 1)
    for i in idx.tolist():
        blob = out[i]
        assert blob is not None
        offset = wkb_offset(blob)
        out[i] = blob[:offset] + wrap + blob[offset:]
    new_ids = type_ids.copy()
    new_ids[idx] = multi_type_id
    return out, new_ids


def wkb_offset(blob: bytes) -> int:
    """Where the WKB starts inside a GeoPackage blob."""
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob (no 'GP' magic)")
    return 8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0x07]


def decode(blobs: list[bytes | None]) -> np.ndarray:
    """Decode GeoPackage blobs into an object array of shapely geometries."""
    wkb = [None if b is None else b[wkb_offset(b) :] for b in blobs]
    return shapely.from_wkb(np.array(wkb, dtype=object))


def decode_one(blob: bytes | None) -> BaseGeometry | None:
    if blob is None:
        return None
    return shapely.from_wkb(blob[wkb_offset(blob) :])


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a blob, or None if null or empty: the ST_* helpers of the R*Tree triggers."""
    if blob is None or blob[3] & _EMPTY:
        return None
    if (blob[3] >> 1) & 0x07:
        return struct.unpack_from("<4d", blob, 8)
    minx, miny, maxx, maxy = shapely.bounds(decode_one(blob)).tolist()
    return (minx, maxx, miny, maxy)


def register_trigger_functions(conn: sqlite3.Connection) -> None:
    """``ST_IsEmpty``, ``ST_MinX``, ``ST_MaxX``, ``ST_MinY`` and ``ST_MaxY`` of GeoPackage blobs on ``conn``: the
    functions the R*Tree triggers call (GDAL defines them on its own connections), so that rows written on
    ``conn`` with the triggers in place keep the index in step."""

    def is_empty(blob: bytes | None) -> int | None:
        return None if blob is None else int(envelope(blob) is None)

    def bound(i: int) -> Callable[[bytes | None], float | None]:
        def value(blob: bytes | None) -> float | None:
            box = envelope(blob)
            return None if box is None else box[i]

        return value

    conn.create_function("ST_IsEmpty", 1, is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, bound(i), deterministic=True)
