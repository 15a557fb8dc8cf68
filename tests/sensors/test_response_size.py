"""The bounds on one SensorThings response: rows read, entities and bytes, counted with repeats."""

from __future__ import annotations

import pytest

from vkc.errors import InputError
from vkc.sensors.response_size import ResponseBudget, Size


def test_sizes_add_up_bottom_up_counting_repeats() -> None:
    budget = ResponseBudget(has_expand=True, max_entities=10)
    thing = Size(1, 100)
    for _ in range(3):
        budget.attach(thing, Size(1, 50))
    assert (thing.entities, thing.bytes) == (4, 250)
    parent = Size(1, 10)
    budget.attach(parent, thing)
    budget.attach(parent, thing)  # the same Thing under a second parent counts again
    assert parent.entities == 9
    with pytest.raises(InputError, match=r"\$expand: the response would hold more than 10 entities") as info:
        budget.attach(parent, thing)
    assert info.value.detail["field"] == "$expand"


def test_bytes_are_bounded_and_a_page_without_expand_names_top() -> None:
    budget = ResponseBudget(has_expand=False, max_bytes=2**20)
    row = (1, "x" * 600_000, None)
    total = Size()
    budget.attach(total, budget.size_of_row(row, 2, "http://h/sta/v1.1"))
    with pytest.raises(InputError, match=r"\$top: the response would hold more than 1 MiB; set a lower \$top") as info:
        budget.attach(total, budget.size_of_row(row, 2, "http://h/sta/v1.1"))
    assert info.value.detail["field"] == "$top"


def test_rows_read_are_bounded() -> None:
    budget = ResponseBudget(has_expand=True, max_entities=5)
    budget.read(5)
    assert budget.rows_allowed() == 0
    with pytest.raises(InputError, match="reads more than 5 entities"):
        budget.read(1)
