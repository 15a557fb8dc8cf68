"""Writing one feature of a collection: the rules every caller keeps, the HTTP API (OGC API – Features Part 4) and the CLI alike.

Each function takes plain values: the store, the collection's name, the
feature's id, the document as parsed from JSON (a GeoJSON Feature, or a JSON
Merge Patch of one), the version the caller changes (``if_match``: the
feature's ETag as read, several separated by commas, or ``*``) and the
caller's :class:`~vkc.permissions.Grant`. They return the feature as stored
with its new ETag, or raise :mod:`vkc.errors` exceptions.

- The grant must cover ``features:<collection>``, or hold a province where
  the feature lies, before and after the change (PermissionDenied naming the
  scope; :mod:`vkc.layers.places`).
- Writes keep the collection's schema: known properties, values of their
  type (InputError); new properties come with an import.
- Replacing, updating and deleting say which version they change: none is
  PreconditionRequired, a version that is no longer current
  PreconditionFailed. The check and the write are one store transaction that
  holds the feature against other writers, so no update is lost.
- Every change goes to the audit trail, with the feature before and after,
  in the transaction of the write (:mod:`vkc.store.audit`).
- Coordinates come in ``content_crs`` (a CRS URI the API offers; CRS84
  longitude/latitude when None) and are stored as CRS84.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from vkc.errors import ConflictError, FeatureNotFound, InputError, PreconditionFailed, PreconditionRequired
from vkc.layers.documents import (
    check_properties,
    etag,
    feature_json,
    geometries_json,
    merge_patch,
    parse_feature,
    parse_geometry,
    parse_time,
    time_json,
)
from vkc.layers.places import FeaturePlace
from vkc.ogc.crs import CRS84, api_crs
from vkc.permissions import Grant, features
from vkc.store import Collection, Feature, Store, Transaction
from vkc.store.audit import Change
from vkc.store.values import column_type, widen


@dataclass(frozen=True)
class StoredFeature:
    """A feature as the store holds it now, and its ETag (the version to name when changing it)."""

    feature: Feature
    etag: str


def read_feature(store: Store, collection: str, feature_id: str) -> StoredFeature:
    """One feature and its ETag; raises CollectionNotFound or FeatureNotFound."""
    feature = store.feature(collection, feature_id)
    return StoredFeature(feature, etag(feature))


def create_feature(store: Store, collection: str, doc: Any, grant: Grant, *, content_crs: str | None = None) -> StoredFeature:
    """Add the GeoJSON Feature ``doc``, with its id or a new UUID; ConflictError if the id exists already."""
    grant.require_somewhere(features(collection))
    feature = parse_feature(doc, feature_id=None, content_crs=content_crs)
    grant.require(features(collection), [FeaturePlace(feature.geometry)])
    if not feature.id:
        feature = replace(feature, id=str(uuid.uuid4()))
    with store.transaction() as tx:
        if tx.feature_for_update(collection, feature.id) is not None:
            raise ConflictError(f"feature {feature.id!r} exists already in {collection!r}; use PUT to replace it", collection=collection)
        return _write(tx, collection, feature, grant, "feature.create")


def replace_feature(
    store: Store, collection: str, feature_id: str, doc: Any, grant: Grant, *, if_match: str | None, content_crs: str | None = None
) -> StoredFeature:
    """Replace the feature by the GeoJSON Feature ``doc`` (whose id, if it has one, must be ``feature_id``)."""
    grant.require_somewhere(features(collection))
    feature = parse_feature(doc, feature_id=feature_id, content_crs=content_crs)
    with store.transaction() as tx:
        current = _current(tx, collection, feature_id, if_match)
        grant.require(features(collection), [FeaturePlace(current.geometry), FeaturePlace(feature.geometry)])
        return _write(tx, collection, feature, grant, "feature.replace", current)


def update_feature(
    store: Store, collection: str, feature_id: str, patch: Any, grant: Grant, *, if_match: str | None, content_crs: str | None = None
) -> StoredFeature:
    """Change part of the feature: ``patch`` is an RFC 7396 JSON Merge Patch of its ``properties``, ``geometry`` and ``time``."""
    grant.require_somewhere(features(collection))
    if not isinstance(patch, dict):
        raise InputError("a merge patch must be a JSON object", field="body")
    with store.transaction() as tx:
        current = _current(tx, collection, feature_id, if_match)
        properties = merge_patch(current.properties, patch.get("properties", {}))
        geometry = parse_geometry(patch["geometry"], content_crs) if "geometry" in patch else current.geometry
        time, time_end = parse_time(merge_patch(time_json(current) or {}, patch["time"])) if "time" in patch else (current.time, current.time_end)
        updated = Feature(id=feature_id, geometry=geometry, properties=check_properties(properties), time=time, time_end=time_end)
        grant.require(features(collection), [FeaturePlace(current.geometry), FeaturePlace(updated.geometry)])
        return _write(tx, collection, updated, grant, "feature.update", current)


def delete_feature(store: Store, collection: str, feature_id: str, grant: Grant, *, if_match: str | None) -> None:
    """Delete the feature."""
    grant.require_somewhere(features(collection))
    with store.transaction() as tx:
        current = _current(tx, collection, feature_id, if_match)
        grant.require(features(collection), [FeaturePlace(current.geometry)])
        tx.delete(collection, [feature_id])
        tx.record(Change(grant.actor, "feature.delete", _target(collection, feature_id), audit_json(current)))



def check_schema(coll: Collection, properties: dict[str, Any]) -> None:
    """Properties that fit the collection's schema: known names, values of their type; raises InputError."""
    fields = coll.field_map()
    for name, value in properties.items():
        field = fields.get(name)
        if field is None:
            raise InputError(
                f"property {name!r} is not in the schema of {coll.name!r} ({', '.join(fields) or 'no properties'}); "
                "new properties come with an import",
                field=name,
            )
        kind = column_type([value], field.type)
        if kind is not None and widen(field.type, kind) != field.type:
            raise InputError(f"property {name!r} holds {field.type} values; {value!r} is {kind}", field=name)


