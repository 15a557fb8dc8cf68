"""The catalogue of bad input (issue 13, proof 1): every case is refused clearly and the store is left exactly as it was.

Each case is one request to the APIs or one ``vkc`` command against the same store, of
each backend: malformed and hostile files, wrong coordinate systems, invalid geometries,
oversize and non-JSON bodies, bad CQL2 and OData, injection strings in parameters, path
traversal, Unicode tricks in names, addresses a webhook must not reach, and credentials
that are missing, wrong or too weak. An API case answers its 4xx as problem+json, a
command exits 1 with ``error: …``; after every case the digest of every table
(:mod:`store_digest`) is what it was before.

Injection strings that are well-formed data where they stand (a CQL2 string literal
holding ``' OR 1=1 --``) are answered 200 with nothing matched: the proof there is that
they were data, not SQL, and changed nothing.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vkc import auth
from vkc.alerts import subscriptions
from vkc.config import Settings
from vkc.sensors.db import SensorDb
from vkc.sensors.ingest import ingest_rows
from vkc.sensors.observation_files import ObservationRow
from vkc.sensors.stations import upsert_stations
from vkc.store import open_store
from vkc.web import create_app

from store_digest import store_digest

ITEMS = "/ogc/collections/places/items"
STA = "/sta/v1.1"
POINT = {"type": "Point", "coordinates": [105.85, 21.03]}
HOUR = datetime(2025, 1, 10, 12, tzinfo=UTC)


@dataclass
class Api:
    """One request: what is sent, the status expected, and for a 200 the JSON list that must come back empty."""

    name: str
    method: str
    path: str
    status: int
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    token: str | None = "editor"
    empty: str | None = None


def feature(**changes: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": POINT, "properties": {"name": "x"}, **changes}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def multipart(file_name: str, data: bytes, **fields: str) -> tuple[bytes, dict[str, str]]:
    """An upload's body and its Content-Type, as a browser or curl -F sends them."""
    boundary = "vkc-catalogue-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def zipped(**members: bytes) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "/"), data)
    return buffer.getvalue()


def bomb(archive: bytes) -> bytes:
    """A zip whose central directory says its member unpacks to 3.75 GB (as a real bomb's does; this one's deflated data is 4 KB of zeros)."""
    at = archive.index(b"PK\x01\x02")  # the member's central directory entry; its uncompressed size is at offset 24
    return archive[: at + 24] + (0xF0000000).to_bytes(4, "little") + archive[at + 28 :]


def upload(name: str, file_name: str, data: bytes, status: int, collection: str = "uploaded", token: str = "editor", **fields: str) -> Api:
    content, headers = multipart(file_name, data, **fields)
    return Api(name, "POST", f"/api/layers/{collection}", status, content=content, headers=headers, token=token)


PARIS = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}, "properties": {}}]}).encode()
UPLOAD_CASES = [
    upload("upload named to climb out of its folder", "../../../etc/cron.d/x.geojson", PARIS, 400),
    upload("upload of an executable", "tool.exe", b"MZ\x90\x00", 400),
    upload("upload of a CSV not in UTF-8", "parks.csv", "tên,lon,lat\nHà Tây,105.82,21.05\n".encode("cp1258"), 400),
    upload("upload of a GeoPackage that is not one", "parks.gpkg", b"<html>a page saved under the wrong name</html>" * 20, 400),
    upload("upload of a zip bomb", "parks.zip", bomb(zipped(**{"parks.shp": b"\0" * 4096})), 413),
    upload("upload of a zip whose member climbs out", "parks.zip", zipped(**{"..__..__parks.shp": b"x"}), 400),
    upload("upload into a collection named to climb", "ok.geojson", PARIS, 404, collection="..%2Fadmin"),  # no such route
    upload("upload into a collection named with a Unicode look-alike", "ok.geojson", PARIS, 400, collection="c\u043ederp"),
    upload("upload by a token of another collection", "ok.geojson", PARIS, 403, token="zones only"),
    upload("upload with a field nobody reads", "ok.geojson", PARIS, 400, shell="$(reboot)"),
    Api("upload that is not multipart", "POST", "/api/layers/uploaded", 415, body={"type": "FeatureCollection", "features": []}),
    Api("upload with a broken multipart body", "POST", "/api/layers/uploaded", 400, content=b"--x\r\nnonsense", headers={"Content-Type": "multipart/form-data; boundary=x"}),
]

