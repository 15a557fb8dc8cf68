"""The backup file on disk: the tar archive written and read, payloads checked, files linked into place complete."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from vkc.errors import ConflictError, FormatError, InputError, StoreError
from vkc.store.backup.manifest import MANIFEST, Manifest

_CHUNK = 1 << 20


def write_archive(archive: Path, manifest: Manifest, payload: Path) -> None:
    """The tar archive, readable by its owner only: the manifest first, then the payload; flushed to disk."""
    body = manifest.to_json()
    with open(os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:  # it holds token and password hashes
        with tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(datetime.now(UTC).timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
            tar.add(payload, arcname=manifest.payload.name, recursive=False)
        fh.flush()
        os.fsync(fh.fileno())


@contextmanager
def open_archive(path: Path) -> Iterator[tuple[tarfile.TarFile, Manifest]]:
    if not path.is_file():
        raise InputError(f"no backup file {path}", field="file")
    try:
        with tarfile.open(path, mode="r:") as tar:
            try:
                member = tar.getmember(MANIFEST)
            except KeyError:
                raise FormatError(f"{path} is not a vkc backup: it holds no {MANIFEST}", field="file") from None
            reader = tar.extractfile(member) if member.isfile() else None
            if reader is None:
                raise FormatError(f"{path} is not a vkc backup: its {MANIFEST} is not a file", field="file")
            manifest = Manifest.from_json(reader.read(), str(path))
            yield tar, manifest
    except (tarfile.TarError, EOFError) as exc:
        raise FormatError(f"{path} is not a vkc backup, or not a complete one: {exc or type(exc).__name__}", field="file") from exc


def extract_payload(tar: tarfile.TarFile, manifest: Manifest, source: Path, dest: Path) -> None:
    """Write the payload to ``dest``, checking its size and SHA-256 against the manifest (``dest`` removed if they differ)."""
    try:
        member = tar.getmember(manifest.payload.name)
    except KeyError:
        raise FormatError(f"{source} is not a complete vkc backup: it lacks its payload {manifest.payload.name}", field="file") from None
    reader = tar.extractfile(member) if member.isfile() else None
    if reader is None:
        raise FormatError(f"{source}: its payload {manifest.payload.name} is not a file", field="file")
    digest, size = hashlib.sha256(), 0
    try:
        with reader, open(dest, "wb") as out:
            while chunk := reader.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
    except (tarfile.TarError, EOFError) as exc:
        dest.unlink(missing_ok=True)
        raise FormatError(f"{source} is not a complete vkc backup (truncated?): {exc or type(exc).__name__}", field="file") from exc
    if size != manifest.payload.size or digest.hexdigest() != manifest.payload.sha256:
        dest.unlink(missing_ok=True)
        raise FormatError(
            f"{source} is damaged: its payload does not match the manifest's checksum "
            f"({size} bytes, SHA-256 {digest.hexdigest()[:16]}…; the manifest says {manifest.payload.size} bytes, "
            f"{manifest.payload.sha256[:16]}…); nothing was restored",
            field="file",
        )


def link_into_place(made: Path, dest: Path, *, what: str, option: str) -> None:
    """Give the complete file ``made`` the name ``dest`` in one step, never replacing a file that appeared there meanwhile."""
    try:
        os.link(made, dest)
    except FileExistsError:
        raise ConflictError(f"{dest} appeared while {what} was written: it was left as it is", field=option) from None
    except OSError:  # a filesystem without hard links
        if dest.exists():
            raise ConflictError(f"{dest} appeared while {what} was written: it was left as it is", field=option) from None
        os.replace(made, dest)
    else:
        made.unlink()
    folder = os.open(dest.parent, os.O_RDONLY)
    try:  # the new name itself on disk
        os.fsync(folder)
    finally:
        os.close(folder)


@contextmanager
def disk_errors(what: str) -> Iterator[None]:
    """Errors of the disk (full, read-only, not ours) as the platform's, naming ``what`` failed."""
    try:
        yield
    except OSError as exc:
        raise StoreError(f"{what}: {exc.strerror or exc}{f' ({exc.filename})' if exc.filename else ''}") from exc


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
