"""``vkc index create|list|drop``: property indexes of a collection (see :mod:`vkc.store.indexes`)."""

from __future__ import annotations

import typer

from vkc.cli.common import DbOption, open_db, print_json
from vkc.permissions import LOCAL_ADMIN
from vkc.store.audit import Change


def create_index_command(
    collection: str = typer.Argument(..., help="The collection."),
    properties: list[str] = typer.Argument(..., help="One property, or several for a composite index (equality first, then range)."),
    db: DbOption = None,
) -> None:
    """Index properties that filters test (B-tree; composite when several): idempotent."""
    with open_db(db, create=False) as store, store.transaction() as tx:
        made = tx.create_index(collection, properties)
        if made:
            tx.record(Change(LOCAL_ADMIN.actor, "index.create", f"features:{collection}", after={"index": list(properties)}))
    typer.echo(f"{collection}: index on ({', '.join(properties)}) {'created' if made else 'exists already'}")


def list_indexes_command(
    collection: str | None = typer.Argument(None, help="The collection (default: every one)."),
    db: DbOption = None,
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The property indexes declared on each collection."""
    with open_db(db, create=False) as store:
        names = [collection] if collection else [c.name for c in store.collections(count=False)]
        found = {name: [list(p) for p in store.indexes(name)] for name in names}
    if json_out:
        print_json(found)
        return
    for name, listed in found.items():
        for properties in listed:
            typer.echo(f"{name}: {', '.join(properties)}")


def drop_index_command(
    collection: str = typer.Argument(..., help="The collection."),
    properties: list[str] = typer.Argument(..., help="The properties of the index, in its order."),
    db: DbOption = None,
) -> None:
    """Drop the index on exactly these properties (nothing to do if there is none)."""
    with open_db(db, create=False) as store, store.transaction() as tx:
        dropped = tx.drop_index(collection, properties)
        if dropped:
            tx.record(Change(LOCAL_ADMIN.actor, "index.drop", f"features:{collection}", before={"index": list(properties)}))
    typer.echo(f"{collection}: index on ({', '.join(properties)}) {'dropped' if dropped else 'was not there'}")
