"""HTTP as clients and conformance suites expect it: roots with and without '/', HEAD, Link headers, conditional GETs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from vkc.config import Settings
from vkc.web import create_app
from vkc.web.http import link_header, matches_any

from live_server import live_server

ITEMS = "/ogc/collections/places/items"
TILE = "/ogc/collections/places/tiles/WebMercatorQuad/0/0/0"
#: a GET of each kind of resource, for what every one of them must do
RESOURCES = [
    "/", "/summary", "/health", "/ogc", "/ogc?f=html", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/places",
    "/ogc/collections/places/queryables", ITEMS, f"{ITEMS}?f=html", f"{ITEMS}?limit=3&offset=3", f"{ITEMS}/p03", f"{ITEMS}/p03?f=html",
    "/ogc/tileMatrixSets", "/ogc/tileMatrixSets/WebMercatorQuad", "/ogc/collections/places/tiles", "/ogc/collections/places/tiles/WebMercatorQuad",
    TILE, "/sta/v1.1", "/sta/v1.1/Things", "/api/aqi/stations", "/docs", "/openapi.json", "/ogc/collections/nowhere",
]


def parse_link_header(value: str) -> list[dict[str, str]]:
    """RFC 8288 links: ``<href>; rel="…"; type="…"; title="…"``, comma-separated."""
    links = []
    for match in re.finditer(r'<([^>]*)>((?:\s*;\s*[\w*-]+="(?:[^"\\]|\\.)*")*)', value):
        params = dict(re.findall(r'([\w*-]+)="((?:[^"\\]|\\.)*)"', match.group(2)))
        links.append({"href": match.group(1), **params})
    return links


def body_links(body: dict) -> list[dict[str, str]]:
    return [{k: ln[k] for k in ("href", "rel", "type", "title") if k in ln} for ln in body["links"] if ln["rel"] in ("self", "alternate", "next", "prev")]


# -- the roots, with and without a trailing slash --------------------------------------------------

@pytest.mark.parametrize("root", ["/ogc", "/sta/v1.1", "/ogc/collections", "/ogc/collections/places/items"])
def test_roots_answer_with_and_without_the_trailing_slash(client, root: str) -> None:
    plain = client.get(root, follow_redirects=False)
    slashed = client.get(root + "/", follow_redirects=False)
    assert plain.status_code == slashed.status_code == 200, slashed.text
    assert slashed.headers["content-type"] == plain.headers["content-type"]
    if root != "/ogc/collections/places/items":  # an items page says when it was made
        assert slashed.content == plain.content


def test_a_trailing_slash_keeps_the_query_and_redirects_nothing_else(client) -> None:
    r = client.get("/ogc/?f=html", follow_redirects=False)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert client.get("/ogc/nothing/", follow_redirects=False).status_code == 404
    # writes are not rewritten: a POST to a slashed path still is told where to go
    assert client.post(f"{ITEMS}/", content=b"{}", follow_redirects=False).status_code == 307


def test_a_real_server_serves_the_roots_with_a_slash(seeded_url: str) -> None:
    """What the OGC test suite does first: GET the landing page as given, with its slash, over a socket."""
    with live_server(create_app(Settings(database=seeded_url))) as base:
        for root in ("/ogc/", "/sta/v1.1/"):
            r = httpx.get(base + root, timeout=10)
            assert r.status_code == 200 and not r.history, root
        landing = httpx.get(base + "/ogc/", timeout=10).json()
        self_link = next(ln["href"] for ln in landing["links"] if ln["rel"] == "self")
        assert self_link == f"{base}/ogc?f=json"  # the body names the canonical URL


# -- HEAD ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", RESOURCES)
def test_head_is_get_without_the_body(client, path: str) -> None:
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code != 405
    assert head.content == b""
    assert dict(head.headers) == dict(got.headers)  # ETag included: an items page's does not depend on its timeStamp


def test_head_over_a_real_server_keeps_the_length(seeded_url: str) -> None:
    with live_server(create_app(Settings(database=seeded_url))) as base, httpx.Client(base_url=base, timeout=10) as http:
        for path in ("/ogc/collections", ITEMS, TILE, "/ogc/collections/nowhere"):
            got, head = http.get(path), http.head(path)
            assert head.status_code == got.status_code and head.content == b""
            assert head.headers["content-length"] == str(len(got.content)) and head.headers["content-type"] == got.headers["content-type"]


def test_405_allows_head_with_get(client) -> None:
    r = client.delete("/ogc/conformance")
    assert r.status_code == 405 and {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}


# -- Link headers ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "path",
    ["/ogc", "/ogc?f=html", "/ogc/collections", "/ogc/collections?f=html", "/ogc/collections/places", f"{ITEMS}?limit=5&offset=5", f"{ITEMS}?limit=5&offset=5&f=html",
     f"{ITEMS}/p03", f"{ITEMS}/p03?f=html", "/ogc/collections/places/tiles", "/ogc/collections/places/tiles/WebMercatorQuad"],
)
def test_link_header_mirrors_the_bodys_own_links(client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    header = parse_link_header(r.headers["link"])
    if "f=html" in path:  # the HTML shows the same links; the JSON has them as data
        body = client.get(path.replace("f=html", "f=json")).json()
        expected = [{**ln, "rel": {"self": "alternate", "alternate": "self"}.get(ln["rel"], ln["rel"])} for ln in body_links(body)]
        assert sorted(header, key=str) == sorted(expected, key=str)
    else:
        assert header == body_links(r.json())
    assert {"self"} <= {ln["rel"] for ln in header}


def test_link_header_of_pages_has_next_and_prev(client) -> None:
    middle = parse_link_header(client.get(f"{ITEMS}?limit=5&offset=5").headers["link"])
    assert [ln["rel"] for ln in middle] == ["self", "alternate", "next", "prev"]
    assert next(ln for ln in middle if ln["rel"] == "next")["href"].endswith(f"{ITEMS}?limit=5&offset=10")
    first = parse_link_header(client.get(f"{ITEMS}?limit=5").headers["link"])
    assert "prev" not in {ln["rel"] for ln in first}


def test_sensorthings_next_link_is_a_link_header(client, editor_token: str) -> None:
    for i in range(3):
        sensor = {"name": f"s{i}", "description": "d", "encodingType": "text/plain", "metadata": "m"}
        assert client.post("/sta/v1.1/Sensors", json=sensor, headers={"Authorization": f"Bearer {editor_token}"}).status_code == 201
    r = client.get("/sta/v1.1/Sensors", params={"$top": 2})
    assert parse_link_header(r.headers["link"]) == [{"href": r.json()["@iot.nextLink"], "rel": "next"}]
    assert "link" not in client.get("/sta/v1.1/Sensors", params={"$top": 5}).headers


def test_link_header_quotes_what_a_header_cannot_carry() -> None:
    value = link_header({"links": [
        {"href": "http://h/ogc/collections/đường?f=json", "rel": "self", "type": "application/json", "title": 'Đường "A"'},
        {"href": "http://h/x", "rel": "items", "type": "application/json"},
        {"href": "http://h/y", "rel": "alternate", "type": "text/html", "title": 'say "hi"'},
    ]})
    assert value.isascii()
    assert value == ("<http://h/ogc/collections/%C4%91%C6%B0%E1%BB%9Dng?f=json>; rel=\"self\"; type=\"application/json\"; "
                     "title*=UTF-8''%C4%90%C6%B0%E1%BB%9Dng%20%22A%22, "
                     '<http://h/y>; rel="alternate"; type="text/html"; title="say \\"hi\\""')
    assert link_header({"value": []}) is None and link_header([1, 2]) is None


# -- conditional GETs ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/ogc/collections", "/ogc/collections/places", ITEMS, f"{ITEMS}?f=html", f"{ITEMS}/p03", TILE, "/ogc/collections/places/tiles"])
def test_if_none_match_gets_304_without_body(client, path: str) -> None:
    r = client.get(path)
    tag = r.headers["etag"]
    assert re.fullmatch(r'(W/)?"[0-9a-f]{32}"', tag)
    for condition in (tag, tag.removeprefix("W/"), "W/" + tag.removeprefix("W/"), f'"other", {tag}', "*"):
        again = client.get(path, headers={"If-None-Match": condition})
        assert again.status_code == 304 and again.content == b"", condition
        assert again.headers["etag"] == tag and "content-type" not in again.headers
    assert client.head(path, headers={"If-None-Match": tag}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_none_match_on_a_real_server(seeded_url: str) -> None:
    with live_server(create_app(Settings(database=seeded_url))) as base, httpx.Client(base_url=base, timeout=10) as http:
        tag = http.get(ITEMS).headers["etag"]
        r = http.get(ITEMS, headers={"If-None-Match": tag})
        assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == tag


def test_an_items_page_etag_ignores_its_timestamp(client, monkeypatch) -> None:
    """The page says when it was made; its validator is about what it holds."""
    import vkc.api.ogc.items as items

    class Clock(datetime):
        now_is = datetime(2025, 1, 1, tzinfo=UTC)

        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            cls.now_is += timedelta(seconds=5)
            return cls.now_is

    monkeypatch.setattr(items, "datetime", Clock)
    first, second = client.get(ITEMS), client.get(ITEMS)
    assert first.json()["timeStamp"] != second.json()["timeStamp"]
    assert first.headers["etag"] == second.headers["etag"] and first.headers["etag"].startswith("W/")
    assert client.get(ITEMS, headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_etags_change_when_the_content_does(client, editor_token: str) -> None:
    paths = [ITEMS, f"{ITEMS}?f=html", f"{ITEMS}/p03", "/ogc/collections/places", TILE]
    before = {p: client.get(p).headers["etag"] for p in paths}
    item = client.get(f"{ITEMS}/p03")
    moved = {"geometry": {"type": "Point", "coordinates": [105.5, 20.5]}, "properties": {"name": "moved"}}
    r = client.patch(f"{ITEMS}/p03", json=moved, headers={"Authorization": f"Bearer {editor_token}", "If-Match": item.headers["etag"]})
    assert r.status_code == 200, r.text
    after = {p: client.get(p).headers["etag"] for p in paths}
    assert all(before[p] != after[p] for p in paths), (before, after)
    for p in paths:  # what a client cached before the change is sent again, in full
        assert client.get(p, headers={"If-None-Match": before[p]}).status_code == 200


def test_item_etags_stay_strong_for_part_4(client) -> None:
    r = client.get(f"{ITEMS}/p03")
    assert r.headers["etag"].startswith('"')  # If-Match compares strongly
    assert client.get(f"{ITEMS}/p03?f=html").headers["etag"] == r.headers["etag"]


def test_weak_comparison() -> None:
    assert matches_any('W/"a"', '"a"') and matches_any('"a"', 'W/"a"') and matches_any(' "x" , W/"a"', '"a"')
    assert matches_any("*", 'W/"a"') and not matches_any('"b"', '"a"') and not matches_any('"a', '"a"')
    assert matches_any('"a,b", "c"', '"a,b"')  # a comma is an entity tag character


def test_streamed_responses_get_no_etag_and_head_drops_every_chunk() -> None:
    """What is sent in chunks has no tag before its end: it goes out as it comes, without a body to a HEAD."""
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient as StarletteClient

    from vkc.web.http import HttpSemantics

    async def chunks(request):
        return StreamingResponse(iter([b"a" * 10, b"b" * 10]), media_type="text/plain")

    with StarletteClient(HttpSemantics(Starlette(routes=[Route("/stream", chunks)]))) as c:
        got = c.get("/stream")
        assert got.text == "a" * 10 + "b" * 10 and "etag" not in got.headers
        head = c.head("/stream")
        assert head.status_code == 200 and head.content == b""
