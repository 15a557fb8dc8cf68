"""Monitoring stations as SensorThings entities, keyed by the station's own id.

A station is a Thing (``external_id`` = the station id) with one Location;
each parameter it measures is a Datastream (``external_id`` =
``<station>/<parameter>``) with the station's Sensor and the parameter's
ObservedProperty. Loading the same stations again updates them in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from vkc.errors import InputError
from vkc.sensors.db import Conn, SensorDb
from vkc.sensors.entities import ENTITY_TYPES
from vkc.sensors.parameters import CANONICAL_UNIT, OBSERVED_PROPERTY
from vkc.sensors.write import Writer, parse_geometry

MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def station_features(path: str, *, id_field: str = "id", name_field: str = "name") -> list[dict[str, Any]]:
    """The point features of a GeoJSON FeatureCollection of stations, each with an id and a name."""
    try:
        with open(path, "rb") as fh:
            doc = orjson.loads(fh.read())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", field="file") from None
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{path} is not JSON: {exc}", field="file") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise InputError(f"{path}: expected a GeoJSON FeatureCollection", field="file")
    out = []
    for n, f in enumerate(features, start=1):
        props = f.get("properties") or {}
        sid = props.get(id_field, f.get("id"))
        if sid in (None, ""):
            raise InputError(f"{path}: feature {n} has no {id_field!r}", field="id_field")
        name = props.get(name_field) or props.get("name_en") or props.get("name_vi") or str(sid)
        geometry = parse_geometry(f.get("geometry"), f"{path}: feature {n} ({sid}) geometry")
        out.append({"id": str(sid), "name": str(name), "geometry": geometry, "properties": props})
    return out


def upsert_stations(db: SensorDb, conn: Conn, stations: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Create or update stations (Thing + Location); returns (created, updated)."""
    writer = Writer(db)
    things, locations = ENTITY_TYPES["Things"], ENTITY_TYPES["Locations"]
    created = updated = 0
    for s in stations:
        description = s["properties"].get("name_vi") or s["name"]
        row = conn.execute("SELECT id FROM sta_things WHERE external_id = ?", [s["id"]]).fetchone()
        thing_values = {"name": s["name"], "description": description, "properties": s["properties"]}
        location_values = {"name": s["name"], "description": description, "encodingType": "application/geo+json", "location": s["geometry"]}
        if row is None:
            thing_id = writer.insert(conn, things, thing_values, {}, external_id=s["id"])
            location_id = writer.insert(conn, locations, location_values, {}, external_id=s["id"])
            conn.execute("INSERT INTO sta_thing_locations (thing_id, location_id) VALUES (?, ?)", [thing_id, location_id])
            writer.record_location(conn, thing_id)
            created += 1
            continue
        thing_id = row[0]
        writer.set_values(conn, things, thing_values, "id = ?", [thing_id])
        writer.set_values(conn, locations, location_values, "external_id = ?", [s["id"]])
        updated += 1
    return created, updated


class DatastreamCache:
    """Datastream ids by (station, parameter), made on first use inside the caller's transaction."""

    def __init__(self, db: SensorDb) -> None:
        self.db = db
        self.writer = Writer(db)
        self._ids: dict[tuple[str, str], tuple[int, int] | None] = {}

    @property
    def known(self) -> dict[tuple[str, str], tuple[int, int] | None]:
        """The ids found so far by (station, parameter), to look up without a connection (None: unknown station)."""
        return self._ids

    def get(self, conn: Conn, station: str, parameter: str) -> tuple[int, int] | None:
        """(datastream id, feature of interest id), or None when the station is unknown."""
        key = (station, parameter)
        if key not in self._ids:
            self._ids[key] = self._lookup(conn, station, parameter)
        return self._ids[key]

    def forget(self) -> None:
        """After a rolled-back batch, ids made inside it are gone."""
        self._ids.clear()

    def _lookup(self, conn: Conn, station: str, parameter: str) -> tuple[int, int] | None:
        external = f"{station}/{parameter}"
        row = conn.execute("SELECT id FROM sta_datastreams WHERE external_id = ?", [external]).fetchone()
        if row is None:
            thing = conn.execute("SELECT id, name FROM sta_things WHERE external_id = ?", [station]).fetchone()
            if thing is None:
                return None
            ds_id = self._create_datastream(conn, thing[0], thing[1], station, parameter, external)
        else:
            ds_id = row[0]
        return ds_id, self.writer.feature_of_interest_for(conn, ds_id)

    def _create_datastream(self, conn: Conn, thing_id: int, thing_name: str, station: str, parameter: str, external: str) -> int:
        w = self.writer
        prop = conn.execute("SELECT id FROM sta_observed_properties WHERE external_id = ?", [parameter]).fetchone()
        if prop is None:
            info = OBSERVED_PROPERTY[parameter]
            values = {"name": info["name"], "definition": info["definition"], "description": info["description"]}
            prop_id = w.insert(conn, ENTITY_TYPES["ObservedProperties"], values, {}, external_id=parameter)
        else:
            prop_id = prop[0]
        sensor_key = f"{station}/monitor"
        sensor = conn.execute("SELECT id FROM sta_sensors WHERE external_id = ?", [sensor_key]).fetchone()
        if sensor is None:
            values = {"name": f"{thing_name} monitor", "description": f"The monitor(s) of station {station}", "encodingType": "text/plain", "metadata": ""}
            sensor_id = w.insert(conn, ENTITY_TYPES["Sensors"], values, {}, external_id=sensor_key)
        else:
            sensor_id = sensor[0]
        values = {
            "name": f"{thing_name} {OBSERVED_PROPERTY[parameter]['name']}",
            "description": f"{OBSERVED_PROPERTY[parameter]['name']} at station {station}",
            "observationType": MEASUREMENT,
            "unitOfMeasurement": CANONICAL_UNIT[parameter],
            "properties": {"station": station, "parameter": parameter},
        }
        fks = {"thing_id": thing_id, "sensor_id": sensor_id, "observed_property_id": prop_id}
        return w.insert(conn, ENTITY_TYPES["Datastreams"], values, fks, external_id=external)
