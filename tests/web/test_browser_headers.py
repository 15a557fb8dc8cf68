"""What browsers and HTTP clients are told: security headers, CORS, OPTIONS and Allow, media types, and no disclosures."""

from __future__ import annotations

import pytest

from vkc import auth
from vkc.store import open_store

ITEMS = "/ogc/collections/places/items"
FEATURE = {"type": "Feature", "id": "h1", "geometry": {"type": "Point", "coordinates": [105.85, 21.03]}, "properties": {"name": "Hồ Tây", "rank": 7}}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/", "/ogc/collections", f"{ITEMS}/p01", "/sta/v1.1/Things", "/ogc/collections/places/items?f=html", "/nothing"])
def test_every_response_carries_the_security_headers(client, path):
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    if r.headers["content-type"].startswith("text/html"):
        assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    else:
        assert policy.startswith("default-src 'none'")
    assert "strict-transport-security" not in r.headers  # not over TLS


def test_hsts_is_sent_over_tls(seeded_url):
    from fastapi.testclient import TestClient

    from vkc.config import Settings
    from vkc.web import create_app

    with TestClient(create_app(Settings(database=seeded_url)), base_url="https://vkc.test") as c:
        assert c.get("/ogc/collections").headers["strict-transport-security"].startswith("max-age=31536000")


def test_cors_lets_any_origin_read_and_send_a_token_but_no_cookies(client):
    r = client.get("/ogc/collections", headers={"Origin": "https://city.example"})
    assert r.headers["access-control-allow-origin"] == "*" and "access-control-allow-credentials" not in r.headers
    pre = client.options(ITEMS, headers={"Origin": "https://city.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"})
    assert pre.status_code == 200
    assert "POST" in pre.headers["access-control-allow-methods"] and "authorization" in pre.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (f"{ITEMS}/p01", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"),
        (ITEMS, "GET, POST, HEAD, OPTIONS"),
        ("/ogc/conformance", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_and_405_name_every_method_of_the_path(client, path, allowed):
    r = client.options(path)
    assert r.status_code == 204 and r.headers["allow"] == allowed
    wrong = "POST" if "POST" not in allowed else "DELETE"
    r = client.request(wrong, path)
    assert r.status_code == 405 and r.headers["allow"] == allowed
    assert client.options("/no/such/path").status_code == 404


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"])
def test_a_body_that_is_not_json_is_415_and_writes_nothing(client, editor_token, content_type):
    import json

    r = client.post(ITEMS, content=json.dumps(FEATURE), headers={**bearer(editor_token), "Content-Type": content_type})
    assert r.status_code == 415, r.text
    assert r.json()["field"] == "Content-Type" and "send JSON" in r.json()["detail"]
    assert client.get(f"{ITEMS}/h1").status_code == 404


def test_a_created_feature_comes_back_in_the_body(client, editor_token):
    r = client.post(ITEMS, json=FEATURE, headers={**bearer(editor_token), "Content-Type": "application/geo+json"})
    assert r.status_code == 201 and r.headers["content-type"].startswith("application/geo+json")
    assert r.json()["id"] == "h1" and r.json()["properties"]["name"] == "Hồ Tây"
    assert r.headers["etag"] == client.get(f"{ITEMS}/h1").headers["etag"]


def test_a_revoked_token_is_refused_without_saying_which_or_when(client, seeded_url):
    with open_store(seeded_url) as store:
        token_id, token = auth.create_token(store, "editor")
        auth.revoke_token(store, token_id)
    r = client.post(ITEMS, json=FEATURE, headers=bearer(token))
    assert r.status_code == 401 and r.json()["detail"] == "the token was revoked"
    assert token_id not in r.text


def test_the_summary_names_no_server_path(client, seeded_url):
    text = client.get("/summary").text + client.get("/").text
    assert seeded_url not in text and "/tmp" not in text and "pytest-of" not in text
