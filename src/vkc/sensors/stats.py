"""Small statistics shared by the SQL side and the Python side of aggregation."""

from __future__ import annotations

import math


def percentile(values: list[float], q: float = 0.95) -> float | None:
    """The q-th quantile with linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class P95:
    """SQLite aggregate ``vkc_p95(x)``: the 95th percentile of the group's non-null values."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile(self.values)
