"""The headers every response carries for the browser's sake, and the CORS the open APIs allow.

:class:`SecurityHeaders` adds to every response:

* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
  ``Referrer-Policy: strict-origin-when-cross-origin``;
* ``Content-Security-Policy``: nothing at all for data (JSON, tiles, CSV …);
  for the platform's own pages (the API documentation included: its Swagger UI
  is served from the package) only its own resources, inline styles (some
  pages and libraries set them) and no scripts but its own files; scripts get
  the pages' policy too, since a web worker runs under the policy of its own
  script (the map's worker fetches the tiles);
  a ``304`` gets none, so the policy of the response it revalidates stays;
* ``Strict-Transport-Security`` when the request came over TLS.

CORS (:data:`CORS`): the APIs are open data, so any origin may read them
and send writes with a bearer token; no cookie or other credential crosses
origins (``allow_credentials`` is off), so a page elsewhere cannot act with a
signed-in user's session.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
#: what gets the pages' policy: pages, and scripts (a worker runs under its own script's policy: the map's fetches its tiles)
_PAGE_TYPES = (b"text/html", b"text/javascript", b"application/javascript")
HSTS = "max-age=31536000; includeSubDomains"
_FIXED = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]

#: keyword arguments of Starlette's CORSMiddleware for the open APIs
CORS: dict[str, Any] = {
    "allow_origins": ["*"],
    "allow_methods": ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
    "allow_headers": ["Authorization", "Content-Type", "Accept", "Accept-Language", "If-Match", "If-None-Match", "Content-Crs"],
    "expose_headers": ["ETag", "Location", "Link", "Content-Crs", "Retry-After"],
    "allow_credentials": False,
    "max_age": 600,
}


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                policy = PAGE_POLICY if content_type.startswith(_PAGE_TYPES) else DATA_POLICY
                # A 304 has no content type to choose by, and a browser merges its headers into the page it kept:
                # a policy here would replace the page's own (a revalidated page lost its styles and scripts)
                added = [*_FIXED, *([] if message["status"] == 304 else [(b"content-security-policy", policy.encode())])]
                if tls:
                    added.append((b"strict-transport-security", HSTS.encode()))
                headers += [(k, v) for k, v in added if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)
