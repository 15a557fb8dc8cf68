"""The SQL function the sensor aggregations need in SQLite, which has no percentile of its own: ``vkc_p95``.

Registered on every GeoPackage store connection. The spatial functions of
SensorThings filters are the kernel's (:mod:`vkc.store.sqlite_spatial`).
"""

from __future__ import annotations

import sqlite3

from vkc.sensors.stats import P95


def register(conn: sqlite3.Connection) -> None:
    conn.create_aggregate("vkc_p95", 1, P95)
