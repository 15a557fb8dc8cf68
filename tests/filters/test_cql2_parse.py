"""CQL2 Text and CQL2 JSON parsed into the store's filter trees (vkc.ogc.cql2)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import orjson
import pytest
import shapely

from vkc.errors import InputError
from vkc.ogc.cql2 import MAX_DEPTH, parse, parse_json, parse_text
from vkc.store import filters as F

P = F.Prop


def _ts(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _eq(op: str, name: str, value: object) -> F.Compare:
    return F.Compare(op, P(name), value)


A, B, C, D = (_eq("=", n, 1) for n in "abcd")


def _xyz(geom: shapely.Geometry) -> list[list[float]]:
    return shapely.get_coordinates(geom, include_z=shapely.has_z(geom)).tolist()


# -- CQL2 Text: literals, properties and predicates -------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the specification's own examples
        ('"avg(windSpeed)" < 4', F.Compare("<", P("avg(windSpeed)"), 4)),
        ("depth BETWEEN 100.0 AND 150.0", F.Between(P("depth"), 100.0, 150.0)),
        ("name LIKE 'Smith%'", F.Like(P("name"), "Smith%")),
        (
            "landsat:scene_id IN ('LC82030282019133LGN00','LC82030282019133LGN01')",
            F.In(P("landsat:scene_id"), ("LC82030282019133LGN00", "LC82030282019133LGN01")),
        ),
        ("NOT (value IS NULL)", F.Not(F.IsNull(P("value")))),
        ("city='Toronto'", _eq("=", "city", "Toronto")),
        ("eo:cloud_cover >= 0.1 AND eo:cloud_cover <= 0.2", F.And((_eq(">=", "eo:cloud_cover", 0.1), _eq("<=", "eo:cloud_cover", 0.2)))),
        ("owner LIKE '% Mike %'", F.Like(P("owner"), "% Mike %")),
        ("value IS NOT NULL", F.Not(F.IsNull(P("value")))),
        # properties
        ("x = 1", _eq("=", "x", 1)),
        ("_ = 1", _eq("=", "_", 1)),
        ("a.b:c_2 = 1", _eq("=", "a.b:c_2", 1)),
        ('"my prop" = 1', _eq("=", "my prop", 1)),
        ('"say ""hi""" = 1', _eq("=", 'say "hi"', 1)),
        ('"and" = 1', _eq("=", "and", 1)),  # a reserved word, quoted
        ("date = DATE('2020-01-31')", _eq("=", "date", date(2020, 1, 31))),  # 'date' is a property unless called
        ("point = 1", _eq("=", "point", 1)),
        # literals
        ("s = 'it''s'", _eq("=", "s", "it's")),
        ("s = ''", _eq("=", "s", "")),
        ("n = 42", _eq("=", "n", 42)),
        ("n = -42", _eq("=", "n", -42)),
        ("n = +7", _eq("=", "n", 7)),
        ("n = 2.5", _eq("=", "n", 2.5)),
        ("n = -2.5e3", _eq("=", "n", -2500.0)),
        ("n = 1E-2", _eq("=", "n", 0.01)),
        ("n = .5", _eq("=", "n", 0.5)),
        ("n = 5.", _eq("=", "n", 5.0)),
        ("ok = TRUE", _eq("=", "ok", True)),
        ("ok = false", _eq("=", "ok", False)),
        ("d = DATE('2020-01-31')", _eq("=", "d", date(2020, 1, 31))),
        ("t = TIMESTAMP('2020-01-31T10:00:00Z')", _eq("=", "t", _ts(2020, 1, 31, 10))),
        ("t = TIMESTAMP('2020-01-31T10:00:00.25Z')", _eq("=", "t", _ts(2020, 1, 31, 10, 0, 0, 250000))),
        ("t = TIMESTAMP('2020-01-31T10:00:00+07:00')", _eq("=", "t", _ts(2020, 1, 31, 3))),  # converted to UTC
        ("t = TIMESTAMP('2020-01-01T01:00:00-02:30')", _eq("=", "t", _ts(2020, 1, 1, 3, 30))),
        ("7 < n", F.Compare("<", 7, P("n"))),
        # comparison operators
        ("a <> 1", _eq("<>", "a", 1)),
        ("a < 1", _eq("<", "a", 1)),
        ("a <= 1", _eq("<=", "a", 1)),
        ("a > 1", _eq(">", "a", 1)),
        ("a >= 1", _eq(">=", "a", 1)),
        ("a = b", F.Compare("=", P("a"), P("b"))),
        ("(a) = (1)", _eq("=", "a", 1)),
        # LIKE, BETWEEN, IN, IS NULL with and without NOT
        ("name NOT LIKE 'H_i%'", F.Not(F.Like(P("name"), "H_i%"))),
        ("CASEI(name) LIKE CASEI('hà%')", F.Like(F.Func("casei", P("name")), F.Func("casei", "hà%"))),
        (
            "ACCENTI(CASEI(name)) LIKE ACCENTI(CASEI('ha%'))",
            F.Like(F.Func("accenti", F.Func("casei", P("name"))), F.Func("accenti", F.Func("casei", "ha%"))),
        ),
        ("pop NOT BETWEEN 10 AND 20", F.Not(F.Between(P("pop"), 10, 20))),
        ("d BETWEEN DATE('2020-01-01') AND DATE('2020-12-31')", F.Between(P("d"), date(2020, 1, 1), date(2020, 12, 31))),
        ("pop IN (1)", F.In(P("pop"), (1,))),
        ("pop NOT IN (1, 2, 3)", F.Not(F.In(P("pop"), (1, 2, 3)))),
        (
            "CASEI(road) IN (CASEI('Οδος'), CASEI('Straße'))",
            F.In(F.Func("casei", P("road")), (F.Func("casei", "Οδος"), F.Func("casei", "Straße"))),
        ),
        ("a IS NULL", F.IsNull(P("a"))),
        ("a IS NOT NULL", F.Not(F.IsNull(P("a")))),
        ("CASEI(a) = CASEI('x')", F.Compare("=", F.Func("casei", P("a")), F.Func("casei", "x"))),
        ("ACCENTI(a) = 'x'", F.Compare("=", F.Func("accenti", P("a")), "x")),
        # TRUE / FALSE standing as a predicate
        ("TRUE", F.BoolValue(True)),
        ("false", F.BoolValue(False)),
        ("NOT TRUE", F.Not(F.BoolValue(True))),
        ("(FALSE)", F.BoolValue(False)),
        ("TRUE AND a = 1", F.And((F.BoolValue(True), _eq("=", "a", 1)))),
        # whitespace of every kind
        ("\n\ta\r\n=\t1 ", _eq("=", "a", 1)),
    ],
)
def test_text(text: str, expected: F.Expr) -> None:
    assert parse_text(text) == expected


