"""The air quality component: VN_AQI and US AQI, from given values or from the stations' stored observations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vkc.component import CommandLine, Component


def _routers() -> Sequence[Any]:
    from vkc.api.sensors import router

    return [router]


def _cli(cl: CommandLine) -> None:
    from vkc.cli import aqi

    cl.app.add_typer(aqi.aqi_app, name="aqi")


COMPONENT = Component(
    name="airquality",
    summary="Air quality indices (VN_AQI per Decision 1459/QĐ-TCMT, US AQI) and time aggregation of stored observations under /api",
    requires=("sensors",),
    routers=_routers,
    cli=_cli,
)
