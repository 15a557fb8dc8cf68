"""Every store file is a valid GeoPackage 1.3 by GDAL's own validator, and stays so after GDAL writes to it.

The validator is ``validate_gpkg.py`` of Debian's python3-gdal (module
``osgeo_utils.samples.validate_gpkg``, run by the system Python that package is
built for), with ``-k`` (report every error) and ``--extra`` (also check the
table contents). A file passes when it reports nothing: no error and no warning.
GDAL's ``ogrinfo`` must read each file without a warning and list exactly the
feature collections: never a platform table such as ``vkc_records`` (the
access tokens' hashes).

Nothing here is skipped: without the validator or GDAL's tools the tests fail,
saying what to install (``make test`` installs the pinned Debian packages).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import shapely

from vkc.auth import create_token
from vkc.errors import StoreError
from vkc.store import Collection, Feature, Field, Query, open_store, upgrade_store

VALIDATOR_PYTHON = "/usr/bin/python3"
VALIDATOR = "osgeo_utils.samples.validate_gpkg"
_INSTALL = "install the pinned Debian packages of deps/debian-packages.txt (`make system-deps`, which `make test` runs)"


@pytest.fixture(scope="module")
def gdal_tools() -> None:
    """Fail, never skip, when the validator or ogrinfo/ogr2ogr are missing."""
    found = os.access(VALIDATOR_PYTHON, os.X_OK) and (
        subprocess.run([VALIDATOR_PYTHON, "-c", f"import {VALIDATOR}"], capture_output=True).returncode == 0
    )
    if not found:
        pytest.fail(f"GDAL's GeoPackage validator is missing: `{VALIDATOR_PYTHON} -m {VALIDATOR}` comes with python3-gdal; {_INSTALL}", pytrace=False)
    for tool in ("ogrinfo", "ogr2ogr"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: it comes with gdal-bin; {_INSTALL}", pytrace=False)


def _validate(path: Path) -> str:
    out = subprocess.run([VALIDATOR_PYTHON, "-m", VALIDATOR, "-k", "--extra", str(path)], capture_output=True, text=True, timeout=300)
    return (out.stdout + out.stderr).strip() or ("" if out.returncode == 0 else f"exit status {out.returncode}")


def assert_valid(path: Path) -> None:
    """validate_gpkg reports nothing, and ogrinfo reads every layer's summary without a warning."""
    report = _validate(path)
    assert report == "", f"validate_gpkg on {path.name}:\n{report}"
    info = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True, text=True, timeout=300)
    assert info.returncode == 0, info.stdout + info.stderr
    assert info.stderr == "" and not re.search(r"^(Warning|ERROR) \d", info.stdout, re.M), info.stderr or info.stdout


def gdal_layers(path: Path) -> list[str]:
    """The layers GDAL (and so QGIS) offers, as `ogrinfo FILE` lists them."""
    out = subprocess.run(["ogrinfo", "-q", str(path)], capture_output=True, text=True, timeout=120, check=True)
    return re.findall(r"^\d+: (\S+)", out.stdout, re.M)


def _extension_rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT table_name, column_name, extension_name FROM gpkg_extensions "
            "WHERE extension_name <> 'gpkg_rtree_index' ORDER BY extension_name, table_name"
        ).fetchall()


SCHEMA_ROWS = [("gpkg_data_column_constraints", None, "gpkg_schema"), ("gpkg_data_columns", None, "gpkg_schema")]
ASPATIAL_ROW = (None, None, "gdal_aspatial")


