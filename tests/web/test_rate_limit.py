"""Rate limits: a burst passes, then 429 with Retry-After, per address and per token; refilled with time; off at 0."""

from __future__ import annotations

from fastapi.testclient import TestClient

from vkc.config import Settings
from vkc.web import create_app


def client(db: str, **limits) -> TestClient:
    return TestClient(create_app(Settings(database=db, **limits)))


def test_a_burst_passes_then_429_with_retry_after(seeded_url):
    with client(seeded_url, rate_limit=0.1, rate_burst=5) as c:  # so slow a refill that a loaded machine cannot blur it
        codes = [c.get("/ogc/conformance").status_code for _ in range(7)]
        assert codes == [200] * 5 + [429, 429]
        r = c.get("/ogc/conformance")
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 10
        assert r.headers["content-type"].startswith("application/problem+json") and "at most 0.1 a second" in r.json()["detail"]


def test_a_bucket_refills_at_the_rate(monkeypatch):
    from vkc.web import rate_limit

    now = [1000.0]
    monkeypatch.setattr(rate_limit.time, "monotonic", lambda: now[0])
    limits = rate_limit.RateLimits(None, rate=2.0, burst=2)
    assert [limits._take(b"a") for _ in range(3)] == [0.0, 0.0, 0.5]
    now[0] += 0.5
    assert limits._take(b"a") == 0.0 and limits._take(b"a") == 0.5


def test_one_token_is_limited_across_addresses():
    import asyncio

    from vkc.web.rate_limit import RateLimits

    async def ok(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limits = RateLimits(ok, rate=1.0, burst=3)

    def status(address: str, authorization: bytes | None) -> int:
        sent: list[dict] = []
        headers = [(b"authorization", authorization)] if authorization else []
        scope = {"type": "http", "method": "GET", "path": "/x", "headers": headers, "client": (address, 1234)}

        async def send(message):
            sent.append(message)

        asyncio.run(limits(scope, None, send))
        return sent[0]["status"]

    token = b"Bearer vkc_0badc0de_secret"
    assert [status(f"10.0.0.{n}", token) for n in range(3)] == [200, 200, 200]
    assert status("10.0.0.9", token) == 429  # a fresh address, the same token
    assert status("10.0.0.9", None) == 200  # that address without the token still has its own burst
    import base64

    basic = b"Basic " + base64.b64encode(b"frost:vkc_0badc0de_secret")
    assert status("10.0.0.10", basic) == 429  # the token as a Basic password is the same token


def test_no_limit_at_zero(seeded_url):
    with client(seeded_url, rate_limit=0.0, rate_burst=1) as c:
        assert {c.get("/ogc/conformance").status_code for _ in range(30)} == {200}
