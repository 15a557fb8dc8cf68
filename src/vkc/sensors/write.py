"""Creating, updating and deleting SensorThings entities (OGC 18-088 §10), deep inserts included.

All of one request happens in the caller's transaction, so a deep insert that
fails half-way leaves nothing behind. The model's rules are applied here:

- a new or changed Thing location records a HistoricalLocation;
- an Observation without a FeatureOfInterest gets one made from its Thing's
  Location (one per Location, reused);
- an Observation is keyed by (Datastream, phenomenon time start): posting the
  same key again updates that observation instead of adding a second one;
- a Datastream's phenomenonTime and resultTime grow with its observations;
- deletes cascade as §10.4 requires (a Thing takes its Datastreams and their
  Observations with it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vkc.errors import ConflictError, InputError, NotFoundError, StoreError
from vkc.geo import geojson_geometry
from vkc.parsing import times
from vkc.sensors.db import Conn, SensorDb
from vkc.sensors.entities import ENTITY_TYPES, EntityType, Field, Relation, inverse
from vkc.sensors.schema import ensure_month_partitions, field_columns

GEOJSON_TYPES = ("application/geo+json", "application/vnd.geo+json")
ID_KEYS = ("@iot.id", "id")


def parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(f"{what}: expected an ISO 8601 time, got {value!r}", field=what)
    try:
        t = times.parse_instant(value, times.DATA)
    except times.TimeTextError:
        raise InputError(f"{what}: {value!r} is not an ISO 8601 time", field=what) from None
    if t.tzinfo is None:
        raise InputError(f"{what}: {value!r} has no time zone; add Z or an offset such as +07:00", field=what)
    return times.check_measured(t, what)


def parse_interval(value: Any, what: str) -> tuple[datetime, datetime | None]:
    """An instant, or ``start/end`` (ISO 8601 interval); the end must not precede the start."""
    if isinstance(value, str) and "/" in value:
        a, b = value.split("/", 1)
        start, end = parse_time(a, what), parse_time(b, what)
        if end < start:
            raise InputError(f"{what}: the interval {value!r} ends before it starts", field=what)
        return start, end
    return parse_time(value, what), None


def parse_geometry(value: Any, what: str) -> dict[str, Any]:
    """A GeoJSON geometry (or the geometry of a GeoJSON Feature) in longitude/latitude, checked."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or "type" not in value:
        raise InputError(f"{what}: expected a GeoJSON geometry", field=what)
    geom = geojson_geometry.parse_geometry(value, what)
    if geom.is_empty:
        raise InputError(f"{what}: the geometry is empty", field=what)
    geojson_geometry.check_lonlat(geom, what)
    return value