def _current(tx: Transaction, collection: str, feature_id: str, if_match: str | None) -> Feature:
    """The feature as it is now, held until commit, if ``if_match`` names its version."""
    current = tx.feature_for_update(collection, feature_id)
    if current is None:
        raise FeatureNotFound(f"no feature {feature_id!r} in collection {collection!r}", collection=collection, id=feature_id)
    if not if_match:
        raise PreconditionRequired(f"send If-Match with the ETag of feature {feature_id!r} as you read it, so no update is lost")
    now = etag(current)
    if if_match.strip() != "*" and now not in [w.strip().removeprefix("W/") for w in if_match.split(",")]:
        raise PreconditionFailed(f"feature {feature_id!r} changed since you read it (now {now}); read it again and reapply your change")
    return current


def _write(tx: Transaction, collection: str, feature: Feature, grant: Grant, action: str, before: Feature | None = None) -> StoredFeature:
    """Write one feature whose properties fit the collection's schema, and its audit entry; returns it as stored."""
    check_schema(tx.schema(collection), feature.properties)
    tx.upsert(collection, [feature])
    stored = tx.feature_for_update(collection, feature.id)
    assert stored is not None
    tx.record(
        Change(grant.actor, action, _target(collection, feature.id), None if before is None else audit_json(before), audit_json(stored))
    )
    return StoredFeature(stored, etag(stored))


def audit_json(feature: Feature) -> dict[str, Any]:
    """A feature as the audit trail keeps it: a GeoJSON Feature in CRS84."""
    return feature_json(feature, geometries_json([feature], api_crs(CRS84))[0])


def _target(collection: str, feature_id: str) -> str:
    return f"features:{collection}/{feature_id}"
