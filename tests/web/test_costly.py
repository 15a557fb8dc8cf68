"""Costly requests (large pages, CQL2 filters, low-zoom tiles) run a few at a time per process; a short queue; 503 with Retry-After beyond it; cheap requests pass by."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from vkc.layers import costly as features_costly
from vkc.layers.costly import costly_request
from vkc.web import costly
from vkc.web.costly import CostlyRequests, costly_kind

from live_server import live_server


def scope(path: str, query: str = "", method: str = "GET") -> dict:
    return {"type": "http", "method": method, "path": path, "query_string": query.encode(), "headers": []}


@pytest.mark.parametrize(
    ("path", "query", "method", "kind"),
    [
        ("/ogc/collections/pts/items", "filter=kind%20%3D%20%27a%27", "GET", "filter"),
        ("/ogc/collections/pts/items", "limit=101", "GET", "large page"),
        ("/ogc/collections/pts/items", "limit=5000&bbox=1,2,3,4", "HEAD", "large page"),
        ("/ogc/collections/pts/tiles/WebMercatorQuad/10/450/813", "", "GET", "low-zoom tile"),
        ("/ogc/collections/pts/tiles/WebMercatorQuad/0/0/0", "", "GET", "low-zoom tile"),
        ("/ogc/collections/pts/download", "format=gpkg", "GET", "download"),
        ("/ogc/collections/pts/items", "limit=100", "GET", None),
        ("/ogc/collections/pts/items", "", "GET", None),
        ("/ogc/collections/pts/items", "limit=abc", "GET", None),  # the route answers 400
        ("/ogc/collections/pts/items", "bbox=1,2,3,4&limit=20", "GET", None),
        ("/ogc/collections/pts/items", "filter=", "GET", None),
        ("/ogc/collections/pts/items", "limit=5000", "POST", None),  # a write is not a read of the data
        ("/ogc/collections/pts/items/abc", "limit=5000", "GET", None),
        ("/ogc/collections/pts/tiles/WebMercatorQuad/11/900/1626", "", "GET", None),
        ("/ogc/collections/pts/tiles/WebMercatorQuad", "", "GET", None),
        ("/ogc/collections/pts", "limit=5000", "GET", None),
        ("/sta/v1.1/Observations", "$top=10000", "GET", None),
    ],
)
def test_which_requests_are_costly(path, query, method, kind):
    assert costly_request(method, path, query) == kind
    assert costly_kind(scope(path, query, method), [lambda *_: None, costly_request]) == kind  # the first component that says so


def test_the_kernel_knows_no_costly_request_but_what_components_declare():
    assert costly_kind(scope("/ogc/collections/pts/items", "limit=5000"), []) is None


class Held:
    """An ASGI app that answers 200 once its request's event is set; records the order requests started in."""

    def __init__(self) -> None:
        self.release: dict[str, asyncio.Event] = {}
        self.started: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        name = scope["query_string"].decode()
        self.started.append(name)
        await self.release.setdefault(name, asyncio.Event()).wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(app, path: str, query: str, gone: asyncio.Event | None = None) -> tuple[int, dict[bytes, bytes], bytes] | None:
    """One request as a server makes it: its body, then ``http.disconnect`` once ``gone`` is set; None if nothing was answered."""
    sent: list[dict] = []
    gone = gone or asyncio.Event()
    body_read = False

    async def send(message):
        sent.append(message)

    async def receive():
        nonlocal body_read
        if not body_read:
            body_read = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    await app(scope(path, query), receive, send)
    if not sent:
        return None
    return sent[0]["status"], dict(sent[0].get("headers", [])), b"".join(m.get("body", b"") for m in sent[1:])


TILE = "/ogc/collections/pts/tiles/WebMercatorQuad/6/28/50"
PAGE = "/ogc/collections/pts/items"


