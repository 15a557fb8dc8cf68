"""Several alert workers on one store, on both backends: each event is sent once, by the worker holding its subscription's lease.

The events are put in the outbox directly (due a minute ago), so that each test chooses how many; a real
receiver on loopback counts what arrives, by the ``X-VKC-Event`` id.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from vkc.alerts import lease, subscriptions
from vkc.alerts.delivery import DeliveryReport, deliver_due, signature
from vkc.errors import StoreError
from vkc.sensors.db import SensorDb
from vkc.store import open_store, upgrade_store


class Receiver:
    """A webhook receiver on an ephemeral port that answers 204 after ``delay`` seconds, first calling ``on_first`` (if any)."""

    def __init__(self, *, delay: float = 0.0, on_first: Callable[[], None] | None = None) -> None:
        self.ids: list[str] = []
        self.bodies: list[dict] = []
        self.failures: list[BaseException] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer._lock:
                    first = not outer.ids
                    outer.ids.append(self.headers["X-VKC-Event"])
                    outer.bodies.append(json.loads(body))
                if first and on_first is not None:
                    try:
                        on_first()
                    except BaseException as exc:  # seen by the test, not lost in the server's thread
                        outer.failures.append(exc)
                time.sleep(delay)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def counts(self) -> collections.Counter[str]:
        return collections.Counter(self.ids)


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("VKC_OUTBOUND_ALLOW", "127.0.0.1/32")


@pytest.fixture
def receivers(loopback_allowed):
    made: list[Receiver] = []

    def make(**kw) -> Receiver:
        made.append(Receiver(**kw))
        return made[-1]

    yield make
    for r in made:
        r.close()


def due_events(db: SensorDb, url: str, subscriptions_: int, per: int) -> dict[int, list[str]]:
    """``subscriptions_`` subscriptions to ``url``, each with ``per`` events due a minute ago; their ids, by subscription, in order."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    made: dict[int, list[str]] = {}
    for _ in range(subscriptions_):
        sid = subscriptions.create(db, url, {"above": 100})["id"]
        made[sid] = [f"{sid}-e{i:03}" for i in range(per)]
    with db.writing() as conn:
        for sid, ids in made.items():
            for event_id in ids:
                conn.execute(
                    "INSERT INTO vkc_alert_outbox (event_id, subscription_id, station, hour, kind, payload, created, attempts, next_attempt) "
                    "VALUES (?, ?, 's', ?, 'above', ?, ?, 0, ?)",
                    [event_id, sid, db.time_in(past), db.json_in({"event": event_id, "subscription": sid}), db.time_in(past), db.time_in(past)],
                )
    return made


def pending(db: SensorDb) -> list[str]:
    with db.reading() as conn:
        return [r[0] for r in conn.execute("SELECT event_id FROM vkc_alert_outbox WHERE delivered IS NULL ORDER BY id").fetchall()]


def held(db: SensorDb) -> dict[int, str]:
    with db.reading() as conn:
        return {sid: holder for sid, (holder, _) in lease.holders(conn).items()}


def assert_each_once_in_order(receiver: Receiver, made: dict[int, list[str]]) -> None:
    counts = receiver.counts()
    twice = sorted(e for e, n in counts.items() if n > 1)
    assert not twice, f"{len(twice)} events sent more than once, e.g. {twice[:5]}"
    assert set(counts) == {e for ids in made.values() for e in ids}
    for sid, ids in made.items():  # one holder at a time: each subscription's events arrive in order
        assert [e for e in receiver.ids if e.startswith(f"{sid}-")] == ids


@pytest.fixture
def db(store):
    return SensorDb(store)


def test_two_worker_processes_send_each_of_many_events_once(db, store_url, receivers) -> None:
    """Two ``vkc alerts run --once`` at the same time, over 6 subscriptions × 40 due events, to a receiver taking 5 ms an event."""
    receiver = receivers(delay=0.005)
    made = due_events(db, receiver.url, 6, 40)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("VKC_DATABASE_URL", None)
    command = [sys.executable, "-m", "vkc", "alerts", "run", "--once", "--db", store_url]
    workers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outputs = []
    for w in workers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, out + err
        outputs.append(out)
    assert_each_once_in_order(receiver, made)
    delivered = [int(m.group(1)) for out in outputs for m in re.finditer(r"; (\d+) delivered", out)]
    assert sum(delivered) == 240, outputs
    assert pending(db) == [] and held(db) == {}  # every lease given back


def test_two_worker_threads_share_the_subscriptions_and_send_each_event_once(db, store_url, receivers) -> None:
    """Two workers, each with a store of its own, started together: both deliver, neither sends what the other did."""
    receiver = receivers(delay=0.01)
    made = due_events(db, receiver.url, 8, 25)
    stores = [open_store(store_url), open_store(store_url)]
    start = threading.Barrier(2)
    reports: list[DeliveryReport] = []

    def work(store) -> None:
        start.wait()
        with httpx.Client() as client:
            reports.append(deliver_due(SensorDb(store), client))

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        for s in stores:
            s.close()
    assert len(reports) == 2
    assert_each_once_in_order(receiver, made)
    assert sum(r.delivered for r in reports) == 200 and all(r.delivered > 0 for r in reports), reports
    assert sum(r.held for r in reports) > 0  # each met subscriptions the other held
    assert pending(db) == [] and held(db) == {}


