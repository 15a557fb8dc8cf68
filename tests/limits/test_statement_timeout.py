"""One expensive statement cannot hold the database: past the server's statement timeout it is stopped and the request answered 503.

PostgreSQL stops it with its own ``statement_timeout``; SQLite through the progress
handler of :mod:`vkc.store.statement_limits`, counting the time the statement keeps the
database busy, not the time its caller spends on the rows.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from vkc.config import Settings
from vkc.errors import QueryTimeout
from vkc.store import Collection, FeatureBatch, Field, open_store
from vkc.web import create_app

ENDLESS = {
    "sqlite": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
    "postgres": "SELECT pg_sleep(30)",
}


def test_a_statement_past_the_limit_is_stopped_and_the_connection_serves_the_next(store_url: str) -> None:
    with open_store(store_url, statement_timeout=0.3) as store:
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="ran longer than this server allows"), store.reading() as conn:
            conn.execute(ENDLESS[store.dialect.name]).fetchall()
        assert time.monotonic() - started < 5
        with store.reading() as conn:  # each statement has its own clock
            assert conn.execute("SELECT 1").fetchone()[0] == 1
        store.create_collection(Collection(name="after", geometry_type="POINT"))  # writes go on
        assert store.collection("after").count == 0


def test_without_a_limit_nothing_is_stopped(gpkg_store) -> None:
    with gpkg_store.reading() as conn:
        rows = conn.execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 3000000) SELECT count(*) FROM n")
        assert rows.fetchone()[0] == 3_000_000


def test_sqlite_counts_the_database_s_time_not_the_caller_s(store_path) -> None:
    with open_store(store_path, statement_timeout=0.2) as store, store.reading() as conn:
        cursor = conn.execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 40) SELECT x FROM n")
        seen = 0
        for _ in cursor:  # 40 × 20 ms of the caller's own work: 0.8 s in all, far past the limit, none of it the database's
            time.sleep(0.02)
            seen += 1
        assert seen == 40


@pytest.fixture
def big_url(store_url: str) -> str:
    """60 000 points with a text property: enough that a filter nothing can index keeps the database busy a while."""
    n = 60_000
    rng = np.random.default_rng(7)
    geoms = shapely.points(rng.uniform(105.0, 106.0, n), rng.uniform(20.5, 21.5, n))
    props = [{"label": f"điểm {i}"} for i in range(n)]
    with open_store(store_url) as store, store.transaction() as tx:
        tx.create_collection(Collection(name="big", geometry_type="POINT", fields=[Field("label", "text")]))
        tx.upsert_batch("big", FeatureBatch(ids=[str(i) for i in range(n)], geometries=geoms, properties=props))
    return store_url


def test_the_api_answers_503_for_the_expensive_request_and_200_without_a_limit(big_url: str) -> None:
    query = {"filter": "label LIKE '%99999%'", "limit": "10"}
    with TestClient(create_app(Settings(database=big_url, statement_timeout=0.001))) as api:
        r = api.get("/ogc/collections/big/items", params=query)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/query-timeout") and "ask for less" in r.json()["detail"]
    with TestClient(create_app(Settings(database=big_url))) as api:
        r = api.get("/ogc/collections/big/items", params=query)
        assert r.status_code == 200 and r.json()["features"] == []
