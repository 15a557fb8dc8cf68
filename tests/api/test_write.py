"""Part 4 writes: tokens (401/403), ETag and If-Match (412/428), create, replace, update, delete."""

from __future__ import annotations

import pytest

from vkc import auth
from vkc.store import open_store

ITEMS = "/ogc/collections/places/items"
NEW = {"type": "Feature", "id": "new1", "geometry": {"type": "Point", "coordinates": [105.85, 21.03]}, "properties": {"name": "Hồ Gươm", "rank": 99}}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_writes_need_a_valid_token(client, seeded_url):
    assert client.post(ITEMS, json=NEW).status_code == 401
    assert client.post(ITEMS, json=NEW, headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.post(ITEMS, json=NEW, headers=bearer("vkc_00000000_forged")).status_code == 401
    with open_store(seeded_url) as store:
        _, zones_only = auth.create_token(store, "editor", collection="zones")
        token_id, revoked = auth.create_token(store, "editor")
        auth.revoke_token(store, token_id)
    r = client.post(ITEMS, json=NEW, headers=bearer(zones_only))
    assert r.status_code == 403 and "zones" in r.json()["detail"]
    r = client.post(ITEMS, json=NEW, headers=bearer(revoked))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert client.get(f"{ITEMS}/new1").status_code == 404  # nothing written


def test_tokens_are_stored_as_hashes_only(seeded_url, editor_token):
    with open_store(seeded_url) as store:
        stored = store.records("token")
    assert stored and all(editor_token not in str(value) and key != editor_token for key, value in stored)


def test_create_read_replace_update_delete(client, editor_token):
    r = client.post(ITEMS, json=NEW, headers=bearer(editor_token))
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/ogc/collections/places/items/new1")
    got = client.get(f"{ITEMS}/new1")
    assert got.json()["properties"]["name"] == "Hồ Gươm"
    tag = got.headers["etag"]
    assert r.headers["etag"] == tag

    replaced = {**NEW, "properties": {"name": "Hồ Hoàn Kiếm", "rank": 100}}
    assert client.put(f"{ITEMS}/new1", json=replaced, headers=bearer(editor_token)).status_code == 428
    assert client.put(f"{ITEMS}/new1", json=replaced, headers={**bearer(editor_token), "If-Match": '"stale"'}).status_code == 412
    r = client.put(f"{ITEMS}/new1", json=replaced, headers={**bearer(editor_token), "If-Match": tag})
    assert r.status_code == 204
    tag2 = r.headers["etag"]
    assert tag2 != tag and client.get(f"{ITEMS}/new1").headers["etag"] == tag2
    # the first writer's ETag is now stale: its update is refused, not lost
    assert client.patch(f"{ITEMS}/new1", json={"properties": {"rank": 1}}, headers={**bearer(editor_token), "If-Match": tag}).status_code == 412

    r = client.patch(
        f"{ITEMS}/new1",
        json={"properties": {"rank": 101, "kind": "lake"}, "time": {"timestamp": "2024-05-01T07:00:00+07:00"}},
        headers={**bearer(editor_token), "If-Match": tag2, "Content-Type": "application/merge-patch+json"},
    )
    assert r.status_code == 200, r.text
    body = client.get(f"{ITEMS}/new1").json()
    assert body["properties"]["rank"] == 101 and body["properties"]["kind"] == "lake" and body["properties"]["name"] == "Hồ Hoàn Kiếm"
    assert body["time"] == {"timestamp": "2024-05-01T00:00:00.000Z"}

    tag3 = client.get(f"{ITEMS}/new1").headers["etag"]
    assert client.delete(f"{ITEMS}/new1", headers=bearer(editor_token)).status_code == 428
    assert client.delete(f"{ITEMS}/new1", headers={**bearer(editor_token), "If-Match": tag3}).status_code == 204
    assert client.get(f"{ITEMS}/new1").status_code == 404
    assert client.delete(f"{ITEMS}/new1", headers={**bearer(editor_token), "If-Match": "*"}).status_code == 404


def test_post_without_id_gets_one_and_existing_id_conflicts(client, editor_token):
    r = client.post(ITEMS, json={k: v for k, v in NEW.items() if k != "id"}, headers=bearer(editor_token))
    assert r.status_code == 201
    assert client.get(r.headers["location"].split("testserver")[1]).status_code == 200
    assert client.post(ITEMS, json={**NEW, "id": "p01"}, headers=bearer(editor_token)).status_code == 409


def test_post_in_another_crs(client, editor_token):
    doc = {**NEW, "id": "latfirst", "geometry": {"type": "Point", "coordinates": [21.03, 105.85]}}
    r = client.post(ITEMS, json=doc, headers={**bearer(editor_token), "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4326>"})
    assert r.status_code == 201
    assert client.get(f"{ITEMS}/latfirst").json()["geometry"]["coordinates"] == pytest.approx([105.85, 21.03])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "Feature"),
        (b'{"type": "Feature", "geometry": {"type": "Point"}, "properties": {}}', "geometry"),
        (b'{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}, "properties": {}}', "invalid"),
        (b'{"type": "Feature", "geometry": null, "properties": {"fid": 1}}', "reserved"),
        (b'{"type": "Feature", "geometry": null, "properties": [1]}', "properties"),
        (b'{"type": "Feature", "geometry": null, "properties": {}, "time": {"timestamp": "2024-01-01T00:00:00"}}', "time zone"),
        (b'{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[105,21],[106,21]]}, "properties": {}}', "LINESTRING"),
        (b'{"type": "Feature", "geometry": null, "properties": {"rank": "many"}}', "holds integer values"),
        (b'{"type": "Feature", "geometry": null, "properties": {"colour": "red"}}', "not in the schema"),
        (b"", "no body"),
        (b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [500, 21]}, "properties": {}}', "longitude 500 is outside -180"),
        (b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [105, 95]}, "properties": {}}', "latitude 95 is outside -90"),
        (b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [105, 1e999]}, "properties": {}}', "infinity"),
        (b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [105, true]}, "properties": {}}', "geometry.coordinates: a position is"),
        (b'{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[105, 21]]}, "properties": {}}', "geometry.coordinates[0][0]"),
        (b'{"type": "Feature", "geometry": {"type": "Circle", "coordinates": [105, 21]}, "properties": {}}', "unknown geometry type 'Circle'"),
        (b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": ' + b"[" * 50 + b"]" * 50 + b'}, "properties": {}}', "a position is"),
    ],
)
def test_bad_bodies_are_400_and_write_nothing(client, editor_token, body, message):
    before = client.get(f"{ITEMS}?limit=100").json()["numberMatched"]
    extent = client.get("/ogc/collections/places").json()["extent"]
    r = client.post(ITEMS, content=body, headers={**bearer(editor_token), "Content-Type": "application/geo+json"})
    assert r.status_code in (400, 409), r.text
    assert message.lower() in r.json()["detail"].lower(), r.json()["detail"]
    assert client.get(f"{ITEMS}?limit=100").json()["numberMatched"] == before
    assert client.get("/ogc/collections/places").json()["extent"] == extent


