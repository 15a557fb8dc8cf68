"""Load test: many concurrent clients for a minute, mixed reads and writes, on both stores (issue 13, proof 5).

Each store (a GeoPackage file, a database on a throwaway PostGIS cluster) gets
the demo (``vkc demo --no-serve``: admin units, the real stations and metro
stations, the synthetic city layers, a synthetic year of hourly air-quality
observations) and the synthetic point layer ``pts`` of ``bench/make_data.py``
(``--points``, default 1 000 000, fixed seed, no property index) that the scans
and low-zoom tiles read. ``vkc token create`` makes the editor token of the
writes. ``vkc serve`` runs with its default settings but two: ``--workers``
(default 2, one per core) and ``--rate-limit 0``: all clients come from one
address, and the default limit (50 a second per address in each worker) would
answer most of them 429.

The load is one ``wrk`` process per request kind, all at once (``bench/load.lua``:
paths rotated from a list, POST bodies made per request, the token), with
connections in proportion to the mix below and summing to ``--clients``; each
connection sends its next request when the last one is answered (closed loop).
wrk runs on the same 2 cores as the server and takes its share of them; its CPU
time and the server's are both reported. Dashboard reads must answer with a p99
under 1 s; the expensive kinds may be shed (503 with Retry-After), which is
counted as shed, apart from errors.

Writes bench/results/load.json and load.md (``--out`` names another stem).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from run_api import fmt_box, free_port, stop, tile_of, wait_up
from run_ingest import descendants

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LUA = HERE / "load.lua"
sys.path.insert(0, str(HERE.parent / "tests" / "support"))

#: the request kinds: name -> (class, connections of 200, what it is)
MIX: dict[str, tuple[str, int, str]] = {
    "items": ("dashboard", 36, "a page of 20 features of a demo layer"),
    "bbox": ("dashboard", 30, "buildings or bus stops in a box of ~600 m (limit 100)"),
    "item": ("dashboard", 30, "one feature by id"),
    "tile_mid": ("dashboard", 20, "a z14/z15 vector tile of buildings or bus stops"),
    "aqi_latest": ("dashboard", 24, "latest VN/US AQI of one station"),
    "sta_observations": ("read", 16, "SensorThings: the last 24 Observations of a Datastream"),
    "tile_low": ("expensive", 8, "a z6/z8 tile of the 1M points or the admin units"),
    "large_page": ("expensive", 8, "every admin unit (limit=1000: 97 outlines, 4 MB) or 5 000 points in one page"),
    "cql2_scan": ("expensive", 8, "a CQL2 filter on the unindexed points (a full scan)"),
    "post_feature": ("write", 10, "OGC API Features POST of a bus stop"),
    "post_observation": ("write", 10, "SensorThings POST of one Observation"),
}
ITEM_LAYERS = ["buildings", "schools", "transit_stops", "wards", "green_spaces", "aq_stations", "roads"]


def connections(total: int, without: frozenset[str] = frozenset()) -> dict[str, int]:
    """The mix but the kinds ``without`` scaled to ``total`` connections (largest remainders), at least one per kind."""
    weights = {k: v[1] for k, v in MIX.items() if k not in without}
    if total < len(weights):
        raise SystemExit(f"--clients must be at least {len(weights)} (one per request kind)")
    scale = total / sum(weights.values())
    share = {k: max(1, int(w * scale)) for k, w in weights.items()}
    order = sorted(weights, key=lambda k: weights[k] * scale - int(weights[k] * scale), reverse=True)
    while sum(share.values()) < total:
        share[order[0]] += 1
        order = order[1:] + order[:1]
    while sum(share.values()) > total:
        share[max(share, key=share.get)] -= 1
    return share


def vkc(*args: str) -> list[str]:
    return [sys.executable, "-m", "vkc", *args]


def prepare(db: str, points: Path) -> dict:
    """The demo and ``pts`` in ``db``, an editor token, and the request paths of every kind."""
    subprocess.run(vkc("demo", "--no-serve", "--db", db), check=True, capture_output=True)
    if points.exists():
        subprocess.run(vkc("import", "layer", str(points), "--collection", "pts", "--db", db), check=True, capture_output=True)
    token = subprocess.run(
        vkc("token", "create", "--role", "editor", "--scope", "features:transit_stops", "--scope", "sensorthings", "--name", "load test", "--db", db),
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    from vkc.sensors.db import SensorDb
    from vkc.store import Query, open_store

    rng = random.Random(13)
    with open_store(db) as store:
        buildings = list(store.features("buildings", Query(limit=10_000)))
        stops = list(store.features("transit_stops", Query(limit=10_000)))
        schools = list(store.features("schools", Query(limit=10_000)))
        stations = [f.id for f in store.features("aq_stations", Query(limit=100))]
        with SensorDb(store).reading() as conn:
            datastreams = [r[0] for r in conn.execute("SELECT id FROM sta_datastreams ORDER BY id").fetchall()]
    centres = [f.geometry.centroid for f in rng.sample(buildings, 60) + rng.sample(stops, 20)]
    boxes = [(c.x - 0.003, c.y - 0.003, c.x + 0.003, c.y + 0.003) for c in centres]
    tiles = []
    for c in centres[:40]:
        for z in (14, 15):
            x, y = tile_of(c.x, c.y, z)
            tiles.append(f"/ogc/collections/{'buildings' if len(tiles) % 3 else 'transit_stops'}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    low = []
    for lon, lat in ((105.85, 21.03), (106.70, 10.78), (108.21, 16.05), (105.78, 10.03)):
        for layer, z in (("pts", 8), ("admin_units", 6)):
            x, y = tile_of(lon, lat, z)
            low.append(f"/ogc/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    scans = ["kind = 'market' AND value > 10000", "n < 0", "kind LIKE '%ark%' AND value > 190"]
    ids = [("buildings", f.id) for f in rng.sample(buildings, 200)] + [("transit_stops", f.id) for f in rng.sample(stops, 50)] + [("schools", f.id) for f in rng.sample(schools, 50)]
    rng.shuffle(ids)
    paths = {
        "items": [f"/ogc/collections/{layer}/items?limit=20" + (f"&offset={o}" if o else "") for o in (0, 20, 40) for layer in ITEM_LAYERS],
        "bbox": [f"/ogc/collections/{'buildings' if k < 60 else 'transit_stops'}/items?limit=100&bbox={fmt_box(b)}" for k, b in enumerate(boxes)],
        "item": [f"/ogc/collections/{layer}/items/{quote(i, safe='')}" for layer, i in ids],
        "tile_mid": tiles,
        "aqi_latest": [f"/api/aqi/stations/{quote(s, safe='')}" for s in stations],
        "sta_observations": [f"/sta/v1.1/Datastreams({d})/Observations?$top=24&$orderby=phenomenonTime%20desc" for d in datastreams],
        "tile_low": low,
        "large_page": ["/ogc/collections/admin_units/items?limit=1000", "/ogc/collections/pts/items?limit=5000"],
        "cql2_scan": [f"/ogc/collections/pts/items?limit=100&filter={quote(s, safe='')}" for s in scans],
        "post_feature": ["/ogc/collections/transit_stops/items"],
        "post_observation": [f"/sta/v1.1/Observations\t{d}" for d in datastreams],
    }
    if not points.exists():  # no point layer: the expensive kinds on the demo only
        paths["tile_low"] = [p for p in low if "/pts/" not in p]
        paths["large_page"] = ["/ogc/collections/admin_units/items?limit=1000", "/ogc/collections/buildings/items?limit=1000"]
        paths["cql2_scan"] = ["/ogc/collections/buildings/items?limit=100&filter=" + quote("use LIKE '%ffic%' AND height_m > 60", safe="")]
    return {"token": token, "paths": paths, "stations": len(stations), "datastreams": len(datastreams)}


def _counts(db: str) -> dict[str, int]:
    """Bus stops and observations in the store: what the writes add to."""
    from vkc.sensors.db import SensorDb
    from vkc.store import open_store

    with open_store(db) as store, SensorDb(store).reading() as conn:
        return {"transit_stops": store.count("transit_stops"), "observations": conn.execute("SELECT count(*) FROM sta_observations").fetchone()[0]}


def check_paths(base: str, paths: dict[str, list[str]]) -> None:
    """Every GET path answers 2xx once before the load (a typo would otherwise show up as errors only)."""
    with httpx.Client(base_url=base, timeout=120) as client:
        for kind, items in paths.items():
            if MIX[kind][0] == "write":
                continue
            for path in items[:3] + items[-2:]:
                r = client.get(path)
                if r.status_code >= 300:
                    raise SystemExit(f"{kind}: GET {path} answered {r.status_code}: {r.text[:300]}")


def cpu_seconds(pids: list[int]) -> float:
    """User + system seconds the processes ``pids`` have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def run_load(base: str, prepared: dict, share: dict[str, int], seconds: int, timeout: int, work: Path, *, run: int) -> dict[str, dict]:
    """One wrk per kind, all at once, for ``seconds``; their figures by kind. ``run`` numbers the runs on one store,
    whose observations then get times of their own (a time a Datastream has already would replace that observation)."""
    procs = {}
    for kind, conns in share.items():
        file = work / f"{kind}.txt"
        file.write_text("\n".join(prepared["paths"][kind]) + "\n")
        cls = MIX[kind][0]
        env = {**os.environ, "PATHS_FILE": str(file), "BODY": {"post_feature": "feature", "post_observation": "observation"}.get(kind, ""), "TOKEN": prepared["token"] if cls == "write" else "",
               "FIRST_SECOND": str(1704067200 + run * 10_000_000)}
        cmd = ["wrk", "-t", "1", "-c", str(conns), "-d", f"{seconds}s", "--timeout", f"{timeout}s", "-s", str(LUA), base]
        procs[kind] = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for kind, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=seconds + timeout + 60)
        line = next((ln for ln in stdout.splitlines() if ln.startswith("LOAD_JSON ")), None)
        if proc.returncode != 0 or line is None:
            raise SystemExit(f"wrk for {kind} failed ({proc.returncode}): {stdout[-2000:]} {stderr[-2000:]}")
        out[kind] = json.loads(line.split(" ", 1)[1])
    return out


