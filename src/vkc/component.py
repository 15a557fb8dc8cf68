"""Components: how a capability plugs into the kernel.

A component declares, in one :class:`Component` value, everything it adds:
its tables (migrations for both backends), SQLite functions, HTTP routers,
CLI commands, conformance classes, permission scopes, the tables
``vkc store copy`` carries (:class:`~vkc.store.tables.Table`: each with its
key and the kind of the columns the backends spell differently), and tasks
that run beside the server. The app factory, the CLI and the store are
assembled from the installed components; the kernel imports none of them.

Components are found through the ``vkc.components`` entry-point group, the
built-in ones exactly as a third party's::

    [project.entry-points."vkc.components"]
    sensors = "vkc.sensors.component:COMPONENT"

Routers and CLI commands are given as functions, called only when the app
or the CLI is built, so opening a store imports no web or CLI code.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from vkc.errors import StoreError
from vkc.permissions import ScopeKind

if TYPE_CHECKING:
    import typer

    from vkc.store.base import Store
    from vkc.store.migrations import Migration
    from vkc.store.tables import Table

ENTRY_POINT_GROUP = "vkc.components"


class CommandLine:
    """What a component's ``cli`` function receives: the ``vkc`` app and its shared command groups."""

    #: the groups several components add commands to
    SHARED_GROUPS = {"import": "Import data into the store.", "export": "Export data from the store."}

    def __init__(self, app: typer.Typer) -> None:
        self.app = app
        self._groups: dict[str, typer.Typer] = {}

    def group(self, name: str, help: str = "") -> typer.Typer:
        """The sub-command group ``vkc NAME``, made by the first component that asks (``import`` and ``export`` are shared)."""
        import typer

        if name not in self._groups:
            self._groups[name] = typer.Typer(help=help or self.SHARED_GROUPS.get(name, ""), no_args_is_help=True)
            self.app.add_typer(self._groups[name], name=name)
        return self._groups[name]


#: work the server runs beside the requests, in a thread of its own: given the store, it runs until the event is set
ServerTask = Callable[["Store", threading.Event], None]


@dataclass(frozen=True, kw_only=True)
class Component:
    """One capability of the platform, declared in one place."""

    name: str
    summary: str
    requires: tuple[str, ...] = ()
    migrations: Sequence[Migration] = ()
    sqlite_functions: Callable[[sqlite3.Connection], None] | None = None
    routers: Callable[[], Sequence[Any]] | None = None
    cli: Callable[[CommandLine], None] | None = None
    #: conformance classes per API root (e.g. ``{"/ogc": [...]}``), as the API's conformance page lists them
    conformance: dict[str, Sequence[str]] = field(default_factory=dict)
    scopes: Sequence[ScopeKind] = ()
    #: the tables ``vkc store copy`` carries, parents before children: each with its key and the kind of every
    #: column whose representation differs between the backends (see :mod:`vkc.store.tables`)
    tables: Sequence[Table] = ()
    server_tasks: Sequence[tuple[str, ServerTask]] = ()
    #: which requests to the component's routes are costly (method, path, query string → why, or None): the
    #: server runs those a few at a time so that they never starve the cheap ones (:mod:`vkc.web.costly`)
    costly: Callable[[str, str, str], str | None] | None = None
    #: draws an error (its problem+json body) as an HTML page for browsers (:mod:`vkc.web.problems`); the first
    #: component that offers one draws them all
    error_page: Callable[[Any, dict[str, Any]], Any] | None = None
    #: draws a resource of the APIs (kind, title, its JSON body) as an HTML page, for ``f=html`` and browsers: the
    #: OGC API's landing page, collections and items (:mod:`vkc.api.ogc.html`); the first component that offers one
    resource_page: Callable[[Any, str, str, dict[str, Any]], Any] | None = None

    @property
    def version(self) -> int:
        """The version this code brings the component's tables to (0: it has none)."""
        return max((m.version for m in self.migrations), default=0)

    def __repr__(self) -> str:
        return f"<Component {self.name}>"


def ordered(components: Iterable[Component]) -> tuple[Component, ...]:
    """Components with each one after those it requires (name order otherwise); raises on a missing or circular requirement."""
    by_name = {c.name: c for c in components}
    done: list[Component] = []
    visiting: set[str] = set()

    def visit(c: Component) -> None:
        if c in done:
            return
        if c.name in visiting:
            raise StoreError(f"components require each other in a circle through {c.name!r}")
        visiting.add(c.name)
        for name in c.requires:
            if name not in by_name:
                raise StoreError(f"component {c.name!r} requires component {name!r}, which is not installed")
            visit(by_name[name])
        visiting.discard(c.name)
        done.append(c)

    for name in sorted(by_name):
        visit(by_name[name])
    return tuple(done)


@cache
def installed() -> tuple[Component, ...]:
    """Every component installed in this Python environment, dependencies first."""
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        component = ep.load()
        if not isinstance(component, Component):
            raise StoreError(f"entry point {ep.name} = {ep.value} of group {ENTRY_POINT_GROUP} is not a vkc Component")
        found.append(component)
    if not found:
        raise StoreError(f"no vkc components are installed (entry points {ENTRY_POINT_GROUP}): install vkc with pip, not by copying its source")
    return ordered(found)


def scope_kinds(components: Iterable[Component]) -> list[ScopeKind]:
    return [kind for c in components for kind in c.scopes]


__all__ = ["ENTRY_POINT_GROUP", "CommandLine", "Component", "ServerTask", "installed", "ordered", "scope_kinds"]
