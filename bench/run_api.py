"""OGC API benchmark: vkc on both of its stores beside pygeoapi and tipg on PostGIS, the same machine, in one run.

Each server runs with the same number of worker processes; wrk (Debian) is the
load generator for all, with the same connections and duration per case. All
servers are up together and take turns, run by run, on each case (``measure``):
on a shared machine the ratios then compare like with like.

a. ``items?limit=100``            e. the 63 provinces (before 2025-07-01) as one page
b. a bbox returning ~100 points   f. a z14 vector tile of the densest part of Hà Nội
c. a CQL2 attribute filter whose first rows fill the page (limit=10)
d. one item by id
g. a selective CQL2 filter: an equality on the low-cardinality ``kind`` and a range on
   ``value``, matching under 0.1 % of the points (limit=100)
h. a CQL2 filter of the same shape matching nothing

Data: the synthetic 1 000 000-point layer of ``bench/make_data.py`` (fixed
seed) and the 63 provinces of ``vkc.admin``, imported by vkc into one PostGIS
database (served by vkc, tipg and pygeoapi) and into one GeoPackage file (served
by vkc). Both stores get the property index ``vkc index create pts kind value``
(``--no-index`` leaves it out); the peers read the same PostGIS database, so they
have it too. The peers are installed outside this project (see README: pygeoapi
in a Python 3.12 venv, tipg in a 3.11 venv) and named with ``--pygeoapi`` /
``--tipg``; a peer that is not given is left out. Writes bench/results/api.json
and api.md (``--cases``/``--servers`` runs a subset and writes nothing unless
``--out`` names a file stem).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent / "tests" / "support"))

CASES = [
    "a_items_limit_100",
    "b_bbox_100",
    "c_cql2_filter",
    "d_item_by_id",
    "e_provinces_page",
    "f_tile_z14",
    "g_selective_filter",
    "h_filter_no_match",
    "f_tile_z14_one_client",
]
OURS = ("vkc_gpkg", "vkc_postgis")
PEERS = ("tipg", "pygeoapi")
LUA = """
local urls = {}
for line in io.lines(os.getenv("URLS_FILE")) do urls[#urls + 1] = line end
local i = 0
request = function()
  i = i % #urls + 1
  return wrk.format("GET", urls[i])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server for {url} exited: {proc.stdout.read().decode()[-3000:] if proc.stdout else ''}")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def start(cmd: list[str], env: dict[str, str], probe: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    wait_up(probe, proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.stdout:
        proc.stdout.close()


def wrk(base: str, paths: list[str], *, seconds: int, connections: int, work: Path) -> dict:
    urls = work / "urls.txt"
    urls.write_text("\n".join(paths) + "\n")
    script = work / "rotate.lua"
    script.write_text(LUA)
    out = subprocess.run(
        ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(script), base],
        env={**os.environ, "URLS_FILE": str(urls)},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    text = out.stdout

    def latency(pct: str) -> float | None:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not m:
            return None
        return round(float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)], 2)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {
        "requests_per_s": round(float(rps.group(1)), 1) if rps else None,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def summary(runs: list[dict]) -> dict:
    """Each figure the median over the runs, which are kept too."""
    out: dict = {}
    for key in ("requests_per_s", "p50_ms", "p99_ms"):
        values = sorted(r[key] for r in runs if r[key] is not None)
        out[key] = values[len(values) // 2] if values else None
    out["non_2xx"] = sum(r["non_2xx"] for r in runs)
    out["socket_errors"] = [r["socket_errors"] for r in runs if r["socket_errors"]] or None
    out["runs"] = runs
    return out


def measure(servers: list[tuple[str, str, dict]], cases: list[str], args: argparse.Namespace, work: Path) -> dict:
    """Every case on every server, the servers taking turns: run 1 of each, then run 2 of each, and so on.

    All servers are up at once (idle but the one measured). On this shared machine
    the load of other work comes and goes over minutes; taking turns puts every
    server under the same conditions, so the ratios within a run hold, and the
    medians of the ``args.repeats`` runs leave out one stall that would decide a
    single 10 s run's p99.
    """
    rows: dict[str, dict] = {name: {} for name, _, _ in servers}
    for case in cases:
        tile_case = "f_tile_z14" if case == "f_tile_z14_one_client" else case
        connections = 1 if case == "f_tile_z14_one_client" else args.connections  # a tile on its own, without queueing
        taking_part = []
        for name, base, paths in servers:
            if tile_case not in paths:
                rows[name][case] = None
                continue
            check = httpx.get(base + paths[tile_case][0], timeout=60)
            if check.status_code >= 300:
                rows[name][case] = {"error": f"HTTP {check.status_code}: {check.text[:200]}"}
                continue
            wrk(base, paths[tile_case], seconds=2, connections=connections, work=work)  # warm up
            taking_part.append((name, base, paths[tile_case]))
        runs: dict[str, list[dict]] = {name: [] for name, _, _ in taking_part}
        for _ in range(args.repeats):
            for name, base, paths in taking_part:
                runs[name].append(wrk(base, paths, seconds=args.seconds, connections=connections, work=work))
        for name, _, _ in taking_part:
            rows[name][case] = summary(runs[name])
            print(name, case, {k: rows[name][case][k] for k in ("requests_per_s", "p50_ms", "p99_ms", "socket_errors")}, flush=True)
    return rows


def prepare_data(cluster, points: Path, gpkg: Path, *, index: bool) -> tuple[str, dict]:
    """'pts' (1M points) and 'provinces' (63) imported by vkc into a PostGIS database and ``gpkg``; returns the URL and case inputs."""
    from vkc import admin
    from vkc.store import Query, open_store

    url = cluster.new_database()
    for db in (url, str(gpkg)):
        subprocess.run([sys.executable, "-m", "vkc", "import", "layer", str(points), "--collection", "pts", "--db", db], check=True)
        if index:
            subprocess.run([sys.executable, "-m", "vkc", "index", "create", "pts", "kind", "value", "--db", db], check=True)
        with open_store(db) as store:
            admin.load_into(store, "provinces")
            new = [u.key for u in admin.units(on=date(2025, 7, 1))]
            store.delete("provinces", new)
            assert store.count("provinces") == 63
    with open_store(url) as store:
        rng = random.Random(5)
        sample = [f for f in store.features("pts", Query(limit=20000))]
        centres = [(f.geometry.x, f.geometry.y) for f in rng.sample(sample, 200)]
        # a box half-width giving ~100 points around Hà Nội's densest sample points
        half = 0.003
        for _ in range(12):
            counts = sorted(store.count("pts", Query(bbox=(x - half, y - half, x + half, y + half))) for x, y in centres[:30])
            median = counts[len(counts) // 2]
            half *= math.sqrt(100 / max(median, 1))
        ids = [f.id for f in rng.sample(sample, 200)]
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
        fids = dict(conn.execute("SELECT vkc_id, fid FROM pts WHERE vkc_id = ANY(%s)", (ids,)).fetchall())
        total = conn.execute("SELECT count(*) FROM pts").fetchone()[0]
        matched = {case: conn.execute(f"SELECT count(*) FROM pts WHERE {text}").fetchone()[0] for case, text in FILTERS.items()}
    assert matched["g_selective_filter"] < total / 1000, matched
    assert matched["h_filter_no_match"] == 0, matched
    boxes = [(x - half, y - half, x + half, y + half) for x, y in centres]
    return url, {"boxes": boxes, "ids": ids, "fids": [fids[i] for i in ids], "half": half, "matched": matched, "total": total}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def fmt_box(b: tuple[float, ...]) -> str:
    return ",".join(f"{v:.6f}" for v in b)


#: the CQL2 text filters of the cases (the same text is plain SQL on the 'pts' table)
FILTERS = {
    "c_cql2_filter": "kind = 'school' AND value > 100",
    "g_selective_filter": "kind = 'clinic' AND value > 150",
    "h_filter_no_match": "kind = 'market' AND value > 10000",
}
FILTER_LIMITS = {"c_cql2_filter": 10, "g_selective_filter": 100, "h_filter_no_match": 100}


def case_paths(inputs: dict, *, root: str, schema: str = "", ids: str = "ids", filter_lang: str = "", extra: str = "", tile: str = "") -> dict[str, list[str]]:
    """The request paths of each case for one server.

    ``schema`` prefixes collection ids (tipg: ``public.``), ``ids`` picks the feature keys the
    server uses (vkc_id or the row key fid), ``extra`` is appended to every query, ``tile`` is
    the server's tile path order (``zyx`` as OGC says, ``zxy`` for tipg, empty: no tiles).
    """
    x, y = tile_of(105.85, 21.03, 14)
    pts, provinces = f"{root}/{schema}pts", f"{root}/{schema}provinces"
    lang = f"&filter-lang={filter_lang}" if filter_lang else ""
    paths = {
        "a_items_limit_100": [f"{pts}/items?limit=100{extra}"],
        "b_bbox_100": [f"{pts}/items?limit=1000&bbox={fmt_box(b)}{extra}" for b in inputs["boxes"]],
        "d_item_by_id": [f"{pts}/items/{i}" + (f"?{extra.lstrip('&')}" if extra else "") for i in inputs[ids]],
        "e_provinces_page": [f"{provinces}/items?limit=63{extra}"],
    }
    for case, text in FILTERS.items():
        query = text.replace(" ", "%20").replace("'", "%27")
        paths[case] = [f"{pts}/items?filter={query}{lang}&limit={FILTER_LIMITS[case]}{extra}"]
    if tile:
        row, col = (y, x) if tile == "zyx" else (x, y)
        paths["f_tile_z14"] = [f"{pts}/tiles/WebMercatorQuad/14/{row}/{col}"]
    return paths


def pygeoapi_config(path: Path, port: int, cluster_port: int, dbname: str) -> None:
    def resource(name: str, geom: str) -> str:
        return f"""
  {name}:
    type: collection
    title: {name}
    description: {name}
    keywords: [{name}]
    extents:
      spatial:
        bbox: [-180, -90, 180, 90]
        crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
    providers:
      - type: feature
        name: PostgreSQL
        data:
          host: 127.0.0.1
          port: {cluster_port}
          dbname: {dbname}
          user: postgres
          password: ''
          search_path: [public]
        id_field: vkc_id
        table: {name}
        geom_field: {geom}
"""

    path.write_text(
        f"""server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: 'https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png', attribution: 'OpenStreetMap'}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: bench, description: bench, keywords: [bench], keywords_type: theme, terms_of_service: none, url: 'http://127.0.0.1'}}
  license: {{name: CC-BY 4.0, url: 'https://creativecommons.org/licenses/by/4.0/'}}
  provider: {{name: bench, url: 'http://127.0.0.1'}}
  contact: {{name: bench, position: bench, address: bench, city: bench, stateorprovince: bench, postalcode: '0', country: VN, phone: '0', fax: '0', email: 'a@b.c', url: 'http://127.0.0.1', hours: '0', instructions: none, role: pointOfContact}}
resources:{resource("pts", "geom")}{resource("provinces", "geom")}"""
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=Path, default=HERE / "work" / "points_1000000.geojson")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3, help="runs per case; the medians are reported")
    ap.add_argument("--pygeoapi", type=Path, help="the venv holding pygeoapi and gunicorn")
    ap.add_argument("--tipg", type=Path, help="the venv holding tipg, gunicorn and uvicorn")
    ap.add_argument("--no-index", dest="index", action="store_false", help="do not declare the property index on kind, value")
    ap.add_argument("--cases", help="comma-separated case prefixes to run (default: all), e.g. c,e,g,h")
    ap.add_argument("--servers", help=f"comma-separated servers to run (default: all given): {', '.join(OURS + PEERS)}")
    ap.add_argument("--out", help="file stem under bench/results (default api; with --cases or --servers nothing is written unless given)")
    args = ap.parse_args()
    if not args.points.exists():
        subprocess.run([sys.executable, str(HERE / "make_data.py"), "--points", "1000000"], check=True)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")
    wanted_cases = [c for c in CASES if not args.cases or c.split("_")[0] in args.cases.split(",")]
    wanted_servers = set(args.servers.split(",")) if args.servers else set(OURS + PEERS)
    out = args.out or (None if args.cases or args.servers else "api")
    from pg_cluster import Cluster

    cluster = Cluster()
    work = Path(tempfile.mkdtemp(prefix="vkc-bench-api-"))
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "workers": args.workers,
        "connections": args.connections,
        "seconds_per_case": args.seconds,
        "repeats": args.repeats,
        "property_index": ["kind", "value"] if args.index else None,
        "servers": {},
    }
    try:
        gpkg = work / "bench.gpkg"
        url, inputs = prepare_data(cluster, args.points, gpkg, index=args.index)
        dbname = url.rsplit("/", 1)[1]
        results["bbox_half_width_deg"] = round(inputs["half"], 6)
        results["filters"] = {case: {"cql2": FILTERS[case], "limit": FILTER_LIMITS[case], "matched": inputs["matched"][case]} for case in FILTERS}
        results["points"] = inputs["total"]
        servers = []
        vkc_paths = case_paths(inputs, root="/ogc/collections", tile="zyx")
        for name, db in (("vkc_gpkg", str(gpkg)), ("vkc_postgis", url)):
            port = free_port()
            servers.append((name, [sys.executable, "-m", "vkc", "serve", "--db", db, "--port", str(port), "--workers", str(args.workers), "--rate-limit", "0", "--no-access-log"], {}, port, vkc_paths, "/ogc"))
        if args.tipg:
            port = free_port()
            env = {"DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["public"]', "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
            cmd = [str(args.tipg / "bin" / "gunicorn"), "-w", str(args.workers), "-k", "uvicorn.workers.UvicornWorker", "-b", f"127.0.0.1:{port}", "tipg.main:app"]
            servers.append(("tipg", cmd, env, port, case_paths(inputs, root="/collections", schema="public.", ids="fids", filter_lang="cql2-text", tile="zxy"), "/collections"))
        if args.pygeoapi:
            port = free_port()
            cfg, spec = work / "pygeoapi.yml", work / "pygeoapi-openapi.yml"
            pygeoapi_config(cfg, port, cluster.port, dbname)
            env = {"PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(spec)}
            subprocess.run([str(args.pygeoapi / "bin" / "pygeoapi"), "openapi", "generate", str(cfg), "--output-file", str(spec)], env={**os.environ, **env}, check=True, capture_output=True)
            cmd = [str(args.pygeoapi / "bin" / "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "pygeoapi.flask_app:APP"]
            servers.append(("pygeoapi", cmd, env, port, case_paths(inputs, root="/collections", filter_lang="cql-text", extra="&f=json"), "/collections"))  # its PostgreSQL provider serves no tiles
        running: list[tuple[str, str, dict, subprocess.Popen]] = []
        try:
            for name, cmd, env, port, paths, probe in servers:
                if name in wanted_servers:
                    base = f"http://127.0.0.1:{port}"
                    running.append((name, base, paths, start(cmd, env, base + probe)))
            results["servers"] = measure([(name, base, paths) for name, base, paths, _ in running], wanted_cases, args, work)
        finally:
            for *_, proc in running:
                stop(proc)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["ratios"] = ratios(results["servers"])
    text = markdown(results)
    if out:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{out}.json").write_text(json.dumps(results, indent=2))
        (RESULTS / f"{out}.md").write_text(text)
    print(text)


def ratios(servers: dict) -> dict:
    """Each vkc store over each peer, per case: throughput ratio and p99 ratio (ours over theirs)."""
    out: dict = {}
    for ours in OURS:
        for peer in PEERS:
            if ours not in servers or peer not in servers:
                continue
            for case in CASES:
                a, b = servers[ours].get(case), servers[peer].get(case)
                if a and b and a.get("requests_per_s") and b.get("requests_per_s"):
                    out.setdefault(ours, {}).setdefault(peer, {})[case] = {
                        "throughput_ratio": round(a["requests_per_s"] / b["requests_per_s"], 2),
                        "p99_ratio": round(a["p99_ms"] / b["p99_ms"], 2) if a.get("p99_ms") and b.get("p99_ms") else None,
                    }
    return out


def markdown(results: dict) -> str:
    servers = results["servers"]
    index = results.get("property_index")
    lines = [
        f"# OGC API benchmark ({results['workers']} workers each, wrk {results['connections']} connections, "
        f"{results.get('repeats', 1)} runs of {results['seconds_per_case']} s per case; medians of the runs)",
        "",
        f"{results.get('points', 0):,} points; property index: {', '.join(index) if index else 'none'}. Filters: "
        + "; ".join(f"{case[0]} `{f['cql2']}` limit={f['limit']}, {f['matched']:,} match" for case, f in results.get("filters", {}).items()),
        "",
        "| case | " + " | ".join(f"{s} req/s | {s} p50 ms | {s} p99 ms" for s in servers) + " |",
        "|---|" + "---:|" * (3 * len(servers)),
    ]
    for case in CASES:
        if not any(case in row for row in servers.values()):
            continue
        cells = []
        for row in servers.values():
            r = row.get(case)
            if not r or "error" in r:
                cells += ["n/a" if not r else "error", "", ""]
            else:
                cells += [str(r["requests_per_s"]), str(r["p50_ms"]), str(r["p99_ms"])]
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    pairs = [(ours, peer) for ours in OURS for peer in PEERS if peer in results["ratios"].get(ours, {})]
    if pairs:
        lines += [
            "",
            "Ratios: throughput of vkc over the peer's (p99 of vkc over the peer's in brackets).",
            "",
            "| case | " + " | ".join(f"{ours} ×{peer}" for ours, peer in pairs) + " |",
            "|---|" + "---:|" * len(pairs),
        ]
        for case in CASES:
            cells = []
            for ours, peer in pairs:
                r = results["ratios"][ours][peer].get(case)
                cells.append(f"{r['throughput_ratio']} ({r['p99_ratio']})" if r else "—")
            if any(c != "—" for c in cells):
                lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
