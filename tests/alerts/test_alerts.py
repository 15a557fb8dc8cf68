"""Alerts on both stores: crossings found once, delivered in order to a real local receiver that fails first and then recovers.

PM2.5 100 µg/m³ held for 12 hours: NowCast 100, VN_AQI 150 + (200−150)/(150−80)·(100−80) = 164.3 → 164, above 150.
PM2.5 10 µg/m³: VN_AQI 20.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient

from vkc import auth
from vkc.alerts import subscriptions
from vkc.alerts.delivery import deliver_due
from vkc.alerts.evaluate import evaluate
from vkc.config import Settings
from vkc.errors import InputError
from vkc.sensors.db import SensorDb
from vkc.sensors.ingest import ingest_rows
from vkc.sensors.observation_files import ObservationRow
from vkc.sensors.stations import upsert_stations
from vkc.store import open_store
from vkc.web import create_app

BASE = datetime(2025, 1, 10, 0, tzinfo=UTC)
#: a public address, written as one so that no name needs resolving here (nothing is delivered to it)
PUBLIC_HOOK = "https://93.184.215.14/hook"
STATIONS = [
    {"id": "hn-1", "name": "HN", "geometry": {"type": "Point", "coordinates": [105.85, 21.03]}, "properties": {"city": "Hà Nội"}},
    {"id": "hcm-1", "name": "HCM", "geometry": {"type": "Point", "coordinates": [106.70, 10.78]}, "properties": {"city": "TP HCM"}},
]


class Receiver:
    """A webhook receiver on an ephemeral port that answers with the planned statuses, then 204."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def loopback_allowed(monkeypatch):
    """The operator's allow-list permits the test receiver's loopback address (public addresses only, otherwise)."""
    monkeypatch.setenv("VKC_OUTBOUND_ALLOW", "127.0.0.1/32")


@pytest.fixture
def receiver(loopback_allowed):
    r = Receiver([500])
    yield r
    r.close()


def pm25(store, hours: range, value: float, stations=("hn-1", "hcm-1")) -> None:
    rows = [ObservationRow(i, s, "pm25", BASE + timedelta(hours=h), value, None) for i, (s, h) in enumerate(((s, h) for s in stations for h in hours), 1)]
    assert ingest_rows(store, rows).stored == len(rows)


@pytest.fixture
def db(store):
    sdb = SensorDb(store)
    with sdb.writing() as conn:
        upsert_stations(sdb, conn, STATIONS)
    pm25(store, range(12), 100.0)
    return sdb


def outbox(db: SensorDb) -> list[tuple]:
    with db.reading() as conn:
        return conn.execute("SELECT kind, attempts, last_status, delivered IS NOT NULL FROM vkc_alert_outbox ORDER BY id").fetchall()


def test_a_crossing_is_delivered_once_through_a_receiver_that_fails_first(db, store, receiver) -> None:
    sub = subscriptions.create(db, receiver.url, {"index": "vn", "above": 150, "province": "01"}, "Hà Nội above 150")
    at = BASE + timedelta(hours=11)
    assert evaluate(db, at=at) == 1  # Hà Nội only: the TP HCM station is outside province 01
    assert evaluate(db, at=at) == 0  # found again: not recorded again

    t = datetime.now(UTC) + timedelta(minutes=1)  # events are due from when they were recorded
    with httpx.Client() as client:
        first = deliver_due(db, client, now=t)
        assert (first.delivered, first.failed) == (0, 1)
        assert outbox(db) == [("above", 1, 500, False)]
        assert deliver_due(db, client, now=t + timedelta(seconds=5)).waiting == 1  # backing off: no request
        assert len(receiver.received) == 1
        assert deliver_due(db, client, now=t + timedelta(seconds=11)).delivered == 1
        assert outbox(db) == [("above", 2, 204, True)]
        assert deliver_due(db, client, now=t + timedelta(hours=1)).delivered == 0  # delivered once

        (h1, b1), (h2, b2) = receiver.received
        assert b1 == b2 and h1["X-VKC-Event"] == h2["X-VKC-Event"] == "1-hn-1-20250110T11Z-above"
        assert h2["X-VKC-Signature"] == "sha256=" + hmac.new(sub["secret"].encode(), b2, hashlib.sha256).hexdigest()
        event = json.loads(b2)
        assert event["type"] == "aqi.above" and event["aqi"] == 164 and event["threshold"] == 150
        assert event["station"]["id"] == "hn-1" and event["time"] == "2025-01-10T11:00:00.000Z"
        assert event["category"]["en"] == "Bad" and event["method"].startswith("VN_AQI")

        # the air clears: the NowCast falls hour by hour and crosses back once
        pm25(store, range(12, 24), 10.0)
        assert evaluate(db, at=BASE + timedelta(hours=23)) == 1
        assert deliver_due(db, client, now=t + timedelta(hours=2)).delivered == 1
    below = receiver.events()[-1]
    assert below["type"] == "aqi.below" and below["aqi"] <= 150
    assert [e["kind"] for e in subscriptions.deliveries(db, sub["id"])] == ["below", "above"]


