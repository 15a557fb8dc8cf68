"""Vietnam's administrative units with validity periods: 63 provinces until 2025-06-30, 34 since 2025-07-01.

A GSO code is only a key together with a date: seven codes were given to a
different place by the reform. Every lookup therefore takes the date it is
about (default: today).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from importlib import resources

import orjson
import shapely
from shapely.strtree import STRtree

from vkc.errors import InputError, NotFoundError
from vkc.parsing import times
from vkc.permissions import LOCAL_ADMIN
from vkc.store import Collection, Feature, Field, Store, WriteResult
from vkc.store.audit import Change
from vkc.store.model import OPEN_END

REFORM_DATE = date(2025, 7, 1)
SOURCE = (
    "Resolution 202/2025/QH15, Resolution 60-NQ/TW annex, GSO letter 915/CTK-CSCL (codes, names, crosswalk); "
    "boundaries from github TaliaCao/Vietnam-Shape-Map commit 35f693a"
)
LICENCE = "facts of public legal acts; boundaries MIT (TaliaCao/Vietnam-Shape-Map)"
#: the collection the units are loaded into unless told otherwise (``vkc admin load``, ``vkc demo``)
COLLECTION = "admin_units"


@dataclass(frozen=True)
class AdminUnit:
    """A province or centrally-run city, valid from ``valid_from`` to ``valid_to`` (inclusive; None: open)."""

    gso_code: str
    iso_3166_2: str | None
    name_vi: str
    full_name_vi: str
    name_en: str
    name_ko: str | None
    type: str
    type_en: str
    valid_from: date | None
    valid_to: date | None
    successor_gso_code: str | None
    predecessor_gso_codes: tuple[str, ...]
    geometry: shapely.Geometry
    level: str = "province"

    @property
    def key(self) -> str:
        """Unique across time: ``<GSO code>@<valid_from>`` (``@pre-2025`` for the 63 old units)."""
        return f"{self.gso_code}@{self.valid_from.isoformat() if self.valid_from else 'pre-2025'}"

    def as_dict(self) -> dict[str, object]:
        """Plain properties (no geometry), dates as ISO text."""
        return {
            "key": self.key,
            "gso_code": self.gso_code,
            "iso_3166_2": self.iso_3166_2,
            "name_vi": self.name_vi,
            "full_name_vi": self.full_name_vi,
            "name_en": self.name_en,
            "name_ko": self.name_ko,
            "type": self.type,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "successor_gso_code": self.successor_gso_code,
            "predecessor_gso_codes": list(self.predecessor_gso_codes) or None,
        }

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


def parse_date(text: str | date | None) -> date:
    """A date from YYYY-MM-DD text; None means today."""
    if text is None:
        return date.today()
    if isinstance(text, date):
        return text
    try:
        return times.parse_date(text)
    except times.TimeTextError:
        raise InputError(f"invalid date {text!r}: write it as YYYY-MM-DD", field="date") from None


@functools.lru_cache(maxsize=1)
def all_units() -> tuple[AdminUnit, ...]:
    """All 97 units, the 63 old ones first, each group by GSO code."""
    raw = resources.files("vkc.data").joinpath("admin/vn_admin_units.geojson").read_bytes()
    units = []
    for feat in orjson.loads(raw)["features"]:
        p = feat["properties"]
        units.append(
            AdminUnit(
                gso_code=p["gso_code"],
                iso_3166_2=p["iso_3166_2"],
                name_vi=p["name_vi"],
                full_name_vi=p["full_name_vi"],
                name_en=p["name_en"],
                name_ko=p["name_ko"],
                type=p["type"],
                type_en=p["type_en"],
                valid_from=date.fromisoformat(p["valid_from"]) if p["valid_from"] else None,
                valid_to=date.fromisoformat(p["valid_to"]) if p["valid_to"] else None,
                successor_gso_code=p["successor_gso_code"],
                predecessor_gso_codes=tuple(p["predecessor_gso_codes"] or ()),
                geometry=shapely.from_geojson(orjson.dumps(feat["geometry"])),
            )
        )
    return tuple(sorted(units, key=lambda u: (u.valid_from is not None, u.gso_code)))


def units(on: date | str | None = None) -> list[AdminUnit]:
    """The units valid on a date (default today), by GSO code."""
    day = parse_date(on)
    return [u for u in all_units() if u.valid_on(day)]


def get(code: str, on: date | str | None = None) -> AdminUnit:
    """The unit with GSO ``code`` valid on a date (default today)."""
    day = parse_date(on)
    for unit in all_units():
        if unit.gso_code == code and unit.valid_on(day):
            return unit
    raise NotFoundError(f"no administrative unit with GSO code {code!r} on {day.isoformat()}", code=code)


@functools.cache
def label_point(key: str) -> tuple[float, float]:
    """Where a map writes the name of the unit ``key`` (``<GSO code>@<valid_from>``): the pole of inaccessibility of its
    largest part (polylabel, to 0.01°), inside the unit however it is shaped — unlike its centroid."""
    from shapely.ops import polylabel

    unit = next((u for u in all_units() if u.key == key), None)
    if unit is None:
        raise NotFoundError(f"no administrative unit {key!r}", key=key)
    parts = list(unit.geometry.geoms) if unit.geometry.geom_type == "MultiPolygon" else [unit.geometry]
    point = polylabel(max(parts, key=lambda p: p.area), tolerance=0.01)
    return round(point.x, 4), round(point.y, 4)


@functools.lru_cache(maxsize=1)
def _index() -> tuple[STRtree, tuple[AdminUnit, ...]]:
    every = all_units()
    tree = STRtree([u.geometry for u in every])
    for u in every:
        shapely.prepare(u.geometry)
    return tree, every


def locate(lon: float, lat: float, on: date | str | None = None) -> AdminUnit | None:
    """The unit valid on a date (default today) whose boundary contains the point, or None."""
    day = parse_date(on)
    tree, every = _index()
    point = shapely.Point(lon, lat)
    for i in tree.query(point, predicate="intersects").tolist():
        if every[i].valid_on(day):
            return every[i]
    return None


def successor(old_code: str) -> AdminUnit:
    """The 2025 unit an old (63-list) province became part of."""
    old = get(old_code, REFORM_DATE.replace(day=1, month=6))
    return get(old.successor_gso_code or "", REFORM_DATE)


def predecessors(new_code: str) -> list[AdminUnit]:
    """The old (63-list) provinces that a 2025 unit was formed from."""
    new = get(new_code, REFORM_DATE)
    before = REFORM_DATE.replace(day=30, month=6)
    return [get(code, before) for code in new.predecessor_gso_codes]


FIELDS = [
    Field("gso_code", "text"),
    Field("iso_3166_2", "text"),
    Field("name_vi", "text"),
    Field("full_name_vi", "text"),
    Field("name_en", "text"),
    Field("name_ko", "text"),
    Field("type", "text"),
    Field("valid_from", "date"),
    Field("valid_to", "date"),
    Field("successor_gso_code", "text"),
    Field("predecessor_gso_codes", "json"),
]


def load_into(store: Store, name: str = COLLECTION) -> WriteResult:
    """Write all 97 units into one collection (idempotent: ids are the unit keys)."""
    features = []
    for u in all_units():
        start = datetime.combine(u.valid_from, time(), UTC) if u.valid_from else None
        end = datetime.combine(u.valid_to, time(23, 59, 59), UTC) if u.valid_to else OPEN_END
        props = u.as_dict()
        del props["key"]
        geom = u.geometry if u.geometry.geom_type == "MultiPolygon" else shapely.MultiPolygon([u.geometry])
        features.append(Feature(u.key, geom, props, time=start, time_end=end))
    collection = Collection(
        name=name,
        title="Đơn vị hành chính cấp tỉnh · Provincial units (63 until 2025-06-30, 34 since 2025-07-01)",
        description="Each unit carries its validity period; a GSO code is a key only with a date.",
        geometry_type="MULTIPOLYGON",
        fields=FIELDS,
        metadata={"synthetic": False, "source": SOURCE, "licence": LICENCE},
    )
    with store.transaction() as tx:
        tx.create_collection(collection, exist_ok=True)
        result = tx.upsert(name, features)
        tx.record(Change(LOCAL_ADMIN.actor, "admin.load", f"features:{name}", after={"units": len(features), "source": SOURCE}))
        return result


__all__ = ["COLLECTION", "AdminUnit", "all_units", "get", "load_into", "locate", "parse_date", "predecessors", "successor", "units"]
