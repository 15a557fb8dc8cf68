"""Numbers and times at and past the edge of what the store can hold: each a 400 naming the parameter, never a 500.

From the adversarial probe: integers ≥ 2⁶³ reached SQLite (offset, $skip, entity and
Datastream ids, subscription ids), times near year 1 or 9999 with an offset, monthly buckets
past 9999, a 200-step navigation path and a 5 000-character time-zone name.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from vkc import auth
from vkc.config import Settings
from vkc.store import open_store
from vkc.web import create_app

HUGE = str(2**63)
STA = "/sta/v1.1"


@pytest.fixture
def api(seeded_url: str):
    with open_store(seeded_url) as store:
        _, token = auth.create_token(store, "editor")
    with TestClient(create_app(Settings(database=seeded_url)), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        thing = {
            "name": "edge",
            "description": "edge cases",
            "Locations": [{"name": "l", "description": "l", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [105.85, 21.03]}}],
            "Datastreams": [
                {
                    "name": "pm25",
                    "description": "d",
                    "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                    "unitOfMeasurement": {"name": "µg/m³", "symbol": "µg/m³", "definition": "http://unitsofmeasure.org/ucum.html#ug/m3"},
                    "Sensor": {"name": "s", "description": "s", "encodingType": "text/plain", "metadata": "m"},
                    "ObservedProperty": {"name": "PM2.5", "definition": "http://vocabs.lter-europe.net/EnvThes/22069", "description": "pm"},
                    "Observations": [{"phenomenonTime": "2025-01-01T00:00:00Z", "result": 10}],
                }
            ],
        }
        assert client.post(f"{STA}/Things", json=thing).status_code == 201
        yield client


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/ogc/collections/places/items?offset={HUGE}", "offset"),
        (f"/ogc/collections/places/items?limit={HUGE}", "limit"),
        ("/ogc/collections/places/items?offset=%D9%A3", "offset"),  # an Arabic-Indic digit is not an ASCII integer
        (f"{STA}/Things?$skip={HUGE}", "$skip"),
        (f"{STA}/Things?$top={HUGE}0", "$top"),
        (f"{STA}/Things({HUGE})", "path"),
        (f"{STA}/Things(-{HUGE}1)", "path"),
        (f"{STA}/Datastreams(1)/Observations?$expand=Datastream($skip={HUGE})", "$expand"),
        (f"/api/datastreams/{HUGE}/aggregate", "datastream_id"),
        (f"/api/alerts/subscriptions/{HUGE}", "subscription_id"),
        (f"/api/alerts/subscriptions/{HUGE}/events", "subscription_id"),
        ("/api/datastreams/1/aggregate?interval=1mo&from=9999-01-01T00:00:00Z&to=9999-12-31T23:00:00Z", "to"),
        ("/api/datastreams/1/aggregate?interval=1d&from=0001-01-01T00:00:00%2B07:00&to=0001-01-02T00:00:00Z", "to"),
        ("/api/datastreams/1/aggregate?interval=1h&to=0001-01-01T00:00:00Z", "to"),
        ("/api/datastreams/1/aggregate?tz=" + "A" * 5000, "tz"),
        ("/api/datastreams/1/aggregate?tz=../../etc/passwd", "tz"),
        ("/api/aqi/stations/x/daily?tz=" + "Asia/" * 1000, "tz"),
        ("/api/aqi/stations/x/hourly?from=9999-12-31T23:00:00-05:00", "from"),
        ("/api/aqi/stations?at=0001-01-01T00:00:00%2B01:00", "at"),
        ("/ogc/collections/places/items?datetime=9999-12-31T23:59:59-10:00/..", "datetime"),
        (f"{STA}/Things(1)" + "/Datastreams(1)/Thing" * 100, "path"),
    ],
)
def test_edge_values_are_400s_naming_the_parameter(api: TestClient, path: str, field: str) -> None:
    r = api.get(path)
    assert r.status_code == 400, (r.status_code, r.text[:400])
    problem = r.json()
    assert problem.get("field") == field or field in problem["detail"], problem
    assert "Traceback" not in r.text and "sqlite" not in r.text.lower() and "psycopg" not in r.text.lower()
