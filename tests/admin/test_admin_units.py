"""Administrative units on both sides of 2025-07-01: lists, lookups, locate, crosswalk, store load."""

from __future__ import annotations

from datetime import UTC, date

import pytest
import shapely

from vkc import admin
from vkc.errors import InputError, NotFoundError
from vkc.store import Query

BEFORE, AFTER = date(2025, 6, 30), date(2025, 7, 1)
REUSED = {"15": ("Yên Bái", "Lào Cai"), "24": ("Bắc Giang", "Bắc Ninh"), "44": ("Quảng Bình", "Quảng Trị"), "52": ("Bình Định", "Gia Lai"),
          "80": ("Long An", "Tây Ninh"), "82": ("Tiền Giang", "Đồng Tháp"), "91": ("Kiên Giang", "An Giang")}


def test_counts_on_each_side_of_the_reform():
    assert len(admin.all_units()) == 97
    assert len(admin.units(BEFORE)) == 63 and len(admin.units(AFTER)) == 34
    assert len({u.key for u in admin.all_units()}) == 97


@pytest.mark.parametrize("code,names", sorted(REUSED.items()))
def test_reused_codes_name_different_places(code, names):
    assert (admin.get(code, BEFORE).name_vi, admin.get(code, AFTER).name_vi) == names


@pytest.mark.parametrize(
    "lon,lat,before,after",
    [
        (105.852, 21.028, "Hà Nội", "Hà Nội"),
        (104.87, 21.72, "Yên Bái", "Lào Cai"),  # Yên Bái city
        (108.2208, 16.0678, "Đà Nẵng", "Đà Nẵng"),
        (108.3380, 15.8801, "Quảng Nam", "Đà Nẵng"),  # Hội An
        (106.6981, 10.7725, "Hồ Chí Minh", "Hồ Chí Minh"),
        (106.6519, 10.9804, "Bình Dương", "Hồ Chí Minh"),  # Thủ Dầu Một
        (105.7880, 10.0340, "Cần Thơ", "Cần Thơ"),
        (105.9739, 9.6030, "Sóc Trăng", "Cần Thơ"),  # Sóc Trăng city
    ],
)
def test_locate_on_both_sides_of_2025_07_01(lon, lat, before, after):
    assert admin.locate(lon, lat, BEFORE).name_vi == before
    assert admin.locate(lon, lat, AFTER).name_vi == after


def test_locate_outside_vietnam_is_none_and_dates_are_strict():
    assert admin.locate(2.35, 48.85) is None
    assert admin.locate(110.0, 15.0) is None  # open sea
    with pytest.raises(InputError, match="2025-13-01"):
        admin.units("2025-13-01")
    with pytest.raises(NotFoundError):
        admin.get("99", AFTER)


def test_crosswalk_and_geometry():
    assert admin.successor("49").name_vi == "Đà Nẵng"
    assert sorted(u.name_vi for u in admin.predecessors("48")) == ["Quảng Nam", "Đà Nẵng"]
    assert all(u.geometry.is_valid for u in admin.all_units())
    # every old unit maps to a new one, and each new unit's area is its predecessors' (within 0.5 %)
    for new in admin.units(AFTER):
        olds = admin.predecessors(new.gso_code)
        assert olds
        merged = shapely.union_all([o.geometry for o in olds])
        assert abs(merged.area - new.geometry.area) / new.geometry.area < 0.005, new.name_vi


def test_names_in_three_languages():
    hanoi = admin.get("01", AFTER)
    assert (hanoi.name_vi, hanoi.name_en, hanoi.name_ko) == ("Hà Nội", "Ha Noi", "하노이")
    assert admin.get("66", AFTER).name_en == "Dak Lak" and admin.get("66", AFTER).name_ko is None


def test_load_into_store_is_idempotent_and_time_aware(store):
    first = admin.load_into(store)
    again = admin.load_into(store)
    assert (first.inserted, again.updated, store.count("admin_units")) == (97, 97, 97)
    from datetime import datetime

    on = lambda d: store.count("admin_units", Query(time=(d, d)))  # noqa: E731
    assert on(datetime(2025, 6, 30, 12, tzinfo=UTC)) == 63
    assert on(datetime(2026, 11, 25, tzinfo=UTC)) == 34
    unit = store.feature("admin_units", "15@2025-07-01")
    assert unit.properties["name_vi"] == "Lào Cai" and unit.properties["predecessor_gso_codes"] == ["10", "15"]


def test_cli_admin(vkc):
    r = vkc(["admin", "locate", "104.87", "21.72", "--date", "2025-06-30"])
    assert r.returncode == 0 and "Yên Bái" in r.stdout
    r = vkc(["admin", "locate", "104.87", "21.72", "--date", "2025-07-01", "--json"])
    assert '"name_vi": "Lào Cai"' in r.stdout
    r = vkc(["admin", "list", "--date", "2025-07-01", "--json"])
    assert r.stdout.count('"gso_code"') == 34
    r = vkc(["admin", "list", "--date", "30/06/2025"])
    assert r.returncode == 1 and "30/06/2025" in r.stderr and "Traceback" not in r.stderr
    r = vkc(["admin", "locate", "--", "-10", "5"])
    assert r.returncode == 1 and "no administrative unit" in r.stderr


def test_every_unit_s_label_point_lies_inside_it():
    """Where the map writes a name: inside the unit, even for the ones a centroid would miss (a coast bent like Quảng Ninh's)."""
    import shapely

    from vkc import admin

    for unit in admin.all_units():
        x, y = admin.label_point(unit.key)
        assert unit.geometry.contains(shapely.Point(x, y)), unit.key
