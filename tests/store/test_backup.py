"""``vkc backup`` and ``vkc restore``: a whole store in one file and back, on both backends, while the server writes.

A store with features, records, SensorThings rows and an audit trail is
backed up and restored into a new store, which must hold the same and verify
as the manifest says. A backup taken while a thread keeps writing restores to
a store whose trail verifies and which holds every write acknowledged before
the backup began. A damaged, truncated or foreign file, an existing target
file and a PostgreSQL target that holds platform tables are refused, and the
target is left as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from vkc import auth
from vkc.errors import AuthenticationError, ConflictError, FormatError, InputError, StoreError, VKCError
from vkc.sensors.db import SensorDb
from vkc.sensors.ingest import ingest_rows
from vkc.sensors.observation_files import ObservationRow
from vkc.sensors.stations import upsert_stations
from vkc.store import Store, audit, open_store
from vkc.store.audit import Change
from vkc.store.backup import MANIFEST, backup, pg_tool, read_manifest, restore
from vkc.store.copy import component_tables

STATIONS = [
    {"id": "hn-1", "name": "HN", "geometry": {"type": "Point", "coordinates": [105.84, 21.03]}, "properties": {"city": "Hà Nội"}},
    {"id": "hcm-1", "name": "HCM", "geometry": {"type": "Point", "coordinates": [106.70, 10.78]}, "properties": {"city": "TP HCM"}},
]
JANUARY = datetime(2025, 1, 10, tzinfo=UTC)


@pytest.fixture
def new_target(backend: str, tmp_path: Path, request):
    """Makes targets to restore into: a .gpkg path that does not exist, or a new PostgreSQL database (with PostGIS)."""

    def make() -> str:
        if backend == "gpkg":
            return str(tmp_path / f"restored-{uuid.uuid4().hex[:8]}.gpkg")
        return request.getfixturevalue("pg_cluster").new_database()

    return make


def build(url: str) -> None:
    """Two collections, records of two kinds, stations with observations in two months, a token: each an audit entry."""
    from seeded_store import seed

    seed(url)
    with open_store(url) as store:
        db = SensorDb(store)
        with db.writing() as conn:
            upsert_stations(db, conn, STATIONS)
        times = [(s, JANUARY + timedelta(days=20 * h)) for s in ("hn-1", "hcm-1") for h in range(3)]  # January and February
        rows = [ObservationRow(i, s, "pm25", at, 50.0 + i, None) for i, (s, at) in enumerate(times, 1)]
        assert ingest_rows(store, rows).stored == len(rows)
        auth.create_token(store, "editor", name="gateway")
        for n in range(3):
            change = Change("local:test", "note.put", f"note:{n}", after={"n": n})
            store.put_record("note", str(n), {"n": n, "text": "Hoàn Kiếm"}, change=change)


def contents(store: Store) -> dict[str, Any]:
    """Everything a store holds that a restore must bring back: features, records, component rows, the audit trail."""
    found: dict[str, Any] = {}
    for coll in store.collections():
        found[f"collection {coll.name}"] = sorted(
            (f.id, f.properties, None if f.geometry is None else f.geometry.wkb, f.time, f.time_end) for f in store.features(coll.name)
        )
    for kind in store.record_kinds():
        found[f"records {kind}"] = store.records(kind)
    with store.reading() as conn:
        for table in component_tables(store):
            found[f"table {table.name}"] = [tuple(r) for r in conn.execute(f"SELECT * FROM {table.name} ORDER BY {', '.join(table.key)}")]
        found["audit"] = [e.json() for e in audit.entries(conn)]
    return found


def verdict(url: str) -> audit.Verdict:
    with open_store(url, create=False) as store, store.reading() as conn:
        return audit.verify(conn)


def platform_relations(url: str) -> list[str]:
    """The relations of a PostgreSQL database's public schema that are not PostGIS's."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
            "AND c.relkind IN ('r', 'p', 'S', 'v') AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') "
            "ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def state(target: str) -> object:
    """What is at a target now: a file's bytes (and its neighbours), or a database's relations and functions."""
    if target.startswith("postgresql"):
        with psycopg.connect(target) as conn:
            functions = [r[0] for r in conn.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'vkc%' ORDER BY 1")]
            extensions = [r[0] for r in conn.execute("SELECT extname FROM pg_extension ORDER BY 1")]
        return platform_relations(target), functions, extensions
    folder = Path(target).parent
    return sorted(p.name for p in folder.iterdir()), Path(target).read_bytes() if Path(target).exists() else None


def payload_offset(path: Path) -> tuple[int, int]:
    """Where the payload's bytes lie in the archive: (offset, size)."""
    with tarfile.open(path) as tar:
        member = next(m for m in tar.getmembers() if m.name != MANIFEST)
        return member.offset_data, member.size


def rewrite(path: Path, out: Path, payload: bytes | None = None, **changes: Any) -> Path:
    """A copy of the archive whose manifest has ``changes`` (dotted keys reach inside: ``audit.head``), and another payload if given.

    With another payload, the manifest's size and checksum are that payload's: the archive is whole, its store is not.
    """
    with tarfile.open(path) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    if payload is not None:
        members = [(m, payload if m.name != MANIFEST else data) for m, data in members]
        changes = {"payload.size": len(payload), "payload.sha256": hashlib.sha256(payload).hexdigest(), **changes}
    with tarfile.open(out, "w") as tar:
        for member, data in members:
            member.size = len(data)
            if member.name == MANIFEST:
                body = json.loads(data)
                for key, value in changes.items():
                    *parents, last = key.split(".")
                    node = body
                    for p in parents:
                        node = node[p]
                    node[last] = value
                data = json.dumps(body).encode()
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return out


# -- round trip ---------------------------------------------------------------------------------


def test_a_restored_store_holds_what_was_backed_up_and_verifies_alike(store_url: str, backend: str, new_target, tmp_path: Path) -> None:
    build(store_url)
    with open_store(store_url) as store:
        before = contents(store)
        versions = dict(store.versions)
    source = verdict(store_url)
    file = tmp_path / "city.vkcbak"
    made = backup(store_url, file)
    assert (made.backend, made.versions) == (backend, versions)
    assert (made.audit_entries, made.audit_head, made.audit_intact) == (source.entries, source.head, True)
    assert source.entries >= 4 and read_manifest(file) == made
    assert oct(file.stat().st_mode & 0o777) == "0o600"  # it holds token hashes
    if backend == "postgis":
        assert {"vkc_audit", "vkc_records", "places", "zones", "sta_observations", "sta_things"} <= set(made.tables)
        assert any(t.startswith("sta_observations_") and not t.endswith("_seq") for t in made.tables), "the partitions"
        assert "public.vkc_audit_append_only()" in made.functions
    target = new_target()
    assert restore(file, target) == made
    with open_store(target, create=False) as restored:
        assert contents(restored) == before
        # the restored store goes on: its trail grows from the same head, its numbers past the restored ones
        restored.put_record("note", "after", {"n": 9}, change=Change("local:test", "note.put", "note:after"))
        _, token = auth.create_token(restored, "editor", name="after the restore")
        assert auth.verify(restored, f"Bearer {token}").actor.startswith("token:")
    after = verdict(target)
    assert after.intact and after.entries == source.entries + 2


def test_postgis_restore_creates_the_extension_in_a_bare_database(pg_cluster, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    build(url)
    made = backup(url, tmp_path / "pg.vkcbak")
    name = "bare_" + uuid.uuid4().hex[:8]
    pg_cluster.psql("postgres", f"CREATE DATABASE {name}")  # from template1: no PostGIS
    restore(tmp_path / "pg.vkcbak", pg_cluster.url(name))
    found = verdict(pg_cluster.url(name))
    assert (found.entries, found.head) == (made.audit_entries, made.audit_head)


# -- while writing ------------------------------------------------------------------------------


def test_a_backup_taken_while_a_writer_goes_on_is_one_moment_of_the_store(store_url: str, new_target, tmp_path: Path) -> None:
    acknowledged: list[str] = []
    stop = threading.Event()
    failed: list[BaseException] = []
    with open_store(store_url, connections=2) as store:

        def write() -> None:
            n = 0
            try:
                while not stop.is_set():
                    key = f"w{n}"
                    store.put_record("write", key, {"n": n, "pad": "x" * 200}, change=Change("local:writer", "write.put", f"write:{key}"))
                    acknowledged.append(key)
                    n += 1
            except BaseException as exc:  # reported by the test, not lost in the thread
                failed.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        try:
            deadline = time.monotonic() + 60
            while len(acknowledged) < 50 and time.monotonic() < deadline and not failed:
                time.sleep(0.01)
            before = list(acknowledged)
            made = backup(store, tmp_path / "busy.vkcbak")
            during = len(acknowledged) - len(before)
            time.sleep(0.1)
        finally:
            stop.set()
            writer.join()
    assert not failed, failed
    assert len(before) >= 50 and during > 0, "the writer wrote while the backup was taken"
    target = new_target()
    restore(tmp_path / "busy.vkcbak", target)
    found = verdict(target)
    assert found.intact and (found.entries, found.head) == (made.audit_entries, made.audit_head)
    with open_store(target, create=False) as restored:
        keys = {k for k, _ in restored.records("write")}
    assert set(before) <= keys  # every write acknowledged before the backup began
    assert len(keys) == found.entries  # one moment: each record with its entry, no record without, no entry without
    assert len(keys) < len(acknowledged)  # and the writes after it are not in it


# -- refusals -----------------------------------------------------------------------------------


@pytest.fixture
def backed_up(store_url: str, tmp_path: Path) -> Path:
    build(store_url)
    file = tmp_path / "city.vkcbak"
    backup(store_url, file)
    return file


def test_a_damaged_or_truncated_backup_is_refused_before_the_target_is_touched(backed_up: Path, new_target, tmp_path: Path) -> None:
    offset, size = payload_offset(backed_up)
    data = bytearray(backed_up.read_bytes())
    data[offset + size // 2] ^= 0x01
    flipped = tmp_path / "flipped.vkcbak"
    flipped.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.vkcbak"
    truncated.write_bytes(backed_up.read_bytes()[: offset + size // 2])
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a tar archive at all")
    target = new_target()
    untouched = state(target)
    with pytest.raises(FormatError, match="damaged: its payload does not match the manifest's checksum"):
        restore(flipped, target)
    assert state(target) == untouched
    with pytest.raises(FormatError, match="not a complete"):
        restore(truncated, target)
    assert state(target) == untouched
    with pytest.raises(FormatError, match="is not a vkc backup"):
        restore(foreign, target)
    assert state(target) == untouched


def test_a_backup_whose_trail_does_not_restore_as_its_manifest_says_leaves_nothing(backed_up: Path, new_target, tmp_path: Path) -> None:
    wrong = rewrite(backed_up, tmp_path / "wrong-head.vkcbak", **{"audit.head": "f" * 64})
    target = new_target()
    untouched = state(target)
    with pytest.raises(StoreError, match="the restored audit trail is not the backup's") as caught:
        restore(wrong, target)
    assert state(target) == untouched
    assert "as it was" in str(caught.value) or "not created" in str(caught.value)


def test_a_whole_archive_whose_store_does_not_restore_leaves_nothing(backend: str, backed_up: Path, tmp_path: Path, request) -> None:
    broken = rewrite(backed_up, tmp_path / "broken.vkcbak", payload=b"\x00" * 4096)
    if backend == "gpkg":
        target = str(tmp_path / "never.gpkg")
        expected = "not created"
    else:  # a database without PostGIS: the restore creates the extension, and removes it again
        cluster = request.getfixturevalue("pg_cluster")
        name = "bare_" + uuid.uuid4().hex[:8]
        cluster.psql("postgres", f"CREATE DATABASE {name}")
        target, expected = cluster.url(name), "pg_restore failed"
    untouched = state(target)
    with pytest.raises(VKCError, match=expected) as caught:
        restore(broken, target)
    assert state(target) == untouched
    if backend == "postgis":
        assert "removed the functions it created and the postgis extension it created: the target is as it was" in str(caught.value)


def test_an_existing_target_file_is_refused_and_kept(tmp_path: Path) -> None:
    build(str(tmp_path / "city.gpkg"))
    backed_up = tmp_path / "city.vkcbak"
    backup(tmp_path / "city.gpkg", backed_up)
    target = tmp_path / "kept.gpkg"
    target.write_bytes(b"somebody's file")
    with pytest.raises(ConflictError, match="exists already"):
        restore(backed_up, target)
    assert target.read_bytes() == b"somebody's file"
    Path(f"{target}-wal").write_bytes(b"")  # a stale WAL beside a missing file would be read into the new one
    target.unlink()
    with pytest.raises(ConflictError, match="-wal exists already"):
        restore(backed_up, target)
    assert not target.exists()


def test_a_postgis_target_with_platform_tables_is_refused_and_its_data_kept(pg_cluster, tmp_path: Path) -> None:
    source = pg_cluster.new_database()
    build(source)
    backup(source, tmp_path / "pg.vkcbak")
    target = pg_cluster.new_database()
    with open_store(target) as store:  # an empty store is still a store: its tables are there
        store.put_record("mine", "k", {"keep": True}, change=Change("local:test", "mine.put", "mine:k"))
        before = contents(store)
    untouched = state(target)
    with pytest.raises(ConflictError, match="is not empty: it holds platform tables"):
        restore(tmp_path / "pg.vkcbak", target)
    assert state(target) == untouched
    with open_store(target) as store:
        assert contents(store) == before


def test_a_backup_goes_to_its_own_backend_only_and_never_over_a_file(store_url: str, backend: str, backed_up: Path, tmp_path: Path) -> None:
    other = "postgresql://nobody@127.0.0.1:1/none" if backend == "gpkg" else str(tmp_path / "other.gpkg")
    with pytest.raises(InputError, match=f"is a {backend} backup"):
        restore(backed_up, other)
    kept = backed_up.read_bytes()
    with pytest.raises(ConflictError, match="exists already"):
        backup(store_url, backed_up)
    assert backed_up.read_bytes() == kept
    with pytest.raises(InputError, match="no backup file"):
        restore(tmp_path / "missing.vkcbak", str(tmp_path / "x.gpkg"))
    unknown = rewrite(backed_up, tmp_path / "unknown.vkcbak", backend="oracle")
    with pytest.raises(InputError, match="unknown backend 'oracle'"):
        restore(unknown, str(tmp_path / "x.gpkg"))
    assert not (tmp_path / "x.gpkg").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file is left"


def test_a_missing_client_program_names_what_to_install() -> None:
    with pytest.raises(StoreError, match="pg_nonesuch is not installed: install the PostgreSQL client programs"):
        pg_tool("pg_nonesuch")


# -- the command line ---------------------------------------------------------------------------


def test_cli_prints_what_it_did_and_refuses_bad_input_with_exit_1(store_url: str, backend: str, new_target, vkc, tmp_path: Path) -> None:
    build(store_url)
    head = verdict(store_url)
    file = tmp_path / "cli.vkcbak"
    made = vkc(["backup", "--db", store_url, "-o", str(file)])
    assert made.returncode == 0, made.stderr
    assert f"({backend}) to {file}" in made.stdout and f"audit trail: {head.entries} entries; head {head.head}" in made.stdout
    target = new_target()
    done = vkc(["restore", str(file), "--db", target])
    assert done.returncode == 0, done.stderr
    assert f"restored {file} ({backend}," in done.stdout and f"head {head.head}, as in the backup" in done.stdout
    offset, size = payload_offset(file)
    data = bytearray(file.read_bytes())
    data[offset + size // 3] ^= 0xFF
    (tmp_path / "bad.vkcbak").write_bytes(bytes(data))
    (tmp_path / "notes.txt").write_text("not a backup")
    for args, message in (
        (["restore", str(tmp_path / "missing.vkcbak"), "--db", str(tmp_path / "a.gpkg")], "no backup file"),
        (["restore", str(tmp_path / "notes.txt"), "--db", str(tmp_path / "a.gpkg")], "is not a vkc backup"),
        (["restore", str(tmp_path / "bad.vkcbak"), "--db", new_target()], "does not match the manifest's checksum"),
        (["restore", str(file), "--db", target], "exists already" if backend == "gpkg" else "is not empty"),
        (["restore", str(rewrite(file, tmp_path / "odd.vkcbak", backend="oracle")), "--db", new_target()], "unknown backend 'oracle'"),
        (["backup", "--db", "mysql://db/city", "-o", str(tmp_path / "m.vkcbak")], "unsupported database URL"),
    ):
        r = vkc(args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert r.stderr.startswith("error: ") and message in r.stderr and r.stderr.count("error:") == 1, r.stderr
    assert os.path.exists(target) if backend == "gpkg" else platform_relations(target)


def test_a_restore_signs_everybody_out(store_url: str, new_target, tmp_path: Path) -> None:
    from vkc.auth import sessions, users

    build(store_url)
    with open_store(store_url) as store:
        users.add_user(store, "lan", password="a long enough passphrase")
        session = sessions.sign_in(store, "lan", "a long enough passphrase")
        sessions.session_grant(store, session.secret)  # valid in the store backed up
    file = tmp_path / "city.vkcbak"
    backup(store_url, file)
    target = new_target()
    restore(file, target)
    with open_store(target, create=False) as restored:
        assert restored.records(sessions.KIND) == [] and restored.get_record(users.KIND, "lan") is not None
        with pytest.raises(AuthenticationError):
            sessions.session_grant(restored, session.secret)