def test_a_subscriber_that_is_down_loses_nothing_and_keeps_its_order(db, store, loopback_allowed) -> None:
    down = "http://127.0.0.1:9/hook"  # the discard port: nothing listens
    sub = subscriptions.create(db, down, {"above": 150, "stations": ["hn-1"]})
    assert evaluate(db, at=BASE + timedelta(hours=11)) == 1
    pm25(store, range(12, 24), 10.0)
    assert evaluate(db, at=BASE + timedelta(hours=23)) == 1
    t = datetime.now(UTC) + timedelta(minutes=1)  # events are due from when they were recorded
    with httpx.Client() as client:
        for attempt in range(1, 4):
            report = deliver_due(db, client, now=t + timedelta(hours=attempt))
            assert (report.failed, report.waiting) == (1, 1)  # the later event waits behind the first
    (later, first) = subscriptions.deliveries(db, sub["id"])
    assert first["kind"] == "above" and first["attempts"] == 3 and first["delivered"] is None and "ConnectError" in first["last_error"]
    assert later["attempts"] == 0 and later["delivered"] is None
    receiver = Receiver([])
    try:
        with db.writing() as conn:
            conn.execute("UPDATE vkc_alert_subscriptions SET url = ?", [receiver.url])
        with httpx.Client() as client:
            assert deliver_due(db, client, now=t + timedelta(days=1)).delivered == 2
        assert [e["type"] for e in receiver.events()] == ["aqi.above", "aqi.below"]
    finally:
        receiver.close()


def test_a_station_already_above_raises_one_event_and_a_gap_changes_nothing(db, store, loopback_allowed) -> None:
    subscriptions.create(db, "http://127.0.0.1:9/x", {"above": 150})
    assert evaluate(db, at=BASE + timedelta(hours=11)) == 2  # both stations start above
    assert evaluate(db, at=BASE + timedelta(days=3)) == 0  # no newer data: nothing to look at