def test_keywords_are_case_insensitive_names_are_not() -> None:
    expected = F.Or((F.And((A, _eq("=", "b", 2))), F.Not(F.IsNull(P("c")))))
    assert parse_text("a = 1 and b = 2 Or not c is null") == expected
    assert parse_text("a = 1 AND b = 2 OR NOT c IS NULL") == expected
    assert parse_text("a not like 'x' and b not between 1 and 2 and c not in (1) and d is not null") == F.And(
        (F.Not(F.Like(P("a"), "x")), F.Not(F.Between(P("b"), 1, 2)), F.Not(F.In(P("c"), (1,))), F.Not(F.IsNull(P("d"))))
    )
    assert parse_text("s_intersects(geometry, point(1 2))") == parse_text("S_INTERSECTS(geometry, POINT(1 2))")
    assert parse_text("t = timestamp('2020-01-31t10:00:00z')") == parse_text("t = TIMESTAMP('2020-01-31T10:00:00Z')")
    assert parse_text("Name = 1") != parse_text("name = 1")


def test_vietnamese_literals_and_names() -> None:
    assert parse_text("tên = 'Hà Nội'") == _eq("=", "tên", "Hà Nội")
    assert parse_text("\"tỉnh thành\" LIKE 'Đà %'") == F.Like(P("tỉnh thành"), "Đà %")
    assert parse_text("name IN ('Hải Phòng', 'Hồ Chí Minh', 'Đà Nẵng')") == F.In(P("name"), ("Hải Phòng", "Hồ Chí Minh", "Đà Nẵng"))
    decomposed = "te\u0302n = 'x'"  # combining circumflex inside the name
    assert parse_text(decomposed) == _eq("=", "te\u0302n", "x")


# -- boolean structure and precedence ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 1 AND b = 1 AND c = 1", F.And((A, B, C))),
        ("a = 1 OR b = 1 OR c = 1", F.Or((A, B, C))),
        ("a = 1 OR b = 1 AND c = 1", F.Or((A, F.And((B, C))))),
        ("a = 1 AND b = 1 OR c = 1", F.Or((F.And((A, B)), C))),
        ("(a = 1 OR b = 1) AND c = 1", F.And((F.Or((A, B)), C))),
        ("NOT a = 1 AND b = 1", F.And((F.Not(A), B))),
        ("NOT (a = 1 AND b = 1)", F.Not(F.And((A, B)))),
        ("NOT NOT a = 1", F.Not(F.Not(A))),
        ("(a = 1 AND b = 1) AND (c = 1 AND d = 1)", F.And((A, B, C, D))),  # flattened
        ("a = 1 OR (b = 1 OR (c = 1 OR d = 1))", F.Or((A, B, C, D))),
        ("((((a = 1))))", A),
        ("a = 1 AND (b = 1 OR c = 1) AND d = 1", F.And((A, F.Or((B, C)), D))),
        # the AND of BETWEEN is not a boolean AND
        ("x BETWEEN 1 AND 2 AND a = 1", F.And((F.Between(P("x"), 1, 2), A))),
        ("a = 1 AND x BETWEEN 1 AND 2 OR b = 1", F.Or((F.And((A, F.Between(P("x"), 1, 2))), B))),
        ("x NOT BETWEEN 1 AND 2 AND y BETWEEN 3 AND 4", F.And((F.Not(F.Between(P("x"), 1, 2)), F.Between(P("y"), 3, 4)))),
    ],
)
def test_precedence(text: str, expected: F.Expr) -> None:
    assert parse_text(text) == expected


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 1
    assert parse_text("(" * depth + "a = 1" + ")" * depth) == A
    assert parse_text("NOT " * depth + "a = 1") is not None
    assert parse_text("a = " + "CASEI(" * (depth - 1) + "'x'" + ")" * (depth - 1)).left == P("a")


