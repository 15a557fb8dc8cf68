"""Synthetic layers for a city's urban core, from a fixed seed: wards, roads, stops, green spaces, schools, buildings.

Plausible in shape and magnitude, not real: every collection built from here is
marked ``synthetic: true`` and the names say "Demo".
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from vkc.demo.cities import City

_KM = 111.32  # km per degree of latitude


def _km_to_deg(city: City) -> tuple[float, float]:
    ky = 1 / _KM
    return ky / math.cos(math.radians(city.lat)), ky


def _random_points(rng: np.random.Generator, area: shapely.Geometry, n: int) -> list[shapely.Point]:
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    out: list[shapely.Point] = []
    while len(out) < n:
        xy = np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
        pts = shapely.points(xy)
        out.extend(p for p in pts[shapely.contains(area, pts)].tolist())
    return out[:n]


def wards(city: City, core: shapely.Geometry, rng: np.random.Generator) -> list[tuple[str, shapely.Geometry, dict]]:
    seeds = shapely.MultiPoint(_random_points(rng, core, city.wards))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=core))
    out = []
    for i, cell in enumerate(sorted(cells.tolist(), key=lambda g: (round(g.centroid.y, 6), round(g.centroid.x, 6)))):
        ward = shapely.intersection(cell, core)
        if ward.is_empty or ward.area == 0:
            continue
        if ward.geom_type != "Polygon":
            ward = max(shapely.get_parts(ward).tolist(), key=lambda g: g.area)
        kx, ky = _km_to_deg(city)
        area_km2 = ward.area / (kx * ky)
        density = rng.uniform(10_000, 40_000)
        out.append((f"{city.slug}-ward-{i + 1:03d}", ward, {
            "city": city.name_vi, "ward_code": f"DEMO-{city.gso_code}-{i + 1:03d}", "name": f"Phường Demo {i + 1:02d}",
            "population": int(area_km2 * density), "area_km2": round(area_km2, 3),
        }))
    return out


def roads(city: City, core: shapely.Geometry, rng: np.random.Generator) -> list[tuple[str, shapely.Geometry, dict]]:
    kx, ky = _km_to_deg(city)
    minx, miny, maxx, maxy = core.bounds
    spacing = 0.7
    out = []
    n = 0
    for axis in ("ns", "ew"):
        lo, hi, step = (minx, maxx, spacing * kx) if axis == "ns" else (miny, maxy, spacing * ky)
        for j, c in enumerate(np.arange(lo + step / 2, hi, step)):
            t = np.linspace(0, 1, 12)
            wobble = rng.normal(0, 0.06, 12) * (kx if axis == "ns" else ky)
            if axis == "ns":
                xy = np.column_stack([c + wobble, miny + t * (maxy - miny)])
            else:
                xy = np.column_stack([minx + t * (maxx - minx), c + wobble])
            clipped = shapely.intersection(shapely.LineString(xy), core)
            arterial = j % 4 == 0
            for part in shapely.get_parts(clipped).tolist():
                if part.geom_type != "LineString" or part.length == 0:
                    continue
                n += 1
                out.append((f"{city.slug}-road-{n:04d}", part, {
                    "city": city.name_vi, "name": f"Đường Demo {n}", "class": "arterial" if arterial else "local",
                    "lanes": int(rng.choice([4, 6])) if arterial else int(rng.choice([1, 2])),
                }))
    return out


def transit_stops(city: City, road_list: list, rng: np.random.Generator) -> list[tuple[str, shapely.Geometry, dict]]:
    kx, _ = _km_to_deg(city)
    out = []
    for _, line, props in road_list:
        if props["class"] != "arterial":
            continue
        for d in np.arange(0.2 * kx, line.length, 0.45 * kx):
            out.append((f"{city.slug}-stop-{len(out) + 1:04d}", line.interpolate(d), {
                "city": city.name_vi, "name": f"Điểm dừng Demo {len(out) + 1}", "mode": "bus", "routes": int(rng.integers(1, 6)),
            }))
    return out


def green_spaces(city: City, core: shapely.Geometry, rng: np.random.Generator) -> list[tuple[str, shapely.Geometry, dict]]:
    kx, ky = _km_to_deg(city)
    out = []
    for i, p in enumerate(_random_points(rng, core, 25)):
        r = rng.uniform(0.05, 0.25)
        shape = shapely.affinity.scale(p.buffer(1.0, quad_segs=8), r * kx, r * ky)
        shape = shapely.intersection(shape, core)
        if shape.is_empty or shape.geom_type != "Polygon":
            continue
        kind = str(rng.choice(["park", "garden", "square"], p=[0.5, 0.3, 0.2]))
        out.append((f"{city.slug}-green-{i + 1:03d}", shape, {
            "city": city.name_vi, "name": f"Công viên Demo {i + 1}", "kind": kind, "area_m2": round(shape.area / (kx * ky) * 1e6),
        }))
    return out


def schools(city: City, core: shapely.Geometry, rng: np.random.Generator) -> list[tuple[str, shapely.Geometry, dict]]:
    levels = ["primary", "lower-secondary", "upper-secondary"]
    out = []
    for i, p in enumerate(_random_points(rng, core, 30 + city.wards)):
        level = levels[int(rng.choice(3, p=[0.5, 0.3, 0.2]))]
        students = int(rng.integers(300, 1200) if level == "primary" else rng.integers(500, 2200))
        out.append((f"{city.slug}-school-{i + 1:03d}", p, {"city": city.name_vi, "name": f"Trường Demo {i + 1}", "level": level, "students": students}))
    return out


def buildings(city: City, core: shapely.Geometry, rng: np.random.Generator, n: int = 1500) -> list[tuple[str, shapely.Geometry, dict]]:
    kx, ky = _km_to_deg(city)
    out = []
    for i, p in enumerate(_random_points(rng, core, n)):
        w, h = rng.uniform(0.008, 0.03), rng.uniform(0.008, 0.03)  # km
        rect = shapely.box(p.x - w * kx / 2, p.y - h * ky / 2, p.x + w * kx / 2, p.y + h * ky / 2)
        rect = shapely.affinity.rotate(rect, float(rng.uniform(0, 90)), origin="centroid")
        if not core.contains(rect):
            continue
        use = str(rng.choice(["residential", "commercial", "mixed", "public"], p=[0.6, 0.2, 0.15, 0.05]))
        floors = int(rng.integers(1, 6) if use == "residential" else rng.integers(2, 30))
        out.append((f"{city.slug}-bldg-{i + 1:05d}", rect, {"city": city.name_vi, "use": use, "floors": floors, "height_m": round(floors * 3.3, 1)}))
    return out
