"""US EPA AQI against EPA-454/B-24-002: Table 6 (2024), truncation, O3 and SO2 rules, NowCast, Beyond the AQI."""

from __future__ import annotations

import pytest

from vkc.airquality import calc, us


def test_tad_multi_pollutant_example():
    """The TAD's example: 8-hour O3 0.078 ppm -> 126; 1-hour O3 0.104 ppm is in a blank place; PM2.5 35.9 -> 102; AQI 126, ozone."""
    result = calc("us", "day", {"o3_8h_max": 0.078, "o3_1h_max": 0.104, "pm25": 35.9})
    assert result["sub"] == {"pm25": 102, "o3": 126}
    assert (result["aqi"], result["dominant"]) == (126, "o3")
    assert result["category"] == {"vi": "Không tốt cho nhóm nhạy cảm", "en": "Unhealthy for Sensitive Groups", "ko": "민감군에 나쁨", "color": "#FF7E00"}


@pytest.mark.parametrize(
    "concentration,expected",
    [
        (0.0, 0),
        (9.0, 50),
        (9.1, 51),
        (35.4, 100),
        (35.5, 101),
        (55.4, 150),
        (55.5, 151),
        (125.4, 200),
        (125.5, 201),
        (225.4, 300),
        (225.5, 301),
        (325.4, 500),
    ],
)
def test_pm25_2024_breakpoints(concentration, expected):
    assert us.pm25(concentration) == expected


@pytest.mark.parametrize(
    "column,low,high,index_low,index_high",
    [
        ("pm10", 425, 604, 301, 500),
        ("co", 30.5, 50.4, 301, 500),
        ("no2", 1250, 2049, 301, 500),
        ("o3_1h", 0.405, 0.604, 301, 500),
        ("o3_8h", 0.106, 0.200, 201, 300),
        ("so2_1h", 186, 304, 151, 200),
        ("so2_24h", 605, 1004, 301, 500),
    ],
)
def test_top_rows(column, low, high, index_low, index_high):
    assert us.sub_index(column, low) == index_low
    assert us.sub_index(column, high) == index_high


@pytest.mark.parametrize(
    "column,raw,truncated_index",
    [
        ("pm25", 9.09, 50),  # -> 9.0, not 9.1
        ("pm10", 54.9, 50),  # -> 54
        ("o3_8h", 0.0549, 50),  # -> 0.054
        ("o3_8h", 0.07853, 126),  # -> 0.078
        ("co", 4.49, 50),  # -> 4.4
        ("no2", 53.9, 50),  # -> 53
        ("so2_1h", 35.9, 50),  # -> 35
    ],
)
def test_concentrations_are_truncated_not_rounded(column, raw, truncated_index):
    assert us.sub_index(column, raw) == truncated_index


def test_index_rounds_half_up():
    # 8-hour O3 0.080: 101 + 49/0.014 * 0.009 = 132.5 -> 133.
    assert us.o3(o3_8h=0.080) == 133


def test_beyond_the_aqi_extends_the_hazardous_line():
    # PM2.5 350.0: 301 + 199/99.9 * 124.5 = 549.0; 1-hour O3 0.704: 301 + 199/0.199 * 0.299 = 600.
    assert us.pm25(350.0) == 549
    assert us.sub_index("o3_1h", 0.704) == 600
    result = calc("us", "day", {"pm25": 350.0})
    assert result["aqi"] == 549
    assert result["category"]["en"] == "Hazardous"


def test_o3_1h_below_0125_defines_no_index():
    assert us.sub_index("o3_1h", 0.124) is None
    assert us.o3(o3_1h=0.1249) is None
    assert calc("us", "hour", {"o3": 0.1})["aqi"] is None


def test_o3_higher_of_8h_and_1h():
    # 8-hour 0.080 -> 133; 1-hour 0.170 -> 151 + 49/0.039 * 0.005 = 157.3 -> 157.
    assert us.o3(o3_8h=0.080, o3_1h=0.170) == 157
    assert calc("us", "day", {"o3_8h_max": 0.080, "o3_1h_max": 0.170})["sub"] == {"o3": 157}
    assert calc("us", "hour", {"o3_8h": 0.080, "o3": 0.110})["sub"] == {"o3": 133}


def test_o3_8h_above_0200_uses_1h_only():
    assert us.sub_index("o3_8h", 0.201) is None
    # 1-hour 0.300: 201 + 99/0.199 * 0.095 = 248.3.
    assert us.o3(o3_8h=0.250, o3_1h=0.300) == 248
    assert us.o3(o3_8h=0.250) is None


@pytest.mark.parametrize(
    "so2_1h,so2_24h,expected",
    [
        (75, None, 100),
        (304, None, 200),
        (400, None, 200),  # 1-hour >= 305 ppb without a 24-hour value: fixed at 200
        (400, 200, 200),  # 24-hour below 305 ppb: fixed at 200
        (400, 310, 203),  # 24-hour 310: 201 + 99/299 * 5 = 202.7
        (700, 700, 348),  # 24-hour 700: 301 + 199/399 * 95 = 348.4
    ],
)
def test_so2_rule(so2_1h, so2_24h, expected):
    assert us.so2(so2_1h, so2_24h) == expected


def test_co_prefers_8h_value():
    # Hourly CO 20 ppm on the 8-hour rows: 201 + 99/14.9 * 4.5 = 230.9; the 8-hour mean 5.0: 51 + 49/4.9 * 0.5 = 56.
    assert calc("us", "hour", {"co": 20})["sub"] == {"co": 231}
    assert calc("us", "hour", {"co": 20, "co_8h": 5.0})["sub"] == {"co": 56}
    assert calc("us", "day", {"co_1h_max": 20, "co_8h_max": 5.0})["sub"] == {"co": 56}


def test_hourly_pm_uses_truncated_nowcast():
    # EPA's NowCast example is 17.41 -> 17.4: 51 + 49/26.3 * 8.3 = 66.5 -> 66.
    newest_first = [13, 16, 10, 21, 74, 64, 53, 82, 90, 75, 80, 50]
    result = calc("us", "hour", {"pm25": newest_first})
    assert result["sub"] == {"pm25": 66}


def test_pm_not_required():
    # NO2 120 ppb: 101 + 49/259 * 19 = 104.6.
    result = calc("us", "hour", {"no2": 120})
    assert (result["aqi"], result["dominant"]) == (105, "no2")
