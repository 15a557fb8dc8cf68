"""The application in-process over a fresh store of each backend, with a small known collection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import shapely
from fastapi.testclient import TestClient

from vkc import auth
from vkc.config import Settings
from vkc.store import Collection, Feature, Field, open_store
from vkc.web import create_app

START = datetime(2024, 1, 1, tzinfo=UTC)


def place_features(n: int = 25) -> list[Feature]:
    """Points on a line across Hà Nội, one a day, every fifth without a kind."""
    return [
        Feature(
            id=f"p{i:02d}",
            geometry=shapely.Point(105.70 + i * 0.01, 21.00 + i * 0.001),
            properties={"name": f"Điểm {i}", "rank": i, "score": i / 4, "kind": None if i % 5 == 0 else ("school" if i % 2 else "park")},
            time=START + timedelta(days=i),
        )
        for i in range(n)
    ]


@pytest.fixture
def seeded_url(store_url: str) -> str:
    with open_store(store_url) as store:
        store.create_collection(
            Collection(
                name="places",
                title="Địa điểm",
                geometry_type="POINT",
                fields=[Field("name", "text"), Field("rank", "integer"), Field("score", "real"), Field("kind", "text")],
            )
        )
        store.upsert("places", place_features())
        store.create_collection(Collection(name="zones", geometry_type="POLYGON", fields=[Field("label", "text")]))
        store.upsert(
            "zones",
            [
                Feature(id="west", geometry=shapely.box(105.60, 20.90, 105.80, 21.10), properties={"label": "West"}),
                Feature(id="east", geometry=shapely.box(105.80, 20.90, 106.00, 21.10), properties={"label": "East"}),
            ],
        )
    return store_url


@pytest.fixture
def client(seeded_url: str):
    with TestClient(create_app(Settings(database=seeded_url))) as c:
        yield c


@pytest.fixture
def editor_token(seeded_url: str) -> str:
    with open_store(seeded_url) as store:
        return auth.create_token(store, "editor", name="test editor")[1]