@pytest.fixture
def api(store_url):
    with open_store(store_url) as s:
        _, token = auth.create_token(s, "editor")
    with TestClient(create_app(Settings(database=store_url))) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_subscriptions_over_http(api) -> None:
    client, headers = api
    body = {"url": PUBLIC_HOOK, "condition": {"index": "us", "above": 100, "province": "79"}}
    assert client.post("/api/alerts/subscriptions", json=body).status_code == 401
    r = client.post("/api/alerts/subscriptions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["secret"] and created["condition"] == {"index": "us", "above": 100, "province": "79"}
    assert created["made_by"] == f"token:{headers['Authorization'].split('_')[1]}"  # who made it, as the audit trail names them
    assert r.headers["location"].endswith(f"/api/alerts/subscriptions/{created['id']}")
    listed = client.get("/api/alerts/subscriptions", headers=headers).json()["subscriptions"]
    assert [s["id"] for s in listed] == [created["id"]] and "secret" not in listed[0]
    assert client.get("/api/alerts/subscriptions", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.delete(f"/api/alerts/subscriptions/{created['id']}", headers=headers).json()["active"] is False
    assert client.get(f"/api/alerts/subscriptions/{created['id']}/events", headers=headers).json() == {"events": []}
    assert client.get("/api/alerts/subscriptions/999", headers=headers).status_code == 404


def test_the_document_describes_a_subscription_and_links_its_creation_to_it(api) -> None:
    """The document had no request body for POST (nothing could be generated) and answers of any shape; now it says both."""
    import jsonschema_rs  # the validator schemathesis checks answers with

    client, headers = api
    doc = client.get("/openapi.json").json()["paths"]
    post, one = doc["/api/alerts/subscriptions"]["post"], "/api/alerts/subscriptions/{subscription_id}"
    body = {"url": PUBLIC_HOOK, "condition": {"index": "us", "above": 100, "province": "79"}, "description": "d"}
    jsonschema_rs.validate(post["requestBody"]["content"]["application/json"]["schema"], body)
    created = client.post("/api/alerts/subscriptions", json=body, headers=headers)
    assert created.status_code == 201, created.text
    jsonschema_rs.validate(post["responses"]["201"]["content"]["application/json"]["schema"], created.json())
    for method, answer in (("get", client.get), ("delete", client.delete)):
        got = answer(f"/api/alerts/subscriptions/{created.json()['id']}", headers=headers)
        jsonschema_rs.validate(doc[one][method]["responses"]["200"]["content"]["application/json"]["schema"], got.json())
        assert "secret" not in got.json()
    listed = client.get("/api/alerts/subscriptions", headers=headers).json()
    jsonschema_rs.validate(doc["/api/alerts/subscriptions"]["get"]["responses"]["200"]["content"]["application/json"]["schema"], listed)
    links = post["responses"]["201"]["links"]
    assert {name: (link["operationRef"], link["parameters"]) for name, link in links.items()} == {
        "GetSubscription": ("#/paths/~1api~1alerts~1subscriptions~1{subscription_id}/get", {"subscription_id": "$response.body#/id"}),
        "CancelSubscription": ("#/paths/~1api~1alerts~1subscriptions~1{subscription_id}/delete", {"subscription_id": "$response.body#/id"}),
        "SubscriptionEvents": ("#/paths/~1api~1alerts~1subscriptions~1{subscription_id}~1events/get", {"subscription_id": "$response.body#/id"}),
    }


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"url": "ftp://x/y", "condition": {"above": 100}}, "url"),
        ({"url": PUBLIC_HOOK, "condition": {"above": 600}}, "condition.above"),
        ({"url": PUBLIC_HOOK, "condition": {"above": 100, "index": "eu"}}, "condition.index"),
        ({"url": PUBLIC_HOOK, "condition": {"above": 100, "province": "99"}}, "condition.province"),
        ({"url": PUBLIC_HOOK, "condition": {"above": 100, "area": "x"}}, "unknown area"),
        ({"url": PUBLIC_HOOK, "condition": {"above": 100}, "when": "now"}, "unknown when"),
        ({"url": PUBLIC_HOOK, "condition": {"above": 100, "stations": []}}, "condition.stations"),
    ],
)
def test_bad_subscriptions_are_refused_with_the_reason(api, body, words) -> None:
    client, headers = api
    r = client.post("/api/alerts/subscriptions", json=body, headers=headers)
    assert r.status_code == 400 and words in r.json()["detail"], r.text
    assert client.get("/api/alerts/subscriptions", headers=headers).json()["subscriptions"] == []


def test_cli_subscribe_and_one_worker_round(vkc, store_url, db, receiver) -> None:
    del db  # stations and observations stored
    r = vkc(["alerts", "subscribe", receiver.url, "--above", "150", "--station", "hn-1", "--db", store_url])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["condition"] == {"index": "vn", "above": 150.0, "stations": ["hn-1"]}
    r = vkc(["alerts", "run", "--once", "--db", store_url])
    assert r.returncode == 0 and "1 new events; 0 delivered, 1 failed" in r.stdout, r.stdout + r.stderr
    events = json.loads(vkc(["alerts", "events", "1", "--db", store_url]).stdout)
    assert events[0]["attempts"] == 1 and events[0]["last_status"] == 500


