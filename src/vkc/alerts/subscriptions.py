"""Alert subscriptions: a webhook URL and a condition on the hourly air quality index.

A condition is a JSON object::

    {"index": "vn" | "us",         # VN_AQI (default) or US EPA AQI, hourly
     "above": 150,                 # a crossing is the index going from ≤ above to > above
     "province": "01",             # optional: stations inside this province (GSO code, today's units)
     "stations": ["hn-mttd-14"]}   # optional: only these stations

Every event is signed: ``X-VKC-Signature: sha256=<HMAC-SHA256 of the body with
the subscription's secret>``; the secret is shown once, when the subscription
is made.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from vkc import admin
from vkc.errors import InputError, NotFoundError
from vkc.outbound import OutboundPolicy
from vkc.permissions import LOCAL_ADMIN, Grant
from vkc.sensors.db import Conn, SensorDb
from vkc.sensors.read import format_time
from vkc.store.audit import Change, append

INDICES = ("vn", "us")
_CONDITION_KEYS = {"index", "above", "province", "stations"}


def check_condition(condition: Any) -> dict[str, Any]:
    """The condition with its defaults, or an InputError naming what is wrong."""
    if not isinstance(condition, dict):
        raise InputError("condition: expected a JSON object such as {\"index\": \"vn\", \"above\": 150}", field="condition")
    unknown = sorted(set(condition) - _CONDITION_KEYS)
    if unknown:
        raise InputError(f"condition: unknown {', '.join(unknown)}; a condition has {', '.join(sorted(_CONDITION_KEYS))}", field="condition")
    index = condition.get("index", "vn")
    if index not in INDICES:
        raise InputError(f"condition.index: must be one of {', '.join(INDICES)}, not {index!r}", field="condition.index")
    above = condition.get("above")
    if isinstance(above, bool) or not isinstance(above, int | float) or not 0 <= above <= 500:
        raise InputError(f"condition.above: expected an index value from 0 to 500, not {above!r}", field="condition.above")
    out: dict[str, Any] = {"index": index, "above": above}
    if (province := condition.get("province")) is not None:
        if not isinstance(province, str):
            raise InputError(f"condition.province: expected a GSO code such as \"01\", not {province!r}", field="condition.province")
        try:
            out["province"] = admin.get(province).gso_code
        except NotFoundError as exc:
            raise InputError(f"condition.province: {exc.message}", field="condition.province") from None
    if (stations := condition.get("stations")) is not None:
        if not isinstance(stations, list) or not stations or not all(isinstance(s, str) and s for s in stations):
            raise InputError("condition.stations: expected a non-empty list of station ids", field="condition.stations")
        out["stations"] = stations
    return out


def create(
    db: SensorDb, url: Any, condition: Any, description: str = "", *, policy: OutboundPolicy | None = None, by: Grant = LOCAL_ADMIN
) -> dict[str, Any]:
    """Store a subscription; the result is the only place its ``secret`` is shown.

    The URL must lead to public addresses only (or to networks ``policy`` allows;
    by default the policy of the environment, see :mod:`vkc.outbound`).
    """
    policy = policy or OutboundPolicy.from_env()
    condition = check_condition(condition)  # first: it needs no name resolved
    url = policy.check_url(url)
    if not isinstance(description, str):
        raise InputError("description: expected text", field="description")
    secret = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    with db.writing() as conn:
        (subscription_id,) = conn.execute(
            "INSERT INTO vkc_alert_subscriptions (url, condition, secret, description, created, active, made_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [url, db.json_in(condition), secret, description, db.time_in(now), True, by.actor],
        ).fetchone()
        created = _get(db, conn, subscription_id)
        append(conn, Change(by.actor, "alerts.subscribe", f"alerts:subscription/{subscription_id}", after=created))  # never the secret
        return {**created, "secret": secret}


_COLUMNS = "id, url, condition, description, created, active, made_by"


def _public(db: SensorDb, row: Any) -> dict[str, Any]:
    sid, url, condition, description, created, active, made_by = row
    return {
        "id": sid, "url": url, "condition": db.json_out(condition), "description": description,
        "created": format_time(db.time_out(created)), "active": bool(active), "made_by": made_by,
    }


def listing(db: SensorDb, *, active_only: bool = False, made_by: str | None = None) -> list[dict[str, Any]]:
    """The subscriptions (only the active ones, only those ``made_by`` an actor such as ``user:lan``, if asked), oldest first."""
    conditions, params = (["active"] if active_only else []), []
    if made_by is not None:
        conditions.append("made_by = ?")
        params.append(made_by)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    with db.reading() as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM vkc_alert_subscriptions{where} ORDER BY id", params).fetchall()
    return [_public(db, r) for r in rows]


def get(db: SensorDb, subscription_id: int) -> dict[str, Any]:
    with db.reading() as conn:
        return _get(db, conn, subscription_id)


def _get(db: SensorDb, conn: Conn, subscription_id: int) -> dict[str, Any]:
    row = conn.execute(f"SELECT {_COLUMNS} FROM vkc_alert_subscriptions WHERE id = ?", [subscription_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no alert subscription {subscription_id}")
    return _public(db, row)


def cancel(db: SensorDb, subscription_id: int, *, by: Grant = LOCAL_ADMIN) -> dict[str, Any]:
    """Stop a subscription; its recorded events stay, and undelivered ones are no longer sent."""
    with db.writing() as conn:
        before = _get(db, conn, subscription_id)
        conn.execute("UPDATE vkc_alert_subscriptions SET active = ? WHERE id = ?", [False, subscription_id])
        after = _get(db, conn, subscription_id)
        if before != after:
            append(conn, Change(by.actor, "alerts.cancel", f"alerts:subscription/{subscription_id}", before, after))
        return after


def deliveries(db: SensorDb, subscription_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
    """The subscription's recorded events, newest first, with their delivery state."""
    with db.reading() as conn:
        _get(db, conn, subscription_id)
        rows = conn.execute(
            "SELECT event_id, station, hour, kind, payload, created, attempts, next_attempt, delivered, last_status, last_error "
            "FROM vkc_alert_outbox WHERE subscription_id = ? ORDER BY id DESC LIMIT ?",
            [subscription_id, limit],
        ).fetchall()
    t = db.time_out
    return [
        {
            "event": event_id, "station": station, "hour": format_time(t(hour)), "kind": kind, "payload": db.json_out(payload),
            "created": format_time(t(created)), "attempts": attempts, "next_attempt": None if delivered else format_time(t(next_attempt)),
            "delivered": format_time(t(delivered)), "last_status": status, "last_error": error,
        }
        for event_id, station, hour, kind, payload, created, attempts, next_attempt, delivered, status, error in rows
    ]
