"""Vector tiles built inside PostgreSQL: ``ST_AsMVTGeom`` and ``ST_AsMVT`` over the GiST index."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from vkc.store.model import Collection


def mvt_statement(coll: Collection, properties: tuple[str, ...], *, extent: int, buffer: int, thin_cell: int) -> tuple[sql.Composed, dict[str, Any]]:
    """The statement for one tile (parameters z, x, y); points thinned to one per ``thin_cell`` cell if set."""
    columns = [sql.SQL("t.{}").format(sql.Identifier(p)) for p in properties]
    if "id" not in properties:
        columns.append(sql.SQL("t.vkc_id AS id"))
    selected = sql.SQL(", ").join(columns)
    inner = sql.SQL(
        "SELECT t.fid, ST_AsMVTGeom(ST_Transform(t.geom, 3857), env.box, {extent}, {buffer}, true) AS geom, {selected} "
        "FROM {table} t, env WHERE t.geom && env.q"
    ).format(extent=sql.Literal(extent), buffer=sql.Literal(buffer), selected=selected, table=sql.Identifier(coll.name))
    if thin_cell:
        inner = sql.SQL(
            "SELECT DISTINCT ON (floor(ST_X(geom) / {cell}), floor(ST_Y(geom) / {cell})) * FROM ({inner}) s "
            "WHERE geom IS NOT NULL ORDER BY floor(ST_X(geom) / {cell}), floor(ST_Y(geom) / {cell}), fid"
        ).format(cell=sql.Literal(thin_cell), inner=inner)
    stmt = sql.SQL(
        "WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS box, "
        "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326) AS q) "
        "SELECT ST_AsMVT(tile, {name}, {extent}, 'geom', 'fid') FROM ({inner}) tile WHERE geom IS NOT NULL"
    ).format(name=sql.Literal(coll.name), extent=sql.Literal(extent), inner=inner)
    return stmt, {"margin": buffer / extent}
