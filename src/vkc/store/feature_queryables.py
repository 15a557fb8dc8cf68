"""The queryables of a feature collection, the conditions of an items query as one expression, and its ORDER BY.

A collection's queryables are its properties (typed by its schema) plus
``id`` (the feature id), ``geometry`` and ``datetime`` (the feature's time:
an instant or an interval, open ends allowed); a property of the same name
comes first. Both stores compile an items query's ``where`` equalities, ids,
``datetime`` and CQL2 ``filter`` through :class:`~vkc.store.predicates.PredicateCompiler`
with these; the ``bbox`` too in PostGIS, while the GeoPackage store serves it
through its R*Tree as the query's first table and tests it exactly itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from vkc.errors import InputError
from vkc.store import filters as F
from vkc.store.dialect import Dialect
from vkc.store.model import Collection, Condition, Query
from vkc.store.predicates import Envelope, Operand, PredicateCompiler
from vkc.store.predicates.queryables import Typing

#: how a Condition's operator is written in the tree (``like``, ``in`` and the null tests have nodes of their own)
_CONDITION_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class FeatureQueryables:
    """The queryables of ``coll`` in a query on its table aliased ``t``; ``envelope``: how its geometries are narrowed by box.

    ``literals_checked``: literals must be of the type of the property they meet (a CQL2 filter); otherwise they are
    converted for its column as they are (the conditions of a :class:`~vkc.store.model.Query`, which its callers type).
    """

    typing: Typing = "declared"

    def __init__(self, coll: Collection, envelope: Envelope | None = None, *, literals_checked: bool = True) -> None:
        self.coll = coll
        self.fields = coll.field_map()
        self.envelope = envelope
        self.literals_checked = literals_checked

    def resolve(self, prop: F.Prop, fail: Callable[[str], InputError]) -> Operand:
        field = self.fields.get(prop.name) if not prop.path else None
        if field is not None:
            return Operand(f"t.{quote(field.name)}", kind=field.type)
        if prop.name == "id":
            return Operand("t.vkc_id", kind="text")
        if prop.name == "datetime":
            return Operand("t.vkc_time", kind="feature_time", end=Operand("t.vkc_time_end", kind="feature_time"))
        if prop.name == "geometry":
            return Operand("t.geom", kind="geometry", envelope=self.envelope)
        names = ", ".join(dict.fromkeys(["id", "geometry", "datetime", *self.fields]))
        shown = "/".join(prop.steps)
        raise fail(f"collection {self.coll.name!r} has no queryable {shown!r}; queryables: {names}")

    def describe(self, node: Any) -> str:
        if isinstance(node, F.Prop):
            return f"property {node.name!r}"
        if isinstance(node, BaseGeometry):  # every shapely geometry; shapely.Geometry is its untyped C base
            return str(node.geom_type)
        if isinstance(node, str):
            return repr(node)
        if isinstance(node, int | float | bool | date):
            return repr(node) if not isinstance(node, date) else node.isoformat()
        return type(node).__name__


def item_conditions(coll: Collection, query: Query, *, bbox: bool) -> list[Any]:
    """The conditions of ``query`` but its ``filter``, in the tree: property conditions, ids, ``datetime``, and the ``bbox`` if asked."""
    conditions: list[Any] = []
    if bbox and query.bbox is not None:
        # the ring as PostGIS' ST_MakeEnvelope draws it
        conditions.append(F.Spatial("s_intersects", F.Prop("geometry"), shapely.box(*query.bbox, ccw=False)))
    fields = coll.field_map()
    for cond in query.where:
        if cond.field != "id" and cond.field not in fields:
            raise InputError(
                f"collection {coll.name!r} has no property {cond.field!r}; properties: {', '.join(fields) or 'none'}", field=cond.field
            )
        conditions.append(_condition(cond))
    if query.ids is not None:
        conditions.append(F.In(F.Prop("id"), tuple(query.ids)))
    if query.time is not None:
        start, end = query.time
        feature_time = F.Prop("datetime")
        conditions.append(F.Not(F.IsNull(feature_time)))
        if start is not None:
            conditions.append(F.Compare(">=", F.Call("maxdatetime", (feature_time,)), start))
        if end is not None:
            begins = F.Call("mindatetime", (feature_time,))
            conditions.append(F.Or((F.IsNull(begins), F.Compare("<=", begins, end))))
    return conditions


def _condition(cond: Condition) -> Any:
    prop = F.Prop(cond.field)
    if cond.op == "is_null":
        return F.IsNull(prop)
    if cond.op == "not_null":
        return F.Not(F.IsNull(prop))
    if cond.op == "in":
        return F.In(prop, tuple(cond.value))
    if cond.op == "like":
        return F.Like(prop, cond.value)
    return F.Compare(_CONDITION_OPS[cond.op], prop, cond.value)  # type: ignore[arg-type]


def where_clauses(dialect: Dialect, coll: Collection, query: Query, *, envelope: Envelope | None, bbox: bool) -> tuple[list[str], list[Any]]:
    """The WHERE conditions of ``query`` (its ``bbox`` too if asked) and their parameters, for ``dialect``."""
    clauses: list[str] = []
    params: list[Any] = []
    conditions = item_conditions(coll, query, bbox=bbox)
    if conditions:
        given = PredicateCompiler(dialect, FeatureQueryables(coll, envelope, literals_checked=False))
        sql, found = given.condition(F.conjunction(conditions), "filter", bounded=False)
        clauses.append(sql)
        params += found
    if query.filter is not None:
        sql, found = PredicateCompiler(dialect, FeatureQueryables(coll, envelope)).condition(query.filter, "filter")
        clauses.append(sql)
        params += found
    return clauses, params


def order_sql(coll: Collection, sort: tuple[tuple[str, bool], ...]) -> str:
    """``ORDER BY`` terms for ``sortby``, ending with the row key so paging is stable."""
    fields = coll.field_map()
    terms = []
    for name, descending in sort:
        if name in fields:
            column = f"t.{quote(name)}"
            if fields[name].type == "json":
                raise InputError(f"sortby: property {name!r} holds JSON and cannot be sorted", field="sortby")
        elif name == "id":
            column = "t.vkc_id"
        elif name == "datetime":
            column = "t.vkc_time"
        else:
            raise InputError(
                f"sortby: collection {coll.name!r} has no sortable property {name!r}; sortables: {', '.join(dict.fromkeys(['id', 'datetime', *fields]))}",
                field="sortby",
            )
        # nulls sort as the largest values on both backends (PostgreSQL's rule; SQLite's is the opposite)
        terms.append(f"{column} DESC NULLS FIRST" if descending else f"{column} ASC NULLS LAST")
    return ", ".join([*terms, "t.fid"])
