"""Import and bbox-query benchmark of both stores, side by side with ogr2ogr in the same run.

Writes bench/results/import.json and bench/results/import.md. Inputs are synthetic
(bench/make_data.py, fixed seed). Each import runs in a fresh process, measured the
same way for vkc and for ogr2ogr by bench/measure.py: wall time from spawn to exit and
the peak RSS GNU time reports (the largest process of the import: vkc's reader
processes are counted on their own, not added up). With ``--repeat N`` the tools take
turns (vkc GeoPackage, vkc PostGIS, ogr2ogr; N times), so the machine's drift falls
on all alike: the tables give the best run of each, and the ratios against ogr2ogr
also pair by pair (run i against run i). The PostGIS runs use a throwaway local
cluster (tests/support/pg_cluster.py), a fresh database per import; the server's own
memory is not in the client's figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from measure import require_gnu_time, run_measured

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
RESULTS = HERE / "results"


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return path


def bench_import(src: Path, n: int, repeat: int, cluster=None) -> dict:
    vkc = [sys.executable, "-m", "vkc", "import", "layer", str(src), "--collection", "bench"]
    rows = {"vkc": [], "vkc_postgis": [], "ogr2ogr": []}
    for _ in range(repeat):
        db = fresh(WORK / "vkc.gpkg")
        rows["vkc"].append(run_measured([*vkc, "--db", str(db)]))
        if cluster is not None:
            rows["vkc_postgis"].append(run_measured([*vkc, "--db", cluster.new_database()]))
        out = fresh(WORK / "ogr.gpkg")
        if shutil.which("ogr2ogr"):
            rows["ogr2ogr"].append(run_measured(["ogr2ogr", "-f", "GPKG", str(out), str(src), "-nln", "bench"]))
    result = {"file": src.name, "features": n, "size_mb": round(src.stat().st_size / 2**20, 1)}
    for tool, runs in rows.items():
        if runs:
            best = min(runs, key=lambda r: r["seconds"])
            result[tool] = {**best, "features_per_s": round(n / best["seconds"]), "runs": runs}
    if "vkc_postgis" in result:
        result["speed_ratio_gpkg_over_postgis"] = round(result["vkc_postgis"]["seconds"] / result["vkc"]["seconds"], 2)
    if "ogr2ogr" in result:
        result["speed_ratio_vkc_over_ogr2ogr"] = round(result["ogr2ogr"]["seconds"] / result["vkc"]["seconds"], 2)
        result["memory_ratio_vkc_over_ogr2ogr"] = round(result["vkc"]["peak_rss_mb"] / result["ogr2ogr"]["peak_rss_mb"], 2)
        # run i of each tool against run i of ogr2ogr: they ran one after the other, under the same load
        for tool in ("vkc", "vkc_postgis"):
            if rows[tool]:
                pairs = list(zip(rows[tool], rows["ogr2ogr"], strict=True))
                speed = [round(o["seconds"] / v["seconds"], 2) for v, o in pairs]
                memory = [round(v["peak_rss_mb"] / o["peak_rss_mb"], 2) for v, o in pairs]
                cpu = [round(o["cpu_s"] / v["cpu_s"], 2) for v, o in pairs]
                result[f"pairs_{tool}_over_ogr2ogr"] = {
                    "speed": speed,
                    "speed_median": round(statistics.median(speed), 2),
                    "memory": memory,
                    "memory_median": round(statistics.median(memory), 2),
                    "cpu": cpu,
                    "cpu_median": round(statistics.median(cpu), 2),
                }
    return result


def _pairs(r: dict, tool: str, figure: str) -> str:
    """Median of the pair-by-pair ratios, with their range when there are several."""
    p = r.get(f"pairs_{tool}_over_ogr2ogr")
    if not p:
        return ""
    values = p[figure]
    return f"{p[figure + '_median']}" + (f" ({min(values)}–{max(values)})" if len(values) > 1 else "")


def bench_bbox(db: Path | str, n_queries: int, target: int = 100) -> dict:
    from vkc.store import Query, open_store

    rng = random.Random(42)
    with open_store(db, create=False) as store:
        sample = [f.geometry for f in store.features("bench", Query(limit=5000))]
        centres = [(g.x, g.y) for g in rng.sample(sample, min(len(sample), n_queries))]

        def run(half: float, centre: tuple[float, float]) -> tuple[float, int]:
            x, y = centre
            t = time.perf_counter()
            found = sum(1 for _ in store.features("bench", Query(bbox=(x - half, y - half, x + half, y + half))))
            return (time.perf_counter() - t) * 1000, found

        # calibrate the box so that the median query returns about `target` features
        lo, hi = 1e-5, 0.05
        for _ in range(20):
            mid = (lo + hi) / 2
            counts = [run(mid, c)[1] for c in centres[:50]]
            if statistics.median(counts) < target:
                lo = mid
            else:
                hi = mid
        half = (lo + hi) / 2
        for c in centres[:20]:
            run(half, c)  # warm the page cache
        timings, counts = zip(*(run(half, c) for c in centres))
    q = statistics.quantiles(timings, n=100)
    return {
        "queries": len(timings),
        "box_half_width_deg": round(half, 6),
        "features_returned_median": statistics.median(counts),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(q[98], 2),
        "max_ms": round(max(timings), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--polygons", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--no-postgis", action="store_true", help="Only the embedded store.")
    args = ap.parse_args()
    require_gnu_time()
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    sys.path.insert(0, str(HERE))
    import make_data

    inputs = []
    for kind, n, make in (("points", args.points, make_data.points), ("points", args.points // 10, make_data.points), ("polygons", args.polygons, make_data.polygons)):
        path = WORK / f"{kind}_{n}.geojson"
        if not path.exists():
            make(path, n)
        inputs.append((path, n))
    cluster = None
    if not args.no_postgis:
        sys.path.insert(0, str(HERE.parent / "tests" / "support"))
        from pg_cluster import Cluster

        cluster = Cluster()
    try:
        imports = [bench_import(path, n, args.repeat, cluster) for path, n in inputs]
        # the bbox benchmark runs on the full point layer, in each store
        fresh(WORK / "vkc.gpkg")
        subprocess.run([sys.executable, "-m", "vkc", "import", "layer", str(inputs[0][0]), "--collection", "bench", "--db", str(WORK / "vkc.gpkg")], check=True, capture_output=True)
        bbox = bench_bbox(WORK / "vkc.gpkg", args.queries)
        bbox_pg = None
        if cluster is not None:
            url = cluster.new_database()
            subprocess.run([sys.executable, "-m", "vkc", "import", "layer", str(inputs[0][0]), "--collection", "bench", "--db", url], check=True, capture_output=True)
            bbox_pg = bench_bbox(url, args.queries)
    finally:
        if cluster is not None:
            cluster.stop()
    gdal = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True).stdout.strip() if shutil.which("ogr2ogr") else None
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(), "ogr2ogr": gdal},
        "imports": imports,
        "bbox_queries": bbox,
        "bbox_queries_postgis": bbox_pg,
        "repeat": args.repeat,
        "note": "synthetic inputs from bench/make_data.py; one process per import, the tools taking turns; "
        "peak RSS from GNU time (/usr/bin/time -f %M): the largest single process of an import (vkc's readers not added); "
        "cpu_s: user + system seconds of the import's processes (GNU time); "
        "pairs_*: run i against ogr2ogr's run i (speed: ogr2ogr s / vkc s; memory: vkc MB / ogr2ogr MB; cpu: ogr2ogr cpu_s / vkc cpu_s)",
    }
    (RESULTS / "import.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "| input | features | vkc GeoPackage s | feat/s | peak MB | vkc PostGIS s | feat/s | client peak MB | ogr2ogr s | ogr2ogr peak MB | GeoPackage ×ogr2ogr | GeoPackage ×PostGIS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in imports:
        o, p = r.get("ogr2ogr", {}), r.get("vkc_postgis", {})
        pg_rate = f"{p['features_per_s']:,}" if p else ""
        lines.append(
            f"| {r['file']} | {r['features']:,} | {r['vkc']['seconds']} | {r['vkc']['features_per_s']:,} | {r['vkc']['peak_rss_mb']} | "
            f"{p.get('seconds', '')} | {pg_rate} | {p.get('peak_rss_mb', '')} | "
            f"{o.get('seconds', '')} | {o.get('peak_rss_mb', '')} | {r.get('speed_ratio_vkc_over_ogr2ogr', '')} | {r.get('speed_ratio_gpkg_over_postgis', '')} |"
        )
    lines += [
        "",
        f"Best of {args.repeat} runs each (seconds; peak MB of that run); ×ogr2ogr = ogr2ogr's best time / vkc's best time.",
        "",
        f"Pair by pair (run i of vkc against run i of ogr2ogr, {args.repeat} pairs; median (min–max)); "
        "speed = ogr2ogr s / vkc s (above 1: vkc faster), memory = vkc peak MB / ogr2ogr peak MB (above 1: vkc uses more), "
        "CPU = ogr2ogr CPU s / vkc CPU s, user + system of all of an import's processes (above 1: vkc spends less; "
        "vkc parses in two reader processes, so it can be faster and spend more):",
        "",
        "| input | GeoPackage speed ×ogr2ogr | memory | CPU | PostGIS speed ×ogr2ogr | client memory | client CPU |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in imports:
        cells = [_pairs(r, tool, figure) for tool in ("vkc", "vkc_postgis") for figure in ("speed", "memory", "cpu")]
        lines.append(f"| {r['file']} | " + " | ".join(cells) + " |")
    lines += ["", f"bbox queries on the {args.points:,}-point layer (~{bbox['features_returned_median']:.0f} features each, {bbox['queries']} queries): GeoPackage p50 {bbox['p50_ms']} ms, p99 {bbox['p99_ms']} ms"]
    if bbox_pg:
        lines[-1] += f"; PostGIS p50 {bbox_pg['p50_ms']} ms, p99 {bbox_pg['p99_ms']} ms"
    (RESULTS / "import.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
