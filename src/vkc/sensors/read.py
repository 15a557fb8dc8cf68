"""Reading SensorThings entities: one SQL query per entity set and per expanded relation.

A request addresses a *scope* (an entity set, narrowed by a navigation path
such as ``Datastreams(1)/Observations``); its options become ``WHERE``,
``ORDER BY``, ``LIMIT``/``OFFSET``. Expansions are read for the whole page at
once, with ``$top`` and ``$skip`` applied per parent (OGC 18-088 §9.3.2.1):
through a foreign key, a ``LIMIT`` per parent (so the newest observations of a
long Datastream cost the same as those of a short one); through a link table,
one query per relation and level with ``row_number()`` over each parent.
Every request reads and returns within a :class:`~vkc.sensors.response_size.ResponseBudget`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vkc.errors import InputError
from vkc.sensors.db import Conn, SensorDb
from vkc.sensors.entities import ENTITY_TYPES, EntityType, Relation
from vkc.sensors.queryables import compiler as predicate_compiler
from vkc.sensors.response_size import ResponseBudget
from vkc.sensors.schema import field_columns
from vkc.sta import query_options as q
from vkc.store.predicates import PredicateCompiler

DEFAULT_TOP = 100
MAX_TOP = 10_000
#: the components of a dataArray without $select (the Observation's own properties)
DATA_ARRAY_COMPONENTS = ("id", "phenomenonTime", "result", "resultTime", "resultQuality", "validTime", "parameters")


@dataclass
class Scope:
    """The entities of one set that a request addresses: ``WHERE`` text on alias ``e``."""

    et: EntityType
    where: str = "TRUE"
    params: list[Any] = field(default_factory=list)


def format_time(t: datetime | None) -> str | None:
    if t is None:
        return None
    text = t.isoformat(timespec="milliseconds" if t.microsecond % 1000 == 0 else "microseconds")
    return text.replace("+00:00", "Z")


class Reader:
    """Reads entities as SensorThings JSON; ``base`` is the service root URL (``…/sta/v1.1``)."""

    def __init__(self, db: SensorDb, base: str) -> None:
        self.db = db
        self.base = base.rstrip("/")

    # -- columns -----------------------------------------------------------
    def select_list(self, et: EntityType, alias: str = "e") -> str:
        cols = [f"{alias}.id"]
        for f in et.fields:
            for name, _ in field_columns(f, "postgres"):
                expr = f"{alias}.{name}"
                cols.append(self.db.geometry_select(expr) if f.kind == "geometry" else expr)
        cols += [f"{alias}.{r.fk}" for r in et.relations if r.fk]
        return ", ".join(cols)

    def decode(self, et: EntityType, row: tuple[Any, ...], budget: ResponseBudget) -> dict[str, Any]:
        """A row of :meth:`select_list` as an entity (``@iot.id`` first); foreign keys under ``_fk``, its size under ``_size``."""
        db = self.db
        out: dict[str, Any] = {"@iot.id": row[0], "_size": budget.size_of_row(row, len(et.relations), self.base)}
        i = 1
        for f in et.fields:
            if f.kind == "interval":
                start, end = db.time_out(row[i]), db.time_out(row[i + 1])
                value = None if start is None else (format_time(start) if end is None else f"{format_time(start)}/{format_time(end)}")
                i += 2
            elif f.kind == "result":
                number, string, other = row[i], row[i + 1], row[i + 2]
                value = number if number is not None else string if string is not None else db.json_out(other)
                i += 3
            elif f.kind == "geometry":
                value = db.geometry_out(row[i])
                i += 1
            elif f.kind == "time":
                value = format_time(db.time_out(row[i]))
                i += 1
            elif f.kind == "json":
                value = db.json_out(row[i])
                i += 1
            else:
                value = row[i]
                i += 1
            out[f.name] = value
        out["_fk"] = {r.fk: row[i + n] for n, r in enumerate(r for r in et.relations if r.fk)}
        return out

    # -- queries -----------------------------------------------------------
    def page(
        self,
        conn: Conn,
        scope: Scope,
        opts: q.QueryOptions,
        *,
        next_link: Callable[[int], str] | None = None,
        default_top: int = DEFAULT_TOP,
    ) -> dict[str, Any]:
        """One page of a collection: ``{"@iot.count"?, "@iot.nextLink"?, "value": [...]}``."""
        budget = ResponseBudget(has_expand=bool(opts.expand))
        entities, result = self._page(conn, scope, opts, next_link, default_top, budget)
        self.expand(conn, scope.et, entities, opts.expand, budget)
        budget.check_all(e["_size"] for e in entities)
        result["value"] = [self.finish(scope.et, e, opts) for e in entities]
        return result

    def data_array(self, conn: Conn, scope: Scope, opts: q.QueryOptions, *, next_link: Callable[[int], str] | None = None) -> dict[str, Any]:
        """A page of Observations in the dataArray format (OGC 18-088 §14.3): one block per Datastream.

        ``components`` are the ``$select``ed properties in their order, else :data:`DATA_ARRAY_COMPONENTS`.
        """
        et = scope.et
        if et.name != "Observation":
            raise InputError(f"$resultFormat=dataArray applies to Observations, not {et.set_name}", field="$resultFormat")
        components = [c for c in opts.select if c != "@iot.id"] or list(DATA_ARRAY_COMPONENTS)
        known = {"id"} | {f.name for f in et.fields}
        unknown = [c for c in components if c not in known]
        if unknown or opts.expand:
            what = f"$select: {', '.join(unknown)} cannot be a dataArray component" if unknown else "$expand: not with $resultFormat=dataArray"
            raise InputError(f"{what}; components are {', '.join(sorted(known))}", field="$resultFormat")
        budget = ResponseBudget(has_expand=False)
        entities, result = self._page(conn, scope, opts, next_link, DEFAULT_TOP, budget)
        budget.check_all(e["_size"] for e in entities)
        blocks: dict[Any, list[list[Any]]] = {}
        for e in entities:
            row = [e["@iot.id"] if c == "id" else e.get(c) for c in components]
            blocks.setdefault(e["_fk"]["datastream_id"], []).append(row)
        datastreams = ENTITY_TYPES["Datastreams"]
        result["value"] = [
            {"Datastream@iot.navigationLink": self.self_link(datastreams, ds), "components": components, "dataArray@iot.count": len(rows), "dataArray": rows}
            for ds, rows in blocks.items()
        ]
        return result

    def _page(
        self, conn: Conn, scope: Scope, opts: q.QueryOptions, next_link: Callable[[int], str] | None, default_top: int, budget: ResponseBudget
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        et = scope.et
        compiler = predicate_compiler(self.db, et)
        where, params = self._where(compiler, scope, opts)
        top = min(opts.top if opts.top is not None else default_top, MAX_TOP)
        order, order_params = self._order(compiler, opts)
        stmt = f"SELECT {self.select_list(et)} FROM {et.table} e WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        rows = conn.execute(stmt, [*params, *order_params, top + 1, opts.skip]).fetchall()
        budget.read(len(rows) - 1 if len(rows) > top else len(rows))
        entities = [self.decode(et, r, budget) for r in rows[:top]]
        result: dict[str, Any] = {}
        if opts.count:
            result["@iot.count"] = conn.execute(f"SELECT count(*) FROM {et.table} e WHERE {where}", params).fetchone()[0]
        if len(rows) > top and next_link is not None:
            result["@iot.nextLink"] = next_link(opts.skip + top)
        return entities, result

    def one(self, conn: Conn, scope: Scope, opts: q.QueryOptions) -> dict[str, Any] | None:
        et = scope.et
        where, params = self._where(predicate_compiler(self.db, et), scope, q.QueryOptions())
        row = conn.execute(f"SELECT {self.select_list(et)} FROM {et.table} e WHERE {where} LIMIT 1", params).fetchone()
        if row is None:
            return None
        budget = ResponseBudget(has_expand=bool(opts.expand))
        entity = self.decode(et, row, budget)
        self.expand(conn, et, [entity], opts.expand, budget)
        budget.check(entity["_size"])
        return self.finish(et, entity, opts)

    def _where(self, compiler: PredicateCompiler, scope: Scope, opts: q.QueryOptions) -> tuple[str, list[Any]]:
        if opts.filter is None:
            return scope.where, list(scope.params)
        cond, params = compiler.condition(opts.filter, "$filter")
        return f"({scope.where}) AND {cond}", [*scope.params, *params]

    def _order(self, compiler: PredicateCompiler, opts: q.QueryOptions) -> tuple[str, list[Any]]:
        if not opts.orderby:
            return "e.id", []
        order, params = compiler.order([(item.expr, item.descending) for item in opts.orderby], "$orderby")
        return f"{order}, e.id", params

    # -- expansion ---------------------------------------------------------
    def expand(self, conn: Conn, et: EntityType, entities: list[dict[str, Any]], expands: tuple[Any, ...], budget: ResponseBudget) -> None:
        if not entities:
            return
        for item in expands:
            rel = _relation(et, item.path[0])
            opts = item.options
            if len(item.path) > 1:  # the path form: Datastreams/Observations
                opts = q.QueryOptions(expand=(q.Expand(item.path[1:], item.options),))
            target = ENTITY_TYPES[rel.target]
            if rel.many:
                self._expand_many(conn, et, rel, target, entities, opts, budget)
            else:
                self._expand_one(conn, rel, target, entities, opts, budget)

    def _expand_one(
        self, conn: Conn, rel: Relation, target: EntityType, entities: list[dict[str, Any]], opts: q.QueryOptions, budget: ResponseBudget
    ) -> None:
        ids = sorted({e["_fk"][rel.fk] for e in entities if e["_fk"].get(rel.fk) is not None})
        found: dict[Any, dict[str, Any]] = {}
        if ids:
            cond, params = self.in_list("e.id", ids)
            rows = conn.execute(f"SELECT {self.select_list(target)} FROM {target.table} e WHERE {cond}", params).fetchall()
            budget.read(len(rows))
            children = [self.decode(target, r, budget) for r in rows]
            self.expand(conn, target, children, opts.expand, budget)
            found = {c["@iot.id"]: c for c in children}
        for e in entities:
            child = found.get(e["_fk"].get(rel.fk))
            if child is not None:
                budget.attach(e["_size"], child["_size"])
            e.setdefault("_expanded", {})[rel.name] = None if child is None else self.finish(target, child, opts)

    def _expand_many(
        self,
        conn: Conn,
        et: EntityType,
        rel: Relation,
        target: EntityType,
        entities: list[dict[str, Any]],
        opts: q.QueryOptions,
        budget: ResponseBudget,
    ) -> None:
        parent_ids = [e["@iot.id"] for e in entities]
        if rel.target_fk:
            source, key = f"{target.table} e", f"e.{rel.target_fk}"
        else:
            table, to_this, to_target = rel.link  # type: ignore[misc]
            source, key = f"{table} l JOIN {target.table} e ON e.id = l.{to_target}", f"l.{to_this}"
        compiler = predicate_compiler(self.db, target)
        cond, params = self.in_list(key, parent_ids)
        if opts.filter is not None:
            fcond, fparams = compiler.condition(opts.filter, "$filter")
            cond, params = f"{cond} AND {fcond}", [*params, *fparams]
        order, order_params = self._order(compiler, opts)
        top = min(opts.top if opts.top is not None else DEFAULT_TOP, MAX_TOP)
        if rel.target_fk:
            fcond, fparams = compiler.condition(opts.filter, "$filter") if opts.filter is not None else ("TRUE", [])
            rows = self._first_per_parent(
                conn, target, rel.target_fk, parent_ids, (fcond, fparams), (order, order_params), opts.skip, top + 1, budget.rows_allowed() + 1
            )
        else:
            stmt = (
                f"SELECT * FROM (SELECT {key} AS parent_key, {self.select_list(target)}, "
                f"row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS rn FROM {source} WHERE {cond}) s "
                "WHERE rn > ? AND rn <= ? ORDER BY parent_key, rn LIMIT ?"
            )
            rows = conn.execute(stmt, [*order_params, *params, opts.skip, opts.skip + top + 1, budget.rows_allowed() + 1]).fetchall()
        budget.read(len(rows))
        grouped: dict[Any, list[dict[str, Any]]] = {pid: [] for pid in parent_ids}
        more: set[Any] = set()
        children: list[dict[str, Any]] = []
        for row in rows:
            parent, rn = row[0], row[-1]
            if rn > opts.skip + top:
                more.add(parent)
                continue
            child = self.decode(target, row[1:-1], budget)
            grouped[parent].append(child)
            children.append(child)
        counts: dict[Any, int] = {}
        if opts.count:
            counts = dict(conn.execute(f"SELECT {key}, count(*) FROM {source} WHERE {cond} GROUP BY {key}", params).fetchall())
        self.expand(conn, target, children, opts.expand, budget)
        for e in entities:
            pid = e["@iot.id"]
            for c in grouped[pid]:
                budget.attach(e["_size"], c["_size"])
            e.setdefault("_expanded", {})[rel.name] = [self.finish(target, c, opts) for c in grouped[pid]]
            if opts.count:
                e["_expanded"][f"{rel.name}@iot.count"] = counts.get(pid, 0)
            if pid in more:
                link = f"{self.self_link(et, pid)}/{rel.name}?$top={top}&$skip={opts.skip + top}"
                e["_expanded"][f"{rel.name}@iot.nextLink"] = link

    def _first_per_parent(
        self,
        conn: Conn,
        target: EntityType,
        fk: str,
        parent_ids: list[Any],
        where: tuple[str, list[Any]],
        order: tuple[str, list[Any]],
        skip: int,
        limit: int,
        at_most: int,
    ) -> list[tuple[Any, ...]]:
        """Rows ``(parent, *columns, rank)`` of each parent's first ``limit`` children after ``skip``, ``at_most`` rows in all.

        One ``LIMIT`` per parent, so the index on the foreign key (and, for
        Observations, on phenomenon time) serves the newest few children of a
        long Datastream without reading the others: a LATERAL join in
        PostgreSQL, one prepared query per parent in SQLite.
        """
        (fcond, fparams), (order_sql, order_params) = where, order
        inner = f"SELECT {self.select_list(target)} FROM {target.table} e WHERE e.{fk} = {{parent}} AND {fcond} ORDER BY {order_sql} LIMIT ? OFFSET ?"
        if self.db.dialect == "postgres":
            stmt = f"SELECT p.pid, s.* FROM unnest(?::bigint[]) AS p(pid) CROSS JOIN LATERAL ({inner.format(parent='p.pid')}) s LIMIT ?"
            found = conn.execute(stmt, [list(parent_ids), *fparams, *order_params, limit, skip, at_most]).fetchall()
        else:
            stmt = inner.format(parent="?")
            found = []
            for pid in parent_ids:
                found += [(pid, *row) for row in conn.execute(stmt, [pid, *fparams, *order_params, limit, skip]).fetchall()]
                if len(found) >= at_most:
                    del found[at_most:]
                    break
        rows, rank, last = [], 0, object()
        for row in found:
            rank = rank + 1 if row[0] == last else skip + 1
            last = row[0]
            rows.append((*row, rank))
        return rows

    def in_list(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        return self.db.sql.in_list(column, values)

    # -- output ------------------------------------------------------------
    def self_link(self, et: EntityType, entity_id: Any) -> str:
        return f"{self.base}/{et.set_name}({entity_id})"

    def finish(self, et: EntityType, entity: dict[str, Any], opts: q.QueryOptions) -> dict[str, Any]:
        """The entity as the API shows it: selected properties, self and navigation links, expansions."""
        selected = set(opts.select)
        everything = not selected
        link = self.self_link(et, entity["@iot.id"])
        out: dict[str, Any] = {}
        if everything or selected & {"id", "@iot.id"}:
            out["@iot.id"] = entity["@iot.id"]
        if everything or "@iot.selfLink" in selected:
            out["@iot.selfLink"] = link
        for f in et.fields:
            if everything or f.name in selected:
                value = entity.get(f.name)
                if value is not None or f.name == "result" or not everything:
                    out[f.name] = value
        for r in et.relations:
            if everything or r.name in selected:
                out[f"{r.name}@iot.navigationLink"] = f"{link}/{r.name}"
        out.update(entity.get("_expanded", {}))
        return out


def _relation(et: EntityType, name: str) -> Relation:
    rel = et.relation(name)
    if rel is None:
        names = ", ".join(r.name for r in et.relations)
        raise InputError(f"$expand: {et.name} has no relation {name!r}; it has {names}", field="$expand")
    return rel
