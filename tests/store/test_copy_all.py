"""``copy_store`` carries a whole store, either backend to either: collections, SensorThings, alerts, tokens.

A small store with every kind of row is copied to the other backend and back;
every platform table is compared row by row after normalising each backend's
representation (times to instants, JSON parsed, geometries to exact WKB,
booleans), tokens still verify, new entities take new ids, and a second copy
changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely
from fastapi.testclient import TestClient

from vkc import auth
from vkc.alerts import subscriptions
from vkc.alerts.delivery import deliver_due
from vkc.alerts.evaluate import evaluate
from vkc.config import Settings
from vkc.errors import AuthenticationError, StoreError
from vkc.sensors.db import SensorDb
from vkc.sensors.ingest import ingest_rows
from vkc.sensors.observation_files import ObservationRow
from vkc.sensors.stations import upsert_stations
from vkc.store import Query, Store, audit, open_store
from vkc.store.copy import component_tables, copy_store, copy_table
from vkc.store.dialect import BBOX_SUFFIXES
from vkc.store.tables import Table
from vkc.web import create_app

ROOT = "/sta/v1.1"
BASE = datetime(2025, 1, 10, 0, tzinfo=UTC)
STATIONS = [
    {"id": "hn-1", "name": "HN", "geometry": {"type": "Point", "coordinates": [105.84123456789012, 21.03]}, "properties": {"city": "Hà Nội"}},
    {"id": "hcm-1", "name": "HCM", "geometry": {"type": "Point", "coordinates": [106.70, 10.78]}, "properties": {"city": "TP HCM"}},
]
#: the store's own bookkeeping, not data: versions, collections' schemas (compared through the Store API), PostgreSQL's extent log
#: tables a copy does not carry as rows: the store's own bookkeeping, and delivery leases (they name the source's workers)
BOOKKEEPING = {"vkc_components", "vkc_collections", "vkc_extent_log", "vkc_schema_version", "vkc_alert_leases"}


# -- the store -------------------------------------------------------------------------------


def thing_body(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"station {name}",
        "properties": {"owner": "VNEA", "levels": [1, 2.5, None], "nested": {"ok": True}},
        "Locations": [
            {
                "name": f"{name} site",
                "description": "mast",
                "encodingType": "application/geo+json",
                "location": {"type": "Polygon", "coordinates": [[[105.8, 21.0], [105.9, 21.0], [105.9, 21.1], [105.8, 21.0]]]},
            }
        ],
        "Datastreams": [
            {
                "name": f"{name} NO2",
                "description": "hourly NO2",
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                "unitOfMeasurement": {"name": "microgram per cubic metre", "symbol": "µg/m³", "definition": "http://unitsofmeasure.org/ucum.html#para-30"},
                "Sensor": {"name": "chemiluminescence", "description": "NO2 analyser", "encodingType": "application/pdf", "metadata": "https://example.org/no2.pdf"},
                "ObservedProperty": {"name": "NO2", "definition": "http://vocabs.lter-europe.net/EnvThes/30193", "description": "nitrogen dioxide"},
            }
        ],
    }


def build(url: str) -> dict[str, str]:
    """Collections, stations with observations over three months, SensorThings entities of every kind, alerts, two tokens."""
    from seeded_store import seed

    seed(url)
    with open_store(url) as store:
        db = SensorDb(store)
        with db.writing() as conn:
            upsert_stations(db, conn, STATIONS)
        hours = [*range(12), 24 * 25, 24 * 40]  # January, and two later days in February
        rows = [ObservationRow(i, s, "pm25", BASE + timedelta(hours=h), 100.0, None) for i, (s, h) in enumerate(((s, h) for s in ("hn-1", "hcm-1") for h in hours), 1)]
        rows.append(ObservationRow(len(rows) + 1, "hn-1", "pm10", BASE - timedelta(days=20), 612.5, "suspicious value"))  # December
        assert ingest_rows(store, rows).stored == len(rows)
        _, editor = auth.create_token(store, "editor", name="editor of the copy")
        revoked_id, revoked = auth.create_token(store, "editor", name="revoked", collection="places")
        auth.revoke_token(store, revoked_id)
        store.put_record("other", "k", {"n": 1, "text": "Đống Đa", "list": [1, 2]})
        sub = subscriptions.create(db, "https://93.184.215.14/hook-hn", {"index": "vn", "above": 150, "stations": ["hn-1"]}, "HN above 150")
        cancelled = subscriptions.create(db, "https://93.184.215.14/hook", {"above": 100})
        subscriptions.cancel(db, cancelled["id"])
        assert evaluate(db, at=BASE + timedelta(hours=11)) == 1
        with httpx.Client() as client:  # nothing listens on port 9: attempts, status and error recorded
            assert deliver_due(db, client, now=datetime.now(UTC) + timedelta(minutes=1)).failed == 1
    with TestClient(create_app(Settings(database=url))) as api:
        api.headers["Authorization"] = f"Bearer {editor}"
        thing = api.post(f"{ROOT}/Things", json=thing_body("Lang")).json()["@iot.id"]
        ds = api.get(f"{ROOT}/Things({thing})/Datastreams").json()["value"][0]["@iot.id"]
        for body in (
            {"phenomenonTime": "2025-03-01T00:00:00Z/2025-03-01T01:00:00Z", "result": 20.25, "resultTime": "2025-03-01T01:05:00Z",
             "validTime": "2025-03-01T00:00:00Z/2025-03-02T00:00:00Z", "parameters": {"method": "1h mean"}, "resultQuality": {"qc": "ok"}},
            {"phenomenonTime": "2025-03-01T02:00:00Z", "result": "below detection limit"},
            {"phenomenonTime": "2025-03-01T03:00:00Z", "result": {"value": 3, "flags": ["a", "b"]},
             "FeatureOfInterest": {"name": "kerb", "description": "kerbside", "encodingType": "application/geo+json",
                                   "feature": {"type": "Point", "coordinates": [105.81, 21.01]}}},
        ):
            r = api.post(f"{ROOT}/Datastreams({ds})/Observations", json=body)
            assert r.status_code == 201, r.text
    return {"editor": editor, "revoked": revoked, "subscription": str(sub["id"])}


# -- the dump: every platform table, normalised ------------------------------------------------


def platform_tables(store: Store) -> set[str]:
    """The tables in the store's catalogue that hold platform data (feature tables, partitions and bookkeeping aside)."""
    with store.reading() as conn:
        if store.dialect.name == "postgres":
            rows = conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            )
        else:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = {r[0] for r in rows}
    collections = {c.name for c in store.collections(count=False)}
    return {n for n in names if n.startswith(("sta_", "vkc_")) and n not in BOOKKEEPING | collections}


