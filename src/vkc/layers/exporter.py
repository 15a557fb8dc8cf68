"""Export a collection to GeoJSON, GeoPackage, CSV or GeoParquet, streamed in chunks.

GeoJSON in WGS 84 follows RFC 7946; in any other CRS it carries the 2008-style
``crs`` member, as GDAL writes it. CSV holds the id, the properties and the
geometry as WKT (point layers: x and y columns instead, lon/lat in WGS 84).
GeoParquet follows version 1.1.0 (WKB encoding, ``geo`` metadata).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely

from vkc.errors import InputError
from vkc.geo import crs_label, from_crs84, resolve_crs
from vkc.geo.geojson_text import geojson_texts
from vkc.store import Collection, Feature, Query, Store
from vkc.store.model import OPEN_END

EXPORT_FORMATS = ("geojson", "gpkg", "csv", "geoparquet")
_CHUNK = 10_000
_GPKG_TYPES = {"integer": "int64", "real": "float64", "boolean": "bool", "text": "object", "json": "object", "date": "object", "datetime": "object"}


def export_layer(store: Store, name: str, path: str | os.PathLike[str], fmt: str | None = None, *, crs: str | None = None) -> int:
    """Write collection ``name`` to ``path``; returns the number of features written."""
    path = os.fspath(path)
    fmt = fmt or _format_from_path(path)
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; valid: {', '.join(EXPORT_FORMATS)}", field="format")
    coll = store.collection(name)
    target = resolve_crs(crs) if crs else None
    label = crs_label(target) if target is not None else "OGC:CRS84"
    if target is not None and label in ("OGC:CRS84",):
        target = None
    if not Path(path).parent.exists():
        raise InputError(f"cannot write {path}: folder {Path(path).parent} does not exist")
    chunks = _chunks(store, name, target)
    base, ext = os.path.splitext(path)
    tmp = f"{base}.partial{ext}"  # GDAL wants a GeoPackage to end in .gpkg
    try:
        writer = {"geojson": _geojson, "gpkg": _gpkg, "csv": _csv, "geoparquet": _geoparquet}[fmt]
        count = writer(tmp, coll, chunks, target, label)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return count


def _format_from_path(path: str) -> str:
    ext = Path(path).suffix.lower()
    found = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv", ".parquet": "geoparquet", ".geoparquet": "geoparquet"}.get(ext)
    if found is None:
        raise InputError(f"cannot tell the export format from {path!r}; pass --format ({', '.join(EXPORT_FORMATS)})", field="format")
    return found


def _chunks(store: Store, name: str, target: Any) -> Iterator[tuple[list[Feature], np.ndarray]]:
    batch: list[Feature] = []
    for feature in store.features(name, Query()):
        batch.append(feature)
        if len(batch) >= _CHUNK:
            yield batch, _geoms(batch, target)
            batch = []
    if batch:
        yield batch, _geoms(batch, target)


def _geoms(batch: list[Feature], target: Any) -> np.ndarray:
    geoms = np.empty(len(batch), dtype=object)
    geoms[:] = [f.geometry for f in batch]
    if target is not None:
        live = ~shapely.is_missing(geoms)
        geoms[live] = from_crs84(geoms[live], target)
    return geoms


def _id_column(coll: Collection) -> str:
    return "vkc_id" if "id" in coll.field_map() else "id"


def _time_text(t: Any) -> str | None:
    if t is None:
        return None
    if t == OPEN_END:
        return ".."
    return t.isoformat().replace("+00:00", "Z")


def _geojson(path: str, coll: Collection, chunks: Iterator, target: Any, label: str) -> int:
    count = 0
    with open(path, "wb") as out:
        head: dict[str, Any] = {"type": "FeatureCollection", "name": coll.name}
        if target is not None:
            head["crs"] = {"type": "name", "properties": {"name": _ogc_urn(label)}}
        out.write(orjson.dumps(head)[:-1] + b',"features":[\n')
        for batch, geoms in chunks:
            texts = geojson_texts(geoms)
            for feature, gtext in zip(batch, texts):
                props = dict(feature.properties)
                if feature.time is not None or feature.time_end is not None:
                    props["time"] = _time_text(feature.time)
                    if feature.time_end is not None:
                        props["time_end"] = _time_text(feature.time_end)
                body = orjson.dumps({"type": "Feature", "id": feature.id, "properties": props})[:-1]
                out.write((b",\n" if count else b"") + body + b',"geometry":' + (gtext or b"null") + b"}")
                count += 1
        out.write(b"\n]}\n")
    return count


def _ogc_urn(label: str) -> str:
    if label.startswith("EPSG:"):
        return "urn:ogc:def:crs:EPSG::" + label[5:]
    return label


def _csv(path: str, coll: Collection, chunks: Iterator, target: Any, label: str) -> int:
    names = [f.name for f in coll.fields]
    points = coll.geometry_type == "POINT"
    geographic = target is None or target.is_geographic
    coord_cols = (["lon", "lat"] if geographic else ["x", "y"]) if points else ["wkt"]
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([_id_column(coll), *names, *coord_cols])
        for batch, geoms in chunks:
            if points:
                xy = shapely.get_coordinates(geoms, include_z=False)
                present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
                coords_iter = iter(xy.tolist())
                cells = [next(coords_iter) if ok else ["", ""] for ok in present.tolist()]
            else:
                cells = [[w or ""] for w in shapely.to_wkt(geoms, rounding_precision=-1).tolist()]
            for feature, c in zip(batch, cells):
                writer.writerow([feature.id, *[_cell(feature.properties.get(n)) for n in names], *c])
                count += 1
    return count


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


#: GeoPackage 1.3, as the store is: the GDAL of Debian 12 and Ubuntu LTS (3.6, what QGIS LTR users there have) warns
#: that a 1.4 file may be only partially supported
GPKG_VERSION: dict[str, Any] = {"dataset_options": {"VERSION": "1.3"}}


def _gpkg(path: str, coll: Collection, chunks: Iterator, target: Any, label: str) -> int:
    from pyogrio.raw import write

    names = [f.name for f in coll.fields]
    id_col = _id_column(coll)
    crs_text = label if label.startswith("EPSG:") or label == "OGC:CRS84" else target.to_wkt()
    if crs_text == "OGC:CRS84":
        crs_text = "EPSG:4326"
    geometry_type = _ogr_type(coll.geometry_type)
    count = 0
    wrote_any = False
    for batch, geoms in chunks:
        wkb = shapely.to_wkb(geoms, flavor="iso")
        data = [np.array([f.id for f in batch], dtype=object)]
        for field in coll.fields:
            values = [f.properties.get(field.name) for f in batch]
            data.append(_column(values, field.type))
        write(
            path, wkb, data, [id_col, *names], layer=coll.name, driver="GPKG", geometry_type=geometry_type,
            crs=crs_text, append=wrote_any, layer_options={"SPATIAL_INDEX": "YES"}, **({} if wrote_any else GPKG_VERSION),
        )
        wrote_any = True
        count += len(batch)
    if not wrote_any:
        write(
            path, np.array([], dtype=object), [np.array([], dtype=object)], [id_col], layer=coll.name, driver="GPKG",
            geometry_type=geometry_type, crs=crs_text, **GPKG_VERSION,
        )
    else:
        _gpkg_indexes(path, coll)
    return count


def _gpkg_indexes(path: str, coll: Collection) -> None:
    """The collection's declared property indexes, made in the exported file too (plain SQLite indexes, as GDAL reads them)."""
    import sqlite3

    from vkc.store.gpkg_schema import create_property_index
    from vkc.store.indexes import declared

    wanted = [p for p in declared(coll) if all(name in coll.field_map() for name in p)]
    if not wanted:
        return
    conn = sqlite3.connect(path)
    try:
        with conn:
            for properties in wanted:
                create_property_index(conn, coll.name, properties)
    finally:
        conn.close()


