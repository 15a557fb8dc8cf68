"""Sign-in through OpenID Connect, against a real provider on loopback (npm oidc-provider, installed by make from package-lock.json)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from served import free_port
from vkc.auth import oidc, users
from vkc.config import Settings
from vkc.store import audit, open_store
from vkc.web import create_app

from live_server import live_server

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "support" / "oidc_provider.mjs"
CLIENT_ID, CLIENT_SECRET = "vkc-portal", "a secret only the tests know"


@pytest.fixture
def provider_and_portal(seeded_url: str) -> Iterator[tuple[str, str]]:
    """(the provider's issuer, the portal's base URL), both serving on loopback."""
    node = shutil.which("node")
    assert node and (ROOT / "node_modules" / "oidc-provider").is_dir(), "Node.js and `npm ci` (make does both) are needed for the OpenID Connect tests"
    with open_store(seeded_url) as store:
        users.add_user(store, "lan")
        users.grant(store, "lan", "editor", "collection:places")
        users.add_user(store, "minh")
        users.set_disabled(store, "minh", True)
    issuer = f"http://127.0.0.1:{free_port()}"
    provider = oidc.Provider(issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, label="Test provider")
    with live_server(create_app(Settings(database=seeded_url), provider=provider)) as base:
        process = subprocess.Popen(
            [node, str(SCRIPT), issuer.rsplit(":", 1)[1], CLIENT_ID, CLIENT_SECRET, f"{base}/signin/oidc/callback"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # its warnings that the development sign-in pages are on
            text=True,
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("listening"):
                    break
            else:
                pytest.fail(f"the OpenID Connect provider did not start (exit {process.wait()})")
            yield issuer, base
        finally:
            process.terminate()
            process.wait(10)
            if process.stdout is not None:
                process.stdout.close()


def sign_in_at_provider(client: httpx.Client, start: str, login: str) -> httpx.Response:
    """Follow the redirects from ``start``, signing in as ``login`` and consenting on the provider's pages; the last response."""
    response = client.get(start)
    for _ in range(20):
        if response.is_redirect:
            response = client.get(urljoin(str(response.url), response.headers["location"]))
        elif "/interaction/" in str(response.url) and response.status_code == 200:
            prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
            assert prompt, response.text[:500]
            action = html.unescape(re.search(r'<form[^>]+action="([^"]+)"', response.text)[1])
            response = client.post(urljoin(str(response.url), action), data={"prompt": prompt[1], "login": login, "password": "any"})
        else:
            return response
    raise AssertionError("too many redirects")


def test_a_user_signs_in_through_the_provider_and_is_linked_to_its_subject(provider_and_portal, seeded_url: str) -> None:
    issuer, base = provider_and_portal
    with httpx.Client(follow_redirects=False, timeout=20) as browser:
        page = browser.get(f"{base}/signin")
        assert "Test provider" in page.text and "/signin/oidc?next=%2F" in page.text
        first = browser.get(f"{base}/signin/oidc", params={"next": "/ogc/collections"})
        assert first.status_code == 302 and first.headers["location"].startswith(f"{issuer}/auth?")
        asked = parse_qs(urlsplit(first.headers["location"]).query)
        assert asked["code_challenge_method"] == ["S256"] and asked["response_type"] == ["code"] and asked["nonce"] and asked["state"]
        landed = sign_in_at_provider(browser, f"{base}/signin/oidc?next=/ogc/collections", "lan")
        assert landed.status_code == 200 and str(landed.url) == f"{base}/ogc/collections", (landed.url, landed.text[:300])
        me = browser.get(f"{base}/api/session").json()
        assert me["user"] == "lan" and me["via"] == f"oidc:{issuer}" and me["scopes"] == ["features:places"]
        feature = {"type": "Feature", "id": "o1", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]}, "properties": {"name": "x"}}
        made = browser.post(f"{base}/ogc/collections/places/items", json=feature, headers={"X-CSRF-Token": me["csrf"]})
        assert made.status_code == 201, made.text
    with open_store(seeded_url) as store, store.reading() as conn:
        assert users.get_user(store, "lan")["identities"] == {issuer: "lan"}
        links = [(e.actor, e.target) for e in audit.entries(conn, audit.Selection(action="user.link"))]
    assert links == [("user:lan", "user:lan")]
    with httpx.Client(follow_redirects=False, timeout=20) as browser:  # the next time, the link is checked, not made
        assert sign_in_at_provider(browser, f"{base}/signin/oidc", "lan").status_code == 200
        assert browser.get(f"{base}/api/session").json()["user"] == "lan"


