"""PostGIS specifics: schema versions, index use (EXPLAIN), copying between backends both ways."""

from __future__ import annotations

import psycopg
import pytest
import shapely

from vkc.demo import build_demo
from vkc.errors import StoreError
from vkc.store import Collection, Feature, Query, open_store
from vkc.store.copy import copy_store
from vkc.store.postgis_read import where_sql


def _dump(store):
    return {
        c.name: [(f.id, shapely.to_wkb(f.geometry) if f.geometry is not None else None, f.properties, f.time, f.time_end) for f in store.features(c.name, Query())]
        for c in store.collections()
    }


def test_round_trip_gpkg_postgis_gpkg_is_identical(tmp_path, pg_cluster):
    with open_store(tmp_path / "a.gpkg") as a:
        build_demo(a)
        original = _dump(a)
        meta = {c.name: (c.geometry_type, c.fields, c.metadata) for c in a.collections()}
        url = pg_cluster.new_database()
        with open_store(url) as pg:
            counts = copy_store(a, pg)
            assert counts.collections == {name: len(rows) for name, rows in original.items()}
            assert _dump(pg) == original
            with open_store(tmp_path / "b.gpkg") as b:
                copy_store(pg, b)
                copy_store(pg, b)  # twice: ids are kept, nothing doubles
                assert _dump(b) == original
                assert {c.name: (c.geometry_type, c.fields, c.metadata) for c in b.collections()} == meta


def test_queries_use_the_indexes(pg_cluster):
    with open_store(pg_cluster.new_database()) as store:
        store.create_collection(Collection(name="pts", geometry_type="POINT"))
        from datetime import UTC, datetime, timedelta

        t0 = datetime(2025, 1, 1, tzinfo=UTC)
        store.upsert("pts", [Feature(str(i), shapely.Point(105 + (i % 100) / 100, 20 + (i // 100) / 100), {"n": i}, time=t0 + timedelta(hours=i)) for i in range(20_000)])
        coll = store.collection("pts")
        with psycopg.connect(store.url) as conn:
            conn.execute("ANALYZE pts")
            for query, index in ((Query(bbox=(105.1, 20.1, 105.12, 20.12)), "pts_geom_gist"), (Query(time=(t0, t0 + timedelta(hours=3))), "pts_time")):
                stmt, params = where_sql(coll, query, select=psycopg.sql.SQL("t.fid"), order=True)
                plan = "\n".join(r[0] for r in conn.execute(psycopg.sql.SQL("EXPLAIN ") + stmt, params))
                assert index in plan, plan


def test_a_server_that_is_down_gives_a_clear_error(pg_cluster):
    url = pg_cluster.url("postgres").replace(f":{pg_cluster.port}/", ":1/")
    with pytest.raises(StoreError, match="cannot connect to postgresql://postgres@127.0.0.1:1/postgres"):
        open_store(url)


def test_cli_copy_and_upgrade(vkc, tmp_path, pg_cluster):
    src = tmp_path / "demo.gpkg"
    assert vkc(["demo", "--db", str(src), "--no-serve"]).returncode == 0
    url = pg_cluster.new_database()
    r = vkc(["store", "copy", "--from", str(src), "--to", url, "-c", "aq_stations", "-c", "wards"])
    assert r.returncode == 0, r.stderr
    assert "aq_stations: 32 features" in r.stdout and "wards:" in r.stdout
    r = vkc(["db", "upgrade", "--db", url])
    assert r.returncode == 0 and "schema versions: store 3, " in r.stdout and "sensors 1" in r.stdout
    r = vkc(["store", "copy", "--from", str(tmp_path / "missing.gpkg"), "--to", url])
    assert r.returncode == 1 and "does not exist" in r.stderr


def test_concurrent_writers_lose_nothing(pg_cluster):
    import threading

    with open_store(pg_cluster.new_database()) as store:
        store.create_collection(Collection(name="pts", geometry_type="POINT"))
        errors: list[Exception] = []

        def writer(k: int) -> None:
            try:
                for j in range(20):
                    store.upsert("pts", [Feature(f"{k}-{j}", shapely.Point(105, 21), {"k": k}), Feature("shared", shapely.Point(105, 21), {"k": k})])
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert store.count("pts") == 4 * 20 + 1


@pytest.mark.slow
def test_killing_the_server_mid_import_leaves_nothing_half_written(tmp_path):
    """The database dies during an import: a clear error, and after restart the store is as before."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from pg_cluster import Cluster

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import make_data

    big = tmp_path / "big.geojson"
    make_data.points(big, 300_000)
    cluster = Cluster()
    try:
        url = cluster.new_database()
        with open_store(url) as s:
            s.create_collection(Collection(name="big", geometry_type="POINT"))
            s.upsert("big", [Feature("x", shapely.Point(105.8, 21.0), {"n": 1})])
        proc = subprocess.Popen([sys.executable, "-m", "vkc", "import", "layer", str(big), "--collection", "big", "--db", url], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        with psycopg.connect(url, autocommit=True) as watcher:  # kill while the import is writing, not before or after
            while not watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state = 'active' AND query ILIKE 'COPY%'"
            ).fetchone()[0]:
                assert proc.poll() is None and time.monotonic() < deadline, "the import finished before it was seen writing"
                time.sleep(0.01)
        cluster.kill()
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 1 and stderr.startswith("error: the database failed") and "Traceback" not in stderr, stderr
        cluster.start()
        with open_store(url) as s:
            assert s.count("big") == 1 and s.feature("big", "x").properties == {"n": 1}
    finally:
        cluster.stop()
