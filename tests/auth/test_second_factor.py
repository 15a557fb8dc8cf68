"""The second factor: one-time codes from an authenticator app (TOTP), enrolled, confirmed, needed at sign-in, good once; admins need one."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from fastapi.testclient import TestClient

from vkc import auth
from vkc.auth import second_factor, users
from vkc.config import Settings
from vkc.store import audit, open_store
from vkc.web import create_app

PASSWORD = "a long enough passphrase"


def code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


@pytest.fixture
def portal(seeded_url: str):
    with open_store(seeded_url) as store:
        users.add_user(store, "lan", password=PASSWORD)
        users.add_user(store, "root", password=PASSWORD)
        users.grant(store, "root", "admin")
        admin = auth.create_token(store, "admin", name="ops")[1]
    with TestClient(create_app(Settings(database=seeded_url)), follow_redirects=False) as client:
        yield client, seeded_url, {"Authorization": f"Bearer {admin}"}


def sign_in(client: TestClient, name: str, one_time: str = "") -> int:
    page = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    response = client.post("/signin", data={"csrf": csrf, "name": name, "password": PASSWORD, "code": one_time})
    client.cookies.clear()
    return response.status_code


def test_enrolled_by_command_a_code_is_needed_at_sign_in_and_is_good_once(portal, vkc) -> None:
    client, url, _ = portal
    r = vkc(["user", "mfa", "enrol", "lan", "--db", url])
    assert r.returncode == 0, r.stderr
    uri = urlsplit(r.stdout.strip())
    assert uri.scheme == "otpauth" and uri.netloc == "totp" and "lan" in uri.path and parse_qs(uri.query)["issuer"] == ["VKC"]
    secret = parse_qs(uri.query)["secret"][0]
    assert len(secret) == 32 and secret in r.stderr
    assert sign_in(client, "lan") == 303  # pending until confirmed: nobody is locked out by a mistyped enrolment
    assert vkc(["user", "mfa", "confirm", "lan", "000000" if code(secret) != "000000" else "111111", "--db", url]).returncode == 1
    confirmed = vkc(["user", "mfa", "confirm", "lan", code(secret), "--db", url])
    assert confirmed.returncode == 0 and '"second_factor": "confirmed"' in confirmed.stdout and secret not in confirmed.stdout
    assert sign_in(client, "lan") == 401
    assert sign_in(client, "lan", "123456" if code(secret, 1) != "123456" else "654321") == 401
    fresh = code(secret, 1)  # the step after the one the confirmation used (one step of drift is allowed)
    assert sign_in(client, "lan", fresh) == 303
    assert sign_in(client, "lan", fresh) == 401  # good once
    listed = vkc(["user", "list", "--db", url])
    exported = vkc(["audit", "export", "-o", "-", "--db", url])
    assert secret not in listed.stdout and secret not in exported.stdout and '"totp"' not in exported.stdout
    with open_store(url) as store, store.reading() as conn:
        actions = [e.action for e in audit.entries(conn, audit.Selection(action="user.mfa"))]
    assert sorted(actions) == ["user.mfa-confirm", "user.mfa-enrol"]


def test_an_admin_signs_in_only_with_a_second_factor(portal) -> None:
    client, url, _ = portal
    page = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    refused = client.post("/signin", data={"csrf": csrf, "name": "root", "password": PASSWORD})
    assert refused.status_code == 401 and "an admin signs in with a one-time code as well" in refused.text
    client.cookies.clear()
    with open_store(url) as store:
        secret = second_factor.enrol(store, "root")["secret"]
        second_factor.confirm(store, "root", code(secret))
    assert sign_in(client, "root", code(secret, 1)) == 303


def test_a_user_enrols_over_the_api_and_only_an_admin_replaces_a_confirmed_factor(portal) -> None:
    client, url, admin = portal
    with open_store(url) as store:
        own = {"Authorization": f"Bearer {auth.create_user_token(store, 'lan')[1]}"}
    made = client.post("/api/users/lan/mfa", json={}, headers=own)
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store" and made.json()["uri"].startswith("otpauth://totp/")
    secret = made.json()["secret"]
    assert client.get("/api/users/lan", headers=own).json()["second_factor"] == "pending"
    wrong = client.post("/api/users/lan/mfa/confirm", json={"code": "12345"}, headers=own)
    assert wrong.status_code == 400 and wrong.json()["field"] == "code"
    r = client.post("/api/users/lan/mfa/confirm", json={"code": code(secret)}, headers=own)
    assert r.status_code == 200 and r.json()["second_factor"] == "confirmed" and "totp" not in r.json()
    assert client.post("/api/users/lan/mfa", json={}, headers=own).status_code == 409  # a stolen token cannot swap the factor
    assert client.post("/api/users/root/mfa", json={}, headers=own).status_code == 403
    assert client.delete("/api/users/lan/mfa", headers=own).status_code == 403
    removed = client.delete("/api/users/lan/mfa", headers=admin)
    assert removed.status_code == 200 and removed.json()["second_factor"] is None
    assert sign_in(client, "lan") == 303
