"""The store's data model: collections, features, queries.

Geometries are shapely 2 objects in WGS 84 longitude/latitude (OGC:CRS84).
Times are timezone-aware ``datetime`` in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import numpy as np
import shapely

from vkc.errors import InputError

FieldType = Literal["integer", "real", "text", "boolean", "date", "datetime", "json"]
FIELD_TYPES: tuple[str, ...] = ("integer", "real", "text", "boolean", "date", "datetime", "json")
GEOMETRY_TYPES: tuple[str, ...] = (
    "GEOMETRY",
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
)
#: Column names the store keeps for itself; properties may not use them.
RESERVED_NAMES = frozenset({"fid", "geom", "vkc_id", "vkc_time", "vkc_time_end"})
#: ``Feature.time_end`` of an interval that is still open (valid until further notice).
OPEN_END = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_T = TypeVar("_T")
#: The longest feature id the store takes, in characters.
MAX_FEATURE_ID_LENGTH = 256
#: control characters (C0, DEL and C1) and the invisible ones that change how text shows (zero-width spaces and
#: joiners, bidirectional overrides and isolates, the byte-order mark): no feature id or property name holds one,
#: so that two names that look alike are alike
#: the longest name the store keeps for a property, in UTF-8 bytes: PostgreSQL cuts identifiers
#: past 63 bytes (NAMEDATALEN - 1) without a word, so longer names would be read back cut or collide
MAX_NAME_BYTES = 63
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def feature_id_problem(feature_id: str) -> str | None:
    """What is wrong with ``feature_id`` as a feature's id, or None.

    Ids are 1 to 256 characters, none a control character, and neither begin nor end with ``/``
    (inside, a slash is kept: ``…/items/HN/001`` and ``…/items/HN%2F001`` both address ``HN/001``).
    """
    if not feature_id:
        return "a feature id is not empty"
    if feature_id.startswith("/") or feature_id.endswith("/"):
        return "a feature id neither begins nor ends with '/'"
    if len(feature_id) > MAX_FEATURE_ID_LENGTH:
        return f"a feature id is at most {MAX_FEATURE_ID_LENGTH} characters, this one {len(feature_id):,}"
    found = CONTROL_CHARACTERS.search(feature_id)
    if found is not None:
        return f"a feature id holds no control or invisible characters (found U+{ord(found.group()):04X} at character {found.start() + 1})"
    return None


def first_bad_feature_id(ids: list[str]) -> tuple[int, str] | None:
    """The index of the first id of ``ids`` that :func:`feature_id_problem` refuses, and why; None if all pass (one pass in C when they do)."""
    if not ids:
        return None
    edges = "\x00".join(ids)  # NUL between ids: a slash at an id's edge shows as "/\x00" or "\x00/"
    suspect = (
        min(map(len, ids)) == 0
        or max(map(len, ids)) > MAX_FEATURE_ID_LENGTH
        or CONTROL_CHARACTERS.search("".join(ids)) is not None
        or edges.startswith("/")
        or edges.endswith("/")
        or "/\x00" in edges
        or "\x00/" in edges
    )
    if suspect:
        for n, feature_id in enumerate(ids):
            problem = feature_id_problem(feature_id)
            if problem is not None:
                return n, problem
    return None


def check_collection_name(name: str) -> str:
    """Collection names are lower-case identifiers: letters, digits, underscore."""
    if not isinstance(name, str) or not _NAME.match(name) or name.startswith(("gpkg_", "rtree_", "vkc_", "sqlite_")):
        raise InputError(
            f"invalid collection name {name!r}: use 1-63 lower-case letters, digits and '_', "
            "starting with a letter and not with gpkg_, rtree_, vkc_ or sqlite_",
            field="collection",
        )
    return name


@dataclass(frozen=True)
class Field:
    """One property of a collection's schema."""

    name: str
    type: FieldType = "text"

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise InputError(f"field {self.name!r}: unknown type {self.type!r}; valid: {', '.join(FIELD_TYPES)}")
        if not self.name or self.name.lower() in RESERVED_NAMES:
            raise InputError(f"field name {self.name!r} is reserved or empty")


@dataclass
class Collection:
    """A named set of features with one schema (a layer)."""

    name: str
    title: str = ""
    description: str = ""
    geometry_type: str = "GEOMETRY"
    fields: list[Field] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: filled in by the store when read back
    count: int | None = None
    extent: tuple[float, float, float, float] | None = None
    time_extent: tuple[datetime | None, datetime | None] | None = None

    def __post_init__(self) -> None:
        check_collection_name(self.name)
        self.geometry_type = self.geometry_type.upper()
        if self.geometry_type not in GEOMETRY_TYPES:
            raise InputError(f"unknown geometry type {self.geometry_type!r}; valid: {', '.join(GEOMETRY_TYPES)}")

    def field_map(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}


