"""Many observations at once: the path of ``vkc import observations`` and of ``dataArray`` requests.

Rows are upserted on (datastream, phenomenon time start), so sending a batch
twice changes nothing, and a corrected value replaces the old one. PostgreSQL
receives a batch by ``COPY`` into a temporary table and one ``INSERT … SELECT
… ON CONFLICT``; SQLite by one prepared statement run over the batch. Each
Datastream's phenomenonTime is then grown once per batch, not once per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from vkc.sensors.db import Conn, SensorDb
from vkc.sensors.schema import OBSERVATIONS, ensure_month_partitions
from vkc.sensors.write import Writer

COLUMNS = (
    "datastream_id",
    "phenomenon_time_start",
    "phenomenon_time_end",
    "result_time",
    "result_number",
    "result_string",
    "result_json",
    "result_quality",
    "parameters",
    "feature_of_interest_id",
)
_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[2:])


class ObservationRecord(NamedTuple):
    """One observation as stored; JSON columns already encoded for the database."""

    datastream_id: int
    phenomenon_time_start: datetime
    phenomenon_time_end: datetime | None = None
    result_time: datetime | None = None
    result_number: float | None = None
    result_string: str | None = None
    result_json: Any = None
    result_quality: Any = None
    parameters: Any = None
    feature_of_interest_id: int | None = None


def upsert_observations(db: SensorDb, conn: Conn, records: Sequence[ObservationRecord], *, returning: bool = False) -> list[int]:
    """Write ``records`` in the caller's transaction; with ``returning``, their ids in the same order."""
    if not records:
        return []
    if db.dialect == "postgres":
        ids = _postgres(conn, records, returning)
    else:
        ids = _sqlite(db, conn, records, returning)
    _grow_datastreams(db, conn, records)
    return ids


def _postgres(conn: Conn, records: Sequence[ObservationRecord], returning: bool) -> list[int]:
    ensure_month_partitions(conn, {r.phenomenon_time_start for r in records})
    raw = conn.raw
    raw.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS vkc_observations_in (LIKE {OBSERVATIONS} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    raw.execute("TRUNCATE vkc_observations_in")
    with raw.cursor() as cur:
        with cur.copy(f"COPY vkc_observations_in ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for r in records:
                copy.write_row(r)
        cols = ", ".join(COLUMNS)
        tail = " RETURNING id, datastream_id, phenomenon_time_start" if returning else ""
        cur.execute(
            f"INSERT INTO {OBSERVATIONS} ({cols}) SELECT DISTINCT ON (datastream_id, phenomenon_time_start) {cols} "
            f"FROM vkc_observations_in ORDER BY datastream_id, phenomenon_time_start "
            f"ON CONFLICT (datastream_id, phenomenon_time_start) DO UPDATE SET {_UPDATES}{tail}"
        )
        if not returning:
            return []
        by_key = {(ds, t): i for i, ds, t in cur.fetchall()}
    return [by_key[(r.datastream_id, r.phenomenon_time_start)] for r in records]


def _sqlite(db: SensorDb, conn: Conn, records: Sequence[ObservationRecord], returning: bool) -> list[int]:
    stmt = (
        f"INSERT INTO {OBSERVATIONS} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
        f"ON CONFLICT (datastream_id, phenomenon_time_start) DO UPDATE SET {_UPDATES}"
    )
    t = db.time_in
    rows = [(r[0], t(r[1]), t(r[2]), t(r[3]), *r[4:]) for r in records]
    if not returning:
        conn.raw.executemany(stmt, rows)
        return []
    cur = conn.raw.cursor()
    ids = [cur.execute(stmt + " RETURNING id", row).fetchone()[0] for row in rows]
    return ids


def _grow_datastreams(db: SensorDb, conn: Conn, records: Sequence[ObservationRecord]) -> None:
    spans: dict[int, list[Any]] = {}
    for r in records:
        end = r.phenomenon_time_end or r.phenomenon_time_start
        span = spans.get(r.datastream_id)
        if span is None:
            spans[r.datastream_id] = [r.phenomenon_time_start, end, r.result_time, r.result_time]
            continue
        span[0] = min(span[0], r.phenomenon_time_start)
        span[1] = max(span[1], end)
        if r.result_time is not None:
            span[2] = r.result_time if span[2] is None else min(span[2], r.result_time)
            span[3] = r.result_time if span[3] is None else max(span[3], r.result_time)
    writer = Writer(db)
    for ds, (start, end, r0, r1) in spans.items():
        writer.extend_datastream(conn, ds, start, end, r0, r1)