API_CASES = [
    *UPLOAD_CASES,
    # -- OGC API Features reads: malformed parameters, injection, traversal
    Api("bbox of three numbers", "GET", ITEMS, 400, params={"bbox": "1,2,3"}),
    Api("bbox past the poles", "GET", ITEMS, 400, params={"bbox": "100,-95,110,95"}),
    Api("datetime that is no time", "GET", ITEMS, 400, params={"datetime": "2024-13-45"}),
    Api("datetime with SQL", "GET", ITEMS, 400, params={"datetime": "2024-01-01' OR '1'='1"}),
    Api("limit of zero", "GET", ITEMS, 400, params={"limit": "0"}),
    Api("offset past 2^63", "GET", ITEMS, 400, params={"offset": str(2**63)}),
    Api("sortby with SQL", "GET", ITEMS, 400, params={"sortby": "name; DROP TABLE vkc_records"}),
    Api("properties with a subquery", "GET", ITEMS, 400, params={"properties": "name,(SELECT 1)"}),
    Api("unknown crs", "GET", ITEMS, 400, params={"crs": "urn:ogc:def:crs:EPSG::0'; DROP TABLE x; --"}),
    Api("collection id with SQL", "GET", "/ogc/collections/places';DROP TABLE vkc_records;--/items", 404),
    Api("collection id traversing up", "GET", "/ogc/collections/..%2F..%2Fetc%2Fpasswd/items", 404),
    Api("feature id with SQL", "GET", f"{ITEMS}/p01' OR '1'='1", 404),
    Api("feature id traversing up", "GET", f"{ITEMS}/..%2F..%2Fvkc_records", 404),
    Api("collection id in decomposed Unicode", "GET", "/ogc/collections/pla\u0063\u0327es/items", 404),
    # -- CQL2
    Api("CQL2 that does not parse", "GET", ITEMS, 400, params={"filter": "rank >>> 1"}),
    Api("CQL2 string literal holding SQL", "GET", ITEMS, 200, params={"filter": "name = 'x'' OR 1=1 --'"}, empty="features"),
    Api("CQL2 property with SQL", "GET", ITEMS, 400, params={"filter": '"name; DROP TABLE x" = 1'}),
    Api("CQL2 nested 1000 deep", "GET", ITEMS, 400, params={"filter": "(" * 1000 + "rank = 1" + ")" * 1000}),
    Api("CQL2 OR of 3000 terms", "GET", ITEMS, 400, params={"filter": " OR ".join(f"rank = {i}" for i in range(3000))}),
    Api("CQL2 number past a double", "GET", ITEMS, 400, params={"filter": "rank > 1e400"}),
    Api("CQL2 unknown function", "GET", ITEMS, 400, params={"filter": "pg_sleep(10) = 1"}),
    Api("CQL2 polygon with an open ring", "GET", ITEMS, 400, params={"filter": "S_INTERSECTS(geometry, POLYGON((1 2, 3 4, 5 6)))"}),
    Api("CQL2 JSON that is not JSON", "GET", ITEMS, 400, params={"filter": "{\"op\": ", "filter-lang": "cql2-json"}),
    Api("CQL2 JSON nested 10 000 deep", "GET", ITEMS, 400, params={"filter": nested(10_000), "filter-lang": "cql2-json"}),
    Api("filter in another language", "GET", ITEMS, 400, params={"filter": "1=1", "filter-lang": "sql"}),
    # -- OGC API Features writes: bodies
    Api("body over 16 MiB", "POST", ITEMS, 413, content=b" " * (16 * 1024 * 1024 + 1), headers={"Content-Type": "application/json"}),
    Api("XML body", "POST", ITEMS, 415, content=b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        headers={"Content-Type": "application/xml"}),
    Api("JSON cut short", "POST", ITEMS, 400, content=b'{"type": "Feature", ', headers={"Content-Type": "application/json"}),
    Api("JSON nested 100 000 deep", "POST", ITEMS, 400, content=nested(100_000).encode(), headers={"Content-Type": "application/json"}),
    Api("longitude 500", "POST", ITEMS, 400, body=feature(geometry={"type": "Point", "coordinates": [500, 21]})),
    Api("latitude 95", "POST", ITEMS, 400, body=feature(geometry={"type": "Point", "coordinates": [105, 95]})),
    Api("geometry of no known type", "POST", ITEMS, 400, body=feature(geometry={"type": "Circle", "coordinates": [105, 21]})),
    Api("self-crossing polygon", "POST", "/ogc/collections/zones/items", 400,
        body={"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "properties": {}}),
    Api("feature id with NUL", "POST", ITEMS, 400, body=feature(id="a\x00b")),
    Api("feature id with a bidi override", "POST", ITEMS, 400, body=feature(id="p\u202e10")),
    Api("feature id of a megabyte", "POST", ITEMS, 400, body=feature(id="x" * 1_000_000)),
    Api("feature id ending in a slash", "POST", ITEMS, 400, body=feature(id="a/")),
    Api("property not in the schema, with a zero-width space", "POST", ITEMS, 400, body=feature(properties={"na\u200bme": "x"})),
    Api("property of the wrong type", "POST", ITEMS, 400, body=feature(properties={"rank": "many"})),
    Api("properties not an object", "POST", ITEMS, 400, body=feature(properties=[1])),
    Api("replace without If-Match", "PUT", f"{ITEMS}/p01", 428, body=feature()),
    Api("replace naming an old version", "PUT", f"{ITEMS}/p01", 412, body=feature(), headers={"If-Match": '"0123456789abcdef0123456789abcdef"'}),
    # -- credentials
    Api("write without a token", "POST", ITEMS, 401, body=feature(), token=None),
    Api("write with a made-up token", "POST", ITEMS, 401, body=feature(), token="vkc_00000000_nope"),
    Api("write with a revoked token", "POST", ITEMS, 401, body=feature(), token="revoked"),
    Api("write with a token of 10 000 characters", "POST", ITEMS, 401, body=feature(), token="vkc_" + "a" * 10_000),
    Api("write past the token's collection", "POST", ITEMS, 403, body=feature(), token="zones only"),
    Api("Basic credentials that are not base64", "POST", ITEMS, 401, body=feature(), token=None, headers={"Authorization": "Basic ***"}),
    # -- SensorThings
    Api("OData that does not parse", "GET", f"{STA}/Things", 400, params={"$filter": "name eq"}),
    Api("OData string literal holding SQL", "GET", f"{STA}/Things", 200, params={"$filter": "name eq 'x'' or 1 eq 1 --'"}, empty="value"),
    Api("OData statement after the filter", "GET", f"{STA}/Things", 400, params={"$filter": "name eq 'a'; DELETE FROM sta_things"}),
    Api("OData integer past 2^63", "GET", f"{STA}/Things", 400, params={"$filter": f"id eq {2**63}"}),
    Api("OData nested 1000 deep", "GET", f"{STA}/Things", 400, params={"$filter": "(" * 1000 + "id eq 1" + ")" * 1000}),
    Api("OData geography GEOS cannot read", "GET", f"{STA}/Locations", 400, params={"$filter": "geo.intersects(location, geography'POINT(1)')"}),
    Api("$orderby with SQL", "GET", f"{STA}/Things", 400, params={"$orderby": "id; DROP TABLE sta_things"}),
    Api("$select with a subquery", "GET", f"{STA}/Things", 400, params={"$select": "id,(select 1)"}),
    Api("$expand twelve levels down", "GET", f"{STA}/Things", 400, params={"$expand": "/".join(["Datastreams/Thing"] * 6)}),
    Api("$skip past 2^63", "GET", f"{STA}/Things", 400, params={"$skip": str(2**63)}),
    Api("entity id past 2^63", "GET", f"{STA}/Things({2**63})", 400),
    Api("$ref of nothing (found by the fuzzer)", "GET", f"{STA}/$ref", 400),
    Api("navigation 200 steps long", "GET", f"{STA}/Things(1)" + "/Datastreams(1)/Thing" * 100, 400),
    Api("Location at longitude 500", "POST", f"{STA}/Locations", 400,
        body={"name": "x", "description": "y", "encodingType": "application/geo+json", "location": {"type": "Point", "coordinates": [500, 21]}}),
    Api("Observation in year 1", "POST", f"{STA}/Observations", 400,
        body={"result": 1, "phenomenonTime": "0001-01-01T00:00:00+07:00", "Datastream": {"@iot.id": 1}}),
    Api("JSON Patch of an unknown operation", "PATCH", f"{STA}/Things(1)", 400, body=[{"op": "drop", "path": "/name"}],
        headers={"Content-Type": "application/json-patch+json"}),
    Api("dataArray without a Datastream", "POST", f"{STA}/CreateObservations", 400, body=[{"components": ["result"], "dataArray": [[1]]}]),
    Api("time zone of 5000 characters", "GET", "/api/datastreams/1/aggregate", 400, params={"interval": "1d", "tz": "A" * 5000}),
    Api("interval of no known length", "GET", "/api/datastreams/1/aggregate", 400, params={"interval": "1fortnight"}),
    # -- webhooks that would reach inside
    *(
        Api(f"webhook to {url}", "POST", "/api/alerts/subscriptions", 400, body={"url": url, "condition": {"index": "us", "above": 100}})
        for url in (
            "http://127.0.0.1:5432/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://2130706433/",
            "http://0x7f.1/", "http://93.184.215.14/a\r\nX-Injected: 1", "file:///etc/passwd",
        )
    ),
    # -- users and the audit trail
    Api("an editor making a user", "POST", "/api/users", 403, body={"name": "mallory"}),
    Api("a user name that climbs paths", "POST", "/api/users", 400, body={"name": "../admin"}, token="admin"),
    Api("a password too short", "POST", "/api/users", 400, body={"name": "shorty", "password": "123"}, token="admin"),
    Api("audit since a time without offset", "GET", "/api/audit", 400, params={"since": "2026-01-01T00:00:00"}, token="admin"),
]


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def world(request, tmp_path_factory, pg_cluster):
    from seeded_store import seed

    url = str(tmp_path_factory.mktemp("catalogue") / "store.gpkg") if request.param == "gpkg" else pg_cluster.new_database()
    seed(url)
    with open_store(url) as store:
        db = SensorDb(store)
        with db.writing() as conn:
            upsert_stations(db, conn, [{"id": "hn-1", "name": "HN-1", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]}, "properties": {"id": "hn-1"}}])
        ingest_rows(store, [ObservationRow(h + 1, "hn-1", "pm25", HOUR - timedelta(hours=h), 40.0, None) for h in range(6)])
        subscriptions.create(db, "https://93.184.215.14/hook", {"index": "vn", "above": 150})
        revoked_id, revoked = auth.create_token(store, "editor", name="gone")
        auth.revoke_token(store, revoked_id)
        tokens = {
            "editor": auth.create_token(store, "editor")[1],
            "zones only": auth.create_token(store, "editor", collection="zones")[1],
            "admin": auth.create_token(store, "admin")[1],
            "revoked": revoked,
        }
    with TestClient(create_app(Settings(database=url)), raise_server_exceptions=False) as client:
        yield url, client, tokens


