"""/api/users: admins manage users, grants and tokens; a user reads themself and keeps their own password and tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from vkc import auth
from vkc.config import Settings
from vkc.store import audit, open_store
from vkc.web import create_app

USERS = "/api/users"


@pytest.fixture
def api(seeded_url: str):
    with open_store(seeded_url) as store:
        admin_id, admin = auth.create_token(store, "admin", name="ops")
    with TestClient(create_app(Settings(database=seeded_url))) as client:
        yield client, {"Authorization": f"Bearer {admin}"}, admin_id, seeded_url


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_manages_users_grants_and_tokens(api) -> None:
    client, admin, admin_id, url = api
    r = client.post(USERS, json={"name": "lan", "display_name": "Nguyễn Lan", "password": "a long enough passphrase"}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/api/users/lan") and r.json()["has_password"] and "password" not in r.json()
    assert client.post(USERS, json={"name": "lan"}, headers=admin).status_code == 409
    r = client.post(f"{USERS}/lan/grants", json={"role": "editor", "target": "collection:places"}, headers=admin)
    assert r.status_code == 200 and r.json()["grants"] == [{"role": "editor", "target": "collection:places"}]
    bad = client.post(f"{USERS}/lan/grants", json={"role": "owner"}, headers=admin)
    assert bad.status_code == 400 and bad.json()["field"] == "role"
    assert [u["name"] for u in client.get(USERS, headers=admin).json()["users"]] == ["lan"]
    made = client.post(f"{USERS}/lan/tokens", json={"name": "laptop", "expires_days": 30}, headers=admin)
    assert made.status_code == 201 and made.json()["token"].startswith("vkc_")
    token = made.json()["token"]
    feature = {"type": "Feature", "id": "n1", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]}, "properties": {"name": "mới"}}
    assert client.post("/ogc/collections/places/items", json=feature, headers=bearer(token)).status_code == 201
    r = client.delete(f"{USERS}/lan/grants", params={"role": "editor", "target": "collection:places"}, headers=admin)
    assert r.status_code == 200 and r.json()["grants"] == []
    assert client.post("/ogc/collections/places/items", json={**feature, "id": "n2"}, headers=bearer(token)).status_code == 403
    assert client.patch(f"{USERS}/lan", json={"disabled": True}, headers=admin).json()["disabled"]
    assert client.get(f"{USERS}/lan", headers=bearer(token)).status_code == 401
    with open_store(url) as store, store.reading() as conn:
        done = [(e.actor, e.action) for e in audit.entries(conn, audit.Selection(action="user."))]
    assert done == [(f"token:{admin_id}", a) for a in ("user.add", "user.grant", "user.revoke", "user.disable")]


def test_a_user_reads_themself_keeps_their_password_and_tokens_and_nothing_else(api) -> None:
    client, admin, _, _ = api
    for name in ("lan", "minh"):
        client.post(USERS, json={"name": name, "password": "a long enough passphrase"}, headers=admin)
    own = bearer(client.post(f"{USERS}/lan/tokens", json={}, headers=admin).json()["token"])
    assert client.get(f"{USERS}/lan", headers=own).json()["name"] == "lan"
    for method, path in (("get", USERS), ("get", f"{USERS}/minh"), ("post", f"{USERS}/minh/tokens"), ("get", f"{USERS}/minh/tokens")):
        r = client.request(method, path, headers=own, json={} if method == "post" else None)
        assert r.status_code == 403 and "users:manage" in r.json()["detail"], (method, path, r.text)
    denied = client.post(f"{USERS}/lan/grants", json={"role": "admin"}, headers=own)  # nobody grants themself a role
    assert denied.status_code == 403
    wrong = client.put(f"{USERS}/lan/password", json={"password": "another long passphrase", "current": "a guess"}, headers=own)
    assert wrong.status_code == 400 and wrong.json()["field"] == "current"
    right = client.put(f"{USERS}/lan/password", json={"password": "another long passphrase", "current": "a long enough passphrase"}, headers=own)
    assert right.status_code == 204
    second = client.post(f"{USERS}/lan/tokens", json={"name": "phone"}, headers=own)
    assert second.status_code == 201
    listed = client.get(f"{USERS}/lan/tokens", headers=own).json()["tokens"]
    assert {t["name"] for t in listed} == {"", "phone"} and "vkc_" not in str(listed)
    assert client.delete(f"{USERS}/lan/tokens/{second.json()['id']}", headers=own).json()["revoked"]
    assert client.get(f"{USERS}/lan", headers=bearer(second.json()["token"])).status_code == 401
    assert client.delete(f"{USERS}/lan/tokens/0000abcd", headers=own).status_code == 404


def test_anonymous_requests_are_refused(api) -> None:
    client, *_ = api
    assert client.get(USERS).status_code == 401
    assert client.post(USERS, json={"name": "x1"}).status_code == 401


def _validate(instance: object, schema: dict) -> None:
    import jsonschema_rs  # the validator schemathesis checks answers with

    jsonschema_rs.validate(schema, instance)


def _declared(doc: dict, path: str, method: str, status: int) -> dict:
    return doc["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def test_the_document_describes_the_bodies_answers_and_links_of_users_and_tokens(api) -> None:
    """The document had no request bodies (schemathesis could send none) and answers of any shape; now it says both, and links create to read."""
    client, admin, _, _ = api
    doc = client.get("/openapi.json").json()
    one, tokens = f"{USERS}/{{name}}", f"{USERS}/{{name}}/tokens"
    for path, method in ((USERS, "post"), (one, "patch"), (f"{one}/password", "put"), (f"{one}/grants", "post"), (tokens, "post")):
        body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body["type"] == "object" and body["additionalProperties"] is False, (method, path)
    added = client.post(USERS, json={"name": "lan", "password": "a long enough passphrase"}, headers=admin)
    _validate(added.json(), _declared(doc, USERS, "post", 201))
    _validate(client.get(f"{USERS}/lan", headers=admin).json(), _declared(doc, one, "get", 200))
    _validate(client.get(USERS, headers=admin).json(), _declared(doc, USERS, "get", 200))
    granted = client.post(f"{USERS}/lan/grants", json={"role": "editor", "target": "collection:places"}, headers=admin)
    _validate(granted.json(), _declared(doc, f"{one}/grants", "post", 200))
    made = client.post(f"{USERS}/lan/tokens", json={"expires_days": 2}, headers=admin)
    _validate(made.json(), _declared(doc, tokens, "post", 201))
    _validate(client.get(f"{USERS}/lan/tokens", headers=admin).json(), _declared(doc, tokens, "get", 200))
    revoked = client.delete(f"{USERS}/lan/tokens/{made.json()['id']}", headers=admin)
    _validate(revoked.json(), _declared(doc, f"{tokens}/{{token_id}}", "delete", 200))
    links = doc["paths"][USERS]["post"]["responses"]["201"]["links"]
    assert links["GetUser"] == {
        "operationRef": "#/paths/~1api~1users~1{name}/get", "description": "The user added", "parameters": {"name": "$response.body#/name"}
    }
    revoke = doc["paths"][tokens]["post"]["responses"]["201"]["links"]["RevokeToken"]
    assert revoke["parameters"] == {"name": "$request.path.name", "token_id": "$response.body#/id"}


def test_expires_days_takes_an_integer_written_with_a_fraction_and_nothing_else_fractional(api) -> None:
    """The document's expires_days is a JSON Schema integer, which 30.0 is; the route refused it (schemathesis generated it)."""
    client, admin, _, _ = api
    client.post(USERS, json={"name": "lan"}, headers=admin)
    made = client.post(f"{USERS}/lan/tokens", json={"expires_days": 30.0}, headers=admin)
    assert made.status_code == 201, made.text
    for bad in (30.5, True, "30", 0, 367):
        r = client.post(f"{USERS}/lan/tokens", json={"expires_days": bad}, headers=admin)
        assert r.status_code == 400 and r.json()["field"] == "expires_days", bad