@dataclass
class Feature:
    """One feature: a string id, a geometry (or None), properties and an optional time.

    ``time`` alone is an instant; ``time`` and ``time_end`` an interval
    (``time_end=OPEN_END`` when it has no end yet); ``time_end`` alone an
    interval with an open start.
    """

    id: str
    geometry: shapely.Geometry | None
    properties: dict[str, Any] = field(default_factory=dict)
    time: datetime | None = None
    time_end: datetime | None = None


@dataclass
class FeatureBatch:
    """Many features at once, column-wise: the fast path for imports."""

    ids: list[str]
    geometries: np.ndarray  # object array of shapely geometries (or None)
    properties: list[dict[str, Any]]
    times: list[datetime | None] | None = None
    times_end: list[datetime | None] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_features(cls, features: list[Feature]) -> FeatureBatch:
        geoms = np.empty(len(features), dtype=object)
        geoms[:] = [f.geometry for f in features]
        return cls(
            ids=[f.id for f in features],
            geometries=geoms,
            properties=[f.properties for f in features],
            times=[f.time for f in features],
            times_end=[f.time_end for f in features],
        )


@dataclass
class EncodedBatch:
    """A FeatureBatch already encoded for one backend (see ``Store.encode``).

    Encoding is pure and picklable, so an importer can do it in another process
    while the writer works.
    """

    ids: list[str]
    geometries: list[bytes | None]  # the backend's geometry encoding
    bounds: np.ndarray  # (N, 4) minx, miny, maxx, maxy; NaN where no geometry
    type_ids: np.ndarray  # shapely type ids, -1 where no geometry
    columns: dict[str, list[Any]]  # property values column by column
    times: list[str | None]
    times_end: list[str | None]

    def __len__(self) -> int:
        return len(self.ids)

    def select(self, keep: np.ndarray) -> EncodedBatch:
        """The rows where ``keep`` is true."""
        idx = np.flatnonzero(keep).tolist()

        def pick(values: list[_T]) -> list[_T]:
            return [values[i] for i in idx]

        return EncodedBatch(
            ids=pick(self.ids),
            geometries=pick(self.geometries),
            bounds=self.bounds[idx],
            type_ids=self.type_ids[idx],
            columns={k: pick(v) for k, v in self.columns.items()},
            times=pick(self.times),
            times_end=pick(self.times_end),
        )


Op = Literal["=", "!=", "<", "<=", ">", ">=", "like", "is_null", "not_null", "in"]
OPS: tuple[str, ...] = ("=", "!=", "<", "<=", ">", ">=", "like", "is_null", "not_null", "in")


@dataclass(frozen=True)
class Condition:
    """``property <op> value``; conditions in a query are ANDed."""

    field: str
    op: Op = "="
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise InputError(f"unknown operator {self.op!r}; valid: {', '.join(OPS)}")


@dataclass(frozen=True)
class Query:
    """What to read from a collection.

    ``bbox`` is (minx, miny, maxx, maxy) in CRS84 and selects features whose
    geometry intersects it. ``time`` is (start, end), either end may be None
    (open); it selects features whose time or interval overlaps it. Results
    come in a stable order (``sort``, then insertion) so ``offset`` paging is
    repeatable.
    """

    bbox: tuple[float, float, float, float] | None = None
    where: tuple[Condition, ...] = ()
    time: tuple[datetime | None, datetime | None] | None = None
    limit: int | None = None
    offset: int = 0
    ids: tuple[str, ...] | None = None
    #: a :mod:`vkc.store.filters` expression, translated to SQL by the backend
    filter: Any = None
    #: (property, descending) pairs; ``id`` and ``datetime`` sort by the feature's id and time
    sort: tuple[tuple[str, bool], ...] = ()
    #: the properties to return (None: all)
    properties: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.bbox is not None:
            if len(self.bbox) != 4:
                raise InputError("bbox must have 4 numbers: minx, miny, maxx, maxy", field="bbox")
            minx, miny, maxx, maxy = self.bbox
            if minx > maxx or miny > maxy:
                raise InputError(f"bbox {self.bbox}: min is greater than max", field="bbox")
        if self.limit is not None and self.limit < 0:
            raise InputError("limit must be >= 0", field="limit")
        if self.offset < 0:
            raise InputError("offset must be >= 0", field="offset")


def selected_fields(coll: Collection, properties: tuple[str, ...] | None) -> list[Field]:
    """The fields a query returns, in schema order; unknown names are refused."""
    if properties is None:
        return list(coll.fields)
    known = coll.field_map()
    unknown = [p for p in properties if p not in known]
    if unknown:
        raise InputError(
            f"properties: collection {coll.name!r} has no property {', '.join(map(repr, unknown))}; it has {', '.join(known) or 'none'}",
            field="properties",
        )
    wanted = set(properties)
    return [f for f in coll.fields if f.name in wanted]


@dataclass
class WriteResult:
    """What a write did."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    rejected: list[str] = field(default_factory=list)
