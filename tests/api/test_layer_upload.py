"""Uploading a layer over HTTP (``POST /api/layers/{id}``): the token first, the size limits, a refused file changing nothing, the same file twice replacing."""

from __future__ import annotations

import io
import zipfile

import orjson
import pytest

from vkc import auth
from vkc.store import audit, open_store

PARKS = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "id": "thong-nhat", "geometry": {"type": "Point", "coordinates": [105.843, 21.017]}, "properties": {"name": "Thống Nhất", "ha": 50}},
        {"type": "Feature", "id": "bach-thao", "geometry": {"type": "Point", "coordinates": [105.833, 21.039]}, "properties": {"name": "Bách Thảo", "ha": 10}},
        {"type": "Feature", "id": "tao-dan", "geometry": {"type": "Point", "coordinates": [106.692, 10.774]}, "properties": {"name": "Tao Đàn", "ha": 10}},
    ],
}
OUTSIDE = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}, "properties": {}}]}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def geojson_file(doc: dict, name: str = "parks.geojson") -> dict:
    return {"file": (name, orjson.dumps(doc), "application/geo+json")}


def test_an_upload_makes_a_layer_and_the_same_file_again_replaces(client, editor_token):
    r = client.post("/api/layers/parks", files=geojson_file(PARKS), data={"title": "Công viên"}, headers=bearer(editor_token))
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["collection"], report["file"], report["read"], report["inserted"], report["rejected"]) == ("parks", "parks.geojson", 3, 3, [])
    assert r.headers["location"].endswith("/ogc/collections/parks")
    collection = client.get("/ogc/collections/parks").json()
    assert collection["title"] == "Công viên"
    items = client.get("/ogc/collections/parks/items", params={"filter": "ha = 10"}).json()
    assert sorted(f["id"] for f in items["features"]) == ["bach-thao", "tao-dan"]
    again = client.post("/api/layers/parks", files=geojson_file(PARKS), headers=bearer(editor_token))
    assert again.status_code == 200 and (again.json()["inserted"], again.json()["updated"]) == (0, 3)
    assert client.get("/ogc/collections/parks/items").json()["numberMatched"] == 3


def test_the_audit_trail_names_the_file_as_sent(client, editor_token, seeded_url):
    client.post("/api/layers/parks", files=geojson_file(PARKS, "../../etc/công viên.geojson"), headers=bearer(editor_token))
    with open_store(seeded_url) as store, store.reading() as conn:
        (entry,) = audit.entries(conn, audit.Selection(action="layer.import"))
        meta = store.collection("parks").metadata
    assert meta["source_file"] == orjson.loads(entry.after)["source"] == "công_viên.geojson"
    assert entry.actor.startswith("token:")


def test_a_token_must_hold_the_collection_before_the_body_is_read(client, seeded_url):
    assert client.post("/api/layers/parks", files=geojson_file(PARKS)).status_code == 401
    with open_store(seeded_url) as store:
        _, zones_only = auth.create_token(store, "editor", collection="zones")
    r = client.post("/api/layers/parks", files=geojson_file(PARKS), headers=bearer(zones_only))
    assert r.status_code == 403 and "features:parks" in r.json()["detail"]
    assert client.get("/ogc/collections/parks").status_code == 404


@pytest.mark.parametrize(
    ("files", "data", "status", "words"),
    [
        (geojson_file(OUTSIDE), {}, 400, "outside Vietnam"),
        ({"file": ("parks.docx", b"PK\x03\x04", "application/octet-stream")}, {}, 400, "extension"),
        ({"file": ("parks.geojson", b"", "application/geo+json")}, {}, 400, "empty"),
        ({"file": ("parks.geojson", b"{not json", "application/geo+json")}, {}, 400, "parks.geojson"),
        (geojson_file(PARKS), {"colour": "red"}, 400, "unknown field 'colour'"),
        (geojson_file(PARKS), {"skip_invalid": "perhaps"}, 400, "skip_invalid"),
        ({"shapefile": ("parks.geojson", orjson.dumps(PARKS), "application/geo+json")}, {}, 400, "'file'"),
    ],
)
def test_a_refused_upload_says_why_and_writes_nothing(client, editor_token, files, data, status, words):
    r = client.post("/api/layers/parks", files=files, data=data, headers=bearer(editor_token))
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]
    assert client.get("/ogc/collections/parks").status_code == 404


def test_only_multipart_with_a_length_is_read(client, editor_token):
    r = client.post("/api/layers/parks", json=PARKS, headers=bearer(editor_token))
    assert r.status_code == 415 and "multipart/form-data" in r.json()["detail"]

    def chunked():
        yield b"--x\r\n"

    r = client.post("/api/layers/parks", content=chunked(), headers={**bearer(editor_token), "Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 411


def test_size_limits_of_the_file_and_of_a_zip_unpacked(client, editor_token, monkeypatch):
    monkeypatch.setenv("VKC_MAX_UPLOAD_MB", "0.001")  # about 1 KB
    big = {"type": "FeatureCollection", "features": PARKS["features"] * 20}
    r = client.post("/api/layers/parks", files=geojson_file(big), headers=bearer(editor_token))
    assert r.status_code == 413 and "VKC_MAX_UPLOAD_MB" in r.json()["detail"]
    monkeypatch.setenv("VKC_MAX_UPLOAD_MB", "10")
    monkeypatch.setenv("VKC_MAX_UNZIPPED_MB", "1")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("parks.shp", b"\0" * (3 * 2**20))  # 3 MB of zeros: a few KB zipped
    r = client.post("/api/layers/parks", files={"file": ("parks.zip", bomb.getvalue(), "application/zip")}, headers=bearer(editor_token))
    assert r.status_code == 413 and "VKC_MAX_UNZIPPED_MB" in r.json()["detail"]
    assert client.get("/ogc/collections/parks").status_code == 404


def test_a_zip_whose_member_climbs_out_is_refused(client, editor_token):
    sneaky = io.BytesIO()
    with zipfile.ZipFile(sneaky, "w") as archive:
        archive.writestr("../parks.shp", b"x")
    r = client.post("/api/layers/parks", files={"file": ("parks.zip", sneaky.getvalue(), "application/zip")}, headers=bearer(editor_token))
    assert r.status_code == 400 and "outside the archive" in r.json()["detail"]


def test_the_library_import_itself_needs_the_collection_scope(tmp_path, gpkg_store):
    from vkc.errors import PermissionDenied
    from vkc.layers.importer import import_layer
    from vkc.permissions import Grant, features

    path = tmp_path / "parks.geojson"
    path.write_bytes(orjson.dumps(PARKS))
    zones_editor = Grant("t1", "editor", frozenset({features("zones")}), user="lan")
    with pytest.raises(PermissionDenied, match="features:parks"):
        import_layer(gpkg_store, path, "parks", grant=zones_editor)
    assert [c.name for c in gpkg_store.collections()] == []


def test_a_refusal_names_the_file_as_sent_and_the_form_s_fields(client, editor_token):
    outside = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}, "properties": {}}]}
    detail = client.post("/api/layers/parks", files=geojson_file(outside, "paris.geojson"), headers=bearer(editor_token)).json()["detail"]
    assert detail.startswith("paris.geojson: feature #1") and "/tmp" not in detail and "vkc-upload" not in detail
    assert "skip_invalid" in detail and "anywhere" in detail and "--" not in detail.replace("—", "")
    accepted = client.post("/api/layers/parks", files=geojson_file(outside, "paris.geojson"), data={"anywhere": "true"}, headers=bearer(editor_token))
    assert accepted.status_code == 201 and accepted.json()["inserted"] == 1
