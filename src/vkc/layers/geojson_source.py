"""Streaming GeoJSON (RFC 7946 and the 2008 form with a ``crs`` member) and GeoJSON sequences.

The FeatureCollection is parsed incrementally with ijson's C backend, so
memory stays flat whatever the file size; how deep the file nests is
checked as it is read (:mod:`vkc.layers.json_depth`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import ijson
import numpy as np
import orjson
import shapely

from vkc.errors import FormatError
from vkc.layers.json_depth import DepthGuard
from vkc.layers.source import RawBatch, SplitUnsupported, file_size

_HEAD = 1 << 16


class _NotLineOriented(Exception):
    """The file is not laid out one feature per line."""
_POINT = "Point"


class GeoJSONSource:
    format = "geojson"
    position_label = "feature #"

    def __init__(self, path: str, *, sequence: bool = False) -> None:
        self.path = path
        self.sequence = sequence
        self._fh: IO[bytes] = open(path, "rb")
        try:
            self._inspect(path)
        except BaseException:
            self._fh.close()
            raise

    def _inspect(self, path: str) -> None:
        self._total = file_size(path)
        head = self._fh.read(_HEAD)
        self._fh.seek(0)
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x1e")
        if not stripped:
            raise FormatError(f"{path}: the file is empty, not GeoJSON")
        if not stripped.startswith(b"{"):
            raise FormatError(f"{path}: not GeoJSON (it does not start with a JSON object)")
        self.declared_crs = _declared_crs(head) if not self.sequence else None
        self._top_type = _top_level_type(head)

    def progress(self) -> tuple[int, int]:
        try:
            return self._fh.tell(), self._total
        except ValueError:
            return self._total, self._total

    def close(self) -> None:
        self._fh.close()

    def _features(self, skip: int = 0) -> Iterator[Any]:
        if self.sequence:
            for number, line in enumerate(self._fh, 1):
                line = line.strip(b"\x1e \t\r\n")
                if not line:
                    continue
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise FormatError(f"{self.path}: line {number} is not valid JSON: {exc}") from exc
            return
        if self._top_type == "Feature":
            try:
                yield orjson.loads(self._fh.read())
            except orjson.JSONDecodeError as exc:
                raise FormatError(f"{self.path}: malformed JSON: {exc}") from None
            return
        if self._top_type not in (None, "FeatureCollection"):
            raise FormatError(
                f"{self.path}: a GeoJSON {self._top_type} object; expected a FeatureCollection or Feature"
            )
        found = False
        try:
            for number, item in enumerate(ijson.items(DepthGuard(self._fh, self.path), "features.item", use_float=True)):
                found = True
                if number >= skip:  # the first ones were delivered by the line reader already
                    yield item
        except ijson.JSONError as exc:
            raise FormatError(f"{self.path}: malformed JSON: {exc}") from exc
        if not found:
            self._fh.seek(0)
            try:
                top = next(ijson.items(DepthGuard(self._fh, self.path), "", use_float=True))
            except (ijson.JSONError, StopIteration) as exc:
                raise FormatError(f"{self.path}: malformed JSON: {exc}") from exc
            if not isinstance(top, dict) or top.get("type") != "FeatureCollection" or not isinstance(top.get("features"), list):
                raise FormatError(f"{self.path}: not a GeoJSON FeatureCollection (no 'features' array)")

    @property
    def splittable(self) -> bool:
        return not self.sequence and self._top_type in (None, "FeatureCollection")

    def _lines(self, size: int, part: tuple[int, int]) -> Iterator[tuple[int, list[Any]]]:
        """The fast path for files written one feature per line (as GDAL and most tools write them).

        Yields (position of the first feature, parsed features) for every batch
        ``i`` with ``i % n == k`` where ``part == (k, n)``: with n readers, each
        parses its share of the lines. Raises _NotLineOriented, before or while
        reading, for any other layout.
        """
        k, n = part
        header = b""
        for _ in range(200):
            line = self._fh.readline()
            if not line:
                raise _NotLineOriented
            header += line
            if b'"features"' in line and line.rstrip().endswith(b"["):
                break
            if len(header) > _HEAD:
                raise _NotLineOriented
        else:
            raise _NotLineOriented
        lines: list[bytes] = []
        count = 0  # feature lines seen, in every part
        closed = False
        for line in self._fh:
            text = line.strip()
            if text.startswith(b"{"):
                if (count // size) % n == k:
                    lines.append(text[:-1] if text.endswith(b",") else text)
                    if len(lines) >= size:
                        yield count - size + 2, _parse_lines(lines)
                        lines = []
                count += 1
            elif text.startswith(b"]"):
                closed = True
                break
            elif text:
                raise _NotLineOriented
        if lines:
            yield count - len(lines) + 1, _parse_lines(lines)
        if not closed:
            raise _NotLineOriented  # no closing bracket: let ijson report where the file is cut

    def batches(self, size: int, part: tuple[int, int] = (0, 1)) -> Iterator[RawBatch]:
        delivered = 0
        if self.splittable:
            try:
                for first, features in self._lines(size, part):
                    yield _to_batch(self.path, features, first)
                    delivered = first + len(features) - 1
                return
            except _NotLineOriented:
                if part != (0, 1):
                    raise SplitUnsupported(self.path) from None
                self._fh.seek(0)
        pending: list[Any] = []
        position = delivered
        for feature in self._features(skip=delivered):
            position += 1
            pending.append(feature)
            if len(pending) >= size:
                yield _to_batch(self.path, pending, position - len(pending) + 1)
                pending = []
        if pending:
            yield _to_batch(self.path, pending, position - len(pending) + 1)


def _parse_lines(lines: list[bytes]) -> list[Any]:
    try:
        return orjson.loads(b"[" + b",".join(lines) + b"]")
    except orjson.JSONDecodeError:
        raise _NotLineOriented from None


def _declared_crs(head: bytes) -> str | None:
    """The 2008-style ``crs`` member (GDAL still writes it for non-WGS 84 data), if it precedes the features."""
    features_at = head.find(b'"features"')
    crs_at = head.find(b'"crs"')
    if crs_at < 0 or (0 <= features_at < crs_at):
        return None
    match = re.search(rb'"crs"\s*:\s*\{.*?"name"\s*:\s*"([^"]+)"', head[crs_at:], re.S)
    return match.group(1).decode() if match else None


def _top_level_type(head: bytes) -> str | None:
    depth = 0
    # cheap: only look for "type" at nesting depth 1 within the head
    for match in re.finditer(rb'[{}\[\]]|"type"\s*:\s*"(\w+)"', head):
        token = match.group(0)
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
        elif depth == 1:
            return match.group(1).decode()
    return None


def _to_batch(path: str, features: list[Any], first: int) -> RawBatch:
    n = len(features)
    positions = list(range(first, first + n))
    try:
        # the common case in a few C-speed passes; anything unusual falls to the checked loop below
        if any(type(f) is not dict or f["type"] != "Feature" for f in features):
            raise TypeError
        raw_geoms = [f["geometry"] for f in features]
        props = [f["properties"] or {} for f in features]
        if any(type(p) is not dict for p in props):
            raise TypeError
        ids = [f.get("id") for f in features]
    except (KeyError, TypeError):
        return _to_batch_checked(path, features, first)
    if any(i is not None for i in ids):
        ids = [None if i is None else str(i) for i in ids]
    geometries = np.empty(n, dtype=object)
    errors: dict[int, str] = {}
    try:
        if all(type(g) is dict and g["type"] == _POINT for g in raw_geoms):
            xy = np.asarray([g["coordinates"] for g in raw_geoms], dtype=float)
            if xy.ndim == 2 and xy.shape[1] in (2, 3):
                geometries[:] = shapely.points(xy[:, :2])
                return RawBatch(positions=positions, ids=ids, geometries=geometries, properties=props, errors=errors)
    except (KeyError, TypeError, ValueError):
        pass
    _build_geometries(raw_geoms, geometries, errors)
    return RawBatch(positions=positions, ids=ids, geometries=geometries, properties=props, errors=errors)


def _to_batch_checked(path: str, features: list[Any], first: int) -> RawBatch:
    n = len(features)
    positions = list(range(first, first + n))
    ids: list[str | None] = []
    props: list[dict[str, Any]] = []
    raw_geoms: list[Any] = []
    for i, feat in enumerate(features):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            kind = feat.get("type") if isinstance(feat, dict) else type(feat).__name__
            raise FormatError(f"{path}: feature #{positions[i]} is not a GeoJSON Feature (type {kind!r})")
        fid = feat.get("id")
        ids.append(None if fid is None else str(fid))
        p = feat.get("properties")
        if p is not None and not isinstance(p, dict):
            raise FormatError(f"{path}: feature #{positions[i]}: 'properties' must be an object or null")
        props.append(p or {})
        raw_geoms.append(feat.get("geometry"))
    geometries = np.empty(n, dtype=object)
    errors: dict[int, str] = {}
    _build_geometries(raw_geoms, geometries, errors)
    return RawBatch(positions=positions, ids=ids, geometries=geometries, properties=props, errors=errors)


def _build_geometries(raw_geoms: list[Any], geometries: np.ndarray, errors: dict[int, str]) -> None:
    point_idx: list[int] = []
    point_xy: list[Any] = []
    other_idx: list[int] = []
    other_json: list[bytes] = []
    for i, geom in enumerate(raw_geoms):
        if geom is None:
            continue
        if not isinstance(geom, dict):
            errors[i] = "'geometry' is not an object"
            continue
        coords = geom.get("coordinates")
        if geom.get("type") == _POINT and isinstance(coords, list) and len(coords) in (2, 3):
            point_idx.append(i)
            point_xy.append(coords[:2])
        else:
            other_idx.append(i)
            other_json.append(orjson.dumps(geom))
    if point_idx:
        try:
            xy = np.asarray(point_xy, dtype=float)
            geometries[point_idx] = shapely.points(xy)
        except (ValueError, TypeError):
            for i, c in zip(point_idx, point_xy):
                try:
                    geometries[i] = shapely.points(np.asarray(c, dtype=float))
                except (ValueError, TypeError):
                    errors[i] = f"Point coordinates {c!r} are not numbers"
    if other_idx:
        built = shapely.from_geojson(np.array(other_json, dtype=object), on_invalid="ignore")
        for i, g, raw in zip(other_idx, built.tolist(), other_json):
            if g is None:
                errors[i] = _why_unreadable(raw)
            else:
                geometries[i] = g


def _why_unreadable(raw: bytes) -> str:
    try:
        shapely.from_geojson(raw)
    except Exception as exc:  # GEOS explains what is wrong better than we could
        return f"unreadable geometry: {str(exc).splitlines()[0]}"
    return "unreadable geometry"
