"""What every store command shares: the ``--db`` option and opening the store it names."""

from __future__ import annotations

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


def open_db(db: str | None, *, create: bool = True) -> Store:
    return open_store(resolve_database(db), create=create)
