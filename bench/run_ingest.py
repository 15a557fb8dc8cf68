"""Observation ingest benchmark: CLI (CSV) and HTTP (dataArray) beside the raw insert ceiling, on both stores.

Data. ``vkc.demo.air_observations.synthetic_observations`` (fixed seed) for
the 32 real monitoring stations of ``aq_stations.geojson`` (58 station ×
parameter series: PM2.5, PM10, O3, NO2, SO2, CO, temperature, humidity), hourly
from 2005-01-01 UTC for as many hours as ``--rows`` needs (10 000 000 rows ≈ 20
years), sorted by time then series (the order a feed or a daily export
delivers) and cut at exactly ``--rows``. About 0.1 % of values lie above the
QA/QC "suspicious" limit and are stored flagged; none is rejected. The same
rows are used by every case. Work files go to a new folder
``bench/work/ingest-*/`` (gitignored; ``--work`` names one to reuse) and are
deleted at the end unless ``--keep``.

Each backend (GeoPackage file; PostgreSQL 15 + PostGIS on a throwaway local
cluster from ``tests/support/pg_cluster.py``, fsync off) gets a fresh store per
case, prepared the same way before the clock starts: ``vkc import stations``,
and (ceiling, HTTP) the 58 Datastreams made by the application's own code.

1. **CLI**: ``vkc import observations FILE.csv --db …`` in a fresh process on a
   CSV in long form (``station,parameter,time,value,unit``; ISO 8601 times with
   ``Z``; µg/m³, °C, %). The CLI makes the Datastreams itself on first use.
   Measured: wall time from spawn to exit, peak RSS of the child (GNU time's
   ``%M``; for PostGIS the client's memory, not the server's).
2. **Ceiling**: the same rows, already turned into the table's own values
   (datastream id, feature of interest id, timestamp, number, the same
   ``resultQuality`` JSON on flagged rows), written with no application in
   between, in a fresh process, into the same ``sta_observations`` table with
   all its indexes (the unique (datastream, phenomenon time) index included),
   in a fresh store with the same Datastreams:

   * PostgreSQL: one transaction: ``CREATE TABLE … PARTITION OF`` for every month
     of the data (plain DDL; the application makes them too), then one
     ``COPY sta_observations (datastream_id, phenomenon_time_start,
     result_number, result_quality, feature_of_interest_id) FROM STDIN`` fed
     by psycopg from a text file in 1 MiB blocks (the server parses the rows).
   * SQLite: the store's PRAGMAs (WAL, synchronous NORMAL, 16 MB cache), one
     ``BEGIN IMMEDIATE``, one ``executemany`` of a prepared plain ``INSERT`` of
     those five columns over all rows (read from .npy files 100 000 rows at a
     time), ``COMMIT`` and the same WAL checkpoint the store does on close.

   Neither is an upsert (COPY cannot be; the table is empty) and neither grows
   the Datastreams' phenomenonTime; both are what the database itself can take.
3. **HTTP**: ``vkc serve --workers 2`` over a fresh store, an editor token
   (``vkc token create``), and ``--clients`` client threads (httpx, one
   keep-alive connection each, on the same machine) posting
   ``/sta/v1.1/CreateObservations`` bodies of ``--batch`` consecutive rows, one
   ``{Datastream, components: [phenomenonTime, result], dataArray}`` block per
   Datastream in the batch. Measured: observations/s from the first request
   to the last response (every response must be 201 with one link per
   observation) and the peak RSS (``VmHWM``) of each server worker.

Every case's store is checked afterwards: exactly the observations sent, and
for CLI and ceiling the same rows flagged (the HTTP bodies carry no
``resultQuality``: the API stores what it is given). Targets from the issue: CLI ≥ 0.5 × ceiling; HTTP ≥
50 000 observations/s. Writes bench/results/ingest.json and ingest.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import queue
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from measure import require_gnu_time, run_measured

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "ingest"  # main() sets this run's own folder under bench/work/
RESULTS = HERE / "results"
STATIONS = HERE.parents[1] / "shared" / "data" / "real-points" / "aq_stations.geojson"  # ../shared beside the repo
START = datetime(2005, 1, 1, tzinfo=UTC)
SEED = 2019  # vkc.demo.air_observations.DEFAULT_SEED
CASES = {
    "cli": "vkc import observations FILE.csv in a fresh process, fresh store with the stations loaded; wall time spawn to exit, peak RSS by GNU time",
    "ceiling": "the same rows as table values, no application: PostgreSQL partitions (plain DDL) + one COPY FROM STDIN in one transaction; "
    "SQLite one executemany of a plain prepared INSERT in one transaction with the store's PRAGMAs; same table, same indexes, fresh store",
    "http": "POST /sta/v1.1/CreateObservations (dataArray) to vkc serve --workers 2, concurrent client threads; first request to last response; "
    "peak RSS = VmHWM of the largest server process",
}
CLI_TARGET = 0.5
HTTP_TARGET = 50_000
# how the CSV names each canonical parameter and its unit (all accepted aliases of vkc.sensors.parameters)
CSV_NAME = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O3", "no2": "NO2", "so2": "SO2", "co": "CO", "temperature": "temperature", "humidity": "humidity", "pressure": "pressure"}
CSV_UNIT = {"temperature": "°C", "humidity": "%", "pressure": "hPa"}
COPY_COLUMNS = "datastream_id, phenomenon_time_start, result_number, result_quality, feature_of_interest_id"


# -- data -------------------------------------------------------------------
def make_dataset(n: int) -> dict:
    """``n`` rows as arrays: series index, hour since START, value; plus the series (station, key)."""
    from vkc.sensors.stations import station_features

    path = WORK / f"rows_{n}.npz"
    series_path = WORK / "series.json"
    if path.exists() and series_path.exists():
        data = dict(np.load(path))
        data["series"] = [tuple(s) for s in json.loads(series_path.read_text())]
        return data
    props = [f["properties"] for f in station_features(str(STATIONS))]
    hours = int(n / 58 / 0.97) + 48
    while True:
        series, hour, value, index = _generate(props, hours)
        if series.size >= n:
            break
        hours = int(hours * 1.05) + 48
    order = np.lexsort((series, hour))[:n]  # by hour, then series
    data = {"series_index": series[order], "hour": hour[order], "value": value[order]}
    np.savez(path, **data)
    names = sorted(index, key=index.get)
    series_path.write_text(json.dumps(names))
    data["series"] = names
    return data


def _generate(props: list[dict], hours: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[tuple[str, str], int]]:
    """Every row of ``hours`` hours from START, series by series: series index, hour since START, value."""
    from vkc.demo.air_observations import synthetic_observations

    index: dict[tuple[str, str], int] = {}
    hour_of: dict[datetime, int] = {}
    base = START.timestamp()
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    current: tuple[str, str] | None = None
    hs: list[int] = []
    vs: list[float] = []
    for sid, key, t, v in itertools.chain(synthetic_observations(props, start=START, hours=hours, seed=SEED), [("", "", None, 0.0)]):
        if (sid, key) != current:
            if current is not None:
                parts.append((np.full(len(hs), index[current], dtype=np.int16), np.asarray(hs, dtype=np.int32), np.asarray(vs, dtype=np.float64)))
            if t is None:
                break
            current = (sid, key)
            index.setdefault(current, len(index))
            hs, vs = [], []
        h = hour_of.get(t)
        if h is None:
            h = hour_of[t] = int((t.timestamp() - base) // 3600)
        hs.append(h)
        vs.append(v)
    series, hour, value = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return series, hour, value, index


def hour_strings(hours: int, fmt: str) -> list[str]:
    t = np.datetime64(START.replace(tzinfo=None), "h") + np.arange(hours)
    text = np.datetime_as_string(t, unit="s")
    if fmt == "iso":
        return [s + "Z" for s in text.tolist()]
    return [s.replace("T", " ") + "+00" for s in text.tolist()]


def qualities(data: dict) -> dict[int, str]:
    """Row index → the resultQuality JSON the application stores on rows QA/QC flags."""
    from vkc.sensors import qc

    keys = [k for _, k in data["series"]]
    suspicious = np.array([qc.LIMITS[k][1] for k in keys])[data["series_index"]]
    out = {}
    for i in np.flatnonzero(data["value"] > suspicious).tolist():
        verdict, reason = qc.check(keys[data["series_index"][i]], float(data["value"][i]))
        if verdict == "flagged":
            out[i] = json.dumps({"qc": "flagged", "reason": reason}, ensure_ascii=False)
    return out


def write_csv(data: dict, path: Path) -> None:
    times = hour_strings(int(data["hour"].max()) + 1, "iso")
    prefix = [f"{sid},{CSV_NAME[k]}" for sid, k in data["series"]]
    unit = [CSV_UNIT.get(k, "µg/m³") for _, k in data["series"]]
    step = 500_000
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("station,parameter,time,value,unit\n")
        for a in range(0, data["hour"].size, step):
            s, h, v = (data[c][a : a + step].tolist() for c in ("series_index", "hour", "value"))
            fh.write("".join(f"{prefix[i]},{times[t]},{x},{unit[i]}\n" for i, t, x in zip(s, h, v, strict=True)))


def ceiling_files(data: dict, ids: dict[int, tuple[int, int]], backend: str, quality: dict[int, str]) -> tuple[Path, list[str]]:
    """The ceiling's input in the database's own values; for PostgreSQL also the months to partition."""
    ds = np.array([ids[i][0] for i in range(len(data["series"]))], dtype=np.int64)[data["series_index"]]
    foi = np.array([ids[i][1] for i in range(len(data["series"]))], dtype=np.int64)[data["series_index"]]
    if backend == "gpkg":
        path = WORK / "ceiling_sqlite"
        path.mkdir(exist_ok=True)
        micros = (np.int64(START.timestamp()) + data["hour"].astype(np.int64) * 3600) * 1_000_000
        for name, values in (("ds", ds), ("t", micros), ("v", data["value"]), ("foi", foi)):
            np.save(path / f"{name}.npy", values)
        (path / "quality.json").write_text(json.dumps(quality))
        return path, []
    path = WORK / "ceiling_copy.txt"
    times = hour_strings(int(data["hour"].max()) + 1, "pg")
    step = 500_000
    with open(path, "w", encoding="utf-8") as fh:
        for a in range(0, ds.size, step):
            rows = zip(range(a, a + step), ds[a : a + step].tolist(), data["hour"][a : a + step].tolist(), data["value"][a : a + step].tolist(), foi[a : a + step].tolist())
            fh.write("".join(f"{d}\t{times[h]}\t{x}\t{quality[i].replace(chr(92), chr(92) * 2) if i in quality else chr(92) + 'N'}\t{f}\n" for i, d, h, x, f in rows))
    first = np.datetime64(START.replace(tzinfo=None), "h") + int(data["hour"].min())
    last = np.datetime64(START.replace(tzinfo=None), "h") + int(data["hour"].max())
    months = np.arange(first.astype("datetime64[M]"), last.astype("datetime64[M]") + 1)
    return path, [str(m) for m in months]


# -- the ceilings, run as `run_ingest.py _ceiling BACKEND DB FILE [MONTH...]` in a fresh process --------
def ceiling_child(backend: str, db: str, file: str, months: list[str]) -> None:
    if backend == "postgis":
        import psycopg

        with psycopg.connect(db) as conn:
            for m in months:
                start = np.datetime64(m, "M")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS sta_observations_{m.replace('-', '')} PARTITION OF sta_observations "
                    f"FOR VALUES FROM ('{start}-01 00:00:00+00') TO ('{start + 1}-01 00:00:00+00')"
                )
            with conn.cursor() as cur, cur.copy(f"COPY sta_observations ({COPY_COLUMNS}) FROM STDIN") as copy, open(file, "rb") as fh:
                while block := fh.read(1 << 20):
                    copy.write(block)
            conn.commit()
        return
    quality = {int(k): q for k, q in json.loads((Path(file) / "quality.json").read_text()).items()}

    def column(name: str, step: int = 100_000):
        """One .npy column 100 000 values at a time, read (a memory map's pages would count in this process's RSS)."""
        with open(Path(file) / f"{name}.npy", "rb") as fh:
            major, _ = np.lib.format.read_magic(fh)
            _, _, dtype = (np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0)(fh)
            while block := fh.read(step * dtype.itemsize):
                yield np.frombuffer(block, dtype=dtype).tolist()

    def rows():
        done = 0
        for ds, t, v, foi in zip(column("ds"), column("t"), column("v"), column("foi")):
            q = [quality.get(i) for i in range(done, done + len(ds))]
            done += len(ds)
            yield from zip(ds, t, v, q, foi)

    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in ("busy_timeout = 30000", "cache_size = -16384", "journal_mode = WAL", "synchronous = NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO sta_observations ({COPY_COLUMNS}) VALUES (?, ?, ?, ?, ?)", rows())
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# -- the cases (each process measured by measure.run_measured: wall time, GNU time's peak RSS) ----------
def vkc(*args: str) -> list[str]:
    return [sys.executable, "-m", "vkc", *args]


def source_fingerprint(src: Path | None) -> dict:
    """Which vkc ran: its folder and a hash of the modules on the ingest paths (the tree may change between runs)."""
    import hashlib
    import importlib.util

    root = src.resolve() / "vkc" if src is not None else Path(importlib.util.find_spec("vkc").origin).parent
    files = sorted((root / "sensors").glob("*.py")) + [root / "sta" / "service.py", root / "cli" / "sensors.py", root / "api" / "sta.py"]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    return {"path": str(root), "sha256_of_ingest_modules": digest.hexdigest()[:16]}


def use_src(src: Path | None) -> None:
    """Run every vkc process (CLI, server, token, stations) from ``src`` instead of the installed package."""
    if src is not None:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(src.resolve()), *filter(None, [os.environ.get("PYTHONPATH")])])


def prepare_store(db: str, series: list[tuple[str, str]], *, datastreams: bool) -> dict[int, tuple[int, int]]:
    """Stations loaded with ``vkc import stations``; with ``datastreams``, the Datastreams made by vkc's own code."""
    subprocess.run(vkc("import", "stations", str(STATIONS), "--db", db), check=True, capture_output=True)
    if not datastreams:
        return {}
    from vkc.sensors.db import SensorDb
    from vkc.sensors.stations import DatastreamCache
    from vkc.store import open_store

    with open_store(db) as store:
        sdb = SensorDb(store)
        cache = DatastreamCache(sdb)
        with sdb.writing() as conn:
            return {i: cache.get(conn, sid, key) for i, (sid, key) in enumerate(series)}


