"""The SensorThings API 1.1 service over the store: what the HTTP routes call.

Each method takes a resource path relative to the service root (``…/v1.1``),
the query options and, for writes, the parsed JSON body; it returns plain
data for the route to serialise. Every write is one store transaction, with
its audit entry (the entity before and after; a count for CreateObservations),
made in the name of ``by``, the grant of whoever writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from vkc.errors import InputError, NotFoundError
from vkc.permissions import LOCAL_ADMIN, Grant
from vkc.sensors.bulk import ObservationRecord, upsert_observations
from vkc.sensors.db import SensorDb
from vkc.sensors.entities import ENTITY_TYPES, EntityType, inverse
from vkc.sensors.read import Reader
from vkc.sensors.write import Writer, parse_interval, parse_time
from vkc.sta import query_options as q
from vkc.sta.json_patch import apply as json_patch_apply
from vkc.sta.resource_path import Target, resolve
from vkc.store.audit import Change, append

VERSION = "v1.1"
CONFORMANCE = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
)
DATA_ARRAY_COMPONENTS = ("id", "phenomenonTime", "result", "resultTime", "resultQuality", "validTime", "parameters", "FeatureOfInterest/id")


class SensorThings:
    def __init__(self, store: Any, base: str) -> None:
        self.db = SensorDb(store)
        self.base = base.rstrip("/")
        self.reader = Reader(self.db, self.base)
        self.writer = Writer(self.db)

    def root(self) -> dict[str, Any]:
        return {
            "value": [{"name": name, "url": f"{self.base}/{name}"} for name in ENTITY_TYPES],
            "serverSettings": {"conformance": list(CONFORMANCE)},
        }

    # -- reads ---------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, str]) -> Any:
        """The JSON of a path; a ``str`` for ``…/$value``."""
        target = resolve(path)
        opts = q.parse_query_options(params)
        with self.db.reading() as conn:
            if target.single:
                entity = self.reader.one(conn, target.scope, opts if target.property is None and not target.ref else q.QueryOptions())
                if entity is None:
                    raise NotFoundError(f"nothing at {path}")
                if target.ref:
                    return {"@iot.selfLink": entity["@iot.selfLink"]}
                if target.property is not None:
                    value = entity.get(target.property)
                    if target.value:
                        return "" if value is None else str(value)
                    return {target.property: value}
                return entity

            def next_link(skip: int) -> str:
                query = {k: v for k, v in params.items() if k != "$skip"}
                query["$skip"] = str(skip)
                return f"{self.base}/{path.strip('/')}?{urlencode(query, quote_via=quote, safe='$(),/')}"

            if opts.result_format == "dataArray":
                if target.ref:
                    raise InputError("$resultFormat=dataArray: not with $ref", field="$resultFormat")
                return self.reader.data_array(conn, target.scope, opts, next_link=next_link)
            if target.ref:
                opts = q.QueryOptions(filter=opts.filter, orderby=opts.orderby, top=opts.top, skip=opts.skip, count=opts.count)
                page = self.reader.page(conn, target.scope, opts, next_link=next_link)
                page["value"] = [{"@iot.selfLink": e["@iot.selfLink"]} for e in page["value"]]
                return page
            return self.reader.page(conn, target.scope, opts, next_link=next_link)

    # -- writes --------------------------------------------------------------
    def create(self, path: str, body: Any, *, by: Grant = LOCAL_ADMIN) -> tuple[dict[str, Any], str]:
        """POST to a collection; returns the new entity and its URL."""
        target = resolve(path)
        if target.single or target.property is not None or target.ref:
            raise InputError(f"POST {path}: post to a collection, e.g. Things or Things(1)/Datastreams", field="path")
        et = target.scope.et
        links = self._links_from(target)
        with self.db.writing() as conn:
            new_id = self.writer.create(conn, et, body, links=links)
            if et.name == "Location" and "Things" in (links or {}):
                self.writer.record_location(conn, target.parent[1])  # type: ignore[index]
            created = self._entity(conn, et, new_id)
            append(conn, Change(by.actor, "sta.create", self._target(et, new_id), after=created))
        assert created is not None
        return created, created["@iot.selfLink"]

    def _links_from(self, target: Target) -> dict[str, Any] | None:
        if target.parent is None:
            return None
        rel, parent_id = target.parent
        if rel.many:
            return {inverse(rel).name: parent_id}
        raise InputError(f"cannot create through the to-one relation {rel.name}; post to {rel.target}", field="path")

    def update(self, path: str, body: Any, *, replace: bool, json_patch: bool = False, by: Grant = LOCAL_ADMIN) -> dict[str, Any]:
        """PATCH (merge), PUT (``replace``) or PATCH with a JSON Patch document (``json_patch``)."""
        et, entity_id = self._single(path)
        if json_patch:
            current = self._read_back(et, entity_id)[0]
            writable = {f.name: current.get(f.name) for f in et.fields if not f.derived}
            patched = json_patch_apply(writable, body)
            unknown = sorted(set(patched) - set(writable))
            if unknown:
                raise InputError(f"JSON Patch: {et.name} has no property {unknown[0]!r}", field="body")
            body = {k: patched.get(k) for k in writable if patched.get(k) != writable[k]}
        with self.db.writing() as conn:
            before = self._entity(conn, et, entity_id)
            self.writer.update(conn, et, entity_id, body, replace=replace)
            after = self._entity(conn, et, entity_id)
            append(conn, Change(by.actor, "sta.replace" if replace else "sta.update", self._target(et, entity_id), before, after))
        assert after is not None
        return after

    def delete(self, path: str, *, by: Grant = LOCAL_ADMIN) -> None:
        """Delete an entity and what cannot exist without it (the audit entry keeps the entity itself)."""
        et, entity_id = self._single(path)
        with self.db.writing() as conn:
            before = self._entity(conn, et, entity_id)
            self.writer.delete(conn, et, entity_id)
            append(conn, Change(by.actor, "sta.delete", self._target(et, entity_id), before))

    def _entity(self, conn: Any, et: EntityType, entity_id: Any) -> dict[str, Any] | None:
        """An entity as this connection sees it (inside a write: with the transaction's own changes)."""
        return self.reader.one(conn, resolve(f"{et.set_name}({entity_id})").scope, q.QueryOptions())

    @staticmethod
    def _target(et: EntityType, entity_id: Any) -> str:
        return f"sensorthings:{et.set_name}({entity_id})"

    def _single(self, path: str) -> tuple[EntityType, Any]:
        target = resolve(path)
        if not target.single or target.property is not None or target.ref:
            raise InputError(f"{path}: name one entity, e.g. Things(1)", field="path")
        with self.db.reading() as conn:
            row = conn.execute(f"SELECT e.id FROM {target.scope.et.table} e WHERE {target.scope.where}", target.scope.params).fetchone()
        if row is None:
            raise NotFoundError(f"nothing at {path}")
        return target.scope.et, row[0]

    def _read_back(self, et: EntityType, entity_id: Any) -> tuple[dict[str, Any], str]:
        entity = self.get(f"{et.set_name}({entity_id})", {})
        return entity, entity["@iot.selfLink"]

    # -- dataArray (OGC 18-088 §14) -----------------------------------------
    def create_observations(self, body: Any, *, by: Grant = LOCAL_ADMIN) -> list[str]:
        """``POST CreateObservations``: every observation of every Datastream block, in one transaction."""
        if not isinstance(body, list):
            raise InputError("CreateObservations: expected a JSON array of {Datastream, components, dataArray} objects", field="body")
        records: list[ObservationRecord] = []
        with self.db.writing() as conn:
            foi_by_datastream: dict[int, int] = {}
            for n, block in enumerate(body):
                records += self._block(conn, n, block, foi_by_datastream)
            ids = upsert_observations(self.db, conn, records, returning=True)
            datastreams = sorted({r.datastream_id for r in records})
            append(
                conn,
                Change(
                    by.actor,
                    "sta.observations.create",
                    "sensorthings:Observations",
                    after={"observations": len(ids), "datastreams": datastreams},
                ),
            )
        return [f"{self.base}/Observations({i})" for i in ids]

    def _block(self, conn: Any, n: int, block: Any, foi_by_datastream: dict[int, int]) -> list[ObservationRecord]:
        where = f"CreateObservations[{n}]"
        if not isinstance(block, dict) or not isinstance(block.get("Datastream"), dict):
            raise InputError(f"{where}: needs Datastream: {{\"@iot.id\": …}}", field="body")
        ds = block["Datastream"].get("@iot.id", block["Datastream"].get("id"))
        self.writer.require(conn, ENTITY_TYPES["Datastreams"], ds)
        components = block.get("components")
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            raise InputError(f"{where}: components must be a list of names", field="body")
        unknown = [c for c in components if c not in DATA_ARRAY_COMPONENTS]
        if unknown or "result" not in components:
            raise InputError(f"{where}: components must include result and be among {', '.join(DATA_ARRAY_COMPONENTS)}; got {components}", field="body")
        rows = block.get("dataArray")
        if not isinstance(rows, list):
            raise InputError(f"{where}: dataArray must be a list of rows", field="body")
        index = {c: i for i, c in enumerate(components)}
        json_in = self.db.json_in
        out: list[ObservationRecord] = []
        now = datetime.now(UTC)
        for r, row in enumerate(rows):
            here = f"{where}.dataArray[{r}]"
            if not isinstance(row, list) or len(row) != len(components):
                raise InputError(f"{here}: expected {len(components)} values ({', '.join(components)})", field="body")
            start, end = parse_interval(row[index["phenomenonTime"]], f"{here}.phenomenonTime") if "phenomenonTime" in index else (now, None)
            result = row[index["result"]]
            number = float(result) if isinstance(result, int | float) and not isinstance(result, bool) else None
            string = result if isinstance(result, str) else None
            other = json_in(result) if number is None and string is None else None
            result_time = row[index["resultTime"]] if "resultTime" in index else None
            valid = parse_interval(row[index["validTime"]], f"{here}.validTime") if "validTime" in index and row[index["validTime"]] else None
            foi = row[index["FeatureOfInterest/id"]] if "FeatureOfInterest/id" in index else None
            if foi is None:
                if ds not in foi_by_datastream:
                    foi_by_datastream[ds] = self.writer.feature_of_interest_for(conn, ds)
                foi = foi_by_datastream[ds]
            if valid is not None:
                raise InputError(f"{here}: validTime in dataArray is not supported; post the observation on its own", field="body")
            out.append(
                ObservationRecord(
                    ds,
                    start,
                    end,
                    None if result_time is None else parse_time(result_time, f"{here}.resultTime"),
                    number,
                    string,
                    other,
                    json_in(row[index["resultQuality"]]) if "resultQuality" in index else None,
                    json_in(row[index["parameters"]]) if "parameters" in index else None,
                    foi,
                )
            )
        return out
