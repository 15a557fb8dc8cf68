"""Who a request acts for: the bearer token it sends, or else the portal session its cookie names.

Every route that needs a credential asks here (:func:`grant_of`,
:func:`require`), so tokens and sessions are judged the same way
everywhere. A request with a session cookie that changes something (any
method but GET, HEAD and OPTIONS) must also send the session's CSRF token in
``X-CSRF-Token`` (``GET /api/session`` gives it to the portal's scripts; the
portal's forms carry it in a hidden field, checked by their own routes).

The cookie is ``__Host-vkc_session`` over TLS (``Secure``, bound to the
host) and ``vkc_session`` on plain HTTP (a server on loopback or behind no
proxy); each is ``HttpOnly`` and ``SameSite=Lax``, and only the one of the
request's scheme is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response

from vkc import auth
from vkc.auth import sessions
from vkc.errors import AuthenticationError, PermissionDenied
from vkc.permissions import Grant, Scope
from vkc.store import Store

CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Cookie:
    """One of the platform's cookies: always ``HttpOnly`` and ``Path=/``; over TLS ``Secure`` and named
    ``__Host-<name>`` (bound to the host), on plain HTTP ``<name>``. Only the name of the request's scheme is read."""

    name: str
    samesite: Literal["lax", "strict"]

    def name_for(self, request: Request) -> str:
        return f"__Host-{self.name}" if request.url.scheme == "https" else self.name

    def read(self, request: Request) -> str | None:
        return request.cookies.get(self.name_for(request)) or None

    def set(self, response: Response, request: Request, value: str, *, expires: datetime | None = None, max_age: int | None = None) -> None:
        response.set_cookie(
            self.name_for(request), value, max_age=max_age, expires=expires, path="/", secure=request.url.scheme == "https", httponly=True, samesite=self.samesite
        )

    def clear(self, response: Response, request: Request) -> None:
        response.delete_cookie(self.name_for(request), path="/", secure=request.url.scheme == "https", httponly=True, samesite=self.samesite)


SESSION = Cookie("vkc_session", "lax")


def same_origin(request: Request) -> None:
    """Refuse a form posted from another site (its ``Origin`` header names one): the first check of every portal form."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise PermissionDenied("a form posted from another site is refused", scope="csrf")


def session_form(store: Store, request: Request, form: dict[str, str]) -> Grant:
    """The grant of the browser's session for a portal form that changes something: the form must carry the session's
    CSRF token in its ``csrf`` field; AuthenticationError once the session has ended."""
    session = session_of(store, request)
    if session is None:
        raise AuthenticationError("your session has ended: sign in again (/signin)")
    grant, record = session
    if not sessions.csrf_matches(record, form.get("csrf")):
        raise PermissionDenied("the form is not this session's (it was loaded before you signed in again): reload the page", scope="csrf")
    return grant


def session_secret(request: Request) -> str | None:
    return SESSION.read(request)


def session_of(store: Store, request: Request) -> tuple[Grant, dict[str, Any]] | None:
    """The grant and record of the browser's session, None if it has none or it has ended (pages that show who is signed in)."""
    secret = session_secret(request)
    if secret is None:
        return None
    try:
        return sessions.session_grant(store, secret)
    except AuthenticationError:
        return None


def grant_of(store: Store, request: Request) -> Grant:
    """The grant of the request's bearer token, else of its session (with the CSRF token for a change); AuthenticationError without either."""
    authorization = request.headers.get("authorization")
    secret = session_secret(request)
    if not authorization and secret is None:
        does = "reads what is not public" if request.method in _SAFE_METHODS else "changes data"
        raise AuthenticationError(f"this request {does} and needs a token: send 'Authorization: Bearer <token>' (or sign in at /signin)")
    if authorization:
        return auth.verify(store, authorization)
    grant, record = sessions.session_grant(store, secret or "")
    if request.method not in _SAFE_METHODS and not sessions.csrf_matches(record, request.headers.get(CSRF_HEADER)):
        raise PermissionDenied(f"a change made in a signed-in session needs the session's CSRF token in the {CSRF_HEADER} header", scope="csrf")
    return grant


def require(store: Store, request: Request, scope: Scope) -> Grant:
    """The request's grant if it covers ``scope``; raises AuthenticationError or PermissionDenied."""
    grant = grant_of(store, request)
    grant.require(scope)
    return grant