# -- geometries ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "wkt",
    [
        "POINT(36.31 32.28)",
        "POINT (-1.5 2)",
        "POINT Z(1 2 3)",
        "POINT(1 2 3)",
        "LINESTRING(0 0, 1 1, 2 0)",
        "LINESTRING Z(0 0 0, 1 1 5)",
        "POLYGON((0 0, 4 0, 4 4, 0 4, 0 0))",
        "POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))",
        "POLYGON Z((0 0 1, 1 0 1, 1 1 1, 0 0 1))",
        "MULTIPOINT((1 2), (3 4))",
        "MULTILINESTRING((0 0, 1 1), (2 2, 3 3))",
        "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2), (2.1 2.1, 2.2 2.1, 2.2 2.2, 2.1 2.1)))",
        "GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1), POLYGON((0 0, 1 0, 1 1, 0 0)))",
        "GEOMETRYCOLLECTION(POINT(1 2), GEOMETRYCOLLECTION(POINT(3 4)))",
    ],
)
def test_wkt_literals(wkt: str) -> None:
    tree = parse_text(f"S_INTERSECTS(geometry, {wkt})")
    assert isinstance(tree, F.Spatial) and tree.op == "s_intersects" and tree.left == P("geometry")
    expected = shapely.from_wkt(wkt)
    assert tree.right.geom_type == expected.geom_type
    assert shapely.equals_exact(tree.right, expected)
    assert _xyz(tree.right) == _xyz(expected)  # Z coordinates kept


def test_multipoint_both_forms_and_case() -> None:
    loose = parse_text("S_WITHIN(geometry, MULTIPOINT(1 2, 3 4))").right
    tight = parse_text("s_within(geometry, multipoint((1 2),(3 4)))").right
    assert loose.geom_type == "MultiPoint" and shapely.equals_exact(loose, tight)
    assert _xyz(parse_text("S_WITHIN(geometry, MULTIPOINT Z((1 2 3), (4 5 6)))").right) == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize(
    ("bbox", "bounds"),
    [
        ("BBOX(-10, -5, 10, 5)", (-10, -5, 10, 5)),
        ("bbox(105.5,20.8,106.0,21.2)", (105.5, 20.8, 106.0, 21.2)),
        ("BBOX(0, 1, -100, 2, 3, 100)", (0, 1, 2, 3)),  # 3D: elevations dropped
    ],
)
def test_bbox(bbox: str, bounds: tuple[float, ...]) -> None:
    geom = parse_text(f"S_INTERSECTS({bbox}, geometry)").left
    assert geom.geom_type == "Polygon"
    assert shapely.equals(geom, shapely.box(*bounds))
    assert geom.bounds == tuple(float(b) for b in bounds)


@pytest.mark.parametrize("op", F.SPATIAL_OPS)
def test_every_spatial_function(op: str) -> None:
    assert parse_text(f"{op.upper()}(geometry, POINT(1 2))") == F.Spatial(op, P("geometry"), shapely.Point(1, 2))
    assert parse_json({"op": op, "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [1, 2]}]}) == F.Spatial(
        op, P("geometry"), shapely.Point(1, 2)
    )


# -- temporal -----------------------------------------------------------------------


@pytest.mark.parametrize("op", F.TEMPORAL_OPS)
def test_every_temporal_function(op: str) -> None:
    expected = F.Temporal(op, P("datetime"), _ts(2020, 1, 1))
    assert parse_text(f"{op.upper()}(datetime, TIMESTAMP('2020-01-01T00:00:00Z'))") == expected
    assert parse_json({"op": op, "args": [{"property": "datetime"}, {"timestamp": "2020-01-01T00:00:00Z"}]}) == expected


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("INTERVAL('1969-07-16T05:32:00Z', '1969-07-24T16:50:35Z')", F.Interval(_ts(1969, 7, 16, 5, 32), _ts(1969, 7, 24, 16, 50, 35))),
        ("INTERVAL('2020-01-01', '2020-12-31')", F.Interval(date(2020, 1, 1), date(2020, 12, 31))),
        ("INTERVAL('..', '2020-12-31')", F.Interval(None, date(2020, 12, 31))),
        ("INTERVAL('2020-01-01', '..')", F.Interval(date(2020, 1, 1), None)),
        ("INTERVAL('..', '..')", F.Interval(None, None)),
        ("INTERVAL(DATE('2020-01-01'), TIMESTAMP('2020-01-02T00:00:00Z'))", F.Interval(date(2020, 1, 1), _ts(2020, 1, 2))),
        ("INTERVAL(starts_at, ends_at)", F.Interval(P("starts_at"), P("ends_at"))),
        ("INTERVAL(\"start date\", '..')", F.Interval(P("start date"), None)),
        ("interval('2020-01-01T10:00:00+07:00', '2020-01-01')", F.Interval(_ts(2020, 1, 1, 3), date(2020, 1, 1))),  # same day: fine
    ],
)
def test_intervals(interval: str, expected: F.Interval) -> None:
    assert parse_text(f"T_INTERSECTS(event_time, {interval})") == F.Temporal("t_intersects", P("event_time"), expected)


