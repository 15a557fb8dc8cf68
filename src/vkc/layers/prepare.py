"""The producer side of an import: read, check, reproject and encode batches.

Runs in the importing process or, for large files, in a child process
(:mod:`vkc.layers.pipeline`) while the parent writes: everything here is
free of store state and every result is picklable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely

from vkc import admin
from vkc.errors import GeometryError, InputError, VKCError
from vkc.geo import VIETNAM_BOUNDS, resolve_crs, to_crs84
from vkc.geo import geometry_types as gt
from vkc.geo.crs import VN2000_TM3, meridian_text, tm3_meridian_for_province, tm3_meridian_of
from vkc.layers.source import RawBatch, Source
from vkc.parsing.times import DATA, TimeTextError, parse_instant
from vkc.store import FeatureBatch
from vkc.store.model import RESERVED_NAMES, EncodedBatch, first_bad_feature_id

#: the day of the units the TM-3 zones are given for: the 63 provinces before the 2025 reform (Circular 973/2001/TT-TCĐC)
ZONES_ON = date(2025, 6, 30)


@dataclass
class Reject:
    position: int
    id: str | None
    reason: str
    #: how the source counts its positions: ``feature #`` (the n-th feature), ``row `` (a CSV's line, as a spreadsheet numbers it)
    where: str = "feature #"

    def __str__(self) -> str:
        ident = f" (id {self.id})" if self.id is not None else ""
        return f"{self.where}{self.position}{ident}: {self.reason}"


@dataclass
class Prepared:
    """One batch ready for the writer, and what the writer must know about it."""

    batch: EncodedBatch | None
    read: int
    layer_type: str | None  # the collection's geometry type as this producer sees it
    positions: list[int] = field(default_factory=list)  # of the batch's rows in the file
    rejects: list[Reject] = field(default_factory=list)
    repaired: int = 0
    progress: tuple[int, int] = (0, 0)
    renamed: dict[str, str] = field(default_factory=dict)  # source property → stored name
    where: str = "feature #"  # how messages name a position (Source.position_label)
    warnings: list[str] = field(default_factory=list)  # what the import should say though it goes on


@dataclass(frozen=True, kw_only=True)
class Checks:
    """What the producer needs to know: the source CRS and the options that change checking."""

    path: str
    crs_text: str
    crs_label: str
    id_field: str | None = None
    time_field: str | None = None
    skip_invalid: bool = False
    repair: bool = False
    anywhere: bool = False
    existing_layer_type: str | None = None  # when importing into an existing collection


class Producer:
    def __init__(self, source: Source, checks: Checks, encode: Callable[[FeatureBatch], EncodedBatch]) -> None:
        self.source, self.checks, self.encode = source, checks, encode
        self.where = source.position_label
        self.crs = resolve_crs(checks.crs_text)
        self.needs_transform = checks.crs_label not in ("OGC:CRS84", "EPSG:4326")
        self.layer_type = checks.existing_layer_type
        self.family = gt.family_of_layer(self.layer_type) if self.layer_type else None
        #: a VN-2000 TM-3 source's central meridian, checked once against the zone of the province the features land in
        self.meridian = tm3_meridian_of(self.crs)
        self.zone_checked = self.meridian is None

    def run(self, size: int, part: tuple[int, int] = (0, 1)) -> Iterator[Prepared]:
        for raw in self.source.batches(size, part):
            yield self.prepare(raw)

    def prepare(self, raw: RawBatch) -> Prepared:
        out = Prepared(batch=None, read=len(raw), layer_type=self.layer_type, where=self.where)
        keep = np.ones(len(raw), dtype=bool)
        for i, why in raw.errors.items():
            self._reject(raw, i, why, keep, out)
        geoms = raw.geometries
        present = np.flatnonzero(keep & ~shapely.is_missing(geoms))
        if present.size:
            geoms = geoms.copy()
            if shapely.has_z(geoms[present]).any():
                geoms[present] = shapely.force_2d(geoms[present])
            self._check_validity(raw, geoms, present, keep, out)
            if self.needs_transform:
                live = np.flatnonzero(keep & ~shapely.is_missing(geoms))
                geoms[live] = to_crs84(geoms[live], self.crs)
            if not self.checks.anywhere:
                self._check_in_vietnam(raw, geoms, keep, out)
            if not self.zone_checked:
                self._check_zone(geoms, keep, out)
            self._check_types(raw, geoms, keep, out)
        ids = self._ids(raw)
        times = self._times(raw) if self.checks.time_field else None
        positions = raw.positions
        if not keep.all():
            idx = np.flatnonzero(keep)
            sel = idx.tolist()
            positions = [positions[i] for i in sel]
            ids = [ids[i] for i in sel]
            geoms = geoms[idx]
            props = [raw.properties[i] for i in sel]
            times = [times[i] for i in sel] if times else None
        else:
            props = raw.properties
        if self.layer_type is None and self.family is not None:
            self.layer_type = gt.layer_type(self.family, gt.batch_has_multi(shapely.get_type_id(geoms)))
        out.layer_type = self.layer_type  # single geometries in a multi layer are promoted by the store
        out.positions = positions
        out.rejects.sort(key=lambda r: r.position)
        if ids:
            out.batch = self.encode(FeatureBatch(ids=ids, geometries=geoms, properties=props, times=times))
            out.renamed = _rename_columns(out.batch)
        out.progress = self.source.progress()
        return out

    def _reject(self, raw: RawBatch, i: int, why: str, keep: np.ndarray, out: Prepared) -> None:
        reject = Reject(raw.positions[i], raw.ids[i] or _id_hint(raw, i, self.checks.id_field), why, self.where)
        if not self.checks.skip_invalid:
            raise GeometryError(f"{self.checks.path}: {reject}; nothing was imported (use --skip-invalid to import the rest)")
        keep[i] = False
        out.rejects.append(reject)

    def _check_validity(self, raw: RawBatch, geoms: np.ndarray, present: np.ndarray, keep: np.ndarray, out: Prepared) -> None:
        valid = shapely.is_valid(geoms[present])
        if valid.all():
            return
        for i in present[~valid].tolist():
            reason = shapely.is_valid_reason(geoms[i])
            if self.checks.repair:
                fixed = shapely.make_valid(geoms[i], method="structure", keep_collapsed=False)
                if fixed is not None and not fixed.is_empty and shapely.is_valid(fixed):
                    geoms[i] = _same_family(fixed, geoms[i])
                    out.repaired += 1
                    continue
            self._reject(raw, i, f"invalid geometry: {reason}", keep, out)

    def _check_in_vietnam(self, raw: RawBatch, geoms: np.ndarray, keep: np.ndarray, out: Prepared) -> None:
        live = np.flatnonzero(keep & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
        if not live.size:
            return
        b = shapely.bounds(geoms[live])
        minx, miny, maxx, maxy = VIETNAM_BOUNDS
        inside = (b[:, 0] >= minx) & (b[:, 2] <= maxx) & (b[:, 1] >= miny) & (b[:, 3] <= maxy)
        for j in np.flatnonzero(~inside).tolist():
            i = int(live[j])
            x, y = shapely.get_coordinates(raw.geometries[i])[0].tolist()
            hint = ""
            if abs(x) > 360 and not self.needs_transform:
                hint = " (these look like projected metres, not degrees)"
            elif self._in_vietnam_swapped(x, y):
                hint = (" (with x and y swapped they would lie in Vietnam: survey tables put the northing in X — "
                        "--survey-xy reads a CSV so; or the file's columns are latitude, longitude)")
            self._reject(
                raw,
                i,
                f"coordinates ({x:.10g}, {y:.10g}) in {self.checks.crs_label} lie outside Vietnam{hint} — wrong --crs? "
                "VN-2000 TM-3 data needs e.g. --crs EPSG:9210 or vn2000-tm3:105.75; --anywhere accepts data outside Vietnam",
                keep,
                out,
            )

    def _in_vietnam_swapped(self, x: float, y: float) -> bool:
        """Whether the point (y, x) — its axes swapped — lies in Vietnam in the source's CRS."""
        point = np.array([shapely.Point(y, x)], dtype=object)
        lon, lat = shapely.get_coordinates(to_crs84(point, self.crs) if self.needs_transform else point)[0].tolist()  # inf outside the projection
        minx, miny, maxx, maxy = VIETNAM_BOUNDS
        return bool(minx <= lon <= maxx and miny <= lat <= maxy)

    def _check_zone(self, geoms: np.ndarray, keep: np.ndarray, out: Prepared) -> None:
        """Once: whether the TM-3 meridian the file was read with is the zone of the province most features land in
        (Circular 973/2001/TT-TCĐC gives each pre-2025 province its zone); a different one is the commonest VN-2000
        mistake, some 50–130 km off east or west, and gets a warning naming the expected zone."""
        live = np.flatnonzero(keep & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))[:200]
        if not live.size:
            return
        given, self.zone_checked = self.meridian, True
        points = shapely.get_coordinates(shapely.point_on_surface(geoms[live]))
        found: dict[str, tuple[int, str]] = {}
        for lon, lat in points.tolist():
            unit = admin.locate(lon, lat, ZONES_ON)
            if unit is not None and unit.iso_3166_2:
                count, name = found.get(unit.iso_3166_2, (0, unit.name_vi))
                found[unit.iso_3166_2] = (count + 1, name)
        if not found or given is None:
            return
        iso, (_, name) = max(found.items(), key=lambda item: item[1][0])
        try:
            expected = tm3_meridian_for_province(iso)
        except VKCError:
            return
        if abs(expected - given) > 1e-9:
            code = VN2000_TM3.get(expected)
            off = round(abs(expected - given) * 60)
            out.warnings.append(
                f"{self.checks.path}: the features land in {name}, whose VN-2000 TM-3 zone is {meridian_text(expected)}"
                f"{f' (EPSG:{code})' if code else ''}, but they were read as TM-3 {meridian_text(given)} — a zone {off}′ off moves them "
                f"about {abs(expected - given) * 104:.0f} km east or west; if they belong in another province, import again with its zone "
                f"(for {name}: --crs vn2000-tm3:{expected:g})"
            )

    def _check_types(self, raw: RawBatch, geoms: np.ndarray, keep: np.ndarray, out: Prepared) -> None:
        type_ids = shapely.get_type_id(geoms)
        live = keep & (type_ids >= 0)
        families = {gt.family_of(int(t)) for t in np.unique(type_ids[live]).tolist()}
        if len(families) == 1 and self.family in (None, *families):
            self.family = families.pop()
        elif families:
            for i in np.flatnonzero(live).tolist():
                fam = gt.family_of(int(type_ids[i]))
                if self.family is None:
                    self.family = fam
                elif fam != self.family:
                    self._reject(
                        raw,
                        i,
                        f"mixed geometry types: a {gt.type_name(int(type_ids[i]))} in a layer of {self.family}s "
                        "(a layer holds one kind of geometry; import the others into another collection)",
                        keep,
                        out,
                    )
        if (
            self.layer_type is not None
            and not gt.is_multi_layer(self.layer_type)
            and self.family not in (None, "collection")
            and gt.batch_has_multi(type_ids[keep])
        ):
            self.layer_type = gt.layer_type(self.family, True)

    def _ids(self, raw: RawBatch) -> list[str]:
        ids = self._given_ids(raw)
        bad = first_bad_feature_id(ids)
        if bad is not None:
            raise InputError(f"{self.checks.path}: {self.where}{raw.positions[bad[0]]}: {bad[1]}; nothing was imported")
        return ids

    def _given_ids(self, raw: RawBatch) -> list[str]:
        name = self.checks.id_field
        if name is None:
            return [sid if sid is not None else str(pos) for sid, pos in zip(raw.ids, raw.positions)]
        ids = []
        for props, pos in zip(raw.properties, raw.positions):
            if name not in props:
                raise InputError(f"{self.checks.path}: {self.where}{pos} has no property {name!r} (--id-field)")
            value = props[name]
            if value is None or value == "":
                raise InputError(f"{self.checks.path}: {self.where}{pos}: --id-field {name!r} is empty")
            ids.append(str(value))
        return ids

    def _times(self, raw: RawBatch) -> list[datetime | None]:
        out: list[datetime | None] = []
        for props, pos in zip(raw.properties, raw.positions):
            value = props.get(self.checks.time_field)  # type: ignore[arg-type]
            if value in (None, ""):
                out.append(None)
                continue
            try:
                t = parse_instant(str(value), DATA)
            except TimeTextError as exc:
                raise InputError(f"{self.checks.path}: {self.where}{pos}: time {value!r} is not ISO 8601") from exc
            if t.tzinfo is None:
                raise InputError(f"{self.checks.path}: {self.where}{pos}: time {value!r} has no time zone (write e.g. {value}+07:00)")
            out.append(t)
        return out


def _rename_columns(batch: EncodedBatch) -> dict[str, str]:
    """Properties the store cannot take as named (its own columns, names equal but for case) get a suffix."""
    renamed: dict[str, str] = {}
    taken = set(RESERVED_NAMES)
    columns: dict[str, list[Any]] = {}
    for key, values in batch.columns.items():
        name = key
        n = 1
        while name.lower() in taken:
            name = f"{key}_{n}"
            n += 1
        if name != key:
            renamed[key] = name
        taken.add(name.lower())
        columns[name] = values
    if renamed:
        batch.columns = columns
    return renamed


def _id_hint(raw: RawBatch, i: int, id_field: str | None) -> str | None:
    if id_field and raw.properties[i].get(id_field) is not None:
        return str(raw.properties[i][id_field])
    return None


def _same_family(fixed: Any, original: Any) -> Any:
    """make_valid may return a collection; keep the parts of the original's dimension."""
    if fixed.geom_type != "GeometryCollection":
        return fixed
    dim = shapely.get_dimensions(original)
    parts = [g for g in shapely.get_parts(fixed) if shapely.get_dimensions(g) == dim]
    if not parts:
        return fixed
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]
