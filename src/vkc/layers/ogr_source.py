"""GeoPackage, (zipped) Shapefile and any other vector format GDAL reads, streamed in Arrow batches via pyogrio."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely

from vkc.errors import CRSError, FormatError
from vkc.layers.source import RawBatch, file_size


def _open_error(path: str, fmt: str, exc: Exception) -> FormatError:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return FormatError(f"{path}: cannot be read as {fmt}: {first}")


class OGRSource:
    splittable = False
    position_label = "feature #"

    def __init__(self, path: str, *, fmt: str, layer: str | None = None) -> None:
        import pyogrio
        from pyogrio.errors import DataLayerError, DataSourceError

        self.path = path
        self.format = fmt
        self._total = file_size(path)
        self._read = 0
        open_path = path
        if fmt == "shapefile" and path.lower().endswith(".zip"):
            open_path = "/vsizip/" + os.path.abspath(path)
        try:
            layers = pyogrio.list_layers(open_path)
        except (DataSourceError, DataLayerError, OSError) as exc:
            raise _open_error(path, fmt, exc) from exc
        if len(layers) == 0:
            raise FormatError(f"{path}: contains no layers")
        if layer is None:
            if len(layers) > 1:
                names = ", ".join(str(row[0]) for row in layers)
                raise FormatError(f"{path}: holds {len(layers)} layers ({names}); choose one with --layer")
            layer = str(layers[0][0])
        self.layer = layer
        try:
            info = pyogrio.read_info(open_path, layer=layer)
        except (DataSourceError, DataLayerError) as exc:
            raise _open_error(path, fmt, exc) from exc
        self._open_path = open_path
        self.declared_crs: str | None = info.get("crs")
        self.feature_count = int(info.get("features") or 0)
        self.geometry_type_hint = info.get("geometry_type")
        if fmt == "shapefile" and self.declared_crs is None:
            self.missing_prj = True
        else:
            self.missing_prj = False

    def progress(self) -> tuple[int, int]:
        if self.feature_count:
            return self._read, self.feature_count
        return 0, self._total

    def close(self) -> None:
        pass

    def batches(self, size: int, part: tuple[int, int] = (0, 1)) -> Iterator[RawBatch]:
        if part != (0, 1):
            raise ValueError(f"{type(self).__name__} cannot be read in parts")
        from pyogrio.errors import DataLayerError, DataSourceError
        from pyogrio.raw import open_arrow

        position = 0
        try:
            with open_arrow(self._open_path, layer=self.layer, batch_size=size, use_pyarrow=True, return_fids=True) as (meta, reader):
                geom_col = meta.get("geometry_name") or "wkb_geometry"
                for record_batch in reader:
                    table = record_batch.to_pydict()
                    wkb = table.pop(geom_col, None)
                    fids = table.pop("OGC_FID", None) or table.pop("fid", None) or table.pop("__fid", None)
                    n = record_batch.num_rows
                    geometries = np.empty(n, dtype=object)
                    errors: dict[int, str] = {}
                    if wkb is not None:
                        geometries[:] = shapely.from_wkb(np.array(wkb, dtype=object), on_invalid="ignore")
                        for i, (raw, g) in enumerate(zip(wkb, geometries)):
                            if raw is not None and g is None:
                                errors[i] = "unreadable geometry (corrupt WKB)"
                    names = list(table)
                    columns = [table[k] for k in names]
                    props = [
                        {k: _plain(col[i]) for k, col in zip(names, columns)}
                        for i in range(n)
                    ]
                    ids = [None if fids is None else str(fids[i]) for i in range(n)]
                    positions = list(range(position + 1, position + n + 1))
                    position += n
                    self._read = position
                    yield RawBatch(positions=positions, ids=ids, geometries=geometries, properties=props, errors=errors)
        except (DataSourceError, DataLayerError) as exc:
            raise _open_error(self.path, self.format, exc) from exc

    def require_crs(self, given: str | None) -> None:
        if self.missing_prj and not given:
            raise CRSError(
                f"{self.path}: the Shapefile has no .prj (no coordinate reference system); "
                "pass --crs, e.g. --crs EPSG:9210 for VN-2000 TM-3 105°45′ or --crs EPSG:4326"
            )


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value
