"""Coordinate reference systems, with VN-2000 done the way Vietnamese data needs it.

Every VN-2000 CRS (geographic EPSG:4756, UTM EPSG:3405/3406, the provincial
TM-3 zones EPSG:5896-5899 and 9205-9218, and the shorthand
``vn2000-tm3:<central meridian>``) is bound to the official datum shift of
Decision 05/2007/QĐ-BTNMT, which is EPSG:6960 "VN-2000 to WGS 84 (2)". PROJ
ranks EPSG:6959 and 6960 equally and may pick either, so the shift is never
left to PROJ's choice. EPSG:6960 states the rotations in the coordinate-frame
convention; PROJ's ``+towgs84`` uses position vector, hence the flipped signs.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from importlib import resources

import numpy as np
import pyproj
import shapely
from pyproj.exceptions import CRSError as ProjCRSError

from vkc.errors import CRSError

#: EPSG:6960 translations (m), rotations (arc-seconds, coordinate frame) and scale (ppm).
EPSG_6960 = (-191.90441429, -39.30318279, -111.45032835, -0.00928836, 0.01975479, -0.00427372, 0.252906278)
#: The same as PROJ +towgs84 (position vector: rotation signs flipped).
TOWGS84 = "{},{},{},{},{},{},{}".format(*EPSG_6960[:3], *(-r for r in EPSG_6960[3:6]), EPSG_6960[6])
#: Vietnam with Hoàng Sa (Paracel) and Trường Sa (Spratly) and a margin of a few km.
VIETNAM_BOUNDS = (101.9, 6.0, 117.9, 23.6)

VN2000_GEOGRAPHIC = 4756
VN2000_UTM = {48: 3405, 49: 3406}
#: EPSG code of each VN-2000 TM-3 zone by central meridian (k0 0.9999, false easting 500 000)
VN2000_TM3 = {
    102.0: 5896, 103.0: 9205, 104.0: 9206, 104.5: 9207, 104.75: 9208, 105.0: 5897, 105.5: 9209, 105.75: 9210,
    106.0: 9211, 106.25: 9212, 106.5: 9213, 107.0: 9214, 107.25: 9215, 107.5: 9216, 107.75: 5899, 108.0: 5898,
    108.25: 9217, 108.5: 9218,
}
#: deprecated EPSG codes (false easting and northing swapped) and their replacements
DEPRECATED = {6956: 5896, 6957: 5897, 6958: 5898, 6959: 5899}
_VN2000_CODES = {VN2000_GEOGRAPHIC, *VN2000_UTM.values(), *range(5896, 5900), *range(9205, 9219)}
_CRS84_NAMES = {"crs84", "ogc:crs84", "wgs84", "http://www.opengis.net/def/crs/ogc/1.3/crs84", "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84"}
_EPSG_URI = re.compile(r"^(?:https?://www\.opengis\.net/def/crs/EPSG/0/|urn:ogc:def:crs:EPSG::?|EPSG:)?(\d+)$", re.I)
_TM3 = re.compile(r"^vn2000-tm3:\s*(-?\d+(?:\.\d+)?)$", re.I)
#: a meridian as Vietnamese documents and EPSG names write it: 105°45', 105°45′, 105° 45', 105-45, 105d45
_TM3_DM = re.compile(r"^vn2000-tm3:\s*(\d{2,3})\s*(?:°|º|d|-)\s*(\d{1,2})\s*(?:'|′|’|m)?$", re.I)
_UTM = re.compile(r"^vn2000-utm:(48|49)$", re.I)


def _tm3_proj(meridian: float) -> str:
    return f"+proj=tmerc +lat_0=0 +lon_0={meridian:g} +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84={TOWGS84} +units=m +no_defs +type=crs"


@functools.lru_cache(maxsize=256)
def resolve_crs(text: str) -> pyproj.CRS:
    """A CRS from what a user or a file says: EPSG codes and URIs, CRS84, VN-2000 shorthands, WKT, PROJ strings.

    VN-2000 CRSs come back bound to the EPSG:6960 datum shift.
    """
    if not isinstance(text, str) or not text.strip():
        raise CRSError("empty CRS", field="crs")
    raw = text.strip()
    low = raw.lower()
    if low in _CRS84_NAMES:
        return pyproj.CRS("OGC:CRS84")
    if (m := _TM3.match(raw)) or (dm := _TM3_DM.match(raw)):
        if m:
            meridian = float(m.group(1))
        else:
            degrees, minutes = int(dm.group(1)), int(dm.group(2))
            if minutes >= 60:
                raise CRSError(f"CRS {raw!r}: {minutes} minutes of arc is not less than 60", field="crs")
            meridian = degrees + minutes / 60
        if not 100.0 <= meridian <= 118.0:
            raise CRSError(f"CRS {raw!r}: a VN-2000 TM-3 central meridian lies between 102° and 117° E, not {meridian:g}", field="crs")
        return pyproj.CRS(_tm3_proj(meridian))
    if m := _UTM.match(raw):
        return _bind_vn2000(pyproj.CRS.from_epsg(VN2000_UTM[int(m.group(1))]))
    if m := _EPSG_URI.match(raw):
        code = int(m.group(1))
        if code in DEPRECATED:
            raise CRSError(
                f"CRS EPSG:{code} is deprecated (its false easting and northing are swapped); use EPSG:{DEPRECATED[code]}",
                field="crs",
            )
        if code == 4326:
            return pyproj.CRS.from_epsg(4326)
        try:
            crs = pyproj.CRS.from_epsg(code)
        except ProjCRSError as exc:
            raise CRSError(f"unknown CRS {raw!r}: no such EPSG code", field="crs") from exc
        return _bind_vn2000(crs) if code in _VN2000_CODES else crs
    try:
        crs = pyproj.CRS.from_user_input(raw)
    except ProjCRSError as exc:
        raise CRSError(
            f"unknown CRS {raw[:80]!r}: give an EPSG code (EPSG:4326, EPSG:9210 …), vn2000-tm3:<central meridian> "
            "(105.75 or 105°45'), vn2000-utm:48|49, WKT or a PROJ string",
            field="crs", library=str(exc).splitlines()[0][:200],
        ) from exc
    return _bind_vn2000(crs) if is_vn2000(crs) else crs


def is_vn2000(crs: pyproj.CRS) -> bool:
    """True for any CRS on the VN-2000 datum, whatever its name or source (EPSG, ESRI .prj, PROJ string)."""
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    if base.datum is not None and TOWGS84 in base.datum.name:  # bound by _bind_vn2000
        return True
    datum = base.datum.name.lower().replace("_", " ").replace("-", " ") if base.datum else ""
    name = base.name.lower().replace("_", " ").replace("-", " ")
    return "vietnam 2000" in datum or "vn 2000" in datum or "vn 2000" in name or "vn2000" in name.replace(" ", "")


def _bind_vn2000(crs: pyproj.CRS) -> pyproj.CRS:
    """The same projection on the WGS 84 ellipsoid with the EPSG:6960 shift bound in."""
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    if base.is_geographic:
        return pyproj.CRS(f"+proj=longlat +ellps=WGS84 +towgs84={TOWGS84} +no_defs +type=crs")
    params = {p.name: p.value for p in base.coordinate_operation.params}
    method = base.coordinate_operation.method_name.lower()
    if "transverse mercator" not in method:
        raise CRSError(f"VN-2000 CRS {base.name!r} uses {method}; only Transverse Mercator (UTM, TM-3) is supported", field="crs")
    lon0 = params.get("Longitude of natural origin", params.get("Central_Meridian"))
    k0 = params.get("Scale factor at natural origin", params.get("Scale_Factor"))
    x0 = params.get("False easting", params.get("False_Easting", 500000.0))
    y0 = params.get("False northing", params.get("False_Northing", 0.0))
    lat0 = params.get("Latitude of natural origin", params.get("Latitude_Of_Origin", 0.0))
    return pyproj.CRS(
        f"+proj=tmerc +lat_0={lat0:g} +lon_0={lon0:.10g} +k={k0:.10g} +x_0={x0:.3f} +y_0={y0:.3f} "
        f"+ellps=WGS84 +towgs84={TOWGS84} +units=m +no_defs +type=crs"
    )


def crs_label(crs: pyproj.CRS) -> str:
    """A short stable label for metadata: OGC:CRS84, EPSG:n, or vn2000-tm3:<meridian>."""
    if crs == pyproj.CRS("OGC:CRS84"):
        return "OGC:CRS84"
    if is_vn2000(crs):
        base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
        if base.is_geographic:
            return f"EPSG:{VN2000_GEOGRAPHIC}"
        params = {p.name: p.value for p in base.coordinate_operation.params}
        lon0 = float(params.get("Longitude of natural origin", 0.0))
        k0 = float(params.get("Scale factor at natural origin", 0.0))
        if abs(k0 - 0.9996) < 1e-9 and lon0 in (105.0, 111.0):
            return f"EPSG:{VN2000_UTM[48 if lon0 == 105.0 else 49]}"
        if abs(k0 - 0.9999) < 1e-9:
            code = VN2000_TM3.get(lon0)
            return f"EPSG:{code}" if code else f"vn2000-tm3:{lon0:g}"
    code = crs.to_epsg(min_confidence=90)
    if code:
        return f"EPSG:{code}"
    authority = crs.to_authority(min_confidence=90)
    return f"{authority[0]}:{authority[1]}" if authority else crs.to_wkt()


def tm3_meridian_of(crs: pyproj.CRS) -> float | None:
    """The central meridian of a VN-2000 TM-3 CRS (scale 0.9999), None for any other CRS."""
    if not is_vn2000(crs):
        return None
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    if base.is_geographic or base.coordinate_operation is None:
        return None
    params = {p.name: p.value for p in base.coordinate_operation.params}
    k0 = params.get("Scale factor at natural origin", params.get("Scale_Factor"))
    lon0 = params.get("Longitude of natural origin", params.get("Central_Meridian"))
    return float(lon0) if k0 is not None and lon0 is not None and abs(float(k0) - 0.9999) < 1e-9 else None


def meridian_text(meridian: float) -> str:
    """A meridian as Vietnamese documents write it: 105°45′."""
    degrees, minutes = int(meridian), round(meridian % 1 * 60)
    return f"{degrees}°{minutes:02d}′"


@functools.lru_cache(maxsize=64)
def _transformer(src: pyproj.CRS, dst: pyproj.CRS) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


_CRS84 = pyproj.CRS("OGC:CRS84")


def transform_xy(x: np.ndarray, y: np.ndarray, src: pyproj.CRS, dst: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in x/y (easting/northing, lon/lat) order from ``src`` to ``dst``."""
    return _transformer(src, dst).transform(x, y, errcheck=True)


