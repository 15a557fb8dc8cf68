"""WCAG 2.1 A and AA, checked in each page by axe-core (npm, pinned) in Debian's Chromium: no violation on any page of the portal."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import PASSWORD, USER

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "home": "/",
    "about": "/about",
    "signin": "/signin",
    "collections": "/ogc/collections?f=html",
    "layer": "/ogc/collections/buildings?f=html",
    "items": "/ogc/collections/schools/items?f=html&limit=50",
    "item": "/ogc/collections/aq_stations/items/hn-mttd-14?f=html",
    "air": "/air",
    "air-station": "/air/stations/hn-mttd-14",
}
SIGNED_IN = {"account": "/account", "upload": "/layers/upload", "alerts": "/alerts"}
#: axe's run over the page: the WCAG 2.0 and 2.1 rules of levels A and AA; each violation with the elements it found
RUN = """axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]})
  .then((r) => r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`))"""


def violations(visit) -> list[str]:
    assert AXE.is_file(), f"{AXE} is missing: make installs the npm packages"
    visit.page.evaluate(AXE.read_text(encoding="utf-8"))  # through the debugger protocol: the pages' policy allows no inline script
    found: list[str] = visit.page.evaluate(RUN)
    return found


def settle(visit, name: str) -> None:
    visit.page.wait_for_load_state("networkidle")
    if visit.page.locator("#map").count():
        visit.map_ready()
    if name == "air-station":
        visit.until("document.getElementById('charts').dataset.loaded === 'true'")


@pytest.mark.parametrize("language", ["vi", "ko"])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_meets_wcag_aa(visit, name, language):
    path = PAGES[name]
    visit.goto(path + ("&" if "?" in path else "?") + f"lang={language}")
    settle(visit, name)
    assert violations(visit) == []
    assert visit.problems == []


def test_the_signed_in_pages_meet_wcag_aa(visit):
    visit.goto("/signin?lang=en")
    visit.page.get_by_label("User name").fill(USER)
    visit.page.get_by_label("Password").fill(PASSWORD)
    visit.page.get_by_role("button", name="Sign in").click()
    visit.page.wait_for_load_state()
    found = {}
    for name, path in SIGNED_IN.items():
        visit.goto(path)
        settle(visit, name)
        found[name] = violations(visit)
    assert found == dict.fromkeys(SIGNED_IN, [])
    assert visit.problems == []


def test_the_checker_finds_what_it_should(visit):
    """A page made wrong on purpose (an image without text, a field without a label, grey on grey) is caught."""
    visit.goto("/about?lang=en")
    visit.page.evaluate(
        """(() => { const main = document.getElementById("main");
        main.insertAdjacentHTML("beforeend", '<img src="/favicon.svg"><input type="text"><p style="color:#aaa;background:#bbb">faint</p>'); })()"""
    )
    rules = {v.split(" ", 1)[0] for v in violations(visit)}
    assert {"image-alt", "label", "color-contrast"} <= rules, rules