def test_one_at_a_time_a_short_queue_in_order_then_503_with_retry_after():
    async def scenario():
        inner = Held()
        app = CostlyRequests(inner, classifiers=[costly_request], concurrency=1, queue=2, wait=30)
        for name in ("a", "b", "c&limit=1000", "d", "cheap"):
            inner.release[name] = asyncio.Event()
        a = asyncio.create_task(call(app, TILE, "a"))
        await asyncio.sleep(0.01)
        b = asyncio.create_task(call(app, TILE, "b"))
        c = asyncio.create_task(call(app, PAGE, "c&limit=1000"))
        await asyncio.sleep(0.01)
        assert inner.started == ["a"] and app.running == 1 and len(app.waiting) == 2
        status, headers, body = await call(app, TILE, "d")  # beyond the queue: at once, without running
        assert status == 503 and headers[b"retry-after"] == str(costly.RETRY_AFTER).encode()
        assert headers[b"content-type"] == b"application/problem+json" and b"/problems/busy" in body
        assert app.shed == {"queue full": 1} and "d" not in inner.started
        cheap = asyncio.create_task(call(app, PAGE, "cheap"))  # a cheap request does not queue behind them
        await asyncio.sleep(0.01)
        assert inner.started == ["a", "cheap"]
        inner.release["cheap"].set()
        assert (await cheap)[0] == 200
        inner.release["a"].set()
        assert (await a)[0] == 200
        await asyncio.sleep(0.01)
        assert inner.started == ["a", "cheap", "b"] and app.running == 1  # the turn passed to the first waiting
        inner.release["b"].set()
        inner.release["c&limit=1000"].set()
        assert (await b)[0] == 200 and (await c)[0] == 200
        assert inner.started[-1] == "c&limit=1000" and app.running == 0 and not app.waiting

    asyncio.run(scenario())


def test_a_request_that_waits_its_time_out_is_shed():
    async def scenario():
        inner = Held()
        app = CostlyRequests(inner, classifiers=[costly_request], concurrency=1, queue=4, wait=0.05)
        first = asyncio.create_task(call(app, TILE, "a"))
        await asyncio.sleep(0.01)
        status, headers, _ = await call(app, TILE, "b")
        assert status == 503 and b"retry-after" in headers and app.shed == {"waited too long": 1}
        assert not app.waiting and inner.started == ["a"]
        inner.release["a"].set()
        await first
        assert app.running == 0
        inner.release["c"] = asyncio.Event()
        inner.release["c"].set()
        assert (await call(app, TILE, "c"))[0] == 200  # the bound is free again

    asyncio.run(scenario())


def test_a_cancelled_request_gives_back_its_turn_and_its_place():
    async def scenario():
        inner = Held()
        app = CostlyRequests(inner, classifiers=[costly_request], concurrency=1, queue=4, wait=30)
        for name in ("a", "b", "c"):
            inner.release[name] = asyncio.Event()
        a = asyncio.create_task(call(app, TILE, "a"))
        await asyncio.sleep(0.01)
        b = asyncio.create_task(call(app, TILE, "b"))
        c = asyncio.create_task(call(app, TILE, "c"))
        await asyncio.sleep(0.01)
        b.cancel()  # a waiting client went away
        await asyncio.sleep(0.01)
        assert len(app.waiting) == 1
        a.cancel()  # a running one too
        await asyncio.sleep(0.01)
        assert inner.started == ["a", "c"] and app.running == 1
        inner.release["c"].set()
        assert (await c)[0] == 200
        assert app.running == 0 and not app.waiting and app.shed == {}

    asyncio.run(scenario())


def test_a_request_whose_client_goes_away_while_waiting_leaves_the_queue_unanswered_and_never_runs():
    async def scenario():
        inner = Held()
        app = CostlyRequests(inner, classifiers=[costly_request], concurrency=1, queue=1, wait=30)
        for name in ("a", "b", "c"):
            inner.release[name] = asyncio.Event()
        a = asyncio.create_task(call(app, TILE, "a"))
        await asyncio.sleep(0.01)
        b_gone = asyncio.Event()
        b = asyncio.create_task(call(app, TILE, "b", b_gone))
        await asyncio.sleep(0.01)
        assert len(app.waiting) == 1
        b_gone.set()  # a map moved on and cancelled the tile
        assert await b is None and app.abandoned == 1 and not app.waiting
        c = asyncio.create_task(call(app, TILE, "c"))  # its place in the queue is free for the next tile
        await asyncio.sleep(0.01)
        assert len(app.waiting) == 1 and app.shed == {}
        inner.release["a"].set()
        inner.release["c"].set()
        assert (await a)[0] == 200 and (await c)[0] == 200
        assert inner.started == ["a", "c"] and app.running == 0

    asyncio.run(scenario())


