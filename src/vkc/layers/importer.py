"""Import a file into a store collection: one transaction, idempotent, streaming.

Every feature is read, its geometry checked (readable, valid, of the layer's
kind, inside Vietnam after conversion to WGS 84), then written in batches
inside a single store transaction: a failure anywhere leaves the store exactly
as it was. Ids come from ``id_field``, else from the source (GeoJSON ``id``,
OGR FID), else from the feature's position in the file, so importing the same
file twice replaces rather than duplicates. Large files are read in a child
process while the parent writes (:mod:`vkc.layers.pipeline`).
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from vkc.errors import CollectionNotFound, FormatError, GeometryError, InputError
from vkc.geo import crs_label, resolve_crs
from vkc.geo import geometry_types as gt
from vkc.layers import pipeline
from vkc.layers.prepare import Checks, Prepared, Reject
from vkc.layers.source import Source, SplitUnsupported
from vkc.permissions import LOCAL_ADMIN, Grant, features
from vkc.store import Collection, Store, Transaction
from vkc.store.audit import Change
from vkc.store.model import EncodedBatch, check_collection_name

LOGGER = logging.getLogger(__name__)
BATCH_SIZE = 10_000
#: files larger than this are read in a child process while the parent writes
PARALLEL_FROM_BYTES = 4 * 2**20
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
    #: whether the import made the collection (False: it was there)
    created: bool = False
    #: what the import says though it went on (a TM-3 zone that is not the province's …), each once
    warnings: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.inserted + self.updated

    def as_dict(self, source: str | None = None) -> dict[str, Any]:
        """The report as the CLI's ``--json`` and the upload API give it; ``source`` names the file as its sender knows it."""
        return {
            "collection": self.collection, "created": self.created, "file": source or self.path, "format": self.format, "source_crs": self.source_crs,
            "read": self.read, "inserted": self.inserted, "updated": self.updated, "repaired": self.repaired,
            "rejected": [{"position": r.position, "id": r.id, "reason": r.reason} for r in self.rejected],
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
        }


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
    #: read in child processes: None decides by file size
    parallel: bool | None = None
    #: how to start them: "fork" or "spawn"; None picks fork unless threads make it unsafe
    start_method: str | None = None
    #: where the file came from when its path does not say (an upload: the name its sender gave), for the audit trail and the metadata
    origin: str | None = None


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
    grant: Grant = LOCAL_ADMIN,
) -> ImportReport:
    """Import ``path`` into ``collection`` (created if needed) in one transaction, with its audit entry; ``grant`` must hold ``features:<collection>``."""
    options = options or ImportOptions()
    path = os.fspath(path)
    check_collection_name(collection)
    grant.require(features(collection))  # a whole file: a province grant, judged feature by feature, does not cover it
    started = time.perf_counter()
    source = open_source(path, options)
    # An import allocates millions of short-lived, acyclic objects: reference counting frees
    # them, while the cyclic collector would rescan every live batch again and again (a third
    # of the run time). It is switched back on afterwards.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        crs_text = options.crs or source.declared_crs or "OGC:CRS84"
        label = crs_label(resolve_crs(crs_text))
        report = ImportReport(collection=collection, path=path, format=source.format, source_crs=label)
        try:
            existing: Collection | None = store.collection(collection)
        except CollectionNotFound:
            existing = None
        checks = Checks(
            path=path, crs_text=crs_text, crs_label=label, id_field=options.id_field, time_field=options.time_field,
            skip_invalid=options.skip_invalid, repair=options.repair, anywhere=options.anywhere,
            existing_layer_type=existing.geometry_type if existing and existing.geometry_type != "GEOMETRY" else None,
        )
        spec = pipeline.ReaderSpec(functools.partial(open_source, path, options), checks, store.encoder)
        parallel = options.parallel
        if parallel is None:
            parallel = os.path.getsize(path) >= PARALLEL_FROM_BYTES
        readers = 2 if parallel and source.splittable else 1
        try:
            _write_all(store, collection, options, report, spec, readers if parallel else 0, progress, grant)
        except SplitUnsupported:
            # the file stopped being one feature per line part-way: read it again in one piece
            report = ImportReport(collection=collection, path=path, format=source.format, source_crs=label)
            _write_all(store, collection, options, report, spec, 1, progress, grant)
    finally:
        source.close()
        if gc_was_enabled:
            gc.enable()
    report.seconds = time.perf_counter() - started
    return report


def _write_all(
    store: Store,
    collection: str,
    options: ImportOptions,
    report: ImportReport,
    spec: pipeline.ReaderSpec,
    readers: int,
    progress: Callable[[int, int], None] | None,
    grant: Grant,
) -> None:
    """One transaction: batches from reader processes (or this process when ``readers`` is 0) into the store, and the audit entry."""
    size = options.batch_size
    producer = None if readers else spec.producer()
    stream = pipeline.run_in_children(spec, size, readers, options.start_method) if producer is None else producer.run(size)
    try:
        with store.transaction() as tx:
            writer = _Writer(tx, collection, options, report)
            for prepared in stream:
                writer.write(prepared)
                if progress:
                    progress(*prepared.progress)
            writer.finish()
            tx.record(Change(grant.actor, "layer.import", f"features:{collection}", after=_audited(report, options.origin)))
    finally:
        if producer is not None:
            producer.source.close()


