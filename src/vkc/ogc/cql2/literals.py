"""The CQL2 literals both encodings share: dates, timestamps, intervals and bounding boxes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import shapely

from vkc.ogc.cql2.checks import describe, error
from vkc.parsing import times
from vkc.store.filters import Interval, Prop


def parse_date(text: str, where: str) -> date:
    try:
        return times.parse_date(text)
    except times.NotATime:
        raise error(f"{text!r} is not a date of the form YYYY-MM-DD {where}") from None
    except times.InvalidTime as exc:
        raise error(f"{text!r} is not a valid date ({exc}) {where}") from None


def parse_timestamp(text: str, where: str) -> datetime:
    try:
        return times.parse_instant(text)
    except times.NotATime:
        raise error(f"{text!r} is not a timestamp of the form YYYY-MM-DDTHH:MM:SS[.fff]Z {where}") from None
    except times.NoTimeZone:
        raise error(f"the timestamp {text!r} has no time zone {where}; CQL2 requires 'Z' (UTC) or an offset such as +07:00") from None
    except times.InvalidTime as exc:
        raise error(f"{text!r} is not a valid timestamp ({exc}) {where}") from None


def parse_instant_string(text: str, where: str) -> date | datetime | None:
    """An interval bound given as a string: a date, a timestamp, or '..' (open)."""
    if text == "..":
        return None
    if times.DATE_RE.fullmatch(text):
        return parse_date(text, where)
    if "T" in text.upper():
        return parse_timestamp(text, where)
    raise error(f"an interval bound must be a date, a timestamp or '..' {where}, not {text!r}")


def _instant_range(value: date | datetime) -> tuple[datetime, datetime]:
    if isinstance(value, datetime):
        return value, value
    return datetime.combine(value, time.min, UTC), datetime.combine(value, time.max, UTC)


def interval(start: Any, end: Any, where: str) -> Interval:
    for role, bound in (("start", start), ("end", end)):
        if not (bound is None or isinstance(bound, (date, Prop))):
            raise error(f"the {role} of an interval must be a date, a timestamp, '..' or a property {where}, not {describe(bound)}")
    if isinstance(start, date) and isinstance(end, date) and _instant_range(start)[0] > _instant_range(end)[1]:
        raise error(f"the interval starts ({start.isoformat()}) after it ends ({end.isoformat()}) {where}")
    return Interval(start, end)


def bbox(values: list[float], where: str) -> shapely.Polygon:
    if len(values) == 4:
        minx, miny, maxx, maxy = values
    elif len(values) == 6:
        minx, miny, minz, maxx, maxy, maxz = values
        if minz > maxz:
            raise error(f"BBOX has its minimum elevation {minz} above its maximum {maxz} {where}")
    else:
        raise error(f"BBOX takes 4 numbers (minx, miny, maxx, maxy) or 6 (with elevations), got {len(values)} {where}")
    if miny > maxy:
        raise error(f"BBOX has its south edge {miny} above its north edge {maxy} {where}")
    if minx > maxx:
        raise error(f"BBOX crosses the antimeridian (west {minx} > east {maxx}) {where}; antimeridian-crossing boxes are not supported")
    return shapely.box(minx, miny, maxx, maxy)
