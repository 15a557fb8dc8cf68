"""No store work on the event loop: a write waiting for the GeoPackage's lock leaves the server answering everything else.

Another connection holds the file's write lock (``BEGIN IMMEDIATE``, as GDAL,
QGIS or a second server process would), a write request reaches the store
and waits there (up to the 30 s busy timeout), and a reader on the same
worker must still be answered while that write waits.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from vkc import auth
from vkc.config import Settings
from vkc.store import open_store
from vkc.web import create_app

from live_server import live_server
from seeded_store import seed

ITEM = "/ogc/collections/places/items/p03"
FEATURE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]}, "properties": {"name": "x"}}
#: how long the reader may take while the write waits: far below the 30 s the write may wait, far above a read of this store
PROMPT = 8.0

#: name → a write (method, path, body, whether it needs If-Match) and the status it ends with once the lock is free
WRITES = {
    "ogc create": ("POST", "/ogc/collections/places/items", FEATURE, False, 201),
    "ogc replace": ("PUT", ITEM, FEATURE, True, 204),
    "ogc update": ("PATCH", ITEM, {"properties": {"name": "y"}}, True, 200),
    "ogc delete": ("DELETE", ITEM, None, True, 204),
    "sta create": ("POST", "/sta/v1.1/Things", {"name": "t", "description": "d"}, False, 201),
    "alert subscription": ("POST", "/api/alerts/subscriptions", {"url": "https://93.184.215.14/h", "condition": {"index": "us", "above": 100}}, False, 201),
}


def _signalling(method: Callable, entered: threading.Event) -> Callable:
    def wrapped(*args, **kwargs):
        entered.set()
        return method(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize("name", WRITES)
def test_a_write_waiting_for_the_lock_does_not_stall_other_requests(tmp_path, monkeypatch, name: str) -> None:
    method, path, body, versioned, done_status = WRITES[name]
    url = seed(str(tmp_path / "busy.gpkg"))
    with open_store(url) as store:
        token = auth.create_token(store, "editor")[1]
    app = create_app(Settings(database=url))
    with live_server(app) as base, httpx.Client(base_url=base, timeout=PROMPT) as reader, httpx.Client(base_url=base, timeout=60) as writer:
        headers = {"Authorization": f"Bearer {token}"}
        if versioned:
            headers["If-Match"] = reader.get(ITEM).headers["etag"]
        entered = threading.Event()  # the write has reached the store's transaction
        monkeypatch.setattr(app.state.store, "transaction", _signalling(app.state.store.transaction, entered))
        holder = sqlite3.connect(url, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with ThreadPoolExecutor(1) as pool:
                write = pool.submit(writer.request, method, path, json=body, headers=headers)
                try:
                    assert entered.wait(PROMPT), "the write never reached the store"
                    r = reader.get("/ogc/collections")  # httpx.ReadTimeout after PROMPT s if the event loop is stuck in the write
                    assert r.status_code == 200 and not write.done(), "the read was answered after the write, not beside it"
                    assert reader.get(f"{ITEM}?f=json").status_code == 200
                finally:
                    holder.execute("ROLLBACK")
                written = write.result(timeout=60)
        finally:
            holder.close()
    assert written.status_code == done_status, written.text
