"""Reading a GeoPackage store: collection records and query SQL (the R*Tree for bboxes)."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from vkc.errors import CollectionNotFound
from vkc.store.dialect import SQLITE
from vkc.store.feature_queryables import order_sql, where_clauses
from vkc.store.gpkg_schema import q, rtree_name
from vkc.store.model import Collection, Feature, Field, FieldType, Query
from vkc.store.predicates import RTreeEnvelope
from vkc.store.values import from_sql, parse_datetime


def read_collection(conn: sqlite3.Connection, name: str, *, with_stats: bool = False, with_count: bool = True) -> Collection:
    row = conn.execute(
        "SELECT c.name, c.title, c.description, c.geometry_type, c.fields, c.metadata, "
        "g.min_x, g.min_y, g.max_x, g.max_y FROM vkc_collections c JOIN gpkg_contents g "
        "ON g.table_name = c.name WHERE c.name = ?",
        (name,),
    ).fetchone()
    if row is None:
        raise CollectionNotFound(f"no collection named {name!r}", collection=name)
    coll = Collection(
        name=row[0],
        title=row[1],
        description=row[2],
        geometry_type=row[3],
        fields=[Field(n, t) for n, t in orjson.loads(row[4])],
        metadata=orjson.loads(row[5]),
    )
    if with_stats:
        if with_count:
            coll.count = int(conn.execute(f"SELECT count(*) FROM {q(name)}").fetchone()[0])
        if row[6] is not None:
            coll.extent = (row[6], row[7], row[8], row[9])
        tmin, tmax = conn.execute(f"SELECT min(vkc_time), max(vkc_time_end) FROM {q(name)}").fetchone()
        if tmin is not None or tmax is not None:
            coll.time_extent = (parse_datetime(tmin), parse_datetime(tmax))
    return coll


def where_sql(
    coll: Collection,
    query: Query,
    *,
    select: str,
    order: bool = False,
    inside: tuple[float, float, float, float] | None = None,
    outside: tuple[float, float, float, float] | None = None,
    not_indexed: bool = False,
    row_keys: str | None = None,
) -> tuple[str, list[Any]]:
    """SQL for a query; ``inside``/``outside`` keep only R*Tree boxes within / not within a box;
    ``not_indexed`` scans the table in its own order (no property index); ``row_keys`` (a JSON array)
    keeps only those rows.

    A ``bbox`` is served by the R*Tree as the first table: its boxes (32-bit, rounded outwards)
    narrow the rows, and the caller tests the geometries exactly.
    """
    table = q(coll.name)
    params: list[Any] = []
    clauses: list[str] = []
    if query.bbox is not None:
        minx, miny, maxx, maxy = query.bbox
        frm = f"{q(rtree_name(coll.name))} r JOIN {table} t ON t.fid = r.id"
        clauses.append("r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?")
        params += [maxx, minx, maxy, miny]
        if inside is not None:
            clauses.append("r.minx >= ? AND r.miny >= ? AND r.maxx <= ? AND r.maxy <= ?")
            params += list(inside)
        if outside is not None:
            clauses.append("NOT (r.minx >= ? AND r.miny >= ? AND r.maxx <= ? AND r.maxy <= ?)")
            params += list(outside)
    else:
        frm = f"{table} t NOT INDEXED" if not_indexed else f"{table} t"
    if row_keys is not None:
        clauses.append("t.fid IN (SELECT value FROM json_each(?))")
        params.append(row_keys)
    conditions, condition_params = where_clauses(SQLITE, coll, query, envelope=RTreeEnvelope(q(rtree_name(coll.name))), bbox=False)
    clauses += conditions
    params += condition_params
    sql = f"SELECT {select} FROM {frm}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    if order:
        sql += " ORDER BY " + order_sql(coll, query.sort)
        if query.limit is not None or query.offset:
            sql += " LIMIT ? OFFSET ?"
            params += [query.limit if query.limit is not None else -1, query.offset]
    return sql, params


def select_list(fields: list[Field]) -> str:
    """The columns a feature row is read from (see ``row_feature``)."""
    return "t.fid, t.vkc_id, t.geom, t.vkc_time, t.vkc_time_end" + "".join(f", t.{q(f.name)}" for f in fields)


def row_feature(row: tuple[Any, ...], geometry: Any, names: list[str], types: list[FieldType]) -> Feature:
    props = {n: from_sql(v, t) for n, t, v in zip(names, types, row[5:])}
    time = parse_datetime(row[3])
    end = parse_datetime(row[4])
    if end is not None and row[4] == row[3]:
        end = None  # an instant is stored with equal start and end
    return Feature(id=row[1], geometry=geometry, properties=props, time=time, time_end=end)
