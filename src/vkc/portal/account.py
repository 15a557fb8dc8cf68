"""The signed-in visitor's own page: who they are, what they may change, their tokens (made, listed, revoked), and their
sessions (each browser signed in, any of them ended from here).

Every page here needs a session (a visitor who has none is sent to sign in
and brought back); every form carries the session's CSRF token
(:func:`vkc.web.credentials.session_form`) and is refused from another
origin. A token is shown once, in the answer to the form that made it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vkc import auth
from vkc.auth import sessions, users
from vkc.errors import InputError
from vkc.permissions import Grant
from vkc.portal.render import page
from vkc.store import Store
from vkc.web import credentials
from vkc.web.body import read_form

router = APIRouter()
#: how long a token made on the page lasts, in days: the choices the form offers
TOKEN_DAYS = (7, 30, 90, 366)
NO_STORE = {"Cache-Control": "no-store"}
TokenId = Annotated[str, Path(pattern="^[0-9a-f]{8}$")]


def _(message: str) -> str:
    """Marks a message for the catalogues; the page translates it."""
    return message


#: the roles of :data:`vkc.auth.users.ROLES`, as the page names them
ROLE_NAMES = {"viewer": _("viewer"), "editor": _("editor"), "verifier": _("verifier"), "admin": _("administrator")}


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def viewer(request: Request) -> Grant | None:
    """The grant of the browser's session, None if nobody is signed in (pages send them to sign in)."""
    session = credentials.session_of(_store(request), request)
    return session[0] if session else None


def to_signin(request: Request) -> RedirectResponse:
    """To the sign-in page, and back here after it."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(here, safe='')}", status_code=303)


async def posted(request: Request) -> tuple[Store, Grant, dict[str, str]]:
    """A portal form that changes something: from this site, with the session's CSRF token; its store, grant and fields."""
    credentials.same_origin(request)
    form = await read_form(request)
    store = _store(request)
    grant = await run_in_threadpool(credentials.session_form, store, request, form)
    return store, grant, form


def _account(store: Store, grant: Grant) -> dict[str, Any]:
    name = grant.user or ""
    record = users.public(users.get_user(store, name))
    tokens = auth.user_tokens(store, name)[::-1]  # the newest first
    return {
        "user": record, "tokens": tokens, "token_days": TOKEN_DAYS, "role_names": ROLE_NAMES,
        "sessions": sessions.user_sessions(store, name), "this_session": grant.token_id.removeprefix("session-"),
    }


@router.get("/account", response_class=HTMLResponse, include_in_schema=False)
def account(request: Request) -> Response:
    grant = viewer(request)
    if grant is None:
        return to_signin(request)
    return page(request, "account.html", _account(_store(request), grant), headers=NO_STORE)


@router.post("/account/tokens", include_in_schema=False)
async def make_token(request: Request) -> Response:
    store, grant, form = await posted(request)
    text = form.get("days", "")
    if not text.isdigit() or int(text) not in TOKEN_DAYS:
        raise InputError(f"days: one of {', '.join(map(str, TOKEN_DAYS))}", field="days")
    expires = datetime.now(UTC) + timedelta(days=int(text))
    label = form.get("name", "").strip()[:200]

    def work() -> dict[str, Any]:
        token_id, token = auth.create_user_token(store, grant.user or "", expires=expires, name=label, by=grant)
        return {**_account(store, grant), "made": {"id": token_id, "token": token, "expires": expires}}

    return page(request, "account.html", await run_in_threadpool(work), status_code=201, headers=NO_STORE)


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
async def revoke_token(request: Request, token_id: TokenId) -> Response:
    store, grant, _ = await posted(request)
    await run_in_threadpool(lambda: auth.revoke_token(store, token_id, user=grant.user, by=grant))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sessions/end", include_in_schema=False)
async def end_sessions(request: Request) -> Response:
    """End one of the visitor's sessions (the field ``session``), or every one but this browser's (``others``)."""
    store, grant, form = await posted(request)
    name, this = grant.user or "", grant.token_id.removeprefix("session-")
    if form.get("others"):
        ended = [s["id"] for s in await run_in_threadpool(sessions.user_sessions, store, name) if s["id"] != this]
    elif form.get("session"):
        ended = [form["session"]]
    else:
        raise InputError("name the session to end (session), or end the others (others)", field="session")
    await run_in_threadpool(lambda: sessions.end_user_sessions(store, name, ended, by=grant))
    return RedirectResponse("/account#sessions" if this not in ended else "/", status_code=303)
