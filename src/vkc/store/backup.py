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

import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from vkc.config import redact
from vkc.errors import ConflictError, FormatError, InputError, StoreError, VKCError, first_line
from vkc.store import audit, open_store
from vkc.store.base import Store
from vkc.store.dialect import POSTGRES, SQLITE, Conn

Backend = Literal["gpkg", "postgis"]
FORMAT = "vkc-backup"
#: the manifest layout this code writes and reads
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOADS: dict[Backend, str] = {"gpkg": "store.gpkg", "postgis": "store.pgdump"}
#: the prefix of the platform's own tables (collection names may not take it)
PLATFORM_PREFIX = "vkc_"
_CHUNK = 1 << 20
_RESTORE_LOCK = "vkc restore"


@dataclass(frozen=True)
class Payload:
    """The archive member holding the store: its name, size in bytes and SHA-256 (hex)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: ``manifest.json`` of the archive."""

    backend: Backend
    created: str  # ISO 8601, UTC
    vkc_version: str
    #: each component's schema version in the store backed up
    versions: dict[str, int]
    #: the audit trail in the payload, as :func:`vkc.store.audit.verify` found it
    audit_entries: int
    audit_head: str
    audit_intact: bool
    payload: Payload
    #: PostGIS: the store's schema, the tables in the payload, the definitions of the functions their triggers call,
    #: and the tables of that schema left out because they are not the platform's
    schema: str | None = None
    tables: tuple[str, ...] = ()
    functions: dict[str, str] = field(default_factory=dict)
    left_out: tuple[str, ...] = ()
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        body: dict[str, Any] = {
            "format": FORMAT,
            "format_version": self.format_version,
            "vkc_version": self.vkc_version,
            "backend": self.backend,
            "created": self.created,
            "versions": self.versions,
            "audit": {"entries": self.audit_entries, "head": self.audit_head, "intact": self.audit_intact},
            "payload": {"name": self.payload.name, "size": self.payload.size, "sha256": self.payload.sha256},
        }
        if self.backend == "postgis":
            body["postgis"] = {
                "schema": self.schema, "tables": list(self.tables), "functions": self.functions, "left_out": list(self.left_out),
            }
        return orjson.dumps(body, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Manifest:
        """Read ``manifest.json``; a manifest that is not one this code reads is a FormatError naming ``where``."""
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise FormatError(f"{where} is not a vkc backup: its manifest is not JSON ({exc})", field="file") from exc
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise FormatError(f"{where} is not a vkc backup: its manifest does not say format {FORMAT!r}", field="file")
        version = body.get("format_version")
        if version != FORMAT_VERSION:
            raise FormatError(
                f"{where} is a backup of format {version!r}; this vkc reads format {FORMAT_VERSION} (restore it with the vkc that made it)",
                field="file",
            )
        backend = body.get("backend")
        if backend not in PAYLOADS:
            raise InputError(f"{where}: unknown backend {backend!r} in the manifest (known: {', '.join(PAYLOADS)})", field="file")
        try:
            trail, payload = body["audit"], body["payload"]
            pg = body.get("postgis") or {}
            manifest = cls(
                backend=backend,
                created=str(body["created"]),
                vkc_version=str(body["vkc_version"]),
                versions={str(k): int(v) for k, v in body["versions"].items()},
                audit_entries=int(trail["entries"]),
                audit_head=str(trail["head"]),
                audit_intact=bool(trail["intact"]),
                payload=Payload(str(payload["name"]), int(payload["size"]), str(payload["sha256"])),
                schema=None if pg.get("schema") is None else str(pg["schema"]),
                tables=tuple(str(t) for t in pg.get("tables", ())),
                functions={str(k): str(v) for k, v in pg.get("functions", {}).items()},
                left_out=tuple(str(t) for t in pg.get("left_out", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FormatError(f"{where} is not a complete vkc backup: its manifest lacks or misspells {exc}", field="file") from exc
        if "/" in manifest.payload.name or manifest.payload.name in ("", ".", "..", MANIFEST):
            raise FormatError(f"{where}: the manifest names an impossible payload {manifest.payload.name!r}", field="file")
        if manifest.backend == "postgis" and not manifest.schema:
            raise FormatError(f"{where}: the manifest of a PostGIS backup names no schema", field="file")
        return manifest


# -- backup ------------------------------------------------------------------------------------


def backup(store_or_url: Store | str | os.PathLike[str], output_path: str | os.PathLike[str]) -> Manifest:
    """Write a backup of the store (a Store, or where one is) to ``output_path``, which must not exist; returns its manifest.

    Consistent while others write: the payload is one moment of the store, and the manifest's audit trail is that moment's.
    """
    output = Path(output_path)
    if output.exists():
        raise ConflictError(f"{output} exists already: choose another name for the backup, or remove that file", field="output")
    if not output.parent.is_dir():
        raise InputError(f"cannot write {output}: folder {output.parent} does not exist", field="output")
    with _disk_errors(f"cannot write the backup {output}"):
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
            verdict = _copy_gpkg(store.path, payload)
            manifest = _manifest("gpkg", store.versions, verdict, payload)
        elif isinstance(store, PostGISStore):
            payload = Path(work) / PAYLOADS["postgis"]
            dump = _dump_postgis(store, payload)
            manifest = _manifest(
                "postgis", store.versions, dump.verdict, payload,
                schema=dump.schema, tables=dump.tables, functions=dump.functions, left_out=dump.left_out,
            )
        else:
            raise InputError(f"unknown backend: cannot back up a {type(store).__name__}", field="db")
        archive = Path(work) / "backup.tar"
        _write_archive(archive, manifest, payload)
        _link_into_place(archive, output, what="the backup", option="output")
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
        payload=Payload(payload.name, payload.stat().st_size, _sha256(payload)),
        **postgis,
    )


def _copy_gpkg(path: str, payload: Path) -> audit.Verdict:
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


@dataclass(frozen=True)
class _Dump:
    """What ``pg_dump`` wrote and what the snapshot it read showed."""

    verdict: audit.Verdict
    schema: str
    tables: tuple[str, ...]
    functions: dict[str, str]
    left_out: tuple[str, ...]


def _dump_postgis(store: Store, payload: Path) -> _Dump:
    """``pg_dump`` the platform's tables into ``payload`` in one snapshot, the one the audit trail is verified in."""
    pg_dump = pg_tool("pg_dump")
    try:
        with psycopg.connect(store.url, connect_timeout=10) as raw:
            raw.isolation_level, raw.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True  # one snapshot for every statement
            snapshot = _one(raw, "SELECT pg_export_snapshot()")
            schema = _one(raw, "SELECT current_schema()")
            tables, left_out = platform_tables(raw, store)
            if not tables:
                raise StoreError(f"{redact(store.url)} holds no platform tables in schema {schema}: nothing to back up")
            verdict = audit.verify(Conn(raw, POSTGRES))
            functions = _trigger_functions(raw, schema, tables)
            args = [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--file", str(payload)]
            for name in tables:
                args += ["--table", f"{_pattern(schema)}.{_pattern(name)}"]
            _run(args, store.url, "pg_dump")  # while the snapshot's transaction is open
            raw.rollback()
    except psycopg.Error as exc:
        raise StoreError(f"cannot back up {redact(store.url)}: {first_line(exc)}") from exc
    return _Dump(verdict, schema, tables, functions, left_out)


def platform_tables(raw: psycopg.Connection[Any], store: Store) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tables and sequences of the store's schema that the platform owns, and those it does not.

    The platform's are the kernel's (named ``vkc_…``), the tables the store's components declare, each
    collection's table, and the partitions of any of them; sequences go with the table that owns them.
    Objects of extensions (PostGIS's ``spatial_ref_sys``) are neither.
    """
    declared = {t.name for c in store.components for t in c.tables}
    collections = {r[0] for r in raw.execute("SELECT name FROM vkc_collections")} if _exists(raw, "vkc_collections") else set()

    def owned(name: str | None) -> bool:
        return name is not None and (name.startswith(PLATFORM_PREFIX) or name in declared or name in collections)

    rows = raw.execute(
        """SELECT c.relname, root.relname, owner.relname
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_class root ON root.oid = pg_partition_root(c.oid)
           LEFT JOIN pg_depend d ON c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid
                AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
           LEFT JOIN pg_class owner ON owner.oid = d.refobjid
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S')
             AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
           ORDER BY c.relname"""
    ).fetchall()
    mine = tuple(dict.fromkeys(name for name, root, owner in rows if owned(name) or owned(root) or owned(owner)))
    others = tuple(dict.fromkeys(name for name, _, _ in rows if name not in set(mine)))
    return mine, others


def _trigger_functions(raw: psycopg.Connection[Any], schema: str, tables: Sequence[str]) -> dict[str, str]:
    """The definitions of the functions the tables' triggers call (``pg_dump --table`` leaves them out), by signature."""
    rows = raw.execute(
        """SELECT DISTINCT
                  quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                  pg_get_functiondef(p.oid)
           FROM pg_trigger t
           JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace cn ON cn.oid = c.relnamespace
           JOIN pg_proc p ON p.oid = t.tgfoid
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE cn.nspname = %s AND c.relname = ANY(%s) AND NOT t.tgisinternal
             AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')""",
        (schema, list(tables)),
    ).fetchall()
    return {str(signature): str(definition) for signature, definition in sorted(rows)}


def _write_archive(archive: Path, manifest: Manifest, payload: Path) -> None:
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


# -- restore -----------------------------------------------------------------------------------


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """The manifest of the backup at ``path`` (the archive checked as far as its manifest, the payload not read)."""
    with _open_archive(Path(path)) as (_, manifest):
        return manifest


def restore(path: str | os.PathLike[str], target_url: str | os.PathLike[str]) -> Manifest:
    """Restore the backup at ``path`` into ``target_url``: a GeoPackage path that does not exist, or a database without platform tables.

    The archive and the payload's checksum are checked before the target is touched; the restored store is opened and
    its audit trail must verify as the manifest says, else what the restore made is removed. Returns the manifest.
    """
    source = Path(path)
    target = os.fspath(target_url)
    backend: Backend = "postgis" if target.startswith(("postgresql://", "postgres://")) else "gpkg"
    gpkg = _gpkg_target(target) if backend == "gpkg" else None  # refuses the URL of any other database
    with _open_archive(source) as (tar, manifest), _disk_errors(f"cannot restore {source}"):
        if manifest.backend != backend:
            wanted = "a .gpkg path" if manifest.backend == "gpkg" else "a postgresql:// URL"
            raise InputError(
                f"{source} is a {manifest.backend} backup: restore it to {wanted} (then `vkc store copy` moves it to the other backend)",
                field="db",
            )
        if gpkg is not None:
            _restore_gpkg(tar, manifest, source, gpkg)
        else:
            _restore_postgis(tar, manifest, source, target)
    return manifest


@contextmanager
def _open_archive(path: Path) -> Iterator[tuple[tarfile.TarFile, Manifest]]:
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


def _extract_payload(tar: tarfile.TarFile, manifest: Manifest, source: Path, dest: Path) -> None:
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


def _check_restored(url: str, manifest: Manifest) -> None:
    """Open the restored store (its migrations checked) and verify its audit trail against the manifest."""
    with open_store(url, create=False) as store, store.reading() as conn:
        verdict = audit.verify(conn)
    if (verdict.entries, verdict.head, verdict.intact) != (manifest.audit_entries, manifest.audit_head, manifest.audit_intact):
        raise StoreError(
            f"the restored audit trail is not the backup's: {verdict.entries} entries, head {verdict.head}"
            f"{'' if verdict.intact else ', broken'}; the manifest says {manifest.audit_entries} entries, head {manifest.audit_head}"
        )


# -- GeoPackage ------


def _gpkg_target(target: str) -> Path:
    from vkc.store import _sqlite_path

    return Path(_sqlite_path(target))


def _restore_gpkg(tar: tarfile.TarFile, manifest: Manifest, source: Path, target: Path) -> None:
    _refuse_existing_file(target)
    if not target.parent.is_dir():
        raise InputError(f"cannot restore into {target}: folder {target.parent} does not exist", field="db")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as work:
        restored = Path(work) / PAYLOADS["gpkg"]
        _extract_payload(tar, manifest, source, restored)
        try:
            _check_restored(str(restored), manifest)  # under the temporary name: the target appears only once checked
        except VKCError as exc:
            raise type(exc)(f"{exc.message}; nothing was restored, {target} was not created", **exc.detail) from exc
        _refuse_existing_file(target)
        _link_into_place(restored, target, what="the restored store", option="db")


def _refuse_existing_file(target: Path) -> None:
    for path in (target, Path(f"{target}-wal"), Path(f"{target}-journal")):
        if path.exists():
            raise ConflictError(f"{path} exists already: restore into a new file (a restore never overwrites a store)", field="db")


# -- PostGIS ------


@dataclass
class _Made:
    """What a PostGIS restore made in the target, so that it can be undone."""

    extension: bool = False
    functions: list[str] = field(default_factory=list)
    tables: tuple[str, ...] = ()


def _restore_postgis(tar: tarfile.TarFile, manifest: Manifest, source: Path, target: str) -> None:
    pg_restore = pg_tool("pg_restore")
    with tempfile.TemporaryDirectory(prefix="vkc-restore-") as work:
        payload = Path(work) / PAYLOADS["postgis"]
        _extract_payload(tar, manifest, source, payload)
        try:
            control = psycopg.connect(target, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {redact(target)}: {first_line(exc)}") from exc
        with control:
            control.execute("SELECT pg_advisory_lock(hashtext(%s))", (_RESTORE_LOCK,))  # one restore at a time: no race past the checks
            made = _prepare_target(control, manifest, target)
            try:  # one transaction: all the tables and their rows, or none
                options = ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
                _run([pg_restore, *options, str(payload)], target, "pg_restore")
                made.tables = manifest.tables
                _check_restored(target, manifest)
            except BaseException as exc:
                undone = _undo(control, manifest, made)
                if isinstance(exc, VKCError):
                    raise type(exc)(f"{exc.message}; {undone}", **exc.detail) from exc
                exc.add_note(f"vkc restore: {undone}")
                raise


def _prepare_target(control: psycopg.Connection[Any], manifest: Manifest, target: str) -> _Made:
    """Refuse a target that holds platform tables or other functions of the same names; create PostGIS and the trigger functions."""
    from vkc.component import installed

    schema = manifest.schema
    if not _one(control, "SELECT to_regnamespace(%s) IS NOT NULL", (schema,)):
        raise InputError(f"{redact(target)} has no schema {schema}, the schema the backup was taken from: create it first", field="db")
    declared = [t.name for c in installed() for t in c.tables]
    present = [
        r[0]
        for r in control.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'S', 'v', 'm') AND (c.relname = ANY(%s) OR starts_with(c.relname, %s)) "
            "ORDER BY c.relname",
            (schema, [*manifest.tables, *declared], PLATFORM_PREFIX),
        )
    ]
    if present:
        shown = ", ".join(present[:5]) + (f" and {len(present) - 5} more" if len(present) > 5 else "")
        raise ConflictError(
            f"the target {redact(target)} is not empty: it holds platform tables ({shown}); "
            "restore into a database without them (a restore never overwrites data)",
            field="db",
        )
    made = _Made()
    with control.transaction():
        made.extension = not _one(control, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')")
        try:
            control.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            raise StoreError(f"cannot create the postgis extension in {redact(target)}: {first_line(exc)}") from exc
        for signature, definition in manifest.functions.items():
            if not definition.startswith(f"CREATE OR REPLACE FUNCTION {signature.split('(', 1)[0]}("):
                raise FormatError(f"the manifest's definition of {signature} is not the definition of a function", field="file")
            found = _one(control, "SELECT pg_get_functiondef(to_regprocedure(%s))", (signature,))
            if found is None:
                control.execute(definition.encode())
                made.functions.append(signature)
            elif found != definition:
                raise ConflictError(
                    f"the target {redact(target)} has a function {signature} of its own: restore into another database", field="db"
                )
    return made


def _undo(control: psycopg.Connection[Any], manifest: Manifest, made: _Made) -> str:
    """Drop what the restore made (tables, functions, the extension); returns what was done, or what was left and why."""
    schema = manifest.schema or "public"
    try:
        with control.transaction():
            kinds = dict(
                control.execute(
                    "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = %s AND c.relname = ANY(%s)",
                    (schema, list(made.tables)),
                ).fetchall()
            )
            tables = [sql.Identifier(schema, t) for t, kind in kinds.items() if kind != "S"]
            sequences = [sql.Identifier(schema, t) for t, kind in kinds.items() if kind == "S"]
            if tables:  # their own sequences, partitions and triggers go with them
                control.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.SQL(", ").join(tables)))
            if sequences:
                control.execute(sql.SQL("DROP SEQUENCE IF EXISTS {}").format(sql.SQL(", ").join(sequences)))
            for signature in made.functions:
                control.execute(sql.SQL("DROP FUNCTION IF EXISTS {}").format(sql.SQL(signature)))  # as the catalogue spelt it
            if made.extension:
                control.execute("DROP EXTENSION IF EXISTS postgis")
    except psycopg.Error as exc:
        left = [*(f"table {t}" for t in made.tables), *(f"function {f}" for f in made.functions)]
        left += ["extension postgis"] if made.extension else []
        return f"removing what the restore made failed ({first_line(exc)}): left {', '.join(left) or 'nothing'}"
    removed = [
        *(["the restored tables"] if made.tables else []),
        *(["the functions it created"] if made.functions else []),
        *(["the postgis extension it created"] if made.extension else []),
    ]
    if not removed:
        return "nothing was restored: the target is as it was"
    listed = removed[0] if len(removed) == 1 else f"{', '.join(removed[:-1])} and {removed[-1]}"
    return f"removed {listed}: the target is as it was"


# -- helpers -----------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program: the newest of Debian's ``/usr/lib/postgresql/<version>/bin``, else on PATH."""
    folders = Path("/usr/lib/postgresql").glob("*/bin")
    for folder in sorted(folders, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else -1, reverse=True):
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise StoreError(
            f"{name} is not installed: install the PostgreSQL client programs (Debian and Ubuntu: apt install postgresql-client), "
            "the same major version as the server or newer"
        )
    return found


def _run(args: list[str], url: str, program: str) -> None:
    """Run a PostgreSQL client program on ``url``; the password goes through the environment, never the command line."""
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    conninfo = make_conninfo("", **{k: v for k, v in params.items() if v is not None})
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password is not None else {})}
    done = subprocess.run([args[0], f"--dbname={conninfo}", *args[1:]], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = "; ".join(lines[:3]) or f"exit status {done.returncode}"
        raise StoreError(f"{program} failed on {redact(url)}: {reason}")


def _link_into_place(made: Path, dest: Path, *, what: str, option: str) -> None:
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
def _disk_errors(what: str) -> Iterator[None]:
    """Errors of the disk (full, read-only, not ours) as the platform's, naming ``what`` failed."""
    try:
        yield
    except OSError as exc:
        raise StoreError(f"{what}: {exc.strerror or exc}{f' ({exc.filename})' if exc.filename else ''}") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _one(conn: psycopg.Connection[Any], statement: str, params: Sequence[Any] = ()) -> Any:
    row = conn.execute(statement.encode(), params).fetchone()
    assert row is not None, "the statement returned no row"
    return row[0]


def _exists(conn: psycopg.Connection[Any], table: str) -> bool:
    return bool(_one(conn, "SELECT to_regclass(%s) IS NOT NULL", (table,)))


def _pattern(name: str) -> str:
    """``name`` as a pg_dump pattern matching exactly it (double quotes: no wildcards, case kept)."""
    return '"' + name.replace('"', '""') + '"'



__all__ = ["FORMAT_VERSION", "Manifest", "Payload", "backup", "pg_tool", "platform_tables", "read_manifest", "restore"]
