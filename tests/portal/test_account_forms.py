"""The account, upload and alert forms over HTTP: a session and its CSRF token on every change, nothing from another site,
the scope each needs, and nothing written when refused (both stores)."""

from __future__ import annotations

import re

import orjson
import pytest
from fastapi.testclient import TestClient

from vkc import auth
from vkc.auth import sessions, users
from vkc.config import Settings
from vkc.store import open_store
from vkc.web import create_app

PASSWORD = "a long enough passphrase"
PARK = {"type": "FeatureCollection", "features": [{"type": "Feature", "id": "p1", "geometry": {"type": "Point", "coordinates": [105.84, 21.02]}, "properties": {}}]}


@pytest.fixture
def portal(seeded_url: str):
    with open_store(seeded_url) as store:
        users.add_user(store, "lan", password=PASSWORD)
        users.grant(store, "lan", "editor", "collection:parks")
        users.add_user(store, "minh", password=PASSWORD)
    with TestClient(create_app(Settings(database=seeded_url)), follow_redirects=False) as client:
        yield client, seeded_url


def csrf_of(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found
    return found[1]


def sign_in(client: TestClient, name: str = "lan") -> str:
    """Signs ``name`` in; the session's CSRF token."""
    answer = client.post("/signin", data={"csrf": csrf_of(client, "/signin"), "name": name, "password": PASSWORD})
    assert answer.status_code == 303
    return str(client.get("/api/session").json()["csrf"])


@pytest.mark.parametrize("path", ["/account", "/layers/upload", "/alerts", "/alerts/1"])
def test_signed_out_visitors_are_sent_to_sign_in_and_back(portal, path):
    client, _ = portal
    answer = client.get(path)
    assert answer.status_code == 303 and answer.headers["location"] == f"/signin?next={path.replace('/', '%2F')}"


def test_tokens_made_and_revoked_by_form_need_the_session_s_csrf_token(portal):
    client, url = portal
    csrf = sign_in(client)
    assert client.post("/account/tokens", data={"name": "QGIS", "days": "30"}).status_code == 403
    assert client.post("/account/tokens", data={"csrf": "forged", "name": "QGIS", "days": "30"}).status_code == 403
    assert client.post("/account/tokens", data={"csrf": csrf, "days": "30"}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/account/tokens", data={"csrf": csrf, "days": "1000"}).status_code == 400
    with open_store(url) as store:
        assert [t for t in auth.list_tokens(store) if t.get("user") == "lan"] == []  # none of those made one
    made = client.post("/account/tokens", data={"csrf": csrf, "name": "QGIS", "days": "30"})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    token = re.search(r'id="new-token" class="secret">([^<]+)<', made.text)[1]  # type: ignore[index]
    assert client.get("/api/users/lan/tokens", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = token.split("_")[1]
    with open_store(url) as store:
        _, others = auth.create_user_token(store, "minh")
    other_id = others.split("_")[1]
    assert client.post(f"/account/tokens/{other_id}/revoke", data={"csrf": csrf}).status_code == 404  # minh's: not lan's to revoke
    assert client.post(f"/account/tokens/{token_id}/revoke", data={"csrf": csrf}).status_code == 303
    assert client.get("/api/users/lan/tokens", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/api/users/minh/tokens", headers={"Authorization": f"Bearer {others}"}).status_code == 200


def test_an_upload_by_form_needs_the_csrf_token_and_the_collection_grant(portal):
    client, url = portal
    csrf = sign_in(client)
    file = {"file": ("parks.geojson", orjson.dumps(PARK), "application/geo+json")}
    assert client.post("/layers/upload", data={"collection": "parks"}, files=file).status_code == 403  # no csrf field
    refused = client.post("/layers/upload", data={"csrf": csrf, "collection": "schools"}, files=file)
    assert refused.status_code == 403 and "features:schools" in refused.text  # lan edits parks only
    made = client.post("/layers/upload", data={"csrf": csrf, "collection": "parks", "title": "Parks"}, files=file)
    assert made.status_code == 201 and "parks.geojson" in made.text
    again = client.post("/layers/upload", data={"csrf": csrf, "collection": "parks"}, files=file)
    assert again.status_code == 200
    with open_store(url) as store:
        assert store.count("parks") == 1 and "schools" not in [c.name for c in store.collections()]


def test_alert_pages_need_the_alerts_scope(portal):
    client, _ = portal
    csrf = sign_in(client)
    page = client.get("/alerts")
    assert page.status_code == 403 and "component:alerts" in page.text and 'action="/alerts"' not in page.text
    assert client.post("/alerts", data={"csrf": csrf, "url": "https://example.org/h", "above": "100"}).status_code == 403


def test_a_user_sees_their_sessions_and_ends_the_others(portal, seeded_url):
    laptop, url = portal
    with TestClient(create_app(Settings(database=url)), follow_redirects=False) as phone, \
         TestClient(create_app(Settings(database=url)), follow_redirects=False) as tablet:
        csrf = sign_in(laptop)
        sign_in(phone)
        sign_in(tablet)
        page = laptop.get("/account?lang=en").text
        ids = re.findall(r'name="session" value="([0-9a-f]{8})"', page)
        assert len(ids) == 2 and page.count("this browser") == 1 and "testclient" in page  # the other two, each with its address
        assert laptop.post("/account/sessions/end", data={"session": ids[0]}).status_code == 403  # no CSRF token
        with open_store(url) as store:
            minh_session = sessions.open_session(store, "minh", via="password")
            minh_id = next(s["id"] for s in sessions.user_sessions(store, "minh"))
        assert laptop.post("/account/sessions/end", data={"csrf": csrf, "session": minh_id}).status_code == 404  # another user's
        with open_store(url) as store:
            assert sessions.session_grant(store, minh_session.secret)[0].user == "minh"
        assert laptop.post("/account/sessions/end", data={"csrf": csrf, "session": "0badc0de"}).status_code == 404
        assert laptop.post("/account/sessions/end", data={"csrf": csrf, "session": ids[0]}).status_code == 303
        still = [c for c in (phone, tablet) if c.get("/api/session").status_code == 200]
        assert len(still) == 1  # one ended, one left
        ended = laptop.post("/account/sessions/end", data={"csrf": csrf, "others": "1"})
        assert ended.status_code == 303 and ended.headers["location"] == "/account#sessions"
        assert still[0].get("/api/session").status_code == 401 and laptop.get("/api/session").status_code == 200
        assert re.findall(r'name="session" value="', laptop.get("/account").text) == []


def test_the_upload_page_says_the_import_s_warnings(portal):
    """A TM-3 zone that is not the province's: imported, and the page says what to check (the file by its name, not a temp path)."""
    client, _ = portal
    csrf = sign_in(client)
    rows = "name,x,y\nhk,588154.48,2326509.05\ncg,582973.77,2323160.78\n"  # Hà Nội in TM-3 105°00′ metres
    made = client.post(
        "/layers/upload?lang=en", data={"csrf": csrf, "collection": "parks", "crs": "vn2000-tm3:104.5"},
        files={"file": ("parks.csv", rows.encode(), "text/csv")},
    )
    assert made.status_code == 201
    assert "Check:" in made.text and "parks.csv: the features land in" in made.text and "/tmp" not in made.text
