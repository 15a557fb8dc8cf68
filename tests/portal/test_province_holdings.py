"""``GET /api/provinces/{gso_code}/holdings`` on both stores: each layer's features in the province, its stations' latest index."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from vkc import admin
from vkc.config import Settings
from vkc.layers import import_layer
from vkc.portal.component import COMPONENT
from vkc.sensors.db import SensorDb
from vkc.sensors.entities import ENTITY_TYPES
from vkc.sensors.ingest import ingest_rows
from vkc.sensors.observation_files import ObservationRow
from vkc.sensors.parameters import OBSERVED_PROPERTY
from vkc.sensors.stations import upsert_stations
from vkc.sensors.write import Writer
from vkc.store import open_store
from vkc.web import create_app

from layer_inputs import feature_collection, point_feature

#: three sites in Hà Nội and one in Đà Nẵng
SITES = [(105.85, 21.03), (105.80, 21.00), (105.50, 21.10), (108.21, 16.05)]
#: the newest hour of observations: PM2.5 40 µg/m³ for the 12 hours to it, a NowCast of 40, VN_AQI 80 (Moderate)
NEWEST = datetime(2025, 1, 15, 5, tzinfo=UTC)
DAY = "2025-07-01"
#: a station in Hà Nội made through SensorThings, its PM2.5 Datastream without observations yet
NEW_STATION = {
    "name": "new in Hà Nội", "description": "d",
    "Locations": [{"name": "l", "description": "d", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [105.80, 21.00]}}],
    "Datastreams": [{
        "name": "pm25", "description": "d", "observationType": "m", "unitOfMeasurement": {"symbol": "µg/m³"},
        "Sensor": {"name": "s", "description": "d", "encodingType": "text/plain", "metadata": ""},
        "ObservedProperty": {"name": "PM2.5", "definition": OBSERVED_PROPERTY["pm25"]["definition"], "description": "d"},
    }],
}


def _station(sid: str, lon: float, lat: float) -> dict:
    return {"id": sid, "name": sid.upper(), "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {"id": sid}}


@pytest.fixture
def client(store_url, tmp_path):
    with open_store(store_url) as store:
        admin.load_into(store)
        path = tmp_path / "sites.geojson"
        path.write_text(json.dumps(feature_collection([point_feature(i, lon, lat) for i, (lon, lat) in enumerate(SITES)])), encoding="utf-8")
        import_layer(store, path, "sites")
        db = SensorDb(store)
        with db.writing() as conn:
            upsert_stations(db, conn, [_station("hn-1", 105.85, 21.03), _station("dn-1", 108.2, 16.05)])
            Writer(db).create(conn, ENTITY_TYPES["Things"], NEW_STATION)
        hours = [NEWEST - timedelta(hours=h) for h in range(12)]
        rows = [ObservationRow(i + 1, "hn-1", "pm25", t, 40.0, None) for i, t in enumerate(hours)]
        rows += [ObservationRow(100 + i, "dn-1", "pm25", t, 10.0, None) for i, t in enumerate(hours)]
        assert ingest_rows(store, rows).stored == 24
    with TestClient(create_app(Settings(database=store_url))) as c:
        yield c


def holdings_of(client, code: str, **params) -> dict:
    r = client.get(f"/api/provinces/{code}/holdings", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return r.json()


def section(body: dict, kind: str) -> list[dict]:
    (found,) = [s["entries"] for s in body["holdings"] if s["kind"] == kind]
    return found


def test_hanoi_holds_three_sites_and_its_stations(client):
    body = holdings_of(client, "01", date=DAY)
    assert body["date"] == DAY and body["unit"]["key"] == "01@2025-07-01" and body["unit"]["name_vi"] == "Hà Nội"
    assert [s["kind"] for s in body["holdings"]] == ["collections", "air_quality_stations"]
    layers = section(body, "collections")
    assert [(e["id"], e["count"], e["exact"]) for e in layers] == [("sites", 3, True)]  # the units' own collection is left out
    stations = {e["title"]: e for e in section(body, "air_quality_stations")}
    assert set(stations) == {"HN-1", "new in Hà Nội"}
    hn1 = stations["HN-1"]
    assert hn1["href"] == "/air/stations/hn-1" and hn1["id"] == "hn-1" and hn1["time"] == "2025-01-15T05:00:00.000Z"
    assert hn1["vn"]["aqi"] == 80 and hn1["vn"]["category"]["en"] == "Moderate" and hn1["vn"]["dominant"] == "pm25"
    assert hn1["us"]["aqi"] == 112
    new = stations["new in Hà Nội"]
    assert new["vn"] is None and new["us"] is None and new["time"] is None  # no observation yet
    assert client.get(new["href"]).status_code == 200  # its page (by @iot.id, as it has no external id)


def test_the_layer_link_opens_its_items_around_the_province(client):
    (sites,) = section(holdings_of(client, "01", date=DAY), "collections")
    assert sites["href"].startswith("/ogc/collections/sites/items?f=html&bbox=105.28")
    page = client.get(sites["href"].replace("f=html", "f=json"))
    assert page.status_code == 200 and page.json()["numberMatched"] == 3
    assert client.get(sites["href"], headers={"Accept": "text/html"}).status_code == 200


def test_da_nang_holds_its_own(client):
    body = holdings_of(client, "48", date=DAY)
    assert [(e["id"], e["count"]) for e in section(body, "collections")] == [("sites", 1)]
    assert [e["id"] for e in section(body, "air_quality_stations")] == ["dn-1"]
    assert section(body, "air_quality_stations")[0]["vn"]["category"]["en"] == "Good"


def test_the_unit_is_the_one_valid_on_the_date(client):
    before = holdings_of(client, "01", date="2025-06-30")
    assert before["unit"]["key"] == "01@pre-2025" and before["unit"]["valid_to"] == "2025-06-30"
    assert holdings_of(client, "01")["date"] == datetime.now().date().isoformat()  # default: today


def test_an_unknown_code_is_404_and_a_bad_date_400(client):
    missing = client.get("/api/provinces/99/holdings", params={"date": DAY})
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert "'99'" in missing.json()["detail"]
    gone = client.get("/api/provinces/49/holdings", params={"date": DAY})  # Quảng Nam, part of Đà Nẵng since 2025-07-01
    assert gone.status_code == 404
    for bad in ("2025-13-01", "1/7/2025", "yesterday"):
        refused = client.get("/api/provinces/01/holdings", params={"date": bad})
        assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json", bad
        assert refused.json()["field"] == "date"


def test_the_route_is_documented_and_costly(client):
    doc = client.get("/openapi.json").json()
    operation = doc["paths"]["/api/provinces/{gso_code}/holdings"]["get"]
    assert set(operation["responses"]) >= {"200", "400", "404"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["date", "unit", "holdings"]
    assert [p["name"] for p in operation["parameters"]] == ["gso_code", "date"]
    assert COMPONENT.costly is not None and COMPONENT.costly("GET", "/api/provinces/01/holdings", "") == "province holdings"
    assert COMPONENT.costly("GET", "/api/provinces", "") is None



def test_a_station_without_observations_has_its_pages(client):
    """Its index is None (no hour has data): the air pages say so rather than fail."""
    (new,) = [e for e in section(holdings_of(client, "01", date=DAY), "air_quality_stations") if e["vn"] is None]
    station = client.get(new["href"] + "?lang=en")
    assert station.status_code == 200 and "No observations." in station.text
    listing = client.get("/air?lang=en")
    assert listing.status_code == 200
    assert listing.text.index("HN-1") < listing.text.index("DN-1") < listing.text.index("new in Hà Nội")  # worst first, no index last
