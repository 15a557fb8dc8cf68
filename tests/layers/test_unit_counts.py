"""Features of each collection in an administrative unit, counted by the store, on both backends."""

from __future__ import annotations

import json

import pytest
import shapely

from vkc import admin
from vkc.errors import InputError, NotFoundError
from vkc.layers import import_layer
from vkc.layers.unit_counts import counts_in_unit
from vkc.store import Collection, Feature

from layer_inputs import feature_collection, point_feature

#: three sites in Hà Nội, one in Đà Nẵng as it was before 2025-07-01, one in Hội An (Quảng Nam until then, Đà Nẵng
#: since), and one in Ninh Bình inside Hà Nội's bounding box (its boundary counts, not its box)
SITES = [(105.85, 21.03), (105.80, 21.00), (105.50, 21.10), (108.21, 16.05), (108.33, 15.88), (106.00, 20.60)]


@pytest.fixture
def sites_store(store, tmp_path):
    """The 97 units, the sites imported from GeoJSON (with one more without a geometry), and a road from Hà Nội into Bắc Ninh."""
    admin.load_into(store)
    features = [point_feature(i, lon, lat) for i, (lon, lat) in enumerate(SITES)]
    features.append({"type": "Feature", "properties": {"name": "nowhere", "n": 99}, "geometry": None})
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps(feature_collection(features), ensure_ascii=False), encoding="utf-8")
    assert import_layer(store, path, "sites").inserted == 7
    store.create_collection(Collection(name="roads", title="Đường", geometry_type="LINESTRING"))
    store.upsert("roads", [Feature("ql1", shapely.LineString([(105.85, 21.03), (106.07, 21.18)]))])  # Hoàn Kiếm to Bắc Ninh
    return store


def by_name(counts) -> dict[str, int]:
    return {c.name: c.count for c in counts}


def test_features_in_a_unit_are_counted_per_collection(sites_store):
    counts = counts_in_unit(sites_store, "01", "2025-07-01")
    assert by_name(counts) == {"roads": 1, "sites": 3}  # the units' own collection is left out
    assert all(c.exact for c in counts)
    assert {c.name: c.title for c in counts}["roads"] == "Đường"
    assert by_name(counts_in_unit(sites_store, "24", "2025-07-01")) == {"roads": 1, "sites": 0}  # the road reaches Bắc Ninh too


def test_the_unit_is_the_one_valid_on_the_date(sites_store):
    assert by_name(counts_in_unit(sites_store, "48", "2025-07-01"))["sites"] == 2  # Đà Nẵng with Quảng Nam
    assert by_name(counts_in_unit(sites_store, "48", "2025-06-30"))["sites"] == 1  # Đà Nẵng before the reform


def test_a_unit_with_nothing_in_it_counts_zero(sites_store):
    assert by_name(counts_in_unit(sites_store, "96", "2025-07-01")) == {"roads": 0, "sites": 0}  # Cà Mau


def test_an_unknown_code_or_a_bad_date_is_refused(sites_store):
    with pytest.raises(NotFoundError, match="'99'"):
        counts_in_unit(sites_store, "99", "2025-07-01")
    with pytest.raises(NotFoundError):
        counts_in_unit(sites_store, "49", "2025-07-01")  # Quảng Nam: no longer a unit
    with pytest.raises(InputError, match="YYYY-MM-DD") as refused:
        counts_in_unit(sites_store, "01", "1 July 2025")
    assert refused.value.detail["field"] == "date"
