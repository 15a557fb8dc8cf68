"""``vkc backup`` and ``vkc restore``: a whole store in one file and back (see :mod:`vkc.store.backup`)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from vkc.cli.common import DbOption
from vkc.config import redact, resolve_database


def backup(
    output: Path = typer.Option(..., "--output", "-o", help="The backup file to write (it must not exist)."),
    db: DbOption = None,
) -> None:
    """Write the store to one backup file, consistent while the server keeps writing: the store, its schema versions
    and its audit trail's length and head digest, with the checksum a restore checks."""
    from vkc.store.backup import backup as write_backup

    source = resolve_database(db)
    manifest = write_backup(source, output)
    typer.echo(f"backed up {redact(source)} ({manifest.backend}) to {output}: {_size(os.path.getsize(output))}")
    typer.echo(_trail(manifest.audit_entries, manifest.audit_head))
    if not manifest.audit_intact:
        typer.echo("warning: the store's audit trail is broken (vkc audit verify says where); the backup keeps it as it is", err=True)
    if manifest.left_out:
        typer.echo(f"left out, not the platform's: {', '.join(manifest.left_out)}")


def restore(
    file: Path = typer.Argument(..., help="A backup file written by vkc backup."),
    db: DbOption = None,
) -> None:
    """Restore a backup into a new store: a .gpkg path that does not exist, or a PostgreSQL database without platform
    tables. The checksum is checked first; the restored audit trail must be the backup's, else nothing is left."""
    from vkc.store.backup import restore as restore_backup

    target = resolve_database(db)
    manifest = restore_backup(file, target)
    typer.echo(
        f"restored {file} ({manifest.backend}, taken {manifest.created} by vkc {manifest.vkc_version}) into {redact(target)}: "
        f"{_size(manifest.payload.size)}"
    )
    typer.echo(_trail(manifest.audit_entries, manifest.audit_head) + ", as in the backup")


def _trail(entries: int, head: str) -> str:
    return f"audit trail: {entries} entries; head {head}"


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    value, unit = n / 1000, "kB"
    for bigger in ("MB", "GB", "TB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"
