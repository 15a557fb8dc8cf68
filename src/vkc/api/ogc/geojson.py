"""Features as GeoJSON (RFC 7946) with the JSON-FG ``time`` member, serialised in bulk with orjson."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import shapely

from vkc.geo.geojson_text import TextCache
from vkc.ogc.crs import ApiCrs
from vkc.store.model import OPEN_END, Feature
from vkc.store.values import format_datetime

#: this process's GeoJSON texts of large geometries (boundaries asked for again and again)
TEXTS = TextCache()


def geometries_json(features: list[Feature], crs: ApiCrs) -> list[orjson.Fragment | None]:
    """Each feature's geometry as a ready JSON fragment, reprojected to ``crs`` (vectorised; large ones remembered, see ``TextCache``)."""
    geoms = np.empty(len(features), dtype=object)
    geoms[:] = [f.geometry for f in features]
    if crs.crs is not None or crs.lat_first:
        geoms = crs.from_storage(geoms)
    return [None if text is None else orjson.Fragment(text) for text in TEXTS.texts(geoms)]


def time_json(feature: Feature) -> dict[str, Any] | None:
    """JSON-FG ``time``: an instant, or an interval with '..' for an open end."""
    if feature.time is None and feature.time_end is None:
        return None
    if feature.time_end is None:
        return {"timestamp": _iso(feature.time)}
    start = ".." if feature.time is None else _iso(feature.time)
    end = ".." if feature.time_end == OPEN_END else _iso(feature.time_end)
    return {"interval": [start, end]}


def _iso(value: datetime | None) -> str:
    return format_datetime(value) if value is not None else ".."


def feature_json(feature: Feature, geometry: orjson.Fragment | None, links: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Feature", "id": feature.id, "geometry": geometry, "properties": feature.properties}
    when = time_json(feature)
    if when is not None:
        out["time"] = when
    if links:
        out["links"] = links
    return out


def etag(feature: Feature) -> str:
    """A strong validator of a feature's content (geometry, properties, time), quoted as HTTP wants."""
    wkb = None if feature.geometry is None else shapely.to_wkb(feature.geometry, flavor="iso", output_dimension=2).hex()
    body = orjson.dumps(
        {"g": wkb, "p": feature.properties, "t": time_json(feature)}, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
