"""Platform endpoints over sensor data that SensorThings does not cover: time aggregation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from vkc.api.ogc.common import PROBLEM, json_response, store_of
from vkc.sensors import aggregate as agg
from vkc.sensors.db import SensorDb
from vkc.sensors.write import parse_time

router = APIRouter(prefix="/api", tags=["Sensor data"])


def time_range(start: str | None, end: str | None, *, default_days: int = 7) -> tuple[datetime, datetime]:
    """``from``/``to`` as aware times; ``to`` defaults to now and ``from`` to ``default_days`` before it."""
    t1 = parse_time(end, "to") if end else datetime.now(UTC)
    t0 = parse_time(start, "from") if start else t1 - timedelta(days=default_days)
    return t0, t1


@router.get(
    "/datastreams/{datastream_id}/aggregate",
    summary="Hourly, daily (local days) or monthly statistics of a Datastream",
    responses={400: {"description": "Bad interval, fn, time or zone", "content": {PROBLEM: {}}}, 404: {"description": "No such Datastream", "content": {PROBLEM: {}}}},
)
def aggregate(
    datastream_id: int,
    request: Request,
    interval: str = Query("1h", description="1h, 1d or 1mo"),
    fn: str = Query("mean", description="mean, min, max, count or p95"),
    start: str | None = Query(None, alias="from", description="ISO 8601 time with zone; default: 7 days before `to`"),
    end: str | None = Query(None, alias="to", description="ISO 8601 time with zone; default: now"),
    tz: str = Query(agg.DEFAULT_ZONE, description="IANA time zone of days and months"),
) -> Response:
    t0, t1 = time_range(start, end)
    periods = agg.aggregate(SensorDb(store_of(request)), datastream_id, interval=interval, fn=fn, start=t0, end=t1, tz=tz)
    rules = {
        "1h": "an hour with at least one observation is valid",
        "1d": f"days in {tz}; a day is valid with at least {agg.MIN_HOURS_PER_DAY} of 24 hourly means",
        "1mo": f"months in {tz}; a month is valid when at least {agg.MIN_DAY_SHARE:.0%} of its days are valid",
    }
    return json_response({"datastream": datastream_id, "interval": interval, "fn": fn, "tz": tz, "rule": rules.get(interval), "periods": periods})
