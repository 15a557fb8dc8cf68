"""Finding crossings: each subscription's stations, hour by hour, recorded once in the outbox.

For every active subscription and each station it watches, the hourly index
(:mod:`vkc.sensors.station_aqi`) of every hour after the last one looked at —
at most :data:`BACKLOG` back, so a late bulk import does not replay old news —
is compared with the threshold. A crossing is the index going above it
(``aqi.above``) or, after that, back to it or below (``aqi.below``). A
subscription starts below, so a station already above when the subscription
is made raises one event. An hour without an index (missing data) changes
nothing. Events are keyed by subscription, station, hour and kind, so finding
a crossing twice records it once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from vkc import admin
from vkc.alerts.subscriptions import listing
from vkc.sensors.db import Conn, SensorDb
from vkc.sensors.pollutant_series import HOUR, Station, stations
from vkc.sensors.read import format_time
from vkc.sensors.station_aqi import both_methods, hour_inputs, newest_hours, station_means

BACKLOG = timedelta(hours=24)


def _province(s: Station) -> str | None:
    geometry = s.geometry or {}
    if geometry.get("type") != "Point":
        return None
    unit = admin.locate(*geometry["coordinates"][:2])
    return None if unit is None else unit.gso_code


def _watches(condition: dict[str, Any], s: Station, provinces: dict[int, str | None]) -> bool:
    if "stations" in condition and s.key not in condition["stations"]:
        return False
    if "province" in condition:
        if s.thing_id not in provinces:
            provinces[s.thing_id] = _province(s)
        return provinces[s.thing_id] == condition["province"]
    return True


def _hours(last: datetime | None, newest: datetime) -> Iterator[datetime]:
    if last is None:
        yield newest
        return
    h = max(last + HOUR, newest - BACKLOG + HOUR)
    while h <= newest:
        yield h
        h += HOUR


def evaluate(db: SensorDb, *, at: datetime | None = None) -> int:
    """Record the crossings up to ``at`` (default now) of every active subscription; returns how many events were new."""
    subs = listing(db, active_only=True)
    if not subs:
        return 0
    at = at or datetime.now(UTC)
    new = 0
    with db.writing() as conn:
        db.advisory_lock(conn, "vkc alerts evaluate")  # one evaluation at a time, across processes
        found = stations(db, conn)
        newest = newest_hours(db, conn, found, at)
        state = {
            (sub, station): (db.time_out(last), bool(above))
            for sub, station, last, above in conn.execute("SELECT subscription_id, station, last_hour, above FROM vkc_alert_state").fetchall()
        }
        provinces: dict[int, str | None] = {}
        plans: list[tuple[dict[str, Any], Station, list[datetime]]] = []
        for sub in subs:
            for s in found:
                if s.thing_id in newest and _watches(sub["condition"], s, provinces):
                    last, _ = state.get((sub["id"], s.key), (None, False))
                    if hours := list(_hours(last, newest[s.thing_id])):
                        plans.append((sub, s, hours))
        first = {}
        for _, s, hours in plans:
            first[s.thing_id] = min(first.get(s.thing_id, hours[0]), hours[0])
        by_id = {s.thing_id: s for s in found}
        means = station_means(db, conn, [(by_id[t], h - 23 * HOUR, newest[t] + HOUR) for t, h in first.items()])
        indices: dict[tuple[int, datetime], dict[str, Any]] = {}
        for sub, s, hours in plans:
            above = state.get((sub["id"], s.key), (None, False))[1]
            for h in hours:
                if (s.thing_id, h) not in indices:
                    indices[(s.thing_id, h)] = both_methods("hour", hour_inputs(means[s.thing_id], h), advice=True)
                result = indices[(s.thing_id, h)][sub["condition"]["index"]]
                if result["aqi"] is None:
                    continue
                now_above = result["aqi"] > sub["condition"]["above"]
                if now_above != above:
                    new += _record(db, conn, sub, s, h, "above" if now_above else "below", result)
                    above = now_above
            _save_state(db, conn, sub["id"], s.key, hours[-1], above)
    return new


def _record(db: SensorDb, conn: Conn, sub: dict[str, Any], s: Station, hour: datetime, kind: str, result: dict[str, Any]) -> int:
    event_id = f"{sub['id']}-{s.key}-{hour:%Y%m%dT%H}Z-{kind}"
    payload = {
        "event": event_id,
        "type": f"aqi.{kind}",
        "subscription": sub["id"],
        "condition": sub["condition"],
        "station": {"id": s.key, "name": s.name, "city": s.properties.get("city"), "geometry": s.geometry},
        "time": format_time(hour),
        "threshold": sub["condition"]["above"],
        **{k: result[k] for k in ("aqi", "method", "dominant", "sub", "category", "advice")},
    }
    now = db.time_in(datetime.now(UTC))
    cur = conn.execute(
        "INSERT INTO vkc_alert_outbox (event_id, subscription_id, station, hour, kind, payload, created, attempts, next_attempt) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (event_id) DO NOTHING",
        [event_id, sub["id"], s.key, db.time_in(hour), kind, db.json_in(payload), now, now],
    )
    return cur.rowcount


def _save_state(db: SensorDb, conn: Conn, subscription_id: int, station: str, hour: datetime, above: bool) -> None:
    conn.execute(
        "INSERT INTO vkc_alert_state (subscription_id, station, last_hour, above) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (subscription_id, station) DO UPDATE SET last_hour = excluded.last_hour, above = excluded.above",
        [subscription_id, station, db.time_in(hour), above],
    )
