"""Many observations at once: the path of ``vkc import observations`` and of ``dataArray`` requests.

Rows are upserted on (datastream, phenomenon time start), so sending a batch
twice changes nothing, and a corrected value replaces the old one. PostgreSQL
receives a batch by ``COPY`` into a temporary table and one ``INSERT … SELECT
… ON CONFLICT``; SQLite by one prepared statement run over the batch. Each
Datastream's phenomenonTime is then grown once per batch, not once per row.

Numeric observations from files (:func:`upsert_measurements`) carry five
columns only, and only those cross to the database (the others become NULL,
as the full upsert would make them). In PostgreSQL they go by binary ``COPY``,
first straight into the table under a savepoint: when every (datastream, time)
is new, that is the whole upsert at the cost of a plain load; when one is not,
the savepoint is rolled back and the batch takes the upsert path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import psycopg

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
#: the columns of a numeric observation read from a file: (datastream, start, number, resultQuality, FeatureOfInterest)
MEASUREMENT_COLUMNS = ("datastream_id", "phenomenon_time_start", "result_number", "result_quality", "feature_of_interest_id")
_PG_MEASUREMENT_TYPES = ("int8", "timestamptz", "float8", "jsonb", "int8")  # their PostgreSQL types, for binary COPY


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


def upsert_measurements(db: SensorDb, conn: Conn, rows: Sequence[tuple[Any, ...]], *, direct: bool = False) -> bool:
    """Write numeric observations given as :data:`MEASUREMENT_COLUMNS` tuples, in the caller's transaction.

    The same upsert as :func:`upsert_observations` of records holding only these values. With
    ``direct`` (PostgreSQL), try one ``COPY`` straight into the table first; returns whether it did
    the batch (False: some key was already stored or repeats in the batch, and the upsert ran).
    """
    if not rows:
        return direct
    done = False
    if db.dialect == "postgres":
        if direct:
            ensure_month_partitions(conn, {r[1] for r in rows})
            done = _postgres_direct(conn, rows)
        if not done:
            _postgres(conn, rows, False, columns=MEASUREMENT_COLUMNS, types=_PG_MEASUREMENT_TYPES)
    else:
        stmt = _sqlite_upsert(MEASUREMENT_COLUMNS)
        time_in = db.time_in
        stored_time: dict[datetime, Any] = {}  # rows of one hour share their time: convert it once
        params = []
        for ds, start, number, quality, foi in rows:
            t = stored_time.get(start)
            if t is None:
                t = stored_time[start] = time_in(start)
            params.append((ds, t, number, quality, foi))
        conn.raw.executemany(stmt, params)
    spans: dict[Any, list[datetime]] = {}  # datastream → [first, last] phenomenon time
    for r in rows:
        span = spans.get(r[0])
        if span is None:
            spans[r[0]] = [r[1], r[1]]
        elif r[1] < span[0]:
            span[0] = r[1]
        elif r[1] > span[1]:
            span[1] = r[1]
    _extend(db, conn, {ds: (start, end, None, None) for ds, (start, end) in spans.items()})
    return done


def _postgres_direct(conn: Conn, rows: Sequence[tuple[Any, ...]]) -> bool:
    raw = conn.raw
    raw.execute("SAVEPOINT vkc_observations_direct")
    try:
        with raw.cursor() as cur, cur.copy(f"COPY {OBSERVATIONS} ({', '.join(MEASUREMENT_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_PG_MEASUREMENT_TYPES)
            for r in rows:
                copy.write_row(r)
    except psycopg.errors.UniqueViolation:
        raw.execute("ROLLBACK TO SAVEPOINT vkc_observations_direct")
        return False
    raw.execute("RELEASE SAVEPOINT vkc_observations_direct")
    return True


def _postgres(
    conn: Conn, records: Sequence[Any], returning: bool, *, columns: Sequence[str] = COLUMNS, types: Sequence[str] | None = None
) -> list[int]:
    """COPY ``records`` (values of ``columns``; in binary when their ``types`` are given) to a temporary table, then upsert."""
    ensure_month_partitions(conn, {r[1] for r in records})
    raw = conn.raw
    raw.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS vkc_observations_in (LIKE {OBSERVATIONS} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    raw.execute("TRUNCATE vkc_observations_in")
    with raw.cursor() as cur:
        with cur.copy(f"COPY vkc_observations_in ({', '.join(columns)}) FROM STDIN{' (FORMAT BINARY)' if types else ''}") as copy:
            if types:
                copy.set_types(types)
            for r in records:
                copy.write_row(r)
        cols = ", ".join(COLUMNS)
        tail = " RETURNING id, datastream_id, phenomenon_time_start" if returning else ""
        # ctid DESC: of a key repeated in the batch, the last row wins, as in SQLite
        cur.execute(
            f"INSERT INTO {OBSERVATIONS} ({cols}) SELECT DISTINCT ON (datastream_id, phenomenon_time_start) {cols} "
            f"FROM vkc_observations_in ORDER BY datastream_id, phenomenon_time_start, ctid DESC "
            f"ON CONFLICT (datastream_id, phenomenon_time_start) DO UPDATE SET {_UPDATES}{tail}"
        )
        if not returning:
            return []
        by_key = {(ds, t): i for i, ds, t in cur.fetchall()}
    return [by_key[(r.datastream_id, r.phenomenon_time_start)] for r in records]


def _sqlite_upsert(columns: Sequence[str]) -> str:
    """One row's upsert in SQLite; columns not given become NULL on a stored key too (``_UPDATES`` sets them all)."""
    return (
        f"INSERT INTO {OBSERVATIONS} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT (datastream_id, phenomenon_time_start) DO UPDATE SET {_UPDATES}"
    )


def _sqlite(db: SensorDb, conn: Conn, records: Sequence[ObservationRecord], returning: bool) -> list[int]:
    stmt = _sqlite_upsert(COLUMNS)
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
    _extend(db, conn, spans)


def _extend(db: SensorDb, conn: Conn, spans: dict[Any, Any]) -> None:
    """Grow each Datastream's phenomenonTime and resultTime to ``(start, end, result first, result last)``, once per batch."""
    writer = Writer(db)
    for ds, (start, end, r0, r1) in spans.items():
        writer.extend_datastream(conn, ds, start, end, r0, r1)
