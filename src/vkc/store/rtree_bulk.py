"""Bulk-load an empty SQLite R*Tree by writing its shadow tables, as GDAL does for GeoPackage.

SQLite inserts into an R*Tree one entry at a time (about 9 µs each, whatever
the order): most of an import's time. When a layer's index is empty at the
start of a write, its entries are instead collected in memory (24 bytes
each), sorted along a Hilbert curve at commit time and packed bottom-up into
full nodes written straight into ``<rtree>_node``, ``<rtree>_rowid`` and
``<rtree>_parent``. SQLite's ``rtreecheck()`` validates the result (tests).

Node layout (SQLite ``rtree.c``): 2 bytes tree depth (root only), 2 bytes cell
count, then cells of an 8-byte rowid or child node number and four 32-bit
floats (minx, maxx, miny, maxy), all big-endian; minima rounded down and
maxima up to 32 bits. Every node blob has the root's length; the root is node 1.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from vkc.store.gpkg_schema import q

_HEADER = 4
_CELL_DTYPE = np.dtype([("id", ">i8"), ("minx", ">f4"), ("maxx", ">f4"), ("miny", ">f4"), ("maxy", ">f4")])
_CHUNK = 100_000
_ORDER = 16  # Hilbert grid of 2^16 x 2^16 cells over the world: ~0.6 x 0.3 km


def hilbert_keys(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Hilbert-curve index of points (degrees) on a fixed world grid: nearby points get nearby keys."""
    n = 1 << _ORDER
    x = np.clip(((cx + 180.0) / 360.0 * (n - 1)).astype(np.int64), 0, n - 1)
    y = np.clip(((cy + 90.0) / 180.0 * (n - 1)).astype(np.int64), 0, n - 1)
    d = np.zeros_like(x)
    s = n >> 1
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx
        x = np.where(flip, s - 1 - x, x)
        y = np.where(flip, s - 1 - y, y)
        swap = ~ry
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        s >>= 1
    return d


def rounded_boxes(bounds: np.ndarray) -> np.ndarray:
    """(minx, miny, maxx, maxy) float64 → (minx, maxx, miny, maxy) float32, rounded outwards as SQLite does."""
    b = np.asarray(bounds, dtype=np.float64)
    out = np.empty((len(b), 4), dtype=np.float32)
    for col, src, down in ((0, 0, True), (1, 2, False), (2, 1, True), (3, 3, False)):
        f = b[:, src].astype(np.float32)
        if down:
            f = np.where(f.astype(np.float64) > b[:, src], np.nextafter(f, np.float32(-np.inf)), f)
        else:
            f = np.where(f.astype(np.float64) < b[:, src], np.nextafter(f, np.float32(np.inf)), f)
        out[:, col] = f
    return out


