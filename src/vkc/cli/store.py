"""``vkc store copy`` and ``vkc db upgrade``: moving data between backends, keeping the schema current."""

from __future__ import annotations

import typer

from vkc.cli.common import DbOption

store_app = typer.Typer(help="Whole-store operations.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@store_app.command("copy")
def copy(
    source: str = typer.Option(..., "--from", help="Store to read: a .gpkg path or postgresql://... URL."),
    target: str = typer.Option(..., "--to", help="Store to write (created if it is a new .gpkg)."),
    collection: list[str] | None = typer.Option(
        None, "--collection", "-c", help="Copy only these collections (and none of the other tables, nor the records)."
    ),
) -> None:
    """Copy a whole store into another, either direction: collections, SensorThings entities and observations,
    alert subscriptions and events, access tokens. Ids are kept, so a second copy replaces rather than doubles."""
    import time

    from vkc.store import open_store
    from vkc.store.copy import copy_store

    started = time.perf_counter()
    with open_store(source, create=False) as src, open_store(target) as dst:
        copied = copy_store(src, dst, collection or None)
    for line in copied.lines():
        typer.echo(line)
    typer.echo(f"copied in {time.perf_counter() - started:.1f} s")


@db_app.command("upgrade")
def upgrade(db: DbOption = None) -> None:
    """Bring the store's schema to this version of vkc (idempotent)."""
    from vkc.store import upgrade_store

    versions = upgrade_store(db)
    typer.echo("schema versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()))


def list_components(db: DbOption = None) -> None:
    """The installed components, and with --db the version of each one's tables in that store."""
    from vkc.component import installed

    versions: dict[str, int] = {}
    if db:
        from vkc.cli.common import open_db

        with open_db(db, create=False) as opened:
            versions = dict(opened.versions)
    for c in installed():
        stored = f"  tables v{versions.get(c.name, 0)}" if db and c.migrations else ""
        scopes = f"  scopes: {', '.join(str(k) for k in c.scopes)}" if c.scopes else ""
        typer.echo(f"{c.name:<11} {c.summary}{stored}{scopes}")
