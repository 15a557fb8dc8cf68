"""The store interface on both backends (GeoPackage file, PostGIS), plus the GeoPackage layout and its R*Tree."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import pytest
import shapely

from vkc.errors import CollectionNotFound, ConflictError, FeatureNotFound, InputError
from vkc.store import Collection, Condition, Feature, Field, Query, open_store
from vkc.store.model import OPEN_END

UTC = UTC


def _points(n: int, start: int = 0) -> list[Feature]:
    return [
        Feature(f"p{i}", shapely.Point(105.8 + i * 0.001, 21.0 + i * 0.001), {"n": i, "kind": "even" if i % 2 == 0 else "odd"})
        for i in range(start, start + n)
    ]


def _rtree_matches_table(store, name: str) -> None:
    """GeoPackage: every non-empty geometry has exactly its envelope in the R*Tree, and nothing else is there.

    (PostGIS keeps its GiST index itself.)
    """
    from vkc.store import gpkg_binary
    from vkc.store.gpkg import GeoPackageStore

    if not isinstance(store, GeoPackageStore):
        return
    conn = sqlite3.connect(store.path)
    rows = conn.execute(f'SELECT fid, geom FROM "{name}"').fetchall()
    tree = {r[0]: r[1:] for r in conn.execute(f'SELECT id, minx, maxx, miny, maxy FROM "rtree_{name}_geom"')}
    expected = {}
    for fid, blob in rows:
        g = gpkg_binary.decode_one(blob)
        if g is not None and not g.is_empty:
            minx, miny, maxx, maxy = g.bounds
            expected[fid] = (minx, maxx, miny, maxy)
    assert set(tree) == set(expected)
    for fid, env in expected.items():
        minx, maxx, miny, maxy = tree[fid]  # 32-bit floats, rounded outwards
        assert minx <= env[0] and maxx >= env[1] and miny <= env[2] and maxy >= env[3]
        assert tree[fid] == pytest.approx(env, abs=3e-5)
    conn.close()


def test_create_upsert_and_read_back(store):
    store.create_collection(Collection(name="stops", title="Bus stops", geometry_type="POINT"))
    result = store.upsert("stops", _points(10))
    assert (result.inserted, result.updated) == (10, 0)
    coll = store.collection("stops")
    assert coll.count == 10 and coll.title == "Bus stops"
    assert coll.field_map()["n"].type == "integer" and coll.field_map()["kind"].type == "text"
    assert coll.extent == pytest.approx((105.8, 21.0, 105.809, 21.009))
    f = store.feature("stops", "p3")
    assert f.properties == {"n": 3, "kind": "odd"} and f.geometry.equals(shapely.Point(105.803, 21.003))


def test_upsert_by_id_is_idempotent_and_replaces(store, store_path):
    store.create_collection(Collection(name="stops", geometry_type="POINT"))
    store.upsert("stops", _points(5))
    again = store.upsert("stops", [Feature("p1", shapely.Point(106.0, 22.0), {"n": 100})])
    assert (again.inserted, again.updated) == (0, 1)
    assert store.count("stops") == 5
    f = store.feature("stops", "p1")
    assert f.properties == {"n": 100, "kind": None} and f.geometry.equals(shapely.Point(106, 22))
    assert store.count("stops", Query(bbox=(105.99, 21.99, 106.01, 22.01))) == 1
    _rtree_matches_table(store, "stops")


def test_bbox_attribute_time_and_paging(store):
    store.create_collection(Collection(name="obs", geometry_type="POINT"))
    feats = _points(100)
    for i, f in enumerate(feats):
        f.time = datetime(2025, 1, 1, i % 24, tzinfo=UTC)
    store.upsert("obs", feats)
    in_box = list(store.features("obs", Query(bbox=(105.8, 21.0, 105.8095, 21.0095))))
    assert [f.id for f in in_box] == [f"p{i}" for i in range(10)]
    odd = store.count("obs", Query(where=(Condition("kind", "=", "odd"),)))
    assert odd == 50
    big = list(store.features("obs", Query(where=(Condition("n", ">=", 95),))))
    assert [f.properties["n"] for f in big] == [95, 96, 97, 98, 99]
    window = (datetime(2025, 1, 1, 5, tzinfo=UTC), datetime(2025, 1, 1, 6, tzinfo=UTC))
    assert store.count("obs", Query(time=window)) == sum(1 for i in range(100) if i % 24 in (5, 6))
    pages = [list(store.features("obs", Query(limit=30, offset=o))) for o in (0, 30, 60, 90)]
    ids = [f.id for page in pages for f in page]
    assert ids == [f"p{i}" for i in range(100)]  # stable order, no gaps, no repeats
    assert store.count("obs", Query(where=(Condition("n", "in", [1, 2, 3]),))) == 3


def test_bbox_is_exact_at_the_edges(store):
    """The R*Tree rounds to 32 bits (about 1 m here); a point 10 cm outside the box must not match."""
    store.create_collection(Collection(name="pts", geometry_type="POINT"))
    store.upsert("pts", [Feature("in", shapely.Point(105.8, 21.0), {}), Feature("out", shapely.Point(105.800001, 21.0), {})])
    box = (105.7, 20.9, 105.8, 21.1)
    assert [f.id for f in store.features("pts", Query(bbox=box))] == ["in"]
    assert store.count("pts", Query(bbox=box)) == 1
    assert store.count("pts", Query(bbox=(105.0, 20.0, 106.0, 22.0))) == 2


def test_bbox_is_exact_for_polygons(store):
    store.create_collection(Collection(name="areas", geometry_type="POLYGON"))
    # an L-shaped polygon whose envelope covers the query box but whose shape does not
    l_shape = shapely.Polygon([(105, 21), (106, 21), (106, 21.1), (105.1, 21.1), (105.1, 22), (105, 22)])
    store.upsert("areas", [Feature("l", l_shape, {})])
    assert store.count("areas", Query(bbox=(105.5, 21.5, 105.9, 21.9))) == 0
    assert store.count("areas", Query(bbox=(105.01, 21.5, 105.05, 21.6))) == 1


def test_intervals_and_open_end(store):
    store.create_collection(Collection(name="units", geometry_type="POINT"))
    store.upsert(
        "units",
        [
            Feature("old", shapely.Point(105, 21), {}, time=datetime(2008, 8, 1, tzinfo=UTC), time_end=datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC)),
            Feature("new", shapely.Point(105, 21), {}, time=datetime(2025, 7, 1, tzinfo=UTC), time_end=OPEN_END),
        ],
    )
    at = lambda d: [f.id for f in store.features("units", Query(time=(d, d)))]  # noqa: E731
    assert at(datetime(2025, 6, 30, 12, tzinfo=UTC)) == ["old"]
    assert at(datetime(2026, 11, 25, tzinfo=UTC)) == ["new"]
    assert store.feature("units", "new").time_end == OPEN_END


def test_delete_and_missing(store, store_path):
    store.create_collection(Collection(name="stops", geometry_type="POINT"))
    store.upsert("stops", _points(5))
    assert store.delete("stops", ["p0", "p4", "nope"]).deleted == 2
    assert store.count("stops") == 3
    assert store.collection("stops").extent == pytest.approx((105.801, 21.001, 105.803, 21.003), abs=1e-12)  # never the R*Tree's 32-bit bounds
    with pytest.raises(FeatureNotFound):
        store.feature("stops", "p0")
    with pytest.raises(CollectionNotFound):
        store.count("nothing")
    _rtree_matches_table(store, "stops")


def test_one_feature_follows_collections_changed_elsewhere(store, store_url):
    """``feature`` reads no schema first: a collection dropped, or made again with other fields, by another process is seen at once."""
    from vkc.store import open_store

    store.create_collection(Collection(name="stops", geometry_type="POINT"))
    store.upsert("stops", _points(2))
    assert store.feature("stops", "p1").properties == {"n": 1, "kind": "odd"}
    for internal in ("vkc_records", "gpkg_contents", "spatial_ref_sys", "nothing"):
        with pytest.raises(CollectionNotFound):
            store.feature(internal, "p1")
    with open_store(store_url) as other:
        other.drop_collection("stops")
        with pytest.raises(CollectionNotFound):
            store.feature("stops", "p1")
        other.create_collection(Collection(name="stops", geometry_type="POINT"))
        other.upsert("stops", [Feature("p1", shapely.Point(105.8, 21.0), {"label": "again"})])
    assert store.feature("stops", "p1").properties == {"label": "again"}
    with pytest.raises(FeatureNotFound):
        store.feature("stops", "p0")


def test_one_feature_from_an_event_loop_many_at_once(store):
    """The first async reads arrive together (a server just started): each gets its feature, errors stay the sync ones."""
    import asyncio

    store.create_collection(Collection(name="stops", geometry_type="POINT"))
    store.upsert("stops", _points(5))

    async def read_all() -> list[Feature]:
        try:
            reads = asyncio.gather(*(store.feature_async("stops", f"p{i % 5}") for i in range(20)))
            found = await asyncio.wait_for(reads, 30)  # opening the pool twice at once once hung here
            with pytest.raises(FeatureNotFound):
                await store.feature_async("stops", "nope")
            with pytest.raises(CollectionNotFound):
                await store.feature_async("vkc_records", "p1")
            return found
        finally:
            await store.close_async()

    found = asyncio.run(read_all())
    assert [f.id for f in found] == [f"p{i % 5}" for i in range(20)]
    assert found[3] == store.feature("stops", "p3")


def test_failed_transaction_leaves_nothing(store):
    store.create_collection(Collection(name="stops", geometry_type="POINT"))
    store.upsert("stops", _points(3))
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.upsert("stops", _points(10, start=3))
            tx.create_collection(Collection(name="other"))
            raise RuntimeError("boom")
    assert store.count("stops") == 3
    assert [c.name for c in store.collections()] == ["stops"]


def test_type_widening_rebuilds_declared_type(gpkg_store, store_path):
    store = gpkg_store
    store.create_collection(Collection(name="t", geometry_type="POINT"))
    store.upsert("t", [Feature("a", shapely.Point(105, 21), {"v": 1})])
    store.upsert("t", [Feature("b", shapely.Point(105, 21), {"v": 1.5})])
    assert store.collection("t").field_map()["v"].type == "real"
    store.upsert("t", [Feature("c", shapely.Point(105, 21), {"v": "n/a"})])
    assert store.collection("t").field_map()["v"].type == "text"
    conn = sqlite3.connect(store_path)
    declared = {r[1]: r[2] for r in conn.execute('PRAGMA table_info("t")')}
    assert declared["v"] == "TEXT"
    _rtree_matches_table(store, "t")


def test_same_title_twice_is_fine(store):
    """gpkg_contents.identifier is unique: it holds the collection name, the title lives in our metadata."""
    store.create_collection(Collection(name="a", title="Trạm"))
    store.create_collection(Collection(name="b", title="Trạm"))
    assert [c.title for c in store.collections()] == ["Trạm", "Trạm"]


def test_bad_names_and_types_are_refused(store):
    with pytest.raises(InputError, match="invalid collection name"):
        store.create_collection(Collection(name="Bad Name"))
    with pytest.raises(InputError, match="reserved"):
        Field("fid", "integer")
    store.create_collection(Collection(name="pts", geometry_type="POINT", fields=[Field("Name", "text")]))
    with pytest.raises(InputError, match="letter case"):
        store.upsert("pts", [Feature("a", shapely.Point(105, 21), {"name": "x"})])
    with pytest.raises(InputError, match="Polygon"):
        store.upsert("pts", [Feature("b", shapely.box(105, 21, 106, 22), {})])
    with pytest.raises(ConflictError):
        store.create_collection(Collection(name="pts"))
    with pytest.raises(InputError, match="duplicate feature ids"):
        store.upsert("pts", [Feature("x", None, {}), Feature("x", None, {})])


def test_promotion_to_multi_keeps_everything(store, store_path):
    store.create_collection(Collection(name="areas", geometry_type="POLYGON"))
    store.upsert("areas", [Feature("a", shapely.box(105, 21, 105.1, 21.1), {"k": 1})])
    with store.transaction() as tx:
        tx.set_geometry_type("areas", "MULTIPOLYGON")
    f = store.feature("areas", "a")
    assert f.geometry.geom_type == "MultiPolygon" and f.properties == {"k": 1}
    assert store.collection("areas").geometry_type == "MULTIPOLYGON"
    _rtree_matches_table(store, "areas")


def test_readers_run_while_a_writer_holds_the_lock(store_path):
    s = open_store(store_path)
    s.create_collection(Collection(name="stops", geometry_type="POINT"))
    s.upsert("stops", _points(100))
    seen = []
    with s.transaction() as tx:
        tx.upsert("stops", _points(100, start=100))

        def read() -> None:
            seen.append(s.count("stops"))

        t = threading.Thread(target=read)
        t.start()
        t.join(5)
    assert seen == [100]  # the reader saw the last committed state, without waiting
    assert s.count("stops") == 200
    s.close()


def test_not_a_geopackage(tmp_path):
    bad = tmp_path / "x.gpkg"
    bad.write_text("hello")
    with pytest.raises(InputError, match="not a GeoPackage"):
        open_store(bad)
    with pytest.raises(InputError, match="does not exist"):
        open_store(tmp_path / "missing.gpkg", create=False)
    with pytest.raises(InputError, match="postgresql"):
        open_store("mysql://x")
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE accounts (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="not a GeoPackage"):
        open_store(other)
    assert [r[0] for r in sqlite3.connect(other).execute("SELECT name FROM sqlite_master")] == ["accounts"]


def test_geopackage_header_and_tables(gpkg_store, store_path):
    store = gpkg_store
    store.create_collection(Collection(name="stops", geometry_type="POINT"))
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 10300
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    ext = conn.execute("SELECT table_name, column_name, extension_name FROM gpkg_extensions ORDER BY extension_name").fetchall()
    assert ext == [(None, None, "gdal_aspatial"), ("stops", "geom", "gpkg_rtree_index")]
    assert conn.execute("SELECT table_name FROM gpkg_contents").fetchall() == [("stops",)]  # no platform table
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    rtree = {f"rtree_stops_geom_{s}" for s in ("insert", "update1", "update2", "update3", "update4", "delete")}
    assert triggers == rtree | {"vkc_audit_no_update", "vkc_audit_no_delete"}  # and the audit trail's, which keep it append-only


@pytest.mark.parametrize("n", [0, 1, 51, 52, 2601, 2602, 20_000])
def test_bulk_loaded_rtree_passes_sqlite_rtreecheck(gpkg_store, store_path, n, monkeypatch):
    """The packed R*Tree written straight into the shadow tables is one SQLite itself accepts."""
    store = gpkg_store
    import numpy as np

    from vkc.store import rtree_bulk

    monkeypatch.setattr(rtree_bulk, "_CHUNK", 1000)  # several leaf chunks even for small n

    rng = np.random.default_rng(n)
    xy = np.column_stack([rng.uniform(102, 109, n), rng.uniform(8, 23, n)])
    store.create_collection(Collection(name="pts", geometry_type="POINT"))
    with store.transaction() as tx:
        tx.upsert("pts", [Feature(f"p{i}", shapely.Point(*xy[i]), {}) for i in range(n // 2)])
        tx.upsert("pts", [Feature(f"p{i}", shapely.Point(*xy[i]), {}) for i in range(n // 2, n)])
        tx.delete("pts", ["p0"])
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT rtreecheck('rtree_pts_geom')").fetchone()[0] == "ok"
    conn.close()
    _rtree_matches_table(store, "pts")
    box = (104.0, 10.0, 106.0, 21.0)
    expected = sum(1 for i in range(1, n) if box[0] <= xy[i, 0] <= box[2] and box[1] <= xy[i, 1] <= box[3])
    assert store.count("pts", Query(bbox=box)) == expected
    # later writes go through SQLite's own R*Tree code on top of the packed tree
    store.upsert("pts", [Feature(f"q{i}", shapely.Point(105, 15), {}) for i in range(100)])
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT rtreecheck('rtree_pts_geom')").fetchone()[0] == "ok"
    conn.close()


def test_single_geometries_in_a_multi_collection_become_one_part_multis(store, store_path):
    store.create_collection(Collection(name="areas", geometry_type="MULTIPOLYGON"))
    store.upsert("areas", [Feature("a", shapely.box(105, 21, 105.1, 21.1), {}), Feature("b", shapely.MultiPolygon([shapely.box(106, 21, 106.1, 21.1)]), {})])
    a = store.feature("areas", "a").geometry
    assert a.geom_type == "MultiPolygon" and a.equals(shapely.box(105, 21, 105.1, 21.1))
    with pytest.raises(InputError):
        store.upsert("areas", [Feature("c", shapely.Point(105, 21), {})])
    _rtree_matches_table(store, "areas")


def test_records_round_trip_and_replace(store):
    assert store.get_record("token", "k1") is None
    store.put_record("token", "k1", {"role": "editor", "name": "Hà Nội IOC"})
    store.put_record("token", "k0", {"role": "admin"})
    store.put_record("token", "k1", {"role": "editor", "revoked": True})
    assert store.get_record("token", "k1") == {"role": "editor", "revoked": True}
    assert [k for k, _ in store.records("token")] == ["k0", "k1"]
    assert store.records("other") == []


def test_feature_for_update_reads_inside_the_transaction(store):
    store.create_collection(Collection(name="pts", geometry_type="POINT", fields=[Field("n", "integer")]))
    store.upsert("pts", [Feature(id="a", geometry=shapely.Point(105, 21), properties={"n": 1})])
    with store.transaction() as tx:
        assert tx.feature_for_update("pts", "missing") is None
        current = tx.feature_for_update("pts", "a")
        assert current.properties == {"n": 1} and current.geometry.equals(shapely.Point(105, 21))
        tx.upsert("pts", [Feature(id="a", geometry=current.geometry, properties={"n": 2})])
    assert store.feature("pts", "a").properties == {"n": 2}


def test_a_stream_left_open_does_not_hide_later_writes_from_the_same_thread(store):
    """A page being sent holds its read open; reads meanwhile on the same thread see what was written since."""
    store.create_collection(Collection(name="stops", geometry_type="POINT"))
    store.upsert("stops", _points(10))
    stream = iter(store.features("stops", Query()))
    assert next(stream).id == "p0"
    store.put_record("note", "after", {"v": 1})
    store.upsert("stops", _points(1, start=10))
    assert store.get_record("note", "after") == {"v": 1}
    assert store.feature("stops", "p10").id == "p10" and store.count("stops") == 11
    assert [f.id for f in stream] == [f"p{i}" for i in range(1, 10)]  # the stream itself reads its own moment