def _audited(report: ImportReport, origin: str | None) -> dict[str, Any]:
    """What the audit trail keeps of an import: the file and what became of its features (not the features)."""
    stat = os.stat(report.path)
    return {
        "source": origin or os.path.abspath(report.path),
        "bytes": stat.st_size,
        "modified": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
        "format": report.format,
        "crs": report.source_crs,
        "read": report.read,
        "inserted": report.inserted,
        "updated": report.updated,
        "repaired": report.repaired,
        "rejected": len(report.rejected),
    }


class _Writer:
    """The store side: creates the collection, keeps one kind of geometry in it, follows single → multi."""

    def __init__(self, tx: Transaction, name: str, options: ImportOptions, report: ImportReport) -> None:
        self.tx, self.name, self.options, self.report = tx, name, options, report
        self.layer_type: str | None = None
        self.family: str | None = None
        self.renamed: dict[str, str] = {}

    def write(self, prepared: Prepared) -> None:
        self.report.read += prepared.read
        self.report.repaired += prepared.repaired
        self.report.rejected.extend(prepared.rejects)
        self.report.warnings.extend(w for w in prepared.warnings if w not in self.report.warnings)
        self.renamed.update(prepared.renamed)
        batch = prepared.batch
        if batch is None:
            return
        if self.layer_type is None:
            self._ensure_collection(prepared.layer_type or "GEOMETRY")
        batch = self._one_family(batch, prepared.positions, prepared.where)
        if batch is None:
            return
        has_multi = gt.batch_has_multi(batch.type_ids)
        if has_multi and self.family not in (None, "collection") and self.layer_type != "GEOMETRY" and not gt.is_multi_layer(self.layer_type or ""):
            wanted = gt.layer_type(self.family, True)  # type: ignore[arg-type]
            self.tx.set_geometry_type(self.name, wanted)  # promotes the single geometries stored so far
            self.layer_type = wanted
        result = self.tx.upsert_encoded(self.name, batch)
        self.report.inserted += result.inserted
        self.report.updated += result.updated

    def _one_family(self, batch: EncodedBatch, positions: list[int], where: str) -> EncodedBatch | None:
        """Readers in parallel each see part of the file: the writer checks the kinds across batches."""
        families = [gt.family_of(int(t)) if t >= 0 else None for t in batch.type_ids.tolist()]
        if self.family is None:
            self.family = next((f for f in families if f is not None), None)
        bad = [i for i, f in enumerate(families) if f is not None and f != self.family]
        if not bad:
            return batch
        rejects = [
            Reject(positions[i], batch.ids[i], f"mixed geometry types: a {gt.type_name(int(batch.type_ids[i]))} in a layer of {self.family}s "
                   "(a layer holds one kind of geometry; import the others into another collection)", where)
            for i in bad
        ]
        if not self.options.skip_invalid:
            raise GeometryError(f"{self.report.path}: {rejects[0]}; nothing was imported (use --skip-invalid to import the rest)")
        self.report.rejected.extend(rejects)
        keep = np.ones(len(batch), dtype=bool)
        keep[bad] = False
        return batch.select(keep) if keep.any() else None

    def finish(self) -> None:
        if self.layer_type is None:
            self._ensure_collection("GEOMETRY")
        self.report.rejected.sort(key=lambda r: r.position)
        meta = dict(self.tx.collection(self.name).metadata)
        meta.update(self.options.metadata)
        meta.update(
            {
                "source_file": self.options.origin or os.path.basename(self.report.path),
                "source_format": self.report.format,
                "source_crs": self.report.source_crs,
                "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "id_field": self.options.id_field,
            }
        )
        if self.renamed:
            meta["renamed_properties"] = self.renamed
        self.tx.set_metadata(self.name, meta)

    def _ensure_collection(self, layer_type: str) -> None:
        try:
            current: Collection | None = self.tx.collection(self.name)
        except CollectionNotFound:
            current = None
        if current is not None:
            fam, want = gt.family_of_layer(current.geometry_type), gt.family_of_layer(layer_type)
            if fam is not None and want is not None and fam != want:
                raise GeometryError(
                    f"{self.report.path}: the file holds {want}s but collection {self.name!r} holds "
                    f"{current.geometry_type} geometries; import into another collection"
                )
            self.family = fam
        self.report.created = current is None
        title = self.options.title or (current.title if current else "") or self.name.replace("_", " ")
        coll = self.tx.create_collection(
            Collection(
                name=self.name,
                title=title,
                description=self.options.description or "",
                geometry_type=current.geometry_type if current else layer_type,
            ),
            exist_ok=True,
        )
        self.layer_type = coll.geometry_type


__all__ = ["ImportOptions", "ImportReport", "Reject", "detect_format", "import_layer"]
