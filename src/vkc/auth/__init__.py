"""Access tokens: bearer tokens that allow writes, kept in the store as hashes only.

A token is ``vkc_<id>_<secret>``: the id (8 hex digits) names it in listings
and revocations; the secret is 32 random bytes. The store keeps the SHA-256
of the whole token (a high-entropy secret needs no slow hash), the role,
the optional collection it is limited to, and when it was made or revoked.
The token itself is shown once, when it is created.

Roles: ``editor`` writes features (of every collection, or of one);
``admin`` does everything an editor does, everywhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from vkc.errors import AuthenticationError, InputError, NotFoundError, PermissionDenied
from vkc.store import Store
from vkc.store.model import check_collection_name

KIND = "token"
ROLES = ("editor", "admin")


@dataclass(frozen=True)
class Grant:
    """What a valid token allows."""

    token_id: str
    role: str
    collection: str | None
    name: str

    def check_write(self, collection: str) -> None:
        if self.role == "admin":
            return
        if self.collection is not None and self.collection != collection:
            raise PermissionDenied(f"token {self.token_id} may write collection {self.collection!r} only, not {collection!r}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, role: str, *, collection: str | None = None, name: str = "") -> tuple[str, str]:
    """Make a token; returns (token_id, token). The token is not kept and cannot be shown again."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; roles: {', '.join(ROLES)}", field="role")
    if collection is not None:
        check_collection_name(collection)
    token_id = secrets.token_hex(4)
    token = f"vkc_{token_id}_{secrets.token_urlsafe(32)}"
    store.put_record(
        KIND,
        _digest(token),
        {"id": token_id, "role": role, "collection": collection, "name": name, "created": datetime.now(UTC).isoformat(), "revoked": None},
    )
    return token_id, token


def list_tokens(store: Store) -> list[dict]:
    """Every token's record (never the token), oldest first."""
    return sorted((value for _, value in store.records(KIND)), key=lambda v: v["created"])


def revoke_token(store: Store, token_id: str) -> dict:
    """Revoke a token by its id; revoked tokens stay listed with the time of revocation."""
    for key, value in store.records(KIND):
        if value["id"] == token_id:
            if value["revoked"] is None:
                value = {**value, "revoked": datetime.now(UTC).isoformat()}
                store.put_record(KIND, key, value)
            return value
    raise NotFoundError(f"no token with id {token_id!r}; `vkc token list` shows them", id=token_id)


def verify(store: Store, authorization: str | None) -> Grant:
    """The grant of an ``Authorization`` header; raises AuthenticationError.

    ``Bearer <token>`` is the API's way. HTTP Basic with the token as the
    password (any user name) is accepted too, for clients that know no other
    scheme, such as the SensorThings clients of the FROST project.
    """
    if not authorization:
        raise AuthenticationError("this request changes data and needs a token: send 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() == "basic" and token:
        try:
            token = base64.b64decode(token, validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError("the Basic credentials are not valid base64") from None
    elif scheme.lower() != "bearer":
        token = ""
    if not token:
        raise AuthenticationError("the Authorization header must be 'Bearer <token>' (or Basic with the token as password)")
    digest = _digest(token)
    record = store.get_record(KIND, digest)
    if record is None:
        raise AuthenticationError("the token is not valid")
    if record["revoked"] is not None:
        raise AuthenticationError(f"token {record['id']} was revoked on {record['revoked'][:10]}")
    return Grant(token_id=record["id"], role=record["role"], collection=record["collection"], name=record.get("name", ""))
