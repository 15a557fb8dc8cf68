"""The alert loop: find crossings, then deliver what is due; again every ``interval`` seconds.

Several loops may run on one store (processes, servers, threads): evaluation
takes an advisory lock, and delivery shares the subscriptions out by lease
(:mod:`vkc.alerts.delivery`), each loop under a holder id of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from vkc.alerts.delivery import DeliveryReport, deliver_due
from vkc.alerts.evaluate import evaluate
from vkc.alerts.lease import new_holder
from vkc.sensors.db import SensorDb

LOGGER = logging.getLogger(__name__)


def run(
    db: SensorDb,
    *,
    interval: float = 60.0,
    once: bool = False,
    stop: threading.Event | None = None,
    report: Callable[[int, DeliveryReport], None] | None = None,
    holder: str | None = None,
) -> None:
    """Run rounds until ``stop`` is set (or one round with ``once``); ``report(new events, deliveries)`` after each.

    ``holder`` names this loop in the leases it takes (default: a new id, :func:`vkc.alerts.lease.new_holder`).
    """
    stop = stop or threading.Event()
    holder = holder or new_holder()
    with httpx.Client(headers={"User-Agent": "vkc-alerts"}) as client:
        while True:
            new = evaluate(db)
            delivered = deliver_due(db, client, holder=holder)
            if report is not None:
                report(new, delivered)
            if once or stop.wait(interval):
                return


def run_until(db: SensorDb, stop: threading.Event, *, interval: float = 60.0) -> None:
    """The server's alert loop: rounds every ``interval`` seconds until ``stop`` is set; a failed round is logged and retried."""
    holder = new_holder()
    while not stop.is_set():
        try:
            run(db, once=True, holder=holder)
        except Exception:  # a database or network fault must not end the loop; the next round retries
            LOGGER.exception("alert round failed; retrying in %.0f s", interval)
        stop.wait(interval)
