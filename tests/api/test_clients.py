"""Real third-party clients against a real server: GDAL's OAPIF driver, OWSLib, schemathesis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import shapely

from vkc.config import Settings
from vkc.store import Collection, Feature, Field, open_store
from vkc.web import create_app

from live_server import live_server

N_GRID = 10_000


def grid_features() -> list[Feature]:
    return [
        Feature(
            id=f"g{i}",
            geometry=shapely.Point(round(105.5 + (i % 100) * 0.005, 6), round(20.8 + (i // 100) * 0.004, 6)),
            properties={"n": i, "value": i / 8, "label": f"Ô số {i}", "even": i % 2 == 0},
        )
        for i in range(N_GRID)
    ]


@pytest.fixture
def server(seeded_url):
    with open_store(seeded_url) as store:
        store.create_collection(
            Collection(name="grid", geometry_type="POINT", fields=[Field("n", "integer"), Field("value", "real"), Field("label", "text"), Field("even", "boolean")])
        )
        store.upsert("grid", grid_features())
    with live_server(create_app(Settings(database=seeded_url))) as url:
        yield url


def test_gdal_lists_collections_and_downloads_every_feature(server, tmp_path: Path):
    info = subprocess.run(["ogrinfo", "-ro", "-q", f"OAPIF:{server}/ogc"], capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    for name in ("grid", "places", "zones"):
        assert f": {name} " in info.stdout or f": {name}" in info.stdout, info.stdout
    out = tmp_path / "grid.geojson"
    run = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{server}/ogc", "grid", "-oo", "PAGE_SIZE=1000"], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    got = {f["properties"]["id"]: f for f in json.loads(out.read_text())["features"]}
    assert len(got) == N_GRID
    for feature in grid_features():
        mine = got[feature.id]
        assert mine["geometry"]["coordinates"] == [feature.geometry.x, feature.geometry.y]
        assert {k: mine["properties"][k] for k in feature.properties} == feature.properties


def test_owslib_reads_items_with_bbox_limit_and_filter(server):
    from owslib.ogcapi.features import Features

    api = Features(f"{server}/ogc")
    assert "grid" in [c["id"] for c in api.collections()["collections"]]
    page = api.collection_items("places", bbox=[105.695, 20.99, 105.725, 21.01], limit=2)
    assert [f["id"] for f in page["features"]] == ["p00", "p01"] and page["numberMatched"] == 3
    filtered = api.collection_items("grid", filter="n >= 9998 OR label = 'Ô số 5'", limit=10)
    assert sorted(f["id"] for f in filtered["features"]) == ["g5", "g9998", "g9999"]
    assert api.collection_queryables("grid")["properties"]["n"]["type"] == "integer"


def test_schemathesis_finds_no_server_error_and_no_schema_violation(server, tmp_path):
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{server}/ogc/api",
            "--url",
            server,
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--suppress-health-check",
            "all",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def test_vkc_serve_with_worker_processes(seeded_url, tmp_path):
    import os
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "vkc", "serve", "--db", seeded_url, "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, body = time.monotonic() + 30, None
        while time.monotonic() < deadline and body is None:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/ogc/collections/places/items?limit=3", timeout=2).json()
            except httpx.TransportError:
                time.sleep(0.2)
        assert body is not None, proc.stdout.read1().decode() if proc.stdout else ""
        assert body["numberReturned"] == 3
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        proc.stdout.close()
