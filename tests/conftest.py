"""Shared fixtures: a fresh store per test, the seeded store and the application over it, and the CLI run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "test.gpkg"


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL + PostGIS server per test process (see tests/support/pg_cluster.py)."""
    from pg_cluster import Cluster

    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def gpkg_store(store_path: Path):
    from vkc.store import open_store

    with open_store(store_path) as s:
        yield s


@pytest.fixture(params=["gpkg", "postgis"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_url(backend: str, store_path: Path, request) -> str:
    """A fresh, empty store of each backend: a GeoPackage file, or a new PostGIS database."""
    if backend == "gpkg":
        return str(store_path)
    return request.getfixturevalue("pg_cluster").new_database()


@pytest.fixture
def store(store_url: str):
    """The same tests run against both backends (the GeoPackage file and PostGIS)."""
    from vkc.store import open_store

    with open_store(store_url) as s:
        yield s


@pytest.fixture
def seeded_url(store_url: str) -> str:
    """A store of each backend with a small known collection of places and one of zones (tests/support/seeded_store.py)."""
    from seeded_store import seed

    return seed(store_url)


@pytest.fixture
def client(seeded_url: str):
    """The application in-process over the seeded store."""
    from fastapi.testclient import TestClient

    from vkc.config import Settings
    from vkc.web import create_app

    with TestClient(create_app(Settings(database=seeded_url))) as c:
        yield c


@pytest.fixture
def editor_token(seeded_url: str) -> str:
    from vkc import auth
    from vkc.store import open_store

    with open_store(seeded_url) as store:
        return auth.create_token(store, "editor", name="test editor")[1]


def _run(args: list[str], *, input: str | None = None, env: dict[str, str] | None = None, cwd: Path | None = None):
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env.pop("VKC_DATABASE_URL", None) if env is None or "VKC_DATABASE_URL" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "vkc", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=600,
    )


@pytest.fixture
def vkc():
    """Run ``vkc ARGS...`` in a subprocess; returns CompletedProcess (stdout, stderr, returncode)."""
    return _run


@pytest.fixture(autouse=True)
def _no_tiles_kept_from_other_tests():
    """Each test starts with no tile in this process's cache (its costly bound lets kept tiles through whatever their store)."""
    from vkc.ogc import tile_cache

    tile_cache.TILES.clear()
