"""The OGC SensorThings API 1.1 data model (OGC 18-088, section 8.2) as data.

One table per entity type and one per many-to-many relation. The store, the
query compiler and the API all read this description, so an entity's fields,
columns and relations are declared once.

Field kinds: ``text``, ``json``, ``geometry`` (GeoJSON in the API, CRS84),
``time`` (an instant), ``interval`` (``start`` / ``end`` columns; an instant
when ``end`` is null), ``result`` (number, string or any JSON value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["text", "json", "geometry", "time", "interval", "result"]


@dataclass(frozen=True)
class Field:
    name: str  # as in the API, e.g. "phenomenonTime"
    column: str  # column, or column prefix for intervals (``<column>_start`` / ``<column>_end``)
    kind: FieldKind
    required: bool = False
    #: filled in by the server, never by a client (e.g. a Datastream's phenomenonTime)
    derived: bool = False


@dataclass(frozen=True)
class Relation:
    name: str  # navigation property, e.g. "Datastream" or "Datastreams"
    target: str  # entity set of the other end, e.g. "Datastreams"
    many: bool
    fk: str | None = None  # to-one: the foreign-key column on this entity's table
    target_fk: str | None = None  # to-many: the foreign-key column on the target's table
    link: tuple[str, str, str] | None = None  # many-to-many: (link table, column to this, column to target)
    required: bool = False  # a to-one link that must be given on creation


@dataclass(frozen=True)
class EntityType:
    set_name: str  # "Things"
    name: str  # "Thing"
    table: str
    fields: tuple[Field, ...]
    relations: tuple[Relation, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def relation(self, name: str) -> Relation | None:
        return next((r for r in self.relations if r.name == name), None)


_NAME = Field("name", "name", "text", required=True)
_DESCRIPTION = Field("description", "description", "text", required=True)
_ENCODING = Field("encodingType", "encoding_type", "text", required=True)
_PROPERTIES = Field("properties", "properties", "json")

THING_LOCATIONS = ("sta_thing_locations", "thing_id", "location_id")
HISTORICAL_LOCATION_LOCATIONS = ("sta_historical_location_locations", "historical_location_id", "location_id")

ENTITY_TYPES: dict[str, EntityType] = {
    e.set_name: e
    for e in (
        EntityType(
            "Things",
            "Thing",
            "sta_things",
            (_NAME, _DESCRIPTION, _PROPERTIES),
            (
                Relation("Locations", "Locations", True, link=THING_LOCATIONS),
                Relation("HistoricalLocations", "HistoricalLocations", True, target_fk="thing_id"),
                Relation("Datastreams", "Datastreams", True, target_fk="thing_id"),
            ),
        ),
        EntityType(
            "Locations",
            "Location",
            "sta_locations",
            (_NAME, _DESCRIPTION, _ENCODING, Field("location", "location", "geometry", required=True), _PROPERTIES),
            (
                Relation("Things", "Things", True, link=(THING_LOCATIONS[0], THING_LOCATIONS[2], THING_LOCATIONS[1])),
                Relation(
                    "HistoricalLocations",
                    "HistoricalLocations",
                    True,
                    link=(HISTORICAL_LOCATION_LOCATIONS[0], HISTORICAL_LOCATION_LOCATIONS[2], HISTORICAL_LOCATION_LOCATIONS[1]),
                ),
            ),
        ),
        EntityType(
            "HistoricalLocations",
            "HistoricalLocation",
            "sta_historical_locations",
            (Field("time", "time", "time", required=True),),
            (
                Relation("Thing", "Things", False, fk="thing_id", required=True),
                Relation("Locations", "Locations", True, link=HISTORICAL_LOCATION_LOCATIONS),
            ),
        ),
        EntityType(
            "Datastreams",
            "Datastream",
            "sta_datastreams",
            (
                _NAME,
                _DESCRIPTION,
                Field("unitOfMeasurement", "unit_of_measurement", "json", required=True),
                Field("observationType", "observation_type", "text", required=True),
                Field("observedArea", "observed_area", "geometry", derived=True),
                Field("phenomenonTime", "phenomenon_time", "interval", derived=True),
                Field("resultTime", "result_time", "interval", derived=True),
                _PROPERTIES,
            ),
            (
                Relation("Thing", "Things", False, fk="thing_id", required=True),
                Relation("Sensor", "Sensors", False, fk="sensor_id", required=True),
                Relation("ObservedProperty", "ObservedProperties", False, fk="observed_property_id", required=True),
                Relation("Observations", "Observations", True, target_fk="datastream_id"),
            ),
        ),
        EntityType(
            "Sensors",
            "Sensor",
            "sta_sensors",
            (_NAME, _DESCRIPTION, _ENCODING, Field("metadata", "metadata", "text", required=True), _PROPERTIES),
            (Relation("Datastreams", "Datastreams", True, target_fk="sensor_id"),),
        ),
        EntityType(
            "ObservedProperties",
            "ObservedProperty",
            "sta_observed_properties",
            (_NAME, Field("definition", "definition", "text", required=True), _DESCRIPTION, _PROPERTIES),
            (Relation("Datastreams", "Datastreams", True, target_fk="observed_property_id"),),
        ),
        EntityType(
            "Observations",
            "Observation",
            "sta_observations",
            (
                Field("phenomenonTime", "phenomenon_time", "interval"),
                Field("resultTime", "result_time", "time"),
                Field("result", "result", "result", required=True),
                Field("resultQuality", "result_quality", "json"),
                Field("validTime", "valid_time", "interval"),
                Field("parameters", "parameters", "json"),
            ),
            (
                Relation("Datastream", "Datastreams", False, fk="datastream_id", required=True),
                Relation("FeatureOfInterest", "FeaturesOfInterest", False, fk="feature_of_interest_id"),
            ),
        ),
        EntityType(
            "FeaturesOfInterest",
            "FeatureOfInterest",
            "sta_features_of_interest",
            (_NAME, _DESCRIPTION, _ENCODING, Field("feature", "feature", "geometry", required=True), _PROPERTIES),
            (Relation("Observations", "Observations", True, target_fk="feature_of_interest_id"),),
        ),
    )
}

def inverse(rel: Relation) -> Relation:
    """The relation back from the other end (Things' Datastreams → Datastream's Thing; Things' Locations → Location's Things)."""
    target = ENTITY_TYPES[rel.target]
    if rel.link is not None:
        return next(r for r in target.relations if r.link is not None and r.link[0] == rel.link[0])
    if rel.target_fk is not None:
        return next(r for r in target.relations if not r.many and r.fk == rel.target_fk)
    return next(r for r in target.relations if r.many and r.target_fk == rel.fk)

