"""``vkc aqi``: air quality indices (VN_AQI of Decision 1459/QĐ-TCMT, US EPA AQI 2024) from pollutant values."""

from __future__ import annotations

import json
import sys

import typer

from vkc import airquality
from vkc.errors import InputError

aqi_app = typer.Typer(help="Air quality index: VN_AQI (Decision 1459/QĐ-TCMT) or US EPA AQI (2024).", no_args_is_help=True)


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
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
