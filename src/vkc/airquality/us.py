"""US EPA AQI sub-indices, per the Technical Assistance Document EPA-454/B-24-002 (May 2024).

Sources in the TAD:

* Table 6, "Breakpoints for the AQI", with the PM2.5 rows as revised in February 2024
  (0.0-9.0, 9.1-35.4, 35.5-55.4, 55.5-125.4, 125.5-225.4, 225.5-325.4) and a single
  Hazardous row 301-500 for every pollutant. Units: O3 and CO in ppm, SO2 and NO2 in
  ppb, PM in µg/m³. O3 and CO rows are 8-hour averages (plus the 1-hour O3 rows),
  PM rows 24-hour averages (the NowCast for hourly reporting), SO2 and NO2 1-hour.
* Section IV, "Calculating the AQI": truncate the concentration (O3 to 0.001 ppm,
  PM2.5 to 0.1 µg/m³, PM10 to 1 µg/m³, CO to 0.1 ppm, SO2 and NO2 to 1 ppb), apply
  equation 1, round the index to the nearest integer.
* "Using both O3 1-hour and 8-hour values" and Table 6 footnotes 1-2: the 8-hour
  index is the rule; the 1-hour index may be calculated too and the higher reported;
  8-hour values above 0.200 ppm define no index (AQI >= 301 comes from 1-hour O3),
  and 1-hour values below 0.125 ppm define none either (blank places in the table).
* "Calculating AQI values for SO2": 1-hour SO2 defines indices up to 200 (<= 304 ppb);
  from 305 ppb the 24-hour SO2 average is used (305-604 -> 201-300, 605-1004 -> 301-500);
  if that average is below 305 ppb the index is fixed at 200.
* AQI values above 500 ("Beyond the AQI"): the Hazardous line is extended with the
  same equation; the category stays Hazardous.
"""

from __future__ import annotations

from vkc.airquality.scale import Segment, round_half_up, truncate

S = Segment

#: EPA-454/B-24-002, Table 6 (2024). Each row: low, high, index low, index high.
TABLES: dict[str, tuple[Segment, ...]] = {
    "o3_8h": (
        S(0.000, 0.054, 0, 50),
        S(0.055, 0.070, 51, 100),
        S(0.071, 0.085, 101, 150),
        S(0.086, 0.105, 151, 200),
        S(0.106, 0.200, 201, 300),
    ),
    "o3_1h": (S(0.125, 0.164, 101, 150), S(0.165, 0.204, 151, 200), S(0.205, 0.404, 201, 300), S(0.405, 0.604, 301, 500)),
    "pm25": (
        S(0.0, 9.0, 0, 50),
        S(9.1, 35.4, 51, 100),
        S(35.5, 55.4, 101, 150),
        S(55.5, 125.4, 151, 200),
        S(125.5, 225.4, 201, 300),
        S(225.5, 325.4, 301, 500),
    ),
    "pm10": (
        S(0, 54, 0, 50),
        S(55, 154, 51, 100),
        S(155, 254, 101, 150),
        S(255, 354, 151, 200),
        S(355, 424, 201, 300),
        S(425, 604, 301, 500),
    ),
    "co": (
        S(0.0, 4.4, 0, 50),
        S(4.5, 9.4, 51, 100),
        S(9.5, 12.4, 101, 150),
        S(12.5, 15.4, 151, 200),
        S(15.5, 30.4, 201, 300),
        S(30.5, 50.4, 301, 500),
    ),
    "so2_1h": (S(0, 35, 0, 50), S(36, 75, 51, 100), S(76, 185, 101, 150), S(186, 304, 151, 200)),
    "so2_24h": (S(305, 604, 201, 300), S(605, 1004, 301, 500)),
    "no2": (
        S(0, 53, 0, 50),
        S(54, 100, 51, 100),
        S(101, 360, 101, 150),
        S(361, 649, 151, 200),
        S(650, 1249, 201, 300),
        S(1250, 2049, 301, 500),
    ),
}

