"""The small known store the API tests share: 25 places (points, one a day) and 2 zones (polygons)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import shapely

from vkc.store import Collection, Feature, Field, open_store

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


def seed(store_url: str) -> str:
    """Put ``places`` and ``zones`` into the (empty) store at ``store_url``; returns the URL."""
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
