"""The piecewise-linear index scale shared by VN_AQI and the US EPA AQI.

Both methods map a concentration to an index by linear interpolation between
breakpoints (Decision 1459/QĐ-TCMT, section 2.2.1.b, "Công thức 1/2"; EPA
TAD EPA-454/B-24-002, section IV, equation 1):

    I = (I_hi - I_lo) / (BP_hi - BP_lo) * (C - BP_lo) + I_lo
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal


@dataclass(frozen=True)
class Segment:
    """One row of a breakpoint table: concentrations ``low..high`` map to indices ``index_low..index_high``."""

    low: float
    high: float
    index_low: int
    index_high: int

    def interpolate(self, concentration: float) -> float:
        """The index of ``concentration`` on this segment's line (also used to extrapolate past ``high``)."""
        slope = (self.index_high - self.index_low) / (self.high - self.low)
        return slope * (concentration - self.low) + self.index_low


def chain(breakpoints: tuple[float, ...], indices: tuple[int, ...]) -> tuple[Segment, ...]:
    """Segments of a table whose neighbouring rows share a breakpoint (VN_AQI Table 2: 0, 25, 50, ... for PM2.5).

    Segment ``i`` runs from ``breakpoints[i]`` (index ``indices[i]``) to ``breakpoints[i + 1]``
    (index ``indices[i + 1]``), exactly as the decision's BP_i and BP_i+1 are defined.
    """
    return tuple(Segment(breakpoints[i], breakpoints[i + 1], indices[i], indices[i + 1]) for i in range(len(breakpoints) - 1))


def find_segment(table: tuple[Segment, ...], concentration: float) -> Segment | None:
    """The first segment whose upper breakpoint is at or above ``concentration``; None above the table."""
    for segment in table:
        if concentration <= segment.high:
            return segment
    return None


def round_half_up(value: float) -> int:
    """Round to the nearest integer, halves upwards (59.5 -> 60), as both documents' examples do.

    The value is first rounded to 9 decimals so that a float such as
    109.49999999999999 that stands for 109.5 still rounds up.
    """
    return math.floor(round(value, 9) + 0.5)


def truncate(value: float, decimals: int) -> float:
    """Cut ``value`` to ``decimals`` places without rounding (EPA's truncation), decimal-exact."""
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_DOWN))
