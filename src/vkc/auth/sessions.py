"""Sign-in sessions for people using the portal, and the lock-out that slows down password guessing.

A session is made when a user signs in with their password (:func:`sign_in`)
or through the OpenID Connect provider (:func:`open_session`). Its id is a
random secret that only the browser's cookie holds; the store keeps its
SHA-256, the user, a CSRF token, the address it was opened from, and when it
was made and last seen. A user sees their sessions and ends any of them
(:func:`user_sessions`, :func:`end_user_sessions`): a session left open on
another computer is ended from this one. A
session ends when its user signs out, after :data:`IDLE` without a request,
:data:`LIFETIME` after it began, when the user is disabled, or when their
password changes (each session remembers a stamp of the password it began
under). A session acts with its user's grants as they are at each request,
as a user's token does.

Failed sign-ins are counted per user name, known or not (so a lock-out tells
nobody whether a name exists), a wrong one-time code alike: after :data:`LOCK_AFTER` failures in a row
the name is locked for :data:`LOCK_FIRST`, doubling with each further failure
up to :data:`LOCK_MOST`; while locked, no password is even tried. A
successful sign-in clears the count.

Both are records of ``transient:`` kinds: copies of a store leave them behind.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vkc.auth import component_scopes, second_factor, users
from vkc.errors import AuthenticationError, NotFoundError, TooManyRequests
from vkc.permissions import Grant
from vkc.store import Store

LOGGER = logging.getLogger(__name__)
KIND = "transient:session"
FAILURES = "transient:signin-failures"
#: a session ends after this long without a request ...
IDLE = timedelta(minutes=30)
#: ... and this long after it began, however busy (OWASP ASVS 3.3.2, level 2)
LIFETIME = timedelta(hours=12)
#: how stale the session's "last seen" may grow before a request writes it anew
_SEEN_EVERY = timedelta(minutes=1)
LOCK_AFTER = 5
LOCK_FIRST = timedelta(seconds=30)
LOCK_MOST = timedelta(hours=1)
#: failed sign-ins are forgotten after this long without another
_FAILURES_KEPT = timedelta(days=1)


class SignInLocked(TooManyRequests):
    """Too many failed sign-ins for this name: no password is tried until the lock ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins for this name: try again in {retry_after} s", retry_after=retry_after)


@dataclass(frozen=True)
class Session:
    """A session as it is made: ``secret`` goes into the cookie and is never kept."""

    secret: str
    user: str
    csrf: str
    expires: datetime


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _stamp(user: dict[str, Any]) -> str:
    """What a session remembers of the password it began under: a change of password ends it."""
    return hashlib.sha256((user.get("password") or "").encode()).hexdigest()[:16]


def sign_in(store: Store, name: str, password: str, *, code: str = "", address: str = "") -> Session:
    """A new session for ``name`` if ``password`` is theirs (and ``code`` their authenticator's, once they have enrolled one).

    AuthenticationError for a wrong password or code, or an admin without a second factor;
    SignInLocked while the name is locked.
    """
    now = datetime.now(UTC)
    failures = store.get_record(FAILURES, name) or {}
    locked_until = failures.get("locked_until")
    if locked_until and datetime.fromisoformat(locked_until) > now:
        raise SignInLocked(max(1, int((datetime.fromisoformat(locked_until) - now).total_seconds()) + 1))
    record = users.check_credentials(store, name, password)
    if record is None or (second_factor.enrolled(record) and not second_factor.check(store, record, code)):
        _count_failure(store, name, failures, now)
        LOGGER.warning("failed sign-in for %r from %s", name, address or "an unknown address")
        raise AuthenticationError("the user name, the password or the one-time code is wrong")
    if second_factor.required(record) and not second_factor.enrolled(record):
        raise AuthenticationError(f"an admin signs in with a one-time code as well: enrol an authenticator app first (`vkc user mfa enrol {name}`)")
    if failures:
        store.delete_record(FAILURES, name)
    _forget_stale(store, now)
    LOGGER.info("user %s signed in from %s", name, address or "an unknown address")
    return _open(store, record, via="password", address=address)


def _count_failure(store: Store, name: str, failures: dict[str, Any], now: datetime) -> None:
    count = int(failures.get("count", 0)) + 1
    record: dict[str, Any] = {"count": count, "last": now.isoformat(), "locked_until": None}
    if count >= LOCK_AFTER:
        lock = min(LOCK_MOST, LOCK_FIRST * 2 ** (count - LOCK_AFTER))
        record["locked_until"] = (now + lock).isoformat()
    store.put_record(FAILURES, name, record)


