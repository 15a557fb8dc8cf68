"""SensorThings API 1.1 in-process on both stores: paths, query options, writes, dataArray and errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from vkc import auth
from vkc.config import Settings
from vkc.store import open_store
from vkc.web import create_app

ROOT = "/sta/v1.1"
UGM3 = {"name": "microgram per cubic metre", "symbol": "µg/m³", "definition": "http://unitsofmeasure.org/ucum.html#ug/m3"}
PM25 = {"name": "PM2.5", "definition": "http://vocabs.lter-europe.net/EnvThes/22069", "description": "Fine particulate matter"}
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def thing_body(name: str, lon: float, lat: float, *, owner: str = "Hanoi DONRE") -> dict:
    return {
        "name": name,
        "description": f"Air quality station {name}",
        "properties": {"owner": owner, "class": "reference"},
        "Locations": [
            {"name": f"{name} site", "description": "mast", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [lon, lat]}}
        ],
        "Datastreams": [
            {
                "name": f"{name} PM2.5",
                "description": "hourly PM2.5",
                "observationType": MEASUREMENT,
                "unitOfMeasurement": UGM3,
                "Sensor": {"name": "BAM-1020", "description": "beta attenuation monitor", "encodingType": "application/pdf", "metadata": "https://example.org/bam.pdf"},
                "ObservedProperty": PM25,
            }
        ],
    }


@pytest.fixture
def sta(store_url: str):
    with open_store(store_url) as store:
        token = auth.create_token(store, "editor", name="sta tests")[1]
    with TestClient(create_app(Settings(database=store_url))) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


@pytest.fixture
def stations(sta: TestClient) -> dict[str, int]:
    """Two Things with a PM2.5 Datastream each; Hoàn Kiếm has 30 hourly observations 10, 12, …, 68."""
    ids = {}
    for name, lon, lat in (("Hoan Kiem", 105.8523, 21.0285), ("Cau Giay", 105.7999, 21.0152)):
        r = sta.post(f"{ROOT}/Things", json=thing_body(name, lon, lat, owner="Hanoi DONRE" if name == "Hoan Kiem" else "VNEA"))
        assert r.status_code == 201, r.text
        ids[name] = r.json()["@iot.id"]
    ds = sta.get(f"{ROOT}/Things({ids['Hoan Kiem']})/Datastreams").json()["value"][0]["@iot.id"]
    ids["ds"] = ds
    rows = [[f"2024-12-01T{h:02d}:00:00Z" if h < 24 else f"2024-12-02T{h - 24:02d}:00:00Z", 10 + 2 * h] for h in range(30)]
    r = sta.post(f"{ROOT}/CreateObservations", json=[{"Datastream": {"@iot.id": ds}, "components": ["phenomenonTime", "result"], "dataArray": rows}])
    assert r.status_code == 201, r.text
    return ids


def values(r) -> list:
    assert r.status_code == 200, r.text
    return r.json()["value"]


def test_service_root_lists_the_entity_sets_and_conformance(sta: TestClient) -> None:
    body = sta.get(ROOT).json()
    assert [v["name"] for v in body["value"]] == [
        "Things", "Locations", "HistoricalLocations", "Datastreams", "Sensors", "ObservedProperties", "Observations", "FeaturesOfInterest",
    ]
    assert body["value"][0]["url"].endswith("/sta/v1.1/Things")
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array" in body["serverSettings"]["conformance"]


def test_deep_insert_creates_related_entities_and_a_historical_location(sta: TestClient, stations: dict) -> None:
    thing = sta.get(f"{ROOT}/Things({stations['Hoan Kiem']})", params={"$expand": "Locations,Datastreams($expand=Sensor,ObservedProperty),HistoricalLocations($expand=Locations)"}).json()
    assert thing["name"] == "Hoan Kiem" and thing["properties"]["owner"] == "Hanoi DONRE"
    assert thing["@iot.selfLink"].endswith(f"/Things({stations['Hoan Kiem']})")
    assert thing["Locations"][0]["location"] == {"type": "Point", "coordinates": [105.8523, 21.0285]}
    ds = thing["Datastreams"][0]
    assert ds["Sensor"]["name"] == "BAM-1020" and ds["ObservedProperty"]["name"] == "PM2.5"
    assert ds["unitOfMeasurement"] == UGM3
    assert ds["phenomenonTime"] == "2024-12-01T00:00:00.000Z/2024-12-02T05:00:00.000Z"
    assert len(thing["HistoricalLocations"]) == 1
    assert thing["HistoricalLocations"][0]["Locations"][0]["@iot.id"] == thing["Locations"][0]["@iot.id"]
    assert thing["Datastreams@iot.navigationLink"].endswith(f"/Things({stations['Hoan Kiem']})/Datastreams")


def test_created_entity_has_location_header(sta: TestClient) -> None:
    r = sta.post(f"{ROOT}/Sensors", json={"name": "s", "description": "d", "encodingType": "text/html", "metadata": "m"})
    assert r.status_code == 201
    assert r.headers["location"] == r.json()["@iot.selfLink"]
    assert sta.get(r.headers["location"].split("testserver")[1]).json()["name"] == "s"


def test_observation_without_feature_of_interest_gets_one_from_the_thing_location(sta: TestClient, stations: dict) -> None:
    obs = values(sta.get(f"{ROOT}/Datastreams({stations['ds']})/Observations", params={"$top": 2, "$expand": "FeatureOfInterest"}))
    foi = obs[0]["FeatureOfInterest"]
    assert foi["feature"] == {"type": "Point", "coordinates": [105.8523, 21.0285]}
    assert obs[1]["FeatureOfInterest"]["@iot.id"] == foi["@iot.id"]  # made once, reused
    assert len(values(sta.get(f"{ROOT}/FeaturesOfInterest"))) == 1


def test_paging_count_and_next_link(sta: TestClient, stations: dict) -> None:
    r = sta.get(f"{ROOT}/Datastreams({stations['ds']})/Observations", params={"$top": 10, "$count": "true", "$orderby": "phenomenonTime desc"})
    body = r.json()
    assert body["@iot.count"] == 30
    assert [o["result"] for o in body["value"]][:3] == [68, 66, 64]
    nxt = body["@iot.nextLink"]
    assert "$skip=10" in nxt and "$top=10" in nxt
    second = sta.get(nxt.split("testserver")[1]).json()
    assert second["value"][0]["result"] == 48
    last = sta.get(f"{ROOT}/Datastreams({stations['ds']})/Observations", params={"$top": 10, "$skip": 20}).json()
    assert len(last["value"]) == 10 and "@iot.nextLink" not in last


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("result gt 60", [62, 64, 66, 68]),
        ("result ge 62 and result lt 66", [62, 64]),
        ("result lt 12 or result eq 68", [10, 68]),
        ("not (result le 64)", [66, 68]),
        ("result add 10 gt 76", [68]),
        ("result mul 2 eq 20", [10]),
        ("result div 2 eq 5", [10]),
        ("result mod 20 eq 0 and result gt 10", [20, 40, 60]),
        ("phenomenonTime ge 2024-12-02T03:00:00Z", [64, 66, 68]),
        ("phenomenonTime lt 2024-12-01T01:00:00Z", [10]),
        ("hour(phenomenonTime) eq 2 and day(phenomenonTime) eq 2", [62]),
        ("year(phenomenonTime) eq 2024 and month(phenomenonTime) eq 12 and result lt 14", [10, 12]),
        ("Datastream/Thing/name eq 'Hoan Kiem' and result lt 13", [10, 12]),
        ("Datastream/id eq -1", []),
        ("Datastream/ObservedProperty/name eq 'PM2.5' and result gt 66", [68]),
        ("FeatureOfInterest/name eq 'Hoan Kiem site' and result lt 11", [10]),
        ("date(phenomenonTime) eq 2024-12-02 and result lt 62", [58, 60]),
        ("time(phenomenonTime) eq '05:00:00'", [20, 68]),
        ("second(phenomenonTime) eq 0 and minute(phenomenonTime) eq 0 and result lt 12", [10]),
        ("fractionalseconds(phenomenonTime) eq 0 and result lt 12", [10]),
        ("totaloffsetminutes(phenomenonTime) eq 0 and result lt 12", [10]),
        ("mindatetime(phenomenonTime) lt 2024-12-01T01:00:00Z", [10]),
        ("maxdatetime(phenomenonTime) ge 2024-12-02T05:00:00Z", [68]),
        ("phenomenonTime lt now() and result lt 12", [10]),
        ("phenomenonTime gt mindatetime() and phenomenonTime lt maxdatetime() and result lt 12", [10]),
        ("-result lt -66", [68]),
        ("result sub 8 eq 2", [10]),
        ("round(result div 3) eq 23", [68]),
        ("floor(result div 3) eq 22", [66, 68]),
        ("ceiling(result div 3) eq 4", [10, 12]),
    ],
)
def test_filter_on_observations(sta: TestClient, stations: dict, flt: str, expected: list) -> None:
    obs = values(sta.get(f"{ROOT}/Observations", params={"$filter": flt, "$orderby": "result", "$top": 100}))
    assert [o["result"] for o in obs] == expected


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("name eq 'Cau Giay'", ["Cau Giay"]),
        ("name ne 'Cau Giay'", ["Hoan Kiem"]),
        ("substringof('Kiem', name)", ["Hoan Kiem"]),
        ("startswith(name, 'Cau')", ["Cau Giay"]),
        ("endswith(name, 'Giay')", ["Cau Giay"]),
        ("length(name) eq 9", ["Hoan Kiem"]),
        ("indexof(name, 'Kiem') eq 5", ["Hoan Kiem"]),
        ("substring(name, 5) eq 'Kiem'", ["Hoan Kiem"]),
        ("substring(name, 0, 3) eq 'Cau'", ["Cau Giay"]),
        ("tolower(name) eq 'cau giay'", ["Cau Giay"]),
        ("toupper(name) eq 'HOAN KIEM'", ["Hoan Kiem"]),
        ("trim(concat(' ', name)) eq 'Cau Giay'", ["Cau Giay"]),
        ("concat(name, '!') eq 'Cau Giay!'", ["Cau Giay"]),
        ("properties/owner eq 'VNEA'", ["Cau Giay"]),
        ("properties/class eq 'reference'", ["Cau Giay", "Hoan Kiem"]),
        ("properties/missing eq 'x'", []),
        ("Datastreams/name eq 'x'", None),
    ],
)
def test_filter_on_things(sta: TestClient, stations: dict, flt: str, expected: list | None) -> None:
    r = sta.get(f"{ROOT}/Things", params={"$filter": flt, "$orderby": "name"})
    if expected is None:
        assert r.status_code == 400 and "many" in r.json()["detail"]
        return
    assert [t["name"] for t in values(r)] == expected


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("geo.intersects(location, geography'POLYGON((105.84 21.02, 105.86 21.02, 105.86 21.04, 105.84 21.04, 105.84 21.02))')", ["Hoan Kiem site"]),
        ("st_within(location, geography'POLYGON((105.7 21.0, 105.9 21.0, 105.9 21.1, 105.7 21.1, 105.7 21.0))')", ["Cau Giay site", "Hoan Kiem site"]),
        ("st_disjoint(location, geography'POLYGON((105.84 21.02, 105.86 21.02, 105.86 21.04, 105.84 21.04, 105.84 21.02))')", ["Cau Giay site"]),
        ("st_equals(location, geography'POINT(105.7999 21.0152)')", ["Cau Giay site"]),
        ("geo.distance(location, geography'POINT(105.80 21.015)') lt 0.01", ["Cau Giay site"]),
        ("st_relate(location, geography'POINT(105.7999 21.0152)', 'T********')", ["Cau Giay site"]),
        ("geo.length(location) eq 0", ["Cau Giay site", "Hoan Kiem site"]),
    ],
)
def test_geospatial_filters_on_locations(sta: TestClient, stations: dict, flt: str, expected: list) -> None:
    assert [loc["name"] for loc in values(sta.get(f"{ROOT}/Locations", params={"$filter": flt, "$orderby": "name"}))] == expected


def test_select_and_nested_expand_with_options(sta: TestClient, stations: dict) -> None:
    r = sta.get(
        f"{ROOT}/Things",
        params={
            "$select": "name,id",
            "$orderby": "name desc",
            "$expand": "Datastreams($select=name;$expand=Observations($top=2;$orderby=phenomenonTime desc;$select=result;$count=true))",
        },
    )
    things = values(r)
    assert set(things[0]) == {"@iot.id", "name", "Datastreams"}
    observations = things[0]["Datastreams"][0]["Observations"]
    assert [o["result"] for o in observations] == [68, 66]
    assert set(observations[0]) == {"result"}
    assert things[0]["Datastreams"][0]["Observations@iot.count"] == 30
    assert "$skip=2" in things[0]["Datastreams"][0]["Observations@iot.nextLink"]
    assert things[1]["Datastreams"][0]["Observations"] == []


def test_expand_path_form_and_to_one(sta: TestClient, stations: dict) -> None:
    things = values(sta.get(f"{ROOT}/Things", params={"$expand": "Datastreams/ObservedProperty", "$orderby": "name"}))
    assert things[0]["Datastreams"][0]["ObservedProperty"]["name"] == "PM2.5"
    obs = values(sta.get(f"{ROOT}/Observations", params={"$top": 1, "$expand": "Datastream($select=name)"}))
    assert obs[0]["Datastream"] == {"name": "Hoan Kiem PM2.5"}


def test_navigation_paths(sta: TestClient, stations: dict) -> None:
    hk = stations["Hoan Kiem"]
    assert sta.get(f"{ROOT}/Things({hk})/Locations").json()["value"][0]["name"] == "Hoan Kiem site"
    obs_id = values(sta.get(f"{ROOT}/Datastreams({stations['ds']})/Observations", params={"$top": 1}))[0]["@iot.id"]
    assert sta.get(f"{ROOT}/Observations({obs_id})/Datastream/Thing").json()["name"] == "Hoan Kiem"
    assert sta.get(f"{ROOT}/Observations({obs_id})/Datastream/Thing/Locations").json()["value"][0]["name"] == "Hoan Kiem site"
    assert sta.get(f"{ROOT}/Locations", params={"$filter": "name eq 'Hoan Kiem site'"}).json()["value"][0]["name"] == "Hoan Kiem site"
    loc = values(sta.get(f"{ROOT}/Things({hk})/Locations"))[0]["@iot.id"]
    assert [t["name"] for t in values(sta.get(f"{ROOT}/Locations({loc})/Things"))] == ["Hoan Kiem"]
    assert sta.get(f"{ROOT}/Things({hk})/Datastreams({stations['ds']})").json()["name"] == "Hoan Kiem PM2.5"
    assert sta.get(f"{ROOT}/Things({stations['Cau Giay']})/Datastreams({stations['ds']})").status_code == 404


def test_property_value_and_ref(sta: TestClient, stations: dict) -> None:
    hk = stations["Hoan Kiem"]
    assert sta.get(f"{ROOT}/Things({hk})/name").json() == {"name": "Hoan Kiem"}
    r = sta.get(f"{ROOT}/Things({hk})/name/$value")
    assert r.text == "Hoan Kiem" and r.headers["content-type"].startswith("text/plain")
    refs = sta.get(f"{ROOT}/Things({hk})/Datastreams/$ref").json()["value"]
    assert refs == [{"@iot.selfLink": f"http://testserver{ROOT}/Datastreams({stations['ds']})"}]
    assert sta.get(f"{ROOT}/Things({hk})/$ref").json() == {"@iot.selfLink": f"http://testserver{ROOT}/Things({hk})"}


def test_the_document_declares_what_a_value_read_and_a_delete_answer(sta: TestClient, stations: dict) -> None:
    """$value answers text/plain and DELETE answers 200 without a body: the document said JSON for both (schemathesis found it)."""
    paths = sta.get("/openapi.json").json()["paths"][f"{ROOT}/{{path}}"]
    r = sta.get(f"{ROOT}/Things({stations['Hoan Kiem']})/name/$value")
    assert r.headers["content-type"].split(";")[0] in paths["get"]["responses"]["200"]["content"]
    r = sta.delete(f"{ROOT}/Things({stations['Cau Giay']})")
    assert r.status_code == 200 and r.content == b"" and "content-type" not in r.headers
    assert "content" not in paths["delete"]["responses"]["200"]


def test_post_through_navigation_path_links_the_parent(sta: TestClient, stations: dict) -> None:
    hk = stations["Hoan Kiem"]
    r = sta.post(f"{ROOT}/Datastreams({stations['ds']})/Observations", json={"phenomenonTime": "2025-01-01T00:00:00Z", "result": 99.5})
    assert r.status_code == 201, r.text
    assert sta.get(r.headers["location"].split("testserver")[1] + "/Datastream").json()["@iot.id"] == stations["ds"]
    r = sta.post(f"{ROOT}/Things({hk})/Locations", json={"name": "new site", "description": "moved", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [105.85, 21.03]}})
    assert r.status_code == 201, r.text
    assert len(values(sta.get(f"{ROOT}/Things({hk})/HistoricalLocations"))) == 2
    assert "new site" in [loc["name"] for loc in values(sta.get(f"{ROOT}/Things({hk})/Locations"))]


def test_observation_key_makes_posting_idempotent(sta: TestClient, stations: dict) -> None:
    body = {"phenomenonTime": "2024-12-01T00:00:00Z", "result": 11.5, "Datastream": {"@iot.id": stations["ds"]}}
    first = sta.post(f"{ROOT}/Observations", json=body).json()
    second = sta.post(f"{ROOT}/Observations", json=body).json()
    assert first["@iot.id"] == second["@iot.id"] and second["result"] == 11.5
    assert sta.get(f"{ROOT}/Datastreams({stations['ds']})/Observations", params={"$count": "true", "$top": 0}).json()["@iot.count"] == 30


def test_patch_put_and_delete_cascade(sta: TestClient, stations: dict) -> None:
    hk = stations["Hoan Kiem"]
    r = sta.patch(f"{ROOT}/Things({hk})", json={"description": "renamed", "properties": {"owner": "CEM"}})
    assert r.status_code == 200 and r.json()["description"] == "renamed" and r.json()["name"] == "Hoan Kiem"
    r = sta.put(f"{ROOT}/Things({hk})", json={"description": "only this"})
    assert r.status_code == 400 and "name" in r.json()["detail"]
    r = sta.put(f"{ROOT}/Things({hk})", json={"name": "HK", "description": "replaced"})
    assert r.status_code == 200 and r.json()["name"] == "HK"
    assert sta.delete(f"{ROOT}/Things({hk})").status_code == 200
    assert sta.get(f"{ROOT}/Things({hk})").status_code == 404
    assert sta.get(f"{ROOT}/Datastreams({stations['ds']})").status_code == 404
    assert sta.get(f"{ROOT}/Observations", params={"$count": "true", "$top": 0}).json()["@iot.count"] == 0
    assert len(values(sta.get(f"{ROOT}/Things"))) == 1
    assert len(values(sta.get(f"{ROOT}/Locations"))) == 2  # locations outlive their things


def test_data_array_returns_self_links_in_order(sta: TestClient, stations: dict) -> None:
    rows = [["2025-02-01T00:00:00Z", 1.5, "2025-02-01T00:10:00Z"], ["2025-02-01T01:00:00Z", 2.5, "2025-02-01T01:10:00Z"]]
    r = sta.post(f"{ROOT}/CreateObservations", json=[{"Datastream": {"@iot.id": stations["ds"]}, "components": ["phenomenonTime", "result", "resultTime"], "dataArray": rows}])
    assert r.status_code == 201
    links = r.json()
    assert len(links) == 2
    got = sta.get(links[1].split("testserver")[1]).json()
    assert got["result"] == 2.5 and got["resultTime"] == "2025-02-01T01:10:00.000Z"


def test_get_in_data_array_format_groups_by_datastream(sta: TestClient, stations: dict) -> None:
    params = {"$resultFormat": "dataArray", "$select": "id,phenomenonTime,result", "$orderby": "phenomenonTime", "$top": "3", "$count": "true"}
    r = sta.get(f"{ROOT}/Datastreams({stations['ds']})/Observations", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["@iot.count"] == 30 and "$skip=3" in body["@iot.nextLink"] and "dataArray" in body["@iot.nextLink"]
    (block,) = body["value"]
    assert block["Datastream@iot.navigationLink"].endswith(f"/Datastreams({stations['ds']})")
    assert block["components"] == ["id", "phenomenonTime", "result"] and block["dataArray@iot.count"] == 3
    assert [row[1:] for row in block["dataArray"]] == [["2024-12-01T00:00:00.000Z", 10], ["2024-12-01T01:00:00.000Z", 12], ["2024-12-01T02:00:00.000Z", 14]]
    everything = sta.get(f"{ROOT}/Observations", params={"$resultFormat": "dataArray", "$top": "1"}).json()["value"][0]
    assert everything["components"] == ["id", "phenomenonTime", "result", "resultTime", "resultQuality", "validTime", "parameters"]
    assert sta.get(f"{ROOT}/Things", params={"$resultFormat": "dataArray"}).status_code == 400
    assert "nosuch" in sta.get(f"{ROOT}/Observations", params={"$resultFormat": "dataArray", "$select": "nosuch"}).json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("get", "/Nothings", None, 404, "entity set"),
        ("get", "/Things(999)", None, 404, "nothing"),
        ("get", "/Things(abc)", None, 400, "integer"),
        ("get", "/Things?$filter=name eq", None, 400, "$filter"),
        ("get", "/Things?$top=-1", None, 400, "$top"),
        ("get", "/Things?$bogus=1", None, 400, "$bogus"),
        ("get", "/Things?$filter=nosuch eq 1", None, 400, "nosuch"),
        ("get", "/Things?$expand=Nothing", None, 400, "Nothing"),
        ("get", "/Things(1)/nosuch", None, 404, "nosuch"),
        ("post", "/Things", {"description": "no name"}, 400, "name is required"),
        ("post", "/Things", {"name": "x", "description": "y", "colour": "red"}, 400, "colour"),
        ("post", "/Things", [1, 2], 400, "JSON object"),
        ("post", "/Datastreams", {"name": "x", "description": "y", "observationType": "o", "unitOfMeasurement": {}}, 400, "Thing is required"),
        ("post", "/Observations", {"result": 1, "Datastream": {"@iot.id": 12345}}, 404, "12345"),
        ("post", "/Observations", {"result": 1, "phenomenonTime": "2024-01-01T00:00:00", "Datastream": {"@iot.id": 1}}, 400, "time zone"),
        ("post", "/Locations", {"name": "x", "description": "y", "encodingType": "application/geo+json", "location": {"type": "Point"}}, 400, "location"),
        ("post", "/Locations", {"name": "x", "description": "y", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [105.8, 95]}}, 400, "latitude 95 is outside"),
        ("post", "/Locations", {"name": "x", "description": "y", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [500, 21]}}, 400, "longitude 500"),
        ("post", "/Things(1)", {"name": "x", "description": "y"}, 400, "collection"),
        ("patch", "/Things(999)", {"name": "x"}, 404, "999"),
        ("delete", "/Things", None, 400, "one entity"),
        ("post", "/CreateObservations", [{"Datastream": {"@iot.id": 1}, "components": ["phenomenonTime"], "dataArray": []}], 400, "result"),
    ],
)
def test_errors_name_the_problem(sta: TestClient, stations: dict, method: str, path: str, body, status: int, words: str) -> None:
    kwargs = {} if body is None else {"json": body}
    r = getattr(sta, method)(ROOT + path, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in r.json()["detail"]


def test_writes_need_a_valid_token(sta: TestClient, stations: dict) -> None:
    body = {"name": "x", "description": "y"}
    del sta.headers["Authorization"]
    assert sta.post(f"{ROOT}/Things", json=body).status_code == 401
    assert sta.delete(f"{ROOT}/Things({stations['Hoan Kiem']})").status_code == 401
    r = sta.post(f"{ROOT}/Things", json=body, headers={"Authorization": "Bearer vkc_00000000_wrong"})
    assert r.status_code == 401
    assert sta.get(f"{ROOT}/Things").status_code == 200


@pytest.mark.parametrize("collection", ["parks", "sensorthings", "alerts"])
def test_a_token_limited_to_one_collection_cannot_write_sensor_data(sta: TestClient, store_url: str, collection: str) -> None:
    with open_store(store_url) as store:
        limited = auth.create_token(store, "editor", collection=collection)[1]
    r = sta.post(f"{ROOT}/Things", json={"name": "x", "description": "y"}, headers={"Authorization": f"Bearer {limited}"})
    assert r.status_code == 403 and "does not hold the scope sensorthings" in r.json()["detail"]


def test_an_expansion_that_multiplies_the_response_is_refused_before_it_is_built(sta: TestClient) -> None:
    """The probe's attack: every Datastream repeats its Thing and every Thing all its Datastreams, level after level."""
    body = thing_body("Many streams", 105.85, 21.03)
    body["Datastreams"] = [dict(body["Datastreams"][0], name=f"stream {n}") for n in range(60)]
    assert sta.post(f"{ROOT}/Things", json=body).status_code == 201
    attack = "Thing/Datastreams/Thing/Datastreams/Thing/Datastreams"  # 60⁴ ≈ 13 million entities if built
    r = sta.get(f"{ROOT}/Datastreams", params={"$expand": attack})
    assert r.status_code == 400, r.text[:300]
    problem = r.json()
    assert problem["field"] == "$expand"
    assert "the response would hold more than" in problem["detail"] and "lower $top inside $expand" in problem["detail"]
    deeper = sta.get(f"{ROOT}/Datastreams", params={"$expand": "/".join(["Thing", "Datastreams"] * 6)})
    assert deeper.status_code == 400 and "levels deep" in deeper.json()["detail"]
    # the same shape with small pages is served
    small = values(sta.get(f"{ROOT}/Datastreams", params={"$top": 2, "$expand": "Thing($expand=Datastreams($top=2;$expand=Thing))"}))
    assert [len(d["Thing"]["Datastreams"]) for d in small] == [2, 2]
    assert small[0]["Thing"]["Datastreams"][0]["Thing"]["name"] == "Many streams"


def test_the_document_describes_write_bodies_and_links_a_create_to_its_entity(sta: TestClient) -> None:
    """Writes had no request body in the document (none could be generated); a create's links name the entity made, by the path posted to."""
    paths = sta.get("/openapi.json").json()["paths"]
    entity = paths[f"{ROOT}/{{path}}"]
    for method in ("post", "patch", "put"):
        assert entity[method]["requestBody"]["required"] is True
    assert "application/json-patch+json" in entity["patch"]["requestBody"]["content"]
    assert paths[f"{ROOT}/CreateObservations"]["post"]["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    links = entity["post"]["responses"]["201"]["links"]
    assert {link["parameters"]["path"] for link in links.values()} == {"{$request.path.path}({$response.body#/@iot.id})"}
    r = sta.post(f"{ROOT}/Things", json={"name": "a", "description": "b"})
    assert r.status_code == 201
    # the link's path, worked out by hand, is the entity's own
    made = sta.get(f"{ROOT}/Things({r.json()['@iot.id']})")
    assert made.status_code == 200 and made.json()["@iot.selfLink"] == r.headers["location"]
