"""Checking the input object of :func:`vkc.airquality.calc`: which keys each method and period take, and their values.

Units: VN_AQI takes every value in µg/m³ (Decision 1459/QĐ-TCMT, Table 2). The US
method takes PM in µg/m³, O3 and CO in ppm, SO2 and NO2 in ppb (EPA-454/B-24-002,
Table 6); :mod:`vkc.airquality.units` converts stored µg/m³.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from vkc.errors import InputError

METHODS = ("vn", "us")
PERIODS = ("hour", "day")
HOURS = 12

#: Keys holding the last 12 hourly means, newest first (hourly period only).
SERIES_KEYS = ("pm25", "pm10")

_HOUR = {
    "pm25": "PM2.5 hourly means, newest first (up to 12; null for a missing hour)",
    "pm10": "PM10 hourly means, newest first (up to 12; null for a missing hour)",
    "o3": "O3 mean of the current hour",
    "no2": "NO2 mean of the current hour",
    "so2": "SO2 mean of the current hour",
    "co": "CO mean of the current hour",
}
_DAY = {
    "pm25": "PM2.5 24-hour mean",
    "pm10": "PM10 24-hour mean",
    "o3_1h_max": "O3 highest 1-hour mean of the day",
    "o3_8h_max": "O3 highest 8-hour mean of the day",
    "no2_1h_max": "NO2 highest 1-hour mean of the day",
    "so2_1h_max": "SO2 highest 1-hour mean of the day",
    "co_1h_max": "CO highest 1-hour mean of the day",
}
_US_HOUR_EXTRA = {
    "o3_8h": "O3 mean of the last 8 hours (EPA's 8-hour rows)",
    "co_8h": "CO mean of the last 8 hours (EPA's CO rows are 8-hour; without it the hourly co is used)",
    "so2_24h": "SO2 mean of the last 24 hours (used when 1-hour SO2 reaches 305 ppb)",
}
_US_DAY_EXTRA = {
    "co_8h_max": "CO highest 8-hour mean of the day (EPA's CO rows are 8-hour; without it co_1h_max is used)",
    "so2_24h": "SO2 24-hour mean (used when 1-hour SO2 reaches 305 ppb)",
}

#: Input keys with a short description, by (method, period).
KEYS: dict[tuple[str, str], dict[str, str]] = {
    ("vn", "hour"): _HOUR,
    ("vn", "day"): _DAY,
    ("us", "hour"): {**_HOUR, **_US_HOUR_EXTRA},
    ("us", "day"): {**_DAY, **_US_DAY_EXTRA},
}

_US_UNITS = {"pm25": "µg/m³", "pm10": "µg/m³", "o3": "ppm", "co": "ppm", "so2": "ppb", "no2": "ppb"}


def unit(method: str, key: str) -> str:
    """The unit of input ``key`` for ``method``."""
    return "µg/m³" if method == "vn" else _US_UNITS[key.split("_")[0]]


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``, else InputError naming ``name``."""
    if value not in allowed:
        raise InputError(f"{name}: must be one of {', '.join(allowed)}, not {value!r}", field=name)
    return value  # type: ignore[return-value]


def _number(field: str, value: object, *, nullable: bool) -> float | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{field}: must be a number{' or null' if nullable else ''}, not {value!r}", field=field)
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{field}: must be a finite number, not {value!r}", field=field)
    if number < 0:
        raise InputError(f"{field}: must not be negative, got {value!r}", field=field)
    return number


def _series(field: str, value: object) -> list[float | None]:
    if not isinstance(value, list | tuple):
        raise InputError(f"{field}: must be a list of up to {HOURS} hourly means, newest first, not {value!r}", field=field)
    if len(value) > HOURS:
        raise InputError(f"{field}: at most {HOURS} hourly means, newest first; got {len(value)}", field=field)
    return [_number(f"{field}[{i}]", v, nullable=True) for i, v in enumerate(value)]


def check_inputs(method: str, period: str, inputs: object) -> dict[str, object]:
    """Validated inputs: numbers as floats, hourly PM series as lists; absent and null keys left out."""
    if not isinstance(inputs, Mapping):
        raise InputError(f"inputs: must be a JSON object of pollutant values, not {type(inputs).__name__}", field="inputs")
    allowed = KEYS[(method, period)]
    checked: dict[str, object] = {}
    for key, value in inputs.items():
        if key not in allowed:
            raise InputError(f"{key}: not an input of the {method} {period} calculation; known: {', '.join(allowed)}", field=key)
        if period == "hour" and key in SERIES_KEYS:
            series = _series(key, value) if value is not None else []
            checked[key] = series
        else:
            number = _number(key, value, nullable=True)
            if number is not None:
                checked[key] = number
    return checked