def figures(kind: str, conns: int, raw: dict) -> dict:
    """Requests, throughput, latency and errors of one kind; 503s of an expensive kind are shed, not errors."""
    seconds = raw["duration_us"] / 1e6
    statuses = {int(k): v for k, v in raw["statuses"].items()}
    cls = MIX[kind][0]
    shed = statuses.get(503, 0) if cls == "expensive" else 0
    bad = {str(s): n for s, n in sorted(statuses.items()) if s >= 400 and not (s == 503 and cls == "expensive")}
    socket = {k: raw[k] for k in ("connect", "read", "write", "timeout") if raw[k]}
    ok = sum(n for s, n in statuses.items() if s < 400)
    return {
        "class": cls,
        "what": MIX[kind][2],
        "connections": conns,
        "requests": raw["requests"],
        "ok": ok,
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "ok_per_s": round(ok / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p90_ms": round(raw["p90_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "mb_per_s": round(raw["bytes"] / seconds / 1e6, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": sum(bad.values()) + sum(socket.values()),
        "errors_by_status": bad,
        "socket_errors": socket,
        "shed_503": shed,
        "error_samples": raw.get("samples", {}),
    }


def bench_store(name: str, db: str, args: argparse.Namespace, share: dict[str, int], work: Path) -> dict:
    print(f"[{name}] building the store", flush=True)
    started = time.monotonic()
    prepared = prepare(db, args.points)
    built = time.monotonic() - started
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (work / f"{name}-server.log").open("w")
    cmd = vkc("serve", "--db", db, "--port", str(port), "--workers", str(args.workers), "--rate-limit", "0", *shlex.split(args.serve_args))
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_up(base + "/ogc", server)
        check_paths(base, prepared["paths"])
        warm = {k: max(1, v // 10) for k, v in share.items()}
        run_load(base, prepared, warm, 5, args.timeout, work, run=0)  # warm-up, not reported
        prepared["before"] = _counts(db)  # after the warm-up's writes
        pids = [server.pid, *descendants(server.pid)]
        load0, server0, wrk0 = os.getloadavg(), cpu_seconds(pids), resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"[{name}] {args.clients} clients for {args.seconds} s", flush=True)
        raw = run_load(base, prepared, share, args.seconds, args.timeout, work, run=1)
        server_cpu = cpu_seconds(pids) - server0
        wrk1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        load1 = os.getloadavg()
    finally:
        stop(server)
        log.close()
    kinds = {kind: figures(kind, share[kind], raw[kind]) for kind in share}
    after = _counts(db)
    written = {
        "features_created": kinds["post_feature"]["statuses"].get("201", 0),
        "features_added": after["transit_stops"] - prepared["before"]["transit_stops"],
        "observations_created": kinds["post_observation"]["statuses"].get("201", 0),
        "observations_added": after["observations"] - prepared["before"]["observations"],
    }
    server_log = (work / f"{name}-server.log").read_text(errors="replace")
    tracebacks = server_log.count("Traceback")
    result = {
        "store_built_s": round(built, 1),
        "kinds": kinds,
        "total_requests": sum(k["requests"] for k in kinds.values()),
        "total_requests_per_s": round(sum(k["requests_per_s"] for k in kinds.values()), 1),
        "errors": sum(k["errors"] for k in kinds.values()),
        "shed_503": sum(k["shed_503"] for k in kinds.values()),
        "dashboard_p99_max_ms": max(k["p99_ms"] for k in kinds.values() if k["class"] == "dashboard"),
        "writes_checked": written,
        "server_cpu_s": round(server_cpu, 1),
        "wrk_cpu_s": round((wrk1.ru_utime - wrk0.ru_utime) + (wrk1.ru_stime - wrk0.ru_stime), 1),
        "load_average_before": [round(x, 2) for x in load0],
        "load_average_after": [round(x, 2) for x in load1],
        "server_log_tracebacks": tracebacks,
        "server_log_exceptions": exceptions(server_log),
        "stations": prepared["stations"],
        "datastreams": prepared["datastreams"],
    }
    print(f"[{name}] {json.dumps({k: (v['requests_per_s'], v['p99_ms'], v['errors'], v['shed_503']) for k, v in kinds.items()})}", flush=True)
    return result


def exceptions(log: str) -> dict[str, int]:
    """What the server logged, counted: the exception of each traceback (its last line) and every other line
    outside a traceback, numbers masked so that like lines count together.

    ``ClientDisconnect`` is expected a few times: wrk closes its connections when its time is up,
    with requests still being read.
    """
    found: dict[str, int] = {}
    lines = log.splitlines()
    inside = False
    for line in lines:
        if line.startswith("Traceback"):
            inside = True
            continue
        if inside and (not line or line.startswith(" ")):
            continue
        if inside and line.startswith(("The above exception", "During handling")):
            continue
        inside = False
        text = re.sub(r"\d+", "N", line.strip())[:200]
        if text:
            found[text] = found.get(text, 0) + 1
    return dict(sorted(found.items(), key=lambda kv: -kv[1])[:15])


def markdown(results: dict) -> str:
    s = results["settings"]
    lines = [
        f"# Load test: {s['clients']} clients for {s['seconds']} s, mixed reads and writes",
        "",
        f"`{s['server'].split(' (')[0]}` (otherwise its defaults), one wrk per request kind on the same machine "
        f"({s['machine']['cpus']} cores, {s['machine']['platform']}); wrk timeout {s['wrk_timeout_s']} s. "
        + (f"Code: {s['code']}. " if s.get("code") else "")
        + (f"Left out of the mix: {', '.join(s['left_out'])}. " if s.get("left_out") else "")
        + f"Points layer: {s['points'] or 'none'}. p99 target for dashboard reads: under 1 s; 503 of an expensive kind is shed, any other non-2xx or socket error is an error.",
        "The req/s and latencies of a kind count all its answers, shed ones too (a shed request waited up to 10 s, then got its 503). "
        "The store may hold a few more written rows than the 201s counted: writes in flight when wrk stopped still commit.",
        "",
    ]
    for name, r in results["stores"].items():
        w = r["writes_checked"]
        lines += [
            f"## {name}",
            "",
            f"{r['total_requests']:,} requests, {r['total_requests_per_s']} req/s; errors {r['errors']}, shed {r['shed_503']}; "
            f"worst dashboard p99 {r['dashboard_p99_max_ms']} ms. Server CPU {r['server_cpu_s']} s, wrk CPU {r['wrk_cpu_s']} s; "
            f"load average {r['load_average_before'][0]} before, {r['load_average_after'][0]} after. "
            f"Writes: {w['features_created']} features created ({w['features_added']} in the store), "
            f"{w['observations_created']} observations ({w['observations_added']} in the store).",
            "",
            "| kind | class | conns | requests | req/s | served req/s | p50 ms | p99 ms | max ms | errors | shed (503) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        for kind, k in r["kinds"].items():
            errs = ", ".join([f"{n}× {st}" for st, n in k["errors_by_status"].items()] + [f"{n}× {e}" for e, n in k["socket_errors"].items()]) or "0"
            lines.append(
                f"| {kind} | {k['class']} | {k['connections']} | {k['requests']:,} | {k['requests_per_s']} | {k['ok_per_s']} | {k['p50_ms']} | {k['p99_ms']} | {k['max_ms']} | {errs} | {k['shed_503']} |"
            )
        if r.get("server_log_exceptions"):
            lines += ["", "Server log: " + "; ".join(f"{n}× `{e}`" for e, n in r["server_log_exceptions"].items())]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=200, help="concurrent connections in all (default 200)")
    ap.add_argument("--seconds", type=int, default=60, help="duration of the load on each store (default 60)")
    ap.add_argument("--workers", type=int, default=2, help="vkc serve worker processes (default 2)")
    ap.add_argument("--points", type=int, default=1_000_000, help="synthetic points in the layer pts (0: none)")
    ap.add_argument("--timeout", type=int, default=30, help="wrk's timeout per request, seconds (a slower answer counts as a timeout error)")
    ap.add_argument("--stores", default="gpkg,postgis", help="comma-separated: gpkg, postgis")
    ap.add_argument("--serve-args", default="", help="more vkc serve options, e.g. '--costly-concurrency 0' (recorded in the results)")
    ap.add_argument("--without", default="", help="comma-separated request kinds to leave out of the mix (the rest share --clients)")
    ap.add_argument("--out", default="load", help="file stem under bench/results (default load)")
    args = ap.parse_args()
    without = frozenset(filter(None, args.without.split(",")))
    if unknown := without - MIX.keys():
        raise SystemExit(f"--without: no request kind {', '.join(sorted(unknown))} (kinds: {', '.join(MIX)})")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")
    points_file = HERE / "work" / f"points_{args.points}.geojson"
    if args.points and not points_file.exists():
        import make_data

        points_file.parent.mkdir(parents=True, exist_ok=True)
        make_data.points(points_file, args.points)
    args.points = points_file if args.points else HERE / "work" / "no-points"
    share = connections(args.clients, without)
    print(f"connections per kind: {share}; vkc serve --workers {args.workers} --rate-limit 0 (rate limit off: every client shares one address)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="vkc-bench-load-"))
    results: dict = {
        "settings": {
            "clients": args.clients,
            "seconds": args.seconds,
            "workers": args.workers,
            "server": f"vkc serve --workers {args.workers} --rate-limit 0 {args.serve_args}".strip() + " (rate limit off; every other setting the default)",
            "wrk_timeout_s": args.timeout,
            "points": args.points.stem.split("_")[-1] if args.points.exists() else None,
            "connections": share,
            "left_out": sorted(without),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "generator": "one wrk (Debian) process per request kind, one thread each, on the same machine as the server",
        },
        "stores": {},
    }
    cluster = None
    try:
        for name in args.stores.split(","):
            if name == "gpkg":
                db = str(work / "load.gpkg")
            elif name == "postgis":
                from pg_cluster import Cluster

                cluster = Cluster()
                db = cluster.new_database()
            else:
                raise SystemExit(f"unknown store {name!r}")
            results["stores"][name] = bench_store(name, db, args, share, work)
            if cluster is not None:
                cluster.stop()
                cluster = None
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results)
    (RESULTS / f"{args.out}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
