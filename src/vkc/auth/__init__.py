"""Access tokens: bearer tokens that allow writes, kept in the store as hashes only.

A token is ``vkc_<id>_<secret>``: the id (8 hex digits) names it in listings
and revocations; the secret is 32 random bytes. The store keeps the SHA-256
of the whole token (a high-entropy secret needs no slow hash), the role,
the optional collection it is limited to, and when it was made or revoked.
The token itself is shown once, when it is created.

Roles: ``editor`` holds the scopes it was made with (see
:mod:`vkc.permissions`); ``admin`` holds every scope. A token made for a
user (``user=``, :mod:`vkc.auth.users`) holds no scopes of its own: it acts
with the user's grants as they are at each request, and may expire. A token made without
scopes keeps what editor tokens always meant: every feature collection,
SensorThings and alert subscriptions (``features:*``, ``sensorthings``,
``alerts:manage``); ``--collection NAME`` is ``features:NAME`` alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from vkc.auth import users
from vkc.errors import AuthenticationError, InputError, NotFoundError
from vkc.permissions import ANY, LOCAL_ADMIN, Grant, Scope, ScopeKind, features, parse_scope
from vkc.store import Store
from vkc.store.audit import Change
from vkc.store.model import check_collection_name

LOGGER = logging.getLogger(__name__)
#: the public part of a token: ``vkc_<id>_``
_ID = re.compile(r"vkc_([0-9a-f]{8})_")
KIND = "token"
#: how long a user's token lasts unless its maker says otherwise
USER_TOKEN_DAYS = 90
ROLES = ("editor", "admin")
#: the kernel's own scope kinds, beside those the components declare
AUDIT_READ = Scope("audit:read")
KERNEL_KINDS = (ScopeKind("audit:read", "read the audit trail (/api/audit)"),)
#: what an editor token made without scopes or a collection has always allowed
EDITOR_DEFAULT = (features(ANY), Scope("sensorthings"), Scope("alerts:manage"))


def token_scopes(record: dict[str, Any]) -> frozenset[Scope]:
    """A stored token's scopes; records made before scopes existed keep what they meant then."""
    if "scopes" in record:
        return frozenset(Scope(kind, resource) for kind, resource in record["scopes"])
    if record.get("collection") is not None:
        return frozenset({features(record["collection"])})
    return frozenset(EDITOR_DEFAULT)


def scope_texts(record: dict[str, Any]) -> list[str]:
    """A stored token's scopes as text, sorted."""
    return sorted(str(s) for s in token_scopes(record))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user_token(
    store: Store, user: str, *, expires: datetime | None = None, name: str = "", by: Grant = LOCAL_ADMIN
) -> tuple[str, str]:
    """Make a token for ``user`` that acts with the user's grants; returns (token_id, token), shown this once.

    A user makes their own tokens; an admin makes anyone's.
    """
    if by.user != user:
        by.require(users.MANAGE)
    users.get_user(store, user)
    if expires is not None and expires <= datetime.now(UTC):
        raise InputError("the token would expire before it is made", field="expires")
    return _mint(store, {"role": "user", "user": user, "name": name}, expires, by)


def _mint(store: Store, fields: dict[str, Any], expires: datetime | None, by: Grant) -> tuple[str, str]:
    """Make a token with the record ``fields`` (and its id, times and state), and its audit entry; returns (token_id, token)."""
    token_id = secrets.token_hex(4)
    token = f"vkc_{token_id}_{secrets.token_urlsafe(32)}"
    record = {
        "id": token_id,
        **fields,
        "created": datetime.now(UTC).isoformat(),
        "expires": None if expires is None else expires.astimezone(UTC).isoformat(),
        "revoked": None,
    }
    store.put_record(KIND, _digest(token), record, change=Change(by.actor, "token.create", f"token:{token_id}", after=record))
    return token_id, token


def component_scopes(store: Store) -> dict[str, list[Scope]]:
    """Each of the store's components that declares scopes, with them (a kind taking a resource: all its resources)."""
    return {c.name: [Scope(k.name, None if k.resource is None else ANY) for k in c.scopes] for c in store.components if c.scopes}


