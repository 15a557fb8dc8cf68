"""Platform endpoints over sensor data that SensorThings does not cover: time aggregation and station air quality indices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from vkc.api.ogc.common import PROBLEM, json_response, store_of
from vkc.parsing.numbers import INT64_MAX
from vkc.sensors import aggregate as agg
from vkc.sensors import station_aqi
from vkc.sensors.db import SensorDb

router = APIRouter(prefix="/api", tags=["Sensor data"])


def optional_time(text: str | None, name: str, tz: str = agg.DEFAULT_ZONE, *, bound: agg.DayBound = "start") -> datetime | None:
    """A time with zone, or a plain date meaning that local day in ``tz`` (as ``vkc aqi --date`` and OGC ``datetime`` take it);
    ``bound`` says which instant of the day (:func:`vkc.sensors.aggregate.time_or_day`)."""
    return agg.time_or_day(text, name, tz, bound=bound) if text else None


def time_range(start: str | None, end: str | None, tz: str, *, default_days: int = 7) -> tuple[datetime, datetime]:
    """``from``/``to`` as aware times (dates: local days in ``tz``, ``to`` included); ``to`` defaults to now and ``from`` to ``default_days`` before it."""
    t1 = optional_time(end, "to", tz, bound="end") or datetime.now(UTC)
    t0 = optional_time(start, "from", tz) or t1 - timedelta(days=default_days)
    return t0, t1


@router.get(
    "/datastreams/{datastream_id}/aggregate",
    summary="Hourly, daily (local days) or monthly statistics of a Datastream",
    responses={400: {"description": "Bad interval, fn, time or zone", "content": {PROBLEM: {}}}, 404: {"description": "No such Datastream", "content": {PROBLEM: {}}}},
)
def aggregate(
    datastream_id: Annotated[int, Path(ge=-INT64_MAX, le=INT64_MAX, description="The Datastream's @iot.id")],
    request: Request,
    interval: str = Query("1h", description="1h, 1d or 1mo"),
    fn: str = Query("mean", description="mean, min, max, count or p95"),
    start: str | None = Query(None, alias="from", description="ISO 8601 time with zone, or a local date in `tz`; default: 7 days before `to`"),
    end: str | None = Query(None, alias="to", description="ISO 8601 time with zone, or a local date in `tz` (that day included); default: now"),
    tz: str = Query(agg.DEFAULT_ZONE, description="IANA time zone of days and months"),
) -> Response:
    t0, t1 = time_range(start, end, tz)
    periods = agg.aggregate(SensorDb(store_of(request)), datastream_id, interval=interval, fn=fn, start=t0, end=t1, tz=tz)
    rules = {
        "1h": "an hour with at least one observation is valid",
        "1d": f"days in {tz}; a day is valid with at least {agg.MIN_HOURS_PER_DAY} of 24 hourly means",
        "1mo": f"months in {tz}; a month is valid when at least {agg.MIN_DAY_SHARE:.0%} of its days are valid",
    }
    return json_response({"datastream": datastream_id, "interval": interval, "fn": fn, "tz": tz, "rule": rules.get(interval), "periods": periods})


_AQI_ERRORS = {
    400: {"description": "Bad time, range or zone", "content": {PROBLEM: {}}},
    404: {"description": "No station with pollutant Datastreams", "content": {PROBLEM: {}}},
}
_AT = Query(None, description="ISO 8601 time with zone, or a local date (its end): the latest hour at or before it (default: now)")
_FROM = Query(None, alias="from", description="ISO 8601 time with zone, or a local date (YYYY-MM-DD, Asia/Ho_Chi_Minh unless tz says)")
_TO = Query(None, alias="to", description="ISO 8601 time with zone, or a local date (that day included); default: the end of the station's newest hour with data")
GEOJSON = "application/geo+json"


@router.get(
    "/aqi/stations",
    summary="Latest hourly VN_AQI and US EPA AQI of every station, as GeoJSON",
    description=station_aqi.__doc__,
    responses={200: {"content": {GEOJSON: {}}}, 400: _AQI_ERRORS[400]},
    tags=["Air quality"],
)
def aqi_stations(request: Request, at: str | None = _AT) -> Response:
    body = station_aqi.latest_geojson(SensorDb(store_of(request)), at=optional_time(at, "at", bound="last"))
    return json_response(body, GEOJSON)


@router.get("/aqi/stations/{station}", summary="Latest hourly VN_AQI and US EPA AQI of one station, with advice", responses=_AQI_ERRORS, tags=["Air quality"])
def aqi_station(station: str, request: Request, at: str | None = _AT) -> Response:
    (entry,) = station_aqi.latest(SensorDb(store_of(request)), at=optional_time(at, "at", bound="last"), station=station)
    return json_response(entry)


@router.get("/aqi/stations/{station}/hourly", summary="Hourly VN_AQI and US EPA AQI of a station (NowCast for PM)", responses=_AQI_ERRORS, tags=["Air quality"])
def aqi_hourly(station: str, request: Request, start: str | None = _FROM, end: str | None = _TO) -> Response:
    body = station_aqi.hourly(SensorDb(store_of(request)), station, optional_time(start, "from"), optional_time(end, "to", bound="end"))
    return json_response(body)


@router.get("/aqi/stations/{station}/daily", summary="Daily VN_AQI and US EPA AQI of a station (local days)", responses=_AQI_ERRORS, tags=["Air quality"])
def aqi_daily(
    station: str,
    request: Request,
    start: str | None = _FROM,
    end: str | None = _TO,
    tz: str = Query(agg.DEFAULT_ZONE, description="IANA time zone of the days"),
) -> Response:
    body = station_aqi.daily(SensorDb(store_of(request)), station, optional_time(start, "from", tz), optional_time(end, "to", tz, bound="end"), tz)
    return json_response(body)
