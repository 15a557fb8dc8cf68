"""Builders of small synthetic input files for the import tests (Vietnam's cities)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import shapely

HANOI = (105.8524, 21.0287)


def feature_collection(features: list[dict], **extra) -> dict:
    return {"type": "FeatureCollection", **extra, "features": features}


def point_feature(i: int, lon: float, lat: float, **props) -> dict:
    return {"type": "Feature", "properties": {"name": f"Điểm {i}", "n": i, **props}, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def write_ogr(path: Path, driver: str, geoms: list, props: dict[str, list], crs: str) -> Path:
    from pyogrio.raw import write

    wkb = shapely.to_wkb(np.array(geoms, dtype=object))
    fields = list(props)
    data = [np.array(props[k], dtype=object if isinstance(props[k][0], str) else None) for k in fields]
    geometry_type = {"Point": "Point", "Polygon": "Polygon", "MultiPolygon": "MultiPolygon"}[geoms[0].geom_type]
    write(str(path), wkb, data, fields, driver=driver, geometry_type=geometry_type, crs=crs)
    return path


def zip_shapefile(shp: Path, *, with_prj: bool = True) -> Path:
    out = shp.with_suffix(".zip")
    with zipfile.ZipFile(out, "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            part = shp.with_suffix(ext)
            if part.exists() and (with_prj or ext != ".prj"):
                zf.write(part, part.name)
    return out
