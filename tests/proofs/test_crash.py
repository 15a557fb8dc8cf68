"""Crashes in the middle of writes (issue 13, proof 4): ``kill -9`` of PostgreSQL, and of the server, while eight writers post features.

No write the API acknowledged (201) may be lost, and none may be half there: every feature
stored is whole (its properties as sent), has its audit entry (the two commit together),
and the audit chain holds. Writes that were not acknowledged may or may not be there —
the client never heard — but if one is there, it is whole too. PostgreSQL runs with its
defaults here (fsync and synchronous commit on), in a cluster of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from served import free_port, wait_until_healthy
from vkc import auth
from vkc.store import audit, open_store

from pg_cluster import Cluster
from seeded_store import seed

ITEMS = "/ogc/collections/places/items"


class Server:
    """``vkc serve`` in a process of its own, started again on the same port after a crash."""

    def __init__(self, db: str, tmp: Path) -> None:
        self.db, self.port, self.log = db, free_port(), tmp / "server.log"
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "vkc", "serve", "--db", self.db, "--port", str(self.port), "--no-tasks", "--rate-limit", "0"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_until_healthy(self.base, self.proc, self.log, timeout=30)

    def kill_9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)


class Writers:
    """Eight threads posting features with ids of their own until told to stop; what was acknowledged, and what was only tried."""

    def __init__(self, server: Server, token: str) -> None:
        self.server, self.token = server, token
        self.acknowledged: dict[str, dict] = {}
        self.tried: dict[str, dict] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._write, args=(w,)) for w in range(8)]

    def _write(self, worker: int) -> None:
        with httpx.Client(base_url=self.server.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=10) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                fid = f"w{worker}-{n}"
                props = {"name": f"ghi {worker}/{n}", "rank": n, "score": n / 7, "kind": "crash"}
                body = {"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": [105.8 + worker / 100, 21.0 + n / 1e5]}, "properties": props}
                with self.lock:
                    self.tried[fid] = props
                try:
                    r = client.post(ITEMS, json=body)
                except httpx.TransportError:
                    time.sleep(0.05)
                    continue
                if r.status_code == 201:
                    with self.lock:
                        self.acknowledged[fid] = props
                else:
                    time.sleep(0.05)

    def __enter__(self) -> Writers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def wait_for(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} writes acknowledged"
            time.sleep(0.05)


def check_nothing_lost_nothing_partial(url: str, writers: Writers) -> None:
    with open_store(url) as store:
        stored = {f.id: f.properties for f in store.features("places") if f.id.startswith("w")}
        with store.reading() as conn:
            created = {e.target.removeprefix("features:places/") for e in audit.entries(conn, audit.Selection(action="feature.create"))}
            verdict = audit.verify(conn)
    lost = sorted(set(writers.acknowledged) - set(stored))
    assert not lost, f"{len(lost)} acknowledged writes lost, e.g. {lost[:5]}"
    assert set(stored) <= set(writers.tried)
    for fid, props in stored.items():
        assert props == writers.tried[fid], f"{fid} is not whole: {props}"
    assert set(stored) == created, "a feature without its audit entry, or an entry without its feature"
    assert verdict.intact, verdict.reason


@pytest.fixture
def durable_cluster():
    cluster = Cluster(durable=True)
    yield cluster
    cluster.stop()


def _token(url: str) -> str:
    with open_store(url) as store:
        return auth.create_token(store, "editor", name="crash writers")[1]


def test_kill_9_of_postgresql_in_the_middle_of_writes_loses_no_acknowledged_write(durable_cluster, tmp_path: Path) -> None:
    url = seed(durable_cluster.new_database())
    server = Server(url, tmp_path)
    server.start()
    try:
        with Writers(server, _token(url)) as writers:
            writers.wait_for(150)
            durable_cluster.kill_9()
            before_restart = len(writers.acknowledged)
            time.sleep(1.0)  # the writers meet a database that is gone
            durable_cluster.start()
            writers.wait_for(before_restart + 150)  # the server's pool reconnects by itself
    finally:
        server.stop()
    assert len(writers.tried) > len(writers.acknowledged)  # some writes did fail while the database was down
    check_nothing_lost_nothing_partial(url, writers)


@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_kill_9_of_the_server_in_the_middle_of_writes_loses_no_acknowledged_write(backend: str, store_url: str, tmp_path: Path) -> None:
    url = seed(store_url)
    server = Server(url, tmp_path)
    server.start()
    try:
        with Writers(server, _token(url)) as writers:
            writers.wait_for(150)
            server.kill_9()
            time.sleep(0.5)
            server.start()
            writers.wait_for(len(writers.acknowledged) + 100)
    finally:
        server.stop()
    check_nothing_lost_nothing_partial(url, writers)
