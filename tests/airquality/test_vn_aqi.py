"""VN_AQI against Decision 1459/QĐ-TCMT: its worked examples (section 2.3), Table 2, rounding, O3 and PM rules."""

from __future__ import annotations

import pytest

from vkc.airquality import calc, vn

# Section 2.3.a: PM2.5 hourly means 09:00..20:00; the NowCast wants them newest first.
DECISION_PM25_0900_TO_2000 = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6]
DECISION_PM25_NEWEST_FIRST = DECISION_PM25_0900_TO_2000[::-1]


def test_decision_hourly_example():
    """Section 2.3.b: O3 136.1, NO2 118.7 and the NowCast 20.3 give AQI(O3) 43 and AQI(PM2.5) 41.

    The decision prints AQI(NO2) = 60, but (100-50)/(200-100) * (118.7-100) + 50 = 59.35,
    which rounds to 59 by any rule that also reproduces the other examples (ceil would give
    66 for the daily NO2 example, which the decision prints as 65). We follow the formula.
    """
    result = calc("vn", "hour", {"o3": 136.1, "no2": 118.7, "pm25": DECISION_PM25_NEWEST_FIRST})
    assert result["sub"] == {"pm25": 41, "o3": 43, "no2": 59}
    assert (result["aqi"], result["dominant"]) == (59, "no2")
    assert result["category"] == {"vi": "Trung bình", "en": "Moderate", "ko": "보통", "color": "#FFFF00"}


def test_decision_daily_example():
    """Section 2.3.c: O3 8h max 89.3 (45) and 1h max 114.6 (36), NO2 130.8 (65), PM2.5 55.7 (110) -> AQI^d 110."""
    assert vn.o3_8h(89.3) == 45
    assert vn.o3_1h(114.6) == 36
    result = calc("vn", "day", {"o3_8h_max": 89.3, "o3_1h_max": 114.6, "no2_1h_max": 130.8, "pm25": 55.7})
    assert result["sub"] == {"pm25": 110, "o3": 45, "no2": 65}
    assert (result["aqi"], result["dominant"]) == (110, "pm25")
    assert result["category"] == {"vi": "Kém", "en": "Poor", "ko": "약간 나쁨", "color": "#FF7E00"}


COLUMNS = sorted(vn.BREAKPOINTS)


@pytest.mark.parametrize("column", COLUMNS)
def test_every_table2_breakpoint_maps_to_its_level(column):
    for breakpoint, level in zip(vn.BREAKPOINTS[column], vn.LEVELS):
        assert vn.sub_index(column, breakpoint) == level, (column, breakpoint)


def test_table2_values():
    """Spot checks of Table 2 as transcribed: the columns most easily mistyped."""
    assert vn.BREAKPOINTS["pm25"] == (0, 25, 50, 80, 150, 250, 350, 500)
    assert vn.BREAKPOINTS["pm10"] == (0, 50, 150, 250, 350, 420, 500, 600)
    assert vn.BREAKPOINTS["o3_8h"] == (0, 100, 120, 170, 210, 400)
    assert vn.BREAKPOINTS["co"][1:4] == (10000, 30000, 45000)


@pytest.mark.parametrize(
    "column,concentration,expected",
    [
        ("pm25", 30, 60),  # 50 + 50/25 * 5
        ("pm10", 300, 175),  # 150 + 50/100 * 50
        ("no2", 450, 125),  # 100 + 50/500 * 250
        ("so2", 1200, 250),  # 200 + 100/800 * 400
        ("co", 20000, 75),  # 50 + 50/20000 * 10000
        ("o3_1h", 600, 250),  # 200 + 100/400 * 200
        ("o3_8h", 190, 175),  # 150 + 50/40 * 20
    ],
)
def test_interpolation_hand_computed(column, concentration, expected):
    assert vn.sub_index(column, concentration) == expected


def test_rounding_halves_go_up():
    # PM10 24 h 55: 50 + 0.5 * 5 = 52.5 -> 53 (Python's round() would give 52).
    assert vn.pm10(55) == 53
    # PM2.5 24 h 50.3: 100 + 50/30 * 0.3 = 100.5 -> 101.
    assert vn.pm25(50.3) == 101
    assert vn.pm10(54.9) == 52  # 52.45


def test_above_top_breakpoint_is_500():
    assert vn.pm25(500) == 500
    assert vn.pm25(900) == 500
    assert vn.co(200000) == 500
    assert calc("vn", "day", {"pm10": 1000})["aqi"] == 500


def test_daily_o3_uses_higher_of_1h_and_8h():
    # 8 h max 150 -> 100 + 50/50 * 30 = 130; 1 h max 180 -> 50 + 50/40 * 20 = 75: the 8-hour sub-index governs.
    assert calc("vn", "day", {"pm25": 10, "o3_8h_max": 150, "o3_1h_max": 180})["sub"]["o3"] == 130
    # 1 h max 350 -> 150 + 50/100 * 50 = 175 beats 8 h max 150 -> 130.
    assert calc("vn", "day", {"pm25": 10, "o3_8h_max": 150, "o3_1h_max": 350})["sub"]["o3"] == 175


def test_daily_o3_8h_above_400_is_ignored():
    # O3 (8h) ends at 400 µg/m³ (index 300); above it only the 1-hour maximum counts.
    assert vn.o3_8h(400) == 300
    assert vn.o3_8h(401) is None
    assert calc("vn", "day", {"pm25": 10, "o3_8h_max": 450, "o3_1h_max": 300})["sub"]["o3"] == 150
    assert "o3" not in calc("vn", "day", {"pm25": 10, "o3_8h_max": 450})["sub"]


def test_hourly_o3_uses_1h_column():
    assert calc("vn", "hour", {"pm25": [10, 10], "o3": 160})["sub"]["o3"] == 50  # 160 is 100 on the 8h column


def test_pm_required_for_overall_value():
    result = calc("vn", "hour", {"o3": 250, "no2": 150})
    assert result["aqi"] is None and result["dominant"] is None and result["category"] is None and result["advice"] is None
    assert result["sub"] == {"o3": 125, "no2": 75}
    with_pm10 = calc("vn", "hour", {"o3": 250, "no2": 150, "pm10": [40, 40, 40]})
    assert (with_pm10["aqi"], with_pm10["dominant"]) == (125, "o3")


def test_pm_without_enough_recent_hours_does_not_count():
    # PM2.5 present but c1 and c2 missing: no NowCast, so no PM sub-index and no VN_AQI.
    result = calc("vn", "hour", {"pm25": [None, None, 30, 30, 30], "o3": 250})
    assert result["aqi"] is None
    assert "pm25" not in result["sub"]


def test_dominant_is_highest_sub_index():
    result = calc("vn", "day", {"pm25": 30, "pm10": 120, "so2_1h_max": 900, "co_1h_max": 5000})
    assert result["sub"] == {"pm25": 60, "pm10": 85, "co": 25, "so2": 213}
    assert (result["aqi"], result["dominant"]) == (213, "so2")


def test_dominant_tie_goes_to_unrounded_then_listed_order():
    # PM2.5 25 -> exactly 50, PM10 50 -> exactly 50: an exact tie; pm25 is listed first.
    assert calc("vn", "day", {"pm10": 50, "pm25": 25})["dominant"] == "pm25"
    # PM10 50.9 -> 50.45 and PM2.5 25.2 -> 50.4: both round to 50, PM10 is higher unrounded.
    assert calc("vn", "day", {"pm10": 50.9, "pm25": 25.2})["dominant"] == "pm10"
