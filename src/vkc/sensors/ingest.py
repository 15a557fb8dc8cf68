"""Bulk ingest of observations: rows from :mod:`vkc.sensors.observation_files` into the SensorThings tables.

Rows stream through in batches; each batch is one transaction, so a failure
loses at most the batch in flight and a rerun of the same file changes
nothing (observations are keyed by datastream and phenomenon time). Rows that
cannot be stored — unreadable, physically impossible, of an unknown station —
are counted by reason and reported with their line numbers, never stored.
Values QA/QC flags as suspicious are stored with ``resultQuality``
``{"qc": "flagged", "reason": …}``.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from vkc.permissions import LOCAL_ADMIN, Grant
from vkc.sensors.bulk import upsert_measurements
from vkc.sensors.db import SensorDb
from vkc.sensors.observation_files import ObservationRow, RejectedRow
from vkc.sensors.stations import DatastreamCache
from vkc.store.audit import Change, append

BATCH = 50_000
#: reasons are counted without their values: quoted texts and numbers that stand alone (not the 25 of pm25)
_REASON_VALUES = re.compile(r"'[^']*'|(?<![\w.])-?\d[\d.e+-]*(?![\w])")
KEPT_REJECTS = 1_000


@dataclass
class IngestReport:
    read: int = 0
    stored: int = 0
    flagged: int = 0
    rejected: int = 0
    batches: int = 0
    seconds: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)
    #: the first rejected rows (line, reason, raw text), at most KEPT_REJECTS
    examples: list[tuple[int, str, str]] = field(default_factory=list)

    def reject(self, line: int, reason: str, raw: str) -> None:
        self.rejected += 1
        self.reasons[_REASON_VALUES.sub("…", reason)] += 1
        if len(self.examples) < KEPT_REJECTS:
            self.examples.append((line, reason, raw))

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "stored": self.stored,
            "flagged": self.flagged,
            "rejected": self.rejected,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "observations_per_second": round(self.stored / self.seconds) if self.seconds else None,
            "rejected_by_reason": dict(self.reasons.most_common()),
        }


def ingest_rows(
    store: Any,
    rows: Iterable[ObservationRow | RejectedRow],
    *,
    batch_size: int = BATCH,
    progress: Callable[[IngestReport], None] | None = None,
    rejected: Callable[[int, str, str], None] | None = None,
    source: str = "",
    by: Grant = LOCAL_ADMIN,
) -> IngestReport:
    """Store ``rows``; ``rejected(line, reason, raw)`` is called for every row not stored.

    Each batch's transaction holds its audit entry: ``by``'s, naming ``source`` and the rows stored.
    """
    db = SensorDb(store)
    cache = DatastreamCache(db)
    report = IngestReport()
    started = time.perf_counter()
    batch: list[ObservationRow] = []
    direct = True  # PostgreSQL: COPY straight into the table until a batch meets a stored key

    def reject(line: int, reason: str, raw: str) -> None:
        report.reject(line, reason, raw)
        if rejected is not None:
            rejected(line, reason, raw)

    def flush() -> None:
        nonlocal direct
        if not batch:
            return
        try:
            stored, flagged, direct = _write_batch(
                db, cache, batch, reject, direct, Change(by.actor, "observations.ingest", "sensorthings:Observations"), source
            )
        except BaseException:
            cache.forget()
            raise
        report.stored += stored
        report.flagged += flagged
        report.batches += 1
        batch.clear()
        report.seconds = time.perf_counter() - started
        if progress is not None:
            progress(report)

    for row in rows:
        report.read += 1
        if isinstance(row, RejectedRow):
            reject(row.line, row.reason, row.raw)
            continue
        batch.append(row)
        if len(batch) >= batch_size:
            flush()
    flush()
    report.seconds = time.perf_counter() - started
    return report


def _write_batch(
    db: SensorDb,
    cache: DatastreamCache,
    batch: list[ObservationRow],
    reject: Callable[[int, str, str], None],
    direct: bool,
    change: Change,
    source: str,
) -> tuple[int, int, bool]:
    """Store one batch in one transaction with the audit entry ``change`` of it; returns (stored, flagged, whether the direct COPY did it)."""
    rows: list[tuple[Any, ...]] = []
    flagged = 0
    json_in = db.json_in
    known = cache.known
    with db.writing() as conn:
        for line, station, parameter, t, value, reason in batch:
            ids = known.get((station, parameter))
            if ids is None:
                ids = cache.get(conn, station, parameter)
                if ids is None:
                    reject(line, f"unknown station: {station!r} is not loaded (vkc import stations FILE)", f"{station},{parameter}")
                    continue
            quality = None
            if reason is not None:
                flagged += 1
                quality = json_in({"qc": "flagged", "reason": reason})
            rows.append((ids[0], t, value, quality, ids[1]))
        done = upsert_measurements(db, conn, rows, direct=direct)
        lines = [batch[0][0], batch[-1][0]]
        append(conn, replace(change, after={"source": source, "lines": lines, "stored": len(rows), "flagged": flagged}))
    return len(rows), flagged, done
