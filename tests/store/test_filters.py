"""Filter expressions, sorting and property selection, translated to SQL on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import shapely

from vkc.errors import InputError
from vkc.store import filters as F
from vkc.store.model import OPEN_END, Collection, Feature, Field, Query


def _t(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


ROWS = [
    # id, lon, lat, name, pop, area, ok, opened, time, time_end
    ("a", 105.80, 21.00, "Hà Nội", 100, 1.5, True, "2020-01-01", _t(1), None),
    ("b", 105.90, 21.10, "Hải Phòng", 50, 2.5, False, "2021-06-30", _t(2), _t(4)),
    ("c", 106.60, 10.80, "Hồ Chí Minh", 200, None, True, None, _t(5), OPEN_END),
    ("d", 108.20, 16.05, "Đà Nẵng", None, 0.5, None, "2019-12-31", None, _t(3)),
    ("e", 105.78, 10.03, "100%_sure", 10, 3.0, False, "2022-02-02", None, None),
]


@pytest.fixture
def cities(store):
    store.create_collection(
        Collection(
            name="cities",
            geometry_type="POINT",
            fields=[Field("name", "text"), Field("pop", "integer"), Field("area", "real"), Field("ok", "boolean"), Field("opened", "date")],
        )
    )
    store.upsert(
        "cities",
        [
            Feature(
                id=i,
                geometry=shapely.Point(x, y),
                properties={"name": n, "pop": p, "area": a, "ok": ok, "opened": o},
                time=t0,
                time_end=t1,
            )
            for i, x, y, n, p, a, ok, o, t0, t1 in ROWS
        ],
    )
    return store


def ids(store, expr, **kw) -> list[str]:
    return sorted(f.id for f in store.features("cities", Query(filter=expr, **kw)))


P = F.Prop


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (F.Compare("=", P("name"), "Hà Nội"), ["a"]),
        (F.Compare("<>", P("name"), "Hà Nội"), ["b", "c", "d", "e"]),
        (F.Compare(">", P("pop"), 50), ["a", "c"]),
        (F.Compare("<=", 50, P("pop")), ["a", "b", "c"]),  # literal on the left
        (F.Compare(">=", P("area"), 2), ["b", "e"]),  # integer literal against a real property
        (F.Compare("=", P("ok"), True), ["a", "c"]),
        (F.Compare("<", P("opened"), date(2020, 6, 1)), ["a", "d"]),
        (F.Compare("=", P("id"), "c"), ["c"]),
        (F.And((F.Compare(">", P("pop"), 20), F.Compare("=", P("ok"), True))), ["a", "c"]),
        (F.Or((F.Compare("=", P("id"), "a"), F.Compare("=", P("id"), "e"))), ["a", "e"]),
        (F.Not(F.Compare(">", P("pop"), 20)), ["e"]),  # SQL semantics: null population is unknown, not matched
        (F.IsNull(P("pop")), ["d"]),
        (F.Not(F.IsNull(P("area"))), ["a", "b", "d", "e"]),
        (F.Like(P("name"), "H%"), ["a", "b", "c"]),
        (F.Like(P("name"), "h%"), []),  # case-sensitive, as CQL2 says
        (F.Like(P("name"), "H_i%"), ["b"]),
        (F.Like(P("name"), "100\\%\\_%"), ["e"]),  # escaped wildcards match themselves
        (F.Like(P("name"), "%Nẵng"), ["d"]),
        (F.Between(P("pop"), 50, 100), ["a", "b"]),
        (F.In(P("name"), ("Đà Nẵng", "Hải Phòng", "nowhere")), ["b", "d"]),
        (F.In(P("pop"), ()), []),
        (F.BoolValue(True), ["a", "b", "c", "d", "e"]),
        (F.BoolValue(False), []),
        (F.IsNull(P("datetime")), ["e"]),
    ],
)
def test_attribute_filters(cities, expr, expected):
    assert ids(cities, expr) == expected
    assert cities.count("cities", Query(filter=expr)) == len(expected)


HANOI_BOX = shapely.box(105.5, 20.8, 106.0, 21.2)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (F.Spatial("s_intersects", P("geometry"), HANOI_BOX), ["a", "b"]),
        (F.Spatial("s_intersects", HANOI_BOX, P("geometry")), ["a", "b"]),
        (F.Spatial("s_within", P("geometry"), HANOI_BOX), ["a", "b"]),
        (F.Spatial("s_contains", HANOI_BOX, P("geometry")), ["a", "b"]),
        (F.Spatial("s_disjoint", P("geometry"), HANOI_BOX), ["c", "d", "e"]),
        (F.Spatial("s_equals", P("geometry"), shapely.Point(108.2, 16.05)), ["d"]),
        (F.Spatial("s_touches", P("geometry"), shapely.box(105.8, 21.0, 105.85, 21.05)), ["a"]),  # on the corner
        (F.Spatial("s_contains", P("geometry"), HANOI_BOX), []),
        (F.Spatial("s_crosses", P("geometry"), shapely.LineString([(105, 21), (106, 21)])), []),
        (F.Spatial("s_overlaps", P("geometry"), HANOI_BOX), []),
        (F.And((F.Spatial("s_intersects", P("geometry"), HANOI_BOX), F.Compare(">", P("pop"), 60))), ["a"]),
        (F.Or((F.Spatial("s_intersects", P("geometry"), HANOI_BOX), F.Compare("=", P("id"), "e"))), ["a", "b", "e"]),
    ],
)
def test_spatial_filters(cities, expr, expected):
    assert ids(cities, expr) == expected


# a: instant 1 Jan; b: [2 Jan, 4 Jan]; c: [5 Jan, open); d: (open, 3 Jan]; e: no time
@pytest.mark.parametrize(
    ("op", "other", "expected"),
    [
        ("t_after", _t(1, 12), ["b", "c"]),
        ("t_before", _t(2, 12), ["a"]),
        ("t_before", _t(3, 12), ["a", "d"]),
        ("t_intersects", F.Interval(_t(3), _t(4)), ["b", "d"]),
        ("t_intersects", F.Interval(None, _t(1)), ["a", "d"]),
        ("t_intersects", F.Interval(_t(10), None), ["c"]),
        ("t_intersects", date(2024, 1, 1), ["a", "d"]),  # a date is the whole day
        ("t_disjoint", F.Interval(_t(3), _t(4)), ["a", "c"]),
        ("t_during", F.Interval(_t(1, 12), _t(5)), ["b"]),
        ("t_contains", _t(3), ["b"]),  # d ends at that instant: not strictly inside
        ("t_equals", F.Interval(_t(2), _t(4)), ["b"]),
        ("t_equals", _t(1), ["a"]),
        ("t_starts", F.Interval(_t(2), _t(6)), ["b"]),
        ("t_startedby", F.Interval(_t(2), _t(3)), ["b"]),
        ("t_finishes", F.Interval(_t(1), _t(4)), ["b"]),
        ("t_finishedby", F.Interval(_t(3), _t(4)), ["b"]),
        ("t_meets", F.Interval(_t(4), _t(9)), ["b"]),
        ("t_metby", F.Interval(_t(1), _t(2)), ["b"]),
        ("t_overlaps", F.Interval(_t(3), _t(9)), ["b"]),
        ("t_overlaps", F.Interval(_t(2), _t(9)), ["d"]),
        ("t_overlappedby", F.Interval(_t(1), _t(3)), ["b"]),
        ("t_starts", F.Interval(None, _t(9)), ["d"]),  # both start open: equal starts
        ("t_finishes", F.Interval(_t(1), None), ["c"]),  # both end open: equal ends
        ("t_equals", F.Interval(None, None), []),
    ],
)
def test_temporal_filters(cities, op, other, expected):
    assert ids(cities, F.Temporal(op, P("datetime"), other)) == expected


def test_temporal_filter_on_a_date_property(cities):
    expr = F.Temporal("t_during", P("opened"), F.Interval(date(2020, 1, 1), date(2021, 12, 31)))
    assert ids(cities, expr) == ["b"]  # 'during' excludes the interval's own ends
    assert ids(cities, F.Temporal("t_intersects", P("opened"), F.Interval(date(2020, 1, 1), None))) == ["a", "b", "e"]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (F.Compare("=", P("nope"), 1), "no queryable 'nope'"),
        (F.Compare("=", P("pop"), "many"), "integer property cannot be compared"),
        (F.Compare("=", P("name"), 3), "text property cannot be compared"),
        (F.Like(P("pop"), "1%"), "LIKE needs a text property"),
        (F.Spatial("s_intersects", P("name"), HANOI_BOX), "compares the property 'geometry'"),
        (F.Temporal("t_after", P("pop"), _t(1)), "temporal functions need a date or time"),
        (F.Compare("=", P("geometry"), 1), "geometry can only be used"),
        (F.Prop("name"), "is not a condition"),
        (F.Compare("=", P("name"), F.Func("casei", "x")), "not supported"),
    ],
)
def test_bad_filters_name_the_problem(cities, expr, message):
    with pytest.raises(InputError, match=message):
        list(cities.features("cities", Query(filter=expr)))


def test_sort_and_paging_are_stable(cities):
    by_pop = [f.id for f in cities.features("cities", Query(sort=(("pop", True),)))]
    assert by_pop == ["d", "c", "a", "b", "e"]  # nulls count as largest: first when descending
    assert [f.id for f in cities.features("cities", Query(sort=(("pop", False),)))] == ["e", "b", "a", "c", "d"]
    pages = [f.id for o in range(0, 5, 2) for f in cities.features("cities", Query(sort=(("name", False),), limit=2, offset=o))]
    assert pages == [f.id for f in cities.features("cities", Query(sort=(("name", False),)))]
    with pytest.raises(InputError, match="no sortable property 'height'"):
        list(cities.features("cities", Query(sort=(("height", False),))))


def test_property_selection(cities):
    got = next(iter(cities.features("cities", Query(ids=("a",), properties=("pop", "name")))))
    assert got.properties == {"name": "Hà Nội", "pop": 100}
    with pytest.raises(InputError, match="no property 'height'"):
        list(cities.features("cities", Query(properties=("height",))))


def test_bbox_with_filter_and_paging(cities):
    q = Query(bbox=(105, 20, 107, 22), filter=F.Compare(">", P("pop"), 0), sort=(("pop", False),), limit=1, offset=1)
    assert [f.id for f in cities.features("cities", q)] == ["a"]
    assert cities.count("cities", q) == 2


def test_gpkg_spatial_filter_uses_the_rtree(gpkg_store):
    gpkg_store.create_collection(Collection(name="pts", geometry_type="POINT"))
    gpkg_store.upsert("pts", [Feature(id=str(i), geometry=shapely.Point(105 + i / 100, 21)) for i in range(100)])
    from vkc.store.gpkg_read import read_collection, where_sql

    conn = gpkg_store._reader()
    sql, params = where_sql(
        read_collection(conn, "pts"), Query(filter=F.Spatial("s_intersects", P("geometry"), HANOI_BOX)), select="t.fid", order=True
    )
    plan = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "rtree_pts_geom VIRTUAL TABLE INDEX" in plan, plan


def test_postgis_spatial_filter_uses_the_gist_index(pg_cluster):
    from vkc.store import open_store

    with open_store(pg_cluster.new_database()) as s:
        s.create_collection(Collection(name="pts", geometry_type="POINT"))
        s.upsert("pts", [Feature(id=str(i), geometry=shapely.Point(105 + i / 1000, 21)) for i in range(5000)])
        from vkc.store.postgis_read import read_collection, where_sql

        with s._pool.connection() as conn:
            conn.execute("ANALYZE pts")
            stmt, params = where_sql(
                read_collection(conn, "pts"),
                Query(filter=F.Spatial("s_intersects", P("geometry"), shapely.box(105, 20.9, 105.01, 21.1))),
                select=__import__("psycopg").sql.SQL("t.fid"),
            )
            plan = "\n".join(r[0] for r in conn.execute(__import__("psycopg").sql.SQL("EXPLAIN ") + stmt, params))
        assert "pts_geom" in plan and "Index" in plan, plan
