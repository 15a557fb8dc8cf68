"""The sensor tables' way into the store: the kernel's seams, and the value conversions of its dialect.

SQL in this component is written once with ``?`` placeholders against
:class:`~vkc.store.dialect.Conn`; the store's :class:`~vkc.store.dialect.Dialect`
says how times, JSON and geometries cross the boundary on each backend.
"""

from __future__ import annotations

from vkc.store.base import Store
from vkc.store.dialect import EPOCH, Conn, DialectName

__all__ = ["EPOCH", "Conn", "SensorDb"]


class SensorDb:
    """Reads, transactions and value conversions on the store's database, for the SensorThings tables."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sql = store.dialect
        self.dialect: DialectName = store.dialect.name
        self.time_in = self.sql.time_in
        self.time_out = self.sql.time_out
        self.json_in = self.sql.json_in
        self.json_out = self.sql.json_out
        self.hour_start_sql = self.sql.hour_start_sql
        self.geometry_in_sql = self.sql.geometry_in_sql
        self.geometry_params = self.sql.geometry_params
        self.geometry_select = self.sql.geometry_select
        self.geometry_out = self.sql.geometry_out
        #: a connection for reads, and one transaction (committed when the block ends, rolled back on any error)
        self.reading = store.reading
        self.writing = store.writing

    def advisory_lock(self, conn: Conn, key: str) -> None:
        self.sql.advisory_lock(conn, key)

    def __repr__(self) -> str:
        return f"<SensorDb {self.dialect} {self.store.url!r}>"
