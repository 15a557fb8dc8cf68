"""Signing in to the portal with a password: session cookies, CSRF on every form and change, lock-out with back-off, sign-out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from vkc.auth import sessions, users
from vkc.config import Settings
from vkc.store import audit, open_store
from vkc.store.copy import copy_store
from vkc.web import create_app

PASSWORD = "a long enough passphrase"
FEATURE = {"type": "Feature", "id": "s1", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]}, "properties": {"name": "mới"}}


@pytest.fixture
def portal(seeded_url: str):
    with open_store(seeded_url) as store:
        users.add_user(store, "lan", password=PASSWORD)
        users.grant(store, "lan", "editor", "collection:places")
    with TestClient(create_app(Settings(database=seeded_url)), follow_redirects=False) as client:
        yield client, seeded_url


def form_token(client: TestClient, path: str = "/signin") -> str:
    page = client.get(path)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found[1]


def sign_in(client: TestClient, name: str = "lan", password: str = PASSWORD, **extra: str):
    return client.post("/signin", data={"csrf": form_token(client), "name": name, "password": password, **extra})


def test_a_user_signs_in_and_writes_with_the_session_and_its_csrf_token(portal) -> None:
    client, url = portal
    r = sign_in(client, next="/ogc/collections/places")
    assert r.status_code == 303 and r.headers["location"] == "/ogc/collections/places"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("vkc_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain HTTP: no Secure, or the browser drops it
    me = client.get("/api/session")
    assert me.status_code == 200 and me.json()["user"] == "lan" and me.json()["via"] == "password"
    assert me.json()["scopes"] == ["features:places"] and me.headers["cache-control"] == "no-store"
    items = "/ogc/collections/places/items"
    refused = client.post(items, json=FEATURE)
    assert refused.status_code == 403 and refused.json()["detail"].startswith("a change made in a signed-in session needs")
    wrong = client.post(items, json=FEATURE, headers={"X-CSRF-Token": "not-it"})
    assert wrong.status_code == 403
    made = client.post(items, json=FEATURE, headers={"X-CSRF-Token": me.json()["csrf"]})
    assert made.status_code == 201, made.text
    assert client.post("/ogc/collections/zones/items", json={**FEATURE, "id": "z9"}, headers={"X-CSRF-Token": me.json()["csrf"]}).status_code == 403
    with open_store(url) as store, store.reading() as conn:
        assert [e.actor for e in audit.entries(conn, audit.Selection(action="feature."))][:1] == ["user:lan"]


def test_a_bearer_token_is_judged_before_any_session(portal, editor_token: str) -> None:
    client, _ = portal
    assert sign_in(client).status_code == 303
    r = client.post("/ogc/collections/places/items", json=FEATURE, headers={"Authorization": "Bearer vkc_00000000_nonsense"})
    assert r.status_code == 401  # a bad token is not rescued by the cookie
    r = client.post("/ogc/collections/places/items", json=FEATURE, headers={"Authorization": f"Bearer {editor_token}"})
    assert r.status_code == 201  # and a token needs no CSRF token


def test_a_wrong_password_says_nothing_about_the_name(portal) -> None:
    client, _ = portal
    known, unknown = sign_in(client, password="not the password at all"), sign_in(client, name="nobody")
    assert known.status_code == unknown.status_code == 401
    assert "the user name, the password or the one-time code is wrong" in known.text and "the user name, the password or the one-time code is wrong" in unknown.text
    assert client.get("/api/session").status_code == 401


def test_the_sign_in_form_is_refused_without_its_own_token_or_from_another_site(portal) -> None:
    client, _ = portal
    form_token(client)
    r = client.post("/signin", data={"csrf": "forged", "name": "lan", "password": PASSWORD})
    assert r.status_code == 403 and "vkc_session" not in r.headers.get("set-cookie", "")
    r = client.post("/signin", data={"csrf": form_token(client), "name": "lan", "password": PASSWORD}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = client.post("/signin", content=b'{"name": "lan"}', headers={"Content-Type": "application/json"})
    assert r.status_code == 415


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/ok\r\nSet-Cookie: x=1"])
def test_signing_in_never_sends_the_browser_to_another_site(portal, target: str) -> None:
    client, _ = portal
    r = sign_in(client, next=target)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_failed_sign_ins_lock_the_name_with_back_off_whether_or_not_it_exists(portal) -> None:
    client, url = portal
    for name in ("lan", "nobody"):
        for _ in range(sessions.LOCK_AFTER):
            assert sign_in(client, name=name, password="not the password at all").status_code == 401
        locked = sign_in(client, name=name, password=PASSWORD)
        assert locked.status_code == 429 and 1 <= int(locked.headers["retry-after"]) <= 31
        assert "too many failed sign-ins" in locked.text
    with open_store(url) as store:
        record = store.get_record(sessions.FAILURES, "lan")
        assert record["count"] == sessions.LOCK_AFTER  # while locked, no password is tried nor counted
        # the lock runs out; the next failure locks for twice as long
        store.put_record(sessions.FAILURES, "lan", {**record, "locked_until": datetime.now(UTC).isoformat()})
    assert sign_in(client, password="still not the password").status_code == 401
    again = sign_in(client)
    assert again.status_code == 429 and 31 < int(again.headers["retry-after"]) <= 61
    with open_store(url) as store:
        store.put_record(sessions.FAILURES, "lan", {**store.get_record(sessions.FAILURES, "lan"), "locked_until": None})
    assert sign_in(client).status_code == 303
    with open_store(url) as store:
        assert store.get_record(sessions.FAILURES, "lan") is None  # a success clears the count


def test_signing_out_ends_the_session_and_needs_its_csrf_token(portal) -> None:
    client, url = portal
    sign_in(client)
    csrf = client.get("/api/session").json()["csrf"]
    assert client.post("/signout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/api/session").status_code == 200
    r = client.post("/signout", data={"csrf": csrf})
    assert r.status_code == 303 and 'vkc_session=""' in r.headers["set-cookie"]
    assert client.get("/api/session").status_code == 401
    with open_store(url) as store:
        assert store.records(sessions.KIND) == []


def age(url: str, **fields: str) -> None:
    with open_store(url) as store:
        ((key, record),) = store.records(sessions.KIND)
        store.put_record(sessions.KIND, key, {**record, **fields})


@pytest.mark.parametrize(
    "end",
    [
        "idle",
        "lifetime",
        "password changed",
        "user disabled",
    ],
)
def test_a_session_ends(portal, end: str) -> None:
    client, url = portal
    sign_in(client)
    assert client.get("/api/session").status_code == 200
    long_ago = (datetime.now(UTC) - timedelta(hours=13)).isoformat()
    if end == "idle":
        age(url, seen=(datetime.now(UTC) - sessions.IDLE - timedelta(seconds=1)).isoformat())
    elif end == "lifetime":
        age(url, created=long_ago, expires=datetime.now(UTC).isoformat())
    else:
        with open_store(url) as store:
            if end == "password changed":
                users.set_password(store, "lan", "another long passphrase")
            else:
                users.set_disabled(store, "lan", True)
    r = client.get("/api/session")
    assert r.status_code == 401 and "sign in again" in r.json()["detail"]
    with open_store(url) as store:
        assert store.records(sessions.KIND) == []


def test_over_tls_the_cookie_is_secure_and_bound_to_the_host(seeded_url: str) -> None:
    with open_store(seeded_url) as store:
        users.add_user(store, "lan", password=PASSWORD)
    with TestClient(create_app(Settings(database=seeded_url)), base_url="https://testserver", follow_redirects=False) as client:
        r = sign_in(client)
        cookie = next(c for c in r.headers.get_list("set-cookie") if "vkc_session" in c)
        assert cookie.startswith("__Host-vkc_session=") and "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
        assert client.get("/api/session").json()["user"] == "lan"


def test_copies_of_a_store_leave_sessions_and_failed_sign_ins_behind(seeded_url: str, tmp_path) -> None:
    with open_store(seeded_url) as store:
        users.add_user(store, "lan", password=PASSWORD)
        sessions.sign_in(store, "lan", PASSWORD)
        with pytest.raises(Exception, match="wrong"):
            sessions.sign_in(store, "nobody", PASSWORD)
        with open_store(str(tmp_path / "copy.gpkg")) as target:
            counts = copy_store(store, target)
            assert target.records(sessions.KIND) == [] and target.records(sessions.FAILURES) == []
            assert target.get_record(users.KIND, "lan") is not None
    assert not any(kind.startswith("transient:") for kind in counts.records)


def test_the_landing_page_says_who_is_signed_in_and_signs_them_out(portal) -> None:
    client, _ = portal
    assert 'href="/signin?next=/"' in client.get("/").text
    sign_in(client)
    page = client.get("/").text
    assert ">lan</a>" in page and 'action="/signout"' in page and "/signin?next" not in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    assert client.post("/signout", data={"csrf": csrf}).status_code == 303
    assert 'href="/signin?next=/"' in client.get("/").text


def test_the_401_without_any_credential_says_what_the_request_needs_it_for(client) -> None:
    read = client.get("/api/alerts/subscriptions")
    assert read.status_code == 401 and read.json()["detail"].startswith("this request reads what is not public and needs a token")
    write = client.post("/ogc/collections/places/items", json=FEATURE)
    assert write.status_code == 401 and write.json()["detail"].startswith("this request changes data and needs a token")