def test_temporal_with_dates_and_properties() -> None:
    assert parse_text("T_BEFORE(DATE('2020-01-01'), built)") == F.Temporal("t_before", date(2020, 1, 1), P("built"))
    assert parse_text("T_EQUALS(a, b)") == F.Temporal("t_equals", P("a"), P("b"))


# -- CQL2 JSON ------------------------------------------------------------------------

PROP_A = {"property": "a"}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (True, F.BoolValue(True)),
        (False, F.BoolValue(False)),
        ({"op": "=", "args": [PROP_A, 1]}, _eq("=", "a", 1)),
        ({"op": "<>", "args": [PROP_A, "x"]}, _eq("<>", "a", "x")),
        ({"op": "<", "args": [PROP_A, 1.5]}, _eq("<", "a", 1.5)),
        ({"op": "<=", "args": [PROP_A, -1]}, _eq("<=", "a", -1)),
        ({"op": ">", "args": [PROP_A, True]}, _eq(">", "a", True)),
        ({"op": ">=", "args": [2, PROP_A]}, F.Compare(">=", 2, P("a"))),
        ({"op": "=", "args": [PROP_A, {"date": "2020-01-31"}]}, _eq("=", "a", date(2020, 1, 31))),
        ({"op": "=", "args": [PROP_A, {"timestamp": "2020-01-31T10:00:00+07:00"}]}, _eq("=", "a", _ts(2020, 1, 31, 3))),
        ({"op": "AND", "args": [True, False]}, F.And((F.BoolValue(True), F.BoolValue(False)))),
        ({"op": "not", "args": [{"op": "isNull", "args": [PROP_A]}]}, F.Not(F.IsNull(P("a")))),
        ({"op": "isnull", "args": [PROP_A]}, F.IsNull(P("a"))),
        ({"op": "like", "args": [PROP_A, "x%"]}, F.Like(P("a"), "x%")),
        ({"op": "between", "args": [PROP_A, 1, 2]}, F.Between(P("a"), 1, 2)),
        ({"op": "in", "args": [PROP_A, ["x", "y"]]}, F.In(P("a"), ("x", "y"))),
        ({"op": "in", "args": [PROP_A, []]}, F.In(P("a"), ())),
        (
            {"op": "=", "args": [{"op": "casei", "args": [PROP_A]}, {"op": "ACCENTI", "args": ["x"]}]},
            F.Compare("=", F.Func("casei", P("a")), F.Func("accenti", "x")),
        ),
        (
            {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [0, 1, 2, 3]}]},
            F.Spatial("s_intersects", P("geometry"), shapely.box(0, 1, 2, 3)),
        ),
        (
            {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [0, 1, -5, 2, 3, 5]}]},
            F.Spatial("s_intersects", P("geometry"), shapely.box(0, 1, 2, 3)),
        ),
        (
            {"op": "t_during", "args": [{"property": "t"}, {"interval": ["..", {"date": "2020-01-01"}]}]},
            F.Temporal("t_during", P("t"), F.Interval(None, date(2020, 1, 1))),
        ),
        (
            {"op": "t_during", "args": [{"property": "t"}, {"interval": [{"property": "s"}, {"timestamp": "2020-01-01T00:00:00Z"}]}]},
            F.Temporal("t_during", P("t"), F.Interval(P("s"), _ts(2020, 1, 1))),
        ),
    ],
)
def test_json(obj: object, expected: F.Expr) -> None:
    assert parse_json(obj) == expected


@pytest.mark.parametrize(
    "geojson",
    [
        {"type": "Point", "coordinates": [36.31, 32.28]},
        {"type": "Point", "coordinates": [1, 2, 3]},
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [4, 0], [4, 4], [0, 0]], [[1, 1], [2, 1], [2, 2], [1, 1]]]},
        {"type": "MultiPoint", "coordinates": [[1, 2], [3, 4]]},
        {
            "type": "MultiLineString",
            "coordinates": [
                [[0, 0], [1, 1]],
                [
                    [2, 2],
                    [
                        3,
                        3,
                    ],
                ],
            ],
        },
        {"type": "MultiPolygon", "coordinates": [[[[0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 0, 1]]]]},
        {
            "type": "GeometryCollection",
            "geometries": [{"type": "Point", "coordinates": [1, 2]}, {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}],
        },
    ],
)
def test_geojson_literals(geojson: dict) -> None:
    geom = parse_json({"op": "s_intersects", "args": [{"property": "geometry"}, geojson]}).right
    expected = shapely.geometry.shape(geojson)
    assert geom.geom_type == expected.geom_type
    assert shapely.equals_exact(geom, expected)
    assert _xyz(geom) == _xyz(expected)


# -- the same filter in both encodings gives the same tree -------------------------

G = {"property": "geometry"}

