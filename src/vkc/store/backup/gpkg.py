"""Backing up and restoring a GeoPackage store: SQLite's online backup API, a restore under a temporary name."""

from __future__ import annotations

import sqlite3
import tarfile
import tempfile
from pathlib import Path

from vkc.errors import ConflictError, InputError, StoreError, VKCError
from vkc.store import audit
from vkc.store.backup.files import extract_payload, link_into_place
from vkc.store.backup.manifest import PAYLOADS, Manifest, check_restored
from vkc.store.dialect import SQLITE, Conn


def copy_gpkg(path: str, payload: Path) -> audit.Verdict:
    """Copy the GeoPackage at ``path`` into ``payload`` through SQLite's online backup API; returns the copy's audit verdict."""
    source = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(payload)
        try:
            source.backup(copy)  # every page in one step: one read transaction, one moment of the file
            verdict = audit.verify(Conn(copy, SQLITE))
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot back up {path}: {exc}") from exc
    finally:
        source.close()
    return verdict


def gpkg_target(target: str) -> Path:
    from vkc.store import _sqlite_path

    return Path(_sqlite_path(target))


def restore_gpkg(tar: tarfile.TarFile, manifest: Manifest, source: Path, target: Path) -> None:
    _refuse_existing_file(target)
    if not target.parent.is_dir():
        raise InputError(f"cannot restore into {target}: folder {target.parent} does not exist", field="db")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as work:
        restored = Path(work) / PAYLOADS["gpkg"]
        extract_payload(tar, manifest, source, restored)
        try:
            check_restored(str(restored), manifest)  # under the temporary name: the target appears only once checked
        except VKCError as exc:
            raise type(exc)(f"{exc.message}; nothing was restored, {target} was not created", **exc.detail) from exc
        _refuse_existing_file(target)
        link_into_place(restored, target, what="the restored store", option="db")


def _refuse_existing_file(target: Path) -> None:
    for path in (target, Path(f"{target}-wal"), Path(f"{target}-journal")):
        if path.exists():
            raise ConflictError(f"{path} exists already: restore into a new file (a restore never overwrites a store)", field="db")
