"""CRS identifiers of OGC API – Features Part 2 and the axis order each implies.

The API offers CRS84 (longitude, latitude), EPSG:4326 (latitude first, as
EPSG defines it), Web Mercator, and the VN-2000 systems the importer knows:
geographic EPSG:4756 (latitude first), UTM zones 48N/49N and every provincial
TM-3 zone, each bound to the official datum shift (see :mod:`vkc.geo.crs`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from vkc.errors import InputError
from vkc.geo.crs import VN2000_GEOGRAPHIC, VN2000_TM3, VN2000_UTM, from_crs84, resolve_crs, to_crs84

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
OFFERED_EPSG = (4326, 3857, VN2000_GEOGRAPHIC, *VN2000_UTM.values(), *sorted(VN2000_TM3.values()))
OFFERED = (CRS84, *(_EPSG.format(code) for code in OFFERED_EPSG))
_URI = re.compile(r"^\[?(?:https?://www\.opengis\.net/def/crs/EPSG/0/|urn:ogc:def:crs:EPSG::?|EPSG:)(\d+)\]?$", re.I)
_CRS84_NAMES = {CRS84.lower(), "ogc:crs84", "[ogc:crs84]", "urn:ogc:def:crs:ogc:1.3:crs84", "http://www.opengis.net/def/crs/ogc/0/crs84"}


@dataclass(frozen=True)
class ApiCrs:
    """An offered CRS: its URI, the pyproj CRS and whether its first axis is latitude/northing."""

    uri: str
    crs: pyproj.CRS | None  # None for CRS84, the storage CRS: nothing to transform
    lat_first: bool

    def from_storage(self, geometries: np.ndarray) -> np.ndarray:
        """CRS84 geometries in this CRS, in its axis order."""
        out = geometries if self.crs is None else from_crs84(geometries, self.crs)
        return _swap(out) if self.lat_first else out

    def to_storage(self, geometries: np.ndarray) -> np.ndarray:
        """Geometries in this CRS (its axis order) as CRS84."""
        geometries = _swap(geometries) if self.lat_first else geometries
        return geometries if self.crs is None else to_crs84(geometries, self.crs)

    def bbox_to_storage(self, bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A bbox given in this CRS (its axis order) as a CRS84 box that covers it."""
        if self.crs is None:
            return bbox
        a0, a1, b0, b1 = bbox
        ring = shapely.segmentize(shapely.box(a0, a1, b0, b1), max(b0 - a0, b1 - a1) / 16 or 1)
        return tuple(shapely.bounds(self.to_storage(np.array([ring], dtype=object))[0]).tolist())  # type: ignore[return-value]


def _swap(geometries: np.ndarray) -> np.ndarray:
    return shapely.transform(np.asarray(geometries, dtype=object), lambda c: c[:, ::-1].copy())


@functools.lru_cache(maxsize=64)
def api_crs(text: str, param: str = "crs") -> ApiCrs:
    """The offered CRS a request names in ``param``; anything else is a 400 naming the parameter."""
    value = text.strip()
    if value.lower() in _CRS84_NAMES:
        return ApiCrs(CRS84, None, lat_first=False)
    match = _URI.match(value)
    code = int(match.group(1)) if match else None
    if code not in OFFERED_EPSG:
        raise InputError(
            f"{param}: {text!r} is not offered; use one of {CRS84}, " + ", ".join(f"EPSG:{c}" for c in OFFERED_EPSG) + " (as http://www.opengis.net/def/crs/EPSG/0/<code>)",
            field=param,
        )
    if code == 4326:  # the storage CRS with latitude first: only the axes change
        return ApiCrs(_EPSG.format(code), None, lat_first=True)
    crs = resolve_crs(f"EPSG:{code}")  # VN-2000 bound to the official shift
    axes = pyproj.CRS.from_epsg(code).axis_info
    return ApiCrs(_EPSG.format(code), crs, lat_first=axes[0].direction in ("north", "south"))
