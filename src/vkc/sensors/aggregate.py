"""Time aggregation of a Datastream: hourly, daily and monthly statistics with coverage rules.

The rules, stated once:

- **Hours** (``1h``) are computed in the database from the observations of
  each clock hour (UTC hours are local hours in Asia/Ho_Chi_Minh, UTC+7). An
  hour with at least one observation is valid.
- **Days** (``1d``) are local calendar days in the requested time zone
  (default Asia/Ho_Chi_Minh). A day's statistic is taken over its hourly
  means, and the day is valid when at least 18 of its 24 hours (75 %) have
  one — the completeness rule of Decision 1459/QĐ-TCMT for daily values and
  of EPA and EU practice.
- **Months** (``1mo``) are local calendar months over hourly means, valid
  when at least 75 % of their days are valid.
- Invalid periods are still listed, with ``value`` null, their ``count`` and
  ``coverage``, so a gap is visible rather than silently averaged over.

``fn`` is ``mean``, ``min``, ``max``, ``count`` (observations) or ``p95`` (the
95th percentile, linear interpolation between closest ranks).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from vkc.errors import InputError, NotFoundError
from vkc.parsing import times
from vkc.sensors.db import SensorDb
from vkc.sensors.read import format_time
from vkc.sensors.stats import percentile

INTERVALS = ("1h", "1d", "1mo")
FUNCTIONS = ("mean", "min", "max", "count", "p95")
MIN_HOURS_PER_DAY = 18
MIN_DAY_SHARE = 0.75
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
MAX_SPAN = timedelta(days=3700)


@dataclass(frozen=True)
class HourStat:
    start: datetime  # UTC, on the hour
    count: int
    mean: float
    min: float
    max: float
    p95: float | None


def hourly(db: SensorDb, datastream_id: int, start: datetime, end: datetime, *, with_p95: bool = False) -> list[HourStat]:
    """Statistics of each UTC clock hour in [start, end) that has observations."""
    t0, t1 = db.time_in(start), db.time_in(end)
    if db.dialect == "postgres":
        p95 = "percentile_cont(0.95) WITHIN GROUP (ORDER BY result_number)" if with_p95 else "NULL"
    else:
        p95 = "vkc_p95(result_number)" if with_p95 else "NULL"
    stmt = (
        f"SELECT {db.hour_start_sql('phenomenon_time_start')} AS h, count(result_number), avg(result_number), min(result_number), max(result_number), {p95} "
        "FROM sta_observations WHERE datastream_id = ? AND phenomenon_time_start >= ? AND phenomenon_time_start < ? "
        "AND result_number IS NOT NULL GROUP BY h ORDER BY h"
    )
    with db.reading() as conn:
        if conn.execute("SELECT 1 FROM sta_datastreams WHERE id = ?", [datastream_id]).fetchone() is None:
            raise NotFoundError(f"no Datastream with @iot.id {datastream_id}")
        rows = conn.execute(stmt, [datastream_id, t0, t1]).fetchall()
    return [HourStat(db.time_out(h), n, mean, lo, hi, p) for h, n, mean, lo, hi, p in rows]  # type: ignore[arg-type]


def zone(name: str) -> ZoneInfo:
    return times.time_zone(name, "tz")


def _value(fn: str, hours: list[HourStat]) -> float | None:
    if fn == "count":
        return float(sum(h.count for h in hours))
    means = [h.mean for h in hours]
    if fn == "mean":
        return sum(means) / len(means) if means else None
    if fn == "min":
        return min((h.min for h in hours), default=None)
    if fn == "max":
        return max((h.max for h in hours), default=None)
    return percentile(means)


def aggregate(
    db: SensorDb, datastream_id: int, *, interval: str, fn: str, start: datetime, end: datetime, tz: str = DEFAULT_ZONE
) -> list[dict[str, Any]]:
    """The periods of ``interval`` between ``start`` and ``end`` with ``fn`` of each (see the module's rules)."""
    if interval not in INTERVALS:
        raise InputError(f"interval: {interval!r} is not one of {', '.join(INTERVALS)}", field="interval")
    if fn not in FUNCTIONS:
        raise InputError(f"fn: {fn!r} is not one of {', '.join(FUNCTIONS)}", field="fn")
    if end <= start:
        raise InputError("to must be after from", field="to")
    if end - start > MAX_SPAN:
        raise InputError("from/to: at most about ten years at a time", field="to")
    local = zone(tz)
    if interval == "1h":
        hours = hourly(db, datastream_id, start, end, with_p95=fn == "p95")
        return [
            _period(h.start, h.start + timedelta(hours=1), fn, h.count, 1.0, _hour_value(fn, h))
            for h in hours
        ]
    hours = hourly(db, datastream_id, start, end)
    by_day: dict[date, list[HourStat]] = defaultdict(list)
    for h in hours:
        by_day[h.start.astimezone(local).date()].append(h)
    days = local_days(start, end, local)
    if interval == "1d":
        out = []
        for d in days:
            got = by_day.get(d, [])
            valid = len(got) >= MIN_HOURS_PER_DAY
            out.append(_period(local_midnight(d, local), local_midnight(d + timedelta(days=1), local), fn, sum(h.count for h in got), len(got) / 24, _value(fn, got) if valid else None))
        return out
    out = []
    months = sorted({(d.year, d.month) for d in days})
    for y, m in months:
        month_days = [d for d in days if (d.year, d.month) == (y, m)]
        first = date(y, m, 1)
        following = date(y + m // 12, m % 12 + 1, 1)
        valid_days = [d for d in month_days if len(by_day.get(d, [])) >= MIN_HOURS_PER_DAY]
        share = len(valid_days) / (following - first).days
        got = [h for d in month_days for h in by_day.get(d, [])]
        value = _value(fn, got) if share >= MIN_DAY_SHARE else None
        out.append(_period(local_midnight(first, local), local_midnight(following, local), fn, sum(h.count for h in got), share, value))
    return out


def _hour_value(fn: str, h: HourStat) -> float | None:
    return {"mean": h.mean, "min": h.min, "max": h.max, "count": float(h.count), "p95": h.p95}[fn]


def local_days(start: datetime, end: datetime, local: ZoneInfo) -> list[date]:
    first = start.astimezone(local).date()
    last = (end - timedelta(microseconds=1)).astimezone(local).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def local_midnight(d: date, local: ZoneInfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=local).astimezone(UTC)


#: which instant of a plain date :func:`time_or_day` gives
DayBound = Literal["start", "end", "last"]


def time_or_day(text: str, what: str, tz: str = DEFAULT_ZONE, *, bound: DayBound = "start") -> datetime:
    """A time with a zone, or a plain date (``2025-01-15``) meaning that local day in ``tz``: its first instant
    (``start``), the first instant of the next day (``end``: ranges here are [from, to), so the day is included),
    or its last instant (``last``: "at or before" that day). A time with a zone is itself whatever the bound."""
    from vkc.sensors.write import parse_time

    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InputError(f"{what}: {text!r} is not a date like 2025-01-31", field=what) from None
        if bound == "start":
            return local_midnight(day, zone(tz))
        if day == date.max:
            raise InputError(f"{what}: {text!r} is past the last day this platform keeps", field=what)
        after = local_midnight(day + timedelta(days=1), zone(tz))
        return after if bound == "end" else after - timedelta(microseconds=1)
    return parse_time(text, what)


def _period(start: datetime, end: datetime, fn: str, count: int, coverage: float, value: float | None) -> dict[str, Any]:
    if value is not None and fn == "count":
        value = int(value)
    elif value is not None:
        value = round(value, 6)
    return {"start": format_time(start), "end": format_time(end), fn: value, "count": count, "coverage": round(min(coverage, 1.0), 4)}
