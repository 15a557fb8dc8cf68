"""Debian's Chromium as the portal's tests and benchmark launch it (Playwright drives it; no browser is downloaded)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
#: headless as root on a machine without a GPU (WebGL through SwiftShader), and nothing fetched but the pages
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic", "--disable-dev-shm-usage", "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]
#: the portal tests' demo store has one user, who signs in through the page
USER, PASSWORD = "lan", "cây bàng trước ngõ nhà tôi"
#: the networks the portal tests' server may send webhooks to (an alert subscription to a closed port on loopback)
OUTBOUND_ALLOW = "127.0.0.0/8"