def test_body_too_large_is_413(client, editor_token):
    from vkc.api.ogc.body import MAX_BODY

    r = client.post(ITEMS, content=b" " * (MAX_BODY + 1), headers={**bearer(editor_token), "Content-Type": "application/geo+json"})
    assert r.status_code == 413


def test_token_cli_prints_once_lists_and_revokes(vkc, seeded_url):
    created = vkc(["token", "create", "--role", "editor", "--collection", "places", "--name", "Hà Nội IOC", "--db", seeded_url])
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("vkc_") and "not shown again" in created.stderr
    listed = vkc(["token", "list", "--db", seeded_url])
    token_id = token.split("_")[1]
    assert token_id in listed.stdout and token not in listed.stdout and "places" in listed.stdout
    assert listed.stdout.splitlines()[0].split() == ["ID", "ROLE", "SCOPES", "STATE", "NAME"]
    assert vkc(["token", "revoke", token_id, "--db", seeded_url]).returncode == 0
    assert "revoked" in vkc(["token", "list", "--db", seeded_url]).stdout
    bad = vkc(["token", "create", "--role", "king", "--db", seeded_url])
    assert bad.returncode == 1 and "unknown role 'king'" in bad.stderr
    assert vkc(["token", "revoke", "ffffffff", "--db", seeded_url]).returncode == 1


