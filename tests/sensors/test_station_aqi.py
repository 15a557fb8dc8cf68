"""Station AQI from stored observations on both stores: latest per station, hourly, daily, CLI, errors.

Hand-computed values:
- PM2.5 40 µg/m³ for 12 hours: NowCast 40. VN: 50 + (100−50)/(50−25)·(40−25) = 80.
  US (2024): 101 + (150−101)/(55.4−35.5)·(40−35.5) = 112.08 → 112.
- NO2 50 µg/m³: VN 50/100·50 = 25; US 50·24.45/46.01 = 26.57 ppb → 26.57·50/53 = 25.07 → 25.
- CO 1 mg/m³ = 1 000 µg/m³: VN 1000/10000·50 = 5.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from vkc.config import Settings
from vkc.sensors.db import SensorDb
from vkc.sensors.entities import ENTITY_TYPES
from vkc.sensors.ingest import ingest_rows
from vkc.sensors.observation_files import ObservationRow
from vkc.sensors.parameters import OBSERVED_PROPERTY
from vkc.sensors.stations import upsert_stations
from vkc.sensors.write import Writer
from vkc.store import open_store
from vkc.web import create_app

H = datetime(2025, 1, 15, 5, tzinfo=UTC)  # 12:00 in Hà Nội
LOCAL_DAY = datetime(2025, 1, 14, 17, tzinfo=UTC)  # 15 January 2025, local


def station(sid: str, city: str, lon: float, lat: float) -> dict:
    return {"id": sid, "name": sid.upper(), "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {"id": sid, "city": city}}


def rows() -> list[ObservationRow]:
    out = []
    for h in range(24):  # the whole local day of 15 January at hn-1
        t = LOCAL_DAY + timedelta(hours=h)
        out.append(ObservationRow(len(out) + 1, "hn-1", "pm25", t, 40.0 if t <= H else 10.0, None))
        out.append(ObservationRow(len(out) + 1, "hn-1", "no2", t, 50.0, None))
    for h in range(17):  # 17 hours only at dn-1 on the same day: too few for a daily value
        out.append(ObservationRow(len(out) + 1, "dn-1", "pm25", LOCAL_DAY + timedelta(hours=h), 30.0, None))
    return out


@pytest.fixture
def client(store_url: str):
    with open_store(store_url) as store:
        db = SensorDb(store)
        with db.writing() as conn:
            upsert_stations(db, conn, [station("hn-1", "Hà Nội", 105.8, 21.0), station("dn-1", "Đà Nẵng", 108.2, 16.05)])
        assert ingest_rows(store, rows()).stored == 48 + 17
        with db.writing() as conn:  # a station made through SensorThings, CO in mg/m³, found by the property's definition
            co = OBSERVED_PROPERTY["co"]
            Writer(db).create(conn, ENTITY_TYPES["Things"], {
                "name": "sta-made", "description": "d",
                "Locations": [{"name": "l", "description": "d", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [106.7, 10.8]}}],
                "Datastreams": [{
                    "name": "co", "description": "d", "observationType": "m", "unitOfMeasurement": {"symbol": "mg/m3"},
                    "Sensor": {"name": "s", "description": "d", "encodingType": "text/plain", "metadata": ""},
                    "ObservedProperty": {"name": "carbon monoxide", "definition": co["definition"], "description": "d"},
                    "Observations": [{"phenomenonTime": (H - timedelta(hours=i)).isoformat(), "result": 1.0} for i in range(3)],
                }],
            })
    with TestClient(create_app(Settings(database=store_url))) as c:
        yield c


def features_by_station(client, **params) -> dict:
    r = client.get("/api/aqi/stations", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    return {f["properties"]["station"]: f for f in r.json()["features"]}


def test_latest_of_every_station_as_geojson(client) -> None:
    found = features_by_station(client, at=H.isoformat())
    assert len(found) == 3 and {"hn-1", "dn-1"} <= set(found)
    hn = found["hn-1"]
    assert hn["geometry"] == {"type": "Point", "coordinates": [105.8, 21.0]}
    props = hn["properties"]
    assert props["time"] == "2025-01-15T05:00:00.000Z" and props["city"] == "Hà Nội"
    assert props["vn"]["aqi"] == 80 and props["vn"]["sub"] == {"pm25": 80, "no2": 25} and props["vn"]["dominant"] == "pm25"
    assert props["us"]["aqi"] == 112 and props["us"]["sub"] == {"pm25": 112, "no2": 25}
    assert props["vn"]["category"]["en"] == "Moderate" and props["vn"]["category"]["color"].startswith("#")
    assert props["vn"]["method"].startswith("VN_AQI") and props["us"]["method"].startswith("US EPA")
    assert props["vn"]["advice"] is not None


def test_latest_without_at_is_the_newest_hour(client) -> None:
    props = features_by_station(client)["hn-1"]["properties"]
    assert props["time"] == "2025-01-15T16:00:00.000Z"  # the last hour of the local day
    # NowCast of 11 hours of 10 and 1 of 40 (newest first): weights favour the recent hours
    assert props["vn"]["sub"]["pm25"] < 40


def test_a_station_without_data_before_at_has_no_index(client) -> None:
    props = features_by_station(client, at="2024-01-01T00:00:00Z")["hn-1"]["properties"]
    assert props["time"] is None and props["vn"]["aqi"] is None and props["us"]["aqi"] is None


def test_units_of_a_sensorthings_datastream_are_converted(client) -> None:
    sta_made = [f for f in features_by_station(client, at=H.isoformat()).values() if f["properties"]["name"] == "sta-made"]
    (feature,) = sta_made
    vn = feature["properties"]["vn"]
    assert vn["sub"] == {"co": 5} and vn["aqi"] is None  # VN_AQI needs PM; the sub-index is still given
    assert feature["properties"]["us"]["aqi"] is not None  # the US method does not


def test_one_station_and_hourly_series(client) -> None:
    r = client.get("/api/aqi/stations/hn-1", params={"at": H.isoformat()})
    assert r.status_code == 200 and r.json()["vn"]["aqi"] == 80
    r = client.get("/api/aqi/stations/hn-1/hourly", params={"from": (H - timedelta(hours=2)).isoformat(), "to": (H + timedelta(hours=1)).isoformat()})
    assert r.status_code == 200, r.text
    hours = r.json()["hours"]
    assert [h["time"] for h in hours] == ["2025-01-15T03:00:00.000Z", "2025-01-15T04:00:00.000Z", "2025-01-15T05:00:00.000Z"]
    assert [h["vn"]["aqi"] for h in hours] == [80, 80, 80]
    assert "advice" not in hours[0]["vn"]


def test_daily_uses_local_days_and_the_18_hour_rule(client) -> None:
    params = {"from": "2025-01-14T17:00:00Z", "to": "2025-01-15T17:00:00Z"}
    body = client.get("/api/aqi/stations/hn-1/daily", params=params).json()
    (day,) = body["days"]
    assert day["date"] == "2025-01-15" and body["tz"] == "Asia/Ho_Chi_Minh"
    expected_pm = (13 * 40 + 11 * 10) / 24  # 26.25 µg/m³ → VN 50 + 50/25·1.25 = 52.5 → 53
    assert expected_pm == 26.25 and day["vn"]["sub"]["pm25"] == 53 and day["vn"]["sub"]["no2"] == 25
    (short,) = client.get("/api/aqi/stations/dn-1/daily", params=params).json()["days"]
    assert short["vn"]["aqi"] is None and short["vn"]["sub"] == {}


def test_plain_dates_are_local_days_everywhere(client) -> None:
    by_instants = client.get("/api/aqi/stations/hn-1/daily", params={"from": "2025-01-14T17:00:00Z", "to": "2025-01-15T17:00:00Z"}).json()
    by_dates = client.get("/api/aqi/stations/hn-1/daily", params={"from": "2025-01-15", "to": "2025-01-15"})
    assert by_dates.status_code == 200, by_dates.text
    assert by_dates.json()["days"] == by_instants["days"] and by_dates.json()["from"] == "2025-01-14T17:00:00.000Z"
    hours = client.get("/api/aqi/stations/hn-1/hourly", params={"from": "2025-01-15", "to": "2025-01-15"}).json()["hours"]
    assert len(hours) == 24 and hours[0]["time"] == "2025-01-14T17:00:00.000Z"  # the local day, midnight to midnight
    latest = client.get("/api/aqi/stations/hn-1", params={"at": "2025-01-15"}).json()
    assert latest["time"] == "2025-01-15T16:00:00.000Z"  # the day's last hour, not the next day's first
    (ds,) = [d["@iot.id"] for d in client.get("/sta/v1.1/Datastreams").json()["value"] if d["name"].startswith("HN-1") and "2.5" in d["name"]]
    day = client.get(f"/api/datastreams/{ds}/aggregate", params={"interval": "1d", "from": "2025-01-15", "to": "2025-01-15"})
    assert day.status_code == 200, day.text
    assert [p["count"] for p in day.json()["periods"]] == [24]
    bad = client.get("/api/aqi/stations/hn-1/daily", params={"from": "2025-02-30"})
    assert bad.status_code == 400 and "is not a date" in bad.json()["detail"] and bad.json()["field"] == "from"


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/api/aqi/stations/nope", {}, 404, "nope"),
        ("/api/aqi/stations", {"at": "yesterday"}, 400, "at"),
        ("/api/aqi/stations/hn-1/hourly", {"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, 400, "after"),
        ("/api/aqi/stations/hn-1/hourly", {"from": "2020-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, 400, "366 days"),
        ("/api/aqi/stations/hn-1/daily", {"tz": "Mars/Olympus"}, 400, "time zone"),
    ],
)
def test_errors_name_the_problem(client, path, params, status, words) -> None:
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json" and words in r.json()["detail"]


def test_hourly_means_read_by_key_range_not_whole_table(gpkg_store) -> None:
    from vkc.sensors.pollutant_series import hourly_means, hourly_means_sql

    db = SensorDb(gpkg_store)
    with db.reading() as conn:
        assert hourly_means(db, conn, []) == {}
        plan = " ".join(str(r) for r in conn.raw.execute("EXPLAIN QUERY PLAN " + hourly_means_sql(db), ["[[1, 0, 10]]"]).fetchall())
    assert "SEARCH o USING INDEX sta_observations_key (datastream_id=? AND phenomenon_time_start>? AND phenomenon_time_start<?)" in plan


def test_cli_station_latest_and_date(vkc, store_url, client) -> None:
    del client  # only for the data it stored
    r = vkc(["aqi", "hn-1", "--at", H.isoformat(), "--db", store_url])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["vn"]["aqi"] == 80
    r = vkc(["aqi", "hn-1", "--date", "2025-01-15", "--db", store_url])
    assert r.returncode == 0 and json.loads(r.stdout)["vn"]["sub"]["pm25"] == 53
    r = vkc(["aqi", "hn-1", "--date", "15/01/2025", "--db", store_url])
    assert r.returncode == 1 and "--date" in r.stderr


def test_cli_says_when_there_is_no_data_for_the_day_or_time_asked(vkc, store_url, client) -> None:
    del client  # only for the data it stored
    r = vkc(["aqi", "hn-1", "--date", "2024-06-01", "--db", store_url])
    assert r.returncode == 1 and "no daily index for 2024-06-01" in r.stderr and r.stdout == ""
    r = vkc(["aqi", "dn-1", "--date", "2025-01-15", "--db", store_url])  # 17 hours: one short of a day
    assert r.returncode == 1 and "at least 18 of its 24 hourly means" in r.stderr
    r = vkc(["aqi", "hn-1", "--at", "2024-01-01T00:00:00Z", "--db", store_url])
    assert r.returncode == 1 and "has no observation of a pollutant before 2024-01-01T00:00:00Z" in r.stderr