def _fill(path: Path) -> list[str]:
    """Point, line and polygon collections; JSON properties in three of them, the last one added later; a token."""
    with open_store(path) as store:
        store.create_collection(Collection(name="stops", title="Bus stops", geometry_type="POINT"))
        store.upsert("stops", [Feature(f"s{i}", shapely.Point(105.8 + i / 100, 21.0), {"n": i, "routes": [f"{i}", "7"]}) for i in range(20)])
        store.create_collection(Collection(name="roads", geometry_type="LINESTRING"))
        store.upsert("roads", [Feature("r1", shapely.LineString([(105.8, 21.0), (105.9, 21.1)]), {"tags": {"lanes": 2}, "name": "Đường Láng"})])
        store.create_collection(Collection(name="parks", geometry_type="POLYGON", fields=[Field("name", "text")]))
        store.upsert("parks", [Feature("p1", shapely.box(105.83, 21.02, 105.84, 21.03), {"name": "Thống Nhất"})])
        store.upsert("parks", [Feature("p2", shapely.box(105.85, 21.02, 105.86, 21.03), {"name": "Bách Thảo", "trees": ["sao", "dầu"]})])
        create_token(store, "admin", name="ops")
    return ["stops", "roads", "parks"]


def test_empty_store_is_valid(gdal_tools, tmp_path):
    path = tmp_path / "empty.gpkg"
    open_store(path).close()
    assert_valid(path)
    assert gdal_layers(path) == []
    assert _extension_rows(path) == [ASPATIAL_ROW]


def test_store_with_collections_and_json_properties_is_valid(gdal_tools, tmp_path):
    path = tmp_path / "filled.gpkg"
    names = _fill(path)
    assert_valid(path)
    assert sorted(gdal_layers(path)) == sorted(names)
    assert _extension_rows(path) == [ASPATIAL_ROW, *SCHEMA_ROWS]  # once each, with three JSON collections
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM gpkg_contents WHERE table_name LIKE 'vkc_%'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM vkc_records").fetchone()[0] == 1
        declared = conn.execute("SELECT table_name, column_name FROM gpkg_data_columns WHERE mime_type = 'application/json' ORDER BY 1").fetchall()
    assert declared == [("parks", "trees"), ("roads", "tags"), ("stops", "routes")]
    info = subprocess.run(["ogrinfo", "-so", "-ro", str(path), "parks"], capture_output=True, text=True, check=True).stdout
    assert "trees: String(JSON)" in info


def test_demo_store_is_valid(gdal_tools, tmp_path):
    """The demo, with every platform table filled: SensorThings, alerts, tokens (none of them registered as content)."""
    from datetime import UTC, datetime

    from vkc.alerts import subscriptions
    from vkc.alerts.evaluate import evaluate
    from vkc.demo import build_demo
    from vkc.demo.air import load_air_demo
    from vkc.sensors.db import SensorDb

    path = tmp_path / "demo.gpkg"
    with open_store(path) as store:
        counts = build_demo(store)
        load_air_demo(store, hours=6)
        db = SensorDb(store)
        subscriptions.create(db, "https://93.184.215.14/hook-hn", {"above": 0})
        assert evaluate(db, at=datetime(2025, 1, 1, tzinfo=UTC)) == 32  # alert state and outbox rows
        create_token(store, "editor", collection="parks")
    assert_valid(path)
    assert sorted(gdal_layers(path)) == sorted(counts)  # no vkc_*, sta_* nor alert table
    assert _extension_rows(path) == [ASPATIAL_ROW, *SCHEMA_ROWS]