@pytest.mark.parametrize("case", API_CASES, ids=[c.name for c in API_CASES])
def test_the_api_refuses_and_changes_nothing(world, case: Api) -> None:
    url, client, tokens = world
    headers = dict(case.headers)
    if case.token is not None:
        headers.setdefault("Authorization", f"Bearer {tokens.get(case.token, case.token)}")
    before = store_digest(url)
    r = client.request(case.method, case.path, params=case.params, json=case.body, content=case.content, headers=headers)
    assert r.status_code == case.status, f"{case.name}: {r.status_code} {r.text[:300]}"
    if case.status >= 400:
        assert r.headers["content-type"] == "application/problem+json", case.name
        detail = r.json()["detail"]
        assert detail and "Traceback" not in detail and "Exception" not in detail and "/tmp" not in detail, detail
    else:
        assert r.json()[case.empty] == [], r.text[:300]
    assert store_digest(url) == before, f"{case.name} changed the store"


@dataclass
class Cli:
    name: str
    args: list[str]
    words: str
    files: dict[str, bytes] = field(default_factory=dict)
    stdin: str | None = None


def fc(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def pt(x: float, y: float, **props: Any) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]}, "properties": props}


#: half of a gzip of 5 000 distinct rows: the reader meets the cut before the end of the stream
TRUNCATED_GZIP = (lambda whole: whole[: len(whole) // 2])(
    gzip.compress(b"station,parameter,time,value,unit\n" + b"".join(b"hn-1,pm25,2025-01-10T%02d:%02d:00+07:00,%d,ug/m3\n" % (h % 24, h % 60, h) for h in range(5000)))
)

CLI_CASES = [
    Cli("malformed JSON", ["import", "layer", "{dir}/bad.geojson", "--collection", "parks"], "bad.geojson", {"bad.geojson": b'{"type": "FeatureCollection", "features": [{'}),
    # a spreadsheet saved in a Windows code page (1258, Vietnamese) rather than UTF-8: found by schemathesis on the upload API (it was a 500)
    Cli("a CSV not in UTF-8", ["import", "layer", "{dir}/cp.csv", "--collection", "parks"], "not UTF-8 text",
        {"cp.csv": "tên,lon,lat\nHà Tây,105.82,21.05\n".encode("cp1258")}),
    Cli("JSON nested 100 000 deep", ["import", "layer", "{dir}/deep.geojson", "--collection", "parks"], "deep.geojson", {"deep.geojson": nested(100_000).encode()}),
    Cli("a property nested 1000 deep", ["import", "layer", "{dir}/p.geojson", "--collection", "parks"], "deep",
        {"p.geojson": b'{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[105.8,21]},"properties":{"a":' + nested(1000).encode() + b"}}]}"}),
    Cli("NUL in a property name", ["import", "layer", "{dir}/nul.geojson", "--collection", "parks"], "U+0000", {"nul.geojson": fc(pt(105.8, 21.0, **{"a\x00b": 1}))}),
    Cli("a bidi override in a property name", ["import", "layer", "{dir}/rtl.geojson", "--collection", "parks"], "U+202E", {"rtl.geojson": fc(pt(105.8, 21.0, **{"ab\u202ec": 1}))}),
    Cli("a self-crossing polygon", ["import", "layer", "{dir}/bow.geojson", "--collection", "parks"], "invalid",
        {"bow.geojson": fc({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[105, 21], [106, 22], [106, 21], [105, 22], [105, 21]]]}, "properties": {}})}),
    Cli("coordinates that cannot be in Vietnam", ["import", "layer", "{dir}/far.geojson", "--collection", "parks"], "Vietnam", {"far.geojson": fc(pt(2.35, 48.85))}),
    Cli("VN-2000 metres declared as degrees", ["import", "layer", "{dir}/m.geojson", "--collection", "parks"], "", {"m.geojson": fc(pt(587000, 2326000))}),
    Cli("a CRS nobody knows", ["import", "layer", "{dir}/ok.geojson", "--collection", "parks", "--crs", "EPSG:999999"], "999999", {"ok.geojson": fc(pt(105.8, 21.0))}),
    Cli("a shapefile without .prj", ["import", "layer", "{dir}/x.shp", "--collection", "parks"], ".prj", {"x.shp": b"\x00\x00\x27\x0a" + b"\x00" * 96, "x.dbf": b"\x03"}),
    Cli("a zip that is not one", ["import", "layer", "{dir}/fake.zip", "--collection", "parks"], "fake.zip", {"fake.zip": b"PK\x03\x04 not really"}),
    Cli("XML with an external entity", ["import", "layer", "{dir}/x.kml", "--collection", "parks"], "x.kml",
        {"x.kml": b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY e SYSTEM "file:///etc/passwd">]><kml><Placemark><name>&e;</name></Placemark></kml>'}),
    Cli("a path climbing out", ["import", "layer", "{dir}/../../../../etc/passwd", "--collection", "parks"], "passwd"),
    Cli("a collection name that climbs paths", ["import", "layer", "{dir}/ok.geojson", "--collection", "../evil"], "collection name", {"ok.geojson": fc(pt(105.8, 21.0))}),
    Cli("a collection name with SQL", ["import", "layer", "{dir}/ok.geojson", "--collection", "x; DROP TABLE vkc_records"], "collection name", {"ok.geojson": fc(pt(105.8, 21.0))}),
    Cli("a collection name of the store's own", ["import", "layer", "{dir}/ok.geojson", "--collection", "vkc_audit"], "collection name", {"ok.geojson": fc(pt(105.8, 21.0))}),
    Cli("a gzip cut short", ["import", "observations", "{dir}/obs.csv.gz", "--tz", "Asia/Ho_Chi_Minh"], "obs.csv.gz", {"obs.csv.gz": TRUNCATED_GZIP}),
    Cli("observations without a station column", ["import", "observations", "{dir}/obs.csv"], "'station' column", {"obs.csv": b"a,b\n1,2\n"}),
    Cli("stations that are not GeoJSON", ["import", "stations", "{dir}/s.geojson"], "s.geojson", {"s.geojson": b"station,lon,lat\n"}),
    Cli("a role that does not exist", ["token", "create", "--role", "god"], "role"),
    Cli("a scope that does not exist", ["token", "create", "--role", "editor", "--scope", "everything"], "scope"),
    Cli("a user name that climbs paths", ["user", "add", "../x"], "user name"),
    Cli("a password too short", ["user", "add", "shorty", "--password-stdin"], "12", stdin="123\n"),
    Cli("a grant for nobody", ["user", "grant", "nobody", "--role", "editor", "--collection", "places"], "nobody"),
    Cli("a grant on a province that never was", ["user", "grant", "nobody2", "--role", "editor", "--province", "99@2025-07-01"], ""),
    Cli("a webhook to loopback", ["alerts", "subscribe", "http://127.0.0.1:8000/", "--above", "100"], "127.0.0.1"),
    Cli("an index on SQL", ["index", "create", "places", "name; DROP TABLE x"], "name; DROP TABLE x"),
    Cli("audit since a word", ["audit", "list", "--since", "yesterday"], "--since"),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.name for c in CLI_CASES])
def test_the_cli_refuses_and_changes_nothing(world, case: Cli, vkc, tmp_path: Path) -> None:
    url, _, _ = world
    for name, content in case.files.items():
        (tmp_path / name).write_bytes(content)
    before = store_digest(url)
    r = vkc([*(a.replace("{dir}", str(tmp_path)) for a in case.args), "--db", url], input=case.stdin)
    assert r.returncode == 1, f"{case.name}: exit {r.returncode}\n{r.stdout[-500:]}\n{r.stderr[-500:]}"
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr, r.stderr[-500:]
    assert case.words in r.stderr, r.stderr[-500:]
    assert store_digest(url) == before, f"{case.name} changed the store"


def test_the_catalogue_holds_sixty_cases_or_more() -> None:
    assert len(API_CASES) + len(CLI_CASES) >= 60
