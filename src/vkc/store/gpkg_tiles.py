"""Thinned point tiles on the embedded store: the few points that can stand for their cells, chosen in SQL.

Below the full-point zoom a tile keeps one point per cell of its grid, the
lowest row key of the cell (:mod:`vkc.ogc.tiles`). Read naively, a z8 tile over
Hà Nội reads and decodes 450 000 points to keep 6 000 of them (5 s on one core).
Here SQLite reads only the R*Tree and answers a small superset of the points kept:

- a point whose R*Tree box (32-bit, rounded outwards) lies inside the tile's box
  and falls in one cell whatever its true position within that box is certain of
  its cell: only the lowest row key of each such cell comes back;
- every other point (its box straddles a cell's edge or the tile box's) comes back
  as it is, for the caller to place exactly.

The lowest key of every cell is in the answer (a cell's certain points yield their
lowest; its uncertain ones all come), so the caller's exact thinning over the
answer gives the same tile as over every point. ``EDGE`` widens each box by a
margin far above the rounding differences between SQLite's and numpy's
arithmetic, so nothing near an edge is taken as certain.
"""

from __future__ import annotations

from typing import Any

from vkc.store.gpkg_schema import q

#: tile units by which a box is widened before its cell is taken as certain
EDGE = 1e-4
_LAT = 85.0511287798  # Web Mercator's latitude limit
# A certain cell's group key, (column + _OFFSET) * _SPAN + row + _OFFSET, is positive and distinct (a point
# inside the tile's box lies a buffer's width from the tile at most); an uncertain point's is minus its key.
_OFFSET = 1 << 10
_SPAN = 1 << 21


def _cell_x(column: str, edge: str) -> str:
    """The cell column of a longitude: floor of the tile unit (rounded to the grid) over the cell size."""
    return f"floor((({column} + 180.0) / 360.0 * :scale - :x0 {edge} + 0.5) / :cell)"


def _cell_y(column: str, edge: str) -> str:
    lat = f"radians(max(min({column}, {_LAT}), -{_LAT}))"
    return f"floor(((1.0 - ln(tan({lat}) + 1.0 / cos({lat})) / pi()) / 2.0 * :scale - :y0 {edge} + 0.5) / :cell)"


def candidates_sql(
    rtree: str, z: int, x: int, y: int, bbox: tuple[float, float, float, float], *, extent: int, cell: int
) -> tuple[str, dict[str, Any]]:
    """SQL (named parameters) for the row keys of the points that may stand for their cells in tile ``z/x/y``
    (rows and columns of ``extent`` units, cells of ``cell`` units), among those whose box meets ``bbox``."""
    minx, maxx, miny, maxy = (q(c) for c in ("minx", "maxx", "miny", "maxy"))
    # a cell's column grows with longitude, its row falls with latitude
    cells = (
        f"{_cell_x(minx, '- :edge')} AS x_lo, {_cell_x(maxx, '+ :edge')} AS x_hi, "
        f"{_cell_y(maxy, '- :edge')} AS y_lo, {_cell_y(miny, '+ :edge')} AS y_hi, "
        f"{minx} >= :west AND {maxx} <= :east AND {miny} >= :south AND {maxy} <= :north AS inside"
    )
    # LIMIT -1 keeps the subquery from being flattened into the grouping, which would compute each cell twice
    boxes = (
        f"SELECT id, {cells} FROM {q(rtree)} "
        f"WHERE {minx} <= :east AND {maxx} >= :west AND {miny} <= :north AND {maxy} >= :south LIMIT -1"
    )
    certain = "inside AND x_lo = x_hi AND y_lo = y_hi"
    sql = f"SELECT min(id) FROM ({boxes}) GROUP BY CASE WHEN {certain} THEN (x_lo + {_OFFSET}) * {_SPAN} + y_lo + {_OFFSET} ELSE -id END"
    west, south, east, north = bbox
    params = {
        "scale": float((1 << z) * extent),
        "x0": float(x * extent),
        "y0": float(y * extent),
        "cell": float(cell),
        "edge": EDGE,
        "west": west,
        "south": south,
        "east": east,
        "north": north,
    }
    return sql, params
