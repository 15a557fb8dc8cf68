"""Property-based fuzzing (issue 13, proof 3): every query parser and file reader, fed what hypothesis makes, answers or refuses.

Queries go through the whole path a client's do — the HTTP request, the parser, the
compiler, the database — so a 5xx anywhere is a failure, as is an exception that is not
the platform's own (:class:`vkc.errors.VKCError`) from a reader, and an example that
takes longer than the deadline (a hang). The inputs are random text, soups of each
language's own tokens (which reach much deeper into a parser than random text), and
random JSON trees for CQL2 JSON and GeoJSON. Examples are derandomised, so a run in CI
is the run one repeats by hand.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vkc.config import Settings
from vkc.errors import VKCError
from vkc.layers.importer import ImportOptions, import_layer
from vkc.sensors.observation_files import read_observation_rows
from vkc.store import open_store
from vkc.web import create_app

FUZZ = settings(
    max_examples=150, deadline=timedelta(seconds=5), derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)

CQL2_TOKENS = [
    "name", "rank", "score", "kind", "geometry", '"name"', "=", "<>", "<", ">=", "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL",
    "(", ")", ",", "'a'", "'Hà Nội'", "''", "'", "1", "-1", "2.5", "1e400", "9" * 30, "TRUE", "FALSE", "+", "-", "*", "/", "%", "^", "div",
    "S_INTERSECTS(", "S_WITHIN(", "T_INTERSECTS(", "A_CONTAINS(", "CASEI(", "ACCENTI(", "POINT(105 21)", "POLYGON((", "105 21", "))",
    "BBOX(", "TIMESTAMP('2024-01-01T00:00:00Z')", "DATE('2024-13-40')", "INTERVAL(", "'..'", "[", "]", "{", "}", "\\", "\x00", "é",
]
ODATA_TOKENS = [
    "name", "id", "result", "phenomenonTime", "Datastream/id", "Thing/name", "properties/owner", "eq", "ne", "gt", "lt", "ge", "le", "and", "or",
    "not", "add", "sub", "mul", "div", "mod", "(", ")", ",", "'a'", "''", "'", "1", "-1", "2.5", str(2**63), "1e400", "true", "null",
    "substringof(", "startswith(", "length(", "year(", "round(", "geo.intersects(", "geography'POINT(105 21)'", "geography'POINT(1)'",
    "2024-01-01T00:00:00Z", "2024-13-01", "duration'P1D'", "/", "$it", "any(", "\x00", "ư",
]
EXPAND_TOKENS = ["Datastreams", "Thing", "Locations", "Observations", "Sensor", "(", ")", ";", "$top=2", "$select=id", "$expand=", "/", ",", "$filter=id gt 1", "x"]


def soup(tokens: list[str], size: int = 40) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(tokens), max_size=size).map(" ".join)


QUERY_TEXT = st.one_of(st.text(max_size=200), soup(CQL2_TOKENS))
ODATA_TEXT = st.one_of(st.text(max_size=200), soup(ODATA_TOKENS))
JSON_KEYS = st.sampled_from(["op", "args", "property", "interval", "timestamp", "date", "type", "coordinates", "bbox", "geometry", "properties", "id", "features"])
JSON_TREES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
    | st.sampled_from(["=", "and", "or", "s_intersects", "like", "Point", "Polygon", "Feature", "FeatureCollection"]),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(JSON_KEYS | st.text(max_size=6), children, max_size=5),
    max_leaves=40,
)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from seeded_store import seed

    url = seed(str(tmp_path_factory.mktemp("fuzz") / "store.gpkg"))
    with TestClient(create_app(Settings(database=url)), raise_server_exceptions=False) as client:
        yield client


def served(r) -> None:
    assert r.status_code < 500, f"{r.status_code} {r.request.url}\n{r.text[:500]}"
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json", r.text[:200]


@FUZZ
@given(text=QUERY_TEXT)
def test_cql2_text(api, text: str) -> None:
    served(api.get("/ogc/collections/places/items", params={"filter": text, "limit": "5"}))


@FUZZ
@given(tree=JSON_TREES)
def test_cql2_json(api, tree) -> None:
    served(api.get("/ogc/collections/places/items", params={"filter": json.dumps(tree), "filter-lang": "cql2-json", "limit": "5"}))


@FUZZ
@given(bbox=st.one_of(st.text(max_size=60), st.lists(st.one_of(st.floats(), st.integers(), st.text(max_size=4)), max_size=7).map(lambda v: ",".join(map(str, v)))),
       when=st.one_of(st.text(max_size=40), soup(["2024-01-01", "T", "00:00:00", "Z", "+07:00", "/", "..", "2024-13-45", "9999-12-31T23:59:59-14:00", " "], 8)),
       sortby=soup(["name", "-rank", "+score", ",", "nosuch", "'", " "], 6))
def test_items_parameters(api, bbox: str, when: str, sortby: str) -> None:
    served(api.get("/ogc/collections/places/items", params={"bbox": bbox, "datetime": when, "sortby": sortby, "limit": "5"}))


@FUZZ
@given(text=ODATA_TEXT, order=soup(ODATA_TOKENS + ["asc", "desc"], 10))
def test_odata_filter_and_orderby(api, text: str, order: str) -> None:
    served(api.get("/sta/v1.1/Observations", params={"$filter": text, "$orderby": order, "$top": "5"}))


@FUZZ
@given(expand=st.one_of(st.text(max_size=80), soup(EXPAND_TOKENS, 25)), select=soup(["id", "name", ",", "/", "Thing", "@iot.id", "x"], 8))
def test_odata_expand_and_select(api, expand: str, select: str) -> None:
    served(api.get("/sta/v1.1/Things", params={"$expand": expand, "$select": select}))


@FUZZ
@given(path=soup(["Things", "(1)", "(", ")", "/", "Datastreams", "Observations", "$ref", "$value", "name", "Locations(0)", "x", "'a'", "999999999999999999999"], 12))
def test_sensorthings_paths(api, path: str) -> None:
    served(api.get("/sta/v1.1/" + path.replace(" ", "")))


@pytest.fixture
def layer_store(tmp_path: Path):
    with open_store(tmp_path / "layers.gpkg") as store:
        yield store


@FUZZ
@given(doc=st.one_of(JSON_TREES, st.fixed_dictionaries({"type": st.just("FeatureCollection"), "features": st.lists(JSON_TREES, max_size=4)})))
def test_geojson_reader(layer_store, tmp_path: Path, doc) -> None:
    path = tmp_path / "fuzz.geojson"
    path.write_text(json.dumps(doc, allow_nan=True))
    try:
        import_layer(layer_store, path, "fuzzed", ImportOptions(parallel=False))
    except VKCError as exc:
        assert exc.status < 500, exc


@FUZZ
@given(lines=st.lists(st.one_of(st.text(max_size=60), soup(["hn-1", "pm25", "2025-01-10T00:00:00+07:00", "2025-01-10T00:00", "40", "-3", "1e400", "ug/m3", "ppb", ",", '"', "\n"], 10)), max_size=8),
       header=st.sampled_from(["station,parameter,time,value,unit", "station,parameter,time,value", "a,b", ""]))
def test_observation_file_reader(tmp_path: Path, lines: list[str], header: str) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    try:
        for _ in read_observation_rows(path, tz=None):
            pass
    except VKCError as exc:
        assert exc.status < 500, exc
