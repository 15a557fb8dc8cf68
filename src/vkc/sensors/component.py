"""The sensors component: stations and observations as the SensorThings model, ingest, aggregation, the SensorThings API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vkc.component import CommandLine, Component
from vkc.sensors import scopes
from vkc.sensors.schema import copy_tables, ddl
from vkc.sensors.sqlite_functions import register
from vkc.store.migrations import migration

#: the SensorThings tables, parents before children (what ``vkc store copy`` carries), declared from the entity model
TABLES = copy_tables()


def _routers() -> Sequence[Any]:
    from vkc.api.sta import router

    return [router]


def _cli(cl: CommandLine) -> None:
    from vkc.cli import sensors

    imports = cl.group("import")
    imports.command("stations")(sensors.import_stations)
    imports.command("observations")(sensors.import_observations)


COMPONENT = Component(
    name="sensors",
    summary="Stations and observations as the OGC SensorThings model; ingest; the SensorThings API 1.1 under /sta/v1.1",
    migrations=(migration(1, "SensorThings entities; observations keyed by datastream and time, by month in PostgreSQL", ddl),),
    sqlite_functions=register,
    routers=_routers,
    cli=_cli,
    scopes=(scopes.KIND,),
    tables=TABLES,
)
