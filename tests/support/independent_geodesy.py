"""VN-2000 coordinates computed without PROJ, to check ours against.

Transverse Mercator by Krüger's n-series to fourth order (the formulation of
Karney 2011 as in the UTM literature), geodetic ↔ geocentric on the WGS 84
ellipsoid (VN-2000 uses it), and the 7-parameter Helmert transformation of
EPSG:6960 in the coordinate-frame convention, inverted exactly with a linear
solve. Plain numpy; no pyproj import.
"""

from __future__ import annotations

import math

import numpy as np

A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
SEC = math.pi / (180 * 3600)
# EPSG:6960, VN-2000 to WGS 84, coordinate frame rotation
T = np.array([-191.90441429, -39.30318279, -111.45032835])
RX, RY, RZ = -0.00928836 * SEC, 0.01975479 * SEC, -0.00427372 * SEC
S = 0.252906278e-6
R_CF = np.array([[1, RZ, -RY], [-RZ, 1, RX], [RY, -RX, 1]])


def geodetic_to_ecef(lon: float, lat: float, h: float = 0.0) -> np.ndarray:
    phi, lam = math.radians(lat), math.radians(lon)
    n = A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
    return np.array([(n + h) * math.cos(phi) * math.cos(lam), (n + h) * math.cos(phi) * math.sin(lam), (n * (1 - E2) + h) * math.sin(phi)])


def ecef_to_geodetic(xyz: np.ndarray) -> tuple[float, float, float]:
    x, y, z = xyz
    lam = math.atan2(y, x)
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - E2))
    for _ in range(10):
        n = A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
        h = p / math.cos(phi) - n
        phi = math.atan2(z, p * (1 - E2 * n / (n + h)))
    return math.degrees(lam), math.degrees(phi), h


def vn2000_to_wgs84(xyz: np.ndarray) -> np.ndarray:
    return T + (1 + S) * (R_CF @ xyz)


def wgs84_to_vn2000(xyz: np.ndarray) -> np.ndarray:
    return np.linalg.solve((1 + S) * R_CF, xyz - T)


def tm_forward(lon: float, lat: float, lon0: float, k0: float = 0.9999, x0: float = 500000.0) -> tuple[float, float]:
    n = F / (2 - F)
    big_a = A / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    alpha = [
        n / 2 - 2 * n**2 / 3 + 5 * n**3 / 16 + 41 * n**4 / 180,
        13 * n**2 / 48 - 3 * n**3 / 5 + 557 * n**4 / 1440,
        61 * n**3 / 240 - 103 * n**4 / 140,
        49561 * n**4 / 161280,
    ]
    phi, dlam = math.radians(lat), math.radians(lon - lon0)
    c = 2 * math.sqrt(n) / (1 + n)
    t = math.sinh(math.atanh(math.sin(phi)) - c * math.atanh(c * math.sin(phi)))
    xi = math.atan2(t, math.cos(dlam))
    eta = math.atanh(math.sin(dlam) / math.sqrt(1 + t * t))
    easting = x0 + k0 * big_a * (eta + sum(a * math.cos(2 * j * xi) * math.sinh(2 * j * eta) for j, a in enumerate(alpha, 1)))
    northing = k0 * big_a * (xi + sum(a * math.sin(2 * j * xi) * math.cosh(2 * j * eta) for j, a in enumerate(alpha, 1)))
    return easting, northing


def wgs84_to_vn2000_tm(lon: float, lat: float, lon0: float, k0: float = 0.9999) -> tuple[float, float]:
    """WGS 84 lon/lat (on the ellipsoid) → VN-2000 TM easting, northing."""
    vn_lon, vn_lat, _ = ecef_to_geodetic(wgs84_to_vn2000(geodetic_to_ecef(lon, lat)))
    return tm_forward(vn_lon, vn_lat, lon0, k0)