@pytest.mark.parametrize("collection", ["alerts", "sensorthings", "parks"])
def test_a_token_for_a_collection_cannot_manage_alerts_even_one_named_alerts(api, store_url, collection) -> None:
    client, _ = api
    with open_store(store_url) as s:
        _, limited = auth.create_token(s, "editor", collection=collection)
    body = {"url": PUBLIC_HOOK, "condition": {"above": 100}}
    r = client.post("/api/alerts/subscriptions", json=body, headers={"Authorization": f"Bearer {limited}"})
    assert r.status_code == 403 and "alerts:manage" in r.json()["detail"], r.text
    assert client.get("/api/alerts/subscriptions", headers={"Authorization": f"Bearer {limited}"}).status_code == 403


def test_scoped_tokens_hold_what_they_name(api, store_url) -> None:
    from vkc.component import installed, scope_kinds

    client, _ = api
    with open_store(store_url) as s:
        _, alerts_only = auth.create_token(s, "editor", scopes=["alerts:manage"], kinds=scope_kinds(installed()))
        with pytest.raises(InputError, match="unknown scope 'alerts'; scopes: alerts:manage, audit:read, features:<collection>, sensorthings"):
            auth.create_token(s, "editor", scopes=["alerts"], kinds=scope_kinds(installed()))
    body = {"url": PUBLIC_HOOK, "condition": {"above": 100}}
    assert client.post("/api/alerts/subscriptions", json=body, headers={"Authorization": f"Bearer {alerts_only}"}).status_code == 201
    r = client.post("/sta/v1.1/Things", json={"name": "x", "description": "y"}, headers={"Authorization": f"Bearer {alerts_only}"})
    assert r.status_code == 403 and "sensorthings" in r.json()["detail"]


def test_the_server_runs_the_alert_worker_beside_it(db, store, store_url, receiver) -> None:
    from vkc.web.server import server_tasks

    subscriptions.create(db, receiver.url, {"above": 150, "stations": ["hn-1"]})
    with server_tasks(Settings(database=store_url, tasks=False)) as running:
        assert running == []
    with server_tasks(Settings(database=store_url)) as running:
        assert running == ["alert worker"]
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while len(receiver.received) < 1 and datetime.now(UTC) < deadline:
            threading.Event().wait(0.1)
    assert [e["type"] for e in receiver.events()] == ["aqi.above"]  # the receiver's planned 500 is retried later, by the next round


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:22/",
        "http://[::1]:5432/",
        "http://2130706433/",
        "http://93.184.215.14/a\r\nX-Injected: 1",
    ],
)
def test_webhooks_into_the_servers_own_network_are_refused(api, url) -> None:
    """The probe's list: none of these may be subscribed, so the events API cannot tell an open port from a closed one."""
    client, headers = api
    r = client.post("/api/alerts/subscriptions", json={"url": url, "condition": {"above": 100}}, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "url"
    assert client.get("/api/alerts/subscriptions", headers=headers).json()["subscriptions"] == []


def test_a_stored_url_that_now_leads_inside_is_not_delivered_to(db, store, receiver, monkeypatch) -> None:
    """A subscription made while the address was allowed (or a name rebound since) is checked again at delivery."""
    subscriptions.create(db, receiver.url, {"above": 150, "stations": ["hn-1"]})
    monkeypatch.delenv("VKC_OUTBOUND_ALLOW")  # the operator withdrew the allowance
    assert evaluate(db, at=BASE + timedelta(hours=11)) == 1
    with httpx.Client() as client:
        report = deliver_due(db, client)
    assert (report.delivered, report.failed) == (0, 1) and receiver.received == []
    with db.reading() as conn:
        status, error = conn.execute("SELECT last_status, last_error FROM vkc_alert_outbox").fetchone()
    assert status is None and error.startswith("not sent: url: 127.0.0.1 is not a public address")
