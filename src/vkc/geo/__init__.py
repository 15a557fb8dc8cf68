"""Geometry and CRS helpers: CRS resolution with VN-2000 bound to its official parameters, vectorised reprojection."""

from vkc.geo.crs import (
    EPSG_6960,
    TOWGS84,
    VIETNAM_BOUNDS,
    crs_label,
    from_crs84,
    is_vn2000,
    resolve_crs,
    swap_xy,
    tm3_meridian_for_province,
    to_crs84,
    transform_xy,
)

__all__ = [
    "EPSG_6960",
    "TOWGS84",
    "VIETNAM_BOUNDS",
    "crs_label",
    "from_crs84",
    "is_vn2000",
    "resolve_crs",
    "swap_xy",
    "tm3_meridian_for_province",
    "to_crs84",
    "transform_xy",
]
