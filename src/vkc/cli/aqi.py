"""``vkc aqi``: air quality indices (VN_AQI of Decision 1459/QĐ-TCMT, US EPA AQI 2024) of a station or of given values.

``vkc aqi STATION`` is shorthand for ``vkc aqi station STATION``: a first
argument that is not a subcommand names a station.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, time, timedelta

import click
import typer
from typer.core import TyperGroup

from vkc import airquality
from vkc.cli.common import DbOption, open_db, print_json
from vkc.errors import InputError, NotFoundError
from vkc.parsing import times
from vkc.sensors import aggregate, station_aqi
from vkc.sensors.db import SensorDb
from vkc.sensors.write import parse_time


class _StationOrCommand(TyperGroup):
    """Reads ``vkc aqi X …`` as ``vkc aqi station X …`` when X is not a subcommand."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "station", self.commands["station"], args
        return super().resolve_command(ctx, args)


aqi_app = typer.Typer(
    cls=_StationOrCommand, help="Air quality index: VN_AQI (Decision 1459/QĐ-TCMT) beside the US EPA AQI (2024). "
    "'vkc aqi STATION [--date D]' gives a station's index from its observations; 'vkc aqi calc' computes one from given values.",
    no_args_is_help=True,
)


@aqi_app.command("station")
def station(
    station_id: str = typer.Argument(..., metavar="STATION", help="The station's id (its Thing's external id, or @iot.id)."),
    day: str | None = typer.Option(None, "--date", help="A local date (YYYY-MM-DD): that day's daily index instead of the latest hourly one."),
    at: str | None = typer.Option(None, "--at", help="ISO 8601 time with zone: the latest hourly index at or before it (default: now)."),
    tz: str = typer.Option(aggregate.DEFAULT_ZONE, "--tz", help="Time zone of --date."),
    db: DbOption = None,
) -> None:
    """The VN_AQI and US EPA AQI of a station, from its stored observations, as JSON."""
    with open_db(db, create=False) as store:
        sdb = SensorDb(store)
        if day is None:
            (entry,) = station_aqi.latest(sdb, at=parse_time(at, "--at") if at else None, station=station_id)
            if entry["time"] is None:
                raise NotFoundError(f"station {station_id!r} has no observation of a pollutant {'before ' + at if at else 'yet'}", station=station_id)
            print_json(entry)
            return
        try:
            d = times.parse_date(day)
        except times.TimeTextError:
            raise InputError(f"--date: {day!r} is not a date like 2025-01-31", field="date") from None
        local = aggregate.zone(tz)
        start = datetime.combine(d, time(), local).astimezone(UTC)
        result = station_aqi.daily(sdb, station_id, start, start + timedelta(hours=1), tz)
        (entry,) = result.pop("days")
        if not entry["vn"]["sub"] and not entry["us"]["sub"]:
            raise NotFoundError(
                f"station {station_id!r} has no daily index for {d.isoformat()} ({tz}): a pollutant's day needs at least "
                f"{aggregate.MIN_HOURS_PER_DAY} of its 24 hourly means",
                station=station_id,
            )
        print_json({key: result[key] for key in ("station", "name", "tz", "rule")} | entry)


def _keys_help() -> str:
    lines = []
    for (method, period), keys in airquality.KEYS.items():
        lines.append(f"\b\n--method {method} --period {period}:")
        lines.extend(f"  {key} ({airquality.unit(method, key)}): {text}" for key, text in keys.items())
    return "\n".join(lines)


CALC_HELP = f"""Read one JSON object of pollutant values on standard input; print the AQI as JSON.

VN takes every value in µg/m³. US takes PM in µg/m³ and gases in EPA's units: O3 and CO in ppm, SO2 and NO2 in ppb.

Hourly PM values are lists of the last 12 hourly means, newest first (null for a missing hour); the NowCast is computed from them. \
Absent or null values are left out; unknown keys, negative numbers and non-numbers are errors.

{_keys_help()}

\b
Example:
  echo '{{"pm25": [40, 38, 35], "o3": 120, "no2": 60}}' | vkc aqi calc --method vn --period hour
"""


@aqi_app.command("calc", help=CALC_HELP)
def calc(
    method: str = typer.Option("vn", "--method", help="vn (VN_AQI, Decision 1459/QĐ-TCMT) or us (US EPA AQI, 2024)."),
    period: str = typer.Option(
        "hour", "--period", help="hour (NowCast for PM, current hourly means) or day (24-hour means, daily maxima)."
    ),
) -> None:
    text = sys.stdin.read()
    try:
        inputs = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"standard input: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", field="stdin") from exc
    result = airquality.calc(method, period, inputs)
    print_json(result)
