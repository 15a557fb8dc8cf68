"""Signing in to the portal: the sign-in page, sign-out, the OpenID Connect round trip, and ``/api/session``.

The library does the work (:mod:`vkc.auth.sessions`, :mod:`vkc.auth.oidc`);
this module speaks HTTP. Forms are protected against cross-site requests
twice: the cookies are ``SameSite=Lax``, and every form carries a token the
route checks — the sign-in form a random one also set as a cookie (so a page
elsewhere cannot sign a visitor in as someone else), the sign-out form the
session's own CSRF token. A form posted from another origin (its ``Origin``
header names one) is refused outright.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from vkc.auth import oidc, sessions
from vkc.errors import AuthenticationError, NotFoundError, PermissionDenied, TooManyRequests, VKCError
from vkc.store import Store
from vkc.web import credentials
from vkc.web.body import PROBLEM_CONTENT, json_response, read_form

LOGGER = logging.getLogger(__name__)
router = APIRouter(tags=["sign-in"])
_TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
#: the sign-in form's own CSRF token (double submit); the OpenID Connect visit under way (Lax: the provider's redirect is a cross-site navigation)
FORM = credentials.Cookie("vkc_signin", "strict")
PENDING = credentials.Cookie("vkc_oidc", "lax")


def local_path(value: str | None) -> str:
    """Where to go after signing in: a path on this server (never another site, ``//host`` included), else ``/``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or any(c in value for c in "\r\n\t\\"):
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _provider(request: Request) -> oidc.Provider | None:
    provider: oidc.Provider | None = request.app.state.oidc
    return provider


def _page(request: Request, status: int, next_path: str, message: str = "", token: str | None = None, headers: dict[str, str] | None = None) -> HTMLResponse:
    token = token or FORM.read(request) or secrets.token_urlsafe(32)
    provider = _provider(request)
    form = {"csrf": token, "next": next_path, "message": message, "provider": provider.label if provider else None, "next_query": quote(next_path, safe="")}
    headers = {"Cache-Control": "no-store", **(headers or {})}
    draw = getattr(request.app.state, "resource_page", None)  # the portal's page, in its layout and languages
    if draw is not None:
        response: HTMLResponse = draw(request, "signin", "Sign in", form)
        response.status_code = status
        response.headers.update(headers)
    else:
        response = _TEMPLATES.TemplateResponse(request, "signin.html", form, status_code=status, headers=headers)
    FORM.set(response, request, token, max_age=3600)
    return response


@router.get("/signin", response_class=HTMLResponse, include_in_schema=False)
def signin_page(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002 (the query parameter's name)
    return _page(request, 200, local_path(next))


@router.post("/signin", include_in_schema=False)
async def signin(request: Request) -> Response:
    credentials.same_origin(request)
    form = await read_form(request)
    next_path = local_path(form.get("next"))
    expected = FORM.read(request)
    if not expected or not secrets.compare_digest(expected.encode(), form.get("csrf", "").encode()):
        return _page(request, 403, next_path, "The form has expired: sign in again · Biểu mẫu đã hết hạn · 양식이 만료되었습니다")
    address = request.client.host if request.client else ""
    try:
        session = await run_in_threadpool(
            sessions.sign_in, _store(request), form.get("name", ""), form.get("password", ""), code=form.get("code", ""), address=address
        )
    except TooManyRequests as exc:
        return _page(request, 429, next_path, exc.message, expected, headers={"Retry-After": str(exc.detail.get("retry_after", 60))})
    except AuthenticationError as exc:
        return _page(request, 401, next_path, exc.message, expected)
    response = RedirectResponse(next_path, status_code=303)
    credentials.SESSION.set(response, request, session.secret, expires=session.expires)
    FORM.clear(response, request)
    return response


@router.post("/signout", include_in_schema=False)
async def signout(request: Request) -> Response:
    credentials.same_origin(request)
    form = await read_form(request)
    store = _store(request)
    session = await run_in_threadpool(credentials.session_of, store, request)  # None: ended already
    if session is not None:
        if not sessions.csrf_matches(session[1], form.get("csrf")):
            raise PermissionDenied("the sign-out form is not this session's", scope="csrf")
        await run_in_threadpool(sessions.end_session, store, credentials.session_secret(request) or "")
    response = RedirectResponse("/", status_code=303)
    credentials.SESSION.clear(response, request)
    return response


@router.get(
    "/api/session",
    summary="Who is signed in in this browser, and the CSRF token its scripts send with changes (X-CSRF-Token)",
    responses={
        200: {
            "description": "The session",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["user", "role", "scopes", "via", "created", "expires", "csrf"],
                        "properties": {
                            "user": {"type": "string"},
                            "role": {"type": "string"},
                            "scopes": {"type": "array", "items": {"type": "string"}},
                            "via": {"type": "string", "description": "password, or oidc:<issuer>"},
                            "created": {"type": "string", "format": "date-time"},
                            "expires": {"type": "string", "format": "date-time"},
                            "csrf": {"type": "string", "description": "Send it as X-CSRF-Token with every change made in this session"},
                        },
                    }
                }
            },
        },
        401: {"description": "Not signed in", **PROBLEM_CONTENT},
    },
)
def current_session(request: Request) -> Response:
    secret = credentials.session_secret(request)
    if secret is None:
        raise AuthenticationError("not signed in")
    grant, record = sessions.session_grant(_store(request), secret)
    body: dict[str, Any] = {
        "user": grant.user,
        "role": grant.role,
        "scopes": sorted(str(s) for s in grant.scopes),
        "via": record["via"],
        "created": record["created"],
        "expires": record["expires"],
        "csrf": record["csrf"],
    }
    return json_response(body, headers={"Cache-Control": "no-store"})


@router.get("/signin/oidc", include_in_schema=False)
def oidc_start(request: Request, next: str = "/") -> Response:  # noqa: A002
    provider = _provider(request)
    if provider is None:
        raise NotFoundError("no OpenID Connect provider is configured here (VKC_OIDC_ISSUER)")
    url, key = oidc.start(_store(request), provider, str(request.url_for("oidc_callback")), local_path(next))
    response = RedirectResponse(url, status_code=302)
    PENDING.set(response, request, key, max_age=int(oidc.PENDING_FOR.total_seconds()))
    return response


@router.get("/signin/oidc/callback", name="oidc_callback", include_in_schema=False)
def oidc_callback(request: Request) -> Response:
    provider = _provider(request)
    if provider is None:
        raise NotFoundError("no OpenID Connect provider is configured here (VKC_OIDC_ISSUER)")
    store = _store(request)
    try:
        identity = oidc.finish(store, provider, PENDING.read(request), dict(request.query_params))
        user = oidc.user_for(store, provider, identity)
        session = sessions.open_session(store, user, via=f"oidc:{provider.issuer}", address=request.client.host if request.client else "")
    except VKCError as exc:
        if exc.status >= 500:
            LOGGER.warning("OpenID Connect sign-in failed: %s", exc)
        status = exc.status if exc.status < 500 else 502
        response: Response = _page(request, status, "/", exc.message)
    else:
        LOGGER.info("user %s signed in through %s", user, provider.issuer)
        response = RedirectResponse(identity.next_path, status_code=303)
        credentials.SESSION.set(response, request, session.secret, expires=session.expires)
    PENDING.clear(response, request)
    return response
