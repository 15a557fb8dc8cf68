"""A second factor for signing in with a password: one-time codes from an authenticator app (TOTP, RFC 6238).

A user enrols (:func:`enrol`: ``vkc user mfa enrol NAME`` or ``POST
/api/users/{name}/mfa``): a random 160-bit secret is made and shown once, as
an ``otpauth://`` URI for the app's QR scanner and as text; it takes effect
once a code from the app confirms it (:func:`confirm`), so a mistyped
enrolment locks nobody out. A confirmed factor is replaced only by an admin
(a stolen token must not swap it for the thief's). From then on a password sign-in needs the
current code as well (30-second steps, one step of clock drift either way), and
a code is good once: the last step used is remembered. An admin signs in to
the portal only with a second factor (:func:`required`); an admin may remove
a user's enrolment (:func:`remove`), for a lost phone.

The secret is kept in the user's record (the code must be computed from it)
and never appears in an answer, a listing or the audit trail.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

import pyotp

from vkc.auth import users
from vkc.errors import ConflictError, InputError, NotFoundError
from vkc.permissions import LOCAL_ADMIN, Grant
from vkc.store import Store

ISSUER = "VKC"
#: the last time step each user's code was used in, so that no code is good twice
LAST_USED = "transient:totp-last-step"


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=6, interval=30)


def enrol(store: Store, name: str, *, by: Grant = LOCAL_ADMIN) -> dict[str, str]:
    """Make a new secret for ``name`` (replacing any, pending until confirmed); returns it and its otpauth URI, shown this once."""
    if by.user != name:
        by.require(users.MANAGE)
    before = users.get_user(store, name)
    if enrolled(before) and not by.allows(users.MANAGE):
        raise ConflictError(f"user {name!r} has a second factor already; an admin removes it (a lost phone) before a new one is enrolled")
    secret = pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends
    record = {**before, "totp": {"secret": secret, "confirmed": None}}
    users.save(store, before, record, by, "user.mfa-enrol")
    return {"secret": secret, "uri": _totp(secret).provisioning_uri(name=name, issuer_name=ISSUER)}


def confirm(store: Store, name: str, code: str, *, by: Grant = LOCAL_ADMIN) -> dict[str, Any]:
    """Confirm a pending enrolment with a code from the app; from now on sign-ins need one."""
    if by.user != name:
        by.require(users.MANAGE)
    before = users.get_user(store, name)
    totp = before.get("totp")
    if not totp:
        raise NotFoundError(f"user {name!r} has not enrolled an authenticator: `vkc user mfa enrol {name}`")
    if not _accept(store, name, totp["secret"], code):
        raise InputError("the code is not the authenticator's current one (is the phone's clock right?)", field="code")
    return users.save(store, before, {**before, "totp": {**totp, "confirmed": datetime.now(UTC).isoformat()}}, by, "user.mfa-confirm")


def remove(store: Store, name: str, *, by: Grant = LOCAL_ADMIN) -> dict[str, Any]:
    """Take a user's second factor away (an admin's doing: for a lost phone); they enrol again."""
    by.require(users.MANAGE)
    before = users.get_user(store, name)
    return users.save(store, before, {k: v for k, v in before.items() if k != "totp"}, by, "user.mfa-remove")


def enrolled(record: dict[str, Any]) -> bool:
    """Whether the user's sign-ins need a code: an enrolment confirmed."""
    totp = record.get("totp")
    return bool(totp and totp.get("confirmed"))


def required(record: dict[str, Any]) -> bool:
    """Whether the user may sign in with a password only after enrolling: admins may not sign in without a second factor."""
    return any(g["role"] == "admin" for g in record.get("grants", ()))


def check(store: Store, record: dict[str, Any], code: str) -> bool:
    """Whether ``code`` is the user's current one, and not used before (it is used now)."""
    return enrolled(record) and _accept(store, record["name"], record["totp"]["secret"], code)


def _accept(store: Store, name: str, secret: str, code: str) -> bool:
    code = (code or "").strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return False
    totp = _totp(secret)
    now = datetime.now(UTC)
    last = (store.get_record(LAST_USED, name) or {}).get("step", -1)
    for drift in (-1, 0, 1):
        step = totp.timecode(now) + drift
        if step > last and hmac.compare_digest(totp.generate_otp(step), code):
            store.put_record(LAST_USED, name, {"step": step})
            return True
    return False
