"""What every input format yields: batches of raw features in the source's CRS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass
class RawBatch:
    """Features as read, before validation, reprojection and id assignment.

    ``errors`` maps an index in the batch to why its geometry could not even
    be built (the geometry is None there).
    """

    positions: list[int]  # 1-based feature (or row) number in the file, for messages
    ids: list[str | None]  # the source's own ids, if it has any
    geometries: np.ndarray  # object array of shapely geometries (None where absent or unreadable)
    properties: list[dict[str, Any]]
    errors: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.positions)


class SplitUnsupported(Exception):
    """The file cannot be read in parts after all (found out while reading); read it in one piece."""


class Source(Protocol):
    """An opened input file."""

    path: str
    format: str
    #: the CRS the file declares (WKT, 'EPSG:n', ...) or None
    declared_crs: str | None

    #: whether ``batches(size, part=(k, n))`` can read every n-th batch independently
    splittable: bool
    #: how messages name a position of ``RawBatch.positions``: ``feature #`` (the n-th feature), ``row `` (a CSV line)
    position_label: str

    def batches(self, size: int, part: tuple[int, int] = (0, 1)) -> Iterator[RawBatch]: ...

    def progress(self) -> tuple[int, int]:
        """(bytes read so far, total bytes) for a progress bar."""
        ...

    def close(self) -> None: ...


def file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
