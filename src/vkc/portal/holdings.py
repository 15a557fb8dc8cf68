"""What the platform holds for an administrative unit: sections of holdings, each a kind and its entries.

Every entry has an ``id``, a ``title`` and an ``href`` (where to see it), and
what its kind adds: a collection the number of its features in the unit, a
station its latest index. A client shows the kinds it knows and may skip the
others, so that later capabilities (assessments, projects) add a section
without changing the ones here.

- ``collections``: every feature collection but the units' own, with the
  count of its features that intersect the unit's boundary
  (:mod:`vkc.layers.unit_counts`); ``href`` is its items page in the unit's
  bounding box, since a URL cannot carry a boundary of thousands of vertices
  (the page shows the features of the box, a superset of those counted).
- ``air_quality_stations``: the stations inside the boundary with their
  latest hourly VN_AQI and US AQI (:func:`vkc.sensors.station_aqi.latest_within`).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import shapely

from vkc import admin
from vkc.layers.unit_counts import count_intersecting
from vkc.sensors import station_aqi
from vkc.sensors.db import SensorDb
from vkc.store import Store


def holdings(store: Store, gso_code: str, on: date | str | None = None, *, units_collection: str = admin.COLLECTION) -> dict[str, Any]:
    """The unit with ``gso_code`` valid on ``on`` (default today) and what the platform holds for it.

    Raises NotFoundError for a code no unit had on that date, InputError for a date that is not YYYY-MM-DD.
    """
    day = admin.parse_date(on)
    unit = admin.get(gso_code, day)
    return {
        "date": day.isoformat(),
        "unit": {**unit.as_dict(), "type_en": unit.type_en, "bbox": shapely.bounds(unit.geometry).tolist()},
        "holdings": [collections_section(store, unit, units_collection), stations_section(store, unit)],
    }


def collections_section(store: Store, unit: admin.AdminUnit, units_collection: str = admin.COLLECTION) -> dict[str, Any]:
    box = ",".join(f"{v:.6f}" for v in shapely.bounds(unit.geometry).tolist())
    entries = [
        {
            "id": c.name,
            "title": c.title,
            "href": f"/ogc/collections/{quote(c.name, safe='')}/items?{urlencode({'f': 'html', 'bbox': box}, safe=',')}",
            "count": c.count,
            "exact": c.exact,
        }
        for c in count_intersecting(store, unit.geometry, exclude=(units_collection,))
    ]
    return {"kind": "collections", "entries": entries}


def stations_section(store: Store, unit: admin.AdminUnit) -> dict[str, Any]:
    entries = [
        {
            "id": s["station"],
            "title": s["name"],
            "href": f"/air/stations/{quote(s['station'], safe='')}",
            "time": s["time"],
            **{method: _index(s.get(method)) for method in station_aqi.METHODS},
        }
        for s in station_aqi.latest_within(SensorDb(store), unit.geometry)
    ]
    return {"kind": "air_quality_stations", "entries": entries}


def _index(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a list shows of an index: its value, category and dominant pollutant (None when the hour had no data)."""
    if not result or result.get("aqi") is None:
        return None
    return {"aqi": result["aqi"], "category": result["category"], "dominant": result.get("dominant")}


__all__ = ["collections_section", "holdings", "stations_section"]
