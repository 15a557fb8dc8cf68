"""The demo's sensor data: the real monitoring stations as SensorThings Things, with a synthetic year of hourly values.

The stations (ids, names, places, operators, sources) are real; every value
is synthetic (:mod:`vkc.demo.air_observations`, fixed seed), and each
Datastream says so in its properties. Loading twice changes nothing: stations
are keyed by their id and observations by (Datastream, hour).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from typing import Any, NamedTuple

from vkc.demo.air_observations import DEFAULT_SEED, SYNTHETIC_NOTE, synthetic_observations
from vkc.permissions import LOCAL_ADMIN
from vkc.sensors import qc
from vkc.sensors.db import SensorDb
from vkc.sensors.ingest import IngestReport, ingest_rows
from vkc.sensors.observation_files import ObservationRow
from vkc.sensors.stations import station_features, upsert_stations
from vkc.store.audit import Change, append

#: The demo year: 2025 in local time (Asia/Ho_Chi_Minh, UTC+7), from 2024-12-31 17:00 UTC.
YEAR_START = datetime(2024, 12, 31, 17, tzinfo=UTC)
YEAR_HOURS = 365 * 24


def _rows(stations: list[dict[str, Any]], start: datetime, hours: int, seed: int) -> Iterator[ObservationRow]:
    props = [s["properties"] for s in stations]
    for line, (station, key, time, value) in enumerate(synthetic_observations(props, start=start, hours=hours, seed=seed), start=1):
        verdict, reason = qc.check(key, value)
        yield ObservationRow(line, station, key, time, value, reason if verdict == "flagged" else None)


class AirDemo(NamedTuple):
    stations: int
    observations: IngestReport


def load_air_demo(store: Any, *, seed: int = DEFAULT_SEED, start: datetime = YEAR_START, hours: int = YEAR_HOURS) -> AirDemo:
    """Load the stations and ``hours`` hourly synthetic values from ``start``; mark every Datastream synthetic."""
    with resources.as_file(resources.files("vkc.data").joinpath("demo/aq_stations.geojson")) as path:
        stations = station_features(str(path))
    db = SensorDb(store)
    with db.writing() as conn:
        created, updated = upsert_stations(db, conn, stations)
        append(
            conn,
            Change(
                LOCAL_ADMIN.actor, "demo.load", "sensorthings:Things", after={"created": created, "updated": updated, "synthetic": False}
            ),
        )
    report = ingest_rows(store, _rows(stations, start, hours, seed), source="synthetic demo observations")
    marks = {"synthetic": True, "generator": "vkc.demo.air_observations", "seed": seed, "note": SYNTHETIC_NOTE}
    with db.writing() as conn:
        keys = [s["id"] for s in stations]
        rows = conn.execute(
            f"SELECT d.id, d.properties FROM sta_datastreams d JOIN sta_things t ON t.id = d.thing_id "
            f"WHERE t.external_id IN ({', '.join('?' * len(keys))})",
            keys,
        ).fetchall()
        for ds_id, properties in rows:
            merged = {**(db.json_out(properties) or {}), **marks}
            conn.execute("UPDATE sta_datastreams SET properties = ? WHERE id = ?", [db.json_in(merged), ds_id])
        append(conn, Change(LOCAL_ADMIN.actor, "demo.mark", "sensorthings:Datastreams", after={"datastreams": len(rows), **marks}))
    return AirDemo(len(stations), report)
