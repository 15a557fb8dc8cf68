"""Which requests to the features component's routes are costly: their cost grows with the data, not with what a dashboard shows.

A page of more than :data:`COSTLY_LIMIT` features, an items request with a
CQL2 ``filter`` (it may scan the collection), a vector tile of zoom below
:data:`COSTLY_ZOOM` (it reads most of a layer) unless the tile is kept in memory
(:mod:`vkc.ogc.tile_cache`), a download (the whole layer). The server runs them a few at
a time (:mod:`vkc.web.costly`).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from vkc.ogc import tile_cache

#: an items page of more features than this is costly (the default page is 10; dashboards ask for 10–100)
COSTLY_LIMIT = 100
#: a vector tile of a zoom below this is costly (at zoom 10 a tile spans a city)
COSTLY_ZOOM = 11


def costly_request(method: str, path: str, query: str) -> str | None:
    """Why a request is costly ("large page", "filter", "low-zoom tile", "download"), or None when it is not."""
    if method not in ("GET", "HEAD"):
        return None
    parts = path.strip("/").split("/")
    if len(parts) < 4 or parts[0] != "ogc" or parts[1] != "collections":
        return None
    if len(parts) == 4 and parts[3] == "items":
        params = dict(parse_qsl(query))
        if params.get("filter"):
            return "filter"
        limit = params.get("limit", "")
        if limit.isdigit() and int(limit) > COSTLY_LIMIT:
            return "large page"
        return None
    if len(parts) == 4 and parts[3] == "download":
        return "download"
    if len(parts) == 8 and parts[3] == "tiles" and parts[5].isdigit() and int(parts[5]) < COSTLY_ZOOM:
        z, y, x = (int(p) if p.isdigit() else -1 for p in parts[5:8])
        if tile_cache.TILES.holds(parts[2], z, x, y):
            return None  # kept in memory: answering it is a lookup (its revision is checked then)
        return "low-zoom tile"
    return None