def create_token(
    store: Store,
    role: str,
    *,
    collection: str | None = None,
    scopes: Sequence[str] = (),
    kinds: Iterable[ScopeKind] = (),
    name: str = "",
    expires: datetime | None = None,
    by: Grant = LOCAL_ADMIN,
) -> tuple[str, str]:
    """Make a machine token; returns (token_id, token). The token is not kept and cannot be shown again.

    ``scopes`` are texts such as ``features:parks`` or ``sensorthings``, checked against ``kinds``
    (the installed components' scope kinds); ``collection`` is short for ``features:<collection>``.
    """
    by.require(users.MANAGE)
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; roles: {', '.join(ROLES)}", field="role")
    granted = [parse_scope(text, [*KERNEL_KINDS, *kinds]) for text in scopes]
    for scope in granted:
        if scope.kind == "features" and scope.resource != ANY:
            check_collection_name(scope.resource or "")
    if collection is not None:  # a name, never the wildcard
        check_collection_name(collection)
        granted.append(features(collection))
    if not granted:
        granted = list(EDITOR_DEFAULT)
    scopes_held = sorted([s.kind, s.resource] for s in set(granted))
    return _mint(store, {"role": role, "collection": collection, "scopes": scopes_held, "name": name}, expires, by)


def list_tokens(store: Store) -> list[dict[str, Any]]:
    """Every token's record (never the token), oldest first."""
    return sorted((value for _, value in store.records(KIND)), key=lambda v: v["created"])


def user_tokens(store: Store, user: str) -> list[dict[str, Any]]:
    """The records of ``user``'s tokens (never the tokens), oldest first."""
    return [t for t in list_tokens(store) if t.get("user") == user]


def revoke_token(store: Store, token_id: str, *, user: str | None = None, by: Grant = LOCAL_ADMIN) -> dict[str, Any]:
    """Revoke a token by its id (its user's, or an admin's doing); revoked tokens stay listed with the time of revocation.

    ``user``: the token must be that user's (NotFoundError otherwise, as for an id nobody has).
    """
    for key, value in store.records(KIND):
        if value["id"] == token_id and (user is None or value.get("user") == user):
            if by.user is None or value.get("user") != by.user:
                by.require(users.MANAGE)
            if value["revoked"] is None:
                before, value = value, {**value, "revoked": datetime.now(UTC).isoformat()}
                store.put_record(KIND, key, value, change=Change(by.actor, "token.revoke", f"token:{token_id}", before, value))
            return value
    if user is not None:
        raise NotFoundError(f"user {user!r} has no token {token_id!r}", id=token_id)
    raise NotFoundError(f"no token with id {token_id!r}; `vkc token list` shows them", id=token_id)


def verify(store: Store, authorization: str | None) -> Grant:
    """The grant of an ``Authorization`` header; raises AuthenticationError.

    ``Bearer <token>`` is the API's way. HTTP Basic with the token as the
    password (any user name) is accepted too, for clients that know no other
    scheme, such as the SensorThings clients of the FROST project.
    """
    if not authorization:
        raise AuthenticationError("this request changes data and needs a token: send 'Authorization: Bearer <token>'")
    token = presented_token(authorization)
    if not token:
        raise AuthenticationError("the Authorization header must be 'Bearer <token>' (or Basic with the token as password)")
    digest = _digest(token)
    record = store.get_record(KIND, digest)
    if record is None:
        raise _refused("the token is not valid", token)
    if record["revoked"] is not None:
        raise _refused("the token was revoked", token)  # which token and when is for its owner to list, not for whoever holds it
    if record.get("expires") and datetime.fromisoformat(record["expires"]) <= datetime.now(UTC):
        raise _refused("the token has expired", token)
    if record.get("user") is not None:
        user = store.get_record(users.KIND, record["user"])
        if user is None or user.get("disabled"):
            raise _refused("the token's user is disabled", token)
        role, scopes = users.scopes_of(user, component_scopes(store))
        return Grant(token_id=record["id"], role=role, scopes=scopes, name=record.get("name", ""), user=record["user"])
    return Grant(token_id=record["id"], role=record["role"], scopes=token_scopes(record), name=record.get("name", ""))


def _refused(reason: str, token: str) -> AuthenticationError:
    """The error for a token refused, logged with the token's id (its public part) and never the token."""
    shown = _ID.match(token)
    LOGGER.warning("refused a token (%s): %s", f"id {shown[1]}" if shown else "not a vkc token", reason)
    return AuthenticationError(reason)


def presented_token(authorization: str) -> str:
    """The token an ``Authorization`` value carries: Bearer, or Basic with the token as password; "" for another scheme."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() == "basic" and token:
        try:
            return base64.b64decode(token, validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError("the Basic credentials are not valid base64") from None
    return token if scheme.lower() == "bearer" else ""


def require(store: Store, authorization: str | None, scope: Scope) -> Grant:
    """The grant of an ``Authorization`` header if it covers ``scope``; raises AuthenticationError or PermissionDenied."""
    grant = verify(store, authorization)
    grant.require(scope)
    return grant
