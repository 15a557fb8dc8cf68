"""The web application: landing page and summary over a store, errors as problem+json, a real server."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import shapely

from vkc.config import Settings
from vkc.store import Collection, Feature, open_store
from vkc.web import create_app


@pytest.fixture
def app_store(store_url):
    """A small store on each backend."""
    with open_store(store_url) as s:
        s.create_collection(Collection(name="stops", title="Trạm xe buýt", geometry_type="POINT", metadata={"synthetic": True}))
        s.upsert("stops", [Feature(str(i), shapely.Point(105.85, 21.03), {"n": i}) for i in range(7)])
    return store_url


@pytest.fixture
def client(app_store):
    from fastapi.testclient import TestClient

    with TestClient(create_app(Settings(database=str(app_store)))) as c:
        yield c


def test_landing_page_lists_collections_and_admin_units(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Trạm xe buýt" in r.text and "tổng hợp" in r.text  # synthetic, in the default language
    assert "synthetic" in client.get("/?lang=en").text
    assert "Hà Nội" in r.text and "Cần Thơ" in r.text  # the core cities, named as the units valid today


def test_summary_json(client):
    data = client.get("/summary").json()
    assert [(c["name"], c["count"]) for c in data["collections"]] == [("stops", 7)]
    assert data["admin_units"]["count"] == 34


def test_no_page_shows_where_the_store_is(client, app_store):
    """Neither the file path of a GeoPackage nor a PostGIS connection string (not even redacted) reaches a page."""
    from vkc.config import redact

    secrets = {str(app_store), redact(str(app_store)), str(app_store).rsplit("/", 1)[-1]}
    data = client.get("/summary").json()
    assert "store" not in data
    for path in ("/", "/summary", "/ogc", "/ogc?f=html"):
        page = client.get(path).text
        assert not [s for s in secrets if s in page], path


def test_passwords_never_reach_a_page():
    from vkc.config import redact

    assert redact("postgresql://vkc:s3cret@db:5432/city") == "postgresql://vkc@db:5432/city"
    assert redact("city.gpkg") == "city.gpkg"


def test_unknown_path_is_404(client):
    assert client.get("/nothing").status_code == 404


def test_problem_json_shape():
    from vkc.errors import CollectionNotFound
    from vkc.web.app import problem

    r = problem(CollectionNotFound("no collection named 'x'"), "/ogc/collections/x")
    import json

    body = json.loads(r.body)
    assert r.status_code == 404 and r.media_type == "application/problem+json"
    assert body == {"type": "https://vkc.example/problems/collection-not-found", "title": "Collection not found", "status": 404, "detail": "no collection named 'x'", "instance": "/ogc/collections/x"}


def test_problem_json_names_the_field_at_fault():
    """RFC 9457 §3's invalid-params, and the field on its own, when the error names one; never for a 5xx."""
    import json

    from vkc.errors import InputError, StoreError
    from vkc.web.app import problem

    body = json.loads(problem(InputError("limit: 'x' is not an integer", field="limit"), "/ogc/collections/a/items").body)
    assert body["field"] == "limit"
    assert body["invalid-params"] == [{"name": "limit", "reason": "limit: 'x' is not an integer"}]
    assert body["status"] == 400 and body["type"].endswith("/invalid-input")
    hidden = json.loads(problem(StoreError("cannot connect to postgresql://vkc@db/city", field="database")).body)
    assert "field" not in hidden and "invalid-params" not in hidden and "postgresql" not in hidden["detail"]


def test_openapi_problem_schema_has_the_field_and_invalid_params(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Problem"]
    assert schema["properties"]["field"]["type"] == "string"
    assert schema["properties"]["invalid-params"]["items"]["required"] == ["name", "reason"]


def test_real_server_on_an_ephemeral_port(app_store):
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(database=str(app_store))), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        r = httpx.get(f"http://127.0.0.1:{port}/summary", timeout=5)
        assert r.status_code == 200 and r.json()["collections"][0]["count"] == 7
    finally:
        server.should_exit = True
        thread.join(5)
