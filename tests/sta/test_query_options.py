"""The SensorThings API 1.1 query-option parser: OData $filter/$orderby expressions, $select, $expand and the rest."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time

import pytest
import shapely

from vkc.errors import InputError
from vkc.sta.odata_expr import FUNCTIONS, MAX_DEPTH, MAX_LENGTH
from vkc.sta.query_options import (
    MAX_EXPAND_LEVELS,
    And,
    Arith,
    Call,
    Compare,
    Duration,
    Expand,
    Geometry,
    Negate,
    Not,
    Or,
    OrderItem,
    Path,
    QueryOptions,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_query_options,
    parse_select,
)

# -- helpers ---------------------------------------------------------------------


def p(path: str) -> Path:
    return Path(tuple(path.split("/")))


def geo(wkt: str) -> Geometry:
    return Geometry(wkt, shapely.from_wkt(wkt))


def assert_same(actual, expected) -> None:
    """Equal and of exactly the same types all the way down (so 1 is not True and 1.0 is not 1)."""
    assert type(actual) is type(expected), f"{actual!r} is a {type(actual).__name__}, expected {expected!r}"
    if dataclasses.is_dataclass(expected):
        for spec in dataclasses.fields(expected):
            assert_same(getattr(actual, spec.name), getattr(expected, spec.name))
    elif isinstance(expected, tuple):
        assert len(actual) == len(expected), f"{actual!r} != {expected!r}"
        for a, e in zip(actual, expected):
            assert_same(a, e)
    elif isinstance(expected, shapely.Geometry):
        assert actual.equals_exact(expected, 0), f"{actual} != {expected}"
    else:
        assert actual == expected, f"{actual!r} != {expected!r}"
        if isinstance(expected, datetime):
            assert actual.utcoffset() == expected.utcoffset()


def fails(call, *fragments: str, field: str) -> InputError:
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    assert message.startswith(field), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert info.value.detail["field"] == field
    return info.value


def filter_fails(text: str, *fragments: str) -> InputError:
    return fails(lambda: parse_filter(text), *fragments, field="$filter")


def expand_fails(text: str, *fragments: str) -> InputError:
    return fails(lambda: parse_expand(text), *fragments, field="$expand")


X = p("x")

# -- comparison, logical and arithmetic operators --------------------------------


@pytest.mark.parametrize("op", ["eq", "ne", "gt", "ge", "lt", "le"])
def test_comparison_operators(op):
    assert_same(parse_filter(f"result {op} 5"), Compare(op, p("result"), 5))


@pytest.mark.parametrize("spelling", ["EQ", "Eq", "eQ"])
def test_comparison_operators_are_case_insensitive(spelling):
    assert_same(parse_filter(f"name {spelling} 'CO2'"), Compare("eq", p("name"), "CO2"))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "mod"])
def test_arithmetic_operators(op):
    assert_same(parse_filter(f"result {op} 2 eq 10"), Compare("eq", Arith(op, p("result"), 2), 10))


@pytest.mark.parametrize("op", ["ADD", "Sub", "MUL", "Div", "MOD"])
def test_arithmetic_operators_are_case_insensitive(op):
    assert_same(parse_filter(f"x {op} 1 gt 0"), Compare("gt", Arith(op.lower(), X, 1), 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a and b", And(p("a"), p("b"))),
        ("a or b", Or(p("a"), p("b"))),
        ("not a", Not(p("a"))),
        ("a AND b", And(p("a"), p("b"))),
        ("a Or b", Or(p("a"), p("b"))),
        ("NOT a", Not(p("a"))),
        ("not not a", Not(Not(p("a")))),
    ],
)
def test_logical_operators(text, expected):
    assert_same(parse_filter(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # and binds tighter than or
        ("a or b and c", Or(p("a"), And(p("b"), p("c")))),
        ("a and b or c", Or(And(p("a"), p("b")), p("c"))),
        # left-associative chains
        ("a and b and c", And(And(p("a"), p("b")), p("c"))),
        ("a or b or c", Or(Or(p("a"), p("b")), p("c"))),
        ("x sub 1 sub 2 eq 0", Compare("eq", Arith("sub", Arith("sub", X, 1), 2), 0)),
        ("x div 2 div 3 eq 0", Compare("eq", Arith("div", Arith("div", X, 2), 3), 0)),
        # mul/div/mod bind tighter than add/sub
        ("x add 2 mul 3 eq 0", Compare("eq", Arith("add", X, Arith("mul", 2, 3)), 0)),
        ("x mul 2 add 3 eq 0", Compare("eq", Arith("add", Arith("mul", X, 2), 3), 0)),
        ("x sub 6 mod 4 eq 0", Compare("eq", Arith("sub", X, Arith("mod", 6, 4)), 0)),
        # arithmetic binds tighter than comparison, comparison tighter than and
        ("x add 1 gt y sub 2", Compare("gt", Arith("add", X, 1), Arith("sub", p("y"), 2))),
        ("x eq 1 and y eq 2", And(Compare("eq", X, 1), Compare("eq", p("y"), 2))),
        # parentheses override
        ("(x add 2) mul 3 eq 0", Compare("eq", Arith("mul", Arith("add", X, 2), 3), 0)),
        ("a and (b or c)", And(p("a"), Or(p("b"), p("c")))),
        ("x sub (1 sub 2) eq 0", Compare("eq", Arith("sub", X, Arith("sub", 1, 2)), 0)),
        ("((((a))))", p("a")),
        # not binds tightest: it applies to the parenthesised comparison or a single operand
        ("not (x eq 1)", Not(Compare("eq", X, 1))),
        ("not a and b", And(Not(p("a")), p("b"))),
        ("not a or not b", Or(Not(p("a")), Not(p("b")))),
        ("not (a or b)", Not(Or(p("a"), p("b")))),
        ("(not a) eq true", Compare("eq", Not(p("a")), True)),
        # unary minus binds tighter than mul
        ("-x mul 2 eq 0", Compare("eq", Arith("mul", Negate(X), 2), 0)),
        # comparisons are left-associative too
        ("a eq b eq true", Compare("eq", Compare("eq", p("a"), p("b")), True)),
    ],
)
def test_precedence_and_associativity(text, expected):
    assert_same(parse_filter(text), expected)


@pytest.mark.parametrize("text", ["not name eq 'x'", "not x add 1 gt 2", "NOT result lt 5"])
def test_not_before_a_comparison_is_refused_with_advice(text):
    filter_fails(text, "'not' binds tighter than", "at position 1", "write not (")


def test_whitespace_is_free():
    assert_same(parse_filter("  (  x   eq 1 )and(y eq 2)  "), And(Compare("eq", X, 1), Compare("eq", p("y"), 2)))


# -- unary minus -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x eq -5", Compare("eq", X, -5)),
        ("x eq -2.5", Compare("eq", X, -2.5)),
        ("x eq - 5", Compare("eq", X, -5)),
        ("x eq --5", Compare("eq", X, 5)),
        ("-x eq 5", Compare("eq", Negate(X), 5)),
        ("-(x add 1) eq 5", Compare("eq", Negate(Arith("add", X, 1)), 5)),
        ("-round(x) eq 5", Compare("eq", Negate(Call("round", (X,))), 5)),
        ("x eq -duration'P1D'", Compare("eq", X, Duration(-86400.0))),
        ("x sub -1 eq 0", Compare("eq", Arith("sub", X, -1), 0)),
    ],
)
def test_unary_minus(text, expected):
    assert_same(parse_filter(text), expected)


@pytest.mark.parametrize("text", ["x eq -'abc'", "x eq -true", "-(a eq b) eq 1", "x eq -geography'POINT(1 2)'"])
def test_unary_minus_on_a_non_number_is_refused(text):
    filter_fails(text, "the operand of unary '-' must be a number")


# -- literals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'CO2'", "CO2"),
        ("''", ""),
        ("'O''Brien'", "O'Brien"),
        ("''''", "'"),
        ("'it''s ''quoted'''", "it's 'quoted'"),
        ("'Nhiệt độ 温度'", "Nhiệt độ 温度"),
        ("'a and b eq c'", "a and b eq c"),
        ("'(;)'", "(;)"),
        ("0", 0),
        ("42", 42),
        ("12345678901234567890", 12345678901234567890),
        ("10.00", 10.0),
        ("3.25", 3.25),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
        ("1e+2", 100.0),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        ("False", False),
        ("null", None),
        ("NULL", None),
    ],
)
def test_scalar_literals(literal, value):
    assert_same(parse_filter(f"x eq {literal}"), Compare("eq", X, value))


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("2016-01-01T00:00:00Z", datetime(2016, 1, 1, tzinfo=UTC)),
        ("2016-01-01T07:00:00.123+07:00", datetime(2016, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)),
        ("2016-01-01T00:30:00-02:30", datetime(2016, 1, 1, 3, 0, tzinfo=UTC)),
        ("2016-01-01T00:00:00+00:00", datetime(2016, 1, 1, tzinfo=UTC)),
        ("2016-01-01T10:20Z", datetime(2016, 1, 1, 10, 20, tzinfo=UTC)),
        ("2016-01-01t10:20:30z", datetime(2016, 1, 1, 10, 20, 30, tzinfo=UTC)),
        ("2016-01-01T00:00:00.1234567891Z", datetime(2016, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2016-02-29T23:59:59.5Z", datetime(2016, 2, 29, 23, 59, 59, 500000, tzinfo=UTC)),
        ("2016-01-01", date(2016, 1, 1)),
        ("2020-02-29", date(2020, 2, 29)),
        ("12:30", time(12, 30)),
        ("23:59:59", time(23, 59, 59)),
        ("08:00:00.25", time(8, 0, 0, 250000)),
    ],
)
def test_time_literals(literal, value):
    assert_same(parse_filter(f"phenomenonTime ge {literal}"), Compare("ge", p("phenomenonTime"), value))


def test_date_times_are_converted_to_utc():
    value = parse_filter("t eq 2016-01-01T07:00:00+07:00").right
    assert value.tzinfo is UTC
    assert value == datetime(2016, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("literal", "seconds"),
    [
        ("duration'P1D'", 86400.0),
        ("duration'P1DT2H'", 93600.0),
        ("duration'PT30M'", 1800.0),
        ("duration'PT1.5S'", 1.5),
        ("duration'P2DT3H4M5S'", 2 * 86400 + 3 * 3600 + 4 * 60 + 5.0),
        ("duration'-PT1H'", -3600.0),
        ("DURATION'p1dt1h'", 90000.0),
    ],
)
def test_duration_literals(literal, seconds):
    assert_same(parse_filter(f"x lt {literal}"), Compare("lt", X, Duration(seconds)))


@pytest.mark.parametrize("body", ["P", "PT", "P1DT", "1D", "P1Y", "P1M", "PT1X", "P1.5D", "junk"])
def test_bad_duration_literals(body):
    filter_fails(f"x lt duration'{body}'", "is not a duration", "at position 6")


@pytest.mark.parametrize(
    ("literal", "wkt"),
    [
        ("geography'POINT(1 2)'", "POINT(1 2)"),
        ("geometry'POINT(1 2)'", "POINT(1 2)"),
        ("GEOGRAPHY'POINT(1 2)'", "POINT(1 2)"),
        ("geography'SRID=4326;POINT(105.85 21.03)'", "POINT(105.85 21.03)"),
        ("geography'srid=4326; LINESTRING(7.5 51.5, 7.5 53.5)'", "LINESTRING(7.5 51.5, 7.5 53.5)"),
        ("geography'POLYGON ((30 10, 10 20, 20 40, 40 40, 30 10))'", "POLYGON ((30 10, 10 20, 20 40, 40 40, 30 10))"),
        ("geography'MULTIPOINT ((1 2), (3 4))'", "MULTIPOINT ((1 2), (3 4))"),
        ("geography' POINT Z (1 2 3) '", "POINT Z (1 2 3)"),
    ],
)
def test_geometry_literals(literal, wkt):
    node = parse_filter(f"st_within(location, {literal})")
    assert_same(node, Call("st_within", (p("location"), geo(wkt))))
    assert node.args[1].shape.geom_type == shapely.from_wkt(wkt).geom_type


@pytest.mark.parametrize(
    ("literal", "fragment"),
    [
        ("geography'POINT(1)'", "the geography literal is not valid WKT: write e.g."),
        ("geometry'FOO(1 2)'", "the geometry literal is not valid WKT"),
        ("geography'POINT(1 2) extra'", "not valid WKT"),
        ("geography''", "empty geography literal"),
        ("geography'SRID=3857;POINT(1 2)'", "only SRID=4326"),
    ],
)
def test_bad_geometry_literals(literal, fragment):
    message = filter_fails(f"st_within(location, {literal})", fragment, "at position 21")
    assert "Exception" not in str(message)  # no GEOS parser text reaches the client


# -- property paths ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("name", ("name",)),
        ("Datastream/Thing/name", ("Datastream", "Thing", "name")),
        ("properties/owner/name", ("properties", "owner", "name")),
        ("properties/a/b/c/d/e", ("properties", "a", "b", "c", "d", "e")),
        ("result", ("result",)),
        ("phenomenonTime", ("phenomenonTime",)),
        ("@iot.id", ("id",)),
        ("id", ("id",)),
        ("Datastream/@iot.id", ("Datastream", "id")),
        ("properties/not", ("properties", "not")),
        ("_private", ("_private",)),
        ("nhiệtĐộ", ("nhiệtĐộ",)),
    ],
)
def test_paths(text, segments):
    assert_same(parse_filter(f"{text} eq 1"), Compare("eq", Path(segments), 1))


def test_property_names_are_case_sensitive():
    assert parse_filter("Name eq 1").left == Path(("Name",))
    assert parse_filter("name eq 1").left == Path(("name",))


# -- functions ---------------------------------------------------------------------


def _call_text(name: str, count: int) -> str:
    args = ["x", "'s'", "2"][:count]
    return f"{name}({', '.join(args)})"


_ARGS = (X, "s", 2)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_with_its_arities(name):
    for count in FUNCTIONS[name]:
        node = parse_filter(f"{_call_text(name, count)} eq 1")
        assert_same(node, Compare("eq", Call(name, _ARGS[:count]), 1))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_rejects_a_wrong_number_of_arguments(name):
    wrong = max(FUNCTIONS[name]) + 1
    text = f"{name}({', '.join(['x'] * wrong)}) eq 1"
    filter_fails(text, f"{name} takes", f"got {wrong}", "at position 1")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("substring(name) eq 'a'", "substring takes 2 or 3 arguments, got 1"),
        ("now(x) lt t", "now takes 0 arguments, got 1"),
        ("st_relate(a, b) ", "st_relate takes 3 arguments, got 2"),
        ("length() eq 1", "length takes 1 argument, got 0"),
        ("concat('a') eq 'a'", "concat takes 2 arguments, got 1"),
        ("geo.intersects(location)", "geo.intersects takes 2 arguments, got 1"),
    ],
)
def test_arity_messages_name_the_function(text, fragment):
    filter_fails(text, fragment)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("STARTSWITH(name, 'a')", "startswith"),
        ("Geo.Intersects(location, geography'POINT(1 2)')", "geo.intersects"),
        ("ST_Within(location, geography'POINT(1 2)')", "st_within"),
        ("SubstringOf('a', name)", "substringof"),
    ],
)
def test_function_names_are_case_insensitive(text, name):
    assert parse_filter(text).name == name


def test_nested_function_calls():
    node = parse_filter("concat(concat(unitOfMeasurement/symbol, ', '), unitOfMeasurement/name) eq 'degree, Celsius'")
    inner = Call("concat", (p("unitOfMeasurement/symbol"), ", "))
    assert_same(node, Compare("eq", Call("concat", (inner, p("unitOfMeasurement/name"))), "degree, Celsius"))


def test_function_arguments_are_full_expressions():
    node = parse_filter("round(result mul 2 add 1) eq 3")
    assert_same(node, Compare("eq", Call("round", (Arith("add", Arith("mul", p("result"), 2), 1),)), 3))


@pytest.mark.parametrize("name", ["foo", "bar.baz", "any"])
def test_unknown_functions(name):
    filter_fails(f"{name}(name) eq 1", f"unknown function '{name}'", "at position 1")


def test_contains_gets_a_hint_towards_substringof():
    filter_fails("contains(name, 'x')", "unknown function 'contains'", "substringof")


@pytest.mark.parametrize("pattern", ["T********", "FF*FF****", "0F1F2T*T*", "t********"])
def test_st_relate_accepts_intersection_patterns(pattern):
    node = parse_filter(f"st_relate(location, geography'POINT(1 2)', '{pattern}')")
    assert node.args[2] == pattern


@pytest.mark.parametrize("pattern", ["T*******", "T*********", "X********", ""])
def test_st_relate_rejects_other_patterns(pattern):
    filter_fails(f"st_relate(location, geography'POINT(1 2)', '{pattern}')", "is not an intersection pattern")


# -- what a filter and its parts must be -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "name",
        "true",
        "false",
        "startswith(name, 'a')",
        "substringof('a', name)",
        "endswith(name, 'a')",
        "geo.intersects(location, geography'POINT(1 2)')",
        "st_relate(location, geography'POINT(1 2)', 'T********')",
        "st_contains(location, geography'POINT(1 2)')",
    ],
)
def test_conditions_standing_alone(text):
    parse_filter(text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("length(name)", "length(...)"),
        ("5", "the number 5"),
        ("'text'", "the string 'text'"),
        ("result add 1", "an arithmetic expression"),
        ("null", "null"),
        ("2016-01-01", "the date 2016-01-01"),
        ("geo.distance(location, geography'POINT(1 2)')", "geo.distance(...)"),
    ],
)
def test_a_filter_must_be_a_condition(text, found):
    filter_fails(text, "the filter must be a condition", found, "at position 1")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x eq 1 and 5", "the right side of 'and' must be a condition"),
        ("'a' or x eq 1", "the left side of 'or' must be a condition"),
        ("not 5", "the operand of 'not' must be a condition"),
        ("x eq 1 or length(x)", "the right side of 'or' must be a condition"),
        ("(x eq 1) add 1 eq 2", "the left side of 'add' must be a number"),
        ("x mul 'a' eq 2", "the right side of 'mul' must be a number"),
        ("x add true eq 2", "the right side of 'add' must be a number"),
        ("x sub startswith(x, 'a') eq 2", "the right side of 'sub' must be a number"),
    ],
)
def test_operands_of_the_wrong_kind(text, fragment):
    filter_fails(text, fragment)


# -- syntax errors, with positions -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("(name eq 'x'", ["expected ')' or an operator at position 13", "found the end of the value"]),
        ("substring(name, 1", ["expected ',' or ')' in the arguments of substring at position 18"]),
        ("name eq 'x')", ["expected an operator or the end of the expression at position 12", "found ')'"]),
        ("name eq 'x' foo", ["expected an operator or the end of the expression at position 13", "found 'foo'"]),
        ("name eq", ["expected a value", "at position 8", "found the end of the value"]),
        ("name eq and", ["expected a value", "at position 9", "found 'and'"]),
        ("eq 1", ["expected a value", "at position 1", "found 'eq'"]),
        ("x eq ,", ["expected a value", "at position 6"]),
        ("Datastream/ eq 1", ["expected a property name right after '/'", "at position 13"]),
        ("Datastream /Thing eq 1", ["expected an operator or the end of the expression", "at position 12", "found '/'"]),
        ("Datastream/1 eq 1", ["expected a property name right after '/'", "at position 12"]),
        ("name = 'x'", ["unexpected character '='", "at position 6", "eq, ne, gt"]),
        ("x eq 1 + 2", ["unexpected character '+'", "at position 8", "add, sub"]),
        ('name eq "x"', ["unexpected character '\"'", "single quotes"]),
        ("name eq 'abc", ["unterminated string", "at position 9"]),
        ("x eq 1.", ["malformed number", "'1.'", "at position 6"]),
        ("x eq 12abc", ["malformed number", "at position 6"]),
        ("x eq 2016-13-01", ["is not a valid date", "at position 6"]),
        ("x eq 2016-02-30T00:00:00Z", ["is not a valid date-time", "at position 6"]),
        ("x eq 2016-01-01T10:00:00", ["has no time zone", "at position 6"]),
        ("x eq 25:00", ["is not a valid time of day", "at position 6"]),
        ("x eq 2016-01-01T10:00:00+24:00", ["is not a valid date-time", "less than 24 hours"]),
        ("@iot.selfLink eq 'x'", ["'@iot.selfLink' cannot be used in an expression", "at position 1"]),
        ("Datastreams/any(d) eq 1", ["'Datastreams/any(' is not a function", "at position 1"]),
        ("Datastreams/any(d: d/name eq 'x')", ["unexpected character ':'", "at position 18"]),
        ("x eq 1 and", ["expected a value", "at position 11"]),
    ],
)
def test_syntax_errors_give_the_position(text, fragments):
    error = filter_fails(text, *fragments)
    assert f'in "{text}"' in str(error)


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_filter(text):
    filter_fails(text, "the value is empty")


def test_deep_nesting_is_refused_cleanly():
    depth = MAX_DEPTH + 5
    filter_fails("(" * depth + "a" + ")" * depth, f"nested more than {MAX_DEPTH} levels deep")
    filter_fails("not " * depth + "a", f"nested more than {MAX_DEPTH} levels deep")


def test_nesting_within_the_limit_is_fine():
    depth = MAX_DEPTH - 5
    assert parse_filter("(" * depth + "a" + ")" * depth) == p("a")


def test_an_overlong_filter_is_refused():
    filter_fails("x eq '" + "a" * MAX_LENGTH + "'", f"the limit is {MAX_LENGTH}")


def test_long_texts_are_cut_around_the_position_in_messages():
    text = "x eq 1 and " * 30 + "y eq )"
    error = filter_fails(text, f"at position {len(text)}")
    assert len(str(error)) < 300
    assert "..." in str(error)


def test_filter_errors_are_input_errors_with_status_400():
    error = filter_fails("x eq", "expected a value")
    assert error.status == 400


# -- OGC 18-088 §9.3 examples ------------------------------------------------------

POLYGON = "POLYGON ((30 10, 10 20, 20 40, 40 40, 30 10))"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("result lt 10.00", Compare("lt", p("result"), 10.0)),
        ("Datastream/ObservedProperty/name eq 'Temperature'", Compare("eq", p("Datastream/ObservedProperty/name"), "Temperature")),
        (f"geo.intersects(location, geography'{POLYGON}')", Call("geo.intersects", (p("location"), geo(POLYGON)))),
        ("name eq 'CO2'", Compare("eq", p("name"), "CO2")),
        ("name ne 'CO2'", Compare("ne", p("name"), "CO2")),
        ("result le 5 and FeatureOfInterest/id eq '1'", And(Compare("le", p("result"), 5), Compare("eq", p("FeatureOfInterest/id"), "1"))),
        ("result gt 20 or result le 3.5", Or(Compare("gt", p("result"), 20), Compare("le", p("result"), 3.5))),
        ("not startswith(description,'test')", Not(Call("startswith", (p("description"), "test")))),
        ("result add 5 eq 10", Compare("eq", Arith("add", p("result"), 5), 10)),
        ("(result sub 5) gt 10", Compare("gt", Arith("sub", p("result"), 5), 10)),
        ("result mod 2 eq 1", Compare("eq", Arith("mod", p("result"), 2), 1)),
        ("substringof('Sensor Things',description)", Call("substringof", ("Sensor Things", p("description")))),
        ("endswith(description,'Things')", Call("endswith", (p("description"), "Things"))),
        ("length(description) eq 13", Compare("eq", Call("length", (p("description"),)), 13)),
        ("indexof(description,'Sensor') eq 1", Compare("eq", Call("indexof", (p("description"), "Sensor")), 1)),
        ("substring(description,1) eq 'ensor Things'", Compare("eq", Call("substring", (p("description"), 1)), "ensor Things")),
        ("substring(description,2,4) eq 'nsor'", Compare("eq", Call("substring", (p("description"), 2, 4)), "nsor")),
        ("tolower(description) eq 'sensor things'", Compare("eq", Call("tolower", (p("description"),)), "sensor things")),
        ("trim(description) eq 'Sensor Things'", Compare("eq", Call("trim", (p("description"),)), "Sensor Things")),
        ("year(resultTime) eq 2015", Compare("eq", Call("year", (p("resultTime"),)), 2015)),
        ("fractionalseconds(resultTime) eq 0", Compare("eq", Call("fractionalseconds", (p("resultTime"),)), 0)),
        ("date(resultTime) ne date(validTime)", Compare("ne", Call("date", (p("resultTime"),)), Call("date", (p("validTime"),)))),
        ("resultTime ge mindatetime()", Compare("ge", p("resultTime"), Call("mindatetime", ()))),
        ("resultTime le now()", Compare("le", p("resultTime"), Call("now", ()))),
        ("round(result) eq 32", Compare("eq", Call("round", (p("result"),)), 32)),
        ("ceiling(result) eq 33", Compare("eq", Call("ceiling", (p("result"),)), 33)),
        (
            "geo.distance(location, geography'POINT(-122 43)') gt 5",
            Compare("gt", Call("geo.distance", (p("location"), geo("POINT(-122 43)"))), 5),
        ),
        (
            "geo.length(geography'LINESTRING(7.5 51.5, 7.5 53.5)') lt 5",
            Compare("lt", Call("geo.length", (geo("LINESTRING(7.5 51.5, 7.5 53.5)"),)), 5),
        ),
        ("st_equals(location, geography'POINT(-122 43)')", Call("st_equals", (p("location"), geo("POINT(-122 43)")))),
        (
            f"st_relate(location, geography'{POLYGON}', 'T********')",
            Call("st_relate", (p("location"), geo(POLYGON), "T********")),
        ),
        (
            "st_within(HistoricalLocations/Location/location, geography'POLYGON((7.5 51.5, 7.5 53.5, 8.5 53.5, 8.5 51.5, 7.5 51.5))')",
            Call(
                "st_within",
                (p("HistoricalLocations/Location/location"), geo("POLYGON((7.5 51.5, 7.5 53.5, 8.5 53.5, 8.5 51.5, 7.5 51.5))")),
            ),
        ),
        ("phenomenonTime gt 2003-01-01T00:00:00Z", Compare("gt", p("phenomenonTime"), datetime(2003, 1, 1, tzinfo=UTC))),
    ],
)
def test_spec_filter_examples(text, expected):
    assert_same(parse_filter(text), expected)


def test_spec_expand_path_example():
    expected = (Expand(("Datastreams",), QueryOptions(expand=(Expand(("ObservedProperty",)),))),)
    assert_same(parse_expand("Datastreams/ObservedProperty"), expected)


def test_spec_select_and_expand_example():
    options = parse_query_options(
        {"$select": "id", "$expand": "Observations($select=result;$orderby=phenomenonTime desc;$top=1)"},
    )
    observations = QueryOptions(select=("result",), orderby=(OrderItem(p("phenomenonTime"), True),), top=1)
    assert_same(options, QueryOptions(select=("id",), expand=(Expand(("Observations",), observations),)))


# -- $orderby ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("result", (OrderItem(p("result"), False),)),
        ("result asc", (OrderItem(p("result"), False),)),
        ("result desc", (OrderItem(p("result"), True),)),
        ("result DESC", (OrderItem(p("result"), True),)),
        ("result Asc", (OrderItem(p("result"), False),)),
        ("phenomenonTime desc,id", (OrderItem(p("phenomenonTime"), True), OrderItem(p("id"), False))),
        ("phenomenonTime desc , @iot.id asc", (OrderItem(p("phenomenonTime"), True), OrderItem(p("id"), False))),
        ("Datastream/name desc", (OrderItem(p("Datastream/name"), True),)),
        ("length(name) desc", (OrderItem(Call("length", (p("name"),)), True),)),
        ("result mul -1", (OrderItem(Arith("mul", p("result"), -1), False),)),
        ("properties/a/b", (OrderItem(p("properties/a/b"), False),)),
        ("desc", (OrderItem(p("desc"), False),)),
        ("geo.distance(location, geography'POINT(1 2)')", (OrderItem(Call("geo.distance", (p("location"), geo("POINT(1 2)"))), False),)),
    ],
)
def test_orderby(text, expected):
    assert_same(parse_orderby(text), expected)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["the value is empty"]),
        ("name,", ["expected an expression to order by", "at position 6"]),
        (",name", ["expected an expression to order by", "at position 1"]),
        ("name,,id", ["expected an expression to order by", "at position 6"]),
        ("name descending", ["expected 'asc', 'desc', ',' or the end of $orderby", "at position 6"]),
        ("name desc desc", ["expected 'asc', 'desc', ',' or the end of $orderby", "at position 11"]),
        ("name(", ["unknown function 'name'"]),
        ("length(name desc", ["expected ',' or ')' in the arguments of length", "at position 13"]),
    ],
)
def test_orderby_errors(text, fragments):
    fails(lambda: parse_orderby(text), *fragments, field="$orderby")


# -- $select -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name", ("name",)),
        ("name,description", ("name", "description")),
        ("@iot.id,description", ("id", "description")),
        (" result , phenomenonTime ", ("result", "phenomenonTime")),
        ("id,@iot.id,name,name", ("id", "name")),
        ("Datastreams,Locations", ("Datastreams", "Locations")),
        ("_x1", ("_x1",)),
    ],
)
def test_select(text, expected):
    assert_same(parse_select(text), expected)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["the value is empty"]),
        ("a,,b", ["expected a property name at position 3", "found ','"]),
        ("a,", ["expected a property name at position 3", "found the end of the value"]),
        ("a b", ["expected ',' or the end of the value at position 3", "found 'b'"]),
        ("properties/owner", ["takes property names, not paths", "at position 11"]),
        ("1a", ["expected a property name at position 1"]),
        ("@iot.selfLink", ["expected a property name at position 1", "only @iot.id can be selected"]),
        ("*", ["expected a property name at position 1", "found '*'"]),
    ],
)
def test_select_errors(text, fragments):
    fails(lambda: parse_select(text), *fragments, field="$select")


# -- $expand -----------------------------------------------------------------------


def test_expand_a_list_of_navigation_properties():
    assert_same(parse_expand("Datastreams, Locations"), (Expand(("Datastreams",)), Expand(("Locations",))))


def test_expand_with_nested_options_at_every_level():
    text = "Datastreams($select=name,id;$expand=Observations($top=5;$orderby=phenomenonTime desc)),Locations"
    observations = Expand(("Observations",), QueryOptions(top=5, orderby=(OrderItem(p("phenomenonTime"), True),)))
    expected = (
        Expand(("Datastreams",), QueryOptions(select=("name", "id"), expand=(observations,))),
        Expand(("Locations",)),
    )
    assert_same(parse_expand(text), expected)


def test_expand_with_every_nested_option():
    text = "Observations($filter=result gt 5 and substringof('a;b)', name);$orderby=id;$select=result;$top=3;$skip=2;$count=true;$expand=FeatureOfInterest)"
    options = QueryOptions(
        filter=And(Compare("gt", p("result"), 5), Call("substringof", ("a;b)", p("name")))),
        orderby=(OrderItem(p("id")),),
        select=("result",),
        expand=(Expand(("FeatureOfInterest",)),),
        top=3,
        skip=2,
        count=True,
    )
    assert_same(parse_expand(text), (Expand(("Observations",), options),))


def test_expand_path_form_is_nested_expansion():
    expected = (
        Expand(
            ("Things",),
            QueryOptions(expand=(Expand(("Datastreams",), QueryOptions(expand=(Expand(("Observations",)),))),)),
        ),
    )
    assert_same(parse_expand("Things/Datastreams/Observations"), expected)


def test_expand_path_form_with_options_applies_them_to_the_last_segment():
    expected = (Expand(("Datastreams",), QueryOptions(expand=(Expand(("Observations",), QueryOptions(top=5)),))),)
    assert_same(parse_expand("Datastreams/Observations($top=5)"), expected)


def test_both_forms_give_the_same_tree():
    assert parse_expand("Datastreams/Observations($top=5)") == parse_expand("Datastreams($expand=Observations($top=5))")


def test_expand_items_on_the_same_property_are_merged():
    text = "Datastreams/ObservedProperty,Datastreams($top=2),Datastreams/Observations($filter=result gt 1),Locations"
    expected = (
        Expand(
            ("Datastreams",),
            QueryOptions(
                top=2,
                expand=(
                    Expand(("ObservedProperty",)),
                    Expand(("Observations",), QueryOptions(filter=Compare("gt", p("result"), 1))),
                ),
            ),
        ),
        Expand(("Locations",)),
    )
    assert_same(parse_expand(text), expected)


def test_expand_the_same_property_twice_with_equal_options():
    assert_same(parse_expand("Datastreams($top=2),Datastreams($top=2)"), (Expand(("Datastreams",), QueryOptions(top=2)),))


def test_expand_deep_nesting_in_both_forms():
    text = "Things($expand=Datastreams/Observations($expand=FeatureOfInterest($select=name)))"
    foi = Expand(("FeatureOfInterest",), QueryOptions(select=("name",)))
    observations = Expand(("Observations",), QueryOptions(expand=(foi,)))
    expected = (Expand(("Things",), QueryOptions(expand=(Expand(("Datastreams",), QueryOptions(expand=(observations,))),))),)
    assert_same(parse_expand(text), expected)


def test_expand_tolerates_whitespace():
    text = " Datastreams ( $top = 5 ; $select = name ) , Locations "
    expected = (Expand(("Datastreams",), QueryOptions(top=5, select=("name",))), Expand(("Locations",)))
    assert_same(parse_expand(text), expected)


def test_expand_option_names_are_case_insensitive():
    assert_same(parse_expand("Datastreams($TOP=1;$OrderBy=id)"), (Expand(("Datastreams",), QueryOptions(top=1, orderby=(OrderItem(p("id")),))),))


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["the value is empty"]),
        ("Datastreams,,Locations", ["expected a navigation property name", "at position 13", "found ','"]),
        ("Datastreams,", ["expected a navigation property name", "at position 13", "found the end of the value"]),
        ("Datastreams/", ["expected a navigation property name", "at position 13"]),
        ("Datastreams Locations", ["expected ',' or the end of the value", "at position 13"]),
        ("Datastreams(", ["expected a query option such as $top=5 in the options of Datastreams", "at position 13"]),
        ("Datastreams($top=1", ["expected ';' or ')' after an option", "at position 19"]),
        ("Datastreams($top=1;)", ["expected a query option", "at position 20"]),
        ("Datastreams(top=1)", ["expected a query option", "at position 13", "found 't'"]),
        ("Datastreams($top 1)", ["expected '=' after $top", "at position 18"]),
        ("Datastreams($foo=1)", ["unknown query option '$foo' in the options of Datastreams", "at position 13"]),
        ("Observations($resultFormat=dataArray)", ["$resultFormat is allowed only at the top level"]),
        ("Datastreams($top=1;$top=2)", ["$top is given twice in the options of Datastreams", "at position 20"]),
        ("Datastreams($top=1)/Observations", ["expected ',' or the end of the value", "at position 20", "found '/'"]),
        ("Datastreams($top=1),Datastreams($top=2)", ["Datastreams is expanded twice with different $top"]),
        ("Datastreams($top=1),Datastreams/Observations($top=3),Datastreams/Observations($top=4)", ["Datastreams/Observations is expanded twice"]),
        ("1Datastreams", ["expected a navigation property name", "at position 1"]),
    ],
)
def test_expand_syntax_errors(text, fragments):
    expand_fails(text, *fragments)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("Datastreams($top=-1)", ["$expand: $top of Datastreams: must be a non-negative integer, got '-1'"]),
        ("Datastreams($skip=x)", ["$expand: $skip of Datastreams: must be a non-negative integer, got 'x'"]),
        ("Datastreams($count=maybe)", ["$expand: $count of Datastreams: must be true or false, got 'maybe'"]),
        ("Datastreams($top=)", ["$expand: $top of Datastreams: the value is empty"]),
        ("Datastreams($select=a,,b)", ["$expand: $select of Datastreams: expected a property name at position 23"]),
        (
            "Datastreams($filter=name eq 'x' or)",
            ["$expand: $filter of Datastreams: expected a value", "at position 35", "found the end of the value"],
        ),
        ("Datastreams($filter=foo(x))", ["$expand: $filter of Datastreams: unknown function 'foo' at position 21"]),
        ("Datastreams($orderby=id sideways)", ["$expand: $orderby of Datastreams: expected 'asc', 'desc'", "at position 25"]),
        (
            "Things($expand=Datastreams($expand=Observations($filter=result eq)))",
            ["$expand: $filter of Things/Datastreams/Observations: expected a value", "at position 66"],
        ),
        ("Things($expand=Datastreams(,))", ["$expand: $expand of Things: expected a query option", "at position 28"]),
        ("Datastreams/Observations($top=a)", ["$expand: $top of Datastreams/Observations: must be a non-negative integer"]),
        ("Datastreams($filter=name eq 'x)", ["$expand: $filter of Datastreams: unterminated string", "at position 29"]),
    ],
)
def test_expand_nested_option_errors_name_the_option_and_the_path(text, fragments):
    error = expand_fails(text, *fragments)
    if any("position" in fragment for fragment in fragments):
        assert f'in "{text}"' in str(error)  # positions count in the whole $expand value


def test_expand_nesting_depth_is_limited():
    text = "A($expand=" * (MAX_EXPAND_LEVELS + 2) + "B" + ")" * (MAX_EXPAND_LEVELS + 2)
    expand_fails(text, f"expansions reach more than {MAX_EXPAND_LEVELS} levels deep")


def test_expand_path_steps_count_as_levels():
    # the attack: Thing/Datastreams/Thing/… multiplies the response at every step
    expand_fails("/".join(["Thing", "Datastreams"] * 6), f"more than {MAX_EXPAND_LEVELS} levels deep (counting each step of a path)")
    deepest = "/".join(["Thing", "Datastreams"] * (MAX_EXPAND_LEVELS // 2))
    assert len(parse_expand(deepest)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Thing/Datastreams/Thing($expand=Datastreams/Thing/Datastreams/Thing)",  # 3 + 4
        "Thing($expand=Datastreams($expand=Thing/Datastreams/Thing/Datastreams/Thing))",  # 1 + 1 + 5
        "Datastreams,Thing/Datastreams/Thing/Datastreams/Thing/Datastreams/Thing",  # the second item reaches 7
    ],
)
def test_expand_levels_add_up_across_paths_and_nesting(text):
    expand_fails(text, f"more than {MAX_EXPAND_LEVELS} levels deep")


def test_expand_levels_at_the_limit_are_accepted():
    assert parse_expand("Thing/Datastreams($expand=Observations/FeatureOfInterest($expand=Observations/Datastream))")


def test_expand_error_with_a_quoted_parenthesis_inside_a_nested_filter():
    # the ')' inside the string does not end the option value
    assert parse_expand("Datastreams($filter=name eq ')';$top=1)")[0].options.top == 1


# -- parse_query_options -------------------------------------------------------------


def test_all_options_together():
    params = {
        "$filter": "result gt 5",
        "$orderby": "phenomenonTime desc",
        "$select": "result,phenomenonTime",
        "$expand": "Datastream",
        "$top": "10",
        "$skip": "20",
        "$count": "true",
        "$resultFormat": "dataArray",
    }
    expected = QueryOptions(
        filter=Compare("gt", p("result"), 5),
        orderby=(OrderItem(p("phenomenonTime"), True),),
        select=("result", "phenomenonTime"),
        expand=(Expand(("Datastream",)),),
        top=10,
        skip=20,
        count=True,
        result_format="dataArray",
    )
    assert_same(parse_query_options(params), expected)


def test_no_options_gives_the_defaults():
    assert_same(parse_query_options({}), QueryOptions(filter=None, orderby=(), select=(), expand=(), top=None, skip=0, count=None))


def test_parameters_without_a_dollar_are_ignored():
    assert_same(parse_query_options({"top": "-1", "filter": "((", "f": "json", "$top": "3"}), QueryOptions(top=3))


@pytest.mark.parametrize(
    ("key", "value", "attribute", "expected"),
    [
        ("$top", "0", "top", 0),
        ("$top", "5", "top", 5),
        ("$top", " 7 ", "top", 7),
        ("$skip", "0", "skip", 0),
        ("$skip", "100", "skip", 100),
        ("$count", "true", "count", True),
        ("$count", "false", "count", False),
        ("$count", "TRUE", "count", True),
        ("$resultFormat", "dataArray", "result_format", "dataArray"),
        ("$resultFormat", "DATAARRAY", "result_format", "dataArray"),
        ("$TOP", "4", "top", 4),
        ("$Filter", "x", "filter", X),
        ("$resultformat", "dataArray", "result_format", "dataArray"),
    ],
)
def test_single_options(key, value, attribute, expected):
    assert_same(getattr(parse_query_options({key: value}), attribute), expected)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("$top", "-1", "$top: must be a non-negative integer, got '-1'"),
        ("$top", "1.5", "$top: must be a non-negative integer, got '1.5'"),
        ("$top", "ten", "$top: must be a non-negative integer, got 'ten'"),
        ("$top", "+3", "$top: must be a non-negative integer, got '+3'"),
        ("$top", "٣", "$top: must be a non-negative integer, got '٣'"),
        ("$top", "", "$top: the value is empty"),
        ("$skip", "-5", "$skip: must be a non-negative integer, got '-5'"),
        ("$skip", "1e3", "$skip: must be a non-negative integer, got '1e3'"),
        ("$count", "yes", "$count: must be true or false, got 'yes'"),
        ("$count", "1", "$count: must be true or false, got '1'"),
        ("$resultFormat", "csv", "$resultFormat: unsupported value 'csv'; supported: dataArray"),
        ("$filter", "", "$filter: the value is empty"),
        ("$filter", "x eq", "$filter: expected a value (a property, a literal or a function call) at position 5"),
        ("$orderby", "x sideways", "$orderby: expected 'asc', 'desc'"),
        ("$select", "a,,b", "$select: expected a property name at position 3"),
        ("$expand", "Datastreams(", "$expand: expected a query option"),
    ],
)
def test_option_errors_name_the_option(key, value, message):
    error = fails(lambda: parse_query_options({key: value}), message, field=key)
    assert str(error).startswith(message)


@pytest.mark.parametrize("key", ["$foo", "$format", "$search", "$skiptoken", "$"])
def test_unknown_options_are_named(key):
    fails(lambda: parse_query_options({key: "1"}), f"{key}: unknown query option", "$filter", field=key)


def test_an_option_given_twice_in_different_case():
    fails(lambda: parse_query_options({"$top": "1", "$TOP": "2"}), "$top: the option is given twice", field="$top")


def test_a_non_text_value_is_refused():
    fails(lambda: parse_query_options({"$top": ["1", "2"]}), "$top: expected one text value, not list", field="$top")


@pytest.mark.parametrize(("top", "max_top", "expected"), [("5000", 100, 100), ("50", 100, 50), ("100", 100, 100), ("0", 100, 0), ("5000", None, 5000)])
def test_max_top_lowers_top(top, max_top, expected):
    assert parse_query_options({"$top": top}, max_top=max_top).top == expected


def test_max_top_applies_inside_expand_too():
    options = parse_query_options({"$expand": "Datastreams($top=500;$expand=Observations($top=7))"}, max_top=100)
    datastreams = options.expand[0].options
    assert datastreams.top == 100
    assert datastreams.expand[0].options.top == 7
    assert options.top is None


def test_max_top_in_parse_expand():
    assert parse_expand("Observations($top=9999)", max_top=10)[0].options.top == 10


def test_options_are_frozen():
    options = parse_query_options({"$top": "1"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.top = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_filter("x eq 1").op = "ne"  # type: ignore[misc]


def test_trees_are_hashable():
    options = parse_query_options({"$filter": "geo.intersects(location, geography'POINT(1 2)') and x eq 2016-01-01", "$expand": "A/B"})
    assert hash(options) == hash(parse_query_options({"$filter": "geo.intersects(location, geography'POINT(1 2)') and x eq 2016-01-01", "$expand": "A/B"}))


@pytest.mark.parametrize("key", ["$filter", "$orderby", "$select", "$expand"])
def test_overlong_option_values_are_refused(key):
    fails(lambda: parse_query_options({key: "a" * (MAX_LENGTH + 1)}), f"{key}: the value is", f"the limit is {MAX_LENGTH}", field=key)