def test_sessions_are_listed_and_ended_by_their_user_or_an_admin(seeded_url):
    """An admin ends a session left open on a lost laptop; the user sees theirs; nobody else sees them."""
    from vkc.auth import sessions, users
    from vkc.errors import AuthenticationError

    with open_store(seeded_url) as store:
        users.add_user(store, "lan")
        users.add_user(store, "minh")
        laptop = sessions.open_session(store, "lan", via="password", address="203.0.113.7")
        phone = sessions.open_session(store, "lan", via="password")
        lan = {"Authorization": f"Bearer {auth.create_user_token(store, 'lan')[1]}"}
        minh = {"Authorization": f"Bearer {auth.create_user_token(store, 'minh')[1]}"}
        admin = {"Authorization": f"Bearer {auth.create_token(store, 'admin')[1]}"}
    with TestClient(create_app(Settings(database=seeded_url))) as client:
        listed = client.get("/api/users/lan/sessions", headers=lan)
        assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
        found = listed.json()["sessions"]
        assert len(found) == 2 and {s["address"] for s in found} == {"203.0.113.7", ""}
        assert all("csrf" not in s and "stamp" not in s for s in found)
        assert client.get("/api/users/lan/sessions", headers=minh).status_code == 403
        assert client.get("/api/users/nobody/sessions", headers=admin).status_code == 404
        lost = next(s["id"] for s in found if s["address"] == "203.0.113.7")
        assert client.delete(f"/api/users/lan/sessions/{lost}", headers=minh).status_code == 403
        assert client.delete("/api/users/lan/sessions/0badc0de", headers=admin).status_code == 404
        assert client.delete(f"/api/users/lan/sessions/{lost}", headers=admin).status_code == 204
        assert [s["id"] for s in client.get("/api/users/lan/sessions", headers=lan).json()["sessions"]] != [lost]
    with open_store(seeded_url) as store:
        assert sessions.session_grant(store, phone.secret)[0].user == "lan"
        with pytest.raises(AuthenticationError, match="not signed in"):
            sessions.session_grant(store, laptop.secret)
