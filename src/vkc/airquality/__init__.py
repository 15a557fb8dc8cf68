"""Air quality indices: Vietnam's VN_AQI (Decision 1459/QĐ-TCMT, 2019) and the US EPA AQI (EPA-454/B-24-002, 2024).

* :func:`calc` — the overall AQI of a station for an hour or a day, with sub-indices,
  dominant pollutant, category and advice.
* :func:`nowcast` — the 12-hour NowCast of PM2.5 or PM10.
* :mod:`vkc.airquality.vn` and :mod:`vkc.airquality.us` — the per-pollutant sub-index functions.
* :func:`category`, :func:`advice` — the category and advice of an index value.
* :func:`ugm3_to_ppb`, :func:`ugm3_to_ppm`, :func:`to_us_units` — µg/m³ to EPA's gas units.
"""

from __future__ import annotations

from vkc.airquality import us, vn
from vkc.airquality.categories import advice, category
from vkc.airquality.compute import POLLUTANTS, calc
from vkc.airquality.inputs import KEYS, unit
from vkc.airquality.nowcast import nowcast
from vkc.airquality.units import to_us_units, ugm3_to_ppb, ugm3_to_ppm

__all__ = [
    "KEYS",
    "POLLUTANTS",
    "advice",
    "calc",
    "category",
    "nowcast",
    "to_us_units",
    "ugm3_to_ppb",
    "ugm3_to_ppm",
    "unit",
    "us",
    "vn",
]