#: Decimal places kept when truncating (TAD section IV).
DECIMALS = {"o3_8h": 3, "o3_1h": 3, "pm25": 1, "pm10": 0, "co": 1, "so2_1h": 0, "so2_24h": 0, "no2": 0}

#: Tables whose top row ends the scale for that averaging time instead of continuing past 500.
_CLOSED_AT_TOP = {"o3_8h", "so2_1h"}

SO2_24H_FROM = 305  # ppb: from here 1-hour SO2 no longer defines the index
SO2_FIXED_INDEX = 200


def exact_sub_index(column: str, concentration: float) -> float | None:
    """The unrounded index of one Table 6 column after EPA's truncation, or None in a blank place.

    ``column``: ``o3_8h``, ``o3_1h``, ``pm25``, ``pm10``, ``co``, ``so2_1h``, ``so2_24h``, ``no2``.
    Below the first row (1-hour O3 under 0.125 ppm, 24-hour SO2 under 305 ppb) and above
    the last row of ``o3_8h`` (0.200 ppm) and ``so2_1h`` (304 ppb) there is no index;
    above the last row of any other column the Hazardous line is extended.
    """
    table = TABLES[column]
    value = truncate(concentration, DECIMALS[column])
    if value < table[0].low:
        return None
    for segment in table:
        if value <= segment.high:
            return segment.interpolate(value)
    return None if column in _CLOSED_AT_TOP else table[-1].interpolate(value)


def sub_index(column: str, concentration: float) -> int | None:
    """:func:`exact_sub_index` rounded to the nearest integer."""
    value = exact_sub_index(column, concentration)
    return None if value is None else round_half_up(value)


def exact_o3(o3_8h: float | None, o3_1h: float | None) -> float | None:
    """The O3 index from an 8-hour and/or a 1-hour value (ppm): the higher of those defined."""
    values = [exact_sub_index(column, value) for column, value in (("o3_8h", o3_8h), ("o3_1h", o3_1h)) if value is not None]
    defined = [v for v in values if v is not None]
    return max(defined) if defined else None


def exact_so2(so2_1h: float | None, so2_24h: float | None = None) -> float | None:
    """The SO2 index (ppb) following the TAD's SO2 rule; see the module docstring."""
    values: list[float | None] = []
    if so2_1h is not None:
        if truncate(so2_1h, 0) < SO2_24H_FROM:
            values.append(exact_sub_index("so2_1h", so2_1h))
        elif so2_24h is None or truncate(so2_24h, 0) < SO2_24H_FROM:
            values.append(float(SO2_FIXED_INDEX))
    if so2_24h is not None:
        values.append(exact_sub_index("so2_24h", so2_24h))
    defined = [v for v in values if v is not None]
    return max(defined) if defined else None


def _rounded(value: float | None) -> int | None:
    return None if value is None else round_half_up(value)


def o3(o3_8h: float | None = None, o3_1h: float | None = None) -> int | None:
    """O3 index (ppm): 8-hour rows, 1-hour rows where defined, the higher reported."""
    return _rounded(exact_o3(o3_8h, o3_1h))


def so2(so2_1h: float | None = None, so2_24h: float | None = None) -> int | None:
    """SO2 index (ppb) from a 1-hour value and, at 305 ppb and above, the 24-hour average."""
    return _rounded(exact_so2(so2_1h, so2_24h))


def pm25(concentration: float) -> int | None:
    """PM2.5 index from a 24-hour mean or NowCast, µg/m³ (truncated to 0.1)."""
    return sub_index("pm25", concentration)


def pm10(concentration: float) -> int | None:
    """PM10 index from a 24-hour mean or NowCast, µg/m³ (truncated to 1)."""
    return sub_index("pm10", concentration)


def co(concentration: float) -> int | None:
    """CO index from an 8-hour mean, ppm (truncated to 0.1)."""
    return sub_index("co", concentration)


def no2(concentration: float) -> int | None:
    """NO2 index from a 1-hour mean, ppb (truncated to 1)."""
    return sub_index("no2", concentration)
