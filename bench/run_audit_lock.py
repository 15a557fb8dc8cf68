"""What the audit trail's ordering lock costs concurrent writers on PostGIS.

On PostgreSQL every audited transaction takes one advisory lock from its
audit append until it commits (``vkc.store.audit``), so that entries are
chained in commit order: audited commits happen one at a time, fsync
included, where unaudited ones overlap and share fsyncs (group commit). This
measures what that costs.

Each case runs ``--writers`` processes at once, each making ``--transactions``
small transactions of its own: one record written with ``Store.put_record``,
either **plain** (no audit entry) or **audited** (the same write with its
``Change``, as every API and CLI change is). The server is a throwaway
PostgreSQL 15 cluster from ``tests/support/pg_cluster.py`` with PostgreSQL's
default durability (``fsync`` and ``synchronous_commit`` on: the lock is held
across the commit's flush, which is the cost in question). Plain and audited
take turns, run by run. Measured: transactions per second over all writers
(first start to last end) and each transaction's latency (p50, p99).

Writes bench/results/audit_lock.json and audit_lock.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _writer(
    url: str, mode: str, writer: int, transactions: int, ready: multiprocessing.Queue, start: multiprocessing.synchronize.Event, out: multiprocessing.Queue
) -> None:
    from vkc.store import open_store
    from vkc.store.audit import Change

    latencies = []
    with open_store(url) as store:
        store.get_record("bench", "none")  # connected
        ready.put(writer)
        start.wait()
        began = time.perf_counter()
        for i in range(transactions):
            key, value = f"w{writer}-{i}", {"writer": writer, "i": i}
            t0 = time.perf_counter()
            if mode == "audited":
                store.put_record("bench", key, value, change=Change("local:bench", "bench.put", f"bench:{key}", after=value))
            else:
                store.put_record("bench", key, value)
            latencies.append(time.perf_counter() - t0)
        out.put((began, time.perf_counter(), latencies))


def run_case(url: str, mode: str, writers: int, transactions: int) -> dict:
    context = multiprocessing.get_context("spawn")
    ready, start, out = context.Queue(), context.Event(), context.Queue()
    procs = [context.Process(target=_writer, args=(url, mode, w, transactions, ready, start, out)) for w in range(writers)]
    for p in procs:
        p.start()
    for _ in procs:  # every writer connected and waiting
        ready.get(timeout=120)
    start.set()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a {mode} writer failed (exit {p.exitcode})")
    first, last = min(r[0] for r in results), max(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[2])
    return {
        "mode": mode,
        "writers": writers,
        "transactions": len(latencies),
        "per_second": len(latencies) / (last - first),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--transactions", type=int, default=300, help="per writer and case")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    sys.path.insert(0, str(HERE.parent / "tests" / "support"))
    from vkc.store import audit, open_store

    from pg_cluster import Cluster

    cluster = Cluster(durable=True)
    rows = []
    try:
        for writers in args.writers:
            for _ in range(args.repeat):
                for mode in ("plain", "audited"):
                    url = cluster.new_database()
                    with open_store(url):
                        pass  # the schema made before the clock starts
                    rows.append(run_case(url, mode, writers, args.transactions))
                    print(json.dumps(rows[-1]), flush=True)
                    if mode == "audited":
                        with open_store(url) as store, store.reading() as conn:
                            verdict = audit.verify(conn)
                        assert verdict.intact and verdict.entries == writers * args.transactions, verdict
    finally:
        cluster.stop()

    summary = []
    for writers in args.writers:
        best = {mode: max((r for r in rows if r["writers"] == writers and r["mode"] == mode), key=lambda r: r["per_second"]) for mode in ("plain", "audited")}
        summary.append({"writers": writers, "plain": best["plain"], "audited": best["audited"], "ratio": best["audited"]["per_second"] / best["plain"]["per_second"]})
    machine = {"python": platform.python_version(), "cpus": multiprocessing.cpu_count(), "platform": platform.platform()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audit_lock.json").write_text(json.dumps({"machine": machine, "transactions": args.transactions, "runs": rows, "best": summary}, indent=2) + "\n")
    lines = [
        "# The audit trail's ordering lock under concurrent writers (PostGIS, fsync on)",
        "",
        f"Each writer: {args.transactions} one-record transactions; best of {args.repeat} runs; {machine['cpus']} cores.",
        "",
        "| writers | plain tx/s | audited tx/s | audited / plain | plain p50 / p99 ms | audited p50 / p99 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in summary:
        p, a = s["plain"], s["audited"]
        lines.append(
            f"| {s['writers']} | {p['per_second']:.0f} | {a['per_second']:.0f} | {s['ratio']:.2f} | "
            f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f} | {a['p50_ms']:.1f} / {a['p99_ms']:.1f} |"
        )
    (RESULTS / "audit_lock.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
