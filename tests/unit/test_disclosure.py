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
from tests.disclosure_oracle import published_as, true_values_published_as

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


# Worked by hand: which true counts does a reader know a published value came from?
# Rule: 0 -> 0; 1..threshold suppressed; otherwise the nearest multiple of the base (an exact half goes up),
# but never a multiple at or below the threshold: then the first multiple above the threshold instead.
@pytest.mark.parametrize(
    ("threshold", "base", "published", "interval"),
    [
        # threshold 7, base 5 (the default). 10 is the first multiple of 5 above 7. 8 and 9 round to 10
        # (10 is nearer than 5); 10, 11, 12 round to 10 (12 is 2 from 10, 3 from 15). So 8..12, and not 7
        # (suppressed). 15: 13 and 14 round up (2 and 1 away), 15, 16, 17 round down -> 13..17.
        # 100: 98, 99 up, 100, 101, 102 down -> 98..102.
        (7, 5, 10, (8, 12)),
        (7, 5, 15, (13, 17)),
        (7, 5, 100, (98, 102)),
        # threshold 7, base 10: 10 is the first multiple above 7; 8, 9 round to 10; 14 rounds to 10 (4 vs 6);
        # 15 is an exact half and goes up to 20 -> 8..14. 20: 15 (half, up) .. 24 -> 15..24.
        (7, 10, 10, (8, 14)),
        (7, 10, 20, (15, 24)),
        # threshold 10, base 4: 12 is the first multiple above 10. 11 -> 12 (1 vs 3), 12, 13 -> 12 (1 vs 3),
        # 14 is half-way between 12 and 16 and goes up -> 11..13. 16: 14 (half, up), 15, 16, 17; 18 is half
        # between 16 and 20 and goes up -> 14..17.
        (10, 4, 12, (11, 13)),
        (10, 4, 16, (14, 17)),
        # threshold 0 (no suppression), base 10: a count 1..4 would round to 0, but a published 0 must mean 0,
        # so 1..4 are published as 10 with 5..14 -> 1..14. 20 -> 15..24.
        (0, 10, 10, (1, 14)),
        (0, 10, 20, (15, 24)),
        # threshold 3, base 1 (no rounding): every count above 3 is published as itself.
        (3, 1, 4, (4, 4)),
        (3, 1, 57, (57, 57)),
        # threshold 7, base 3: 9 is the first multiple above 7; 8 -> 9 (1 vs 2), 9, 10 -> 9 (1 vs 2);
        # 11 -> 12 (1 vs 2) -> 8..10. 12: 11, 12, 13 -> 11..13.
        (7, 3, 9, (8, 10)),
        (7, 3, 12, (11, 13)),
        # threshold 9, base 3: 9 is a multiple at the threshold, so 10 (which rounds to 9) is published as 12;
        # 10 (-> 9 -> 12), 11 (-> 12), 12, 13 -> 10..13.
        (9, 3, 12, (10, 13)),
    ],
)
def test_rounding_interval_hand_worked(threshold, base, published, interval):
    assert rounding_interval(published, DisclosurePolicy(threshold=threshold, rounding_base=base)) == interval


@pytest.mark.parametrize(
    ("threshold", "base"),
    [(7, 5), (7, 10), (10, 4), (0, 10), (3, 1), (7, 3), (9, 3), (0, 2), (2, 7), (10, 10), (0, 1)],
)
def test_rounding_interval_is_every_true_count_published_as_that_value(threshold, base):
    """Brute force: for every true count, what the rule (written independently in tests/disclosure_oracle.py)
    publishes; group the counts by published value; each group must be the published cell's range, and both
    rounding_interval and protect_value must agree with it."""
    policy = DisclosurePolicy(threshold=threshold, rounding_base=base)
    by_published: dict[int, list[int]] = {}
    for true in range(threshold + 1, 400):
        by_published.setdefault(published_as(true, threshold, base), []).append(true)
    assert 0 not in by_published and all(p > threshold for p in by_published)  # never looks small or zero
    for published, truths in by_published.items():
        if max(truths) >= 400 - base:  # the top group may run past the enumeration
            continue
        assert truths == list(range(truths[0], truths[-1] + 1)), (published, truths)
        assert rounding_interval(published, policy) == (truths[0], truths[-1]), (published, truths)
        assert tuple(true_values_published_as(published, threshold, base)) == tuple(truths)
        for true in truths:
            cell = protect_value(true, policy)
            assert (cell.value, cell.lower, cell.upper) == (published, truths[0], truths[-1]), (true, cell)
            assert cell.rounded == (base > 1) and not cell.suppressed, (true, cell)
    for small in range(1, threshold + 1):
        assert protect_value(small, policy) == Cell(value=None, suppressed=True, lower=1, upper=threshold)
    assert protect_value(0, policy) == Cell(value=0, lower=0, upper=0)


def test_oracle_matches_hand_worked_values():
    """The brute-force oracle itself, on the examples in the disclosure.py docstring."""
    default = [published_as(v, 7, 5) for v in (0, 1, 7, 8, 12, 13, 17, 18)]
    assert default == [0, None, None, 10, 10, 15, 15, 20]
    assert [published_as(v, 7, 10) for v in (14, 15, 25)] == [10, 20, 30]
    assert published_as(10, 9, 3) == 12 and published_as(3, 0, 10) == 10


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
