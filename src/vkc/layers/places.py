"""Where a feature lies, for province grants: inside a province's boundary as the unit was on the grant's date.

A grant ``province:35@2024-01-01`` is on the unit with GSO code 35 valid on
2024-01-01 (Hà Nam). It covers a change on a day that unit is still valid,
for a feature whose geometry lies within its boundary; after the 2025
reform Hà Nam is no longer valid and the grant covers nothing (Ninh Bình
since 2025-07-01 is another unit, granted as ``province:37@2025-07-01``).
A feature without geometry lies in no province.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import shapely

from vkc import admin
from vkc.errors import NotFoundError


@dataclass(frozen=True)
class FeaturePlace:
    """A feature's geometry (CRS84) on the day of a change."""

    geometry: shapely.Geometry | None
    day: date = field(default_factory=date.today)

    def within(self, province: str) -> bool:
        if self.geometry is None:
            return False
        code, _, since = province.partition("@")
        try:
            unit = admin.get(code, on=since)
        except NotFoundError:
            return False
        return unit.valid_on(self.day) and bool(unit.geometry.covers(self.geometry))
