"""The demo store: deterministic, idempotent, real data with its sources, synthetic data marked so."""

from __future__ import annotations

import shapely

from vkc.demo import build_demo
from vkc.demo.air import load_air_demo
from vkc.demo.cities import CITIES
from vkc.sensors import station_aqi
from vkc.sensors.db import SensorDb
from vkc.store import Query, open_store

SYNTHETIC = {"wards", "roads", "transit_stops", "green_spaces", "schools", "buildings"}
REAL = {"admin_units", "aq_stations", "metro_stations", "parks"}


def test_build_marks_and_places_everything(store):
    counts = build_demo(store)
    assert set(counts) == SYNTHETIC | REAL and all(counts.values())
    for c in store.collections():
        if c.name in SYNTHETIC:
            assert c.metadata["synthetic"] is True and c.metadata["seed"] == 2025
        else:
            assert c.metadata["synthetic"] is False and c.metadata["source"] and c.metadata["licence"]
    cores = {city.name_vi: city.core() for city in CITIES}
    for name in SYNTHETIC:
        for f in store.features(name, Query()):
            assert f.geometry.is_valid
            assert cores[f.properties["city"]].buffer(1e-9).contains(f.geometry), (name, f.id)
    stations = list(store.features("aq_stations", Query()))
    assert len(stations) == 32 and all(f.properties["source"] and f.properties["licence"] for f in stations)
    metro = list(store.features("metro_stations", Query()))
    assert len(metro) == 40 and sum(f.geometry is not None for f in metro) == 3  # unlocated stay unlocated


def test_deterministic_and_idempotent(tmp_path):
    dumps = []
    for run in range(2):
        with open_store(tmp_path / f"d{run}.gpkg") as s:
            build_demo(s)
            if run == 1:
                build_demo(s)  # twice into the same store
            dumps.append({c.name: [(f.id, shapely.to_wkb(f.geometry) if f.geometry else None, f.properties) for f in s.features(c.name, Query())] for c in s.collections()})
    assert dumps[0] == dumps[1]


def test_cli_demo_no_serve(vkc, tmp_path):
    db = tmp_path / "demo.gpkg"
    r = vkc(["demo", "--db", str(db), "--no-serve", "--air-hours", "48"])
    assert r.returncode == 0, r.stderr
    assert "buildings" in r.stdout and "synthetic" in r.stdout
    assert "SensorThings: 32 real air-quality stations" in r.stdout


def test_air_demo_is_marked_synthetic_idempotent_and_indexed(store):
    first = load_air_demo(store, hours=48)
    again = load_air_demo(store, hours=48)
    assert first.stations == again.stations == 32
    assert first.observations.stored == again.observations.stored > 32 * 40
    db = SensorDb(store)
    with db.reading() as conn:
        assert conn.execute("SELECT count(*) FROM sta_observations").fetchone()[0] == first.observations.stored
        assert conn.execute("SELECT count(*) FROM sta_things").fetchone()[0] == 32
        marks = [db.json_out(p) for (p,) in conn.execute("SELECT properties FROM sta_datastreams").fetchall()]
    assert len(marks) > 32 and all(m["synthetic"] is True and "synthetic" in m["note"] for m in marks)
    latest = station_aqi.latest(db)
    assert len(latest) == 32 and all(e["vn"]["aqi"] is not None for e in latest)
    assert {e["time"] for e in latest} == {"2025-01-02T16:00:00.000Z"}  # the 48th hour: 23:00 on 2 January, local
