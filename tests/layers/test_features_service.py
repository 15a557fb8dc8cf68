"""The features service on both stores: the rules of Part 4 writes without HTTP (grants, If-Match, schema fit, merge patch, CRS)."""

from __future__ import annotations

import pytest
import shapely

from vkc.errors import (
    CollectionNotFound,
    ConflictError,
    FeatureNotFound,
    InputError,
    PermissionDenied,
    PreconditionFailed,
    PreconditionRequired,
)
from vkc.layers import features_service as service
from vkc.permissions import LOCAL_ADMIN, Grant, features
from vkc.store import open_store

NEW = {"type": "Feature", "id": "new1", "geometry": {"type": "Point", "coordinates": [105.85, 21.03]}, "properties": {"name": "Hồ Gươm", "rank": 99}}
ZONES_ONLY = Grant(token_id="z", role="editor", scopes=frozenset({features("zones")}))


@pytest.fixture
def seeded(seeded_url: str):
    with open_store(seeded_url) as store:
        yield store


def _given(properties: dict) -> dict:
    """Properties with a value (a stored feature has every property of its collection's schema)."""
    return {k: v for k, v in properties.items() if v is not None}


def test_create_replace_update_delete(seeded) -> None:
    created = service.create_feature(seeded, "places", NEW, LOCAL_ADMIN)
    assert created.feature.id == "new1" and _given(created.feature.properties) == {"name": "Hồ Gươm", "rank": 99}
    assert service.read_feature(seeded, "places", "new1") == created

    replaced = service.replace_feature(seeded, "places", "new1", {**NEW, "properties": {"name": "Hồ Hoàn Kiếm"}}, LOCAL_ADMIN, if_match=created.etag)
    assert replaced.etag != created.etag and replaced.feature.properties["name"] == "Hồ Hoàn Kiếm"

    patch = {"properties": {"rank": None, "kind": "lake"}, "time": {"timestamp": "2024-05-01T07:00:00+07:00"}}
    updated = service.update_feature(seeded, "places", "new1", patch, LOCAL_ADMIN, if_match=f"W/{replaced.etag}, \"other\"")
    assert _given(updated.feature.properties) == {"name": "Hồ Hoàn Kiếm", "kind": "lake"}
    assert updated.feature.time.isoformat() == "2024-05-01T00:00:00+00:00"
    assert updated.feature.geometry.equals(shapely.Point(105.85, 21.03))

    service.delete_feature(seeded, "places", "new1", LOCAL_ADMIN, if_match=updated.etag)
    with pytest.raises(FeatureNotFound):
        service.read_feature(seeded, "places", "new1")


def test_versions_are_required_and_checked(seeded) -> None:
    current = service.read_feature(seeded, "places", "p03")
    doc = {**NEW, "id": "p03"}
    with pytest.raises(PreconditionRequired, match="send If-Match with the ETag of feature 'p03' as you read it"):
        service.replace_feature(seeded, "places", "p03", doc, LOCAL_ADMIN, if_match=None)
    with pytest.raises(PreconditionFailed, match=f"feature 'p03' changed since you read it \\(now {current.etag}\\)"):
        service.update_feature(seeded, "places", "p03", {"properties": {"rank": 1}}, LOCAL_ADMIN, if_match='"stale"')
    with pytest.raises(PreconditionRequired):
        service.delete_feature(seeded, "places", "p03", LOCAL_ADMIN, if_match="")
    assert service.read_feature(seeded, "places", "p03") == current  # nothing changed
    with pytest.raises(FeatureNotFound):  # what is not there has no version to name
        service.delete_feature(seeded, "places", "nothing", LOCAL_ADMIN, if_match=None)
    service.delete_feature(seeded, "places", "p03", LOCAL_ADMIN, if_match="*")


def test_the_grant_must_cover_the_collection(seeded) -> None:
    with pytest.raises(PermissionDenied, match="does not hold the scope features:places"):
        service.create_feature(seeded, "places", NEW, ZONES_ONLY)
    with pytest.raises(PermissionDenied):
        service.delete_feature(seeded, "places", "p03", ZONES_ONLY, if_match="*")
    assert service.read_feature(seeded, "places", "p03")  # still there
    zone = {"type": "Feature", "geometry": None, "properties": {"label": "z"}}
    assert service.create_feature(seeded, "zones", zone, ZONES_ONLY).feature.id  # a new UUID


@pytest.mark.parametrize(
    ("doc", "error", "message"),
    [
        ([], InputError, "GeoJSON object"),
        ({**NEW, "properties": {"colour": "red"}}, InputError, "not in the schema of 'places'"),
        ({**NEW, "properties": {"rank": "many"}}, InputError, "holds integer values"),
        ({**NEW, "id": "p01"}, ConflictError, "exists already"),
    ],
)
def test_bad_documents_write_nothing(seeded, doc, error, message) -> None:
    before = seeded.count("places")
    with pytest.raises(error, match=message):
        service.create_feature(seeded, "places", doc, LOCAL_ADMIN)
    assert seeded.count("places") == before


def test_other_errors(seeded) -> None:
    with pytest.raises(CollectionNotFound):
        service.create_feature(seeded, "nowhere", NEW, LOCAL_ADMIN)
    with pytest.raises(InputError, match="a merge patch must be a JSON object"):
        service.update_feature(seeded, "places", "p03", [1], LOCAL_ADMIN, if_match="*")
    with pytest.raises(InputError, match="differs from the id in the path"):
        service.replace_feature(seeded, "places", "p03", NEW, LOCAL_ADMIN, if_match="*")


def test_coordinates_in_another_crs_are_stored_as_crs84(seeded) -> None:
    doc = {**NEW, "geometry": {"type": "Point", "coordinates": [21.03, 105.85]}}
    stored = service.create_feature(seeded, "places", doc, LOCAL_ADMIN, content_crs="<http://www.opengis.net/def/crs/EPSG/0/4326>")
    assert (stored.feature.geometry.x, stored.feature.geometry.y) == pytest.approx((105.85, 21.03))
    moved = service.update_feature(
        seeded, "places", "new1", {"geometry": {"type": "Point", "coordinates": [21.04, 105.86]}}, LOCAL_ADMIN, if_match=stored.etag, content_crs="EPSG:4326"
    )
    assert (moved.feature.geometry.x, moved.feature.geometry.y) == pytest.approx((105.86, 21.04))
