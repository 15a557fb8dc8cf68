"""The air-quality pages: every station's latest index, and one station's hours and days in charts.

They read through the library calls the ``/api/aqi`` routes use
(:mod:`vkc.sensors.station_aqi`); a station page carries its series in the
page, and the charts (uPlot, from npm) draw them, gaps as gaps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from vkc.portal.render import page
from vkc.sensors import station_aqi
from vkc.sensors.db import SensorDb

router = APIRouter()
INDICES = ("vn", "us")
#: how far back a station page's hourly chart reaches from the station's newest hour
HOURLY_DAYS = 7


def _index(request: Request) -> str:
    chosen = request.query_params.get("index", "vn")
    return chosen if chosen in INDICES else "vn"


@router.get("/air", response_class=HTMLResponse, include_in_schema=False)
def stations(request: Request) -> HTMLResponse:
    index = _index(request)
    entries = station_aqi.latest_geojson(SensorDb(request.app.state.store))["features"]
    rows = sorted(
        ({**f["properties"], "id": f["id"]} for f in entries),
        key=lambda e: -aqi if (aqi := (e.get(index) or {}).get("aqi")) is not None else 1,  # worst first; stations without observations last
    )
    return page(request, "air.html", {"rows": rows, "index": index})


@router.get("/air/stations/{station}", response_class=HTMLResponse, include_in_schema=False)
def station(request: Request, station: str) -> HTMLResponse:
    index = _index(request)
    db = SensorDb(request.app.state.store)
    (latest,) = station_aqi.latest(db, station=station)
    end = datetime.fromisoformat(latest["time"].replace("Z", "+00:00")) + timedelta(hours=1) if latest.get("time") else None
    hourly = station_aqi.hourly(db, station, end - timedelta(days=HOURLY_DAYS) if end else None, end)
    daily = station_aqi.daily(db, station)
    series: dict[str, Any] = {
        "hours": [{"time": h["time"], "vn": _slim(h.get("vn")), "us": _slim(h.get("us"))} for h in hourly["hours"]],
        "days": [{"date": d["date"], "vn": _slim(d.get("vn")), "us": _slim(d.get("us"))} for d in daily["days"]],
        "rules": {"hourly": hourly["rule"], "daily": daily["rule"]},
    }
    return page(request, "air_station.html", {"latest": latest, "series": series, "index": index, "station_id": station})


def _slim(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a chart needs of an index: its value and each pollutant's sub-index."""
    return {"aqi": entry["aqi"], "sub": entry.get("sub", {})} if entry else None
