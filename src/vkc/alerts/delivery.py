"""Delivering recorded events: in order per subscription, retried with exponential backoff, never dropped.

Each due event is POSTed as JSON to its subscription's URL with the headers
``X-VKC-Event`` (the event id: a receiver that sees one twice may drop the
second) and ``X-VKC-Signature: sha256=<hex HMAC-SHA256 of the body>``. A 2xx
answer marks it delivered. Anything else — an error status, a refused
connection, a timeout — leaves it pending with its attempt counted, the
answer recorded, and the next attempt after 10 s, 20 s, 40 s, … at most an
hour. Until it goes through, the subscription's later events wait behind it,
so a receiver sees its events in the order they happened.

Every attempt checks the URL again and connects only to the address it
checked (:meth:`vkc.outbound.OutboundPolicy.post`): a name that has come to
resolve to an internal address is refused, recorded like any other failure,
and no redirect is followed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import orjson

from vkc.errors import AddressRefused
from vkc.outbound import OutboundPolicy
from vkc.sensors.db import SensorDb

BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
TIMEOUT_SECONDS = 10.0
BATCH = 1000


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return min(BASE_DELAY * 2 ** min(attempts - 1, 20), MAX_DELAY)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    waiting: int = 0


def deliver_due(db: SensorDb, client: httpx.Client, *, now: datetime | None = None, policy: OutboundPolicy | None = None) -> DeliveryReport:
    """Send the events that are due at ``now`` (default: the clock) and record each outcome.

    ``policy`` says which addresses may be reached (default: the environment's, see :mod:`vkc.outbound`).
    """
    now = now or datetime.now(UTC)
    policy = policy or OutboundPolicy.from_env()
    with db.reading() as conn:
        rows = conn.execute(
            "SELECT o.id, o.event_id, o.subscription_id, o.payload, o.next_attempt, o.attempts, s.url, s.secret "
            "FROM vkc_alert_outbox o JOIN vkc_alert_subscriptions s ON s.id = o.subscription_id "
            "WHERE o.delivered IS NULL AND s.active ORDER BY o.subscription_id, o.id LIMIT ?",
            [BATCH],
        ).fetchall()
    report = DeliveryReport()
    blocked: set[int] = set()
    for row_id, event_id, subscription_id, payload, next_attempt, attempts, url, secret in rows:
        if subscription_id in blocked or db.time_out(next_attempt) > now:  # type: ignore[operator]
            blocked.add(subscription_id)
            report.waiting += 1
            continue
        body = orjson.dumps(db.json_out(payload))
        headers = {"Content-Type": "application/json", "X-VKC-Event": event_id, "X-VKC-Signature": signature(secret, body)}
        status: int | None = None
        try:
            response = policy.post(client, url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
            status = response.status_code
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except AddressRefused as exc:
            error = f"not sent: {exc.message}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        with db.writing() as conn:
            if error is None:
                conn.execute(
                    "UPDATE vkc_alert_outbox SET delivered = ?, attempts = attempts + 1, last_status = ?, last_error = NULL WHERE id = ?",
                    [db.time_in(now), status, row_id],
                )
                report.delivered += 1
                continue
            conn.execute(
                "UPDATE vkc_alert_outbox SET attempts = attempts + 1, next_attempt = ?, last_status = ?, last_error = ? WHERE id = ?",
                [db.time_in(now + backoff(attempts + 1)), status, error[:500], row_id],
            )
        report.failed += 1
        blocked.add(subscription_id)
    return report
