"""Observed parameters, their canonical units, and the conversions into them.

The rule: every pollutant is stored in µg/m³. mg/m³ is multiplied by 1000.
Gases given as mixing ratios (ppb, ppm) are converted at 25 °C and 1 atm,
where one mole of gas fills 24.45 L: µg/m³ = ppb × M / 24.45, with molar
masses M of O3 48.00, NO2 46.01, SO2 64.07 and CO 28.01 g/mol (ppm = 1000 ppb).
PM cannot be given as a mixing ratio. Temperature is stored in °C, relative
humidity in %, pressure in hPa.
"""

from __future__ import annotations

from functools import lru_cache

from vkc.errors import InputError

MOLAR_VOLUME_25C = 24.45  # L/mol at 25 °C, 101.325 kPa
MOLAR_MASS = {"o3": 48.00, "no2": 46.01, "so2": 64.07, "co": 28.01}
POLLUTANTS = ("pm25", "pm10", "o3", "no2", "so2", "co")

_UGM3 = {"name": "microgram per cubic metre", "symbol": "µg/m³", "definition": "http://unitsofmeasure.org/ucum.html#ug/m3"}
CANONICAL_UNIT = {
    **{key: _UGM3 for key in POLLUTANTS},
    "temperature": {"name": "degree Celsius", "symbol": "°C", "definition": "http://unitsofmeasure.org/ucum.html#Cel"},
    "humidity": {"name": "percent", "symbol": "%", "definition": "http://unitsofmeasure.org/ucum.html#%"},
    "pressure": {"name": "hectopascal", "symbol": "hPa", "definition": "http://unitsofmeasure.org/ucum.html#hPa"},
}
_ENVTHES = "http://vocabs.lter-europe.net/EnvThes/"
OBSERVED_PROPERTY = {
    "pm25": {"name": "PM2.5", "definition": _ENVTHES + "22069", "description": "Mass concentration of particles of diameter up to 2.5 µm"},
    "pm10": {"name": "PM10", "definition": _ENVTHES + "22065", "description": "Mass concentration of particles of diameter up to 10 µm"},
    "o3": {"name": "O3", "definition": "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/7", "description": "Ozone concentration"},
    "no2": {"name": "NO2", "definition": "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/8", "description": "Nitrogen dioxide concentration"},
    "so2": {"name": "SO2", "definition": "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/1", "description": "Sulphur dioxide concentration"},
    "co": {"name": "CO", "definition": "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/10", "description": "Carbon monoxide concentration"},
    "temperature": {"name": "Air temperature", "definition": _ENVTHES + "22035", "description": "Air temperature"},
    "humidity": {"name": "Relative humidity", "definition": _ENVTHES + "21579", "description": "Relative humidity of the air"},
    "pressure": {"name": "Air pressure", "definition": _ENVTHES + "21578", "description": "Atmospheric pressure"},
}
_ALIASES = {
    "pm25": ("pm2.5", "pm2_5", "pm25", "pm₂.₅", "pm 2.5"),
    "pm10": ("pm10", "pm₁₀", "pm 10"),
    "o3": ("o3", "o₃", "ozone"),
    "no2": ("no2", "no₂", "nitrogen dioxide"),
    "so2": ("so2", "so₂", "sulphur dioxide", "sulfur dioxide"),
    "co": ("co", "carbon monoxide"),
    "temperature": ("temperature", "temp", "t"),
    "humidity": ("humidity", "rh", "relative humidity"),
    "pressure": ("pressure", "p"),
}
PARAMETER = {alias: key for key, names in _ALIASES.items() for alias in names}
_UNIT_NAMES = {
    "ug/m3": ("ug/m3", "µg/m3", "µg/m³", "μg/m3", "μg/m³", "ug m-3", "µg m-3", "ug/m³"),
    "mg/m3": ("mg/m3", "mg/m³", "mg m-3"),
    "ppb": ("ppb",),
    "ppm": ("ppm",),
    "C": ("c", "°c", "degc", "celsius"),
    "K": ("k", "kelvin"),
    "F": ("f", "°f", "degf", "fahrenheit"),
    "%": ("%", "percent"),
    "hPa": ("hpa", "mbar"),
    "Pa": ("pa",),
    "kPa": ("kpa",),
}
UNIT = {alias: unit for unit, names in _UNIT_NAMES.items() for alias in names}


def parameter_key(name: str) -> str:
    key = PARAMETER.get(name.strip().lower())
    if key is None:
        raise InputError(f"unknown parameter {name!r}; known: {', '.join(OBSERVED_PROPERTY)}", field="parameter")
    return key


@lru_cache(maxsize=1024)
def factor(parameter: str, unit: str) -> tuple[str, float, float]:
    """``(key, scale, offset)``: the canonical value is ``value * scale + offset``."""
    key = parameter_key(parameter)
    u = UNIT.get(unit.strip().lower())
    if u is None:
        raise InputError(f"unknown unit {unit!r} for {parameter}", field="unit")
    if key in POLLUTANTS:
        if u == "ug/m3":
            return key, 1.0, 0.0
        if u == "mg/m3":
            return key, 1000.0, 0.0
        if u in ("ppb", "ppm") and key in MOLAR_MASS:
            return key, MOLAR_MASS[key] / MOLAR_VOLUME_25C * (1000.0 if u == "ppm" else 1.0), 0.0
    conversions = {
        ("temperature", "C"): (1.0, 0.0),
        ("temperature", "K"): (1.0, -273.15),
        ("temperature", "F"): (5 / 9, -32 * 5 / 9),
        ("humidity", "%"): (1.0, 0.0),
        ("pressure", "hPa"): (1.0, 0.0),
        ("pressure", "Pa"): (0.01, 0.0),
        ("pressure", "kPa"): (10.0, 0.0),
    }
    if (key, u) in conversions:
        return key, *conversions[(key, u)]
    raise InputError(f"unit {unit!r} does not fit {OBSERVED_PROPERTY[key]['name']}", field="unit")


def normalise(parameter: str, value: float, unit: str) -> tuple[str, float]:
    key, scale, offset = factor(parameter, unit)
    return key, value * scale + offset
