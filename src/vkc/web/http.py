"""HTTP as clients and conformance suites expect it, once for every route.

:class:`HttpSemantics` is ASGI middleware around the whole application:

* ``HEAD`` is answered wherever ``GET`` is: the route runs as a ``GET`` and the
  client gets its status and headers (``Content-Length`` included), no body;
  a 405's ``Allow`` names every method of every route at the path, ``HEAD``
  next to ``GET``; ``OPTIONS`` (not a CORS preflight) answers ``204`` with
  that ``Allow``.
* A ``GET`` or ``HEAD`` of a path with a trailing slash is served as the path
  without it when that is a route (the API roots ``/ogc/`` and ``/sta/v1.1/``
  above all): no redirect, and the body's links name the path without it.
* A ``200`` to a ``GET`` without an ``ETag`` gets a weak one derived from the
  response bytes (the stores keep no revision of a collection, so the bytes are
  what is known to change with the content); ``If-None-Match`` naming it (weak
  comparison, RFC 9110 §13.1.2) turns the response into a ``304`` without body.

:func:`json_body` and :func:`link_header` are for the response helpers of the
routes (``vkc.api.ogc.common.json_response`` and ``vkc.api.ogc.html.render``):
the ``Link`` header (RFC 8288) mirrors a body's ``self``, ``alternate``,
``next`` and ``prev`` links and a SensorThings ``@iot.nextLink``; a body with a
``timeStamp`` (an items page says when it was made) gets its weak ETag there,
from its bytes without that member, so the tag changes when the page does and
not every second.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import quote

import orjson
from fastapi.routing import iter_route_contexts
from starlette.routing import Match, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: the link relations a Link header repeats from a body's links
LINK_RELATIONS = ("self", "alternate", "next", "prev")
#: what a 304 keeps of the 200 it stands for (RFC 9110 §15.4.5)
_NOT_MODIFIED_KEEPS = {b"cache-control", b"content-location", b"date", b"etag", b"expires", b"vary", b"last-modified"}
_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')
_HREF_SAFE = "!#$%&'()*+,/:;=?@[]~"


def etag_of(content: bytes) -> str:
    """A weak entity tag of ``content``: equal bytes, equal tags."""
    return 'W/"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def matches_any(if_none_match: str, etag: str) -> bool:
    """Weak comparison of ``etag`` with each tag of an ``If-None-Match`` value (``*`` matches any)."""
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag == wanted for tag in _ENTITY_TAG.findall(if_none_match))


def link_header(body: Any) -> str | None:
    """The ``Link`` header value for a response body's own links, or None when it has none."""
    if not isinstance(body, dict):
        return None
    values = [_link_value(ln) for ln in body.get("links") or () if isinstance(ln, dict) and ln.get("rel") in LINK_RELATIONS and ln.get("href")]
    next_link = body.get("@iot.nextLink")
    if next_link:
        values.append(_link_value({"href": next_link, "rel": "next"}))
    return ", ".join(values) or None