@pytest.mark.parametrize(
    ("login", "status", "words"),
    [
        ("nobody", 401, "no enabled user of that name is here"),
        ("minh", 401, "no enabled user of that name is here"),
    ],
)
def test_the_provider_proves_who_someone_is_and_the_platform_decides_if_they_are_a_user(provider_and_portal, login: str, status: int, words: str) -> None:
    _, base = provider_and_portal
    with httpx.Client(follow_redirects=False, timeout=20) as browser:
        landed = sign_in_at_provider(browser, f"{base}/signin/oidc", login)
        assert landed.status_code == status and words in html.unescape(landed.text)
        assert browser.get(f"{base}/api/session").status_code == 401


def test_an_account_with_another_subject_cannot_take_a_linked_name(provider_and_portal) -> None:
    _, base = provider_and_portal
    with httpx.Client(follow_redirects=False, timeout=20) as browser:
        assert sign_in_at_provider(browser, f"{base}/signin/oidc", "lan").status_code == 200
    with httpx.Client(follow_redirects=False, timeout=20) as browser:  # the provider's account was renamed to "lan" by someone else
        landed = sign_in_at_provider(browser, f"{base}/signin/oidc", "intruder~lan")
        assert landed.status_code == 401 and "linked to another account at the provider" in html.unescape(landed.text)
        assert browser.get(f"{base}/api/session").status_code == 401


def test_an_answer_that_is_not_this_browsers_sign_in_is_refused(provider_and_portal) -> None:
    issuer, base = provider_and_portal
    with httpx.Client(follow_redirects=False, timeout=20) as browser:
        start = browser.get(f"{base}/signin/oidc")
        to_provider = start.headers["location"]
        response = browser.get(to_provider)
        while response.is_redirect and not response.headers["location"].startswith(f"{base}/signin/oidc/callback"):
            location = urljoin(str(response.url), response.headers["location"])
            response = browser.get(location)
            if "/interaction/" in location and response.status_code == 200:
                prompt = re.search(r'name="prompt" value="(\w+)"', response.text)[1]
                response = browser.post(location, data={"prompt": prompt, "login": "lan", "password": "any"})
        callback = response.headers["location"]
        query = parse_qs(urlsplit(callback).query)
        assert query["iss"] == [issuer] and query["code"]
        forged = callback.replace(f"state={query['state'][0]}", "state=forged")
        refused = browser.get(forged)  # a state that is not this sign-in's (and the pending sign-in is spent)
        assert refused.status_code == 401 and "state differs" in refused.text
        assert browser.get(callback).status_code == 401  # spent: a callback is good once
    with httpx.Client(follow_redirects=False, timeout=20) as stranger:  # someone else's browser, with the code
        assert stranger.get(callback).status_code == 401


def test_a_misconfigured_provider_is_named_at_start_up(monkeypatch, tmp_path) -> None:
    assert oidc.Provider.from_env({}) is None
    with pytest.raises(Exception, match="VKC_OIDC_CLIENT_ID and VKC_OIDC_CLIENT_SECRET"):
        oidc.Provider.from_env({"VKC_OIDC_ISSUER": "https://id.example"})
    with pytest.raises(Exception, match="is not an https URL"):
        oidc.Provider.from_env({"VKC_OIDC_ISSUER": "ftp://id.example", "VKC_OIDC_CLIENT_ID": "a", "VKC_OIDC_CLIENT_SECRET": "b"})
    secret = tmp_path / "secret"
    secret.write_text("from a file\n")
    provider = oidc.Provider.from_env({"VKC_OIDC_ISSUER": "https://id.example", "VKC_OIDC_CLIENT_ID": "a", "VKC_OIDC_CLIENT_SECRET_FILE": str(secret)})
    assert provider is not None and provider.client_secret == "from a file" and provider.label == "id.example"
    assert "from a file" not in repr(provider)


@pytest.mark.parametrize(
    ("login", "signed_in"),
    [("chi", False), ("chi+pwd", False), ("chi+pwd,pin", False), ("chi+pwd,otp", True), ("chi+mfa", True), ("chi+hwk,fpt", True)],
)
def test_an_admin_signs_in_through_the_provider_only_with_a_second_factor_there(provider_and_portal, seeded_url: str, login: str, signed_in: bool) -> None:
    """The ID token's amr (RFC 8176) must say mfa or two kinds of factor, as a password sign-in here needs a one-time code."""
    _, base = provider_and_portal
    with open_store(seeded_url) as store:
        users.add_user(store, "chi")
        users.grant(store, "chi", "admin")
    with httpx.Client(follow_redirects=False, timeout=20) as browser:
        landed = sign_in_at_provider(browser, f"{base}/signin/oidc", login)
        session = browser.get(f"{base}/api/session")
        if signed_in:
            assert landed.status_code == 200 and session.json()["role"] == "admin", re.findall(r"role=\"alert\">([^<]*)", html.unescape(landed.text))
        else:
            assert landed.status_code == 401 and "second factor" in html.unescape(landed.text)
            assert session.status_code == 401
