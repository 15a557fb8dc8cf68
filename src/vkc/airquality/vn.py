"""VN_AQI sub-indices, as Decision 1459/QĐ-TCMT (Tổng cục Môi trường, 12 November 2019) defines them.

Sources in the decision's guidance ("Hướng dẫn kỹ thuật tính toán và công bố VN_AQI"):

* Table 2 ("Bảng 2: Các giá trị BPi đối với các thông số"): breakpoints in µg/m³ for
  index levels I_i = 0, 50, 100, 150, 200, 300, 400, 500. O3 (8h) stops at 400 µg/m³
  (I = 300); the table's last row reads "≥ BP" for index 500.
* Section 2.2.1.b, "Công thức 1" and "Công thức 2": linear interpolation between
  BP_i and BP_i+1 (hourly: the hourly mean for O3, CO, SO2, NO2 with the O3 (1h)
  column; the NowCast for PM10 and PM2.5).
* Section 2.2.2.b: daily sub-indices from 24-hour means (PM), daily 1-hour maxima
  (CO, SO2, NO2) and, for O3, both the daily 1-hour maximum (O3 (1h) column) and
  the daily 8-hour maximum (O3 (8h) column); the O3 sub-index is not computed from
  the 8-hour maximum above 400 µg/m³, only from the 1-hour maximum.

Above the last breakpoint the decision defines no line: Table 2 maps "≥ BP_8" to
index 500 and Table 1's scale ends at 500, so the sub-index is 500 there.
"""

from __future__ import annotations

from vkc.airquality.scale import Segment, chain, find_segment, round_half_up

LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)

#: Decision 1459/QĐ-TCMT, Table 2, in µg/m³ (CO too: 10.000 µg/m³ = 10 mg/m³).
BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 120, 170, 210, 400),
    "co": (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000),
    "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}

TABLES: dict[str, tuple[Segment, ...]] = {name: chain(bps, LEVELS[: len(bps)]) for name, bps in BREAKPOINTS.items()}

#: O3 (8h) ends at 400 µg/m³; above it the decision computes O3 from the 1-hour maximum only.
O3_8H_LIMIT = BREAKPOINTS["o3_8h"][-1]


def exact_sub_index(column: str, concentration: float) -> float | None:
    """The unrounded sub-index of ``concentration`` (µg/m³) on one Table 2 column.

    ``column`` is one of ``pm25``, ``pm10`` (pass the NowCast or the 24-hour mean),
    ``o3_1h``, ``o3_8h``, ``co``, ``so2``, ``no2``. Returns 500 at or above the top
    breakpoint, and None for ``o3_8h`` above 400 µg/m³ (no index defined there).
    """
    table = TABLES[column]
    segment = find_segment(table, concentration)
    if segment is None:
        return None if column == "o3_8h" else float(LEVELS[-1])
    return segment.interpolate(concentration)


def sub_index(column: str, concentration: float) -> int | None:
    """The sub-index (AQIx) rounded to an integer, or None where the table defines none; see :func:`exact_sub_index`."""
    value = exact_sub_index(column, concentration)
    return None if value is None else round_half_up(value)


def exact_daily_o3(o3_1h_max: float | None, o3_8h_max: float | None) -> float | None:
    """The daily O3 sub-index: the higher of the 1-hour-maximum and 8-hour-maximum sub-indices.

    Section 2.2.2.b says O3's Cx is "the larger of" the two maxima, each read
    against its own Table 2 column; the decision's worked example (section 2.3.c)
    computes AQI(O3 8h) = 45 and AQI(O3 1h) = 36 separately, so the two
    sub-indices are compared. The 8-hour maximum is ignored above 400 µg/m³.
    """
    candidates = []
    if o3_1h_max is not None:
        candidates.append(exact_sub_index("o3_1h", o3_1h_max))
    if o3_8h_max is not None:
        candidates.append(exact_sub_index("o3_8h", o3_8h_max))
    values = [v for v in candidates if v is not None]
    return max(values) if values else None


def daily_o3(o3_1h_max: float | None, o3_8h_max: float | None) -> int | None:
    """:func:`exact_daily_o3` rounded to an integer."""
    value = exact_daily_o3(o3_1h_max, o3_8h_max)
    return None if value is None else round_half_up(value)


def pm25(concentration: float) -> int | None:
    """PM2.5 sub-index from a NowCast (hourly) or 24-hour mean (daily), µg/m³."""
    return sub_index("pm25", concentration)


def pm10(concentration: float) -> int | None:
    """PM10 sub-index from a NowCast (hourly) or 24-hour mean (daily), µg/m³."""
    return sub_index("pm10", concentration)


def o3_1h(concentration: float) -> int | None:
    """O3 sub-index from a 1-hour mean (hourly) or daily 1-hour maximum, µg/m³."""
    return sub_index("o3_1h", concentration)


def o3_8h(concentration: float) -> int | None:
    """O3 sub-index from a daily 8-hour maximum, µg/m³; None above 400 µg/m³."""
    return sub_index("o3_8h", concentration)


def co(concentration: float) -> int | None:
    """CO sub-index from a 1-hour mean or daily 1-hour maximum, µg/m³."""
    return sub_index("co", concentration)


def so2(concentration: float) -> int | None:
    """SO2 sub-index from a 1-hour mean or daily 1-hour maximum, µg/m³."""
    return sub_index("so2", concentration)


def no2(concentration: float) -> int | None:
    """NO2 sub-index from a 1-hour mean or daily 1-hour maximum, µg/m³."""
    return sub_index("no2", concentration)