def _column(values: list[Any], ftype: str) -> np.ndarray:
    if ftype == "integer" and None not in values:
        return np.array(values, dtype="int64")
    if ftype == "real":
        return np.array([np.nan if v is None else v for v in values], dtype="float64")
    if ftype == "boolean" and None not in values:
        return np.array(values, dtype=bool)
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v is None else (orjson.dumps(v).decode() if isinstance(v, (dict, list)) else str(v) if ftype != "integer" else v) for v in values]
    return out


def _ogr_type(geometry_type: str) -> str:
    return {
        "POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon", "MULTIPOINT": "MultiPoint",
        "MULTILINESTRING": "MultiLineString", "MULTIPOLYGON": "MultiPolygon", "GEOMETRYCOLLECTION": "GeometryCollection",
    }.get(geometry_type, "Unknown")


def _projjson(target: Any, label: str) -> dict[str, Any]:
    """The CRS as GeoParquet keeps it (PROJJSON), with its identifier: for ``EPSG:n`` the EPSG definition (whose VN-2000
    datum shift EPSG:6960 readers find by its code), not the datum-bound CRS the platform transforms with, which PROJ
    names "unknown" and gives no id."""
    import pyproj

    if label.startswith("EPSG:"):
        crs = pyproj.CRS.from_epsg(int(label.split(":", 1)[1]))
        if crs.to_epsg() is not None:
            return dict(crs.to_json_dict())
    projjson: dict[str, Any] = orjson.loads(target.to_json())
    return projjson


def _geoparquet(path: str, coll: Collection, chunks: Iterator, target: Any, label: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow_types = {"integer": pa.int64(), "real": pa.float64(), "boolean": pa.bool_(), "text": pa.string(), "json": pa.string(), "date": pa.string(), "datetime": pa.string()}
    id_col = _id_column(coll)
    schema_fields = [pa.field(id_col, pa.string())] + [pa.field(f.name, arrow_types[f.type]) for f in coll.fields] + [pa.field("geometry", pa.binary())]
    ogr_type = _ogr_type(coll.geometry_type)
    # Types come from the layer's declared type, so the metadata is known before the first row (one pass).
    column_meta: dict[str, Any] = {"encoding": "WKB", "geometry_types": [] if ogr_type == "Unknown" else [ogr_type]}
    if target is not None:
        column_meta["crs"] = _projjson(target, label)
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column_meta}}
    schema = pa.schema(schema_fields).with_metadata({b"geo": orjson.dumps(geo)})
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch, geoms in chunks:
            columns = [pa.array([f.id for f in batch], pa.string())]
            for f in coll.fields:
                values = [ft.properties.get(f.name) for ft in batch]
                if f.type == "json":
                    values = [None if v is None else orjson.dumps(v).decode() for v in values]
                elif f.type in ("text", "date", "datetime"):
                    values = [None if v is None else str(v) for v in values]
                columns.append(pa.array(values, arrow_types[f.type]))
            columns.append(pa.array(shapely.to_wkb(geoms, flavor="iso").tolist(), pa.binary()))
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
            count += len(batch)
    return count
