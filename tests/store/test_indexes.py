"""Property indexes (``vkc index``) on both backends: the planner uses them, results do not change, they travel with copies and exports.

Also the GeoPackage store's remembered counts: forgotten whenever the file changes, whoever writes it.
"""

from __future__ import annotations

import random
import sqlite3

import pytest
import shapely

from vkc.errors import InputError
from vkc.ogc.cql2 import parse_text
from vkc.store import Collection, Condition, Feature, Field, Query, open_store
from vkc.store.indexes import index_name

KINDS = ["residential", "commercial", "school", "clinic", "office", "market"]
N = 6000


def _fill(store, n: int = N) -> None:
    rng = random.Random(3)
    store.create_collection(Collection("pts", geometry_type="POINT", fields=[Field("kind"), Field("value", "real"), Field("n", "integer"), Field("tags", "json")]))
    store.upsert(
        "pts",
        [
            Feature(f"p{i}", shapely.Point(105 + rng.random(), 21 + rng.random()), {"kind": KINDS[i % 6], "value": round(rng.gammavariate(2, 20), 2), "n": i, "tags": None})
            for i in range(n)
        ],
    )


FILTERS = [
    "kind = 'clinic' AND value > 150",  # selective
    "kind = 'market' AND value > 10000",  # nothing
    "kind = 'school' AND value > 10",  # most of a kind
    "kind = 'school'",
    "kind IN ('clinic', 'office') AND value BETWEEN 20 AND 25",
    "value > 100 AND kind = 'clinic'",
    "kind = 'clinic' AND value > 150 AND n > 100",
    "kind = 'clinic' OR value > 180",
]


def _results(store) -> list:
    coll = store.schema("pts")
    out = []
    for text in FILTERS:
        expr = parse_text(text)
        for limit, offset in ((10, 0), (100, 0), (7, 20), (None, 0)):
            out.append([f.id for f in store.features(coll, Query(filter=expr, limit=limit, offset=offset))])
        out.append(store.count(coll, Query(filter=expr)))
        out.append(store.number_matched(coll, Query(filter=expr, limit=10))[0])
    out.append([f.id for f in store.features(coll, Query(where=(Condition("kind", "=", "clinic"),), limit=5))])
    return out


def _plan(store, text: str) -> str:
    """The query plan of a page of the filter, from a new connection (SQLite caches plans per statement)."""
    expr = parse_text(text)
    coll = store.schema("pts")
    if store.dialect.name == "sqlite":
        from vkc.store.gpkg_read import where_sql

        sql, params = where_sql(coll, Query(filter=expr, limit=101), select="t.fid, t.geom", order=True)
        conn = sqlite3.connect(store.path)
        try:
            return "\n".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        finally:
            conn.close()
    import psycopg
    from psycopg import sql as pgsql

    from vkc.store.postgis_read import select_list, where_sql

    with psycopg.connect(store.url, autocommit=True) as conn:
        conn.execute("ANALYZE pts")
        query = Query(filter=expr, limit=101)
        store._estimates.clear()
        stmt, params = where_sql(coll, query, select=select_list(coll.fields), order=True, sort_matches=store._sort_matches(conn, coll, query))
        rows = conn.execute(pgsql.SQL("EXPLAIN {}").format(stmt), params).fetchall()
    return "\n".join(r[0] for r in rows)


def test_the_planner_uses_the_index_and_results_stay_the_same(store):
    _fill(store)
    before = _results(store)
    name = index_name("pts", ("kind", "value"))
    assert name not in _plan(store, FILTERS[0])
    assert store.create_index("pts", ["kind", "value"]) is True
    for text in FILTERS[:2]:
        assert name in _plan(store, text), text
    assert _results(store) == before


def test_pages_of_filters_matching_many_rows_are_read_in_key_order(store):
    """A selective filter is found through the index and sorted; one matching a sixth of the rows fills its page from the first rows."""
    _fill(store)
    store.create_index("pts", ["kind", "value"])
    coll = store.schema("pts")
    many, few = Query(filter=parse_text("kind = 'school'"), limit=10), Query(filter=parse_text(FILTERS[0]), limit=100)
    if store.dialect.name == "sqlite":
        assert store._scan_in_order(coll, many) and not store._scan_in_order(coll, few)
        return
    import psycopg

    with psycopg.connect(store.url, autocommit=True) as conn:
        conn.execute("ANALYZE pts")
        assert store._sort_matches(conn, coll, few) and not store._sort_matches(conn, coll, many)


def test_create_is_idempotent_recorded_and_dropped(store):
    _fill(store, 50)
    assert store.indexes("pts") == []
    assert store.create_index("pts", ["kind", "value"]) is True
    assert store.create_index("pts", ["kind", "value"]) is False
    assert store.create_index("pts", ["n"]) is True
    assert store.indexes("pts") == [("kind", "value"), ("n",)]
    assert store.schema("pts").metadata["indexes"] == [["kind", "value"], ["n"]]
    # the store keeps its own key whatever metadata is set
    with store.transaction() as tx:
        tx.set_metadata("pts", {"source": "test", "indexes": [["bogus"]]})
    assert store.schema("pts").metadata == {"source": "test", "indexes": [["kind", "value"], ["n"]]}
    assert store.drop_index("pts", ["kind", "value"]) is True
    assert store.drop_index("pts", ["kind", "value"]) is False
    assert store.indexes("pts") == [("n",)]
    assert index_name("pts", ("kind", "value")) not in _plan(store, FILTERS[0])


