"""Migrations per component on both stores: new stores get every table, older ones must be upgraded, newer ones are refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import psycopg
import pytest

from vkc import auth
from vkc.component import Component, installed
from vkc.errors import StoreError
from vkc.permissions import features
from vkc.sensors.db import SensorDb
from vkc.store import open_store, postgis_schema, upgrade_store
from vkc.store.gpkg import GeoPackageStore
from vkc.store.migrations import Migration, Schema
from vkc.store.postgis import PostGISStore

FIXTURES = Path(__file__).parent / "fixtures"
LEGACY = FIXTURES / "store-0.1.0-d695fcd.gpkg"
LEGACY_TOKEN = "vkc_ef473488_uL8PFgSSDPSPgnoR04IURSjZPxYnnkrNuprTE9YaIUc"

#: the smallest component with tables of its own: the worked example of docs/architecture.md
NOTES = Component(
    name="notes",
    summary="Notes on collections",
    migrations=(
        Migration(1, "notes", postgres=("CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL)",), sqlite=("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",)),
    ),
)
NOTES_V2 = Component(
    name="notes",
    summary=NOTES.summary,
    migrations=(*NOTES.migrations, Migration(2, "authors", postgres=("ALTER TABLE notes ADD COLUMN author text",), sqlite=("ALTER TABLE notes ADD COLUMN author TEXT",))),
)


def _open(url: str, components, **kw):
    if url.startswith("postgresql://"):
        return PostGISStore(url, components=components, **kw)
    return GeoPackageStore(url, components=components, **kw)


def test_a_new_store_gets_every_component_at_its_version(store_url: str) -> None:
    with open_store(store_url) as store:
        expected = {"store": store.versions["store"], "audit": 1, **{c.name: c.version for c in installed() if c.migrations}}
        assert store.versions == expected
        assert store.versions["sensors"] == 1 and store.versions["alerts"] == 3
    assert upgrade_store(store_url) == expected  # idempotent


def test_a_component_plugs_in_migrates_and_is_refused_when_behind_or_ahead(store_url: str) -> None:
    components = (*installed(), NOTES)
    with _open(store_url, components) as store:
        with store.writing() as conn:
            conn.execute("INSERT INTO notes (id, body) VALUES (?, ?)", (1, "Hồ Hoàn Kiếm"))
        assert store.versions["notes"] == 1
    newer = (*installed(), NOTES_V2)
    with pytest.raises(StoreError, match=r"older than this vkc \(notes 1 → 2\); run `vkc db upgrade --db "):
        _open(store_url, newer)
    with _open(store_url, newer, upgrade=True) as store:
        assert store.versions["notes"] == 2
        with store.reading() as conn:
            assert conn.execute("SELECT id, body, author FROM notes").fetchall() == [(1, "Hồ Hoàn Kiếm", None)]
    with pytest.raises(StoreError, match=r"'notes' tables are at version 2, newer than this vkc knows \(1\); install a newer vkc"):
        _open(store_url, components)


def test_a_failed_migration_leaves_the_store_as_it_was(store_url: str) -> None:
    broken = Component(
        name="notes",
        summary="",
        migrations=(*NOTES.migrations, Migration(2, "broken", postgres=("ALTER TABLE nowhere ADD COLUMN x text",), sqlite=("ALTER TABLE nowhere ADD COLUMN x TEXT",))),
    )
    with _open(store_url, (*installed(), NOTES)):
        pass
    with pytest.raises(StoreError):
        _open(store_url, (*installed(), broken), upgrade=True).close()
    with _open(store_url, (*installed(), NOTES)) as store:
        assert store.versions["notes"] == 1


def test_migrations_are_numbered_from_one() -> None:
    with pytest.raises(StoreError, match=r"numbered 1, 2, 3, … in order \(got \[2\]\)"):
        Schema("x", (Migration(2, "two"),))


def test_the_last_release_s_geopackage_upgrades_in_place_with_nothing_lost(tmp_path: Path, vkc) -> None:
    path = tmp_path / "old.gpkg"
    shutil.copy(LEGACY, path)
    before = _table_rows(path)
    with pytest.raises(StoreError, match=r"older than this vkc \(store 1 → 2, audit 0 → 1, alerts 1 → 3\); run `vkc db upgrade --db .*old.gpkg`"):
        open_store(path)
    assert _table_rows(path) == before  # refusing changed nothing
    r = vkc(["db", "upgrade", "--db", str(path)])
    assert r.returncode == 0, r.stderr
    assert "schema versions: store " in r.stdout and "sensors 1" in r.stdout and "alerts 3" in r.stdout
    after = _table_rows(path)
    for table, rows in before.items():
        if table == "vkc_alert_subscriptions":  # alerts migration 3 adds who made each, empty for those made before
            assert after[table] == [(*row, "") for row in rows], table
        elif table.startswith("vkc_") or table.startswith("sta_"):
            assert after[table] == rows, table
    with open_store(path) as store:
        assert [c.name for c in store.collections()] == ["green_spaces", "parks"]
        assert store.feature("parks", "p1").properties["tags"] == {"kind": "lake"}
        grant = auth.verify(store, f"Bearer {LEGACY_TOKEN}")
        assert grant.allows(features("parks")) and not grant.allows(features("green_spaces"))
        db = SensorDb(store)
        with db.reading() as conn:
            assert conn.execute("SELECT count(*) FROM sta_observations").fetchone()[0] == 3
            assert conn.execute("SELECT count(*) FROM sta_things").fetchone()[0] == 32
            assert conn.execute("SELECT url FROM vkc_alert_subscriptions").fetchall() == [("https://example.org/hook",)]


def test_a_postgis_database_of_the_last_release_upgrades_in_place(pg_cluster) -> None:
    """vkc 0.1.0 kept one number in vkc_schema_version (4 = store, sensors, alerts); its tables are those of migration 1 of each."""
    url = pg_cluster.new_database()
    with PostGISStore(url) as store:
        store.put_record("token", "abc", {"id": "1", "role": "admin", "collection": None, "revoked": None, "created": "2025-01-01"})
    with psycopg.connect(url, autocommit=True) as conn:  # lay it out as 0.1.0 left it
        conn.execute("DROP TABLE vkc_components")
        conn.execute("DELETE FROM vkc_schema_version")
        conn.execute("INSERT INTO vkc_schema_version VALUES (1), (2), (3), (4)")
    with pytest.raises(StoreError, match=r"older than this vkc \(store 2 → 3, audit 0 → 1, alerts 1 → 3\); run `vkc db upgrade"):
        open_store(url)
    versions = upgrade_store(url)
    assert versions["store"] == 3 and versions["sensors"] == 1 and versions["alerts"] == 3
    with open_store(url) as store:
        assert store.get_record("token", "abc")["role"] == "admin"
    with psycopg.connect(url, autocommit=True) as conn:  # an older vkc now finds a version it does not know, and refuses
        assert conn.execute("SELECT max(version) FROM vkc_schema_version").fetchone()[0] == postgis_schema.COMPONENT_LAYOUT


def _table_rows(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'rtree_%' AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