def test_a_dead_workers_lease_is_taken_over_once_it_runs_out(db, receivers) -> None:
    """The dead worker took the lease and sent the first event, then died before recording it: after expiry the next
    holder delivers everything, the first event again, under the same id (at least once: see vkc.alerts.delivery)."""
    receiver = receivers()
    made = due_events(db, receiver.url, 1, 5)
    ((sid, ids),) = made.items()
    with db.writing() as conn:
        assert lease.claim(conn, sid, "dead-worker", timedelta(seconds=1.5))
    with db.reading() as conn:
        secret = conn.execute("SELECT secret FROM vkc_alert_subscriptions WHERE id = ?", [sid]).fetchone()[0]
    body = json.dumps({"event": ids[0], "subscription": sid}).encode()
    httpx.post(receiver.url, content=body, headers={"X-VKC-Event": ids[0], "X-VKC-Signature": signature(secret, body)})
    with httpx.Client() as client:
        blocked = deliver_due(db, client)
        assert (blocked.delivered, blocked.held) == (0, 1) and receiver.ids == [ids[0]]  # only the dead worker's send
        assert held(db) == {sid: "dead-worker"}
        time.sleep(1.6)
        after = deliver_due(db, client, holder="next-worker")
    assert (after.delivered, after.held) == (5, 0)
    assert receiver.ids == [ids[0], *ids]  # the one resent carries the id it had: the receiver can tell
    assert pending(db) == [] and held(db) == {}


def test_a_worker_never_sends_for_a_subscription_another_holds(db, receivers) -> None:
    receiver = receivers()
    made = due_events(db, receiver.url, 2, 3)
    (a, a_ids), (b, b_ids) = made.items()
    with db.writing() as conn:
        assert lease.claim(conn, a, "other-worker", timedelta(hours=1))
        assert not lease.claim(conn, a, "someone-else")  # held: no one else takes it
    with httpx.Client() as client:
        report = deliver_due(db, client, holder="this-worker")
    assert (report.delivered, report.held) == (3, 1)
    assert receiver.ids == b_ids and pending(db) == a_ids
    assert held(db) == {a: "other-worker"}  # this worker gave back b's lease, and left a's alone
    with db.writing() as conn:
        lease.release(conn, a, "this-worker")  # not its lease: nothing happens
        assert held(db) == {a: "other-worker"}
        lease.release(conn, a, "other-worker")
    with httpx.Client() as client:
        assert deliver_due(db, client).delivered == 3
    assert_each_once_in_order(receiver, made)


def test_a_worker_whose_lease_was_taken_over_mid_round_stops_before_its_next_send(db, receivers) -> None:
    """While the receiver holds this worker's first request, its 1 s lease runs out and another worker takes the
    subscription: the first event is recorded as delivered, and nothing more is sent by this worker. The other
    worker's claim succeeds from inside the request, so the send holds no transaction (a held write would block it)."""

    def take_over() -> None:
        time.sleep(1.2)
        with db.writing() as conn:
            assert lease.claim(conn, sid, "new-holder", timedelta(hours=1))

    receiver = receivers(on_first=take_over)
    made = due_events(db, receiver.url, 1, 4)
    ((sid, ids),) = made.items()
    with httpx.Client() as client:
        report = deliver_due(db, client, holder="slow-worker", lease=timedelta(seconds=1))
    assert receiver.failures == []
    assert (report.delivered, report.held) == (1, 1) and receiver.ids == ids[:1]
    assert pending(db) == ids[1:] and held(db) == {sid: "new-holder"}  # the slow worker could not give back a lease not its own
    with httpx.Client() as client:
        assert deliver_due(db, client, holder="new-holder").delivered == 3
    assert_each_once_in_order(receiver, made)
    assert held(db) == {}


def test_a_store_of_alerts_version_1_is_upgraded_to_the_lease_table(store, store_url) -> None:
    """Migration 2 of the alerts: a store without the lease table is refused until `vkc db upgrade`, which makes it."""
    with store.writing() as conn:
        conn.execute("DROP TABLE vkc_alert_leases")
        conn.execute("UPDATE vkc_components SET version = 1 WHERE component = 'alerts'")
    store.close()
    with pytest.raises(StoreError, match=r"older than this vkc \(alerts 1 → 3\); run `vkc db upgrade"):
        open_store(store_url)
    assert upgrade_store(store_url)["alerts"] == 3
    with open_store(store_url) as upgraded, upgraded.reading() as conn:
        assert lease.holders(conn) == {}
