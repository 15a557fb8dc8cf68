"""The pollutant Datastreams of monitoring stations and their hourly means, read in few queries.

A Datastream counts as a station's pollutant series when its ObservedProperty
is one of the six AQI pollutants (by the property's external id, as ``vkc
import observations`` makes it, or by its definition URI, for properties made
through SensorThings) and its unit is one :func:`vkc.sensors.parameters.factor`
knows; values are converted to µg/m³. When a station has two series of one
pollutant, the older Datastream (lower id) is used.

Hourly means are over UTC clock hours (local hours in Việt Nam, UTC+7). The
cost of :func:`hourly_means` grows with the number of series and hours asked
for, not with the observations stored: each series is read by a range scan
of the ``(datastream, phenomenon time)`` key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from vkc.errors import InputError, NotFoundError
from vkc.sensors.db import Conn, SensorDb
from vkc.sensors.parameters import OBSERVED_PROPERTY, POLLUTANTS, factor

HOUR = timedelta(hours=1)
_BY_DEFINITION = {OBSERVED_PROPERTY[p]["definition"]: p for p in POLLUTANTS}


@dataclass
class Station:
    """A Thing with pollutant Datastreams: ``series`` maps pollutant → (datastream id, scale to µg/m³)."""

    thing_id: int
    key: str
    name: str
    properties: dict[str, Any]
    series: dict[str, tuple[int, float]] = field(default_factory=dict)
    geometry: dict[str, Any] | None = None


def _pollutant(property_key: str | None, definition: str | None) -> str | None:
    if property_key in POLLUTANTS:
        return property_key
    return _BY_DEFINITION.get(definition or "")


def _scale(pollutant: str, unit: Any) -> float | None:
    symbol = unit.get("symbol") if isinstance(unit, dict) else None
    if not isinstance(symbol, str):
        return None
    try:
        key, scale, offset = factor(pollutant, symbol)
    except InputError:
        return None
    return scale if key == pollutant and offset == 0 else None


def stations(db: SensorDb, conn: Conn, key: str | None = None) -> list[Station]:
    """Every station with at least one pollutant series, or the one whose key (external id, else @iot.id) is ``key``."""
    where, params = "", []
    if key is not None:
        where = "WHERE t.external_id = ?" + (" OR (t.external_id IS NULL AND t.id = ?)" if key.isdigit() else "")
        params = [key, int(key)] if key.isdigit() else [key]
    rows = conn.execute(
        "SELECT t.id, coalesce(t.external_id, CAST(t.id AS TEXT)), t.name, t.properties, d.id, op.external_id, op.definition, "
        "d.unit_of_measurement FROM sta_things t JOIN sta_datastreams d ON d.thing_id = t.id "
        f"JOIN sta_observed_properties op ON op.id = d.observed_property_id {where} ORDER BY t.id, d.id",
        params,
    ).fetchall()
    found: dict[int, Station] = {}
    for thing_id, station_key, name, props, ds_id, op_key, definition, unit in rows:
        pollutant = _pollutant(op_key, definition)
        scale = None if pollutant is None else _scale(pollutant, db.json_out(unit))
        station = found.get(thing_id)
        if station is None:
            station = found[thing_id] = Station(thing_id, station_key, name, db.json_out(props) or {})
        if scale is not None and pollutant not in station.series:
            station.series[pollutant] = (ds_id, scale)
    out = [s for s in found.values() if s.series]
    if key is not None and not out:
        raise NotFoundError(f"no station {key!r} with pollutant Datastreams (PM2.5, PM10, O3, NO2, SO2 or CO)")
    _attach_locations(db, conn, out)
    return out


def _attach_locations(db: SensorDb, conn: Conn, found: list[Station]) -> None:
    if not found:
        return
    by_thing = {s.thing_id: s for s in found}
    marks = ", ".join("?" * len(by_thing))
    rows = conn.execute(
        f"SELECT tl.thing_id, {db.geometry_select('l.location')} FROM sta_thing_locations tl "
        f"JOIN sta_locations l ON l.id = tl.location_id WHERE tl.thing_id IN ({marks}) ORDER BY tl.location_id",
        list(by_thing),
    ).fetchall()
    for thing_id, geometry in rows:
        by_thing[thing_id].geometry = db.geometry_out(geometry)


def latest_times(db: SensorDb, conn: Conn, datastream_ids: Sequence[int], at: datetime) -> dict[int, datetime]:
    """The phenomenon time of each Datastream's newest observation at or before ``at`` (absent: none)."""
    if not datastream_ids:
        return {}
    marks = ", ".join("?" * len(datastream_ids))
    rows = conn.execute(
        "SELECT d.id, (SELECT max(o.phenomenon_time_start) FROM sta_observations o "
        "WHERE o.datastream_id = d.id AND o.phenomenon_time_start <= ? AND o.result_number IS NOT NULL) "
        f"FROM sta_datastreams d WHERE d.id IN ({marks})",
        [db.time_in(at), *datastream_ids],
    ).fetchall()
    return {ds: db.time_out(t) for ds, t in rows if t is not None}  # type: ignore[misc]


def hourly_means(db: SensorDb, conn: Conn, windows: Iterable[tuple[int, datetime, datetime]]) -> dict[int, dict[datetime, float]]:
    """Hourly means of each ``(datastream, start, end)`` window, by UTC hour start; hours without data are absent."""
    windows = list(windows)
    out: dict[int, dict[datetime, float]] = {ds: {} for ds, _, _ in windows}
    if not windows:
        return out
    if db.dialect == "postgres":
        params: list[Any] = [[w[0] for w in windows], [w[1] for w in windows], [w[2] for w in windows]]
    else:
        params = [orjson.dumps([[ds, db.time_in(t0), db.time_in(t1)] for ds, t0, t1 in windows]).decode()]
    rows = conn.execute(hourly_means_sql(db), params).fetchall()
    for ds, hour, mean in rows:
        out[ds][db.time_out(hour)] = mean  # type: ignore[index]
    return out


def hourly_means_sql(db: SensorDb) -> str:
    """The statement of :func:`hourly_means`: windows as three arrays (PostgreSQL) or one JSON list (SQLite)."""
    hour = db.hour_start_sql("o.phenomenon_time_start")
    in_window = "o.datastream_id = w.ds AND o.phenomenon_time_start >= w.t0 AND o.phenomenon_time_start < w.t1"
    if db.dialect == "postgres":
        # LATERAL: a key-range scan per window (pruned to its months), never a join over every partition
        return (
            "SELECT w.ds, m.h, m.mean FROM unnest(?::bigint[], ?::timestamptz[], ?::timestamptz[]) AS w(ds, t0, t1) "
            f"CROSS JOIN LATERAL (SELECT {hour} AS h, avg(o.result_number) AS mean FROM sta_observations o "
            f"WHERE {in_window} AND o.result_number IS NOT NULL GROUP BY 1) m"
        )
    return (
        "WITH w(ds, t0, t1) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') "
        f"FROM json_each(?)) SELECT w.ds, {hour}, avg(o.result_number) "
        f"FROM w CROSS JOIN sta_observations o ON {in_window} WHERE o.result_number IS NOT NULL GROUP BY 1, 2"
    )


def floor_hour(t: datetime) -> datetime:
    """The start of the UTC clock hour that holds ``t``."""
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
