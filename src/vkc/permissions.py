"""Typed permission scopes, and the one place a grant is checked against them.

A scope is a kind, optionally with a resource: ``features:parks`` (write the
collection ``parks``), ``features:*`` (every collection), ``sensorthings``
(every SensorThings entity), ``alerts:manage`` (webhook subscriptions).
Components declare the kinds they check (:class:`ScopeKind`); room is left
for the kinds that come next: ``registry``, ``assess``,
``province:<GSO code>@<valid_from>``.

A resource is never a bare string that could mean two things: a
collection named ``alerts`` is ``features:alerts``, which is not
``alerts:manage``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vkc.errors import InputError, PermissionDenied

ANY = "*"


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

    def allows(self, wanted: Scope) -> bool:
        return self.role == "admin" or any(s.covers(wanted) for s in self.scopes)

    def require(self, wanted: Scope) -> None:
        """Raise PermissionDenied unless the grant covers ``wanted``."""
        if not self.allows(wanted):
            held = ", ".join(sorted(str(s) for s in self.scopes)) or "none"
            holder = f"user {self.user}" if self.user else f"token {self.token_id}"
            raise PermissionDenied(f"{holder} does not hold the scope {wanted} (held: {held})", scope=str(wanted))


#: the grant of whoever runs a ``vkc`` command: they open the store (its file, or its database URL) themselves, so they hold every right
LOCAL_ADMIN = Grant(token_id="local", role="admin", scopes=frozenset(), name="the local user")

__all__ = ["ANY", "LOCAL_ADMIN", "Grant", "Scope", "ScopeKind", "features", "parse_scope"]
