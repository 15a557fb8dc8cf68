"""Synthetic benchmark inputs (fixed seed, marked synthetic): points and polygons over Vietnam's cities.

Written the way GDAL writes GeoJSON: one feature per line inside a FeatureCollection.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import orjson

# Urban cores (lon, lat, spread in degrees): Hà Nội, TP HCM, Đà Nẵng, Cần Thơ.
CENTRES = [(105.85, 21.03, 0.12), (106.70, 10.78, 0.12), (108.21, 16.05, 0.06), (105.78, 10.03, 0.05)]
KINDS = ["residential", "commercial", "school", "clinic", "office", "market"]


def _centres(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    which = rng.choice(len(CENTRES), size=n, p=[0.45, 0.35, 0.12, 0.08])
    c = np.array(CENTRES)[which]
    lon = c[:, 0] + rng.normal(0, 1, n) * c[:, 2] / 2
    lat = c[:, 1] + rng.normal(0, 1, n) * c[:, 2] / 2
    return lon, lat


def _write(path: Path, features) -> None:
    with path.open("wb") as out:
        out.write(b'{"type":"FeatureCollection","name":"' + path.stem.encode() + b'","synthetic":true,"features":[\n')
        first = True
        for feat in features:
            if not first:
                out.write(b",\n")
            out.write(orjson.dumps(feat))
            first = False
        out.write(b"\n]}\n")


def points(path: Path, n: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    lon, lat = _centres(rng, n)
    kinds = rng.integers(0, len(KINDS), n)
    vals = rng.gamma(2.0, 20.0, n)
    _write(
        path,
        (
            {
                "type": "Feature",
                "properties": {"n": i, "kind": KINDS[kinds[i]], "value": round(float(vals[i]), 2)},
                "geometry": {"type": "Point", "coordinates": [round(float(lon[i]), 6), round(float(lat[i]), 6)]},
            }
            for i in range(n)
        ),
    )


def polygons(path: Path, n: int, seed: int = 8) -> None:
    rng = np.random.default_rng(seed)
    lon, lat = _centres(rng, n)
    w = rng.uniform(0.00005, 0.0003, n)
    h = rng.uniform(0.00005, 0.0003, n)
    floors = rng.integers(1, 30, n)
    feats = []
    for i in range(n):
        x0, y0, x1, y1 = lon[i], lat[i], lon[i] + w[i], lat[i] + h[i]
        ring = [[round(float(x), 7), round(float(y), 7)] for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]
        feats.append(
            {
                "type": "Feature",
                "properties": {"n": i, "floors": int(floors[i]), "use": KINDS[i % len(KINDS)]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    _write(path, feats)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "work")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--polygons", type=int, default=100_000)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    points(args.out / f"points_{args.points}.geojson", args.points)
    polygons(args.out / f"polygons_{args.polygons}.geojson", args.polygons)
