"""The alert loop: find crossings, then deliver what is due; again every ``interval`` seconds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from vkc.alerts.delivery import DeliveryReport, deliver_due
from vkc.alerts.evaluate import evaluate
from vkc.sensors.db import SensorDb

LOGGER = logging.getLogger(__name__)


def run(
    db: SensorDb,
    *,
    interval: float = 60.0,
    once: bool = False,
    stop: threading.Event | None = None,
    report: Callable[[int, DeliveryReport], None] | None = None,
) -> None:
    """Run rounds until ``stop`` is set (or one round with ``once``); ``report(new events, deliveries)`` after each."""
    stop = stop or threading.Event()
    with httpx.Client(headers={"User-Agent": "vkc-alerts"}) as client:
        while True:
            new = evaluate(db)
            delivered = deliver_due(db, client)
            if report is not None:
                report(new, delivered)
            if once or stop.wait(interval):
                return


def run_until(db: SensorDb, stop: threading.Event, *, interval: float = 60.0) -> None:
    """The server's alert loop: rounds every ``interval`` seconds until ``stop`` is set; a failed round is logged and retried."""
    while not stop.is_set():
        try:
            run(db, once=True)
        except Exception:  # a database or network fault must not end the loop; the next round retries
            LOGGER.exception("alert round failed; retrying in %.0f s", interval)
        stop.wait(interval)
