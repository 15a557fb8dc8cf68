"""Users, their roles and what each role is granted on: collections, components, provinces, or everything.

A user has a name, optionally a password (kept only as an argon2id hash; a
user without one signs in with tokens alone), and grants. A grant is a role
on a target::

    viewer     reads what is not public (nothing is private to read yet)
    editor     writes what the target names
    verifier   verifies what others wrote (the assessment workflow's role)
    admin      everything (a grant without a target)

Targets: ``collection:<name>`` (``features:<name>``), ``component:<name>``
(the scopes a component declares: ``component:sensors`` is ``sensorthings``,
``component:alerts`` is ``alerts:manage``), ``province:<GSO code>@<date>``
(a unit as valid on that date: a grant on Hà Nam before 2025-07-01 is not one
on Ninh Bình after), or none (``*``). A user's tokens (``vkc token create
--user NAME``) carry no scopes of their own: each request is judged by the
user's grants as they are then, so disabling a user or revoking a grant takes
effect at once.

Users are kept in the store's records (kind ``user``) on both backends.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vkc.errors import ConflictError, InputError, NotFoundError
from vkc.permissions import ANY, LOCAL_ADMIN, Grant, Scope, features
from vkc.store import Store
from vkc.store.audit import Change
from vkc.store.model import check_collection_name

KIND = "user"
ROLES = ("viewer", "editor", "verifier", "admin")
TARGET_KINDS = ("collection", "component", "province")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}", re.ASCII)
_PROVINCE = re.compile(r"(\d{2})@(\d{4}-\d{2}-\d{2})", re.ASCII)
#: managing users and their grants (held by admins; no component declares it)
MANAGE = Scope("users:manage")
#: argon2id with the parameters RFC 9106 recommends when memory is scarce (64 MiB, 3 passes)
HASHER = PasswordHasher()


def is_user_name(name: str) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def check_user_name(name: str) -> str:
    if not is_user_name(name):
        raise InputError(
            f"user name {name!r}: 2 to 64 of lower-case letters, digits and . _ @ -, starting with a letter or digit", field="name"
        )
    return name


def check_password(password: str, *, about: Iterable[str] = ()) -> str:
    """``password`` if it is long enough and not among the passwords guessed first.

    The guessing is zxcvbn's: its lists of the passwords most used in public breaches, common words and
    names, keyboard patterns, repeats and dates, and ``about`` (the user's name, their display name). A
    password under 10⁶ guesses is refused with zxcvbn's reason (OWASP ASVS 2.1.7); only the first
    100 characters are weighed, which decides every password long enough to be in doubt.
    """
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InputError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # (no type hints shipped) its dictionaries load at first use

    verdict = zxcvbn(password[:100], user_inputs=[*about, "vkc"])
    if verdict["score"] < 2:
        reason = verdict["feedback"].get("warning") or "it is among the passwords guessed first"
        raise InputError(f"that password is too easy to guess ({reason.rstrip('.')}): a few unrelated words make a strong one", field="password")
    return password


def add_user(store: Store, name: str, *, password: str | None = None, display_name: str = "", by: Grant = LOCAL_ADMIN) -> dict[str, Any]:
    """Make a user (without grants); ConflictError if the name is taken."""
    by.require(MANAGE)
    check_user_name(name)
    if store.get_record(KIND, name) is not None:
        raise ConflictError(f"user {name!r} exists already", field="name")
    record: dict[str, Any] = {
        "name": name,
        "display_name": display_name,
        "password": None if password is None else HASHER.hash(check_password(password, about=(name, display_name))),
        "disabled": None,
        "grants": [],
        "created": datetime.now(UTC).isoformat(),
    }
    return save(store, None, record, by, "user.add")


def save(store: Store, before: Mapping[str, Any] | None, after: dict[str, Any], by: Grant, action: str) -> dict[str, Any]:
    """Store a user's record, with the audit entry of the change (never a password hash); returns the record as it may be shown."""
    name = after["name"]
    change = Change(by.actor, action, f"user:{name}", None if before is None else public(before), public(after))
    store.put_record(KIND, name, after, change=change)
    return public(after)


def get_user(store: Store, name: str) -> dict[str, Any]:
    record = store.get_record(KIND, name)
    if record is None:
        raise NotFoundError(f"no user {name!r}; `vkc user list` shows them", name=name)
    return dict(record)


def list_users(store: Store) -> list[dict[str, Any]]:
    """Every user (without password hashes), by name."""
    return sorted((public(v) for _, v in store.records(KIND)), key=lambda u: u["name"])


def public(record: Mapping[str, Any]) -> dict[str, Any]:
    """A user's record as it may be shown: whether a password and a second factor are set, never the hash or the secret."""
    out = {k: v for k, v in record.items() if k not in ("password", "totp")}
    out["has_password"] = record.get("password") is not None
    totp = record.get("totp")
    out["second_factor"] = None if not totp else "confirmed" if totp.get("confirmed") else "pending"
    return out


def set_disabled(store: Store, name: str, disabled: bool, *, by: Grant = LOCAL_ADMIN) -> dict[str, Any]:
    by.require(MANAGE)
    before = get_user(store, name)
    record = {**before, "disabled": datetime.now(UTC).isoformat() if disabled else None}
    return save(store, before, record, by, "user.disable" if disabled else "user.enable")


def set_password(store: Store, name: str, password: str, *, by: Grant = LOCAL_ADMIN) -> None:
    """Set ``name``'s password: an admin's doing, or the user's own (who has shown the current one: the caller checks)."""
    if by.user != name:
        by.require(MANAGE)
    before = get_user(store, name)
    about = (name, before.get("display_name") or "")
    save(store, before, {**before, "password": HASHER.hash(check_password(password, about=about))}, by, "user.password")


def link_identity(store: Store, name: str, issuer: str, subject: str) -> dict[str, Any]:
    """Link ``name`` to the subject an OpenID Connect provider knows them by: the user's own doing, at their first sign-in there."""
    before = get_user(store, name)
    identities = {**before.get("identities", {}), issuer: subject}
    themself = Grant(token_id="oidc", role="editor", scopes=frozenset(), user=name)
    return save(store, before, {**before, "identities": identities}, themself, "user.link")


def check_credentials(store: Store, name: str, password: str) -> dict[str, Any] | None:
    """The user's stored record if ``password`` is theirs and they are not disabled; None otherwise (the same time spent
    either way). The record holds the password hash and any second factor's secret: :func:`public` is what may be shown."""
    record = store.get_record(KIND, name) if is_user_name(name) else None
    stored = record.get("password") if record else None
    try:
        HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if record is None or stored is None or record.get("disabled"):
        return None
    return dict(record)


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so they take as long as known ones (made at first use, not at import)."""
    return HASHER.hash("a password nobody has, to spend the same time on unknown users")


def grant(
    store: Store, name: str, role: str, target: str = ANY, *, components: Mapping[str, Iterable[Scope]] | None = None, by: Grant = LOCAL_ADMIN
) -> dict[str, Any]:
    """Give ``name`` the ``role`` on ``target`` (see the module); ``components`` maps component names to the scopes they declare."""
    by.require(MANAGE)
    record = get_user(store, name)
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; roles: {', '.join(ROLES)}", field="role")
    target = check_target(target, components or {})
    if role == "admin" and target != ANY:
        raise InputError("admin is a role on everything; grant it without --collection, --component or --province", field="role")
    entry = {"role": role, "target": target}
    if entry in record["grants"]:
        return public(record)
    return save(store, record, {**record, "grants": [*record["grants"], entry]}, by, "user.grant")


def revoke(store: Store, name: str, role: str, target: str = ANY, *, by: Grant = LOCAL_ADMIN) -> dict[str, Any]:
    by.require(MANAGE)
    record = get_user(store, name)
    entry = {"role": role, "target": target}
    if entry not in record["grants"]:
        held = ", ".join(f"{g['role']} on {g['target']}" for g in record["grants"]) or "none"
        raise NotFoundError(f"user {name!r} holds no {role} on {target}; they hold: {held}")
    return save(store, record, {**record, "grants": [g for g in record["grants"] if g != entry]}, by, "user.revoke")


def check_target(target: str, components: Mapping[str, Iterable[Scope]]) -> str:
    if target == ANY:
        return target
    kind, sep, value = target.partition(":")
    if kind not in TARGET_KINDS or not sep or not value:
        raise InputError(f"grant target {target!r}: one of collection:<name>, component:<name>, province:<GSO code>@<date>", field="target")
    if kind == "collection":
        check_collection_name(value)
    elif kind == "component":
        if value not in components:
            raise InputError(f"no component {value!r} declares scopes; components with scopes: {', '.join(sorted(components))}", field="component")
    else:
        match = _PROVINCE.fullmatch(value)
        if match is None:
            raise InputError(f"province grant {value!r}: write the GSO code and the date its unit is taken on, e.g. 01@2025-07-01", field="province")
        try:
            date.fromisoformat(match.group(2))
        except ValueError:
            raise InputError(f"province grant {value!r}: {match.group(2)} is not a date", field="province") from None
    return target


def scopes_of(record: Mapping[str, Any], components: Mapping[str, Iterable[Scope]]) -> tuple[str, frozenset[Scope]]:
    """The role a user acts with (``admin`` if granted, else ``editor``) and the scopes their write grants hold now."""
    if record.get("disabled"):
        return "editor", frozenset()
    held: set[Scope] = set()
    role = "editor"
    for entry in record.get("grants", ()):
        if entry["role"] == "admin":
            role = "admin"
        if entry["role"] != "editor":
            continue  # viewers and verifiers write nothing the current components hold
        kind, _, value = str(entry["target"]).partition(":")
        if entry["target"] == ANY:
            held.add(features(ANY))
            for scopes in components.values():
                held.update(scopes)
        elif kind == "collection":
            held.add(features(value))
        elif kind == "component":
            held.update(components.get(value, ()))
        elif kind == "province":
            held.add(Scope("province", value))
    return role, frozenset(held)
