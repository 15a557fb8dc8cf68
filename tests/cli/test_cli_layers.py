"""The CLI end to end, in subprocesses: import, list, export; errors with exit status 1 and no traceback."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _fc(n: int, lon: float = 105.85, lat: float = 21.03) -> str:
    feats = [{"type": "Feature", "properties": {"n": i, "ten": f"Trạm {i}"}, "geometry": {"type": "Point", "coordinates": [lon + i * 1e-4, lat]}} for i in range(n)]
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)


def test_import_list_export(vkc, tmp_path):
    src = tmp_path / "stops.geojson"
    src.write_text(_fc(20), encoding="utf-8")
    db = tmp_path / "city.gpkg"
    r = vkc(["import", "layer", str(src), "--collection", "stops", "--db", str(db)])
    assert r.returncode == 0, r.stderr
    assert "stops: 20 read, 20 new" in r.stdout
    r = vkc(["layers", "--db", str(db), "--json"])
    listed = json.loads(r.stdout)
    assert [(c["name"], c["count"], c["geometry_type"]) for c in listed] == [("stops", 20, "POINT")]
    out = tmp_path / "out.geojson"
    r = vkc(["export", "layer", "stops", "-o", str(out), "--db", str(db)])
    assert r.returncode == 0, r.stderr
    assert len(json.loads(out.read_text())["features"]) == 20
    r = vkc(["import", "layer", str(src), "--collection", "stops", "--db", str(db), "--json"])
    assert json.loads(r.stdout)["updated"] == 20  # idempotent


def test_database_from_environment(vkc, tmp_path):
    src = tmp_path / "s.geojson"
    src.write_text(_fc(3))
    db = tmp_path / "env.gpkg"
    r = vkc(["import", "layer", str(src), "--collection", "s"], env={"VKC_DATABASE_URL": str(db)})
    assert r.returncode == 0, r.stderr
    assert db.exists()


@pytest.mark.parametrize(
    "content,words",
    [
        ("{not json", ["bad.geojson", "malformed JSON"]),
        (_fc(3, lon=2.35, lat=48.85), ["bad.geojson", "feature #1", "outside Vietnam"]),
    ],
)
def test_errors_exit_1_without_traceback(vkc, tmp_path, content, words):
    src = tmp_path / "bad.geojson"
    src.write_text(content)
    r = vkc(["import", "layer", str(src), "--collection", "x", "--db", str(tmp_path / "e.gpkg")])
    assert r.returncode == 1
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr
    for word in words:
        assert word in r.stderr


def test_usage_errors_and_missing_store(vkc, tmp_path):
    r = vkc(["layers", "--db", str(tmp_path / "none.gpkg")])
    assert r.returncode == 1 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    r = vkc(["import", "layer", str(tmp_path / "missing.geojson"), "--collection", "x", "--db", str(tmp_path / "a.gpkg")])
    assert r.returncode == 1 and "no such file" in r.stderr
    r = vkc(["import", "layer"])
    assert r.returncode == 2 and "Traceback" not in r.stderr


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [False, True])
def test_kill_9_mid_import_leaves_the_store_as_before(tmp_path, parallel):
    """SIGKILL in the middle of a large import: the store is exactly as it was, and consistent."""
    sys.path.insert(0, str(REPO / "bench"))
    import make_data

    big = tmp_path / "big.geojson"
    make_data.points(big, 400_000)
    db = tmp_path / "k.gpkg"
    small = tmp_path / "small.geojson"
    small.write_text(_fc(10))
    mode = "--parallel" if parallel else "--serial"
    subprocess.run([sys.executable, "-m", "vkc", "import", "layer", str(small), "--collection", "big", "--db", str(db)], check=True)
    proc = subprocess.Popen([sys.executable, "-m", "vkc", "import", "layer", str(big), "--collection", "big", "--db", str(db), mode])
    wal = Path(str(db) + "-wal")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not wal.exists() or wal.stat().st_size < 8 * 2**20):
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be killed; make the input larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 15
    while _processes_mentioning(str(big)) and time.monotonic() < deadline:
        time.sleep(0.1)  # the reader children notice their parent is gone
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM big").fetchone()[0] == 10
    assert conn.execute("SELECT rtreecheck('rtree_big_geom')").fetchone()[0] == "ok"
    conn.close()
    assert _processes_mentioning(str(big)) == []  # the reader child did not outlive its parent


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline and "pytest" not in cmdline:
                found.append(int(entry.name))
    return found


def test_the_cli_on_postgis(vkc, tmp_path, pg_cluster):
    url = pg_cluster.new_database()
    src = tmp_path / "stops.geojson"
    src.write_text(_fc(15), encoding="utf-8")
    r = vkc(["import", "layer", str(src), "--collection", "stops", "--db", url])
    assert r.returncode == 0, r.stderr
    r = vkc(["layers", "--db", url, "--json"])
    assert [(c["name"], c["count"]) for c in json.loads(r.stdout)] == [("stops", 15)]
    r = vkc(["import", "layer", str(src), "--collection", "stops"], env={"VKC_DATABASE_URL": url})
    assert r.returncode == 0 and "15 replaced" in r.stdout
    bad = url.rsplit("/", 1)[0] + "/no_such_database"
    r = vkc(["layers", "--db", bad])
    assert r.returncode == 1 and "cannot connect to" in r.stderr and "no_such_database" in r.stderr and "Traceback" not in r.stderr