def _forget_stale(store: Store, now: datetime) -> None:
    """Remove the sessions that have ended and the failed sign-ins nobody repeated for a day."""
    for key, value in store.records(KIND):
        if _ended(value, now):
            store.delete_record(KIND, key)
    for key, value in store.records(FAILURES):
        if datetime.fromisoformat(value["last"]) + _FAILURES_KEPT < now:
            store.delete_record(FAILURES, key)


def open_session(store: Store, name: str, *, via: str, address: str = "") -> Session:
    """A new session for the user ``name`` (who has shown who they are ``via`` a password or a provider)."""
    user = users.get_user(store, name)
    if user.get("disabled"):
        raise AuthenticationError("the user is disabled")
    return _open(store, user, via=via, address=address)


def _open(store: Store, user: dict[str, Any], *, via: str, address: str = "") -> Session:
    """A new session for ``user`` (their stored record, read by the caller)."""
    name = user["name"]
    now = datetime.now(UTC)
    session = Session(secrets.token_urlsafe(32), name, secrets.token_urlsafe(32), now + LIFETIME)
    record = {
        "id": secrets.token_hex(4),
        "user": name,
        "csrf": session.csrf,
        "via": via,
        "address": address,
        "stamp": _stamp(user),
        "created": now.isoformat(),
        "seen": now.isoformat(),
        "expires": session.expires.isoformat(),
    }
    store.put_record(KIND, _digest(session.secret), record)
    return session


def _ended(record: dict[str, Any], now: datetime) -> bool:
    return datetime.fromisoformat(record["expires"]) <= now or datetime.fromisoformat(record["seen"]) + IDLE <= now


def session_grant(store: Store, secret: str) -> tuple[Grant, dict[str, Any]]:
    """The grant of a session's cookie and the session's record; AuthenticationError once it has ended."""
    key = _digest(secret)
    record = store.get_record(KIND, key)
    if record is None:
        raise AuthenticationError("not signed in, or the session has ended: sign in again")
    now = datetime.now(UTC)
    user = store.get_record(users.KIND, record["user"])
    if _ended(record, now) or user is None or user.get("disabled") or _stamp(user) != record["stamp"]:
        store.delete_record(KIND, key)
        raise AuthenticationError("the session has ended: sign in again")
    if datetime.fromisoformat(record["seen"]) + _SEEN_EVERY <= now:
        record = {**record, "seen": now.isoformat()}
        store.put_record(KIND, key, record)
    role, scopes = users.scopes_of(user, component_scopes(store))
    grant = Grant(token_id=f"session-{record['id']}", role=role, scopes=scopes, user=record["user"])
    return grant, record


def csrf_matches(record: dict[str, Any], presented: str | None) -> bool:
    """Whether ``presented`` is the session's CSRF token (compared in constant time)."""
    return bool(presented) and hmac.compare_digest(str(record["csrf"]).encode(), str(presented).encode())


def end_session(store: Store, secret: str) -> bool:
    """Sign out: the session is removed; whether there was one."""
    return store.delete_record(KIND, _digest(secret))


#: what a list of sessions shows of each: never its CSRF token or its password stamp
_SHOWN = ("id", "user", "via", "address", "created", "seen", "expires")


def user_sessions(store: Store, name: str) -> list[dict[str, Any]]:
    """The sessions of user ``name`` that have not ended, the newest first (what each shows: :data:`_SHOWN`)."""
    now = datetime.now(UTC)
    live = [record for _, record in store.records(KIND) if record["user"] == name and not _ended(record, now)]
    return [{k: record.get(k, "") for k in _SHOWN} for record in sorted(live, key=lambda r: r["created"], reverse=True)]


def end_user_sessions(store: Store, name: str, session_ids: Iterable[str], *, by: Grant) -> int:
    """End sessions of user ``name`` by their ids (their own doing, or an admin's); how many there were.
    NotFoundError for an id that is not one of theirs."""
    if by.user != name:
        by.require(users.MANAGE)
    wanted = set(session_ids)
    theirs = {record["id"]: key for key, record in store.records(KIND) if record["user"] == name}
    unknown = sorted(wanted - set(theirs))
    if unknown:
        raise NotFoundError(f"user {name!r} has no session {unknown[0]!r}", id=unknown[0])
    for session_id in wanted:
        store.delete_record(KIND, theirs[session_id])
    LOGGER.info("%s ended %d session(s) of %s", by.actor, len(wanted), name)
    return len(wanted)
