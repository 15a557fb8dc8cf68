"""Reading the PostGIS store: collection records and query SQL (GiST ``&&`` plus exact ``ST_Intersects``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from psycopg import sql

from vkc.errors import CollectionNotFound
from vkc.store.dialect import POSTGRES
from vkc.store.feature_queryables import order_sql, where_clauses
from vkc.store.model import Collection, Feature, Field, Query
from vkc.store.values import format_datetime


def read_collection(conn: Any, name: str, *, with_stats: bool = False, with_count: bool = True) -> Collection:
    row = conn.execute(
        "SELECT name, title, description, geometry_type, fields, metadata FROM vkc_collections WHERE name = %s", (name,)
    ).fetchone()
    if row is None:
        raise CollectionNotFound(f"no collection named {name!r}", collection=name)
    coll = Collection(
        name=row[0], title=row[1], description=row[2], geometry_type=row[3],
        fields=[Field(n, t) for n, t in row[4]], metadata=row[5],
    )
    if with_stats:
        t = sql.Identifier(name)
        if with_count:
            coll.count = int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(t)).fetchone()[0])
        box = conn.execute(
            "SELECT min(min_x), min(min_y), max(max_x), max(max_y) FROM vkc_extent_log WHERE name = %s", (name,)
        ).fetchone()
        if box[0] is not None:
            coll.extent = tuple(box)
        tmin, tmax = conn.execute(sql.SQL("SELECT min(vkc_time), max(vkc_time_end) FROM {}").format(t)).fetchone()
        if tmin is not None or tmax is not None:
            coll.time_extent = (tmin, tmax)
    return coll


def where_sql(
    coll: Collection, query: Query, *, select: sql.Composable, order: bool = False, sort_matches: bool = False
) -> tuple[sql.Composed, list[Any]]:
    """SQL for a query; ``sort_matches`` orders by an expression of the row key, so that the planner finds
    the matches first (through a property index) and sorts them, instead of walking the key's index."""
    conditions, params = where_clauses(POSTGRES, coll, query, envelope=None, bbox=True)
    # the conditions are built from quoted identifiers and placeholders only
    clauses = [sql.SQL(POSTGRES.adapt(text)) for text in conditions]
    stmt = sql.SQL("SELECT {} FROM {} t").format(select, sql.Identifier(coll.name))
    if clauses:
        stmt = sql.SQL("{} WHERE {}").format(stmt, sql.SQL(" AND ").join(clauses))
    if order:
        terms = order_sql(coll, query.sort)
        if sort_matches and not query.sort:
            terms = "t.fid + 0"
        stmt = sql.SQL("{} ORDER BY " + terms).format(stmt)
        if query.limit is not None:
            stmt = sql.SQL("{} LIMIT %s").format(stmt)
            params.append(query.limit)
        if query.offset:
            stmt = sql.SQL("{} OFFSET %s").format(stmt)
            params.append(query.offset)
    return stmt, params


def feature_by_id_sql(name: str) -> sql.Composed:
    """One feature and its collection's fields in one statement (parameters: id, name).

    No row: the collection is gone. A row of nulls after ``fields``: no such
    feature. ``t.*`` takes every column the snapshot has, so the fields read
    and the columns read always agree, with no schema read first.
    """
    return sql.SQL("SELECT c.fields, t.* FROM vkc_collections c LEFT JOIN {} t ON t.vkc_id = %s WHERE c.name = %s").format(sql.Identifier(name))


def joined_feature(row: tuple[Any, ...], columns: list[str]) -> Feature | None:
    """The feature of a ``feature_by_id_sql`` row (fetched in binary: ``geom`` is EWKB), None if it has none."""
    at = {name: i for i, name in enumerate(columns)}
    if row[at["vkc_id"]] is None:
        return None
    fields = [Field(n, t) for n, t in row[0]]
    wkb = row[at["geom"]]
    ordered = (row[at["vkc_id"]], None, row[at["vkc_time"]], row[at["vkc_time_end"]], *(row[at[f.name]] for f in fields))
    return row_feature(ordered, None if wkb is None else shapely.from_wkb(wkb), fields)


def select_list(fields: list[Field]) -> sql.Composed:
    """The columns a feature row is read from (see ``row_feature``)."""
    return sql.SQL(", ").join(
        [sql.SQL("t.vkc_id, ST_AsBinary(t.geom), t.vkc_time, t.vkc_time_end")] + [sql.SQL("t.{}").format(sql.Identifier(f.name)) for f in fields]
    )


def rows_features(rows: list[tuple[Any, ...]], fields: list[Field]) -> Iterator[Feature]:
    """Feature rows (``select_list``) as features, their WKB decoded at once."""
    geoms = shapely.from_wkb(np.array([None if r[1] is None else bytes(r[1]) for r in rows], dtype=object))
    for row, geom in zip(rows, geoms.tolist()):
        yield row_feature(row, geom, fields)


def row_feature(row: tuple[Any, ...], geometry: Any, fields: list[Field]) -> Feature:
    props = {}
    for f, value in zip(fields, row[4:]):
        if isinstance(value, datetime):
            value = format_datetime(value)
        elif isinstance(value, date):
            value = value.isoformat()
        props[f.name] = value
    time, end = row[2], row[3]
    if end is not None and end == time:
        end = None  # an instant is stored with equal start and end
    return Feature(id=row[0], geometry=geometry, properties=props, time=time, time_end=end)
