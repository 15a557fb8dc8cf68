"""``vkc alerts``: webhook subscriptions to air quality index crossings, and the worker that delivers them."""

from __future__ import annotations

import typer

from vkc.alerts import subscriptions, worker
from vkc.alerts.delivery import DeliveryReport
from vkc.cli.common import DbOption, open_db, print_json
from vkc.sensors.db import SensorDb

alerts_app = typer.Typer(help="Air quality alerts: webhook subscriptions, crossings and their delivery.", no_args_is_help=True)


@alerts_app.command("subscribe")
def subscribe(
    url: str = typer.Argument(..., help="The webhook: events are POSTed here as JSON."),
    above: float = typer.Option(..., "--above", help="Threshold: an event when the hourly index goes above it, and when it comes back."),
    index: str = typer.Option("vn", "--index", help="vn (VN_AQI) or us (US EPA AQI)."),
    province: str | None = typer.Option(None, "--province", help="Only stations inside this province (GSO code of today's units, e.g. 01 for Hà Nội)."),
    station: list[str] = typer.Option([], "--station", help="Only this station (repeatable)."),
    description: str = typer.Option("", "--description", help="What the subscription is for."),
    db: DbOption = None,
) -> None:
    """Subscribe a webhook; prints the subscription with its signing secret (shown this once)."""
    condition: dict = {"index": index, "above": above}
    if province is not None:
        condition["province"] = province
    if station:
        condition["stations"] = station
    with open_db(db) as store:
        print_json(subscriptions.create(SensorDb(store), url, condition, description))


@alerts_app.command("list")
def list_subscriptions(db: DbOption = None) -> None:
    """Every subscription (without secrets)."""
    with open_db(db, create=False) as store:
        print_json(subscriptions.listing(SensorDb(store)))


@alerts_app.command("cancel")
def cancel(subscription_id: int = typer.Argument(..., help="The subscription's id."), db: DbOption = None) -> None:
    """Stop a subscription; its record and events stay."""
    with open_db(db, create=False) as store:
        print_json(subscriptions.cancel(SensorDb(store), subscription_id))


@alerts_app.command("events")
def events(
    subscription_id: int = typer.Argument(..., help="The subscription's id."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many, newest first."),
    db: DbOption = None,
) -> None:
    """A subscription's events and their delivery state."""
    with open_db(db, create=False) as store:
        print_json(subscriptions.deliveries(SensorDb(store), subscription_id, limit=limit))


@alerts_app.command("run")
def run(
    interval: float = typer.Option(60.0, "--interval", min=1.0, help="Seconds between rounds."),
    once: bool = typer.Option(False, "--once", help="One round, then stop."),
    db: DbOption = None,
) -> None:
    """Find crossings and deliver due events, every --interval seconds.

    Several workers may run on one store: each subscription's events are sent by one of them at a time (a lease).
    """

    def report(new: int, sent: DeliveryReport) -> None:
        held = f"; {sent.held} subscriptions held by another worker" if sent.held else ""
        typer.echo(f"{new} new events; {sent.delivered} delivered, {sent.failed} failed (will retry), {sent.waiting} waiting{held}")

    with open_db(db, create=False) as store:
        worker.run(SensorDb(store), interval=interval, once=once, report=report)
