"""Categories at every boundary (Decision 1459 Table 1; EPA TAD Tables 1-2), advice, and µg/m³ conversion."""

from __future__ import annotations

import pytest

from vkc.airquality import advice, category, to_us_units, ugm3_to_ppb, ugm3_to_ppm
from vkc.errors import InputError

VN = [
    (0, "Tốt", "#00E400"),
    (50, "Tốt", "#00E400"),
    (51, "Trung bình", "#FFFF00"),
    (100, "Trung bình", "#FFFF00"),
    (101, "Kém", "#FF7E00"),
    (150, "Kém", "#FF7E00"),
    (151, "Xấu", "#FF0000"),
    (200, "Xấu", "#FF0000"),
    (201, "Rất xấu", "#8F3F97"),
    (300, "Rất xấu", "#8F3F97"),
    (301, "Nguy hại", "#7E0023"),
    (500, "Nguy hại", "#7E0023"),
]
US = [
    (0, "Good"),
    (50, "Good"),
    (51, "Moderate"),
    (100, "Moderate"),
    (101, "Unhealthy for Sensitive Groups"),
    (150, "Unhealthy for Sensitive Groups"),
    (151, "Unhealthy"),
    (200, "Unhealthy"),
    (201, "Very Unhealthy"),
    (300, "Very Unhealthy"),
    (301, "Hazardous"),
    (500, "Hazardous"),
    (501, "Hazardous"),
    (849, "Hazardous"),
]


@pytest.mark.parametrize("aqi,vi,color", VN)
def test_vn_category_boundaries(aqi, vi, color):
    found = category("vn", aqi)
    assert (found["vi"], found["color"]) == (vi, color)


@pytest.mark.parametrize("aqi,en", US)
def test_us_category_boundaries(aqi, en):
    assert category("us", aqi)["en"] == en


def test_vn_english_names_and_rgb():
    names = [category("vn", aqi)["en"] for aqi in (0, 51, 101, 151, 201, 301)]
    assert names == ["Good", "Moderate", "Poor", "Bad", "Very bad", "Hazardous"]
    assert category("vn", 250)["color"] == "#8F3F97"  # Table 1: 143;63;151 = 0x8F, 0x3F, 0x97


def test_advice_has_both_groups_and_the_three_languages():
    for method in ("vn", "us"):
        for aqi in (0, 75, 125, 175, 250, 400):
            given = advice(method, aqi)
            for group in ("general", "sensitive", "sensitive_groups"):
                assert set(given[group]) == {"vi", "en", "ko"} and all(given[group].values())
                assert any("\uac00" <= ch <= "\ud7a3" for ch in given[group]["ko"])  # Hangul, not a copy of the English
    assert advice("vn", 30)["sensitive"] != advice("vn", 80)["sensitive"]
    assert advice("vn", 400)["general"] == advice("vn", 400)["sensitive"]


@pytest.mark.parametrize("aqi", [-1, 1.5, True, "50"])
def test_category_rejects_bad_index(aqi):
    with pytest.raises(InputError, match="aqi"):
        category("vn", aqi)


def test_category_rejects_unknown_method():
    with pytest.raises(InputError, match="method"):
        category("eu", 10)


def test_conversion_at_25c():
    # ppb = µg/m³ × 24.45 / M.
    assert ugm3_to_ppb("no2", 46.01) == pytest.approx(24.45)
    assert ugm3_to_ppb("so2", 64.07) == pytest.approx(24.45)
    assert ugm3_to_ppm("co", 28010) == pytest.approx(24.45)
    assert to_us_units("o3", 100) == pytest.approx(100 * 24.45 / 48.00 / 1000)  # ppm
    assert to_us_units("no2", 188) == pytest.approx(188 * 24.45 / 46.01)  # ppb
    with pytest.raises(InputError, match="pollutant"):
        ugm3_to_ppb("pm25", 10)