def _old_layout(path: Path) -> None:
    """Turn a store into what the release before this layout wrote (checked against that release's own output).

    It registered vkc_collections and vkc_records in gpkg_contents as attributes, the schema
    extension once for gpkg_data_columns per collection with a JSON property, never created
    gpkg_data_column_constraints, had no gdal_aspatial row, and kept no component versions.
    """
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            DROP TABLE vkc_components;
            DROP TABLE gpkg_data_column_constraints;
            DELETE FROM gpkg_extensions WHERE extension_name IN ('gdal_aspatial', 'gpkg_schema');
            INSERT INTO gpkg_extensions SELECT 'gpkg_data_columns', NULL, 'gpkg_schema',
                'http://www.geopackage.org/spec/#extension_schema', 'read-write'
              FROM (SELECT DISTINCT table_name FROM gpkg_data_columns);
            INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
              ('vkc_collections', 'attributes', 'vkc_collections', 'VKC platform: schema, titles and sources of each collection'),
              ('vkc_records', 'attributes', 'vkc_records', 'VKC platform: access tokens (hashes only) and other small records');
            """
        )


def test_store_of_the_old_layout_is_repaired_by_the_upgrade(gdal_tools, tmp_path):
    path = tmp_path / "old.gpkg"
    names = _fill(path)
    _old_layout(path)
    report = _validate(path)
    assert "no such table: gpkg_data_column_constraints" in report  # what the reviewer found (the validator stops there)
    assert "vkc_records" in gdal_layers(path)
    with pytest.raises(StoreError, match="run `vkc db upgrade"):
        open_store(path)
    upgrade_store(path)
    with open_store(path) as store:
        assert [c.name for c in store.collections()] == sorted(names)
    assert_valid(path)
    assert sorted(gdal_layers(path)) == sorted(names)
    assert _extension_rows(path) == [ASPATIAL_ROW, *SCHEMA_ROWS]
    with open_store(path) as store:  # idempotent: opening again changes nothing
        assert store.count("stops") == 20 and len(store.records("token")) == 1
    assert _extension_rows(path) == [ASPATIAL_ROW, *SCHEMA_ROWS]
    assert_valid(path)


def _geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_store_stays_valid_after_gdal_writes(gdal_tools, tmp_path):
    path = tmp_path / "written.gpkg"
    names = _fill(path)

    def point(fid: str, x: float, y: float, **props) -> dict:
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]}, "properties": {"vkc_id": fid, **props}}

    more = _geojson(tmp_path / "more.geojson", [point("g1", 105.85, 21.05, n=100), point("g2", 105.86, 21.06, n=101)])
    other = _geojson(tmp_path / "other.geojson", [point("g3", 105.855, 21.055, n=102, note="by GDAL", extra={"k": [1, 2]})])

    def ogr2ogr(*args: str) -> None:
        out = subprocess.run(["ogr2ogr", *args], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0 and out.stderr == "", out.stderr

    ogr2ogr("-update", "-append", str(path), str(more), "-nln", "stops")
    ogr2ogr("-update", "-append", "-addfields", str(path), str(other), "-nln", "stops")  # GDAL adds columns, one of JSON
    ogr2ogr("-update", str(path), str(other), "-nln", "gdal_points")  # a new layer made by GDAL, with a JSON field
    assert_valid(path)
    assert sorted(gdal_layers(path)) == sorted([*names, "gdal_points"])
    rows = _extension_rows(path)  # GDAL added its metadata extension, and used the schema extension as it was
    assert [r for r in rows if r[2] in ("gdal_aspatial", "gpkg_schema")] == [ASPATIAL_ROW, *SCHEMA_ROWS]
    with sqlite3.connect(path) as conn:
        declared = conn.execute("SELECT table_name, column_name FROM gpkg_data_columns WHERE mime_type = 'application/json' ORDER BY 1, 2").fetchall()
    assert declared == [("gdal_points", "extra"), ("parks", "trees"), ("roads", "tags"), ("stops", "extra"), ("stops", "routes")]
    with open_store(path) as store:  # and the platform still reads the collection GDAL wrote into
        assert store.count("stops") == 23
        assert store.count("stops", Query(bbox=(105.849, 21.049, 105.861, 21.061))) == 3
        assert store.feature("stops", "g1").properties["n"] == 100
    assert_valid(path)


def test_the_last_release_s_file_is_valid_once_upgraded(gdal_tools, tmp_path):
    path = tmp_path / "old.gpkg"
    shutil.copy(Path(__file__).parent / "fixtures" / "store-0.1.0-d695fcd.gpkg", path)
    assert "vkc_records" in gdal_layers(path)  # the token hashes offered as a layer
    upgrade_store(path)
    assert_valid(path)
    assert sorted(gdal_layers(path)) == ["green_spaces", "parks"]
