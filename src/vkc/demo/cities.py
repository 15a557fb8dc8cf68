"""The four demo cities: centre, urban-core radius and the GSO code of their 2025 unit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import shapely

from vkc import admin


@dataclass(frozen=True)
class City:
    slug: str
    name_vi: str
    gso_code: str
    lon: float
    lat: float
    radius_km: float
    wards: int

    def core(self) -> shapely.Geometry:
        """A disc of ``radius_km`` around the centre, clipped to the city's real 2025 boundary."""
        disc = shapely.Point(0, 0).buffer(1.0, quad_segs=32)
        ky = self.radius_km / 111.32
        kx = ky / math.cos(math.radians(self.lat))
        disc = shapely.affinity.scale(disc, kx, ky, origin=(0, 0))
        disc = shapely.affinity.translate(disc, self.lon, self.lat)
        boundary = admin.get(self.gso_code, date(2025, 7, 1)).geometry
        core = shapely.intersection(disc, boundary)
        if core.geom_type == "MultiPolygon":  # keep the main body, not islands cut by the disc
            core = max(core.geoms, key=lambda g: g.area)
        return core


CITIES = (
    City("hanoi", "Hà Nội", "01", 105.8524, 21.0287, 7.0, 40),
    City("hcmc", "TP Hồ Chí Minh", "79", 106.6981, 10.7725, 7.0, 40),
    City("danang", "Đà Nẵng", "48", 108.2150, 16.0600, 4.5, 20),
    City("cantho", "Cần Thơ", "92", 105.7800, 10.0300, 4.0, 15),
)
