"""Property values between Python and SQL columns: type inference, widening, conversion."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any, overload

import orjson

from vkc.errors import InputError
from vkc.store.model import FieldType

SQL_TYPES: dict[str, str] = {
    "integer": "INTEGER",
    "real": "REAL",
    "text": "TEXT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
    "json": "TEXT",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_INT64 = 2**63


def value_type(value: Any) -> FieldType | None:
    """The field type a single value asks for (None for null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if -_INT64 <= value < _INT64 else "real"
    if isinstance(value, float):
        return "real"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        if _DATE.match(value):
            return "date"
        if _DATETIME.match(value):
            return "datetime"
        return "text"
    return "json"


PY_TYPES: dict[type, FieldType] = {bool: "boolean", int: "integer", float: "real", dict: "json", list: "json", datetime: "datetime", date: "date"}


def column_type(column: list[Any], current: FieldType | None = None) -> FieldType | None:
    """The narrowest type holding every value of a column (None if all are null).

    Strings are tested against the date patterns only while the column could
    still be a date: once text, always text.
    """
    kinds = set(map(type, column))
    kinds.discard(type(None))
    result: FieldType | None = None
    for kind in kinds:
        if kind is str:
            if current in (None, "date", "datetime"):
                ftype: FieldType | None = None
                for v in column:
                    if isinstance(v, str):
                        ftype = widen(ftype, value_type(v))
                        if ftype == "text":
                            break
            else:
                ftype = "text"
        elif kind is int:
            ftype = "integer" if all(-_INT64 <= v < _INT64 for v in column if type(v) is int) else "real"
        else:
            ftype = PY_TYPES.get(kind) or value_type(next(v for v in column if type(v) is kind))
        result = widen(result, ftype)
    return result


@overload
def widen(a: FieldType | None, b: FieldType) -> FieldType: ...
@overload
def widen(a: FieldType | None, b: FieldType | None) -> FieldType | None: ...
def widen(a: FieldType | None, b: FieldType | None) -> FieldType | None:
    """The narrowest type that holds values of both types."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    pair = {a, b}
    if pair == {"integer", "real"}:
        return "real"
    if pair == {"date", "datetime"}:
        return "datetime"
    if "json" in pair:
        return "json" if pair <= {"json", "boolean", "integer", "real"} else "text"
    return "text"


def to_sql(value: Any, ftype: FieldType) -> Any:
    """A property value as stored in a column of type ``ftype``."""
    if value is None:
        return None
    if ftype == "json" or isinstance(value, (dict, list)):
        try:
            return orjson.dumps(value).decode()
        except orjson.JSONEncodeError as exc:
            raise InputError(f"a property value cannot be stored as JSON: {exc} (at most 254 levels of nesting)", field="properties") from None
    if isinstance(value, bool):
        return int(value) if ftype in ("boolean", "integer", "real") else str(value).lower()
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not -_INT64 <= value < _INT64:
        return float(value) if ftype == "real" else str(value)
    if ftype == "text" and not isinstance(value, str):
        return orjson.dumps(value).decode()
    return value


def from_sql(value: Any, ftype: FieldType) -> Any:
    """A column value back as a property value."""
    if value is None:
        return None
    if ftype == "boolean":
        return bool(value)
    if ftype == "json":
        try:
            return orjson.loads(value)
        except (orjson.JSONDecodeError, TypeError):
            return value
    return value


def format_datetime(value: datetime) -> str:
    """UTC in the GeoPackage DATETIME form: ``YYYY-MM-DDTHH:MM:SS.SSSZ``."""
    if value.tzinfo is None:
        raise ValueError(f"datetime {value.isoformat()} has no time zone")
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_datetime(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
