"""Backing up and restoring a PostGIS store: ``pg_dump`` of the platform's tables in one snapshot, ``pg_restore`` in one transaction."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from vkc.config import redact
from vkc.errors import ConflictError, FormatError, InputError, StoreError, VKCError, first_line
from vkc.store import audit
from vkc.store.backup.files import extract_payload
from vkc.store.backup.manifest import PAYLOADS, Manifest, check_restored
from vkc.store.base import Store
from vkc.store.dialect import POSTGRES, Conn

#: the prefix of the platform's own tables (collection names may not take it)
PLATFORM_PREFIX = "vkc_"
_RESTORE_LOCK = "vkc restore"


@dataclass(frozen=True)
class Dump:
    """What ``pg_dump`` wrote and what the snapshot it read showed."""

    verdict: audit.Verdict
    schema: str
    tables: tuple[str, ...]
    functions: dict[str, str]
    left_out: tuple[str, ...]


def dump_postgis(store: Store, payload: Path) -> Dump:
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
    return Dump(verdict, schema, tables, functions, left_out)


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


@dataclass
class _Made:
    """What a PostGIS restore made in the target, so that it can be undone."""

    extension: bool = False
    functions: list[str] = field(default_factory=list)
    tables: tuple[str, ...] = ()


def restore_postgis(tar: tarfile.TarFile, manifest: Manifest, source: Path, target: str) -> None:
    pg_restore = pg_tool("pg_restore")
    with tempfile.TemporaryDirectory(prefix="vkc-restore-") as work:
        payload = Path(work) / PAYLOADS["postgis"]
        extract_payload(tar, manifest, source, payload)
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
                check_restored(target, manifest)
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


def _one(conn: psycopg.Connection[Any], statement: str, params: Sequence[Any] = ()) -> Any:
    row = conn.execute(statement.encode(), params).fetchone()
    assert row is not None, "the statement returned no row"
    return row[0]


def _exists(conn: psycopg.Connection[Any], table: str) -> bool:
    return bool(_one(conn, "SELECT to_regclass(%s) IS NOT NULL", (table,)))


def _pattern(name: str) -> str:
    """``name`` as a pg_dump pattern matching exactly it (double quotes: no wildcards, case kept)."""
    return '"' + name.replace('"', '""') + '"'
