"""Throughput of the observation-file reader (vkc.sensors.observation_files): rows/s and peak memory.

Writes a synthetic long-form file (fixed seed; marked synthetic only by being
in a temporary directory: it is never kept) of N rows — 40 stations × 6
parameters × consecutive hours, mixed units (µg/m³, ppb, mg/m³), ISO 8601
times with a +07:00 offset, ~0.1 % bad rows — then reads it through
``read_observation_rows`` and prints rows/s and peak memory.

    .venv/bin/python bench/rows_reader.py [--rows 1000000] [--format csv|jsonl] [--gzip] [--keep DIR]

Peak memory is reported two ways: the process's maximum resident set size
(ru_maxrss, includes the interpreter and numpy-free imports) before and after
the read, and — with ``--tracemalloc`` — the Python heap peak during the read
(tracemalloc slows the read about twofold, so the rows/s of that run are not
the headline figure).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vkc.sensors.observation_files import ObservationRow, read_observation_rows  # noqa: E402

PARAMETERS = [("PM2.5", "µg/m³"), ("PM10", "ug/m3"), ("NO2", "ppb"), ("CO", "mg/m3"), ("SO2", "µg/m³"), ("O3", "ppb")]
LEVEL = {"PM2.5": 45.0, "PM10": 70.0, "NO2": 20.0, "CO": 1.2, "SO2": 12.0, "O3": 25.0}


def write_file(path: Path, rows: int, fmt: str, gz: bool, seed: int = 11) -> None:
    rng = random.Random(seed)
    stations = [f"bench-{i:03d}" for i in range(40)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8", newline="") as out:  # type: ignore[operator]
        if fmt == "csv":
            out.write("station,parameter,time,value,unit\n")
        written = 0
        hour = 0
        while written < rows:
            stamp = (start + timedelta(hours=hour + 7)).strftime("%Y-%m-%dT%H:%M:%S") + "+07:00"
            for station in stations:
                for parameter, unit in PARAMETERS:
                    if written >= rows:
                        break
                    value = f"{LEVEL[parameter] * rng.lognormvariate(0, 0.5):.2f}"
                    if rng.random() < 0.001:
                        value = rng.choice(["n/a", "-999", "1e9"])
                    if fmt == "csv":
                        out.write(f"{station},{parameter},{stamp},{value},{unit}\n")
                    else:
                        out.write(f'{{"station":"{station}","parameter":"{parameter}","time":"{stamp}","value":"{value}","unit":"{unit}"}}\n')
                    written += 1
            hour += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap peak (slower run)")
    ap.add_argument("--keep", type=Path, help="write the file into this directory and keep it")
    args = ap.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="vkc-rows-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"observations_{args.rows}.{args.format}" + (".gz" if args.gzip else "")
    path = workdir / name
    t0 = time.perf_counter()
    write_file(path, args.rows, args.format, args.gzip)
    size_mb = path.stat().st_size / 1e6
    print(f"wrote {args.rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - t0:.1f} s: {path}")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = rejected = flagged = 0
    t0 = time.perf_counter()
    for row in read_observation_rows(path):
        if row.__class__ is ObservationRow:
            ok += 1
            if row.quality is not None:
                flagged += 1
        else:
            rejected += 1
    elapsed = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = ok + rejected
    print(f"read {total:,} rows ({ok:,} stored, {flagged:,} of them flagged; {rejected:,} rejected) in {elapsed:.2f} s")
    print(f"throughput: {total / elapsed:,.0f} rows/s")
    print(f"peak RSS: {rss_after:.1f} MB (before the read {rss_before:.1f} MB)")

    if args.tracemalloc:
        tracemalloc.start()
        for _ in read_observation_rows(path):
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"Python heap peak during the read (tracemalloc): {peak / 1e6:.2f} MB")

    if not args.keep:
        os.remove(path)
        workdir.rmdir()


if __name__ == "__main__":
    main()
