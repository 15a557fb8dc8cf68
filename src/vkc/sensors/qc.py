"""QA/QC of single values, in canonical units: valid, flagged (stored, marked) or rejected (not stored).

- Concentrations cannot be negative: below zero is rejected.
- Above the *impossible* limit a value is rejected: no reference monitor has
  reported hourly means that high in ambient air (the highest hourly PM2.5 in
  severe Asian haze and dust episodes stays below about 1 000 µg/m³; PM10 in
  dust storms a few thousand), and such readings come from faults.
- Above the *suspicious* limit a value is stored but flagged for review: it
  is possible in an extreme episode but far beyond Vietnam's records.
- Relative humidity outside 0–100 %, temperatures outside −30…60 °C and
  pressure outside 800…1 100 hPa are rejected (Vietnam's climate and
  altitudes; the physical range of humidity).
"""

from __future__ import annotations

#: key → (lowest possible, suspicious above, impossible above), canonical units
LIMITS: dict[str, tuple[float, float, float]] = {
    "pm25": (0.0, 500.0, 1500.0),
    "pm10": (0.0, 1000.0, 5000.0),
    "o3": (0.0, 800.0, 2000.0),
    "no2": (0.0, 1000.0, 4000.0),
    "so2": (0.0, 1500.0, 5000.0),
    "co": (0.0, 60_000.0, 150_000.0),
    "temperature": (-30.0, 50.0, 60.0),
    "humidity": (0.0, 100.0, 100.0),
    "pressure": (800.0, 1_080.0, 1_100.0),
}


def check(key: str, value: float) -> tuple[str, str | None]:
    """``("valid", None)``, ``("flagged", reason)`` or ``("rejected", reason)``."""
    if value != value:  # NaN
        return "rejected", "not a number"
    low, suspicious, impossible = LIMITS[key]
    if value < low:
        return "rejected", f"impossible value: {value:g} is below {low:g}"
    if value > impossible:
        return "rejected", f"impossible value: {value:g} is above {impossible:g}"
    if value > suspicious:
        return "flagged", f"suspicious value: {value:g} is above {suspicious:g}"
    return "valid", None