SAME = [
    ("a = 1", {"op": "=", "args": [PROP_A, 1]}),
    ('"avg(windSpeed)" < 4', {"op": "<", "args": [{"property": "avg(windSpeed)"}, 4]}),
    ("S_INTERSECTS(geometry, POINT(36.31 32.28))", {"op": "s_intersects", "args": [G, {"type": "Point", "coordinates": [36.31, 32.28]}]}),
    (
        "S_CROSSES(geometry, LINESTRING(0 0, 1 1))",
        {"op": "s_crosses", "args": [G, {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}]},
    ),
    (
        "S_WITHIN(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))",
        {"op": "s_within", "args": [G, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}]},
    ),
    ("S_INTERSECTS(geometry, BBOX(-10, -5, 10, 5))", {"op": "s_intersects", "args": [G, {"bbox": [-10, -5, 10, 5]}]}),
    (
        "T_INTERSECTS(event_time, INTERVAL('1969-07-16T05:32:00Z', '1969-07-24T16:50:35Z'))",
        {"op": "t_intersects", "args": [{"property": "event_time"}, {"interval": ["1969-07-16T05:32:00Z", "1969-07-24T16:50:35Z"]}]},
    ),
    ("T_AFTER(built, DATE('2020-01-01'))", {"op": "t_after", "args": [{"property": "built"}, {"date": "2020-01-01"}]}),
    ("depth BETWEEN 100.0 AND 150.0", {"op": "between", "args": [{"property": "depth"}, 100.0, 150.0]}),
    ("name LIKE 'Smith%'", {"op": "like", "args": [{"property": "name"}, "Smith%"]}),
    (
        "landsat:scene_id IN ('LC82030282019133LGN00','LC82030282019133LGN01')",
        {"op": "in", "args": [{"property": "landsat:scene_id"}, ["LC82030282019133LGN00", "LC82030282019133LGN01"]]},
    ),
    ("NOT (value IS NULL)", {"op": "not", "args": [{"op": "isNull", "args": [{"property": "value"}]}]}),
    ("name NOT LIKE 'x%'", {"op": "not", "args": [{"op": "like", "args": [{"property": "name"}, "x%"]}]}),
    ("tên = 'Hà Nội'", {"op": "=", "args": [{"property": "tên"}, "Hà Nội"]}),
    (
        "CASEI(name) LIKE CASEI('hà%')",
        {"op": "like", "args": [{"op": "casei", "args": [{"property": "name"}]}, {"op": "casei", "args": ["hà%"]}]},
    ),
    ("TRUE", True),
    (
        "a = 1 OR b = 1 AND NOT c = 1",
        {
            "op": "or",
            "args": [
                {"op": "=", "args": [PROP_A, 1]},
                {
                    "op": "and",
                    "args": [
                        {"op": "=", "args": [{"property": "b"}, 1]},
                        {"op": "not", "args": [{"op": "=", "args": [{"property": "c"}, 1]}]},
                    ],
                },
            ],
        },
    ),
    (
        "(a = 1 AND b = 1) AND c = 1",
        {
            "op": "and",
            "args": [
                {"op": "and", "args": [{"op": "=", "args": [PROP_A, 1]}, {"op": "=", "args": [{"property": "b"}, 1]}]},
                {"op": "=", "args": [{"property": "c"}, 1]},
            ],
        },
    ),
    ("t > TIMESTAMP('2020-01-31T10:00:00+07:00')", {"op": ">", "args": [{"property": "t"}, {"timestamp": "2020-01-31T03:00:00Z"}]}),
]


@pytest.mark.parametrize(("text", "obj"), SAME)
def test_text_and_json_agree(text: str, obj: object) -> None:
    from_text = parse_text(text)
    assert from_text == parse_json(obj)
    assert parse(text, "cql2-text") == from_text
    assert parse(orjson.dumps(obj).decode(), "cql2-json") == from_text


def test_parse_picks_the_language() -> None:
    assert parse("a = 1", "CQL2-TEXT") == A
    assert parse('{"op": "=", "args": [{"property": "a"}, 1]}', " cql2-json ") == A