def _link_value(ln: dict[str, Any]) -> str:
    parts = [f"<{quote(str(ln['href']), safe=_HREF_SAFE)}>", f'rel="{ln["rel"]}"']
    if ln.get("type"):
        parts.append(f'type="{ln["type"]}"')
    title = ln.get("title")
    if title:
        if str(title).isascii():
            parts.append('title="' + str(title).replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:  # RFC 8187 for what a header cannot carry as it is
            parts.append("title*=UTF-8''" + quote(str(title), safe=""))
    return "; ".join(parts)


def json_body(body: Any) -> tuple[bytes, dict[str, str]]:
    """``body`` as JSON bytes, with the headers it implies: ``Link`` for its links, ``ETag`` when it has a ``timeStamp``."""
    headers: dict[str, str] = {}
    links = link_header(body)
    if links:
        headers["Link"] = links
    if isinstance(body, dict) and "timeStamp" in body:
        rest = {k: v for k, v in body.items() if k != "timeStamp"}
        content = orjson.dumps(rest, option=orjson.OPT_NON_STR_KEYS)
        headers["ETag"] = etag_of(content)
        stamp = (b',"timeStamp":' if rest else b'"timeStamp":') + orjson.dumps(body["timeStamp"]) + b"}"
        content = b"".join((memoryview(content)[:-1], stamp))  # one copy of a page that may be megabytes
    else:
        content = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    return content, headers


class HttpSemantics:
    """HEAD, trailing slashes and conditional GETs for every route of the application it wraps."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and not _is_preflight(scope):
            allowed = allowed_methods(scope)
            if allowed:
                await _no_content(send, allowed)
                return
        if scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, _allowing(scope, send))
            return
        head = scope["method"] == "HEAD"
        scope = _without_trailing_slash({**scope, "method": "GET"})
        condition = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match"), None)
        await self.app(scope, receive, _Conditional(_allowing(scope, send), head=head, condition=condition).send)


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some route answers at ``scope``'s path (HEAD beside GET, OPTIONS always), or [] when no route has the path."""
    if "app" not in scope:
        return []
    methods: dict[str, None] = {}
    for pattern, route_methods in _route_patterns(scope["app"]):
        if pattern.fullmatch(scope["path"]):
            methods.update(dict.fromkeys(route_methods))
    if not methods:
        return []
    if "GET" in methods:
        methods["HEAD"] = None
    methods["OPTIONS"] = None
    return list(methods)


def _route_patterns(app: Any) -> list[tuple[re.Pattern[str], list[str]]]:
    """Each route's path pattern and methods (those of included routers too), made once per application."""
    cached: list[tuple[re.Pattern[str], list[str]]] | None = getattr(app.state, "route_patterns", None)
    if cached is None:
        cached = []
        for route in iter_route_contexts(app.routes):
            if route.methods and route.path:
                cached.append((compile_path(route.path)[0], sorted(route.methods)))
        app.state.route_patterns = cached
    return cached


def _is_preflight(scope: Scope) -> bool:
    names = {k for k, _ in scope["headers"]}
    return b"origin" in names and b"access-control-request-method" in names


async def _no_content(send: Send, allowed: list[str]) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", ", ".join(allowed).encode())]})
    await send({"type": "http.response.body", "body": b""})


def _allowing(scope: Scope, send: Send) -> Send:
    """``send`` with a 405's ``Allow`` naming every method of every route at the path (the router names one route's)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            allow = ", ".join(allowed_methods(scope)).encode()
            message = {**message, "headers": [*((k, v) for k, v in message.get("headers", ()) if k.lower() != b"allow"), (b"allow", allow)]}
        await send(message)

    return sending


def _without_trailing_slash(scope: Scope) -> Scope:
    """``scope`` for the path without its trailing slash(es) when that is a route."""
    path: str = scope["path"]
    if not path.endswith("/") or path == "/" or "app" not in scope:
        return scope
    stripped = {**scope, "path": path.rstrip("/") or "/", "raw_path": scope.get("raw_path", path.encode()).rstrip(b"/") or b"/"}
    probe = {k: v for k, v in stripped.items() if k != "fastapi"}  # matching leaves marks in FastAPI's part of a scope
    routed = any(route.matches(probe)[0] == Match.FULL for route in scope["app"].router.routes)
    return stripped if routed else scope


class _Conditional:
    """Sends a GET's response as it is, as a 304 when ``If-None-Match`` names its ETag, or without body to a HEAD."""

    def __init__(self, send: Send, *, head: bool, condition: str | None) -> None:
        self._send, self.condition = send, condition
        self.held: Message | None = None  # a 200's start, until its body gives the ETag
        self.bodiless = head  # send no body (HEAD, or a 304)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            etag = _header(message, b"etag")
            if message["status"] != 200:
                await self._send(message)
            elif etag is None:
                self.held = message
            else:
                await self._start(message, etag)
        elif message["type"] == "http.response.body":
            if self.held is not None:
                start, self.held = self.held, None
                if message.get("more_body"):  # streamed: no tag for what is not yet known
                    await self._send(start)
                else:
                    etag = etag_of(message.get("body", b""))
                    await self._start({**start, "headers": [*start.get("headers", ()), (b"etag", etag.encode())]}, etag)
            if not self.bodiless:
                await self._send(message)
            elif not message.get("more_body"):
                await self._send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            await self._send(message)

    async def _start(self, start: Message, etag: str) -> None:
        if self.condition is not None and matches_any(self.condition, etag):
            self.bodiless = True
            start = {**start, "status": 304, "headers": [(k, v) for k, v in start.get("headers", ()) if k.lower() in _NOT_MODIFIED_KEEPS]}
        await self._send(start)


def _header(message: Message, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in message.get("headers", ()) if k.lower() == name), None)
