"""The audit trail: every change through the APIs and the CLI is an entry, chained so that an edit, a deletion or a cut shows."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from vkc import auth
from vkc.auth import users
from vkc.config import Settings
from vkc.errors import StoreError
from vkc.store import audit, open_store
from vkc.store.audit import Change
from vkc.web import create_app

ITEMS = "/ogc/collections/places/items"
POINT = {"type": "Point", "coordinates": [105.85, 21.03]}


def trail(url: str) -> list[dict]:
    with open_store(url) as store, store.reading() as conn:
        return [e.json() for e in audit.entries(conn)]


def verdict(url: str, head: str | None = None) -> audit.Verdict:
    with open_store(url) as store, store.reading() as conn:
        return audit.verify(conn, head=head)


def test_api_writes_are_entries_with_who_and_the_thing_before_and_after(seeded_url: str) -> None:
    with open_store(seeded_url) as store:
        users.add_user(store, "lan")
        users.grant(store, "lan", "editor", "collection:places")
        _, token = auth.create_user_token(store, "lan")
        machine_id, machine = auth.create_token(store, "editor", name="sensor gateway")
    start = len(trail(seeded_url))
    with TestClient(create_app(Settings(database=seeded_url))) as api:
        lan = {"Authorization": f"Bearer {token}"}
        r = api.post(ITEMS, json={"type": "Feature", "id": "a1", "geometry": POINT, "properties": {"name": "Hồ Gươm"}}, headers=lan)
        assert r.status_code == 201, r.text
        tag = r.headers["etag"]
        r = api.put(
            f"{ITEMS}/a1",
            json={"type": "Feature", "geometry": POINT, "properties": {"name": "Hồ Hoàn Kiếm"}},
            headers={**lan, "If-Match": tag},
        )
        assert r.status_code == 204, r.text
        assert api.delete(f"{ITEMS}/a1", headers={**lan, "If-Match": r.headers["etag"]}).status_code == 204
        # a refused write (the id exists) leaves no entry: the entry is in the write's transaction
        assert api.post(ITEMS, json={"type": "Feature", "id": "p01", "geometry": POINT, "properties": {}}, headers=lan).status_code == 409
        r = api.post(
            "/sta/v1.1/Things", json={"name": "Trạm Hoàn Kiếm", "description": "mast"}, headers={"Authorization": f"Bearer {machine}"}
        )
        assert r.status_code == 201, r.text
        thing = r.json()["@iot.id"]
        r = api.patch(f"/sta/v1.1/Things({thing})", json={"description": "roof"}, headers={"Authorization": f"Bearer {machine}"})
        assert r.status_code == 200, r.text
    entries = trail(seeded_url)[start:]
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("user:lan", "feature.create", "features:places/a1"),
        ("user:lan", "feature.replace", "features:places/a1"),
        ("user:lan", "feature.delete", "features:places/a1"),
        (f"token:{machine_id}", "sta.create", f"sensorthings:Things({thing})"),
        (f"token:{machine_id}", "sta.update", f"sensorthings:Things({thing})"),
    ]
    create, replace, delete, _, patch = entries
    assert create["before"] is None and create["after"]["properties"]["name"] == "Hồ Gươm" and create["after"]["geometry"] == POINT
    assert replace["before"]["properties"]["name"] == "Hồ Gươm" and replace["after"]["properties"]["name"] == "Hồ Hoàn Kiếm"
    assert delete["before"]["properties"]["name"] == "Hồ Hoàn Kiếm" and delete["after"] is None
    assert patch["before"]["description"] == "mast" and patch["after"]["description"] == "roof"
    assert verdict(seeded_url).intact


def test_cli_changes_are_entries_of_the_local_user_and_never_hold_secrets(vkc, tmp_path: Path) -> None:
    db = str(tmp_path / "cli.gpkg")
    parks = tmp_path / "parks.geojson"
    parks.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","id":"k1","geometry":{"type":"Point","coordinates":[105.8,21.0]},"properties":{}}]}'
    )
    for args, stdin in (
        (["import", "layer", str(parks), "--collection", "parks"], None),
        (["user", "add", "minh", "--password-stdin"], "a long enough passphrase\n"),
        (["user", "grant", "minh", "--role", "editor", "--collection", "parks"], None),
        (["token", "create", "--user", "minh"], None),
    ):
        r = vkc([*args, "--db", db], input=stdin)
        assert r.returncode == 0, r.stderr
    token = r.stdout.strip().split()[-1]
    listed = vkc(["audit", "list", "--db", db, "--json"])
    assert listed.returncode == 0, listed.stderr
    assert token not in listed.stdout and "argon2" not in listed.stdout  # neither the token nor a password hash
    entries = trail(db)
    assert [e["action"] for e in entries] == ["layer.import", "user.add", "user.grant", "token.create"]
    assert {e["actor"] for e in entries} == {audit_actor()}
    assert entries[0]["after"]["inserted"] == 1 and entries[0]["after"]["source"] == str(parks)
    assert entries[2]["after"]["grants"] == [{"role": "editor", "target": "collection:parks"}]
    checked = vkc(["audit", "verify", "--db", db])
    assert checked.returncode == 0 and checked.stdout.startswith("intact: 4 entries; head ")


def audit_actor() -> str:
    from vkc.permissions import local_actor

    return local_actor()


def _five_entries(url: str) -> None:
    with open_store(url) as store:
        for n in range(5):
            store.put_record("note", str(n), {"n": n}, change=Change("local:test", "note.put", f"note:{n}", after={"n": n}))


def test_the_trail_refuses_updates_and_deletes(store_url: str) -> None:
    _five_entries(store_url)
    with open_store(store_url) as store:
        for statement in (f"UPDATE {audit.TABLE} SET actor = 'someone else' WHERE seq = 2", f"DELETE FROM {audit.TABLE} WHERE seq = 5"):
            with pytest.raises(StoreError, match="append-only"), store.writing() as conn:
                conn.execute(statement)
    assert verdict(store_url).intact and verdict(store_url).entries == 5


def _tamper(url: str, statement: str) -> None:
    """What someone with the database in hand can do: switch the guards off, then change the table."""
    if url.startswith("postgresql"):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {audit.TABLE} DISABLE TRIGGER USER")
            conn.execute(statement)
    else:
        with sqlite3.connect(url) as conn:
            conn.execute("DROP TRIGGER vkc_audit_no_update")
            conn.execute("DROP TRIGGER vkc_audit_no_delete")
            conn.execute(statement)


@pytest.mark.parametrize(
    ("statement", "broken_at", "reason"),
    [
        (f"UPDATE {audit.TABLE} SET after = '{{\"n\":99}}' WHERE seq = 3", 3, "changed after it was written"),
        (f"UPDATE {audit.TABLE} SET actor = 'user:nobody' WHERE seq = 1", 1, "changed after it was written"),
        (f"DELETE FROM {audit.TABLE} WHERE seq = 2", 2, "missing"),
        (f"UPDATE {audit.TABLE} SET prev = hash WHERE seq = 4", 4, "does not follow"),
    ],
)
def test_an_edited_or_deleted_entry_breaks_the_chain_there(store_url: str, statement: str, broken_at: int, reason: str, vkc) -> None:
    _five_entries(store_url)
    _tamper(store_url, statement)
    found = verdict(store_url)
    assert not found.intact and found.broken_at == broken_at and reason in found.reason
    r = vkc(["audit", "verify", "--db", store_url])
    assert r.returncode == 1 and f"broken at entry {broken_at}" in r.stderr


def test_entries_cut_off_the_end_show_against_a_head_kept_elsewhere(store_url: str, vkc) -> None:
    _five_entries(store_url)
    head = verdict(store_url).head
    assert verdict(store_url, head).intact
    _tamper(store_url, f"DELETE FROM {audit.TABLE} WHERE seq >= 4")
    assert verdict(store_url).intact  # a shorter chain is a valid chain …
    cut = verdict(store_url, head)  # … but not one that holds the head reported before
    assert not cut.intact and "cut off" in cut.reason
    assert vkc(["audit", "verify", "--db", store_url, "--head", head]).returncode == 1


def test_concurrent_writers_make_one_chain_without_gaps(store_url: str) -> None:
    with open_store(store_url, connections=4) as store:

        def write(worker: int) -> None:
            for n in range(15):
                store.put_record("note", f"{worker}-{n}", {"n": n}, change=Change(f"local:w{worker}", "note.put", f"note:{worker}-{n}"))

        threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    found = verdict(store_url)
    assert found.intact and found.entries == 60


def test_api_audit_is_for_holders_of_audit_read_and_pages_newest_first(seeded_url: str) -> None:
    _five_entries(seeded_url)
    with open_store(seeded_url) as store:
        _, admin = auth.create_token(store, "admin")
        _, editor = auth.create_token(store, "editor")
        _, reader = auth.create_token(store, "editor", scopes=["audit:read"])
    with TestClient(create_app(Settings(database=seeded_url))) as api:
        assert api.get("/api/audit").status_code == 401
        denied = api.get("/api/audit", headers={"Authorization": f"Bearer {editor}"})
        assert denied.status_code == 403 and "audit:read" in denied.json()["detail"]
        for token in (admin, reader):
            page = api.get("/api/audit", params={"action": "note.", "limit": 2}, headers={"Authorization": f"Bearer {token}"})
            assert page.status_code == 200, page.text
            assert [e["target"] for e in page.json()["entries"]] == ["note:4", "note:3"]
        following = api.get(page.json()["links"][0]["href"], headers={"Authorization": f"Bearer {admin}"}).json()
        assert [e["target"] for e in following["entries"]] == ["note:2", "note:1"]
        assert (
            api.get("/api/audit", params={"since": "2026-01-01T00:00:00"}, headers={"Authorization": f"Bearer {admin}"}).status_code == 400
        )
        checked = api.get("/api/audit/verify", headers={"Authorization": f"Bearer {admin}"}).json()
        assert checked["intact"] and checked["entries"] >= 7  # the five, and the two tokens made


def test_the_document_describes_audit_entries_and_the_verdict(seeded_url: str) -> None:
    """The answers were declared as anything (schema {}); now the entries, the next link and the verdict have schemas they meet."""
    import jsonschema_rs  # the validator schemathesis checks answers with

    _five_entries(seeded_url)
    with open_store(seeded_url) as store:
        _, admin = auth.create_token(store, "admin")
    with TestClient(create_app(Settings(database=seeded_url))) as api:
        paths = api.get("/openapi.json").json()["paths"]
        for path, params in (("/api/audit", {"limit": 2}), ("/api/audit/verify", {})):
            answer = api.get(path, params=params, headers={"Authorization": f"Bearer {admin}"})
            schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            assert schema["required"], path
            jsonschema_rs.validate(schema, answer.json())