# -- malformed input: always InputError, saying what and where -----------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the filter is empty"),
        ("   \n ", "the filter is empty"),
        ("(a = 1", "expected ')' at position 7, found the end of the filter"),
        ("((a = 1) AND b = 2", "expected ')' at position 19"),
        ("a = 1)", "expected AND, OR or the end of the filter at position 6, found ')'"),
        ("a = 1 b = 2", "at position 7, found 'b'"),
        ("a = 1 AND", "expected a value at position 10, found the end of the filter"),
        ("a AND b = 1", "expected a condition at position 1, found the property 'a'"),
        ("foo(x) = 1", "function 'foo' (at position 1) is not supported"),
        ("A_CONTAINS(tags, 'x')", "array function A_CONTAINS"),
        ("S_NEARBY(geometry, POINT(1 2))", "unknown spatial function S_NEARBY"),
        ("T_WHILE(datetime, DATE('2020-01-01'))", "unknown temporal function T_WHILE"),
        ("a != 1", "'!=' is not a CQL2 operator (at position 3); write '<>'"),
        ("a == 1", "expected a value at position 4, found '='"),
        ("a + 1 = 2", "arithmetic ('+' at position 3) is not supported"),
        ("balance-150.0 > 0", "arithmetic ('-' at position 8) is not supported"),
        ("a = 2 * b", "arithmetic ('*' at position 7) is not supported"),
        ("a = -b", "arithmetic"),
        ("a div 2 = 1", "arithmetic"),
        ("t = TIMESTAMP('2020-01-31T10:00:00')", "has no time zone at position 15; CQL2 requires 'Z'"),
        ("t = TIMESTAMP('2020-01-31')", "not a timestamp of the form"),
        ("t = TIMESTAMP('2020-01-31T25:00:00Z')", "not a valid timestamp"),
        ("d = DATE('2020-02-30')", "not a valid date"),
        ("d = DATE('31/01/2020')", "not a date of the form YYYY-MM-DD at position 10"),
        ("d = DATE(20200131)", "expected a quoted string in DATE(...)"),
        ("S_INTERSECTS(geometry, POINT(1))", "expected a second coordinate at position 31"),
        ("S_INTERSECTS(geometry, POINT(1 2 3 4))", "at most 3 coordinates"),
        ("S_INTERSECTS(geometry, POINT(1 2, 3 4))", "expected ')' at position 33, found ','"),
        ("S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1)))", "at least 4 are needed"),
        ("S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1)))", "not closed"),
        ("S_INTERSECTS(geometry, LINESTRING(0 0))", "at least 2 are needed"),
        ("S_INTERSECTS(geometry, LINESTRING(0 0, 1 1 1))", "mixes 2D and 3D"),
        ("S_INTERSECTS(geometry, POINT Z(1 2))", "tagged Z"),
        ("S_INTERSECTS(geometry, POINT EMPTY)", "empty geometries are not supported"),
        ("S_INTERSECTS(geometry, POINT M(1 2 3))", "measured (M) coordinates"),
        ("S_INTERSECTS(geometry, GEOMETRYCOLLECTION(BBOX(0, 0, 1, 1)))", "expected a WKT geometry"),
        ("S_INTERSECTS(geometry, BBOX(0, 0, 1))", "BBOX takes 4 numbers"),
        ("S_INTERSECTS(geometry, BBOX(0, 5, 1, 4))", "south edge 5.0 above its north edge 4.0"),
        ("S_INTERSECTS(geometry, BBOX(170, 0, -170, 1))", "antimeridian-crossing boxes are not supported"),
        ("S_INTERSECTS(geometry)", "S_INTERSECTS takes 2 argument(s), got 1"),
        ("S_INTERSECTS(geometry, 'x')", "S_INTERSECTS argument 2 must be a geometry"),
        ("T_AFTER(datetime, '2020-01-01')", "write DATE('...') or TIMESTAMP('...')"),
        ("T_AFTER(datetime, INTERVAL('2020-02-01', '2020-01-01'))", "starts (2020-02-01) after it ends (2020-01-01)"),
        ("T_AFTER(datetime, INTERVAL('2020-01-01T00:00:00', '..'))", "no time zone"),
        ("T_AFTER(datetime, INTERVAL('soon', '..'))", "interval bound must be a date, a timestamp or '..'"),
        ("T_AFTER(datetime, INTERVAL(1, 2))", "as an interval bound"),
        ("a LIKE b", "expected a quoted pattern after LIKE"),
        ("a BETWEEN 1 OR 2", "expected AND at position 13, found 'OR'"),
        ("a IN ()", "at least one value in the IN list"),
        ("a IN 1", "expected '(' at position 6"),
        ("a IS NOTHING", "expected NULL at position 6"),
        ("a NOT b", "expected LIKE, BETWEEN or IN after NOT at position 7"),
        ("and = 1", "reserved word used as a property name must be double-quoted"),
        ("a", "expected a condition at position 1, found the property 'a'; compare it"),
        ("'x'", "found the string 'x'"),
        ("a = POINT(1 2)", "the right side of '=' is a geometry"),
        ("a = INTERVAL('..', '..')", "is an interval"),
        ("a = S_INTERSECTS(geometry, POINT(1 2))", "not a condition"),
        ("a = [1, 2]", "array literals (at position 5) are not supported"),
        ("CASEI(1) = 'x'", "the argument of CASEI must be a string"),
        ("s = 'unterminated", "unterminated string starting at position 5"),
        ('"unterminated = 1', "unterminated quoted property name starting at position 1"),
        ('"" = 1', "empty property name"),
        ("a = 1 ; DROP TABLE x", "unexpected character ';' at position 7"),
        ("a = ²", "unexpected character '²'"),
        ("a = 1" + "0" * 5000, "too many digits"),
        ("n = 1e999", "out of range"),
        ("(" * 10_000, f"nested more than {MAX_DEPTH} levels deep"),
        ("NOT " * 10_000 + "a = 1", f"nested more than {MAX_DEPTH} levels deep"),
        ("a = " + "CASEI(" * 10_000, f"nested more than {MAX_DEPTH} levels deep"),
        ("S_INTERSECTS(geometry, " + "GEOMETRYCOLLECTION(" * 5_000, f"nested more than {MAX_DEPTH} levels deep"),
        ("a = '" + "x" * 100_000 + "'", "the limit is 100000"),
    ],
)
def test_text_errors(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_text(text)
    assert message in str(caught.value)
    assert str(caught.value).startswith("filter: ")
    assert caught.value.detail == {"field": "filter"}


def _cmp(value: object) -> dict:
    return {"op": "=", "args": [PROP_A, value]}


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (None, "expected a condition"),
        ("a = 1", 'expected a condition (an object with "op" and "args", or true/false) at $, found the string'),
        ({"property": "a"}, "expected a condition"),
        ({"op": "frobnicate", "args": []}, "unknown or unsupported operator 'frobnicate' at $"),
        ({"op": 7, "args": []}, '"op" must be a string'),
        ({"op": "="}, 'has no "args"'),
        ({"op": "=", "args": {"a": 1}}, "\"args\" of '=' must be an array"),
        ({"op": "=", "args": [PROP_A, 1], "arg": 2}, "unexpected member(s) 'arg'"),
        ({"op": "and", "args": [True]}, "'and' expects at least 2 arguments, got 1 at $"),
        ({"op": "not", "args": [True, False]}, "'not' expects 1 argument(s), got 2"),
        ({"op": "=", "args": [PROP_A]}, "'=' expects 2 argument(s), got 1 at $"),
        ({"op": "between", "args": [PROP_A, 1]}, "'between' expects 3 argument(s), got 2"),
        ({"op": "like", "args": [PROP_A]}, "'like' expects 2 argument(s)"),
        ({"op": "like", "args": [PROP_A, PROP_A]}, "the pattern of LIKE must be a quoted string"),
        ({"op": "in", "args": [PROP_A, "x"]}, "argument 2 of 'in' must be an array of values at $.args[1]"),
        ({"op": "isNull", "args": []}, "'isNull' expects 1 argument(s), got 0"),
        ({"op": "s_intersects", "args": [G]}, "'s_intersects' expects 2 argument(s), got 1"),
        ({"op": "s_intersects", "args": [G, 5]}, "S_INTERSECTS argument 2 must be a geometry"),
        ({"op": "s_nearby", "args": [G, G]}, "unknown spatial operator 's_nearby'"),
        ({"op": "t_after", "args": [PROP_A, "2020-01-01"]}, "T_AFTER argument 2 must be a DATE"),
        ({"op": "+", "args": [1, 2]}, "arithmetic ('+') at $ is not supported"),
        (_cmp({"op": "*", "args": [PROP_A, 2]}), "arithmetic ('*') at $.args[1] is not supported"),
        (_cmp({"op": "a_contains", "args": [[1], [1]]}), "array function 'a_contains'"),
        (_cmp({"op": "upper", "args": ["x"]}), "unknown or unsupported operator 'upper' at $.args[1]"),
        ({"op": "casei", "args": ["x"]}, "'casei' gives a value, not a condition"),
        ({"op": "not", "args": [{"property": "a"}]}, "at $.args[0], found an object ('property')"),
        (_cmp(None), "null is not a CQL2 value at $.args[1]"),
        (_cmp([1, 2]), "array literals at $.args[1] are not supported"),
        (_cmp({"op": "=", "args": [1, 1]}), "not a condition"),
        (_cmp({"foo": 1}), "unrecognised object ('foo') at $.args[1]"),
        (_cmp({"property": ""}), "a property name must be a non-empty string at $.args[1].property"),
        (_cmp({"property": "b", "x": 1}), "unexpected member(s) 'x' next to 'property'"),
        (_cmp({"date": 20200101}), "a date must be a string"),
        (_cmp({"date": "2020-13-01"}), "not a valid date"),
        (_cmp({"timestamp": "2020-01-01T00:00:00"}), "has no time zone at $.args[1].timestamp"),
        (_cmp({"type": "Point", "coordinates": [1, 2]}), "is a geometry"),
        (_cmp({"interval": ["..", ".."]}), "is an interval"),
        ({"op": "t_after", "args": [PROP_A, {"interval": ["2020-01-01"]}]}, "an interval must be an array of 2 bounds"),
        ({"op": "t_after", "args": [PROP_A, {"interval": ["2020-01-01", 5]}]}, "interval bound must be"),
        ({"op": "t_after", "args": [PROP_A, {"interval": ["2020-02-01", "2020-01-01"]}]}, "starts (2020-02-01) after it ends"),
        ({"op": "s_intersects", "args": [G, {"bbox": [0, 0, 1]}]}, "BBOX takes 4 numbers"),
        ({"op": "s_intersects", "args": [G, {"bbox": [0, 0, "1", 1]}]}, "bbox must be an array of 4 or 6 numbers"),
        ({"op": "s_intersects", "args": [G, {"bbox": [0, 2, 1, 1]}]}, "south edge"),
        ({"op": "s_intersects", "args": [G, {"bbox": [170, 0, -170, 1]}]}, "antimeridian-crossing boxes are not supported"),
        ({"op": "s_intersects", "args": [G, {"type": "Circle", "coordinates": [0, 0]}]}, "'Circle' is not a GeoJSON geometry type"),
        ({"op": "s_intersects", "args": [G, {"type": "Point"}]}, 'the Point has no "coordinates"'),
        ({"op": "s_intersects", "args": [G, {"type": "Point", "coordinates": [1]}]}, "a position must be an array of 2 or 3 numbers"),
        ({"op": "s_intersects", "args": [G, {"type": "Point", "coordinates": [1, "2"]}]}, "a position must be"),
        ({"op": "s_intersects", "args": [G, {"type": "LineString", "coordinates": [[0, 0]]}]}, "at least 2 are needed"),
        ({"op": "s_intersects", "args": [G, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}]}, "not closed"),
        ({"op": "s_intersects", "args": [G, {"type": "MultiPoint", "coordinates": []}]}, "empty geometries are not supported"),
        ({"op": "s_intersects", "args": [G, {"type": "GeometryCollection", "geometries": []}]}, 'non-empty "geometries"'),
        (
            {"op": "s_intersects", "args": [G, {"type": "GeometryCollection", "geometries": [5]}]},
            "expected a GeoJSON geometry at $.args[1].geometries[0]",
        ),
        ({1: 2, "op": "=", "args": [PROP_A, 1]}, "unexpected member(s) 1"),
    ],
)
def test_json_errors(obj: object, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_json(obj)
    assert message in str(caught.value)
    assert caught.value.detail == {"field": "filter"}


def test_json_nesting_is_capped() -> None:
    deep: object = True
    for _ in range(10_000):
        deep = {"op": "not", "args": [deep]}
    with pytest.raises(InputError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_json(deep)
    shallow: object = True
    for _ in range(MAX_DEPTH - 1):
        shallow = {"op": "not", "args": [shallow]}
    assert isinstance(parse_json(shallow), F.Not)


@pytest.mark.parametrize(
    ("value", "lang", "message", "field"),
    [
        ("{", "cql2-json", "not valid JSON", "filter"),
        ("a = 1", "cql2-json", "not valid JSON", "filter"),
        ("", "cql2-json", "the filter is empty", "filter"),
        ("[" * 5_000, "cql2-json", "not valid JSON", "filter"),
        ('"a = 1"', "cql2-json", "expected a condition", "filter"),
        ('{"op": "=", "args": [{"property": "a"}]}', "cql2-json", "'=' expects 2 argument(s)", "filter"),
        ("a = 1", "cql-text", "filter-lang: unsupported value 'cql-text'; valid values: cql2-text, cql2-json", "filter-lang"),
        ("a = 1", "", "filter-lang", "filter-lang"),
        ("a = 1", "ecql", "valid values: cql2-text, cql2-json", "filter-lang"),
        ("a = 1 )", "cql2-text", "expected AND, OR or the end of the filter at position 7", "filter"),
        ("x" * 100_001, "cql2-json", "the limit is 100000", "filter"),
    ],
)
def test_parse_errors(value: str, lang: str, message: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(value, lang)
    assert message in str(caught.value)
    assert caught.value.detail == {"field": field}


def test_non_string_input() -> None:
    with pytest.raises(InputError, match="must be a string"):
        parse_text(None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="must be a JSON string"):
        parse(b"{}", "cql2-json")  # type: ignore[arg-type]


# -- robustness: garbage in, InputError out --------------------------------------------

_VOCABULARY = (
    "( ) , = <> < <= > >= != + - * / [ ] AND OR NOT LIKE BETWEEN IN IS NULL TRUE FALSE a \"q p\" 's' '..' '2020-01-01' "
    "'2020-01-01T00:00:00Z' 1 -2.5 1e3 .5 POINT LINESTRING POLYGON MULTIPOINT GEOMETRYCOLLECTION Z EMPTY BBOX DATE TIMESTAMP "
    "INTERVAL CASEI ACCENTI S_INTERSECTS T_AFTER A_CONTAINS foo DIV % ^ ' \" é"
).split(" ")
_SEEDS = (
    "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0))) AND NOT c IN ('x', 'y')",
    "T_DURING(datetime, INTERVAL('2020-01-01', '..')) OR b BETWEEN 1 AND 2",
    "S_WITHIN(geometry, GEOMETRYCOLLECTION(POINT(1 2), MULTIPOINT((1 2),(3 4))))",
    "CASEI(name) LIKE CASEI('a%') AND x IS NOT NULL AND d > DATE('2020-01-01')",
)


def _only_input_errors(text: str) -> None:
    try:
        parse_text(text)
    except InputError:
        pass


def test_random_token_soup_raises_only_input_errors() -> None:
    rng = random.Random(2024)
    for _ in range(3_000):
        _only_input_errors(" ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(1, 12))))


def test_mutated_filters_raise_only_input_errors() -> None:
    rng = random.Random(7)
    for _ in range(3_000):
        chars = list(rng.choice(_SEEDS))
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(len(chars))
            roll = rng.random()
            if roll < 0.4:
                del chars[k]
            elif roll < 0.8:
                chars.insert(k, rng.choice("(),'\" -.0123456789ZaT"))
            else:
                chars[k] = rng.choice("(),'\" -.0")
        _only_input_errors("".join(chars))
