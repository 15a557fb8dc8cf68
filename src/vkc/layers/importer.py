"""Import a file into a store collection: one transaction, idempotent, streaming.

Every feature is read, its geometry checked (readable, valid, of the layer's
family, inside Vietnam after conversion to WGS 84), then written in batches
inside a single store transaction: a failure anywhere leaves the store
exactly as it was. Ids come from ``id_field``, else from the source (GeoJSON
``id``, OGR FID), else from the feature's position in the file, so importing
the same file twice replaces rather than duplicates.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from vkc.errors import CollectionNotFound, FormatError, GeometryError, InputError
from vkc.geo import VIETNAM_BOUNDS, crs_label, resolve_crs, to_crs84
from vkc.geo import geometry_types as gt
from vkc.layers.source import RawBatch, Source
from vkc.store import Collection, FeatureBatch, Store
from vkc.store.model import check_collection_name

LOGGER = logging.getLogger(__name__)
BATCH_SIZE = 10_000
FORMATS = ("geojson", "geojsonseq", "gpkg", "shapefile", "csv")
_EXTENSIONS = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".geojsonl": "geojsonseq",
    ".geojsons": "geojsonseq",
    ".geojsonseq": "geojsonseq",
    ".ndjson": "geojsonseq",
    ".jsonl": "geojsonseq",
    ".gpkg": "gpkg",
    ".zip": "shapefile",
    ".shp": "shapefile",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
}


@dataclass
class Reject:
    position: int
    id: str | None
    reason: str

    def __str__(self) -> str:
        ident = f" (id {self.id})" if self.id is not None else ""
        return f"feature #{self.position}{ident}: {self.reason}"


@dataclass
class ImportReport:
    collection: str
    path: str
    format: str
    source_crs: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    repaired: int = 0
    rejected: list[Reject] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        return self.inserted + self.updated


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    crs: str | None = None
    id_field: str | None = None
    time_field: str | None = None
    skip_invalid: bool = False
    repair: bool = False
    anywhere: bool = False
    format: str | None = None
    layer: str | None = None
    x_field: str | None = None
    y_field: str | None = None
    axis_order: str = "en"
    title: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    batch_size: int = BATCH_SIZE


def detect_format(path: str, given: str | None = None) -> str:
    if given:
        if given not in FORMATS:
            raise InputError(f"unknown format {given!r}; valid: {', '.join(FORMATS)}", field="format")
        return given
    ext = Path(path).suffix.lower()
    if ext not in _EXTENSIONS:
        raise FormatError(f"{path}: cannot tell the format from the extension {ext!r}; pass --format ({', '.join(FORMATS)})")
    return _EXTENSIONS[ext]


def open_source(path: str, options: ImportOptions) -> Source:
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a folder, not a file")
    fmt = detect_format(path, options.format)
    if fmt in ("geojson", "geojsonseq"):
        from vkc.layers.geojson_source import GeoJSONSource

        return GeoJSONSource(path, sequence=fmt == "geojsonseq")
    if fmt == "csv":
        from vkc.layers.csv_source import CSVSource

        return CSVSource(path, x_field=options.x_field, y_field=options.y_field, axis_order=options.axis_order)
    from vkc.layers.ogr_source import OGRSource

    if fmt == "shapefile" and path.lower().endswith(".shp"):
        stem = path[:-4]
        if not any(os.path.exists(stem + ext) for ext in (".prj", ".PRJ")) and not options.crs:
            raise InputError(
                f"{path}: the Shapefile has no .prj (no coordinate reference system); pass --crs, "
                "e.g. --crs EPSG:9210 for VN-2000 TM-3 105°45′ or --crs EPSG:4326"
            )
    source = OGRSource(path, fmt=fmt, layer=options.layer)
    source.require_crs(options.crs)
    return source


def import_layer(
    store: Store,
    path: str | os.PathLike[str],
    collection: str,
    options: ImportOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import ``path`` into ``collection`` (created if needed) in one transaction."""
    options = options or ImportOptions()
    path = os.fspath(path)
    check_collection_name(collection)
    if options.repair and options.skip_invalid:
        LOGGER.info("--repair and --skip-invalid together: invalid geometries are repaired; unrepairable ones skipped")
    started = time.perf_counter()
    source = open_source(path, options)
    try:
        crs_text = options.crs or source.declared_crs or "OGC:CRS84"
        crs = resolve_crs(crs_text)
        label = crs_label(crs)
        report = ImportReport(collection=collection, path=path, format=source.format, source_crs=label)
        run = _Run(store, source, collection, options, crs, label, report, progress)
        run.execute()
    finally:
        source.close()
    report.seconds = time.perf_counter() - started
    return report


