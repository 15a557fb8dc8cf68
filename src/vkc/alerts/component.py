"""The alerts component: webhook subscriptions to air quality index crossings, with an outbox delivered in order."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from vkc.alerts import scopes
from vkc.alerts.schema import ddl, lease_ddl, made_by_ddl
from vkc.component import CommandLine, Component
from vkc.store.migrations import migration
from vkc.store.tables import Table

#: the alert tables, parents before children (what ``vkc store copy`` carries; kinds as in :mod:`vkc.alerts.schema`).
#: Not the leases (``vkc_alert_leases``): a lease names a worker running on the source store, and copied it would
#: only keep the target's workers from its subscriptions until it expired; a copy starts with none held.
TABLES = (
    Table("vkc_alert_subscriptions", key=("id",), kinds={"condition": "json", "created": "time", "active": "boolean"}, serial="id"),
    Table("vkc_alert_state", key=("subscription_id", "station"), kinds={"last_hour": "time", "above": "boolean"}),
    Table(
        "vkc_alert_outbox",
        key=("id",),
        kinds={"hour": "time", "payload": "json", "created": "time", "next_attempt": "time", "delivered": "time"},
        serial="id",
    ),
)


def _routers() -> Sequence[Any]:
    from vkc.api.alerts import router

    return [router]


def _cli(cl: CommandLine) -> None:
    from vkc.cli import alerts

    cl.app.add_typer(alerts.alerts_app, name="alerts")


def _worker(store: Any, stop: threading.Event) -> None:
    from vkc.alerts.worker import run_until
    from vkc.sensors.db import SensorDb

    run_until(SensorDb(store), stop)


COMPONENT = Component(
    name="alerts",
    summary="Webhook subscriptions to air quality index crossings; events kept in an outbox, delivered with retries",
    requires=("sensors", "airquality"),
    migrations=(
        migration(1, "subscriptions, their state per station, the outbox of events", ddl),
        migration(2, "a delivery lease per subscription, so that two workers never send the same event", lease_ddl),
        migration(3, "who made each subscription", made_by_ddl),
    ),
    routers=_routers,
    cli=_cli,
    scopes=(scopes.KIND,),
    tables=TABLES,
    server_tasks=(("alert worker", _worker),),
)
