"""Delivering recorded events: in order per subscription, retried with exponential backoff, never dropped.

Each due event is POSTed as JSON to its subscription's URL with the headers
``X-VKC-Event`` (the event id, also the body's ``event``: the receiver's
idempotency key, see below) and ``X-VKC-Signature: sha256=<hex HMAC-SHA256 of
the body>``. A 2xx answer marks it delivered. Anything else — an error status,
a refused connection, a timeout — leaves it pending with its attempt counted,
the answer recorded, and the next attempt after 10 s, 20 s, 40 s, … at most an
hour. Until it goes through, the subscription's later events wait behind it,
so a receiver sees its events in the order they happened.

Every attempt checks the URL again and connects only to the address it
checked (:meth:`vkc.outbound.OutboundPolicy.post`): a name that has come to
resolve to an internal address is refused, recorded like any other failure,
and no redirect is followed.

**Several workers on one store** (two ``vkc alerts run``, two servers with the
alert task) share the work by subscription: a worker sends a subscription's
events only while it holds the subscription's lease (:mod:`vkc.alerts.lease`),
taken atomically in a transaction of its own, then reads the subscription's
pending events afresh. Each send happens outside any database transaction;
after it, one transaction records the outcome (``delivered`` is set only where
it is still unset) and renews the lease. A worker whose lease was taken over
stops before its next send, and gives back the leases it holds at the end of
its round. A subscription another worker holds is left to it.

**What remains: at least once, not exactly once.** The send and the record of
it cannot be one atomic step: the receiver is not in our transaction. A
worker that dies (or stalls past its lease) after the receiver has taken an
event and before the record commits leaves the event pending; when the lease
runs out (:data:`vkc.alerts.lease.LEASE`) the next holder sends it again. We
chose this over at most once (recording before sending), which would lose the
event instead. So a receiver may, rarely, see an event twice, never two
different events under one id: the event id (``X-VKC-Event``, the body's
``event``) is stable across attempts and workers, and a receiver that must act
once keeps the ids it has acted on and drops a repeat. With workers alive and
sends shorter than the lease, no event is sent twice.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from vkc.alerts import lease as leases
from vkc.errors import AddressRefused
from vkc.outbound import OutboundPolicy
from vkc.sensors.db import Conn, SensorDb

BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
TIMEOUT_SECONDS = 10.0
#: at most this many of a subscription's events in one holding of its lease (the rest: next round)
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
    #: subscriptions left to the other worker holding their lease (taken before this round, or during it)
    held: int = 0


_PENDING = (
    "SELECT o.subscription_id, o.next_attempt, "
    "(SELECT count(*) FROM vkc_alert_outbox p WHERE p.subscription_id = o.subscription_id AND p.delivered IS NULL), l.holder, l.expires "
    "FROM vkc_alert_outbox o JOIN vkc_alert_subscriptions s ON s.id = o.subscription_id "
    "LEFT JOIN vkc_alert_leases l ON l.subscription_id = o.subscription_id "
    "WHERE o.delivered IS NULL AND s.active "
    "AND o.id = (SELECT min(f.id) FROM vkc_alert_outbox f WHERE f.subscription_id = o.subscription_id AND f.delivered IS NULL) "
    "ORDER BY o.subscription_id"
)
_EVENTS = (
    "SELECT o.id, o.event_id, o.payload, o.next_attempt, o.attempts, s.url, s.secret "
    "FROM vkc_alert_outbox o JOIN vkc_alert_subscriptions s ON s.id = o.subscription_id "
    "WHERE o.subscription_id = ? AND o.delivered IS NULL AND s.active ORDER BY o.id LIMIT ?"
)


def deliver_due(
    db: SensorDb,
    client: httpx.Client,
    *,
    now: datetime | None = None,
    policy: OutboundPolicy | None = None,
    holder: str | None = None,
    lease: timedelta = leases.LEASE,
) -> DeliveryReport:
    """Send the events that are due at ``now`` (default: the clock) and record each outcome.

    ``policy`` says which addresses may be reached (default: the environment's, see :mod:`vkc.outbound`).
    ``holder`` names this worker in the leases it takes (default: a new id, see :func:`vkc.alerts.lease.new_holder`),
    each for ``lease`` and renewed after every send. ``now`` says which events are due; leases run out by the
    database's clock (:func:`vkc.alerts.lease.clock`).
    """
    now = now or datetime.now(UTC)
    policy = policy or OutboundPolicy.from_env()
    holder = holder or leases.new_holder()
    report = DeliveryReport()
    with db.reading() as conn:
        pending = conn.execute(_PENDING).fetchall()
        lease_now = leases.clock(conn)
    for subscription_id, next_attempt, count, held_by, expires in pending:
        if db.time_out(next_attempt) > now:  # type: ignore[operator]
            report.waiting += count  # the first is backing off; the others wait behind it
            continue
        if held_by not in (None, holder) and db.time_out(expires) > lease_now:  # type: ignore[operator]
            report.held += 1  # seen held: not worth a write to find out again
            continue
        with db.writing() as conn:
            if not leases.claim(conn, subscription_id, holder, lease):
                report.held += 1
                continue
            rows = conn.execute(_EVENTS, [subscription_id, BATCH]).fetchall()  # afresh: what an earlier holder sent is marked
        try:
            _deliver(db, client, policy, subscription_id, rows, now=now, holder=holder, lease=lease, report=report)
        finally:
            with db.writing() as conn:
                leases.release(conn, subscription_id, holder)
    return report


def _deliver(
    db: SensorDb,
    client: httpx.Client,
    policy: OutboundPolicy,
    subscription_id: int,
    rows: list[Any],
    *,
    now: datetime,
    holder: str,
    lease: timedelta,
    report: DeliveryReport,
) -> None:
    """Send one subscription's events in order while this worker holds its lease; stop at the first not due or failed."""
    for i, (row_id, event_id, payload, next_attempt, attempts, url, secret) in enumerate(rows):
        if db.time_out(next_attempt) > now:  # type: ignore[operator]
            report.waiting += len(rows) - i
            return
        status, error = _send(db, client, policy, url, secret, event_id, payload)  # no transaction open
        with db.writing() as conn:
            _record(db, conn, row_id, now, attempts, status, error)
            still_held = leases.renew(conn, subscription_id, holder, lease)
        if error is not None:
            report.failed += 1
            report.waiting += len(rows) - i - 1
            return
        report.delivered += 1
        if not still_held and i + 1 < len(rows):  # taken over: the rest are the new holder's
            report.held += 1
            return


def _send(db: SensorDb, client: httpx.Client, policy: OutboundPolicy, url: str, secret: str, event_id: str, payload: Any) -> tuple[int | None, str | None]:
    """POST one event; its HTTP status (None if no answer) and the error (None: delivered)."""
    body = orjson.dumps(db.json_out(payload))
    headers = {"Content-Type": "application/json", "X-VKC-Event": event_id, "X-VKC-Signature": signature(secret, body)}
    try:
        response = policy.post(client, url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except AddressRefused as exc:
        return None, f"not sent: {exc.message}"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    status = response.status_code
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def _record(db: SensorDb, conn: Conn, row_id: int, now: datetime, attempts: int, status: int | None, error: str | None) -> None:
    """The attempt's outcome, on an event no other worker has recorded as delivered meanwhile."""
    if error is None:
        conn.execute(
            "UPDATE vkc_alert_outbox SET delivered = ?, attempts = attempts + 1, last_status = ?, last_error = NULL "
            "WHERE id = ? AND delivered IS NULL",
            [db.time_in(now), status, row_id],
        )
        return
    conn.execute(
        "UPDATE vkc_alert_outbox SET attempts = attempts + 1, next_attempt = ?, last_status = ?, last_error = ? WHERE id = ? AND delivered IS NULL",
        [db.time_in(now + backoff(attempts + 1)), status, error[:500], row_id],
    )
