"""``vkc demo``: build the demo store and serve it."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from vkc.cli.common import DbOption, open_db
from vkc.config import Settings, resolve_database


def demo(
    db: DbOption = None,
    no_serve: bool = typer.Option(False, "--no-serve", help="Build the store and stop."),
    seed: int = typer.Option(2025, "--seed", help="Seed of the synthetic layers."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on."),
    port: int = typer.Option(8000, "--port", help="Port to serve on."),
    air_hours: int = typer.Option(
        365 * 24, "--air-hours", min=0, help="Hours of synthetic observations per station, from 2025-01-01 local time (0: none)."
    ),
) -> None:
    """Build a store with Vietnam's admin units, real stations and synthetic city layers; then serve it.

    The real air-quality stations also become SensorThings Things carrying a
    synthetic year of hourly pollutant values (marked synthetic).
    """
    from vkc.demo import build_demo
    from vkc.demo.air import load_air_demo

    with open_db(db) as store:
        counts = build_demo(store, seed=seed)
        collections = {c.name: c for c in store.collections()}
        air = load_air_demo(store, hours=air_hours)
    table = Table("collection", "features", "data")
    for name, count in counts.items():
        synthetic = collections[name].metadata.get("synthetic")
        table.add_row(name, f"{count:,}", "synthetic" if synthetic else "real")
    Console().print(table)
    typer.echo(
        f"SensorThings: {air.stations} real air-quality stations with {air.observations.stored:,} synthetic hourly observations "
        f"({air.observations.flagged} flagged by QC)"
    )
    if no_serve:
        return
    from vkc.web import run_server

    typer.echo(f"serving {resolve_database(db)} on http://{host}:{port}/ (Ctrl-C to stop)")
    run_server(Settings(database=resolve_database(db), host=host, port=port))