def check_store(db: str) -> dict:
    sql = "SELECT count(*), count(result_quality) FROM sta_observations"
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as conn:
            n, flagged = conn.execute(sql).fetchone()
    else:
        with sqlite3.connect(db) as conn:
            n, flagged = conn.execute(sql).fetchone()
    return {"rows_in_table": n, "flagged_in_table": flagged}


def new_store(backend: str, cluster, name: str) -> str:
    if backend == "postgis":
        return cluster.new_database()
    path = WORK / f"{name}.gpkg"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return str(path)


def drop_store(db: str, cluster) -> None:
    if db.startswith("postgresql://"):
        cluster.psql("postgres", f"DROP DATABASE IF EXISTS {db.rsplit('/', 1)[1]} WITH (FORCE)")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(db + suffix).unlink(missing_ok=True)


def case_cli(db: str, csv: Path, n: int) -> dict:
    r = run_measured(vkc("import", "observations", str(csv), "--db", db, "--json"), keep_stdout=True)
    report = json.loads(r.pop("stdout").strip().splitlines()[-1])
    return {**r, "observations": report["stored"], "observations_per_s": round(report["stored"] / r["seconds"]), "flagged": report["flagged"], "rejected": report["rejected"], "batches": report["batches"], "ingest_seconds_reported": report["seconds"]}


