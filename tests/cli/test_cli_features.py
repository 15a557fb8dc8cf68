"""``vkc features``: the API's write rules from the command line, as the local user with admin rights (in-process, and once as a real command)."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from vkc.cli import main
from vkc.config import Settings
from vkc.web import create_app

from seeded_store import seed

NEW = {"type": "Feature", "id": "new1", "geometry": {"type": "Point", "coordinates": [105.85, 21.03]}, "properties": {"name": "Hồ Gươm", "rank": 99}}


@pytest.fixture
def db(tmp_path) -> str:
    return seed(str(tmp_path / "city.gpkg"))


@pytest.fixture
def cli(monkeypatch, capsys) -> Callable[..., subprocess.CompletedProcess]:
    """Run ``vkc ARGS`` in this process, with ``input`` on standard input; returns what the ``vkc`` fixture returns."""

    def run(args: list[str], input: str = "") -> subprocess.CompletedProcess:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(input.encode())))
        code = main(args)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def test_add_get_put_patch_delete(cli, vkc, db, tmp_path) -> None:
    doc = tmp_path / "new1.geojson"
    doc.write_text(json.dumps(NEW, ensure_ascii=False), encoding="utf-8")
    added = cli(["features", "add", "places", str(doc), "--json", "--db", db])
    assert added.returncode == 0, added.stderr
    tag = json.loads(added.stdout)["etag"]
    assert json.loads(added.stdout)["id"] == "new1"

    got = cli(["features", "get", "places", "new1", "--db", db])
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["properties"]["name"] == "Hồ Gươm" and got.stderr.strip() == f"ETag: {tag}"
    with TestClient(create_app(Settings(database=db))) as client:  # the API sees the same version
        assert client.get("/ogc/collections/places/items/new1").headers["etag"] == tag

    doc.write_text(json.dumps({**NEW, "properties": {"name": "Hồ Hoàn Kiếm"}}, ensure_ascii=False), encoding="utf-8")
    missing = vkc(["features", "put", "places", "new1", str(doc), "--db", db])  # the real command: exit status 1, one line
    assert missing.returncode == 1 and "send If-Match with the ETag of feature 'new1'" in missing.stderr and "--if-match ETAG" in missing.stderr
    assert "Traceback" not in missing.stderr
    put = cli(["features", "put", "places", "new1", str(doc), "--if-match", tag.strip('"'), "--db", db])  # quotes lost in a shell are fine
    assert put.returncode == 0, put.stderr
    assert put.stdout.startswith("places/new1: replaced; ETag ")
    stale = cli(["features", "patch", "places", "new1", "-", "--if-match", tag, "--db", db], input='{"properties": {"rank": 1}}')
    assert stale.returncode == 1 and "changed since you read it" in stale.stderr

    now = cli(["features", "get", "places", "new1", "--etag", "--db", db]).stdout.strip()
    patched = cli(["features", "patch", "places", "new1", "-", "--if-match", now, "--json", "--db", db], input='{"properties": {"rank": 7}}')
    assert patched.returncode == 0, patched.stderr
    body = json.loads(cli(["features", "get", "places", "new1", "--db", db]).stdout)
    assert body["properties"]["name"] == "Hồ Hoàn Kiếm" and body["properties"]["rank"] == 7

    deleted = cli(["features", "delete", "places", "new1", "--if-match", json.loads(patched.stdout)["etag"], "--db", db])
    assert deleted.returncode == 0 and deleted.stdout.strip() == "places/new1: deleted", deleted.stderr
    gone = cli(["features", "get", "places", "new1", "--db", db])
    assert gone.returncode == 1 and "no feature 'new1'" in gone.stderr


def test_errors_are_one_line_and_change_nothing(cli, db, tmp_path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Feature", "geometry": null, "properties": {"colour": "red"}}')
    for args, words in [
        (["add", "places", str(bad)], "property 'colour' is not in the schema of 'places'"),
        (["add", "places", str(tmp_path / "absent.geojson")], "cannot read"),
        (["add", "nowhere", str(bad)], "nowhere"),
        (["delete", "places", "p03"], "send If-Match"),
        (["put", "places", "p03", "-", "--if-match", "*", "--crs", "EPSG:1"], "not offered"),
    ]:
        r = cli(["features", *args, "--db", db], input='{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}')
        assert r.returncode == 1 and r.stderr.startswith("error: ") and words in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    listed = json.loads(cli(["layers", "--json", "--db", db]).stdout)
    assert {c["name"]: c["count"] for c in listed} == {"places": 25, "zones": 2}