def test_an_id_with_a_slash_inside_is_written_read_replaced_and_deleted(client, editor_token):
    doc = {**NEW, "id": "HN/001 A"}
    r = client.post(ITEMS, json=doc, headers=bearer(editor_token))
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/items/HN%2F001%20A")
    got = client.get(f"{ITEMS}/HN%2F001%20A")
    assert got.status_code == 200 and got.json()["id"] == "HN/001 A"
    assert got.json()["links"][0]["href"].endswith("/items/HN%2F001%20A")
    assert client.get(f"{ITEMS}/HN/001%20A").json()["id"] == "HN/001 A"  # unencoded, the path still names it
    tag = got.headers["etag"]
    r = client.put(f"{ITEMS}/HN%2F001%20A", json={**doc, "properties": {"name": "x", "rank": 1}}, headers={**bearer(editor_token), "If-Match": tag})
    assert r.status_code == 204, r.text
    tag = client.get(f"{ITEMS}/HN%2F001%20A").headers["etag"]
    assert client.delete(f"{ITEMS}/HN%2F001%20A", headers={**bearer(editor_token), "If-Match": tag}).status_code == 204
    assert client.get(f"{ITEMS}/HN%2F001%20A").status_code == 404


@pytest.mark.parametrize(
    ("feature_id", "words"),
    [
        ("a\x00b", "no control or invisible characters (found U+0000 at character 2)"),
        ("p\u202e10", "no control or invisible characters (found U+202E at character 2)"),
        ("line\r\nSet-Cookie: x=1", "found U+000D"),
        ("x" * 1_000_000, "at most 256 characters, this one 1,000,000"),
        ("/leading", "neither begins nor ends with '/'"),
        ("trailing/", "neither begins nor ends with '/'"),
        ("", "not empty"),
    ],
)
def test_bad_feature_ids_are_refused_and_nothing_is_written(client, editor_token, feature_id, words):
    before = client.get(f"{ITEMS}?limit=100").json()["numberMatched"]
    r = client.post(ITEMS, json={**NEW, "id": feature_id}, headers=bearer(editor_token))
    assert r.status_code == 400, r.text[:300]
    assert r.json()["field"] == "id" and words in r.json()["detail"]
    assert len(r.content) < 2000  # the refusal does not echo a megabyte back
    assert client.get(f"{ITEMS}?limit=100").json()["numberMatched"] == before


def test_the_document_declares_if_match_the_feature_answered_and_links_from_a_create(client, editor_token):
    """If-Match was missing from the document (every generated write was a 428) and answers had no schema; links lead from a create to its feature."""
    import jsonschema_rs  # the validator schemathesis checks answers with

    doc = client.get("/openapi.json").json()["paths"]
    item, items = doc["/ogc/collections/{collectionId}/items/{featureId}"], doc["/ogc/collections/{collectionId}/items"]
    for method in ("put", "patch", "delete"):
        assert [p for p in item[method]["parameters"] if p["in"] == "header"] == [
            {"name": "If-Match", "in": "header", "required": True, "description": item[method]["parameters"][-1]["description"], "schema": {"type": "string"}}
        ]
    created = client.post(ITEMS, json=NEW, headers=bearer(editor_token))
    jsonschema_rs.validate(items["post"]["responses"]["201"]["content"]["application/geo+json"]["schema"], created.json())
    assert {"Location", "ETag"} <= set(items["post"]["responses"]["201"]["headers"])
    got = client.get(f"{ITEMS}/new1")
    jsonschema_rs.validate(item["get"]["responses"]["200"]["content"]["application/geo+json"]["schema"], got.json())
    patched = client.patch(f"{ITEMS}/new1", json={"properties": {"rank": 5}}, headers={**bearer(editor_token), "If-Match": got.headers["etag"]})
    jsonschema_rs.validate(item["patch"]["responses"]["200"]["content"]["application/geo+json"]["schema"], patched.json())
    links = items["post"]["responses"]["201"]["links"]
    assert sorted(links) == ["DeleteFeature", "GetFeature", "ReplaceFeature", "UpdateFeature"]
    assert links["UpdateFeature"]["parameters"] == {
        "collectionId": "$request.path.collectionId", "featureId": "$response.body#/id", "header.If-Match": "$response.header.ETag"
    }
