"""CSV with coordinate columns, streamed row by row.

Coordinates come from ``--x-field``/``--y-field`` or from columns named like
lon/lng/longitude/x and lat/latitude/y. Vietnamese survey tables write X for
northing and Y for easting; ``axis_order="ne"`` reads them that way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import shapely

from vkc.errors import FormatError, InputError
from vkc.layers.source import RawBatch, file_size

_X_NAMES = ("lon", "lng", "long", "longitude", "x", "easting", "kinh_do", "kinhdo")
_Y_NAMES = ("lat", "latitude", "y", "northing", "vi_do", "vido")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")


class CSVSource:
    format = "csv"
    declared_crs = None
    splittable = False
    position_label = "row "  # positions are line numbers as a spreadsheet shows them (the header is row 1)

    def __init__(
        self,
        path: str,
        *,
        x_field: str | None = None,
        y_field: str | None = None,
        axis_order: str = "en",
        delimiter: str | None = None,
    ) -> None:
        if axis_order not in ("en", "ne"):
            raise InputError(f"axis order {axis_order!r}: use 'en' (x = easting/longitude) or 'ne' (X = northing, as Vietnamese survey tables)")
        self.path = path
        self._total = file_size(path)
        self._raw = open(path, "rb")
        self._fh = io.TextIOWrapper(self._raw, encoding="utf-8-sig", newline="")
        try:
            self._inspect(path, x_field, y_field, axis_order, delimiter)
        except BaseException:
            self._fh.close()
            raise

    def _inspect(self, path: str, x_field: str | None, y_field: str | None, axis_order: str, delimiter: str | None) -> None:
        try:
            sample = self._fh.read(64 * 1024)
        except UnicodeDecodeError as exc:
            raise FormatError(f"{path}: not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r} at {exc.start}): save the CSV as UTF-8") from None
        self._fh.seek(0)
        if "\x00" in sample:
            raise FormatError(f"{path}: not a CSV text file (binary content)")
        if delimiter is None:
            try:
                delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0] + "\n", delimiters=",;\t|").delimiter
            except csv.Error:
                delimiter = ","
        self._reader = csv.reader(self._fh, delimiter=delimiter)
        try:
            self.header = next(self._reader)
        except StopIteration as exc:
            raise FormatError(f"{path}: the CSV file is empty") from exc
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FormatError(f"{path}: not a readable UTF-8 CSV file: {exc}") from exc
        lower = {h.strip().lower(): h for h in self.header}
        self.wkt_field = None
        if x_field is None and y_field is None:
            self.wkt_field = next((lower[n] for n in _WKT_NAMES if n in lower), None)
        if self.wkt_field is None:
            x = x_field or next((lower[n] for n in _X_NAMES if n in lower), None)
            y = y_field or next((lower[n] for n in _Y_NAMES if n in lower), None)
            for given, name in ((x_field, "--x-field"), (y_field, "--y-field")):
                if given is not None and given not in self.header:
                    raise InputError(f"{path}: no column {given!r} for {name}; columns: {', '.join(self.header)}")
            if x is None or y is None:
                raise FormatError(
                    f"{path}: no coordinate columns found (looked for lon/lat, x/y or a WKT column); "
                    f"columns: {', '.join(self.header)}; name them with --x-field and --y-field"
                )
            if axis_order == "ne":
                # Survey tables: the column called X holds northing, Y holds easting.
                x, y = y, x
            self.x_field, self.y_field = x, y

    def progress(self) -> tuple[int, int]:
        try:
            return self._raw.tell(), self._total
        except ValueError:
            return self._total, self._total

    def close(self) -> None:
        self._fh.close()

    def batches(self, size: int, part: tuple[int, int] = (0, 1)) -> Iterator[RawBatch]:
        if part != (0, 1):
            raise ValueError(f"{type(self).__name__} cannot be read in parts")
        position = 0
        rows: list[list[str]] = []
        try:
            for row in self._reader:
                if not any(cell.strip() for cell in row):
                    continue
                rows.append(row)
                if len(rows) >= size:
                    yield self._batch(rows, position)
                    position += len(rows)
                    rows = []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FormatError(f"{self.path}: row {position + len(rows) + 2}: {exc}") from exc
        if rows:
            yield self._batch(rows, position)

    def _batch(self, rows: list[list[str]], offset: int) -> RawBatch:
        n = len(rows)
        geometries = np.empty(n, dtype=object)
        errors: dict[int, str] = {}
        props: list[dict[str, Any]] = []
        skip = {self.wkt_field} if self.wkt_field else {self.x_field, self.y_field}
        width = len(self.header)
        for i, row in enumerate(rows):
            if len(row) != width:
                raise FormatError(f"{self.path}: row {offset + i + 2} has {len(row)} fields, the header has {width}")
            record = dict(zip(self.header, row))
            props.append({k: _typed(v) for k, v in record.items() if k not in skip})
            try:
                if self.wkt_field:
                    text = record[self.wkt_field].strip()
                    geometries[i] = shapely.from_wkt(text) if text else None
                else:
                    xs, ys = record[self.x_field].strip(), record[self.y_field].strip()
                    if xs or ys:
                        geometries[i] = shapely.Point(float(xs.replace(",", ".")), float(ys.replace(",", ".")))
            except (ValueError, shapely.errors.GEOSException) as exc:
                errors[i] = f"unreadable coordinates: {exc}"
        return RawBatch(
            positions=list(range(offset + 2, offset + n + 2)),  # row numbers as a spreadsheet shows them
            ids=[None] * n,
            geometries=geometries,
            properties=props,
            errors=errors,
        )


def _typed(text: str) -> Any:
    """CSV cells are text; give numbers their type so the schema is useful."""
    s = text.strip()
    if s == "":
        return None
    if s.lstrip("-").isdigit() and not (len(s.lstrip("-")) > 1 and s.lstrip("-").startswith("0")):
        try:
            return int(s)
        except ValueError:
            return s
    try:
        if any(c.isdigit() for c in s) and s.lower() not in ("nan", "inf", "-inf", "infinity"):
            return float(s)
    except ValueError:
        pass
    return text
