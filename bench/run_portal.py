"""Portal benchmark: how long the home map takes in a real browser, what it weighs, how many requests it makes.

``vkc demo --no-serve`` builds a GeoPackage demo store (``--air-hours``, default a
synthetic year), ``vkc serve`` serves it with its defaults, and Debian's Chromium
(driven by Playwright, as the portal's tests drive it) opens the home page at
1280×800, each run in a fresh browser context: a cold HTTP cache, as a first
visit. The very first run also finds the server's tile cache empty (a server just
started, or data just changed); the next ones find the tiles kept
(:mod:`vkc.ogc.tile_cache`). Then as many runs in one context: a warm browser
cache, as a visitor's next visit.

Measured per run: from the start of the navigation until the map is interactive
and every tile of the first view has drawn (the page's data has come —
``data-loaded`` on the map — MapLibre has loaded its style, no tile is pending, the
map is not moving), and then the requests the page made (its map's worker's
tiles included) and the bytes it transferred (headers and bodies; nothing for
an answer from the browser's cache). Target: under 1.5 s on this machine.

Writes bench/results/portal.json and portal.md (``--out`` names another stem).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_api import free_port, stop, wait_up

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent / "tests" / "support"))
from browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the tests' browser settings, one place)

READY = (
    "!!(window.vkcMap && document.getElementById('map').dataset.loaded && vkcMap.loaded() && vkcMap.areTilesLoaded() && !vkcMap.isMoving())"
)
TARGET_S = 1.5


def measure(page, url: str, timeout: float = 60.0) -> dict:
    """One visit of ``url``: seconds until the map is ready, requests, bytes transferred."""
    problems: list[str] = []
    finished: list = []  # every request of the page, its worker's (the tiles) included
    page.on("requestfinished", lambda request: finished.append(request))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url}"))
    start = time.perf_counter()
    document = page.goto(url)
    if document is None or not document.ok or not document.headers.get("content-type", "").startswith("text/html"):
        raise SystemExit(f"{url}: {document.status if document else 'no response'} {document.headers if document else ''}")
    deadline = start + timeout
    while not page.evaluate(READY):
        if time.perf_counter() > deadline:
            raise SystemExit(f"the map never got ready at {url}: {problems[:5]}")
        time.sleep(0.01)
    ready = page.evaluate("performance.now()")  # ms since the navigation began, by the browser's clock
    resources = []
    for request in finished:
        sizes = request.sizes()
        from_cache = sizes["responseHeadersSize"] <= 0  # an answer from the browser's cache crossed no wire
        resources.append({"name": request.url, "bytes": 0 if from_cache else sizes["responseBodySize"] + sizes["responseHeadersSize"]})
    tiles = [r for r in resources if "/tiles/" in r["name"]]
    return {
        "ready_s": round(ready / 1000, 3),
        "requests": len(resources),
        "transferred_kb": round(sum(r["bytes"] for r in resources) / 1024, 1),
        "tiles": len(tiles),
        "tile_kb": round(sum(r["bytes"] for r in tiles) / 1024, 1),
    }


def summary(runs: list[dict]) -> dict:
    ready = [r["ready_s"] for r in runs]
    return {
        "runs": runs,
        "ready_median_s": round(statistics.median(ready), 3),
        "ready_max_s": max(ready),
        "requests_median": statistics.median(r["requests"] for r in runs),
        "transferred_kb_median": statistics.median(r["transferred_kb"] for r in runs),
    }


def markdown(result: dict) -> str:
    s = result["settings"]
    lines = [
        "# Portal benchmark: the home map in Debian's Chromium",
        "",
        f"{s['machine']}; demo store with {s['air_hours']} hours of synthetic observations; `vkc serve` defaults; Chromium "
        f"{s['browser']} at {s['viewport']}, {s['runs']} runs each. Ready: the navigation's start to the map interactive with every tile "
        f"of the first view drawn. Target: under {TARGET_S} s.",
        "",
        "Server cold: the first run, the server's tile cache empty. Cold: a new browser, the server's tiles kept. Warm: the browser's cache too.",
        "",
        "| cache | ready, median s | ready, max s | requests | transferred KB | tiles | tile KB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("server_cold", "cold", "warm"):
        r = result[name]
        first = r["runs"][0]
        lines.append(
            f"| {name} | {r['ready_median_s']} | {r['ready_max_s']} | {r['requests_median']} | {r['transferred_kb_median']} | {first['tiles']} | {first['tile_kb']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="visits with a cold browser cache (after a first, the server's tiles cache cold too), then as many with a warm one")
    ap.add_argument("--air-hours", type=int, default=365 * 24, help="hours of synthetic observations per station in the demo store")
    ap.add_argument("--lang", default="vi", choices=["vi", "ko", "en"])
    ap.add_argument("--out", default="portal", help="file stem under bench/results")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="vkc-portal-bench-") as work:
        db = Path(work) / "demo.gpkg"
        subprocess.run([sys.executable, "-m", "vkc", "demo", "--no-serve", "--air-hours", str(args.air_hours), "--db", str(db)], check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "vkc", "serve", "--db", str(db), "--port", str(port), "--no-tasks"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(f"{base}/health", server)
            url = f"{base}/?lang={args.lang}"
            viewport = {"width": 1280, "height": 800}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                cold = []
                for _ in range(args.runs + 1):
                    context = browser.new_context(viewport=viewport)
                    cold.append(measure(context.new_page(), url))
                    context.close()
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                measure(page, url)  # fills the cache
                warm = [measure(page, url) for _ in range(args.runs)]
                context.close()
                version = browser.version
                browser.close()
        finally:
            stop(server)

    result = {
        "settings": {
            "machine": f"{platform.node()} ({platform.platform()})", "air_hours": args.air_hours, "runs": args.runs,
            "browser": version, "viewport": "1280×800", "lang": args.lang, "target_s": TARGET_S,
        },
        "server_cold": summary(cold[:1]),
        "cold": summary(cold[1:]),
        "warm": summary(warm),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
