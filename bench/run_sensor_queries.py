"""Sensor query benchmark: the latest AQI of every station and a year aggregated to days, p50/p99, on both stores.

Data: the demo's 32 real stations with synthetic hourly values (vkc.demo.air,
fixed seed; about 500 000 observations a year). Each store is measured twice:
holding one month, then the whole year, to show whether a query's cost grows
with the observations stored (it should not for the latest AQI).

One ``vkc serve`` process per store (one worker); one client sends each request
``--requests`` times in sequence after 10 warm-up requests; latency is the
client's wall time per request.

Cases:
- ``latest_aqi_all_stations``: ``GET /api/aqi/stations`` (VN_AQI and US AQI of
  the newest hour of all 32 stations, GeoJSON).
- ``sta_latest_observation_per_datastream``: the SensorThings way to the same
  question, ``Datastreams?$expand=Observations($orderby=phenomenonTime desc;$top=12)``
  (the last 12 hours per Datastream, as a NowCast needs), for comparison.
- ``year_to_days_one_datastream``: ``GET /api/datastreams/{id}/aggregate?interval=1d``
  over 2025 for one station's PM2.5.
- ``year_daily_aqi_one_station``: ``GET /api/aqi/stations/{id}/daily`` over 2025
  (every pollutant, both methods).

Writes bench/results/sensor_queries.json and sensor_queries.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
WORK = HERE / "work"
sys.path.insert(0, str(HERE.parent / "tests" / "support"))

STATION = "hn-mttd-14"
YEAR = {"from": "2025-01-01T00:00:00+07:00", "to": "2026-01-01T00:00:00+07:00"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(url: str, hours: int) -> float:
    from vkc.demo.air import load_air_demo
    from vkc.store import open_store

    started = time.perf_counter()
    with open_store(url) as store:
        load_air_demo(store, hours=hours)
    return time.perf_counter() - started


def observations(url: str) -> tuple[int, int]:
    from vkc.sensors.db import SensorDb
    from vkc.store import open_store

    with open_store(url) as store:
        db = SensorDb(store)
        with db.reading() as conn:
            count = conn.execute("SELECT count(*) FROM sta_observations").fetchone()[0]
            ds = conn.execute("SELECT id FROM sta_datastreams WHERE external_id = ?", [f"{STATION}/pm25"]).fetchone()[0]
    return count, ds


def measure(client: httpx.Client, path: str, params: dict, n: int) -> dict:
    for _ in range(10):
        client.get(path, params=params).raise_for_status()
    times = []
    size = 0
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path, params=params)
        times.append((time.perf_counter() - t) * 1000)
        r.raise_for_status()
        size = len(r.content)
    times.sort()
    return {
        "requests": n,
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[min(n - 1, int(n * 0.99))], 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "bytes": size,
    }


def run_cases(url: str, n: int) -> dict:
    count, ds = observations(url)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "vkc", "serve", "--db", url, "--port", str(port), "--rate-limit", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/ogc", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("vkc serve did not start: " + (server.stderr.read().decode() if server.stderr else "")) from None
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=60) as client:
            cases = {
                "latest_aqi_all_stations": measure(client, "/api/aqi/stations", {}, n),
                "sta_latest_observation_per_datastream": measure(
                    client, "/sta/v1.1/Datastreams", {"$expand": "Observations($orderby=phenomenonTime desc;$top=12)", "$top": "100"}, n
                ),
                "year_to_days_one_datastream": measure(client, f"/api/datastreams/{ds}/aggregate", {"interval": "1d", "fn": "mean", **YEAR}, n),
                "year_daily_aqi_one_station": measure(client, f"/api/aqi/stations/{STATION}/daily", YEAR, max(n // 4, 20)),
            }
    finally:
        server.terminate()
        server.wait(10)
    return {"observations": count, "cases": cases}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--no-postgis", action="store_true", help="Only the GeoPackage store.")
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    stores = {"gpkg": str(WORK / "sensor_queries.gpkg")}
    Path(stores["gpkg"]).unlink(missing_ok=True)
    cluster = None
    if not args.no_postgis:
        from pg_cluster import Cluster

        cluster = Cluster()
        stores["postgis"] = cluster.new_database()
    results: dict = {}
    try:
        for name, url in stores.items():
            results[name] = {}
            for label, hours in (("one_month", 31 * 24), ("one_year", 365 * 24)):
                seconds = load(url, hours)
                results[name][label] = {"load_seconds": round(seconds, 1), **run_cases(url, args.requests)}
                print(name, label, json.dumps(results[name][label]["cases"]), flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
        Path(stores["gpkg"]).unlink(missing_ok=True)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "results": results,
        "note": "demo stations with synthetic values; one vkc serve worker; sequential requests from one client",
    }
    (RESULTS / "sensor_queries.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = ["| store | data | observations | case | p50 ms | p99 ms | response bytes |", "|---|---|---:|---|---:|---:|---:|"]
    for name, by_size in results.items():
        for label, r in by_size.items():
            for case, m in r["cases"].items():
                lines.append(f"| {name} | {label.replace('_', ' ')} | {r['observations']:,} | {case} | {m['p50_ms']} | {m['p99_ms']} | {m['bytes']:,} |")
    (RESULTS / "sensor_queries.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
