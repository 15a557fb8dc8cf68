"""The depth guard counts brackets outside strings only, across chunk boundaries, at any chunk size."""

from __future__ import annotations

import io
import json

import pytest

from vkc.errors import FormatError
from vkc.layers.json_depth import DepthGuard

TRICKY = {"a": ['[[[[ "quoted" \\\\', "\\\\\\\"[[[", {"b": [[1, 2], [3, [4, 5]]]}], "c": "}}}]]] \\\\"}


def depth_of(value) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def read_all(data: bytes, limit: int, chunk: int) -> DepthGuard:
    guard = DepthGuard(io.BytesIO(data), "x.geojson", limit)
    while guard.read(chunk):
        pass
    return guard


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 1 << 16])
def test_strings_with_brackets_quotes_and_backslashes_do_not_count(chunk: int) -> None:
    data = json.dumps(TRICKY).encode()
    deepest = depth_of(TRICKY)
    guard = read_all(data, deepest, chunk)  # exactly the limit passes
    assert guard.depth == 0 and not guard.in_string
    with pytest.raises(FormatError, match=f"nests more than {deepest - 1} levels deep"):
        read_all(data, deepest - 1, chunk)


def test_a_deep_file_is_refused_at_the_byte_where_it_passes_the_limit() -> None:
    data = b'{"features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(FormatError, match=r"x.geojson: the JSON nests more than 256 levels deep \(at byte 268\)"):
        read_all(data, 256, 1 << 16)
