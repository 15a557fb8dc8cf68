"""Time aggregation through ``/api/datastreams/{id}/aggregate`` on both stores: local days, coverage rules, functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from vkc.config import Settings
from vkc.sensors.bulk import ObservationRecord, upsert_observations
from vkc.sensors.db import SensorDb
from vkc.sensors.entities import ENTITY_TYPES
from vkc.sensors.write import Writer
from vkc.store import open_store
from vkc.web import create_app

THING = {
    "name": "s",
    "description": "d",
    "Locations": [{"name": "l", "description": "d", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [105.8, 21.0]}}],
    "Datastreams": [
        {
            "name": "pm", "description": "d", "observationType": "m", "unitOfMeasurement": {},
            "Sensor": {"name": "s", "description": "d", "encodingType": "text/plain", "metadata": ""},
            "ObservedProperty": {"name": "PM2.5", "definition": "x", "description": "d"},
        }
    ],
}
# Hà Nội's 1 December 2024 runs from 2024-11-30T17:00Z to 2024-12-01T17:00Z
LOCAL_DAY = datetime(2024, 11, 30, 17, tzinfo=UTC)


@pytest.fixture
def series(store_url: str):
    """Hourly values: all 24 hours of local 1 Dec (value = hour index, two samples in the first hour), 17 hours of 2 Dec."""
    with open_store(store_url) as store:
        db = SensorDb(store)
        with db.writing() as conn:
            Writer(db).create(conn, ENTITY_TYPES["Things"], THING)
            ds = conn.execute("SELECT id FROM sta_datastreams").fetchone()[0]
            records = [ObservationRecord(ds, LOCAL_DAY + timedelta(hours=h), result_number=float(h)) for h in range(24)]
            records.append(ObservationRecord(ds, LOCAL_DAY + timedelta(minutes=30), result_number=10.0))
            records += [ObservationRecord(ds, LOCAL_DAY + timedelta(days=1, hours=h), result_number=100.0) for h in range(17)]
            upsert_observations(db, conn, records)
    with TestClient(create_app(Settings(database=store_url))) as client:
        yield client, ds


def periods(client, ds, **params):
    r = client.get(f"/api/datastreams/{ds}/aggregate", params={"from": "2024-11-30T17:00:00Z", "to": "2024-12-02T17:00:00Z", **params})
    assert r.status_code == 200, r.text
    return r.json()["periods"]


def test_daily_mean_uses_local_days_and_the_18_hour_rule(series) -> None:
    client, ds = series
    days = periods(client, ds, interval="1d", fn="mean")
    assert [d["start"] for d in days] == ["2024-11-30T17:00:00.000Z", "2024-12-01T17:00:00.000Z"]
    first_hour_mean = (0 + 10) / 2
    assert days[0]["mean"] == pytest.approx((first_hour_mean + sum(range(1, 24))) / 24)
    assert days[0]["count"] == 25 and days[0]["coverage"] == 1.0
    assert days[1]["mean"] is None and days[1]["count"] == 17  # 17 of 24 hours: below the 18-hour rule
    assert days[1]["coverage"] == pytest.approx(17 / 24, abs=1e-4)


def test_hourly_functions(series) -> None:
    client, ds = series
    hours = periods(client, ds, interval="1h", fn="max")
    assert hours[0] == {"start": "2024-11-30T17:00:00.000Z", "end": "2024-11-30T18:00:00.000Z", "max": 10.0, "count": 2, "coverage": 1.0}
    assert len(hours) == 24 + 17
    assert periods(client, ds, interval="1h", fn="count")[0]["count"] == 2
    assert periods(client, ds, interval="1h", fn="p95")[0]["p95"] == pytest.approx(9.5)
    assert periods(client, ds, interval="1d", fn="min")[0]["min"] == 0.0
    assert periods(client, ds, interval="1d", fn="p95")[0]["p95"] == pytest.approx(21.85)  # over the 24 hourly means


def test_monthly_needs_three_quarters_of_the_days(series) -> None:
    client, ds = series
    months = periods(client, ds, interval="1mo", fn="mean")
    assert [m["start"] for m in months] == ["2024-11-30T17:00:00.000Z"]
    assert months[0]["mean"] is None and months[0]["coverage"] == pytest.approx(1 / 31, abs=1e-4)


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"interval": "1w"}, 400, "interval"),
        ({"fn": "median"}, 400, "fn"),
        ({"tz": "Mars/Base"}, 400, "time zone"),
        ({"from": "2024-12-02T00:00:00Z", "to": "2024-12-01T00:00:00Z"}, 400, "after"),
        ({"from": "yesterday"}, 400, "from"),
    ],
)
def test_bad_requests(series, params, status, words) -> None:
    client, ds = series
    r = client.get(f"/api/datastreams/{ds}/aggregate", params={"from": "2024-11-30T17:00:00Z", "to": "2024-12-02T17:00:00Z", **params})
    assert r.status_code == status and words in r.json()["detail"]
    assert client.get("/api/datastreams/999/aggregate").status_code == 404
