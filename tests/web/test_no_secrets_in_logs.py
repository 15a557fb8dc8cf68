"""What a real server logs while tokens, passwords and webhook secrets pass through it: refusals, never a secret."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from served import free_port, wait_until_healthy
from vkc import auth
from vkc.store import open_store


def test_the_server_log_holds_refusals_and_no_secret(seeded_url: str, tmp_path: Path) -> None:
    with open_store(seeded_url) as store:
        _, admin = auth.create_token(store, "admin")
        revoked_id, revoked = auth.create_token(store, "editor")
        auth.revoke_token(store, revoked_id)
    port, log = free_port(), tmp_path / "server.log"
    env = {**os.environ, "VKC_OUTBOUND_ALLOW": ""}
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "vkc", "serve", "--db", seeded_url, "--port", str(port), "--no-tasks", "--rate-limit", "0"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, server, log)
            as_admin = {"Authorization": f"Bearer {admin}"}
            password = "correct horse battery staple"
            assert httpx.post(f"{base}/api/users", json={"name": "lan", "password": password}, headers=as_admin).status_code == 201
            made = httpx.post(f"{base}/api/users/lan/tokens", json={}, headers=as_admin).json()["token"]
            sub = httpx.post(f"{base}/api/alerts/subscriptions", json={"url": "https://93.184.215.14/h", "condition": {"above": 100}}, headers=as_admin)
            secret = sub.json()["secret"]
            assert httpx.get(f"{base}/api/users/lan", headers={"Authorization": f"Bearer {made}"}).status_code == 200
            assert httpx.get(f"{base}/api/users/lan", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
            wrong = "vkc_0badc0de_" + "x" * 43
            assert httpx.get(f"{base}/api/users/lan", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
            assert httpx.get(f"{base}/api/users/lan", auth=("lan", password)).status_code == 401  # a password is no token
            with httpx.Client(base_url=base, follow_redirects=False) as browser:  # the portal's sign-in, and a wrong password
                csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/signin").text)[1]
                assert browser.post("/signin", data={"csrf": csrf, "name": "lan", "password": password + "!"}).status_code == 401
                assert browser.post("/signin", data={"csrf": csrf, "name": "lan", "password": password}).status_code == 303
                session = browser.cookies["vkc_session"]
                session_csrf = browser.get("/api/session").json()["csrf"]
        finally:
            server.terminate()
            server.wait(30)
    text = log.read_text(errors="replace")
    for name, value in {"admin token": admin, "user token": made, "revoked token": revoked, "wrong token": wrong, "password": password, "webhook secret": secret,
                        "session": session, "session's CSRF token": session_csrf, "sign-in form's token": csrf}.items():
        assert value not in text, f"the {name} is in the server's log"
        secret_part = value.removeprefix(value[:13]) if value.startswith("vkc_") else value  # after vkc_<8 hex digits>_
        assert secret_part not in text, f"the secret part of the {name} is in the server's log"
    assert f"refused a token (id {revoked_id}): the token was revoked" in text
    assert "refused a token (id 0badc0de): the token is not valid" in text
    assert "failed sign-in for 'lan'" in text and "user lan signed in" in text
    assert "GET /api/users/lan" in text  # the access log was on: the test read a real log
