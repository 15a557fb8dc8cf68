"""GeoPackage: writes of a few features leave the R*Tree to its triggers and the file's schema as it was, so reads under way never fail."""

from __future__ import annotations

import sqlite3
import threading

import shapely

from vkc.store import Collection, Feature, Field, Query, gpkg_write
from vkc.store.gpkg import GeoPackageStore


def _schema_version(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA schema_version").fetchone()[0]
    finally:
        conn.close()


def _rtree_in_step(store: GeoPackageStore, name: str) -> None:
    """rtreecheck passes, and the index holds each non-empty geometry's envelope (32-bit, rounded outwards) and nothing else."""
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute(f"SELECT rtreecheck('rtree_{name}_geom')").fetchone()[0] == "ok"
        tree = {r[0]: r[1:] for r in conn.execute(f'SELECT id, minx, maxx, miny, maxy FROM "rtree_{name}_geom"')}
        expected = {}
        for fid, blob in conn.execute(f'SELECT fid, geom FROM "{name}"'):
            g = None if blob is None else shapely.from_wkb(blob[8 + (32 if (blob[3] >> 1) & 7 else 0) :])
            if g is not None and not g.is_empty:
                expected[fid] = g.bounds
    finally:
        conn.close()
    assert set(tree) == set(expected)
    for fid, (minx, miny, maxx, maxy) in expected.items():
        tminx, tmaxx, tminy, tmaxy = tree[fid]
        assert tminx <= minx and tmaxx >= maxx and tminy <= miny and tmaxy >= maxy
        assert max(minx - tminx, tmaxx - maxx, miny - tminy, tmaxy - maxy) < 3e-5


def _filled(path) -> GeoPackageStore:
    store = GeoPackageStore(str(path))
    store.create_collection(Collection(name="stops", geometry_type="POINT", fields=[Field("n", "integer")]))
    store.create_collection(Collection(name="areas", geometry_type="POLYGON", fields=[Field("n", "integer")]))
    store.upsert("stops", [Feature(f"s{i}", shapely.Point(105.8 + i / 1000, 21.0), {"n": i}) for i in range(50)])  # the first rows: packed in bulk
    store.upsert("areas", [Feature(f"a{i}", shapely.box(105.8 + i / 100, 21.0, 105.805 + i / 100, 21.01), {"n": i}) for i in range(20)])
    return store


def test_small_writes_keep_the_schema_and_the_index_in_step(store_path):
    store = _filled(store_path)
    try:
        before = _schema_version(store_path)
        store.upsert("stops", [Feature("new", shapely.Point(106.0, 21.5), {"n": 100})])  # insert
        store.upsert("stops", [Feature("s1", shapely.Point(106.1, 21.6), {"n": 1})])  # geometry moved
        store.upsert("stops", [Feature("s2", shapely.Point(105.802, 21.0), {"n": 22})])  # properties only
        store.upsert("stops", [Feature("s3", None, {"n": 3})])  # geometry gone
        store.upsert("stops", [Feature("s4", shapely.Point(), {"n": 4})])  # geometry empty
        store.upsert("stops", [Feature("s3", shapely.Point(105.9, 21.1), {"n": 3})])  # and back
        store.upsert("areas", [Feature("a1", shapely.box(106, 22, 106.5, 22.5), {"n": 1}), Feature("a99", shapely.box(100, 10, 100.1, 10.1), {"n": 99})])
        store.delete("stops", ["s5"])
        with store.transaction() as tx:  # a small write, then a big one in the same transaction: the big one takes over
            tx.upsert("stops", [Feature("t0", shapely.Point(107, 16), {"n": 0})])
            tx.upsert("stops", [Feature(f"b{i}", shapely.Point(104 + i / 10_000, 10), {"n": i}) for i in range(gpkg_write.BULK_ROWS)])
            tx.upsert("stops", [Feature("t1", shapely.Point(107.1, 16.1), {"n": 1})])
        assert _schema_version(store_path) > before  # the bulk write dropped and recreated the triggers, as before
        after_bulk = _schema_version(store_path)
        store.upsert("stops", [Feature("t2", shapely.Point(107.2, 16.2), {"n": 2})])
        assert _schema_version(store_path) == after_bulk
        store.close()
        store = GeoPackageStore(str(store_path))
        for name in ("stops", "areas"):
            _rtree_in_step(store, name)
        assert {f.id for f in store.features("stops", Query(bbox=(106.05, 21.55, 106.15, 21.65)))} == {"s1"}
        assert {f.id for f in store.features("stops", Query(bbox=(106.95, 15.95, 107.25, 16.25)))} == {"t0", "t1", "t2"}
        assert store.count("stops", Query(bbox=(103.9, 9.9, 104.2, 10.1))) == gpkg_write.BULK_ROWS
        assert {f.id for f in store.features("areas", Query(bbox=(99.9, 9.9, 100.2, 10.2)))} == {"a99"}
        assert store.feature("stops", "s3").geometry.equals(shapely.Point(105.9, 21.1))
        fids = {f.id: f for f in store.features("stops", Query(limit=10_000))}
        assert len(fids) == 50 + 1 + 2 + 1 - 1 + gpkg_write.BULK_ROWS
        with sqlite3.connect(store_path) as conn:
            triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'stops'")}
        assert triggers == {f"rtree_stops_geom_{s}" for s in ("insert", "update1", "update2", "update3", "update4", "delete")}
    finally:
        store.close()


def test_reads_under_way_never_fail_while_features_are_written_one_at_a_time(store_path):
    """Each write changed the schema twice; readers mid-query then failed now and then (7 in 1 860 reads beside 415 writes)."""
    store = _filled(store_path)
    failures: list[str] = []
    done = threading.Event()
    reads = [0]

    def reader() -> None:
        while not done.is_set():
            try:
                list(store.features("stops", Query(bbox=(105.7, 20.9, 106.3, 21.8), limit=100)))
                store.count("stops", Query(bbox=(105.7, 20.9, 106.3, 21.8)))
                reads[0] += 1
            except Exception as exc:  # noqa: BLE001  (any failure is the finding)
                failures.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(600):
            store.upsert("stops", [Feature(f"w{i}", shapely.Point(105.9 + (i % 100) / 1000, 21.2), {"n": i})])
    finally:
        done.set()
        for t in threads:
            t.join()
        store.close()
    assert failures == [] and reads[0] > 0
