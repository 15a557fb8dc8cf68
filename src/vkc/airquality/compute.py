"""The overall AQI of one station for one hour or one day, by either method.

VN_AQI, Decision 1459/QĐ-TCMT: hourly (section 2.2.1) and daily (section 2.2.2)
sub-indices, the overall value AQI = max(AQIx) rounded to an integer (2.2.1.c,
2.2.2.c), and the rule of section 2.1.b that at least one of PM10 and PM2.5 must
be in the calculation: without a PM sub-index there is no VN_AQI.

US EPA, EPA-454/B-24-002: the AQI is the highest sub-index and its pollutant is the
one reported (section IV, "How to handle values from multiple pollutants"); PM is
not required.

In both, the dominant pollutant is the one with the highest (unrounded) sub-index;
an exact tie goes to the first of pm25, pm10, o3, co, so2, no2.
"""

from __future__ import annotations

from vkc.airquality import us, vn
from vkc.airquality.categories import advice, category
from vkc.airquality.inputs import METHODS, PERIODS, check_choice, check_inputs
from vkc.airquality.nowcast import nowcast
from vkc.airquality.scale import round_half_up

POLLUTANTS = ("pm25", "pm10", "o3", "co", "so2", "no2")
LABELS = {"vn": "VN_AQI (Decision 1459/QĐ-TCMT)", "us": "US EPA AQI (2024)"}


def _present(exact: dict[str, float | None]) -> dict[str, float]:
    return {k: v for k, v in exact.items() if v is not None}


def _pm_nowcasts(values: dict, method: str) -> dict[str, float | None]:
    return {key: nowcast(values[key], method) if key in values else None for key in ("pm25", "pm10")}


def _vn_hour(values: dict) -> dict[str, float]:
    pm = _pm_nowcasts(values, "vn")
    columns = {
        "pm25": pm["pm25"],
        "pm10": pm["pm10"],
        "o3_1h": values.get("o3"),
        "co": values.get("co"),
        "so2": values.get("so2"),
        "no2": values.get("no2"),
    }
    return _present({column.split("_")[0]: None if c is None else vn.exact_sub_index(column, c) for column, c in columns.items()})


def _vn_day(values: dict) -> dict[str, float]:
    get = values.get
    exact = {
        "pm25": None if get("pm25") is None else vn.exact_sub_index("pm25", get("pm25")),
        "pm10": None if get("pm10") is None else vn.exact_sub_index("pm10", get("pm10")),
        "o3": vn.exact_daily_o3(get("o3_1h_max"), get("o3_8h_max")),
        "co": None if get("co_1h_max") is None else vn.exact_sub_index("co", get("co_1h_max")),
        "so2": None if get("so2_1h_max") is None else vn.exact_sub_index("so2", get("so2_1h_max")),
        "no2": None if get("no2_1h_max") is None else vn.exact_sub_index("no2", get("no2_1h_max")),
    }
    return _present(exact)


def _us_single(column: str, value: float | None) -> float | None:
    return None if value is None else us.exact_sub_index(column, value)


def _us_hour(values: dict) -> dict[str, float]:
    pm = _pm_nowcasts(values, "us")
    get = values.get
    exact = {
        "pm25": _us_single("pm25", pm["pm25"]),
        "pm10": _us_single("pm10", pm["pm10"]),
        "o3": us.exact_o3(get("o3_8h"), get("o3")),
        "co": _us_single("co", get("co_8h", get("co"))),
        "so2": us.exact_so2(get("so2"), get("so2_24h")),
        "no2": _us_single("no2", get("no2")),
    }
    return _present(exact)


def _us_day(values: dict) -> dict[str, float]:
    get = values.get
    exact = {
        "pm25": _us_single("pm25", get("pm25")),
        "pm10": _us_single("pm10", get("pm10")),
        "o3": us.exact_o3(get("o3_8h_max"), get("o3_1h_max")),
        "co": _us_single("co", get("co_8h_max", get("co_1h_max"))),
        "so2": us.exact_so2(get("so2_1h_max"), get("so2_24h")),
        "no2": _us_single("no2", get("no2_1h_max")),
    }
    return _present(exact)


_SUB_INDICES = {("vn", "hour"): _vn_hour, ("vn", "day"): _vn_day, ("us", "hour"): _us_hour, ("us", "day"): _us_day}


def calc(method: str, period: str, inputs: dict) -> dict:
    """The AQI, its dominant pollutant, the sub-indices, category and advice for one station.

    ``method`` is "vn" (VN_AQI, Decision 1459/QĐ-TCMT) or "us" (US EPA AQI, 2024);
    ``period`` is "hour" or "day". See :data:`vkc.airquality.inputs.KEYS` for the
    input keys and :func:`vkc.airquality.inputs.unit` for their units. Returns::

        {"aqi": int | None, "dominant": str | None, "sub": {pollutant: int},
         "category": {"vi", "en", "ko", "color"} | None, "method": str, "period": str,
         "advice": {...} | None}

    ``aqi`` is None when no sub-index can be computed or, for VN_AQI, when neither
    PM2.5 nor PM10 has one; ``sub`` still lists the sub-indices that could be.
    """
    check_choice("method", method, METHODS)
    check_choice("period", period, PERIODS)
    values = check_inputs(method, period, inputs)
    exact = _SUB_INDICES[(method, period)](values)
    sub = {p: round_half_up(exact[p]) for p in POLLUTANTS if p in exact}
    has_pm = "pm25" in exact or "pm10" in exact
    if not exact or (method == "vn" and not has_pm):
        aqi, dominant = None, None
    else:
        dominant = max(POLLUTANTS, key=lambda p: (exact.get(p, -1.0), -POLLUTANTS.index(p)))
        aqi = sub[dominant]
    return {
        "aqi": aqi,
        "dominant": dominant,
        "sub": sub,
        "category": None if aqi is None else category(method, aqi),
        "method": LABELS[method],
        "period": period,
        "advice": None if aqi is None else advice(method, aqi),
    }
