"""The bulk GeoJSON geometry writer gives what GEOS's writer gives, for every geometry type and mix."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import shapely
import shapely.affinity

from vkc.geo.geojson_text import TextCache, geojson_texts

BIG = shapely.box(105.0, 20.9, 105.1, 21.0).buffer(0.01, quad_segs=600)  # 2 400+ coordinates: the bulk path
SAMPLES = [
    shapely.Point(105.85, 21.03),
    shapely.Point(105.123456789012345, 21.000000000000004),
    shapely.Point(1, 2, 3),
    shapely.MultiPoint([(1, 2), (3, 4)]),
    shapely.LineString([(0, 0), (1, 1)]),
    shapely.LineString([(0, 0, 1), (1, 1, 2)]),
    shapely.MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3)]]),
    shapely.box(0, 0, 1, 1),
    shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 0)], [[(1, 1), (2, 1), (2, 2), (1, 1)]]),
    shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
    shapely.Point(),
    shapely.Polygon(),
    shapely.LinearRing([(0, 0), (1, 0), (1, 1), (0, 0)]),
    shapely.GeometryCollection([shapely.Point(1, 2)]),
    None,
    BIG,
    shapely.MultiPolygon([BIG, shapely.box(110, 10, 111, 11)]),
]


def _array(geoms: list) -> np.ndarray:
    out = np.empty(len(geoms), dtype=object)
    out[:] = geoms
    return out


def _expected(geom: shapely.Geometry | None) -> object:
    return None if geom is None else json.loads(shapely.to_geojson(geom))


@pytest.mark.parametrize("seed", range(60))
def test_any_mix_reads_back_as_geos_writes_it(seed: int) -> None:
    rng = random.Random(seed)
    picked = rng.sample(SAMPLES, rng.randint(1, len(SAMPLES)))
    texts = geojson_texts(_array(picked))
    assert [None if t is None else json.loads(t) for t in texts] == [_expected(g) for g in picked]


def test_the_bulk_path_keeps_every_double_exactly() -> None:
    rng = np.random.default_rng(3)
    rings = [shapely.Polygon(np.column_stack([105 + rng.random(400), 21 + rng.random(400)])) for _ in range(10)]
    texts = geojson_texts(_array([shapely.MultiPolygon([r]) if i % 2 else r for i, r in enumerate(rings)]))
    for text, ring in zip(texts, rings):
        doc = json.loads(text)
        coords = doc["coordinates"][0] if doc["type"] == "Polygon" else doc["coordinates"][0][0]
        assert np.array_equal(np.array(coords), shapely.get_coordinates(ring))


def test_the_bulk_path_is_taken_for_large_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("GEOS's writer was used for a large input")

    monkeypatch.setattr(shapely, "to_geojson", refuse)
    texts = geojson_texts(_array([BIG, shapely.Point(1, 2), shapely.MultiPoint([(1, 2), (3, 4)]), None]))
    assert json.loads(texts[1]) == {"type": "Point", "coordinates": [1.0, 2.0]}
    assert json.loads(texts[2]) == {"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}
    assert texts[3] is None


def test_empty_input() -> None:
    assert geojson_texts(_array([])) == []


@pytest.mark.parametrize("seed", range(10))
def test_the_cache_gives_what_the_writer_gives(seed: int) -> None:
    cache = TextCache(min_coordinates=100)
    rng = random.Random(seed)
    for _ in range(4):
        picked = rng.sample(SAMPLES, rng.randint(1, len(SAMPLES)))
        assert cache.texts(_array(picked)) == geojson_texts(_array(picked))
    assert cache._texts  # the large ones were kept


def test_the_cache_is_keyed_by_content_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = TextCache(max_bytes=300_000, min_coordinates=100)
    moved = shapely.affinity.translate(BIG, 0.5)
    first = cache.texts(_array([BIG, moved]))
    assert json.loads(first[1]) == _expected(moved) and first[0] != first[1]
    writes: list[int] = []
    real = geojson_texts

    def counting(geoms: np.ndarray) -> list:
        writes.append(len(geoms))
        return real(geoms)

    monkeypatch.setattr("vkc.geo.geojson_text.geojson_texts", counting)
    assert cache.texts(_array([BIG, None])) == [first[0], None]
    assert writes == [1]  # only the missing geometry went to the writer (an array with None left)
    many = [shapely.affinity.translate(BIG, i) for i in range(6)]
    cache.texts(_array(many))
    assert cache._bytes <= 300_000 and len(cache._texts) < 6