class _Run:
    def __init__(self, store: Store, source: Source, name: str, options: ImportOptions, crs: Any, label: str, report: ImportReport, progress: Callable[[int, int], None] | None) -> None:
        self.store, self.source, self.name, self.options = store, source, name, options
        self.crs, self.label, self.report, self.progress = crs, label, report, progress
        self.needs_transform = label not in ("OGC:CRS84", "EPSG:4326")
        self.layer_type: str | None = None
        self.family: str | None = None

    def execute(self) -> None:
        with self.store.transaction() as tx:
            self.tx = tx
            for raw in self.source.batches(self.options.batch_size):
                self._write(self._prepare(raw))
                if self.progress:
                    self.progress(*self.source.progress())
            if self.layer_type is None:
                self._ensure_collection("GEOMETRY")
            tx.set_metadata(self.name, self._metadata())

    # -- one batch -----------------------------------------------------------
    def _prepare(self, raw: RawBatch) -> FeatureBatch | None:
        self.report.read += len(raw)
        keep = np.ones(len(raw), dtype=bool)
        for i, why in raw.errors.items():
            self._reject(raw, i, why, keep)
        geoms = raw.geometries
        present = np.flatnonzero(keep & ~shapely.is_missing(geoms))
        if present.size:
            geoms = geoms.copy()
            geoms[present] = shapely.force_2d(geoms[present])
            self._check_validity(raw, geoms, present, keep)
            if self.needs_transform:
                live = np.flatnonzero(keep & ~shapely.is_missing(geoms))
                geoms[live] = to_crs84(geoms[live], self.crs)
            if not self.options.anywhere:
                self._check_in_vietnam(raw, geoms, keep)
            geoms = self._check_types(raw, geoms, keep)
        ids = self._ids(raw)
        times = self._times(raw) if self.options.time_field else None
        idx = np.flatnonzero(keep)
        if idx.size == 0:
            return None
        sel = idx.tolist()
        return FeatureBatch(
            ids=[ids[i] for i in sel],
            geometries=geoms[idx],
            properties=[raw.properties[i] for i in sel],
            times=[times[i] for i in sel] if times else None,
        )

    def _write(self, batch: FeatureBatch | None) -> None:
        if batch is None:
            return
        if self.layer_type is None:
            self._ensure_collection(self._first_layer_type(batch.geometries))
        if self.layer_type is not None and gt.is_multi_layer(self.layer_type):
            batch.geometries = gt.promote(batch.geometries)
        result = self.tx.upsert_batch(self.name, batch)
        self.report.inserted += result.inserted
        self.report.updated += result.updated

    def _reject(self, raw: RawBatch, i: int, why: str, keep: np.ndarray) -> None:
        reject = Reject(raw.positions[i], raw.ids[i] or _id_hint(raw, i, self.options.id_field), why)
        if not self.options.skip_invalid:
            raise GeometryError(f"{self.source.path}: {reject}; nothing was imported (use --skip-invalid to import the rest)")
        keep[i] = False
        self.report.rejected.append(reject)

    def _check_validity(self, raw: RawBatch, geoms: np.ndarray, present: np.ndarray, keep: np.ndarray) -> None:
        valid = shapely.is_valid(geoms[present])
        if valid.all():
            return
        for i in present[~valid].tolist():
            reason = shapely.is_valid_reason(geoms[i])
            if self.options.repair:
                fixed = shapely.make_valid(geoms[i], method="structure", keep_collapsed=False)
                if fixed is not None and not fixed.is_empty and shapely.is_valid(fixed):
                    geoms[i] = _same_family(fixed, geoms[i])
                    self.report.repaired += 1
                    continue
            self._reject(raw, i, f"invalid geometry: {reason}", keep)

    def _check_in_vietnam(self, raw: RawBatch, geoms: np.ndarray, keep: np.ndarray) -> None:
        live = np.flatnonzero(keep & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
        if not live.size:
            return
        b = shapely.bounds(geoms[live])
        minx, miny, maxx, maxy = VIETNAM_BOUNDS
        inside = (b[:, 0] >= minx) & (b[:, 2] <= maxx) & (b[:, 1] >= miny) & (b[:, 3] <= maxy)
        for j in np.flatnonzero(~inside).tolist():
            i = live[j]
            x, y = shapely.get_coordinates(raw.geometries[i])[0].tolist()
            hint = " (projected-looking numbers with a geographic CRS)" if abs(x) > 360 and not self.needs_transform else ""
            self._reject(
                raw,
                i,
                f"coordinates ({x:.6g}, {y:.6g}) in {self.label} lie outside Vietnam{hint} — wrong --crs? "
                "VN-2000 TM-3 data needs e.g. --crs EPSG:9210 or vn2000-tm3:105.75; use --anywhere for data outside Vietnam",
                keep,
            )

    def _check_types(self, raw: RawBatch, geoms: np.ndarray, keep: np.ndarray) -> np.ndarray:
        type_ids = shapely.get_type_id(geoms)
        family = self.family
        for i in np.flatnonzero(keep & (type_ids >= 0)).tolist():
            fam = gt.family_of(int(type_ids[i]))
            if family is None:
                family = fam
            elif fam != family:
                self._reject(
                    raw,
                    i,
                    f"mixed geometry types: a {gt.type_name(int(type_ids[i]))} in a layer of {family}s "
                    f"(one layer holds one geometry type; split the file or import the others into another collection)",
                    keep,
                )
        self.family = family
        if self.layer_type is not None and gt.batch_has_multi(type_ids[keep]) and family != "collection":
            promoted = gt.layer_type(family, True)  # type: ignore[arg-type]
            self.tx.set_geometry_type(self.name, promoted)
            self.layer_type = promoted
        return geoms

    def _first_layer_type(self, geoms: np.ndarray) -> str:
        type_ids = shapely.get_type_id(geoms)
        if self.family is None:
            return "GEOMETRY"
        return gt.layer_type(self.family, gt.batch_has_multi(type_ids))

    def _ensure_collection(self, layer_type: str) -> None:
        try:
            current = self.tx.collection(self.name)
        except CollectionNotFound:
            current = None
        title = self.options.title or (current.title if current else "") or self.name.replace("_", " ")
        coll = self.tx.create_collection(
            Collection(name=self.name, title=title, description=self.options.description or "", geometry_type=layer_type),
            exist_ok=True,
        )
        self.layer_type = coll.geometry_type
        if coll.geometry_type != layer_type and layer_type.startswith("MULTI") and coll.geometry_type == layer_type[5:]:
            self.tx.set_geometry_type(self.name, layer_type)
            self.layer_type = layer_type
        if self.family is not None:
            existing_family = gt.family_of_layer(self.layer_type)
            if existing_family not in (None, self.family):
                raise GeometryError(
                    f"{self.source.path}: the file holds {self.family}s but collection {self.name!r} holds "
                    f"{self.layer_type} geometries; import into another collection"
                )

    def _ids(self, raw: RawBatch) -> list[str]:
        field_name = self.options.id_field
        if field_name is None:
            return [sid if sid is not None else str(pos) for sid, pos in zip(raw.ids, raw.positions)]
        ids = []
        for props, pos in zip(raw.properties, raw.positions):
            if field_name not in props:
                raise InputError(f"{self.source.path}: feature #{pos} has no property {field_name!r} (--id-field)")
            value = props[field_name]
            if value is None or value == "":
                raise InputError(f"{self.source.path}: feature #{pos}: --id-field {field_name!r} is empty")
            ids.append(str(value))
        return ids

    def _times(self, raw: RawBatch) -> list[datetime | None]:
        out: list[datetime | None] = []
        for props, pos in zip(raw.properties, raw.positions):
            value = props.get(self.options.time_field)  # type: ignore[arg-type]
            if value in (None, ""):
                out.append(None)
                continue
            try:
                t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError as exc:
                raise InputError(f"{self.source.path}: feature #{pos}: time {value!r} is not ISO 8601") from exc
            if t.tzinfo is None:
                raise InputError(
                    f"{self.source.path}: feature #{pos}: time {value!r} has no time zone (write e.g. {value}+07:00)"
                )
            out.append(t.astimezone(timezone.utc))
        return out

    def _metadata(self) -> dict[str, Any]:
        meta = dict(self.tx.collection(self.name).metadata)
        meta.update(self.options.metadata)
        meta.update(
            {
                "source_file": os.path.basename(self.source.path),
                "source_format": self.source.format,
                "source_crs": self.label,
                "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "id_field": self.options.id_field,
            }
        )
        return meta


def _id_hint(raw: RawBatch, i: int, id_field: str | None) -> str | None:
    if id_field and raw.properties[i].get(id_field) is not None:
        return str(raw.properties[i][id_field])
    return None


def _same_family(fixed: shapely.Geometry, original: shapely.Geometry) -> shapely.Geometry:
    """make_valid may return a collection; keep the parts of the original's dimension."""
    if fixed.geom_type != "GeometryCollection":
        return fixed
    dim = shapely.get_dimensions(original)
    parts = [g for g in shapely.get_parts(fixed) if shapely.get_dimensions(g) == dim]
    if not parts:
        return fixed
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]
