"""The one reader of RFC 3339 instants and dates (vkc.parsing.times)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from vkc.parsing import times
from vkc.parsing.times import DATA, RFC3339, Form, InvalidTime, NotATime, NoTimeZone, parse_date, parse_instant


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-31T10:00:00Z", utc(2024, 1, 31, 10)),
        ("2024-01-31t10:00:00z", utc(2024, 1, 31, 10)),
        ("2024-01-31T10:00:00.25Z", utc(2024, 1, 31, 10, 0, 0, 250000)),
        ("2024-01-31T10:00:00.123456789Z", utc(2024, 1, 31, 10, 0, 0, 123456)),  # cut, not rounded
        ("2024-01-31T10:00:00+07:00", utc(2024, 1, 31, 3)),
        ("2024-01-01T01:00:00-02:30", utc(2024, 1, 1, 3, 30)),
        ("2024-01-01T00:30:00+01:00", utc(2023, 12, 31, 23, 30)),
    ],
)
def test_rfc3339_instants_in_utc(text: str, expected: datetime) -> None:
    value = parse_instant(text)
    assert value == expected
    assert value.utcoffset() is not None and value.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-31",
        "2024-01-31 10:00:00Z",
        "2024-01-31T10:00Z",
        "2024-01-31T10:00:00+0700",
        "2024-01-31T10:00:00.Z",
        "x",
        "",
        " 2024-01-31T10:00:00Z",
    ],
)
def test_what_strict_rfc3339_refuses(text: str) -> None:
    with pytest.raises(NotATime):
        parse_instant(text)


def test_no_time_zone() -> None:
    with pytest.raises(NoTimeZone):
        parse_instant("2024-01-31T10:00:00")
    # the zone is missing before anything else is wrong
    with pytest.raises(NoTimeZone):
        parse_instant("2024-02-30T10:00:00")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-02-30T10:00:00Z", "day is out of range for month"),
        ("2024-01-31T25:00:00Z", "hour must be in 0..23"),
        ("2024-01-31T10:00:60Z", "second must be in 0..59"),
        ("0000-01-01T00:00:00Z", "year 0 is out of range"),
        ("2024-01-31T10:00:00+24:00", "the offset must be less than 24 hours"),
        ("2024-01-31T10:00:00-23:60", "the offset must be less than 24 hours"),
    ],
)
def test_invalid_moments_say_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidTime) as info:
        parse_instant(text)
    assert str(info.value) == reason


def test_a_moment_before_year_1_in_utc_is_invalid_not_a_crash() -> None:
    with pytest.raises(InvalidTime):
        parse_instant("0001-01-01T00:00:00+01:00")


def test_optional_seconds() -> None:
    form = Form(optional_seconds=True)
    assert parse_instant("2024-01-31T10:30Z", form) == utc(2024, 1, 31, 10, 30)
    assert parse_instant("2024-01-31T10:30:15.5Z", form) == utc(2024, 1, 31, 10, 30, 15, 500000)
    with pytest.raises(NotATime):
        parse_instant("2024-01-31T10:30.5Z", form)  # a fraction needs the seconds


def test_a_tokenizer_matches_a_form_at_a_position() -> None:
    form = Form(optional_seconds=True)
    text = "x eq 2024-01-31T10:30Z and"
    match = form.pattern.match(text, 5)
    assert match is not None and match.group(0) == "2024-01-31T10:30Z"
    assert times.instant_of(match, form) == utc(2024, 1, 31, 10, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-31 10:00:00+07:00", utc(2024, 1, 31, 3)),
        ("2024-01-31 08:00", datetime(2024, 1, 31, 8)),  # no zone: naive, for the caller to decide
        ("2024-01-31", datetime(2024, 1, 31)),
        ("2024-01-31T10:00:00+0700", utc(2024, 1, 31, 3)),
        ("2024-01-31T10:00:00+07", utc(2024, 1, 31, 3)),
        ("2024-01-31T10:00:00,5Z", utc(2024, 1, 31, 10, 0, 0, 500000)),
        ("2024-01-31T10:00:00z", utc(2024, 1, 31, 10)),
    ],
)
def test_the_data_form(text: str, expected: datetime) -> None:
    value = parse_instant(text, DATA)
    assert value == expected
    assert (value.tzinfo is None) is (expected.tzinfo is None)


@pytest.mark.parametrize(
    "text", ["2024-01-31_10:00:00Z", "2024-01-31T10Z", "20240131T100000Z", "2024-W05-3", "2024-01-31T10:00:00.Z", "2024-01-31T16:146Z"]
)
def test_what_the_data_form_refuses(text: str) -> None:
    with pytest.raises(NotATime):
        parse_instant(text, DATA)


def test_the_data_form_checks_the_values_before_the_zone() -> None:
    with pytest.raises(InvalidTime):
        parse_instant("2024-02-30 10:00", DATA)


def test_dates() -> None:
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    with pytest.raises(InvalidTime, match="day is out of range"):
        parse_date("2023-02-29")
    for text in ("2024-2-29", "2024-02-29T00:00:00Z", "20240229"):
        with pytest.raises(NotATime):
            parse_date(text)


def test_every_error_is_a_value_error() -> None:
    assert issubclass(times.TimeTextError, ValueError)
    for cls in (NotATime, NoTimeZone, InvalidTime):
        assert issubclass(cls, times.TimeTextError)
    assert RFC3339 == Form()
