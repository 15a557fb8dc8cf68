"""What every store command shares: the ``--db`` option and opening the store it names."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from vkc.config import resolve_database
from vkc.store import Store, open_store

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store: a .gpkg path or postgresql://... URL (default: $VKC_DATABASE_URL, else ./vkc.gpkg).",
        show_default=False,
    ),
]


def print_json(body: object) -> None:
    """``body`` as indented JSON on standard output, non-ASCII kept (Vietnamese names stay readable)."""
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


def open_db(db: str | None, *, create: bool = True) -> Store:
    return open_store(resolve_database(db), create=create)
