"""Vector tiles built inside PostgreSQL: ``ST_AsMVTGeom`` and ``ST_AsMVT`` over the GiST index."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from vkc.store.model import Collection


def mvt_statement(coll: Collection, properties: tuple[str, ...], *, extent: int, buffer: int, thin_cell: int) -> tuple[sql.Composed, dict[str, Any]]:
    """The statement for one tile (parameters z, x, y); points thinned to one per ``thin_cell`` cell if set.

    Each feature's tile geometry is computed once (a LATERAL subquery the
    planner cannot inline), then both filtered and, when thinning, keyed by
    its cell: one integer, so the sort that keeps the lowest ``fid`` per cell
    compares one value, not two recomputed expressions.
    """
    columns: list[sql.Composable] = [sql.SQL("t.{}").format(sql.Identifier(p)) for p in properties]
    if "id" not in properties:
        columns.append(sql.SQL("t.vkc_id AS id"))
    selected = sql.SQL(", ").join(columns)
    outputs = sql.SQL(", ").join([sql.SQL("fid"), sql.SQL("geom"), *(sql.Identifier(p) for p in properties), *([] if "id" in properties else [sql.SQL("id")])])
    cells_per_row = (extent + 2 * buffer) // thin_cell + 2 if thin_cell else 0  # tile geometries reach into the buffer on both sides
    cell = (
        sql.SQL(", (floor(ST_X(m.g) / {c})::bigint * {n} + floor(ST_Y(m.g) / {c})::bigint) AS cell").format(c=sql.Literal(thin_cell), n=sql.Literal(cells_per_row))
        if thin_cell
        else sql.SQL("")
    )
    inner = sql.SQL(
        "SELECT t.fid, m.g AS geom{cell}, {selected} FROM {table} t CROSS JOIN env "
        "CROSS JOIN LATERAL (SELECT ST_AsMVTGeom(ST_Transform(t.geom, 3857), env.box, {extent}, {buffer}, true) AS g OFFSET 0) m "
        "WHERE t.geom && env.q AND m.g IS NOT NULL"
    ).format(cell=cell, extent=sql.Literal(extent), buffer=sql.Literal(buffer), selected=selected, table=sql.Identifier(coll.name))
    if thin_cell:
        inner = sql.SQL("SELECT DISTINCT ON (cell) {outputs} FROM ({inner}) s ORDER BY cell, fid").format(outputs=outputs, inner=inner)
    stmt = sql.SQL(
        "WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS box, "
        "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326) AS q) "
        "SELECT ST_AsMVT(tile, {name}, {extent}, 'geom', 'fid') FROM ({inner}) tile"
    ).format(name=sql.Literal(coll.name), extent=sql.Literal(extent), inner=inner)
    return stmt, {"margin": buffer / extent}