def _apply(geometries: np.ndarray, src: pyproj.CRS, dst: pyproj.CRS) -> np.ndarray:
    transformer = _transformer(src, dst)

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    out = shapely.transform(np.asarray(geometries, dtype=object), fn)
    return out


def to_crs84(geometries: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Geometries from ``crs`` to WGS 84 longitude/latitude (vectorised)."""
    return _apply(geometries, crs, _CRS84)


def from_crs84(geometries: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Geometries from WGS 84 longitude/latitude to ``crs`` (x/y order: easting, northing)."""
    return _apply(geometries, _CRS84, crs)


def swap_xy(geometries: np.ndarray) -> np.ndarray:
    """Swap x and y: Vietnamese survey tables write X for northing and Y for easting."""
    return shapely.transform(np.asarray(geometries, dtype=object), lambda c: c[:, ::-1].copy())


def _fold(text: str) -> str:
    """Compare names without diacritics, case or the words for city and province."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn").lower().strip()
    text = re.sub(r"^(tp\.?|thanh pho|tinh)\s+", "", text)
    return re.sub(r"\s+(city|province)$", "", text)


@functools.lru_cache(maxsize=1)
def _meridians() -> list[dict[str, str]]:
    with resources.files("vkc.data").joinpath("crs/vn2000_tm3_meridians.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def tm3_meridian_for_province(name_or_iso: str) -> float:
    """The central meridian of a pre-2025 province's VN-2000 TM-3 zone (Circular 973/2001/TT-TCĐC)."""
    key = _fold(name_or_iso)
    for row in _meridians():
        if key in (_fold(row["province_name_vi"]), _fold(row["province_name_en"]), _fold(row["iso_3166_2"])):
            return float(row["central_meridian_deg"])
    from vkc.errors import NotFoundError

    raise NotFoundError(f"no VN-2000 TM-3 meridian for {name_or_iso!r}: give a pre-2025 province name or ISO 3166-2 code")