def _normal(store: Store, kind: str | None, value: Any) -> Any:
    d = store.dialect
    if value is None:
        return None
    if kind == "time":
        return d.time_out(value).isoformat()
    if kind == "json":
        return d.json_out(value)
    if kind == "geometry":
        return shapely.to_wkb(shapely.from_geojson(value), hex=True)  # exact coordinates
    if kind == "boolean":
        return bool(value)
    return value


def dump_table(store: Store, table: Table) -> list[dict[str, Any]]:
    d = store.dialect
    with store.reading() as conn:
        columns = list(d.table_columns(conn, table.name))
        select = [d.geometry_select(c, exact=True) if table.kinds.get(c) == "geometry" else c for c in columns]
        rows = conn.execute(f"SELECT {', '.join(select)} FROM {table.name} ORDER BY {', '.join(table.key)}").fetchall()
    dumped = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        for g in (c for c, k in table.kinds.items() if k == "geometry"):
            if d.name == "sqlite":  # the bbox columns are derived: right, then left out
                bbox = [values.pop(g + s) for s in BBOX_SUFFIXES]
                expected = [None] * 4 if values[g] is None else list(shapely.bounds(shapely.from_geojson(values[g])))
                assert bbox == expected, (table.name, values)
        dumped.append({c: _normal(store, table.kinds.get(c), v) for c, v in values.items()})
    return dumped


def dump(store: Store) -> dict[str, Any]:
    """Everything the store holds, table by table, in a form both backends give alike."""
    declared = {t.name: t for t in component_tables(store)}
    assert platform_tables(store) == {*declared, "vkc_records", audit.TABLE}  # the declarations cover every platform table
    out: dict[str, Any] = {name: dump_table(store, t) for name, t in declared.items()}
    out["vkc_records"] = {kind: store.records(kind) for kind in store.record_kinds()}
    with store.reading() as conn:
        out[audit.TABLE] = [e.json() for e in audit.entries(conn)]
        assert audit.verify(conn).intact
    for c in store.collections():
        out[f"collection {c.name}"] = (
            (c.title, c.description, c.geometry_type, c.fields, c.metadata, c.count),
            [(f.id, shapely.to_wkb(f.geometry, hex=True) if f.geometry is not None else None, f.properties, f.time, f.time_end)
             for f in store.features(c.name, Query())],
        )
    return out


def copied(source: str, target: str) -> dict[str, Any]:
    with open_store(source) as src, open_store(target) as dst:
        counts = copy_store(src, dst)
    return {**counts.collections, **counts.tables, **{f"records {k}": n for k, n in counts.records.items()}}


def contents(url: str) -> dict[str, Any]:
    with open_store(url) as store:
        return dump(store)


# -- the tests ---------------------------------------------------------------------------------


@pytest.fixture
def other_url(backend: str, tmp_path: Path, pg_cluster) -> str:
    """A fresh store of the other backend."""
    return pg_cluster.new_database() if backend == "gpkg" else str(tmp_path / "other.gpkg")


@pytest.fixture
def again_url(backend: str, tmp_path: Path, pg_cluster) -> str:
    """A fresh store of the same backend as ``store_url``."""
    return str(tmp_path / "again.gpkg") if backend == "gpkg" else pg_cluster.new_database()


