"""Names the store turns into database identifiers: PostgreSQL keeps 63 bytes of each and cuts the rest without a word."""

from __future__ import annotations

import pytest
import shapely

from vkc.errors import InputError
from vkc.store import Collection, Feature, Field
from vkc.store.model import MAX_NAME_BYTES
from vkc.store.postgis_schema import derived_name

# 48 characters, 86 bytes in UTF-8: Vietnamese letters with diacritics take 2 or 3 bytes each
LONG = "tên_đơn_vị_hành_chính_cấp_tỉnh_theo_nghị_quyết_hai_trăm_lẻ_hai_một"


def _point(fid: str, properties: dict) -> Feature:
    return Feature(fid, shapely.Point(105.8, 21.0), properties)


def test_a_property_name_past_63_bytes_is_refused_on_both_backends_before_anything_is_written(store) -> None:
    with pytest.raises(InputError, match=r"is 86 bytes in UTF-8; the store keeps names of at most 63") as refused:
        store.create_collection(Collection(name="units", geometry_type="POINT", fields=[Field(LONG, "text")]))
    assert refused.value.detail["field"] == LONG
    assert store.collections() == []
    store.create_collection(Collection(name="units", geometry_type="POINT"))
    store.upsert("units", [_point("a", {"tên": "Hà Nội"})])
    with pytest.raises(InputError, match="is 86 bytes"):
        store.upsert("units", [_point("b", {LONG: "x"})])  # a new property in a later write
    assert [f.name for f in store.schema("units").fields] == ["tên"] and store.collection("units").count == 1
    fits = "tên_đơn_vị_hành_chính_cấp_tỉnh_theo_nq"  # 49 bytes
    store.upsert("units", [_point("c", {fits: "x"})])
    assert store.feature("units", "c").properties[fits] == "x"


def test_two_long_collection_names_that_begin_alike_get_indexes_of_their_own(store) -> None:
    names = ["a" * 58 + "_one", "a" * 58 + "_two"]
    for name in names:
        store.create_collection(Collection(name=name, geometry_type="POINT"))
        store.upsert(name, [_point("p", {"n": 1})])
    assert [store.collection(n).count for n in names] == [1, 1]
    for name in names:
        store.drop_collection(name)
    assert store.collections() == []


def test_a_collection_may_be_named_like_another_ones_index(store) -> None:
    for name in ("stops", "stops_time", "stops_geom_gist", "a" * 61, "a" * 61 + "_g"):
        store.create_collection(Collection(name=name, geometry_type="POINT"))
        store.upsert(name, [_point("p", {"n": 1})])
        store.upsert(name, [_point("q", {"n": 2})])  # a second write into a table that is no longer empty
    assert len(store.collections()) == 5


def test_derived_index_names_are_no_collection_names_and_fit() -> None:
    assert derived_name("parks", "geom_gist") == "vkc_parks_geom_gist"
    long = [derived_name("a" * 58 + end, "geom_gist") for end in ("_one", "_two")]
    assert long[0] != long[1] and all(len(n.encode()) <= MAX_NAME_BYTES and n.endswith("_geom_gist") for n in long)
