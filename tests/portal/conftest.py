"""The portal in a real browser: Debian's Chromium driven by Playwright, over ``vkc serve`` on a demo store.

Screenshots of every page in each language are kept under ``tests/artifacts/screenshots`` (not committed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, OUTBOUND_ALLOW, PASSWORD, USER
from served import free_port, wait_until_healthy

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
#: messages of the software renderer about its own speed, not about the page
_RENDERER_NOISE = ("GPU stall due to ReadPixels", "GL Driver Message")


def _vkc(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run([sys.executable, "-m", "vkc", *args], input=stdin, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"vkc {' '.join(args)}: {done.stderr}"


@pytest.fixture(scope="session")
def portal_store(tmp_path_factory) -> Path:
    """A demo store (two days of synthetic observations) with one user, an editor of everything, who signs in through the pages."""
    db = tmp_path_factory.mktemp("portal") / "demo.gpkg"
    _vkc("demo", "--no-serve", "--air-hours", "48", "--db", str(db))
    _vkc("user", "add", USER, "--password-stdin", "--db", str(db), stdin=PASSWORD + "\n")
    _vkc("user", "grant", USER, "--role", "editor", "--db", str(db))
    return db


@pytest.fixture(scope="session")
def portal_base(portal_store: Path) -> Iterator[str]:
    """``vkc serve`` over the demo store, its base URL."""
    port, log = free_port(), portal_store.parent / "server.log"
    env = {**os.environ, "VKC_OUTBOUND_ALLOW": OUTBOUND_ALLOW}
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "vkc", "serve", "--db", str(portal_store), "--port", str(port), "--no-tasks", "--rate-limit", "0"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, server, log)
            yield base
        finally:
            server.terminate()
            server.wait(30)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module: Playwright's synchronous API runs an event loop in this thread for as long as
    it is open, and a later test of another module calling ``asyncio.run`` here would fail (pytest ends a module's
    fixtures before it runs a test of another module)."""
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: make system-deps installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Visit:
    """One browser tab, with what went wrong in it: console errors, page errors, failed or refused requests."""

    page: object
    base: str
    problems: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base + path)  # type: ignore[attr-defined]
        assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"

    def until(self, script: str, timeout: float = 30.0) -> object:
        """Poll ``script`` (a JavaScript expression) until it is truthy. The pages' policy forbids eval, which Playwright's
        wait_for_function uses; evaluate goes through the debugger protocol and is not subject to it."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.page.evaluate(script)  # type: ignore[attr-defined]
            if value:
                return value
            assert time.monotonic() < deadline, f"never true: {script}; problems: {self.problems}"
            time.sleep(0.05)

    def map_ready(self) -> None:
        self.until(
            "!!(window.vkcMap && document.getElementById('map').dataset.loaded && vkcMap.loaded() && vkcMap.areTilesLoaded() && !vkcMap.isMoving())"
        )

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.fixture
def open_tab(browser, portal_base) -> Iterator[Callable[..., Visit]]:
    """Opens a tab in a fresh browser context (``new_context`` options: a viewport, a phone …) that records its problems."""
    contexts = []

    def open_one(**options) -> Visit:
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **options})
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page, portal_base)

        def console(message) -> None:
            if message.type in ("error", "warning") and not any(n in message.text for n in _RENDERER_NOISE):
                seen.problems.append(f"console {message.type}: {message.text}")

        def failed(request) -> None:
            if request.failure != "net::ERR_ABORTED":  # a navigation cancels what the page before it still loaded
                seen.problems.append(f"failed: {request.url} {request.failure}")

        page.on("console", console)
        page.on("pageerror", lambda error: seen.problems.append(f"page error: {error}"))
        page.on("requestfailed", failed)
        page.on("response", lambda response: response.status >= 400 and seen.problems.append(f"HTTP {response.status}: {response.url}"))
        return seen

    yield open_one
    for context in contexts:
        context.close()


@pytest.fixture
def visit(open_tab) -> Visit:
    return open_tab()
