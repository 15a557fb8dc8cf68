"""A digest of everything a store holds, read straight from the database: every table, every row, in key order.

Two digests are equal only if no table gained, lost or changed a row (GeoPackage
metadata tables, R*Trees and PostgreSQL's own catalogues included as far as the
database lists them as tables of the store's schema).
"""

from __future__ import annotations

import hashlib
import sqlite3

import psycopg


def _feed(digest, table: str, rows) -> None:
    digest.update(f"\x00table {table}\x00".encode())
    for row in rows:
        digest.update(repr(tuple(row)).encode())


def store_digest(url: str) -> str:
    digest = hashlib.sha256()
    if url.startswith("postgresql"):
        with psycopg.connect(url) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> 'spatial_ref_sys' ORDER BY 1"
            )]
            for table in tables:
                rows = conn.execute(f'SELECT t::text FROM "{table}" t ORDER BY 1').fetchall()
                _feed(digest, table, rows)
    else:
        conn = sqlite3.connect(f"file:{url}?mode=ro", uri=True)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")]
            for table in tables:
                columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
                order = ", ".join(str(i + 1) for i in range(len(columns))) or "1"
                _feed(digest, table, conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}'))
        finally:
            conn.close()
    return digest.hexdigest()