@pytest.mark.parametrize(
    ("properties", "words"),
    [
        (["colour"], "has no property 'colour'; properties: kind, value, n, tags"),
        (["tags"], "holds JSON"),
        (["id"], "unique index"),
        (["kind", "kind"], "each property once"),
        ([], "at least one property"),
    ],
)
def test_clear_errors(store, properties, words):
    _fill(store, 10)
    with pytest.raises(InputError, match=words):
        store.create_index("pts", properties)
    assert store.indexes("pts") == []


def test_a_new_collection_does_not_take_indexes_from_metadata(store):
    store.create_collection(Collection("c", fields=[Field("a")], metadata={"indexes": [["a"]], "x": 1}))
    assert store.indexes("c") == [] and store.schema("c").metadata == {"x": 1}


def test_names_stay_within_postgresql_limits():
    long = index_name("a" * 63, ("b" * 60, "c" * 60))
    assert len(long) <= 63 and long != index_name("a" * 63, ("b" * 60, "c" * 61))


def test_widening_a_column_keeps_the_index(gpkg_store):
    _fill(gpkg_store, 20)
    gpkg_store.create_index("pts", ["kind", "n"])
    gpkg_store.upsert("pts", [Feature("x", shapely.Point(105, 21), {"n": 1.5, "kind": "clinic"})])  # n: integer → real, a rebuilt table
    assert gpkg_store.schema("pts").field_map()["n"].type == "real"
    names = {r[0] for r in sqlite3.connect(gpkg_store.path).execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert index_name("pts", ("kind", "n")) in names


def test_store_copy_and_gpkg_export_carry_the_indexes(store, tmp_path, pg_cluster):
    from vkc.layers import export_layer
    from vkc.store.copy import copy_store

    _fill(store, 30)
    store.create_index("pts", ["kind", "value"])
    other_url = pg_cluster.new_database() if store.dialect.name == "sqlite" else str(tmp_path / "copy.gpkg")
    with open_store(other_url) as other:
        assert copy_store(store, other).collections == {"pts": 30}
        assert other.indexes("pts") == [("kind", "value")]
        assert index_name("pts", ("kind", "value")) in _plan(other, "kind = 'clinic' AND value > 1000") or other.dialect.name == "postgres"
    out = tmp_path / "export.gpkg"
    export_layer(store, "pts", out)
    conn = sqlite3.connect(out)
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT fid FROM pts WHERE kind = 'clinic' AND value > 150"))
    assert index_name("pts", ("kind", "value")) in plan
    conn.close()


def test_gpkg_counts_follow_every_writer(gpkg_store):
    """Counts are remembered per file version: a write by the store, or by another program (GDAL, QGIS), is seen at once."""
    _fill(gpkg_store, 60)
    clinics = Query(filter=parse_text("kind = 'clinic'"))
    assert gpkg_store.count("pts", clinics) == 10 and gpkg_store.count("pts") == 60
    gpkg_store.delete("pts", ["p3"])  # a clinic, through the store
    assert gpkg_store.count("pts", clinics) == 9 and gpkg_store.count("pts") == 59
    other = sqlite3.connect(gpkg_store.path)  # another writer, as GDAL would be (with the R*Tree triggers' functions)
    for function in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        other.create_function(function, 1, lambda blob: 0)  # not called: no geometry changes
    with other:
        other.execute("UPDATE pts SET kind = 'clinic' WHERE vkc_id = 'p0'")
    assert gpkg_store.count("pts", clinics) == 10 and gpkg_store.collection("pts").count == 59
    with other:
        other.execute("DELETE FROM pts WHERE vkc_id IN ('p1', 'p2')")
    other.close()
    assert gpkg_store.count("pts") == 57 and gpkg_store.number_matched("pts", clinics) == (10, True)


def test_the_cli(vkc, tmp_path):
    db = str(tmp_path / "cli.gpkg")
    with open_store(db) as store:
        _fill(store, 20)
    made = vkc(["index", "create", "pts", "kind", "value", "--db", db])
    assert made.returncode == 0 and "created" in made.stdout
    again = vkc(["index", "create", "pts", "kind", "value", "--db", db])
    assert again.returncode == 0 and "exists already" in again.stdout
    listed = vkc(["index", "list", "--db", db])
    assert listed.stdout.strip() == "pts: kind, value"
    wrong = vkc(["index", "create", "pts", "colour", "--db", db])
    assert wrong.returncode == 1 and "has no property 'colour'" in wrong.stderr and "Traceback" not in wrong.stderr
    dropped = vkc(["index", "drop", "pts", "kind", "value", "--db", db])
    assert dropped.returncode == 0 and "dropped" in dropped.stdout
    assert vkc(["index", "list", "pts", "--json", "--db", db]).stdout.split() == ["{", '"pts":', "[]", "}"]
