"""The one reader of RFC 3339 instants (and of their dates) for the whole platform.

An instant is RFC 3339's ``date-time``: ``2024-01-31T10:00:00.25+07:00``
(``T`` / ``t``, ``Z`` / ``z`` or an offset ``±HH:MM``), returned in UTC. A
:class:`Form` says which variants a reader accepts besides: times of day
without seconds (OData), and the looser forms data files write (a space for
the ``T``, a date alone, ``±HHMM`` / ``±HH`` offsets, a comma before the
fraction, no zone at all, which then gives a naive datetime). Fractions of a
second are cut to microseconds.

:data:`EARLIEST` and :data:`LATEST` bound the instants that measurements may
carry (:func:`check_measured`), leaving room for time-zone, day and month
arithmetic near the ends of Python's calendar; :func:`time_zone` reads IANA
zone names.

Errors are :class:`TimeTextError` s, :class:`NotATime` (not of the form),
:class:`NoTimeZone` and :class:`InvalidTime` (of the form but not a real
moment; its text says why), so that every caller words its own message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vkc.errors import InputError

__all__ = [
    "DATA",
    "DATE_RE",
    "EARLIEST",
    "LATEST",
    "RFC3339",
    "Form",
    "InvalidTime",
    "NoTimeZone",
    "NotATime",
    "TimeTextError",
    "check_measured",
    "date_of",
    "instant_of",
    "parse_date",
    "parse_instant",
    "time_zone",
]

#: the earliest and latest instants a measurement may carry (a year's margin inside Python's calendar)
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
#: the longest IANA zone name there is has 32 characters
MAX_ZONE_NAME = 64

_DATE = r"(\d{4})-(\d{2})-(\d{2})"
DATE_RE = re.compile(_DATE, re.ASCII)


class TimeTextError(ValueError):
    """A text that is not the date or instant it should be."""


class NotATime(TimeTextError):
    """The text is not of the form."""


class NoTimeZone(TimeTextError):
    """An instant without a time zone where one is required."""


class InvalidTime(TimeTextError):
    """Of the form, but not a real date or moment (a 30 February, hour 25, an offset of a day or more)."""


@dataclass(frozen=True, slots=True)
class Form:
    """Which variants of RFC 3339's date-time a reader accepts; ``pattern`` matches them (groups as in :func:`instant_of`)."""

    optional_seconds: bool = False  # HH:MM, as OData allows
    data: bool = False  # also a space for the T, a date alone, ±HHMM / ±HH offsets, a comma before the fraction
    zone_required: bool = True  # else a text without a zone gives a naive datetime
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fraction = r"[.,](\d+)" if self.data else r"\.(\d+)"
        seconds = rf":(\d{{2}})(?:{fraction})?"
        clock = rf"(\d{{2}}):(\d{{2}})(?:{seconds})?" if self.optional_seconds or self.data else rf"(\d{{2}}):(\d{{2}}){seconds}"
        zone = r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?" if self.data else r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?"
        text = rf"{_DATE}(?:[Tt ]{clock}{zone})?" if self.data else rf"{_DATE}[Tt]{clock}{zone}"
        object.__setattr__(self, "pattern", re.compile(text, re.ASCII))


RFC3339 = Form()
"""RFC 3339 ``date-time`` exactly, with its time zone."""

DATA = Form(data=True, zone_required=False)
"""The instants data files and API clients write; a text without a zone gives a naive datetime."""


def parse_instant(text: str, form: Form = RFC3339) -> datetime:
    """The instant ``text`` in UTC (naive if the form allows no zone and there is none)."""
    match = form.pattern.fullmatch(text)
    if match is None:
        raise NotATime(f"{text!r} is not a date-time")
    return instant_of(match, form)


def instant_of(match: re.Match[str], form: Form = RFC3339) -> datetime:
    """The instant of a match of ``form.pattern`` (for tokenizers that match it at a position)."""
    utc, sign, hours, minutes = match.group(8, 9, 10, 11)
    if utc is None and sign is None and form.zone_required:
        raise NoTimeZone(f"{match.group(0)!r} has no time zone")
    if sign is not None and int(hours) * 60 + int(minutes or 0) >= 24 * 60:
        raise InvalidTime("the offset must be less than 24 hours")
    text = match.group(0)
    try:
        # every text of the forms is one that Python's ISO 8601 reader reads, but for a lower-case z
        moment = datetime.fromisoformat(text[:-1] + "Z" if utc == "z" else text)
        return moment if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidTime(str(exc)) from None


def parse_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date (RFC 3339's ``full-date``)."""
    match = DATE_RE.fullmatch(text)
    if match is None:
        raise NotATime(f"{text!r} is not a date")
    return date_of(match)


def date_of(match: re.Match[str]) -> date:
    """The date of a match of :data:`DATE_RE`."""
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise InvalidTime(str(exc)) from None


def check_measured(moment: datetime, field: str) -> datetime:
    """``moment`` if it lies from :data:`EARLIEST` to :data:`LATEST`, else an InputError naming ``field``."""
    if moment.tzinfo is not None and not EARLIEST <= moment <= LATEST:
        raise InputError(f"{field}: {moment.isoformat()} is outside the years 0002 to 9998 that times here may take", field=field)
    return moment


def time_zone(name: str, field: str = "tz") -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Ho_Chi_Minh``), or an InputError naming ``field``."""
    shown = repr(name) if len(name) <= 80 else repr(name[:77] + "...")
    if len(name) > MAX_ZONE_NAME or not re.fullmatch(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", name, re.ASCII):
        raise InputError(f"{field}: {shown} is not an IANA time zone name such as Asia/Ho_Chi_Minh", field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(f"{field}: unknown time zone {shown}; use an IANA name such as Asia/Ho_Chi_Minh", field=field) from None
