"""The NowCast (Decision 1459/QĐ-TCMT section 2.2.1.a; EPA-454/B-24-002 "How the NowCast is calculated")."""

from __future__ import annotations

import pytest

from vkc.airquality import nowcast
from vkc.errors import InputError

DECISION_EXAMPLE = [20.6, 19.6, 22.4, 20.3, 16.5, 19.0, 16.5, 19.5, 23.5, 20.5, 24.7, 26.9]  # newest first


def test_decision_example_is_20_3():
    """Section 2.3.a: w* = 16.5/26.9 = 0.61 > 1/2, NowCast = 20.3 µg/m³."""
    assert round(nowcast(DECISION_EXAMPLE, "vn"), 1) == 20.3


def test_epa_training_example_is_17_4():
    """EPA's AirNow NowCast example: range 90-10 over 12 hours, weight 1 - 80/90 < 0.5 so 0.5; NowCast 17.4 µg/m³."""
    oldest_first = [50, 80, 75, 90, 82, 53, 64, 74, 21, 10, 16, 13]
    assert round(nowcast(oldest_first[::-1], "us"), 1) == 17.4


def test_half_weight_matches_decision_literal_formula():
    """For w = 1/2 the decision writes sum((1/2)^i c_i); with 12 hours it equals the normalised mean to 0.03 %."""
    values = [80, 60, 40, 20, 10, 10, 10, 10, 10, 10, 10, 10]
    literal = sum(0.5 ** (i + 1) * c for i, c in enumerate(values))
    assert nowcast(values) == pytest.approx(literal, rel=3e-4)


def test_steady_air_is_the_plain_mean():
    assert nowcast([30.0] * 12) == pytest.approx(30.0)
    assert nowcast([0.0] * 12) == 0.0


def test_missing_hours_get_no_weight():
    # w* = 20/40 -> w = 1/2; hours 0, 1, 3 present: (40 + 0.5*20 + 0.125*40) / (1 + 0.5 + 0.125).
    assert nowcast([40, 20, None, 40]) == pytest.approx(55 / 1.625)


def test_missing_hours_do_not_count_toward_min_and_max():
    # Present values 30, 20 -> w* = 2/3: (30 + 2/3 * 20) / (1 + 2/3) = 26.
    assert nowcast([30, 20, None, None, None]) == pytest.approx(26.0)


@pytest.mark.parametrize(
    "values",
    [
        [None, None, 30, 30, 30, 30],
        [None, 30, None, 30, 30, 30],
        [30, None, None, 30, 30, 30],
        [30],
        [],
    ],
)
def test_fewer_than_two_of_three_recent_hours_gives_none(values):
    assert nowcast(values) is None


@pytest.mark.parametrize("values", [[None, 30, 30], [30, None, 30], [30, 30, None], [30, 30]])
def test_two_of_three_recent_hours_is_enough(values):
    assert nowcast(values) == pytest.approx(30.0)


def test_more_than_twelve_hours_or_unknown_method_is_an_error():
    with pytest.raises(InputError, match="at most 12"):
        nowcast([1.0] * 13)
    with pytest.raises(InputError, match="method"):
        nowcast([1.0, 1.0], "eu")
