"""The air quality index of monitoring stations from their stored observations: VN_AQI and US EPA AQI side by side.

The rules, stated once (hours are UTC clock hours; see :mod:`vkc.sensors.pollutant_series`):

**Hourly index of hour H**
- PM2.5 and PM10: the NowCast of the hourly means of H, H−1, …, H−11 (a hour
  without data is a gap the NowCast rules handle).
- O3, NO2, SO2, CO: the mean of hour H.
- US method only: O3 and CO also as 8-hour means of H−7…H when at least 6 of
  the 8 hours have data, SO2 as the 24-hour mean of H−23…H when at least 18 of
  the 24 do; gases are converted to EPA's units at 25 °C (:mod:`vkc.airquality.units`).

**Daily index of local day D** (Asia/Ho_Chi_Minh unless told)
- A pollutant takes part when at least 18 of the day's 24 hours have a mean
  (the coverage rule of :mod:`vkc.sensors.aggregate`).
- PM: the mean of the day's hourly means; O3, NO2, SO2, CO: the highest hourly
  mean; O3 (and for the US method CO) 8-hour maxima: the highest 8-hour mean
  ending in an hour of the day, each needing 6 of its 8 hours; US SO2 24-hour
  mean: the day's mean.

**Latest index of a station**: the hourly index of the hour of the newest
observation of any of its pollutants at or before ``at`` (default: now).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import shapely
import shapely.geometry

from vkc import airquality
from vkc.errors import InputError
from vkc.sensors import aggregate
from vkc.sensors.db import SensorDb
from vkc.sensors.pollutant_series import HOUR, Station, floor_hour, hourly_means, latest_times, stations
from vkc.sensors.read import format_time

METHODS = ("vn", "us")
NOWCAST_HOURS = 12
MIN_HOURS_OF_8 = 6
MIN_HOURS_OF_24 = 18
MAX_HOURLY_SPAN = timedelta(days=366)
Means = dict[str, dict[datetime, float]]  # pollutant → UTC hour → mean µg/m³


def _mean_of(series: dict[datetime, float], last: datetime, hours: int, needed: int) -> float | None:
    got = [v for i in range(hours) if (v := series.get(last - i * HOUR)) is not None]
    return sum(got) / len(got) if len(got) >= needed else None


def hour_inputs(means: Means, hour: datetime) -> dict[str, Any]:
    """Every hourly input key of both methods, in µg/m³, for ``hour``."""
    out: dict[str, Any] = {}
    for pm in ("pm25", "pm10"):
        if pm in means:
            out[pm] = [means[pm].get(hour - i * HOUR) for i in range(NOWCAST_HOURS)]
    for gas in ("o3", "no2", "so2", "co"):
        if gas in means and (value := means[gas].get(hour)) is not None:
            out[gas] = value
    for key, gas, hours, needed in (("o3_8h", "o3", 8, MIN_HOURS_OF_8), ("co_8h", "co", 8, MIN_HOURS_OF_8), ("so2_24h", "so2", 24, MIN_HOURS_OF_24)):
        if gas in means and (value := _mean_of(means[gas], hour, hours, needed)) is not None:
            out[key] = value
    return out


def day_inputs(means: Means, first_hour: datetime) -> dict[str, Any]:
    """Every daily input key of both methods, in µg/m³, for the 24 hours from ``first_hour``."""
    hours = [first_hour + i * HOUR for i in range(24)]
    out: dict[str, Any] = {}
    for pollutant, series in means.items():
        day = [v for h in hours if (v := series.get(h)) is not None]
        if len(day) < MIN_HOURS_OF_24:
            continue
        if pollutant in ("pm25", "pm10"):
            out[pollutant] = sum(day) / len(day)
            continue
        out[f"{pollutant}_1h_max"] = max(day)
        if pollutant == "so2":
            out["so2_24h"] = sum(day) / len(day)
        if pollutant in ("o3", "co"):
            eights = [m for h in hours if (m := _mean_of(series, h, 8, MIN_HOURS_OF_8)) is not None]
            if eights:
                out[f"{pollutant}_8h_max"] = max(eights)
    return out


def _for_method(method: str, period: str, inputs: dict[str, Any]) -> dict[str, Any]:
    keys = airquality.KEYS[(method, period)]
    chosen = {k: v for k, v in inputs.items() if k in keys}
    if method == "us":
        for k, v in chosen.items():
            gas = k.split("_")[0]
            if gas not in ("pm25", "pm10"):
                chosen[k] = airquality.to_us_units(gas, v)
    return chosen


def both_methods(period: str, inputs: dict[str, Any], *, advice: bool = False) -> dict[str, Any]:
    """``{"vn": …, "us": …}``: :func:`vkc.airquality.calc` of each method (without advice unless asked)."""
    out = {}
    for method in METHODS:
        result = airquality.calc(method, period, _for_method(method, period, inputs))
        if not advice:
            result.pop("advice")
        result.pop("period")
        out[method] = result
    return out


def station_means(db: SensorDb, conn: Any, wanted: list[tuple[Station, datetime, datetime]]) -> dict[int, Means]:
    """Hourly means in µg/m³ of each station's pollutants over [start, end), by Thing id, read in one query."""
    windows = [(ds, start, end) for s, start, end in wanted for ds, _ in s.series.values()]
    raw = hourly_means(db, conn, windows)
    return {
        s.thing_id: {p: {h: v * scale for h, v in raw.get(ds, {}).items()} for p, (ds, scale) in s.series.items()}
        for s, _, _ in wanted
    }