class Writer:
    def __init__(self, db: SensorDb) -> None:
        self.db = db

    # -- create --------------------------------------------------------------
    def create(self, conn: Conn, et: EntityType, body: Any, *, links: dict[str, Any] | None = None) -> Any:
        """Create ``body`` (or resolve it, when it is a reference ``{"@iot.id": n}``); returns its id.

        ``links`` gives relations implied by the request path, e.g.
        ``{"Thing": 1}`` for a Datastream posted to ``Things(1)/Datastreams``.
        """
        what = et.name
        if not isinstance(body, dict):
            raise InputError(f"{what}: expected a JSON object", field=what)
        ref = _reference(body)
        if ref is not None:
            self.require(conn, et, ref)
            return ref
        links = dict(links or {})
        known = {f.name for f in et.fields} | {r.name for r in et.relations}
        unknown = sorted(k for k in body if k not in known and not k.startswith("@iot."))
        if unknown:
            raise InputError(f"{what}: unknown properties {', '.join(unknown)}; {what} has {', '.join(sorted(known))}", field=what)
        values: dict[str, Any] = {}
        for f in et.fields:
            if f.derived:
                continue
            if f.name in body:
                values[f.name] = self._value(f, body[f.name], f"{what}.{f.name}")
            elif f.required and not (et.name == "Observation" and f.name != "result"):
                raise InputError(f"{what}: {f.name} is required", field=f"{what}.{f.name}")
        if et.name == "Observation" and "phenomenonTime" not in values:
            values["phenomenonTime"] = (datetime.now(UTC), None)
        if et.name in ("Location", "FeatureOfInterest") and values.get("encodingType") not in GEOJSON_TYPES:
            raise InputError(f"{what}: encodingType must be {' or '.join(GEOJSON_TYPES)}", field=f"{what}.encodingType")
        fks: dict[str, Any] = {}
        for rel in et.relations:
            if rel.many:
                continue
            if rel.name in body:
                fks[rel.fk] = self.create(conn, ENTITY_TYPES[rel.target], body[rel.name])  # type: ignore[index]
            elif rel.name in links:
                fks[rel.fk] = links.pop(rel.name)  # type: ignore[index]
            elif rel.required:
                raise InputError(f"{what}: {rel.name} is required (a new entity or a reference {{\"@iot.id\": …}})", field=f"{what}.{rel.name}")
        if et.name == "Observation":
            if fks.get("feature_of_interest_id") is None:
                fks["feature_of_interest_id"] = self.feature_of_interest_for(conn, fks["datastream_id"])
            return self.upsert_observation(conn, values, fks)
        new_id = self.insert(conn, et, values, fks)
        for rel in et.relations:
            if not rel.many:
                continue
            children = body.get(rel.name)
            if rel.name in links:
                self._link(conn, rel, new_id, links.pop(rel.name))
            if children is None:
                continue
            if not isinstance(children, list):
                raise InputError(f"{what}.{rel.name}: expected a JSON array", field=f"{what}.{rel.name}")
            target = ENTITY_TYPES[rel.target]
            for child in children:
                if rel.target_fk:
                    self.create(conn, target, child, links={inverse(rel).name: new_id})
                else:
                    self._link(conn, rel, new_id, self.create(conn, target, child))
        if et.name == "Thing" and body.get("Locations"):
            self.record_location(conn, new_id)
        return new_id

    def _value(self, f: Field, value: Any, what: str) -> Any:
        if f.kind == "text":
            if not isinstance(value, str):
                raise InputError(f"{what}: expected a string, got {type(value).__name__}", field=what)
            return value
        if f.kind == "time":
            return None if value is None else parse_time(value, what)
        if f.kind == "interval":
            return None if value is None else parse_interval(value, what)
        if f.kind == "geometry":
            return parse_geometry(value, what)
        return value  # json and result: any JSON value

    def columns(self, et: EntityType, values: dict[str, Any]) -> tuple[list[str], list[str], list[Any]]:
        """Column names, their SQL value expressions and parameters for ``values``."""
        db = self.db
        names: list[str] = []
        exprs: list[str] = []
        params: list[Any] = []
        for f in et.fields:
            if f.name not in values:
                continue
            value = values[f.name]
            cols = [c for c, _ in field_columns(f, db.dialect)]
            names += cols
            if f.kind == "interval":
                start, end = value if value is not None else (None, None)
                exprs += ["?", "?"]
                params += [db.time_in(start), db.time_in(end)]
            elif f.kind == "result":
                exprs += ["?", "?", "?"]
                params += _result_columns(value, db)
            elif f.kind == "geometry":
                exprs += [db.geometry_in_sql()] + ["?"] * (len(cols) - 1)
                params += db.geometry_params(value)
            elif f.kind == "time":
                exprs.append("?")
                params.append(db.time_in(value))
            elif f.kind == "json":
                exprs.append("?")
                params.append(db.json_in(value))
            else:
                exprs.append("?")
                params.append(value)
        return names, exprs, params

    def insert(self, conn: Conn, et: EntityType, values: dict[str, Any], fks: dict[str, Any], *, external_id: str | None = None) -> Any:
        names, exprs, params = self.columns(et, values)
        for fk, value in fks.items():
            names.append(fk)
            exprs.append("?")
            params.append(value)
        if external_id is not None:
            names.append("external_id")
            exprs.append("?")
            params.append(external_id)
        stmt = f"INSERT INTO {et.table} ({', '.join(names)}) VALUES ({', '.join(exprs)}) RETURNING id"
        return conn.execute(stmt, params).fetchone()[0]

    def set_values(self, conn: Conn, et: EntityType, values: dict[str, Any], where: str, params: list[Any], *, fks: dict[str, Any] | None = None) -> None:
        """``UPDATE`` the given fields (and foreign keys) of the entities of ``et`` matching ``where``."""
        names, exprs, values_params = self.columns(et, values)
        names += list(fks or {})
        exprs += ["?"] * len(fks or {})
        values_params += list((fks or {}).values())
        if names:
            sets = ", ".join(f"{n} = {e}" for n, e in zip(names, exprs, strict=True))
            conn.execute(f"UPDATE {et.table} SET {sets} WHERE {where}", [*values_params, *params])

    def _link(self, conn: Conn, rel: Relation, this_id: Any, target_id: Any) -> None:
        table, to_this, to_target = rel.link  # type: ignore[misc]
        self.require(conn, ENTITY_TYPES[rel.target], target_id)
        conn.execute(
            f"INSERT INTO {table} ({to_this}, {to_target}) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [this_id, target_id],
        )

    def require(self, conn: Conn, et: EntityType, entity_id: Any) -> None:
        if not isinstance(entity_id, int) or isinstance(entity_id, bool):
            raise InputError(f"{et.name}: @iot.id must be an integer, got {entity_id!r}", field=f"{et.name}.@iot.id")
        if conn.execute(f"SELECT 1 FROM {et.table} WHERE id = ?", [entity_id]).fetchone() is None:
            raise NotFoundError(f"no {et.name} with @iot.id {entity_id}")

    # -- the model's rules ---------------------------------------------------
    def record_location(self, conn: Conn, thing_id: Any) -> None:
        """A HistoricalLocation of the Thing's current Locations, now."""
        hl = ENTITY_TYPES["HistoricalLocations"]
        hl_id = self.insert(conn, hl, {"time": datetime.now(UTC)}, {"thing_id": thing_id})
        conn.execute(
            "INSERT INTO sta_historical_location_locations (historical_location_id, location_id) "
            "SELECT ?, location_id FROM sta_thing_locations WHERE thing_id = ?",
            [hl_id, thing_id],
        )

    def feature_of_interest_for(self, conn: Conn, datastream_id: Any) -> Any:
        """The FeatureOfInterest made from the Location of the Datastream's Thing (made once, then reused)."""
        row = conn.execute(
            "SELECT l.id FROM sta_datastreams d JOIN sta_thing_locations tl ON tl.thing_id = d.thing_id "
            "JOIN sta_locations l ON l.id = tl.location_id WHERE d.id = ? ORDER BY l.id LIMIT 1",
            [datastream_id],
        ).fetchone()
        if row is None:
            raise InputError(
                f"Observation: no FeatureOfInterest given and Datastream {datastream_id}'s Thing has no Location to make one from",
                field="Observation.FeatureOfInterest",
            )
        key = f"location:{row[0]}"
        found = conn.execute("SELECT id FROM sta_features_of_interest WHERE external_id = ?", [key]).fetchone()
        if found:
            return found[0]
        # the Location's columns, in order, become the FeatureOfInterest's (same kinds; the geometry renamed)
        loc, foi = ENTITY_TYPES["Locations"], ENTITY_TYPES["FeaturesOfInterest"]
        source = [c for f in loc.fields for c, _ in field_columns(f, self.db.dialect)]
        target = [c for f in foi.fields for c, _ in field_columns(f, self.db.dialect)]
        src = conn.execute(f"SELECT {', '.join(source)} FROM {loc.table} WHERE id = ?", [row[0]]).fetchone()
        stmt = f"INSERT INTO {foi.table} ({', '.join(target)}, external_id) VALUES ({', '.join('?' * (len(target) + 1))}) RETURNING id"
        return conn.execute(stmt, [*src, key]).fetchone()[0]

    def upsert_observation(self, conn: Conn, values: dict[str, Any], fks: dict[str, Any]) -> Any:
        et = ENTITY_TYPES["Observations"]
        start = values["phenomenonTime"][0]
        if self.db.dialect == "postgres":
            ensure_month_partitions(conn, [start])
        names, exprs, params = self.columns(et, values)
        names += list(fks)
        exprs += ["?"] * len(fks)
        params += list(fks.values())
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in ("datastream_id", "phenomenon_time_start"))
        stmt = (
            f"INSERT INTO {et.table} ({', '.join(names)}) VALUES ({', '.join(exprs)}) "
            f"ON CONFLICT (datastream_id, phenomenon_time_start) DO UPDATE SET {updates} RETURNING id"
        )
        new_id = conn.execute(stmt, params).fetchone()[0]
        end = values["phenomenonTime"][1] or start
        result_time = values.get("resultTime")
        self.extend_datastream(conn, fks["datastream_id"], start, end, result_time, result_time)
        return new_id

    def extend_datastream(self, conn: Conn, datastream_id: Any, start: datetime, end: datetime, r0: datetime | None, r1: datetime | None) -> None:
        """Grow the Datastream's phenomenonTime (and resultTime) to cover new observations."""
        db = self.db
        lo, hi = ("least", "greatest") if db.dialect == "postgres" else ("min", "max")

        def grow(column: str, fn: str) -> str:
            return f"{column} = coalesce({fn}({column}, ?), ?)"

        sets = [grow("phenomenon_time_start", lo), grow("phenomenon_time_end", hi)]
        params = [db.time_in(start)] * 2 + [db.time_in(end)] * 2
        if r0 is not None:
            sets += [grow("result_time_start", lo), grow("result_time_end", hi)]
            params += [db.time_in(r0)] * 2 + [db.time_in(r1)] * 2
        conn.execute(f"UPDATE sta_datastreams SET {', '.join(sets)} WHERE id = ?", [*params, datastream_id])

    # -- update --------------------------------------------------------------
    def update(self, conn: Conn, et: EntityType, entity_id: Any, body: Any, *, replace: bool = False) -> None:
        """PATCH (``replace=False``) or PUT: change properties and to-one links of one entity."""
        what = et.name
        self.require(conn, et, entity_id)
        if not isinstance(body, dict):
            raise InputError(f"{what}: expected a JSON object", field=what)
        known = {f.name for f in et.fields if not f.derived} | {r.name for r in et.relations}
        unknown = sorted(k for k in body if k not in known and not k.startswith("@iot."))
        if unknown:
            raise InputError(f"{what}: cannot change {', '.join(unknown)}; {what} has {', '.join(sorted(known))}", field=what)
        values = {f.name: self._value(f, body[f.name], f"{what}.{f.name}") for f in et.fields if f.name in body and not f.derived}
        if replace:
            missing = [f.name for f in et.fields if f.required and not f.derived and f.name not in values]
            if missing:
                raise InputError(f"{what}: a replacement (PUT) needs every required property; missing {', '.join(missing)}", field=what)
        for f in et.fields:
            if f.required and f.name in values and values[f.name] is None:
                raise InputError(f"{what}: {f.name} cannot be null", field=f"{what}.{f.name}")
        fks = {
            rel.fk: self.create(conn, ENTITY_TYPES[rel.target], body[rel.name]) for rel in et.relations if not rel.many and rel.name in body
        }
        try:
            self.set_values(conn, et, values, "id = ?", [entity_id], fks=fks)
        except StoreError as exc:
            if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
                raise ConflictError(f"{what} {entity_id}: another observation of the Datastream has that phenomenonTime") from None
            raise
        for rel in et.relations:
            if rel.many and rel.name in body:
                children = body[rel.name]
                if not isinstance(children, list):
                    raise InputError(f"{what}.{rel.name}: expected a JSON array", field=f"{what}.{rel.name}")
                if rel.link:
                    table, to_this, _ = rel.link
                    conn.execute(f"DELETE FROM {table} WHERE {to_this} = ?", [entity_id])
                    for child in children:
                        self._link(conn, rel, entity_id, self.create(conn, ENTITY_TYPES[rel.target], child))
                else:
                    for child in children:
                        self.create(conn, ENTITY_TYPES[rel.target], child, links={inverse(rel).name: entity_id})
        if et.name == "Thing" and "Locations" in body:
            self.record_location(conn, entity_id)

    # -- delete --------------------------------------------------------------
    def delete(self, conn: Conn, et: EntityType, entity_id: Any) -> None:
        self.require(conn, et, entity_id)
        self._delete_where(conn, et, "id = ?", [entity_id])

    def _delete_where(self, conn: Conn, et: EntityType, cond: str, params: list[Any]) -> None:
        ids_sql = f"SELECT id FROM {et.table} WHERE {cond}"
        for rel in et.relations:
            if rel.many and rel.target_fk:  # children that cannot exist without this entity
                target = ENTITY_TYPES[rel.target]
                if rel.name in ("Observations", "Datastreams", "HistoricalLocations"):
                    self._delete_where(conn, target, f"{rel.target_fk} IN ({ids_sql})", params)
            elif rel.link:
                table, to_this, _ = rel.link
                conn.execute(f"DELETE FROM {table} WHERE {to_this} IN ({ids_sql})", params)
        conn.execute(f"DELETE FROM {et.table} WHERE {cond}", params)


def _reference(body: dict[str, Any]) -> Any:
    """The id of a nested entity that names one (``@iot.id``): a link to it, whatever else it carries (§10.2.1.2)."""
    for key in ID_KEYS:
        if key in body:
            return body[key]
    return None


def _result_columns(value: Any, db: SensorDb) -> list[Any]:
    if isinstance(value, bool) or value is None:
        return [None, None, db.json_in(value)]
    if isinstance(value, int | float):
        return [float(value), None, None]
    if isinstance(value, str):
        return [None, value, None]
    return [None, None, db.json_in(value)]
