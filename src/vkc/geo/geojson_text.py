"""GeoJSON geometry text written in bulk, without GEOS's GeoJSON writer.

Coordinates go from shapely's ragged arrays (one coordinate array and its
offsets per geometry family) straight to orjson's numpy serialiser. The decimal
text is the same shortest round-trip form GEOS writes, so a client reads back
the very doubles stored, and a page of polygons is written about 2.5 times
faster (``bench/results/api.md``). Empty geometries, linear rings, collections
and families mixing 2D and 3D go through ``shapely.to_geojson``, as do
small inputs, for which it is the faster.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import shapely

from vkc.geo.geometry_types import type_name

#: the single and multi type ids of each family ``shapely.to_ragged_array`` writes
_FAMILIES = ((0, 4), (1, 5), (3, 6))
_SINGLE_IDS = frozenset({0, 1, 3})
_FEW_COORDINATES = 2000


def geojson_texts(geoms: np.ndarray) -> list[bytes | None]:
    """Each geometry's GeoJSON ``geometry`` member as UTF-8 text (None for a missing geometry)."""
    out: list[bytes | None] = [None] * len(geoms)
    if shapely.get_num_coordinates(geoms).sum() < _FEW_COORDINATES:  # the set-up below costs more than it saves
        return [None if text is None else text.encode() for text in shapely.to_geojson(geoms).tolist()]
    types = shapely.get_type_id(geoms)
    plain = ~shapely.is_empty(geoms)
    has_z = shapely.has_z(geoms)
    written = np.zeros(len(geoms), dtype=bool)
    for family in _FAMILIES:
        members = np.flatnonzero(np.isin(types, family) & plain)
        if not len(members):
            continue
        z = has_z[members]
        if z.any() and not z.all():
            continue  # a family mixing 2D and 3D: the fallback writes each as it is
        kind, coords, offsets = shapely.to_ragged_array(geoms[members], include_z=bool(z[0]))
        unwrap_single = kind.name.startswith("MULTI")  # singles mixed with multi-parts come back as one-part multis
        for index, coordinates in zip(members.tolist(), _nested(coords, offsets)):
            type_id = int(types[index])
            if unwrap_single and type_id in _SINGLE_IDS:
                coordinates = coordinates[0]
            out[index] = orjson.dumps({"type": type_name(type_id), "coordinates": coordinates}, option=orjson.OPT_SERIALIZE_NUMPY)
        written[members] = True
    rest = np.flatnonzero(~written & (types >= 0))
    if len(rest):
        for index, text in zip(rest.tolist(), shapely.to_geojson(geoms[rest]).tolist()):
            out[index] = text.encode()
    return out


def _nested(coords: np.ndarray, offsets: tuple[np.ndarray, ...]) -> list[Any]:
    """Per geometry, its coordinates nested as GeoJSON nests them (row views of ``coords``, no copies)."""
    parts: Any = coords
    for level in offsets:
        bounds = level.tolist()
        parts = [parts[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]
    return list(parts)