def newest_hours(db: SensorDb, conn: Any, found: list[Station], at: datetime) -> dict[int, datetime]:
    """The hour of each station's newest pollutant observation at or before ``at``, by Thing id (absent: none)."""
    newest = latest_times(db, conn, [ds for s in found for ds, _ in s.series.values()], at)
    out = {}
    for s in found:
        times = [newest[ds] for ds, _ in s.series.values() if ds in newest]
        if times:
            out[s.thing_id] = floor_hour(max(times))
    return out


def latest(db: SensorDb, *, at: datetime | None = None, station: str | None = None) -> list[dict[str, Any]]:
    """The latest hourly index of every station (or one): ``{station, name, time, vn, us}`` with advice."""
    return [entry for _, entry in _latest(db, at, station)]


def latest_within(db: SensorDb, area: shapely.Geometry, *, at: datetime | None = None) -> list[dict[str, Any]]:
    """:func:`latest` of the stations whose Location intersects ``area`` (CRS84), e.g. a province's boundary;
    the index is worked out for those stations only."""
    shapely.prepare(area)
    return [entry for _, entry in _latest(db, at, None, lambda s: s.geometry is not None and bool(shapely.intersects(area, shapely.geometry.shape(s.geometry))))]


def _latest(db: SensorDb, at: datetime | None, station: str | None, keep: Callable[[Station], bool] | None = None) -> list[tuple[Station, dict[str, Any]]]:
    with db.reading() as conn:
        found = stations(db, conn, station)
        if keep is not None:
            found = [s for s in found if keep(s)]
        hour_of = newest_hours(db, conn, found, at or datetime.now(UTC))
        means = station_means(db, conn, [(s, h - 23 * HOUR, h + HOUR) for s in found if (h := hour_of.get(s.thing_id))])
    out = []
    for s in found:
        h = hour_of.get(s.thing_id)
        result = both_methods("hour", hour_inputs(means[s.thing_id], h) if h else {}, advice=True)
        out.append((s, {"station": s.key, "name": s.name, "time": format_time(h) if h else None, **result}))
    return out


def latest_geojson(db: SensorDb, *, at: datetime | None = None) -> dict[str, Any]:
    """:func:`latest` of every station as a GeoJSON FeatureCollection (the station's Location as geometry)."""
    features = []
    for s, entry in _latest(db, at, None):
        features.append({"type": "Feature", "id": s.key, "geometry": s.geometry, "properties": {**entry, "city": s.properties.get("city")}})
    return {"type": "FeatureCollection", "features": features}


def _default_range(db: SensorDb, conn: Any, s: Station, start: datetime | None, end: datetime | None, span: timedelta) -> tuple[datetime, datetime]:
    """``to`` defaults to the end of the station's newest hour with data (else now), ``from`` to ``span`` before ``to``."""
    if end is None:
        newest = newest_hours(db, conn, [s], datetime.now(UTC)).get(s.thing_id)
        end = (newest or floor_hour(datetime.now(UTC))) + HOUR
    return (start or end - span), end


def hourly(db: SensorDb, station: str, start: datetime | None = None, end: datetime | None = None) -> dict[str, Any]:
    """The hourly index of each hour in [start, end) that has data of any pollutant (default: the station's last day)."""
    with db.reading() as conn:
        (s,) = stations(db, conn, station)
        start, end = _default_range(db, conn, s, start, end, timedelta(days=1))
        _check_span(start, end, MAX_HOURLY_SPAN)
        first, last = floor_hour(start), floor_hour(end - timedelta(microseconds=1))
        means = station_means(db, conn, [(s, first - 23 * HOUR, last + HOUR)])[s.thing_id]
    with_data = sorted({h for series in means.values() for h in series if first <= h <= last})
    hours = [{"time": format_time(h), **both_methods("hour", hour_inputs(means, h))} for h in with_data]
    rule = "hourly index: NowCast of PM over 12 hours, gases the mean of the hour (US: O3 and CO 8-hour means)"
    return {"station": s.key, "name": s.name, "from": format_time(start), "to": format_time(end), "rule": rule, "hours": hours}


def daily(
    db: SensorDb, station: str, start: datetime | None = None, end: datetime | None = None, tz: str = aggregate.DEFAULT_ZONE
) -> dict[str, Any]:
    """The daily index of each local day overlapping [start, end) (default: the station's last 30 days); too few hours → null."""
    local = aggregate.zone(tz)
    with db.reading() as conn:
        (s,) = stations(db, conn, station)
        start, end = _default_range(db, conn, s, start, end, timedelta(days=30))
        _check_span(start, end, aggregate.MAX_SPAN)
        days = aggregate.local_days(start, end, local)
        midnights = [aggregate.local_midnight(d, local) for d in days]
        means = station_means(db, conn, [(s, midnights[0] - 7 * HOUR, midnights[-1] + 24 * HOUR)])[s.thing_id]
    out = [{"date": d.isoformat(), **both_methods("day", day_inputs(means, m))} for d, m in zip(days, midnights, strict=True)]
    rule = f"days in {tz}; a pollutant counts with at least {MIN_HOURS_OF_24} of 24 hourly means"
    return {"station": s.key, "name": s.name, "from": format_time(start), "to": format_time(end), "tz": tz, "rule": rule, "days": out}


def _check_span(start: datetime, end: datetime, longest: timedelta) -> None:
    if end <= start:
        raise InputError("to must be after from", field="to")
    if end - start > longest:
        raise InputError(f"from/to: at most {longest.days} days at a time", field="to")

