"""Backups of a whole store in one file, taken while the server writes, and their restore.

A backup file is a tar archive of two members: ``manifest.json``, which says
what the backup is (:class:`Manifest`), and the payload, the store itself:

- **GeoPackage**: a copy of the file made by SQLite's online backup API from a
  fresh read connection (one read transaction, so one moment of the file, while
  the writer goes on in WAL mode);
- **PostGIS**: ``pg_dump --format=custom`` of the tables the platform owns in
  the store's schema (:func:`platform_tables`), all read in one snapshot, the
  snapshot in which the audit trail recorded in the manifest was read. The
  functions their triggers call (the audit trail's guard) cannot be named to
  ``pg_dump``: the manifest carries their definitions, and a restore creates
  them first.

The manifest names the backend, the vkc that wrote it, each component's schema
version, the audit trail's length and head digest, and the payload's name,
size and SHA-256. A restore checks all of it before it touches the target, and
after restoring opens the store (so its migrations are checked) and verifies
the trail against the manifest. A restore never overwrites: the target file
must not exist, the target database must hold no platform tables. Whatever
fails after the restore started is undone (the file removed, the restored
tables dropped), or the error says exactly what was left.

Files are written under a temporary name beside their destination and
linked into place when complete, so a half-written backup or store never
appears under the name asked for.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vkc.errors import ConflictError, InputError
from vkc.store import audit, open_store
from vkc.store.backup.files import disk_errors, link_into_place, open_archive, sha256_of, write_archive
from vkc.store.backup.gpkg import copy_gpkg, gpkg_target, restore_gpkg
from vkc.store.backup.manifest import FORMAT_VERSION, MANIFEST, PAYLOADS, Backend, Manifest, Payload
from vkc.store.backup.postgis import dump_postgis, pg_tool, platform_tables, restore_postgis
from vkc.store.base import Store


def backup(store_or_url: Store | str | os.PathLike[str], output_path: str | os.PathLike[str]) -> Manifest:
    """Write a backup of the store (a Store, or where one is) to ``output_path``, which must not exist; returns its manifest.

    Consistent while others write: the payload is one moment of the store, and the manifest's audit trail is that moment's.
    """
    output = Path(output_path)
    if output.exists():
        raise ConflictError(f"{output} exists already: choose another name for the backup, or remove that file", field="output")
    if not output.parent.is_dir():
        raise InputError(f"cannot write {output}: folder {output.parent} does not exist", field="output")
    with disk_errors(f"cannot write the backup {output}"):
        if isinstance(store_or_url, Store):
            return _backup_store(store_or_url, output)
        with open_store(store_or_url, create=False) as store:
            return _backup_store(store, output)


def _backup_store(store: Store, output: Path) -> Manifest:
    from vkc.store.gpkg import GeoPackageStore
    from vkc.store.postgis import PostGISStore

    with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.") as work:
        if isinstance(store, GeoPackageStore):
            payload = Path(work) / PAYLOADS["gpkg"]
            verdict = copy_gpkg(store.path, payload)
            manifest = _manifest("gpkg", store.versions, verdict, payload)
        elif isinstance(store, PostGISStore):
            payload = Path(work) / PAYLOADS["postgis"]
            dump = dump_postgis(store, payload)
            manifest = _manifest(
                "postgis", store.versions, dump.verdict, payload,
                schema=dump.schema, tables=dump.tables, functions=dump.functions, left_out=dump.left_out,
            )
        else:
            raise InputError(f"unknown backend: cannot back up a {type(store).__name__}", field="db")
        archive = Path(work) / "backup.tar"
        write_archive(archive, manifest, payload)
        link_into_place(archive, output, what="the backup", option="output")
    return manifest


def _manifest(backend: Backend, versions: dict[str, int], verdict: audit.Verdict, payload: Path, **postgis: Any) -> Manifest:
    from vkc import __version__

    return Manifest(
        backend=backend,
        created=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        vkc_version=__version__,
        versions=dict(versions),
        audit_entries=verdict.entries,
        audit_head=verdict.head,
        audit_intact=verdict.intact,
        payload=Payload(payload.name, payload.stat().st_size, sha256_of(payload)),
        **postgis,
    )


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """The manifest of the backup at ``path`` (the archive checked as far as its manifest, the payload not read)."""
    with open_archive(Path(path)) as (_, manifest):
        return manifest


def restore(path: str | os.PathLike[str], target_url: str | os.PathLike[str]) -> Manifest:
    """Restore the backup at ``path`` into ``target_url``: a GeoPackage path that does not exist, or a database without platform tables.

    The archive and the payload's checksum are checked before the target is touched; the restored store is opened and
    its audit trail must verify as the manifest says, else what the restore made is removed. Returns the manifest.
    """
    source = Path(path)
    target = os.fspath(target_url)
    backend: Backend = "postgis" if target.startswith(("postgresql://", "postgres://")) else "gpkg"
    gpkg = gpkg_target(target) if backend == "gpkg" else None  # refuses the URL of any other database
    with open_archive(source) as (tar, manifest), disk_errors(f"cannot restore {source}"):
        if manifest.backend != backend:
            wanted = "a .gpkg path" if manifest.backend == "gpkg" else "a postgresql:// URL"
            raise InputError(
                f"{source} is a {manifest.backend} backup: restore it to {wanted} (then `vkc store copy` moves it to the other backend)",
                field="db",
            )
        if gpkg is not None:
            restore_gpkg(tar, manifest, source, gpkg)
        else:
            restore_postgis(tar, manifest, source, target)
    return manifest


__all__ = ["FORMAT_VERSION", "MANIFEST", "Manifest", "Payload", "backup", "pg_tool", "platform_tables", "read_manifest", "restore"]
