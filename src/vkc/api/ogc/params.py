"""The query parameters of ``/items``, checked and turned into a store :class:`Query`.

Every problem is a 400 naming the parameter: a malformed ``bbox``, a
``datetime`` that is not RFC 3339, an unknown ``crs``, a CQL2 error with its
position, a parameter the API does not define.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np
import shapely

from vkc.errors import InputError
from vkc.ogc import cql2
from vkc.ogc.crs import CRS84, ApiCrs, api_crs
from vkc.parsing import times
from vkc.parsing.numbers import parse_integer
from vkc.store import filters as F
from vkc.store.model import Collection, Condition, Query

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
STANDARD = {"limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang", "filter-crs", "sortby", "properties", "f"}


@dataclass
class ItemsRequest:
    query: Query
    crs: ApiCrs
    requested_limit: int


def parse_items(coll: Collection, params: dict[str, str]) -> ItemsRequest:
    fields = coll.field_map()
    check_known(params, STANDARD, also=f", and the queryables {', '.join(dict.fromkeys(['id', *fields]))} for equality", queryables=fields.keys() | {"id"})
    requested = _int(params, "limit", DEFAULT_LIMIT, minimum=1)
    offset = _int(params, "offset", 0, minimum=0)
    bbox = parse_bbox(params["bbox"], api_crs(params.get("bbox-crs", CRS84), "bbox-crs")) if "bbox" in params else None
    if "bbox-crs" in params and "bbox" not in params:
        raise InputError("bbox-crs: given without bbox", field="bbox-crs")
    # a property named like a standard parameter (crs, limit, ...) can be filtered with filter= only
    where = tuple(_equality(coll, name, value) for name, value in params.items() if name not in STANDARD and (name in fields or name == "id"))
    expr = None
    if "filter" in params:
        lang = params.get("filter-lang", "cql2-text")
        expr = cql2.parse(params["filter"], lang)
        filter_crs = api_crs(params.get("filter-crs", CRS84), "filter-crs")
        if filter_crs.crs is not None or filter_crs.lat_first:
            expr = _geometries_to_storage(expr, filter_crs)
    elif "filter-lang" in params or "filter-crs" in params:
        raise InputError("filter-lang and filter-crs need a filter", field="filter")
    query = Query(
        bbox=bbox,
        where=where,
        time=parse_datetime(params["datetime"]) if "datetime" in params else None,
        limit=min(requested, MAX_LIMIT),
        offset=offset,
        filter=expr,
        sort=parse_sortby(params["sortby"]) if "sortby" in params else (),
        properties=parse_properties(params["properties"]) if "properties" in params else None,
    )
    return ItemsRequest(query=query, crs=api_crs(params.get("crs", CRS84), "crs"), requested_limit=requested)


def check_known(params: Iterable[str], known: Iterable[str], *, also: str = "", queryables: Iterable[str] = ()) -> None:
    """A parameter the API does not define is a 400 naming it and the ones it does (``lang``, the language of a
    page, goes with every request: a browser's language choice stays in the links it follows)."""
    allowed = set(known) | set(queryables) | {"lang"}
    unknown = [k for k in params if k not in allowed]
    if unknown:
        raise InputError(f"unknown parameter {unknown[0]!r}; parameters: {', '.join(sorted(known))}{also}", field=unknown[0])


def _int(params: dict[str, str], name: str, default: int, *, minimum: int) -> int:
    if name not in params:
        return default
    return parse_integer(params[name], name, minimum=minimum)


def parse_bbox(text: str, crs: ApiCrs) -> tuple[float, float, float, float]:
    """``minx,miny,maxx,maxy`` (or the 6-number 3D form) in ``crs`` and its axis order, as a CRS84 box."""
    parts = text.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"bbox: {text!r} is not 4 or 6 comma-separated numbers", field="bbox") from None
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise InputError(f"bbox: {text!r} is not 4 or 6 comma-separated numbers", field="bbox")
    box = (numbers[0], numbers[1], numbers[3], numbers[4]) if len(numbers) == 6 else tuple(numbers)
    if box[1] > box[3]:
        raise InputError(f"bbox: the lower corner's second coordinate {box[1]} is above the upper corner's {box[3]}", field="bbox")
    if box[0] > box[2]:
        raise InputError("bbox: boxes crossing the antimeridian (minx > maxx) are not supported", field="bbox")
    if crs.uri == CRS84 and (box[0] < -180 or box[2] > 180 or box[1] < -90 or box[3] > 90):
        raise InputError(f"bbox: {text!r} is outside longitude -180..180, latitude -90..90", field="bbox")
    if crs.lat_first and crs.crs is None:
        box = (box[1], box[0], box[3], box[2])
    return crs.bbox_to_storage(box)  # type: ignore[arg-type]


