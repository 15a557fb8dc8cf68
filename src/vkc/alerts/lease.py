"""Delivery leases: at most one worker at a time sends a subscription's events.

A worker (a ``vkc alerts run`` process, a server's alert task, a thread) has a
*holder* id of its own (:func:`new_holder`). Before it sends a subscription's
events it takes the subscription's lease in ``vkc_alert_leases``: one row per
subscription, naming the holder and when the lease runs out. The lease is taken
by one conditional statement, so two workers can never both win it::

    INSERT … ON CONFLICT (subscription_id) DO UPDATE … WHERE <the lease has run out, or is already ours>

and the row count says whether this worker won (on PostgreSQL the row is locked
and the condition judged on its latest version; on a GeoPackage file the
transaction holds the file's write lock). A worker renews its lease with a
conditional UPDATE (``WHERE holder = me``) and gives it back with a conditional
DELETE, so a lease another worker has taken over is never renewed or released
by the one that lost it.

A lease that is not renewed runs out after :data:`LEASE`: a worker that died
holding it stops no one for longer than that. The clock of expiry is the
database's where it has one (PostgreSQL's ``clock_timestamp()``), so servers
whose clocks disagree still agree on when a lease has run out; a GeoPackage
file is shared only by processes of one machine, whose clock it is.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

from vkc.sensors.db import Conn

#: How long a lease lasts unless renewed. A holder renews it after every event it sends, so it must outlast one
#: send: name resolution and the request's timeouts (:data:`vkc.alerts.delivery.TIMEOUT_SECONDS` for each of
#: connecting, writing and reading), with room to spare.
LEASE = timedelta(minutes=2)


def new_holder() -> str:
    """An id no other worker has: this machine, process and thread, and a random part (a thread may run workers one after another)."""
    return f"{socket.gethostname()}/{os.getpid()}/{threading.current_thread().name}/{uuid.uuid4().hex[:12]}"


def clock(conn: Conn) -> datetime:
    """The time leases are judged by: the database server's clock on PostgreSQL, this machine's for a GeoPackage file."""
    if conn.dialect.name == "postgres":
        (now,) = conn.execute("SELECT clock_timestamp()").fetchone()
        return now.astimezone(UTC)  # type: ignore[no-any-return]
    return datetime.now(UTC)


def claim(conn: Conn, subscription_id: int, holder: str, duration: timedelta = LEASE) -> bool:
    """Take the subscription's lease for ``duration`` if no one else holds it (or theirs has run out); whether it was taken.

    Holding it already, the holder renews it. Call it inside ``store.writing()``: the lease is held once that commits.
    """
    now = clock(conn)
    time_in = conn.dialect.time_in
    cur = conn.execute(
        "INSERT INTO vkc_alert_leases (subscription_id, holder, taken, expires) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (subscription_id) DO UPDATE SET holder = excluded.holder, taken = excluded.taken, expires = excluded.expires "
        "WHERE vkc_alert_leases.expires <= ? OR vkc_alert_leases.holder = excluded.holder",
        [subscription_id, holder, time_in(now), time_in(now + duration), time_in(now)],
    )
    return bool(cur.rowcount == 1)


def renew(conn: Conn, subscription_id: int, holder: str, duration: timedelta = LEASE) -> bool:
    """Extend the holder's lease to ``duration`` from now; False if it is no longer the holder's (taken over, or given back)."""
    cur = conn.execute(
        "UPDATE vkc_alert_leases SET expires = ? WHERE subscription_id = ? AND holder = ?",
        [conn.dialect.time_in(clock(conn) + duration), subscription_id, holder],
    )
    return bool(cur.rowcount == 1)


def release(conn: Conn, subscription_id: int, holder: str) -> None:
    """Give the lease back, if it is still the holder's, so that any worker may take it at once."""
    conn.execute("DELETE FROM vkc_alert_leases WHERE subscription_id = ? AND holder = ?", [subscription_id, holder])


def holders(conn: Conn) -> dict[int, tuple[str, datetime]]:
    """Every lease recorded: subscription id → (holder, expiry); run-out leases included until taken or given back."""
    rows = conn.execute("SELECT subscription_id, holder, expires FROM vkc_alert_leases ORDER BY subscription_id").fetchall()
    return {sid: (holder, conn.dialect.time_out(expires)) for sid, holder, expires in rows}  # type: ignore[misc]
