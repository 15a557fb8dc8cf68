"""The PostGIS side of filter translation: PostGIS's own predicates (GiST-assisted) and LIKE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import shapely

from vkc.store.filter_sql import SqlDialect
from vkc.store.model import FieldType

_FUNCTIONS = {
    "s_intersects": "ST_Intersects",
    "s_disjoint": "ST_Disjoint",
    "s_equals": "ST_Equals",
    "s_touches": "ST_Touches",
    "s_within": "ST_Within",
    "s_overlaps": "ST_Overlaps",
    "s_crosses": "ST_Crosses",
    "s_contains": "ST_Contains",
}


class PostGISDialect(SqlDialect):
    placeholder = "%s"

    def time_value(self, value: datetime) -> Any:
        return value

    def value(self, value: Any, ftype: FieldType) -> Any:
        return value if ftype == "boolean" else super().value(value, ftype)

    def time_start_open(self) -> str:
        return "'-infinity'::timestamptz"

    def time_end_open(self) -> str:
        return "'9999-12-31 23:59:59.999+00'::timestamptz"

    def spatial(self, op: str, literal: shapely.Geometry, *, literal_first: bool) -> tuple[str, list[Any]]:
        wkb = shapely.to_wkb(literal, flavor="iso", output_dimension=2)
        lit = "ST_GeomFromWKB(%s, 4326)"
        args = f"{lit}, t.geom" if literal_first else f"t.geom, {lit}"
        return f"{_FUNCTIONS[op]}({args})", [wkb]

    def like(self, column: str, pattern: str) -> str:
        return f"{column} LIKE {pattern}"
