"""How many features of each collection lie in an administrative unit, counted by the store.

A feature lies in a unit when its geometry intersects the unit's boundary
(as the unit was on the date asked about: a GSO code is a key only with a
date, :mod:`vkc.admin`). The question goes to the store as the OGC API's
``S_INTERSECTS`` filter does (:class:`~vkc.store.filters.Spatial` in a
:class:`~vkc.store.model.Query`), and the store answers it as it answers
``numberMatched``: in SQL, narrowed to candidates through the geometries'
index (R*Tree, GiST) before the exact test, never by reading the features.
Features without a geometry lie in no unit. Feature times are not
considered: a count is of what the collection holds now.
"""

from __future__ import annotations

from collections.abc import Collection as Names
from dataclasses import dataclass
from datetime import date

import shapely

from vkc import admin
from vkc.store import Store
from vkc.store import filters as F
from vkc.store.model import Query


@dataclass(frozen=True)
class CollectionCount:
    """The features of one collection that intersect an area; ``exact`` is False when the store gave an estimate."""

    name: str
    title: str
    count: int
    exact: bool


def intersecting(area: shapely.Geometry) -> Query:
    """The query of the features whose geometry intersects ``area`` (CRS84)."""
    return Query(filter=F.Spatial("s_intersects", F.Prop("geometry"), area))


def count_intersecting(store: Store, area: shapely.Geometry, *, exclude: Names[str] = ()) -> list[CollectionCount]:
    """Per collection (by name, leaving out ``exclude``), how many features intersect ``area`` (CRS84)."""
    query = intersecting(area)
    counts = []
    for coll in store.collections(count=False):
        if coll.name in exclude:
            continue
        count, exact = store.number_matched(coll, query)
        counts.append(CollectionCount(coll.name, coll.title or coll.name, count, exact))
    return counts


def counts_in_unit(store: Store, gso_code: str, on: date | str | None = None, *, units_collection: str = admin.COLLECTION) -> list[CollectionCount]:
    """Per collection, how many features lie in the unit with ``gso_code`` valid on ``on`` (default today); the
    collection of the units themselves is left out. Raises NotFoundError for a code no unit had on that date,
    InputError for a date that is not YYYY-MM-DD."""
    unit = admin.get(gso_code, on)
    return count_intersecting(store, unit.geometry, exclude=(units_collection,))


__all__ = ["CollectionCount", "count_intersecting", "counts_in_unit", "intersecting"]
