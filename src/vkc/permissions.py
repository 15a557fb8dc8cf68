"""Typed permission scopes, and the one place a grant is checked against them.

A scope is a kind, optionally with a resource: ``features:parks`` (write the
collection ``parks``), ``features:*`` (every collection), ``sensorthings``
(every SensorThings entity), ``alerts:manage`` (webhook subscriptions).
Components declare the kinds they check (:class:`ScopeKind`); room is left
for the kinds that come next: ``registry``, ``assess``,
``province:<GSO code>@<valid_from>``.

A ``province:<GSO code>@<date>`` scope is held through a user's grant
(:mod:`vkc.auth.users`) and covers a scope of a located kind (``features``)
for the things that lie in that unit, as it was on the date, on the day of
the change: the caller names the places of what it changes (:class:`Place`,
the thing before and after), and every one must lie in a province held.

A resource is never a bare string that could mean two things: a
collection named ``alerts`` is ``features:alerts``, which is not
``alerts:manage``.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from vkc.errors import InputError, PermissionDenied

ANY = "*"
#: the scope kinds a province grant can cover, for things that lie in the province
LOCATED_KINDS = frozenset({"features"})


class Place(Protocol):
    """Where a thing being changed lies, as a component knows it."""

    def within(self, province: str) -> bool:
        """Whether it lies in the unit ``<GSO code>@<date>`` (as valid on that date), that unit being valid today."""
        ...


@dataclass(frozen=True)
class ScopeKind:
    """A kind of permission a component checks: ``name`` alone, or ``name:<resource>`` when ``resource`` names what follows."""

    name: str
    description: str
    resource: str | None = None

    def __str__(self) -> str:
        return self.name if self.resource is None else f"{self.name}:<{self.resource}>"


@dataclass(frozen=True, order=True)
class Scope:
    """One permission: a kind and, for kinds that take one, a resource (``*``: all of them)."""

    kind: str
    resource: str | None = None

    def __str__(self) -> str:
        return self.kind if self.resource is None else f"{self.kind}:{self.resource}"

    def covers(self, wanted: Scope) -> bool:
        return self.kind == wanted.kind and (self.resource == wanted.resource or self.resource == ANY)


def features(collection: str) -> Scope:
    """The scope of writing one feature collection."""
    return Scope("features", collection)


def parse_scope(text: str, kinds: Iterable[ScopeKind]) -> Scope:
    """A scope from its text, checked against the kinds the installed components declare."""
    known = {k.name: k for k in kinds}
    kind = known.get(text)
    if kind is not None and kind.resource is None:
        return Scope(kind.name)
    name, sep, resource = text.partition(":")
    kind = known.get(name)
    if kind is None or kind.resource is None or not sep or not resource:
        choices = ", ".join(sorted(str(k) for k in known.values()))
        raise InputError(f"unknown scope {text!r}; scopes: {choices}", field="scope")
    return Scope(kind.name, resource)


@dataclass(frozen=True)
class Grant:
    """What a credential allows: every scope for an ``admin``, else the scopes listed."""

    token_id: str
    role: str
    scopes: frozenset[Scope]
    name: str = ""
    #: the user the credential acts for; None for a machine token
    user: str | None = None

    def allows(self, wanted: Scope, places: Sequence[Place] = ()) -> bool:
        """Whether ``wanted`` is covered; with ``places``, province scopes count for what lies in them."""
        if self.role == "admin" or any(s.covers(wanted) for s in self.scopes):
            return True
        return bool(places) and wanted.kind in LOCATED_KINDS and all(any(p.within(s) for s in self.provinces) for p in places)

    @property
    def actor(self) -> str:
        """Who acts, as the audit trail names them: ``user:<name>``, ``token:<id>``, or ``local:<OS user>`` for a ``vkc`` command."""
        if self.user is not None:
            return f"user:{self.user}"
        if self.token_id == LOCAL_TOKEN_ID:
            return local_actor()
        return f"token:{self.token_id}"

    @property
    def provinces(self) -> list[str]:
        """The ``<GSO code>@<date>`` of every province scope held."""
        return sorted(s.resource for s in self.scopes if s.kind == "province" and s.resource)

    def require_somewhere(self, wanted: Scope) -> None:
        """Refuse at once unless ``wanted`` is covered, or could be by a province scope once the places are known (ask again with them)."""
        if not (wanted.kind in LOCATED_KINDS and self.provinces):
            self.require(wanted)

    def require(self, wanted: Scope, places: Sequence[Place] = ()) -> None:
        """Raise PermissionDenied, naming the missing scope, unless the grant covers ``wanted`` (at ``places``)."""
        if not self.allows(wanted, places):
            held = ", ".join(sorted(str(s) for s in self.scopes)) or "none"
            holder = f"user {self.user}" if self.user else f"token {self.token_id}"
            where = " here: what is changed does not lie in a province held today" if places and self.provinces else ""
            raise PermissionDenied(f"{holder} does not hold the scope {wanted}{where} (held: {held})", scope=str(wanted))


def local_actor() -> str:
    """``local:<OS user>``: whoever runs a ``vkc`` command, or the library, with the store in hand."""
    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):  # a container user with no passwd entry
        return f"local:uid{os.getuid()}"


LOCAL_TOKEN_ID = "local"
#: the grant of whoever runs a ``vkc`` command: they open the store (its file, or its database URL) themselves, so they hold every right
LOCAL_ADMIN = Grant(token_id=LOCAL_TOKEN_ID, role="admin", scopes=frozenset(), name="the local user")

__all__ = ["ANY", "LOCAL_ADMIN", "local_actor", "LOCATED_KINDS", "Grant", "Place", "Scope", "ScopeKind", "features", "parse_scope"]
