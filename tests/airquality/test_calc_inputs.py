"""calc(): the output shape and the errors for bad input, each naming the key."""

from __future__ import annotations

import math

import pytest

from vkc.airquality import calc
from vkc.errors import InputError


def test_output_shape():
    result = calc("vn", "day", {"pm25": 30})
    assert set(result) == {"aqi", "dominant", "sub", "category", "method", "period", "advice"}
    assert result["method"] == "VN_AQI (Decision 1459/QĐ-TCMT)" and result["period"] == "day"
    assert calc("us", "hour", {})["method"] == "US EPA AQI (2024)"
    assert isinstance(result["aqi"], int) and all(isinstance(v, int) for v in result["sub"].values())


def test_nothing_given_gives_no_index():
    assert calc("us", "day", {}) == {
        "aqi": None,
        "dominant": None,
        "sub": {},
        "category": None,
        "method": "US EPA AQI (2024)",
        "period": "day",
        "advice": None,
    }


def test_null_and_short_lists_are_missing_values():
    result = calc("vn", "hour", {"pm25": [30, 30], "pm10": None, "o3": None})
    assert result["sub"] == {"pm25": 60}


@pytest.mark.parametrize(
    "method,period,inputs,words",
    [
        ("vn", "hour", {"pm2.5": [10]}, ["pm2.5", "not an input"]),
        ("vn", "hour", {"o3_8h": 0.05}, ["o3_8h", "not an input"]),  # a US-only key
        ("vn", "day", {"o3": 100}, ["o3", "not an input"]),  # an hourly key in a daily calculation
        ("vn", "day", {"pm25": -1}, ["pm25", "negative"]),
        ("vn", "day", {"no2_1h_max": "high"}, ["no2_1h_max", "number"]),
        ("vn", "day", {"pm10": True}, ["pm10", "number"]),
        ("vn", "day", {"pm10": math.nan}, ["pm10", "finite"]),
        ("vn", "hour", {"pm25": 35}, ["pm25", "list"]),
        ("vn", "hour", {"pm10": [1] * 13}, ["pm10", "at most 12"]),
        ("vn", "hour", {"pm25": [10, "x"]}, ["pm25[1]", "number"]),
        ("us", "hour", {"pm25": [10, -2]}, ["pm25[1]", "negative"]),
        ("us", "day", {"so2_24h": [1]}, ["so2_24h", "number"]),
    ],
)
def test_bad_inputs_name_the_key(method, period, inputs, words):
    with pytest.raises(InputError) as info:
        calc(method, period, inputs)
    for word in words:
        assert word in info.value.message
    assert info.value.detail["field"] == words[0]


@pytest.mark.parametrize("method,period,field", [("eu", "hour", "method"), ("vn", "week", "period")])
def test_bad_method_or_period(method, period, field):
    with pytest.raises(InputError, match=field):
        calc(method, period, {})


def test_inputs_must_be_an_object():
    with pytest.raises(InputError, match="inputs: must be a JSON object"):
        calc("vn", "day", [1, 2])