def test_round_trip_through_the_other_backend_is_identical_table_by_table(store_url: str, other_url: str, again_url: str) -> None:
    tokens = build(store_url)
    original = contents(store_url)
    assert len(original["sta_observations"]) == 2 * 14 + 1 + 3 and len(original["vkc_alert_outbox"]) == 1
    assert {r["active"] for r in original["vkc_alert_subscriptions"]} == {True, False}
    assert original["sta_features_of_interest"] and original["sta_historical_locations"]

    counts = copied(store_url, other_url)
    assert counts["sta_observations"] == len(original["sta_observations"]) and counts["records token"] == 2
    assert counts["places"] == 25 and counts["vkc_alert_state"] == len(original["vkc_alert_state"])
    assert contents(other_url) == original
    assert copied(other_url, again_url) == counts
    assert contents(again_url) == original

    assert copied(other_url, again_url) == counts  # a second copy replaces: nothing doubles, nothing changes
    assert contents(again_url) == original

    for url in (other_url, again_url):
        with open_store(url) as store:
            assert auth.verify(store, f"Bearer {tokens['editor']}").name == "editor of the copy"
            with pytest.raises(AuthenticationError, match="revoked"):
                auth.verify(store, f"Bearer {tokens['revoked']}")
            new_sub = subscriptions.create(SensorDb(store), "https://93.184.215.14/new", {"above": 50})
            assert new_sub["id"] > max(r["id"] for r in original["vkc_alert_subscriptions"])
        # new entities through the SensorThings API take ids past the copied ones
        with TestClient(create_app(Settings(database=url))) as api:
            api.headers["Authorization"] = f"Bearer {tokens['editor']}"
            r = api.post(f"{ROOT}/Things", json=thing_body("Tay Ho"))
            assert r.status_code == 201, r.text
            thing = r.json()["@iot.id"]
            assert thing > max(r["id"] for r in original["sta_things"])
            ds = api.get(f"{ROOT}/Things({thing})/Datastreams").json()["value"][0]["@iot.id"]
            assert ds > max(r["id"] for r in original["sta_datastreams"])
            r = api.post(f"{ROOT}/Datastreams({ds})/Observations", json={"phenomenonTime": "2025-04-01T00:00:00Z", "result": 1.5})
            assert r.status_code == 201, r.text
            assert r.json()["@iot.id"] > max(r["id"] for r in original["sta_observations"])
            loc = api.get(f"{ROOT}/Things({thing})/Locations").json()["value"][0]["@iot.id"]
            assert loc > max(r["id"] for r in original["sta_locations"])


def test_a_row_the_target_refuses_is_named_and_its_batch_left_out(store_url: str, other_url: str) -> None:
    with open_store(store_url) as store:
        db = SensorDb(store)
        with db.writing() as conn:
            upsert_stations(db, conn, STATIONS)
    with open_store(other_url) as target:  # a Thing of its own with the external id of the source's first station
        with target.writing() as conn:
            conn.execute("INSERT INTO sta_things (id, external_id, name, description) VALUES (1000, 'hn-1', 'x', 'y')")
        with open_store(store_url) as source:
            table = next(t for t in component_tables(target) if t.name == "sta_things")
            with pytest.raises(StoreError, match=r"copying table sta_things: the row with id=1 failed: .*(unique|UNIQUE)"):
                copy_table(source, target, table)
        with target.reading() as conn:
            assert conn.execute("SELECT id FROM sta_things").fetchall() == [(1000,)]


def test_a_declaration_postgresql_contradicts_is_refused(tmp_path: Path, pg_cluster) -> None:
    with open_store(tmp_path / "a.gpkg") as source, open_store(pg_cluster.new_database()) as target:
        wrong = Table("vkc_alert_subscriptions", key=("id",), kinds={"condition": "json", "created": "time"})  # active: boolean
        with pytest.raises(StoreError, match="column active is bool in postgres, but its component declares it a plain value"):
            copy_table(source, target, wrong)
        with pytest.raises(StoreError, match="names columns it does not have: nope"):
            copy_table(source, target, Table("sta_things", key=("id",), kinds={"properties": "json", "nope": "time"}))


def test_the_demo_store_round_trips_through_the_cli(vkc, tmp_path: Path, pg_cluster) -> None:
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    assert vkc(["demo", "--db", str(a), "--no-serve", "--air-hours", "72"]).returncode == 0
    url = pg_cluster.new_database()
    there = vkc(["store", "copy", "--from", str(a), "--to", url])
    assert there.returncode == 0, there.stderr
    lines = there.stdout.splitlines()
    assert "aq_stations: 32 features" in lines and "sta_things: 32 rows" in lines and "records token: 0" not in lines
    observations = next(line for line in lines if line.startswith("sta_observations: "))
    assert int(observations.split()[1]) > 32 * 72
    back = vkc(["store", "copy", "--from", url, "--to", str(b)])
    assert back.returncode == 0, back.stderr
    assert back.stdout.splitlines()[:-1] == lines[:-1]  # the last line is the time taken
    original = contents(str(a))
    assert contents(url) == original
    assert contents(str(b)) == original
    again = vkc(["store", "copy", "--from", url, "--to", str(b)])
    assert again.returncode == 0 and again.stdout.splitlines()[:-1] == lines[:-1]
    assert contents(str(b)) == original
