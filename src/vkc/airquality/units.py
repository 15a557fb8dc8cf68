"""Converting stored µg/m³ into the units of the US EPA tables (ppm for O3 and CO, ppb for SO2 and NO2).

Rule, at 25 °C and 1 atm, where one mole of gas occupies 24.45 L:

    ppb = µg/m³ × 24.45 / M        ppm = ppb / 1000

with M the molar mass in g/mol: O3 48.00, NO2 46.01, SO2 64.07, CO 28.01.
"""

from __future__ import annotations

from vkc.errors import InputError

MOLAR_VOLUME_L = 24.45
MOLAR_MASS = {"o3": 48.00, "no2": 46.01, "so2": 64.07, "co": 28.01}

#: The unit each gas takes in EPA-454/B-24-002, Table 6.
US_UNIT = {"o3": "ppm", "co": "ppm", "so2": "ppb", "no2": "ppb"}


def ugm3_to_ppb(pollutant: str, ugm3: float) -> float:
    """µg/m³ to ppb at 25 °C, 1 atm: ``ugm3 * 24.45 / M``."""
    mass = MOLAR_MASS.get(pollutant)
    if mass is None:
        raise InputError(f"pollutant: must be one of {', '.join(MOLAR_MASS)}, not {pollutant!r}", field="pollutant")
    return ugm3 * MOLAR_VOLUME_L / mass


def ugm3_to_ppm(pollutant: str, ugm3: float) -> float:
    """µg/m³ to ppm at 25 °C, 1 atm: ``ugm3 * 24.45 / M / 1000``."""
    return ugm3_to_ppb(pollutant, ugm3) / 1000


def to_us_units(pollutant: str, ugm3: float) -> float:
    """µg/m³ of a gas to the unit its US EPA table uses (ppm for ``o3``/``co``, ppb for ``so2``/``no2``)."""
    ppb = ugm3_to_ppb(pollutant, ugm3)
    return ppb / 1000 if US_UNIT[pollutant] == "ppm" else ppb
