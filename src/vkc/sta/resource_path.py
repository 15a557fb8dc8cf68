"""SensorThings resource paths (OGC 18-088 §9.2): ``Things(1)/Datastreams``, ``Observations(5)/Datastream/Thing``,
``Things(1)/name``, ``…/$value`` and ``…/$ref``, resolved to the entities they address.

The result is a :class:`Target`: an entity type and an SQL condition on the
alias ``e`` that selects exactly the addressed entities; navigation becomes
nested ``IN`` subqueries, and a foreign key compared directly where the parent
is one known entity (``Datastreams(1)/Observations`` is ``datastream_id = 1``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vkc.errors import InputError, NotFoundError
from vkc.parsing.numbers import INT64_MAX, parse_integer
from vkc.sensors.entities import ENTITY_TYPES, EntityType, Relation
from vkc.sensors.read import Scope

#: the most segments a path may have (Things(1)/Datastreams(2)/Observations(3)/FeatureOfInterest/name/$value has 6)
MAX_SEGMENTS = 12
_SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((.*)\))?$")


@dataclass
class Target:
    scope: Scope
    single: bool  # one entity (``Things(1)``, ``Datastreams(1)/Thing``) rather than a collection
    property: str | None = None  # ``Things(1)/name``
    value: bool = False  # ``…/name/$value``
    ref: bool = False  # ``…/$ref``
    #: for creating through a path: the relation from the last identified parent, and that parent's id
    parent: tuple[Relation, Any] | None = None
    ids: list[Any] = field(default_factory=list)


def _entity_id(text: str, path: str) -> int:
    if re.fullmatch(r"-?[0-9]+", text, re.ASCII):
        return parse_integer(text, "path", minimum=-INT64_MAX, fail=lambda message: InputError(f"{path}: the entity id {message}", field="path"))
    if len(text) >= 2 and text[0] == text[-1] == "'":
        raise NotFoundError(f"{path}: ids here are integers, not strings like {text}")
    raise InputError(f"{path}: {text!r} is not an entity id (an integer)", field="path")


def resolve(path: str) -> Target:
    """Resolve a path relative to the service root (no leading slash needed)."""
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts:
        raise InputError("empty resource path", field="path")
    if len(parts) > MAX_SEGMENTS:
        raise InputError(f"the resource path has {len(parts)} segments; at most {MAX_SEGMENTS} are followed", field="path")
    ref = value = False
    if parts[-1] == "$ref":
        ref, parts = True, parts[:-1]
    elif parts[-1] == "$value":
        value, parts = True, parts[:-1]
    if not parts:
        raise InputError(f"{path}: $ref and $value follow an entity or a property, e.g. Things(1)/$ref", field="path")
    m = _SEGMENT.match(parts[0])
    if m is None or m.group(1) not in ENTITY_TYPES:
        raise NotFoundError(f"no entity set {parts[0]!r}; the sets are {', '.join(ENTITY_TYPES)}")
    et = ENTITY_TYPES[m.group(1)]
    cond, params = "TRUE", []
    single = False
    parent: tuple[Relation, Any] | None = None
    known_id: Any = None
    if m.group(2) is not None:
        known_id = _entity_id(m.group(2), path)
        cond, params, single = "e.id = ?", [known_id], True
    prop: str | None = None
    for i, part in enumerate(parts[1:], start=1):
        m = _SEGMENT.match(part)
        name = m.group(1) if m else part
        rel = et.relation(name) if m else None
        if rel is None:
            fld = et.field(part)
            if fld is not None and single and i == len(parts) - 1:
                prop = part
                break
            raise NotFoundError(f"{'/'.join(parts[: i + 1])}: {et.name} has no relation or property {part!r}")
        if not single:
            raise NotFoundError(f"{'/'.join(parts[: i + 1])}: navigate from one entity, e.g. {parts[i - 1]}(1)/{name}")
        target = ENTITY_TYPES[rel.target]
        parent = (rel, known_id) if known_id is not None else None
        cond, params = _navigate(et, rel, cond, params, known_id)
        known_id = None
        et, single = target, not rel.many
        if m and m.group(2) is not None:
            known_id = _entity_id(m.group(2), path)
            cond, params, single = f"({cond}) AND e.id = ?", [*params, known_id], True
            parent = None
    if value and prop is None:
        raise NotFoundError(f"{path}: $value follows a property, e.g. Things(1)/name/$value")
    if ref and prop is not None:
        raise NotFoundError(f"{path}: $ref follows an entity or a collection, not a property")
    return Target(Scope(et, cond, params), single, prop, value, ref, parent)


def _navigate(parent: EntityType, rel: Relation, cond: str, params: list[Any], known_id: Any) -> tuple[str, list[Any]]:
    """The condition on the relation's targets, given the condition on the parents."""
    parents = f"SELECT e.id FROM {parent.table} e WHERE {cond}"
    if rel.fk:
        return f"e.id IN (SELECT e.{rel.fk} FROM {parent.table} e WHERE {cond})", params
    if rel.target_fk:
        if known_id is not None:
            return f"e.{rel.target_fk} = ?", [known_id]
        return f"e.{rel.target_fk} IN ({parents})", params
    table, to_this, to_target = rel.link  # type: ignore[misc]
    if known_id is not None:
        return f"e.id IN (SELECT l.{to_target} FROM {table} l WHERE l.{to_this} = ?)", [known_id]
    return f"e.id IN (SELECT l.{to_target} FROM {table} l WHERE l.{to_this} IN ({parents}))", params