def case_ceiling(backend: str, db: str, file: Path, months: list[str], n: int) -> dict:
    r = run_measured([sys.executable, str(Path(__file__).resolve()), "_ceiling", backend, db, str(file), *months])
    return {**r, "observations": n, "observations_per_s": round(n / r["seconds"])}


# -- HTTP ------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def peak_rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def case_http(db: str, data: dict, ids: dict[int, tuple[int, int]], n: int, batch: int, clients: int) -> dict:
    import httpx
    import orjson

    token = subprocess.run(vkc("token", "create", "--role", "editor", "--name", "bench", "--db", db), check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(vkc("serve", "--db", db, "--port", str(port), "--workers", "2", "--rate-limit", "0", "--no-access-log"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"vkc serve exited: {server.stderr.read().decode()[-3000:] if server.stderr else ''}")
            try:
                if httpx.get(f"{base}/sta/v1.1", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("vkc serve did not come up")
            time.sleep(0.3)
        for _ in range(20):  # let both workers answer once before timing
            httpx.get(f"{base}/sta/v1.1", timeout=5)
        times = hour_strings(int(data["hour"][:n].max()) + 1, "iso")
        ds_of = [ids[i][0] for i in range(len(data["series"]))]
        work: queue.Queue[int] = queue.Queue()
        for a in range(0, n, batch):
            work.put(a)
        errors: list[str] = []
        latencies: list[float] = []
        lock = threading.Lock()

        def body(a: int) -> bytes:
            b = min(a + batch, n)
            s = data["series_index"][a:b]
            order = np.argsort(s, kind="stable")
            s_sorted = s[order].tolist()
            h = data["hour"][a:b][order].tolist()
            v = data["value"][a:b][order].tolist()
            blocks, i = [], 0
            while i < len(s_sorted):
                j = i
                while j < len(s_sorted) and s_sorted[j] == s_sorted[i]:
                    j += 1
                rows = [[times[t], x] for t, x in zip(h[i:j], v[i:j], strict=True)]
                blocks.append({"Datastream": {"@iot.id": ds_of[s_sorted[i]]}, "components": ["phenomenonTime", "result"], "dataArray": rows})
                i = j
            return orjson.dumps(blocks)

        def client() -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, timeout=600) as c:
                while True:
                    try:
                        a = work.get_nowait()
                    except queue.Empty:
                        return
                    payload = body(a)
                    t0 = time.perf_counter()
                    r = c.post("/sta/v1.1/CreateObservations", content=payload)
                    dt = time.perf_counter() - t0
                    expected = min(a + batch, n) - a
                    with lock:
                        latencies.append(dt)
                        if r.status_code != 201:
                            errors.append(f"{r.status_code}: {r.text[:300]}")
                        elif len(orjson.loads(r.content)) != expected:
                            errors.append(f"batch at {a}: {len(orjson.loads(r.content))} links for {expected} observations")

        cpu0 = os.times()
        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
        cpu1 = os.times()
        workers = descendants(server.pid)
        worker_peaks = [p for p in (peak_rss_mb(w) for w in workers) if p is not None]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    if errors:
        raise SystemExit(f"HTTP ingest failed: {len(errors)} bad responses, first: {errors[0]}")
    lat = sorted(latencies)
    return {
        "seconds": round(seconds, 2),
        "observations": n,
        "observations_per_s": round(n / seconds),
        "requests": len(lat),
        "observations_per_request": batch,
        "clients": clients,
        "request_p50_s": round(lat[len(lat) // 2], 3),
        "request_max_s": round(lat[-1], 3),
        "server_worker_peak_rss_mb": max(worker_peaks) if worker_peaks else None,
        "server_process_peak_rss_mb": worker_peaks,
        "client_cpu_s": round((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system), 1),
    }


# -- main ------------------------------------------------------------------
def bench_backend(backend: str, data: dict, csv: Path, quality: dict[int, str], args: argparse.Namespace, cluster) -> dict:
    n = int(data["hour"].size)
    out: dict = {}
    print(f"[{backend}] CLI ingest of {n:,} rows", flush=True)
    db = new_store(backend, cluster, "cli")
    prepare_store(db, data["series"], datastreams=False)
    out["cli"] = {**case_cli(db, csv, n), **check_store(db)}
    drop_store(db, cluster)
    print(f"[{backend}] ceiling", flush=True)
    db = new_store(backend, cluster, "ceiling")
    ids = prepare_store(db, data["series"], datastreams=True)
    file, months = ceiling_files(data, ids, backend, quality)
    out["ceiling"] = {**case_ceiling(backend, db, file, months, n), **check_store(db)}
    drop_store(db, cluster)
    shutil.rmtree(file) if file.is_dir() else file.unlink()
    if args.http_rows:
        h = min(args.http_rows, n)
        print(f"[{backend}] HTTP ingest of {h:,} rows", flush=True)
        db = new_store(backend, cluster, "http")
        ids = prepare_store(db, data["series"], datastreams=True)
        out["http"] = {**case_http(db, data, ids, h, args.batch, args.clients), **check_store(db)}
        drop_store(db, cluster)
    out["cli_over_ceiling"] = round(out["ceiling"]["seconds"] / out["cli"]["seconds"], 3)
    out["cli_meets_target"] = out["cli_over_ceiling"] >= CLI_TARGET
    if "http" in out:
        out["http_meets_target"] = out["http"]["observations_per_s"] >= HTTP_TARGET
    for case in ("cli", "ceiling", "http"):
        if case in out:
            expected = out[case]["observations"]
            if out[case]["rows_in_table"] != expected:
                raise SystemExit(f"[{backend}] {case}: {out[case]['rows_in_table']} rows in the table, expected {expected}")
    for case in ("cli", "ceiling"):  # the same rows flagged by QA/QC (HTTP sends no resultQuality)
        if out[case]["flagged_in_table"] != len(quality):
            raise SystemExit(f"[{backend}] {case}: {out[case]['flagged_in_table']} flagged rows in the table, expected {len(quality)}")
    return out


def markdown(report: dict) -> str:
    names = {"gpkg": "GeoPackage (SQLite)", "postgis": "PostgreSQL 15 + PostGIS"}
    lines = [
        f"Ingest of {report['rows']:,} observations ({report['series']} series, hourly from {START:%Y-%m-%d}), {report['date']}; "
        f"{report['machine']['cpus']} cores, shared machine (other tests running: figures are noisy)"
        + f"; vkc from `{report['vkc']['path']}` (ingest modules sha256 {report['vkc']['sha256_of_ingest_modules']}).",
        "",
        "| backend | case | observations | wall s | obs/s | peak RSS MB | vs target |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for backend, r in report["backends"].items():
        cli, ceil = r["cli"], r["ceiling"]
        verdict = "meets" if r["cli_meets_target"] else "misses"
        lines.append(f"| {names[backend]} | CLI `vkc import observations` (CSV) | {cli['observations']:,} | {cli['seconds']} | {cli['observations_per_s']:,} | {cli['peak_rss_mb']} | {r['cli_over_ceiling']:.2f} × ceiling ({verdict} ≥ {CLI_TARGET}) |")
        lines.append(f"| {names[backend]} | ceiling ({'COPY' if backend == 'postgis' else 'executemany INSERT'}, no application) | {ceil['observations']:,} | {ceil['seconds']} | {ceil['observations_per_s']:,} | {ceil['peak_rss_mb']} | |")
        if "http" in r:
            h = r["http"]
            verdict = "meets" if r["http_meets_target"] else "misses"
            lines.append(
                f"| {names[backend]} | HTTP CreateObservations ({h['clients']} clients × {h['observations_per_request']:,}/request, 2 workers) | {h['observations']:,} | {h['seconds']} | "
                f"{h['observations_per_s']:,} | {h['server_worker_peak_rss_mb']} (per worker) | {verdict} ≥ {HTTP_TARGET:,}/s |"
            )
    lines += [
        "",
        "Peak RSS: the CLI and ceiling processes (GNU time; for PostgreSQL the client, not the server); HTTP: the largest server process (VmHWM).",
        "Ceiling: PostgreSQL `CREATE TABLE … PARTITION OF` per month + one `COPY … FROM STDIN` in one transaction; "
        "SQLite one `executemany` of a plain prepared `INSERT` in one transaction, same PRAGMAs; both into the same table and indexes.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_ceiling":
        ceiling_child(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000, help="observations per case (default 10 000 000)")
    ap.add_argument("--backend", choices=("gpkg", "postgis", "both"), default="both")
    ap.add_argument("--http-rows", type=int, default=None, help="observations sent over HTTP (default: --rows; 0 skips the HTTP case)")
    ap.add_argument("--batch", type=int, default=10_000, help="observations per CreateObservations request")
    ap.add_argument("--clients", type=int, default=4, help="concurrent HTTP client threads")
    ap.add_argument("--work", type=Path, help="work folder to use and reuse (default: a new bench/work/ingest-* folder for this run)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (generated data and CSV) afterwards")
    ap.add_argument("--src", type=Path, help="run vkc from this source folder (a patched copy of src/) instead of the installed one")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where ingest.json and ingest.md go (default bench/results)")
    args = ap.parse_args()
    require_gnu_time()
    if args.http_rows is None:
        args.http_rows = args.rows
    global WORK
    if args.work is not None:
        WORK = args.work.resolve()
        WORK.mkdir(parents=True, exist_ok=True)
    else:  # a folder of its own, so that runs side by side do not delete each other's files
        (HERE / "work").mkdir(exist_ok=True)
        WORK = Path(tempfile.mkdtemp(prefix="ingest-", dir=HERE / "work"))
    args.results.mkdir(parents=True, exist_ok=True)
    use_src(args.src)
    fingerprint = source_fingerprint(args.src)
    backends = ["gpkg", "postgis"] if args.backend == "both" else [args.backend]
    t0 = time.perf_counter()
    data = make_dataset(args.rows)
    csv = WORK / f"observations_{args.rows}.csv"
    if not csv.exists():
        write_csv(data, csv)
    quality = qualities(data)
    csv_mb = round(csv.stat().st_size / 2**20, 1)
    print(f"data: {args.rows:,} rows, {len(quality):,} flagged, CSV {csv.stat().st_size / 2**20:.0f} MB, {time.perf_counter() - t0:.1f} s", flush=True)
    cluster = None
    if "postgis" in backends:
        sys.path.insert(0, str(HERE.parent / "tests" / "support"))
        from pg_cluster import Cluster

        cluster = Cluster()
    try:
        results = {b: bench_backend(b, data, csv, quality, args, cluster) for b in backends}
    finally:
        if cluster is not None:
            cluster.stop()
        if not args.keep:
            shutil.rmtree(WORK, ignore_errors=True)
    hours = int(data["hour"].max()) + 1
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(), "sqlite": sqlite3.sqlite_version, "postgresql": "15 (throwaway cluster, fsync off)" if cluster else None},
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cases": CASES,
        "rows": args.rows,
        "series": len(data["series"]),
        "hours": hours,
        "flagged": len(quality),
        "csv_mb": csv_mb,
        "seed": SEED,
        "vkc": {**fingerprint, "changed_during_run": source_fingerprint(args.src) != fingerprint},
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k not in ("keep", "work")},
        "targets": {"cli_over_ceiling": CLI_TARGET, "http_observations_per_s": HTTP_TARGET},
        "backends": results,
        "note": "one fresh store and one fresh process per case; shared 2-core machine with tests running, figures are noisy",
    }
    (args.results / "ingest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    md = markdown(report)
    (args.results / "ingest.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
