"""Observation files, read as a stream: CSV in long form and JSON Lines.

CSV has a header with ``station``, ``parameter``, ``time``, ``value`` and
``unit`` (synonyms: ``station_id``/``site``, ``pollutant``, ``datetime``/
``timestamp``, ``concentration``); ``,`` or ``;`` separated, UTF-8 with or
without BOM, optionally gzipped. JSON Lines has one object per line with
the same keys. Each row comes out as an :class:`ObservationRow` in canonical
units (:mod:`vkc.sensors.parameters`) with its QA/QC verdict
(:mod:`vkc.sensors.qc`), or as a :class:`RejectedRow` saying why not.

Times must carry a zone (``Z`` or an offset) unless a zone is given for the
file; then zone-less times are read in it.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

from vkc.errors import FormatError, InputError
from vkc.parsing.times import DATA, EARLIEST, LATEST, TimeTextError, parse_instant, time_zone
from vkc.sensors import qc
from vkc.sensors.parameters import factor

COLUMNS = {
    "station": ("station", "station_id", "site", "site_id", "location_id"),
    "parameter": ("parameter", "pollutant", "variable"),
    "time": ("time", "datetime", "timestamp", "date_time", "phenomenon_time"),
    "value": ("value", "concentration", "result"),
    "unit": ("unit", "units", "uom"),
}


_TIME_CACHE = 4096  # parsed time texts kept per file (a file sorted by time repeats each one per series)


class ObservationRow(NamedTuple):
    line: int
    station: str
    parameter: str  # canonical key, e.g. "pm25"
    time: datetime  # aware, UTC
    value: float  # canonical unit
    quality: str | None  # None when valid, else why the value is flagged


class RejectedRow(NamedTuple):
    line: int
    reason: str
    raw: str


def _zone(name: str | None) -> tzinfo | None:
    return None if name is None else time_zone(name, "--tz")


#: what reading a gzip file cut short, corrupt or not gzip at all raises
_DAMAGED = (EOFError, OSError, zlib.error)


def _open_text(path: str) -> io.TextIOBase:
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the reader's finally
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror}", field="file") from None
    if not path.endswith(".gz"):
        return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    raw.close()
    return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")  # closing it closes the file too


def _format(path: str, given: str | None) -> str:
    if given is not None:
        if given not in ("csv", "jsonl"):
            raise InputError(f"--format: {given!r} is not csv or jsonl", field="format")
        return given
    name = path.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise FormatError(f"{path}: cannot tell the format from the name; use --format csv or --format jsonl", field="file")


def read_observation_rows(
    path: str | os.PathLike[str], *, tz: str | None = None, format: str | None = None  # noqa: A002
) -> Iterator[ObservationRow | RejectedRow]:
    """Rows of ``path`` one by one; errors about the whole file are raised before the first row."""
    path = os.fspath(path)
    kind = _format(path, format)
    zone = _zone(tz)
    text = _open_text(path)
    try:
        dialect = {"delimiter": ","}
        records = _csv_records(text, path, dialect) if kind == "csv" else _jsonl_records(text, path)
        first = next(records, None)  # a bad header or an unreadable file fails here, before anything is yielded
    except BaseException:
        text.close()
        raise
    return _rows(text, first, records, zone, dialect["delimiter"])


def _rows(text: io.TextIOBase, first: Any, records: Iterator[Any], zone: tzinfo | None, sep: str) -> Iterator[ObservationRow | RejectedRow]:
    times: dict[str, datetime] = {}  # time text → its UTC time: the rows of one hour share it
    try:
        if first is None:
            return
        yield _row(*first, zone, times, sep)
        for line, fields, raw in records:
            yield _row(line, fields, raw, zone, times, sep)
    finally:
        text.close()


def _csv_records(text: io.TextIOBase, path: str, dialect: dict[str, str]) -> Iterator[tuple[int, tuple[Any, ...] | str, str | list[str]]]:
    try:
        header_line = text.readline()
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not UTF-8 text", field="file") from None
    except _DAMAGED as exc:
        raise FormatError(f"{path}: not a readable gzip file: {exc}", field="file") from None
    delimiter = dialect["delimiter"] = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter), [])]
    index = {}
    for column, names in COLUMNS.items():
        found = next((header.index(n) for n in names if n in header), None)
        if found is None:
            raise FormatError(f"{path}: the header has no {column!r} column (or {', '.join(names[1:])}); it has {header}", field="file")
        index[column] = found
    pick = itemgetter(*(index[c] for c in COLUMNS))
    width = max(index.values()) + 1
    reader = csv.reader(text, delimiter=delimiter)
    line = 1
    try:
        for record in reader:
            line += 1
            if not record:
                continue
            if len(record) < width:
                yield line, f"too few columns: {len(record)} where the header has {len(header)}", delimiter.join(record)
                continue
            yield line, pick(record), record  # the raw text only matters for a rejected row: joined then

    except (UnicodeDecodeError, csv.Error) as exc:
        raise FormatError(f"{path}: line {line + 1} cannot be read: {exc}", field="file") from None
    except _DAMAGED as exc:
        raise FormatError(f"{path}: the compressed file is damaged near line {line + 1}: {exc}", field="file") from None


def _jsonl_records(text: io.TextIOBase, path: str) -> Iterator[tuple[int, tuple[Any, ...] | str, str]]:
    line = 0
    try:
        for raw in text:
            line += 1
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield line, f"not JSON: {exc}", raw.strip()
                continue
            if not isinstance(obj, dict):
                yield line, "not a JSON object", raw.strip()
                continue
            values = [next((obj[n] for n in names if n in obj), None) for names in COLUMNS.values()]
            missing = [c for c, v in zip(COLUMNS, values, strict=True) if v is None]
            if missing:
                yield line, f"missing {', '.join(missing)}", raw.strip()
                continue
            yield line, tuple(values), raw.strip()
    except UnicodeDecodeError:
        raise FormatError(f"{path}: line {line + 1} is not UTF-8 text", field="file") from None
    except _DAMAGED as exc:
        raise FormatError(f"{path}: the compressed file is damaged near line {line + 1}: {exc}", field="file") from None


def _raw_text(raw: str | list[str], sep: str) -> str:
    return raw if isinstance(raw, str) else sep.join(raw)


def _row(
    line: int, fields: tuple[Any, ...] | str, raw: str | list[str], zone: tzinfo | None, times: dict[str, datetime] | None = None, sep: str = ","
) -> ObservationRow | RejectedRow:
    if isinstance(fields, str):
        return RejectedRow(line, fields, _raw_text(raw, sep))
    station, parameter, time_text, value_text, unit = fields
    station = str(station).strip()
    if not station:
        return RejectedRow(line, "station: empty", _raw_text(raw, sep))
    try:
        key, scale, offset = factor(str(parameter), str(unit))
    except InputError as exc:
        return RejectedRow(line, f"{exc.detail.get('field', 'parameter')}: {exc.message}", _raw_text(raw, sep))
    try:
        value = float(str(value_text).replace(",", ".")) if not isinstance(value_text, int | float) else float(value_text)
    except ValueError:
        return RejectedRow(line, f"value: {value_text!r} is not a number", _raw_text(raw, sep))
    t = times.get(time_text) if times is not None and isinstance(time_text, str) else None
    if t is None:
        try:
            t = parse_instant(str(time_text).strip(), DATA)
        except TimeTextError:
            return RejectedRow(line, f"time: {time_text!r} is not an ISO 8601 time", _raw_text(raw, sep))
        if t.tzinfo is None:
            if zone is None:
                return RejectedRow(line, f"time: {time_text!r} has no time zone; add one or give --tz", _raw_text(raw, sep))
            try:
                t = t.replace(tzinfo=zone).astimezone(UTC)
            except OverflowError:
                return RejectedRow(line, f"time: {time_text!r} is out of range", _raw_text(raw, sep))
        if not EARLIEST <= t <= LATEST:
            return RejectedRow(line, f"time: {time_text!r} is outside the years 0002 to 9998", _raw_text(raw, sep))
        if times is not None and isinstance(time_text, str):
            if len(times) >= _TIME_CACHE:
                times.clear()
            times[time_text] = t
    value = value * scale + offset
    verdict, reason = qc.check(key, value)
    if verdict == "rejected":
        return RejectedRow(line, f"value: {reason}", _raw_text(raw, sep))
    return ObservationRow(line, station, key, t, value, reason)