def test_the_turn_handed_to_a_request_being_cancelled_is_passed_on():
    async def scenario():
        app = CostlyRequests(Held(), classifiers=[costly_request], concurrency=1, queue=4, wait=30)
        app.running = 1
        waiter = asyncio.create_task(app._acquire())
        other = asyncio.create_task(app._acquire())
        await asyncio.sleep(0.01)
        app._release()  # the turn goes to the first waiting...
        waiter.cancel()  # ...which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert await other is None and app.running == 1  # the next one has it: nothing leaked, nothing doubled
        app._release()
        assert app.running == 0

    asyncio.run(scenario())


def test_no_bound_at_zero():
    async def scenario():
        inner = Held()
        app = CostlyRequests(inner, classifiers=[costly_request], concurrency=0)
        tasks = [asyncio.create_task(call(app, TILE, str(n))) for n in range(30)]
        await asyncio.sleep(0.01)
        assert len(inner.started) == 30
        for event in inner.release.values():
            event.set()
        assert {(await t)[0] for t in tasks} == {200}

    asyncio.run(scenario())


def test_the_server_sheds_a_costly_request_and_serves_cheap_ones_meanwhile(seeded_url, monkeypatch):
    """Through the whole application on a real server: a low-zoom tile in progress holds the only turn."""
    from vkc.api.ogc import tiles
    from vkc.config import Settings
    from vkc.web import create_app

    entered, release = threading.Event(), threading.Event()
    real_tile = tiles.vector_tile

    def slow_tile(store, coll, z, row, col):
        if z < features_costly.COSTLY_ZOOM:
            entered.set()
            release.wait(30)
        return real_tile(store, coll, z, row, col)

    monkeypatch.setattr(tiles, "vector_tile", slow_tile)
    app = create_app(Settings(database=seeded_url, costly_concurrency=1, costly_queue=0))
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as c:
        held = threading.Thread(target=lambda: c.get("/ogc/collections/places/tiles/WebMercatorQuad/5/14/25"))
        held.start()
        try:
            assert entered.wait(30)
            busy = c.get("/ogc/collections/places/tiles/WebMercatorQuad/6/28/50", headers={"Origin": "https://dashboard.example"})
            assert busy.status_code == 503 and busy.headers["retry-after"] == str(costly.RETRY_AFTER)
            assert busy.headers["content-type"].startswith("application/problem+json")
            assert busy.json()["type"].endswith("/busy") and "try again" in busy.json()["detail"]
            assert "retry-after" in busy.headers["access-control-expose-headers"].lower()
            assert c.get("/ogc/collections/places/items?filter=rank%20%3E%201").status_code == 503  # a filter is costly too
            assert c.get("/ogc/collections/places/items?limit=5").status_code == 200  # cheap reads are served meanwhile
            assert c.get("/ogc/collections/places/tiles/WebMercatorQuad/14/7212/13009").status_code in (200, 204)
        finally:
            release.set()
            held.join(30)
        assert c.get("/ogc/collections/places/items?filter=rank%20%3E%201").status_code == 200  # the turn is free again


def test_costly_requests_answer_as_before_one_at_a_time(seeded_url):
    """The bound changes when a costly request runs, not what it answers."""
    from fastapi.testclient import TestClient

    from vkc.config import Settings
    from vkc.web import create_app

    with TestClient(create_app(Settings(database=seeded_url, costly_concurrency=1))) as client:
        _answers_as_before(client)


def _answers_as_before(client) -> None:
    page = client.get("/ogc/collections/places/items?limit=1000")
    assert page.status_code == 200 and page.json()["numberReturned"] == page.json()["numberMatched"]
    assert client.get("/ogc/collections/places/items?filter=rank%20%3E%201").status_code == 200
    assert client.get("/ogc/collections/places/tiles/WebMercatorQuad/0/0/0").status_code in (200, 204)