def parse_datetime(text: str) -> tuple[datetime | None, datetime | None]:
    """RFC 3339 instants and intervals (``a/b``, ``../b``, ``a/..``); a date alone is the whole day."""
    if "/" in text:
        start_text, _, end_text = text.partition("/")
        start = None if start_text in ("..", "") else _moment(start_text, end=False)
        end = None if end_text in ("..", "") else _moment(end_text, end=True)
        if start is None and end is None:
            raise InputError("datetime: an interval needs at least one end", field="datetime")
        if start is not None and end is not None and start > end:
            raise InputError(f"datetime: {text!r} starts after it ends", field="datetime")
        return start, end
    return _moment(text, end=False), _moment(text, end=True)


def _moment(text: str, *, end: bool) -> datetime:
    try:
        if len(text) == 10:
            moment = datetime.combine(times.parse_date(text), time(), UTC)
            return moment + timedelta(days=1) - timedelta(microseconds=1) if end else moment
        value = times.parse_instant(text, times.DATA)
    except times.TimeTextError:
        raise InputError(f"datetime: {text!r} is not an RFC 3339 date or date-time (like 2024-01-31T10:00:00Z)", field="datetime") from None
    if value.tzinfo is None:
        raise InputError(f"datetime: {text!r} has no time zone; add Z or an offset", field="datetime")
    return value


def parse_sortby(text: str) -> tuple[tuple[str, bool], ...]:
    terms = []
    for raw in text.split(","):
        term = raw.strip()
        if not term:
            raise InputError(f"sortby: empty term in {text!r}", field="sortby")
        descending = term.startswith("-")
        name = term.lstrip("+-")
        if name.upper().endswith((" ASC", " DESC")):  # the 'name DESC' form some clients send
            name, _, direction = name.rpartition(" ")
            descending = direction.upper() == "DESC"
        terms.append((name.strip(), descending))
    return tuple(terms)


def parse_properties(text: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    return names


def _equality(coll: Collection, name: str, text: str) -> Condition:
    if name == "id" and "id" not in coll.field_map():
        return Condition("id", "=", text)
    ftype = coll.field_map()[name].type
    value: Any = text
    try:
        if ftype == "integer":
            value = int(text)
        elif ftype == "real":
            value = float(text)
        elif ftype == "boolean":
            if text.lower() not in ("true", "false"):
                raise ValueError
            value = text.lower() == "true"
        elif ftype == "json":
            raise InputError(f"{name}: property {name!r} holds JSON and cannot be filtered by equality", field=name)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a valid {ftype} value for property {name!r}", field=name) from None
    return Condition(name, "=", value)


def _geometries_to_storage(expr: Any, crs: ApiCrs) -> Any:
    """Geometry literals of a filter given in ``filter-crs`` as CRS84."""
    if isinstance(expr, shapely.Geometry):
        return crs.to_storage(np.array([expr], dtype=object))[0]
    if isinstance(expr, tuple):
        return tuple(_geometries_to_storage(e, crs) for e in expr)
    if hasattr(expr, "__dataclass_fields__") and not isinstance(expr, (F.Prop, F.Interval)):
        return type(expr)(*(_geometries_to_storage(getattr(expr, n), crs) for n in expr.__dataclass_fields__))
    return expr
