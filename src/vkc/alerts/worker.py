"""The alert loop: find crossings, then deliver what is due; again every ``interval`` seconds."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from vkc.alerts.delivery import DeliveryReport, deliver_due
from vkc.alerts.evaluate import evaluate
from vkc.sensors.db import SensorDb


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
