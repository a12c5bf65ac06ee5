"""disclosure.py: rounding, primary suppression, and secondary suppression on small hand-made relations."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pain_finder.disclosure import (
    AtMost,
    Cell,
    DisclosurePolicy,
    Sum,
    pinned_cells,
    propagate,
    protect,
    protect_value,
    round_half_up,
    rounding_interval,
)

STANDARD = DisclosurePolicy()


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        (8, 5, 10),
        (12, 5, 10),
        (13, 5, 15),
        (17, 5, 15),
        (18, 5, 20),
        (15, 10, 20),
        (25, 10, 30),
        (14, 10, 10),
        (1234, 1, 1234),
    ],
)
def test_round_half_up(value, base, expected):
    assert round_half_up(value, base) == expected


@pytest.mark.parametrize(("threshold", "base"), [(7, 5), (7, 10), (10, 4), (0, 10), (3, 1), (7, 3)])
def test_rounding_interval_is_exactly_the_values_that_round_there(threshold, base):
    policy = DisclosurePolicy(threshold=threshold, rounding_base=base)
    for published in range(0, 200, base):
        truths = [v for v in range(threshold + 1, 300) if protect_value(v, policy).value == published]
        if truths:
            assert rounding_interval(published, policy) == (min(truths), max(truths)), published


def test_protect_value_default_policy():
    assert protect_value(0, STANDARD) == Cell(value=0, lower=0, upper=0)
    for small in range(1, 8):
        assert protect_value(small, STANDARD) == Cell(value=None, suppressed=True, lower=1, upper=7), small
    assert protect_value(8, STANDARD) == Cell(value=10, rounded=True, lower=8, upper=12)
    assert protect_value(10, STANDARD) == Cell(value=10, rounded=True, lower=8, upper=12)
    assert protect_value(13, STANDARD) == Cell(value=15, rounded=True, lower=13, upper=17)


def test_protect_value_other_policies():
    assert protect_value(3, DisclosurePolicy(mode="none")) == Cell(value=3, lower=3, upper=3)
    # threshold 0, base 10: 3 would round to 0, but a published 0 must mean 0: it is shown as 10 (1..14)
    assert protect_value(3, DisclosurePolicy(threshold=0, rounding_base=10)) == Cell(
        value=10, rounded=True, lower=1, upper=14
    )
    # threshold 9, base 3: 10 would round to 9, which looks like a small count: shown as 12 (10..13)
    assert protect_value(10, DisclosurePolicy(threshold=9, rounding_base=3)) == Cell(
        value=12, rounded=True, lower=10, upper=13
    )
    assert protect_value(9, DisclosurePolicy(threshold=10, rounding_base=5)).suppressed
    assert protect_value(11, DisclosurePolicy(threshold=7, rounding_base=1)) == Cell(
        value=11, lower=11, upper=11
    )


def test_cell_must_be_consistent():
    with pytest.raises(ValidationError, match="no value exactly when it is suppressed"):
        Cell(value=None, lower=1, upper=7)
    with pytest.raises(ValidationError, match="lower bound above upper bound"):
        Cell(value=10, rounded=True, lower=12, upper=8)


def test_policy_describe():
    assert STANDARD.describe() == (
        "Counts from 1 to 7 are suppressed; other counts are rounded to the nearest 5 (halves up); 0 is "
        "shown as 0; cells that could be worked out by subtraction are suppressed too."
    )
    assert DisclosurePolicy(mode="none").describe().startswith("No disclosure control")


def test_one_suppressed_part_gets_a_partner():
    values = {"total": 100, "female": 97, "male": 3, "unknown": 0}
    cells = protect(values, STANDARD, [Sum("total", ("female", "male", "unknown"))])
    assert cells["male"] == Cell(value=None, suppressed=True, lower=1, upper=7)
    assert cells["female"].secondary and cells["female"].suppressed
    # the partner's range is what the other cells allow: total 98..102 minus male 1..7
    assert (cells["female"].lower, cells["female"].upper) == (91, 101)
    assert cells["total"].value == 100 and cells["unknown"].value == 0


def test_without_rounding_the_rule_stops_exact_recovery():
    policy = DisclosurePolicy(rounding_base=1)
    values = {"total": 50, "a": 3, "b": 20, "c": 27}
    rel = [Sum("total", ("a", "b", "c"))]
    cells = protect(values, policy, rel)
    assert [n for n, c in cells.items() if c.secondary] == ["b"]  # the smallest other part
    assert pinned_cells(cells, policy, rel) == []


def test_two_suppressed_parts_need_no_partner_unless_pinned():
    values = {"total": 100, "a": 3, "b": 4, "c": 93}
    cells = protect(values, STANDARD, [Sum("total", ("a", "b", "c"))])
    assert not any(c.secondary for c in cells.values())


def test_audit_catches_rounding_that_pins_two_suppressed_parts():
    # 7 + 7 + 12 + 12 = 38 -> published 40 (38..42), 10 (8..12), 10 (8..12): a + b >= 38 - 24 = 14, so a = b =
    # 7.
    values = {"total": 38, "a": 7, "b": 7, "c": 12, "d": 12}
    rel = [Sum("total", ("a", "b", "c", "d"))]
    primary_only = {n: protect_value(v, STANDARD) for n, v in values.items()}
    assert pinned_cells(primary_only, STANDARD, rel) == ["a", "b"]
    cells = protect(values, STANDARD, rel)
    assert [n for n, c in cells.items() if c.secondary] == ["c"]
    assert pinned_cells(cells, STANDARD, rel) == []


def test_unpublished_remainder_protects_a_single_suppressed_part():
    values = {"registered": 1000, "working_age": 5}
    cells = protect(values, STANDARD, [Sum("registered", ("working_age", "~not_working_age"))])
    assert not any(c.secondary for c in cells.values())


def test_propagate_solves_relations():
    bounds = propagate({"t": (10, 10), "a": (3, 3)}, [Sum("t", ("a", "b"))], [AtMost("c", "b")])
    assert bounds["b"] == (7, 7) and bounds["c"] == (0, 7)


def test_mode_none_publishes_exact_counts():
    cells = protect({"t": 5, "a": 2, "b": 3}, DisclosurePolicy(mode="none"), [Sum("t", ("a", "b"))])
    assert [(c.value, c.suppressed, c.lower, c.upper) for c in cells.values()] == [
        (5, False, 5, 5),
        (2, False, 2, 2),
        (3, False, 3, 3),
    ]


def test_negative_counts_are_a_bug():
    with pytest.raises(ValueError, match="negative"):
        protect({"a": -1}, STANDARD)