class Staging:
    """Index entries collected for one table during a transaction; the last entry of a fid wins."""

    def __init__(self) -> None:
        self._fids: list[np.ndarray] = []
        self._boxes: list[np.ndarray] = []

    def add(self, fids: list[int] | np.ndarray, bounds: np.ndarray) -> None:
        self._fids.append(np.asarray(fids, dtype=np.int64))
        self._boxes.append(rounded_boxes(bounds))

    def remove(self, fids: list[int] | np.ndarray) -> None:
        """Tombstones: a NaN box drops the fid's entry at load time."""
        fids = np.asarray(fids, dtype=np.int64)
        self._fids.append(fids)
        self._boxes.append(np.full((len(fids), 4), np.nan, dtype=np.float32))

    def entries(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._fids:
            return np.empty(0, dtype=np.int64), np.empty((0, 4), dtype=np.float32)
        fids = np.concatenate(self._fids)
        boxes = np.concatenate(self._boxes)
        self._fids, self._boxes = [], []
        # keep the last entry of every fid, then drop tombstones
        _, last = np.unique(fids[::-1], return_index=True)
        keep = np.sort(len(fids) - 1 - last)
        fids, boxes = fids[keep], boxes[keep]
        live = ~np.isnan(boxes[:, 0])
        return fids[live], boxes[live]


def node_size(conn: sqlite3.Connection, rtree: str) -> int:
    return int(conn.execute(f"SELECT length(data) FROM {q(rtree + '_node')} WHERE nodeno = 1").fetchone()[0])


def load(conn: sqlite3.Connection, rtree: str, staging: Staging) -> int:
    """Replace the (empty) R*Tree ``rtree`` with a packed tree of the staged entries; returns their count.

    The leaf level, the only large one, is written in chunks so that memory stays
    at the staged entries plus one chunk.
    """
    fids, boxes = staging.entries()
    size = node_size(conn, rtree)
    fanout = (size - _HEADER) // _CELL_DTYPE.itemsize
    conn.execute(f"DELETE FROM {q(rtree + '_node')}")
    conn.execute(f"DELETE FROM {q(rtree + '_rowid')}")
    conn.execute(f"DELETE FROM {q(rtree + '_parent')}")
    n = len(fids)
    if n <= fanout:
        conn.execute(f"INSERT INTO {q(rtree + '_node')} VALUES (1, ?)", (_blobs(fids, boxes, size, fanout, 0)[0],))
        _link(conn, rtree, 0, fids, np.ones(n, dtype=np.int64))
        return n
    keys = np.empty(n, dtype=np.int64)
    for start in range(0, n, _CHUNK):
        b = boxes[start : start + _CHUNK]
        keys[start : start + _CHUNK] = hilbert_keys((b[:, 0] + b[:, 1]) / 2, (b[:, 2] + b[:, 3]) / 2)
    order = np.argsort(keys, kind="stable")
    del keys
    next_node = 2
    covers = []
    leaf_of = np.empty(n, dtype=np.int64)  # the leaf node of each entry, in Hilbert order
    step = fanout * (_CHUNK // fanout)
    for start in range(0, n, step):
        idx = order[start : start + step]
        ids, level_boxes = fids[idx], boxes[idx]
        groups = -(-len(ids) // fanout)
        nodenos = np.arange(next_node, next_node + groups, dtype=np.int64)
        next_node += groups
        conn.executemany(
            f"INSERT INTO {q(rtree + '_node')} (nodeno, data) VALUES (?, ?)",
            zip(nodenos.tolist(), _blobs(ids, level_boxes, size, fanout, None)),
        )
        leaf_of[start : start + len(ids)] = np.repeat(nodenos, fanout)[: len(ids)]
        covers.append(_covers(level_boxes, groups, fanout))
    _link(conn, rtree, 0, fids[order], leaf_of)
    ids, level_boxes = np.arange(2, next_node, dtype=np.int64), np.concatenate(covers)
    depth = 1
    while True:
        count = len(ids)
        if count <= fanout:  # this level fits in the root
            conn.execute(f"INSERT INTO {q(rtree + '_node')} VALUES (1, ?)", (_blobs(ids, level_boxes, size, fanout, depth)[0],))
            _link(conn, rtree, depth, ids, np.ones(count, dtype=np.int64))
            return n
        groups = -(-count // fanout)
        nodenos = np.arange(next_node, next_node + groups, dtype=np.int64)
        next_node += groups
        blobs = _blobs(ids, level_boxes, size, fanout, None)
        conn.executemany(f"INSERT INTO {q(rtree + '_node')} (nodeno, data) VALUES (?, ?)", zip(nodenos.tolist(), blobs))
        _link(conn, rtree, depth, ids, np.repeat(nodenos, fanout)[:count])
        level_boxes = _covers(level_boxes, groups, fanout)
        ids = nodenos
        depth += 1


def _covers(boxes: np.ndarray, groups: int, fanout: int) -> np.ndarray:
    """The box of each node: the union of its (up to ``fanout``) children's boxes."""
    pad = groups * fanout - len(boxes)
    padded = np.concatenate([boxes, np.full((pad, 4), np.nan, dtype=np.float32)]).reshape(groups, fanout, 4)
    return np.column_stack(
        [np.nanmin(padded[:, :, 0], axis=1), np.nanmax(padded[:, :, 1], axis=1), np.nanmin(padded[:, :, 2], axis=1), np.nanmax(padded[:, :, 3], axis=1)]
    ).astype(np.float32)


def _link(conn: sqlite3.Connection, rtree: str, depth: int, ids: np.ndarray, nodes: np.ndarray) -> None:
    """Leaf entries go to ``_rowid`` (rowid → leaf), inner ones to ``_parent`` (child → parent)."""
    table, cols = (rtree + "_rowid", "rowid, nodeno") if depth == 0 else (rtree + "_parent", "nodeno, parentnode")
    order = np.argsort(ids, kind="stable")  # appending in key order is much cheaper for SQLite's B-tree
    sql = f"INSERT INTO {q(table)} ({cols}) VALUES (?, ?)"
    for start in range(0, len(ids), _CHUNK):
        part = order[start : start + _CHUNK]
        conn.executemany(sql, zip(ids[part].tolist(), nodes[part].tolist()))


def _blobs(ids: np.ndarray, boxes: np.ndarray, size: int, fanout: int, depth: int | None) -> list[bytes]:
    count = len(ids)
    cells = np.zeros(count, dtype=_CELL_DTYPE)
    cells["id"] = ids
    for i, name in enumerate(("minx", "maxx", "miny", "maxy")):
        cells[name] = boxes[:, i]
    raw = cells.tobytes()
    step = fanout * _CELL_DTYPE.itemsize
    out = []
    for start in range(0, max(count, 1), fanout):
        chunk = raw[start * _CELL_DTYPE.itemsize : start * _CELL_DTYPE.itemsize + step]
        ncell = len(chunk) // _CELL_DTYPE.itemsize
        header = int(depth or 0).to_bytes(2, "big") + ncell.to_bytes(2, "big")
        out.append((header + chunk).ljust(size, b"\x00"))
    return out
